/* report_policy.c — the report's section "If you enforced TLS": the policy
 * dry-run per direction and policy (see report_policy.h). Only values are
 * set here; the words are the template's. */
#include "plots/report_policy.h"

#include <stdio.h>
#include <string.h>

#include "plots/report_page.h"
#include "plots/report_snap.h"
#include "plots/tpl.h"
#include "stats/record/rec_policy.h"

/* Rows of the server and domain tables of one policy, and the peers the
 * sentences name. */
#define RPO_TOP	 10
#define RPO_NAME 3

/* The directions in the order the section shows them, and which policies
 * apply to each (docs/policy.md, "Direction"): bit i is policy i. */
static const struct {
	enum rec_pol_dir dir;
	unsigned policies;
} rpo_dirs[] = {
	{REC_POL_DIR_INBOUND, 1u << REC_POL_REQUIRE_STARTTLS},
	{REC_POL_DIR_OUTBOUND, ((1u << REC_POL_COUNT) - 1) & ~(1u << REC_POL_REQUIRE_STARTTLS)},
	{REC_POL_DIR_INTERNAL, (1u << REC_POL_COUNT) - 1},
	{REC_POL_DIR_UNKNOWN, (1u << REC_POL_COUNT) - 1},
	{REC_POL_DIR_EXTERNAL, 0},
};
#define RPO_NDIRS (sizeof(rpo_dirs) / sizeof(rpo_dirs[0]))

const char *report_policy_name(unsigned i)
{
	return i < REC_POL_COUNT ? rec_pol_name((enum rec_pol)i) : NULL;
}

/* A name as a template flag: "is_" and the name with '-' as '_'. */
static void rpo_flag_name(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "is_%s", name);
	for (char *c = buf; *c; c++)
		if (*c == '-')
			*c = '_';
}

/* Sets is_<name> for every name of the list, on for `on` only. */
static void rpo_flags(struct tpl_scope *s, const char *(*name)(unsigned), unsigned n,
		      const char *on)
{
	char flag[64];
	for (unsigned i = 0; i < n; i++) {
		const char *k = name(i);
		if (!k)
			continue;
		rpo_flag_name(k, flag, sizeof(flag));
		tpl_flag(s, flag, on && strcmp(k, on) == 0);
	}
}

static const char *rpo_reason_name(unsigned i)
{
	return i == REC_POL_R_NONE ? NULL : rec_pol_reason_name((enum rec_pol_reason)i);
}

static const char *rpo_dir_name(unsigned i)
{
	return rec_pol_dir_name((enum rec_pol_dir)i);
}

struct report_policy_sum report_policy_total(json_t *sec, const char *name)
{
	struct report_policy_sum t = {0, 0, 0, 0};
	json_t *by = json_object_get(sec, "by_direction");
	for (unsigned d = 0; d < REC_POL_DIR_COUNT; d++) {
		json_t *o = json_object_get(json_object_get(by, rpo_dir_name(d)), name);
		json_t *r = json_object_get(o, "results");
		t.pass += report_snap_count(r, "pass");
		t.fail += report_snap_count(r, "fail");
		t.unknown += report_snap_count(r, "unknown");
		t.na += report_snap_count(r, "not_applicable");
	}
	return t;
}

/* The failing peers of one distribution (servers or domains): the table
 * rows (at most RPO_TOP, by failing connections), and the peers the
 * sentence names, those that always fail apart from the intermittent
 * ones. */
