/* cmd.c — the commands analyze, merge, history and tlsrpt. */
#include "analyzer/app/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analyzer/app/cli.h"
#include "analyzer/app/pipeline.h"
#include "analyzer/app/run.h"
#include "analyzer/app/tlsrpt.h"
#include "analyzer/capture/sandbox.h"
#include "analyzer/capture/source.h"
#include "stats/record/recdump.h"
#include "stats/sinks/history.h"

/* The record dump (--dump) ends with the health counters of the whole run,
 * then is renamed into place. Returns failed, or -1 when that failed. */
static long cmd_analyze_commit_dump(struct pipeline *p, long failed)
{
	char err[512];
	struct eng_health dump_health = p->agg->health;
	dump_health.files_failed += p->files.failed;
	if (failed < 0 || recdump_health(p->dump.fp, &dump_health, sizeof(dump_health)) != 0 ||
	    out_commit(&p->dump, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s: write failed\n", p->a.dump);
		out_abort(&p->dump);
		return -1;
	}
	return failed;
}

/* After the run: each output is committed (renamed into place) or, when
 * the run or its writing failed, discarded; the exit status says which. */
static int cmd_analyze_commit(struct pipeline *p, long failed, int rc)
{
	const struct cli_analyze *a = &p->a;
	char err[512];
	if (a->dump && rc == 0)
		failed = cmd_analyze_commit_dump(p, failed);
	if (pipeline_close_history(p, stderr) != 0)
		rc = 2;
	if (a->alerts && (p->alerts.failed || out_commit(&p->alert_file, err, sizeof(err)) != 0)) {
		fprintf(stderr, "smtptls: %s: write failed\n", a->alerts);
		out_abort(&p->alert_file);
		failed = -1;
	}
	int run_failed = failed < 0; /* includes a failed write of the records */
	if (failed > 0 || p->files.failed)
		rc = 1;
	if (failed >= 0)
		p->agg->health.files_failed += p->files.failed;
	else
		rc = 2;
	if (a->sessions && (run_failed || out_commit(&p->sessions, err, sizeof(err)) != 0)) {
		if (run_failed)
			snprintf(err, sizeof(err), "%s: write failed", a->sessions);
		fprintf(stderr, "smtptls: %s\n", err);
		out_abort(&p->sessions);
		rc = 2;
	}
	if (a->stats) {
		json_t *j = agg_to_json(p->agg);
		pipeline_history_json(p, j);
		if (pipeline_mark_json(p, j) != 0 || pipeline_write_json(j, p->stats.fp) != 0 ||
		    out_commit(&p->stats, err, sizeof(err)) != 0) {
			if (!j)
				snprintf(err, sizeof(err), "%s: out of memory", a->stats);
			fprintf(stderr, "smtptls: %s\n", err);
			out_abort(&p->stats);
			rc = 2;
		}
		json_decref(j);
	}
	if (!a->sessions && !a->stats) {
		agg_print_text(p->agg, stdout, a->top);
		if (a->history)
			printf("    history          %llu writes deferred, %llu updates lost\n",
			       (unsigned long long)p->hist.write_failures,
			       (unsigned long long)p->hist.updates_lost);
	}
	if (p->files.n == 0 && rc == 0) {
		fprintf(stderr, "smtptls: no capture files to read\n");
		rc = 1;
	}
	return rc;
}

static int cmd_analyze_run(struct pipeline *p)
{
	const struct cli_analyze *a = &p->a;
	char err[512];
	unsigned net = a->history && hist_needs_network(a->history) ? SANDBOX_NET : 0;
	if (!a->no_sandbox && sandbox_enter(net, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s (--no-sandbox runs without it)\n", err);
		return 2;
	}
	if (a->bpf && src_check_bpf(a->bpf, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls: %s\n", err);
		return 2;
	}
	for (int i = 0; i < a->ninputs; i++) {
		if (src_expand(&p->files, a->inputs[i], stderr) != 0) {
			fprintf(stderr, "smtptls: out of memory listing inputs\n");
			return 2;
		}
	}
	if (pipeline_open(p, PIPELINE_ANALYZE, stderr) != 0)
		return 2;
	int rc = 0;
	if (a->dump && (out_open(&p->dump, a->dump, err, sizeof(err)) != 0 ||
			recdump_begin(p->dump.fp, sizeof(struct eng_health)) != 0)) {
		fprintf(stderr, "smtptls: %s\n", p->dump.fp ? "--dump: write failed" : err);
		out_abort(&p->dump);
		rc = 2;
	}
	p->sinks.dump = a->dump && rc == 0 ? p->dump.fp : NULL;
	long failed = rc == 0 ? run_files(a, &p->files, &p->sinks) : -1;
	return cmd_analyze_commit(p, failed, rc);
}

int cmd_analyze(int argc, char **argv)
{
	struct cli_analyze a;
	switch (cli_parse(&a, CLI_ANALYZE, argc, argv, stdout, stderr)) {
	case CLI_DONE: return 0;
	case CLI_USAGE: return 2;
	case CLI_RUN: break;
	}
	struct pipeline *p = malloc(sizeof(*p));
	if (!p) {
		fprintf(stderr, "smtptls: out of memory\n");
		return 2;
	}
	int rc = pipeline_begin(p, &a, stderr) != 0 ? 2 : cmd_analyze_run(p);
	pipeline_close(p);
	free(p);
	return rc;
}

/* Anonymised snapshots: all inputs must say the same ("anonymized" and its
 * key, or nothing), and with --anonymize they must have been made with
 * that key: a snapshot's names and addresses cannot be anonymised after the
 * fact (analyze --records --anonymize does it from record dumps). The mark
 * of the first input is kept in *mark. 0, or -1 with a message. */
static int cmd_merge_mark(const struct pipeline *p, const char *path, const json_t *j, int first,
			  json_t **mark)
{
	const json_t *m = json_object_get(j, "anonymized");
	const json_t *id = json_object_get(m, "key_id");
	const char *key = json_is_string(id) ? json_string_value(id) : NULL;
	if (p->a.anonymize && (!key || strcmp(key, p->anon.key_id) != 0)) {
		fprintf(stderr,
			"smtptls: %s: %s; merge --anonymize adds only snapshots made with "
			"analyze --anonymize and the same key\n",
			path, key ? "anonymised with another key" : "not anonymised");
		return -1;
	}
	if (first) {
		*mark = m ? json_deep_copy(m) : NULL;
		return 0;
	}
	/* json_equal() says NULL differs from NULL */
	if ((*mark || m) && !json_equal(*mark, m)) {
		fprintf(stderr,
			"smtptls: %s: anonymised %s the first snapshot: snapshots of one study are "
			"all anonymised with one key and the same options, or none is\n",
			path, key ? "otherwise than" : "while not as");
		return -1;
	}
	return 0;
}

/* Adds each snapshot into p->agg; 0 or 2 with a message. *mark: the
 * inputs' "anonymized" (owned by the caller), or NULL. */
static int cmd_merge_inputs(struct pipeline *p, json_t **mark)
{
	char err[512];
	for (int i = 0; i < p->a.ninputs; i++) {
		const char *path = p->a.inputs[i];
		json_error_t jerr;
		json_t *j = json_load_file(path, 0, &jerr);
		if (!j) {
			fprintf(stderr, "smtptls: %s: not JSON: %s (line %d)\n", path, jerr.text,
				jerr.line);
			return 2;
		}
		if (cmd_merge_mark(p, path, j, i == 0, mark) != 0) {
			json_decref(j);
			return 2;
		}
		int rc = agg_add_json(p->agg, j, err, sizeof(err));
		json_decref(j);
		if (rc != 0) {
			fprintf(stderr, "smtptls: %s: %s\n", path, err);
			return 2;
		}
	}
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	struct cli_analyze a;
	switch (cli_parse(&a, CLI_MERGE, argc, argv, stdout, stderr)) {
	case CLI_DONE: return 0;
	case CLI_USAGE: return 2;
	case CLI_RUN: break;
	}
	struct pipeline *p = calloc(1, sizeof(*p));
	if (!p)
		return 2;
	p->a = a;
	json_t *mark = NULL;
	int rc = pipeline_open(p, PIPELINE_MERGE, stderr) != 0 ? 2 : cmd_merge_inputs(p, &mark);
	if (rc == 0) {
		char err[512];
		json_t *j = agg_to_json(p->agg);
		if (j && mark && json_object_set(j, "anonymized", mark) != 0) {
			json_decref(j);
			j = NULL;
		}
		if (out_open(&p->stats, a.output, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s\n", err);
			rc = 2;
		} else if (pipeline_write_json(j, p->stats.fp) != 0 ||
			   out_commit(&p->stats, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtptls: %s: write failed\n", a.output);
			rc = 2;
		}
		json_decref(j);
	}
	json_decref(mark);
	pipeline_close(p);
	free(p);
	return rc;
}

int cmd_history(int argc, char **argv)
{
	struct cli_analyze a;
	switch (cli_parse(&a, CLI_HISTORY, argc, argv, stdout, stderr)) {
	case CLI_DONE: return 0;
	case CLI_USAGE: return 2;
	case CLI_RUN: break;
	}
	char err[512];
	int rc;
	if (a.hist_export || a.hist_import) {
		const char *f = a.hist_export ? a.hist_export : a.hist_import;
		int std = strcmp(f, "-") == 0;
		FILE *io = std ? (a.hist_export ? stdout : stdin)
			       : fopen(f, a.hist_export ? "w" : "r");
		if (!io) {
			fprintf(stderr, "smtptls: %s: %s\n", f, strerror(errno));
			return 2;
		}
		rc = a.hist_export ? hist_export(a.inputs[0], io, err, sizeof(err))
				   : hist_import(a.inputs[0], io, err, sizeof(err));
		if ((!std && fclose(io) != 0) || (std && fflush(io) != 0)) {
			if (rc == 0)
				snprintf(err, sizeof(err), "%s: write failed", f);
			rc = -1;
		}
	} else {
		rc = hist_print(a.inputs[0], a.server, stdout, err, sizeof(err));
	}
	if (rc != 0) {
		fprintf(stderr, "smtptls: %s\n", err);
		return 2;
	}
	return 0;
}

int cmd_tlsrpt(int argc, char **argv)
{
	struct cli_analyze a;
	switch (cli_parse(&a, CLI_TLSRPT, argc, argv, stdout, stderr)) {
	case CLI_DONE: return 0;
	case CLI_USAGE: return 2;
	case CLI_RUN: break;
	}
	const struct tlsrpt_cfg cfg = {a.org, a.contact, a.output};
	return tlsrpt_run(&cfg, a.inputs, a.ninputs, stderr);
}
