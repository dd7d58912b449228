/* Unit tests for the client's offer and the post-quantum verdict
 * (dissectors/proto/tls_hs.c, tls_pq_verdict() in tls.c, the record's "tls"
 * keys in stats/record/rec_tls.c) and for the ClientHello's segment count
 * (analyzer/session/sess.c): real Node 26 / OpenSSL 3.5 handshakes with
 * X25519MLKEM768 (tls_pq_vectors.h, tls_hrr_vectors.h) and OpenSSL 3.0 ones
 * without it (tls_vectors.h); the values asserted are tshark's on the same
 * captures (by number: tshark 4.0 does not name 0x11EC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/session/sess.h"
#include "dissectors/proto/ciphers.h"
#include "dissectors/proto/tls.h"
#include "stats/record/rec_tls.h"
#include "feed.h"
#include "tls_hrr_vectors.h"
#include "tls_pq_vectors.h"
#include "tls_vectors.h"

#define SEGS_MAX 16
#define CONV_MAX 8192

/* A conversation as feeder segments over the vector's two byte arrays. */
struct conv {
	struct feed_seg segs[SEGS_MAX];
	size_t nsegs;
};

static void conv_from(struct conv *c, const uint8_t *cl, size_t cn, const uint8_t *sv, size_t sn,
		      const struct vseg *vs, size_t nvs)
{
	size_t off[2] = {0, 0};
	memset(c, 0, sizeof(*c));
	assert_true(nvs <= SEGS_MAX);
	for (size_t i = 0; i < nvs; i++) {
		int d = vs[i].dir;
		assert_true(off[d] + vs[i].len <= (d ? sn : cn));
		c->segs[i].dir = d;
		c->segs[i].p = (d ? sv : cl) + off[d];
		c->segs[i].n = vs[i].len;
		off[d] += vs[i].len;
	}
	assert_int_equal(off[0], cn);
	assert_int_equal(off[1], sn);
	c->nsegs = nvs;
}

