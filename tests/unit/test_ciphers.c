/* Unit tests for dissectors/proto/ciphers.c: suites of every family decomposed and
 * graded as their RFCs define them, table invariants, unknown and GREASE
 * values named by number, group, signature scheme, version and SSLv2 names.
 * That the table holds every registry row is checked by
 * tests/check_ciphers_complete.py against the IANA exports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/proto/ciphers.h"

#define INS    SUITE_GRADE_INSECURE
#define WEAK   SUITE_GRADE_WEAK
#define STRONG SUITE_GRADE_STRONG
#define MODERN SUITE_GRADE_MODERN
#define OTHER  SUITE_GRADE_OTHER

/* One suite as its defining RFC describes it, and its grade when negotiated
 * under TLS 1.0 and under TLS 1.2 (TLS 1.3 suites: the grade under 1.3). */
struct want {
	uint16_t id;
	const char *name, *kx, *auth, *cipher, *mode, *mac;
	uint16_t key_bits;
	uint8_t fs, aead, export_;
	enum suite_grade g10, g12;
};

static const struct want WANT[] = {
	/* RFC 5246 A.5 */
	{0x0000, "TLS_NULL_WITH_NULL_NULL", "NULL", "NULL", "NULL", "NULL", "NULL", 0, 0, 0, 0, INS,
	 INS},
	{0x0001, "TLS_RSA_WITH_NULL_MD5", "RSA", "RSA", "NULL", "NULL", "MD5", 0, 0, 0, 0, INS,
	 INS},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5", "RSA", "RSA", "RC4_128", "stream", "MD5", 128, 0, 0, 0,
	 INS, INS},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RSA", "RSA", "RC4_128", "stream", "SHA", 128, 0, 0, 0,
	 INS, INS},
	{0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "RSA", "RSA", "3DES_EDE", "CBC", "SHA", 168, 0, 0,
	 0, WEAK, WEAK},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "DHE", "DSS", "3DES_EDE", "CBC", "SHA", 168,
	 1, 0, 0, WEAK, WEAK},
	{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "RSA", "AES_128", "CBC", "SHA", 128, 0, 0,
	 0, WEAK, WEAK},
	{0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", "DH", "DSS", "AES_128", "CBC", "SHA", 128, 0, 0,
	 0, WEAK, WEAK},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE", "RSA", "AES_128", "CBC", "SHA", 128, 1,
	 0, 0, WEAK, OTHER},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "RSA", "AES_256", "CBC", "SHA", 256, 0, 0,
	 0, WEAK, WEAK},
	{0x003B, "TLS_RSA_WITH_NULL_SHA256", "RSA", "RSA", "NULL", "NULL", "SHA256", 0, 0, 0, 0,
	 INS, INS},
	{0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", "RSA", "RSA", "AES_128", "CBC", "SHA256", 128,
	 0, 0, 0, WEAK, WEAK},
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE", "RSA", "AES_128", "CBC", "SHA256",
	 128, 1, 0, 0, OTHER, OTHER},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "DH", "anon", "RC4_128", "stream", "MD5", 128, 1,
	 0, 0, INS, INS},
	{0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", "DH", "anon", "3DES_EDE", "CBC", "SHA", 168,
	 1, 0, 0, INS, INS},
	{0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", "DH", "anon", "AES_128", "CBC", "SHA256",
	 128, 1, 0, 0, INS, INS},
	/* RFC 4346 A.5: EXPORT */
	{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "RSA", "RSA", "RC4_40", "stream", "MD5", 40, 0,
	 0, 1, INS, INS},
	{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "RSA", "RSA", "RC2_40", "CBC", "MD5", 40, 0,
	 0, 1, INS, INS},
	{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "RSA", "RSA", "DES40", "CBC", "SHA", 40, 0, 0,
	 1, INS, INS},
	{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", "DHE", "RSA", "DES40", "CBC", "SHA", 40,
	 1, 0, 1, INS, INS},
	/* RFC 5246 A.5 / RFC 4346: IDEA, single DES */
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", "RSA", "RSA", "IDEA", "CBC", "SHA", 128, 0, 0, 0,
	 WEAK, WEAK},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA", "RSA", "RSA", "DES", "CBC", "SHA", 56, 0, 0, 0, INS,
	 INS},
	/* RFC 2712: Kerberos */
	{0x001E, "TLS_KRB5_WITH_DES_CBC_SHA", "KRB5", "KRB5", "DES", "CBC", "SHA", 56, 0, 0, 0, INS,
	 INS},
	{0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA", "KRB5", "KRB5", "IDEA", "CBC", "SHA", 128, 0, 0, 0,
	 WEAK, OTHER},
	{0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA", "KRB5", "KRB5", "DES40", "CBC", "SHA", 40,
	 0, 0, 1, INS, INS},
	/* RFC 4279, 4785, 5487: PSK */
	{0x002C, "TLS_PSK_WITH_NULL_SHA", "PSK", "PSK", "NULL", "NULL", "SHA", 0, 0, 0, 0, INS,
	 INS},
	{0x008A, "TLS_PSK_WITH_RC4_128_SHA", "PSK", "PSK", "RC4_128", "stream", "SHA", 128, 0, 0, 0,
	 INS, INS},
	{0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", "PSK", "PSK", "AES_128", "CBC", "SHA", 128, 0, 0,
	 0, WEAK, OTHER},
	{0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", "PSK", "PSK", "AES_128", "GCM", "AEAD", 128, 0,
	 1, 0, OTHER, OTHER},
	{0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", "DHE", "PSK", "AES_128", "GCM", "AEAD", 128,
	 1, 1, 0, STRONG, STRONG},
	{0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", "RSA", "RSA_PSK", "AES_128", "GCM", "AEAD",
	 128, 0, 1, 0, WEAK, WEAK},
	{0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", "PSK", "PSK", "AES_256", "CBC", "SHA384", 256,
	 0, 0, 0, OTHER, OTHER},
	/* RFC 5288: GCM */
	{0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "RSA", "AES_128", "GCM", "AEAD", 128, 0,
	 1, 0, WEAK, WEAK},
	{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE", "RSA", "AES_128", "GCM", "AEAD", 128,
	 1, 1, 0, STRONG, STRONG},
	{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE", "RSA", "AES_256", "GCM", "AEAD", 256,
	 1, 1, 0, STRONG, STRONG},
	/* RFC 5932, 6367: CAMELLIA; RFC 4162: SEED; RFC 6209: ARIA */
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", "RSA", "RSA", "CAMELLIA_128", "CBC", "SHA",
	 128, 0, 0, 0, WEAK, WEAK},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", "DHE", "RSA", "CAMELLIA_256", "CBC",
	 "SHA", 256, 1, 0, 0, WEAK, OTHER},
	{0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE", "ECDSA", "CAMELLIA_128",
	 "CBC", "SHA256", 128, 1, 0, 0, OTHER, OTHER},
	{0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", "ECDHE", "RSA", "CAMELLIA_128",
	 "GCM", "AEAD", 128, 1, 1, 0, STRONG, STRONG},
	{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", "RSA", "RSA", "SEED", "CBC", "SHA", 128, 0, 0, 0,
	 WEAK, WEAK},
	{0xC03C, "TLS_RSA_WITH_ARIA_128_CBC_SHA256", "RSA", "RSA", "ARIA_128", "CBC", "SHA256", 128,
	 0, 0, 0, WEAK, WEAK},
	{0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", "ECDHE", "ECDSA", "ARIA_128", "GCM",
	 "AEAD", 128, 1, 1, 0, STRONG, STRONG},
	/* RFC 8422 / 4492: ECC */
	{0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", "ECDH", "ECDSA", "RC4_128", "stream", "SHA",
	 128, 0, 0, 0, INS, INS},
	{0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", "ECDH", "ECDSA", "AES_128", "CBC", "SHA",
	 128, 0, 0, 0, WEAK, WEAK},
	{0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE", "ECDSA", "AES_128", "CBC", "SHA",
	 128, 1, 0, 0, WEAK, OTHER},
	{0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE", "RSA", "3DES_EDE", "CBC", "SHA",
	 168, 1, 0, 0, WEAK, WEAK},
	{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE", "RSA", "AES_128", "CBC", "SHA", 128,
	 1, 0, 0, WEAK, OTHER},
	{0xC015, "TLS_ECDH_anon_WITH_NULL_SHA", "ECDH", "anon", "NULL", "NULL", "SHA", 0, 1, 0, 0,
	 INS, INS},
	{0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "ECDH", "anon", "AES_128", "CBC", "SHA", 128,
	 1, 0, 0, INS, INS},
	/* RFC 5289 */
	{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE", "RSA", "AES_128", "CBC",
	 "SHA256", 128, 1, 0, 0, OTHER, OTHER},
	{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE", "RSA", "AES_256", "CBC",
	 "SHA384", 256, 1, 0, 0, OTHER, OTHER},
	{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE", "ECDSA", "AES_128", "GCM",
	 "AEAD", 128, 1, 1, 0, STRONG, STRONG},
	{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE", "RSA", "AES_128", "GCM", "AEAD",
	 128, 1, 1, 0, STRONG, STRONG},
	{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE", "RSA", "AES_256", "GCM", "AEAD",
	 256, 1, 1, 0, STRONG, STRONG},
	{0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", "ECDH", "RSA", "AES_128", "GCM", "AEAD",
	 128, 0, 1, 0, WEAK, WEAK},
	/* RFC 5054: SRP */
	{0xC01A, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA", "SRP", "SRP", "3DES_EDE", "CBC", "SHA", 168,
	 1, 0, 0, WEAK, WEAK},
	{0xC01E, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA", "SRP", "RSA", "AES_128", "CBC", "SHA", 128,
	 1, 0, 0, WEAK, OTHER},
	/* RFC 6655, 7251: CCM */
	{0xC09C, "TLS_RSA_WITH_AES_128_CCM", "RSA", "RSA", "AES_128", "CCM", "AEAD", 128, 0, 1, 0,
	 WEAK, WEAK},
	{0xC0AA, "TLS_PSK_DHE_WITH_AES_128_CCM_8", "DHE", "PSK", "AES_128", "CCM_8", "AEAD", 128, 1,
	 1, 0, STRONG, STRONG},
	{0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE", "ECDSA", "AES_128", "CCM", "AEAD",
	 128, 1, 1, 0, STRONG, STRONG},
	{0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "ECDHE", "ECDSA", "AES_256", "CCM_8", "AEAD",
	 256, 1, 1, 0, STRONG, STRONG},
	/* RFC 8492: ECCPWD */
	{0xC0B0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256", "ECCPWD", "ECCPWD", "AES_128", "GCM", "AEAD",
	 128, 1, 1, 0, STRONG, STRONG},
	{0xC0B3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384", "ECCPWD", "ECCPWD", "AES_256", "CCM", "AEAD",
	 256, 1, 1, 0, STRONG, STRONG},
	/* RFC 7905: ChaCha20-Poly1305 */
	{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE", "RSA", "CHACHA20",
	 "POLY1305", "AEAD", 256, 1, 1, 0, STRONG, STRONG},
	{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE", "ECDSA", "CHACHA20",
	 "POLY1305", "AEAD", 256, 1, 1, 0, STRONG, STRONG},
	{0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", "PSK", "PSK", "CHACHA20", "POLY1305",
	 "AEAD", 256, 0, 1, 0, OTHER, OTHER},
	/* RFC 8442: ECDHE_PSK AEAD */
	{0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", "ECDHE", "PSK", "AES_128", "GCM", "AEAD",
	 128, 1, 1, 0, STRONG, STRONG},
	{0xD003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", "ECDHE", "PSK", "AES_128", "CCM_8",
	 "AEAD", 128, 1, 1, 0, STRONG, STRONG},
	/* RFC 9189: GOST, TLS 1.2 (key agreement with the server's certificate key) */
	{0xC100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC", "GOSTR341112_256", "GOSTR341012",
	 "KUZNYECHIK", "CTR", "OMAC", 256, 0, 0, 0, WEAK, WEAK},
	{0xC102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT", "GOSTR341112_256", "GOSTR341012",
	 "GOST28147", "CNT", "IMIT", 256, 0, 0, 0, WEAK, WEAK},
	/* TLS 1.3: RFC 8446 B.4, RFC 8998 (SM4), RFC 9367 (GOST), RFC 9150 */
	{0x1301, "TLS_AES_128_GCM_SHA256", "TLS13", "TLS13", "AES_128", "GCM", "AEAD", 128, 1, 1, 0,
	 MODERN, MODERN},
	{0x1302, "TLS_AES_256_GCM_SHA384", "TLS13", "TLS13", "AES_256", "GCM", "AEAD", 256, 1, 1, 0,
	 MODERN, MODERN},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256", "TLS13", "TLS13", "CHACHA20", "POLY1305", "AEAD",
	 256, 1, 1, 0, MODERN, MODERN},
	{0x1304, "TLS_AES_128_CCM_SHA256", "TLS13", "TLS13", "AES_128", "CCM", "AEAD", 128, 1, 1, 0,
	 MODERN, MODERN},
	{0x1305, "TLS_AES_128_CCM_8_SHA256", "TLS13", "TLS13", "AES_128", "CCM_8", "AEAD", 128, 1,
	 1, 0, MODERN, MODERN},
	{0x00C6, "TLS_SM4_GCM_SM3", "TLS13", "TLS13", "SM4", "GCM", "AEAD", 128, 1, 1, 0, MODERN,
	 MODERN},
	{0xC103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L", "TLS13", "TLS13", "KUZNYECHIK",
	 "MGM_L", "AEAD", 256, 1, 1, 0, MODERN, MODERN},
	{0xC106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S", "TLS13", "TLS13", "MAGMA", "MGM_S", "AEAD",
	 256, 1, 1, 0, MODERN, MODERN},
	{0xC0B4, "TLS_SHA256_SHA256", "TLS13", "TLS13", "NULL", "NULL", "SHA256", 0, 1, 0, 0, INS,
	 INS},
};

