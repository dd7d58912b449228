/* Unit tests for analyzer/net/rsm.c: order, retransmission, overlap, wrap-around,
 * gaps, limits, the consumer's pending tail, allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/net/rsm.h"

/* What the consumer saw: bytes, with each gap written as "<gap N>". */
struct got {
	char buf[65536];
	size_t n;
	uint64_t gap_total;
	int line_mode; /* consume only whole lines */
};

static size_t got_data(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct got *g = ctx;
	(void)dir;
	size_t take = n;
	if (g->line_mode) {
		take = 0;
		for (size_t i = 0; i < n; i++)
			if (p[i] == '\n')
				take = i + 1;
	}
	assert_true(g->n + take < sizeof(g->buf));
	memcpy(g->buf + g->n, p, take);
	g->n += take;
	return take;
}

static void got_gap(void *ctx, int dir, uint64_t n)
{
	struct got *g = ctx;
	(void)dir;
	g->gap_total += n;
	g->n += (size_t)snprintf(g->buf + g->n, sizeof(g->buf) - g->n, "<gap %llu>",
				 (unsigned long long)n);
}

static const struct rsm_ops got_ops = {got_data, got_gap};

struct fixture {
	struct mem mem;
	struct rsm_cfg cfg;
	struct rsm_budget budget;
	struct rsm_dir d;
	struct got got;
	struct rsm_sink sink;
};

static struct fixture *fx_new(uint32_t max_buffer)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->cfg.max_buffer = max_buffer;
	f->cfg.max_total = 1u << 30;
	f->sink.ops = &got_ops;
	f->sink.ctx = &f->got;
	f->sink.dir = 0;
	f->sink.cfg = &f->cfg;
	f->sink.budget = &f->budget;
	f->sink.mem = &f->mem;
	return f;
}

static void fx_free(struct fixture *f)
{
	rsm_dir_free(&f->d, &f->sink);
	assert_int_equal(f->budget.held, 0);
	assert_int_equal(f->mem.in_use, 0);
	free(f);
}

static void seg(struct fixture *f, uint32_t seq, const char *s)
{
	size_t n = strlen(s);
	rsm_segment(&f->d, &f->sink, seq, (const uint8_t *)s, (uint32_t)n, (uint32_t)n, 0);
}

static const char TEXT[] = "220 mx.example.net ESMTP\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
#define TLEN (sizeof(TEXT) - 1)

/* Sends TEXT as the segments that start at cuts[0..k), in the given order. */
static void send_cut(struct fixture *f, uint32_t isn, const size_t *cuts, size_t k,
		     const size_t *order)
{
	for (size_t i = 0; i < k; i++) {
		size_t j = order ? order[i] : i;
		size_t from = cuts[j], to = j + 1 < k ? cuts[j + 1] : TLEN;
		rsm_segment(&f->d, &f->sink, isn + 1 + (uint32_t)from, (const uint8_t *)TEXT + from,
			    (uint32_t)(to - from), (uint32_t)(to - from), 0);
	}
}

static void test_in_order_and_every_split(void **state)
{
	(void)state;
	for (size_t cut = 0; cut <= TLEN; cut++) {
		for (int swap = 0; swap < 2; swap++) {
			struct fixture *f = fx_new(65536);
			rsm_syn(&f->d, 5000);
			size_t cuts[2] = {0, cut};
			size_t order[2] = {(size_t)swap, (size_t)!swap};
			send_cut(f, 5000, cuts, 2, order);
			rsm_flush(&f->d, &f->sink);
			assert_int_equal(f->got.n, TLEN);
			assert_memory_equal(f->got.buf, TEXT, TLEN);
			assert_int_equal(f->d.gap_bytes, 0);
			fx_free(f);
		}
	}
}

static void permute(size_t *a, size_t n, size_t k, void (*fn)(const size_t *, size_t))
{
	if (k == n) {
		fn(a, n);
		return;
	}
	for (size_t i = k; i < n; i++) {
		size_t t = a[k];
		a[k] = a[i];
		a[i] = t;
		permute(a, n, k + 1, fn);
		t = a[k];
		a[k] = a[i];
		a[i] = t;
	}
}

static void check_order(const size_t *order, size_t n)
{
	static const size_t cuts[5] = {0, 7, 20, 33, 41};
	struct fixture *f = fx_new(65536);
	rsm_syn(&f->d, 0xfffffff0u); /* the stream crosses 2^32 */
	send_cut(f, 0xfffffff0u, cuts, n, order);
	assert_int_equal(f->got.n, TLEN);
	assert_memory_equal(f->got.buf, TEXT, TLEN);
	assert_int_equal(f->d.next, (uint32_t)(0xfffffff0u + 1 + TLEN));
	fx_free(f);
}

