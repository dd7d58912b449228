/* agg.h — the statistics aggregator: exact counters over finished records plus
 * the capture's health counters. Every field is a sum (or a min/max for the
 * capture span and peaks), so two snapshots merge by adding them.
 */
#ifndef SMTPTLS_AGG_H
#define SMTPTLS_AGG_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "analyzer/decode.h"
#include "stats/record.h"

#define AGG_SNAPSHOT_VERSION 1

/* Health of the capture itself, filled by the engine. */
struct agg_health {
	uint64_t files;		    /* input files read (fully or partly) */
	uint64_t files_failed;	    /* inputs that could not be read to the end */
	uint64_t packets;	    /* frames read */
	uint64_t wire_bytes;	    /* their lengths on the wire */
	uint64_t captured_bytes;    /* bytes present in the capture */
	uint64_t tcp_packets;	    /* frames that decoded to TCP */
	uint64_t mail_packets;	    /* TCP segments on a mail port */
	uint64_t ts_backwards;	    /* frames older than one already seen */
	uint64_t first_us, last_us; /* capture span (0 when no packet) */
	struct dec_stats decode;    /* per-reason decode counters */
	uint64_t flows_evicted;	    /* flows pushed out of a full table */
	uint64_t flow_alloc_failed; /* packets dropped: no memory for a new flow */
	uint64_t rsm_refused_bytes; /* bytes not buffered: a reassembly limit */
	uint64_t rsm_peak_bytes;    /* most bytes buffered at once (merged by max) */
};

struct agg {
	struct agg_health health;
	uint64_t connections;
	uint64_t complete;
	uint64_t midstream;
	uint64_t by_end[REC_END_COUNT];
	uint64_t with_gaps; /* connections with bytes lost to the capture */
	uint64_t gap_bytes;
	uint64_t packets[2]; /* client, server */
	uint64_t bytes[2];
};

void agg_init(struct agg *a);

/* Adds one finished connection. */
void agg_record(struct agg *a, const struct rec *r);

/* Adds snapshot b into a (merging shards). */
void agg_merge(struct agg *a, const struct agg *b);

/* The snapshot as a new JSON object (caller owns it), or NULL. */
json_t *agg_to_json(const struct agg *a);

/* The short human summary. */
void agg_print_text(const struct agg *a, FILE *out);

#endif
