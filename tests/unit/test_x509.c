/* Unit tests for dissectors/proto/x509.c and stats/record/rec_cert.c. Every certificate is
 * made here, at test time, with the OpenSSL API: a root CA (RSA-2048), an
 * intermediate (EC P-256), leaves with RSA-2048, RSA-1024 + SHA-1, EC P-256
 * and Ed25519 keys, self-signed and self-issued-with-a-bad-signature ones,
 * expired and not-yet-valid ones, a wildcard. The root is written to a CA
 * file in a temporary directory and the chains are judged at capture times
 * before, inside and after their validity.
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
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dissectors/proto/x509.h"
#include "stats/record/rec_cert.h"

#define T2020	   1577836800
#define T2021	   1609459200
#define T2023	   1672531200
#define T2023_JUNE 1685577600
#define T2024	   1704067200
#define T2025	   1735689600
#define T2026	   1767225600
#define T2027	   1798761600
#define T2039	   2177452800
#define T2040	   2208988800

#define US(t) ((uint64_t)(t)*1000000u)

/* What a certificate is made of. */
struct spec {
	const char *cn, *org;
	X509 *issuer;	      /* NULL: self-issued */
	EVP_PKEY *issuer_key; /* NULL: the subject key */
	EVP_PKEY *key;	      /* the subject key */
	EVP_PKEY *sign_key;   /* signs instead of the issuer key (a bad signature) */
	int64_t nb, na;
	int ca;
	const char *san;
	const EVP_MD *md; /* NULL: SHA-256 (none for Ed25519) */
	long serial;
};

/* The certificates and keys of the whole file (made once, in group setup). */
struct fx {
	char dir[64], ca_file[96];
	EVP_PKEY *k_root, *k_rsa, *k_rsa1024, *k_int, *k_ec, *k_ec2, *k_ed;
	X509 *root, *inter, *int_expired;
	X509 *leaf_rsa, *leaf_ec, *leaf_wild, *leaf_sha1, *self, *self_bad, *expired;
	X509 *leaf_under_expired, *bad_sig, *future;
};

static void add_ext(X509 *x, X509V3_CTX *v, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

static X509 *mk(const struct spec *s)
{
	X509 *x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->na));
	X509_NAME *n = X509_get_subject_name(x);
	if (s->org)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
							    (const unsigned char *)s->org, -1, -1,
							    0),
				 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
						    (const unsigned char *)s->cn, -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, s->issuer ? X509_get_subject_name(s->issuer) : n),
			 1);
	assert_int_equal(X509_set_pubkey(x, s->key), 1);
	X509V3_CTX v;
	X509V3_set_ctx_nodb(&v);
	X509V3_set_ctx(&v, s->issuer ? s->issuer : x, x, NULL, NULL, 0);
	add_ext(x, &v, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(x, &v, NID_key_usage,
		s->ca ? "critical,keyCertSign,cRLSign"
		      : "critical,digitalSignature,keyEncipherment");
	add_ext(x, &v, NID_subject_key_identifier, "hash");
	if (s->issuer)
		add_ext(x, &v, NID_authority_key_identifier, "keyid:always");
	if (s->san)
		add_ext(x, &v, NID_subject_alt_name, s->san);
	EVP_PKEY *sk = s->sign_key ? s->sign_key : s->issuer_key ? s->issuer_key : s->key;
	const EVP_MD *md = EVP_PKEY_get_base_id(sk) == EVP_PKEY_ED25519 ? NULL
			   : s->md					? s->md
									: EVP_sha256();
	assert_true(X509_sign(x, sk, md) > 0);
	return x;
}

/* A chain as the TLS dissector hands it; owns its DER copies. */
struct chain_buf {
	struct tls_chain ch;
	uint8_t *der[TLS_MAX_CHAIN];
};

static void chain_add_der(struct chain_buf *b, const uint8_t *der, size_t len)
{
	size_t i = b->ch.n++;
	b->der[i] = malloc(len ? len : 1);
	assert_non_null(b->der[i]);
	memcpy(b->der[i], der, len);
	b->ch.der[i] = b->der[i];
	b->ch.len[i] = len;
}