static void rpo_peers(struct tpl_scope *p, json_t *dist, const char *list)
{
	struct report_kvs kvs = {NULL, 0};
	char name[64];
	tpl_list(p, list);
	snprintf(name, sizeof(name), "%s_always", list);
	tpl_list(p, name);
	snprintf(name, sizeof(name), "%s_sometimes", list);
	tpl_list(p, name);
	if (report_snap_dist(dist, "fail", &kvs) != 0)
		return;
	size_t failing = 0, shown = 0, always = 0, sometimes = 0;
	for (size_t i = 0; i < kvs.n && kvs.v[i].n > 0; i++) {
		json_t *v = kvs.v[i].val;
		long long pass = report_snap_count(v, "pass");
		failing++;
		snprintf(name, sizeof(name), "%s_%s", list, pass ? "sometimes" : "always");
		size_t *named = pass ? &sometimes : &always;
		if (*named < RPO_NAME) {
			struct tpl_scope *row = tpl_row(p, name);
			tpl_set(row, "peer", kvs.v[i].key);
			report_page_num(row, "peer_fail", kvs.v[i].n);
			report_page_num(row, "peer_all",
					kvs.v[i].n + pass + report_snap_count(v, "unknown"));
			tpl_flag(row, "first_peer", *named == 0);
		}
		(*named)++;
		if (shown >= RPO_TOP)
			continue;
		struct tpl_scope *row = tpl_row(p, list);
		tpl_set(row, "peer", kvs.v[i].key);
		report_page_num(row, "peer_fail", kvs.v[i].n);
		report_page_num(row, "peer_pass", pass);
		report_page_num(row, "peer_unknown", report_snap_count(v, "unknown"));
		report_page_num(row, "peer_messages", report_snap_count(v, "fail_messages"));
		tpl_flag(row, "intermittent", pass > 0);
		shown++;
	}
	report_kvs_free(&kvs);
	snprintf(name, sizeof(name), "%s_table", list);
	tpl_flag(p, name, shown > 0);
	snprintf(name, sizeof(name), "%s_more", list);
	tpl_flag(p, name, failing > shown);
	snprintf(name, sizeof(name), "%s_more_n", list);
	tpl_setf(p, name, "%zu", failing - shown);
	snprintf(name, sizeof(name), "%s_always_more", list);
	tpl_flag(p, name, always > RPO_NAME);
	snprintf(name, sizeof(name), "%s_always_more_n", list);
	tpl_setf(p, name, "%zu", always > RPO_NAME ? always - RPO_NAME : 0);
	snprintf(name, sizeof(name), "%s_sometimes_more", list);
	tpl_flag(p, name, sometimes > RPO_NAME);
	snprintf(name, sizeof(name), "%s_sometimes_more_n", list);
	tpl_setf(p, name, "%zu", sometimes > RPO_NAME ? sometimes - RPO_NAME : 0);
	snprintf(name, sizeof(name), "%s_truncated", list);
	tpl_flag(p, name, report_snap_dist_truncated(dist));
}

/* The reasons of the failures, largest first. */
static void rpo_reasons(struct tpl_scope *p, json_t *reasons)
{
	struct report_kvs kvs = {NULL, 0};
	tpl_list(p, "reasons");
	if (report_snap_dist(reasons, NULL, &kvs) != 0)
		return;
	size_t shown = 0;
	for (size_t i = 0; i < kvs.n; i++) {
		if (kvs.v[i].n == 0)
			continue;
		struct tpl_scope *row = tpl_row(p, "reasons");
		tpl_set(row, "reason", kvs.v[i].key);
		report_page_num(row, "reason_n", kvs.v[i].n);
		tpl_flag(row, "first_reason", shown == 0);
		rpo_flags(row, rpo_reason_name, REC_POL_R_COUNT, kvs.v[i].key);
		shown++;
	}
	report_kvs_free(&kvs);
}

/* The number of distinct keys of a distribution with at least one failure,
 * and of those, the ones that also passed. */
static void rpo_distinct(json_t *dist, long long *all, long long *failing, long long *always,
			 long long *sometimes)
{
	struct report_kvs kvs = {NULL, 0};
	*all = *failing = *always = *sometimes = 0;
	if (report_snap_dist(dist, "fail", &kvs) != 0)
		return;
	for (size_t i = 0; i < kvs.n; i++) {
		long long pass = report_snap_count(kvs.v[i].val, "pass");
		(*all)++;
		*failing += kvs.v[i].n > 0;
		*always += kvs.v[i].n > 0 && pass == 0;
		*sometimes += kvs.v[i].n > 0 && pass > 0;
	}
	report_kvs_free(&kvs);
}

