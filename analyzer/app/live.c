/* live.c — the live sensor.
 *
 * libpcap opens the interface (the only step that needs privileges), then the
 * process drops to -Z USER. One loop polls the capture and a signalfd (so no
 * signal handler and no global state): packets go through the same engine as
 * files; connections are judged provisionally while their dialogue and
 * handshake run, so an alert leaves within a second of the deciding packet;
 * finished records go through the same sinks as in `analyze`. Wall-clock
 * time is used only to pace the periodic outputs and to let idle
 * connections expire when no packet arrives.
 */
#include "analyzer/app/live.h"
#include "analyzer/capture/sandbox.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "analyzer/app/cli.h"
#include "analyzer/app/pipeline.h"
#include "analyzer/app/run.h"
#include "analyzer/session/engine.h"
#include "dissectors/base/out.h"
#include "stats/sinks/history.h"
#include "stats/sinks/prom.h"

struct live {
	struct pipeline p; /* options, statistics, detectors, history, sinks */
	pcap_t *pcap;
	int dlt;
	int sfd, pfd; /* the signalfd and the capture's descriptor */
	int syslog_open;
	char filter[4096];
	struct engine *e;
	FILE *alerts_fp; /* NULL when stdout */
	FILE *sessions_fp;
	struct prom_live counters;
};

static FILE *live_open_append(const char *path)
{
	FILE *fp = fopen(path, "a");
	if (fp)
		setvbuf(fp, NULL, _IOLBF, 0);
	return fp;
}

static int live_open_outputs(struct live *l)
{
	const struct cli_analyze *a = &l->p.a;
	if (a->alerts && strcmp(a->alerts, "-") != 0) {
		l->alerts_fp = live_open_append(a->alerts);
		if (!l->alerts_fp) {
			fprintf(stderr, "smtptls: %s: %s\n", a->alerts, strerror(errno));
			return -1;
		}
	}
	l->p.alerts.fp = l->alerts_fp ? l->alerts_fp : stdout;
	if (a->sessions) {
		l->sessions_fp =
			strcmp(a->sessions, "-") == 0 ? stdout : live_open_append(a->sessions);
		if (!l->sessions_fp) {
			fprintf(stderr, "smtptls: %s: %s\n", a->sessions, strerror(errno));
			return -1;
		}
	}
	l->p.sinks.sessions = l->sessions_fp;
	return 0;
}

static void live_close_outputs(struct live *l)
{
	if (l->alerts_fp)
		fclose(l->alerts_fp);
	if (l->sessions_fp && l->sessions_fp != stdout)
		fclose(l->sessions_fp);
	l->alerts_fp = l->sessions_fp = NULL;
}

