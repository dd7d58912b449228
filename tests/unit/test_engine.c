/* Unit tests for analyzer/session/engine.c: when and how connections end, roles,
 * eviction, port reuse, allocation failures. Packets are raw IPv4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/dlt.h>

#include "analyzer/app/cli.h"
#include "analyzer/session/engine.h"
#include "pktbuild.h"

static const uint8_t C[4] = {192, 0, 2, 10};
static const uint8_t S[4] = {198, 51, 100, 25};

struct recs {
	struct rec r[64];
	int n;
};

static void collect(void *ctx, const struct rec *r)
{
	struct recs *rs = ctx;
	assert_true(rs->n < 64);
	rs->r[rs->n++] = *r;
}

struct fx {
	struct eng_cfg cfg;
	struct engine e;
	struct recs recs;
};

static struct fx *fx_new(uint32_t max_flows)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[128];
	assert_int_equal(cli_parse_ports("25,587,465", f->cfg.mail_ports, err, sizeof(err)), 0);
	cli_default_limits(&f->cfg);
	f->cfg.max_flows = max_flows;
	assert_int_equal(eng_init(&f->e, &f->cfg), 0);
	eng_add_sink(&f->e, collect, &f->recs);
	return f;
}

static void fx_free(struct fx *f)
{
	eng_free(&f->e);
	assert_int_equal(f->e.mem.in_use, 0);
	free(f);
}

/* Sends one segment; from_client picks the direction. */
static void tx(struct fx *f, uint64_t ts, int from_client, uint16_t cport, uint32_t seq,
	       uint32_t ack, unsigned flags, const char *data)
{
	struct pb p = {0};
	size_t n = data ? strlen(data) : 0;
	pb_ipv4(&p, from_client ? C : S, from_client ? S : C, 20 + n, 0, 0);
	pb_tcp(&p, from_client ? cport : 25, from_client ? 25 : cport, seq, ack, flags, data, n);
	eng_packet(&f->e, DLT_RAW, ts, p.b, (uint32_t)p.n, (uint32_t)p.n);
}

enum { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 };

/* A whole SMTP-like exchange on client port cport starting at t (µs). */
static void conversation(struct fx *f, uint64_t t, uint16_t cport, int close)
{
	tx(f, t + 0, 1, cport, 1000, 0, SYN, NULL);
	tx(f, t + 1, 0, cport, 5000, 1001, SYN | ACK, NULL);
	tx(f, t + 2, 1, cport, 1001, 5001, ACK, NULL);
	tx(f, t + 3, 0, cport, 5001, 1001, PSH | ACK, "220 mx ESMTP\r\n");
	tx(f, t + 4, 1, cport, 1001, 5015, PSH | ACK, "EHLO c\r\n");
	tx(f, t + 5, 0, cport, 5015, 1009, PSH | ACK, "250 mx\r\n");
	if (close) {
		tx(f, t + 6, 1, cport, 1009, 5023, FIN | ACK, NULL);
		tx(f, t + 7, 0, cport, 5023, 1010, FIN | ACK, NULL);
		tx(f, t + 8, 1, cport, 1010, 5024, ACK, NULL);
	}
}

static void test_fin_close_lingers_then_ends(void **state)
{
	(void)state;
	struct fx *f = fx_new(100);
	conversation(f, 1000000, 40000, 1);
	assert_int_equal(f->recs.n, 0); /* closed, lingering */
	tx(f, 1000000 + ENG_CLOSE_LINGER_US - 1, 1, 40000, 1010, 5024, ACK, NULL); /* absorbed */
	assert_int_equal(f->recs.n, 0);
	/* capture time passes the linger: the record leaves before the end of input */
	tx(f, 1000008 + ENG_CLOSE_LINGER_US, 1, 40099, 7000, 0, SYN, NULL);
	assert_int_equal(f->recs.n, 1);
	const struct rec *r = &f->recs.r[0];
	assert_int_equal(r->end, REC_END_FIN);
	assert_true(r->complete);
	assert_int_equal(r->packets[0], 6);
	assert_int_equal(r->packets[1], 4);
	assert_int_equal(r->bytes[0], 8);
	assert_int_equal(r->bytes[1], 22);
	assert_int_equal(r->tcp.stream_bytes[0], 8);
	assert_int_equal(r->client.port, 40000);
	assert_int_equal(r->server.port, 25);
	assert_memory_equal(r->client.addr, C, 4);
	assert_int_equal(r->ts_us, 1000000);
	assert_int_equal(r->end_us, 1000000 + ENG_CLOSE_LINGER_US - 1);
	assert_int_equal(r->gap_bytes, 0);
	fx_free(f);
}

