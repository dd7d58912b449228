/* agg_dns.c — DANE and MTA-STS figures over the records' DNS facts (see
 * agg_dns.h; every key is defined in docs/metrics.md, section "dns").
 *
 * Every counter is listed once, in agg_dns_visit(), with its place in the
 * snapshot's "dns" section; writing, reading back and merging all walk that
 * one list, as agg.c does for the other figures.
 */
#include "stats/sinks/agg_dns.h"

#include <inttypes.h>
#include <string.h>

static const char *const agg_dns_host_names[AGG_DNSH_COUNT] = {
	[AGG_DNSH_CONNECTIONS] = "connections", [AGG_DNSH_TLSA_SECURE] = "tlsa_secure",
	[AGG_DNSH_DANE_MATCH] = "dane_match",	[AGG_DNSH_DANE_MISMATCH] = "dane_mismatch",
	[AGG_DNSH_DANE_NO_TLS] = "dane_no_tls", [AGG_DNSH_STS_POLICY] = "sts_policy",
	[AGG_DNSH_STS_PASS] = "sts_pass",	[AGG_DNSH_STS_FAIL] = "sts_fail",
};

static const char *const agg_dns_dom_names[AGG_DNSD_COUNT] = {
	[AGG_DNSD_CONNECTIONS] = "connections",
	[AGG_DNSD_PASS] = "pass",
	[AGG_DNSD_FAIL] = "fail",
	[AGG_DNSD_UNKNOWN] = "unknown",
	[AGG_DNSD_ENFORCE] = "enforce",
	[AGG_DNSD_TESTING] = "testing",
};

void agg_dns_init(struct agg_dns *d, struct mem *mem, uint32_t max_keys)
{
	memset(d, 0, sizeof(*d));
	agg_map_init(&d->hosts, mem, max_keys, AGG_DNSH_COUNT, agg_dns_host_names);
	agg_map_init(&d->domains, mem, max_keys, AGG_DNSD_COUNT, agg_dns_dom_names);
}

void agg_dns_free(struct agg_dns *d)
{
	agg_map_free(&d->hosts);
	agg_map_free(&d->domains);
}

/* Calls fn for every counter: its path below "dns", its address in a, and
 * the same counter of b (NULL when there is no b). */
typedef void (*agg_dns_fn)(void *ctx, const char *path, uint64_t *a, const uint64_t *b);

static void agg_dns_visit_results(struct agg_dns *a, const struct agg_dns *b, agg_dns_fn fn,
				  void *ctx)
{
	char p[96];
	for (int i = 0; i < REC_DANE_COUNT; i++) {
		snprintf(p, sizeof(p), "dane.%s", rec_dane_name((enum rec_dane)i));
		fn(ctx, p, &a->dane[i], b ? &b->dane[i] : NULL);
	}
	fn(ctx, "dane.usable", &a->dane_usable, b ? &b->dane_usable : NULL);
	fn(ctx, "dane.checked", &a->dane_checked, b ? &b->dane_checked : NULL);
	fn(ctx, "dane.certificate_inferred", &a->dane_inferred, b ? &b->dane_inferred : NULL);
	fn(ctx, "dane.covers_certificate_alarms", &a->dane_covers, b ? &b->dane_covers : NULL);
	for (int i = 0; i < REC_STS_COUNT; i++) {
		snprintf(p, sizeof(p), "mta_sts.%s", rec_sts_name((enum rec_sts)i));
		fn(ctx, p, &a->sts[i], b ? &b->sts[i] : NULL);
	}
	fn(ctx, "mta_sts.published", &a->sts_published, b ? &b->sts_published : NULL);
	fn(ctx, "mta_sts.checked", &a->sts_checked, b ? &b->sts_checked : NULL);
	for (int i = 1; i < REC_STS_WHY_COUNT; i++) {
		snprintf(p, sizeof(p), "mta_sts.fail_reasons.%s",
			 rec_sts_why_name((enum rec_sts_why)i));
		fn(ctx, p, &a->sts_why[i], b ? &b->sts_why[i] : NULL);
	}
	for (int i = 0; i < AGG_DNS_MODES; i++) {
		snprintf(p, sizeof(p), "mta_sts.policy_modes.%s",
			 mtasts_mode_name((enum mtasts_mode)i));
		fn(ctx, p, &a->sts_modes[i], b ? &b->sts_modes[i] : NULL);
	}
	fn(ctx, "mta_sts.txt_published", &a->sts_txt, b ? &b->sts_txt : NULL);
}

