/* cert.c — the facts of a server certificate's leaf with OpenSSL: names
 * and SANs (RFC 5280 §4.1.2.4, §4.1.2.6, §4.2.1.6), serial, validity
 * (§4.1.2.5), key and signature algorithm (§4.1.2.3, §4.1.2.7), basic
 * constraints and key usage (§4.2.1.9, §4.2.1.3), self-signature (§3.2),
 * DANE 3 1 1 digest (RFC 6698 §2.1), host names (RFC 6125 §6.4 through
 * X509_check_host).
 *
 * Certificates are parsed by the caller with d2i_X509(); no ASN.1 is read
 * by hand here. Text taken from a certificate is made printable UTF-8.
 */
#include "dissectors/proto/cert.h"

#include "dissectors/base/civil.h"
#include "dissectors/base/hex.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ---- text ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t cert_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/* Appends text from a certificate to dst (size cap, NUL-terminated, *pos
 * bytes used): valid UTF-8 is kept, control characters and invalid bytes
 * become '?', and so does ',' when list is set (it separates list items).
 * Stops before a character that does not fit; returns 0 when all fitted. */
static int cert_text(char *dst, size_t cap, size_t *pos, const unsigned char *s, size_t n, int list)
{
	size_t i = 0;
	while (i < n) {
		size_t l = cert_utf8_len(s + i, n - i);
		const unsigned char *from = s + i;
		unsigned char q = '?';
		size_t w = l;
		if (l == 0 || (l == 1 && (s[i] < 0x20 || s[i] == 0x7F || (list && s[i] == ',')))) {
			from = &q;
			w = 1;
			l = l ? l : 1;
		}
		if (*pos + w >= cap) {
			dst[*pos] = '\0';
			return -1;
		}
		memcpy(dst + *pos, from, w);
		*pos += w;
		i += l;
	}
	dst[*pos] = '\0';
	return 0;
}

void cert_set_text(char *dst, size_t cap, const char *s)
{
	size_t pos = 0;
	dst[0] = '\0';
	(void)cert_text(dst, cap, &pos, (const unsigned char *)s, strlen(s), 0);
}

int cert_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = civil_to_time((int64_t)tm.tm_year + 1900, (int64_t)tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

/* ---- leaf facts ---- */

/* RFC 4514 one-line form (most specific RDN first). OpenSSL escapes
 * non-ASCII and control bytes as \XX, so the result is plain ASCII. */
static void cert_name_line(const X509_NAME *nm, char *dst, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	dst[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0) {
		long n = BIO_get_mem_data(b, &data);
		size_t pos = 0;
		if (n > 0 && data)
			(void)cert_text(dst, cap, &pos, (const unsigned char *)data, (size_t)n, 0);
	}
	BIO_free(b);
}

static void cert_issuer_org(const X509_NAME *nm, char *dst, size_t cap)
{
	dst[0] = '\0';
	int i = X509_NAME_get_index_by_NID(nm, NID_organizationName, -1);
	if (i < 0)
		return;
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i));
	unsigned char *utf8 = NULL;
	int n = s ? ASN1_STRING_to_UTF8(&utf8, s) : -1;
	if (n >= 0 && utf8) {
		size_t pos = 0;
		(void)cert_text(dst, cap, &pos, utf8, (size_t)n, 0);
	}
	OPENSSL_free(utf8);
}

/* SAN dNSName and iPAddress entries (RFC 5280 §4.2.1.6), comma-separated,
 * whole entries only. */
static void cert_san(X509 *x, char *dst, size_t cap)
{
	size_t pos = 0;
	dst[0] = '\0';
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (!gens)
		return;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char ip[INET6_ADDRSTRLEN];
		const unsigned char *s = NULL;
		size_t n = 0;
		if (g->type == GEN_DNS) {
			s = ASN1_STRING_get0_data(g->d.dNSName);
			n = (size_t)ASN1_STRING_length(g->d.dNSName);
		} else if (g->type == GEN_IPADD) {
			int l = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
			if ((l != 4 && l != 16) ||
			    !inet_ntop(l == 4 ? AF_INET : AF_INET6, a, ip, sizeof(ip)))
				continue;
			s = (const unsigned char *)ip;
			n = strlen(ip);
		} else {
			continue;
		}
		size_t before = pos;
		if ((pos > 0 && cert_text(dst, cap, &pos, (const unsigned char *)",", 1, 0) != 0) ||
		    cert_text(dst, cap, &pos, s, n, 1) != 0) {
			dst[before] = '\0'; /* the entry did not fit: leave it out */
			break;
		}
	}
	GENERAL_NAMES_free(gens);
}

