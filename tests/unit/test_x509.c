/* Unit tests for the facts of a chain: the leaf's (dissectors/proto/cert.c),
 * its validation at capture times before, inside and after its validity and
 * the host-name check (dissectors/proto/x509.c), the record's "cert" object
 * (stats/record/rec_cert.c) and the validation names. The certificates are
 * those of x509_fixture.h, made at test time; the cache, the per-server
 * memory and the context are tested in test_x509_cache.c.
 *
 * Run with arguments, the binary is a small tool for
 * tests/check_x509_vs_openssl.py instead:
 *
 *   test_x509 --analyze CA_FILE UNIX_TIME HOST|- HEX_DER [HEX_DER ...]
 *
 * analyses the chain (leaf first) and prints the record's "cert" object;
 *
 *   test_x509 --verr-name CODE
 *
 * prints the validation name of an X509_V_ERR_* code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dissectors/proto/x509.h"
#include "stats/record/rec_cert.h"
#include "x509_fixture.h"

/* ---- leaf facts ---- */

static void test_rsa_leaf_facts(void **state)
{
	const struct fx *f = *state;
	struct cert_facts c;
	analyze1(f, f->leaf_rsa, NULL, NULL, T2025, "mx1.example.net", &c);
	assert_int_equal(c.present, 1);
	assert_int_equal(c.source, CERT_SRC_OBSERVED);
	assert_int_equal(c.chain_length, 1);
	assert_string_equal(c.subject, "CN=mx1.example.net");
	assert_string_equal(c.issuer, "CN=Test Root CA,O=Test Trust Org");
	assert_string_equal(c.issuer_org, "Test Trust Org");
	assert_string_equal(c.san, "mx1.example.net,mail.example.net,192.0.2.25,2001:db8::25");
	assert_string_equal(c.serial, "1001");
	assert_int_equal(c.not_before, T2024);
	assert_int_equal(c.not_after, T2026);
	assert_string_equal(c.key_type, "RSA");
	assert_int_equal(c.key_bits, 2048);
	assert_string_equal(c.curve, "");
	assert_string_equal(c.sig_alg, "sha256WithRSAEncryption");
	assert_int_equal(c.weak_sig, 0);
	assert_int_equal(c.is_ca, 0);
	assert_true(c.key_usage & KU_DIGITAL_SIGNATURE);
	assert_false(c.key_usage & KU_KEY_CERT_SIGN);
	assert_int_equal(c.self_signed, 0);
	assert_int_equal(c.self_issued_bad_sig, 0);
	assert_string_equal(c.validation, "valid");
	assert_int_equal(c.expired, 0);
	assert_string_equal(c.hostname_checked, "mx1.example.net");
	assert_int_equal(c.hostname_source, CERT_NAME_SNI);
	assert_int_equal(c.hostname_match, 1);

	/* The pins, computed independently: the certificate's DER and the
	 * DER of the key as a SubjectPublicKeyInfo (DANE 3 1 1). */
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int mdlen = 0;
	char hex[65];
	int n = i2d_X509(f->leaf_rsa, &der);
	assert_true(n > 0);
	assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
	OPENSSL_free(der);
	hex_of(md, 32, hex);
	assert_string_equal(c.sha256, hex);
	der = NULL;
	n = i2d_PUBKEY(f->k_rsa, &der);
	assert_true(n > 0);
	assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
	OPENSSL_free(der);
	hex_of(md, 32, hex);
	assert_string_equal(c.spki_sha256, hex);
}

static void test_ec_chain(void **state)
{
	const struct fx *f = *state;
	struct cert_facts c;
	analyze1(f, f->leaf_ec, f->inter, NULL, T2025, "mx2.example.net", &c);
	assert_int_equal(c.chain_length, 2);
	assert_string_equal(c.validation, "valid");
	assert_string_equal(c.key_type, "EC");
	assert_int_equal(c.key_bits, 256);
	assert_string_equal(c.curve, "P-256");
	assert_string_equal(c.sig_alg, "ecdsa-with-SHA256");
	assert_string_equal(c.issuer_org, "Test Intermediate Org");
	assert_int_equal(c.hostname_match, 1);
	/* The root sent along is fine too (it is the trust anchor). */
	analyze1(f, f->leaf_ec, f->inter, f->root, T2025, "mx2.example.net", &c);
	assert_int_equal(c.chain_length, 3);
	assert_string_equal(c.validation, "valid");
	/* The intermediate is a CA. */
	analyze1(f, f->inter, NULL, NULL, T2025, NULL, &c);
	assert_int_equal(c.is_ca, 1);
	assert_true(c.key_usage & KU_KEY_CERT_SIGN);
	assert_string_equal(c.validation, "valid");
}

