/* reccheck.h — checks the record writer's output (stats/record/rec_json.h)
 * by reading it back with jansson and walking the record's field list
 * (stats/record/rec_fields.h) beside it. Shared by tools/recjson_check.c and
 * fuzz/fuzz_pipeline.c.
 *
 * rc_check() writes one record (and its verdict) and fails when:
 * - the writer refuses a record whose texts are all acceptable, or accepts
 *   one with a text that is not UTF-8 where the field says the record then
 *   cannot be written (jansson's json_stringn() decides what is UTF-8);
 * - the text is not JSON, has a duplicate key, or is not exactly what
 *   json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(15)) writes for the parsed
 *   document (escaping, number forms, key order);
 * - a field of the list is missing, has another type or value than the
 *   record's, or an object or array holds anything the list does not name;
 *   a text that is not UTF-8 must be left out, be null or take its enclosing
 *   element with it, as its field says. Times and the duration are compared
 *   with what snprintf() gives, addresses with inet_ntop().
 */
#ifndef SMTPTLS_RECCHECK_H
#define SMTPTLS_RECCHECK_H

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "dissectors/base/jsonw.h"
#include "stats/record/rec_cert.h"
#include "stats/record/rec_fields.h"
#include "stats/record/rec_json.h"
#include "stats/record/record.h"

#define RC_DEPTH 16

struct rc_walk {
	int depth, skip;
	int failed;	  /* a difference was found (msg says which) */
	int want_refusal; /* a REC_BAD_FAIL text is not UTF-8 */
	const char *path[RC_DEPTH];
	struct {
		json_t *v;   /* the object or array being walked */
		size_t seen; /* members or elements found so far */
	} open[RC_DEPTH];
	json_t *root;
	/* array elements, numbered in list order: which ones a text that is
	 * not UTF-8 takes out (REC_BAD_PARENT), found by the first pass */
	unsigned elems;
	unsigned elem_of[RC_DEPTH]; /* the element each open level is (or ~0u) */
	uint8_t in_array[RC_DEPTH];
	uint8_t dropped[1024];
	char msg[512];
};

/* Numbers an object or array that is an array element; ~0u otherwise. */
static unsigned rc_open_level(struct rc_walk *c, int depth, const struct rec_field *f)
{
	unsigned e = depth > 0 && c->in_array[depth - 1] ? c->elems++ : ~0u;
	if (depth < RC_DEPTH) {
		c->elem_of[depth] = e;
		c->in_array[depth] = f->kind == REC_F_ARRAY;
	}
	return e;
}

