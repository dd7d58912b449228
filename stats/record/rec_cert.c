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
#include "stats/record/record.h"

/* A fixed-size text field of the facts as a JSON string (NULL-safe: a field
 * that is not NUL-terminated is cut at its size; bytes that are not UTF-8,
 * which x509.c never writes, give null rather than a failed record). */
static json_t *rec_cert_strn(const char *s, size_t cap)
{
	json_t *j = json_stringn(s, strnlen(s, cap));
	return j ? j : json_null();
}

#define REC_CERT_STR(field)	 rec_cert_strn((field), sizeof(field))
#define REC_CERT_STR_NULL(field) ((field)[0] ? REC_CERT_STR(field) : json_null())

char *rec_cert_time(int64_t t, char *buf, size_t len)
{
	struct civil tm = civil_from_time(t);
	snprintf(buf, len,
		 "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
		 "Z",
		 tm.y, tm.m, tm.d, tm.secs / 3600, tm.secs / 60 % 60, tm.secs % 60);
	return buf;
}

/* The SAN list as a JSON array (the facts keep it comma-separated). */
static json_t *rec_cert_san(const char *san, size_t cap)
{
	json_t *a = json_array();
	size_t n = strnlen(san, cap), start = 0;
	if (!a)
		return NULL;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && san[i] != ',')
			continue;
		if (i > start) {
			json_t *s = json_stringn(san + start, i - start);
			if (!s || json_array_append_new(a, s) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		start = i + 1;
	}
	return a;
}

static json_t *rec_cert_tristate(int v)
{
	return v < 0 ? json_null() : json_boolean(v > 0);
}

