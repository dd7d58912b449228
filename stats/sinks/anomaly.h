/* anomaly.h — the anomaly detectors (docs/anomalies.md).
 *
 * anom_judge() looks at one finished record and returns the anomalies it
 * shows in a verdict beside it (the record itself is read-only): per-connection detectors judge the record alone; cross-connection
 * detectors compare it with what this run has seen of the same server (and
 * client) before, in record order. The history is bounded (max_hosts servers,
 * as many client/server pairs); what does not fit is counted, never grown.
 *
 * Ownership: struct anom owns its history tables; anom_free() releases them.
 */
#ifndef SMTPTLS_ANOMALY_H
#define SMTPTLS_ANOMALY_H

#include <stdint.h>

#include "dissectors/base/mem.h"
#include "stats/sinks/agg_map.h"
#include "stats/sinks/history.h"
#include "stats/record/record.h"

struct anom_cfg {
	uint64_t fallback_window_us; /* plaintext_fallback: retry within this time */
	uint32_t max_hosts;	     /* servers (and client/server pairs) remembered */
};

/* What the spki map keeps per server. */
enum anom_key_val {
	ANOM_KEY_LAST,	     /* the key (SPKI) it showed last, short form */
	ANOM_KEY_LAST_VALID, /* whether that connection's chain was valid */
	ANOM_KEY_PREVIOUS,   /* the key it showed before that one */
	ANOM_KEY_LOADED,     /* the history file was consulted */
	ANOM_KEY_COUNT
};

/* What the hosts and pools maps keep per server or pool: the history's
 * values (enum hist_val), then the state of this run that the flap counters
 * are counted from. */
enum anom_host_val {
	ANOM_H_LAST = HIST_COUNT, /* the last connection: 1 EHLO accepted without
				   * STARTTLS, 2 TLS failed; earlier in the run:
				   * 4 STARTTLS offered, 8 TLS worked */
	ANOM_H_KEY_LAST,	  /* the last key (anom_key_id), and the one before */
	ANOM_H_KEY_PREVIOUS,
	ANOM_H_COUNT
};

struct anom {
	const struct anom_cfg *cfg;
	struct agg_map hosts;	 /* server -> what it did before (enum anom_host_val) */
	struct agg_map pools;	 /* "net 192.0.2.0/24:25", "name mx.example:25" -> the same */
	struct agg_map attempts; /* client>server -> [0] end of the last failed TLS attempt,
				  * [1] ... of the last one whose ClientHello carried a
				  * post-quantum key share and got no ServerHello */
	struct agg_map spki;	 /* server -> its recent keys (enum anom_key_val) */
	struct hist *db;	 /* --history file, or NULL (borrowed) */
	uint64_t db_errors;	 /* history reads that failed (writes: hist_health) */
};

void anom_init(struct anom *a, const struct anom_cfg *cfg, struct mem *mem);

/* Fills v (the caller's) with the anomalies of r, per-connection and
 * against the history, then records r in the history. */
void anom_judge(struct anom *a, const struct rec *r, struct rec_verdict *v);

/* The same for a connection still running: the history is consulted but
 * not changed, and detectors that need the connection's end wait for it. */
void anom_judge_provisional(struct anom *a, const struct rec *r, struct rec_verdict *v);

/* What the detectors knew of r's server before r: the history the
 * cross-connection detectors judge r against (memory, else the --history
 * file). Read only: nothing is recorded. */
struct anom_past {
	uint64_t connections;	   /* earlier connections to the server */
	uint64_t starttls_offered; /* ... in which it offered STARTTLS */
	uint8_t key_known;	   /* a certificate of it was observed before */
	uint8_t key_valid;	   /* ... and the last one's chain was valid */
};
void anom_past(struct anom *a, const struct rec *r, struct anom_past *out);

void anom_free(struct anom *a);

#endif
