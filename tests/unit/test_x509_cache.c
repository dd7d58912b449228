/* Unit tests for the chain cache, the per-server memory (x509_infer) and
 * the context of dissectors/proto/x509.c: a verdict never depends on the
 * cache size or on the order of connections, an inferred certificate is
 * re-judged at its own capture time and name, a context reports a bad CA
 * file or path and survives every allocation failure. The certificates are
 * those of x509_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "x509_fixture.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_one_miss),
		cmocka_unit_test(test_cache_size_independent),
		cmocka_unit_test(test_infer),
		cmocka_unit_test(test_ctx_errors),
		cmocka_unit_test(test_ctx_alloc_failures),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