static void test_missing_intermediate(void **state)
{
	const struct fx *f = *state;
	struct cert_facts c;
	analyze1(f, f->leaf_ec, NULL, NULL, T2025, "mx2.example.net", &c);
	assert_string_equal(c.validation, "unable_to_get_issuer");
	assert_int_equal(c.hostname_match, 1);
	/* A chain whose root is not trusted (another store): self-signed in chain. */
	struct x509_ctx *ctx = ctx_with(NULL, 4, 4); /* the system store */
	struct chain_buf cb = chain_of(f->leaf_ec, f->inter, f->root);
	x509_analyze(ctx, &cb.ch, US(T2025), NULL, CERT_NAME_NONE, NULL, &c);
	assert_string_equal(c.validation, "self_signed_in_chain");
	chain_free(&cb);
	cb = chain_of(f->leaf_rsa, NULL, NULL);
	x509_analyze(ctx, &cb.ch, US(T2025), NULL, CERT_NAME_NONE, NULL, &c);
	assert_string_equal(c.validation, "unable_to_get_issuer");
	chain_free(&cb);
	x509_ctx_free(ctx);
}

static void test_self_signed(void **state)
{
	const struct fx *f = *state;
	struct cert_facts c;
	analyze1(f, f->self, NULL, NULL, T2025, "self.example.net", &c);
	assert_int_equal(c.self_signed, 1);
	assert_int_equal(c.self_issued_bad_sig, 0);
	assert_string_equal(c.validation, "self_signed");
	assert_string_equal(c.subject, "CN=self.example.net,O=Self Org");
	assert_string_equal(c.issuer, c.subject);
	assert_int_equal(c.hostname_match, 1);
	/* The CA is self-signed as well, and valid (it is trusted). */
	analyze1(f, f->root, NULL, NULL, T2025, NULL, &c);
	assert_int_equal(c.self_signed, 1);
	assert_string_equal(c.validation, "valid");
	assert_int_equal(c.is_ca, 1);
}

static void test_self_issued_bad_signature(void **state)
{
	const struct fx *f = *state;
	struct cert_facts c;
	analyze1(f, f->self_bad, NULL, NULL, T2025, "bad.example.net", &c);
	assert_int_equal(c.self_signed, 0);
	assert_int_equal(c.self_issued_bad_sig, 1);
	/* OpenSSL's chain builder calls it self-signed on the names (and key
	 * type) alone, without checking the signature of a depth-0 certificate:
	 * which is why the bad signature is a fact of its own. */
	assert_string_equal(c.validation, "self_signed");
	assert_string_equal(c.issuer, c.subject);
}

static void test_bad_signature(void **state)
{
	const struct fx *f = *state;
	struct cert_facts c;
	analyze1(f, f->bad_sig, NULL, NULL, T2025, "mx1.example.net", &c);
	assert_string_equal(c.validation, "bad_signature");
	assert_int_equal(c.self_signed, 0);
	assert_int_equal(c.self_issued_bad_sig, 0);
}

static void test_capture_times(void **state)
{
	const struct fx *f = *state;
	static const struct {
		int64_t t;
		const char *validation;
		uint8_t expired;
	} cases[] = {
		{T2023_JUNE, "not_yet_valid", 0},
		{T2024 - 1, "not_yet_valid", 0},
		{T2024, "valid", 0},
		{T2025, "valid", 0},
		{T2026 - 1, "valid", 0},
		{T2026, "expired", 1}, /* OpenSSL: notAfter itself is expired */
		{T2026 + 1, "expired", 1},
		{T2027, "expired", 1},
	};
	struct x509_ctx *ctx = ctx_with(f->ca_file, 4, 4);
	struct chain_buf cb = chain_of(f->leaf_rsa, NULL, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cert_facts c;
		x509_analyze(ctx, &cb.ch, US(cases[i].t) + 999999u, NULL, CERT_NAME_NONE, NULL, &c);
		assert_string_equal(c.validation, cases[i].validation);
		assert_int_equal(c.expired, cases[i].expired);
	}
	uint64_t hits, misses;
	x509_ctx_stats(ctx, &hits, &misses);
	assert_int_equal(misses, 1); /* one verification for every capture time */
	chain_free(&cb);
	x509_ctx_free(ctx);

	struct cert_facts c;
	analyze1(f, f->expired, NULL, NULL, T2025, NULL, &c);
	assert_string_equal(c.validation, "expired");
	assert_int_equal(c.expired, 1);
	analyze1(f, f->expired, NULL, NULL, T2020 + 86400, NULL, &c);
	assert_string_equal(c.validation, "valid");
	analyze1(f, f->future, NULL, NULL, T2025, NULL, &c);
	assert_string_equal(c.validation, "not_yet_valid");
	assert_int_equal(c.expired, 0);
	/* The leaf is fine, the intermediate expired: the chain is expired,
	 * the leaf is not. */
	analyze1(f, f->leaf_under_expired, f->int_expired, NULL, T2025, NULL, &c);
	assert_string_equal(c.validation, "expired");
	assert_int_equal(c.expired, 0);
	analyze1(f, f->leaf_under_expired, f->int_expired, NULL, T2021 + 86400, NULL, &c);
	assert_string_equal(c.validation, "valid");
}