static void test_suites_decomposed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(WANT) / sizeof(WANT[0]); i++) {
		const struct want *w = &WANT[i];
		const struct suite_info *s = suite_lookup(w->id);
		char buf[SUITE_NAME_BUF];
		if (!s)
			fail_msg("0x%04X (%s) is not in the table", w->id, w->name);
		assert_int_equal(s->id, w->id);
		assert_string_equal(s->name, w->name);
		assert_string_equal(suite_name(w->id, buf, sizeof(buf)), w->name);
		assert_string_equal(s->kx, w->kx);
		assert_string_equal(s->auth, w->auth);
		assert_string_equal(s->cipher, w->cipher);
		assert_string_equal(s->mode, w->mode);
		assert_string_equal(s->mac, w->mac);
		assert_int_equal(s->key_bits, w->key_bits);
		assert_int_equal(s->fs, w->fs);
		assert_int_equal(s->aead, w->aead);
		assert_int_equal(s->export_, w->export_);
		assert_int_equal(s->scsv, 0);
	}
}

static void test_suites_graded(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(WANT) / sizeof(WANT[0]); i++) {
		const struct want *w = &WANT[i];
		int tls13 = strcmp(w->kx, "TLS13") == 0;
		enum suite_grade g10 = suite_grade(w->id, tls13 ? 0x0304 : 0x0301);
		enum suite_grade g12 = suite_grade(w->id, tls13 ? 0x0304 : 0x0303);
		if (g10 != w->g10 || g12 != w->g12)
			fail_msg("%s: %s/%s, want %s/%s", w->name, suite_grade_name(g10),
				 suite_grade_name(g12), suite_grade_name(w->g10),
				 suite_grade_name(w->g12));
	}
}