static void cert_serial(const X509 *x, char *dst, size_t cap)
{
	dst[0] = '\0';
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	if (hex) {
		size_t i;
		for (i = 0; hex[i] && i + 1 < cap; i++)
			dst[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a'
								       : hex[i]);
		dst[i] = '\0';
	}
	OPENSSL_free(hex);
	BN_free(bn);
}

static const char *cert_key_name(int id)
{
	switch (id) {
	case EVP_PKEY_RSA: return "RSA";
	case EVP_PKEY_RSA_PSS: return "RSA-PSS";
	case EVP_PKEY_DSA: return "DSA";
	case EVP_PKEY_EC: return "EC";
	case EVP_PKEY_ED25519: return "Ed25519";
	case EVP_PKEY_ED448: return "Ed448";
	case EVP_PKEY_X25519: return "X25519";
	case EVP_PKEY_X448: return "X448";
	case EVP_PKEY_DH:
	case EVP_PKEY_DHX: return "DH";
	case EVP_PKEY_SM2: return "SM2";
	default: return NULL;
	}
}

static void cert_key(X509 *x, struct cert_facts *f)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	if (!pk) {
		/* A key OpenSSL cannot decode: name its algorithm from the SPKI. */
		ASN1_OBJECT *alg = NULL;
		X509_PUBKEY *xp = X509_get_X509_PUBKEY(x);
		char buf[64];
		cert_set_text(f->key_type, sizeof(f->key_type), "unknown");
		if (xp && X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, xp) && alg &&
		    OBJ_obj2txt(buf, sizeof(buf), alg, 0) > 0)
			cert_set_text(f->key_type, sizeof(f->key_type), buf);
		return;
	}
	int id = EVP_PKEY_get_base_id(pk);
	const char *name = cert_key_name(id);
	if (!name)
		name = EVP_PKEY_get0_type_name(pk);
	cert_set_text(f->key_type, sizeof(f->key_type), name ? name : "unknown");
	int bits = EVP_PKEY_get_bits(pk);
	f->key_bits = (uint16_t)(bits <= 0 ? 0 : bits > UINT16_MAX ? UINT16_MAX : bits);
	if (id == EVP_PKEY_EC) {
		char grp[64];
		size_t gl = 0;
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, grp, sizeof(grp),
						   &gl)) {
			const char *nist = EC_curve_nid2nist(OBJ_sn2nid(grp));
			cert_set_text(f->curve, sizeof(f->curve), nist ? nist : grp);
		} else {
			cert_set_text(f->curve, sizeof(f->curve), "explicit");
		}
	}
}

static int cert_weak_md(int md)
{
	return md == NID_md2 || md == NID_md4 || md == NID_md5 || md == NID_sha1 ||
	       md == NID_md5_sha1;
}

static void cert_sig(X509 *x, struct cert_facts *f, int *known)
{
	int nid = X509_get_signature_nid(x);
	int md = NID_undef, pkn = NID_undef, secbits = 0;
	uint32_t fl = 0;
	*known = 0;
	if (nid != NID_undef) {
		cert_set_text(f->sig_alg, sizeof(f->sig_alg), OBJ_nid2ln(nid));
		*known = OBJ_find_sigid_algs(nid, &md, &pkn);
	} else {
		const X509_ALGOR *alg = NULL;
		const ASN1_OBJECT *obj = NULL;
		char buf[64];
		X509_get0_signature(NULL, &alg, x);
		if (alg)
			X509_ALGOR_get0(&obj, NULL, NULL, alg);
		if (obj && OBJ_obj2txt(buf, sizeof(buf), obj, 1) > 0)
			cert_set_text(f->sig_alg, sizeof(f->sig_alg), buf);
	}
	/* X509_get_signature_info() also reads RSA-PSS parameters. */
	if (!X509_get_signature_info(x, &md, &pkn, &secbits, &fl) && !*known)
		md = NID_undef;
	f->weak_sig = (uint8_t)cert_weak_md(md);
}

static void cert_digests(X509 *x, struct cert_facts *f)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) && mdlen == 32)
		hex_encode(md, 32, f->sha256);
	/* DANE selector 1 is the whole SubjectPublicKeyInfo (RFC 6698 §2.1.3),
	 * not just the key bits that X509_pubkey_digest() hashes. */
	unsigned char *spki = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	if (n > 0 && EVP_Digest(spki, (size_t)n, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32)
		hex_encode(md, 32, f->spki_sha256);
	OPENSSL_free(spki);
}

/* Self-signed: issuer equals subject AND the certificate's own key verifies
 * its signature. Equal names alone are "self-issued" (RFC 5280 §3.2); when
 * the signature then fails, that is reported apart. */
