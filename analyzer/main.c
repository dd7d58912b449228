/* main.c — the smtptls command: subcommand dispatch and `analyze`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "analyzer/cli.h"
#include "analyzer/engine.h"
#include "analyzer/source.h"
#include "stats/agg.h"
#include "stats/out.h"
#include "stats/record.h"

/* JSON numbers: 15 significant digits keep microseconds exact for durations
 * below 10^9 seconds and print 0.25 as 0.25. */
#define MAIN_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

struct main_writer {
	FILE *fp;
	int failed;
};

static void main_write_record(void *ctx, const struct rec *r)
{
	struct main_writer *w = ctx;
	json_t *j = rec_to_json(r);
	if (!j || json_dumpf(j, w->fp, MAIN_JSON_FLAGS) != 0 || fputc('\n', w->fp) == EOF)
		w->failed = 1;
	json_decref(j);
}

static void main_agg_record(void *ctx, const struct rec *r)
{
	agg_record(ctx, r);
}

static void main_usage(FILE *out)
{
	fprintf(out, "Usage: smtptls COMMAND [OPTIONS] ...\n"
		     "\n"
		     "A passive SMTP TLS traffic analyzer: follows every SMTP connection in\n"
		     "packet captures and reports how it was (or was not) encrypted.\n"
		     "\n"
		     "Commands:\n"
		     "  analyze PCAP|DIR...   analyse capture files\n"
		     "  help [COMMAND]        show help\n"
		     "\n"
		     "Options:\n"
		     "  -h, --help            show this help\n"
		     "  -V, --version         show the version\n"
		     "\n"
		     "Run 'smtptls analyze --help' for the options of a command.\n");
}

static int main_analyze(int argc, char **argv)
{
	struct cli_analyze a;
	switch (cli_parse_analyze(&a, argc, argv, stdout, stderr)) {
	case CLI_DONE: return 0;
	case CLI_USAGE: return 2;
	case CLI_RUN: break;
	}
	char err[512];
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

	struct engine *e = malloc(sizeof(*e));
	struct agg *agg = malloc(sizeof(*agg));
	if (!e || !agg || eng_init(e, &a.cfg) != 0) {
		fprintf(stderr, "smtptls: out of memory setting up (try a smaller --max-flows)\n");
		free(e);
		free(agg);
		out_abort(&sess_out);
		out_abort(&stats_out);
		src_list_free(&files);
		return 2;
	}
	agg_init(agg);
	struct main_writer writer = {sess_out.fp, 0};
	if (a.sessions)
		eng_add_sink(e, main_write_record, &writer);
	eng_add_sink(e, main_agg_record, agg);

	struct src_progress progress = {0};
	progress.enabled = !a.quiet && isatty(STDERR_FILENO);
	progress.files_total = files.n;
	struct src_opts opts = {a.bpf, &progress};
	size_t failed = files.failed;
	for (size_t i = 0; i < files.n; i++) {
		if (src_read_file(e, files.paths[i], &opts, err, sizeof(err)) != 0) {
			src_progress_end(&progress);
			fprintf(stderr, "smtptls: %s\n", err);
			failed++;
		}
	}
	src_progress_end(&progress);
	eng_free(e);
	agg->health = e->health;
	agg->health.files_failed = failed;
	if (failed)
		rc = 1;

	if (a.sessions) {
		if (writer.failed || out_commit(&sess_out, err, sizeof(err)) != 0) {
			if (writer.failed)
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
		agg_print_text(agg, stdout);
	if (files.n == 0 && rc == 0) {
		fprintf(stderr, "smtptls: no capture files to read\n");
		rc = 1;
	}
	free(e);
	free(agg);
	src_list_free(&files);
	return rc;
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
		else
			main_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "analyze") == 0)
		return main_analyze(argc - 1, argv + 1);
	fprintf(stderr, "smtptls: unknown command '%s'\n", cmd);
	main_usage(stderr);
	return 2;
}
