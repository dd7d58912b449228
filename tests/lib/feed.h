/* feed.h — the one test feeder: drives a dissector the way the session and
 * the reassembler do. Bytes a dissector did not consume are kept and offered
 * again with what follows; the kept bytes sit at the very end of their
 * allocation (picohttpparser's habit), so a read past what the dissector was
 * given is caught by ASan. Every answer is checked against the contract of
 * dissectors/proto/dissect.h; past a SWITCH the direction's bytes are handed
 * to ops->passed instead (the next reader).
 *
 * feed_play() plays a conversation (segments of both directions) whole, byte
 * by byte, or cut once at any byte; unit tests compare the facts of every
 * way, fuzz targets play their own chunking through feed_bytes().
 *
 * Ownership: struct feed owns its two buffers (feed_free); the segments and
 * the context are the caller's.
 */
#ifndef SMTPTLS_TEST_FEED_H
#define SMTPTLS_TEST_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/proto/dissect.h"

struct feed_ops {
	struct dissect_result (*feed)(void *ctx, int dir, const uint8_t *p, size_t n);
	void (*gap)(void *ctx, int dir, uint64_t n); /* may be NULL */
	/* Nonzero: the direction is not fed any more (e.g. the handshake is
	 * over); may be NULL. */
	int (*stopped)(void *ctx, int dir);
	/* Bytes past a SWITCH (the next reader's); may be NULL. */
	void (*passed)(void *ctx, int dir, const uint8_t *p, size_t n);
};

struct feed_seg {
	int dir;
	const uint8_t *p;
	size_t n;
};

struct feed {
	const struct feed_ops *ops;
	void *ctx;
	uint8_t *buf[2]; /* cap bytes each; the kept bytes are the last len[dir] */
	size_t cap;
	size_t len[2];
	uint8_t switched[2];	     /* a SWITCH was answered: bytes go to ops->passed */
	uint64_t violations;	     /* answers that broke the contract */
	uint64_t overflows;	     /* kept bytes lost to the cap (reported as a gap) */
	enum dissect_status last[2]; /* the last answer's status */
};

/* Returns 0, or -1 when out of memory. */
static inline int feed_init(struct feed *f, const struct feed_ops *ops, void *ctx, size_t cap)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->ctx = ctx;
	f->cap = cap;
	f->buf[0] = malloc(cap ? cap : 1);
	f->buf[1] = malloc(cap ? cap : 1);
	return f->buf[0] && f->buf[1] ? 0 : -1;
}

static inline void feed_free(struct feed *f)
{
	free(f->buf[0]);
	free(f->buf[1]);
	f->buf[0] = f->buf[1] = NULL;
}

/* The kept bytes of direction dir. */
static inline uint8_t *feed_kept(struct feed *f, int dir)
{
	return f->buf[dir] + f->cap - f->len[dir];
}

/* Offers the kept bytes of dir to the dissector once. */
static inline void feed_offer(struct feed *f, int dir)
{
	if (f->switched[dir] || (f->ops->stopped && f->ops->stopped(f->ctx, dir)))
		return;
	size_t n = f->len[dir];
	struct dissect_result r = f->ops->feed(f->ctx, dir, feed_kept(f, dir), n);
	f->last[dir] = r.status;
	if (dissect_violation(&r, n)) {
		f->violations++;
		return;
	}
	f->len[dir] -= r.consumed;
	if (r.status == DISSECT_SWITCH) {
		f->switched[dir] = 1;
		if (f->ops->passed && f->len[dir])
			f->ops->passed(f->ctx, dir, feed_kept(f, dir), f->len[dir]);
		f->len[dir] = 0;
	}
}

/* n bytes of direction dir arrive: kept after the earlier ones, all offered.
 * Past the cap, everything kept is lost and reported as a gap. */
static inline void feed_bytes(struct feed *f, int dir, const uint8_t *p, size_t n)
{
	if (f->switched[dir]) {
		if (f->ops->passed && n)
			f->ops->passed(f->ctx, dir, p, n);
		return;
	}
	if (f->ops->stopped && f->ops->stopped(f->ctx, dir))
		return;
	if (f->len[dir] + n > f->cap) {
		uint64_t lost = (uint64_t)f->len[dir] + n;
		f->overflows++;
		f->len[dir] = 0;
		if (f->ops->gap)
			f->ops->gap(f->ctx, dir, lost);
		return;
	}
	uint8_t *end = f->buf[dir] + f->cap;
	memmove(end - f->len[dir] - n, end - f->len[dir], f->len[dir]);
	if (n)
		memcpy(end - n, p, n);
	f->len[dir] += n;
	feed_offer(f, dir);
}

/* The capture lost the kept bytes of dir and n more. */
static inline void feed_gap(struct feed *f, int dir, uint64_t n)
{
	uint64_t lost = (uint64_t)f->len[dir] + n;
	f->len[dir] = 0;
	if (lost && f->ops->gap && !f->switched[dir])
		f->ops->gap(f->ctx, dir, lost);
}

/* Plays segments in order; each is cut into pieces of at most `step` bytes
 * (0: whole), and the byte at global offset `split` (if nonzero) starts a
 * new piece. After each piece the other direction's kept bytes are offered
 * again (a reply can release what waited for it). */
static inline void feed_play(struct feed *f, const struct feed_seg *segs, size_t nsegs, size_t step,
			     size_t split)
{
	size_t global = 0;
	for (size_t i = 0; i < nsegs; i++) {
		size_t at = 0;
		while (at < segs[i].n) {
			size_t k = segs[i].n - at;
			if (step && k > step)
				k = step;
			if (split > global + at && split < global + at + k)
				k = split - global - at;
			feed_bytes(f, segs[i].dir, segs[i].p + at, k);
			if (f->len[!segs[i].dir])
				feed_offer(f, !segs[i].dir);
			at += k;
		}
		global += segs[i].n;
	}
}

/* Total bytes of the segments (the splits to try are 1 .. total-1). */
static inline size_t feed_total(const struct feed_seg *segs, size_t nsegs)
{
	size_t t = 0;
	for (size_t i = 0; i < nsegs; i++)
		t += segs[i].n;
	return t;
}

#endif
