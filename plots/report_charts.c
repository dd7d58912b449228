/* report_charts.c — the charts of the report and their data files (see
 * report_charts.h). The drawing itself is in plots/charts/NAME.gp. */
#include "plots/report_charts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/report_page.h"
#include "plots/report_policy.h"
#include "plots/report_snap.h"
#include "plots/report_time.h"
#include "plots/tpl.h"
#include "stats/record/record.h"

/* Okabe & Ito colour-blind-safe palette, as 0xRRGGBB for the data files. */
#define RC_GREEN     0x009E73
#define RC_BLUE	     0x0072B2
#define RC_SKYBLUE   0x56B4E9
#define RC_ORANGE    0xE69F00
#define RC_VERMILION 0xD55E00
#define RC_PURPLE    0xCC79A7
#define RC_GREY	     0x999999

/* At most this many rows in the charts by country and AS. */
#define RC_MAX_GROUPS 15

/* The catalogue's entry (stats/record/anomalies.h). */
struct report_anomaly_info report_charts_anomaly(const char *name)
{
	const struct rec_anom_info *a = rec_anom_by_name(name);
	struct report_anomaly_info info = {name, "", ""};
	if (a) {
		info.severity = rec_severity_name(a->severity);
		info.what = a->summary;
	}
	return info;
}

int report_charts_wide(const struct report_chart *ch)
{
	return strcmp(ch->name, "policy_outcomes") == 0 ||
	       strcmp(ch->name, "encryption_time") == 0 ||
	       strcmp(ch->name, "anomalies_time") == 0 || strcmp(ch->name, "anomaly_types") == 0 ||
	       strcmp(ch->name, "pq_time") == 0;
}

static unsigned rc_severity_colour(const char *severity)
{
	if (strcmp(severity, "high") == 0)
		return RC_VERMILION;
	if (strcmp(severity, "medium") == 0)
		return RC_ORANGE;
	if (strcmp(severity, "low") == 0)
		return RC_SKYBLUE;
	return RC_GREY;
}

/* A data file being written; the first error sticks. */
struct rc_file {
	FILE *fp;
	char path[4096];
	int err;
};

static int rc_open(struct rc_file *f, const char *dir, const char *name, char *err, size_t errlen)
{
	int n = snprintf(f->path, sizeof(f->path), "%s/%s.tsv", dir, name);
	f->err = 0;
	if (n < 0 || (size_t)n >= sizeof(f->path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	f->fp = fopen(f->path, "w");
	if (!f->fp) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(errno));
		return -1;
	}
	return 0;
}

static int rc_close(struct rc_file *f, char *err, size_t errlen)
{
	int bad = f->err || ferror(f->fp);
	if (fclose(f->fp) != 0)
		bad = 1;
	f->fp = NULL;
	if (bad) {
		snprintf(err, errlen, "%s: write failed", f->path);
		return -1;
	}
	return 0;
}

/* A label field: tabs, line breaks and double quotes would break the
 * columns, and a leading '#' would make gnuplot skip the row. */
static void rc_label(struct rc_file *f, const char *s)
{
	if (*s == '#')
		fputc(' ', f->fp);
	for (const char *c = s; *c; c++) {
		if (*c == '\t' || *c == '\n' || *c == '\r')
			fputc(' ', f->fp);
		else if (*c == '"')
			fputc('\'', f->fp);
		else
			fputc(*c, f->fp);
	}
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
rc_printf(struct rc_file *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vfprintf(f->fp, fmt, ap) < 0)
		f->err = 1;
	va_end(ap);
}

/* ---- charts over time ------------------------------------------------ */

/* Every label key the data files use (the chart_labels section of the
 * template must have each): the columns over time are the fields above. */
static const char *const rc_label_keys[] = {"period",
					    "tls13",
					    "tls12",
					    "tls11",
					    "tls10",
					    "ssl3",
					    "ssl2",
					    "grade_modern",
					    "grade_strong",
					    "grade_other",
					    "grade_weak",
					    "grade_insecure",
					    "grade_unknown",
					    "all_others",
					    "other_types",
					    "from_history",
					    "unknown_group",
					    "chain_valid",
					    "self_signed",
					    "expired",
					    "name_mismatch",
					    "no_certificate",
					    "of",
					    "would_fail",
					    "none_judged",
					    "no_dns_data",
					    "applies_to_none",
					    "tls13_pq_negotiated",
					    "pq_offered_not_chosen",
					    "pq_neither"};

