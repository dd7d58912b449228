/* agg_unknown.h — facts the records could not show, counted apart
 * (snapshot section "unknown", docs/schema.md "Head-only captures"): a
 * connection read by packet heads (record head_only) has no STARTTLS offer,
 * no message count, no TLS version, suite or certificate to count, and
 * counting them as "no" would bias every ratio. Such records are left out
 * of the SMTP and TLS figures those facts feed and are counted here.
 *
 * Every counter is a sum, so two shards merge; a run without such records
 * has no "unknown" section. Part of the aggregator (stats/sinks/agg.h); the
 * struct lives inside struct agg.
 */
#ifndef SMTPTLS_AGG_UNKNOWN_H
#define SMTPTLS_AGG_UNKNOWN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "stats/record/record.h"

struct agg_unknown {
	uint64_t connections;	   /* records read by packet heads */
	uint64_t starttls_offered; /* ... with SMTP: whether STARTTLS was offered */
	uint64_t messages;	   /* ... with SMTP: messages and their bytes */
	uint64_t tls_version;	   /* ... with TLS: version, suite, certificate */
	uint64_t tls_established;  /* ... of those, established by the heads */
};

/* Counts r when its facts are partly unknown. Returns 1 when it did (the
 * SMTP and TLS figures then leave r out), else 0. */
int agg_unknown_record(struct agg_unknown *u, const struct rec *r);

void agg_unknown_merge(struct agg_unknown *a, const struct agg_unknown *b);

/* One line of the text summary when anything was counted. */
void agg_unknown_print_text(const struct agg_unknown *u, FILE *out);

/* Adds the "unknown" section to root when anything was counted. 0 or -1. */
int agg_unknown_to_json(const struct agg_unknown *u, json_t *root);

/* Adds a snapshot's "unknown" section (absent: nothing). 0, or -1 with err. */
int agg_unknown_add_json(struct agg_unknown *u, const json_t *root, char *err, size_t errlen);

#endif
