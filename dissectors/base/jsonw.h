/* jsonw.h — a fast compact JSON writer into one growable buffer.
 *
 * json_dumps() builds its output through many small buffer appends, which is
 * the largest per-connection cost when session records are written. This
 * writer produces byte for byte what json_dumps(j, JSON_COMPACT |
 * JSON_REAL_PRECISION(15)) produces (keys in insertion order, UTF-8 kept,
 * reals as jansson prints them), in two ways:
 *
 * - jsonw_dump() walks a jansson tree;
 * - the append primitives (jsonw_raw, jsonw_str, jsonw_int, ...) write values
 *   directly, with no tree at all: the caller writes the punctuation and the
 *   keys itself (stats/record/record.c writes whole records this way).
 *
 * Memory: the buffer grows (doubling) and is kept between uses; jsonw_reset()
 * empties it without freeing. An allocation failure latches w->failed: later
 * appends do nothing, and the caller checks w->failed once at the end.
 */
#ifndef SMTPTLS_JSONW_H
#define SMTPTLS_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

struct jsonw {
	char *buf; /* owned; NUL-terminated after jsonw_dump() and jsonw_end() */
	size_t len, cap;
	int failed; /* an allocation failed (sticky until jsonw_reset) */
};

/* Replaces the buffer's content with j written compactly. 0 or -1. */
int jsonw_dump(struct jsonw *w, const json_t *j);

void jsonw_free(struct jsonw *w);

/* Makes room for `more` bytes past w->len (and a NUL). 0, or -1 (failed set). */
int jsonw_grow(struct jsonw *w, size_t more);

/* Empties the buffer (its memory is kept) and clears the failure. */
static inline void jsonw_reset(struct jsonw *w)
{
	w->len = 0;
	w->failed = 0;
}

/* Appends n bytes as they are (punctuation, keys, constant fragments). */
static inline void jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap && jsonw_grow(w, n) != 0)
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* A string literal as it is: JSONW_LIT(w, ",\"key\":"). */
#define JSONW_LIT(w, lit) jsonw_raw((w), (lit), sizeof(lit) - 1)

/* Appends s as a JSON string: the bytes up to the first NUL or max bytes,
 * escaped as jansson escapes them (\" \\ \b \f \n \r \t, other controls as
 * \u00XX, UTF-8 kept). Returns -1, writing nothing, when those bytes are not
 * valid UTF-8 (jansson refuses such a string: json_string() returns NULL)
 * or s is NULL; 0 otherwise (also when an allocation failed: see failed). */
int jsonw_str(struct jsonw *w, const char *s, size_t max);

/* Appends v in decimal (as jansson prints a json_int_t). */
void jsonw_int(struct jsonw *w, int64_t v);

/* Appends true or false (v != 0). */
static inline void jsonw_bool(struct jsonw *w, int v)
{
	if (v)
		JSONW_LIT(w, "true");
	else
		JSONW_LIT(w, "false");
}

static inline void jsonw_null(struct jsonw *w)
{
	JSONW_LIT(w, "null");
}

/* Appends v as jansson prints a real with JSON_REAL_PRECISION(15): "%.15g",
 * ".0" added to an integral value, no '+' nor leading zeros in the exponent.
 * Nothing for NaN and infinities (json_real() refuses them). */
void jsonw_real(struct jsonw *w, double v);

/* Appends us / 1e6 exactly as jsonw_real((double)us / 1e6) does, without
 * printf for the usual magnitudes (a duration in seconds). */
void jsonw_micros(struct jsonw *w, uint64_t us);

/* NUL-terminates the buffer (not counted in len). 0, or -1 when an
 * allocation failed at any point since the last reset. */
int jsonw_end(struct jsonw *w);

#endif
