/* Unit tests for analyzer/session/sess.c: the STARTTLS boundary the session
 * keeps (client bytes before the 220, server bytes before the client's TLS,
 * plain text where TLS should start), whole and at every split, the session's
 * events, and the contract check of dissectors/proto/dissect.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/session/sess.h"
#include "feed.h"
#include "sessdrv.h"

/* A tiny TLS record (a ClientHello too short to parse: only its bytes count). */
#define CH    "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"
#define CHLEN 10

#define SEG(dir, text)                                                                             \
	{                                                                                          \
		dir, (const uint8_t *)(text), sizeof(text) - 1                                     \
	}

/* The NO STARTTLS attack: a command behind STARTTLS, before the 220; then the
 * server speaks after its 220 before the client's first TLS byte. */
static const struct feed_seg injected[] = {
	SEG(1, "220 mx ESMTP\r\n"),
	SEG(0, "EHLO c\r\n"),
	SEG(1, "250-mx\r\n250 STARTTLS\r\n"),
	SEG(0, "STARTTLS\r\nMAIL FROM:<e@example.org>\r\n"),
	SEG(1, "220 go ahead\r\n"),
	SEG(1, "250 ok\r\n"),
	SEG(0, CH),
};
#define NINJ (sizeof(injected) / sizeof(injected[0]))

static void check_injected(const struct drv *d)
{
	const struct sess_app *a = d->s.app;
	assert_non_null(a);
	assert_true(a->smtp.f.upgraded);
	assert_int_equal(a->smtp.f.injected_bytes[0], strlen("MAIL FROM:<e@example.org>\r\n"));
	assert_int_equal(a->smtp.f.injected_bytes[1], strlen("250 ok\r\n"));
	assert_int_equal(a->smtp.f.commands[SMTP_V_MAIL], 0);
	assert_int_equal(a->tls_fed[0], CHLEN); /* TLS starts at the record */
	assert_int_equal(a->mode[0], SESS_M_TLS);
	assert_false(a->plaintext_after_starttls);
}

static void test_injection_every_split(void **state)
{
	(void)state;
	size_t total = feed_total(injected, NINJ);
	for (size_t split = 0; split < total; split++) {
		struct drv *d = drv_new();
		feed_play(&d->fd, injected, NINJ, 0, split);
		check_injected(d);
		drv_free(d);
	}
	struct drv *d = drv_new();
	feed_play(&d->fd, injected, NINJ, 1, 0); /* byte by byte */
	check_injected(d);
	drv_free(d);
}

static void test_plaintext_after_starttls(void **state)
{
	(void)state;
	static const struct feed_seg st[] = {
		SEG(1, "220 mx ESMTP\r\n"),
		SEG(0, "EHLO c\r\n"),
		SEG(1, "250-mx\r\n250 STARTTLS\r\n"),
		SEG(0, "STARTTLS\r\n"),
		SEG(1, "220 go ahead\r\n"),
		SEG(0, "EHLO again\r\n"),
		SEG(1, "250 mx\r\n"),
	};
	struct drv *d = drv_new();
	feed_play(&d->fd, st, sizeof(st) / sizeof(st[0]), 0, 0);
	const struct sess_app *a = d->s.app;
	assert_true(a->plaintext_after_starttls);
	assert_int_equal(sess_event_count(&d->s, SESS_EV_PLAINTEXT_AFTER_STARTTLS), 1);
	assert_int_equal(a->smtp.f.commands[SMTP_V_EHLO], 2); /* followed as SMTP again */
	assert_int_equal(a->mode[0], SESS_M_SMTP);
	assert_int_equal(a->tls_fed[0], 0);
	drv_free(d);
}

static void test_no_memory(void **state)
{
	(void)state;
	struct drv *d = drv_new();
	d->mem.fail_at = 1;
	assert_int_equal(sess_ops()->data(&d->s, 1, (const uint8_t *)"220 mx\r\n", 8), 8);
	assert_null(d->s.app);
	assert_int_equal(sess_event_count(&d->s, SESS_EV_NO_MEMORY), 1);
	drv_free(d);
	for (int e = 0; e < SESS_EV_COUNT; e++) {
		assert_non_null(sess_event_name((enum sess_event)e));
		for (int k = 0; k < e; k++)
			assert_string_not_equal(sess_event_name((enum sess_event)e),
						sess_event_name((enum sess_event)k));
	}
}

/* The check the session makes on every answer (Suricata's, with WAIT). */
static void test_contract_check(void **state)
{
	(void)state;
	struct dissect_result r;
	r = dissect_result(DISSECT_OK, 10, 0);
	assert_false(dissect_violation(&r, 10));
	assert_true(dissect_violation(&r, 11)); /* OK leaves nothing */
	r = dissect_result(DISSECT_SWITCH, 11, 0);
	assert_true(dissect_violation(&r, 10)); /* more than offered */
	r = dissect_result(DISSECT_NEED_MORE, 4, 7);
	assert_false(dissect_violation(&r, 10));
	assert_true(dissect_violation(&r, 11)); /* needs no more than it has */
	r = dissect_result(DISSECT_NEED_MORE, 4, 0);
	assert_true(dissect_violation(&r, 5));
	r = dissect_result(DISSECT_INVALID, 3, 0);
	assert_true(dissect_violation(&r, 10)); /* giving up takes everything */
	r = dissect_result(DISSECT_WAIT, 3, 0);
	assert_false(dissect_violation(&r, 10));
	r = dissect_result((enum dissect_status)42, 0, 0);
	assert_true(dissect_violation(&r, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_injection_every_split),
		cmocka_unit_test(test_plaintext_after_starttls),
		cmocka_unit_test(test_no_memory),
		cmocka_unit_test(test_contract_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
