/* ciphers.c — the TLS cipher-suite registry: lookups by binary search over the
 * generated tables, the strength grade (RFC 9325 s4, RFC 7465, RFC 8996), and
 * names for groups, signature schemes (RFC 8446 s4.2.3) and versions.
 *
 * Everything here is read-only: the tables are static const, nothing is
 * allocated, and text for unnamed values goes into the caller's buffer.
 */
#include "dissectors/proto/ciphers.h"

#include <stdio.h>
#include <string.h>

/* A value and its name: the shape of the group and signature scheme tables. */
struct suite_named {
	uint16_t id;
	const char *name;
};

#include "dissectors/proto/ciphers_table.inc"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* SSLv2 CIPHER-SPECs (draft-hickman-netscape-ssl-00, "Cipher kind values"),
 * plus the three kinds that SSLv2 implementations (SSLeay / OpenSSL) added and
 * that appear in old SSLv2-compatible ClientHellos. Sorted by kind. */
struct suite_sslv2 {
	uint32_t kind;
	const char *name;
};

static const struct suite_sslv2 sslv2_table[] = {
	{0x010080, "SSL_CK_RC4_128_WITH_MD5"},
	{0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5"},
	{0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5"},
	{0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5"},
	{0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5"},
	{0x060040, "SSL_CK_DES_64_CBC_WITH_MD5"},
	{0x060140, "SSL_CK_DES_64_CBC_WITH_SHA"}, /* SSLeay */
	{0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"},
	{0x0701C0, "SSL_CK_DES_192_EDE3_CBC_WITH_SHA"}, /* SSLeay */
	{0x080080, "SSL_CK_RC4_64_WITH_MD5"},		/* SSLeay */
};

/* Signature values the registry lists as "Reserved for backward
 * compatibility": TLS 1.2 SignatureAndHashAlgorithm pairs (RFC 5246
 * s7.4.1.4.1) that TLS 1.3 did not turn into schemes. Clients of the TLS 1.2
 * era still offer them (OpenSSL 1.0 sends the SHA-224 and DSA pairs), so they
 * are named the way TLS 1.3 names their neighbours. */
static const char *const legacy_hash[] = {
	NULL, "md5", "sha1", "sha224", "sha256", "sha384", "sha512",
};
static const char *const legacy_sig[] = {NULL, "rsa_pkcs1_", "dsa_", "ecdsa_"};

/* RFC 9189: the GOST TLS 1.2 signature algorithms (hash "intrinsic"
 * 8, signature 64 and 65), reserved in the SignatureScheme registry. */
static const struct suite_named legacy_gost[] = {
	{0x0840, "gostr34102012_256"},
	{0x0841, "gostr34102012_512"},
};

/* Key exchanges without forward secrecy whose secret is the server's
 * long-term certificate key: static RSA key transport (also RSA_PSK, RFC
 * 4279 s4), static DH and ECDH (RFC 9325 s4.1), and the GOST TLS 1.2 key
 * agreement with the server's certificate key (RFC 9189). Plain PSK and KRB5
 * have no FS either but no certificate key to lose; they are not listed. */
static const char *const static_kx[] = {"RSA", "DH", "ECDH", "GOSTR341112_256"};

static int streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static const char *hex16(uint16_t v, char *buf, size_t n)
{
	if (!buf || n == 0)
		return "";
	snprintf(buf, n, "0x%04X", (unsigned)v);
	return buf;
}

static const char *named_find(const struct suite_named *t, size_t len, uint16_t id)
{
	size_t lo = 0, hi = len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < len && t[lo].id == id ? t[lo].name : NULL;
}

const struct suite_info *suite_lookup(uint16_t id)
{
	size_t lo = 0, hi = ARRAY_LEN(suite_table);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (suite_table[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ARRAY_LEN(suite_table) && suite_table[lo].id == id ? &suite_table[lo] : NULL;
}

const struct suite_info *suite_all(size_t *count)
{
	if (count)
		*count = ARRAY_LEN(suite_table);
	return suite_table;
}

/* Versions known to be below TLS 1.2, where CBC with HMAC-SHA1 is exposed to
 * BEAST (implicit IVs, SSLv3 / TLS 1.0) and to Lucky13-style padding oracles
 * without the TLS 1.2 AEAD alternative. DTLS 1.0 is TLS 1.1 based. */
static int before_tls12(uint16_t version)
{
	switch (version) {
	case 0x0002:
	case 0x0300:
	case 0x0301:
	case 0x0302:
	case 0xFEFF: return 1;
	default: return 0;
	}
}

/* RFC 9325 s4.1 (NULL, anon, EXPORT, single DES), RFC 7465 (RC4), RFC 6151
 * (MD5 as a MAC is obsolete). */
static int is_insecure(const struct suite_info *s)
{
	return streq(s->cipher, "NULL") || streq(s->auth, "anon") || streq(s->auth, "NULL") ||
	       s->export_ || strncmp(s->cipher, "RC4_", 4) == 0 || streq(s->cipher, "DES") ||
	       streq(s->cipher, "DES40") || streq(s->mac, "MD5");
}

/* 3DES: 64-bit blocks (Sweet32, RFC 9325 s4.1); a static key exchange (no
 * forward secrecy, RFC 9325 s4.1); CBC + HMAC-SHA1 below TLS 1.2. */
static int is_weak(const struct suite_info *s, uint16_t version)
{
	if (streq(s->cipher, "3DES_EDE"))
		return 1;
	if (!s->fs) {
		for (size_t i = 0; i < ARRAY_LEN(static_kx); i++)
			if (streq(s->kx, static_kx[i]))
				return 1;
	}
	return streq(s->mode, "CBC") && streq(s->mac, "SHA") && before_tls12(version);
}

enum suite_grade suite_grade(uint16_t id, uint16_t version)
{
	const struct suite_info *s = suite_lookup(id);
	if (!s)
		return SUITE_GRADE_UNKNOWN;
	if (s->scsv)
		return SUITE_GRADE_OTHER;
	if (is_insecure(s))
		return SUITE_GRADE_INSECURE;
	if (is_weak(s, version))
		return SUITE_GRADE_WEAK;
	/* Before "strong": a TLS 1.3 suite is AEAD and its key exchange is
	 * (EC)DHE, so it would pass as strong; it is graded on its own. */
	if (streq(s->kx, "TLS13"))
		return SUITE_GRADE_MODERN;
	if (s->fs && s->aead)
		return SUITE_GRADE_STRONG;
	return SUITE_GRADE_OTHER;
}

const char *suite_grade_name(enum suite_grade g)
{
	switch (g) {
	case SUITE_GRADE_INSECURE: return "insecure";
	case SUITE_GRADE_WEAK: return "weak";
	case SUITE_GRADE_STRONG: return "strong";
	case SUITE_GRADE_MODERN: return "modern";
	case SUITE_GRADE_OTHER: return "other";
	case SUITE_GRADE_UNKNOWN: break;
	}
	return "unknown";
}

const char *suite_name(uint16_t id, char *buf, size_t n)
{
	const struct suite_info *s = suite_lookup(id);
	return s ? s->name : hex16(id, buf, n);
}

const char *suite_sslv2_name(uint32_t kind, char *buf, size_t n)
{
	if (kind <= 0xFFFF) {
		const struct suite_info *s = suite_lookup((uint16_t)kind);
		if (s)
			return s->name;
	}
	size_t lo = 0, hi = ARRAY_LEN(sslv2_table);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sslv2_table[mid].kind < kind)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ARRAY_LEN(sslv2_table) && sslv2_table[lo].kind == kind)
		return sslv2_table[lo].name;
	if (!buf || n == 0)
		return "";
	snprintf(buf, n, "0x%06X", (unsigned)(kind & 0xFFFFFFu));
	return buf;
}

const char *suite_group_name(uint16_t id, char *buf, size_t n)
{
	const char *name = named_find(suite_group_table, ARRAY_LEN(suite_group_table), id);
	return name ? name : hex16(id, buf, n);
}

int suite_group_is_pq(uint16_t id)
{
	const char *name = named_find(suite_group_table, ARRAY_LEN(suite_group_table), id);
	return name && (strstr(name, "MLKEM") || strstr(name, "Kyber"));
}

const char *suite_sigscheme_name(uint16_t id, char *buf, size_t n)
{
	const char *name = named_find(suite_sigscheme_table, ARRAY_LEN(suite_sigscheme_table), id);
	if (name)
		return name;
	name = named_find(legacy_gost, ARRAY_LEN(legacy_gost), id);
	if (name)
		return name;
	unsigned hash = (unsigned)id >> 8, sig = (unsigned)id & 0xFFu;
	if (hash >= 1 && hash < ARRAY_LEN(legacy_hash) && sig >= 1 && sig < ARRAY_LEN(legacy_sig) &&
	    buf && n > 0) {
		snprintf(buf, n, "%s%s", legacy_sig[sig], legacy_hash[hash]);
		return buf;
	}
	return hex16(id, buf, n);
}

const char *suite_version_name(uint16_t v, char *buf, size_t n)
{
	switch (v) {
	case 0x0002: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1.0";
	case 0x0302: return "TLSv1.1";
	case 0x0303: return "TLSv1.2";
	case 0x0304: return "TLSv1.3";
	case 0xFEFF: return "DTLSv1.0";
	case 0xFEFD: return "DTLSv1.2";
	case 0xFEFC: return "DTLSv1.3";
	default: break;
	}
	/* RFC 8446 drafts announced themselves as 0x7F00 + draft number. */
	if ((v & 0xFF00) == 0x7F00 && buf && n > 0) {
		snprintf(buf, n, "TLSv1.3-draft%u", (unsigned)(v & 0xFF));
		return buf;
	}
	return hex16(v, buf, n);
}