static void rc_fail(struct rc_walk *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void rc_fail(struct rc_walk *c, const char *key, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = 1;
	size_t k = 0;
	for (int i = 1; i < c->depth && i < RC_DEPTH; i++)
		k += (size_t)snprintf(c->msg + k, sizeof(c->msg) - k, "%s.",
				      c->path[i] ? c->path[i] : "[]");
	if (k < sizeof(c->msg))
		k += (size_t)snprintf(c->msg + k, sizeof(c->msg) - k, "%s: ", key ? key : "[]");
	va_list ap;
	va_start(ap, fmt);
	if (k < sizeof(c->msg))
		vsnprintf(c->msg + k, sizeof(c->msg) - k, fmt, ap);
	va_end(ap);
}

/* Whether jansson takes the field's text as a string. */
static int rc_utf8(const struct rec_field *f)
{
	if (!f->s)
		return 0;
	json_t *s = json_stringn(f->s, strnlen(f->s, f->len));
	json_decref(s);
	return s != NULL;
}

/* First pass: is there a text the record cannot be written with, and
 * which array elements go? */
static void rc_refusal_fn(void *ctx, const struct rec_field *f)
{
	struct rc_walk *c = ctx;
	if (f->kind == REC_F_OBJECT || f->kind == REC_F_ARRAY) {
		rc_open_level(c, c->depth, f);
		c->depth++;
	} else if (f->kind == REC_F_END) {
		c->depth--;
	} else if (f->kind == REC_F_TEXT && !rc_utf8(f)) {
		if (f->bad == REC_BAD_FAIL)
			c->want_refusal = 1;
		unsigned e = c->depth > 0 && c->depth <= RC_DEPTH ? c->elem_of[c->depth - 1] : ~0u;
		if (f->bad == REC_BAD_PARENT && e < sizeof(c->dropped))
			c->dropped[e] = 1;
		else if (f->bad == REC_BAD_PARENT)
			c->want_refusal = 1; /* not an element: cannot happen */
	}
}

/* The value a field names, or NULL when it is not there. */
static json_t *rc_lookup(struct rc_walk *c, const struct rec_field *f)
{
	if (c->depth == 0)
		return c->root;
	json_t *p = c->open[c->depth - 1].v;
	if (json_is_object(p))
		return f->key ? json_object_get(p, f->key) : NULL;
	return json_array_get(p, c->open[c->depth - 1].seen);
}

static void rc_text(struct rc_walk *c, const struct rec_field *f, json_t *got, const char *want)
{
	if (!json_is_string(got))
		rc_fail(c, f->key, "not a string");
	else if (strcmp(json_string_value(got), want) != 0)
		rc_fail(c, f->key, "\"%s\", the record gives \"%s\"", json_string_value(got), want);
}

/* A text field: the string itself, or what its field says for a text that is
 * not UTF-8. Returns 0 when the member is not there (left out). */
static int rc_check_text(struct rc_walk *c, const struct rec_field *f, json_t *got)
{
	size_t n = strnlen(f->s, f->len);
	if (rc_utf8(f)) {
		if (!json_is_string(got) || json_string_length(got) != n ||
		    memcmp(json_string_value(got), f->s, n) != 0)
			rc_fail(c, f->key, "not the record's text (%zu bytes)", n);
		return 1;
	}
	switch (f->bad) {
	case REC_BAD_NULL:
		if (!json_is_null(got))
			rc_fail(c, f->key, "a text that is not UTF-8 must be null");
		return 1;
	case REC_BAD_OMIT:
		if (json_is_object(c->open[c->depth - 1].v) ? got != NULL : 0)
			rc_fail(c, f->key, "a text that is not UTF-8 must be left out");
		return 0;
	case REC_BAD_PARENT:
		/* the first pass found it: the element was skipped at its start */
		rc_fail(c, f->key, "the element of a text that is not UTF-8 is written");
		return 0;
	case REC_BAD_FAIL: rc_fail(c, f->key, "written although not UTF-8"); return 0;
	}
	return 0;
}

static void rc_scalar(struct rc_walk *c, const struct rec_field *f, json_t *got)
{
	char want[64], a[64];
	switch (f->kind) {
	case REC_F_NULL:
		if (!json_is_null(got))
			rc_fail(c, f->key, "not null");
		break;
	case REC_F_BOOL:
		if (!json_is_boolean(got) || json_is_true(got) != (f->i != 0))
			rc_fail(c, f->key, "not %s", f->i ? "true" : "false");
		break;
	case REC_F_INT:
		if (!json_is_integer(got) || json_integer_value(got) != f->i)
			rc_fail(c, f->key, "not %" PRId64, f->i);
		break;
	case REC_F_SECONDS:
		snprintf(want, sizeof(want), "%.15g", (double)f->u / 1e6);
		snprintf(a, sizeof(a), "%.15g", json_is_real(got) ? json_real_value(got) : -1.0);
		if (!json_is_real(got) || strcmp(a, want) != 0)
			rc_fail(c, f->key, "%s, the record gives %s", a, want);
		break;
	case REC_F_TS:
		rec_format_ts(f->u, want, sizeof(want));
		rc_text(c, f, got, want);
		break;
	case REC_F_TIME:
		rec_cert_time(f->i, want, sizeof(want));
		rc_text(c, f, got, want);
		break;
	case REC_F_ADDRESS:
		if (!inet_ntop(f->ep->family == 6 ? AF_INET6 : AF_INET, f->ep->addr, want,
			       sizeof(want)))
			snprintf(want, sizeof(want), "?");
		rc_text(c, f, got, want);
		break;
	default: break;
	}
}

static void rc_field_fn(void *ctx, const struct rec_field *f)
{
	struct rc_walk *c = ctx;
	if (c->failed)
		return;
	if (c->skip) {
		c->skip += f->kind == REC_F_OBJECT || f->kind == REC_F_ARRAY;
		c->skip -= f->kind == REC_F_END;
		return;
	}
	if (f->kind == REC_F_END) {
		if (c->depth == 0) {
			rc_fail(c, NULL, "the list closes more than it opens");
			return;
		}
		json_t *v = c->open[--c->depth].v;
		size_t n = json_is_object(v) ? json_object_size(v) : json_array_size(v);
		if (n != c->open[c->depth].seen)
			rc_fail(c, c->path[c->depth], "%zu members, the list names %zu", n,
				c->open[c->depth].seen);
		return;
	}
	if (f->kind == REC_F_OBJECT || f->kind == REC_F_ARRAY) {
		unsigned e = rc_open_level(c, c->depth, f);
		if (e < sizeof(c->dropped) && c->dropped[e]) {
			c->skip = 1; /* left out, with all it holds */
			return;
		}
	}
	json_t *got = rc_lookup(c, f);
	if (!got && !(f->kind == REC_F_TEXT && !rc_utf8(f))) {
		rc_fail(c, f->key, "missing");
		return;
	}
	int present = 1;
	if (f->kind == REC_F_OBJECT || f->kind == REC_F_ARRAY) {
		if (f->kind == REC_F_OBJECT ? !json_is_object(got) : !json_is_array(got)) {
			rc_fail(c, f->key, "not an %s",
				f->kind == REC_F_OBJECT ? "object" : "array");
			return;
		}
		if (c->depth)
			c->open[c->depth - 1].seen++;
		if (c->depth == RC_DEPTH) {
			rc_fail(c, f->key, "nested too deep");
			return;
		}
		c->path[c->depth] = f->key;
		c->open[c->depth].v = got;
		c->open[c->depth].seen = 0;
		c->depth++;
		return;
	}
	if (f->kind == REC_F_TEXT)
		present = rc_check_text(c, f, got);
	else
		rc_scalar(c, f, got);
	if (present && c->depth)
		c->open[c->depth - 1].seen++;
}

/* Writes r with its verdict v (may be NULL) into w and checks the text.
 * Returns 1 when the record was written and checked, 0 when it was
 * (rightly) refused, -1 on a difference, described in msg. */
static int rc_check(struct jsonw *w, const struct rec *r, const struct rec_verdict *v, char *msg,
		    size_t msglen)
{
	struct rc_walk *c = calloc(1, sizeof(*c));
	int ret = -1;
	json_t *doc = NULL;
	char *again = NULL;
	if (!c) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	rec_fields(r, v, REC_PART_ALL, rc_refusal_fn, c);
	jsonw_reset(w);
	int rc = rec_json_head(w, r);
	if (rc == 0)
		rc = rec_json_anomalies(w, r, v);
	if (rc == 0)
		rc = jsonw_end(w);
	if (rc != 0 || c->want_refusal) {
		if (rc != 0 && c->want_refusal)
			ret = 0;
		else
			snprintf(msg, msglen, "the writer %s the record, but %s",
				 rc ? "refused" : "wrote",
				 c->want_refusal ? "a text the record needs is not UTF-8"
						 : "every text it needs is UTF-8");
		goto done;
	}
	json_error_t err;
	doc = json_loadb(w->buf, w->len, JSON_REJECT_DUPLICATES, &err);
	if (!doc || !json_is_object(doc)) {
		snprintf(msg, msglen, "not a JSON object: %s at %d", doc ? "" : err.text,
			 err.position);
		goto done;
	}
	again = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (!again || strlen(again) != w->len || memcmp(again, w->buf, w->len) != 0) {
		size_t at = 0;
		while (again && at < w->len && again[at] == w->buf[at])
			at++;
		snprintf(msg, msglen, "not what json_dumps() writes: first difference at byte %zu",
			 at);
		goto done;
	}
	c->root = doc;
	c->depth = 0;
	c->elems = 0;
	rec_fields(r, v, REC_PART_ALL, rc_field_fn, c);
	if (!c->failed && (c->depth != 0 || c->skip))
		rc_fail(c, NULL, "the list leaves %d levels open", c->depth);
	if (c->failed) {
		snprintf(msg, msglen, "%s", c->msg);
		goto done;
	}
	ret = 1;
done:
	free(again);
	json_decref(doc);
	free(c);
	return ret;
}

#endif
