/* recdump.h — finished records in binary form, for putting shards together.
 *
 * `smtptls analyze --dump FILE` writes every record as the engine finished
 * it (before any detector ran) and, at the end, the capture's health
 * counters; `smtptls analyze --records A B ...` reads shards back in order and
 * sends every record through the same detectors and sinks as one run would,
 * so a run split into shards (or onto a cluster) reports exactly what one
 * process reports — anomalies found against other connections included.
 *
 * The format is tied to this build's record layout: the header carries a
 * magic, a format version and the sizes of the structures, and a reader
 * refuses anything else. Records are stored with runs of zero bytes
 * collapsed (a record is mostly empty text fields).
 */
#ifndef SMTPTLS_RECDUMP_H
#define SMTPTLS_RECDUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stats/record/record.h"

#define RECDUMP_VERSION 1

/* Writes the header. The health counters are the engine's (struct
 * eng_health, a layer above this one): this module stores them as a block
 * of health_size bytes and the header records that size. 0 or -1. */
int recdump_begin(FILE *out, size_t health_size);

/* Capacity of a buffer that recdump_pack() always fits in. */
#define RECDUMP_PACK_MAX (2 * sizeof(struct rec) + 32)

/* The record in the same compact form, in memory: dst holds at least
 * RECDUMP_PACK_MAX bytes. Returns the length written (a record of mostly
 * empty text fields packs to a small fraction of its size). */
size_t recdump_pack(const struct rec *r, uint8_t *dst);

/* The record back from recdump_pack()'s n bytes at p. 0, or -1 when the
 * bytes are not a packed record of this build. */
int recdump_unpack(const uint8_t *p, size_t n, struct rec *r);

/* Appends one record. 0 or -1. */
int recdump_record(FILE *out, const struct rec *r);

/* Appends the health counters of the shard (once, at the end). 0 or -1. */
int recdump_health(FILE *out, const void *h, size_t health_size);

/* Checks the header (health_size as for recdump_begin). 0, or -1 with a
 * reason in err. */
int recdump_open(FILE *in, size_t health_size, char *err, size_t errlen);

/* The next item: 1 a record (in *r), 2 the health counters (health_size
 * bytes at h), 0 the end, -1 a damaged file (reason in err). */
int recdump_next(FILE *in, struct rec *r, void *h, size_t health_size, char *err, size_t errlen);

#endif
