/* dnsdata.h — DNS data and MTA-STS policies given to a run (--dns-data FILE,
 * --mta-sts-policies DIR), for captures that hold no DNS traffic
 * (docs/dns.md, "Giving DNS data to a run").
 *
 * The DNS file is either what `dig +dnssec +noall +answer` prints (one
 * record a line, or parenthesised over several lines; an RRSIG record marks
 * the RRset it covers as secure) or JSON Lines (one object a line, told
 * apart by a first non-blank byte '{'), which can also say that a name has
 * no records (NXDOMAIN, NODATA) or that its resolution failed (SERVFAIL).
 * The policy directory holds one policy file per domain, named by the domain
 * (DIR/example.net), as served at https://mta-sts.<domain>/.well-known/
 * mta-sts.txt.
 *
 * Everything is read and checked before anything is used: a file with one
 * bad line fails the whole load, with an error that names the file and the
 * 1-based line ("dns.txt:12: TLSA data is not hex"). The data is then
 * immutable and can be applied to any number of views (one per engine).
 *
 * Memory: plain malloc (this is configuration, read once before the
 * analysis); a file over DNSDATA_FILE_MAX bytes is refused.
 */
#ifndef SMTPTLS_DNSDATA_H
#define SMTPTLS_DNSDATA_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/session/dnsview.h"
#include "dissectors/proto/dns.h"
#include "dissectors/proto/mtasts.h"

#define DNSDATA_FILE_MAX   (256u << 20) /* bytes of a DNS data file */
#define DNSDATA_POLICY_MAX (64u << 10)	/* bytes of a policy file */

struct dnsdata;

/* Reads dns_file and every policy file of policy_dir (either may be NULL).
 * Returns the data (free with dnsdata_free), or NULL with a message in err:
 * "FILE:LINE: reason", "FILE: reason" when no line is to blame. */
struct dnsdata *dnsdata_load(const char *dns_file, const char *policy_dir, char *err,
			     size_t errlen);

/* Gives every record, state and policy to the view (dnsview_put,
 * dnsview_put_state, dnsview_put_policy), in file order. Returns 0, or -1
 * when the view refused one (out of memory). */
int dnsdata_apply(const struct dnsdata *d, struct dnsview *v);

void dnsdata_free(struct dnsdata *d);

/* What dnsdata_count() counts. */
enum dnsdata_what {
	DNSDATA_RECORDS,  /* records of the types the view uses */
	DNSDATA_SECURE,	  /* of which an RRSIG (or "secure": true) made secure */
	DNSDATA_SKIPPED,  /* records of other types (NS, SOA, DNSKEY, ...), not kept */
	DNSDATA_STATES,	  /* NXDOMAIN / NODATA / SERVFAIL entries (JSON Lines) */
	DNSDATA_POLICIES, /* MTA-STS policies */
};

size_t dnsdata_count(const struct dnsdata *d, enum dnsdata_what w);

/* Record i (< dnsdata_count(d, DNSDATA_RECORDS)) as it will be given to the
 * view: rr filled (section ANSWER, class IN), *sec its state. Returns 0, or
 * -1 when i is out of range. */
int dnsdata_record(const struct dnsdata *d, size_t i, struct dns_rr *rr, enum dnsv_sec *sec);

/* State i: name, type, state and DNSSEC state. Returns 0, or -1 when out
 * of range. The name is owned by d. */
int dnsdata_state(const struct dnsdata *d, size_t i, const char **name, uint16_t *type,
		  enum dnsv_state *st, enum dnsv_sec *sec);

/* Policy i and its domain (owned by d), or NULL when out of range. Policies
 * come in the order of their domains' names. */
const struct mtasts_policy *dnsdata_policy(const struct dnsdata *d, size_t i, const char **domain);

#endif