static void test_grade_versions(void **state)
{
	(void)state;
	/* CBC-SHA1 with FS: weak in SSLv3, TLS 1.0, 1.1, DTLS 1.0; not from 1.2 on,
	 * nor when the version is not known. */
	assert_int_equal(suite_grade(0xC013, 0x0300), WEAK);
	assert_int_equal(suite_grade(0xC013, 0x0302), WEAK);
	assert_int_equal(suite_grade(0xC013, 0xFEFF), WEAK);
	assert_int_equal(suite_grade(0xC013, 0x0304), OTHER);
	assert_int_equal(suite_grade(0xC013, 0xFEFD), OTHER);
	assert_int_equal(suite_grade(0xC013, 0), OTHER);
	/* Static RSA stays weak in every version. */
	assert_int_equal(suite_grade(0x002F, 0x0303), WEAK);
	assert_int_equal(suite_grade(0x002F, 0), WEAK);
	/* TLS 1.3 suites are modern whatever version is passed. */
	assert_int_equal(suite_grade(0x1301, 0x0303), MODERN);
	assert_int_equal(suite_grade(0x1301, 0), MODERN);
}

static void test_scsv(void **state)
{
	(void)state;
	static const uint16_t scsv[] = {0x00FF, 0x5600};
	static const char *const names[] = {"TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
					    "TLS_FALLBACK_SCSV"};
	for (size_t i = 0; i < 2; i++) {
		const struct suite_info *s = suite_lookup(scsv[i]);
		assert_non_null(s);
		assert_string_equal(s->name, names[i]);
		assert_int_equal(s->scsv, 1);
		assert_string_equal(s->cipher, "SCSV");
		assert_int_equal(suite_grade(scsv[i], 0x0303), OTHER);
	}
}

