/* cert.h — the facts of one server certificate: what a connection record
 * says about it (struct cert_facts), and how they are read from a parsed
 * leaf with OpenSSL (RFC 5280 §4.1 fields and extensions, RFC 6125 host
 * names, RFC 6698 DANE 3 1 1 pins).
 *
 * Chain validation, the trust store and the cache that calls these are
 * x509.h's. Every function here reads an X509 the caller parsed and owns;
 * none keeps a pointer to it or allocates anything that outlives the call.
 */
#ifndef SMTPTLS_CERT_H
#define SMTPTLS_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

/* Where the checked host name came from. */
enum cert_name_src { CERT_NAME_NONE, CERT_NAME_SNI, CERT_NAME_BANNER };

/* How the facts were obtained (cert_facts.source). */
enum cert_src { CERT_SRC_NONE, CERT_SRC_OBSERVED, CERT_SRC_INFERRED };

/* The certificates of a chain whose DANE digests are kept (leaf first). */
#define CERT_DANE_MAX 4

/* What a TLSA record (RFC 6698 §2.1) is compared with, for one certificate
 * of the chain: the digests of its DER (selector 0) and of its
 * SubjectPublicKeyInfo (selector 1), and what DANE-TA(2) needs to accept the
 * chain below a matched certificate (RFC 7672 §3.1.2). */
struct cert_dane_cert {
	uint8_t cert_sha256[32], cert_sha512[64];
	uint8_t spki_sha256[32], spki_sha512[64];
	uint8_t parsed;		       /* 0: the certificate did not parse, no digests */
	uint8_t issued_by_next;	       /* the next certificate's subject is this one's
				 * issuer and its key verifies this one's signature */
	int64_t not_before, not_after; /* seconds since the epoch, UTC */
};

struct cert_dane {
	uint8_t n; /* certificates described (the chain's first CERT_DANE_MAX) */
	struct cert_dane_cert c[CERT_DANE_MAX];
};

/* The facts of one connection's certificate: plain values, fixed size, copied
 * into the connection record. Strings are NUL-terminated, printable and valid
 * UTF-8, truncated to their buffer. sha256 is "" exactly when the leaf could
 * not be parsed (validation "unparsable"); the leaf fields are then empty. */
struct cert_facts {
	uint8_t present;	       /* 0: no certificate known (every other field zero/empty) */
	uint8_t source;		       /* enum cert_src */
	uint8_t chain_length;	       /* certificates the server sent */
	char subject[256];	       /* full subject, RFC 4514 one-line form ("CN=mx1,O=Org") */
	char san[512];		       /* SAN DNS and IP entries, comma-separated, truncated */
	char issuer[256];	       /* full issuer, RFC 4514 one-line form */
	char issuer_org[128];	       /* the issuer's first organizationName, "" if none */
	char serial[80];	       /* lower-case hex, no separators ("-" prefix if negative) */
	int64_t not_before, not_after; /* seconds since the epoch, UTC */
	char key_type[16];	       /* "RSA", "RSA-PSS", "DSA", "EC", "Ed25519", "Ed448", ... */
	uint16_t key_bits;	       /* EVP_PKEY_get_bits(): 2048, 256 (P-256, Ed25519) */
	char curve[32];		       /* EC only: NIST name ("P-256") or OpenSSL short name */
	char sig_alg[48];	       /* OpenSSL long name, "sha256WithRSAEncryption" */
	uint8_t weak_sig;	       /* signature digest is MD2, MD4, MD5 or SHA-1 */
	char sha256[65];	       /* SHA-256 of the leaf's DER, lower-case hex */
	char spki_sha256[65];	       /* SHA-256 of the SubjectPublicKeyInfo (DANE 3 1 1) */
	uint8_t is_ca;		       /* basicConstraints cA TRUE */
	uint32_t key_usage;	       /* X509_get_key_usage(): UINT32_MAX when absent */
	int8_t self_signed;	       /* 1 issuer == subject and the own signature verifies; 0 no;
			       -1 issuer == subject but the signature could not be checked */
	uint8_t self_issued_bad_sig; /* issuer == subject but the self-signature does not verify */
	char validation[48];	     /* "valid" or the reason (docs/certificates.md) */
	uint8_t expired;	     /* leaf not_after <= capture second (as OpenSSL judges) */
	char hostname_checked[256];  /* the name checked, "" if none */
	uint8_t hostname_source;     /* enum cert_name_src */
	int8_t hostname_match;	     /* 1, 0, or -1 when no name could be checked */
	struct cert_dane dane;	     /* what TLSA records are compared with */
};

/* Writes s to dst (size cap, NUL-terminated): valid UTF-8 is kept, control
 * characters and invalid bytes become '?', truncated before a character
 * that does not fit. */
void cert_set_text(char *dst, size_t cap, const char *s);

/* An ASN.1 time as seconds since the epoch, UTC. Returns 0, or -1 when t is
 * NULL or not a time. */
int cert_time(const ASN1_TIME *t, int64_t *out);

/* The facts of a parsed leaf (x NULL: one that did not parse) that depend on
 * neither the capture time nor the host name: *f is zeroed, then present,
 * chain_length (chain_n) and every leaf field are set; hostname_match is -1
 * and validation, expired and the host-name fields are left empty. */
void cert_leaf_facts(X509 *x, uint8_t chain_n, struct cert_facts *f);

/* The DANE digests and validity window of x (NULL: one that did not parse,
 * out->parsed = 0); issued_by_next is the caller's. Returns 0, or -1 when a
 * digest could not be computed (out->parsed = 0). */
int cert_dane_digests(X509 *x, struct cert_dane_cert *out);

/* Checks name against the leaf: 1 match, 0 no match, -1 nothing checked
 * (no leaf, empty name). An address literal ("192.0.2.1", "[192.0.2.1]",
 * "[IPv6:2001:db8::1]") is matched against iPAddress SANs, anything else
 * against DNS SANs, or the CN when there are none (RFC 6125 §6.4). */
int8_t cert_check_name(X509 *leaf, const char *name);

#endif
