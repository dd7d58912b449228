/* dnsview.h — what the DNS said, as a sending MTA would have seen it: MX
 * hosts of a domain, addresses of a host, TLSA records under
 * _25._tcp.<host> with their DNSSEC state, the _mta-sts and _smtp._tls TXT
 * records, and MTA-STS policies (docs/dns.md).
 *
 * Two sources feed it. Answers seen in the capture (dnsview_rr and
 * dnsview_message, from the DNS dissector, in capture-time order): they live
 * for their TTL in capture time, and a little longer (cfg.linger_us) so that
 * a connection that began while an answer was live still finds it when its
 * record is written. Data given to the run (dnsview_put*, from --dns-data and
 * --mta-sts-policies): it never expires. A query asks at a capture time;
 * answers from the capture are preferred to given data, the latest first.
 *
 * The DNSSEC state of an answer from the capture is the AD bit set by the
 * resolver that answered (RFC 4035 §3.2.3: the MTA's own validating
 * resolver); SERVFAIL to a query is "bogus" for that name and type (RFC 7672
 * §2.1.1: a validating resolver answers SERVFAIL for bogus data). Given data
 * says its state itself.
 *
 * Memory is bounded: every entry is charged to the view, and past
 * cfg.max_bytes the entries from the capture refreshed longest ago go first
 * (counted); given data is never dropped. Entries past their TTL and linger
 * are swept once a minute of capture time. Nothing here reads a clock; no
 * global state.
 *
 * Ownership: dnsview_new() allocates through the caller's struct mem, which
 * must outlive the view; dnsview_free() releases everything. A view belongs
 * to one engine (one thread).
 */
#ifndef SMTPTLS_DNSVIEW_H
#define SMTPTLS_DNSVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "dissectors/base/mem.h"
#include "dissectors/proto/dns.h"
#include "dissectors/proto/mtasts.h"

#define DNSV_MAX_TLSA 8 /* TLSA records returned per name */

/* The DNSSEC state of an answer. */
enum dnsv_sec {
	DNSV_SEC_INSECURE = 0, /* not authenticated (AD clear, no RRSIG) */
	DNSV_SEC_SECURE,       /* AD set by the resolver, or RRSIG given */
	DNSV_SEC_BOGUS,	       /* the validating resolver answered SERVFAIL */
};

/* What is known of one name and type. */
enum dnsv_state {
	DNSV_UNSEEN = 0, /* nothing seen or given */
	DNSV_PRESENT,	 /* records exist */
	DNSV_ABSENT,	 /* NXDOMAIN or no data (sec says whether the denial was authenticated) */
	DNSV_FAILED,	 /* SERVFAIL (sec = DNSV_SEC_BOGUS) */
};

struct dnsv_cfg {
	uint64_t max_bytes; /* 0 = 64 MiB */
	uint64_t linger_us; /* 0 = one hour of capture time */
};

struct dnsv_counters {
	uint64_t answers;	 /* records taken from the capture */
	uint64_t given;		 /* records given as data */
	uint64_t expired;	 /* entries dropped after their TTL and linger */
	uint64_t dropped_memory; /* entries dropped for the memory cap */
	uint64_t refused_memory; /* records not kept: no memory at all */
	uint64_t bytes;		 /* bytes held now */
	uint64_t peak_bytes;	 /* most bytes held */
};

struct dnsview;

struct dnsview *dnsview_new(const struct dnsv_cfg *cfg, struct mem *mem);
void dnsview_free(struct dnsview *v);

/* A record of a response seen at capture time ts_us (the answer section of
 * a response is what counts; other records are ignored). */
void dnsview_rr(struct dnsview *v, uint64_t ts_us, const struct dns_msg *m,
		const struct dns_rr *rr);

/* A response once all its records were given: a SERVFAIL, an NXDOMAIN or an
 * answer without records of the question's type sets the state of
 * (qname, qtype). */
void dnsview_message(struct dnsview *v, uint64_t ts_us, const struct dns_msg *m);

/* Given data, valid for the whole run. Returns 0, or -1 when out of memory. */
int dnsview_put(struct dnsview *v, const struct dns_rr *rr, enum dnsv_sec sec);
int dnsview_put_state(struct dnsview *v, const char *name, uint16_t type, enum dnsv_state st,
		      enum dnsv_sec sec);
int dnsview_put_policy(struct dnsview *v, const char *domain, const struct mtasts_policy *pol);

/* Host names whose A/AAAA records held addr (family 4 or 6) at at_us, up to
 * max, latest first; returns how many. */
int dnsview_names_of_addr(const struct dnsview *v, int family, const uint8_t addr[16],
			  uint64_t at_us, char out[][DNS_NAME_MAX], int max);

/* Names that a CNAME at at_us pointed to host (one step), like the above. */
int dnsview_cname_sources(const struct dnsview *v, const char *host, uint64_t at_us,
			  char out[][DNS_NAME_MAX], int max);

/* Domains whose MX records named host at at_us, up to max; returns how many. */
int dnsview_domains_of_mx(const struct dnsview *v, const char *host, uint64_t at_us,
			  char out[][DNS_NAME_MAX], int max);

/* The TLSA records at _<port>._tcp.<host> at at_us. */
struct dnsv_tlsa_set {
	uint8_t state; /* enum dnsv_state */
	uint8_t sec;   /* enum dnsv_sec of the answer or of the denial */
	uint8_t given; /* from given data, not from the capture */
	uint8_t n;
	uint8_t more; /* records beyond DNSV_MAX_TLSA */
	struct dns_tlsa r[DNSV_MAX_TLSA];
};
void dnsview_tlsa(const struct dnsview *v, const char *host, uint16_t port, uint64_t at_us,
		  struct dnsv_tlsa_set *out);

/* The first TXT record at name at at_us that begins with prefix ("v=STSv1"),
 * copied to out; returns its enum dnsv_state. */
enum dnsv_state dnsview_txt(const struct dnsview *v, const char *name, const char *prefix,
			    uint64_t at_us, char *out, size_t outlen, enum dnsv_sec *sec);

/* The MTA-STS policy given for domain, or NULL. */
const struct mtasts_policy *dnsview_policy(const struct dnsview *v, const char *domain);

/* Makes base (given data, loaded once for the run and read-only from then
 * on) the view's fallback: a question the capture did not answer is asked
 * of base. base is borrowed; several views (one per engine thread) may share
 * it, since queries only read. */
void dnsview_set_base(struct dnsview *v, const struct dnsview *base);

/* Whether the view holds anything at all (then connections get dns facts). */
int dnsview_empty(const struct dnsview *v);

void dnsview_counters(const struct dnsview *v, struct dnsv_counters *out);

#endif