static void test_rst_lingers_then_ends(void **state)
{
	(void)state;
	struct fx *f = fx_new(100);
	conversation(f, 0, 40001, 0);
	tx(f, 10, 0, 40001, 5023, 1009, RST | ACK, NULL);
	tx(f, 20, 1, 40001, 1009, 0, RST, NULL); /* absorbed by the linger */
	assert_int_equal(f->recs.n, 0);
	conversation(f, ENG_CLOSE_LINGER_US + 20, 40002, 1); /* time moves on */
	assert_int_equal(f->recs.n, 1);
	assert_int_equal(f->recs.r[0].end, REC_END_RST);
	assert_int_equal(f->recs.r[0].packets[0], 4);
	assert_true(f->recs.r[0].complete);
	fx_free(f);
}

/* A connection closed both ways keeps only its packed record while it
 * lingers: dissectors freed; a late segment is counted on the wire but its
 * bytes past the FINs are not dissected; the record is what it would be. */
static void test_closed_keeps_packed_record(void **state)
{
	(void)state;
	struct fx *f = fx_new(100);
	conversation(f, 0, 40060, 0);
	struct flow *fl = f->e.flows.head[FLOW_ACTIVE];
	assert_non_null(fl);
	assert_non_null(fl->sess.app);
	assert_null(fl->packed);
	tx(f, 6, 1, 40060, 1009, 5023, FIN | ACK, NULL);
	tx(f, 7, 0, 40060, 5023, 1010, FIN | ACK, NULL);
	assert_ptr_equal(f->e.flows.head[FLOW_CLOSING], fl);
	assert_null(fl->sess.app); /* given back at the close */
	assert_non_null(fl->packed);
	assert_true(fl->packed_len < sizeof(struct rec) / 4);
	tx(f, 8, 1, 40060, 1010, 5024, ACK, NULL);
	tx(f, 9, 0, 40060, 5024, 1010, PSH | ACK, "250 late\r\n"); /* past the FIN */
	eng_end_input(&f->e);
	assert_int_equal(f->recs.n, 1);
	const struct rec *r = &f->recs.r[0];
	assert_int_equal(r->end, REC_END_FIN);
	assert_true(r->complete);
	assert_int_equal(r->packets[0], 5);
	assert_int_equal(r->packets[1], 5);
	assert_int_equal(r->bytes[1], 32);	      /* the late bytes are on the wire */
	assert_int_equal(r->tcp.stream_bytes[1], 22); /* and not in the dialogue */
	assert_true(r->smtp_valid);
	assert_int_equal(r->encryption, REC_ENC_PLAINTEXT);
	fx_free(f);
}

/* Records leave in the order the connections closed, however they closed: a
 * connection reset first is not overtaken by one closed with FIN after it. */
static void test_records_in_close_order(void **state)
{
	(void)state;
	struct fx *f = fx_new(100);
	conversation(f, 0, 40006, 0);  /* begins first, still open at the end */
	conversation(f, 50, 40005, 0); /* begins second, closes last */
	conversation(f, 100, 40003, 0);
	tx(f, 110, 0, 40003, 5023, 1009, RST | ACK, NULL);
	conversation(f, 200, 40004, 1);
	tx(f, 300, 1, 40005, 1009, 5023, FIN | ACK, NULL);
	tx(f, 301, 0, 40005, 5023, 1010, FIN | ACK, NULL); /* last ACK never seen */
	assert_int_equal(f->recs.n, 0);
	eng_end_input(&f->e);
	assert_int_equal(f->recs.n, 4);
	assert_int_equal(f->recs.r[0].client.port, 40003);
	assert_int_equal(f->recs.r[0].end, REC_END_RST);
	assert_int_equal(f->recs.r[1].client.port, 40004);
	assert_int_equal(f->recs.r[1].end, REC_END_FIN);
	assert_int_equal(f->recs.r[2].client.port, 40005);
	assert_int_equal(f->recs.r[2].end, REC_END_FIN);
	assert_int_equal(f->recs.r[3].client.port, 40006);
	assert_int_equal(f->recs.r[3].end, REC_END_EOF);
	fx_free(f);
}

