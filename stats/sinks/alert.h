/* alert.h — alerts: anomalies reported the moment a detector fires, as JSON
 * Lines (one write per line, so a reader never sees half an alert) and
 * optionally to syslog.
 *
 * Each anomaly type is reported once per connection: alert_provisional()
 * while the connection runs (it marks the types it reported in the
 * connection's mask), alert_final() at its end for whatever is left.
 */
#ifndef SMTPTLS_ALERT_H
#define SMTPTLS_ALERT_H

#include <stdint.h>
#include <stdio.h>

#include "dissectors/base/out.h"
#include "stats/record/record.h"

struct alert_out {
	FILE *fp;		 /* NULL: no JSON output */
	struct out_lines *lines; /* instead of fp (live): a line that cannot be
				  * written is counted there, not a failure */
	int use_syslog;		 /* also to syslog (LOG_MAIL) */
	uint8_t min_severity;	 /* enum rec_severity: lower ones are not alerted */
	uint64_t emitted;
	int failed; /* a write failed */
};

/* Alerts the anomalies of a running connection (r's own and the verdict
 * v's) not reported before; *alerted holds the types already reported and
 * is updated. */
void alert_provisional(struct alert_out *o, const struct rec *r, const struct rec_verdict *v,
		       uint32_t *alerted);

/* Alerts the anomalies of a finished connection (r's own and the verdict
 * v's; v may be NULL) not reported while it ran. */
void alert_final(struct alert_out *o, const struct rec *r, const struct rec_verdict *v);

#endif
