/* ciphers.h — the TLS cipher-suite registry (every IANA-assigned value, from
 * shared/iana/tls-cipher-suites.csv) with the facts a strength grade is
 * derived from, and the names of supported groups and signature schemes.
 * Unknown values are never an error: they are named by number. The grading is
 * documented in docs/ciphers.md.
 */
#ifndef SMTPTLS_CIPHERS_H
#define SMTPTLS_CIPHERS_H

#include <stddef.h>
#include <stdint.h>

/* A buffer of this size holds any text the *_name() functions write. */
#define SUITE_NAME_BUF 24

enum suite_grade {
	SUITE_GRADE_UNKNOWN = 0, /* not in the registry */
	SUITE_GRADE_INSECURE,	 /* NULL, anon, EXPORT, RC4, DES, MD5 MAC */
	SUITE_GRADE_WEAK,	 /* 3DES, static RSA key exchange, CBC-SHA1 before TLS 1.2 */
	SUITE_GRADE_STRONG,	 /* forward secrecy + AEAD */
	SUITE_GRADE_MODERN,	 /* TLS 1.3 suites */
	SUITE_GRADE_OTHER,	 /* assigned, none of the above (e.g. FS + CBC on TLS 1.2) */
};

/* One registry entry, decomposed from its IANA name (docs/ciphers.md lists
 * every value a field takes). The strings are static; nothing is owned. A
 * signalling value (scsv) has "SCSV" in every string field. */
struct suite_info {
	uint16_t id;
	const char *name;   /* IANA name, e.g. "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
	const char *kx;	    /* key exchange: "RSA", "ECDHE", "DHE", "PSK", "TLS13", ... */
	const char *auth;   /* authentication: "RSA", "ECDSA", "anon", "PSK", "TLS13", ... */
	const char *cipher; /* "AES_128", "CHACHA20", "3DES_EDE", "RC4_128", "NULL", ... */
	const char *mode;   /* "GCM", "CCM", "CCM_8", "CBC", "POLY1305", "stream", "NULL", ... */
	const char *mac;    /* "AEAD", "SHA", "SHA256", "MD5", ... */
	uint16_t key_bits;  /* symmetric key bits (0 for NULL) */
	uint8_t fs;	    /* forward secrecy */
	uint8_t aead;	    /* an AEAD cipher (GCM, CCM, POLY1305, MGM, AEGIS) */
	uint8_t export_;    /* an EXPORT suite */
	uint8_t scsv;	    /* a signalling value, not a suite (0x00FF, 0x5600) */
};

/* The registry entry of a suite, or NULL when the value is not assigned. */
const struct suite_info *suite_lookup(uint16_t id);

/* Every registry entry, sorted by id; *count receives how many. */
const struct suite_info *suite_all(size_t *count);

/* The grade of suite id negotiated under TLS version `version` (0x0300 ...
 * 0x0304); CBC-SHA1 is weak only when the version is known to be below
 * TLS 1.2 (pass 0 when it is not known). Signalling values (SCSV) grade as
 * "other"; values not in the registry as SUITE_GRADE_UNKNOWN. */
enum suite_grade suite_grade(uint16_t id, uint16_t version);

/* "insecure", "weak", "strong", "modern", "other", "unknown". */
const char *suite_grade_name(enum suite_grade g);

/* Every *_name() function below returns either a static string or buf, and
 * writes buf only for a value without a name (never more than n bytes, always
 * NUL-terminated when n > 0). SUITE_NAME_BUF bytes are always enough. */

/* The IANA name, or "0xC0FF" style text written into buf (>= 8 bytes). */
const char *suite_name(uint16_t id, char *buf, size_t n);

/* The name of an SSLv2 CIPHER-SPEC (3 bytes, draft-hickman-netscape-ssl-00),
 * e.g. 0x010080 "SSL_CK_RC4_128_WITH_MD5". Kinds 0x00XXXX carry TLS suite
 * XXXX in an SSLv2-compatible ClientHello (RFC 5246 E.2) and get the TLS
 * suite's name; anything else is written as "0x0700C1" into buf (>= 9 bytes). */
const char *suite_sslv2_name(uint32_t kind, char *buf, size_t n);

/* Whether v is a GREASE value (RFC 8701: 0x0A0A, 0x1A1A, ... 0xFAFA). */
static inline int suite_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Supported group (named curve / FFDHE group) name, e.g. "x25519",
 * "secp256r1", "ffdhe2048", "X25519MLKEM768"; or "0x001D" style in buf. */
const char *suite_group_name(uint16_t id, char *buf, size_t n);

/* Whether a supported group is post-quantum: an ML-KEM group (pure, or a
 * hybrid with ECDH such as X25519MLKEM768 0x11EC) or one of the pre-standard
 * Kyber hybrids. Decided from the registry name (it contains "MLKEM" or
 * "Kyber"); an unassigned value is not. */
int suite_group_is_pq(uint16_t id);

/* Signature scheme name, e.g. "rsa_pss_rsae_sha256". The TLS 1.2
 * (hash, signature) pairs the registry reserves are named too, e.g. 0x0402
 * "dsa_sha256", 0x0301 "rsa_pkcs1_sha224" (RFC 5246 7.4.1.4.1); anything else
 * "0x0804" style in buf. */
const char *suite_sigscheme_name(uint16_t id, char *buf, size_t n);

/* TLS version text: "SSLv2", "SSLv3", "TLSv1.0" ... "TLSv1.3", the TLS 1.3
 * drafts 0x7FNN as "TLSv1.3-draftNN" (decimal NN, written into buf), DTLS
 * "DTLSv1.0", "DTLSv1.2", "DTLSv1.3"; GREASE and anything else "0x0A0A" style
 * in buf. Give buf SUITE_NAME_BUF bytes; a shorter one truncates. */
const char *suite_version_name(uint16_t v, char *buf, size_t n);

#endif