/* The periodic outputs, each written to a temporary file and renamed. */
static void live_write_snapshots(struct live *l)
{
	const struct cli_analyze *a = &l->p.a;
	struct agg *agg = l->p.agg;
	char err[512];
	struct pcap_stat ps;
	if (pcap_stats(l->pcap, &ps) == 0) {
		l->counters.pcap_received = ps.ps_recv;
		l->counters.pcap_dropped = ps.ps_drop;
		l->counters.pcap_if_dropped = ps.ps_ifdrop;
	}
	l->counters.flows_open = l->e->flows.count;
	l->counters.alerts = l->p.alerts.emitted;
	agg->health = l->e->health;
	agg->health.files = 0;
	if (a->stats) {
		struct out_file o;
		json_t *j = agg_to_json(agg);
		if (j) {
			json_t *cap =
				json_pack("{s:s,s:I,s:I,s:I}", "interface", a->iface, "received",
					  (json_int_t)l->counters.pcap_received, "dropped",
					  (json_int_t)l->counters.pcap_dropped, "if_dropped",
					  (json_int_t)l->counters.pcap_if_dropped);
			json_object_set_new(json_object_get(j, "health"), "live", cap);
			pipeline_history_json(&l->p, j);
		}
		if (!j || out_open(&o, a->stats, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s\n", j ? err : "out of memory");
		} else if (pipeline_write_json(j, o.fp) != 0 ||
			   out_commit(&o, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s: write failed\n", a->stats);
			out_abort(&o);
		}
		json_decref(j);
	}
	if (a->prom) {
		struct out_file o;
		if (out_open(&o, a->prom, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s\n", err);
		} else if (prom_write(o.fp, agg, &l->counters) != 0 ||
			   out_commit(&o, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s: write failed\n", a->prom);
			out_abort(&o);
		}
	}
}

static void live_record(void *ctx, const struct rec *r)
{
	struct live *l = ctx;
	run_emit(&l->p.sinks, r);
}

static void live_provisional(void *ctx, const struct rec *r, uint32_t *alerted)
{
	struct live *l = ctx;
	struct rec_verdict v;
	anom_judge_provisional(&l->p.anom, r, &v);
	alert_provisional(&l->p.alerts, r, &v, alerted);
}

static void live_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live *l = (struct live *)(void *)user;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	eng_packet(l->e, l->dlt, ts, data, h->caplen, h->len);
}

/* "port 25 or port 587 ..." for the ports of a bitmap, written at buf + *k;
 * 0, or -1 when there are more than 64 of them or the buffer is short. */
static int live_ports(const uint8_t *bitmap, char *buf, size_t n, size_t *k)
{
	int count = 0;
	for (unsigned p = 1; p < 65536; p++) {
		if (!eng_port_in(bitmap, (uint16_t)p))
			continue;
		if (++count > 64 || *k + 16 >= n)
			return -1;
		*k += (size_t)snprintf(buf + *k, n - *k, "%sport %u", count > 1 ? " or " : "", p);
	}
	return 0;
}

/* "tcp and (port 25 or port 587 ...)" from the mail ports, "or (tcp or udp)
 * and (port 53)" for the DNS ports (none with --no-dns), and the user's
 * filter; long port lists fall back to the protocol alone. */
static void live_filter(const struct cli_analyze *a, char *buf, size_t n)
{
	char mail[1200], dns[1200];
	size_t k = (size_t)snprintf(mail, sizeof(mail), "tcp and (");
	if (live_ports(a->cfg.mail_ports, mail, sizeof(mail), &k) == 0)
		snprintf(mail + k, sizeof(mail) - k, ")");
	else
		snprintf(mail, sizeof(mail), "tcp");
	k = (size_t)snprintf(dns, sizeof(dns), "(tcp or udp) and (");
	int have_dns = 0;
	for (unsigned i = 0; i < sizeof(a->cfg.dns_ports); i++)
		have_dns |= a->cfg.dns_ports[i] != 0;
	if (live_ports(a->cfg.dns_ports, dns, sizeof(dns), &k) == 0)
		snprintf(dns + k, sizeof(dns) - k, ")");
	else
		snprintf(dns, sizeof(dns), "tcp or udp");
	if (have_dns)
		k = (size_t)snprintf(buf, n, "((%s) or (%s))", mail, dns);
	else
		k = (size_t)snprintf(buf, n, "%s", mail);
	if (a->bpf && k < n)
		snprintf(buf + k, n - k, " and (%s)", a->bpf);
}

static int live_drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		fprintf(stderr, "smtptls: -Z %s: no such user\n", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "smtptls: cannot become %s: %s\n", user, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		fprintf(stderr, "smtptls: dropping privileges failed (root regained)\n");
		return -1;
	}
	return 0;
}

static double live_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Opens the interface: the one step that needs privileges. */
static int live_open_capture(struct live *l)
{
	const struct cli_analyze *a = &l->p.a;
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	l->pcap = pcap_create(a->iface, ebuf);
	if (!l->pcap) {
		fprintf(stderr, "smtptls: %s: %s\n", a->iface, ebuf);
		return -1;
	}
	pcap_set_snaplen(l->pcap, 262144);
	pcap_set_promisc(l->pcap, 1);
	pcap_set_timeout(l->pcap, 100);
	pcap_set_buffer_size(l->pcap, 32 << 20);
	pcap_set_tstamp_precision(l->pcap, PCAP_TSTAMP_PRECISION_MICRO);
	int act = pcap_activate(l->pcap);
	if (act < 0) {
		fprintf(stderr, "smtptls: %s: cannot capture: %s\n", a->iface,
			act == PCAP_ERROR_PERM_DENIED ? "permission denied (run as root or give "
							"the binary CAP_NET_RAW)"
						      : pcap_geterr(l->pcap));
		return -1;
	}
	l->dlt = pcap_datalink(l->pcap);
	if (!dec_link_supported(l->dlt)) {
		fprintf(stderr, "smtptls: %s: unsupported link type %d\n", a->iface, l->dlt);
		return -1;
	}
	live_filter(a, l->filter, sizeof(l->filter));
	struct bpf_program prog;
	if (pcap_compile(l->pcap, &prog, l->filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
	    pcap_setfilter(l->pcap, &prog) != 0) {
		fprintf(stderr, "smtptls: filter \"%s\": %s\n", l->filter, pcap_geterr(l->pcap));
		return -1;
	}
	pcap_freecode(&prog);
	if (pcap_setnonblock(l->pcap, 1, ebuf) != 0) {
		fprintf(stderr, "smtptls: %s: %s\n", a->iface, ebuf);
		return -1;
	}
	return 0;
}

/* Everything after the interface: the outputs (before privileges go, so
 * they may live where only root may write; SIGHUP reopens them as the
 * unprivileged user), the signals, the pipeline, the engine, and last the
 * sandbox. */
static int live_setup(struct live *l)
{
	struct cli_analyze *a = &l->p.a;
	char err[512];
	if (live_open_outputs(l) != 0)
		return -1;
	if (a->user && live_drop_privileges(a->user) != 0)
		return -1;
	if (a->use_syslog) {
		openlog("smtptls", LOG_PID, LOG_MAIL);
		l->syslog_open = 1;
	}
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	l->sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	l->pfd = pcap_get_selectable_fd(l->pcap);
	if (l->sfd < 0 || l->pfd < 0) {
		fprintf(stderr, "smtptls: %s: cannot poll the capture\n", a->iface);
		return -1;
	}
	if (pipeline_open(&l->p, PIPELINE_LIVE, stderr) != 0)
		return -1;
	l->e = malloc(sizeof(*l->e));
	if (!l->e || eng_init(l->e, &a->cfg) != 0) {
		fprintf(stderr, "smtptls: out of memory (try a smaller --max-flows)\n");
		free(l->e);
		l->e = NULL;
		return -1;
	}
	eng_add_sink(l->e, live_record, l);
	l->e->event.provisional = live_provisional;
	l->e->event.ctx = l;
	/* Everything is open: from here on, no process, program or network
	 * socket can be started (analyzer/capture/sandbox.h). */
	if (!a->no_sandbox && sandbox_enter(err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s (--no-sandbox runs without it)\n", err);
		return -1;
	}
	return 0;
}

/* Reads the pending signals: 0 when the sensor is to stop. */
static int live_signals(struct live *l)
{
	int running = 1;
	struct signalfd_siginfo si;
	while (read(l->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			running = 0;
		} else if (si.ssi_signo == SIGHUP) {
			live_close_outputs(l);
			if (live_open_outputs(l) != 0)
				running = 0;
		} else if (si.ssi_signo == SIGUSR1) {
			live_write_snapshots(l);
		}
	}
	return running;
}

/* Polls the capture and the signals until a signal ends the run (returns
 * 0) or reading or writing fails (returns 1). */
static int live_loop(struct live *l)
{
	const struct cli_analyze *a = &l->p.a;
	double next_snap = live_now() + (a->interval ? a->interval : CLI_DEFAULT_INTERVAL);
	int running = 1;
	while (running) {
		struct pollfd fds[2] = {{l->pfd, POLLIN, 0}, {l->sfd, POLLIN, 0}};
		int n = poll(fds, 2, 200);
		if (n < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN) {
			if (pcap_dispatch(l->pcap, 1000, live_packet, (u_char *)(void *)l) < 0) {
				fprintf(stderr, "smtptls: %s: %s\n", a->iface,
					pcap_geterr(l->pcap));
				break;
			}
		}
		if (fds[1].revents & POLLIN)
			running = live_signals(l);
		/* A quiet link still ends idle connections: the capture clock
		 * follows the wall clock when no packet arrives. */
		struct timeval tv;
		gettimeofday(&tv, NULL);
		eng_advance(l->e, (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec);
		if (l->p.anom.db)
			hist_poll(l->p.anom.db); /* pending history, also when no record comes */
		if ((a->stats || a->prom) && live_now() >= next_snap) {
			live_write_snapshots(l);
			next_snap = live_now() + a->interval;
		}
		if (l->p.alerts.failed || l->p.sinks.failed) {
			fprintf(stderr, "smtptls: writing an output failed\n");
			break;
		}
	}
	return running;
}

static int live_run(struct live *l)
{
	const struct cli_analyze *a = &l->p.a;
	int rc = 2;
	l->sfd = l->pfd = -1;
	if (geteuid() == 0 && !a->user && !a->allow_root) {
		fprintf(stderr,
			"smtptls live: refusing to run as root: give -Z USER to drop "
			"privileges after opening %s, or --allow-root\n",
			a->iface);
		return 2;
	}
	if (live_open_capture(l) != 0 || live_setup(l) != 0)
		goto fail;
	fprintf(stderr, "smtptls: capturing on %s (%s)\n", a->iface, l->filter);
	int running = live_loop(l);
	eng_end_input(l->e);
	live_write_snapshots(l);
	rc = running ? 1 : 0;
	if (pipeline_close_history(&l->p, stderr) != 0)
		rc = 1;
fail:
	if (l->e) {
		eng_free(l->e);
		free(l->e);
	}
	live_close_outputs(l);
	if (l->syslog_open)
		closelog();
	if (l->sfd >= 0)
		close(l->sfd);
	if (l->pcap)
		pcap_close(l->pcap);
	return rc;
}

int live_main(int argc, char **argv)
{
	struct cli_analyze a;
	switch (cli_parse(&a, CLI_LIVE, argc, argv, stdout, stderr)) {
	case CLI_DONE: return 0;
	case CLI_USAGE: return 2;
	case CLI_RUN: break;
	}
	struct live *l = calloc(1, sizeof(*l));
	if (!l)
		return 2;
	int rc = pipeline_begin(&l->p, &a, stderr) != 0 ? 2 : live_run(l);
	pipeline_close(&l->p);
	free(l);
	return rc;
}
