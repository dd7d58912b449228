/* Unit tests for dissectors/proto/tls.c and dissectors/proto/fingerprint.c: RFC 8448
 * hellos, TLS 1.2 / 1.3 / HelloRetryRequest / resumption / alert handshakes
 * captured on loopback, SSLv2 ClientHello, not-TLS input, oversize handshake
 * messages, messages split across records, gaps, JA3/JA3S (values from
 * tshark on the same bytes), and every split of every conversation (JA4 and
 * the JA3 strings: test_fingerprint.c; events and the contract:
 * test_tls_events.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/proto/fingerprint.h"
#include "dissectors/proto/tls.h"
#include "stats/record/rec_tls.h"
#include "feed.h"
#include "tls_vectors.h"

/* ---- a conversation and a driver that behaves like the session --------- */

#define CONV_MAX 16384
#define SEGS_MAX 64

struct conv {
	uint8_t data[2][CONV_MAX];
	size_t len[2];
	struct vseg segs[SEGS_MAX];
	size_t nsegs;
};

static void conv_add(struct conv *c, int dir, const void *p, size_t n)
{
	assert_true(c->len[dir] + n <= CONV_MAX);
	assert_true(c->nsegs < SEGS_MAX);
	memcpy(c->data[dir] + c->len[dir], p, n);
	c->len[dir] += n;
	c->segs[c->nsegs].dir = dir;
	c->segs[c->nsegs].len = (unsigned)n;
	c->nsegs++;
}

static void conv_from(struct conv *c, const uint8_t *cl, size_t cn, const uint8_t *sv, size_t sn,
		      const struct vseg *segs, size_t nsegs)
{
	size_t off[2] = {0, 0};
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < nsegs; i++) {
		int d = segs[i].dir;
		const uint8_t *src = d ? sv : cl;
		assert_true(off[d] + segs[i].len <= (d ? sn : cn));
		conv_add(c, d, src + off[d], segs[i].len);
		off[d] += segs[i].len;
	}
}

#define CONV_FROM(c, v)                                                                            \
	conv_from(c, v##_c, sizeof(v##_c), v##_s, sizeof(v##_s), v##_segs,                         \
		  sizeof(v##_segs) / sizeof(v##_segs[0]))

struct drv {
	struct tls_cfg cfg;
	struct mem mem;
	struct tls t;
	struct feed fd;
	unsigned chains;
	size_t passed[2]; /* bytes past the end of the handshake (the session's) */
	size_t leaf_len;
	uint8_t leaf0;
};

static void drv_on_chain(void *ctx, const struct tls_chain *chain)
{
	struct drv *d = ctx;
	d->chains++;
	d->leaf_len = chain->len[0];
	d->leaf0 = chain->der[0][0];
}

static struct dissect_result drv_on_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct drv *d = ctx;
	return tls_feed(&d->t, dir, p, n);
}

static void drv_on_gap(void *ctx, int dir, uint64_t n)
{
	struct drv *d = ctx;
	tls_gap(&d->t, dir, n);
}

/* Like the session, stops once the handshake is over (the rest would only
 * be counted). */
static int drv_on_stopped(void *ctx, int dir)
{
	struct drv *d = ctx;
	(void)dir;
	return tls_done(&d->t);
}

static void drv_on_passed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct drv *d = ctx;
	(void)p;
	d->passed[dir] += n;
}

static const struct feed_ops drv_ops = {drv_on_feed, drv_on_gap, drv_on_stopped, drv_on_passed};

/* d is zeroed (calloc) or was initialised before. */
static void drv_init(struct drv *d, uint32_t max_hs)
{
	feed_free(&d->fd);
	memset(d, 0, sizeof(*d));
	d->cfg.max_handshake = max_hs;
	tls_init(&d->t, &d->cfg, &d->mem);
	d->t.on_chain = drv_on_chain;
	d->t.chain_ctx = d;
	assert_int_equal(feed_init(&d->fd, &drv_ops, d, CONV_MAX), 0);
}

static void drv_feed(struct drv *d, int dir, const uint8_t *p, size_t n)
{
	feed_bytes(&d->fd, dir, p, n);
}

static void drv_free(struct drv *d)
{
	assert_int_equal(d->fd.violations, 0);
	feed_free(&d->fd);
	tls_free(&d->t);
	assert_int_equal(d->mem.in_use, 0);
}

/* Plays the conversation through the feeder: pieces of at most `step`
 * bytes (0 = whole), and the byte at global offset `split` (if nonzero)
 * starts a new piece. */