static void agg_dns_visit(struct agg_dns *a, const struct agg_dns *b, agg_dns_fn fn, void *ctx)
{
	char p[96];
	fn(ctx, "connections", &a->connections, b ? &b->connections : NULL);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "mx_host.%s", rec_mx_src_name((enum rec_mx_src)i));
		fn(ctx, p, &a->mx_src[i], b ? &b->mx_src[i] : NULL);
	}
	fn(ctx, "mx_known", &a->mx_known, b ? &b->mx_known : NULL);
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "tlsa.state.%s",
			 rec_tlsa_state_name((enum rec_tlsa_state)i));
		fn(ctx, p, &a->tlsa_state[i], b ? &b->tlsa_state[i] : NULL);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "tlsa.dnssec.%s", rec_dnssec_name((enum rec_dnssec)i));
		fn(ctx, p, &a->tlsa_sec[i], b ? &b->tlsa_sec[i] : NULL);
	}
	fn(ctx, "tlsa.secure", &a->tlsa_secure, b ? &b->tlsa_secure : NULL);
	fn(ctx, "tlsa.from_data", &a->tlsa_from_data, b ? &b->tlsa_from_data : NULL);
	agg_dns_visit_results(a, b, fn, ctx);
	fn(ctx, "tlsrpt_published", &a->tlsrpt, b ? &b->tlsrpt : NULL);
}

/* The MX host's share of the record. */
static void agg_dns_host(struct agg_dns *d, const struct rec_dns *x)
{
	uint64_t one[AGG_DNSH_COUNT] = {0};
	one[AGG_DNSH_CONNECTIONS] = 1;
	one[AGG_DNSH_TLSA_SECURE] =
		x->tlsa_state == REC_TLSA_PRESENT && x->tlsa_sec == REC_DNSSEC_SECURE;
	one[AGG_DNSH_DANE_MATCH] = x->dane == REC_DANE_MATCH;
	one[AGG_DNSH_DANE_MISMATCH] = x->dane == REC_DANE_MISMATCH;
	one[AGG_DNSH_DANE_NO_TLS] = x->dane == REC_DANE_NO_TLS;
	one[AGG_DNSH_STS_POLICY] = x->sts != REC_STS_NONE;
	one[AGG_DNSH_STS_PASS] = x->sts == REC_STS_PASS;
	one[AGG_DNSH_STS_FAIL] = x->sts == REC_STS_FAIL;
	for (unsigned i = 0; i < AGG_DNSH_COUNT; i++)
		if (one[i])
			agg_map_add(&d->hosts, x->mx_host, i, one[i]);
}

/* The policy domain's share of the record. */
static void agg_dns_domain(struct agg_dns *d, const struct rec_dns *x)
{
	const char *k = x->sts_domain;
	agg_map_add(&d->domains, k, AGG_DNSD_CONNECTIONS, 1);
	if (x->sts == REC_STS_PASS)
		agg_map_add(&d->domains, k, AGG_DNSD_PASS, 1);
	else if (x->sts == REC_STS_FAIL)
		agg_map_add(&d->domains, k, AGG_DNSD_FAIL, 1);
	else if (x->sts == REC_STS_UNKNOWN)
		agg_map_add(&d->domains, k, AGG_DNSD_UNKNOWN, 1);
	if (x->sts_policy_known && x->sts_policy.mode == MTASTS_MODE_ENFORCE)
		agg_map_add(&d->domains, k, AGG_DNSD_ENFORCE, 1);
	else if (x->sts_policy_known && x->sts_policy.mode == MTASTS_MODE_TESTING)
		agg_map_add(&d->domains, k, AGG_DNSD_TESTING, 1);
}