static void test_idle_timeout_and_eof_order(void **state)
{
	(void)state;
	struct fx *f = fx_new(100);
	conversation(f, 0, 40010, 0);
	conversation(f, 100, 40011, 0);
	conversation(f, 301000000, 40012, 0); /* 301 s later: the first two time out */
	assert_int_equal(f->recs.n, 2);
	assert_int_equal(f->recs.r[0].end, REC_END_TIMEOUT);
	assert_int_equal(f->recs.r[0].client.port, 40010);
	assert_int_equal(f->recs.r[1].client.port, 40011);
	assert_false(f->recs.r[0].complete);
	conversation(f, 301000100, 40013, 0);
	eng_end_input(&f->e);
	assert_int_equal(f->recs.n, 4);
	assert_int_equal(f->recs.r[2].client.port, 40012);
	assert_int_equal(f->recs.r[3].client.port, 40013);
	assert_int_equal(f->recs.r[3].end, REC_END_EOF);
	fx_free(f);
}

static void test_eviction(void **state)
{
	(void)state;
	struct fx *f = fx_new(2);
	conversation(f, 0, 40020, 0);
	conversation(f, 100, 40021, 0);
	conversation(f, 200, 40022, 0);
	assert_int_equal(f->recs.n, 1);
	assert_int_equal(f->recs.r[0].end, REC_END_EVICTED);
	assert_int_equal(f->recs.r[0].client.port, 40020);
	assert_int_equal(f->e.health.flows_evicted, 1);
	fx_free(f);
}

static void test_roles_without_handshake(void **state)
{
	(void)state;
	struct fx *f = fx_new(10);
	/* the server speaks first and no SYN was captured */
	tx(f, 0, 0, 40030, 5001, 1001, PSH | ACK, "220 mx ESMTP\r\n");
	tx(f, 1, 1, 40030, 1001, 5015, PSH | ACK, "EHLO c\r\n");
	eng_end_input(&f->e);
	assert_int_equal(f->recs.n, 1);
	assert_int_equal(f->recs.r[0].server.port, 25);
	assert_int_equal(f->recs.r[0].client.port, 40030);
	assert_true(f->recs.r[0].tcp.midstream);
	assert_int_equal(f->recs.r[0].bytes[1], 14);
	fx_free(f);
}

static void test_port_reuse_and_other_ports(void **state)
{
	(void)state;
	struct fx *f = fx_new(10);
	conversation(f, 0, 40040, 0);
	/* a new SYN with another ISN on the same tuple, no close seen */
	tx(f, 50, 1, 40040, 777, 0, SYN, NULL);
	assert_int_equal(f->recs.n, 1);
	assert_int_equal(f->recs.r[0].end, REC_END_REUSED);
	/* traffic on a port that is not a mail port is not a connection */
	struct pb p = {0};
	pb_ipv4(&p, C, S, 20, 0, 0);
	pb_tcp(&p, 40000, 80, 1, 0, SYN, NULL, 0);
	eng_packet(&f->e, DLT_RAW, 60, p.b, (uint32_t)p.n, (uint32_t)p.n);
	eng_end_input(&f->e);
	assert_int_equal(f->recs.n, 2);
	assert_int_equal(f->e.health.tcp_packets, 8);
	assert_int_equal(f->e.health.mail_packets, 7);
	fx_free(f);
}