static void drv_play(struct drv *d, const struct conv *c, size_t step, size_t split)
{
	struct feed_seg segs[SEGS_MAX];
	size_t off[2] = {0, 0};
	for (size_t i = 0; i < c->nsegs; i++) {
		int dir = c->segs[i].dir;
		segs[i].dir = dir;
		segs[i].p = c->data[dir] + off[dir];
		segs[i].n = c->segs[i].len;
		off[dir] += segs[i].n;
	}
	feed_play(&d->fd, segs, c->nsegs, step, split);
}

static size_t conv_total(const struct conv *c)
{
	return c->len[0] + c->len[1];
}

static void run(struct drv *d, const struct conv *c, uint32_t max_hs)
{
	drv_init(d, max_hs);
	drv_play(d, c, 0, 0);
}

/* Whole, byte by byte and at every two-way split: identical facts. */
static void check_every_split(const struct conv *c, uint32_t max_hs)
{
	struct drv *ref = calloc(1, sizeof(*ref));
	struct drv *d = calloc(1, sizeof(*d));
	assert_non_null(ref);
	assert_non_null(d);
	run(ref, c, max_hs);

	drv_init(d, max_hs);
	drv_play(d, c, 1, 0);
	assert_memory_equal(&ref->t.f, &d->t.f, sizeof(ref->t.f));
	assert_int_equal(tls_done(&ref->t), tls_done(&d->t));
	drv_free(d);

	size_t total = conv_total(c);
	for (size_t s = 1; s < total; s++) {
		drv_init(d, max_hs);
		drv_play(d, c, 0, s);
		if (memcmp(&ref->t.f, &d->t.f, sizeof(ref->t.f)) != 0)
			fail_msg("facts differ when split at byte %zu", s);
		assert_int_equal(tls_done(&ref->t), tls_done(&d->t));
		assert_int_equal(ref->chains, d->chains);
		drv_free(d);
	}
	drv_free(ref);
	free(ref);
	free(d);
}

/* ---- record builders ----------------------------------------------------- */

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

/* The RFC 8448 §3 handshake: the published hellos in records, then an
 * encrypted server flight and client Finished (opaque bytes of the
 * published lengths). */
static void conv_rfc8448(struct conv *c)
{
	uint8_t buf[1024];
	memset(c, 0, sizeof(*c));
	conv_add(c, 0, buf, put_record(buf, 22, 0x0301, rfc8448_ch, sizeof(rfc8448_ch)));
	size_t n = put_record(buf, 22, 0x0303, rfc8448_sh, sizeof(rfc8448_sh));
	n += put_record(buf + n, 23, 0x0303, NULL, 0x2a2);
	conv_add(c, 1, buf, n);
	/* the client's Finished and its first application data in one
	 * segment: parsing stops after the Finished whatever the split */
	n = put_record(buf, 23, 0x0303, NULL, 0x35);
	n += put_record(buf + n, 23, 0x0303, NULL, 0x2b);
	conv_add(c, 0, buf, n);
}

/* Offset of the k-th record (0-based) in one direction's bytes. */
static size_t record_offset(const uint8_t *p, size_t n, unsigned k)
{
	size_t off = 0;
	while (k--) {
		assert_true(off + 5 <= n);
		off += 5u + ((size_t)p[off + 3] << 8 | p[off + 4]);
	}
	return off;
}

/* Rewraps the clear handshake records of one direction into records of at
 * most `frag` bytes of the handshake stream (records from the first
 * ChangeCipherSpec on are copied as they are): messages then span records
 * and records hold several messages. */
static void flush_hs(uint8_t *out, size_t *o, size_t cap, const uint8_t *hs, size_t hlen,
		     size_t frag)
{
	for (size_t a = 0; a < hlen; a += frag) {
		size_t k = hlen - a < frag ? hlen - a : frag;
		assert_true(*o + 5 + k <= cap);
		*o += put_record(out + *o, 22, 0x0303, hs + a, k);
	}
}

static size_t refragment(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t frag)
{
	static uint8_t hs[CONV_MAX];
	size_t hlen = 0, o = 0, off = 0;
	int clear = 1;
	while (off + 5 <= n) {
		size_t len = (size_t)in[off + 3] << 8 | in[off + 4];
		assert_true(off + 5 + len <= n);
		if (in[off] == 20)
			clear = 0;
		if (clear && in[off] == 22) {
			memcpy(hs + hlen, in + off + 5, len);
			hlen += len;
		} else {
			flush_hs(out, &o, cap, hs, hlen, frag);
			hlen = 0;
			assert_true(o + 5 + len <= cap);
			memcpy(out + o, in + off, 5 + len);
			o += 5 + len;
		}
		off += 5 + len;
	}
	flush_hs(out, &o, cap, hs, hlen, frag);
	return o;
}