#define CONV_FROM(c, v)                                                                            \
	conv_from(c, v##_c, sizeof(v##_c), v##_s, sizeof(v##_s), v##_segs,                         \
		  sizeof(v##_segs) / sizeof(v##_segs[0]))

/* ---- the TLS dissector alone -------------------------------------------- */

struct drv {
	struct tls_cfg cfg;
	struct mem mem;
	struct tls t;
	struct feed fd;
};

static struct dissect_result drv_on_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct drv *d = ctx;
	return tls_feed(&d->t, dir, p, n);
}

static int drv_on_stopped(void *ctx, int dir)
{
	struct drv *d = ctx;
	(void)dir;
	return tls_done(&d->t);
}

static const struct feed_ops drv_ops = {drv_on_feed, NULL, drv_on_stopped, NULL};

static struct drv *drv_run(const struct conv *c, size_t step, size_t split)
{
	struct drv *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->cfg.max_handshake = 65536;
	tls_init(&d->t, &d->cfg, &d->mem);
	assert_int_equal(feed_init(&d->fd, &drv_ops, d, CONV_MAX), 0);
	feed_play(&d->fd, c->segs, c->nsegs, step, split);
	return d;
}

static void drv_free(struct drv *d)
{
	assert_int_equal(d->fd.violations, 0);
	feed_free(&d->fd);
	tls_free(&d->t);
	assert_int_equal(d->mem.in_use, 0);
	free(d);
}

/* Byte by byte and cut at every byte: the same facts as whole. */
static void check_every_split(const struct conv *c, const struct tls_facts *ref)
{
	struct drv *d = drv_run(c, 1, 0);
	assert_memory_equal(&d->t.f, ref, sizeof(*ref));
	drv_free(d);
	size_t total = feed_total(c->segs, c->nsegs);
	for (size_t s = 1; s < total; s += 7) {
		d = drv_run(c, 0, s);
		if (memcmp(&d->t.f, ref, sizeof(*ref)) != 0)
			fail_msg("facts differ when split at byte %zu", s);
		drv_free(d);
	}
}

static void assert_list(const uint16_t *got, unsigned n, const uint16_t *want, unsigned nwant)
{
	assert_int_equal(n, nwant);
	for (unsigned i = 0; i < nwant; i++)
		assert_int_equal(got[i], want[i]);
}

#define ASSERT_LIST(got, n, ...)                                                                   \
	do {                                                                                       \
		static const uint16_t want_[] = {__VA_ARGS__};                                     \
		assert_list(got, n, want_, sizeof(want_) / sizeof(want_[0]));                      \
	} while (0)

/* The record's "tls" object, and one member of it as text ("" for null). */
static const char *tls_key(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	assert_non_null(v);
	return json_is_null(v) ? "" : json_string_value(v);
}

static const char *tls_elem(json_t *o, const char *key, size_t i)
{
	json_t *a = json_object_get(o, key);
	assert_true(json_is_array(a));
	assert_true(i < json_array_size(a));
	return json_string_value(json_array_get(a, i));
}

/* ---- tests --------------------------------------------------------------- */

static void test_group_registry(void **state)
{
	(void)state;
	char buf[SUITE_NAME_BUF];
	assert_true(suite_group_is_pq(0x11EC));
	assert_true(suite_group_is_pq(0x11EB));
	assert_true(suite_group_is_pq(0x11ED));
	assert_true(suite_group_is_pq(0x0201));
	assert_true(suite_group_is_pq(0x6399)); /* X25519Kyber768Draft00 */
	assert_false(suite_group_is_pq(0x001D));
	assert_false(suite_group_is_pq(0x0017));
	assert_false(suite_group_is_pq(0x0100));
	assert_false(suite_group_is_pq(0x1234));
	assert_false(suite_group_is_pq(0x0A0A));
	assert_string_equal(suite_group_name(0x11EC, buf, sizeof(buf)), "X25519MLKEM768");
	assert_string_equal(suite_group_name(0x11EB, buf, sizeof(buf)), "SecP256r1MLKEM768");
	assert_string_equal(suite_group_name(0x11ED, buf, sizeof(buf)), "SecP384r1MLKEM1024");
	assert_string_equal(suite_group_name(0x1234, buf, sizeof(buf)), "0x1234");
}

static void test_pq_negotiated(void **state)
{
	(void)state;
	struct conv c;
	CONV_FROM(&c, v_pq);
	struct drv *d = drv_run(&c, 0, 0);
	const struct tls_facts *f = &d->t.f;
	assert_true(f->client_hello);
	assert_int_equal(f->client_hello_bytes, 1466 + 4);
	ASSERT_LIST(f->client_groups, f->n_client_groups, 0x11ec, 0x001d, 0x0017, 0x001e, 0x0018,
		    0x0019, 0x0100, 0x0101);
	ASSERT_LIST(f->client_shares, f->n_client_shares, 0x11ec, 0x001d);
	ASSERT_LIST(f->client_suites, f->n_client_suites, 0x1302, 0x1303, 0x1301);
	ASSERT_LIST(f->client_versions, f->n_client_versions, 0x0304);
	assert_false(f->client_lists_cut);
	assert_true(f->client_pq_offered);
	assert_true(f->client_pq_share);
	assert_true(f->server_hello);
	assert_false(f->hello_retry);
	assert_int_equal(f->hrr_group, 0);
	assert_int_equal(f->version, 0x0304);
	assert_int_equal(f->group, 0x11ec);
	assert_true(f->established);
	assert_int_equal(tls_pq_verdict(f), TLS_PQ_NEGOTIATED);
	assert_int_equal(f->client_hello_segments, 0); /* the session's to count */

	json_t *o = rec_tls_json(f);
	assert_non_null(o);
	assert_string_equal(tls_key(o, "pq"), "negotiated");
	assert_string_equal(tls_key(o, "group"), "X25519MLKEM768");
	assert_string_equal(tls_key(o, "hrr_group"), "");
	assert_string_equal(tls_elem(o, "client_groups", 0), "X25519MLKEM768");
	assert_string_equal(tls_elem(o, "client_groups", 1), "x25519");
	assert_string_equal(tls_elem(o, "client_groups", 7), "ffdhe3072");
	assert_string_equal(tls_elem(o, "client_key_shares", 0), "X25519MLKEM768");
	assert_string_equal(tls_elem(o, "client_suites", 0), "TLS_AES_256_GCM_SHA384");
	assert_int_equal(json_integer_value(json_object_get(o, "client_hello_bytes")), 1470);
	assert_true(json_is_null(json_object_get(o, "client_hello_segments")));
	assert_true(json_is_false(json_object_get(o, "client_lists_cut")));
	json_decref(o);

	check_every_split(&c, f);
	drv_free(d);
}

static void test_pq_offered_not_chosen(void **state)
{
	(void)state;
	struct conv c;
	CONV_FROM(&c, v_notchosen);
	struct drv *d = drv_run(&c, 0, 0);
	const struct tls_facts *f = &d->t.f;
	assert_int_equal(f->client_hello_bytes, 1470);
	ASSERT_LIST(f->client_shares, f->n_client_shares, 0x11ec, 0x001d);
	assert_true(f->client_pq_offered);
	assert_int_equal(f->group, 0x001d);
	assert_false(f->hello_retry);
	assert_int_equal(tls_pq_verdict(f), TLS_PQ_OFFERED_NOT_CHOSEN);
	json_t *o = rec_tls_json(f);
	assert_string_equal(tls_key(o, "pq"), "offered_not_chosen");
	json_decref(o);
	check_every_split(&c, f);
	drv_free(d);
}

/* The client shares x25519 only; the server asks for X25519MLKEM768. */
static void test_hrr_to_pq(void **state)
{
	(void)state;
	struct conv c;
	CONV_FROM(&c, v_hrrpq);
	struct drv *d = drv_run(&c, 0, 0);
	const struct tls_facts *f = &d->t.f;
	/* the first ClientHello's facts */
	assert_int_equal(f->client_hello_bytes, 234 + 4);
	ASSERT_LIST(f->client_groups, f->n_client_groups, 0x001d, 0x11ec);
	ASSERT_LIST(f->client_shares, f->n_client_shares, 0x001d);
	assert_true(f->client_pq_offered);
	assert_false(f->client_pq_share);
	assert_true(f->hello_retry);
	assert_int_equal(f->hrr_group, 0x11ec);
	assert_int_equal(f->group, 0x11ec);
	assert_true(f->established);
	assert_int_equal(tls_pq_verdict(f), TLS_PQ_NEGOTIATED);
	json_t *o = rec_tls_json(f);
	assert_string_equal(tls_key(o, "hrr_group"), "X25519MLKEM768");
	assert_string_equal(tls_key(o, "pq"), "negotiated");
	assert_true(json_is_true(json_object_get(o, "hello_retry")));
	json_decref(o);
	check_every_split(&c, f);
	drv_free(d);
}

/* The client shares X25519MLKEM768 only; the server asks for secp256r1. */
static void test_hrr_to_classical(void **state)
{
	(void)state;
	struct conv c;
	CONV_FROM(&c, v_hrrclassic);
	struct drv *d = drv_run(&c, 0, 0);
	const struct tls_facts *f = &d->t.f;
	assert_int_equal(f->client_hello_bytes, 1418 + 4);
	ASSERT_LIST(f->client_groups, f->n_client_groups, 0x11ec, 0x0017);
	ASSERT_LIST(f->client_shares, f->n_client_shares, 0x11ec);
	assert_true(f->client_pq_share);
	assert_int_equal(f->hrr_group, 0x0017);
	assert_int_equal(f->group, 0x0017);
	assert_int_equal(tls_pq_verdict(f), TLS_PQ_OFFERED_NOT_CHOSEN);
	json_t *o = rec_tls_json(f);
	assert_string_equal(tls_key(o, "hrr_group"), "secp256r1");
	assert_string_equal(tls_key(o, "pq"), "offered_not_chosen");
	json_decref(o);
	check_every_split(&c, f);
	drv_free(d);
}

/* OpenSSL 3.0 (tls_vectors.h) offers no post-quantum group. */
static void test_classical_not_offered(void **state)
{
	(void)state;
	struct conv c;
	CONV_FROM(&c, v_tls13);
	struct drv *d = drv_run(&c, 0, 0);
	const struct tls_facts *f = &d->t.f;
	/* OpenSSL 3.0's default group list (x25519:secp256r1:x448:secp521r1:secp384r1:ffdhe*) */
	ASSERT_LIST(f->client_groups, f->n_client_groups, 0x001d, 0x0017, 0x001e, 0x0019, 0x0018,
		    0x0100, 0x0101, 0x0102, 0x0103, 0x0104);
	ASSERT_LIST(f->client_shares, f->n_client_shares, 0x001d);
	/* the handshake header's length (the message is whole in the first record) */
	assert_int_equal(f->client_hello_bytes, 4u + ((unsigned)v_tls13_c[6] << 16 |
						      (unsigned)v_tls13_c[7] << 8 | v_tls13_c[8]));
	assert_false(f->client_pq_offered);
	assert_int_equal(tls_pq_verdict(f), TLS_PQ_NOT_OFFERED);
	json_t *o = rec_tls_json(f);
	assert_string_equal(tls_key(o, "pq"), "not_offered");
	json_decref(o);
	drv_free(d);
}

/* No ClientHello, or a client that offered PQ and got no answer: null. */
static void test_verdict_unknown(void **state)
{
	(void)state;
	struct tls_facts f;
	memset(&f, 0, sizeof(f));
	assert_int_equal(tls_pq_verdict(&f), TLS_PQ_UNKNOWN);
	assert_null(tls_pq_name(TLS_PQ_UNKNOWN));
	f.client_hello = 1;
	f.client_pq_offered = 1;
	assert_int_equal(tls_pq_verdict(&f), TLS_PQ_UNKNOWN);
	f.sslv2_client_hello = 1;
	f.client_pq_offered = 0;
	assert_int_equal(tls_pq_verdict(&f), TLS_PQ_UNKNOWN);
	f.sslv2_client_hello = 0;
	assert_int_equal(tls_pq_verdict(&f), TLS_PQ_NOT_OFFERED);
	json_t *o = rec_tls_json(&f);
	assert_true(json_is_null(json_object_get(o, "hrr_group")));
	json_decref(o);
	memset(&f, 0, sizeof(f));
	json_t *z = rec_tls_json(&f);
	assert_true(json_is_null(json_object_get(z, "pq")));
	assert_true(json_is_null(json_object_get(z, "client_hello_bytes")));
	json_decref(z);
}

/* Finds needle in the ClientHello bytes of v_pq; returns its offset. */
static size_t find(const uint8_t *p, size_t n, const uint8_t *needle, size_t k)
{
	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(p + i, needle, k))
			return i;
	fail_msg("pattern not found");
	return 0;
}

