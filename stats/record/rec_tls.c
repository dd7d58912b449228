/* rec_tls.c — the "tls" object of a connection record, built from the TLS
 * dissector's facts (docs/tls.md lists every key). Names come from the
 * cipher-suite registry (dissectors/proto/ciphers.h); alert descriptions from the
 * table below (RFC 8446 §6, RFC 5246 §7.2, RFC 4346/2246 and later RFCs). */
#include "stats/record/rec_tls.h"

#include <stdint.h>
#include <stdio.h>

#include "dissectors/proto/ciphers.h"
#include "stats/record/record.h"

static const char *const rec_tls_alerts[256] = {
	[0] = "close_notify",
	[10] = "unexpected_message",
	[20] = "bad_record_mac",
	[21] = "decryption_failed",
	[22] = "record_overflow",
	[30] = "decompression_failure",
	[40] = "handshake_failure",
	[41] = "no_certificate",
	[42] = "bad_certificate",
	[43] = "unsupported_certificate",
	[44] = "certificate_revoked",
	[45] = "certificate_expired",
	[46] = "certificate_unknown",
	[47] = "illegal_parameter",
	[48] = "unknown_ca",
	[49] = "access_denied",
	[50] = "decode_error",
	[51] = "decrypt_error",
	[60] = "export_restriction",
	[70] = "protocol_version",
	[71] = "insufficient_security",
	[80] = "internal_error",
	[86] = "inappropriate_fallback",
	[90] = "user_canceled",
	[100] = "no_renegotiation",
	[109] = "missing_extension",
	[110] = "unsupported_extension",
	[111] = "certificate_unobtainable",
	[112] = "unrecognized_name",
	[113] = "bad_certificate_status_response",
	[114] = "bad_certificate_hash_value",
	[115] = "unknown_psk_identity",
	[116] = "certificate_required",
	[120] = "no_application_protocol",
	[121] = "ech_required",
};

const char *rec_tls_alert_name(uint8_t desc)
{
	return rec_tls_alerts[desc];
}

static json_t *rec_tls_str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *rec_tls_version(uint16_t v)
{
	char buf[32];
	if (!v)
		return json_null();
	return json_string(suite_version_name(v, buf, sizeof(buf)));
}

/* The alerts of one direction by name, in order; an alert that could not
 * be read (encrypted) is listed as "encrypted". */
static json_t *rec_tls_alert_list(const struct tls_facts *f, int dir)
{
	json_t *a = json_array();
	char buf[24];
	if (!a)
		return NULL;
	for (unsigned i = 0; i < f->alerts_n[dir] && i < TLS_MAX_ALERTS; i++) {
		uint8_t desc = f->alerts[dir][i][1];
		const char *name = rec_tls_alert_name(desc);
		if (!name) {
			snprintf(buf, sizeof(buf), "unassigned_%u", (unsigned)desc);
			name = buf;
		}
		json_array_append_new(a, json_string(name));
	}
	if (f->encrypted_alert[dir])
		json_array_append_new(a, json_string("encrypted"));
	return a;
}

static json_t *rec_tls_group(const struct tls_facts *f)
{
	char buf[32];
	if (f->group)
		return json_string(suite_group_name(f->group, buf, sizeof(buf)));
	if (f->dh_bits) {
		/* A DHE group from the ServerKeyExchange: its size only. */
		snprintf(buf, sizeof(buf), "ffdhe%u", (unsigned)f->dh_bits);
		return json_string(buf);
	}
	return json_null();
}

static json_t *rec_tls_pair(uint64_t c, uint64_t s)
{
	return json_pack("{s:I,s:I}", "client", (json_int_t)c, "server", (json_int_t)s);
}

