/* mtasts.h — MTA-STS (RFC 8461): the policy file a domain serves at
 * https://mta-sts.<domain>/.well-known/mta-sts.txt (§3.2), the TXT record
 * that announces it at _mta-sts.<domain> (§3.1), and the TLS-RPT record at
 * _smtp._tls.<domain> (RFC 8460 §3).
 *
 * The parsers read bytes through the cursor and allocate nothing. A policy
 * is valid when it has version STSv1, a mode, max_age, and at least one mx
 * unless the mode is "none" (§3.2); unknown keys are ignored (§3.2), a
 * malformed line makes the policy invalid and says which line.
 */
#ifndef SMTPTLS_MTASTS_H
#define SMTPTLS_MTASTS_H

#include <stddef.h>
#include <stdint.h>

#define MTASTS_MAX_MX	   8 /* mx patterns kept; more are counted (mx_dropped) */
#define MTASTS_PATTERN_MAX 256
#define MTASTS_ID_MAX	   33 /* RFC 8461 §3.1: 1 to 32 alphanumeric characters + NUL */
#define MTASTS_RUA_MAX	   256

enum mtasts_mode { MTASTS_MODE_NONE = 0, MTASTS_MODE_TESTING, MTASTS_MODE_ENFORCE };

struct mtasts_policy {
	uint8_t mode;	  /* enum mtasts_mode */
	uint32_t max_age; /* seconds, at most 31557600 (§3.2) */
	uint8_t nmx;
	uint8_t mx_dropped;			    /* patterns beyond MTASTS_MAX_MX */
	char mx[MTASTS_MAX_MX][MTASTS_PATTERN_MAX]; /* lower-case, "*.example.net" allowed */
};

/* Parses a policy file of n bytes (lines end in CRLF or LF, §3.2). Returns 0,
 * or -1 with the 1-based line number of the first fault in *bad_line (0 when
 * the fault is a missing key) and a short reason in err. */
int mtasts_policy_parse(const uint8_t *p, size_t n, struct mtasts_policy *out, unsigned *bad_line,
			char *err, size_t errlen);

/* Parses the text of an _mta-sts TXT record ("v=STSv1; id=20160831085700Z;").
 * Returns 0 and the id, or -1 when it is not a valid STSv1 record (§3.1). */
int mtasts_txt_parse(const char *txt, char id[MTASTS_ID_MAX]);

/* Parses the text of an _smtp._tls TXT record ("v=TLSRPTv1; rua=mailto:...").
 * Returns 0 and the rua value (truncated to fit), or -1 when it is not a
 * valid TLSRPTv1 record (RFC 8460 §3). */
int mtasts_tlsrpt_parse(const char *txt, char rua[MTASTS_RUA_MAX]);

/* Whether host (lower-case, no final dot) matches one of the policy's mx
 * patterns: exactly, or "*.example.net" matching one leftmost label
 * (RFC 8461 §4.1). */
int mtasts_mx_match(const struct mtasts_policy *pol, const char *host);

/* "none", "testing", "enforce". */
const char *mtasts_mode_name(enum mtasts_mode m);

#endif