/* Invariants of the whole table: sorted, unique, complete entries, facts that
 * agree with one another, every entry found by lookup. */
static void test_table_invariants(void **state)
{
	(void)state;
	size_t n = 0, scsv = 0;
	const struct suite_info *all = suite_all(&n);
	assert_non_null(all);
	assert_true(n > 300);
	for (size_t i = 0; i < n; i++) {
		const struct suite_info *s = &all[i];
		if (i > 0)
			assert_true(all[i - 1].id < s->id);
		assert_ptr_equal(suite_lookup(s->id), s);
		assert_non_null(s->name);
		assert_non_null(s->kx);
		assert_non_null(s->auth);
		assert_non_null(s->cipher);
		assert_non_null(s->mode);
		assert_non_null(s->mac);
		assert_memory_equal(s->name, "TLS_", 4);
		assert_false(suite_is_grease(s->id));
		assert_int_not_equal(suite_grade(s->id, 0x0303), SUITE_GRADE_UNKNOWN);
		scsv += s->scsv;
		if (s->aead)
			assert_string_equal(s->mac, "AEAD");
		if (s->export_)
			assert_in_range(s->key_bits, 40, 56);
		if (strcmp(s->cipher, "NULL") == 0)
			assert_int_equal(s->key_bits, 0);
		else if (!s->scsv)
			assert_in_range(s->key_bits, 40, 256);
		if (strcmp(s->kx, "DHE") == 0 || strcmp(s->kx, "ECDHE") == 0)
			assert_int_equal(s->fs, 1);
	}
	assert_int_equal(scsv, 2);
}

