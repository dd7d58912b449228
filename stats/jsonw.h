/* jsonw.h — a fast compact writer for jansson values.
 *
 * json_dumps() builds its output through many small buffer appends, which is
 * the largest per-connection cost when session records are written. This
 * writer walks the same json_t tree into one growable buffer and produces
 * byte for byte what json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15))
 * produces (keys in insertion order, UTF-8 kept, reals as jansson prints them).
 */
#ifndef SMTPTLS_JSONW_H
#define SMTPTLS_JSONW_H

#include <stddef.h>

#include <jansson.h>

struct jsonw {
	char *buf; /* owned; NUL-terminated after jsonw_dump() */
	size_t len, cap;
	int failed;
};

/* Replaces the buffer's content with j written compactly. 0 or -1. */
int jsonw_dump(struct jsonw *w, const json_t *j);

void jsonw_free(struct jsonw *w);

#endif