static void cert_self(X509 *x, int sig_known, struct cert_facts *f)
{
	f->self_signed = 0;
	if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) != 0)
		return;
	EVP_PKEY *pk = X509_get0_pubkey(x);
	int r = pk ? X509_verify(x, pk) : -1;
	if (r == 1)
		f->self_signed = 1;
	else if (!pk || !sig_known)
		f->self_signed = -1; /* nothing to check the signature with */
	else
		f->self_issued_bad_sig = 1;
}

/* The facts of a parsed leaf (or of none) that depend on neither the
 * capture time nor the host name. */
void cert_leaf_facts(X509 *x, uint8_t chain_n, struct cert_facts *f)
{
	int sig_known = 0;
	memset(f, 0, sizeof(*f));
	f->present = 1;
	f->chain_length = chain_n;
	f->hostname_match = -1;
	if (!x)
		return;
	cert_name_line(X509_get_subject_name(x), f->subject, sizeof(f->subject));
	cert_name_line(X509_get_issuer_name(x), f->issuer, sizeof(f->issuer));
	cert_issuer_org(X509_get_issuer_name(x), f->issuer_org, sizeof(f->issuer_org));
	cert_san(x, f->san, sizeof(f->san));
	cert_serial(x, f->serial, sizeof(f->serial));
	(void)cert_time(X509_get0_notBefore(x), &f->not_before);
	(void)cert_time(X509_get0_notAfter(x), &f->not_after);
	cert_key(x, f);
	cert_sig(x, f, &sig_known);
	cert_digests(x, f);
	uint32_t xf = X509_get_extension_flags(x);
	f->is_ca = (uint8_t)((xf & EXFLAG_BCONS) && (xf & EXFLAG_CA));
	f->key_usage = X509_get_key_usage(x);
	cert_self(x, sig_known, f);
}

/* ---- host name ---- */

/* 1 match, 0 no match, -1 nothing checked. An address literal ("192.0.2.1",
 * RFC 5321 §4.1.3 "[192.0.2.1]" or "[IPv6:2001:db8::1]") is matched against
 * iPAddress SANs, anything else with X509_check_host (RFC 6125 §6.4: DNS
 * SANs, the CN only when there are none, one left-most wildcard label). */
int8_t cert_check_name(X509 *leaf, const char *name)
{
	char ip[64];
	unsigned char bin[16];
	size_t n = strlen(name);
	if (!leaf)
		return -1;
	if (n >= 2 && name[0] == '[' && name[n - 1] == ']') {
		const char *s = name + 1;
		size_t l = n - 2;
		if (l >= 5 && strncasecmp(s, "IPv6:", 5) == 0) {
			s += 5;
			l -= 5;
		}
		if (l >= sizeof(ip))
			return -1;
		memcpy(ip, s, l);
		ip[l] = '\0';
	} else if (n < sizeof(ip)) {
		memcpy(ip, name, n + 1);
	} else {
		ip[0] = '\0';
	}
	if (ip[0] && (inet_pton(AF_INET, ip, bin) == 1 || inet_pton(AF_INET6, ip, bin) == 1)) {
		int r = X509_check_ip_asc(leaf, ip, 0);
		return (int8_t)(r == 1 ? 1 : r == 0 ? 0 : -1);
	}
	if (n > 0 && name[n - 1] == '.') /* a fully qualified name's root dot */
		n--;
	if (n == 0)
		return -1;
	int r = X509_check_host(leaf, name, n, 0, NULL);
	return (int8_t)(r == 1 ? 1 : r == 0 ? 0 : -1);
}

int cert_dane_digests(X509 *x, struct cert_dane_cert *out)
{
	unsigned int l1 = 0, l2 = 0, l3 = 0, l4 = 0;
	unsigned char *spki = NULL;
	memset(out, 0, sizeof(*out));
	if (!x)
		return 0;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	int ok = n > 0 && X509_digest(x, EVP_sha256(), out->cert_sha256, &l1) && l1 == 32 &&
		 X509_digest(x, EVP_sha512(), out->cert_sha512, &l2) && l2 == 64 &&
		 EVP_Digest(spki, (size_t)n, out->spki_sha256, &l3, EVP_sha256(), NULL) &&
		 l3 == 32 &&
		 EVP_Digest(spki, (size_t)n, out->spki_sha512, &l4, EVP_sha512(), NULL) && l4 == 64;
	OPENSSL_free(spki);
	if (!ok) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	if (cert_time(X509_get0_notBefore(x), &out->not_before) != 0 ||
	    cert_time(X509_get0_notAfter(x), &out->not_after) != 0) {
		out->not_before = INT64_MAX; /* never valid: a DANE-TA chain through it fails */
		out->not_after = INT64_MIN;
	}
	out->parsed = 1;
	return 0;
}