/* Problems seen on the wire, only when there were any. */
static json_t *rec_tls_problems(const struct tls_facts *f)
{
	if (!(f->not_tls[0] | f->not_tls[1] | f->oversize_records[0] | f->oversize_records[1] |
	      f->skipped_handshake[0] | f->skipped_handshake[1] | f->malformed[0] |
	      f->malformed[1]))
		return NULL;
	json_t *p = json_object();
	if (!p)
		return NULL;
	json_object_set_new(p, "not_tls", rec_tls_pair(f->not_tls[0], f->not_tls[1]));
	json_object_set_new(p, "oversize_records",
			    rec_tls_pair(f->oversize_records[0], f->oversize_records[1]));
	json_object_set_new(p, "skipped_handshake",
			    rec_tls_pair(f->skipped_handshake[0], f->skipped_handshake[1]));
	json_object_set_new(p, "malformed", rec_tls_pair(f->malformed[0], f->malformed[1]));
	return p;
}

json_t *rec_tls_json(const struct tls_facts *f)
{
	char buf[64];
	json_t *o = json_object();
	if (!o)
		return NULL;

	json_t *versions = json_array();
	for (unsigned i = 0; versions && i < f->n_client_versions && i < TLSD_MAX_VERSIONS; i++)
		json_array_append_new(versions, rec_tls_version(f->client_versions[i]));

	const struct suite_info *si = f->server_hello ? suite_lookup(f->cipher) : NULL;
	int have_suite = f->server_hello && f->version != 0x0002;
	const char *dg = f->downgrade_sentinel == 1   ? "tls1.2"
			 : f->downgrade_sentinel == 2 ? "tls1.1_or_below"
						      : NULL;

	json_object_set_new(o, "client_hello", json_boolean(f->client_hello));
	json_object_set_new(o, "sslv2_client_hello", json_boolean(f->sslv2_client_hello));
	json_object_set_new(o, "server_hello", json_boolean(f->server_hello));
	json_object_set_new(o, "version",
			    f->server_hello ? rec_tls_version(f->version) : json_null());
	json_object_set_new(o, "client_max_version",
			    f->client_hello ? rec_tls_version(f->client_max_version) : json_null());
	json_object_set_new(o, "client_versions", versions ? versions : json_null());
	json_object_set_new(o, "cipher",
			    have_suite ? json_string(suite_name(f->cipher, buf, sizeof(buf)))
				       : json_null());
	json_object_set_new(o, "cipher_id", have_suite ? json_integer(f->cipher) : json_null());
	json_object_set_new(
		o, "grade",
		have_suite ? json_string(suite_grade_name(suite_grade(f->cipher, f->version)))
			   : json_null());
	json_object_set_new(o, "forward_secrecy", si ? json_boolean(si->fs) : json_null());
	json_object_set_new(o, "aead", si ? json_boolean(si->aead) : json_null());
	json_object_set_new(o, "group", rec_tls_group(f));
	json_object_set_new(o, "dh_bits", f->dh_bits ? json_integer(f->dh_bits) : json_null());
	json_object_set_new(o, "sni", rec_tls_str_or_null(f->sni));
	json_object_set_new(o, "alpn", rec_tls_str_or_null(f->alpn));
	json_object_set_new(o, "resumed", json_boolean(f->resumed));
	json_object_set_new(o, "established", json_boolean(f->established));
	json_object_set_new(o, "client_alerts", rec_tls_alert_list(f, 0));
	json_object_set_new(o, "server_alerts", rec_tls_alert_list(f, 1));
	json_object_set_new(o, "fallback_scsv", json_boolean(f->fallback_scsv));
	json_object_set_new(o, "downgrade_sentinel", dg ? json_string(dg) : json_null());
	json_object_set_new(o, "hello_retry", json_boolean(f->hello_retry));
	json_object_set_new(o, "client_cert_requested", json_boolean(f->client_cert_requested));
	json_object_set_new(o, "server_certs", json_integer(f->server_certs));
	json_object_set_new(o, "compression", json_integer(f->compression));
	json_object_set_new(o, "ja3", rec_tls_str_or_null(f->ja3));
	json_object_set_new(o, "ja3s", rec_tls_str_or_null(f->ja3s));
	json_object_set_new(o, "ja4", rec_tls_str_or_null(f->ja4));
	json_object_set_new(o, "records", rec_tls_pair(f->records[0], f->records[1]));
	json_object_set_new(o, "app_bytes", rec_tls_pair(f->app_bytes[0], f->app_bytes[1]));
	json_t *problems = rec_tls_problems(f);
	if (problems)
		json_object_set_new(o, "problems", problems);
	return o;
}

