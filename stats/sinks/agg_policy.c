/* agg_policy.c — the policy dry-run's figures (see agg_policy.h; every key
 * is defined in docs/metrics.md, section "policy").
 *
 * Every counter is listed once, in agg_policy_visit(), with its place in the
 * snapshot's "policy" section; writing, reading back and merging all walk
 * that one list, as agg.c and agg_dns.c do for the other figures.
 */
#include "stats/sinks/agg_policy.h"

#include <inttypes.h>
#include <string.h>

static const char *const agg_pol_key_names[AGG_POLK_COUNT] = {
	[AGG_POLK_FAIL] = "fail",
	[AGG_POLK_PASS] = "pass",
	[AGG_POLK_UNKNOWN] = "unknown",
	[AGG_POLK_FAIL_MESSAGES] = "fail_messages",
};

void agg_policy_init(struct agg_policy *a, struct mem *mem, uint32_t max_servers, uint32_t max_keys)
{
	memset(a, 0, sizeof(*a));
	for (int d = 0; d < REC_POL_DIR_COUNT; d++)
		for (int i = 0; i < REC_POL_COUNT; i++) {
			struct agg_pol_one *o = &a->p[d][i];
			agg_map_init(&o->servers, mem, max_servers, AGG_POLK_COUNT,
				     agg_pol_key_names);
			agg_map_init(&o->domains, mem, max_keys, AGG_POLK_COUNT, agg_pol_key_names);
		}
}

void agg_policy_free(struct agg_policy *a)
{
	for (int d = 0; d < REC_POL_DIR_COUNT; d++)
		for (int i = 0; i < REC_POL_COUNT; i++) {
			agg_map_free(&a->p[d][i].servers);
			agg_map_free(&a->p[d][i].domains);
		}
}

/* Calls fn for every counter of one policy in one direction: its path below
 * the policy's object, its address in a, the same counter of b (or NULL),
 * and whether it is written when zero. */
typedef void (*agg_pol_fn)(void *ctx, const char *path, uint64_t *a, const uint64_t *b, int always);

static void agg_policy_visit_one(struct agg_pol_one *a, const struct agg_pol_one *b, agg_pol_fn fn,
				 void *ctx)
{
	char p[96];
	for (int i = 0; i < REC_POL_RESULT_COUNT; i++) {
		snprintf(p, sizeof(p), "results.%s", rec_pol_result_name((enum rec_pol_result)i));
		fn(ctx, p, &a->results[i], b ? &b->results[i] : NULL, 1);
	}
	fn(ctx, "fail_messages", &a->fail_messages, b ? &b->fail_messages : NULL, 1);
	for (int i = 1; i < REC_POL_R_COUNT; i++) {
		snprintf(p, sizeof(p), "reasons.%s", rec_pol_reason_name((enum rec_pol_reason)i));
		fn(ctx, p, &a->reasons[i], b ? &b->reasons[i] : NULL, 0);
	}
}

/* The plain-text messages of r: those sent before any TLS (inside TLS they
 * cannot be seen). */
static uint64_t agg_policy_plain_messages(const struct rec *r)
{
	if (!r->smtp_valid || r->encryption == REC_ENC_STARTTLS ||
	    r->encryption == REC_ENC_IMPLICIT_TLS)
		return 0;
	return r->smtp.messages;
}

static void agg_policy_key(struct agg_map *m, const char *key, enum rec_pol_result res,
			   uint64_t msgs)
{
	uint64_t *v = agg_map_counters(m, key);
	if (res == REC_POL_FAIL) {
		v[AGG_POLK_FAIL]++;
		v[AGG_POLK_FAIL_MESSAGES] += msgs;
	} else if (res == REC_POL_PASS) {
		v[AGG_POLK_PASS]++;
	} else {
		v[AGG_POLK_UNKNOWN]++;
	}
}

