/* agg_pq.c — post-quantum key exchange figures over the records' TLS facts
 * (see agg_pq.h; every key is defined in docs/metrics.md, section "pq").
 *
 * Every counter is listed once, in agg_pq_visit(), with its name in the
 * snapshot's "pq" section; writing, reading back and merging all walk that
 * one list, as agg.c and agg_dns.c do for theirs.
 */
#include "stats/sinks/agg_pq.h"

#include <inttypes.h>
#include <string.h>

#include "dissectors/proto/ciphers.h"
#include "dissectors/proto/tls.h"

static const char *const agg_pq_by_names[AGG_PQ_BY_COUNT] = {
	[AGG_PQ_BY_TLS13] = "tls13",
	[AGG_PQ_BY_OFFERED] = "tls13_pq_offered",
	[AGG_PQ_BY_NEGOTIATED] = "tls13_pq_negotiated",
};

void agg_pq_init(struct agg_pq *q, struct mem *mem, uint32_t max_keys)
{
	memset(q, 0, sizeof(*q));
	agg_map_init(&q->groups_offered, mem, max_keys, 1, NULL);
	agg_map_init(&q->key_shares, mem, max_keys, 1, NULL);
	agg_map_init(&q->by_software, mem, max_keys, AGG_PQ_BY_COUNT, agg_pq_by_names);
}

void agg_pq_free(struct agg_pq *q)
{
	agg_map_free(&q->groups_offered);
	agg_map_free(&q->key_shares);
	agg_map_free(&q->by_software);
}

/* Calls fn for every counter: its key in the "pq" section, its address in
 * a, and the same counter of b (NULL when there is no b). */
typedef void (*agg_pq_fn)(void *ctx, const char *key, uint64_t *a, const uint64_t *b);

static void agg_pq_visit(struct agg_pq *a, const struct agg_pq *b, agg_pq_fn fn, void *ctx)
{
#define AGG_PQ_F(key, field) fn(ctx, key, &a->field, b ? &b->field : NULL)
	AGG_PQ_F("hellos", hellos);
	AGG_PQ_F("negotiated", verdict[TLS_PQ_NEGOTIATED]);
	AGG_PQ_F("offered_not_chosen", verdict[TLS_PQ_OFFERED_NOT_CHOSEN]);
	AGG_PQ_F("not_offered", verdict[TLS_PQ_NOT_OFFERED]);
	AGG_PQ_F("unknown", verdict[TLS_PQ_UNKNOWN]);
	AGG_PQ_F("offered", offered);
	AGG_PQ_F("shared", shared);
	AGG_PQ_F("tls13", tls13);
	AGG_PQ_F("tls13_offered", tls13_offered);
	AGG_PQ_F("tls13_negotiated", tls13_negotiated);
	AGG_PQ_F("hrr_to_pq", hrr_to_pq);
	AGG_PQ_F("hrr_from_pq", hrr_from_pq);
	AGG_PQ_F("segments_known", segments_known);
	AGG_PQ_F("multi_segment", multi_segment);
	AGG_PQ_F("multi_segment_shared", multi_segment_shared);
#undef AGG_PQ_F
}

/* Adds each distinct group of a list once. */
static void agg_pq_groups(struct agg_map *m, const uint16_t *v, unsigned n)
{
	char buf[SUITE_NAME_BUF];
	for (unsigned i = 0; i < n; i++) {
		unsigned k = 0;
		while (k < i && v[k] != v[i])
			k++;
		if (k == i)
			agg_map_add(m, suite_group_name(v[i], buf, sizeof(buf)), 0, 1);
	}
}

void agg_pq_record(struct agg_pq *q, const struct rec *r)
{
	const struct tls_facts *t = &r->tls;
	if (!r->tls_valid || !t->client_hello || t->sslv2_client_hello)
		return;
	enum tls_pq v = tls_pq_verdict(t);
	q->hellos++;
	q->verdict[(unsigned)v < AGG_PQ_VERDICTS ? v : TLS_PQ_UNKNOWN]++;
	q->offered += t->client_pq_offered != 0;
	q->shared += t->client_pq_share != 0;
	if (t->server_hello && t->version == 0x0304) {
		q->tls13++;
		q->tls13_offered += t->client_pq_offered != 0;
		q->tls13_negotiated += v == TLS_PQ_NEGOTIATED;
		const char *sw = r->smtp_valid ? smtp_server_software(&r->smtp) : NULL;
		if (!sw)
			sw = "unknown";
		agg_map_add(&q->by_software, sw, AGG_PQ_BY_TLS13, 1);
		if (t->client_pq_offered)
			agg_map_add(&q->by_software, sw, AGG_PQ_BY_OFFERED, 1);
		if (v == TLS_PQ_NEGOTIATED)
			agg_map_add(&q->by_software, sw, AGG_PQ_BY_NEGOTIATED, 1);
	}
	if (t->hrr_group) {
		int pq = suite_group_is_pq(t->hrr_group);
		q->hrr_to_pq += pq != 0;
		q->hrr_from_pq += !pq && t->client_pq_share != 0;
	}
	if (t->client_hello_segments) {
		q->segments_known++;
		q->multi_segment += t->client_hello_segments > 1;
		q->multi_segment_shared += t->client_hello_segments > 1 && t->client_pq_share;
	}
	agg_pq_groups(&q->groups_offered, t->client_groups,
		      t->n_client_groups < TLSD_MAX_GROUPS ? t->n_client_groups : TLSD_MAX_GROUPS);
	agg_pq_groups(&q->key_shares, t->client_shares,
		      t->n_client_shares < TLSD_MAX_SHARES ? t->n_client_shares : TLSD_MAX_SHARES);
}

