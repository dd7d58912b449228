/* rec_fields.h — the one list of a connection record's JSON fields
 * (docs/schema.md): every member, in order, with its value taken from the
 * record and what happens when a text is not UTF-8.
 *
 * The list is code that calls a function once per field, as the
 * statistics' agg_visit() does for the snapshot: the JSON writer (rec_json.h)
 * is one such function, and the tests walk the same list to check the
 * writer's output, parsed back by jansson, field by field. A field is a
 * scalar, or the start of an object or array whose members follow up to the
 * matching REC_F_END.
 */
#ifndef SMTPTLS_REC_FIELDS_H
#define SMTPTLS_REC_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "dissectors/proto/tls.h"
#include "dissectors/proto/x509.h"
#include "stats/record/record.h"

enum rec_field_kind {
	REC_F_OBJECT, /* an object begins */
	REC_F_ARRAY,  /* an array begins */
	REC_F_END,    /* the innermost object or array ends */
	REC_F_NULL,
	REC_F_BOOL,    /* i != 0 */
	REC_F_INT,     /* i */
	REC_F_SECONDS, /* u microseconds as a number of seconds (a real) */
	REC_F_TS,      /* u microseconds since the epoch: "2024-05-01T12:00:00.123456Z" */
	REC_F_TIME,    /* i seconds since the epoch: "2026-01-01T00:00:00Z" */
	REC_F_TEXT,    /* s: the bytes up to the first NUL or len bytes */
	REC_F_ADDRESS, /* ep: the address as text (rec_format_addr) */
};

/* What becomes of a text that is not UTF-8 (jansson refuses such a string,
 * and the records keep to what jansson reads). */
enum rec_bad_text {
	REC_BAD_FAIL,	/* the record cannot be written */
	REC_BAD_OMIT,	/* the member (or array element) is left out */
	REC_BAD_NULL,	/* null stands in its place */
	REC_BAD_PARENT, /* the enclosing array element is left out */
};

struct rec_field {
	const char *key; /* the member's name; NULL for an array element or the record */
	enum rec_field_kind kind;
	enum rec_bad_text bad; /* REC_F_TEXT only */
	int64_t i;
	uint64_t u;
	const char *s;
	size_t len;
	const struct rec_ep *ep;
};

/* Called once per field; the field (and any text it points to) lasts for
 * the call only. */
typedef void (*rec_field_fn)(void *ctx, const struct rec_field *f);

/* What rec_fields() lists: the record up to its anomalies (the record's
 * own facts), and what depends on the detectors' verdict too (the policy
 * dry-run, when it ran, and the anomalies) with the end of the record. */
enum { REC_PART_HEAD = 1, REC_PART_ANOMALIES = 2, REC_PART_ALL = 3 };

/* Lists the fields of r (the verdict v, which may be NULL, adds its
 * "policy" object when its dry-run ran, and its anomalies after the
 * record's own). */
void rec_fields(const struct rec *r, const struct rec_verdict *v, unsigned parts, rec_field_fn fn,
		void *ctx);

/* The record's "tls" object (rec_tls.c) and "cert" value (rec_cert.c: null
 * when f->present == 0) under key (NULL at the top). */
void rec_tls_fields(const struct tls_facts *f, const char *key, rec_field_fn fn, void *ctx);
void rec_cert_fields(const struct cert_facts *f, const char *key, rec_field_fn fn, void *ctx);

/* The record's "dns" object (rec_dns.c), listed only when d->present. */
void rec_dns_fields(const struct rec_dns *d, const char *key, rec_field_fn fn, void *ctx);

/* The record's "policy" object (rec_policy.c): the dry-run's direction, and
 * each policy's result and reason. Listed only when p->judged. */
void rec_policy_fields(const struct rec_policy *p, const char *key, rec_field_fn fn, void *ctx);

/* Small helpers for the lists. */
static inline void rec_f_emit(rec_field_fn fn, void *ctx, const char *key, enum rec_field_kind kind,
			      int64_t i)
{
	struct rec_field f = {.key = key, .kind = kind, .i = i};
	fn(ctx, &f);
}

static inline void rec_f_text(rec_field_fn fn, void *ctx, const char *key, const char *s,
			      size_t len, enum rec_bad_text bad)
{
	struct rec_field f = {.key = key, .kind = REC_F_TEXT, .bad = bad, .s = s, .len = len};
	fn(ctx, &f);
}

/* {"client":c,"server":s}, the shape of every per-direction pair. */
static inline void rec_f_pair(rec_field_fn fn, void *ctx, const char *key, uint64_t c, uint64_t s)
{
	rec_f_emit(fn, ctx, key, REC_F_OBJECT, 0);
	rec_f_emit(fn, ctx, "client", REC_F_INT, (int64_t)c);
	rec_f_emit(fn, ctx, "server", REC_F_INT, (int64_t)s);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

#endif
