/* dane.h — the DNS facts of a finished connection: which MX host the server
 * is, for which domains, and how a DANE (RFC 7672) or MTA-STS (RFC 8461)
 * sender would have judged the connection (docs/dns.md).
 *
 * dane_annotate() reads the record as the session built it (encryption,
 * SNI, certificate facts with their DANE digests) and the DNS view at the
 * connection's start time, and fills r->dns. It allocates nothing and keeps
 * no pointer.
 */
#ifndef SMTPTLS_DANE_H
#define SMTPTLS_DANE_H

#include "analyzer/session/dnsview.h"
#include "stats/record/record.h"

/* Fills r->dns from v (r->dns.present = 0 and nothing else when v is NULL
 * or empty). */
void dane_annotate(const struct dnsview *v, struct rec *r);

/* Whether name (lower-case, no final dot) is one of the certificate's DNS
 * names: an entry of san (comma-separated, as struct cert_facts holds it)
 * equal to it, or a "*." entry matching exactly its leftmost label; the CN
 * of subject when san has no DNS name (RFC 6125 §6.4). */
int dane_name_in_cert(const char *san, const char *subject, const char *name);

#endif