void agg_dns_record(struct agg_dns *d, const struct rec *r)
{
	const struct rec_dns *x = &r->dns;
	if (!x->present)
		return;
	d->connections++;
	unsigned src = x->mx_src < 3 ? x->mx_src : REC_MX_NONE;
	int mx = src != REC_MX_NONE && x->mx_host[0];
	d->mx_src[mx ? src : REC_MX_NONE]++;
	unsigned dane = x->dane < REC_DANE_COUNT ? x->dane : REC_DANE_UNKNOWN;
	d->dane[dane]++;
	d->dane_usable += dane == REC_DANE_MATCH || dane == REC_DANE_MISMATCH ||
			  dane == REC_DANE_UNKNOWN || dane == REC_DANE_NO_TLS;
	d->dane_checked += dane == REC_DANE_MATCH || dane == REC_DANE_MISMATCH;
	d->dane_inferred +=
		(dane == REC_DANE_MATCH || dane == REC_DANE_MISMATCH) && x->dane_cert_inferred;
	d->dane_covers += x->dane_ee_covers_cert != 0;
	unsigned sts = x->sts < REC_STS_COUNT ? x->sts : REC_STS_UNKNOWN;
	d->sts[sts]++;
	d->sts_published += sts != REC_STS_NONE;
	d->sts_checked += sts == REC_STS_PASS || sts == REC_STS_FAIL;
	if (sts == REC_STS_FAIL && x->sts_why > 0 && x->sts_why < REC_STS_WHY_COUNT)
		d->sts_why[x->sts_why]++;
	if (x->sts_policy_known && x->sts_policy.mode < AGG_DNS_MODES)
		d->sts_modes[x->sts_policy.mode]++;
	d->sts_txt += x->sts_txt_id[0] != '\0';
	d->tlsrpt += x->tlsrpt_rua[0] != '\0';
	if (x->sts_domain[0])
		agg_dns_domain(d, x);
	if (!mx)
		return;
	d->mx_known++;
	unsigned ts = x->tlsa_state < 4 ? x->tlsa_state : REC_TLSA_UNSEEN;
	d->tlsa_state[ts]++;
	if (ts != REC_TLSA_UNSEEN && x->tlsa_sec < 3)
		d->tlsa_sec[x->tlsa_sec]++;
	d->tlsa_secure += ts == REC_TLSA_PRESENT && x->tlsa_sec == REC_DNSSEC_SECURE;
	d->tlsa_from_data += ts != REC_TLSA_UNSEEN && x->tlsa_given;
	agg_dns_host(d, x);
}

static void agg_dns_add_fn(void *ctx, const char *path, uint64_t *a, const uint64_t *b)
{
	(void)ctx;
	(void)path;
	*a += *b;
}

void agg_dns_merge(struct agg_dns *a, const struct agg_dns *b)
{
	agg_dns_visit(a, b, agg_dns_add_fn, NULL);
	agg_map_merge(&a->hosts, &b->hosts);
	agg_map_merge(&a->domains, &b->domains);
}

static void agg_dns_nonzero_fn(void *ctx, const char *path, uint64_t *a, const uint64_t *b)
{
	(void)path;
	(void)b;
	*(int *)ctx |= *a != 0;
}

static int agg_map_empty(const struct agg_map *m)
{
	if (m->used)
		return 0;
	for (unsigned i = 0; i < m->nvals; i++)
		if (m->other[i])
			return 0;
	return 1;
}

int agg_dns_empty(const struct agg_dns *d)
{
	int any = 0;
	agg_dns_visit((struct agg_dns *)(uintptr_t)d, NULL, agg_dns_nonzero_fn, &any);
	return !any && agg_map_empty(&d->hosts) && agg_map_empty(&d->domains);
}

/* ---- the snapshot ------------------------------------------------------- */

/* The object at the dotted path below o, created when create is set; leaf
 * gets the last part. NULL when a part does not fit or is not an object. */
static json_t *agg_dns_parent(json_t *o, const char *path, char *leaf, size_t leaflen, int create)
{
	const char *s = path;
	for (;;) {
		const char *dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		char part[64];
		if (n >= sizeof(part) || !json_is_object(o))
			return NULL;
		memcpy(part, s, n);
		part[n] = '\0';
		if (!dot) {
			snprintf(leaf, leaflen, "%s", part);
			return o;
		}
		json_t *next = json_object_get(o, part);
		if (!next && create) {
			next = json_object();
			if (json_object_set_new(o, part, next) != 0)
				return NULL;
		}
		o = next;
		s = dot + 1;
	}
}

