/* cur.h — the bounds-checked cursor through which every untrusted byte is read.
 *
 * A cursor is a window [p, p+len) with a read offset. Every accessor checks the
 * remaining length first; a read past the end sets a sticky error and returns 0,
 * so a parser reads a whole block and checks `c->err` once. cur_sub() carves a
 * child window for a length-prefixed vector: the child can never read past its
 * parent, and bytes the child leaves unread are visible with cur_left().
 *
 * The error says what went wrong (enum cur_err), and the first one latches
 * (BearSSL's last_error, tcpdump's nd_trunc apart from ND_ICHECK):
 *   CUR_TRUNC     a read ran past the end of the bytes the cursor has;
 *   CUR_INVALID   the parser found bytes that contradict the spec (cur_fail);
 *   CUR_TRAILING  a window was closed (cur_end, cur_close) with bytes unread.
 * `c->err` stays a plain truth value for callers that only ask "any error?".
 */
#ifndef SMTPTLS_CUR_H
#define SMTPTLS_CUR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum cur_err {
	CUR_OK = 0,
	CUR_TRUNC,    /* read past the end of the window */
	CUR_INVALID,  /* bytes contradict the spec */
	CUR_TRAILING, /* a window closed with bytes left over */
};

struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err; /* enum cur_err; sticky: the first error is kept */
};

static inline struct cur cur_make(const uint8_t *p, size_t len)
{
	struct cur c = {p, len, 0, 0};
	return c;
}

static inline size_t cur_left(const struct cur *c)
{
	return c->err ? 0 : c->len - c->off;
}

/* Latches error e unless an earlier one is kept. Returns 0 (for `return
 * cur_fail(...)` in a parser returning "ok"). */
static inline int cur_fail(struct cur *c, enum cur_err e)
{
	if (!c->err)
		c->err = (int)e;
	return 0;
}

static inline int cur_need(struct cur *c, size_t n)
{
	if (c->err || c->len - c->off < n) {
		cur_fail(c, CUR_TRUNC);
		return 0;
	}
	return 1;
}

static inline uint8_t cur_u8(struct cur *c)
{
	if (!cur_need(c, 1))
		return 0;
	return c->p[c->off++];
}

static inline uint16_t cur_be16(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)((unsigned)c->p[c->off] << 8 | c->p[c->off + 1]);
	c->off += 2;
	return v;
}

static inline uint16_t cur_le16(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)((unsigned)c->p[c->off + 1] << 8 | c->p[c->off]);
	c->off += 2;
	return v;
}

static inline uint32_t cur_be24(struct cur *c)
{
	if (!cur_need(c, 3))
		return 0;
	uint32_t v =
		(uint32_t)c->p[c->off] << 16 | (uint32_t)c->p[c->off + 1] << 8 | c->p[c->off + 2];
	c->off += 3;
	return v;
}

static inline uint32_t cur_be32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = (uint32_t)c->p[c->off] << 24 | (uint32_t)c->p[c->off + 1] << 16 |
		     (uint32_t)c->p[c->off + 2] << 8 | c->p[c->off + 3];
	c->off += 4;
	return v;
}

static inline uint32_t cur_le32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = (uint32_t)c->p[c->off + 3] << 24 | (uint32_t)c->p[c->off + 2] << 16 |
		     (uint32_t)c->p[c->off + 1] << 8 | c->p[c->off];
	c->off += 4;
	return v;
}

/* Copies n bytes into dst (dst may be NULL to only check and skip). */
static inline int cur_bytes(struct cur *c, void *dst, size_t n)
{
	if (!cur_need(c, n))
		return 0;
	if (dst && n)
		memcpy(dst, c->p + c->off, n);
	c->off += n;
	return 1;
}

static inline int cur_skip(struct cur *c, size_t n)
{
	return cur_bytes(c, NULL, n);
}

/* Pointer to the next n bytes without consuming them, or NULL. */
static inline const uint8_t *cur_peek(struct cur *c, size_t n)
{
	if (!cur_need(c, n))
		return NULL;
	return c->p + c->off;
}

/* The next byte without consuming it, or -1 at the end (no error latched). */
static inline int cur_peek_u8(const struct cur *c)
{
	return !c->err && c->off < c->len ? c->p[c->off] : -1;
}

/* Offset of the first byte b from the read offset on, or cur_left() when
 * there is none (a line's end, a delimiter). */
static inline size_t cur_find(const struct cur *c, uint8_t b)
{
	size_t left = cur_left(c);
	const uint8_t *q = left ? memchr(c->p + c->off, b, left) : NULL;
	return q ? (size_t)(q - (c->p + c->off)) : left;
}

/* Carves the next n bytes into *child and advances the parent past them.
 * When the parent has fewer, both latch CUR_TRUNC (or the parent's error). */
static inline int cur_sub(struct cur *parent, size_t n, struct cur *child)
{
	if (!cur_need(parent, n)) {
		*child = cur_make(NULL, 0);
		child->err = parent->err;
		return 0;
	}
	*child = cur_make(parent->p + parent->off, n);
	parent->off += n;
	return 1;
}

/* Ends a window that should have been read whole: bytes left over latch
 * CUR_TRAILING. Returns the cursor's error (CUR_OK when clean). */
static inline enum cur_err cur_end(struct cur *c)
{
	if (!c->err && c->off != c->len)
		cur_fail(c, CUR_TRAILING);
	return (enum cur_err)c->err;
}

/* Ends a child carved with cur_sub() (cur_end) and latches its error, if any,
 * in the parent. Returns the parent's error. */
static inline enum cur_err cur_close(struct cur *parent, struct cur *child)
{
	enum cur_err e = cur_end(child);
	if (e)
		cur_fail(parent, e);
	return (enum cur_err)parent->err;
}

#endif