static void test_clock_per_input_and_backwards_time(void **state)
{
	(void)state;
	struct fx *f = fx_new(10);
	conversation(f, 1700000000000000ull, 40060, 1);
	eng_end_input(&f->e);
	/* the next input is older: its connections are whole, not cut up */
	conversation(f, 1000000000000000ull, 40061, 1);
	/* inside one input, a packet older than the clock does not make its
	 * connection expire at once */
	conversation(f, 999000000000000ull, 40062, 0);
	eng_end_input(&f->e);
	assert_int_equal(f->recs.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->recs.r[i].packets[0] + f->recs.r[i].packets[1], i < 2 ? 9 : 6);
		assert_int_not_equal(f->recs.r[i].end, REC_END_TIMEOUT);
	}
	assert_int_equal(f->e.health.ts_backwards, 6);
	fx_free(f);
}

static void test_allocation_failures(void **state)
{
	(void)state;
	for (uint64_t fail = 1; fail < 20; fail++) {
		struct fx *f = fx_new(10);
		f->e.mem.fail_at = fail + 1; /* the bucket array is allocation 1 */
		conversation(f, 0, 40050, 0);
		tx(f, 10, 1, 40050, 1100, 5023, PSH | ACK, "out of order\r\n");
		conversation(f, 20, 40051, 1);
		eng_end_input(&f->e);
		fx_free(f);
	}
}

struct health_names {
	const char *names[64];
	int n, sums, maxes, mins;
};

static void health_name(void *ctx, const char *name, uint64_t *v, enum eng_health_merge how)
{
	struct health_names *h = ctx;
	(void)v;
	for (int i = 0; i < h->n; i++)
		assert_string_not_equal(h->names[i], name); /* each counter once */
	if (h->n < 64)
		h->names[h->n] = strdup(name);
	h->n++;
	h->sums += how == ENG_HEALTH_SUM;
	h->maxes += how == ENG_HEALTH_MAX;
	h->mins += how == ENG_HEALTH_MIN_NZ;
}

/* The engine's health counters: every one named once, under the keys of
 * the statistics snapshot, and merged by its rule. */
static void test_health_table(void **state)
{
	(void)state;
	struct eng_health a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	struct health_names h = {.n = 0};
	eng_health_visit(&a, health_name, &h);
	/* every uint64_t of the structure has a name */
	assert_int_equal(h.n, sizeof(struct eng_health) / sizeof(uint64_t));
	assert_int_equal(h.maxes, 3); /* span.last_us, reassembly.peak_bytes, dns.peak_bytes */
	assert_int_equal(h.mins, 1);  /* span.first_us */
	assert_string_equal(h.names[0], "span.first_us");
	assert_string_equal(h.names[2], "health.files");
	for (int i = 0; i < h.n && i < 64; i++)
		free((void *)(uintptr_t)h.names[i]);

	a.packets = 3;
	a.first_us = 0;
	a.last_us = 50;
	a.rsm_peak_bytes = 7;
	a.decode.c[0] = 1;
	b.packets = 4;
	b.first_us = 20;
	b.last_us = 40;
	b.rsm_peak_bytes = 9;
	b.decode.c[0] = 2;
	eng_health_add(&a, &b);
	assert_int_equal(a.packets, 7);
	assert_int_equal(a.first_us, 20); /* 0 is "none", not the minimum */
	assert_int_equal(a.last_us, 50);
	assert_int_equal(a.rsm_peak_bytes, 9);
	assert_int_equal(a.decode.c[0], 3);
	b.first_us = 10;
	eng_health_add(&a, &b);
	assert_int_equal(a.first_us, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fin_close_lingers_then_ends),
		cmocka_unit_test(test_records_in_close_order),
		cmocka_unit_test(test_rst_lingers_then_ends),
		cmocka_unit_test(test_closed_keeps_packed_record),
		cmocka_unit_test(test_idle_timeout_and_eof_order),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_roles_without_handshake),
		cmocka_unit_test(test_port_reuse_and_other_ports),
		cmocka_unit_test(test_clock_per_input_and_backwards_time),
		cmocka_unit_test(test_allocation_failures),
		cmocka_unit_test(test_health_table),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