/* The direct writer: rec_tls_json()'s object without the tree. Where
 * json_string() would refuse a text (not UTF-8), json_object_set_new() drops
 * the key and json_array_append_new() the element; mark is where that key or
 * element began. */

static void rec_tls_w_str(struct jsonw *w, size_t mark, const char *s, size_t max)
{
	if (jsonw_str(w, s, max) != 0)
		w->len = mark;
}

static void rec_tls_w_str_or_null(struct jsonw *w, size_t mark, const char *s, size_t max)
{
	if (s[0])
		rec_tls_w_str(w, mark, s, max);
	else
		jsonw_null(w);
}

static void rec_tls_w_version(struct jsonw *w, size_t mark, uint16_t v)
{
	char buf[32];
	if (!v)
		jsonw_null(w);
	else
		rec_tls_w_str(w, mark, suite_version_name(v, buf, sizeof(buf)), SIZE_MAX);
}

static void rec_tls_w_alerts(struct jsonw *w, const struct tls_facts *f, int dir)
{
	int first = 1;
	JSONW_LIT(w, "[");
	for (unsigned i = 0; i < f->alerts_n[dir] && i < TLS_MAX_ALERTS; i++) {
		uint8_t desc = f->alerts[dir][i][1];
		const char *name = rec_tls_alert_name(desc);
		if (!first)
			JSONW_LIT(w, ",");
		first = 0;
		if (name) {
			jsonw_str(w, name, SIZE_MAX); /* the table's names are ASCII */
		} else {
			JSONW_LIT(w, "\"unassigned_");
			jsonw_int(w, desc);
			JSONW_LIT(w, "\"");
		}
	}
	if (f->encrypted_alert[dir]) {
		if (!first)
			JSONW_LIT(w, ",");
		JSONW_LIT(w, "\"encrypted\"");
	}
	JSONW_LIT(w, "]");
}

