/* run.h — analysing a list of capture files.
 *
 * The work is cut into units: one per file (connections never span two
 * files), or, with --merge-files, one unit holding every file in the order of
 * their first packet (a rotated capture read as one stream). Each unit has its
 * own engine, statistics and temporary session file; N threads take units in
 * turn, and the results are put together strictly in unit order — records,
 * statistics and error messages alike — so `--jobs N` writes exactly what
 * `--jobs 1` writes. One file with --jobs N is split over N engines by
 * connection instead (split.h).
 */
#ifndef SMTPTLS_RUN_H
#define SMTPTLS_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "analyzer/app/cli.h"
#include "analyzer/capture/source.h"
#include "stats/sinks/agg.h"
#include "stats/sinks/alert.h"
#include "stats/sinks/anomaly.h"
#include "stats/record/rec_anon.h"
#include "dissectors/base/jsonw.h"
#include "dissectors/base/out.h"

/* Where finished records go, in order: detectors, the session log, the
 * statistics. Any member may be NULL. */
struct run_sinks {
	struct anom *anom;     /* detectors: their verdict goes beside the record, with
			    * the policy dry-run (stats/sinks/policy.h) */
	const struct geo *geo; /* local networks: the dry-run's direction (may be NULL) */
	struct alert_out *alerts;
	FILE *dump;			 /* binary records, as finished, before the detectors */
	FILE *sessions;			 /* JSON Lines */
	struct out_lines *session_lines; /* instead of sessions (live): a line
					  * that cannot be written is counted
					  * there, not a failure */
	struct agg *agg;
	int failed;	   /* a write failed */
	struct jsonw line; /* the record being written (owned; jsonw_free at the end) */
	/* --anonymize: each record is anonymised once, before any sink sees
	 * it, after its country, AS and local networks are taken from its real
	 * addresses (geo_carry); NULL: records go out as they are */
	struct rec_anon *anon;
	int anon_keep_local; /* names of local hosts are kept (--anon-keep-local) */
	struct rec *scratch; /* the anonymised copy (owned by the pipeline) */
	int anon_mismatch;   /* a record anonymised with another key was refused */
};

/* The record the sinks see: r itself without --anonymize or when r was
 * anonymised before with the same key; else r anonymised into s->scratch
 * (valid until the next call). A record anonymised with another key marks
 * the run failed (with one message) and is returned as it is. */
const struct rec *run_anon_view(struct run_sinks *s, const struct rec *r);

/* One finished record through every sink: the detectors judge it (and run
 * the policy dry-run on it), and the other sinks take the record with their
 * verdict. r is not changed. */
void run_emit(struct run_sinks *s, const struct rec *r);

/* A head length that says rec_json_head() failed (the record cannot be
 * written: the thread that writes marks the run failed, as it would itself). */
#define RUN_HEAD_FAILED UINT32_MAX

/* run_emit() for a record whose session line may be begun: head 0 nothing
 * yet (the line is written here from the start), 1 s->line holds the
 * record's JSON head (rec_json_head, made by another thread), -1 it could
 * not be made. */
void run_emit_head(struct run_sinks *s, const struct rec *r, int head);

/* Analyses files into the sinks. The health counters of every input are
 * added to sinks->agg. Returns the number of inputs that failed, or -1 when
 * the run itself failed (out of memory, a write error); messages go to
 * stderr. */
long run_files(const struct cli_analyze *a, const struct src_list *files, struct run_sinks *sinks);

#endif