static void chain_add(struct chain_buf *b, X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	chain_add_der(b, der, (size_t)n);
	OPENSSL_free(der);
}

static struct chain_buf chain_of(X509 *a, X509 *b, X509 *c)
{
	struct chain_buf cb;
	memset(&cb, 0, sizeof(cb));
	chain_add(&cb, a);
	if (b)
		chain_add(&cb, b);
	if (c)
		chain_add(&cb, c);
	return cb;
}

static void chain_free(struct chain_buf *b)
{
	for (size_t i = 0; i < b->ch.n; i++)
		free(b->der[i]);
	memset(b, 0, sizeof(*b));
}

static void hex_of(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static struct x509_ctx *ctx_with(const char *ca_file, uint32_t cache_max, uint32_t max_servers)
{
	struct x509_cfg cfg;
	char err[256];
	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_file = ca_file;
	cfg.cache_max = cache_max;
	cfg.max_servers = max_servers;
	struct x509_ctx *c = x509_ctx_new(&cfg, err, sizeof(err));
	if (!c)
		fprintf(stderr, "x509_ctx_new: %s\n", err);
	assert_non_null(c);
	return c;
}

/* Analyses chain (a, b, c) in a fresh context trusting the test root. */
static void analyze1(const struct fx *f, X509 *a, X509 *b, X509 *c, int64_t t, const char *name,
		     struct cert_facts *out)
{
	struct x509_ctx *ctx = ctx_with(f->ca_file, 16, 16);
	struct chain_buf cb = chain_of(a, b, c);
	x509_analyze(ctx, &cb.ch, US(t), name, CERT_NAME_SNI, NULL, out);
	chain_free(&cb);
	x509_ctx_free(ctx);
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/smtptls-x509.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->ca_file, sizeof(f->ca_file), "%s/ca.pem", f->dir);

	f->k_root = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	f->k_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	f->k_rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	f->k_int = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	f->k_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	f->k_ec2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	f->k_ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_true(f->k_root && f->k_rsa && f->k_rsa1024 && f->k_int && f->k_ec && f->k_ec2 &&
		    f->k_ed);

	struct spec s = {.cn = "Test Root CA",
			 .org = "Test Trust Org",
			 .key = f->k_root,
			 .nb = T2020,
			 .na = T2040,
			 .ca = 1,
			 .serial = 1};
	f->root = mk(&s);
	s = (struct spec){.cn = "Test Intermediate CA",
			  .org = "Test Intermediate Org",
			  .issuer = f->root,
			  .issuer_key = f->k_root,
			  .key = f->k_int,
			  .nb = T2021,
			  .na = T2039,
			  .ca = 1,
			  .serial = 2};
	f->inter = mk(&s);
	s.na = T2023;
	s.serial = 3;
	f->int_expired = mk(&s);

	s = (struct spec){
		.cn = "mx1.example.net",
		.issuer = f->root,
		.issuer_key = f->k_root,
		.key = f->k_rsa,
		.nb = T2024,
		.na = T2026,
		.serial = 0x1001,
		.san = "DNS:mx1.example.net,DNS:mail.example.net,IP:192.0.2.25,IP:2001:db8::25"};
	f->leaf_rsa = mk(&s);
	s.sign_key = f->k_rsa; /* the right names and AKID, the wrong key */
	s.serial = 0x1002;
	f->bad_sig = mk(&s);
	s = (struct spec){.cn = "mx1.example.net",
			  .issuer = f->root,
			  .issuer_key = f->k_root,
			  .key = f->k_rsa,
			  .nb = T2020,
			  .na = T2021,
			  .serial = 0x1003,
			  .san = "DNS:mx1.example.net"};
	f->expired = mk(&s);
	s.nb = T2039;
	s.na = T2040;
	s.serial = 0x1004;
	f->future = mk(&s);
	s = (struct spec){.cn = "old.example.net",
			  .issuer = f->root,
			  .issuer_key = f->k_root,
			  .key = f->k_rsa1024,
			  .nb = T2024,
			  .na = T2026,
			  .serial = 0x1005,
			  .san = "DNS:old.example.net",
			  .md = EVP_sha1()};
	f->leaf_sha1 = mk(&s);

	s = (struct spec){.cn = "mx2.example.net",
			  .issuer = f->inter,
			  .issuer_key = f->k_int,
			  .key = f->k_ec,
			  .nb = T2024,
			  .na = T2026,
			  .serial = 0x2001,
			  .san = "DNS:mx2.example.net"};
	f->leaf_ec = mk(&s);
	s = (struct spec){.cn = "*.example.net",
			  .issuer = f->inter,
			  .issuer_key = f->k_int,
			  .key = f->k_ed,
			  .nb = T2024,
			  .na = T2026,
			  .serial = 0x2002,
			  .san = "DNS:*.example.net"};
	f->leaf_wild = mk(&s);
	s = (struct spec){.cn = "mx3.example.net",
			  .issuer = f->int_expired,
			  .issuer_key = f->k_int,
			  .key = f->k_ec,
			  .nb = T2021,
			  .na = T2026,
			  .serial = 0x2003,
			  .san = "DNS:mx3.example.net"};
	f->leaf_under_expired = mk(&s);

	s = (struct spec){.cn = "self.example.net",
			  .org = "Self Org",
			  .key = f->k_ec,
			  .nb = T2024,
			  .na = T2026,
			  .serial = 0x3001,
			  .san = "DNS:self.example.net"};
	f->self = mk(&s);
	s.cn = "bad.example.net";
	s.san = "DNS:bad.example.net";
	s.sign_key = f->k_ec2;
	s.serial = 0x3002;
	f->self_bad = mk(&s);

	FILE *fp = fopen(f->ca_file, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_X509(fp, f->root), 1);
	assert_int_equal(fclose(fp), 0);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;
	X509 *certs[] = {f->root,     f->inter,	    f->int_expired,	   f->leaf_rsa,
			 f->leaf_ec,  f->leaf_wild, f->leaf_sha1,	   f->self,
			 f->self_bad, f->expired,   f->leaf_under_expired, f->bad_sig,
			 f->future};
	EVP_PKEY *keys[] = {f->k_root, f->k_rsa, f->k_rsa1024, f->k_int,
			    f->k_ec,   f->k_ec2, f->k_ed};
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	unlink(f->ca_file);
	rmdir(f->dir);
	free(f);
	return 0;
}

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