void agg_policy_record(struct agg_policy *a, const struct rec *r, const struct rec_verdict *v)
{
	if (!v || !v->policy.judged)
		return;
	const struct rec_policy *p = &v->policy;
	unsigned dir = p->direction < REC_POL_DIR_COUNT ? p->direction : REC_POL_DIR_UNKNOWN;
	uint64_t msgs = agg_policy_plain_messages(r);
	char ip[64], server[80];
	rec_format_addr(&r->server, ip, sizeof(ip));
	snprintf(server, sizeof(server), r->server.family == 6 ? "[%s]:%u" : "%s:%u", ip,
		 (unsigned)r->server.port);
	a->connections++;
	a->by_dir[dir]++;
	for (int i = 0; i < REC_POL_COUNT; i++) {
		struct agg_pol_one *o = &a->p[dir][i];
		enum rec_pol_result res = p->result[i] < REC_POL_RESULT_COUNT
						  ? (enum rec_pol_result)p->result[i]
						  : REC_POL_UNKNOWN;
		o->results[res]++;
		if (res == REC_POL_NA)
			continue;
		if (res == REC_POL_FAIL) {
			o->fail_messages += msgs;
			if (p->reason[i] < REC_POL_R_COUNT)
				o->reasons[p->reason[i]]++;
		}
		agg_policy_key(&o->servers, server, res, msgs);
		for (int k = 0; r->dns.present && k < r->dns.ndomains && k < REC_DNS_MAX_DOMAINS;
		     k++)
			agg_policy_key(&o->domains, r->dns.domains[k], res, msgs);
	}
}

static void agg_policy_add_fn(void *ctx, const char *path, uint64_t *a, const uint64_t *b,
			      int always)
{
	(void)ctx;
	(void)path;
	(void)always;
	*a += *b;
}

void agg_policy_merge(struct agg_policy *a, const struct agg_policy *b)
{
	a->connections += b->connections;
	for (int d = 0; d < REC_POL_DIR_COUNT; d++) {
		a->by_dir[d] += b->by_dir[d];
		for (int i = 0; i < REC_POL_COUNT; i++) {
			agg_policy_visit_one(&a->p[d][i], &b->p[d][i], agg_policy_add_fn, NULL);
			agg_map_merge(&a->p[d][i].servers, &b->p[d][i].servers);
			agg_map_merge(&a->p[d][i].domains, &b->p[d][i].domains);
		}
	}
}

void agg_policy_distinct(const struct agg_pol_one *o, struct agg_pol_distinct *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < o->servers.nslots; i++) {
		const struct agg_map_ent *e = &o->servers.slots[i];
		if (!e->key)
			continue;
		out->servers++;
		out->failing += e->v[AGG_POLK_FAIL] != 0;
		out->always += e->v[AGG_POLK_FAIL] != 0 && e->v[AGG_POLK_PASS] == 0;
		out->intermittent += e->v[AGG_POLK_FAIL] != 0 && e->v[AGG_POLK_PASS] != 0;
	}
	for (uint32_t i = 0; i < o->domains.nslots; i++) {
		const struct agg_map_ent *e = &o->domains.slots[i];
		if (!e->key)
			continue;
		out->domains++;
		out->domains_failing += e->v[AGG_POLK_FAIL] != 0;
	}
}

/* ---- the snapshot --------------------------------------------------------- */

/* The object at the dotted path below o (created); leaf gets the last part. */
static json_t *agg_policy_parent(json_t *o, const char *path, char *leaf, size_t leaflen)
{
	const char *dot = strchr(path, '.');
	if (!dot) {
		snprintf(leaf, leaflen, "%s", path);
		return o;
	}
	char part[64];
	size_t n = (size_t)(dot - path);
	if (n >= sizeof(part))
		return NULL;
	memcpy(part, path, n);
	part[n] = '\0';
	json_t *next = json_object_get(o, part);
	if (!next) {
		next = json_object();
		if (json_object_set_new(o, part, next) != 0)
			return NULL;
	}
	return agg_policy_parent(next, dot + 1, leaf, leaflen);
}

static void agg_policy_json_fn(void *ctx, const char *path, uint64_t *a, const uint64_t *b,
			       int always)
{
	char leaf[64];
	(void)b;
	if (!*a && !always)
		return;
	json_t *parent = agg_policy_parent(ctx, path, leaf, sizeof(leaf));
	if (parent)
		json_object_set_new(parent, leaf, json_integer((json_int_t)*a));
}

