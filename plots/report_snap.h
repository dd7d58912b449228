/* report_snap.h — reading a statistics snapshot defensively.
 *
 * The snapshot (docs/metrics.md) grows new sections over time; the report
 * reads every value through these helpers, which treat a missing or
 * mistyped value as "not measured" instead of failing.
 */
#ifndef SMTPTLS_REPORT_SNAP_H
#define SMTPTLS_REPORT_SNAP_H

#include <stddef.h>

#include <jansson.h>

/* The value at a dotted path ("tls.negotiated"), or NULL. Borrowed. */
json_t *report_snap_get(const json_t *root, const char *path);

/* The integer at a dotted path, or -1 when it is absent, not a number or
 * negative. Reals are rounded. */
long long report_snap_int(const json_t *root, const char *path);

/* Like report_snap_int but 0 when absent. */
long long report_snap_count(const json_t *root, const char *path);

/* A numerator and denominator; present is 0 when the snapshot lacks it. */
struct report_ratio {
	long long num, den;
	int present;
};

/* ratios.<name> when present; otherwise num/den from the given paths (either
 * may be NULL, then the ratio is not present). */
struct report_ratio report_snap_ratio(const json_t *root, const char *name, const char *num_path,
				      const char *den_path);

/* One entry of a distribution or keyed section. */
struct report_kv {
	const char *key; /* borrowed from the snapshot */
	long long n;	 /* the count used for sorting */
	json_t *val;	 /* the value (a number or an object of counters) */
};

struct report_kvs {
	struct report_kv *v; /* owned; free with report_kvs_free() */
	size_t n;
};

/* The entries of a distribution ({"keys": {...}, ...}, or a plain object of
 * keys) sorted by count, largest first, then by key. When field is NULL the
 * values are counts; otherwise each value is an object and field is the
 * counter to sort by. Returns 0 (an absent distribution gives no entries), or
 * -1 when out of memory. */
int report_snap_dist(json_t *dist, const char *field, struct report_kvs *out);

void report_kvs_free(struct report_kvs *kvs);

/* The sum of the counts of a distribution, "other" included (-1 if absent). */
long long report_snap_dist_total(json_t *dist);

/* Whether a distribution says it dropped keys ("truncated": true). */
int report_snap_dist_truncated(const json_t *dist);

/* Parses an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SSZ" (fractions allowed and
 * ignored) into seconds since 1970. Returns 0, or -1 when it does not parse. */
int report_snap_time(const char *s, long long *secs);

/* The civil date of a time: year, month 1-12, day 1-31, hour. */
void report_snap_civil(long long secs, int *year, int *month, int *day, int *hour);

/* num/den as a rounded percentage: "38%", "<1%" and ">99%" for shares that
 * would round to 0 or 100 without being so, "-" when den is 0. */
void report_snap_pct(long long num, long long den, char *buf, size_t len);

/* n with thousands separators: "22,154". */
void report_snap_thousands(long long n, char *buf, size_t len);

#endif
