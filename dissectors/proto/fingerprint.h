/* fingerprint.h — TLS hello fingerprints: JA3 and JA3S (MD5 of the decimal
 * field lists, GREASE removed) and JA4 (the FoxIO JA4 TLS client fingerprint:
 * readable prefix, truncated SHA-256 of the sorted cipher and extension lists).
 *
 * The TLS dissector fills a struct fp_hello while it parses a ClientHello
 * (values as on the wire, GREASE included: the functions here remove it) and
 * asks for the fingerprints. Nothing here allocates or keeps state; OpenSSL's
 * EVP digests compute the hashes.
 */
#ifndef SMTPTLS_FINGERPRINT_H
#define SMTPTLS_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

/* Longest lists kept; a longer list is cut and `truncated` is set (the
 * fingerprints are then computed over the kept values). */
#define FP_MAX_CIPHERS	256
#define FP_MAX_EXTS	256
#define FP_MAX_GROUPS	64
#define FP_MAX_FORMATS	16
#define FP_MAX_SIGALGS	64
#define FP_MAX_VERSIONS 16
#define FP_MAX_ALPN	255

/* Buffer sizes for the text forms: 32 hex + NUL; JA4 is 36 chars + NUL. */
#define FP_MD5_HEX_LEN 33
#define FP_JA4_LEN     37

/* The ClientHello fields the fingerprints are computed from. */
struct fp_hello {
	uint16_t version; /* ClientHello.legacy_version */
	uint16_t n_ciphers, n_exts, n_groups, n_formats, n_sigalgs, n_versions;
	uint16_t ciphers[FP_MAX_CIPHERS];   /* cipher_suites, in order */
	uint16_t exts[FP_MAX_EXTS];	    /* extension types, in order */
	uint16_t groups[FP_MAX_GROUPS];	    /* supported_groups */
	uint8_t formats[FP_MAX_FORMATS];    /* ec_point_formats */
	uint16_t sigalgs[FP_MAX_SIGALGS];   /* signature_algorithms, in order */
	uint16_t versions[FP_MAX_VERSIONS]; /* supported_versions */
	uint8_t has_versions;		    /* supported_versions extension present */
	uint8_t alpn_len;		    /* length of the first ALPN protocol */
	uint8_t has_alpn;		    /* ALPN extension with a first protocol */
	uint8_t alpn[FP_MAX_ALPN];	    /* the first ALPN protocol */
	uint8_t truncated;		    /* a list was longer than its array */
};

/* Adds one value to a list, counting it only when there is room. */
static inline void fp_push16(uint16_t *arr, uint16_t *n, size_t cap, uint16_t v, uint8_t *trunc)
{
	if (*n < cap)
		arr[(*n)++] = v;
	else
		*trunc = 1;
}

/* The JA3 string "SSLVersion,Ciphers,Extensions,EllipticCurves,
 * EllipticCurvePointFormats" into buf (always NUL-terminated). Returns its
 * length, or the length it would have had when buf is too small. */
size_t fp_ja3_string(const struct fp_hello *h, char *buf, size_t n);

/* JA3: MD5 hex of the JA3 string into out (FP_MD5_HEX_LEN bytes). Returns 0,
 * or -1 when the digest failed (out is then ""). */
int fp_ja3(const struct fp_hello *h, char *out);

/* The JA3S string "SSLVersion,Cipher,Extensions" of a ServerHello. */
size_t fp_ja3s_string(uint16_t version, uint16_t cipher, const uint16_t *exts, size_t n_exts,
		      char *buf, size_t n);

/* JA3S: MD5 hex of the JA3S string into out (FP_MD5_HEX_LEN bytes). */
int fp_ja3s(uint16_t version, uint16_t cipher, const uint16_t *exts, size_t n_exts, char *out);

/* JA4 ("t13d1516h2_8daaf6152771_e5627efa2ab1") of a ClientHello over TCP into
 * out (FP_JA4_LEN bytes). Returns 0, or -1 when the digest failed. */
int fp_ja4(const struct fp_hello *h, char *out);

/* The two strings JA4's hashes are taken of (sorted ciphers; sorted
 * extensions "_" signature algorithms), for debugging and tests. */
size_t fp_ja4_cipher_string(const struct fp_hello *h, char *buf, size_t n);
size_t fp_ja4_ext_string(const struct fp_hello *h, char *buf, size_t n);

#endif
