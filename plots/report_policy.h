/* report_policy.h — the figures of the report's first section, "If you
 * enforced TLS", from the snapshot's "policy" section (the dry-run,
 * docs/policy.md and docs/metrics.md), for plots/template.html: per
 * direction and policy the connections that would have failed, the failing
 * servers and domains by traffic (those that always fail apart from the
 * intermittent ones) and the reasons. A snapshot without that section gives
 * the section's "not measured" form.
 */
#ifndef SMTPTLS_REPORT_POLICY_H
#define SMTPTLS_REPORT_POLICY_H

#include <jansson.h>

struct tpl_scope;

/* Sets the list `policy` of root (one row) with every value the template's
 * policy section names. snap is borrowed. */
void report_policy_page(struct tpl_scope *root, json_t *snap);

/* A policy's outcomes summed over the directions, for the chart. */
struct report_policy_sum {
	long long pass, fail, unknown, na;
};

/* The six policies in the snapshot's order ("require-starttls", ...,
 * "history"): the name of policy i, or NULL past the last. */
const char *report_policy_name(unsigned i);

/* The outcomes of policy `name` summed over the directions of the
 * snapshot's policy section (sec, borrowed). */
struct report_policy_sum report_policy_total(json_t *sec, const char *name);

#endif