static void test_out_of_order_every_permutation_with_wrap(void **state)
{
	(void)state;
	size_t order[5] = {0, 1, 2, 3, 4};
	permute(order, 5, 0, check_order);
}

static void test_retransmission_and_overlap(void **state)
{
	(void)state;
	struct fixture *f = fx_new(65536);
	rsm_syn(&f->d, 99);
	seg(f, 100, "220 mx");
	seg(f, 100, "220 mx");	  /* full retransmission */
	seg(f, 103, " mx.exa");	  /* partial overlap with new bytes */
	seg(f, 120, "ESMTP\r\n"); /* ahead */
	seg(f, 118, "t ESM");	  /* overlaps the queued segment, same bytes */
	seg(f, 115, "XYZ");	  /* queued region... */
	seg(f, 115, "QQQ");	  /* ...re-sent with other bytes: a conflict */
	seg(f, 110, "mple.");
	rsm_flush(&f->d, &f->sink);
	assert_string_equal(f->got.buf, "220 mx.example.XYZt ESMTP\r\n");
	assert_int_equal(f->d.retransmitted, 2);
	assert_int_equal(f->d.overlap_conflicts, 1);
	assert_int_equal(f->d.gap_bytes, 0);
	fx_free(f);
}

static void test_conflicting_resend_of_delivered_bytes(void **state)
{
	(void)state;
	struct fixture *f = fx_new(65536);
	rsm_syn(&f->d, 0);
	seg(f, 1, "MAIL FROM:<a@example.org>\r\n");
	seg(f, 1, "MAIL FROM:<a@example.org>\r\n"); /* a plain retransmission */
	assert_int_equal(f->d.overlap_conflicts, 0);
	seg(f, 1, "MAIL FROM:<z@example.net>\r\n"); /* same range, other bytes */
	assert_int_equal(f->d.overlap_conflicts, 1);
	assert_int_equal(f->d.retransmitted, 2);
	assert_string_equal(f->got.buf, "MAIL FROM:<a@example.org>\r\n"); /* first copy kept */
	fx_free(f);
}

static void test_gap_declared_at_flush_and_by_ack(void **state)
{
	(void)state;
	struct fixture *f = fx_new(65536);
	rsm_syn(&f->d, 0);
	seg(f, 1, "AAAA");
	seg(f, 9, "CCCC"); /* bytes 5..8 never captured */
	assert_string_equal(f->got.buf, "AAAA");
	rsm_ack(&f->d, &f->sink, 5); /* acks only what we have: nothing lost yet */
	assert_int_equal(f->d.gap_bytes, 0);
	rsm_ack(&f->d, &f->sink, 13); /* the receiver had 5..8: capture loss */
	assert_string_equal(f->got.buf, "AAAA<gap 4>CCCC");
	assert_int_equal(f->d.gaps, 1);
	/* more loss at the end: acknowledged by the peer, never seen */
	rsm_ack(&f->d, &f->sink, 20);
	rsm_flush(&f->d, &f->sink);
	assert_string_equal(f->got.buf, "AAAA<gap 4>CCCC<gap 7>");
	assert_int_equal(f->d.gap_bytes, 11);
	fx_free(f);

	/* a hole before the FIN is declared lost at the end */
	f = fx_new(65536);
	rsm_syn(&f->d, 0);
	seg(f, 1, "AB");
	rsm_segment(&f->d, &f->sink, 6, (const uint8_t *)"F", 1, 1, 1);
	assert_int_equal(f->d.fin_done, 0);
	rsm_flush(&f->d, &f->sink);
	assert_int_equal(f->d.fin_done, 1);
	assert_string_equal(f->got.buf, "AB<gap 3>F");
	fx_free(f);
}

static void test_midstream_pickup_and_snaplen(void **state)
{
	(void)state;
	struct fixture *f = fx_new(65536);
	seg(f, 777777, "250 OK\r\n"); /* no SYN: synchronise on the first data */
	assert_int_equal(f->d.midstream, 1);
	/* a segment of 10 bytes of which 4 were captured */
	rsm_segment(&f->d, &f->sink, 777785, (const uint8_t *)"MAIL", 4, 10, 0);
	seg(f, 777795, "Z");
	assert_string_equal(f->got.buf, "250 OK\r\nMAIL<gap 6>Z");
	fx_free(f);
}