/* One policy in one direction. */
static void rpo_policy(struct tpl_scope *p, json_t *o, const char *name, int has_dns)
{
	json_t *r = json_object_get(o, "results");
	long long pass = report_snap_count(r, "pass"), fail = report_snap_count(r, "fail"),
		  unknown = report_snap_count(r, "unknown"),
		  na = report_snap_count(r, "not_applicable");
	long long servers, failing, always, sometimes, domains, dfailing, dalways, dsometimes;
	json_t *sd = json_object_get(o, "servers"), *dd = json_object_get(o, "domains");
	rpo_distinct(sd, &servers, &failing, &always, &sometimes);
	rpo_distinct(dd, &domains, &dfailing, &dalways, &dsometimes);
	int dns_policy = strcmp(name, "dane") == 0 || strcmp(name, "mta-sts") == 0;

	tpl_set(p, "name", name);
	rpo_flags(p, report_policy_name, REC_POL_COUNT, name);
	report_page_num(p, "fail", fail);
	report_page_num(p, "pass", pass);
	report_page_num(p, "unknown", unknown);
	report_page_num(p, "na", na);
	report_page_num(p, "judged", pass + fail);
	long long messages = report_snap_count(o, "fail_messages");
	report_page_num(p, "messages", messages);
	tpl_flag(p, "messages_hidden", fail > 0 && messages == 0);
	report_page_num(p, "servers_failing", failing);
	report_page_num(p, "n_always", always);
	report_page_num(p, "n_sometimes", sometimes);
	report_page_num(p, "domains_failing", dfailing);
	tpl_flag(p, "has_domains", dfailing > 0);
	tpl_flag(p, "st_fail", fail > 0);
	tpl_flag(p, "st_pass", fail == 0 && pass > 0);
	tpl_flag(p, "st_unknown", fail + pass == 0 && unknown > 0);
	tpl_flag(p, "st_na", fail + pass + unknown == 0);
	tpl_flag(p, "has_unknown", unknown > 0);
	tpl_flag(p, "has_na", na > 0);
	tpl_flag(p, "no_dns", dns_policy && !has_dns);
	rpo_reasons(p, json_object_get(o, "reasons"));
	rpo_peers(p, sd, "servers");
	rpo_peers(p, dd, "domains");
}

/* One direction with connections: its policies. */
static void rpo_direction(struct tpl_scope *t, json_t *by, unsigned k, long long n, int has_dns)
{
	const char *dn = rec_pol_dir_name(rpo_dirs[k].dir);
	json_t *o = json_object_get(by, dn);
	struct tpl_scope *d = tpl_row(t, "dirs");
	tpl_set(d, "dir", dn);
	rpo_flags(d, rpo_dir_name, REC_POL_DIR_COUNT, dn);
	report_page_num(d, "dir_n", n);
	tpl_list(d, "policies");
	for (unsigned i = 0; i < REC_POL_COUNT; i++) {
		if (!(rpo_dirs[k].policies & (1u << i)))
			continue;
		struct tpl_scope *p = tpl_row(d, "policies");
		rpo_policy(p, json_object_get(o, rec_pol_name((enum rec_pol)i)),
			   rec_pol_name((enum rec_pol)i), has_dns);
	}
}

void report_policy_page(struct tpl_scope *root, json_t *snap)
{
	json_t *sec = json_object_get(snap, "policy");
	tpl_list(root, "policy");
	struct tpl_scope *t = tpl_row(root, "policy");
	int measured = json_is_object(sec);
	tpl_flag(t, "measured", measured);
	tpl_list(t, "dirs");
	if (!measured)
		return;
	long long conns = report_snap_count(sec, "connections");
	long long unknown = report_snap_count(sec, "directions.unknown");
	int has_dns = json_is_object(json_object_get(snap, "dns"));
	report_page_num(t, "connections", conns);
	report_page_num(t, "dir_unknown", unknown);
	tpl_flag(t, "no_connections", conns == 0);
	tpl_flag(t, "no_local_net", conns > 0 && unknown == conns);
	tpl_flag(t, "some_unknown", unknown > 0 && unknown < conns);
	tpl_flag(t, "has_dns", has_dns);
	json_t *by = json_object_get(sec, "by_direction");
	for (unsigned k = 0; k < RPO_NDIRS; k++) {
		const char *dn = rec_pol_dir_name(rpo_dirs[k].dir);
		long long n = report_snap_count(json_object_get(sec, "directions"), dn);
		if (n > 0)
			rpo_direction(t, by, k, n, has_dns);
	}
}