static void test_unknown_and_grease(void **state)
{
	(void)state;
	char buf[SUITE_NAME_BUF];
	/* Reserved (0x0047, 0x0060: EXPORT1024 era), private use, unassigned. */
	static const uint16_t unknown[] = {0x0047, 0x0060, 0x1308, 0xC0FF, 0xFF01, 0xFFFF};
	static const char *const text[] = {"0x0047", "0x0060", "0x1308",
					   "0xC0FF", "0xFF01", "0xFFFF"};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_null(suite_lookup(unknown[i]));
		assert_int_equal(suite_grade(unknown[i], 0x0303), SUITE_GRADE_UNKNOWN);
		assert_string_equal(suite_name(unknown[i], buf, sizeof(buf)), text[i]);
	}
	unsigned grease = 0;
	for (uint32_t v = 0; v <= 0xFFFF; v++) {
		if (!suite_is_grease((uint16_t)v))
			continue;
		grease++;
		assert_int_equal(v & 0xFF, v >> 8);
		assert_int_equal(v & 0x0F, 0x0A);
		assert_null(suite_lookup((uint16_t)v));
	}
	assert_int_equal(grease, 16);
	assert_true(suite_is_grease(0x0A0A));
	assert_true(suite_is_grease(0xFAFA));
	assert_false(suite_is_grease(0x0A1A));
	assert_false(suite_is_grease(0x0B0B));
	assert_false(suite_is_grease(0x1301));
	assert_string_equal(suite_name(0x2A2A, buf, sizeof(buf)), "0x2A2A");
	assert_string_equal(suite_grade_name(SUITE_GRADE_UNKNOWN), "unknown");
	assert_string_equal(suite_grade_name(INS), "insecure");
	assert_string_equal(suite_grade_name(WEAK), "weak");
	assert_string_equal(suite_grade_name(STRONG), "strong");
	assert_string_equal(suite_grade_name(MODERN), "modern");
	assert_string_equal(suite_grade_name(OTHER), "other");
}

