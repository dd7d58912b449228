/* agg_dns.h — the DANE and MTA-STS figures of the statistics (snapshot
 * section "dns", docs/metrics.md), from the records' DNS facts (record key
 * "dns", stats/record/rec_dns.h).
 *
 * Like every other figure, each counter is a sum and each distribution a
 * bounded agg_map, so the figures of two shards merge into the figures of
 * both. A run without DNS data counts nothing here, and then the snapshot has
 * no "dns" section at all: snapshots of such runs are unchanged.
 *
 * Part of the aggregator (stats/sinks/agg.h), which calls these functions;
 * the struct lives inside struct agg.
 */
#ifndef SMTPTLS_AGG_DNS_H
#define SMTPTLS_AGG_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dissectors/base/mem.h"
#include "stats/record/record.h"
#include "stats/sinks/agg_map.h"

#define AGG_DNS_MODES 3 /* enum mtasts_mode */

/* Counters kept per MX host (distribution dns.mx_hosts). */
enum agg_dns_host {
	AGG_DNSH_CONNECTIONS,
	AGG_DNSH_TLSA_SECURE, /* TLSA records present and DNSSEC-secure */
	AGG_DNSH_DANE_MATCH,
	AGG_DNSH_DANE_MISMATCH,
	AGG_DNSH_DANE_NO_TLS, /* secure usable TLSA, and no TLS at all */
	AGG_DNSH_STS_POLICY,  /* an MTA-STS result other than none */
	AGG_DNSH_STS_PASS,
	AGG_DNSH_STS_FAIL,
	AGG_DNSH_COUNT
};

/* Counters kept per MTA-STS policy domain (distribution dns.policy_domains). */
enum agg_dns_dom {
	AGG_DNSD_CONNECTIONS,
	AGG_DNSD_PASS,
	AGG_DNSD_FAIL,
	AGG_DNSD_UNKNOWN,
	AGG_DNSD_ENFORCE, /* the policy applied was in enforce mode */
	AGG_DNSD_TESTING,
	AGG_DNSD_COUNT
};

/* Everything counted over the records that have DNS facts. */
struct agg_dns {
	uint64_t connections;	 /* records with dns facts */
	uint64_t mx_src[3];	 /* by enum rec_mx_src */
	uint64_t mx_known;	 /* an MX host is known (sni or dns) */
	uint64_t tlsa_state[4];	 /* by enum rec_tlsa_state, MX host known */
	uint64_t tlsa_sec[3];	 /* by enum rec_dnssec, TLSA state not unseen */
	uint64_t tlsa_secure;	 /* TLSA present and secure: DANE published */
	uint64_t tlsa_from_data; /* TLSA answer from --dns-data */
	uint64_t dane[REC_DANE_COUNT];
	uint64_t dane_usable;	/* match + mismatch + unknown + no_tls */
	uint64_t dane_checked;	/* match + mismatch */
	uint64_t dane_inferred; /* the certificate judged was inferred */
	uint64_t dane_covers;	/* DANE-EE match: certificate alarms do not apply */
	uint64_t sts[REC_STS_COUNT];
	uint64_t sts_published; /* pass + fail + unknown */
	uint64_t sts_checked;	/* pass + fail */
	uint64_t sts_why[REC_STS_WHY_COUNT];
	uint64_t sts_modes[AGG_DNS_MODES]; /* by enum mtasts_mode, policy known */
	uint64_t sts_txt;		   /* the _mta-sts TXT record was seen */
	uint64_t tlsrpt;		   /* the domain publishes a TLS-RPT rua */
	struct agg_map hosts, domains;
};

/* Starts empty figures; distributions hold at most max_keys keys. */
void agg_dns_init(struct agg_dns *d, struct mem *mem, uint32_t max_keys);

/* Counts one record (nothing when it has no dns facts). */
void agg_dns_record(struct agg_dns *d, const struct rec *r);

/* Adds b into a. */
void agg_dns_merge(struct agg_dns *a, const struct agg_dns *b);

/* Whether nothing was counted (the snapshot then has no "dns" section). */
int agg_dns_empty(const struct agg_dns *d);

/* Sets root's "dns" section (counters and distributions) and adds the
 * derived DANE and MTA-STS shares to root's "ratios", unless nothing was
 * counted. Returns 0, or -1 when out of memory. */
int agg_dns_to_json(const struct agg_dns *d, json_t *root);

/* Adds the "dns" section of snapshot root into d (none: nothing added).
 * Returns 0, or -1 with a reason in err. */
int agg_dns_add_json(struct agg_dns *d, const json_t *root, char *err, size_t errlen);

/* A few lines of the text summary, only when something was counted. */
void agg_dns_print_text(const struct agg_dns *d, FILE *out);

/* Distinct MX hosts and policy domains in the distributions: all, those
 * with secure TLSA records, those of them with a mismatch, those with a
 * DANE downgrade (no TLS), and policy domains with a failure. Exact unless a
 * distribution was truncated. */
struct agg_dns_hosts {
	uint64_t hosts, hosts_dane, hosts_mismatch, hosts_no_tls;
	uint64_t domains, domains_failing;
};
void agg_dns_host_counts(const struct agg_dns *d, struct agg_dns_hosts *out);

void agg_dns_free(struct agg_dns *d);

#endif
