/* rec_json.c — the record writer: one function that turns each field of
 * the list (rec_fields.h) into JSON text, keeping track of the objects and
 * arrays open and of where each member began, so that a member or element
 * can be taken back when its text is refused. */
#include "stats/record/rec_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dissectors/base/civil.h"
#include "stats/record/rec_cert.h"
#include "stats/record/rec_fields.h"

/* Deeper than any record's nesting (record, tls, problems, pair). */
#define REC_JSON_DEPTH 8

struct rec_json {
	struct jsonw *w;
	int depth;  /* objects and arrays open */
	int skip;   /* > 0: inside an element being left out, this many levels deep */
	int failed; /* the record cannot be written */
	struct {
		size_t mark;	   /* where the member began (before its comma) */
		uint8_t first;	   /* no member written yet */
		uint8_t array;	   /* an array, not an object */
		uint8_t was_first; /* the parent's first flag before this member */
	} open[REC_JSON_DEPTH];
};

/* Writes v (0..99) as two digits at p; returns p + 2. */
static char *rec_json_put2(char *p, int64_t v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* "HH:MM:SS" of the seconds of a day at p; returns the end. */
static char *rec_json_put_hms(char *p, int64_t secs)
{
	p = rec_json_put2(p, secs / 3600);
	*p++ = ':';
	p = rec_json_put2(p, secs / 60 % 60);
	*p++ = ':';
	return rec_json_put2(p, secs % 60);
}

/* rec_format_ts() as a JSON string, without gmtime/strftime/printf (the
 * time is unsigned, so from 1970 on, and the year is written in full, as
 * %Y writes it). */
static void rec_json_ts(struct jsonw *w, uint64_t us)
{
	struct civil c = civil_from_time((int64_t)(us / 1000000u));
	unsigned frac = (unsigned)(us % 1000000u);
	char b[40], *p = b;
	JSONW_LIT(w, "\"");
	jsonw_int(w, c.y);
	*p++ = '-';
	p = rec_json_put2(p, c.m);
	*p++ = '-';
	p = rec_json_put2(p, c.d);
	*p++ = 'T';
	p = rec_json_put_hms(p, c.secs);
	*p++ = '.';
	for (int i = 5; i >= 0; i--) {
		p[i] = (char)('0' + frac % 10u);
		frac /= 10u;
	}
	p += 6;
	*p++ = 'Z';
	*p++ = '"';
	jsonw_raw(w, b, (size_t)(p - b));
}

/* rec_cert_time() as a JSON string; printf only for years past 9999 or
 * before year 0, which "%04" writes with more characters. */
static void rec_json_time(struct jsonw *w, int64_t t)
{
	struct civil tm = civil_from_time(t);
	char b[40];
	if (tm.y < 0 || tm.y > 9999) {
		b[0] = '"';
		rec_cert_time(t, b + 1, sizeof(b) - 2);
		size_t n = strlen(b);
		b[n] = '"';
		jsonw_raw(w, b, n + 1);
		return;
	}
	/* "YYYY-MM-DDTHH:MM:SSZ" */
	char *p = b;
	*p++ = '"';
	p = rec_json_put2(p, tm.y / 100);
	p = rec_json_put2(p, tm.y % 100);
	*p++ = '-';
	p = rec_json_put2(p, tm.m);
	*p++ = '-';
	p = rec_json_put2(p, tm.d);
	*p++ = 'T';
	p = rec_json_put_hms(p, tm.secs);
	*p++ = 'Z';
	*p++ = '"';
	jsonw_raw(w, b, (size_t)(p - b));
}

/* A text refused (not UTF-8): what its field says. mark is where the
 * member began, was_first the parent's flag before it. */
static void rec_json_refused(struct rec_json *j, const struct rec_field *f, size_t mark,
			     int was_first)
{
	switch (f->bad) {
	case REC_BAD_NULL: jsonw_null(j->w); break;
	case REC_BAD_FAIL: j->failed = 1; break;
	case REC_BAD_OMIT:
		j->w->len = mark;
		if (j->depth)
			j->open[j->depth - 1].first = (uint8_t)was_first;
		break;
	case REC_BAD_PARENT:
		/* the element this member belongs to goes, up to its end */
		if (j->depth < 2) {
			j->failed = 1;
			break;
		}
		j->depth--;
		j->w->len = j->open[j->depth].mark;
		j->open[j->depth - 1].first = j->open[j->depth].was_first;
		j->skip = 1;
		break;
	}
}

static void rec_json_end(struct rec_json *j)
{
	if (j->depth == 0) {
		j->failed = 1; /* an end with nothing open: a list out of balance */
		return;
	}
	j->depth--;
	if (j->open[j->depth].array)
		JSONW_LIT(j->w, "]");
	else
		JSONW_LIT(j->w, "}");
}

/* The comma before a member (unless it is the first) and its key (none for
 * an array element), in one append: keys are ASCII names of the list. */
static void rec_json_member(struct jsonw *w, const char *key, int comma)
{
	size_t k = key ? strlen(key) : 0, n = (size_t)comma + (key ? k + 3 : 0);
	if (w->len + n + 1 > w->cap && jsonw_grow(w, n) != 0)
		return;
	char *p = w->buf + w->len;
	if (comma)
		*p++ = ',';
	if (key) {
		*p++ = '"';
		memcpy(p, key, k);
		p += k;
		*p++ = '"';
		*p++ = ':';
	}
	w->len = (size_t)(p - w->buf);
}

static void rec_json_field(void *ctx, const struct rec_field *f)
{
	struct rec_json *j = ctx;
	struct jsonw *w = j->w;
	if (j->skip) {
		j->skip += f->kind == REC_F_OBJECT || f->kind == REC_F_ARRAY;
		j->skip -= f->kind == REC_F_END;
		return;
	}
	if (f->kind == REC_F_END) {
		rec_json_end(j);
		return;
	}
	size_t mark = w->len;
	int was_first = 0;
	if (j->depth) {
		was_first = j->open[j->depth - 1].first;
		rec_json_member(w, f->key, !was_first);
		j->open[j->depth - 1].first = 0;
	}
	char a[64];
	switch (f->kind) {
	case REC_F_OBJECT:
	case REC_F_ARRAY:
		if (j->depth == REC_JSON_DEPTH) {
			j->failed = 1;
			j->skip = 1;
			return;
		}
		j->open[j->depth].mark = mark;
		j->open[j->depth].first = 1;
		j->open[j->depth].array = f->kind == REC_F_ARRAY;
		j->open[j->depth].was_first = (uint8_t)was_first;
		j->depth++;
		if (f->kind == REC_F_ARRAY)
			JSONW_LIT(w, "[");
		else
			JSONW_LIT(w, "{");
		break;
	case REC_F_NULL: jsonw_null(w); break;
	case REC_F_BOOL: jsonw_bool(w, f->i != 0); break;
	case REC_F_INT: jsonw_int(w, f->i); break;
	case REC_F_SECONDS: jsonw_micros(w, f->u); break;
	case REC_F_TS: rec_json_ts(w, f->u); break;
	case REC_F_TIME: rec_json_time(w, f->i); break;
	case REC_F_ADDRESS:
		rec_format_addr(f->ep, a, sizeof(a));
		jsonw_str(w, a, sizeof(a));
		break;
	case REC_F_TEXT:
		if (jsonw_str(w, f->s, f->len) != 0)
			rec_json_refused(j, f, mark, was_first);
		break;
	case REC_F_END: break;
	}
}

static int rec_json_done(const struct rec_json *j)
{
	return j->failed || j->w->failed ? -1 : 0;
}

int rec_json_head(struct jsonw *w, const struct rec *r)
{
	struct rec_json j = {.w = w};
	rec_fields(r, NULL, REC_PART_HEAD, rec_json_field, &j);
	return rec_json_done(&j);
}

int rec_json_anomalies(struct jsonw *w, const struct rec *r, const struct rec_verdict *v)
{
	/* the record is open, with members written */
	struct rec_json j = {.w = w, .depth = 1};
	rec_fields(r, v, REC_PART_ANOMALIES, rec_json_field, &j);
	return rec_json_done(&j);
}

int rec_json_tls(struct jsonw *w, const struct tls_facts *f)
{
	struct rec_json j = {.w = w};
	rec_tls_fields(f, NULL, rec_json_field, &j);
	return rec_json_done(&j) == 0 ? jsonw_end(w) : -1;
}

int rec_json_cert(struct jsonw *w, const struct cert_facts *f)
{
	struct rec_json j = {.w = w};
	rec_cert_fields(f, NULL, rec_json_field, &j);
	return rec_json_done(&j) == 0 ? jsonw_end(w) : -1;
}
