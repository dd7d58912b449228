/* Unit tests for dissectors/proto/dns.c, DNS over TCP (RFC 7766 §8) and
 * UDP: three real answers of NSD over one connection (tests/unit/
 * dns_vectors.h) fed whole, byte by byte and cut at every byte through the
 * test feeder (tests/lib/feed.h), every answer checked with
 * dissect_violation(); the lengths cut, a length of 0, gaps, malformed
 * messages between good ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/proto/dns.h"
#include "dns_vectors.h"
#include "feed.h"

#define COL_MAX 32

struct col {
	struct dns_rr rr[COL_MAX]; /* the first COL_MAX records */
	size_t n;		   /* records delivered */
	size_t msgs;		   /* messages delivered (stream callback) */
	struct dns_msg last;	   /* the last message delivered */
};

static void col_rr(void *ctx, const struct dns_msg *m, const struct dns_rr *rr)
{
	struct col *c = ctx;
	(void)m;
	if (c->n < COL_MAX)
		c->rr[c->n] = *rr;
	c->n++;
}

static void col_msg(void *ctx, const struct dns_msg *m)
{
	struct col *c = ctx;
	c->msgs++;
	c->last = *m;
}

static struct col *col_new(void)
{
	struct col *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	return c;
}

/* ---- DNS over TCP ---- */

struct tcp {
	struct dns_stream s;
	struct col *c;
	uint64_t violations; /* answers dissect_violation() refused */
};

static struct dissect_result tcp_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct tcp *t = ctx;
	(void)dir;
	struct dissect_result r = dns_tcp_feed(&t->s, p, n);
	if (dissect_violation(&r, n))
		t->violations++;
	return r;
}

static void tcp_gap(void *ctx, int dir, uint64_t n)
{
	struct tcp *t = ctx;
	(void)dir;
	dns_tcp_gap(&t->s, n);
}

static const struct feed_ops tcp_ops = {tcp_feed, tcp_gap, NULL, NULL};

static void tcp_init(struct tcp *t, struct col *c)
{
	memset(t, 0, sizeof(*t));
	memset(c, 0, sizeof(*c));
	t->c = c;
	t->s.rr = col_rr;
	t->s.msg = col_msg;
	t->s.ctx = c;
}

/* Plays the stream through the feeder: whole (step 0, split 0), byte by
 * byte (step 1), or cut once at split. */
static void tcp_play(struct tcp *t, const uint8_t *p, size_t n, size_t step, size_t split)
{
	struct feed f;
	assert_int_equal(feed_init(&f, &tcp_ops, t, 4096), 0);
	const struct feed_seg seg = {0, p, n};
	feed_play(&f, &seg, 1, step, split);
	assert_int_equal(f.violations, 0);
	assert_int_equal(t->violations, 0);
	assert_int_equal(f.len[0], 0); /* nothing left over */
	feed_free(&f);
}

/* The three answers of v_tcp3 (tshark frames 66, 69, 71: 7, 8 and 12
 * records, the OPT of each not delivered). */
static void assert_tcp3(const struct tcp *t, const struct col *whole)
{
	assert_int_equal(t->s.events[DNS_EV_MESSAGE], 3);
	assert_int_equal(t->s.events[DNS_EV_MALFORMED], 0);
	assert_int_equal(t->s.dead, 0);
	assert_int_equal(t->c->msgs, 3);
	assert_int_equal(t->c->n, 6 + 7 + 11);
	assert_int_equal(t->c->last.id, 0x723f);
	if (whole)
		assert_memory_equal(t->c->rr, whole->rr, sizeof(whole->rr));
}

