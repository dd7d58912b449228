/* anomalies.h — the anomaly catalogue, once: every type with its name in
 * records and snapshots, its default severity and a one-line summary.
 * docs/anomalies.md describes each type at length;
 * tests/check_anomalies_doc.py checks that it lists exactly these names with
 * these default severities.
 *
 * X(ID, name, severity, summary): ID gives REC_A_ID in enum rec_anom and
 * severity REC_SEV_severity; the order is the enum's order. A detector
 * raises a type at its default severity unless the case calls for another
 * (docs/anomalies.md names those cases).
 */
#ifndef SMTPTLS_ANOMALIES_H
#define SMTPTLS_ANOMALIES_H

/* clang-format off */
#define ANOMALIES(X) \
	X(STARTTLS_COMMAND_INJECTION, "starttls_command_injection", HIGH, \
	  "the client sent bytes after STARTTLS and before the handshake (command injection)") \
	X(STARTTLS_RESPONSE_INJECTION, "starttls_response_injection", HIGH, \
	  "the server sent bytes after its 220 to STARTTLS and before the handshake") \
	X(PLAINTEXT_AFTER_STARTTLS, "plaintext_after_starttls", HIGH, \
	  "STARTTLS was accepted, but the client carried on in plain text") \
	X(SMTP_LINE_TOO_LONG, "smtp_line_too_long", LOW, \
	  "a command or reply line longer than 4096 bytes") \
	X(STARTTLS_CAPABILITY_CORRUPTED, "starttls_capability_corrupted", HIGH, \
	  "the STARTTLS capability was mangled in the EHLO reply (stripping)") \
	X(STARTTLS_COMMAND_CORRUPTED, "starttls_command_corrupted", HIGH, \
	  "the client's STARTTLS reached the server mangled") \
	X(EHLO_DOWNGRADED, "ehlo_downgraded", MEDIUM, \
	  "the server rejected EHLO and the client fell back to HELO: no STARTTLS possible") \
	X(STARTTLS_CAPABILITY_MISSING, "starttls_capability_missing", HIGH, \
	  "a server that offered STARTTLS in an earlier connection no longer did") \
	X(STARTTLS_REFUSED, "starttls_refused", MEDIUM, \
	  "the client asked for STARTTLS and the server refused") \
	X(STARTTLS_NOT_USED, "starttls_not_used", INFO, \
	  "STARTTLS was offered, but the client stayed in plain text") \
	X(TLS_HANDSHAKE_FAILED, "tls_handshake_failed", MEDIUM, \
	  "TLS was agreed, but the handshake did not complete") \
	X(PLAINTEXT_FALLBACK, "plaintext_fallback", HIGH, \
	  "a failed or refused TLS attempt was followed by a plain-text retry") \
	X(TLS_VERSION_DOWNGRADE, "tls_version_downgrade", HIGH, \
	  "signs that the TLS version was pushed down") \
	X(CERTIFICATE_CHANGED, "certificate_changed", MEDIUM, \
	  "the server presented a different certificate key") \
	X(AUTH_IN_PLAINTEXT, "auth_in_plaintext", HIGH, \
	  "AUTH before TLS: the credentials crossed the network in clear") \
	X(WEAK_TLS, "weak_tls", MEDIUM, \
	  "an old TLS version, or a weak or insecure cipher suite") \
	X(DANE_MISMATCH, "dane_mismatch", HIGH, \
	  "the certificate chain matches none of the MX host's secure TLSA records") \
	X(DANE_DOWNGRADE, "dane_downgrade", HIGH, \
	  "no TLS to an MX host with secure TLSA records: a DANE sender would have refused") \
	X(MTA_STS_VIOLATION, "mta_sts_violation", HIGH, \
	  "plain text or an invalid certificate to an MX host of an MTA-STS domain") \
	X(DNSSEC_BOGUS_TLSA, "dnssec_bogus_tlsa", MEDIUM, \
	  "the validating resolver failed the MX host's TLSA lookup (bogus DNSSEC)") \
	X(PQ_INTOLERANCE, "pq_intolerance", MEDIUM, \
	  "a ClientHello with a post-quantum key share went unanswered; the retry without one got through") \
	X(STARTTLS_REPLY_UNEXPECTED, "starttls_reply_unexpected", HIGH, \
	  "an advertised STARTTLS got a reply code RFC 3207 does not give it (rewritten on the path)")
/* clang-format on */

enum rec_severity { REC_SEV_INFO = 0, REC_SEV_LOW, REC_SEV_MEDIUM, REC_SEV_HIGH };

/* Per-connection anomalies (docs/anomalies.md). */
enum rec_anom {
#define REC_ANOM_ENUM(id, name, sev, summary) REC_A_##id,
	ANOMALIES(REC_ANOM_ENUM)
#undef REC_ANOM_ENUM
		REC_A_COUNT
};

/* One entry of the catalogue. */
struct rec_anom_info {
	const char *name;	    /* "starttls_command_injection", ... */
	enum rec_severity severity; /* the default */
	const char *summary;	    /* one line */
};

/* The entry of a type; NULL for a value outside the enum. */
const struct rec_anom_info *rec_anom_info(enum rec_anom a);

/* The entry of a name; NULL when the catalogue has no such type. */
const struct rec_anom_info *rec_anom_by_name(const char *name);

#endif
