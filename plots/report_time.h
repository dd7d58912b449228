/* report_time.h — the periods of the charts over time: the snapshot's time
 * section (one entry per hour or day bucket) regrouped into the finest unit
 * (hour, day, month, year) that gives a readable chart, with the counters
 * each chart over time draws.
 */
#ifndef SMTPTLS_REPORT_TIME_H
#define SMTPTLS_REPORT_TIME_H

#include <stddef.h>

#include <jansson.h>

/* At most this many bars in the charts over time. */
#define REPORT_MAX_PERIODS 200

/* The counters of one period, in the column order of encryption_time.gp;
 * then the post-quantum breakdown of its TLS 1.3 connections (pq_time.gp). */
enum report_time_field {
	REPORT_T_STARTTLS,
	REPORT_T_IMPLICIT,
	REPORT_T_TLS_UNKNOWN_START,
	REPORT_T_FAILED,
	REPORT_T_REFUSED,
	REPORT_T_PLAINTEXT,
	REPORT_T_UNKNOWN,
	REPORT_T_ANOMALIES,
	REPORT_T_TLS13,
	REPORT_T_PQ_OFFERED,
	REPORT_T_PQ_NEGOTIATED,
	REPORT_T_N
};

/* The key of each counter in a time bucket of the snapshot (and its column
 * label in the chart_labels section of the template). */
extern const char *const report_time_fields[REPORT_T_N];

struct report_period {
	long long key; /* period number in the chosen unit */
	long long v[REPORT_T_N];
};

enum report_time_unit { REPORT_HOUR, REPORT_DAY, REPORT_MONTH, REPORT_YEAR };

/* The flags naming a unit in the charts' texts: by_hour, by_day, ... */
extern const char *const report_time_unit_flags[REPORT_YEAR + 1];

/* The periods of the time section, in one unit, for the charts over time.
 * dense: every period from the first to the last is listed (empty ones too);
 * otherwise only periods with connections are (a corpus of unrelated
 * captures years apart would otherwise be a few bars lost in a long axis). */
struct report_series {
	struct report_period *p;
	size_t n;
	enum report_time_unit unit;
	int dense;
	long long total[REPORT_T_N];
	long long other_connections; /* in buckets the snapshot could not key */
	long long unparsed;	     /* keys that were not a time */
};

/* Builds the series of the time section into s; the caller frees s->p.
 * Returns 0, or -1 when memory runs out. */
int report_time_series(json_t *time, struct report_series *s);

/* The label of period key in unit u, e.g. "2026-12-03 15:00", "2026-12". */
void report_time_label(long long key, enum report_time_unit u, char *buf, size_t len);

#endif