static void test_tcp_every_split(void **state)
{
	(void)state;
	struct col *whole = col_new(), *c = col_new();
	struct tcp t;
	tcp_init(&t, whole);
	tcp_play(&t, v_tcp3, sizeof(v_tcp3), 0, 0);
	assert_tcp3(&t, NULL);
	/* 66: TLSA 3 0 0 of mx2, its RRSIG, NS + RRSIG, A 127.0.0.1 + RRSIG */
	assert_string_equal(whole->rr[0].name, "_25._tcp.mx2.example.net");
	assert_int_equal(whole->rr[0].u.tlsa.full_digest, 1);
	assert_int_equal(whole->rr[2].type, DNS_T_NS);
	assert_int_equal(whole->rr[2].section, DNS_SEC_AUTHORITY);
	assert_int_equal(whole->rr[4].section, DNS_SEC_ADDITIONAL);
	/* 69: TLSA 2 1 2 first this time, then 3 1 1 */
	assert_int_equal(whole->rr[6].u.tlsa.usage, 2);
	assert_int_equal(whole->rr[7].u.tlsa.usage, 3);
	/* 71: MX 10 mx1, MX 20 mx2, ..., AAAA mx1 with TTL 300 */
	assert_int_equal(whole->rr[13].u.mx.pref, 10);
	assert_string_equal(whole->rr[14].u.mx.host, "mx2.example.net");
	assert_int_equal(whole->rr[22].type, DNS_T_AAAA);
	assert_int_equal(whole->rr[22].ttl, 300);
	assert_int_equal(whole->rr[23].u.rrsig.type_covered, DNS_T_AAAA);

	tcp_init(&t, c);
	tcp_play(&t, v_tcp3, sizeof(v_tcp3), 1, 0);
	assert_tcp3(&t, whole);
	for (size_t k = 1; k < sizeof(v_tcp3); k++) {
		tcp_init(&t, c);
		tcp_play(&t, v_tcp3, sizeof(v_tcp3), 0, k);
		assert_tcp3(&t, whole);
	}
	free(whole);
	free(c);
}

