/* Unit tests for stats/sinks/agg_pq.c: the post-quantum figures of the
 * snapshot (section "pq" and its ratios), from records whose TLS facts are
 * set by hand: exact counts and denominators, the section absent without a
 * ClientHello, merging halves equals the whole, and the section read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/sinks/agg_pq.h"

/* One test connection: the client's groups and shares, the server's
 * answer (version 0: none), the group chosen, a HelloRetryRequest's group
 * and the ClientHello's segments. */
struct pspec {
	uint16_t groups[3], shares[2];
	uint16_t version, group, hrr;
	uint8_t segments;
};

static const struct pspec specs[] = {
	/* Node 26 to Node 26: X25519MLKEM768, a 2-segment ClientHello */
	{{0x11ec, 0x001d, 0x0017}, {0x11ec, 0x001d}, 0x0304, 0x11ec, 0, 2},
	/* the same client to a server without ML-KEM */
	{{0x11ec, 0x001d, 0x0017}, {0x11ec, 0x001d}, 0x0304, 0x001d, 0, 2},
	/* x25519 share only; the server asks for X25519MLKEM768 */
	{{0x001d, 0x11ec, 0}, {0x001d, 0}, 0x0304, 0x11ec, 0x11ec, 1},
	/* X25519MLKEM768 share only; the server asks for secp256r1 */
	{{0x11ec, 0x0017, 0}, {0x11ec, 0}, 0x0304, 0x0017, 0x0017, 1},
	/* OpenSSL 3.0 over TLS 1.2 */
	{{0x001d, 0x0017, 0}, {0x001d, 0}, 0x0303, 0x001d, 0, 1},
	/* PQ offered, the connection died before the ServerHello */
	{{0x11ec, 0x001d, 0}, {0x11ec, 0}, 0, 0, 0, 2},
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