static void test_hostnames(void **state)
{
	const struct fx *f = *state;
	static const struct {
		const char *name;
		int8_t match;
	} cases[] = {
		{"mx1.example.net", 1},
		{"MX1.Example.NET", 1},
		{"mx1.example.net.", 1},
		{"mail.example.net", 1},
		{"other.example.org", 0},
		{"example.net", 0},
		{"192.0.2.25", 1},
		{"[192.0.2.25]", 1},
		{"[IPv6:2001:db8::25]", 1},
		{"192.0.2.26", 0},
		{".", -1},
	};
	struct x509_ctx *ctx = ctx_with(f->ca_file, 4, 4);
	struct chain_buf cb = chain_of(f->leaf_rsa, NULL, NULL);
	struct cert_facts c;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		x509_analyze(ctx, &cb.ch, US(T2025), cases[i].name, CERT_NAME_BANNER, NULL, &c);
		assert_int_equal(c.hostname_match, cases[i].match);
		assert_string_equal(c.hostname_checked, cases[i].name);
		assert_int_equal(c.hostname_source, CERT_NAME_BANNER);
	}
	x509_analyze(ctx, &cb.ch, US(T2025), NULL, CERT_NAME_SNI, NULL, &c);
	assert_int_equal(c.hostname_match, -1);
	assert_string_equal(c.hostname_checked, "");
	assert_int_equal(c.hostname_source, CERT_NAME_NONE);
	x509_analyze(ctx, &cb.ch, US(T2025), "", CERT_NAME_SNI, NULL, &c);
	assert_int_equal(c.hostname_match, -1);
	chain_free(&cb);
	x509_ctx_free(ctx);
}

static void test_wildcard_ed25519(void **state)
{
	const struct fx *f = *state;
	struct cert_facts c;
	analyze1(f, f->leaf_wild, f->inter, NULL, T2025, "mx1.example.net", &c);
	assert_int_equal(c.hostname_match, 1);
	assert_string_equal(c.validation, "valid");
	assert_string_equal(c.key_type, "Ed25519");
	assert_int_equal(c.key_bits, 256); /* EVP_PKEY_get_bits() for Ed25519 */
	assert_string_equal(c.curve, "");
	assert_string_equal(c.san, "*.example.net");
	analyze1(f, f->leaf_wild, f->inter, NULL, T2025, "a.b.example.net", &c);
	assert_int_equal(c.hostname_match, 0);
	analyze1(f, f->leaf_wild, f->inter, NULL, T2025, "example.net", &c);
	assert_int_equal(c.hostname_match, 0);
	/* The leaf's own signature algorithm is the intermediate's (ECDSA). */
	assert_string_equal(c.sig_alg, "ecdsa-with-SHA256");
}

static void test_weak_rsa1024_sha1(void **state)
{
	const struct fx *f = *state;
	struct cert_facts c;
	analyze1(f, f->leaf_sha1, NULL, NULL, T2025, "old.example.net", &c);
	assert_string_equal(c.key_type, "RSA");
	assert_int_equal(c.key_bits, 1024);
	assert_string_equal(c.sig_alg, "sha1WithRSAEncryption");
	assert_int_equal(c.weak_sig, 1);
	/* Weak, but the chain itself verifies (no security level applied). */
	assert_string_equal(c.validation, "valid");
}

