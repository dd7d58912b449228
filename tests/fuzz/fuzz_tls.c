/* fuzz_tls.c — fuzz target for dissectors/proto/tls.c: both directions of one
 * connection, fed the way the session feeds them.
 *
 * Input:
 *
 *   +-------+----------+--------------------+--------------------+
 *   | split | seed (4) | client bytes ...   | server bytes ...   |
 *   +-------+----------+--------------------+--------------------+
 *
 * split/255 of the rest goes to the client, the remainder to the server.
 * The seed drives a small generator that picks which direction speaks next,
 * how many bytes arrive at once (1 byte to 20 KB), and now and then a gap.
 * Through the one test feeder (tests/lib/feed.h), as the reassembler does,
 * unconsumed bytes are kept and offered again with what follows (up to a cap;
 * past it they are lost, reported as a gap), and a gap includes the kept
 * bytes. The kept bytes sit at the very end of their allocation, so a read
 * past what tls_feed() was given is caught.
 * Checked: every answer keeps the contract of dissectors/proto/dissect.h, the
 * facts' strings
 * are terminated and their counts within bounds, the client's lists (suites,
 * groups, key shares) hold no GREASE and agree with the post-quantum flags
 * and verdict, the record's "tls" object is written with the same verdict,
 * every certificate in a
 * chain lies in readable memory, and tls_free() releases everything.
 */
#include <string.h>

#include "dissectors/proto/ciphers.h"
#include "dissectors/proto/tls.h"
#include "stats/record/rec_tls.h"
#include "feed.h"
#include "fuzz.h"

#define PEND_CAP  (65536u + 20480u)
#define MAX_CHUNK 20480u

static uint32_t next_rand(uint32_t *s)
{
	/* xorshift32: deterministic for a given input */
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void on_chain(void *ctx, const struct tls_chain *chain)
{
	uint64_t *certs = ctx;
	FUZZ_CHECK(chain->n <= TLS_MAX_CHAIN);
	for (size_t i = 0; i < chain->n; i++) {
		FUZZ_CHECK(chain->der[i] != NULL || chain->len[i] == 0);
		volatile uint8_t sum = 0;
		for (size_t k = 0; k < chain->len[i]; k++)
			sum = (uint8_t)(sum + chain->der[i][k]);
	}
	(*certs)++;
}

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void check_facts(const struct tls_facts *f)
{
	FUZZ_CHECK(terminated(f->sni, sizeof(f->sni)));
	FUZZ_CHECK(terminated(f->alpn, sizeof(f->alpn)));
	FUZZ_CHECK(terminated(f->ja3, sizeof(f->ja3)));
	FUZZ_CHECK(terminated(f->ja4, sizeof(f->ja4)));
	FUZZ_CHECK(terminated(f->ja3s, sizeof(f->ja3s)));
	FUZZ_CHECK(f->n_client_versions <= TLSD_MAX_VERSIONS);
	FUZZ_CHECK(f->alerts_n[0] <= TLS_MAX_ALERTS);
	FUZZ_CHECK(f->alerts_n[1] <= TLS_MAX_ALERTS);
	/* the client's lists: bounded, GREASE left out, the PQ flags cover
	 * what was kept */
	FUZZ_CHECK(f->n_client_groups <= TLSD_MAX_GROUPS);
	FUZZ_CHECK(f->n_client_shares <= TLSD_MAX_SHARES);
	FUZZ_CHECK(f->n_client_suites <= TLSD_MAX_SUITES);
	for (unsigned i = 0; i < f->n_client_groups; i++) {
		FUZZ_CHECK(!suite_is_grease(f->client_groups[i]));
		FUZZ_CHECK(!suite_group_is_pq(f->client_groups[i]) || f->client_pq_offered);
	}
	for (unsigned i = 0; i < f->n_client_shares; i++) {
		FUZZ_CHECK(!suite_is_grease(f->client_shares[i]));
		FUZZ_CHECK(!suite_group_is_pq(f->client_shares[i]) || f->client_pq_share);
	}
	for (unsigned i = 0; i < f->n_client_suites; i++)
		FUZZ_CHECK(!suite_is_grease(f->client_suites[i]));
	FUZZ_CHECK(!f->n_client_groups || f->client_hello);
	/* a ClientHello body holds at least version, random, three lengths */
	FUZZ_CHECK(!f->client_hello || f->sslv2_client_hello || f->client_hello_bytes >= 4 + 38);
	FUZZ_CHECK(!f->hrr_group || f->hello_retry);
	FUZZ_CHECK(f->client_hello_segments == 0); /* the session's to count */
	enum tls_pq v = tls_pq_verdict(f);
	FUZZ_CHECK(v == TLS_PQ_UNKNOWN || f->client_hello);
	FUZZ_CHECK(v != TLS_PQ_NEGOTIATED || suite_group_is_pq(f->group));
	FUZZ_CHECK(v != TLS_PQ_OFFERED_NOT_CHOSEN || f->client_pq_offered);
	FUZZ_CHECK(v != TLS_PQ_NOT_OFFERED || !f->client_pq_offered);
}

/* The record's "tls" object of the facts: written, and its verdict is the
 * facts'. */
static void check_record(const struct tls_facts *f)
{
	json_t *o = rec_tls_json(f);
	FUZZ_CHECK(o != NULL);
	const char *pq = tls_pq_name(tls_pq_verdict(f));
	json_t *v = json_object_get(o, "pq");
	FUZZ_CHECK(v != NULL);
	FUZZ_CHECK(pq ? json_is_string(v) && strcmp(json_string_value(v), pq) == 0
		      : json_is_null(v));
	FUZZ_CHECK(json_array_size(json_object_get(o, "client_groups")) == f->n_client_groups);
	json_decref(o);
}

static struct dissect_result on_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	return tls_feed(ctx, dir, p, n);
}