static void test_tcp_answers(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct tcp t;
	tcp_init(&t, c);
	/* the length cut: two bytes wanted */
	struct dissect_result r = dns_tcp_feed(&t.s, v_tcp3, 1);
	assert_int_equal(r.status, DISSECT_NEED_MORE);
	assert_int_equal(r.consumed, 0);
	assert_int_equal(r.needed, 2);
	assert_false(dissect_violation(&r, 1));
	/* the first message (822 bytes) cut: all of it wanted */
	size_t first = (size_t)(v_tcp3[0] << 8 | v_tcp3[1]);
	assert_int_equal(first, 820);
	r = dns_tcp_feed(&t.s, v_tcp3, 100);
	assert_int_equal(r.status, DISSECT_NEED_MORE);
	assert_int_equal(r.consumed, 0);
	assert_int_equal(r.needed, first + 2);
	assert_false(dissect_violation(&r, 100));
	/* the first whole and one byte of the second */
	r = dns_tcp_feed(&t.s, v_tcp3, first + 3);
	assert_int_equal(r.status, DISSECT_NEED_MORE);
	assert_int_equal(r.consumed, first + 2);
	assert_int_equal(r.needed, 2);
	assert_false(dissect_violation(&r, first + 3));
	assert_int_equal(t.s.events[DNS_EV_MESSAGE], 1);
	/* nothing offered */
	r = dns_tcp_feed(&t.s, v_tcp3, 0);
	assert_int_equal(r.status, DISSECT_OK);
	assert_int_equal(r.consumed, 0);
	/* a malformed message is counted, the stream goes on */
	static const uint8_t bad[] = {0, 3, 1, 2, 3, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	r = dns_tcp_feed(&t.s, bad, sizeof(bad));
	assert_int_equal(r.status, DISSECT_OK);
	assert_int_equal(r.consumed, sizeof(bad));
	assert_int_equal(t.s.events[DNS_EV_MALFORMED], 1);
	assert_int_equal(t.s.errors[DNS_E_TRUNC], 1);
	assert_int_equal(t.s.events[DNS_EV_MESSAGE], 2);
	free(c);
}

static void test_tcp_zero_length_and_gap(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct tcp t;
	/* a length of 0: the framing is lost, given up, then everything taken */
	static const uint8_t zero[] = {0, 0, 0, 12, 1, 2};
	tcp_init(&t, c);
	struct dissect_result r = dns_tcp_feed(&t.s, zero, sizeof(zero));
	assert_int_equal(r.status, DISSECT_INVALID);
	assert_int_equal(r.consumed, sizeof(zero));
	assert_false(dissect_violation(&r, sizeof(zero)));
	assert_true(t.s.dead);
	r = dns_tcp_feed(&t.s, v_tcp3, sizeof(v_tcp3));
	assert_int_equal(r.status, DISSECT_INVALID);
	assert_int_equal(r.consumed, sizeof(v_tcp3));
	assert_int_equal(t.s.events[DNS_EV_MESSAGE], 0);
	assert_int_equal(c->n, 0);
	/* a whole message, then a length of 0 in the same offer */
	uint8_t two[900];
	size_t first = 2 + (size_t)(v_tcp3[0] << 8 | v_tcp3[1]);
	memcpy(two, v_tcp3, first);
	two[first] = two[first + 1] = 0;
	tcp_init(&t, c);
	r = dns_tcp_feed(&t.s, two, first + 2);
	assert_int_equal(r.status, DISSECT_INVALID);
	assert_int_equal(r.consumed, first + 2);
	assert_int_equal(t.s.events[DNS_EV_MESSAGE], 1);

	/* a gap: given up and counted once; then every offer is taken */
	tcp_init(&t, c);
	dns_tcp_gap(&t.s, 0);
	assert_false(t.s.dead);
	r = dns_tcp_feed(&t.s, v_tcp3, first);
	assert_int_equal(r.status, DISSECT_OK);
	dns_tcp_gap(&t.s, 100);
	dns_tcp_gap(&t.s, 5);
	assert_true(t.s.dead);
	assert_int_equal(t.s.events[DNS_EV_GAP], 1);
	r = dns_tcp_feed(&t.s, v_tcp3 + first, sizeof(v_tcp3) - first);
	assert_int_equal(r.status, DISSECT_TRUNC);
	assert_int_equal(r.consumed, sizeof(v_tcp3) - first);
	assert_false(dissect_violation(&r, sizeof(v_tcp3) - first));
	assert_int_equal(t.s.events[DNS_EV_MESSAGE], 1);
	assert_int_equal(c->msgs, 1);

	/* a gap in the middle of the feeder's play: the feeder's kept bytes
	 * and the rest are lost, the stream ends there */
	tcp_init(&t, c);
	struct feed f;
	assert_int_equal(feed_init(&f, &tcp_ops, &t, 4096), 0);
	feed_bytes(&f, 0, v_tcp3, first + 10);
	feed_gap(&f, 0, 50);
	feed_bytes(&f, 0, v_tcp3 + first + 60, sizeof(v_tcp3) - first - 60);
	assert_int_equal(f.violations, 0);
	assert_int_equal(t.violations, 0);
	assert_int_equal(t.s.events[DNS_EV_MESSAGE], 1);
	assert_int_equal(t.s.events[DNS_EV_GAP], 1);
	feed_free(&f);
	free(c);
}

static void test_udp(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct tcp t;
	tcp_init(&t, c);
	dns_udp(&t.s, v_tlsa_mx1, sizeof(v_tlsa_mx1));
	dns_udp(&t.s, v_tlsa_mx1, sizeof(v_tlsa_mx1) - 1);
	dns_udp(&t.s, v_servfail, sizeof(v_servfail));
	dns_udp(&t.s, NULL, 0);
	assert_int_equal(t.s.events[DNS_EV_MESSAGE], 2);
	assert_int_equal(t.s.events[DNS_EV_MALFORMED], 2);
	assert_int_equal(t.s.errors[DNS_E_TRUNC], 2);
	assert_int_equal(c->msgs, 2);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->last.rcode, DNS_RCODE_SERVFAIL);
	/* callbacks may be NULL */
	t.s.rr = NULL;
	t.s.msg = NULL;
	dns_udp(&t.s, v_mx, sizeof(v_mx));
	assert_int_equal(t.s.events[DNS_EV_MESSAGE], 3);
	assert_int_equal(c->n, 3);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_every_split),
		cmocka_unit_test(test_tcp_answers),
		cmocka_unit_test(test_tcp_zero_length_and_gap),
		cmocka_unit_test(test_udp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