/* GREASE groups and key shares are left out; an unassigned group is named
 * by number. The v_pq ClientHello with its supported_groups rewritten. */
static void test_grease_and_unknown(void **state)
{
	(void)state;
	uint8_t *cl = malloc(sizeof(v_pq_c));
	assert_non_null(cl);
	memcpy(cl, v_pq_c, sizeof(v_pq_c));
	/* supported_groups: type 0x000a, length 18, list length 16, 0x11ec... */
	static const uint8_t sg[] = {0x00, 0x0a, 0x00, 0x12, 0x00, 0x10, 0x11, 0xec};
	size_t at = find(cl, sizeof(v_pq_c), sg, sizeof(sg));
	cl[at + 6] = 0x2a; /* 0x11ec -> GREASE 0x2a2a */
	cl[at + 7] = 0x2a;
	cl[at + 20] = 0x12; /* the last, 0x0101 -> unassigned 0x1234 */
	cl[at + 21] = 0x34;
	struct conv c;
	conv_from(&c, cl, sizeof(v_pq_c), v_pq_s, sizeof(v_pq_s), v_pq_segs,
		  sizeof(v_pq_segs) / sizeof(v_pq_segs[0]));
	struct drv *d = drv_run(&c, 0, 0);
	const struct tls_facts *f = &d->t.f;
	ASSERT_LIST(f->client_groups, f->n_client_groups, 0x001d, 0x0017, 0x001e, 0x0018, 0x0019,
		    0x0100, 0x1234);
	assert_false(f->client_pq_offered); /* only the key share is PQ now */
	assert_true(f->client_pq_share);
	/* the server still chose X25519MLKEM768 from the share */
	assert_int_equal(tls_pq_verdict(f), TLS_PQ_NEGOTIATED);
	json_t *o = rec_tls_json(f);
	assert_string_equal(tls_elem(o, "client_groups", 6), "0x1234");
	json_decref(o);
	drv_free(d);
	free(cl);
}

