/* bench_certcache: what one connection's certificate analysis costs, with the
 * chain cache and without it.
 *
 * A server's chain (an RSA-2048 leaf signed by an intermediate signed by a
 * root; the root is the trust anchor) is made with OpenSSL at start-up, then
 * x509_analyze() is called once per simulated connection, as the session does
 * when a TLS 1.2 Certificate message is complete:
 *
 *   cached      one context with the default cache: the chain is parsed and
 *               verified at the first connection, later ones hash it, find
 *               it and only judge time and host name;
 *   uncached    a cache of one entry and two chains used in turn, so every
 *               connection misses: parse every certificate, X509_verify_cert;
 *
 * Usage: bench_certcache [CONNECTIONS]   (default 20000)
 * Prints µs per connection for both, and the cache's hits and misses.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dissectors/proto/x509.h"

struct chain_der {
	uint8_t *der[3];
	size_t len[3];
};

static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *signer_key, X509 *issuer, const char *cn, int ca,
		       long serial)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400L * 30);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
						ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (e) {
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (!ca) {
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:mx.example.net");
		if (e) {
			X509_add_ext(x, e, -1);
			X509_EXTENSION_free(e);
		}
	}
	if (!X509_sign(x, signer_key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int to_der(X509 *x, uint8_t **der, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);
	if (n <= 0)
		return -1;
	*der = p;
	*len = (size_t)n;
	return 0;
}

/* Two chains under one root: leaf + intermediate, written to *a and *b; the
 * root goes to the PEM file ca_path. */
static int make_chains(struct chain_der *a, struct chain_der *b, const char *ca_path)
{
	EVP_PKEY *rk = EVP_RSA_gen(2048), *ik = EVP_RSA_gen(2048), *lk = EVP_RSA_gen(2048);
	if (!rk || !ik || !lk)
		return -1;
	X509 *root = make_cert(rk, rk, NULL, "bench root", 1, 1);
	X509 *inter = make_cert(ik, rk, root, "bench intermediate", 1, 2);
	X509 *l1 = make_cert(lk, ik, inter, "mx.example.net", 0, 3);
	X509 *l2 = make_cert(lk, ik, inter, "mx.example.net", 0, 4);
	FILE *f = fopen(ca_path, "w");
	int rc = root && inter && l1 && l2 && f && PEM_write_X509(f, root) ? 0 : -1;
	if (f)
		fclose(f);
	if (!rc)
		rc = to_der(l1, &a->der[0], &a->len[0]) || to_der(inter, &a->der[1], &a->len[1]) ||
		     to_der(l2, &b->der[0], &b->len[0]) || to_der(inter, &b->der[1], &b->len[1]);
	X509_free(root);
	X509_free(inter);
	X509_free(l1);
	X509_free(l2);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(lk);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Analyses n connections alternating between the chains of in[0..k-1];
 * returns seconds, and the context's counters. */
static double run(const struct x509_cfg *cfg, const struct chain_der *in, int k, long n,
		  struct x509_counters *k_out, int *valid)
{
	char err[256];
	struct x509_ctx *c = x509_ctx_new(cfg, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "bench_certcache: %s\n", err);
		exit(1);
	}
	struct tls_chain ch[2];
	for (int i = 0; i < k; i++) {
		memset(&ch[i], 0, sizeof(ch[i]));
		ch[i].n = 2;
		for (int j = 0; j < 2; j++) {
			ch[i].der[j] = in[i].der[j];
			ch[i].len[j] = in[i].len[j];
		}
	}
	uint8_t server[18] = {0};
	uint64_t ts = (uint64_t)time(NULL) * 1000000u;
	struct cert_facts out;
	*valid = 0;
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		server[15] = (uint8_t)i; /* 256 servers */
		x509_analyze(c, &ch[i % k], ts, "mx.example.net", CERT_NAME_SNI, server, &out);
		*valid += strcmp(out.validation, "valid") == 0;
	}
	double t = now_s() - t0;
	x509_ctx_counters(c, k_out);
	x509_ctx_free(c);
	return t;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	if (n <= 0) {
		fprintf(stderr, "usage: bench_certcache [CONNECTIONS]\n");
		return 2;
	}
	char ca[] = "/tmp/bench-certcache-XXXXXX";
	int fd = mkstemp(ca);
	if (fd < 0)
		return 1;
	close(fd);
	struct chain_der chains[2];
	memset(chains, 0, sizeof(chains));
	if (make_chains(&chains[0], &chains[1], ca) != 0) {
		fprintf(stderr, "bench_certcache: cannot make the test chains\n");
		unlink(ca);
		return 1;
	}
	struct x509_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_file = ca;
	struct x509_counters kc, ku;
	int vc, vu;
	double tc = run(&cfg, chains, 1, n, &kc, &vc);
	cfg.cache_max = 1;
	long nu = n / 10 > 0 ? n / 10 : 1; /* misses are slow: fewer of them */
	double tu = run(&cfg, chains, 2, nu, &ku, &vu);
	unlink(ca);
	printf("connections  cached %ld (hits %" PRIu64 ", misses %" PRIu64 ", %d valid), "
	       "uncached %ld (hits %" PRIu64 ", misses %" PRIu64 ", %d valid)\n",
	       n, kc.hits, kc.misses, vc, nu, ku.hits, ku.misses, vu);
	printf("per connection  cached %.2f us  uncached %.2f us  (%.0fx)\n", tc / (double)n * 1e6,
	       tu / (double)nu * 1e6, (tu / (double)nu) / (tc / (double)n));
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			OPENSSL_free(chains[i].der[j]);
	return vc == n && vu == nu ? 0 : 1;
}