/* ---- tests --------------------------------------------------------------- */

static void test_looks_like_tls(void **state)
{
	(void)state;
	static const uint8_t hs[] = {0x16, 0x03, 0x01, 0x00, 0xc4, 0x01};
	static const uint8_t v2[] = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00};
	assert_int_equal(tls_looks_like_tls(hs, 0), -1);
	assert_int_equal(tls_looks_like_tls(hs, 1), -1);
	assert_int_equal(tls_looks_like_tls(hs, 2), -1);
	assert_int_equal(tls_looks_like_tls(hs, 4), -1);
	assert_int_equal(tls_looks_like_tls(hs, 5), 1);
	assert_int_equal(tls_looks_like_tls(v2, 5), 1);
	assert_int_equal(tls_looks_like_tls((const uint8_t *)"220 mx ESMTP\r\n", 14), 0);
	assert_int_equal(tls_looks_like_tls((const uint8_t *)"EHLO x\r\n", 8), 0);
	assert_int_equal(tls_looks_like_tls((const uint8_t *)"\x16\x04", 2), 0);
	assert_int_equal(tls_looks_like_tls((const uint8_t *)"\x16\x03\x09", 3), 0);
	/* length far above 2^14 + 2048 */
	assert_int_equal(tls_looks_like_tls((const uint8_t *)"\x16\x03\x01\xff\xff", 5), 0);
}

static void test_rfc8448(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	conv_rfc8448(c);
	run(d, c, 65536);
	const struct tls_facts *f = &d->t.f;
	assert_true(f->client_hello);
	assert_int_equal(f->client_legacy_version, 0x0303);
	assert_int_equal(f->client_max_version, 0x0304);
	assert_int_equal(f->n_client_versions, 1);
	assert_int_equal(f->client_versions[0], 0x0304);
	assert_string_equal(f->sni, "server");
	assert_string_equal(f->alpn, "");
	assert_true(f->reneg_info);
	assert_false(f->ticket_offered); /* empty session_ticket extension */
	assert_false(f->session_id_offered);
	assert_true(f->server_hello);
	assert_false(f->hello_retry);
	assert_int_equal(f->version, 0x0304);
	assert_int_equal(f->cipher, 0x1301);
	assert_int_equal(f->group, 0x001d);
	assert_int_equal(f->downgrade_sentinel, 0);
	assert_false(f->resumed);
	assert_true(f->established);
	assert_true(tls_done(&d->t));
	/* tshark 4.0 on these bytes (text2pcap): */
	assert_string_equal(f->ja3, "da4dea34fe6d4ce5f0725df3f2682fa0");
	assert_string_equal(f->ja3s, "eb1d94daa7e0344597e756a1fb6e7054");
	assert_string_equal(f->ja4, "t13d030900_55b375c5d22e_59cd3dafc54d");
	assert_int_equal(f->app_bytes[1], 0x2a2);
	assert_int_equal(f->app_bytes[0], 0x35); /* the rest is the session's to count */
	assert_int_equal(d->passed[0], 5 + 0x2b);
	drv_free(d);
	check_every_split(c, 65536);
	free(c);
	free(d);
}

static void test_tls12(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	CONV_FROM(c, v_tls12);
	run(d, c, 65536);
	const struct tls_facts *f = &d->t.f;
	assert_true(f->client_hello);
	assert_string_equal(f->sni, "mx.example.test");
	assert_int_equal(f->client_max_version, 0x0303);
	assert_int_equal(f->version, 0x0303);
	assert_int_equal(f->cipher, 0xc02f);
	assert_int_equal(f->group, 0x001d); /* x25519 from the ServerKeyExchange */
	assert_int_equal(f->downgrade_sentinel, 1);
	assert_int_equal(f->server_certs, 1);
	assert_int_equal(d->chains, 1);
	assert_int_equal(d->leaf0, 0x30);
	assert_int_equal(d->leaf_len, 0x319);
	assert_true(f->reneg_scsv);
	assert_false(f->fallback_scsv);
	assert_true(f->ccs[0] && f->ccs[1]);
	assert_true(f->established);
	assert_false(f->resumed);
	assert_false(f->client_cert_requested);
	assert_int_equal(f->malformed[0] + f->malformed[1], 0);
	assert_true(tls_done(&d->t));
	/* tshark -e tls.handshake.ja3 / ja3s on the capture: */
	assert_string_equal(f->ja3, "d1f47f694f10b1faf653048918492609");
	assert_string_equal(f->ja3s, "1af33e1657631357c73119488045302c");
	assert_string_equal(f->ja4, "t12d020700_b06afd972a5c_e7e480e5a997");
	drv_free(d);
	check_every_split(c, 65536);
	free(c);
	free(d);
}

