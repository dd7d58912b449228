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
#include "analyzer/session/engine.h"
#include "analyzer/app/run.h"
#include "analyzer/capture/source.h"
#include "dissectors/base/out.h"
#include "stats/sinks/prom.h"

struct live {
	struct cli_analyze a;
	pcap_t *pcap;
	int dlt;
	struct engine *e;
	struct mem mem;
	struct agg agg;
	struct anom anom;
	struct geo geo;
	struct alert_out alerts;
	struct run_sinks sinks;
	FILE *alerts_fp; /* NULL when stdout */
	FILE *sessions_fp;
	struct prom_live counters;
	int failed;
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
	if (l->a.alerts && strcmp(l->a.alerts, "-") != 0) {
		l->alerts_fp = live_open_append(l->a.alerts);
		if (!l->alerts_fp) {
			fprintf(stderr, "smtptls: %s: %s\n", l->a.alerts, strerror(errno));
			return -1;
		}
	}
	l->alerts.fp = l->alerts_fp ? l->alerts_fp : stdout;
	if (l->a.sessions) {
		l->sessions_fp =
			strcmp(l->a.sessions, "-") == 0 ? stdout : live_open_append(l->a.sessions);
		if (!l->sessions_fp) {
			fprintf(stderr, "smtptls: %s: %s\n", l->a.sessions, strerror(errno));
			return -1;
		}
	}
	l->sinks.sessions = l->sessions_fp;
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
	char err[512];
	struct pcap_stat ps;
	if (pcap_stats(l->pcap, &ps) == 0) {
		l->counters.pcap_received = ps.ps_recv;
		l->counters.pcap_dropped = ps.ps_drop;
		l->counters.pcap_if_dropped = ps.ps_ifdrop;
	}
	l->counters.flows_open = l->e->flows.count;
	l->counters.alerts = l->alerts.emitted;
	l->agg.health = l->e->health;
	l->agg.health.files = 0;
	if (l->a.stats) {
		struct out_file o;
		json_t *j = agg_to_json(&l->agg);
		if (j) {
			json_t *cap =
				json_pack("{s:s,s:I,s:I,s:I}", "interface", l->a.iface, "received",
					  (json_int_t)l->counters.pcap_received, "dropped",
					  (json_int_t)l->counters.pcap_dropped, "if_dropped",
					  (json_int_t)l->counters.pcap_if_dropped);
			json_object_set_new(json_object_get(j, "health"), "live", cap);
		}
		if (!j || out_open(&o, l->a.stats, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s\n", j ? err : "out of memory");
		} else if (json_dumpf(j, o.fp, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0 ||
			   fputc('\n', o.fp) == EOF || out_commit(&o, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s: write failed\n", l->a.stats);
			out_abort(&o);
		}
		json_decref(j);
	}
	if (l->a.prom) {
		struct out_file o;
		if (out_open(&o, l->a.prom, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s\n", err);
		} else if (prom_write(o.fp, &l->agg, &l->counters) != 0 ||
			   out_commit(&o, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s: write failed\n", l->a.prom);
			out_abort(&o);
		}
	}
}

static void live_record(void *ctx, const struct rec *r)
{
	struct live *l = ctx;
	run_emit(&l->sinks, r);
}

static void live_provisional(void *ctx, const struct rec *r, uint32_t *alerted)
{
	struct live *l = ctx;
	struct rec_verdict v;
	anom_judge_provisional(&l->anom, r, &v);
	alert_provisional(&l->alerts, r, &v, alerted);
}

static void live_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live *l = (struct live *)(void *)user;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	eng_packet(l->e, l->dlt, ts, data, h->caplen, h->len);
}

/* "tcp and (port 25 or port 587 ...)" from the mail ports, and the user's
 * filter; long port lists fall back to "tcp". */
static void live_filter(const struct cli_analyze *a, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "tcp and (");
	int count = 0;
	for (unsigned p = 1; p < 65536; p++) {
		if (!eng_port_in(a->cfg.mail_ports, (uint16_t)p))
			continue;
		if (++count > 64 || k + 16 >= n) {
			k = (size_t)snprintf(buf, n, "tcp");
			break;
		}
		k += (size_t)snprintf(buf + k, n - k, "%sport %u", count > 1 ? " or " : "", p);
	}
	if (count <= 64 && k + 2 < n)
		k += (size_t)snprintf(buf + k, n - k, ")");
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

static int live_run(struct live *l);

int live_main(int argc, char **argv)
{
	struct live *l = calloc(1, sizeof(*l));
	if (!l)
		return 2;
	switch (cli_parse_live(&l->a, argc, argv, stdout, stderr)) {
	case CLI_DONE: free(l); return 0;
	case CLI_USAGE: free(l); return 2;
	case CLI_RUN: break;
	}
	struct cli_analyze a = l->a;
	int rc = live_run(l); /* frees l */
	cli_analyze_free(&a);
	return rc;
}

static int live_run(struct live *l)
{
	int rc = 2;
	struct cli_analyze *a = &l->a;
	if (geteuid() == 0 && !a->user && !a->allow_root) {
		fprintf(stderr,
			"smtptls live: refusing to run as root: give -Z USER to drop "
			"privileges after opening %s, or --allow-root\n",
			a->iface);
		free(l);
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE + 256];
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	l->pcap = pcap_create(a->iface, ebuf);
	if (!l->pcap) {
		fprintf(stderr, "smtptls: %s: %s\n", a->iface, ebuf);
		free(l);
		return 2;
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
		goto out_pcap;
	}
	l->dlt = pcap_datalink(l->pcap);
	if (!dec_link_supported(l->dlt)) {
		fprintf(stderr, "smtptls: %s: unsupported link type %d\n", a->iface, l->dlt);
		goto out_pcap;
	}
	char filter[2048];
	live_filter(a, filter, sizeof(filter));
	struct bpf_program prog;
	if (pcap_compile(l->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
	    pcap_setfilter(l->pcap, &prog) != 0) {
		fprintf(stderr, "smtptls: filter \"%s\": %s\n", filter, pcap_geterr(l->pcap));
		goto out_pcap;
	}
	pcap_freecode(&prog);
	if (pcap_setnonblock(l->pcap, 1, ebuf) != 0) {
		fprintf(stderr, "smtptls: %s: %s\n", a->iface, ebuf);
		goto out_pcap;
	}
	/* Outputs are opened before privileges go, so they may live where only
	 * root may write; SIGHUP reopens them as the unprivileged user. */
	if (live_open_outputs(l) != 0)
		goto out_pcap;
	if (a->user && live_drop_privileges(a->user) != 0)
		goto out_files;
	if (a->use_syslog)
		openlog("smtptls", LOG_PID, LOG_MAIL);

	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	int sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	int pfd = pcap_get_selectable_fd(l->pcap);
	if (sfd < 0 || pfd < 0) {
		fprintf(stderr, "smtptls: %s: cannot poll the capture\n", a->iface);
		goto out_files;
	}

	l->e = malloc(sizeof(*l->e));
	cli_default_geoip(a);
	if (geo_open(&l->geo, a->geoip, a->asn, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s\n", err);
		free(l->e);
		l->e = NULL;
		goto out_files;
	}
	for (int i = 0; i < a->nlocal_nets; i++)
		geo_add_net(&l->geo, a->local_nets[i]);
	a->agg.geo = &l->geo;
	if (!l->e || eng_init(l->e, &a->cfg) != 0) {
		fprintf(stderr, "smtptls: out of memory (try a smaller --max-flows)\n");
		free(l->e);
		l->e = NULL;
		goto out_geo;
	}
	agg_init(&l->agg, &l->mem, &a->agg);
	anom_init(&l->anom, &a->anom, &l->mem);
	if (a->history) {
		l->anom.db = hist_open(a->history, err, sizeof(err));
		if (!l->anom.db) {
			fprintf(stderr, "smtptls: history %s\n", err);
			goto out_engine;
		}
	}
	l->alerts.use_syslog = a->use_syslog;
	l->alerts.min_severity = a->alert_min;
	l->sinks.anom = &l->anom;
	l->sinks.alerts = &l->alerts;
	l->sinks.agg = &l->agg;
	eng_add_sink(l->e, live_record, l);
	l->e->event.provisional = live_provisional;
	l->e->event.ctx = l;

	/* Everything is open: from here on, no process, program or network
	 * socket can be started (analyzer/capture/sandbox.h). */
	if (!a->no_sandbox && sandbox_enter(err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s (--no-sandbox runs without it)\n", err);
		goto out_engine;
	}
	fprintf(stderr, "smtptls: capturing on %s (%s)\n", a->iface, filter);
	double next_snap = live_now() + (a->interval ? a->interval : 60);
	int running = 1;
	while (running) {
		struct pollfd fds[2] = {{pfd, POLLIN, 0}, {sfd, POLLIN, 0}};
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
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
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
		}
		/* A quiet link still ends idle connections: the capture clock
		 * follows the wall clock when no packet arrives. */
		struct timeval tv;
		gettimeofday(&tv, NULL);
		eng_advance(l->e, (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec);
		if ((a->stats || a->prom) && live_now() >= next_snap) {
			live_write_snapshots(l);
			next_snap = live_now() + a->interval;
		}
		if (l->alerts.failed || l->sinks.failed) {
			fprintf(stderr, "smtptls: writing an output failed\n");
			break;
		}
	}
	eng_end_input(l->e);
	live_write_snapshots(l);
	rc = running ? 1 : 0;
	if (l->anom.db && hist_close(l->anom.db) != 0)
		rc = 1;
	l->anom.db = NULL;
out_engine:
	eng_free(l->e);
	free(l->e);
	jsonw_free(&l->sinks.line);
	anom_free(&l->anom);
	agg_free(&l->agg);
out_geo:
	geo_close(&l->geo);
out_files:
	live_close_outputs(l);
	if (a->use_syslog)
		closelog();
out_pcap:
	pcap_close(l->pcap);
	free(l);
	return rc;
}