static void test_small_buffers(void **state)
{
	(void)state;
	char buf[4] = "zzz";
	/* A named value never touches the buffer, which may be absent. */
	assert_string_equal(suite_name(0x1301, NULL, 0), "TLS_AES_128_GCM_SHA256");
	assert_string_equal(suite_group_name(0x001D, NULL, 0), "x25519");
	/* An unnamed one is cut to the buffer and terminated. */
	assert_string_equal(suite_name(0x1234, buf, sizeof(buf)), "0x1");
	assert_string_equal(suite_name(0x1234, buf, 0), "");
	assert_string_equal(suite_name(0x1234, NULL, 0), "");
	assert_string_equal(suite_version_name(0x7F1C, buf, sizeof(buf)), "TLS");
}

struct named {
	uint16_t v;
	const char *name;
};

static void test_groups(void **state)
{
	(void)state;
	static const struct named G[] = {
		{0x0017, "secp256r1"},
		{0x0018, "secp384r1"},
		{0x0019, "secp521r1"},
		{0x001D, "x25519"},
		{0x001E, "x448"},
		{0x001A, "brainpoolP256r1"},
		{0x0029, "curveSM2"},
		{0x0100, "ffdhe2048"},
		{0x0104, "ffdhe8192"},
		{0x0201, "MLKEM768"},
		{0x11EB, "SecP256r1MLKEM768"},
		{0x11EC, "X25519MLKEM768"},
		{0x11ED, "SecP384r1MLKEM1024"},
		{0x6399, "X25519Kyber768Draft00"},
		{0xFF01, "arbitrary_explicit_prime_curves"},
		{0x0000, "0x0000"},
		{0x0A0A, "0x0A0A"},
		{0x002A, "0x002A"},
		{0xFE00, "0xFE00"},
	};
	char buf[SUITE_NAME_BUF];
	for (size_t i = 0; i < sizeof(G) / sizeof(G[0]); i++)
		assert_string_equal(suite_group_name(G[i].v, buf, sizeof(buf)), G[i].name);
}

