/* sessdrv.h — a session driven by the feed harness (feed.h) the way the
 * reassembler drives it: what data() did not take is kept and offered again.
 * For the unit tests of analyzer/session/sess.c; include after cmocka.h,
 * sess.h and feed.h. */
#ifndef SMTPTLS_TEST_SESSDRV_H
#define SMTPTLS_TEST_SESSDRV_H

#include <stdlib.h>
#include <string.h>

#include "stats/record/record.h"

struct drv {
	struct sess_cfg cfg;
	struct mem mem;
	struct sess s;
	struct feed fd;
};

static inline struct dissect_result drv_on_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct drv *d = ctx;
	size_t k = sess_ops()->data(&d->s, dir, p, n);
	return dissect_result(k < n ? DISSECT_WAIT : DISSECT_OK, k, 0);
}

static inline void drv_on_gap(void *ctx, int dir, uint64_t n)
{
	struct drv *d = ctx;
	sess_ops()->gap(&d->s, dir, n);
}

static const struct feed_ops drv_ops = {drv_on_feed, drv_on_gap, NULL, NULL};

/* A session (not implicit TLS) with its feed; free with drv_free or drv_end. */
static inline struct drv *drv_new(void)
{
	struct drv *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->cfg.smtp.max_line = 1024;
	d->cfg.tls.max_handshake = 65536;
	sess_init(&d->s, &d->cfg, &d->mem, 0);
	assert_int_equal(feed_init(&d->fd, &drv_ops, d, 8192), 0);
	return d;
}

/* Checks the contract held all along, frees everything, and that nothing
 * leaked. */
static inline void drv_free(struct drv *d)
{
	assert_int_equal(d->fd.violations, 0);
	assert_int_equal(sess_event_count(&d->s, SESS_EV_CONTRACT_VIOLATION), 0);
	assert_int_equal(sess_event_count(&d->s, SESS_EV_STALLED), 0);
	feed_free(&d->fd);
	sess_free(&d->s);
	assert_int_equal(d->mem.in_use, 0);
	free(d);
}

/* Ends the session into *r (zeroed first), then drv_free. */
static inline void drv_end(struct drv *d, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	sess_finish(&d->s, r);
	drv_free(d);
}

#endif
