/* rec_tls.c — the "tls" object of a connection record, built from the TLS
 * dissector's facts (docs/tls.md lists every key). Names come from the
 * cipher-suite registry (dissectors/proto/ciphers.h); alert descriptions from the
 * table below (RFC 8446 §6, RFC 5246 §7.2, RFC 4346/2246 and later RFCs). */
#include "stats/record/rec_tls.h"

#include <stdint.h>
#include <stdio.h>

#include "dissectors/proto/ciphers.h"
#include "stats/record/rec_fields.h"
#include "stats/record/rec_json.h"

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

/* A text of the facts (or a name from the cipher registry), or null when
 * empty: the key is left out when the text is not UTF-8. */
static void rec_tls_text(rec_field_fn fn, void *ctx, const char *key, const char *s, size_t len)
{
	if (s[0])
		rec_f_text(fn, ctx, key, s, len, REC_BAD_OMIT);
	else
		rec_f_emit(fn, ctx, key, REC_F_NULL, 0);
}

/* A protocol version by name: null for 0. */
static void rec_tls_version(rec_field_fn fn, void *ctx, const char *key, uint16_t v)
{
	char buf[32];
	if (v)
		rec_f_text(fn, ctx, key, suite_version_name(v, buf, sizeof(buf)), SIZE_MAX,
			   REC_BAD_OMIT);
	else
		rec_f_emit(fn, ctx, key, REC_F_NULL, 0);
}

/* The alerts of one direction by name, in order; an alert that could not
 * be read (encrypted) is listed as "encrypted". */
