/* Unit tests for analyzer/session/head.c: connections read by the heads of
 * their packets (a short snap length) — what each head proves, and nothing
 * more: outcomes, record headers inside a segment, segments that start inside
 * a record, and application data that only counts after the client's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/session/head.h"
#include "stats/record/record.h"

/* A segment: direction, sequence number, the captured head, the length on
 * the wire. */
struct hseg {
	int dir;
	uint32_t seq;
	const char *head;
	size_t caplen;
	size_t paylen;
};

#define H(dir, seq, s, paylen)                                                                     \
	{                                                                                          \
		dir, seq, s, sizeof(s) - 1, paylen                                                 \
	}

static void play(struct head *h, const struct hseg *s, size_t n)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < n; i++)
		head_packet(h, s[i].dir, s[i].seq, (const uint8_t *)s[i].head, s[i].caplen,
			    s[i].paylen);
}

static void finish(const struct head *h, int implicit, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	head_finish(h, implicit, r);
	assert_true(r->head_only);
}

/* STARTTLS, 220, then TLS 1.2 whose ClientHello and ServerHello are cut. */
static const struct hseg starttls12[] = {
	H(1, 1000, "220 mx.example.net ESMTP Pos", 40),
	H(0, 2000, "EHLO client.example.com\r\n", 25),
	H(1, 1040, "250-mx.example.net\r\n250-PIPEL", 150),
	H(0, 2025, "STARTTLS\r\n", 10),
	H(1, 1190, "220 2.0.0 Ready to start TLS\r\n", 30),
	H(0, 2035, "\x16\x03\x01\x00\xf0\x01\x00\x00\xec\x03\x03", 245),
	/* ServerHello (90), then Certificate in the same segment, cut */
	H(1, 1220, "\x16\x03\x03\x00\x5a\x02\x00\x00\x56\x03\x03", 1448),
	/* the server's next segment, past the end of the ServerHello: an
	 * application-data header before the client's does not count */
	H(1, 2668, "\x17\x03\x03\x00\x10", 300),
	/* ClientKeyExchange, ChangeCipherSpec, Finished (22, encrypted) */
	H(0, 2280, "\x16\x03\x03\x00\x25\x10\x00\x00\x21\x20", 126),
	H(1, 2968, "\x14\x03\x03\x00\x01\x01\x16\x03\x03\x00\x28", 51),
	H(0, 2406, "\x17\x03\x03\x00\x2f", 52), /* EHLO inside TLS */
	H(1, 3019, "\x17\x03\x03\x00\x90", 149),
};

static void test_starttls12(void **state)
{
	(void)state;
	struct head h;
	struct rec r;
	play(&h, starttls12, sizeof(starttls12) / sizeof(starttls12[0]));
	assert_true(h.client_hello);
	assert_true(h.server_hello);
	assert_false(h.app_server && !h.app_client);
	finish(&h, 0, &r);
	assert_int_equal(r.encryption, REC_ENC_STARTTLS);
	assert_true(r.smtp_valid);
	assert_int_equal(r.smtp.greeting_code, 220);
	assert_int_equal(r.smtp.helo_verb, SMTP_V_EHLO + 1);
	assert_true(r.smtp.starttls_requested);
	assert_int_equal(r.smtp.starttls_reply, 220);
	assert_false(r.smtp.starttls_offered); /* unknown: written as null */
	assert_true(r.tls_valid);
	assert_true(r.tls.established);
	assert_int_equal(r.tls.version, 0); /* unknown */
	assert_int_equal(r.tls.cipher, 0);
	assert_false(r.tls.server_hello); /* kept apart: r.head_hello */
	assert_true(r.head_hello[0]);
	assert_true(r.head_hello[1]);
	assert_true(r.gap_bytes > 0);
}

/* Without the client's application data the server's does not count (a
 * TLS 1.3 server's encrypted handshake is application data too). */
