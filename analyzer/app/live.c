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
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
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
	/* the alert lines (standard output without --alerts) and the records:
	 * whole lines, the ones that could not be written counted */
	struct out_lines alerts_out, sessions_out;
	int alerts_failing, sessions_failing; /* as last reported on stderr */
	struct prom_live counters;
	/* the interface's state (live_link): watched when it could be asked at
	 * the start (not for "any") */
	int link_watch, link_up;
	uint64_t link_downs; /* times it went down */
	double link_down_at; /* when it went down (live_now) */
	double next_link_check;
};

static int live_open_outputs(struct live *l)
{
	const struct cli_analyze *a = &l->p.a;
	char err[512];
	int rc = 0;
	l->p.alerts.lines = &l->alerts_out;
	l->p.sinks.session_lines = a->sessions ? &l->sessions_out : NULL;
	if (out_lines_open(&l->alerts_out, a->alerts ? a->alerts : "-", err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s\n", err);
		rc = -1;
	}
	if (a->sessions && out_lines_open(&l->sessions_out, a->sessions, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s\n", err);
		rc = -1;
	}
	return rc;
}

static void live_close_outputs(struct live *l)
{
	out_lines_close(&l->alerts_out);
	out_lines_close(&l->sessions_out);
}

/* Says on stderr when writing a line file starts failing (a full disk) and
 * when it works again; *shown is the state last reported. */
static void live_output_state(const struct out_lines *o, const char *path, int *shown)
{
	if (o->failing == *shown)
		return;
	*shown = o->failing;
	if (o->failing)
		fprintf(stderr,
			"smtptls: %s: cannot write (%s): lines are counted as lost until "
			"it can be written again\n",
			path, strerror(o->err));
	else
		fprintf(stderr, "smtptls: %s: writing again, %" PRIu64 " lines lost so far\n", path,
			o->lost);
}

static void live_check_outputs(struct live *l)
{
	const struct cli_analyze *a = &l->p.a;
	live_output_state(&l->alerts_out, a->alerts ? a->alerts : "standard output",
			  &l->alerts_failing);
	if (a->sessions)
		live_output_state(&l->sessions_out, a->sessions, &l->sessions_failing);
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
	l->counters.records_lost = l->sessions_out.lost;
	l->counters.alerts_lost = l->alerts_out.lost;
	agg->health = l->e->health;
	agg->health.files = 0;
	if (a->stats) {
		struct out_file o;
		json_t *j = agg_to_json(agg);
		if (j && pipeline_mark_json(&l->p, j) == 0) {
			const struct prom_live *c = &l->counters;
			json_t *cap = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "interface",
						a->iface, "received", (json_int_t)c->pcap_received,
						"dropped", (json_int_t)c->pcap_dropped,
						"if_dropped", (json_int_t)c->pcap_if_dropped,
						"records_lost", (json_int_t)c->records_lost,
						"alerts_lost", (json_int_t)c->alerts_lost,
						"link_down", (json_int_t)l->link_downs);
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
	r = run_anon_view(&l->p.sinks, r); /* --anonymize: what every output shows */
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

/* Gives an output file opened as root to the user the sensor becomes, as
 * tcpdump -Z does: after a rotation SIGHUP reopens the path as that user,
 * and appends to a file it owns. */
static void live_give_file(const struct out_lines *o, const struct passwd *pw)
{
	if (o->fd >= 0 && !o->is_stdout && geteuid() == 0 &&
	    fchown(o->fd, pw->pw_uid, pw->pw_gid) != 0)
		fprintf(stderr, "smtptls: cannot give an output file to %s: %s\n", pw->pw_name,
			strerror(errno));
}

static int live_drop_privileges(struct live *l, const char *user)
{
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		fprintf(stderr, "smtptls: -Z %s: no such user\n", user);
		return -1;
	}
	live_give_file(&l->alerts_out, pw);
	live_give_file(&l->sessions_out, pw);
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
	pcap_set_buffer_size(l->pcap, (int)a->buffer_size);
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
	if (a->user && live_drop_privileges(l, a->user) != 0)
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
	unsigned net = a->history && hist_needs_network(a->history) ? SANDBOX_NET : 0;
	if (!a->no_sandbox && sandbox_enter(net, err, sizeof(err)) != 0) {
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
			/* a file that cannot be opened again loses its lines
			 * (counted) until a later SIGHUP opens it */
			live_close_outputs(l);
			live_open_outputs(l);
		} else if (si.ssi_signo == SIGUSR1) {
			live_write_snapshots(l);
		}
	}
	return running;
}

/* The interface's state, asked on the capture's own socket: 1 up with a
 * carrier, 0 down or without a carrier, -1 gone (or not an interface). */
static int live_link_state(const struct live *l)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->p.a.iface);
	if (ioctl(l->pfd, SIOCGIFFLAGS, &ifr) != 0)
		return -1;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING) ? 1 : 0;
}

