/* x509_fixture.h — the certificates of the x509 unit tests, made at test
 * time with the OpenSSL API (test_x509.c, test_x509_cache.c): a root CA
 * (RSA-2048), an intermediate (EC P-256) and an expired one, leaves with
 * RSA-2048, RSA-1024 + SHA-1, EC P-256 and Ed25519 keys, self-signed and
 * self-issued-with-a-bad-signature ones, expired and not-yet-valid ones, a
 * wildcard. group_setup() makes them all and writes the root to a CA file
 * in a temporary directory; group_teardown() frees and removes everything.
 * Include after <cmocka.h>.
 */
#ifndef SMTPTLS_TEST_X509_FIXTURE_H
#define SMTPTLS_TEST_X509_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dissectors/proto/x509.h"

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

static inline void add_ext(X509 *x, X509V3_CTX *v, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

static inline X509 *mk(const struct spec *s)
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

static inline void chain_add_der(struct chain_buf *b, const uint8_t *der, size_t len)
{
	size_t i = b->ch.n++;
	b->der[i] = malloc(len ? len : 1);
	assert_non_null(b->der[i]);
	memcpy(b->der[i], der, len);
	b->ch.der[i] = b->der[i];
	b->ch.len[i] = len;
}

static inline void chain_add(struct chain_buf *b, X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	chain_add_der(b, der, (size_t)n);
	OPENSSL_free(der);
}

static inline struct chain_buf chain_of(X509 *a, X509 *b, X509 *c)
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

static inline void chain_free(struct chain_buf *b)
{
	for (size_t i = 0; i < b->ch.n; i++)
		free(b->der[i]);
	memset(b, 0, sizeof(*b));
}

static inline void hex_of(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static inline struct x509_ctx *ctx_with(const char *ca_file, uint32_t cache_max,
					uint32_t max_servers)
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
static inline void analyze1(const struct fx *f, X509 *a, X509 *b, X509 *c, int64_t t,
			    const char *name, struct cert_facts *out)
{
	struct x509_ctx *ctx = ctx_with(f->ca_file, 16, 16);
	struct chain_buf cb = chain_of(a, b, c);
	x509_analyze(ctx, &cb.ch, US(t), name, CERT_NAME_SNI, NULL, out);
	chain_free(&cb);
	x509_ctx_free(ctx);
}

/* The keys, the root and the intermediates. */
static inline void fx_make_cas(struct fx *f)
{
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
}

/* The leaves under the root, under the intermediates and self-signed. */
static inline void fx_make_leaves(struct fx *f)
{
	struct spec s = (struct spec){
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
}

/* Makes every certificate and writes the root to a CA file in a temporary
 * directory (removed by group_teardown). */
static inline int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/smtptls-x509.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->ca_file, sizeof(f->ca_file), "%s/ca.pem", f->dir);
	fx_make_cas(f);
	fx_make_leaves(f);
	FILE *fp = fopen(f->ca_file, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_X509(fp, f->root), 1);
	assert_int_equal(fclose(fp), 0);
	*state = f;
	return 0;
}

static inline int group_teardown(void **state)
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

#endif