/* The label the template gives key (checked to exist before any use). */
static const char *rc_word(const struct report_chart *c, const char *key)
{
	const char *w = report_page_label(c->labels, key);
	return w ? w : "";
}

/* TLS 1.3 connections per period by post-quantum key exchange (pq_time.gp):
 * negotiated, offered but not chosen, neither. Not measured (s NULL, or a
 * time section without the counters: an older snapshot) says so. */
static int rc_pq_chart(json_t *time, const struct report_series *s, const char *dir,
		       struct report_chart *c, char *err, size_t errlen)
{
	int measured = s && json_object_get(json_object_get(time, "other"), "tls13") != NULL;
	const long long *t = measured ? s->total : NULL;
	long long hidden = measured ? report_snap_count(time, "other.tls13") : 0;
	tpl_flag(c->vals, "measured", measured);
	for (int u = REPORT_HOUR; u <= REPORT_YEAR; u++)
		tpl_flag(c->vals, report_time_unit_flags[u], s && u == (int)s->unit);
	tpl_flag(c->vals, "dense", s && s->dense);
	tpl_flag(c->vals, "has_hidden", hidden > 0);
	tpl_setf(c->vals, "hidden", "%lld", hidden);
	report_page_num(c->vals, "tls13", t ? t[REPORT_T_TLS13] : 0);
	report_page_num(c->vals, "negotiated", t ? t[REPORT_T_PQ_NEGOTIATED] : 0);
	report_page_num(c->vals, "offered", t ? t[REPORT_T_PQ_OFFERED] : 0);
	if (!t || t[REPORT_T_TLS13] == 0 || s->n == 0) {
		c->state = measured ? REPORT_CHART_EMPTY : REPORT_CHART_ABSENT;
		return 0;
	}
	struct rc_file f;
	char label[64];
	if (rc_open(&f, dir, c->name, err, errlen) != 0)
		return -1;
	rc_printf(&f, "%s\t%s\t%s\t%s\n", rc_word(c, "period"), rc_word(c, "tls13_pq_negotiated"),
		  rc_word(c, "pq_offered_not_chosen"), rc_word(c, "pq_neither"));
	for (size_t i = 0; i < s->n; i++) {
		const long long *v = s->p[i].v;
		report_time_label(s->p[i].key, s->unit, label, sizeof(label));
		rc_printf(&f, "%s\t%lld\t%lld\t%lld\n", label, v[REPORT_T_PQ_NEGOTIATED],
			  v[REPORT_T_PQ_OFFERED] - v[REPORT_T_PQ_NEGOTIATED],
			  v[REPORT_T_TLS13] - v[REPORT_T_PQ_OFFERED]);
	}
	c->state = REPORT_CHART_DATA;
	return rc_close(&f, err, errlen);
}