json_t *rec_cert_json(const struct cert_facts *f)
{
	char tb[40], ta[40];
	if (!f || !f->present)
		return json_null();
	json_t *o = json_object();
	if (!o)
		return NULL;
	int leaf = f->sha256[0] != '\0';
	const char *hsrc = f->hostname_source == CERT_NAME_SNI	    ? "sni"
			   : f->hostname_source == CERT_NAME_BANNER ? "banner"
								    : NULL;
	int has_name = f->hostname_checked[0] != '\0';
	struct {
		const char *key;
		json_t *v;
	} kv[] = {
		{"source", json_string(f->source == CERT_SRC_INFERRED ? "inferred" : "observed")},
		{"chain_length", json_integer(f->chain_length)},
		{"subject", leaf ? REC_CERT_STR(f->subject) : json_null()},
		{"san", leaf ? rec_cert_san(f->san, sizeof(f->san)) : json_null()},
		{"issuer", leaf ? REC_CERT_STR(f->issuer) : json_null()},
		{"issuer_org", REC_CERT_STR_NULL(f->issuer_org)},
		{"serial", REC_CERT_STR_NULL(f->serial)},
		{"not_before",
		 leaf ? json_string(rec_cert_time(f->not_before, tb, sizeof(tb))) : json_null()},
		{"not_after",
		 leaf ? json_string(rec_cert_time(f->not_after, ta, sizeof(ta))) : json_null()},
		{"key_type", REC_CERT_STR_NULL(f->key_type)},
		{"key_bits", leaf && f->key_bits ? json_integer(f->key_bits) : json_null()},
		{"curve",
		 strcmp(f->key_type, "EC") == 0 ? REC_CERT_STR_NULL(f->curve) : json_null()},
		{"sig_alg", REC_CERT_STR_NULL(f->sig_alg)},
		{"weak_signature", leaf ? json_boolean(f->weak_sig) : json_null()},
		{"sha256", REC_CERT_STR_NULL(f->sha256)},
		{"spki_sha256", REC_CERT_STR_NULL(f->spki_sha256)},
		{"is_ca", leaf ? json_boolean(f->is_ca) : json_null()},
		{"self_signed", leaf ? rec_cert_tristate(f->self_signed) : json_null()},
		{"validation", REC_CERT_STR(f->validation)},
		{"expired", leaf ? json_boolean(f->expired) : json_null()},
		{"hostname_checked", has_name ? REC_CERT_STR(f->hostname_checked) : json_null()},
		{"hostname_source", has_name && hsrc ? json_string(hsrc) : json_null()},
		{"hostname_match", rec_cert_tristate(f->hostname_match)},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		/* json_object_set_new() takes the reference even when it fails. */
		if (!kv[i].v || json_object_set_new(o, kv[i].key, kv[i].v) != 0)
			bad = 1;
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The direct writer: rec_cert_json()'s value without the tree. */

/* rec_cert_strn(): a text field, null when jansson would refuse it. */
static void rec_cert_w_str(struct jsonw *w, const char *s, size_t cap)
{
	if (jsonw_str(w, s, cap) != 0)
		jsonw_null(w);
}

#define REC_CERT_W_STR(w, field) rec_cert_w_str((w), (field), sizeof(field))

static void rec_cert_w_str_null(struct jsonw *w, const char *s, size_t cap)
{
	if (s[0])
		rec_cert_w_str(w, s, cap);
	else
		jsonw_null(w);
}

#define REC_CERT_W_STR_NULL(w, field) rec_cert_w_str_null((w), (field), sizeof(field))

/* rec_cert_time() as a JSON string; printf only for years past 9999 or
 * before year 0, which "%04" writes with more characters. */
static void rec_cert_w_time(struct jsonw *w, int64_t t)
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
	b[0] = '"';
	rec_put2(b + 1, tm.y / 100);
	rec_put2(b + 3, tm.y % 100);
	b[5] = '-';
	rec_put2(b + 6, tm.m);
	b[8] = '-';
	rec_put2(b + 9, tm.d);
	b[11] = 'T';
	rec_put2(b + 12, tm.secs / 3600);
	b[14] = ':';
	rec_put2(b + 15, tm.secs / 60 % 60);
	b[17] = ':';
	rec_put2(b + 18, tm.secs % 60);
	b[20] = 'Z';
	b[21] = '"';
	jsonw_raw(w, b, 22);
}

/* rec_cert_san(): -1 where it returns NULL (an entry that is not UTF-8). */
static int rec_cert_w_san(struct jsonw *w, const char *san, size_t cap)
{
	size_t n = strnlen(san, cap), start = 0;
	int first = 1;
	JSONW_LIT(w, "[");
	for (size_t i = 0; i <= n; i++) {
		if (i < n && san[i] != ',')
			continue;
		if (i > start) {
			if (!first)
				JSONW_LIT(w, ",");
			first = 0;
			if (jsonw_str(w, san + start, i - start) != 0)
				return -1;
		}
		start = i + 1;
	}
	JSONW_LIT(w, "]");
	return 0;
}

static void rec_cert_w_tristate(struct jsonw *w, int v)
{
	if (v < 0)
		jsonw_null(w);
	else
		jsonw_bool(w, v > 0);
}

int rec_cert_write(struct jsonw *w, const struct cert_facts *f)
{
	if (!f || !f->present) {
		jsonw_null(w);
		return 0;
	}
	int leaf = f->sha256[0] != '\0';
	const char *hsrc = f->hostname_source == CERT_NAME_SNI	    ? "sni"
			   : f->hostname_source == CERT_NAME_BANNER ? "banner"
								    : NULL;
	int has_name = f->hostname_checked[0] != '\0';

	if (f->source == CERT_SRC_INFERRED)
		JSONW_LIT(w, "{\"source\":\"inferred\",\"chain_length\":");
	else
		JSONW_LIT(w, "{\"source\":\"observed\",\"chain_length\":");
	jsonw_int(w, f->chain_length);
	JSONW_LIT(w, ",\"subject\":");
	if (leaf)
		REC_CERT_W_STR(w, f->subject);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"san\":");
	if (!leaf)
		jsonw_null(w);
	else if (rec_cert_w_san(w, f->san, sizeof(f->san)) != 0)
		return -1;
	JSONW_LIT(w, ",\"issuer\":");
	if (leaf)
		REC_CERT_W_STR(w, f->issuer);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"issuer_org\":");
	REC_CERT_W_STR_NULL(w, f->issuer_org);
	JSONW_LIT(w, ",\"serial\":");
	REC_CERT_W_STR_NULL(w, f->serial);
	JSONW_LIT(w, ",\"not_before\":");
	if (leaf)
		rec_cert_w_time(w, f->not_before);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"not_after\":");
	if (leaf)
		rec_cert_w_time(w, f->not_after);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"key_type\":");
	REC_CERT_W_STR_NULL(w, f->key_type);
	JSONW_LIT(w, ",\"key_bits\":");
	if (leaf && f->key_bits)
		jsonw_int(w, f->key_bits);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"curve\":");
	if (strcmp(f->key_type, "EC") == 0)
		REC_CERT_W_STR_NULL(w, f->curve);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"sig_alg\":");
	REC_CERT_W_STR_NULL(w, f->sig_alg);
	JSONW_LIT(w, ",\"weak_signature\":");
	if (leaf)
		jsonw_bool(w, f->weak_sig);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"sha256\":");
	REC_CERT_W_STR_NULL(w, f->sha256);
	JSONW_LIT(w, ",\"spki_sha256\":");
	REC_CERT_W_STR_NULL(w, f->spki_sha256);
	JSONW_LIT(w, ",\"is_ca\":");
	if (leaf)
		jsonw_bool(w, f->is_ca);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"self_signed\":");
	if (leaf)
		rec_cert_w_tristate(w, f->self_signed);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"validation\":");
	REC_CERT_W_STR(w, f->validation);
	JSONW_LIT(w, ",\"expired\":");
	if (leaf)
		jsonw_bool(w, f->expired);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"hostname_checked\":");
	if (has_name)
		REC_CERT_W_STR(w, f->hostname_checked);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"hostname_source\":");
	if (has_name && hsrc)
		jsonw_str(w, hsrc, SIZE_MAX);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"hostname_match\":");
	rec_cert_w_tristate(w, f->hostname_match);
	JSONW_LIT(w, "}");
	return 0;
}
