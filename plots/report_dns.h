/* report_dns.h — the figures of the report's section "DNS: DANE and
 * MTA-STS", from the snapshot's "dns" section (docs/metrics.md), for
 * plots/template.html. A snapshot without that section gives the section's
 * "not measured" form.
 */
#ifndef SMTPTLS_REPORT_DNS_H
#define SMTPTLS_REPORT_DNS_H

#include <jansson.h>

struct tpl_scope;

/* Sets the list `dns` of root (one row) with every value the template's DNS
 * section names. snap is borrowed. */
void report_dns_page(struct tpl_scope *root, json_t *snap);

#endif
