/* Unit tests for dissectors/proto/fingerprint.c: JA4 against the published
 * examples and the JA3 strings, on hellos built field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/proto/fingerprint.h"

static void fp_set(uint16_t *arr, uint16_t *n, const uint16_t *v, size_t k)
{
	memcpy(arr, v, k * sizeof(v[0]));
	*n = (uint16_t)k;
}

/* The example of FoxIO's JA4 specification (technical_details/JA4.md). */
static void test_ja4_published_example(void **state)
{
	(void)state;
	static const uint16_t ciphers[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c,
					   0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
					   0x009d, 0x002f, 0x0035, 0x3a3a};
	static const uint16_t exts[] = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017,
					0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
					0xff01, 0x000b, 0x000a, 0x0015, 0xdada};
	static const uint16_t sigs[] = {0x0403, 0x0804, 0x0401, 0x0503,
					0x0805, 0x0501, 0x0806, 0x0601};
	static const uint16_t vers[] = {0x7a7a, 0x0304, 0x0303};
	struct fp_hello *h = calloc(1, sizeof(*h));
	char out[FP_JA4_LEN], s[1024];
	h->version = 0x0303;
	fp_set(h->ciphers, &h->n_ciphers, ciphers, 16);
	fp_set(h->exts, &h->n_exts, exts, 17);
	fp_set(h->sigalgs, &h->n_sigalgs, sigs, 8);
	fp_set(h->versions, &h->n_versions, vers, 3);
	h->has_versions = 1;
	h->has_alpn = 1;
	h->alpn_len = 2;
	memcpy(h->alpn, "h2", 2);
	assert_int_equal(fp_ja4(h, out), 0);
	assert_string_equal(out, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	fp_ja4_cipher_string(h, s, sizeof(s));
	assert_string_equal(s, "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,"
			       "c030,cca8,cca9");
	/* no signature algorithms: the string ends without "_" */
	h->n_sigalgs = 0;
	assert_int_equal(fp_ja4(h, out), 0);
	assert_string_equal(out + 24, "6d807ffa2a79");
	/* ALPN http/1.1 -> "h1"; non-alphanumeric ends -> hex digits */
	h->alpn_len = 8;
	memcpy(h->alpn, "http/1.1", 8);
	fp_ja4(h, out);
	assert_memory_equal(out + 8, "h1", 2);
	h->alpn_len = 2;
	memcpy(h->alpn, "\x30\xab", 2);
	fp_ja4(h, out);
	assert_memory_equal(out + 8, "3b", 2);
	h->alpn_len = 4;
	memcpy(h->alpn, "\x30\xab\xcd\x31", 4);
	fp_ja4(h, out);
	assert_memory_equal(out + 8, "01", 2);
	h->has_alpn = 0;
	fp_ja4(h, out);
	assert_memory_equal(out, "t13d151600", 10);
	/* no supported_versions: legacy_version; no extensions, no ciphers */
	h->has_versions = 0;
	h->n_exts = 0;
	h->n_ciphers = 0;
	fp_ja4(h, out);
	assert_string_equal(out, "t12i000000_000000000000_000000000000");
	free(h);
}

static void test_ja3_strings(void **state)
{
	(void)state;
	struct fp_hello *h = calloc(1, sizeof(*h));
	char s[256], md[FP_MD5_HEX_LEN];
	static const uint16_t ciphers[] = {0x0a0a, 0x1301, 0xc02f};
	static const uint16_t exts[] = {0x2a2a, 0x0000, 0x000b};
	static const uint16_t groups[] = {0x4a4a, 0x001d, 0x0017};
	h->version = 0x0303;
	fp_set(h->ciphers, &h->n_ciphers, ciphers, 3);
	fp_set(h->exts, &h->n_exts, exts, 3);
	fp_set(h->groups, &h->n_groups, groups, 3);
	h->formats[0] = 0;
	h->n_formats = 1;
	fp_ja3_string(h, s, sizeof(s));
	assert_string_equal(s, "771,4865-49199,0-11,29-23,0");
	/* a buffer too small is cut, NUL-terminated, and the length reported */
	assert_int_equal(fp_ja3_string(h, s, 5), strlen("771,4865-49199,0-11,29-23,0"));
	assert_string_equal(s, "771,");
	fp_ja3s_string(0x0303, 0xc02f, exts, 3, s, sizeof(s));
	assert_string_equal(s, "771,49199,0-11");
	/* MD5("771,4865,51-43"): the RFC 8448 ServerHello's JA3S (tshark) */
	static const uint16_t sx[] = {0x0033, 0x002b};
	assert_int_equal(fp_ja3s(0x0303, 0x1301, sx, 2, md), 0);
	assert_string_equal(md, "eb1d94daa7e0344597e756a1fb6e7054");
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ja4_published_example),
		cmocka_unit_test(test_ja3_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