static void agg_dns_json_fn(void *ctx, const char *path, uint64_t *a, const uint64_t *b)
{
	char leaf[64];
	(void)b;
	json_t *parent = agg_dns_parent(ctx, path, leaf, sizeof(leaf), 1);
	if (parent)
		json_object_set_new(parent, leaf, json_integer((json_int_t)*a));
}

static json_t *agg_dns_ratio(uint64_t num, uint64_t den)
{
	return json_pack("{s:I,s:I,s:o}", "num", (json_int_t)num, "den", (json_int_t)den, "share",
			 den ? json_real((double)num / (double)den) : json_null());
}

void agg_dns_host_counts(const struct agg_dns *d, struct agg_dns_hosts *o)
{
	memset(o, 0, sizeof(*o));
	for (uint32_t i = 0; i < d->hosts.nslots; i++) {
		const struct agg_map_ent *e = &d->hosts.slots[i];
		if (!e->key)
			continue;
		o->hosts++;
		o->hosts_dane += e->v[AGG_DNSH_TLSA_SECURE] != 0;
		o->hosts_mismatch +=
			e->v[AGG_DNSH_TLSA_SECURE] != 0 && e->v[AGG_DNSH_DANE_MISMATCH] != 0;
		o->hosts_no_tls +=
			e->v[AGG_DNSH_TLSA_SECURE] != 0 && e->v[AGG_DNSH_DANE_NO_TLS] != 0;
	}
	for (uint32_t i = 0; i < d->domains.nslots; i++) {
		const struct agg_map_ent *e = &d->domains.slots[i];
		if (!e->key)
			continue;
		o->domains++;
		o->domains_failing += e->v[AGG_DNSD_FAIL] != 0;
	}
}

/* Into the snapshot's "ratios": derived from the counters and distributions
 * of the section, never merged nor read back. */
static void agg_dns_ratios(const struct agg_dns *d, json_t *r)
{
	struct agg_dns_hosts h;
	agg_dns_host_counts(d, &h);
	json_object_set_new(r, "mx_known", agg_dns_ratio(d->mx_known, d->connections));
	json_object_set_new(r, "dane_published", agg_dns_ratio(d->tlsa_secure, d->mx_known));
	json_object_set_new(r, "dane_match",
			    agg_dns_ratio(d->dane[REC_DANE_MATCH], d->dane_checked));
	json_object_set_new(r, "dane_mismatch",
			    agg_dns_ratio(d->dane[REC_DANE_MISMATCH], d->dane_checked));
	json_object_set_new(r, "dane_no_tls",
			    agg_dns_ratio(d->dane[REC_DANE_NO_TLS], d->dane_usable));
	json_object_set_new(r, "mx_hosts_with_dane", agg_dns_ratio(h.hosts_dane, h.hosts));
	json_object_set_new(r, "mx_hosts_dane_mismatch",
			    agg_dns_ratio(h.hosts_mismatch, h.hosts_dane));
	json_object_set_new(r, "mx_hosts_dane_no_tls", agg_dns_ratio(h.hosts_no_tls, h.hosts_dane));
	json_object_set_new(r, "mta_sts_published", agg_dns_ratio(d->sts_published, d->mx_known));
	json_object_set_new(r, "mta_sts_pass", agg_dns_ratio(d->sts[REC_STS_PASS], d->sts_checked));
	json_object_set_new(r, "policy_domains_failing",
			    agg_dns_ratio(h.domains_failing, h.domains));
	json_object_set_new(r, "tlsrpt_published", agg_dns_ratio(d->tlsrpt, d->mx_known));
}

int agg_dns_to_json(const struct agg_dns *d, json_t *root)
{
	if (agg_dns_empty(d))
		return 0;
	json_t *o = json_object();
	if (!o || json_object_set_new(root, "dns", o) != 0)
		return -1;
	agg_dns_visit((struct agg_dns *)(uintptr_t)d, NULL, agg_dns_json_fn, o);
	json_object_set_new(o, "mx_hosts", agg_map_json(&d->hosts));
	json_object_set_new(o, "policy_domains", agg_map_json(&d->domains));
	json_t *ratios = json_object_get(root, "ratios");
	if (!json_is_object(ratios)) {
		ratios = json_object();
		if (!ratios || json_object_set_new(root, "ratios", ratios) != 0)
			return -1;
	}
	agg_dns_ratios(d, ratios);
	return 0;
}