/* A hand-made ClientHello with 40 suites (and a GREASE one) and 20 groups:
 * the lists are cut at their caps and say so. */
static void test_caps(void **state)
{
	(void)state;
	uint8_t m[512];
	size_t o = 0;
	m[o++] = 0x16, m[o++] = 0x03, m[o++] = 0x01, o += 2; /* record header */
	m[o++] = 0x01, o += 3;				     /* ClientHello */
	m[o++] = 0x03, m[o++] = 0x03;
	memset(m + o, 0x11, 32), o += 32;
	m[o++] = 0; /* session id */
	m[o++] = 0, m[o++] = 82;
	m[o++] = 0x0a, m[o++] = 0x0a; /* GREASE first */
	for (unsigned i = 0; i < 40; i++)
		m[o++] = 0xc0, m[o++] = (uint8_t)i;
	m[o++] = 1, m[o++] = 0;	 /* compression: null */
	m[o++] = 0, m[o++] = 46; /* extensions */
	m[o++] = 0x00, m[o++] = 0x0a, m[o++] = 0, m[o++] = 42, m[o++] = 0, m[o++] = 40;
	for (unsigned i = 0; i < 20; i++)
		m[o++] = 0x00, m[o++] = (uint8_t)(i + 1);
	size_t rec = o - 5, body = o - 9;
	m[3] = (uint8_t)(rec >> 8), m[4] = (uint8_t)rec;
	m[6] = (uint8_t)(body >> 16), m[7] = (uint8_t)(body >> 8), m[8] = (uint8_t)body;
	struct drv *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->cfg.max_handshake = 65536;
	tls_init(&d->t, &d->cfg, &d->mem);
	struct dissect_result r = tls_feed(&d->t, 0, m, o);
	assert_int_equal(r.consumed, o);
	const struct tls_facts *f = &d->t.f;
	assert_true(f->client_hello);
	assert_int_equal(f->malformed[0], 0);
	assert_int_equal(f->client_hello_bytes, body + 4);
	assert_int_equal(f->n_client_suites, TLSD_MAX_SUITES);
	assert_int_equal(f->client_suites[0], 0xc000);
	assert_int_equal(f->client_suites[TLSD_MAX_SUITES - 1], 0xc000 + TLSD_MAX_SUITES - 1);
	assert_int_equal(f->n_client_groups, TLSD_MAX_GROUPS);
	assert_true(f->client_lists_cut);
	assert_int_equal(tls_pq_verdict(f), TLS_PQ_NOT_OFFERED);
	json_t *j = rec_tls_json(f);
	assert_int_equal(json_array_size(json_object_get(j, "client_suites")), TLSD_MAX_SUITES);
	assert_int_equal(json_array_size(json_object_get(j, "client_groups")), TLSD_MAX_GROUPS);
	assert_true(json_is_true(json_object_get(j, "client_lists_cut")));
	json_decref(j);
	tls_free(&d->t);
	assert_int_equal(d->mem.in_use, 0);
	free(d);
}