/* Follows the interface going down and up: the capture's socket stays bound
 * to it and delivers again once it is back, so the sensor says so and
 * waits. An interface that is gone (deleted, moved to another namespace)
 * cannot come back to this socket: -1, the sensor exits with status 1 for
 * its supervisor to restart it. The socket's pending error (ENETDOWN) is
 * read here so that poll() does not report it again and again. */
static int live_link(struct live *l, int pollerr)
{
	if (pollerr) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		getsockopt(l->pfd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	}
	double now = live_now();
	if (!l->link_watch || (!pollerr && now < l->next_link_check))
		return 0;
	l->next_link_check = now + 1.0;
	int st = live_link_state(l);
	if (st < 0) {
		fprintf(stderr,
			"smtptls: %s: the interface is gone; exiting (status 1) so that the "
			"service manager can start the sensor again\n",
			l->p.a.iface);
		return -1;
	}
	if (st == l->link_up)
		return 0;
	l->link_up = st;
	if (!st) {
		l->link_downs++;
		l->link_down_at = now;
		fprintf(stderr,
			"smtptls: %s: the interface is down (or has no carrier): waiting for it\n",
			l->p.a.iface);
	} else {
		fprintf(stderr, "smtptls: %s: the interface is up again after %.0f s: capturing\n",
			l->p.a.iface, now - l->link_down_at);
	}
	return 0;
}

/* Polls the capture and the signals until a signal ends the run (returns
 * 0) or reading or writing fails or the interface is gone (returns 1). */
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
		if (live_link(l, (fds[0].revents & (POLLERR | POLLHUP)) != 0) != 0)
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
		live_check_outputs(l);
		if (l->p.alerts.failed || l->p.sinks.failed) {
			fprintf(stderr, "smtptls: writing an output failed\n");
			break;
		}
	}
	return running;
}

/* The last word on stderr: what the capture and the outputs lost. */
static void live_summary(const struct live *l)
{
	const struct prom_live *c = &l->counters;
	fprintf(stderr,
		"smtptls: %s: %" PRIu64 " packets received, %" PRIu64
		" dropped by the kernel (buffer full), %" PRIu64 " by the interface\n",
		l->p.a.iface, c->pcap_received, c->pcap_dropped, c->pcap_if_dropped);
	fprintf(stderr,
		"smtptls: %" PRIu64 " records and %" PRIu64 " alerts written, %" PRIu64
		" record lines and %" PRIu64 " alert lines lost (output not writable)\n",
		l->sessions_out.written, l->alerts_out.written, c->records_lost, c->alerts_lost);
}

static int live_run(struct live *l)
{
	const struct cli_analyze *a = &l->p.a;
	int rc = 2;
	l->sfd = l->pfd = -1;
	l->alerts_out.fd = l->sessions_out.fd = -1;
	if (geteuid() == 0 && !a->user && !a->allow_root) {
		fprintf(stderr,
			"smtptls live: refusing to run as root: give -Z USER to drop "
			"privileges after opening %s, or --allow-root\n",
			a->iface);
		return 2;
	}
	if (live_open_capture(l) != 0 || live_setup(l) != 0)
		goto fail;
	l->link_up = live_link_state(l);
	l->link_watch = l->link_up >= 0;
	if (l->link_up == 0)
		fprintf(stderr,
			"smtptls: %s: the interface is down (or has no carrier): waiting for it\n",
			a->iface);
	fprintf(stderr, "smtptls: capturing on %s (%s)\n", a->iface, l->filter);
	int running = live_loop(l);
	eng_end_input(l->e);
	live_write_snapshots(l);
	live_check_outputs(l);
	if (!a->quiet)
		live_summary(l);
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