static void test_unparsable(void **state)
{
	const struct fx *f = *state;
	struct x509_ctx *ctx = ctx_with(f->ca_file, 4, 4);
	struct chain_buf cb;
	struct cert_facts c;
	static const uint8_t junk[] = {0x30, 0x82, 0x01, 0x00, 0x30, 0x03, 0x02, 0x01, 0x01};
	memset(&cb, 0, sizeof(cb));
	chain_add_der(&cb, junk, sizeof(junk));
	x509_analyze(ctx, &cb.ch, US(T2025), "mx1.example.net", CERT_NAME_SNI, NULL, &c);
	assert_int_equal(c.present, 1);
	assert_string_equal(c.validation, "unparsable");
	assert_string_equal(c.sha256, "");
	assert_int_equal(c.hostname_match, -1);
	assert_string_equal(c.hostname_checked, "mx1.example.net");
	assert_int_equal(c.expired, 0);
	chain_free(&cb);

	/* A truncated leaf, and a good leaf with a junk intermediate. */
	unsigned char *der = NULL;
	int n = i2d_X509(f->leaf_ec, &der);
	assert_true(n > 10);
	chain_add_der(&cb, der, (size_t)n / 2);
	x509_analyze(ctx, &cb.ch, US(T2025), NULL, CERT_NAME_NONE, NULL, &c);
	assert_string_equal(c.validation, "unparsable");
	chain_free(&cb);
	chain_add_der(&cb, der, (size_t)n);
	chain_add_der(&cb, junk, sizeof(junk));
	x509_analyze(ctx, &cb.ch, US(T2025), NULL, CERT_NAME_NONE, NULL, &c);
	assert_string_equal(c.validation, "unable_to_get_issuer");
	assert_string_equal(c.subject, "CN=mx2.example.net");
	OPENSSL_free(der);
	chain_free(&cb);

	struct x509_counters k;
	x509_ctx_counters(ctx, &k);
	assert_int_equal(k.unparsable, 3);

	/* An empty Certificate message: nothing to report. */
	x509_analyze(ctx, &cb.ch, US(T2025), "mx1.example.net", CERT_NAME_SNI, NULL, &c);
	assert_int_equal(c.present, 0);
	assert_int_equal(c.hostname_match, -1);
	x509_ctx_free(ctx);
}

/* ---- the record's "cert" object ---- */

static void test_json(void **state)
{
	const struct fx *f = *state;
	static const char *const keys[] = {
		"source",
		"chain_length",
		"subject",
		"san",
		"issuer",
		"issuer_org",
		"serial",
		"not_before",
		"not_after",
		"key_type",
		"key_bits",
		"curve",
		"sig_alg",
		"weak_signature",
		"sha256",
		"spki_sha256",
		"is_ca",
		"self_signed",
		"validation",
		"expired",
		"hostname_checked",
		"hostname_source",
		"hostname_match",
	};
	struct cert_facts c;
	analyze1(f, f->leaf_rsa, NULL, NULL, T2025, "mx1.example.net", &c);
	json_t *o = rec_cert_json(&c);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(json_object_get(o, keys[i]));
	assert_string_equal(json_string_value(json_object_get(o, "source")), "observed");
	assert_int_equal(json_integer_value(json_object_get(o, "chain_length")), 1);
	json_t *san = json_object_get(o, "san");
	assert_int_equal(json_array_size(san), 4);
	assert_string_equal(json_string_value(json_array_get(san, 3)), "2001:db8::25");
	assert_string_equal(json_string_value(json_object_get(o, "not_before")),
			    "2024-01-01T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(o, "not_after")),
			    "2026-01-01T00:00:00Z");
	assert_true(json_is_null(json_object_get(o, "curve")));
	assert_int_equal(json_integer_value(json_object_get(o, "key_bits")), 2048);
	assert_true(json_is_false(json_object_get(o, "weak_signature")));
	assert_true(json_is_false(json_object_get(o, "self_signed")));
	assert_true(json_is_false(json_object_get(o, "is_ca")));
	assert_true(json_is_false(json_object_get(o, "expired")));
	assert_string_equal(json_string_value(json_object_get(o, "validation")), "valid");
	assert_string_equal(json_string_value(json_object_get(o, "hostname_source")), "sni");
	assert_true(json_is_true(json_object_get(o, "hostname_match")));
	assert_int_equal(strlen(json_string_value(json_object_get(o, "spki_sha256"))), 64);
	json_decref(o);

	/* EC, no name, inferred. */
	struct x509_ctx *ctx = ctx_with(f->ca_file, 4, 4);
	struct chain_buf cb = chain_of(f->leaf_ec, f->inter, NULL);
	uint8_t key[18] = {9};
	x509_analyze(ctx, &cb.ch, US(T2025), NULL, CERT_NAME_NONE, key, &c);
	x509_infer(ctx, key, US(T2027), NULL, CERT_NAME_NONE, &c);
	chain_free(&cb);
	x509_ctx_free(ctx);
	o = rec_cert_json(&c);
	assert_string_equal(json_string_value(json_object_get(o, "source")), "inferred");
	assert_string_equal(json_string_value(json_object_get(o, "curve")), "P-256");
	assert_string_equal(json_string_value(json_object_get(o, "validation")), "expired");
	assert_true(json_is_true(json_object_get(o, "expired")));
	assert_true(json_is_null(json_object_get(o, "hostname_checked")));
	assert_true(json_is_null(json_object_get(o, "hostname_source")));
	assert_true(json_is_null(json_object_get(o, "hostname_match")));
	json_decref(o);

	/* Nothing known: null. */
	memset(&c, 0, sizeof(c));
	o = rec_cert_json(&c);
	assert_true(json_is_null(o));
	json_decref(o);

	char buf[32];
	assert_string_equal(rec_cert_time(0, buf, sizeof(buf)), "1970-01-01T00:00:00Z");
	assert_string_equal(rec_cert_time(951782400 + 3723, buf, sizeof(buf)),
			    "2000-02-29T01:02:03Z");
	assert_string_equal(rec_cert_time(-1, buf, sizeof(buf)), "1969-12-31T23:59:59Z");
	assert_string_equal(rec_cert_time(253402300799, buf, sizeof(buf)), "9999-12-31T23:59:59Z");
}

