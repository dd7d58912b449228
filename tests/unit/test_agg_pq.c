/* Unit tests for stats/sinks/agg_pq.c: the post-quantum figures of the
 * snapshot (section "pq" and its ratios), from records whose TLS facts are
 * set by hand: exact counts and denominators, the section absent without a
 * ClientHello, merging halves equals the whole, and the section read back.
 * Also the breakdown the aggregator keeps (stats/sinks/agg.c): TLS 1.3
 * connections, PQ offered and PQ negotiated per time bucket and direction,
 * and per server software in the "pq" section. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/sinks/agg.h"
#include "stats/sinks/agg_pq.h"

/* One test connection: the client's groups and shares, the server's
 * answer (version 0: none), the group chosen, a HelloRetryRequest's group
 * and the ClientHello's segments. */
struct pspec {
	uint16_t groups[3], shares[2];
	uint16_t version, group, hrr;
	uint8_t segments;
	const char *banner; /* the SMTP greeting in the clear; NULL: none seen */
};

static const struct pspec specs[] = {
	/* Node 26 to Node 26: X25519MLKEM768, a 2-segment ClientHello */
	{{0x11ec, 0x001d, 0x0017}, {0x11ec, 0x001d}, 0x0304, 0x11ec, 0, 2, NULL},
	/* the same client to a server without ML-KEM */
	{{0x11ec, 0x001d, 0x0017}, {0x11ec, 0x001d}, 0x0304, 0x001d, 0, 2, "220 mx ESMTP Postfix"},
	/* x25519 share only; the server asks for X25519MLKEM768 */
	{{0x001d, 0x11ec, 0}, {0x001d, 0}, 0x0304, 0x11ec, 0x11ec, 1, "220 mx ESMTP Postfix"},
	/* X25519MLKEM768 share only; the server asks for secp256r1 */
	{{0x11ec, 0x0017, 0}, {0x11ec, 0}, 0x0304, 0x0017, 0x0017, 1, NULL},
	/* OpenSSL 3.0 over TLS 1.2 */
	{{0x001d, 0x0017, 0}, {0x001d, 0}, 0x0303, 0x001d, 0, 1, NULL},
	/* PQ offered, the connection died before the ServerHello */
	{{0x11ec, 0x001d, 0}, {0x11ec, 0}, 0, 0, 0, 2, NULL},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static void pq_rec(struct rec *r, unsigned i)
{
	const struct pspec *s = &specs[i];
	struct tls_facts *t = &r->tls;
	memset(r, 0, sizeof(*r));
	r->tls_valid = 1;
	t->client_hello = 1;
	for (unsigned k = 0; k < 3 && s->groups[k]; k++) {
		t->client_groups[t->n_client_groups++] = s->groups[k];
		t->client_pq_offered |= s->groups[k] == 0x11ec;
	}
	for (unsigned k = 0; k < 2 && s->shares[k]; k++) {
		t->client_shares[t->n_client_shares++] = s->shares[k];
		t->client_pq_share |= s->shares[k] == 0x11ec;
	}
	t->server_hello = s->version != 0;
	t->version = s->version;
	t->group = s->group;
	t->hrr_group = s->hrr;
	t->hello_retry = s->hrr != 0;
	t->client_hello_segments = s->segments;
	if (s->banner) {
		r->smtp_valid = 1;
		snprintf(r->smtp.banner, sizeof(r->smtp.banner), "%s", s->banner);
	}
}

static void add_range(struct agg_pq *q, unsigned from, unsigned to)
{
	struct rec *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	for (unsigned i = from; i < to; i++) {
		pq_rec(r, i);
		agg_pq_record(q, r);
	}
	free(r);
}

static json_int_t at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void check_ratio(const json_t *root, const char *key, json_int_t num, json_int_t den)
{
	const json_t *r = json_object_get(json_object_get(root, "ratios"), key);
	assert_non_null(r);
	assert_int_equal(at(r, "num"), num);
	assert_int_equal(at(r, "den"), den);
}

static void test_counts(void **state)
{
	(void)state;
	struct mem mem = {0};
	struct agg_pq q;
	agg_pq_init(&q, &mem, 100);
	json_t *empty = json_object();
	assert_true(agg_pq_empty(&q));
	assert_int_equal(agg_pq_to_json(&q, empty), 0);
	assert_null(json_object_get(empty, "pq"));
	json_decref(empty);

	add_range(&q, 0, NSPECS);
	json_t *root = json_object();
	assert_int_equal(agg_pq_to_json(&q, root), 0);
	const json_t *s = json_object_get(root, "pq");
	assert_non_null(s);
	assert_int_equal(at(s, "hellos"), 6);
	assert_int_equal(at(s, "negotiated"), 2);
	assert_int_equal(at(s, "offered_not_chosen"), 2);
	assert_int_equal(at(s, "not_offered"), 1);
	assert_int_equal(at(s, "unknown"), 1);
	assert_int_equal(at(s, "offered"), 5);
	assert_int_equal(at(s, "shared"), 4);
	assert_int_equal(at(s, "tls13"), 4);
	assert_int_equal(at(s, "tls13_offered"), 4);
	assert_int_equal(at(s, "tls13_negotiated"), 2);
	assert_int_equal(at(s, "hrr_to_pq"), 1);
	assert_int_equal(at(s, "hrr_from_pq"), 1);
	assert_int_equal(at(s, "segments_known"), 6);
	assert_int_equal(at(s, "multi_segment"), 3);
	assert_int_equal(at(s, "multi_segment_shared"), 3);
	const json_t *g = json_object_get(json_object_get(s, "groups_offered"), "keys");
	assert_int_equal(at(g, "X25519MLKEM768"), 5);
	assert_int_equal(at(g, "x25519"), 5);
	assert_int_equal(at(g, "secp256r1"), 4);
	const json_t *k = json_object_get(json_object_get(s, "key_shares"), "keys");
	assert_int_equal(at(k, "X25519MLKEM768"), 4);
	assert_int_equal(at(k, "x25519"), 4);
	check_ratio(root, "pq_offered_tls13", 4, 4);
	check_ratio(root, "pq_negotiated_tls13", 2, 4);
	check_ratio(root, "pq_offered_not_chosen", 2, 5);
	check_ratio(root, "client_hello_multi_segment", 3, 6);
	/* TLS 1.3 connections only, by server software */
	const json_t *sw = json_object_get(json_object_get(s, "by_software"), "keys");
	assert_int_equal(json_object_size(sw), 2);
	const json_t *pf = json_object_get(sw, "Postfix"), *un = json_object_get(sw, "unknown");
	assert_int_equal(at(pf, "tls13"), 2);
	assert_int_equal(at(pf, "tls13_pq_offered"), 2);
	assert_int_equal(at(pf, "tls13_pq_negotiated"), 1);
	assert_int_equal(at(un, "tls13"), 2);
	assert_int_equal(at(un, "tls13_pq_offered"), 2);
	assert_int_equal(at(un, "tls13_pq_negotiated"), 1);

	/* halves merged equal the whole; the section read back equals it too */
	struct agg_pq a, b, c;
	agg_pq_init(&a, &mem, 100);
	agg_pq_init(&b, &mem, 100);
	agg_pq_init(&c, &mem, 100);
	add_range(&a, 0, 3);
	add_range(&b, 3, NSPECS);
	agg_pq_merge(&a, &b);
	char err[128] = "";
	assert_int_equal(agg_pq_add_json(&c, root, err, sizeof(err)), 0);
	json_t *ja = json_object(), *jc = json_object();
	assert_int_equal(agg_pq_to_json(&a, ja), 0);
	assert_int_equal(agg_pq_to_json(&c, jc), 0);
	assert_true(json_equal(ja, root));
	assert_true(json_equal(jc, root));
	json_decref(ja);
	json_decref(jc);

	/* a count that is not one is refused with its key */
	json_t *bad = json_pack("{s:{s:s}}", "pq", "hellos", "x");
	assert_int_equal(agg_pq_add_json(&c, bad, err, sizeof(err)), -1);
	assert_string_equal(err, "pq.hellos: not a count");
	json_decref(bad);

	json_decref(root);
	agg_pq_free(&a);
	agg_pq_free(&b);
	agg_pq_free(&c);
	agg_pq_free(&q);
	assert_int_equal(mem.in_use, 0);
}

/* An SSLv2-compatible hello, or no TLS at all, counts nothing. */
static void test_nothing(void **state)
{
	(void)state;
	struct mem mem = {0};
	struct agg_pq q;
	agg_pq_init(&q, &mem, 100);
	struct rec *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	agg_pq_record(&q, r);
	r->tls_valid = 1;
	r->tls.client_hello = 1;
	r->tls.sslv2_client_hello = 1;
	agg_pq_record(&q, r);
	assert_true(agg_pq_empty(&q));
	free(r);
	agg_pq_free(&q);
	assert_int_equal(mem.in_use, 0);
}

/* The aggregator's breakdown: specs 0-2 in the first hour, 3-5 in the
 * second; without --local-net all in direction "external", with it (the
 * local network 192.0.2.0/24) specs 0-2 outbound, 3-5 inbound. */
#define HOUR 3600000000ull
#define T0   1796289600000000ull /* 2026-12-03T09:20:00Z */

static void agg_range(struct agg *a, unsigned from, unsigned to)
{
	struct rec *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	for (unsigned i = from; i < to; i++) {
		pq_rec(r, i);
		r->ts_us = T0 + (i < 3 ? 0 : HOUR);
		r->encryption = REC_ENC_STARTTLS;
		struct rec_ep *local = i < 3 ? &r->client : &r->server;
		r->client.family = r->server.family = 4;
		memcpy(r->client.addr, "\xc6\x33\x64\x07", 4); /* 198.51.100.7 */
		memcpy(r->server.addr, "\xcb\x00\x71\x19", 4); /* 203.0.113.25 */
		memcpy(local->addr, "\xc0\x00\x02\x0a", 4);    /* 192.0.2.10 */
		agg_record(a, r, NULL);
	}
	free(r);
}

static void check_out(const struct agg_map *m, const char *key, uint64_t tls13, uint64_t offered,
		      uint64_t negotiated)
{
	const uint64_t *v = agg_map_get(m, key);
	assert_non_null(v);
	assert_int_equal(v[AGG_OUT_TLS13], tls13);
	assert_int_equal(v[AGG_OUT_PQ_OFFERED], offered);
	assert_int_equal(v[AGG_OUT_PQ_NEGOTIATED], negotiated);
}

static void test_breakdown(void **state)
{
	(void)state;
	struct mem mem = {0};
	const struct agg_cfg cfg = {100, 100, HOUR, NULL};
	struct agg *w = calloc(4, sizeof(*w));
	assert_non_null(w);
	struct agg *a = &w[1], *b = &w[2], *c = &w[3];
	agg_init(w, &mem, &cfg);
	agg_range(w, 0, NSPECS);
	check_out(&w->time, "2026-12-03T09:00:00Z", 3, 3, 2);
	check_out(&w->time, "2026-12-03T10:00:00Z", 1, 1, 0);
	check_out(&w->by_direction, "external", 4, 4, 2);
	/* the denominators agree with the pq section */
	assert_int_equal(w->pq.tls13, 4);
	assert_int_equal(w->pq.tls13_offered, 4);
	assert_int_equal(w->pq.tls13_negotiated, 2);
	json_t *whole = agg_to_json(w);
	assert_non_null(whole);
	const json_t *hour = json_object_get(
		json_object_get(json_object_get(whole, "time"), "keys"), "2026-12-03T10:00:00Z");
	assert_int_equal(at(hour, "connections"), 3);
	assert_int_equal(at(hour, "tls13"), 1);
	assert_int_equal(at(hour, "tls13_pq_offered"), 1);
	assert_int_equal(at(hour, "tls13_pq_negotiated"), 0);

	/* halves merged equal the whole, and so does the snapshot read back */
	agg_init(a, &mem, &cfg);
	agg_init(b, &mem, &cfg);
	agg_init(c, &mem, &cfg);
	agg_range(a, 0, 2);
	agg_range(b, 2, NSPECS);
	agg_merge(a, b);
	char err[128] = "";
	assert_int_equal(agg_add_json(c, whole, err, sizeof(err)), 0);
	json_t *ja = agg_to_json(a), *jc = agg_to_json(c);
	assert_true(json_equal(ja, whole));
	assert_true(json_equal(jc, whole));
	json_decref(ja);
	json_decref(jc);

	/* a snapshot written before the breakdown existed reads back with
	 * zeros for it, the other counters of the bucket intact */
	agg_free(c);
	agg_init(c, &mem, &cfg);
	json_t *old = json_deep_copy(whole);
	json_t *h = json_object_get(json_object_get(json_object_get(old, "time"), "keys"),
				    "2026-12-03T09:00:00Z");
	json_object_del(h, "tls13");
	json_object_del(h, "tls13_pq_offered");
	json_object_del(h, "tls13_pq_negotiated");
	assert_int_equal(agg_add_json(c, old, err, sizeof(err)), 0);
	check_out(&c->time, "2026-12-03T09:00:00Z", 0, 0, 0);
	check_out(&c->time, "2026-12-03T10:00:00Z", 1, 1, 0);
	assert_int_equal(agg_map_get(&c->time, "2026-12-03T09:00:00Z")[AGG_OUT_CONNECTIONS], 3);
	json_decref(old);

	json_decref(whole);
	for (int i = 0; i < 4; i++)
		agg_free(&w[i]);

	/* by direction, with --local-net */
	struct geo *g = calloc(1, sizeof(*g));
	assert_non_null(g);
	assert_int_equal(geo_open(g, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(geo_add_net(g, "192.0.2.0/24"), 0);
	const struct agg_cfg gcfg = {100, 100, HOUR, g};
	agg_init(w, &mem, &gcfg);
	agg_range(w, 0, NSPECS);
	check_out(&w->by_direction, "outbound", 3, 3, 2);
	check_out(&w->by_direction, "inbound", 1, 1, 0);
	assert_null(agg_map_get(&w->by_direction, "external"));
	agg_free(w);
	geo_close(g);
	free(g);
	free(w);
	assert_int_equal(mem.in_use, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_breakdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
