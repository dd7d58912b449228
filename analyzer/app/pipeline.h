/* pipeline.h — what analyze, live and merge set up around the engine, set up
 * and torn down in one place.
 *
 * A pipeline holds the run's options, the trust store, the statistics, the
 * country and AS databases, the detectors with their history file, the
 * alert writer and the output files analyze writes atomically, and the
 * sinks (run.h) that tie them together. pipeline_begin() loads the trust
 * store and the DNS data given with --dns-data and --mta-sts-policies (so
 * that a bad CA or data file stops the run before it starts);
 * pipeline_open() sets up the rest that a command needs, in one order, with
 * one cleanup path; pipeline_close() releases whatever was set up, whether
 * the run went well or not.
 *
 * Ownership: struct pipeline owns everything it points to (statistics,
 * databases, history, output files, the trust store); the configurations
 * inside it point into its own copy of the options, so it must not be
 * copied once open.
 */
#ifndef SMTPTLS_PIPELINE_H
#define SMTPTLS_PIPELINE_H

#include <stdio.h>

#include <jansson.h>

#include "analyzer/app/cli.h"
#include "analyzer/app/run.h"
#include "analyzer/capture/source.h"
#include "dissectors/base/out.h"
#include "dissectors/proto/anon.h"
#include "dissectors/proto/psl.h"
#include "stats/record/rec_anon.h"
#include "stats/sinks/geo.h"

enum pipeline_kind {
	PIPELINE_ANALYZE, /* statistics, geo, detectors, history, and the outputs */
	PIPELINE_LIVE,	  /* the same without the outputs: live appends to its own
			   * (and sets sinks.sessions and alerts.fp itself) */
	PIPELINE_MERGE,	  /* statistics only, which snapshots are added into */
};

struct pipeline {
	struct cli_analyze a; /* the options (a copy; configurations point into it) */
	struct mem mem;	      /* accounting of the statistics and detectors */
	struct agg *agg;      /* owned */
	struct geo geo;
	struct anom anom; /* anom.db: the --history file (owned here) */
	struct alert_out alerts;
	struct out_file sessions, stats, alert_file, dump; /* analyze's outputs */
	struct src_list files;				   /* the inputs, expanded */
	struct run_sinks sinks;
	struct dnsview *dns_given; /* the DNS data given to the run (owned), or NULL */
	struct anon anon;	   /* --anonymize: the key's mappings */
	struct rec_anon rec_anon;  /* ... as applied to records (sinks.anon points here) */
	struct psl *psl;	   /* --anon-keep-suffix: the Public Suffix List (owned) */
	struct rec *scratch;	   /* the anonymised copy of a record (owned) */
	unsigned opened;	   /* what pipeline_close() releases (internal bits) */
	struct hist_health hist;   /* what the history could not write, once closed */
};

/* Copies the options into p (which is zeroed first) and loads the trust
 * store. 0, or -1 with a message on err. */
int pipeline_begin(struct pipeline *p, const struct cli_analyze *a, FILE *err);

/* Sets up what the kind of run needs, in order: analyze's session and
 * statistics files, the statistics, the country and AS databases and local
 * networks, the detectors and the history file, analyze's alert file; then
 * the sinks. 0, or -1 with a message on err (what was set up stays for
 * pipeline_close). */
int pipeline_open(struct pipeline *p, enum pipeline_kind kind, FILE *err);

/* The anonymisation of --anonymize, when given: the key, the Public Suffix
 * List of --anon-keep-suffix, and the sinks pointed at them. pipeline_open
 * calls it; merge (which has no sinks) too. 0, or -1 with a message. */
int pipeline_open_anon(struct pipeline *p, FILE *err);

/* Marks a statistics snapshot as anonymised with the run's key
 * ("anonymized": {"key_id": ...}); nothing without --anonymize. 0 or -1. */
int pipeline_mark_json(const struct pipeline *p, json_t *j);

/* Releases everything set up; output files not committed are discarded. */
void pipeline_close(struct pipeline *p);

/* Writes what is pending in the --history file and closes it; what could
 * not be written stays in p->hist. -1 when updates were lost or reads
 * failed, with a message on err. 0 without a history file. */
int pipeline_close_history(struct pipeline *p, FILE *err);

/* With --history: adds health.history (writes deferred, updates lost,
 * pending, reads failed) to the statistics snapshot j. */
void pipeline_history_json(const struct pipeline *p, json_t *j);

/* Writes a statistics snapshot as every command writes it: indented JSON
 * and a newline. 0 or -1. */
int pipeline_write_json(json_t *j, FILE *fp);

/* Points a capture file's packets (src_read_file) at an engine: its link
 * types, its packets, its end of input, its file and connection counts. */
void pipeline_engine_source(struct src_sink *s, struct engine *e);

/* `smtptls --list-inputs PATH...`: the capture files the inputs expand to,
 * one per line, in the order analyze reads them (directories walked the
 * same way: src_expand). Problems go to err. Returns the exit status: 0, 1
 * when an input could not be listed, 2 when out of memory. */
int pipeline_list_inputs(int n, char **inputs, FILE *out, FILE *err);

#endif