static void test_buffer_limit_declares_holes(void **state)
{
	(void)state;
	struct fixture *f = fx_new(16);
	rsm_syn(&f->d, 0);
	seg(f, 1, "A");
	seg(f, 3, "0123456789"); /* queued: 10 bytes held */
	assert_int_equal(f->budget.held, 10);
	seg(f, 20, "abcdefghij"); /* would hold 20 > 16: the first hole goes */
	assert_true(f->budget.held <= 16);
	assert_string_equal(f->got.buf, "A<gap 1>0123456789");
	seg(f, 50, "0123456789abcdefXYZ"); /* larger than the limit by itself */
	assert_true(f->budget.held <= 16);
	rsm_flush(&f->d, &f->sink);
	assert_string_equal(f->got.buf,
			    "A<gap 1>0123456789<gap 7>abcdefghij<gap 20>0123456789abcdefXYZ");
	fx_free(f);

	/* the run-wide limit works the same way */
	f = fx_new(1 << 20);
	f->cfg.max_total = 8;
	rsm_syn(&f->d, 0);
	seg(f, 5, "12345");
	seg(f, 20, "6789");
	assert_true(f->budget.held <= 8);
	assert_true(f->budget.refused > 0);
	rsm_flush(&f->d, &f->sink);
	fx_free(f);
}

static void test_pending_tail(void **state)
{
	(void)state;
	/* a consumer that takes whole lines only sees the same lines, whatever
	 * the segmentation */
	for (size_t cut = 1; cut < TLEN; cut++) {
		struct fixture *f = fx_new(65536);
		f->got.line_mode = 1;
		rsm_syn(&f->d, 10);
		size_t cuts[2] = {0, cut};
		send_cut(f, 10, cuts, 2, NULL);
		assert_int_equal(f->got.n, TLEN);
		assert_memory_equal(f->got.buf, TEXT, TLEN);
		assert_int_equal(f->d.pend_len, 0);
		fx_free(f);
	}
	/* a line longer than the buffer: the consumer is told it is lost */
	struct fixture *f = fx_new(1024);
	f->got.line_mode = 1;
	rsm_syn(&f->d, 0);
	char big[800];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	seg(f, 1, big);
	seg(f, 800, big);
	assert_true(f->got.gap_total >= 799);
	assert_true(f->budget.held <= 1024);
	seg(f, 1599, "\r\nOK\r\n");
	rsm_flush(&f->d, &f->sink);
	fx_free(f);
}

/* Every allocation failing in turn: nothing crashes, nothing leaks, and the
 * bytes that could not be held are reported as lost. */
static void test_allocation_failures(void **state)
{
	(void)state;
	for (uint64_t fail = 1; fail < 12; fail++) {
		struct fixture *f = fx_new(65536);
		f->mem.fail_at = fail;
		f->got.line_mode = 1;
		rsm_syn(&f->d, 0);
		seg(f, 30, "DDDD\n");
		seg(f, 20, "CCCC\n");
		seg(f, 1, "AAAA");
		seg(f, 5, "BBBBBBBBBBBBBBB\n");
		seg(f, 10, "ZZZ");
		rsm_flush(&f->d, &f->sink);
		assert_true(f->got.n > 0);
		fx_free(f);
	}
}

/* A consumer that claims one byte more than it was offered. */
static size_t greedy_data(void *ctx, int dir, const uint8_t *p, size_t n)
{
	(void)ctx, (void)dir, (void)p;
	return n + 1;
}

static const struct rsm_ops greedy_ops = {greedy_data, got_gap};

/* An overlong answer breaks the consumer contract: counted, never trusted
 * (the offer is taken as consumed, nothing is kept), both without a pending
 * tail and through one. */
static void test_consumer_claims_too_much(void **state)
{
	(void)state;
	struct fixture *f = fx_new(65536);
	rsm_syn(&f->d, 100);
	seg(f, 101, "EHLO a\r\n");
	assert_int_equal(f->d.contract_violations, 0);
	f->sink.ops = &greedy_ops;
	seg(f, 109, "EHLO b\r\n");
	assert_int_equal(f->d.contract_violations, 1);
	assert_int_equal(f->budget.held, 0);
	f->sink.ops = &got_ops;
	f->got.line_mode = 1;
	seg(f, 117, "EHLO"); /* kept: a partial line */
	assert_true(f->budget.held > 0);
	f->sink.ops = &greedy_ops;
	seg(f, 121, " c\r\n");
	assert_int_equal(f->d.contract_violations, 2);
	assert_int_equal(f->budget.held, 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_and_every_split),
		cmocka_unit_test(test_out_of_order_every_permutation_with_wrap),
		cmocka_unit_test(test_retransmission_and_overlap),
		cmocka_unit_test(test_conflicting_resend_of_delivered_bytes),
		cmocka_unit_test(test_gap_declared_at_flush_and_by_ack),
		cmocka_unit_test(test_midstream_pickup_and_snaplen),
		cmocka_unit_test(test_buffer_limit_declares_holes),
		cmocka_unit_test(test_pending_tail),
		cmocka_unit_test(test_allocation_failures),
		cmocka_unit_test(test_consumer_claims_too_much),
	};
	return cmocka_run_group_tests_name("rsm", tests, NULL, NULL);
}
