/* Unit tests for the TLS dissector's events and its side of the dissector
 * contract (dissectors/proto/dissect.h): each event provoked on its own and
 * counted, the cursor's three error kinds told apart, and the answers to a
 * partial record, to bytes that are not TLS and to a lost record boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/proto/tls.h"

static size_t put_record(uint8_t *out, uint8_t type, uint16_t ver, const uint8_t *p, size_t n)
{
	out[0] = type;
	out[1] = (uint8_t)(ver >> 8);
	out[2] = (uint8_t)ver;
	out[3] = (uint8_t)(n >> 8);
	out[4] = (uint8_t)n;
	if (p)
		memcpy(out + 5, p, n);
	else
		memset(out + 5, 0xa5, n); /* opaque (encrypted) content */
	return n + 5;
}

/* One handshake message (type, body) in one record; returns its length. */
static size_t hs_record(uint8_t *out, uint8_t type, const uint8_t *body, size_t n)
{
	uint8_t msg[512];
	assert_true(n + 4 <= sizeof(msg));
	msg[0] = type;
	msg[1] = 0;
	msg[2] = (uint8_t)(n >> 8);
	msg[3] = (uint8_t)n;
	memcpy(msg + 4, body, n);
	return put_record(out, 22, 0x0301, msg, n + 4);
}

/* A minimal ClientHello body: version, random, an empty session ID (or one
 * of sid_len bytes), one suite, no compression, no extensions, then `extra`
 * bytes after the last field. */
static size_t client_hello_body(uint8_t *b, size_t sid_len, size_t extra)
{
	size_t o = 0;
	memset(b, 0, 300);
	b[o++] = 3;
	b[o++] = 3;
	o += 32;
	b[o++] = (uint8_t)sid_len;
	o += sid_len;
	b[o++] = 0, b[o++] = 2, b[o++] = 0x13, b[o++] = 0x01;
	b[o++] = 1, b[o++] = 0;
	b[o++] = 0, b[o++] = 0; /* extensions<0> */
	return o + extra;
}

struct drv {
	struct tls_cfg cfg;
	struct mem mem;
	struct tls t;
};

static void drv_init(struct drv *d, uint32_t max_hs)
{
	tls_free(&d->t);
	memset(d, 0, sizeof(*d));
	d->cfg.max_handshake = max_hs;
	tls_init(&d->t, &d->cfg, &d->mem);
}

/* Feeds one direction once on a fresh dissector; returns the answer. */
static struct dissect_result feed_once(struct drv *d, uint32_t max_hs, int dir, const uint8_t *p,
				       size_t n)
{
	drv_init(d, max_hs);
	return tls_feed(&d->t, dir, p, n);
}

static void test_events(void **state)
{
	(void)state;
	static uint8_t big[40000];
	uint8_t body[300], rec[600];
	struct drv *d = calloc(1, sizeof(*d));
	struct dissect_result r;
	assert_non_null(d);

	/* the cursor's three kinds: invalid, truncated, trailing bytes */
	size_t n = hs_record(rec, 1, body, client_hello_body(body, 33, 0));
	r = feed_once(d, 65536, 0, rec, n);
	assert_int_equal(r.status, DISSECT_OK);
	assert_int_equal(tls_event_count(&d->t, TLSD_EV_INVALID), 1);
	assert_int_equal(d->t.f.malformed[0], 1);
	n = hs_record(rec, 1, body, 20);
	feed_once(d, 65536, 0, rec, n);
	assert_int_equal(tls_event_count(&d->t, TLSD_EV_TRUNCATED), 1);
	assert_int_equal(tls_event_count(&d->t, TLSD_EV_INVALID), 0);
	n = hs_record(rec, 1, body, client_hello_body(body, 0, 1));
	feed_once(d, 65536, 0, rec, n);
	assert_int_equal(tls_event_count(&d->t, TLSD_EV_TRAILING), 1);
	assert_int_equal(d->t.f.malformed[0], 1);
	n = hs_record(rec, 1, body, client_hello_body(body, 0, 0));
	feed_once(d, 65536, 0, rec, n);
	assert_int_equal(d->t.f.malformed[0], 0); /* the clean one counts nothing */
	assert_true(d->t.f.client_hello);

	/* a handshake message over the cap, then a record over 2^14 + 2048 */
	n = hs_record(rec, 1, body, client_hello_body(body, 0, 0));
	feed_once(d, 16, 0, rec, n);
	assert_int_equal(tls_event_count(&d->t, TLSD_EV_HANDSHAKE_TOO_LONG), 1);
	n = put_record(rec, 23, 0x0303, NULL, 10);
	feed_once(d, 65536, 1, rec, n); /* a first record makes it TLS */
	n = put_record(big, 23, 0x0303, NULL, 16384 + 2048 + 1);
	r = tls_feed(&d->t, 1, big, n);
	assert_int_equal(r.status, DISSECT_OK);
	assert_int_equal(tls_event_count(&d->t, TLSD_EV_RECORD_TOO_LONG), 1);
	/* the contract: a partial record asks for the rest of it */
	r = tls_feed(&d->t, 1, big, 100);
	assert_int_equal(r.status, DISSECT_NEED_MORE);
	assert_int_equal(r.consumed, 0);
	assert_int_equal(r.needed, n);
	assert_false(dissect_violation(&r, 100));

	/* not TLS: invalid, every byte taken */
	r = feed_once(d, 65536, 1, (const uint8_t *)"220 mx ESMTP\r\n", 14);
	assert_int_equal(r.status, DISSECT_INVALID);
	assert_int_equal(r.consumed, 14);
	assert_int_equal(tls_event_count(&d->t, TLSD_EV_NOT_TLS), 1);

	/* a gap, then no record header in reach: given up (truncated) */
	n = put_record(rec, 23, 0x0303, NULL, 10);
	feed_once(d, 65536, 1, rec, n);
	tls_gap(&d->t, 1, 100);
	assert_int_equal(tls_event_count(&d->t, TLSD_EV_GAP), 1);
	memset(big, 0, sizeof(big));
	r = tls_feed(&d->t, 1, big, sizeof(big));
	assert_int_equal(r.status, DISSECT_TRUNC);
	assert_int_equal(r.consumed, sizeof(big));
	assert_int_equal(tls_event_count(&d->t, TLSD_EV_RESYNC_FAILED), 1);

	/* no memory for a message spread over two records */
	drv_init(d, 65536);
	d->mem.fail_at = 1;
	n = hs_record(rec, 1, body, client_hello_body(body, 0, 0));
	uint8_t part[300];
	size_t half = put_record(part, 22, 0x0301, rec + 5, 20);
	r = tls_feed(&d->t, 0, part, half);
	assert_int_equal(r.status, DISSECT_OK);
	assert_int_equal(tls_event_count(&d->t, TLSD_EV_NO_MEMORY), 1);

	for (int e = 0; e < TLSD_EV_COUNT; e++) {
		assert_non_null(tls_event_name((enum tls_event)e));
		for (int k = 0; k < e; k++)
			assert_string_not_equal(tls_event_name((enum tls_event)e),
						tls_event_name((enum tls_event)k));
	}
	tls_free(&d->t);
	assert_int_equal(d->mem.in_use, 0);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
