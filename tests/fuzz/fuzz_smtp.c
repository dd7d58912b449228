/* fuzz_smtp.c — fuzz target for dissectors/proto/smtp.c: both directions of one
 * connection, fed the way the session feeds them.
 *
 * Input:
 *
 *   +-------+----------+--------------------+--------------------+
 *   | split | seed (4) | client bytes ...   | server bytes ...   |
 *   +-------+----------+--------------------+--------------------+
 *
 * split/255 of the rest goes to the client, the remainder to the server. The
 * seed picks which direction speaks next, how many bytes arrive at once and,
 * now and then, a gap. The bytes go through the one test feeder
 * (tests/lib/feed.h): unconsumed bytes are kept and offered again with what
 * follows (up to a cap, past which they are lost and reported as a gap), as
 * the reassembler does; the kept bytes sit at the very end of their
 * allocation, so a read past what smtp_feed() was given is caught. Past the
 * TLS boundary (SWITCH) a direction's bytes are dropped, as the session hands
 * them to the TLS dissector. Checked: every answer keeps the contract of
 * dissectors/proto/dissect.h, text fields are terminated, counts stay within
 * their arrays.
 */
#include <string.h>

#include "dissectors/proto/smtp.h"
#include "feed.h"
#include "fuzz.h"

#define PEND_CAP  16384u
#define MAX_CHUNK 4096u

static uint32_t next_rand(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static struct dissect_result on_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	return smtp_feed(ctx, dir, p, n);
}

static void on_gap(void *ctx, int dir, uint64_t n)
{
	smtp_gap(ctx, dir, n);
}

static int on_stopped(void *ctx, int dir)
{
	return smtp_dir_is_dead(ctx, dir);
}

static const struct feed_ops ops = {on_feed, on_gap, on_stopped, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	uint32_t seed = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 8 |
			data[4];
	if (!seed)
		seed = 1;
	const uint8_t *rest = data + 5;
	size_t n = size - 5;
	size_t nc = n * data[0] / 255;
	const uint8_t *src[2] = {rest, rest + nc};
	size_t left[2] = {nc, n - nc};

	struct smtp_cfg cfg = {.max_line = 1 + (seed % 2048)};
	struct smtp *s = malloc(sizeof(*s));
	struct feed fd;
	FUZZ_CHECK(s && feed_init(&fd, &ops, s, PEND_CAP) == 0);
	smtp_init(s, &cfg, seed & 1);
	while (left[0] || left[1]) {
		uint32_t r = next_rand(&seed);
		int dir = !left[0] ? 1 : (!left[1] ? 0 : (int)(r & 1));
		size_t chunk = 1 + (next_rand(&seed) % MAX_CHUNK);
		if (chunk > left[dir])
			chunk = left[dir];
		if ((r & 0xff) == 0x5a)
			feed_gap(&fd, dir, chunk);
		else
			feed_bytes(&fd, dir, src[dir], chunk);
		src[dir] += chunk;
		left[dir] -= chunk;
	}
	const struct smtp_facts *f = &s->f;
	FUZZ_CHECK(f->ncaps <= SMTP_MAX_CAPS);
	FUZZ_CHECK(s->npending <= SMTP_MAX_PENDING);
	FUZZ_CHECK(terminated(f->banner, sizeof(f->banner)));
	FUZZ_CHECK(terminated(f->server_name, sizeof(f->server_name)));
	FUZZ_CHECK(terminated(f->helo, sizeof(f->helo)));
	FUZZ_CHECK(terminated(f->ehlo_greeting, sizeof(f->ehlo_greeting)));
	FUZZ_CHECK(terminated(f->auth_mech, sizeof(f->auth_mech)));
	for (int i = 0; i < f->ncaps; i++)
		FUZZ_CHECK(terminated(f->caps[i], SMTP_CAP_LEN));
	(void)smtp_server_software(f);
	FUZZ_CHECK(fd.violations == 0);
	feed_free(&fd);
	free(s);
	return 0;
}
