/* agg_policy.h — the policy dry-run in the statistics (snapshot section
 * "policy", docs/metrics.md), from the judgement beside each record
 * (struct rec_verdict's policy, stats/sinks/policy.h).
 *
 * Per direction and per policy: connections by result, the plain-text
 * messages of failing connections (messages inside TLS cannot be counted),
 * failures by reason, and bounded maps of servers and recipient domains with
 * pass, fail and unknown counts, from which the failing servers and domains,
 * and the servers whose failures are intermittent, are derived. Every
 * counter is a sum and every map a bounded agg_map, so the figures of two
 * shards merge into the figures of both. Nothing judged (a merge of older
 * snapshots): no "policy" section.
 *
 * Part of the aggregator (stats/sinks/agg.h), which calls these functions;
 * the struct lives inside struct agg.
 */
#ifndef SMTPTLS_AGG_POLICY_H
#define SMTPTLS_AGG_POLICY_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dissectors/base/mem.h"
#include "stats/record/record.h"
#include "stats/sinks/agg_map.h"

/* Counters kept per server and per domain, for one policy and direction. */
enum agg_pol_key {
	AGG_POLK_FAIL,
	AGG_POLK_PASS,
	AGG_POLK_UNKNOWN,
	AGG_POLK_FAIL_MESSAGES, /* plain-text messages of its failing connections */
	AGG_POLK_COUNT
};

/* One policy in one direction. */
struct agg_pol_one {
	uint64_t results[REC_POL_RESULT_COUNT]; /* connections by enum rec_pol_result */
	uint64_t fail_messages;			/* plain-text messages of failing connections */
	uint64_t reasons[REC_POL_R_COUNT];	/* failing connections by reason */
	struct agg_map servers, domains;	/* judged (not not_applicable) ones only */
};

struct agg_policy {
	uint64_t connections;		    /* records judged */
	uint64_t by_dir[REC_POL_DIR_COUNT]; /* ... by direction */
	struct agg_pol_one p[REC_POL_DIR_COUNT][REC_POL_COUNT];
};

/* Starts empty figures: at most max_servers servers and max_keys domains
 * per policy and direction. */
void agg_policy_init(struct agg_policy *a, struct mem *mem, uint32_t max_servers,
		     uint32_t max_keys);

/* Counts one record's judgement (nothing when v is NULL or has none). */
void agg_policy_record(struct agg_policy *a, const struct rec *r, const struct rec_verdict *v);

/* Adds b into a. */
void agg_policy_merge(struct agg_policy *a, const struct agg_policy *b);

/* Sets root's "policy" section, unless nothing was judged. 0, or -1 when out
 * of memory. */
int agg_policy_to_json(const struct agg_policy *a, json_t *root);

/* Adds the "policy" section of snapshot root into a (none: nothing added).
 * 0, or -1 with a reason in err. */
int agg_policy_add_json(struct agg_policy *a, const json_t *root, char *err, size_t errlen);

/* Distinct servers of one policy in one direction: judged, failing at
 * least once, always failing (never passing), intermittent
 * (failing and passing); domains judged and failing. Exact unless a map was
 * truncated. */
struct agg_pol_distinct {
	uint64_t servers, failing, always, intermittent;
	uint64_t domains, domains_failing;
};
void agg_policy_distinct(const struct agg_pol_one *o, struct agg_pol_distinct *out);

/* A few lines of the text summary, unless nothing was judged. */
void agg_policy_print_text(const struct agg_policy *a, FILE *out);

void agg_policy_free(struct agg_policy *a);

#endif
