/* agg.h — the statistics aggregator: exact counters over finished records
 * plus the capture's health counters (the engine's, struct eng_health, kept
 * under the keys it names them by). Every counter is a sum (the capture
 * span and the reassembly peak merge by min/max), and every distribution is a
 * bounded agg_map, so the snapshots of two shards merge into the snapshot of
 * both (docs/metrics.md says which figures become approximate when a map
 * overflows).
 *
 * The aggregator sees records only, never packets.
 */
#ifndef SMTPTLS_AGG_H
#define SMTPTLS_AGG_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "analyzer/session/health.h"
#include "dissectors/base/mem.h"
#include "stats/sinks/agg_dns.h"
#include "stats/sinks/agg_pq.h"
#include "stats/sinks/agg_unknown.h"
#include "stats/sinks/agg_map.h"
#include "stats/sinks/agg_policy.h"
#include "stats/sinks/geo.h"
#include "stats/record/record.h"

#define AGG_SNAPSHOT_VERSION 2

/* Capabilities whose adoption is counted (EHLO replies in the clear). */
enum agg_cap {
	AGG_CAP_STARTTLS,
	AGG_CAP_REQUIRETLS,
	AGG_CAP_SMTPUTF8,
	AGG_CAP_CHUNKING,
	AGG_CAP_PIPELINING,
	AGG_CAP_8BITMIME,
	AGG_CAP_SIZE,
	AGG_CAP_AUTH,
	AGG_CAP_DSN,
	AGG_CAP_ENHANCEDSTATUSCODES,
	AGG_CAP_COUNT
};

/* Counters kept per server (IP and port). */
enum agg_srv {
	AGG_SRV_CONNECTIONS,
	AGG_SRV_PLAINTEXT,
	AGG_SRV_STARTTLS,
	AGG_SRV_IMPLICIT_TLS,
	AGG_SRV_REFUSED,
	AGG_SRV_FAILED,
	AGG_SRV_OFFERED,
	AGG_SRV_TLS13,
	AGG_SRV_WEAK,
	AGG_SRV_MESSAGES_PLAIN,
	AGG_SRV_COUNT
};

/* Counters kept per time bucket, country, AS and direction. The last three
 * are the post-quantum breakdown: TLS 1.3 connections (the denominator),
 * those whose client offered a PQ group, those that negotiated one. */
enum agg_out {
	AGG_OUT_CONNECTIONS,
	/* then one per enum rec_enc, in its order */
	AGG_OUT_ANOMALIES = 1 + REC_ENC_COUNT,
	AGG_OUT_TLS13,
	AGG_OUT_PQ_OFFERED,
	AGG_OUT_PQ_NEGOTIATED,
	AGG_OUT_COUNT
};

struct agg_cfg {
	uint32_t max_keys;     /* keys per distribution (ciphers, JA3, ...) */
	uint32_t max_servers;  /* servers tracked one by one */
	uint64_t bucket_us;    /* time series bucket: an hour or a day */
	const struct geo *geo; /* country/AS databases, local networks; may be NULL */
};

struct agg {
	struct mem *mem;
	struct eng_health health; /* the engine's counters of every input, merged */
	/* connections */
	uint64_t connections;
	uint64_t complete;
	uint64_t midstream;
	uint64_t by_end[REC_END_COUNT];
	uint64_t with_gaps;
	uint64_t gap_bytes;
	uint64_t packets[2];
	uint64_t bytes[2];
	/* encryption */
	uint64_t by_enc[REC_ENC_COUNT];
	uint64_t bytes_by_enc[REC_ENC_COUNT]; /* payload bytes, both directions */
	uint64_t smtp_connections;	      /* SMTP dialogue seen in the clear */
	uint64_t ehlo_ok;		      /* a 250 EHLO reply was seen */
	uint64_t starttls_offered;
	uint64_t starttls_offered_used; /* offered and requested */
	uint64_t starttls_requested;
	uint64_t plain_messages; /* messages sent in the clear */
	uint64_t plain_message_bytes;
	uint64_t caps[AGG_CAP_COUNT];
	uint64_t auth_seen;
	uint64_t auth_before_tls;
	/* TLS (connections with a ServerHello) */
	uint64_t tls_connections; /* TLS seen at all */
	uint64_t tls_negotiated;  /* a ServerHello was seen */
	uint64_t tls_established;
	uint64_t tls_fs;
	uint64_t tls_aead;
	uint64_t tls_resumed;
	uint64_t tls_fallback_scsv;
	uint64_t tls_downgrade_sentinel;
	uint64_t tls_cert_visible; /* the certificate was in the clear */
	struct agg_map versions, ciphers, grades, groups, dh_bits, alerts, ja3, ja4, client_max;
	struct agg_map software, anomalies, anomalies_cross, servers;
	struct agg_map time, by_country, by_as, by_direction;
	/* certificates, per connection with a negotiated TLS */
	uint64_t cert_observed, cert_inferred, cert_unseen;
	uint64_t cert_self_signed, cert_valid, cert_expired, cert_mismatch, cert_weak;
	struct agg_map cert_keys, cert_sigalgs, cert_issuers, cert_validation, certs;
	struct agg_dns dns;	    /* DANE and MTA-STS (section "dns", agg_dns.h) */
	struct agg_pq pq;	    /* post-quantum key exchange (section "pq", agg_pq.h) */
	struct agg_unknown unknown; /* facts records could not show (agg_unknown.h) */
	struct agg_policy policy;   /* the policy dry-run (section "policy", agg_policy.h) */
	uint64_t bucket_us;
	const struct geo *geo;
};

/* Starts an empty aggregator. */
void agg_init(struct agg *a, struct mem *mem, const struct agg_cfg *cfg);

/* Adds one finished connection: its record and the detectors' verdict on it
 * (NULL when no detector ran). */
void agg_record(struct agg *a, const struct rec *r, const struct rec_verdict *v);

/* Adds the engine's health counters of one input (or shard) into a. */
void agg_add_health(struct agg *a, const struct eng_health *h);

/* Adds snapshot b into a (merging shards). */
void agg_merge(struct agg *a, const struct agg *b);

/* The snapshot as a new JSON object (caller owns it), or NULL. */
json_t *agg_to_json(const struct agg *a);

/* Adds a snapshot read back from JSON into a. Returns 0, or -1 with a reason
 * in err when the JSON is not a snapshot this version understands. */
int agg_add_json(struct agg *a, const json_t *j, char *err, size_t errlen);

/* The human summary, readable in 80 columns, key ratios first. */
void agg_print_text(const struct agg *a, FILE *out, unsigned top);

void agg_free(struct agg *a);

#endif