void rec_tls_write(struct jsonw *w, const struct tls_facts *f)
{
	char buf[64];
	size_t m;
	const struct suite_info *si = f->server_hello ? suite_lookup(f->cipher) : NULL;
	int have_suite = f->server_hello && f->version != 0x0002;

	JSONW_LIT(w, "{\"client_hello\":");
	jsonw_bool(w, f->client_hello);
	JSONW_LIT(w, ",\"sslv2_client_hello\":");
	jsonw_bool(w, f->sslv2_client_hello);
	JSONW_LIT(w, ",\"server_hello\":");
	jsonw_bool(w, f->server_hello);

	m = w->len;
	JSONW_LIT(w, ",\"version\":");
	if (f->server_hello)
		rec_tls_w_version(w, m, f->version);
	else
		jsonw_null(w);
	m = w->len;
	JSONW_LIT(w, ",\"client_max_version\":");
	if (f->client_hello)
		rec_tls_w_version(w, m, f->client_max_version);
	else
		jsonw_null(w);

	JSONW_LIT(w, ",\"client_versions\":[");
	int first = 1;
	for (unsigned i = 0; i < f->n_client_versions && i < TLSD_MAX_VERSIONS; i++) {
		m = w->len;
		if (!first)
			JSONW_LIT(w, ",");
		size_t before = w->len;
		rec_tls_w_version(w, m, f->client_versions[i]);
		if (w->len > before)
			first = 0;
	}
	JSONW_LIT(w, "]");

	m = w->len;
	JSONW_LIT(w, ",\"cipher\":");
	if (have_suite)
		rec_tls_w_str(w, m, suite_name(f->cipher, buf, sizeof(buf)), SIZE_MAX);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"cipher_id\":");
	if (have_suite)
		jsonw_int(w, f->cipher);
	else
		jsonw_null(w);
	m = w->len;
	JSONW_LIT(w, ",\"grade\":");
	if (have_suite)
		rec_tls_w_str(w, m, suite_grade_name(suite_grade(f->cipher, f->version)), SIZE_MAX);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"forward_secrecy\":");
	if (si)
		jsonw_bool(w, si->fs);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"aead\":");
	if (si)
		jsonw_bool(w, si->aead);
	else
		jsonw_null(w);

	m = w->len;
	JSONW_LIT(w, ",\"group\":");
	if (f->group) {
		rec_tls_w_str(w, m, suite_group_name(f->group, buf, 32), SIZE_MAX);
	} else if (f->dh_bits) {
		JSONW_LIT(w, "\"ffdhe");
		jsonw_int(w, f->dh_bits);
		JSONW_LIT(w, "\"");
	} else {
		jsonw_null(w);
	}
	JSONW_LIT(w, ",\"dh_bits\":");
	if (f->dh_bits)
		jsonw_int(w, f->dh_bits);
	else
		jsonw_null(w);
	m = w->len;
	JSONW_LIT(w, ",\"sni\":");
	rec_tls_w_str_or_null(w, m, f->sni, sizeof(f->sni));
	m = w->len;
	JSONW_LIT(w, ",\"alpn\":");
	rec_tls_w_str_or_null(w, m, f->alpn, sizeof(f->alpn));
	JSONW_LIT(w, ",\"resumed\":");
	jsonw_bool(w, f->resumed);
	JSONW_LIT(w, ",\"established\":");
	jsonw_bool(w, f->established);
	JSONW_LIT(w, ",\"client_alerts\":");
	rec_tls_w_alerts(w, f, 0);
	JSONW_LIT(w, ",\"server_alerts\":");
	rec_tls_w_alerts(w, f, 1);
	JSONW_LIT(w, ",\"fallback_scsv\":");
	jsonw_bool(w, f->fallback_scsv);
	JSONW_LIT(w, ",\"downgrade_sentinel\":");
	if (f->downgrade_sentinel == 1)
		JSONW_LIT(w, "\"tls1.2\"");
	else if (f->downgrade_sentinel == 2)
		JSONW_LIT(w, "\"tls1.1_or_below\"");
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"hello_retry\":");
	jsonw_bool(w, f->hello_retry);
	JSONW_LIT(w, ",\"client_cert_requested\":");
	jsonw_bool(w, f->client_cert_requested);
	JSONW_LIT(w, ",\"server_certs\":");
	jsonw_int(w, f->server_certs);
	JSONW_LIT(w, ",\"compression\":");
	jsonw_int(w, f->compression);
	m = w->len;
	JSONW_LIT(w, ",\"ja3\":");
	rec_tls_w_str_or_null(w, m, f->ja3, sizeof(f->ja3));
	m = w->len;
	JSONW_LIT(w, ",\"ja3s\":");
	rec_tls_w_str_or_null(w, m, f->ja3s, sizeof(f->ja3s));
	m = w->len;
	JSONW_LIT(w, ",\"ja4\":");
	rec_tls_w_str_or_null(w, m, f->ja4, sizeof(f->ja4));
	JSONW_LIT(w, ",\"records\":");
	rec_w_pair(w, f->records[0], f->records[1]);
	JSONW_LIT(w, ",\"app_bytes\":");
	rec_w_pair(w, f->app_bytes[0], f->app_bytes[1]);
	if (f->not_tls[0] | f->not_tls[1] | f->oversize_records[0] | f->oversize_records[1] |
	    f->skipped_handshake[0] | f->skipped_handshake[1] | f->malformed[0] | f->malformed[1]) {
		JSONW_LIT(w, ",\"problems\":{\"not_tls\":");
		rec_w_pair(w, f->not_tls[0], f->not_tls[1]);
		JSONW_LIT(w, ",\"oversize_records\":");
		rec_w_pair(w, f->oversize_records[0], f->oversize_records[1]);
		JSONW_LIT(w, ",\"skipped_handshake\":");
		rec_w_pair(w, f->skipped_handshake[0], f->skipped_handshake[1]);
		JSONW_LIT(w, ",\"malformed\":");
		rec_w_pair(w, f->malformed[0], f->malformed[1]);
		JSONW_LIT(w, "}");
	}
	JSONW_LIT(w, "}");
}
