/* Unit tests for the reply to STARTTLS judged by the bytes: a reply code RFC
 * 3207 does not give (stats/sinks/anomaly.c, starttls_reply_unexpected), the
 * refusal kept whatever else is raised, and a client that starts TLS after a
 * reply other than 220 (dissectors/proto/smtp.c, analyzer/session/sess.c),
 * whole and at every split, and a connection picked up inside TLS. */
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
#include "stats/record/record.h"
#include "stats/sinks/anomaly.h"
#include "tls_vectors.h"

/* ---- the detector, on records made by hand ----------------------------- */

static struct rec *reply_rec(int offered, uint16_t reply, enum rec_enc enc)
{
	struct rec *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->client.family = r->server.family = 4;
	r->client.port = 40000;
	r->server.port = 25;
	r->smtp_valid = 1;
	r->encryption = (uint8_t)enc;
	r->smtp.greeting_seen = 1;
	r->smtp.greeting_code = 220;
	r->smtp.helo_verb = SMTP_V_EHLO + 1;
	r->smtp.ehlo_reply = 250;
	r->smtp.starttls_offered = (uint8_t)offered;
	r->smtp.starttls_requested = 1;
	r->smtp.starttls_reply = reply;
	return r;
}

/* The severity + 1 of type t in the verdict, or 0; *count how many. */
static int sev_of(const struct rec_verdict *v, enum rec_anom t, int *count)
{
	int s = 0;
	*count = 0;
	for (int i = 0; i < v->n; i++)
		if (v->anomalies[i].type == t) {
			s = v->anomalies[i].severity + 1;
			(*count)++;
		}
	return s;
}

struct reply_case {
	int offered;
	uint16_t reply;
	enum rec_enc enc;
	int unexpected; /* severity + 1, 0: not raised */
	int refused;	/* severity + 1, 0: not raised */
	int corrupted;	/* starttls_command_corrupted raised */
};

static const struct reply_case reply_cases[] = {
	/* rewritten 220: a 2xx/3xx no server gives STARTTLS */
	{1, 200, REC_ENC_STARTTLS_REFUSED, REC_SEV_HIGH + 1, REC_SEV_MEDIUM + 1, 0},
	{1, 250, REC_ENC_STARTTLS, REC_SEV_HIGH + 1, 0, 0},
	{1, 354, REC_ENC_STARTTLS_REFUSED, REC_SEV_HIGH + 1, REC_SEV_MEDIUM + 1, 0},
	{1, 999, REC_ENC_STARTTLS_REFUSED, REC_SEV_HIGH + 1, REC_SEV_MEDIUM + 1, 0},
	/* a 4xx/5xx RFC 3207 and RFC 5321 do not give it */
	{1, 452, REC_ENC_STARTTLS_REFUSED, REC_SEV_MEDIUM + 1, REC_SEV_MEDIUM + 1, 0},
	{1, 551, REC_ENC_STARTTLS_REFUSED, REC_SEV_MEDIUM + 1, REC_SEV_MEDIUM + 1, 0},
	/* the normal refusals */
	{1, 454, REC_ENC_STARTTLS_REFUSED, 0, REC_SEV_MEDIUM + 1, 0},
	{1, 501, REC_ENC_STARTTLS_REFUSED, 0, REC_SEV_MEDIUM + 1, 0},
	{1, 421, REC_ENC_STARTTLS_REFUSED, 0, REC_SEV_MEDIUM + 1, 0},
	{1, 554, REC_ENC_STARTTLS_REFUSED, 0, REC_SEV_MEDIUM + 1, 0},
	/* 500/502 to an advertised STARTTLS (OpenSMTPD's answer to a
	 * pipelined STARTTLS): corrupted command, and still refused */
	{1, 500, REC_ENC_STARTTLS_REFUSED, 0, REC_SEV_MEDIUM + 1, 1},
	{1, 502, REC_ENC_STARTTLS_REFUSED, 0, REC_SEV_MEDIUM + 1, 1},
	/* not advertised: no evidence of a rewrite; refused, low */
	{0, 200, REC_ENC_STARTTLS_REFUSED, 0, REC_SEV_LOW + 1, 0},
	{0, 452, REC_ENC_STARTTLS_REFUSED, 0, REC_SEV_LOW + 1, 0},
	{0, 500, REC_ENC_STARTTLS_REFUSED, 0, REC_SEV_LOW + 1, 0},
	/* 220 is the answer */
	{1, 220, REC_ENC_STARTTLS, 0, 0, 0},
};