static void on_gap(void *ctx, int dir, uint64_t n)
{
	tls_gap(ctx, dir, n);
}

/* Like the session: once the handshake is over, bytes are only counted. */
static int on_stopped(void *ctx, int dir)
{
	(void)dir;
	return tls_done(ctx);
}

static const struct feed_ops ops = {on_feed, on_gap, on_stopped, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	size_t body = size - 5;
	size_t clen = body * data[0] / 255;
	uint32_t seed = ((uint32_t)data[1] << 24) | ((uint32_t)data[2] << 16) |
			((uint32_t)data[3] << 8) | data[4];
	seed |= 1; /* xorshift never leaves 0 */
	const uint8_t *stream[2] = {data + 5, data + 5 + clen};
	size_t left[2] = {clen, body - clen};

	/* tls_looks_like_tls() on every short prefix, each in a buffer of
	 * exactly that size. */
	for (int dir = 0; dir < 2; dir++)
		for (size_t k = 0; k <= left[dir] && k <= 12; k++) {
			uint8_t *pre = malloc(k ? k : 1);
			if (!pre)
				return 0;
			if (k)
				memcpy(pre, stream[dir], k);
			int r = tls_looks_like_tls(pre, k);
			FUZZ_CHECK(r >= -1 && r <= 1);
			free(pre);
		}

	struct mem mem;
	memset(&mem, 0, sizeof(mem));
	struct tls_cfg cfg = {65536};
	struct tls *t = malloc(sizeof(*t));
	struct feed fd;
	int fd_ok = t && feed_init(&fd, &ops, t, PEND_CAP) == 0;
	if (!fd_ok)
		goto done;
	uint64_t certs = 0;
	tls_init(t, &cfg, &mem);
	t->on_chain = on_chain;
	t->chain_ctx = &certs;

	while ((left[0] || left[1]) && !tls_done(t)) {
		uint32_t r = next_rand(&seed);
		int dir = (int)(r & 1);
		if (!left[dir])
			dir = !dir;
		size_t chunk;
		switch ((r >> 1) & 7) {
		case 0: chunk = 1 + (r >> 8) % 8; break;
		case 1:
		case 2: chunk = 1 + (r >> 8) % 300; break;
		case 3: chunk = 1 + (r >> 8) % MAX_CHUNK; break;
		default: chunk = 1 + (r >> 8) % 2000; break;
		}
		if (chunk > left[dir])
			chunk = left[dir];
		const uint8_t *src = stream[dir];
		stream[dir] += chunk;
		left[dir] -= chunk;
		if ((r >> 27) == 0) /* the capture lost these bytes (1 in 32) */
			feed_gap(&fd, dir, chunk);
		else /* past the cap, the feeder reports a gap as the reassembler does */
			feed_bytes(&fd, dir, src, chunk);
		check_facts(&t->f);
	}
	FUZZ_CHECK(fd.violations == 0);
	check_record(&t->f);
	tls_free(t);
	FUZZ_CHECK(mem.in_use == 0);
done:
	if (fd_ok)
		feed_free(&fd);
	free(t);
	return 0;
}