struct agg_dns_read {
	const json_t *dns;
	int bad;
	char *err;
	size_t errlen;
};

static void agg_dns_read_fn(void *ctx, const char *path, uint64_t *a, const uint64_t *b)
{
	struct agg_dns_read *rd = ctx;
	char leaf[64];
	(void)b;
	json_t *parent = agg_dns_parent((json_t *)(uintptr_t)rd->dns, path, leaf, sizeof(leaf), 0);
	const json_t *x = parent ? json_object_get(parent, leaf) : NULL;
	if (!x)
		return; /* absent: 0 */
	if (!json_is_integer(x) || json_integer_value(x) < 0) {
		if (!rd->bad)
			snprintf(rd->err, rd->errlen, "dns.%s: not a count", path);
		rd->bad = 1;
		return;
	}
	uint64_t n = (uint64_t)json_integer_value(x);
	if (n > (uint64_t)INT64_MAX - *a) {
		if (!rd->bad)
			snprintf(rd->err, rd->errlen, "dns.%s: count too large to add", path);
		rd->bad = 1;
		return;
	}
	*a += n;
}

static void agg_dns_read_map(struct agg_dns_read *rd, const char *key, struct agg_map *m)
{
	const json_t *x = json_object_get(rd->dns, key);
	if (!x || rd->bad)
		return;
	if (agg_map_add_json(m, x) != 0) {
		snprintf(rd->err, rd->errlen,
			 "dns.%s: not a distribution, or a count too large to add", key);
		rd->bad = 1;
	}
}

int agg_dns_add_json(struct agg_dns *d, const json_t *root, char *err, size_t errlen)
{
	const json_t *dns = json_object_get(root, "dns");
	if (!dns)
		return 0;
	if (!json_is_object(dns)) {
		snprintf(err, errlen, "dns: not an object");
		return -1;
	}
	struct agg_dns_read rd = {dns, 0, err, errlen};
	agg_dns_visit(d, NULL, agg_dns_read_fn, &rd);
	agg_dns_read_map(&rd, "mx_hosts", &d->hosts);
	agg_dns_read_map(&rd, "policy_domains", &d->domains);
	return rd.bad ? -1 : 0;
}

/* ---- the text summary ----------------------------------------------------- */

static double agg_dns_pct(uint64_t n, uint64_t den)
{
	return den ? 100.0 * (double)n / (double)den : 0.0;
}

void agg_dns_print_text(const struct agg_dns *d, FILE *out)
{
	if (agg_dns_empty(d))
		return;
	struct agg_dns_hosts h;
	agg_dns_host_counts(d, &h);
	fprintf(out,
		"  DNS facts          %" PRIu64 " connection%s, %" PRIu64 " with a known MX host\n",
		d->connections, d->connections == 1 ? "" : "s", d->mx_known);
	fprintf(out,
		"  DANE published     %5.1f%% of them (%" PRIu64 " of %" PRIu64 "); %" PRIu64
		" of %" PRIu64 " MX hosts\n",
		agg_dns_pct(d->tlsa_secure, d->mx_known), d->tlsa_secure, d->mx_known, h.hosts_dane,
		h.hosts);
	fprintf(out,
		"  DANE               match %" PRIu64 ", mismatch %" PRIu64 ", no TLS %" PRIu64
		", unknown %" PRIu64 "\n",
		d->dane[REC_DANE_MATCH], d->dane[REC_DANE_MISMATCH], d->dane[REC_DANE_NO_TLS],
		d->dane[REC_DANE_UNKNOWN]);
	fprintf(out,
		"  MTA-STS            pass %" PRIu64 ", fail %" PRIu64 ", unknown %" PRIu64
		" (%" PRIu64 " connection%s under a policy)\n",
		d->sts[REC_STS_PASS], d->sts[REC_STS_FAIL], d->sts[REC_STS_UNKNOWN],
		d->sts_published, d->sts_published == 1 ? "" : "s");
}