static void test_sigschemes(void **state)
{
	(void)state;
	static const struct named S[] = {
		{0x0201, "rsa_pkcs1_sha1"},
		{0x0203, "ecdsa_sha1"},
		{0x0401, "rsa_pkcs1_sha256"},
		{0x0403, "ecdsa_secp256r1_sha256"},
		{0x0804, "rsa_pss_rsae_sha256"},
		{0x0807, "ed25519"},
		{0x0808, "ed448"},
		{0x080B, "rsa_pss_pss_sha512"},
		{0x081A, "ecdsa_brainpoolP256r1tls13_sha256"},
		{0x0905, "mldsa65"},
		{0x0708, "sm2sig_sm3"},
		/* TLS 1.2 (hash, signature) pairs, reserved in the registry */
		{0x0101, "rsa_pkcs1_md5"},
		{0x0202, "dsa_sha1"},
		{0x0301, "rsa_pkcs1_sha224"},
		{0x0302, "dsa_sha224"},
		{0x0303, "ecdsa_sha224"},
		{0x0402, "dsa_sha256"},
		{0x0602, "dsa_sha512"},
		{0x0840, "gostr34102012_256"},
		/* nothing known */
		{0x0000, "0x0000"},
		{0x0104, "0x0104"},
		{0x0700, "0x0700"},
		{0x0A0A, "0x0A0A"},
		{0xFE00, "0xFE00"},
	};
	char buf[SUITE_NAME_BUF];
	for (size_t i = 0; i < sizeof(S) / sizeof(S[0]); i++)
		assert_string_equal(suite_sigscheme_name(S[i].v, buf, sizeof(buf)), S[i].name);
}

static void test_versions(void **state)
{
	(void)state;
	static const struct named V[] = {
		{0x0002, "SSLv2"},	     {0x0300, "SSLv3"},		  {0x0301, "TLSv1.0"},
		{0x0302, "TLSv1.1"},	     {0x0303, "TLSv1.2"},	  {0x0304, "TLSv1.3"},
		{0x7F12, "TLSv1.3-draft18"}, {0x7F1C, "TLSv1.3-draft28"}, {0xFEFF, "DTLSv1.0"},
		{0xFEFD, "DTLSv1.2"},	     {0x0A0A, "0x0A0A"},	  {0x3A3A, "0x3A3A"},
		{0x0305, "0x0305"},	     {0x0000, "0x0000"},	  {0x7E01, "0x7E01"},
	};
	char buf[SUITE_NAME_BUF];
	for (size_t i = 0; i < sizeof(V) / sizeof(V[0]); i++)
		assert_string_equal(suite_version_name(V[i].v, buf, sizeof(buf)), V[i].name);
	/* the longest text fits SUITE_NAME_BUF */
	assert_string_equal(suite_version_name(0x7FFF, buf, sizeof(buf)), "TLSv1.3-draft255");
}

static void test_sslv2(void **state)
{
	(void)state;
	static const struct {
		uint32_t kind;
		const char *name;
	} K[] = {
		{0x010080, "SSL_CK_RC4_128_WITH_MD5"},
		{0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5"},
		{0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5"},
		{0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5"},
		{0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5"},
		{0x060040, "SSL_CK_DES_64_CBC_WITH_MD5"},
		{0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"},
		{0x080080, "SSL_CK_RC4_64_WITH_MD5"},
		/* TLS suites inside an SSLv2-compatible ClientHello */
		{0x00002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
		{0x000039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
		{0x0000FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
		/* unknown */
		{0x000047, "0x000047"},
		{0x090080, "0x090080"},
		{0xFFFFFF, "0xFFFFFF"},
	};
	char buf[SUITE_NAME_BUF];
	for (size_t i = 0; i < sizeof(K) / sizeof(K[0]); i++)
		assert_string_equal(suite_sslv2_name(K[i].kind, buf, sizeof(buf)), K[i].name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suites_decomposed),
		cmocka_unit_test(test_suites_graded),
		cmocka_unit_test(test_grade_versions),
		cmocka_unit_test(test_scsv),
		cmocka_unit_test(test_table_invariants),
		cmocka_unit_test(test_unknown_and_grease),
		cmocka_unit_test(test_small_buffers),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_sigschemes),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_sslv2),
	};
	return cmocka_run_group_tests_name("ciphers", tests, NULL, NULL);
}