static void rec_tls_alert_list(const struct tls_facts *f, int dir, const char *key, rec_field_fn fn,
			       void *ctx)
{
	char buf[24];
	rec_f_emit(fn, ctx, key, REC_F_ARRAY, 0);
	for (unsigned i = 0; i < f->alerts_n[dir] && i < TLS_MAX_ALERTS; i++) {
		uint8_t desc = f->alerts[dir][i][1];
		const char *name = rec_tls_alert_name(desc);
		if (!name) {
			snprintf(buf, sizeof(buf), "unassigned_%u", (unsigned)desc);
			name = buf;
		}
		rec_f_text(fn, ctx, NULL, name, SIZE_MAX, REC_BAD_OMIT);
	}
	if (f->encrypted_alert[dir])
		rec_f_text(fn, ctx, NULL, "encrypted", SIZE_MAX, REC_BAD_OMIT);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

static void rec_tls_group(const struct tls_facts *f, rec_field_fn fn, void *ctx)
{
	char buf[32];
	if (f->group) {
		rec_f_text(fn, ctx, "group", suite_group_name(f->group, buf, sizeof(buf)), SIZE_MAX,
			   REC_BAD_OMIT);
	} else if (f->dh_bits) {
		/* A DHE group from the ServerKeyExchange: its size only. */
		snprintf(buf, sizeof(buf), "ffdhe%u", (unsigned)f->dh_bits);
		rec_f_text(fn, ctx, "group", buf, SIZE_MAX, REC_BAD_OMIT);
	} else {
		rec_f_emit(fn, ctx, "group", REC_F_NULL, 0);
	}
}

/* A list of groups (or suites when suites is set) by name; unassigned
 * values as "0x11EC" style text. */
static void rec_tls_list(const uint16_t *v, unsigned n, unsigned cap, int suites, const char *key,
			 rec_field_fn fn, void *ctx)
{
	char buf[SUITE_NAME_BUF];
	rec_f_emit(fn, ctx, key, REC_F_ARRAY, 0);
	for (unsigned i = 0; i < n && i < cap; i++) {
		const char *name = suites ? suite_name(v[i], buf, sizeof(buf))
					  : suite_group_name(v[i], buf, sizeof(buf));
		rec_f_text(fn, ctx, NULL, name, SIZE_MAX, REC_BAD_OMIT);
	}
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

/* What the client offered, beyond its versions: suites, groups, key shares,
 * and the ClientHello's size in bytes and TCP segments. */
static void rec_tls_offer(const struct tls_facts *f, rec_field_fn fn, void *ctx)
{
	rec_tls_list(f->client_suites, f->n_client_suites, TLSD_MAX_SUITES, 1, "client_suites", fn,
		     ctx);
	rec_tls_list(f->client_groups, f->n_client_groups, TLSD_MAX_GROUPS, 0, "client_groups", fn,
		     ctx);
	rec_tls_list(f->client_shares, f->n_client_shares, TLSD_MAX_SHARES, 0, "client_key_shares",
		     fn, ctx);
	rec_f_emit(fn, ctx, "client_lists_cut", REC_F_BOOL, f->client_lists_cut);
	rec_f_emit(fn, ctx, "client_hello_bytes", f->client_hello ? REC_F_INT : REC_F_NULL,
		   f->client_hello_bytes);
	rec_f_emit(fn, ctx, "client_hello_segments",
		   f->client_hello && f->client_hello_segments ? REC_F_INT : REC_F_NULL,
		   f->client_hello_segments);
}

/* The group a HelloRetryRequest asked for, and the post-quantum verdict. */
static void rec_tls_pq(const struct tls_facts *f, rec_field_fn fn, void *ctx)
{
	char buf[SUITE_NAME_BUF];
	if (f->hrr_group)
		rec_f_text(fn, ctx, "hrr_group", suite_group_name(f->hrr_group, buf, sizeof(buf)),
			   SIZE_MAX, REC_BAD_OMIT);
	else
		rec_f_emit(fn, ctx, "hrr_group", REC_F_NULL, 0);
	const char *pq = tls_pq_name(tls_pq_verdict(f));
	if (pq)
		rec_f_text(fn, ctx, "pq", pq, SIZE_MAX, REC_BAD_OMIT);
	else
		rec_f_emit(fn, ctx, "pq", REC_F_NULL, 0);
}

/* The suite negotiated: name, number, grade and properties. */
static void rec_tls_suite(const struct tls_facts *f, rec_field_fn fn, void *ctx)
{
	char buf[64];
	const struct suite_info *si = f->server_hello ? suite_lookup(f->cipher) : NULL;
	int have_suite = f->server_hello && f->version != 0x0002;
	if (have_suite) {
		rec_f_text(fn, ctx, "cipher", suite_name(f->cipher, buf, sizeof(buf)), SIZE_MAX,
			   REC_BAD_OMIT);
		rec_f_emit(fn, ctx, "cipher_id", REC_F_INT, f->cipher);
		rec_f_text(fn, ctx, "grade", suite_grade_name(suite_grade(f->cipher, f->version)),
			   SIZE_MAX, REC_BAD_OMIT);
	} else {
		rec_f_emit(fn, ctx, "cipher", REC_F_NULL, 0);
		rec_f_emit(fn, ctx, "cipher_id", REC_F_NULL, 0);
		rec_f_emit(fn, ctx, "grade", REC_F_NULL, 0);
	}
	rec_f_emit(fn, ctx, "forward_secrecy", si ? REC_F_BOOL : REC_F_NULL, si && si->fs);
	rec_f_emit(fn, ctx, "aead", si ? REC_F_BOOL : REC_F_NULL, si && si->aead);
}

/* Problems seen on the wire, only when there were any. */
static void rec_tls_problems(const struct tls_facts *f, rec_field_fn fn, void *ctx)
{
	if (!(f->not_tls[0] | f->not_tls[1] | f->oversize_records[0] | f->oversize_records[1] |
	      f->skipped_handshake[0] | f->skipped_handshake[1] | f->malformed[0] |
	      f->malformed[1]))
		return;
	rec_f_emit(fn, ctx, "problems", REC_F_OBJECT, 0);
	rec_f_pair(fn, ctx, "not_tls", f->not_tls[0], f->not_tls[1]);
	rec_f_pair(fn, ctx, "oversize_records", f->oversize_records[0], f->oversize_records[1]);
	rec_f_pair(fn, ctx, "skipped_handshake", f->skipped_handshake[0], f->skipped_handshake[1]);
	rec_f_pair(fn, ctx, "malformed", f->malformed[0], f->malformed[1]);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

void rec_tls_fields(const struct tls_facts *f, const char *key, rec_field_fn fn, void *ctx)
{
	const char *dg = f->downgrade_sentinel == 1   ? "tls1.2"
			 : f->downgrade_sentinel == 2 ? "tls1.1_or_below"
						      : "";
	rec_f_emit(fn, ctx, key, REC_F_OBJECT, 0);
	rec_f_emit(fn, ctx, "client_hello", REC_F_BOOL, f->client_hello);
	rec_f_emit(fn, ctx, "sslv2_client_hello", REC_F_BOOL, f->sslv2_client_hello);
	rec_f_emit(fn, ctx, "server_hello", REC_F_BOOL, f->server_hello);
	rec_tls_version(fn, ctx, "version", f->server_hello ? f->version : 0);
	if (!f->server_hello && f->pickup_record_version >= 0x0303) /* only then: additive */
		rec_tls_version(fn, ctx, "version_at_least", 0x0303);
	rec_tls_version(fn, ctx, "client_max_version", f->client_hello ? f->client_max_version : 0);
	rec_f_emit(fn, ctx, "client_versions", REC_F_ARRAY, 0);
	for (unsigned i = 0; i < f->n_client_versions && i < TLSD_MAX_VERSIONS; i++)
		rec_tls_version(fn, ctx, NULL, f->client_versions[i]);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	rec_tls_offer(f, fn, ctx);
	rec_tls_suite(f, fn, ctx);
	rec_tls_group(f, fn, ctx);
	rec_tls_pq(f, fn, ctx);
	rec_f_emit(fn, ctx, "dh_bits", f->dh_bits ? REC_F_INT : REC_F_NULL, f->dh_bits);
	rec_tls_text(fn, ctx, "sni", f->sni, sizeof(f->sni));
	rec_tls_text(fn, ctx, "alpn", f->alpn, sizeof(f->alpn));
	rec_f_emit(fn, ctx, "resumed", REC_F_BOOL, f->resumed);
	rec_f_emit(fn, ctx, "established", REC_F_BOOL, f->established);
	rec_tls_alert_list(f, 0, "client_alerts", fn, ctx);
	rec_tls_alert_list(f, 1, "server_alerts", fn, ctx);
	rec_f_emit(fn, ctx, "fallback_scsv", REC_F_BOOL, f->fallback_scsv);
	rec_tls_text(fn, ctx, "downgrade_sentinel", dg, SIZE_MAX);
	rec_f_emit(fn, ctx, "hello_retry", REC_F_BOOL, f->hello_retry);
	rec_f_emit(fn, ctx, "client_cert_requested", REC_F_BOOL, f->client_cert_requested);
	rec_f_emit(fn, ctx, "server_certs", REC_F_INT, f->server_certs);
	rec_f_emit(fn, ctx, "compression", REC_F_INT, f->compression);
	rec_tls_text(fn, ctx, "ja3", f->ja3, sizeof(f->ja3));
	rec_tls_text(fn, ctx, "ja3s", f->ja3s, sizeof(f->ja3s));
	rec_tls_text(fn, ctx, "ja4", f->ja4, sizeof(f->ja4));
	rec_f_pair(fn, ctx, "records", f->records[0], f->records[1]);
	rec_f_pair(fn, ctx, "app_bytes", f->app_bytes[0], f->app_bytes[1]);
	rec_tls_problems(f, fn, ctx);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

json_t *rec_tls_json(const struct tls_facts *f)
{
	struct jsonw w = {0};
	json_t *j = rec_json_tls(&w, f) == 0 ? json_loads(w.buf, 0, NULL) : NULL;
	jsonw_free(&w);
	return j;
}
