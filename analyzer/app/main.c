/* main.c — the smtptls command: subcommand dispatch and `analyze`. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "analyzer/app/cli.h"
#include "analyzer/session/engine.h"
#include "analyzer/app/live.h"
#include "analyzer/app/run.h"
#include "analyzer/capture/sandbox.h"
#include "plots/report.h"
#include "analyzer/capture/source.h"
#include "stats/sinks/agg.h"
#include "stats/sinks/history.h"
#include "stats/record/recdump.h"
#include "dissectors/base/out.h"
#include "stats/record/record.h"

static void main_usage(FILE *out)
{
	fprintf(out, "Usage: smtptls COMMAND [OPTIONS] ...\n"
		     "\n"
		     "A passive SMTP TLS traffic analyzer: follows every SMTP connection in\n"
		     "packet captures and reports how it was (or was not) encrypted.\n"
		     "\n"
		     "Commands:\n"
		     "  analyze PCAP|DIR...   analyse capture files\n"
		     "  merge SNAPSHOT...     add statistics snapshots of shards together\n"
		     "  live -i IFACE         sniff an interface, alert on stripped STARTTLS\n"
		     "  history FILE          what a history file knows about each server\n"
		     "  report STATS.json -o FILE  the HTML report (charts, tables)\n"
		     "  cluster slurm ...     analyse a corpus on a Slurm cluster\n"
		     "  help [COMMAND]        show help\n"
		     "\n"
		     "Options:\n"
		     "  -h, --help            show this help\n"
		     "  -V, --version         show the version\n"
		     "\n"
		     "Run 'smtptls analyze --help' for the options of a command.\n");
}

static int analyze_run(struct cli_analyze *ap);

static int main_analyze(int argc, char **argv)
{
	struct cli_analyze a;
	switch (cli_parse_analyze(&a, argc, argv, stdout, stderr)) {
	case CLI_DONE: return 0;
	case CLI_USAGE: return 2;
	case CLI_RUN: break;
	}
	int rc = analyze_run(&a);
	cli_analyze_free(&a);
	return rc;
}

static int analyze_run(struct cli_analyze *ap)
{
	struct cli_analyze a = *ap;
	char err[512];
	if (!a.no_sandbox && sandbox_enter(err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s (--no-sandbox runs without it)\n", err);
		return 2;
	}
	if (a.bpf && src_check_bpf(a.bpf, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s\n", err);
		return 2;
	}

	int rc = 0;
	struct src_list files = {0};
	for (int i = 0; i < a.ninputs; i++) {
		if (src_expand(&files, a.inputs[i], stderr) != 0) {
			fprintf(stderr, "smtptls: out of memory listing inputs\n");
			src_list_free(&files);
			return 2;
		}
	}

	struct out_file sess_out = {0}, stats_out = {0};
	if (a.sessions && out_open(&sess_out, a.sessions, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s\n", err);
		src_list_free(&files);
		return 2;
	}
	if (a.stats && out_open(&stats_out, a.stats, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s\n", err);
		out_abort(&sess_out);
		src_list_free(&files);
		return 2;
	}

	struct agg *agg = malloc(sizeof(*agg));
	struct mem agg_mem = {0};
	if (!agg) {
		fprintf(stderr, "smtptls: out of memory\n");
		out_abort(&sess_out);
		out_abort(&stats_out);
		src_list_free(&files);
		return 2;
	}
	struct geo geo;
	cli_default_geoip(&a);
	if (geo_open(&geo, a.geoip, a.asn, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s\n", err);
		free(agg);
		out_abort(&sess_out);
		out_abort(&stats_out);
		src_list_free(&files);
		return 2;
	}
	for (int i = 0; i < a.nlocal_nets; i++)
		geo_add_net(&geo, a.local_nets[i]);
	a.agg.geo = &geo;
	agg_init(agg, &agg_mem, &a.agg);
	struct anom anom;
	anom_init(&anom, &a.anom, &agg_mem);
	if (a.history) {
		anom.db = hist_open(a.history, err, sizeof(err));
		if (!anom.db) {
			fprintf(stderr, "smtptls: history %s\n", err);
			anom_free(&anom);
			agg_free(agg);
			geo_close(&geo);
			free(agg);
			out_abort(&sess_out);
			out_abort(&stats_out);
			src_list_free(&files);
			return 2;
		}
	}
	struct out_file alert_file = {0};
	struct alert_out alerts = {NULL, 0, a.alert_min, 0, 0};
	if (a.alerts) {
		if (out_open(&alert_file, a.alerts, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s\n", err);
			anom_free(&anom);
			agg_free(agg);
			geo_close(&geo);
			free(agg);
			out_abort(&sess_out);
			out_abort(&stats_out);
			src_list_free(&files);
			return 2;
		}
		alerts.fp = alert_file.fp;
	}
	struct out_file dump_file = {0};
	if (a.dump && (out_open(&dump_file, a.dump, err, sizeof(err)) != 0 ||
		       recdump_begin(dump_file.fp, sizeof(struct eng_health)) != 0)) {
		fprintf(stderr, "smtptls: %s\n", dump_file.fp ? "--dump: write failed" : err);
		out_abort(&dump_file);
		rc = 2;
	}
	struct run_sinks sinks = {&anom,
				  a.alerts ? &alerts : NULL,
				  a.dump && rc == 0 ? dump_file.fp : NULL,
				  a.sessions ? sess_out.fp : NULL,
				  agg,
				  0,
				  {NULL, 0, 0, 0}};
	long failed = rc == 0 ? run_files(&a, &files, &sinks) : -1;
	jsonw_free(&sinks.line);
	struct eng_health dump_health = agg->health;
	dump_health.files_failed += files.failed;
	if (a.dump && rc == 0 &&
	    (failed < 0 || recdump_health(dump_file.fp, &dump_health, sizeof(dump_health)) != 0 ||
	     out_commit(&dump_file, err, sizeof(err)) != 0)) {
		fprintf(stderr, "smtptls: %s: write failed\n", a.dump);
		out_abort(&dump_file);
		failed = -1;
	}
	if (anom.db && (hist_close(anom.db) != 0 || anom.db_errors)) {
		fprintf(stderr, "smtptls: %s: %llu history updates failed\n", a.history,
			(unsigned long long)anom.db_errors);
		rc = 2;
	}
	anom_free(&anom);
	if (a.alerts && (alerts.failed || out_commit(&alert_file, err, sizeof(err)) != 0)) {
		fprintf(stderr, "smtptls: %s: write failed\n", a.alerts);
		out_abort(&alert_file);
		failed = -1;
	}
	int run_failed = failed < 0; /* includes a failed write of the records */
	if (failed > 0 || files.failed)
		rc = 1;
	if (failed >= 0)
		agg->health.files_failed += files.failed;
	else
		rc = 2;

	if (a.sessions) {
		if (run_failed || out_commit(&sess_out, err, sizeof(err)) != 0) {
			if (run_failed)
				snprintf(err, sizeof(err), "%s: write failed", a.sessions);
			fprintf(stderr, "smtptls: %s\n", err);
			out_abort(&sess_out);
			rc = 2;
		}
	}
	if (a.stats) {
		json_t *j = agg_to_json(agg);
		if (!j ||
		    json_dumpf(j, stats_out.fp, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0 ||
		    fputc('\n', stats_out.fp) == EOF ||
		    out_commit(&stats_out, err, sizeof(err)) != 0) {
			if (!j)
				snprintf(err, sizeof(err), "%s: out of memory", a.stats);
			fprintf(stderr, "smtptls: %s\n", err);
			out_abort(&stats_out);
			rc = 2;
		}
		json_decref(j);
	}
	if (!a.sessions && !a.stats)
		agg_print_text(agg, stdout, a.top);
	if (files.n == 0 && rc == 0) {
		fprintf(stderr, "smtptls: no capture files to read\n");
		rc = 1;
	}
	agg_free(agg);
	geo_close(&geo);
	free(agg);
	src_list_free(&files);
	return rc;
}