static int rc_time_charts(json_t *snap, const char *dir, struct report_chart *enc,
			  struct report_chart *anom, struct report_chart *pq, char *err,
			  size_t errlen)
{
	json_t *time = json_object_get(snap, "time");
	tpl_flag(enc->vals, "measured", json_is_object(time));
	tpl_flag(anom->vals, "measured", json_is_object(time));
	if (!json_is_object(time)) {
		enc->state = anom->state = REPORT_CHART_ABSENT;
		return rc_pq_chart(time, NULL, dir, pq, err, errlen);
	}
	struct report_series s;
	if (report_time_series(time, &s) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (rc_pq_chart(time, &s, dir, pq, err, errlen) != 0) {
		free(s.p);
		return -1;
	}
	long long conns = 0;
	for (int c = 0; c < REPORT_T_ANOMALIES; c++)
		conns += s.total[c];
	long long hidden = s.other_connections + s.unparsed;
	struct report_chart *both[2] = {enc, anom};
	for (int i = 0; i < 2; i++) {
		struct tpl_scope *v = both[i]->vals;
		for (int u = REPORT_HOUR; u <= REPORT_YEAR; u++)
			tpl_flag(v, report_time_unit_flags[u], u == (int)s.unit);
		tpl_flag(v, "dense", s.dense);
		tpl_flag(v, "has_hidden", hidden > 0);
		tpl_setf(v, "hidden", "%lld", hidden);
		report_page_num(v, "conns", conns);
		report_page_num(v, "anomalies", s.total[REPORT_T_ANOMALIES]);
		tpl_flag(v, "no_connections", conns == 0 || s.n == 0);
	}

	int rc = 0;
	if (conns == 0 || s.n == 0) {
		enc->state = anom->state = REPORT_CHART_EMPTY;
		goto done;
	}
	enc->state = REPORT_CHART_DATA;
	anom->state = s.total[REPORT_T_ANOMALIES] > 0 ? REPORT_CHART_DATA : REPORT_CHART_EMPTY;

	struct rc_file f;
	char label[64];
	if (rc_open(&f, dir, enc->name, err, errlen) != 0) {
		rc = -1;
		goto done;
	}
	rc_printf(&f, "%s", rc_word(enc, "period"));
	for (int c = 0; c < REPORT_T_ANOMALIES; c++)
		rc_printf(&f, "\t%s", rc_word(enc, report_time_fields[c]));
	rc_printf(&f, "\n");
	for (size_t i = 0; i < s.n; i++) {
		report_time_label(s.p[i].key, s.unit, label, sizeof(label));
		rc_printf(&f, "%s", label);
		for (int c = 0; c < REPORT_T_ANOMALIES; c++)
			rc_printf(&f, "\t%lld", s.p[i].v[c]);
		rc_printf(&f, "\n");
	}
	if (rc_close(&f, err, errlen) != 0) {
		rc = -1;
		goto done;
	}
	if (anom->state == REPORT_CHART_DATA) {
		if (rc_open(&f, dir, anom->name, err, errlen) != 0) {
			rc = -1;
			goto done;
		}
		rc_printf(&f, "%s\t%s\n", rc_word(anom, "period"),
			  rc_word(anom, report_time_fields[REPORT_T_ANOMALIES]));
		for (size_t i = 0; i < s.n; i++) {
			report_time_label(s.p[i].key, s.unit, label, sizeof(label));
			rc_printf(&f, "%s\t%lld\n", label, s.p[i].v[REPORT_T_ANOMALIES]);
		}
		rc = rc_close(&f, err, errlen);
	}
done:
	free(s.p);
	return rc;
}

/* ---- horizontal bars ------------------------------------------------- */

struct rc_bar {
	char label[160];
	long long n;
	unsigned colour;
	char text[96];
};

static int rc_write_bars(const char *dir, struct report_chart *c, const struct rc_bar *bars,
			 size_t n, char *err, size_t errlen)
{
	struct rc_file f;
	if (rc_open(&f, dir, c->name, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		rc_label(&f, bars[i].label);
		rc_printf(&f, "\t%lld\t%u\t", bars[i].n, bars[i].colour);
		rc_label(&f, bars[i].text);
		rc_printf(&f, "\n");
	}
	c->height = 90 + 30 * (int)n;
	c->state = REPORT_CHART_DATA;
	return rc_close(&f, err, errlen);
}

static void rc_bar_set(struct rc_bar *b, const char *label, long long n, long long den,
		       unsigned colour)
{
	char pct[16], num[32];
	snprintf(b->label, sizeof(b->label), "%s", label);
	b->n = n;
	b->colour = colour;
	report_snap_pct(n, den, pct, sizeof(pct));
	report_snap_thousands(n, num, sizeof(num));
	snprintf(b->text, sizeof(b->text), "%s (%s)", num, pct);
}

static const struct {
	const char *key, *label;
	unsigned colour;
} rc_versions[] = {
	{"TLSv1.3", "tls13", RC_GREEN},	 {"TLSv1.2", "tls12", RC_BLUE},
	{"TLSv1.1", "tls11", RC_ORANGE}, {"TLSv1.0", "tls10", RC_ORANGE},
	{"SSLv3", "ssl3", RC_VERMILION}, {"SSLv2", "ssl2", RC_VERMILION},
};

static const struct {
	const char *key, *label;
	unsigned colour;
} rc_grades[] = {
	{"modern", "grade_modern", RC_GREEN},	      {"strong", "grade_strong", RC_BLUE},
	{"other", "grade_other", RC_SKYBLUE},	      {"weak", "grade_weak", RC_ORANGE},
	{"insecure", "grade_insecure", RC_VERMILION}, {"unknown", "grade_unknown", RC_GREY},
};

#define RC_MAX_BARS 16

/* A distribution drawn as bars: the known keys first in the given order, then
 * the others by count (at most RC_MAX_BARS rows; the rest is one row). */
static int rc_dist_chart(json_t *dist, long long den, const char *const *keys,
			 const char *const *labels, const unsigned *colours, size_t nknown,
			 const char *dir, struct report_chart *c, char *err, size_t errlen)
{
	struct report_kvs kvs;
	struct rc_bar bars[RC_MAX_BARS + 1];
	size_t nb = 0;
	if (report_snap_dist(dist, NULL, &kvs) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t k = 0; k < nknown && nb < RC_MAX_BARS; k++)
		for (size_t i = 0; i < kvs.n; i++)
			if (strcmp(kvs.v[i].key, keys[k]) == 0 && kvs.v[i].n > 0)
				rc_bar_set(&bars[nb++], rc_word(c, labels[k]), kvs.v[i].n, den,
					   colours[k]);
	long long rest = 0;
	for (size_t i = 0; i < kvs.n; i++) {
		int known = 0;
		for (size_t k = 0; k < nknown; k++)
			known |= strcmp(kvs.v[i].key, keys[k]) == 0;
		if (known || kvs.v[i].n == 0)
			continue;
		if (nb < RC_MAX_BARS)
			rc_bar_set(&bars[nb++], kvs.v[i].key, kvs.v[i].n, den, RC_GREY);
		else
			rest += kvs.v[i].n;
	}
	rest += report_snap_count(dist, "other");
	if (rest > 0)
		rc_bar_set(&bars[nb++], rc_word(c, "all_others"), rest, den, RC_GREY);
	report_kvs_free(&kvs);
	if (nb == 0) {
		c->state = REPORT_CHART_EMPTY;
		return 0;
	}
	return rc_write_bars(dir, c, bars, nb, err, errlen);
}

static int rc_tls_charts(json_t *snap, const char *dir, struct report_chart *ver,
			 struct report_chart *grade, char *err, size_t errlen)
{
	json_t *tls = json_object_get(snap, "tls");
	long long neg = report_snap_int(snap, "tls.negotiated");
	tpl_flag(ver->vals, "measured", json_is_object(tls) && neg >= 0);
	tpl_flag(grade->vals, "measured", json_is_object(tls) && neg >= 0);
	if (!json_is_object(tls) || neg < 0) {
		ver->state = grade->state = REPORT_CHART_ABSENT;
		return 0;
	}
	report_page_num(ver->vals, "neg", neg);
	report_page_num(grade->vals, "neg", neg);
	tpl_flag(ver->vals, "no_tls", neg == 0);
	tpl_flag(grade->vals, "no_tls", neg == 0);
	if (neg == 0) {
		ver->state = grade->state = REPORT_CHART_EMPTY;
		return 0;
	}
	const char *keys[8], *labels[8];
	unsigned colours[8];
	size_t nv = sizeof(rc_versions) / sizeof(rc_versions[0]);
	for (size_t i = 0; i < nv; i++) {
		keys[i] = rc_versions[i].key;
		labels[i] = rc_versions[i].label;
		colours[i] = rc_versions[i].colour;
	}
	if (rc_dist_chart(json_object_get(tls, "versions"), neg, keys, labels, colours, nv, dir,
			  ver, err, errlen) != 0)
		return -1;
	size_t ng = sizeof(rc_grades) / sizeof(rc_grades[0]);
	for (size_t i = 0; i < ng; i++) {
		keys[i] = rc_grades[i].key;
		labels[i] = rc_grades[i].label;
		colours[i] = rc_grades[i].colour;
	}
	if (rc_dist_chart(json_object_get(tls, "grades"), neg, keys, labels, colours, ng, dir,
			  grade, err, errlen) != 0)
		return -1;
	return 0;
}

/* The first of several names a counter has had; -1 when none is present. */
static long long rc_first(json_t *o, const char *a, const char *b)
{
	long long v = report_snap_int(o, a);
	if (v < 0 && b)
		v = report_snap_int(o, b);
	return v;
}

static void rc_of_text(const struct report_chart *c, struct rc_bar *b, const char *key, long long n,
		       long long den, unsigned colour)
{
	char num[32], d[32];
	const char *label = rc_word(c, key);
	snprintf(b->label, sizeof(b->label), "%s", label);
	b->n = n;
	b->colour = colour;
	report_snap_thousands(n, num, sizeof(num));
	report_snap_thousands(den, d, sizeof(d));
	snprintf(b->text, sizeof(b->text), "%s %s %s", num, rc_word(c, "of"), d);
}

static int rc_cert_charts(json_t *snap, const char *dir, struct report_chart *st,
			  struct report_chart *keys, char *err, size_t errlen)
{
	json_t *cert = json_object_get(snap, "cert");
	tpl_flag(st->vals, "measured", json_is_object(cert));
	tpl_flag(keys->vals, "measured", json_is_object(cert));
	if (!json_is_object(cert)) {
		st->state = keys->state = REPORT_CHART_ABSENT;
		return 0;
	}
	long long conns = rc_first(cert, "connections", NULL);
	if (conns < 0)
		conns = report_snap_count(snap, "tls.negotiated");
	long long observed = report_snap_count(cert, "observed");
	long long inferred = report_snap_count(cert, "inferred");
	long long with = observed + inferred;
	long long unseen = rc_first(cert, "unseen", NULL);
	long long unseen13 = report_snap_int(cert, "unseen_tls13");
	if (unseen < 0 && unseen13 >= 0)
		unseen = unseen13;
	if (unseen < 0 && conns >= with)
		unseen = conns - with;

	report_page_num(st->vals, "conns", conns);
	report_page_num(st->vals, "with", with);
	tpl_flag(st->vals, "no_tls", conns == 0);
	tpl_flag(keys->vals, "no_tls", conns == 0);
	if (conns == 0) {
		st->state = keys->state = REPORT_CHART_EMPTY;
		return 0;
	}
	struct rc_bar bars[6];
	size_t nb = 0;
	long long v;
	if ((v = rc_first(cert, "valid", "chain_valid")) >= 0)
		rc_of_text(st, &bars[nb++], "chain_valid", v, with, RC_GREEN);
	if ((v = rc_first(cert, "self_signed", NULL)) >= 0)
		rc_of_text(st, &bars[nb++], "self_signed", v, with, RC_VERMILION);
	if ((v = rc_first(cert, "expired", NULL)) >= 0)
		rc_of_text(st, &bars[nb++], "expired", v, with, RC_ORANGE);
	if ((v = rc_first(cert, "hostname_mismatch", "mismatch")) >= 0)
		rc_of_text(st, &bars[nb++], "name_mismatch", v, with, RC_PURPLE);
	if (unseen >= 0)
		rc_of_text(st, &bars[nb++], "no_certificate", unseen, conns, RC_GREY);
	if (nb == 0) {
		st->state = REPORT_CHART_EMPTY;
	} else if (rc_write_bars(dir, st, bars, nb, err, errlen) != 0) {
		return -1;
	}

	json_t *dist = json_object_get(cert, "key_sizes");
	if (!json_is_object(dist))
		dist = json_object_get(cert, "key_types");
	long long total = report_snap_dist_total(dist);
	report_page_num(keys->vals, "keys", total < 0 ? 0 : total);
	tpl_flag(keys->vals, "keys_one", total == 1);
	tpl_flag(keys->vals, "has_keys", total >= 0);
	if (total <= 0) {
		keys->state = total < 0 ? REPORT_CHART_ABSENT : REPORT_CHART_EMPTY;
		return 0;
	}
	struct report_kvs kvs;
	if (report_snap_dist(dist, NULL, &kvs) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct rc_bar kb[RC_MAX_BARS + 1];
	size_t nk = 0;
	long long rest = report_snap_count(dist, "other");
	for (size_t i = 0; i < kvs.n; i++) {
		if (kvs.v[i].n == 0)
			continue;
		if (nk == RC_MAX_BARS) {
			rest += kvs.v[i].n;
			continue;
		}
		const char *k = kvs.v[i].key;
		unsigned colour = RC_SKYBLUE;
		if (strncmp(k, "RSA", 3) == 0) {
			const char *sp = strchr(k, ' ');
			long bits = sp ? strtol(sp + 1, NULL, 10) : 0;
			colour = bits > 0 && bits < 2048 ? RC_VERMILION : RC_BLUE;
		} else if (strncmp(k, "EC", 2) == 0 || strncmp(k, "Ed", 2) == 0 ||
			   strncmp(k, "ED", 2) == 0) {
			colour = RC_GREEN;
		}
		rc_bar_set(&kb[nk++], k, kvs.v[i].n, total, colour);
	}
	if (rest > 0)
		rc_bar_set(&kb[nk++], rc_word(keys, "all_others"), rest, total, RC_GREY);
	report_kvs_free(&kvs);
	return rc_write_bars(dir, keys, kb, nk, err, errlen);
}

/* ---- shares by country and AS ---------------------------------------- */

static int rc_share_chart(json_t *snap, const char *key, const char *dir, struct report_chart *c,
			  char *err, size_t errlen)
{
	json_t *sec = json_object_get(snap, key);
	/* Without a database the section may be there but hold nothing. */
	int measured =
		json_is_object(sec) && (report_snap_count(sec, "other.connections") != 0 ||
					json_object_size(json_object_get(sec, "keys")) != 0 ||
					report_snap_count(snap, "connections.total") == 0);
	tpl_flag(c->vals, "measured", measured);
	if (!measured) {
		c->state = REPORT_CHART_ABSENT;
		return 0;
	}
	struct report_kvs kvs;
	if (report_snap_dist(sec, "connections", &kvs) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t groups = 0;
	long long known_total = 0;
	for (size_t i = 0; i < kvs.n; i++) {
		long long known = kvs.v[i].n - report_snap_count(kvs.v[i].val, "unknown");
		if (known > 0) {
			groups++;
			known_total += known;
		}
	}
	report_page_num(c->vals, "known", known_total);
	tpl_flag(c->vals, "many_groups", groups > RC_MAX_GROUPS);
	tpl_setf(c->vals, "max_groups", "%d", RC_MAX_GROUPS);
	if (groups == 0) {
		c->state = REPORT_CHART_EMPTY;
		report_kvs_free(&kvs);
		return 0;
	}
	struct rc_file f;
	if (rc_open(&f, dir, c->name, err, errlen) != 0) {
		report_kvs_free(&kvs);
		return -1;
	}
	size_t rows = 0;
	for (size_t i = 0; i < kvs.n && rows < RC_MAX_GROUPS; i++) {
		json_t *v = kvs.v[i].val;
		long long known = kvs.v[i].n - report_snap_count(v, "unknown");
		if (known <= 0)
			continue;
		long long enc =
			report_snap_count(v, "starttls") + report_snap_count(v, "implicit_tls");
		long long bad = report_snap_count(v, "starttls_refused") +
				report_snap_count(v, "starttls_failed");
		long long plain = report_snap_count(v, "plaintext");
		long long mid = report_snap_count(v, "tls_unknown_start");
		double k = (double)known;
		char pct[16], kn[32];
		report_snap_pct(enc, known, pct, sizeof(pct));
		report_snap_thousands(known, kn, sizeof(kn));
		rc_label(&f, strcmp(kvs.v[i].key, "unknown") == 0 ? rc_word(c, "unknown_group")
								  : kvs.v[i].key);
		rc_printf(&f, "\t%.3f\t%.3f\t%.3f\t%.3f\t%s %s %s\n", 100.0 * (double)enc / k,
			  100.0 * (double)bad / k, 100.0 * (double)plain / k,
			  100.0 * (double)mid / k, pct, rc_word(c, "of"), kn);
		rows++;
	}
	report_kvs_free(&kvs);
	c->height = 150 + 30 * (int)rows;
	c->state = REPORT_CHART_DATA;
	return rc_close(&f, err, errlen);
}

/* ---- anomalies by type ----------------------------------------------- */

static int rc_anomaly_chart(json_t *snap, const char *dir, struct report_chart *c, char *err,
			    size_t errlen)
{
	json_t *per = json_object_get(snap, "anomalies");
	json_t *cross = json_object_get(snap, "anomalies_cross");
	tpl_flag(c->vals, "measured", json_is_object(per) || json_is_object(cross));
	if (!json_is_object(per) && !json_is_object(cross)) {
		c->state = REPORT_CHART_ABSENT;
		return 0;
	}
	long long conns = report_snap_count(snap, "connections.total");
	report_page_num(c->vals, "conns", conns);
	struct report_kvs a, b;
	if (report_snap_dist(per, NULL, &a) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (report_snap_dist(cross, NULL, &b) != 0) {
		report_kvs_free(&a);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct rc_bar bars[2 * RC_MAX_BARS + 1];
	size_t nb = 0;
	size_t ia = 0, ib = 0;
	long long rest = report_snap_count(per, "other") + report_snap_count(cross, "other");
	/* Merge the two sorted lists, largest first. */
	while (ia < a.n || ib < b.n) {
		int from_a = ib >= b.n || (ia < a.n && a.v[ia].n >= b.v[ib].n);
		const struct report_kv *kv = from_a ? &a.v[ia++] : &b.v[ib++];
		if (kv->n == 0)
			continue;
		if (nb == 2 * RC_MAX_BARS) {
			rest += kv->n;
			continue;
		}
		struct report_anomaly_info info = report_charts_anomaly(kv->key);
		char label[160];
		snprintf(label, sizeof(label), "%s%s%s", kv->key, from_a ? "" : " ",
			 from_a ? "" : rc_word(c, "from_history"));
		rc_bar_set(&bars[nb], label, kv->n, conns, rc_severity_colour(info.severity));
		report_snap_thousands(kv->n, bars[nb].text, sizeof(bars[nb].text));
		nb++;
	}
	if (rest > 0) {
		rc_bar_set(&bars[nb], rc_word(c, "other_types"), rest, conns, RC_GREY);
		report_snap_thousands(rest, bars[nb].text, sizeof(bars[nb].text));
		nb++;
	}
	report_kvs_free(&a);
	report_kvs_free(&b);
	if (nb == 0) {
		c->state = REPORT_CHART_EMPTY;
		return 0;
	}
	return rc_write_bars(dir, c, bars, nb, err, errlen);
}

/* ---- the policy dry-run -------------------------------------------- */

/* One bar per policy, stacked by outcome over all directions: pass, fail,
 * unknown, not applicable (policy_outcomes.gp). */
static int rc_policy_chart(json_t *snap, const char *dir, struct report_chart *c, char *err,
			   size_t errlen)
{
	json_t *sec = json_object_get(snap, "policy");
	long long conns = report_snap_count(sec, "connections");
	long long unknown_dir = report_snap_count(sec, "directions.unknown");
	int no_dns = !json_is_object(json_object_get(snap, "dns"));
	tpl_flag(c->vals, "measured", json_is_object(sec));
	report_page_num(c->vals, "conns", conns);
	tpl_flag(c->vals, "no_dns", no_dns);
	tpl_flag(c->vals, "no_local_net", conns > 0 && unknown_dir == conns);
	if (!json_is_object(sec) || conns == 0) {
		c->state = json_is_object(sec) ? REPORT_CHART_EMPTY : REPORT_CHART_ABSENT;
		return 0;
	}
	struct rc_file f;
	if (rc_open(&f, dir, c->name, err, errlen) != 0)
		return -1;
	unsigned n = 0;
	for (const char *name; (name = report_policy_name(n)) != NULL; n++) {
		struct report_policy_sum t = report_policy_total(sec, name);
		char a[32], b[32];
		int dns = strcmp(name, "dane") == 0 || strcmp(name, "mta-sts") == 0;
		report_snap_thousands(t.fail, a, sizeof(a));
		report_snap_thousands(t.fail + t.pass, b, sizeof(b));
		rc_label(&f, name);
		rc_printf(&f, "\t%lld\t%lld\t%lld\t%lld\t", t.pass, t.fail, t.unknown, t.na);
		if (dns && no_dns)
			rc_printf(&f, "%s\n", rc_word(c, "no_dns_data"));
		else if (t.fail + t.pass + t.unknown == 0)
			rc_printf(&f, "%s\n", rc_word(c, "applies_to_none"));
		else if (t.fail + t.pass == 0)
			rc_printf(&f, "%s\n", rc_word(c, "none_judged"));
		else
			rc_printf(&f, "%s %s %s %s\n", a, rc_word(c, "of"), b,
				  rc_word(c, "would_fail"));
	}
	c->height = 150 + 34 * (int)n;
	c->state = REPORT_CHART_DATA;
	return rc_close(&f, err, errlen);
}

/* Renders the texts of a chart from the template, with the values its
 * preparation set: the title, and what its state shows (note, caption and
 * axis title with data; why not, without). */
static int rc_texts(struct report_chart *c, struct tpl_data *d, char *err, size_t errlen)
{
	struct {
		const char *field;
		char *buf;
		size_t len;
		int needed;
	} texts[] = {
		{"title", c->title, sizeof(c->title), 1},
		{"note", c->note, sizeof(c->note), c->state == REPORT_CHART_DATA},
		{"caption", c->caption, sizeof(c->caption), c->state == REPORT_CHART_DATA},
		{"xtitle", c->xtitle, sizeof(c->xtitle), c->state == REPORT_CHART_DATA},
		{"empty", c->empty, sizeof(c->empty), c->state != REPORT_CHART_DATA},
	};
	size_t n = sizeof(texts) / sizeof(texts[0]);
	for (size_t i = 0; i < n; i++) {
		if (!texts[i].needed)
			continue;
		for (size_t j = 0; j < n; j++)
			tpl_flag(tpl_root(d), texts[j].field, i == j);
		if (report_page_chart_text(d, texts[i].buf, texts[i].len, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* Every label the data files use is in the template. */
static int rc_check_labels(const struct report_labels *l, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(rc_label_keys) / sizeof(rc_label_keys[0]); i++) {
		if (!report_page_label(l, rc_label_keys[i])) {
			snprintf(err, errlen, "template: no chart label \"%s\"", rc_label_keys[i]);
			return -1;
		}
	}
	for (int c = 0; c <= REPORT_T_ANOMALIES; c++) {
		if (!report_page_label(l, report_time_fields[c])) {
			snprintf(err, errlen, "template: no chart label \"%s\"",
				 report_time_fields[c]);
			return -1;
		}
	}
	return 0;
}

int report_charts_prepare(json_t *snap, const char *dir, struct report_chart *charts, char *err,
			  size_t errlen)
{
	/* The charts in page order, and the flag that selects the texts they
	 * share with a sibling in the template. */
	static const struct {
		const char *name, *family;
	} defs[REPORT_NCHARTS] = {
		{"policy_outcomes", ""},
		{"encryption_time", "over_time"},
		{"tls_versions", "over_tls"},
		{"cipher_grades", "over_tls"},
		{"pq_time", ""},
		{"cert_status", "over_cert"},
		{"key_sizes", "over_cert"},
		{"country_share", "over_groups"},
		{"as_share", "over_groups"},
		{"anomaly_types", ""},
		{"anomalies_time", "over_time"},
	};
	static const char *const families[] = {"over_time", "over_tls", "over_cert", "over_groups"};
	struct tpl_data *vals[REPORT_NCHARTS] = {NULL};
	struct report_labels labels;
	int rc = -1;
	if (report_page_labels(&labels, err, errlen) != 0)
		return -1;
	if (rc_check_labels(&labels, err, errlen) != 0)
		goto fail;
	for (size_t i = 0; i < REPORT_NCHARTS; i++) {
		memset(&charts[i], 0, sizeof(charts[i]));
		charts[i].name = defs[i].name;
		charts[i].state = REPORT_CHART_EMPTY;
		vals[i] = tpl_data_new();
		if (!vals[i]) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		charts[i].vals = tpl_root(vals[i]);
		charts[i].labels = &labels;
		for (size_t j = 0; j < REPORT_NCHARTS; j++)
			tpl_flag(charts[i].vals, defs[j].name, i == j);
		for (size_t j = 0; j < sizeof(families) / sizeof(families[0]); j++)
			tpl_flag(charts[i].vals, families[j],
				 strcmp(families[j], defs[i].family) == 0);
	}
	if (rc_policy_chart(snap, dir, &charts[0], err, errlen) != 0 ||
	    rc_time_charts(snap, dir, &charts[1], &charts[10], &charts[4], err, errlen) != 0 ||
	    rc_tls_charts(snap, dir, &charts[2], &charts[3], err, errlen) != 0 ||
	    rc_cert_charts(snap, dir, &charts[5], &charts[6], err, errlen) != 0 ||
	    rc_share_chart(snap, "by_country", dir, &charts[7], err, errlen) != 0 ||
	    rc_share_chart(snap, "by_as", dir, &charts[8], err, errlen) != 0 ||
	    rc_anomaly_chart(snap, dir, &charts[9], err, errlen) != 0)
		goto fail;
	for (size_t i = 0; i < REPORT_NCHARTS; i++)
		if (rc_texts(&charts[i], vals[i], err, errlen) != 0)
			goto fail;
	rc = 0;
fail:
	for (size_t i = 0; i < REPORT_NCHARTS; i++) {
		tpl_data_free(vals[i]);
		charts[i].vals = NULL;
		charts[i].labels = NULL;
	}
	report_page_labels_free(&labels);
	return rc;
}
