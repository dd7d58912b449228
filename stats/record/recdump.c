/* recdump.c — binary records with zero runs collapsed.
 *
 *   header:  "SMTPTLS-RECORDS\n" | u32 version | u32 sizeof(rec) | u32 sizeof(health)
 *   item:    u8 kind ('R' record, 'H' health) | u32 encoded length | encoded bytes
 *   encoding: repeated { varint literal count, literal bytes, varint zero count }
 */
#include "stats/record/recdump.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char recdump_magic[16] = "SMTPTLS-RECORDS\n";

static int recdump_u32(FILE *f, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	return fwrite(b, 1, 4, f) == 4 ? 0 : -1;
}

static int recdump_get_u32(FILE *f, uint32_t *v)
{
	uint8_t b[4];
	if (fread(b, 1, 4, f) != 4)
		return -1;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

int recdump_begin(FILE *out, size_t health_size)
{
	if (fwrite(recdump_magic, 1, sizeof(recdump_magic), out) != sizeof(recdump_magic))
		return -1;
	if (recdump_u32(out, RECDUMP_VERSION) || recdump_u32(out, (uint32_t)sizeof(struct rec)) ||
	    recdump_u32(out, (uint32_t)health_size))
		return -1;
	return 0;
}

static size_t recdump_varint(uint8_t *dst, size_t v)
{
	size_t k = 0;
	do {
		uint8_t b = (uint8_t)(v & 0x7f);
		v >>= 7;
		dst[k++] = (uint8_t)(b | (v ? 0x80 : 0));
	} while (v);
	return k;
}

/* Whether any of the 8 bytes at p is zero (the classic bit trick). */
static int recdump_has_zero(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull) != 0;
}

/* Whether the 8 bytes at p are all zero. */
static int recdump_all_zero(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v == 0;
}

/* Encodes n bytes of src into dst (capacity 2n + 32 suffices): literal runs
 * and zero runs, alternately, each preceded by its length; a literal run
 * ends at two zero bytes. Words of 8 bytes with no zero (in a literal run)
 * or only zeros (in a zero run) are stepped over whole. */
static size_t recdump_encode(const uint8_t *src, size_t n, uint8_t *dst)
{
	size_t i = 0, k = 0;
	while (i < n) {
		size_t lit = i;
		for (;;) {
			if (lit + 8 <= n && !recdump_has_zero(src + lit)) {
				lit += 8;
				continue;
			}
			if (lit >= n || (src[lit] == 0 && lit + 1 < n && src[lit + 1] == 0))
				break;
			lit++;
		}
		k += recdump_varint(dst + k, lit - i);
		memcpy(dst + k, src + i, lit - i);
		k += lit - i;
		size_t z = lit;
		while (z + 8 <= n && recdump_all_zero(src + z))
			z += 8;
		while (z < n && src[z] == 0)
			z++;
		k += recdump_varint(dst + k, z - lit);
		i = z;
	}
	return k;
}

static int recdump_item(FILE *out, char kind, const void *p, size_t n)
{
	uint8_t *buf = malloc(2 * n + 32);
	if (!buf)
		return -1;
	size_t k = recdump_encode(p, n, buf);
	int rc = (fputc(kind, out) == EOF || recdump_u32(out, (uint32_t)k) ||
		  fwrite(buf, 1, k, out) != k)
			 ? -1
			 : 0;
	free(buf);
	return rc;
}

size_t recdump_pack(const struct rec *r, uint8_t *dst)
{
	return recdump_encode((const uint8_t *)r, sizeof(*r), dst);
}

int recdump_record(FILE *out, const struct rec *r)
{
	return recdump_item(out, 'R', r, sizeof(*r));
}

int recdump_health(FILE *out, const void *h, size_t health_size)
{
	return recdump_item(out, 'H', h, health_size);
}

int recdump_open(FILE *in, size_t health_size, char *err, size_t errlen)
{
	char magic[16];
	uint32_t v, rs, hs;
	if (fread(magic, 1, sizeof(magic), in) != sizeof(magic) ||
	    memcmp(magic, recdump_magic, sizeof(magic)) != 0) {
		snprintf(err, errlen, "not a record dump of smtptls");
		return -1;
	}
	if (recdump_get_u32(in, &v) || recdump_get_u32(in, &rs) || recdump_get_u32(in, &hs)) {
		snprintf(err, errlen, "truncated header");
		return -1;
	}
	if (v != RECDUMP_VERSION || rs != sizeof(struct rec) || hs != health_size) {
		snprintf(err, errlen,
			 "written by another smtptls build (format %u, record %u bytes; this one "
			 "reads format %d, %zu bytes): analyse the shards with the same build",
			 v, rs, RECDUMP_VERSION, sizeof(struct rec));
		return -1;
	}
	return 0;
}

static int recdump_get_varint(const uint8_t *p, size_t n, size_t *off, size_t *v)
{
	size_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*off >= n)
			return -1;
		uint8_t b = p[(*off)++];
		x |= (size_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

static int recdump_decode(const uint8_t *p, size_t n, uint8_t *dst, size_t want)
{
	size_t off = 0, k = 0;
	while (off < n) {
		size_t lit, zeros;
		if (recdump_get_varint(p, n, &off, &lit) || lit > n - off || lit > want - k)
			return -1;
		memcpy(dst + k, p + off, lit);
		off += lit;
		k += lit;
		if (recdump_get_varint(p, n, &off, &zeros) || zeros > want - k)
			return -1;
		memset(dst + k, 0, zeros);
		k += zeros;
	}
	return k == want ? 0 : -1;
}

int recdump_unpack(const uint8_t *p, size_t n, struct rec *r)
{
	return recdump_decode(p, n, (uint8_t *)r, sizeof(*r));
}

int recdump_next(FILE *in, struct rec *r, void *h, size_t health_size, char *err, size_t errlen)
{
	err[0] = '\0';
	int kind = fgetc(in);
	if (kind == EOF)
		return 0;
	uint32_t n;
	if ((kind != 'R' && kind != 'H') || recdump_get_u32(in, &n) ||
	    n > 4 * sizeof(struct rec) + 64) {
		snprintf(err, errlen, "damaged record dump");
		return -1;
	}
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc;
	if (fread(buf, 1, n, in) != n) {
		snprintf(err, errlen, "record dump ends in the middle of an item");
		rc = -1;
	} else if (kind == 'R') {
		rc = recdump_decode(buf, n, (uint8_t *)r, sizeof(*r)) == 0 ? 1 : -1;
	} else {
		rc = recdump_decode(buf, n, h, health_size) == 0 ? 2 : -1;
	}
	if (rc < 0 && !err[0])
		snprintf(err, errlen, "damaged record dump");
	free(buf);
	return rc;
}