static json_t *agg_policy_one_json(const struct agg_pol_one *o)
{
	json_t *j = json_object();
	if (!j)
		return NULL;
	agg_policy_visit_one((struct agg_pol_one *)(uintptr_t)o, NULL, agg_policy_json_fn, j);
	if (!json_object_get(j, "reasons")) /* none failed */
		json_object_set_new(j, "reasons", json_object());
	json_object_set_new(j, "servers", agg_map_json(&o->servers));
	json_object_set_new(j, "domains", agg_map_json(&o->domains));
	struct agg_pol_distinct d;
	agg_policy_distinct(o, &d);
	json_object_set_new(j, "derived",
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "servers", (json_int_t)d.servers,
				      "servers_failing", (json_int_t)d.failing,
				      "servers_always_failing", (json_int_t)d.always,
				      "servers_intermittent", (json_int_t)d.intermittent, "domains",
				      (json_int_t)d.domains, "domains_failing",
				      (json_int_t)d.domains_failing));
	return j;
}

int agg_policy_to_json(const struct agg_policy *a, json_t *root)
{
	if (!a->connections)
		return 0;
	json_t *s = json_object(), *dirs = json_object(), *by = json_object();
	if (!s || !dirs || !by || json_object_set_new(root, "policy", s) != 0) {
		json_decref(dirs);
		json_decref(by);
		return -1;
	}
	json_object_set_new(s, "connections", json_integer((json_int_t)a->connections));
	json_object_set_new(s, "directions", dirs);
	json_object_set_new(s, "by_direction", by);
	for (int d = 0; d < REC_POL_DIR_COUNT; d++) {
		const char *dn = rec_pol_dir_name((enum rec_pol_dir)d);
		json_object_set_new(dirs, dn, json_integer((json_int_t)a->by_dir[d]));
		if (!a->by_dir[d])
			continue;
		json_t *o = json_object();
		if (!o || json_object_set_new(by, dn, o) != 0)
			return -1;
		for (int i = 0; i < REC_POL_COUNT; i++) {
			json_t *one = agg_policy_one_json(&a->p[d][i]);
			if (!one || json_object_set_new(o, rec_pol_name((enum rec_pol)i), one) != 0)
				return -1;
		}
	}
	return 0;
}

struct agg_policy_read {
	const json_t *obj;
	int bad;
	char *err;
	size_t errlen;
};

static void agg_policy_fail(struct agg_policy_read *rd, const char *path, const char *what)
{
	if (!rd->bad)
		snprintf(rd->err, rd->errlen, "policy.%s: %s", path, what);
	rd->bad = 1;
}

static int agg_policy_count(struct agg_policy_read *rd, const json_t *x, const char *path,
			    uint64_t *a)
{
	if (!x)
		return 0; /* absent: 0 */
	if (!json_is_integer(x) || json_integer_value(x) < 0) {
		agg_policy_fail(rd, path, "not a count");
		return -1;
	}
	uint64_t n = (uint64_t)json_integer_value(x);
	if (n > (uint64_t)INT64_MAX - *a) {
		agg_policy_fail(rd, path, "count too large to add");
		return -1;
	}
	*a += n;
	return 0;
}

static void agg_policy_read_fn(void *ctx, const char *path, uint64_t *a, const uint64_t *b,
			       int always)
{
	struct agg_policy_read *rd = ctx;
	(void)b;
	(void)always;
	const json_t *o = rd->obj;
	const char *dot = strchr(path, '.');
	if (dot) {
		char part[64];
		size_t n = (size_t)(dot - path);
		if (n >= sizeof(part))
			return;
		memcpy(part, path, n);
		part[n] = '\0';
		o = json_object_get(o, part);
		path = dot + 1;
	}
	agg_policy_count(rd, o ? json_object_get(o, path) : NULL, path, a);
}

