/* record.h — the connection record: one immutable summary per TCP connection
 * on a mail port, built when the connection ends and handed to every sink by
 * const pointer, plain data. The detectors' findings travel beside it in a
 * struct rec_verdict. docs/schema.md documents its JSON form (schema version
 * REC_SCHEMA_VERSION): rec_fields.h lists its fields, rec_json.h writes them.
 */
#ifndef SMTPTLS_RECORD_H
#define SMTPTLS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "dissectors/proto/anon.h"
#include "dissectors/proto/smtp.h"
#include "dissectors/proto/tls.h"
#include "dissectors/proto/x509.h"
#include "stats/record/anomalies.h"
#include "stats/record/rec_dns.h"
#include "stats/record/rec_policy.h"

#define REC_SCHEMA_VERSION 2

enum rec_end {
	REC_END_FIN = 0, /* FIN from both sides */
	REC_END_RST,	 /* a reset */
	REC_END_TIMEOUT, /* idle for --idle-timeout seconds of capture time */
	REC_END_EVICTED, /* pushed out of a full flow table */
	REC_END_EOF,	 /* still open at the end of its input file */
	REC_END_REUSED,	 /* a new connection (SYN) took over the 5-tuple */
	REC_END_COUNT
};

/* How the connection was (not) encrypted; docs/schema.md defines each. */
enum rec_enc {
	REC_ENC_UNKNOWN = 0,
	REC_ENC_PLAINTEXT,
	REC_ENC_STARTTLS,
	REC_ENC_IMPLICIT_TLS,
	REC_ENC_STARTTLS_REFUSED,
	REC_ENC_STARTTLS_FAILED,
	REC_ENC_TLS_UNKNOWN_START,
	REC_ENC_COUNT
};

/* Why a record has no SMTP facts. */
enum rec_absent {
	REC_ABS_NONE = 0,
	REC_ABS_NO_PAYLOAD,
	REC_ABS_NOT_SMTP,
	REC_ABS_IMPLICIT_TLS,
	REC_ABS_NOT_TLS,
	REC_ABS_NO_SMTP_SEEN,
	REC_ABS_OUT_OF_MEMORY,
	REC_ABS_COUNT
};

#define REC_MAX_ANOMALIES 12

struct rec_anomaly {
	uint8_t type;	    /* enum rec_anom */
	uint8_t severity;   /* enum rec_severity */
	uint8_t cross;	    /* found by comparing with other connections (history) */
	uint8_t confidence; /* percent, from the server's record; 0: not weighed */
	char detail[120];
};

/* geo_known: country, asn and local were taken from the real address
 * before it was anonymised (stats/record/rec_anon.h), and the sinks read
 * them instead of looking the anonymised address up (stats/sinks/geo.h). */
struct rec_ep {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
	uint8_t geo_known;
	uint8_t local;	 /* in a --local-net */
	char country[8]; /* ISO code, or "unknown" */
	char asn[128];	 /* "AS15169 Google LLC", or "unknown" */
};

