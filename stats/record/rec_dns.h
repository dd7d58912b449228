/* rec_dns.h — the DNS facts of one connection (record key "dns",
 * docs/schema.md, docs/dns.md): which MX host the server is, for which
 * recipient domains, what its TLSA records say and whether the certificate
 * matches them (RFC 7672), and whether an MTA-STS sender would have accepted
 * the connection (RFC 8461 §4).
 *
 * Plain, fixed-size data, filled once when the record is built (by the
 * session layer, analyzer/session/dane.h) and read-only afterwards.
 */
#ifndef SMTPTLS_REC_DNS_H
#define SMTPTLS_REC_DNS_H

#include <stdint.h>

#include "dissectors/proto/dns.h"
#include "dissectors/proto/mtasts.h"

#define REC_DNS_MAX_DOMAINS 4
#define REC_DNS_MAX_TLSA    8

/* What is known of the TLSA records (the view's enum dnsv_state). */
enum rec_tlsa_state { REC_TLSA_UNSEEN = 0, REC_TLSA_PRESENT, REC_TLSA_ABSENT, REC_TLSA_FAILED };

/* Their DNSSEC state (the view's enum dnsv_sec). */
enum rec_dnssec { REC_DNSSEC_INSECURE = 0, REC_DNSSEC_SECURE, REC_DNSSEC_BOGUS };

/* Where the MX host name came from. */
enum rec_mx_src {
	REC_MX_NONE = 0, /* not known */
	REC_MX_SNI,	 /* the client's SNI (Postfix with DANE sends the MX host) */
	REC_MX_DNS,	 /* the server address was in the A/AAAA records of an MX host */
};

/* The DANE result (RFC 7672 §3; docs/dns.md says when each is given). */
enum rec_dane {
	REC_DANE_NONE = 0, /* no TLSA records known for the MX host */
	REC_DANE_MATCH,	   /* a usable record matched the chain */
	REC_DANE_MISMATCH, /* usable records exist, none matched */
	REC_DANE_UNUSABLE, /* TLSA records exist, none usable for SMTP (§3.1.3) */
	REC_DANE_INSECURE, /* TLSA records not DNSSEC-authenticated (§2.2) */
	REC_DANE_BOGUS,	   /* the validating resolver failed (SERVFAIL) */
	REC_DANE_UNKNOWN,  /* usable secure records, but no certificate visible */
	REC_DANE_NO_TLS,   /* usable secure records, and no TLS handshake at all */
	REC_DANE_COUNT
};

/* The MTA-STS result (RFC 8461 §4, §5). */
enum rec_sts {
	REC_STS_NONE = 0, /* no policy known for any candidate domain */
	REC_STS_PASS,	  /* an enforcing sender would have delivered */
	REC_STS_FAIL,	  /* ... would have refused (reason says why) */
	REC_STS_UNKNOWN,  /* a policy exists, but the certificate is not visible */
	REC_STS_COUNT
};

/* Why an MTA-STS check failed. */
enum rec_sts_why {
	REC_STS_WHY_NONE = 0,
	REC_STS_WHY_NO_TLS,	 /* plain text, STARTTLS refused or failed */
	REC_STS_WHY_MX_MISMATCH, /* the MX host matches no mx pattern (§4.1) */
	REC_STS_WHY_CHAIN,	 /* the chain does not validate under the trust store */
	REC_STS_WHY_NAME,	 /* the certificate does not name the MX host (§4.2) */
	REC_STS_WHY_EXPIRED,	 /* the certificate had expired */
	REC_STS_WHY_COUNT
};

struct rec_dns {
	uint8_t present; /* 0: no DNS data in this run: the record has no "dns" key */
	uint8_t mx_src;	 /* enum rec_mx_src */
	char mx_host[DNS_NAME_MAX];
	uint8_t ndomains;
	char domains[REC_DNS_MAX_DOMAINS][DNS_NAME_MAX]; /* candidate recipient domains */
	/* TLSA at _25._tcp.<mx_host> */
	uint8_t tlsa_state; /* enum rec_tlsa_state */
	uint8_t tlsa_sec;   /* enum rec_dnssec */
	uint8_t tlsa_given; /* from --dns-data rather than from the capture */
	uint8_t ntlsa;
	struct dns_tlsa tlsa[REC_DNS_MAX_TLSA];
	uint8_t dane;		     /* enum rec_dane */
	int8_t dane_matched;	     /* index into tlsa[] of the record that matched, -1 */
	uint8_t dane_cert;	     /* a certificate was known (observed or inferred) */
	uint8_t dane_cert_inferred;  /* ... and it was inferred (TLS 1.3) */
	uint8_t dane_ee_covers_cert; /* a DANE-EE match: WebPKI name, date and chain
				      * alarms do not apply to this server (§3.1.1) */
	/* MTA-STS */
	char sts_domain[DNS_NAME_MAX]; /* the domain whose policy was applied */
	char sts_txt_id[MTASTS_ID_MAX];
	uint8_t sts_policy_known;
	struct mtasts_policy sts_policy;
	uint8_t sts;	 /* enum rec_sts */
	uint8_t sts_why; /* enum rec_sts_why */
	char tlsrpt_rua[MTASTS_RUA_MAX];
};

/* "none", "match", ... */
const char *rec_dane_name(enum rec_dane d);
const char *rec_sts_name(enum rec_sts s);
const char *rec_sts_why_name(enum rec_sts_why w);
const char *rec_mx_src_name(enum rec_mx_src s);
const char *rec_tlsa_state_name(enum rec_tlsa_state s);
const char *rec_dnssec_name(enum rec_dnssec s);

#endif
