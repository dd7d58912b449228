/* policy.h — the policy dry-run (docs/policy.md): the outcome a finished
 * connection would have had under each TLS policy an MTA can enforce, and
 * why not (stats/record/rec_policy.h, record key "policy").
 *
 * Most policies judge the record alone (its SMTP, TLS, certificate and DNS
 * facts); two need what only the detectors know: the direction, from the
 * local networks (--local-net), and the server's history, which the
 * cross-connection detectors keep (stats/sinks/anomaly.h). The history is
 * what was known before the connection: policy_judge() runs before
 * anom_judge() records it.
 */
#ifndef SMTPTLS_POLICY_H
#define SMTPTLS_POLICY_H

#include "stats/record/record.h"
#include "stats/sinks/anomaly.h"
#include "stats/sinks/geo.h"

/* The direction of r for the dry-run: unknown when g is NULL or has no
 * local network. */
enum rec_pol_dir policy_direction(const struct geo *g, const struct rec *r);

/* Fills out (the caller's) with the dry-run of r in direction dir, given
 * what was known of its server before it (past). */
void policy_judge_with(const struct rec *r, enum rec_pol_dir dir, const struct anom_past *past,
		       struct rec_policy *out);

/* The same, with the direction from g (may be NULL) and the past from the
 * detectors a, which must not have judged r yet. */
void policy_judge(const struct geo *g, struct anom *a, const struct rec *r, struct rec_policy *out);

#endif