static void test_verr_names(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(x509_verr_name(X509_V_OK, buf, sizeof(buf)), "valid");
	assert_string_equal(x509_verr_name(X509_V_ERR_CERT_HAS_EXPIRED, buf, sizeof(buf)),
			    "expired");
	assert_string_equal(
		x509_verr_name(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, buf, sizeof(buf)),
		"unable_to_get_issuer");
	assert_string_equal(x509_verr_name(12345, buf, sizeof(buf)), "error_12345");
}

/* ---- the tool mode for tests/check_x509_vs_openssl.py ---- */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int tool_analyze(int argc, char **argv)
{
	struct x509_cfg cfg;
	struct tls_chain ch;
	uint8_t *bufs[TLS_MAX_CHAIN];
	char err[256];
	if (argc < 6) {
		fprintf(stderr, "usage: %s --analyze CA_FILE UNIX_TIME HOST|- HEX_DER...\n",
			argv[0]);
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	memset(&ch, 0, sizeof(ch));
	cfg.ca_file = argv[2];
	uint64_t t = strtoull(argv[3], NULL, 10);
	const char *host = strcmp(argv[4], "-") == 0 ? NULL : argv[4];
	for (int i = 5; i < argc && ch.n < TLS_MAX_CHAIN; i++) {
		size_t n = strlen(argv[i]) / 2;
		uint8_t *b = malloc(n ? n : 1);
		if (!b)
			return 1;
		for (size_t j = 0; j < n; j++) {
			int hi = hexval(argv[i][2 * j]), lo = hexval(argv[i][2 * j + 1]);
			if (hi < 0 || lo < 0) {
				fprintf(stderr, "bad hex in argument %d\n", i);
				return 2;
			}
			b[j] = (uint8_t)(hi << 4 | lo);
		}
		bufs[ch.n] = b;
		ch.der[ch.n] = b;
		ch.len[ch.n] = n;
		ch.n++;
	}
	struct x509_ctx *c = x509_ctx_new(&cfg, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct cert_facts f;
	x509_analyze(c, &ch, t * 1000000u, host, CERT_NAME_SNI, NULL, &f);
	json_t *o = rec_cert_json(&f);
	char *s = o ? json_dumps(o, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(o);
	x509_ctx_free(c);
	for (size_t i = 0; i < ch.n; i++)
		free(bufs[i]);
	return s ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--analyze") == 0)
		return tool_analyze(argc, argv);
	if (argc > 2 && strcmp(argv[1], "--verr-name") == 0) {
		char buf[32];
		puts(x509_verr_name((int)strtol(argv[2], NULL, 10), buf, sizeof(buf)));
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_leaf_facts),
		cmocka_unit_test(test_ec_chain),
		cmocka_unit_test(test_missing_intermediate),
		cmocka_unit_test(test_self_signed),
		cmocka_unit_test(test_self_issued_bad_signature),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_capture_times),
		cmocka_unit_test(test_hostnames),
		cmocka_unit_test(test_wildcard_ed25519),
		cmocka_unit_test(test_weak_rsa1024_sha1),
		cmocka_unit_test(test_unparsable),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_verr_names),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
