/* fingerprint.c — JA3/JA3S (Salesforce, 2017: MD5 of decimal field lists,
 * GREASE per RFC 8701 removed) and JA4 (FoxIO JA4 TLS client fingerprint,
 * technical_details/JA4.md: version from supported_versions, counts, ALPN
 * first/last character, truncated SHA-256 of sorted lists).
 */
#include "dissectors/proto/fingerprint.h"

#include <string.h>

#include <openssl/evp.h>

#include "dissectors/base/hex.h"
#include "dissectors/proto/ciphers.h"

/* A bounded text builder: appends past the end are counted, not written. */
struct fp_str {
	char *p;
	size_t cap;
	size_t len;
};

static void fp_str_init(struct fp_str *s, char *buf, size_t n)
{
	s->p = buf;
	s->cap = n;
	s->len = 0;
	if (n)
		buf[0] = '\0';
}

static void fp_str_putc(struct fp_str *s, char c)
{
	if (s->cap && s->len + 1 < s->cap) {
		s->p[s->len] = c;
		s->p[s->len + 1] = '\0';
	}
	s->len++;
}

static void fp_str_dec(struct fp_str *s, unsigned v)
{
	char tmp[8];
	size_t k = 0;
	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && k < sizeof(tmp));
	while (k)
		fp_str_putc(s, tmp[--k]);
}

static void fp_str_hex4(struct fp_str *s, uint16_t v)
{
	fp_str_putc(s, hex_digits[(v >> 12) & 0xf]);
	fp_str_putc(s, hex_digits[(v >> 8) & 0xf]);
	fp_str_putc(s, hex_digits[(v >> 4) & 0xf]);
	fp_str_putc(s, hex_digits[v & 0xf]);
}

/* "hhhh,hhhh,hhhh": four hex digits per value, comma-separated (JA4). */
static void fp_str_hex_list(struct fp_str *s, const uint16_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fp_str_putc(s, ',');
		fp_str_hex4(s, v[i]);
	}
}

/* "v1-v2-v3" of a list with GREASE values left out. */
static void fp_str_dec_list(struct fp_str *s, const uint16_t *v, size_t n)
{
	int first = 1;
	for (size_t i = 0; i < n; i++) {
		if (suite_is_grease(v[i]))
			continue;
		if (!first)
			fp_str_putc(s, '-');
		fp_str_dec(s, v[i]);
		first = 0;
	}
}

size_t fp_ja3_string(const struct fp_hello *h, char *buf, size_t n)
{
	struct fp_str s;
	fp_str_init(&s, buf, n);
	fp_str_dec(&s, h->version);
	fp_str_putc(&s, ',');
	fp_str_dec_list(&s, h->ciphers, h->n_ciphers);
	fp_str_putc(&s, ',');
	fp_str_dec_list(&s, h->exts, h->n_exts);
	fp_str_putc(&s, ',');
	fp_str_dec_list(&s, h->groups, h->n_groups);
	fp_str_putc(&s, ',');
	for (size_t i = 0; i < h->n_formats; i++) {
		if (i)
			fp_str_putc(&s, '-');
		fp_str_dec(&s, h->formats[i]);
	}
	return s.len;
}

size_t fp_ja3s_string(uint16_t version, uint16_t cipher, const uint16_t *exts, size_t n_exts,
		      char *buf, size_t n)
{
	struct fp_str s;
	fp_str_init(&s, buf, n);
	fp_str_dec(&s, version);
	fp_str_putc(&s, ',');
	fp_str_dec(&s, cipher);
	fp_str_putc(&s, ',');
	fp_str_dec_list(&s, exts, n_exts);
	return s.len;
}

/* Hex digest of data with the named algorithm into out (2 * size + 1 bytes). */
static int fp_digest_hex(const char *alg, const char *data, size_t len, char *out, size_t out_n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	out[0] = '\0';
	EVP_MD *m = EVP_MD_fetch(NULL, alg, NULL);
	if (!m)
		return -1;
	int ok = EVP_Digest(data, len, md, &mdlen, m, NULL);
	EVP_MD_free(m);
	if (!ok || (size_t)mdlen * 2 + 1 > out_n)
		return -1;
	hex_encode(md, mdlen, out);
	return 0;
}

/* The largest JA3 string: every list full, 5 digits and a dash per value. */
#define FP_JA3_MAX (16 + 6 * (FP_MAX_CIPHERS + FP_MAX_EXTS + FP_MAX_GROUPS) + 4 * FP_MAX_FORMATS)

int fp_ja3(const struct fp_hello *h, char *out)
{
	char buf[FP_JA3_MAX];
	size_t len = fp_ja3_string(h, buf, sizeof(buf));
	if (len >= sizeof(buf)) {
		out[0] = '\0';
		return -1;
	}
	return fp_digest_hex("MD5", buf, len, out, FP_MD5_HEX_LEN);
}

int fp_ja3s(uint16_t version, uint16_t cipher, const uint16_t *exts, size_t n_exts, char *out)
{
	char buf[FP_JA3_MAX];
	size_t len = fp_ja3s_string(version, cipher, exts, n_exts, buf, sizeof(buf));
	if (len >= sizeof(buf)) {
		out[0] = '\0';
		return -1;
	}
	return fp_digest_hex("MD5", buf, len, out, FP_MD5_HEX_LEN);
}

/* Insertion sort: the lists are short (at most a few hundred values). */
static void fp_sort16(uint16_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint16_t x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Copies a list without GREASE (and, if drop_sni_alpn, without 0x0000 and
 * 0x0010) into dst, sorted. Returns the number copied. */
static size_t fp_sorted(const uint16_t *src, size_t n, uint16_t *dst, int drop_sni_alpn)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (suite_is_grease(src[i]))
			continue;
		if (drop_sni_alpn && (src[i] == 0x0000 || src[i] == 0x0010))
			continue;
		dst[k++] = src[i];
	}
	fp_sort16(dst, k);
	return k;
}