static void test_dhe_cert_request(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	CONV_FROM(c, v_dhe);
	run(d, c, 65536);
	const struct tls_facts *f = &d->t.f;
	assert_int_equal(f->cipher, 0x009e);
	assert_int_equal(f->dh_bits, 2048);
	assert_int_equal(f->group, 0);
	assert_true(f->client_cert_requested);
	assert_true(f->established);
	assert_string_equal(f->ja3, "bfa18b1f40827f028ed9d6133d494e0f");
	assert_string_equal(f->ja3s, "6083fd0ddad8c75177f2e05a0d16748f");
	drv_free(d);
	free(c);
	free(d);
}

static void test_tls13(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	CONV_FROM(c, v_tls13);
	run(d, c, 65536);
	const struct tls_facts *f = &d->t.f;
	assert_int_equal(f->version, 0x0304);
	assert_int_equal(f->client_max_version, 0x0304);
	assert_int_equal(f->cipher, 0x1302);
	assert_int_equal(f->group, 0x001d);
	assert_string_equal(f->alpn, "smtp");
	assert_true(f->session_id_offered);   /* middlebox compatibility mode */
	assert_int_equal(f->server_certs, 0); /* encrypted in 1.3 */
	assert_true(f->established);
	assert_false(f->encrypted_alert[0]);
	assert_true(tls_done(&d->t));
	assert_string_equal(f->ja3, "9dffdb8b608a430b774a2ff7d36c1a0c");
	assert_string_equal(f->ja3s, "15af977ce25de452b96affa2addb1036");
	assert_string_equal(f->ja4, "t13d0411sp_16476d049b0b_78f1d400d464");
	drv_free(d);
	check_every_split(c, 65536);
	free(c);
	free(d);
}

static void test_hello_retry(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	CONV_FROM(c, v_hrr);
	run(d, c, 65536);
	const struct tls_facts *f = &d->t.f;
	assert_true(f->hello_retry);
	assert_true(f->server_hello);
	assert_int_equal(f->version, 0x0304);
	assert_int_equal(f->group, 0x0017); /* secp256r1 after the retry */
	assert_true(f->established);
	/* the fingerprints are those of the first ClientHello and of the real
	 * ServerHello (tshark gives the same JA3S for both server hellos here) */
	assert_string_equal(f->ja3, "c957e1b78599f9337a29ea53e8c1625d");
	assert_string_equal(f->ja3s, "15af977ce25de452b96affa2addb1036");
	drv_free(d);
	check_every_split(c, 65536);
	free(c);
	free(d);
}

static void test_resumed(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	CONV_FROM(c, v_resume);
	run(d, c, 65536);
	const struct tls_facts *f = &d->t.f;
	assert_true(f->session_id_offered);
	assert_true(f->resumed);
	assert_int_equal(f->server_certs, 0);
	assert_true(f->established);
	assert_string_equal(f->ja3, "da2d07d073fb1a692629af125bfe875e");
	assert_string_equal(f->ja3s, "fd4bc6cea4877646ccd62f0792ec0b62");
	drv_free(d);
	check_every_split(c, 65536);
	free(c);
	free(d);
}

static void test_alert(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	CONV_FROM(c, v_alert);
	run(d, c, 65536);
	const struct tls_facts *f = &d->t.f;
	assert_true(f->client_hello);
	assert_false(f->server_hello);
	assert_int_equal(f->alerts_n[1], 1);
	assert_int_equal(f->alerts[1][0][0], 2);  /* fatal */
	assert_int_equal(f->alerts[1][0][1], 70); /* protocol_version */
	assert_false(f->established);
	assert_true(tls_done(&d->t));
	assert_string_equal(f->ja3, "871a754af286dfb70c1b53c6887c62e0");
	drv_free(d);
	check_every_split(c, 65536);
	free(c);
	free(d);
}

/* ≤1.2: an alert record after the client's ChangeCipherSpec, instead of
 * its Finished, is an encrypted alert and the handshake failed. */
