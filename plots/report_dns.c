/* report_dns.c — the report's DNS section: DANE and MTA-STS results, the MX
 * hosts that publish TLSA records, the MTA-STS policy domains (see
 * report_dns.h). Only values are set here; the words are the template's. */
#include "plots/report_dns.h"

#include <stdio.h>
#include <string.h>

#include "plots/report_page.h"
#include "plots/report_snap.h"
#include "plots/tpl.h"
#include "stats/record/rec_dns.h"

/* Rows of the host and domain tables. */
#define RD_TOP 20

static const char *const rd_sts_why[] = {"no_tls", "mx_mismatch", "chain", "name", "expired"};
#define RD_NWHY (sizeof(rd_sts_why) / sizeof(rd_sts_why[0]))

static void rd_pct(struct tpl_scope *s, const char *name, long long num, long long den)
{
	char b[16];
	report_snap_pct(num, den, b, sizeof(b));
	tpl_set(s, name, b);
}

/* A share for the sentences: shown when its denominator is not 0. */
static void rd_ratio(struct tpl_scope *s, json_t *snap, const char *name, const char *num,
		     const char *den)
{
	char key[64];
	struct report_ratio r = report_snap_ratio(snap, name, num, den);
	snprintf(key, sizeof(key), "%s_shown", name);
	tpl_flag(s, key, r.present && r.den > 0);
	snprintf(key, sizeof(key), "%s_num", name);
	report_page_num(s, key, r.num);
	snprintf(key, sizeof(key), "%s_den", name);
	report_page_num(s, key, r.den);
	snprintf(key, sizeof(key), "%s_pct", name);
	rd_pct(s, key, r.num, r.den);
}

/* One row per result with a count: its name, count and share of the
 * connections with DNS facts, and the flag is_<result> (every result's flag
 * is set in every row, as the template tests them all). */
static void rd_results(struct tpl_scope *t, json_t *obj, const char *list,
		       const char *(*name)(unsigned), unsigned n, long long den)
{
	char flag[48];
	tpl_list(t, list);
	for (unsigned i = 0; i < n; i++) {
		long long c = report_snap_count(obj, name(i));
		if (c == 0)
			continue;
		struct tpl_scope *row = tpl_row(t, list);
		tpl_set(row, "result", name(i));
		report_page_num(row, "n", c);
		rd_pct(row, "share", c, den);
		for (unsigned k = 0; k < n; k++) {
			snprintf(flag, sizeof(flag), "is_%s", name(k));
			tpl_flag(row, flag, k == i);
		}
	}
}

static const char *rd_dane_name(unsigned i)
{
	return rec_dane_name((enum rec_dane)i);
}

static const char *rd_sts_name(unsigned i)
{
	return rec_sts_name((enum rec_sts)i);
}

static const char *rd_why_name(unsigned i)
{
	return i < RD_NWHY ? rd_sts_why[i] : "";
}

/* The MX hosts that publish secure TLSA records, by connections. */
static void rd_hosts(struct tpl_scope *t, json_t *dns)
{
	struct report_kvs kvs = {NULL, 0};
	tpl_list(t, "hosts");
	if (report_snap_dist(json_object_get(dns, "mx_hosts"), "connections", &kvs) != 0)
		return;
	size_t matches = 0, shown = 0;
	for (size_t i = 0; i < kvs.n; i++) {
		json_t *v = kvs.v[i].val;
		if (report_snap_count(v, "tlsa_secure") == 0)
			continue;
		matches++;
		if (shown >= RD_TOP)
			continue;
		struct tpl_scope *row = tpl_row(t, "hosts");
		tpl_set(row, "host", kvs.v[i].key);
		report_page_num(row, "connections", kvs.v[i].n);
		report_page_num(row, "match", report_snap_count(v, "dane_match"));
		report_page_num(row, "mismatch", report_snap_count(v, "dane_mismatch"));
		report_page_num(row, "no_tls", report_snap_count(v, "dane_no_tls"));
		tpl_flag(row, "bad",
			 report_snap_count(v, "dane_mismatch") +
					 report_snap_count(v, "dane_no_tls") >
				 0);
		shown++;
	}
	tpl_flag(t, "hosts_table", matches > 0);
	tpl_flag(t, "hosts_more", matches > shown);
	tpl_setf(t, "hosts_more_n", "%zu", matches - shown);
	tpl_flag(t, "hosts_truncated",
		 report_snap_dist_truncated(json_object_get(dns, "mx_hosts")));
	report_kvs_free(&kvs);
}

