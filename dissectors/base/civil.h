/* civil.h — calendar arithmetic: seconds since the epoch to a civil date and
 * back, UTC, proleptic Gregorian (H. Hinnant's days_from_civil and
 * civil_from_days algorithms, exact for every int64 day count a capture,
 * certificate or snapshot can hold).
 *
 * The one place smtptls turns times into dates: records, certificates,
 * snapshots and the report all use it, never gmtime() (which depends on the
 * time zone machinery and fails on years a certificate may name).
 */
#ifndef SMTPTLS_CIVIL_H
#define SMTPTLS_CIVIL_H

#include <stdint.h>

struct civil {
	int64_t y;    /* year, e.g. 2026 */
	int64_t m;    /* month 1..12 */
	int64_t d;    /* day of the month 1..31 */
	int64_t secs; /* seconds since midnight 0..86399 */
};

/* Days since 1970-01-01 of the date y-m-d (m 1..12, d 1..31; not checked). */
int64_t civil_days(int64_t y, int64_t m, int64_t d);

/* The civil date and time of day of t seconds since the epoch (t may be
 * negative: the day is rounded down). */
struct civil civil_from_time(int64_t t);

/* Seconds since the epoch of y-m-d h:mi:s (not checked). */
static inline int64_t civil_to_time(int64_t y, int64_t m, int64_t d, int64_t h, int64_t mi,
				    int64_t s)
{
	return civil_days(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
}

#endif