static void test_reply_codes(void **state)
{
	(void)state;
	struct mem mem;
	memset(&mem, 0, sizeof(mem));
	struct anom_cfg cfg = {300000000u, 100};
	for (size_t i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];
		struct anom a;
		struct rec_verdict v;
		anom_init(&a, &cfg, &mem);
		struct rec *r = reply_rec(c->offered, c->reply, c->enc);
		anom_judge(&a, r, &v);
		int n;
		int sev = sev_of(&v, REC_A_STARTTLS_REPLY_UNEXPECTED, &n);
		if (sev != c->unexpected)
			fail_msg("reply %u offered %d: unexpected %d, want %d", c->reply,
				 c->offered, sev, c->unexpected);
		assert_true(n <= 1);
		sev = sev_of(&v, REC_A_STARTTLS_REFUSED, &n);
		if (sev != c->refused)
			fail_msg("reply %u offered %d: refused %d, want %d", c->reply, c->offered,
				 sev, c->refused);
		assert_true(n <= 1); /* never twice */
		assert_int_equal(sev_of(&v, REC_A_STARTTLS_COMMAND_CORRUPTED, &n) != 0,
				 c->corrupted);
		free(r);
		anom_free(&a);
	}
	assert_int_equal(mem.in_use, 0);
}

/* ---- the session: TLS after a reply other than 220 ---------------------- */

#define SEG(dir, text)                                                                             \
	{                                                                                          \
		dir, (const uint8_t *)(text), sizeof(text) - 1                                     \
	}

#define PRELUDE_N 4
static const struct feed_seg prelude[PRELUDE_N] = {
	SEG(1, "220 mx ESMTP\r\n"),
	SEG(0, "EHLO c\r\n"),
	SEG(1, "250-mx\r\n250 STARTTLS\r\n"),
	SEG(0, "STARTTLS\r\n"),
};

/* The SMTP prelude, the reply, then the TLS 1.3 conversation of
 * tls_vectors.h (with the reply after the ClientHello when late). */
static size_t build(struct feed_seg *out, const char *reply, int late)
{
	size_t n = 0;
	for (int i = 0; i < PRELUDE_N; i++)
		out[n++] = prelude[i];
	struct feed_seg rep = {1, (const uint8_t *)reply, strlen(reply)};
	if (!late)
		out[n++] = rep;
	size_t off[2] = {0, 0};
	for (size_t i = 0; i < sizeof(v_tls13_segs) / sizeof(v_tls13_segs[0]); i++) {
		int dir = v_tls13_segs[i].dir;
		out[n].dir = dir;
		out[n].p = (dir ? v_tls13_s : v_tls13_c) + off[dir];
		out[n].n = v_tls13_segs[i].len;
		off[dir] += v_tls13_segs[i].len;
		n++;
		if (late && i == 0)
			out[n++] = rep; /* the reply after the ClientHello */
	}
	return n;
}

static void check_tls_anyway(struct drv *d, uint16_t code)
{
	struct rec r;
	const struct sess_app *a = d->s.app;
	assert_non_null(a);
	assert_true(a->smtp.f.tls_despite_reply);
	assert_false(a->smtp.f.upgraded);
	assert_int_equal(a->smtp.f.starttls_reply, code);
	assert_int_equal(a->tls_fed[0] + a->counted[0], sizeof(v_tls13_c)); /* from the record on */
	assert_false(a->plaintext_after_starttls);
	drv_end(d, &r);
	assert_int_equal(r.encryption, REC_ENC_STARTTLS);
	assert_true(r.tls_valid);
	assert_true(r.tls.client_hello);
	assert_true(r.tls.established);
	assert_int_equal(r.tls.version, 0x0304);
	assert_string_equal(rec_enc_name((enum rec_enc)r.encryption), "starttls");
}

static void test_tls_after_200_every_split(void **state)
{
	(void)state;
	struct feed_seg segs[32];
	for (int late = 0; late < 2; late++) {
		size_t n = build(segs, "200 rewritten\r\n", late);
		size_t total = feed_total(segs, n);
		for (size_t split = 0; split < total; split += late ? 7 : 1) {
			struct drv *d = drv_new();
			feed_play(&d->fd, segs, n, 0, split);
			check_tls_anyway(d, 200);
		}
		struct drv *d = drv_new();
		feed_play(&d->fd, segs, n, 1, 0); /* byte by byte */
		check_tls_anyway(d, 200);
	}
}

/* A real refusal and a client that goes on in SMTP: no TLS, refused. */
static void test_refused_then_smtp(void **state)
{
	(void)state;
	static const struct feed_seg st[] = {
		SEG(1, "220 mx ESMTP\r\n"),
		SEG(0, "EHLO c\r\n"),
		SEG(1, "250-mx\r\n250 STARTTLS\r\n"),
		SEG(0, "STARTTLS\r\n"),
		SEG(1, "454 4.7.0 TLS not available\r\n"),
		SEG(0, "QUIT\r\n"),
		SEG(1, "221 bye\r\n"),
	};
	size_t n = sizeof(st) / sizeof(st[0]);
	for (size_t split = 0; split < feed_total(st, n); split++) {
		struct drv *d = drv_new();
		feed_play(&d->fd, st, n, 0, split);
		const struct sess_app *a = d->s.app;
		assert_false(a->smtp.f.tls_despite_reply);
		assert_int_equal(a->smtp.f.commands[SMTP_V_QUIT], 1);
		assert_int_equal(a->tls_fed[0], 0);
		struct rec r;
		drv_end(d, &r);
		assert_int_equal(r.encryption, REC_ENC_STARTTLS_REFUSED);
		assert_false(r.tls_valid);
	}
}