static void agg_policy_read_one(struct agg_policy_read *rd, struct agg_pol_one *one,
				const json_t *j, const char *name)
{
	if (!json_is_object(j)) {
		agg_policy_fail(rd, name, "not an object");
		return;
	}
	struct agg_policy_read sub = {j, 0, rd->err, rd->errlen};
	agg_policy_visit_one(one, NULL, agg_policy_read_fn, &sub);
	const json_t *m = json_object_get(j, "servers");
	if (!sub.bad && m && agg_map_add_json(&one->servers, m) != 0)
		agg_policy_fail(&sub, name, "servers: not a distribution");
	m = json_object_get(j, "domains");
	if (!sub.bad && m && agg_map_add_json(&one->domains, m) != 0)
		agg_policy_fail(&sub, name, "domains: not a distribution");
	rd->bad |= sub.bad;
}

int agg_policy_add_json(struct agg_policy *a, const json_t *root, char *err, size_t errlen)
{
	const json_t *s = json_object_get(root, "policy");
	if (!s)
		return 0;
	struct agg_policy_read rd = {s, 0, err, errlen};
	if (!json_is_object(s)) {
		agg_policy_fail(&rd, "", "not an object");
		return -1;
	}
	agg_policy_count(&rd, json_object_get(s, "connections"), "connections", &a->connections);
	const json_t *dirs = json_object_get(s, "directions");
	const json_t *by = json_object_get(s, "by_direction");
	for (int d = 0; d < REC_POL_DIR_COUNT && !rd.bad; d++) {
		const char *dn = rec_pol_dir_name((enum rec_pol_dir)d);
		agg_policy_count(&rd, dirs ? json_object_get(dirs, dn) : NULL, dn, &a->by_dir[d]);
		const json_t *o = by ? json_object_get(by, dn) : NULL;
		for (int i = 0; o && i < REC_POL_COUNT && !rd.bad; i++) {
			const json_t *one = json_object_get(o, rec_pol_name((enum rec_pol)i));
			if (one)
				agg_policy_read_one(&rd, &a->p[d][i], one,
						    rec_pol_name((enum rec_pol)i));
		}
	}
	return rd.bad ? -1 : 0;
}

/* ---- the text summary ----------------------------------------------------- */

/* The directions judged, those with connections only. */
static void agg_policy_print_dirs(const struct agg_policy *a, FILE *out)
{
	if (a->by_dir[REC_POL_DIR_UNKNOWN] == a->connections) {
		fprintf(out, "  if enforced        no --local-net: every policy judged for every "
			     "connection\n");
		return;
	}
	fprintf(out, "  if enforced       ");
	const char *sep = " ";
	for (int d = 0; d < REC_POL_DIR_COUNT; d++) {
		if (!a->by_dir[d])
			continue;
		fprintf(out, "%s%s %" PRIu64, sep, rec_pol_dir_name((enum rec_pol_dir)d),
			a->by_dir[d]);
		sep = ", ";
	}
	fputc('\n', out);
}

void agg_policy_print_text(const struct agg_policy *a, FILE *out)
{
	if (!a->connections)
		return;
	agg_policy_print_dirs(a, out);
	fprintf(out, "    %-16s %6s / %6s %8s %8s %-14s %8s\n", "policy", "fail", "judged",
		"unknown", "servers", "(intermittent)", "messages");
	for (int i = 0; i < REC_POL_COUNT; i++) {
		uint64_t fail = 0, pass = 0, unknown = 0, msgs = 0, servers = 0, inter = 0;
		for (int d = 0; d < REC_POL_DIR_COUNT; d++) {
			const struct agg_pol_one *o = &a->p[d][i];
			struct agg_pol_distinct x;
			agg_policy_distinct(o, &x);
			fail += o->results[REC_POL_FAIL];
			pass += o->results[REC_POL_PASS];
			unknown += o->results[REC_POL_UNKNOWN];
			msgs += o->fail_messages;
			servers += x.failing;
			inter += x.intermittent;
		}
		char it[32];
		snprintf(it, sizeof(it), "(%" PRIu64 ")", inter);
		fprintf(out,
			"    %-16s %6" PRIu64 " / %6" PRIu64 " %8" PRIu64 " %8" PRIu64
			" %-14s %8" PRIu64 "\n",
			rec_pol_name((enum rec_pol)i), fail, fail + pass, unknown, servers, it,
			msgs);
	}
}