static void test_encrypted_alert(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	CONV_FROM(c, v_tls12);
	/* client records: ClientHello, ClientKeyExchange, CCS, Finished */
	size_t fin = record_offset(c->data[0], c->len[0], 3);
	assert_int_equal(c->data[0][fin], 22);
	c->data[0][fin] = 21;
	run(d, c, 65536);
	const struct tls_facts *f = &d->t.f;
	assert_true(f->encrypted_alert[0]);
	assert_int_equal(f->alerts_n[0], 0);
	assert_false(f->established);
	assert_true(tls_done(&d->t));
	drv_free(d);
	free(c);
	free(d);
}

static void test_downgrade_sentinel(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	CONV_FROM(c, v_tls12);
	/* ServerHello.random is at 5 + 4 + 2 in the server's bytes; its last
	 * byte 0x01 becomes 0x00: "negotiated TLS 1.1 or below". */
	assert_int_equal(c->data[1][11 + 31], 0x01);
	c->data[1][11 + 31] = 0x00;
	run(d, c, 65536);
	assert_int_equal(d->t.f.downgrade_sentinel, 2);
	drv_free(d);
	c->data[1][11 + 30] = 0x45; /* no sentinel any more */
	run(d, c, 65536);
	assert_int_equal(d->t.f.downgrade_sentinel, 0);
	drv_free(d);
	free(c);
	free(d);
}