/* A TLS record after another command than STARTTLS is not taken for TLS:
 * only the reply to STARTTLS opens that door. */
static void test_tls_after_other_command(void **state)
{
	(void)state;
	static const struct feed_seg st[] = {
		SEG(1, "220 mx ESMTP\r\n"),
		SEG(0, "EHLO c\r\n"),
		SEG(1, "250-mx\r\n250 STARTTLS\r\n"),
		SEG(0, "STARTTLS\r\n"),
		SEG(1, "454 4.7.0 TLS not available\r\n"),
		SEG(0, "NOOP\r\n"),
		SEG(1, "250 ok\r\n"),
		SEG(0, "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00\r\n"),
	};
	struct drv *d = drv_new();
	feed_play(&d->fd, st, sizeof(st) / sizeof(st[0]), 0, 0);
	const struct sess_app *a = d->s.app;
	assert_false(a->smtp.f.tls_despite_reply);
	assert_int_equal(a->tls_fed[0], 0);
	struct rec r;
	drv_end(d, &r);
	assert_int_equal(r.encryption, REC_ENC_STARTTLS_REFUSED);
}

/* ---- picked up mid-stream ------------------------------------------------ */

/* Inside TLS: application-data records both ways, the first split anywhere. */
static void test_pickup_inside_tls(void **state)
{
	(void)state;
	static const struct feed_seg st[] = {
		SEG(0, "\x17\x03\x03\x00\x05hello\x17\x03\x03\x00\x03"
		       "abc"),
		SEG(1, "\x17\x03\x03\x00\x04"
		       "ok!!"),
		SEG(0, "\x17\x03\x03\x00\x02"
		       "zz"),
	};
	size_t n = sizeof(st) / sizeof(st[0]);
	for (size_t split = 0; split < feed_total(st, n); split++) {
		struct drv *d = drv_new();
		d->s.midstream = 1;
		feed_play(&d->fd, st, n, 0, split);
		struct rec r;
		drv_end(d, &r);
		assert_int_equal(r.encryption, REC_ENC_TLS_UNKNOWN_START);
		assert_true(r.tls_valid);
		assert_true(r.tls.established);
		assert_int_equal(r.tls.pickup_record_version, 0x0303);
		assert_int_equal(r.tls.version, 0);
		assert_false(r.smtp_valid);
	}
	/* TLS 1.0 records: established, the version not told */
	static const struct feed_seg old[] = {
		SEG(0, "\x17\x03\x01\x00\x02"
		       "zz"),
		SEG(1, "\x17\x03\x01\x00\x02"
		       "yy"),
	};
	struct drv *d = drv_new();
	d->s.midstream = 1;
	feed_play(&d->fd, old, 2, 0, 0);
	struct rec r;
	drv_end(d, &r);
	assert_int_equal(r.encryption, REC_ENC_TLS_UNKNOWN_START);
	assert_int_equal(r.tls.pickup_record_version, 0x0301);
}

/* Inside a DATA body or after EHLO: text, SMTP as ever. */
static void test_pickup_inside_smtp(void **state)
{
	(void)state;
	static const struct feed_seg body[] = {
		SEG(0, "This is line 7 of a message.\r\n.\r\n"),
		SEG(1, "250 2.0.0 Ok: queued\r\n"),
		SEG(0, "QUIT\r\n"),
		SEG(1, "221 2.0.0 Bye\r\n"),
	};
	struct drv *d = drv_new();
	d->s.midstream = 1;
	feed_play(&d->fd, body, 4, 0, 0);
	assert_int_equal(d->s.app->mode[0], SESS_M_SMTP);
	struct rec r;
	drv_end(d, &r);
	assert_int_equal(r.encryption, REC_ENC_PLAINTEXT);
	assert_false(r.tls_valid);
	/* not mid-stream: TLS records on port 25 are not a pickup */
	static const struct feed_seg tls[] = {
		SEG(0, "\x17\x03\x03\x00\x02"
		       "zz"),
		SEG(1, "\x17\x03\x03\x00\x02"
		       "yy"),
	};
	d = drv_new();
	feed_play(&d->fd, tls, 2, 0, 0);
	drv_end(d, &r);
	assert_int_not_equal(r.encryption, REC_ENC_TLS_UNKNOWN_START);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_codes),
		cmocka_unit_test(test_tls_after_200_every_split),
		cmocka_unit_test(test_refused_then_smtp),
		cmocka_unit_test(test_tls_after_other_command),
		cmocka_unit_test(test_pickup_inside_tls),
		cmocka_unit_test(test_pickup_inside_smtp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