/* ---- the session: how many TCP segments carried the ClientHello -------- */

struct sdrv {
	struct sess_cfg cfg;
	struct mem mem;
	struct sess s;
	struct feed fd;
};

/* The reassembler's side of the session: what data() did not take is kept. */
static struct dissect_result sdrv_on_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct sdrv *d = ctx;
	size_t k = sess_ops()->data(&d->s, dir, p, n);
	return dissect_result(k < n ? DISSECT_WAIT : DISSECT_OK, k, 0);
}

static const struct feed_ops sdrv_ops = {sdrv_on_feed, NULL, NULL, NULL};

#define SMTP_SEG(dir, text)                                                                        \
	{                                                                                          \
		dir, (const uint8_t *)(text), sizeof(text) - 1                                     \
	}

static const struct feed_seg smtp_prelude[] = {
	SMTP_SEG(1, "220 mx.example.test ESMTP\r\n"),
	SMTP_SEG(0, "EHLO c.example.test\r\n"),
	SMTP_SEG(1, "250-mx.example.test\r\n250 STARTTLS\r\n"),
	SMTP_SEG(0, "STARTTLS\r\n"),
	SMTP_SEG(1, "220 go ahead\r\n"),
};

/* The STARTTLS dialogue, then the conversation; split (if nonzero) cuts one
 * segment of the TLS part at that byte of it. Returns the count the session
 * put into the TLS facts. */
