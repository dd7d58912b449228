/* cur.h — the bounds-checked cursor through which every untrusted byte is read.
 *
 * A cursor is a window [p, p+len) with a read offset. Every accessor checks the
 * remaining length first; a read past the end sets a sticky error and returns 0,
 * so a parser reads a whole block and checks `c->err` once. cur_sub() carves a
 * child window for a length-prefixed vector: the child can never read past its
 * parent, and bytes the child leaves unread are visible with cur_left().
 */
#ifndef SMTPTLS_CUR_H
#define SMTPTLS_CUR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err; /* sticky: set on the first out-of-bounds read */
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

static inline int cur_need(struct cur *c, size_t n)
{
	if (c->err || c->len - c->off < n) {
		c->err = 1;
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

/* Carves the next n bytes into *child and advances the parent past them. */
static inline int cur_sub(struct cur *parent, size_t n, struct cur *child)
{
	if (!cur_need(parent, n)) {
		*child = cur_make(NULL, 0);
		child->err = 1;
		return 0;
	}
	*child = cur_make(parent->p + parent->off, n);
	parent->off += n;
	return 1;
}

#endif
