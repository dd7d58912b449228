/* rec_cert.c — the "cert" object of a connection record, built from the
 * certificate facts of dissectors/x509.c (docs/certificates.md lists every
 * key). Fields that come from the leaf are null when the leaf could not be
 * parsed (sha256 empty). */
#include "stats/rec_cert.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

/* Civil date of a day number (H. Hinnant's algorithm, proleptic Gregorian). */
char *rec_cert_time(int64_t t, char *buf, size_t len)
{
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	snprintf(buf, len,
		 "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
		 "Z",
		 y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
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