size_t fp_ja4_cipher_string(const struct fp_hello *h, char *buf, size_t n)
{
	uint16_t v[FP_MAX_CIPHERS];
	size_t k = fp_sorted(h->ciphers, h->n_ciphers, v, 0);
	struct fp_str s;
	fp_str_init(&s, buf, n);
	fp_str_hex_list(&s, v, k);
	return s.len;
}

size_t fp_ja4_ext_string(const struct fp_hello *h, char *buf, size_t n)
{
	uint16_t v[FP_MAX_EXTS];
	size_t k = fp_sorted(h->exts, h->n_exts, v, 1);
	struct fp_str s;
	fp_str_init(&s, buf, n);
	fp_str_hex_list(&s, v, k);
	/* JA4.md: the signature algorithms follow in wire order after "_";
	 * with none, the string ends without the underscore. */
	int first = 1;
	for (size_t i = 0; i < h->n_sigalgs; i++) {
		if (suite_is_grease(h->sigalgs[i]))
			continue;
		fp_str_putc(&s, first ? '_' : ',');
		fp_str_hex4(&s, h->sigalgs[i]);
		first = 0;
	}
	return s.len;
}

static const char *fp_ja4_version(const struct fp_hello *h)
{
	uint16_t v = h->version;
	if (h->has_versions) {
		/* The highest non-GREASE value of supported_versions. */
		uint16_t best = 0;
		int any = 0;
		for (size_t i = 0; i < h->n_versions; i++) {
			if (suite_is_grease(h->versions[i]))
				continue;
			if (!any || h->versions[i] > best)
				best = h->versions[i];
			any = 1;
		}
		if (any)
			v = best;
	}
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static int fp_alnum(uint8_t c)
{
	return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/* JA4.md "ALPN Extension Value": first and last character of the first
 * protocol; its hex form's first and last digit when either end is not
 * alphanumeric; "00" when there is none. */
static void fp_ja4_alpn(const struct fp_hello *h, char out[2])
{
	if (!h->has_alpn || h->alpn_len == 0) {
		out[0] = out[1] = '0';
		return;
	}
	uint8_t a = h->alpn[0], b = h->alpn[h->alpn_len - 1];
	if (fp_alnum(a) && fp_alnum(b)) {
		out[0] = (char)a;
		out[1] = (char)b;
	} else {
		out[0] = hex_digits[a >> 4];
		out[1] = hex_digits[b & 0xf];
	}
}

/* First 12 hex digits of SHA-256 of s, or "000000000000" when s is empty. */
static int fp_ja4_hash12(const char *s, size_t len, char out[13])
{
	char hex[EVP_MAX_MD_SIZE * 2 + 1];
	if (len == 0) {
		memcpy(out, "000000000000", 13);
		return 0;
	}
	if (fp_digest_hex("SHA256", s, len, hex, sizeof(hex)) < 0) {
		out[0] = '\0';
		return -1;
	}
	memcpy(out, hex, 12);
	out[12] = '\0';
	return 0;
}

static unsigned fp_count_non_grease(const uint16_t *v, size_t n)
{
	unsigned k = 0;
	for (size_t i = 0; i < n; i++)
		k += !suite_is_grease(v[i]);
	return k > 99 ? 99 : k;
}

int fp_ja4(const struct fp_hello *h, char *out)
{
	char buf[FP_JA3_MAX];
	char hb[13], hc[13], alpn[2];
	out[0] = '\0';

	size_t len = fp_ja4_cipher_string(h, buf, sizeof(buf));
	if (len >= sizeof(buf) || fp_ja4_hash12(buf, len, hb) < 0)
		return -1;
	/* JA4.md: with no extensions left after removing SNI and ALPN the
	 * hash is zeros, signature algorithms or not. */
	uint16_t tmp[FP_MAX_EXTS];
	if (fp_sorted(h->exts, h->n_exts, tmp, 1) == 0) {
		memcpy(hc, "000000000000", 13);
	} else {
		len = fp_ja4_ext_string(h, buf, sizeof(buf));
		if (len >= sizeof(buf) || fp_ja4_hash12(buf, len, hc) < 0)
			return -1;
	}
	int sni = 0;
	for (size_t i = 0; i < h->n_exts; i++)
		sni |= h->exts[i] == 0x0000;
	fp_ja4_alpn(h, alpn);
	unsigned nc = fp_count_non_grease(h->ciphers, h->n_ciphers);
	unsigned ne = fp_count_non_grease(h->exts, h->n_exts);
	const char *ver = fp_ja4_version(h);

	struct fp_str s;
	fp_str_init(&s, out, FP_JA4_LEN);
	fp_str_putc(&s, 't');
	fp_str_putc(&s, ver[0]);
	fp_str_putc(&s, ver[1]);
	fp_str_putc(&s, sni ? 'd' : 'i');
	fp_str_putc(&s, (char)('0' + nc / 10));
	fp_str_putc(&s, (char)('0' + nc % 10));
	fp_str_putc(&s, (char)('0' + ne / 10));
	fp_str_putc(&s, (char)('0' + ne % 10));
	fp_str_putc(&s, alpn[0]);
	fp_str_putc(&s, alpn[1]);
	fp_str_putc(&s, '_');
	for (int i = 0; i < 12; i++)
		fp_str_putc(&s, hb[i]);
	fp_str_putc(&s, '_');
	for (int i = 0; i < 12; i++)
		fp_str_putc(&s, hc[i]);
	return 0;
}
