/* rec_policy.h — the policy dry-run of one connection (record key "policy",
 * docs/policy.md): the outcome the connection would have had under each
 * TLS policy an MTA can enforce, and why not, with the TLS-RPT result type
 * (RFC 8460 §4.3) where one fits.
 *
 * Judged beside the record by the detectors (stats/sinks/policy.h), since
 * two policies need what only they know: the direction (--local-net) and
 * the history of the server. Plain, fixed-size data.
 */
#ifndef SMTPTLS_REC_POLICY_H
#define SMTPTLS_REC_POLICY_H

#include <stdint.h>

/* The policies, in the record's and the snapshot's order. */
enum rec_pol {
	REC_POL_REQUIRE_STARTTLS = 0, /* inbound: Postfix smtpd_tls_security_level=encrypt */
	REC_POL_ENCRYPT,	      /* outbound: TLS mandatory, any certificate */
	REC_POL_VERIFY,		      /* outbound: chain valid, name = MX host or SNI */
	REC_POL_DANE,		      /* outbound: RFC 7672 */
	REC_POL_MTA_STS,	      /* outbound: RFC 8461, enforce-mode domains */
	REC_POL_HISTORY, /* outbound: a host that did TLS / validated before must again */
	REC_POL_COUNT
};

/* The outcome under one policy. */
enum rec_pol_result {
	REC_POL_NA = 0, /* the policy does not apply (direction, no policy published) */
	REC_POL_PASS,	/* the connection would have gone through */
	REC_POL_FAIL,	/* it would have been refused (reason says why) */
	REC_POL_UNKNOWN, /* the facts needed are missing (no DNS data, TLS 1.3 hid the certificate) */
	REC_POL_RESULT_COUNT
};

/* Why a connection fails a policy: the TLS-RPT result types of RFC 8460
 * §4.3 where one fits, then reasons of our own. */
enum rec_pol_reason {
	REC_POL_R_NONE = 0,
	REC_POL_R_STARTTLS_NOT_SUPPORTED,    /* "starttls-not-supported" */
	REC_POL_R_CERTIFICATE_EXPIRED,	     /* "certificate-expired" */
	REC_POL_R_CERTIFICATE_HOST_MISMATCH, /* "certificate-host-mismatch" */
	REC_POL_R_CERTIFICATE_NOT_TRUSTED,   /* "certificate-not-trusted" */
	REC_POL_R_VALIDATION_FAILURE,	     /* "validation-failure" */
	REC_POL_R_TLSA_INVALID,		     /* "tlsa-invalid" */
	REC_POL_R_DNSSEC_INVALID,	     /* "dnssec-invalid" */
	REC_POL_R_DANE_REQUIRED,	     /* "dane-required" */
	REC_POL_R_STS_POLICY_INVALID,	     /* "sts-policy-invalid" (mx pattern mismatch) */
	REC_POL_R_STS_WEBPKI_INVALID,	     /* "sts-webpki-invalid" */
	REC_POL_R_STARTTLS_NOT_USED,	     /* the client did not ask for TLS (inbound) */
	REC_POL_R_HANDSHAKE_FAILED,	     /* STARTTLS accepted, no handshake completed */
	REC_POL_R_NO_LONGER_OFFERED,	     /* history: STARTTLS offered before, not now */
	REC_POL_R_NO_LONGER_VALID,	     /* history: a valid chain before, not now */
	REC_POL_R_COUNT
};

/* The direction the policies were judged for (--local-net; the statistics'
 * by_direction). Unknown without --local-net: every policy is then judged
 * for every connection. */
enum rec_pol_dir {
	REC_POL_DIR_UNKNOWN = 0,
	REC_POL_DIR_INBOUND,  /* remote client, local server */
	REC_POL_DIR_OUTBOUND, /* local client, remote server */
	REC_POL_DIR_INTERNAL, /* both local */
	REC_POL_DIR_EXTERNAL, /* neither local */
	REC_POL_DIR_COUNT
};

struct rec_policy {
	uint8_t judged;		       /* 0: no dry-run (the record has no "policy" key) */
	uint8_t direction;	       /* enum rec_pol_dir */
	uint8_t result[REC_POL_COUNT]; /* enum rec_pol_result */
	uint8_t reason[REC_POL_COUNT]; /* enum rec_pol_reason */
};

/* "require-starttls", "encrypt", "verify", "dane", "mta-sts", "history". */
const char *rec_pol_name(enum rec_pol p);
/* "not_applicable", "pass", "fail", "unknown". */
const char *rec_pol_result_name(enum rec_pol_result r);
/* "starttls-not-supported", ..., "no-longer-valid"; NULL for REC_POL_R_NONE. */
const char *rec_pol_reason_name(enum rec_pol_reason r);
/* "unknown", "inbound", "outbound", "internal", "external". */
const char *rec_pol_dir_name(enum rec_pol_dir d);

#endif
