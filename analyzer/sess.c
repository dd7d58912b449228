/* sess.c — the session: consumes the in-order streams of one connection. */
#include "analyzer/sess.h"

static size_t sess_data(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct sess *s = ctx;
	s->stream_bytes[dir & 1] += n;
	if (s->tap)
		s->tap->data(s->tap->ctx, s->id, dir, p, n);
	return n;
}

static void sess_gap(void *ctx, int dir, uint64_t n)
{
	struct sess *s = ctx;
	s->lost_bytes[dir & 1] += n;
	if (s->tap)
		s->tap->gap(s->tap->ctx, s->id, dir, n);
}

static const struct rsm_ops sess_rsm_ops = {sess_data, sess_gap};

const struct rsm_ops *sess_ops(void)
{
	return &sess_rsm_ops;
}