static void agg_pq_add_fn(void *ctx, const char *key, uint64_t *a, const uint64_t *b)
{
	(void)ctx;
	(void)key;
	*a += *b;
}

void agg_pq_merge(struct agg_pq *a, const struct agg_pq *b)
{
	agg_pq_visit(a, b, agg_pq_add_fn, NULL);
	agg_map_merge(&a->groups_offered, &b->groups_offered);
	agg_map_merge(&a->key_shares, &b->key_shares);
	agg_map_merge(&a->by_software, &b->by_software);
}

static void agg_pq_nonzero_fn(void *ctx, const char *key, uint64_t *a, const uint64_t *b)
{
	(void)key;
	(void)b;
	*(int *)ctx |= *a != 0;
}

int agg_pq_empty(const struct agg_pq *q)
{
	int any = 0;
	agg_pq_visit((struct agg_pq *)(uintptr_t)q, NULL, agg_pq_nonzero_fn, &any);
	return !any && q->groups_offered.used == 0 && q->key_shares.used == 0 &&
	       q->groups_offered.other[0] == 0 && q->key_shares.other[0] == 0 &&
	       q->by_software.used == 0 && q->by_software.other[0] == 0;
}

/* ---- the snapshot ------------------------------------------------------- */

static void agg_pq_json_fn(void *ctx, const char *key, uint64_t *a, const uint64_t *b)
{
	(void)b;
	json_object_set_new(ctx, key, json_integer((json_int_t)*a));
}

static json_t *agg_pq_ratio(uint64_t num, uint64_t den)
{
	return json_pack("{s:I,s:I,s:o}", "num", (json_int_t)num, "den", (json_int_t)den, "share",
			 den ? json_real((double)num / (double)den) : json_null());
}

int agg_pq_to_json(const struct agg_pq *q, json_t *root)
{
	if (agg_pq_empty(q))
		return 0;
	json_t *o = json_object();
	if (!o || json_object_set_new(root, "pq", o) != 0)
		return -1;
	agg_pq_visit((struct agg_pq *)(uintptr_t)q, NULL, agg_pq_json_fn, o);
	json_object_set_new(o, "groups_offered", agg_map_json(&q->groups_offered));
	json_object_set_new(o, "key_shares", agg_map_json(&q->key_shares));
	json_object_set_new(o, "by_software", agg_map_json(&q->by_software));
	json_t *r = json_object_get(root, "ratios");
	if (!json_is_object(r)) {
		r = json_object();
		if (!r || json_object_set_new(root, "ratios", r) != 0)
			return -1;
	}
	/* Derived, never merged nor read back. */
	json_object_set_new(r, "pq_offered_tls13", agg_pq_ratio(q->tls13_offered, q->tls13));
	json_object_set_new(r, "pq_negotiated_tls13", agg_pq_ratio(q->tls13_negotiated, q->tls13));
	json_object_set_new(r, "pq_offered_not_chosen",
			    agg_pq_ratio(q->verdict[TLS_PQ_OFFERED_NOT_CHOSEN], q->offered));
	json_object_set_new(r, "client_hello_multi_segment",
			    agg_pq_ratio(q->multi_segment, q->segments_known));
	return 0;
}

struct agg_pq_read {
	const json_t *pq;
	int bad;
	char *err;
	size_t errlen;
};

static void agg_pq_read_fn(void *ctx, const char *key, uint64_t *a, const uint64_t *b)
{
	struct agg_pq_read *rd = ctx;
	(void)b;
	const json_t *x = json_object_get(rd->pq, key);
	if (!x)
		return; /* absent: 0 */
	if (!json_is_integer(x) || json_integer_value(x) < 0) {
		if (!rd->bad)
			snprintf(rd->err, rd->errlen, "pq.%s: not a count", key);
		rd->bad = 1;
		return;
	}
	uint64_t n = (uint64_t)json_integer_value(x);
	if (n > (uint64_t)INT64_MAX - *a) {
		if (!rd->bad)
			snprintf(rd->err, rd->errlen, "pq.%s: count too large to add", key);
		rd->bad = 1;
		return;
	}
	*a += n;
}

static void agg_pq_read_map(struct agg_pq_read *rd, const char *key, struct agg_map *m)
{
	const json_t *x = json_object_get(rd->pq, key);
	if (!x || rd->bad)
		return;
	if (agg_map_add_json(m, x) != 0) {
		snprintf(rd->err, rd->errlen,
			 "pq.%s: not a distribution, or a count too large to add", key);
		rd->bad = 1;
	}
}

int agg_pq_add_json(struct agg_pq *q, const json_t *root, char *err, size_t errlen)
{
	const json_t *pq = json_object_get(root, "pq");
	if (!pq)
		return 0;
	if (!json_is_object(pq)) {
		snprintf(err, errlen, "pq: not an object");
		return -1;
	}
	struct agg_pq_read rd = {pq, 0, err, errlen};
	agg_pq_visit(q, NULL, agg_pq_read_fn, &rd);
	agg_pq_read_map(&rd, "groups_offered", &q->groups_offered);
	agg_pq_read_map(&rd, "key_shares", &q->key_shares);
	agg_pq_read_map(&rd, "by_software", &q->by_software);
	return rd.bad ? -1 : 0;
}

/* ---- the text summary ----------------------------------------------------- */

void agg_pq_print_text(const struct agg_pq *q, FILE *out)
{
	if (agg_pq_empty(q))
		return;
	fprintf(out,
		"  post-quantum       offered %" PRIu64 ", negotiated %" PRIu64 " of %" PRIu64
		" TLS 1.3 connection%s; offered, not chosen %" PRIu64 "\n",
		q->tls13_offered, q->tls13_negotiated, q->tls13, q->tls13 == 1 ? "" : "s",
		q->verdict[TLS_PQ_OFFERED_NOT_CHOSEN]);
}