static void test_sslv2_client_hello(void **state)
{
	(void)state;
	/* RFC 5246 E.2: msg_length 46 | type 1 | version 3.1 | cipher_spec_length
	 * 21 | session_id_length 0 | challenge_length 16 | specs | challenge */
	static const uint8_t ch[] = {
		0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10, 0x00,
		0x00, 0x39, 0x00, 0x00, 0x38, 0x00, 0x00, 0x35, 0x00, 0x00, 0x16, 0x07,
		0x00, 0xc0, 0x00, 0x00, 0x0a, 0x00, 0x56, 0x00, 0x11, 0x22, 0x33, 0x44,
		0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
	};
	/* SSLv2 SERVER-HELLO (type 4) with empty certificate and specs */
	static const uint8_t sh[] = {0x80, 0x0b, 0x04, 0x00, 0x01, 0x00, 0x02,
				     0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	conv_add(c, 0, ch, sizeof(ch));
	run(d, c, 65536);
	const struct tls_facts *f = &d->t.f;
	assert_true(f->client_hello);
	assert_true(f->sslv2_client_hello);
	assert_int_equal(f->client_legacy_version, 0x0301);
	assert_true(f->fallback_scsv);
	assert_string_equal(f->ja3, ""); /* JA3/JA4 are defined on TLS hellos */
	assert_false(tls_done(&d->t));
	drv_free(d);
	check_every_split(c, 65536);

	conv_add(c, 1, sh, sizeof(sh));
	run(d, c, 65536);
	assert_true(d->t.f.server_hello);
	assert_int_equal(d->t.f.version, 0x0002);
	assert_true(tls_done(&d->t));
	drv_free(d);
	check_every_split(c, 65536);
	free(c);
	free(d);
}

static void test_not_tls(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	static const char reply[] = "220 mx ESMTP\r\n";
	drv_init(d, 65536);
	size_t k = tls_feed(&d->t, 1, (const uint8_t *)reply, sizeof(reply) - 1).consumed;
	assert_int_equal(k, sizeof(reply) - 1); /* consumed without parsing */
	assert_true(d->t.f.not_tls[1]);
	assert_false(d->t.f.not_tls[0]);
	assert_true(tls_done(&d->t));
	k = tls_feed(&d->t, 1, (const uint8_t *)reply, 3).consumed;
	assert_int_equal(k, 3);
	drv_free(d);

	/* One byte at a time: undecided until a byte contradicts TLS. */
	drv_init(d, 65536);
	assert_int_equal(tls_feed(&d->t, 0, (const uint8_t *)"\x16", 1).consumed, 0);
	assert_false(d->t.f.not_tls[0]);
	assert_int_equal(tls_feed(&d->t, 0, (const uint8_t *)"\x16Q", 2).consumed, 2);
	assert_true(d->t.f.not_tls[0]);
	drv_free(d);
	free(d);
}

/* A record length that is impossible mid-stream: the direction is given up
 * (malformed) but was TLS. */
static void test_bad_record_later(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	uint8_t buf[64];
	drv_init(d, 65536);
	size_t n = put_record(buf, 23, 0x0303, NULL, 8);
	memcpy(buf + n, "\x16\x03\x03\xff\xff", 5);
	assert_int_equal(tls_feed(&d->t, 0, buf, n + 5).consumed, n + 5);
	assert_false(d->t.f.not_tls[0]);
	assert_int_equal(d->t.f.malformed[0], 1);
	assert_int_equal(d->t.f.records[0], 1);
	drv_free(d);

	/* 2^14 + 2048 < length <= 2^15 after a first record: counted as
	 * oversize, still parsed (a first record that long is not TLS) */
	static uint8_t big[13 + 5 + 20000];
	drv_init(d, 65536);
	n = put_record(big, 23, 0x0303, NULL, 8);
	put_record(big + n, 23, 0x0303, NULL, 20000);
	assert_int_equal(tls_feed(&d->t, 0, big, 4000).consumed, n);
	assert_int_equal(d->t.f.oversize_records[0], 0);
	assert_int_equal(tls_feed(&d->t, 0, big + n, sizeof(big) - n).consumed, sizeof(big) - n);
	assert_int_equal(d->t.f.oversize_records[0], 1);
	assert_int_equal(d->t.f.app_bytes[0], 20008);
	drv_free(d);

	drv_init(d, 65536);
	assert_int_equal(tls_feed(&d->t, 0, big + n, 5).consumed, 5);
	assert_true(d->t.f.not_tls[0]);
	drv_free(d);
	free(d);
}

/* Handshake messages over several records, several messages per record. */
static void test_fragmented_handshake(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct conv *r = calloc(1, sizeof(*r));
	struct drv *d = calloc(1, sizeof(*d));
	struct drv *e = calloc(1, sizeof(*e));
	static uint8_t out[2][CONV_MAX];
	CONV_FROM(c, v_tls12);
	run(d, c, 65536);
	/* v_tls12 ends with each side's encrypted close_notify: left out here,
	 * since the server's would come before the client's Finished */
	size_t srv_len = c->len[1] - c->segs[4].len;
	for (size_t frag = 1; frag <= 400; frag = frag * 3 + 7) {
		/* the ClientHello alone, then the whole server side, then the
		 * client's second flight as it was */
		size_t n0 = refragment(c->data[0], c->segs[0].len, out[0], CONV_MAX, frag);
		size_t n1 = refragment(c->data[1], srv_len, out[1], CONV_MAX, frag);
		memset(r, 0, sizeof(*r));
		conv_add(r, 0, out[0], n0);
		conv_add(r, 1, out[1], n1);
		conv_add(r, 0, c->data[0] + c->segs[0].len, c->segs[2].len);
		run(e, r, 65536);
		const struct tls_facts *a = &d->t.f, *b = &e->t.f;
		assert_string_equal(a->ja3, b->ja3);
		assert_string_equal(a->ja4, b->ja4);
		assert_string_equal(a->ja3s, b->ja3s);
		assert_string_equal(a->sni, b->sni);
		assert_int_equal(a->group, b->group);
		assert_int_equal(a->server_certs, b->server_certs);
		assert_int_equal(e->chains, 1);
		assert_true(b->established);
		assert_int_equal(b->malformed[0] + b->malformed[1], 0);
		if (frag == 1)
			check_every_split(r, 65536);
		drv_free(e);
	}
	drv_free(d);
	free(c);
	free(r);
	free(d);
	free(e);
}

/* A handshake message above max_handshake is skipped and counted; the
 * messages around it are still read. */
static void test_oversize_handshake(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct conv *r = calloc(1, sizeof(*r));
	struct drv *d = calloc(1, sizeof(*d));
	static uint8_t out[CONV_MAX];
	CONV_FROM(c, v_tls12);
	/* Certificate is 799 bytes + header; ClientHello 151; the others less. */
	run(d, c, 400);
	const struct tls_facts *f = &d->t.f;
	assert_int_equal(f->skipped_handshake[1], 1);
	assert_int_equal(f->skipped_handshake[0], 0);
	assert_int_equal(f->server_certs, 0);
	assert_int_equal(d->chains, 0);
	assert_int_equal(f->group, 0x001d); /* the ServerKeyExchange after it */
	assert_true(f->established);
	drv_free(d);
	check_every_split(c, 400);

	run(d, c, 100);
	assert_int_equal(d->t.f.skipped_handshake[0], 1);
	assert_false(d->t.f.client_hello);
	drv_free(d);

	/* Skipping across records: the Certificate in 64-byte fragments (the
	 * closing alerts left out, as in test_fragmented_handshake). */
	size_t n1 = refragment(c->data[1], c->len[1] - c->segs[4].len, out, CONV_MAX, 64);
	memset(r, 0, sizeof(*r));
	conv_add(r, 0, c->data[0], c->segs[0].len);
	conv_add(r, 1, out, n1);
	conv_add(r, 0, c->data[0] + c->segs[0].len, c->segs[2].len);
	run(d, r, 400);
	assert_int_equal(d->t.f.skipped_handshake[1], 1);
	assert_int_equal(d->t.f.group, 0x001d);
	assert_true(d->t.f.established);
	drv_free(d);
	check_every_split(r, 400);

	/* The buffer cannot be grown for the Certificate (the second
	 * allocation; the first is the ServerHello's): that message is
	 * skipped and counted, the rest is read, nothing leaks. */
	drv_init(d, 65536);
	d->mem.fail_at = 2;
	drv_play(d, r, 0, 0);
	assert_int_equal(d->t.f.skipped_handshake[1], 1);
	assert_int_equal(d->mem.failures, 1);
	assert_int_equal(d->t.f.server_certs, 0);
	assert_int_equal(d->t.f.group, 0x001d);
	assert_true(d->t.f.established);
	drv_free(d);
	/* every allocation failing in turn: no crash, no leak */
	for (uint64_t k = 1; k < 8; k++) {
		drv_init(d, 65536);
		d->mem.fail_at = k;
		drv_play(d, r, 0, 0);
		drv_free(d);
	}
	free(c);
	free(r);
	free(d);
}

/* A gap inside the server's Certificate: resynchronise on the next
 * record header (the ServerKeyExchange) and go on. */
static void test_gap_resync(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	CONV_FROM(c, v_tls12);
	drv_init(d, 65536);
	const uint8_t *s = c->data[1];
	size_t cert = record_offset(s, c->len[1], 1);
	size_t ske = record_offset(s, c->len[1], 2);
	drv_feed(d, 0, c->data[0], c->segs[0].len);
	drv_feed(d, 1, s, cert + 100);
	tls_gap(&d->t, 1, 200);
	/* the reassembler drops its pending tail: offer after the hole */
	d->fd.len[1] = 0;
	drv_feed(d, 1, s + cert + 300, c->segs[1].len - cert - 300);
	assert_true(ske > cert + 300);
	assert_int_equal(d->t.f.group, 0x001d);
	assert_int_equal(d->t.f.server_certs, 0);
	drv_feed(d, 0, c->data[0] + c->segs[0].len, c->segs[2].len);
	drv_feed(d, 1, s + c->segs[1].len, c->segs[3].len);
	assert_true(d->t.f.established);
	drv_free(d);

	/* Garbage after a gap with no record header: the direction is given up. */
	static uint8_t junk[40000];
	memset(junk, 'x', sizeof(junk));
	drv_init(d, 65536);
	drv_feed(d, 1, s, cert);
	tls_gap(&d->t, 1, 10);
	assert_int_equal(tls_feed(&d->t, 1, junk, sizeof(junk)).consumed, sizeof(junk));
	assert_true(d->t.p.d[1].done);
	assert_false(d->t.f.not_tls[1]);
	drv_free(d);
	free(c);
	free(d);
}

/* Encrypted data both ways with no handshake (picked up mid-stream). */
static void test_midstream(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	uint8_t buf[256];
	conv_add(c, 0, buf, put_record(buf, 23, 0x0303, NULL, 100));
	conv_add(c, 1, buf, put_record(buf, 23, 0x0303, NULL, 200));
	run(d, c, 65536);
	assert_true(d->t.f.established);
	assert_false(d->t.f.client_hello);
	assert_true(tls_done(&d->t));
	assert_int_equal(d->t.f.app_bytes[0], 100);
	assert_int_equal(d->t.f.app_bytes[1], 200);
	drv_free(d);
	check_every_split(c, 65536);
	free(c);
	free(d);
}

/* TLS 1.3: a 19-byte record from the client right after the server's
 * flight is an alert under handshake keys (e.g. a certificate rejected). */
static void test_tls13_client_alert(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	uint8_t buf[1024];
	conv_add(c, 0, buf, put_record(buf, 22, 0x0301, rfc8448_ch, sizeof(rfc8448_ch)));
	size_t n = put_record(buf, 22, 0x0303, rfc8448_sh, sizeof(rfc8448_sh));
	n += put_record(buf + n, 23, 0x0303, NULL, 0x2a2);
	conv_add(c, 1, buf, n);
	conv_add(c, 0, buf, put_record(buf, 23, 0x0303, NULL, 19));
	run(d, c, 65536);
	assert_true(d->t.f.encrypted_alert[0]);
	assert_false(d->t.f.established);
	assert_true(tls_done(&d->t));
	drv_free(d);
	free(c);
	free(d);
}

/* ---- the record's "tls" object ----------------------------------------- */

static void test_rec_tls_json(void **state)
{
	(void)state;
	struct conv *c = calloc(1, sizeof(*c));
	struct drv *d = calloc(1, sizeof(*d));
	CONV_FROM(c, v_tls12);
	run(d, c, 65536);
	json_t *o = rec_tls_json(&d->t.f);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "version")), "TLSv1.2");
	assert_string_equal(json_string_value(json_object_get(o, "client_max_version")), "TLSv1.2");
	assert_string_equal(json_string_value(json_object_get(o, "cipher")),
			    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	assert_int_equal(json_integer_value(json_object_get(o, "cipher_id")), 0xc02f);
	assert_string_equal(json_string_value(json_object_get(o, "grade")), "strong");
	assert_true(json_is_true(json_object_get(o, "forward_secrecy")));
	assert_true(json_is_true(json_object_get(o, "aead")));
	assert_string_equal(json_string_value(json_object_get(o, "group")), "x25519");
	assert_true(json_is_null(json_object_get(o, "dh_bits")));
	assert_string_equal(json_string_value(json_object_get(o, "sni")), "mx.example.test");
	assert_true(json_is_null(json_object_get(o, "alpn")));
	assert_true(json_is_true(json_object_get(o, "established")));
	assert_string_equal(json_string_value(json_object_get(o, "downgrade_sentinel")), "tls1.2");
	assert_string_equal(json_string_value(json_object_get(o, "ja3")),
			    "d1f47f694f10b1faf653048918492609");
	assert_int_equal(json_array_size(json_object_get(o, "server_alerts")), 0);
	assert_null(json_object_get(o, "problems"));
	json_decref(o);
	drv_free(d);

	CONV_FROM(c, v_dhe);
	run(d, c, 65536);
	o = rec_tls_json(&d->t.f);
	assert_string_equal(json_string_value(json_object_get(o, "group")), "ffdhe2048");
	assert_int_equal(json_integer_value(json_object_get(o, "dh_bits")), 2048);
	assert_true(json_is_true(json_object_get(o, "client_cert_requested")));
	json_decref(o);
	drv_free(d);

	CONV_FROM(c, v_alert);
	run(d, c, 65536);
	o = rec_tls_json(&d->t.f);
	json_t *a = json_object_get(o, "server_alerts");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "protocol_version");
	assert_true(json_is_null(json_object_get(o, "version")));
	assert_true(json_is_null(json_object_get(o, "cipher")));
	assert_true(json_is_false(json_object_get(o, "established")));
	json_decref(o);
	drv_free(d);

	CONV_FROM(c, v_tls13);
	run(d, c, 65536);
	o = rec_tls_json(&d->t.f);
	assert_string_equal(json_string_value(json_object_get(o, "version")), "TLSv1.3");
	assert_string_equal(json_string_value(json_object_get(o, "grade")), "modern");
	assert_string_equal(json_string_value(json_object_get(o, "alpn")), "smtp");
	a = json_object_get(o, "client_versions");
	assert_string_equal(json_string_value(json_array_get(a, 0)), "TLSv1.3");
	json_decref(o);
	drv_free(d);

	assert_string_equal(rec_tls_alert_name(0), "close_notify");
	assert_string_equal(rec_tls_alert_name(86), "inappropriate_fallback");
	assert_null(rec_tls_alert_name(255));
	free(c);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_looks_like_tls),
		cmocka_unit_test(test_rfc8448),
		cmocka_unit_test(test_tls12),
		cmocka_unit_test(test_dhe_cert_request),
		cmocka_unit_test(test_tls13),
		cmocka_unit_test(test_hello_retry),
		cmocka_unit_test(test_resumed),
		cmocka_unit_test(test_alert),
		cmocka_unit_test(test_encrypted_alert),
		cmocka_unit_test(test_downgrade_sentinel),
		cmocka_unit_test(test_sslv2_client_hello),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_bad_record_later),
		cmocka_unit_test(test_fragmented_handshake),
		cmocka_unit_test(test_oversize_handshake),
		cmocka_unit_test(test_gap_resync),
		cmocka_unit_test(test_midstream),
		cmocka_unit_test(test_tls13_client_alert),
		cmocka_unit_test(test_rec_tls_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