/* Per-direction values are indexed [0] = client, [1] = server. */
struct rec {
	uint64_t ts_us;	 /* first packet, capture time, microseconds since the epoch */
	uint64_t end_us; /* last packet */
	struct rec_ep client, server;
	uint64_t packets[2];
	uint64_t bytes[2];  /* TCP payload bytes on the wire, retransmissions included */
	uint64_t gap_bytes; /* bytes lost to capture loss, both directions */
	uint8_t complete;   /* handshake and close both seen */
	uint8_t end;	    /* enum rec_end */
	uint8_t implicit_tls_port;
	struct {
		uint8_t syn, synack, rst;
		uint8_t fin[2];
		uint8_t midstream;	  /* no handshake seen: picked up mid-stream */
		uint64_t stream_bytes[2]; /* distinct in-order bytes */
		uint32_t retransmitted[2];
		uint32_t out_of_order[2];
		uint32_t overlap_conflicts[2];
		uint64_t overflow_bytes[2]; /* not held: a buffer limit was reached */
	} tcp;
	/* Application layer (filled by the session). */
	uint8_t encryption;  /* enum rec_enc */
	uint8_t smtp_valid;  /* SMTP was seen: smtp holds its facts */
	uint8_t smtp_absent; /* why not, when !smtp_valid: enum rec_absent */
	struct smtp_facts smtp;
	uint8_t head_only;     /* read by packet heads (a short snap length): the facts the
			    * heads do not show are unknown (docs/schema.md) */
	uint8_t head_hello[2]; /* head_only: a ClientHello / ServerHello head was seen (kept out
				* of tls, whose detectors would judge the unknown rest) */
	uint8_t tls_valid;     /* TLS was seen: tls holds its facts */
	struct tls_facts tls;
	struct cert_facts cert; /* present == 0: no certificate seen or inferred */
	struct rec_dns dns;	/* present == 0: the run has no DNS data */
	uint8_t nanomalies;
	struct rec_anomaly anomalies[REC_MAX_ANOMALIES];
	uint32_t alerted;		/* anomaly types already alerted while the connection ran */
	char anon_key[ANON_ID_LEN + 1]; /* "": real values; else the identifier of the key
					 * the record was anonymised with (rec_anon.h) */
};

/* "plaintext", "starttls", ... */
const char *rec_enc_name(enum rec_enc e);

/* "starttls_command_injection", ... */
const char *rec_anom_name(enum rec_anom a);

/* "info", "low", "medium", "high". */
const char *rec_severity_name(enum rec_severity s);

/* Appends an anomaly found while the session builds r, at its default
 * severity (anomalies.h), dropped silently past REC_MAX_ANOMALIES; returns
 * it (NULL when full). Only the session calls this: once built, a record
 * is read-only. */
struct rec_anomaly *rec_add_anomaly(struct rec *r, enum rec_anom type, const char *detail);

/* What the detectors (stats/sinks/anomaly.h) found in one finished record,
 * kept beside it. The record's own anomalies (found by the session) and the
 * verdict's together are the connection's anomalies, the record's first:
 * REC_MAX_ANOMALIES in all at most. */
struct rec_verdict {
	uint8_t n;    /* anomalies found */
	uint8_t room; /* how many fit beside the record's own */
	struct rec_anomaly anomalies[REC_MAX_ANOMALIES];
	struct rec_policy policy; /* the policy dry-run (stats/sinks/policy.h); judged == 0
				   * when none ran */
};

/* An empty verdict for r (no anomaly, no dry-run). */
void rec_verdict_init(struct rec_verdict *v, const struct rec *r);

/* Appends an anomaly to v at its default severity, or at sev (the _as
 * form) where the case calls for another; dropped silently when v is full.
 * Returns it, or NULL. */
struct rec_anomaly *rec_verdict_add(struct rec_verdict *v, enum rec_anom type, const char *detail);
struct rec_anomaly *rec_verdict_add_as(struct rec_verdict *v, enum rec_anom type,
				       enum rec_severity sev, const char *detail);

/* The connection's anomalies: how many, and the i-th (the record's own
 * first, then the verdict's). v may be NULL (no detector ran). */
int rec_anomaly_count(const struct rec *r, const struct rec_verdict *v);
const struct rec_anomaly *rec_anomaly_at(const struct rec *r, const struct rec_verdict *v, int i);

/* "fin", "rst", "timeout", "evicted", "eof". */
const char *rec_end_name(enum rec_end e);

/* Formats microseconds since the epoch as 2024-05-01T12:00:00.123456Z.
 * buf must hold 28 bytes. */
void rec_format_ts(uint64_t us, char *buf, size_t n);

/* Formats an address as text (inet_ntop). buf must hold 46 bytes. */
void rec_format_addr(const struct rec_ep *e, char *buf, size_t n);

#endif