static unsigned segments_of(const struct conv *c, size_t split)
{
	struct feed_seg segs[SEGS_MAX + 8];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(smtp_prelude) / sizeof(smtp_prelude[0]); i++)
		segs[n++] = smtp_prelude[i];
	size_t pre = feed_total(segs, n);
	for (size_t i = 0; i < c->nsegs; i++)
		segs[n++] = c->segs[i];
	struct sdrv *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->cfg.smtp.max_line = 1024;
	d->cfg.tls.max_handshake = 65536;
	sess_init(&d->s, &d->cfg, &d->mem, 0);
	assert_int_equal(feed_init(&d->fd, &sdrv_ops, d, CONV_MAX), 0);
	feed_play(&d->fd, segs, n, 0, split ? pre + split : 0);
	assert_non_null(d->s.app);
	const struct tls_facts *f = &d->s.app->tls.f;
	assert_true(f->client_hello);
	assert_true(f->server_hello);
	unsigned k = f->client_hello_segments;
	assert_int_equal(d->fd.violations, 0);
	assert_int_equal(sess_event_count(&d->s, SESS_EV_CONTRACT_VIOLATION), 0);
	feed_free(&d->fd);
	sess_free(&d->s);
	assert_int_equal(d->mem.in_use, 0);
	free(d);
	return k;
}

static void test_session_segments(void **state)
{
	(void)state;
	struct conv c;
	CONV_FROM(&c, v_pq);
	assert_int_equal(segments_of(&c, 0), 2);    /* 1448 + 27, as captured */
	assert_int_equal(segments_of(&c, 700), 3);  /* the first segment cut in two */
	assert_int_equal(segments_of(&c, 1470), 3); /* the second one cut */
	/* the server's segments and the client's Finished do not count */
	assert_int_equal(segments_of(&c, 2000), 2);
	CONV_FROM(&c, v_hrrpq);
	assert_int_equal(segments_of(&c, 0), 1); /* the first ClientHello only */
	CONV_FROM(&c, v_hrrclassic);
	assert_int_equal(segments_of(&c, 0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_registry),
		cmocka_unit_test(test_pq_negotiated),
		cmocka_unit_test(test_pq_offered_not_chosen),
		cmocka_unit_test(test_hrr_to_pq),
		cmocka_unit_test(test_hrr_to_classical),
		cmocka_unit_test(test_classical_not_offered),
		cmocka_unit_test(test_verdict_unknown),
		cmocka_unit_test(test_grease_and_unknown),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_session_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