static int main_history(int argc, char **argv)
{
	const char *path = NULL, *server = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("Usage: smtptls history FILE [--server IP]\n\n"
			       "Prints what a history file (analyze/live --history) knows about\n"
			       "each server: first and last seen, connections, STARTTLS offered\n"
			       "and used, TLS 1.3, the TLS versions seen.\n");
			return 0;
		}
		if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
			server = argv[++i];
		else if (argv[i][0] == '-' || path) {
			fprintf(stderr, "smtptls history: unexpected argument %s\n", argv[i]);
			return 2;
		} else
			path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "smtptls history: no file given\n");
		return 2;
	}
	char err[512];
	if (hist_print(path, server, stdout, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s\n", err);
		return 2;
	}
	return 0;
}

static void main_usage_merge(FILE *out)
{
	fprintf(out, "Usage: smtptls merge [-o FILE] SNAPSHOT.json...\n"
		     "\n"
		     "Adds statistics snapshots (smtptls analyze --stats) of disjoint inputs into\n"
		     "the snapshot of all of them: counters add exactly; a distribution that\n"
		     "overflowed its key limit in any input stays marked as truncated.\n"
		     "\n"
		     "  -o, --output FILE   where to write (default: standard output)\n");
}

static int main_merge(int argc, char **argv)
{
	const char *outp = "-";
	int ninputs = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			main_usage_merge(stdout);
			return 0;
		}
		if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
			if (i + 1 == argc) {
				fprintf(stderr, "smtptls merge: %s needs a file name\n", argv[i]);
				return 2;
			}
			outp = argv[++i];
			argv[i - 1] = argv[i] = NULL; /* not inputs */
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "smtptls merge: unknown option %s\n", argv[i]);
			return 2;
		}
		ninputs++;
	}
	if (ninputs == 0) {
		fprintf(stderr, "smtptls merge: no snapshot given\n");
		main_usage_merge(stderr);
		return 2;
	}
	struct mem mem = {0};
	struct agg *agg = malloc(sizeof(*agg));
	struct agg_cfg cfg = {CLI_DEFAULT_MAX_KEYS, CLI_DEFAULT_MAX_SERVERS, 0, NULL};
	if (!agg)
		return 2;
	agg_init(agg, &mem, &cfg);
	int rc = 0;
	char err[512];
	for (int i = 1; i < argc; i++) {
		if (!argv[i])
			continue;
		json_error_t jerr;
		json_t *j = json_load_file(argv[i], 0, &jerr);
		if (!j) {
			fprintf(stderr, "smtptls: %s: not JSON: %s (line %d)\n", argv[i], jerr.text,
				jerr.line);
			rc = 2;
			break;
		}
		if (agg_add_json(agg, j, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s: %s\n", argv[i], err);
			rc = 2;
		}
		json_decref(j);
		if (rc)
			break;
	}
	if (rc == 0) {
		struct out_file out;
		json_t *j = agg_to_json(agg);
		if (out_open(&out, outp, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s\n", err);
			rc = 2;
		} else if (!j ||
			   json_dumpf(j, out.fp, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0 ||
			   fputc('\n', out.fp) == EOF || out_commit(&out, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s: write failed\n", outp);
			out_abort(&out);
			rc = 2;
		}
		json_decref(j);
	}
	agg_free(agg);
	free(agg);
	return rc;
}

/* `smtptls cluster ...`: runs smtptls-cluster (docs/cluster.md), found beside
 * this binary (build tree) or in SMTPTLS_LIBEXECDIR, with SMTPTLS_BIN set. */
static int main_cluster(char **argv) /* argv[0] == "cluster" */
{
	char self[PATH_MAX], script[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "smtptls cluster: cannot find the smtptls binary: %s\n",
			strerror(errno));
		return 2;
	}
	self[n] = '\0';
	const char *slash = strrchr(self, '/');
	snprintf(script, sizeof(script), "%.*s/smtptls-cluster", (int)(slash ? slash - self : 0),
		 self);
	if (access(script, X_OK) != 0)
		snprintf(script, sizeof(script), "%s/smtptls-cluster", SMTPTLS_LIBEXECDIR);
	setenv("SMTPTLS_BIN", self, 0); /* a wrapper given by the caller wins */
	argv[0] = script;
	execv(script, argv);
	fprintf(stderr, "smtptls cluster: %s: %s\n", script, strerror(errno));
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		main_usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		main_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("smtptls %s (%s, jansson %s)\n", SMTPTLS_VERSION, pcap_lib_version(),
		       JANSSON_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		if (argc > 2 && strcmp(argv[2], "analyze") == 0)
			cli_usage_analyze(stdout);
		else if (argc > 2 && strcmp(argv[2], "merge") == 0)
			main_usage_merge(stdout);
		else if (argc > 2 && strcmp(argv[2], "live") == 0)
			cli_usage_live(stdout);
		else
			main_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "analyze") == 0)
		return main_analyze(argc - 1, argv + 1);
	if (strcmp(cmd, "merge") == 0)
		return main_merge(argc - 1, argv + 1);
	if (strcmp(cmd, "live") == 0)
		return live_main(argc - 1, argv + 1);
	if (strcmp(cmd, "history") == 0)
		return main_history(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (strcmp(cmd, "cluster") == 0)
		return main_cluster(argv + 1);
	fprintf(stderr, "smtptls: unknown command '%s'\n", cmd);
	main_usage(stderr);
	return 2;
}
