/* agg_pq.h — the post-quantum key exchange figures of the statistics
 * (snapshot section "pq", docs/metrics.md), from the records' TLS facts
 * (the client's offer and the verdict of tls_pq_verdict(), docs/tls.md).
 *
 * Every counter is a sum and each distribution a bounded agg_map, so the
 * figures of two shards merge into the figures of both. A run without a
 * ClientHello counts nothing here, and its snapshot has no "pq" section.
 *
 * Part of the aggregator (stats/sinks/agg.h), which calls these functions;
 * the struct lives inside struct agg.
 */
#ifndef SMTPTLS_AGG_PQ_H
#define SMTPTLS_AGG_PQ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dissectors/base/mem.h"
#include "stats/record/record.h"
#include "stats/sinks/agg_map.h"

#define AGG_PQ_VERDICTS 4 /* enum tls_pq */

/* Everything counted over the records with a (TLS) ClientHello. */
struct agg_pq {
	uint64_t hellos;		   /* records with a ClientHello (not SSLv2) */
	uint64_t verdict[AGG_PQ_VERDICTS]; /* by enum tls_pq */
	uint64_t offered;		   /* a PQ group in supported_groups */
	uint64_t shared;		   /* a PQ key share in the first ClientHello */
	uint64_t tls13;			   /* TLS 1.3 negotiated (the shares' denominator) */
	uint64_t tls13_offered;		   /* ... and the client offered a PQ group */
	uint64_t tls13_negotiated;	   /* ... and the group chosen is PQ */
	uint64_t hrr_to_pq;		   /* a HelloRetryRequest asked for a PQ group */
	uint64_t hrr_from_pq;	       /* ... for a classical one, the client having shared PQ */
	uint64_t segments_known;       /* the ClientHello's TCP segments were counted */
	uint64_t multi_segment;	       /* ... and it took more than one */
	uint64_t multi_segment_shared; /* ... of those, with a PQ key share */
	struct agg_map groups_offered; /* supported_groups, once per record */
	struct agg_map key_shares;     /* key_share groups, once per record */
	struct agg_map by_software;    /* TLS 1.3 only: AGG_PQ_BY_* per server software */
};

/* The counters of by_software (the same three the aggregator keeps per time
 * bucket, direction, country and AS). */
enum { AGG_PQ_BY_TLS13, AGG_PQ_BY_OFFERED, AGG_PQ_BY_NEGOTIATED, AGG_PQ_BY_COUNT };

/* Starts empty figures; distributions hold at most max_keys keys. */
void agg_pq_init(struct agg_pq *q, struct mem *mem, uint32_t max_keys);

/* Counts one record (nothing without a TLS ClientHello). */
void agg_pq_record(struct agg_pq *q, const struct rec *r);

/* Adds b into a. */
void agg_pq_merge(struct agg_pq *a, const struct agg_pq *b);

/* Whether nothing was counted (the snapshot then has no "pq" section). */
int agg_pq_empty(const struct agg_pq *q);

/* Sets root's "pq" section and adds the derived shares to root's "ratios",
 * unless nothing was counted. Returns 0, or -1 when out of memory. */
int agg_pq_to_json(const struct agg_pq *q, json_t *root);

/* Adds the "pq" section of snapshot root into q (none: nothing added).
 * Returns 0, or -1 with a reason in err. */
int agg_pq_add_json(struct agg_pq *q, const json_t *root, char *err, size_t errlen);

/* One line of the text summary, only when something was counted. */
void agg_pq_print_text(const struct agg_pq *q, FILE *out);

void agg_pq_free(struct agg_pq *q);

#endif