/* The MTA-STS policy domains, by connections. */
static void rd_domains(struct tpl_scope *t, json_t *dns)
{
	struct report_kvs kvs = {NULL, 0};
	tpl_list(t, "domains");
	if (report_snap_dist(json_object_get(dns, "policy_domains"), "connections", &kvs) != 0)
		return;
	size_t shown = 0;
	for (size_t i = 0; i < kvs.n && shown < RD_TOP; i++) {
		json_t *v = kvs.v[i].val;
		if (kvs.v[i].n == 0)
			continue;
		long long enforce = report_snap_count(v, "enforce"),
			  testing = report_snap_count(v, "testing");
		struct tpl_scope *row = tpl_row(t, "domains");
		tpl_set(row, "domain", kvs.v[i].key);
		report_page_num(row, "connections", kvs.v[i].n);
		tpl_flag(row, "enforce", enforce > 0);
		tpl_flag(row, "testing", testing > 0);
		tpl_flag(row, "mode_unknown", enforce + testing == 0);
		report_page_num(row, "pass", report_snap_count(v, "pass"));
		report_page_num(row, "fail", report_snap_count(v, "fail"));
		report_page_num(row, "unknown", report_snap_count(v, "unknown"));
		tpl_flag(row, "bad", report_snap_count(v, "fail") > 0);
		shown++;
	}
	tpl_flag(t, "domains_table", shown > 0);
	tpl_flag(t, "domains_more", kvs.n > shown);
	tpl_setf(t, "domains_more_n", "%zu", kvs.n - shown);
	report_kvs_free(&kvs);
}

void report_dns_page(struct tpl_scope *root, json_t *snap)
{
	json_t *dns = json_object_get(snap, "dns");
	tpl_list(root, "dns");
	struct tpl_scope *t = tpl_row(root, "dns");
	int measured = json_is_object(dns);
	tpl_flag(t, "measured", measured);
	if (!measured)
		return;
	long long conns = report_snap_count(dns, "connections");
	report_page_num(t, "connections", conns);
	report_page_num(t, "mx_known", report_snap_count(dns, "mx_known"));
	rd_ratio(t, snap, "dane_published", "dns.tlsa.secure", "dns.mx_known");
	rd_ratio(t, snap, "dane_mismatch", "dns.dane.mismatch", "dns.dane.checked");
	rd_ratio(t, snap, "dane_no_tls", "dns.dane.no_tls", "dns.dane.usable");
	rd_ratio(t, snap, "mx_hosts_with_dane", NULL, NULL);
	rd_ratio(t, snap, "mx_hosts_dane_mismatch", NULL, NULL);
	rd_ratio(t, snap, "mta_sts_published", "dns.mta_sts.published", "dns.mx_known");
	rd_ratio(t, snap, "mta_sts_pass", "dns.mta_sts.pass", "dns.mta_sts.checked");

	json_t *dane = json_object_get(dns, "dane");
	json_t *sts = json_object_get(dns, "mta_sts");
	rd_results(t, dane, "dane_rows", rd_dane_name, REC_DANE_COUNT, conns);
	rd_results(t, sts, "sts_rows", rd_sts_name, REC_STS_COUNT, conns);
	long long fails = report_snap_count(sts, "fail");
	rd_results(t, json_object_get(sts, "fail_reasons"), "why_rows", rd_why_name, RD_NWHY,
		   fails);
	report_page_num(t, "sts_fail", fails);
	tpl_flag(t, "sts_table",
		 report_snap_count(sts, "published") > 0 ||
			 report_snap_count(sts, "pass") + fails > 0);
	tpl_flag(t, "has_why", fails > 0);
	long long covers = report_snap_count(dane, "covers_certificate_alarms");
	report_page_num(t, "covers", covers);
	tpl_flag(t, "has_covers", covers > 0);
	rd_hosts(t, dns);
	rd_domains(t, dns);
}