/* ---- cache ---- */

static void test_cache_one_miss(void **state)
{
	const struct fx *f = *state;
	struct x509_ctx *ctx = ctx_with(f->ca_file, 8, 8);
	struct chain_buf cb = chain_of(f->leaf_ec, f->inter, NULL);
	struct cert_facts first, c;
	x509_analyze(ctx, &cb.ch, US(T2025), "mx2.example.net", CERT_NAME_SNI, NULL, &first);
	for (int i = 1; i < 100; i++) {
		x509_analyze(ctx, &cb.ch, US(T2025), "mx2.example.net", CERT_NAME_SNI, NULL, &c);
		assert_memory_equal(&c, &first, sizeof(c));
	}
	uint64_t hits, misses;
	x509_ctx_stats(ctx, &hits, &misses);
	assert_int_equal(misses, 1);
	assert_int_equal(hits, 99);
	chain_free(&cb);
	x509_ctx_free(ctx);
}

/* The same sequence of connections through a 1-entry and a 1000-entry cache
 * gives byte-identical facts; only the counters differ. */
static void test_cache_size_independent(void **state)
{
	const struct fx *f = *state;
	struct chain_buf chains[7] = {
		chain_of(f->leaf_rsa, NULL, NULL),
		chain_of(f->leaf_ec, f->inter, NULL),
		chain_of(f->leaf_ec, NULL, NULL),
		chain_of(f->self, NULL, NULL),
		chain_of(f->leaf_wild, f->inter, NULL),
		chain_of(f->expired, NULL, NULL),
		chain_of(f->leaf_under_expired, f->int_expired, NULL),
	};
	static const int64_t times[] = {T2023_JUNE, T2025, T2027, T2021 + 86400};
	static const char *const names[] = {"mx1.example.net", "mx2.example.net", NULL,
					    "a.b.example.net"};
	/* The per-server memory is the same size in both (it bounds what can
	 * be inferred, by design); only the chain cache differs. */
	struct x509_ctx *small = ctx_with(f->ca_file, 1, 4);
	struct x509_ctx *big = ctx_with(f->ca_file, 1000, 4);
	uint8_t key[18];
	for (unsigned i = 0; i < 200; i++) {
		unsigned ci = (i * 5u + i / 7u) % 7u;
		int64_t t = times[(i / 3u) % 4u];
		const char *name = names[i % 4u];
		struct cert_facts a, b;
		memset(key, 0, sizeof(key));
		key[15] = (uint8_t)(i % 3u);
		key[17] = 25;
		x509_analyze(small, &chains[ci].ch, US(t), name, CERT_NAME_SNI, key, &a);
		x509_analyze(big, &chains[ci].ch, US(t), name, CERT_NAME_SNI, key, &b);
		assert_memory_equal(&a, &b, sizeof(a));
		key[15] = (uint8_t)((i + 1u) % 3u);
		x509_infer(small, key, US(t), name, CERT_NAME_BANNER, &a);
		x509_infer(big, key, US(t), name, CERT_NAME_BANNER, &b);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	uint64_t hits, misses;
	x509_ctx_stats(big, &hits, &misses);
	assert_int_equal(misses, 7);
	assert_int_equal(hits, 193);
	x509_ctx_stats(small, &hits, &misses);
	assert_true(misses > 7);
	struct x509_counters k;
	x509_ctx_counters(small, &k);
	assert_true(k.evictions > 0);
	for (size_t i = 0; i < 7; i++)
		chain_free(&chains[i]);
	x509_ctx_free(small);
	x509_ctx_free(big);
}

/* ---- inferred ---- */

static void test_infer(void **state)
{
	const struct fx *f = *state;
	struct x509_ctx *ctx = ctx_with(f->ca_file, 4, 4);
	struct chain_buf rsa = chain_of(f->leaf_rsa, NULL, NULL);
	struct chain_buf ec = chain_of(f->leaf_ec, f->inter, NULL);
	uint8_t k1[18] = {0}, k2[18] = {0};
	k1[15] = 1;
	k1[17] = 25;
	k2[15] = 2;
	k2[17] = 25;
	struct cert_facts c, o;

	x509_infer(ctx, k1, US(T2025), "mx1.example.net", CERT_NAME_SNI, &c);
	assert_int_equal(c.present, 0);
	assert_int_equal(c.hostname_match, -1);

	x509_analyze(ctx, &rsa.ch, US(T2025), "mx1.example.net", CERT_NAME_SNI, k1, &o);
	x509_infer(ctx, k1, US(T2025), "mx1.example.net", CERT_NAME_SNI, &c);
	assert_int_equal(c.present, 1);
	assert_int_equal(c.source, CERT_SRC_INFERRED);
	c.source = CERT_SRC_OBSERVED;
	assert_memory_equal(&c, &o, sizeof(c));
	/* Re-judged at its own time and name. */
	x509_infer(ctx, k1, US(T2027), "mx9.example.org", CERT_NAME_BANNER, &c);
	assert_string_equal(c.validation, "expired");
	assert_int_equal(c.expired, 1);
	assert_int_equal(c.hostname_match, 0);
	assert_int_equal(c.hostname_source, CERT_NAME_BANNER);
	x509_infer(ctx, k2, US(T2025), NULL, CERT_NAME_NONE, &c);
	assert_int_equal(c.present, 0);
	/* The last chain seen is the one inferred. */
	x509_analyze(ctx, &ec.ch, US(T2025), NULL, CERT_NAME_NONE, k1, &o);
	x509_infer(ctx, k1, US(T2025), "mx2.example.net", CERT_NAME_SNI, &c);
	assert_string_equal(c.subject, "CN=mx2.example.net");
	assert_int_equal(c.chain_length, 2);
	assert_string_equal(c.validation, "valid");
	assert_int_equal(c.hostname_match, 1);
	x509_ctx_free(ctx);

	/* Bounded: one server remembered. */
	ctx = ctx_with(f->ca_file, 4, 1);
	x509_analyze(ctx, &rsa.ch, US(T2025), NULL, CERT_NAME_NONE, k1, &o);
	x509_analyze(ctx, &ec.ch, US(T2025), NULL, CERT_NAME_NONE, k2, &o);
	x509_infer(ctx, k1, US(T2025), NULL, CERT_NAME_NONE, &c);
	assert_int_equal(c.present, 0);
	x509_infer(ctx, k2, US(T2025), NULL, CERT_NAME_NONE, &c);
	assert_int_equal(c.present, 1);
	struct x509_counters k;
	x509_ctx_counters(ctx, &k);
	assert_int_equal(k.server_evictions, 1);
	x509_ctx_free(ctx);

	/* The chain left the cache: rebuilt from the remembered leaf, same facts. */
	ctx = ctx_with(f->ca_file, 1, 4);
	x509_analyze(ctx, &rsa.ch, US(T2025), NULL, CERT_NAME_NONE, k1, &o);
	x509_analyze(ctx, &ec.ch, US(T2025), NULL, CERT_NAME_NONE, k2, &c);
	x509_infer(ctx, k1, US(T2025), NULL, CERT_NAME_NONE, &c);
	c.source = CERT_SRC_OBSERVED;
	assert_memory_equal(&c, &o, sizeof(c));
	uint64_t misses;
	x509_ctx_stats(ctx, NULL, &misses);
	assert_int_equal(misses, 2);
	x509_ctx_free(ctx);
	chain_free(&rsa);
	chain_free(&ec);
}

/* ---- context ---- */

static void test_ctx_errors(void **state)
{
	const struct fx *f = *state;
	struct x509_cfg cfg;
	char err[256], path[128];
	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_file = "/nonexistent/ca.pem";
	err[0] = '\0';
	assert_null(x509_ctx_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/ca.pem"));
	cfg.ca_file = NULL;
	cfg.ca_path = "/nonexistent/certs";
	err[0] = '\0';
	assert_null(x509_ctx_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/certs"));
	/* A file without certificates. */
	snprintf(path, sizeof(path), "%s/empty.pem", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("not a certificate\n", fp);
	fclose(fp);
	cfg.ca_path = NULL;
	cfg.ca_file = path;
	err[0] = '\0';
	assert_null(x509_ctx_new(&cfg, err, sizeof(err)));
	assert_true(err[0] != '\0');
	unlink(path);
	/* The CA directory form. */
	cfg.ca_file = NULL;
	cfg.ca_path = f->dir;
	struct x509_ctx *c = x509_ctx_new(&cfg, err, sizeof(err));
	assert_non_null(c);
	x509_ctx_free(c);
	x509_ctx_free(NULL);
}

/* Every allocation of the context fails in turn: NULL or a working
 * context, and nothing left allocated either way. */
static void test_ctx_alloc_failures(void **state)
{
	const struct fx *f = *state;
	for (uint64_t k = 1; k < 40; k++) {
		struct mem m;
		struct x509_cfg cfg;
		char err[128];
		memset(&m, 0, sizeof(m));
		memset(&cfg, 0, sizeof(cfg));
		m.fail_at = k;
		cfg.mem = &m;
		cfg.ca_file = f->ca_file;
		cfg.cache_max = 2;
		cfg.max_servers = 2;
		struct x509_ctx *c = x509_ctx_new(&cfg, err, sizeof(err));
		if (c) {
			struct chain_buf cb = chain_of(f->leaf_rsa, NULL, NULL);
			uint8_t key[18] = {1};
			struct cert_facts out;
			x509_analyze(c, &cb.ch, US(T2025), NULL, CERT_NAME_NONE, key, &out);
			assert_string_equal(out.validation, "valid");
			x509_infer(c, key, US(T2025), NULL, CERT_NAME_NONE, &out);
			chain_free(&cb);
			x509_ctx_free(c);
		}
		assert_int_equal(m.in_use, 0);
	}
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
		cmocka_unit_test(test_cache_one_miss),
		cmocka_unit_test(test_cache_size_independent),
		cmocka_unit_test(test_infer),
		cmocka_unit_test(test_ctx_errors),
		cmocka_unit_test(test_ctx_alloc_failures),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_verr_names),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
