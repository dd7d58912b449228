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
#include <stdio.h>

#include "stats/sinks/agg.h"
#include "stats/record/record.h"

#define RECDUMP_VERSION 1

/* Writes the header. 0 or -1. */
int recdump_begin(FILE *out);

/* Appends one record. 0 or -1. */
int recdump_record(FILE *out, const struct rec *r);

/* Appends the health counters of the shard (once, at the end). 0 or -1. */
int recdump_health(FILE *out, const struct agg_health *h);

/* Checks the header. 0, or -1 with a reason in err. */
int recdump_open(FILE *in, char *err, size_t errlen);

/* The next item: 1 a record (in *r), 2 the health counters (in *h), 0 the
 * end, -1 a damaged file (reason in err). */
int recdump_next(FILE *in, struct rec *r, struct agg_health *h, char *err, size_t errlen);

#endif