static void test_not_established(void **state)
{
	(void)state;
	struct head h;
	struct rec r;
	play(&h, starttls12, 10); /* up to the server's ChangeCipherSpec */
	finish(&h, 0, &r);
	assert_false(r.tls.established);
	assert_int_equal(r.encryption, REC_ENC_UNKNOWN); /* the heads prove no outcome */
	static const struct hseg server_first[] = {
		H(0, 1, "\x16\x03\x01\x00\xf0\x01", 245),
		H(1, 1, "\x16\x03\x03\x00\x7a\x02", 1400),
		H(1, 1401, "\x17\x03\x03\x00\x20", 37), /* before the client's: not counted */
		H(0, 246, "\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x35", 64),
	};
	play(&h, server_first, 4);
	assert_true(h.app_client);
	assert_false(h.app_server); /* the server's came before the client's */
	finish(&h, 1, &r);
	assert_int_equal(r.encryption, REC_ENC_IMPLICIT_TLS);
	assert_false(r.tls.established);
}

static void test_plaintext_and_refused(void **state)
{
	(void)state;
	struct head h;
	struct rec r;
	static const struct hseg plain[] = {
		H(1, 1, "220 mx ESMTP\r\n", 14),
		H(0, 1, "EHLO c\r\n", 8),
		H(1, 15, "250-mx\r\n250-STAR", 60),
		H(0, 9, "MAIL FROM:<a@example.org>\r\nRC", 64),
		/* message text: a line that starts like a command is not one */
		H(0, 73, "STARTTLS is what this says\r\n", 400),
	};
	play(&h, plain, sizeof(plain) / sizeof(plain[0]));
	finish(&h, 0, &r);
	assert_int_equal(r.encryption, REC_ENC_PLAINTEXT);
	assert_false(r.smtp.starttls_requested);
	assert_false(r.tls_valid);
	static const struct hseg refused[] = {
		H(1, 1, "220 mx ESMTP\r\n", 14),
		H(0, 1, "EHLO c\r\n", 8),
		H(1, 15, "250-mx\r\n", 60),
		H(0, 9, "STARTTLS\r\n", 10),
		H(1, 75, "454 4.7.0 TLS not available", 40),
		H(0, 19, "QUIT\r\n", 6),
	};
	play(&h, refused, sizeof(refused) / sizeof(refused[0]));
	finish(&h, 0, &r);
	assert_int_equal(r.encryption, REC_ENC_STARTTLS_REFUSED);
	assert_int_equal(r.smtp.starttls_reply, 454);
}

/* Several small records in one head; a header cut in the middle. */
static void test_records_in_one_head(void **state)
{
	(void)state;
	struct head h;
	memset(&h, 0, sizeof(h));
	static const char two[] = "\x15\x03\x03\x00\x02\x02\x28\x16\x03\x03\x00";
	head_packet(&h, 1, 100, (const uint8_t *)two, sizeof(two) - 1, 200);
	assert_true(h.tls[1]);
	assert_true(h.alert[1]);
	assert_false(h.next_known[1]); /* the second header is cut: resynchronise */
	static const char one[] = "\x17\x03\x03\x00\x10";
	head_packet(&h, 0, 500, (const uint8_t *)one, sizeof(one) - 1, 21);
	assert_true(h.app_client);
	assert_true(h.next_known[0]);
	assert_int_equal(h.next_seq[0], 521);
	/* a head that is not TLS and not SMTP: nothing */
	memset(&h, 0, sizeof(h));
	head_packet(&h, 1, 1, (const uint8_t *)"\x00\x01\x02", 3, 3);
	head_packet(&h, 0, 1, (const uint8_t *)"", 0, 100);
	struct rec r;
	finish(&h, 0, &r);
	assert_int_equal(r.encryption, REC_ENC_UNKNOWN);
	assert_false(r.smtp_valid);
	assert_int_equal(r.smtp_absent, REC_ABS_NO_SMTP_SEEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starttls12),
		cmocka_unit_test(test_not_established),
		cmocka_unit_test(test_plaintext_and_refused),
		cmocka_unit_test(test_records_in_one_head),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
