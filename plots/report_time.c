/* report_time.c — the periods of the charts over time (see report_time.h). */
#include "plots/report_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/report_snap.h"

const char *const report_time_fields[REPORT_T_N] = {
	"starttls",	    "implicit_tls",	   "tls_unknown_start",
	"starttls_failed",  "starttls_refused",	   "plaintext",
	"unknown",	    "anomalies",	   "tls13",
	"tls13_pq_offered", "tls13_pq_negotiated",
};

const char *const report_time_unit_flags[REPORT_YEAR + 1] = {"by_hour", "by_day", "by_month",
							     "by_year"};

static long long rt_floor_div(long long a, long long b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static long long rt_period_key(long long secs, enum report_time_unit u)
{
	int y, m, d, h;
	switch (u) {
	case REPORT_HOUR: return rt_floor_div(secs, 3600);
	case REPORT_DAY: return rt_floor_div(secs, 86400);
	case REPORT_MONTH:
		report_snap_civil(secs, &y, &m, &d, &h);
		return (long long)y * 12 + m - 1;
	case REPORT_YEAR: report_snap_civil(secs, &y, &m, &d, &h); return y;
	}
	return 0;
}

void report_time_label(long long key, enum report_time_unit u, char *buf, size_t len)
{
	int y, m, d, h;
	switch (u) {
	case REPORT_HOUR:
		report_snap_civil(key * 3600, &y, &m, &d, &h);
		snprintf(buf, len, "%04d-%02d-%02d %02d:00", y, m, d, h);
		return;
	case REPORT_DAY:
		report_snap_civil(key * 86400, &y, &m, &d, &h);
		snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
		return;
	case REPORT_MONTH:
		snprintf(buf, len, "%04lld-%02lld", rt_floor_div(key, 12),
			 key - rt_floor_div(key, 12) * 12 + 1);
		return;
	case REPORT_YEAR: snprintf(buf, len, "%04lld", key); return;
	}
}

/* Groups raw (sorted by key in unit `from`) into unit u; returns the count. */
static size_t rt_group(const struct report_period *raw, size_t nraw, enum report_time_unit from,
		       enum report_time_unit u, struct report_period *out)
{
	size_t n = 0;
	for (size_t i = 0; i < nraw; i++) {
		long long secs = from == REPORT_HOUR ? raw[i].key * 3600 : raw[i].key * 86400;
		long long k = rt_period_key(secs, u);
		if (n == 0 || out[n - 1].key != k) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].key = k;
			n++;
		}
		for (int c = 0; c < REPORT_T_N; c++)
			out[n - 1].v[c] += raw[i].v[c];
	}
	return n;
}

static int rt_period_cmp(const void *a, const void *b)
{
	const struct report_period *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

int report_time_series(json_t *time, struct report_series *s)
{
	memset(s, 0, sizeof(*s));
	struct report_kvs kvs;
	if (report_snap_dist(time, "connections", &kvs) != 0)
		return -1;
	const char *bucket = json_string_value(json_object_get(time, "bucket"));
	enum report_time_unit from =
		(bucket && strcmp(bucket, "day") == 0) ? REPORT_DAY : REPORT_HOUR;
	struct report_period *raw = calloc(kvs.n ? kvs.n : 1, sizeof(*raw));
	struct report_period *grp = calloc(kvs.n ? kvs.n : 1, sizeof(*grp));
	if (!raw || !grp) {
		free(raw);
		free(grp);
		report_kvs_free(&kvs);
		return -1;
	}
	size_t nraw = 0;
	for (size_t i = 0; i < kvs.n; i++) {
		long long secs;
		if (report_snap_time(kvs.v[i].key, &secs) != 0) {
			s->unparsed += kvs.v[i].n;
			continue;
		}
		raw[nraw].key = rt_period_key(secs, from);
		for (int c = 0; c < REPORT_T_N; c++)
			raw[nraw].v[c] = report_snap_count(kvs.v[i].val, report_time_fields[c]);
		nraw++;
	}
	report_kvs_free(&kvs);
	qsort(raw, nraw, sizeof(*raw), rt_period_cmp);
	for (size_t i = 0; i < nraw; i++)
		for (int c = 0; c < REPORT_T_N; c++)
			s->total[c] += raw[i].v[c];
	s->other_connections = report_snap_count(time, "other.connections");

	/* The finest unit that gives a readable chart: every period when there
	 * are few enough; only the periods with connections when the time line
	 * is mostly empty; else a coarser unit. */
	size_t ngrp = 0;
	enum report_time_unit u = from;
	for (;; u = (enum report_time_unit)(u + 1)) {
		ngrp = u == from ? nraw : rt_group(raw, nraw, from, u, grp);
		if (u == from)
			memcpy(grp, raw, nraw * sizeof(*raw));
		long long span = ngrp ? grp[ngrp - 1].key - grp[0].key + 1 : 0;
		if (span <= REPORT_MAX_PERIODS) {
			s->dense = 1;
			break;
		}
		if (ngrp <= REPORT_MAX_PERIODS && (long long)ngrp * 4 < span)
			break;
		if (u == REPORT_YEAR)
			break;
	}
	s->unit = u;
	free(raw);
	if (s->dense && ngrp) {
		size_t span = (size_t)(grp[ngrp - 1].key - grp[0].key + 1);
		struct report_period *d = calloc(span, sizeof(*d));
		if (!d) {
			free(grp);
			return -1;
		}
		for (size_t i = 0; i < span; i++)
			d[i].key = grp[0].key + (long long)i;
		for (size_t i = 0; i < ngrp; i++)
			d[grp[i].key - grp[0].key] = grp[i];
		free(grp);
		s->p = d;
		s->n = span;
	} else {
		/* Past the last unit a huge sparse corpus keeps its last periods. */
		if (ngrp > REPORT_MAX_PERIODS) {
			memmove(grp, grp + (ngrp - REPORT_MAX_PERIODS),
				REPORT_MAX_PERIODS * sizeof(*grp));
			ngrp = REPORT_MAX_PERIODS;
		}
		s->p = grp;
		s->n = ngrp;
	}
	return 0;
}
