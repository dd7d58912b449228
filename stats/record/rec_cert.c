/* rec_cert.c — the "cert" object of a connection record, built from the
 * certificate facts of dissectors/proto/x509.c (docs/certificates.md lists every
 * key). Fields that come from the leaf are null when the leaf could not be
 * parsed (sha256 empty). */
#include "stats/record/rec_cert.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dissectors/base/civil.h"
#include "stats/record/rec_fields.h"
#include "stats/record/rec_json.h"

char *rec_cert_time(int64_t t, char *buf, size_t len)
{
	struct civil tm = civil_from_time(t);
	snprintf(buf, len,
		 "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
		 "Z",
		 tm.y, tm.m, tm.d, tm.secs / 3600, tm.secs / 60 % 60, tm.secs % 60);
	return buf;
}

/* A text field of the facts: null when the bytes are not UTF-8 (which
 * x509.c never writes), rather than a record that cannot be written. */
static void rec_cert_text(rec_field_fn fn, void *ctx, const char *key, const char *s, size_t cap)
{
	rec_f_text(fn, ctx, key, s, cap, REC_BAD_NULL);
}

#define REC_CERT_TEXT(key, field) rec_cert_text(fn, ctx, (key), (field), sizeof(field))

/* The same, null when empty. */
static void rec_cert_text_null(rec_field_fn fn, void *ctx, const char *key, const char *s,
			       size_t cap)
{
	if (s[0])
		rec_cert_text(fn, ctx, key, s, cap);
	else
		rec_f_emit(fn, ctx, key, REC_F_NULL, 0);
}

#define REC_CERT_TEXT_NULL(key, field) rec_cert_text_null(fn, ctx, (key), (field), sizeof(field))

/* The SAN list as an array (the facts keep it comma-separated); an entry
 * that is not UTF-8 makes the record unwritable. */
static void rec_cert_san(rec_field_fn fn, void *ctx, const char *san, size_t cap)
{
	size_t n = strnlen(san, cap), start = 0;
	rec_f_emit(fn, ctx, "san", REC_F_ARRAY, 0);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && san[i] != ',')
			continue;
		if (i > start)
			rec_f_text(fn, ctx, NULL, san + start, i - start, REC_BAD_FAIL);
		start = i + 1;
	}
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

/* A value of the leaf certificate: null when the leaf could not be read. */
static void rec_cert_leaf(rec_field_fn fn, void *ctx, const char *key, int leaf,
			  enum rec_field_kind kind, int64_t v)
{
	rec_f_emit(fn, ctx, key, leaf ? kind : REC_F_NULL, v);
}

/* -1 unknown (null), 0 false, 1 true. */
static void rec_cert_tristate(rec_field_fn fn, void *ctx, const char *key, int leaf, int v)
{
	rec_f_emit(fn, ctx, key, leaf && v >= 0 ? REC_F_BOOL : REC_F_NULL, v > 0);
}

void rec_cert_fields(const struct cert_facts *f, const char *key, rec_field_fn fn, void *ctx)
{
	if (!f || !f->present) {
		rec_f_emit(fn, ctx, key, REC_F_NULL, 0);
		return;
	}
	int leaf = f->sha256[0] != '\0';
	const char *hsrc = f->hostname_source == CERT_NAME_SNI	    ? "sni"
			   : f->hostname_source == CERT_NAME_BANNER ? "banner"
								    : NULL;
	int has_name = f->hostname_checked[0] != '\0';

	rec_f_emit(fn, ctx, key, REC_F_OBJECT, 0);
	rec_f_text(fn, ctx, "source", f->source == CERT_SRC_INFERRED ? "inferred" : "observed",
		   SIZE_MAX, REC_BAD_NULL);
	rec_f_emit(fn, ctx, "chain_length", REC_F_INT, f->chain_length);
	if (leaf) {
		REC_CERT_TEXT("subject", f->subject);
		rec_cert_san(fn, ctx, f->san, sizeof(f->san));
		REC_CERT_TEXT("issuer", f->issuer);
	} else {
		rec_f_emit(fn, ctx, "subject", REC_F_NULL, 0);
		rec_f_emit(fn, ctx, "san", REC_F_NULL, 0);
		rec_f_emit(fn, ctx, "issuer", REC_F_NULL, 0);
	}
	REC_CERT_TEXT_NULL("issuer_org", f->issuer_org);
	REC_CERT_TEXT_NULL("serial", f->serial);
	rec_cert_leaf(fn, ctx, "not_before", leaf, REC_F_TIME, f->not_before);
	rec_cert_leaf(fn, ctx, "not_after", leaf, REC_F_TIME, f->not_after);
	REC_CERT_TEXT_NULL("key_type", f->key_type);
	rec_cert_leaf(fn, ctx, "key_bits", leaf && f->key_bits, REC_F_INT, f->key_bits);
	if (strcmp(f->key_type, "EC") == 0)
		REC_CERT_TEXT_NULL("curve", f->curve);
	else
		rec_f_emit(fn, ctx, "curve", REC_F_NULL, 0);
	REC_CERT_TEXT_NULL("sig_alg", f->sig_alg);
	rec_cert_leaf(fn, ctx, "weak_signature", leaf, REC_F_BOOL, f->weak_sig);
	REC_CERT_TEXT_NULL("sha256", f->sha256);
	REC_CERT_TEXT_NULL("spki_sha256", f->spki_sha256);
	rec_cert_leaf(fn, ctx, "is_ca", leaf, REC_F_BOOL, f->is_ca);
	rec_cert_tristate(fn, ctx, "self_signed", leaf, f->self_signed);
	REC_CERT_TEXT("validation", f->validation);
	rec_cert_leaf(fn, ctx, "expired", leaf, REC_F_BOOL, f->expired);
	if (has_name)
		REC_CERT_TEXT("hostname_checked", f->hostname_checked);
	else
		rec_f_emit(fn, ctx, "hostname_checked", REC_F_NULL, 0);
	if (has_name && hsrc)
		rec_f_text(fn, ctx, "hostname_source", hsrc, SIZE_MAX, REC_BAD_NULL);
	else
		rec_f_emit(fn, ctx, "hostname_source", REC_F_NULL, 0);
	rec_cert_tristate(fn, ctx, "hostname_match", 1, f->hostname_match);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

json_t *rec_cert_json(const struct cert_facts *f)
{
	struct jsonw w = {0};
	json_t *j = rec_json_cert(&w, f) == 0 ? json_loads(w.buf, JSON_DECODE_ANY, NULL) : NULL;
	jsonw_free(&w);
	return j;
}
