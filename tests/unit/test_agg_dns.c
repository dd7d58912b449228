/* Unit tests for stats/sinks/agg_dns.c: the DANE and MTA-STS figures of the
 * snapshot (section "dns" and its ratios), from records whose DNS facts are
 * set by hand: exact counts, the section absent without DNS facts, merging
 * halves equals the whole, and the snapshot read back.
 *
 * The section these records give is also kept as test data for the report
 * (tests/report/dns_section.json); the test checks that the file is what the
 * code writes. `test_agg_dns --write FILE` writes it anew. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/sinks/agg.h"
#include "stats/sinks/prom.h"

#define NOW_US 1767225600000000ull /* 2026-01-01 */

/* The DNS facts of one test connection. */
struct dspec {
	const char *mx;
	uint8_t src, tlsa, sec, given, dane, covers, inferred;
	const char *sts_domain;
	int mode; /* enum mtasts_mode of a known policy, or -1 */
	uint8_t sts, why;
	const char *txt, *rua;
};

#define NOPOL (-1)
static const struct dspec specs[] = {
	{"mx1.example.net", REC_MX_SNI, REC_TLSA_PRESENT, REC_DNSSEC_SECURE, 0, REC_DANE_MATCH, 1,
	 0, "example.net", MTASTS_MODE_ENFORCE, REC_STS_PASS, 0, "20260101",
	 "mailto:r@example.net"},
	{"mx1.example.net", REC_MX_SNI, REC_TLSA_PRESENT, REC_DNSSEC_SECURE, 0, REC_DANE_MATCH, 0,
	 1, "example.net", MTASTS_MODE_ENFORCE, REC_STS_PASS, 0, "20260101",
	 "mailto:r@example.net"},
	{"mx2.example.net", REC_MX_DNS, REC_TLSA_PRESENT, REC_DNSSEC_SECURE, 1, REC_DANE_MISMATCH,
	 0, 0, "example.net", MTASTS_MODE_ENFORCE, REC_STS_FAIL, REC_STS_WHY_NAME, "20260101", ""},
	{"mx2.example.net", REC_MX_DNS, REC_TLSA_PRESENT, REC_DNSSEC_SECURE, 1, REC_DANE_NO_TLS, 0,
	 0, "example.net", MTASTS_MODE_ENFORCE, REC_STS_FAIL, REC_STS_WHY_NO_TLS, "20260101", ""},
	{"mx3.example.org", REC_MX_SNI, REC_TLSA_PRESENT, REC_DNSSEC_INSECURE, 0, REC_DANE_INSECURE,
	 0, 0, "example.org", MTASTS_MODE_TESTING, REC_STS_FAIL, REC_STS_WHY_CHAIN, "", ""},
	{"mx4.example.com", REC_MX_DNS, REC_TLSA_FAILED, REC_DNSSEC_BOGUS, 0, REC_DANE_BOGUS, 0, 0,
	 "", NOPOL, REC_STS_NONE, 0, "", ""},
	{"mx5.example.com", REC_MX_DNS, REC_TLSA_ABSENT, REC_DNSSEC_SECURE, 0, REC_DANE_NONE, 0, 0,
	 "example.com", NOPOL, REC_STS_UNKNOWN, 0, "abc", ""},
	{"", REC_MX_NONE, REC_TLSA_UNSEEN, REC_DNSSEC_INSECURE, 0, REC_DANE_NONE, 0, 0, "", NOPOL,
	 REC_STS_NONE, 0, "", ""},
	{"mx6.example.com", REC_MX_SNI, REC_TLSA_UNSEEN, REC_DNSSEC_INSECURE, 0, REC_DANE_NONE, 0,
	 0, "example.com", MTASTS_MODE_NONE, REC_STS_NONE, 0, "", ""},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static void base_rec(struct rec *r, unsigned i)
{
	memset(r, 0, sizeof(*r));
	r->ts_us = NOW_US + i * 1000000ull;
	r->server.family = 4;
	r->server.addr[0] = 192;
	r->server.addr[1] = 0;
	r->server.addr[2] = 2;
	r->server.addr[3] = (uint8_t)(1 + i);
	r->server.port = 25;
	r->client.family = 4;
	r->client.addr[0] = 198;
	r->client.addr[3] = 9;
	r->client.port = (uint16_t)(40000 + i);
	r->encryption = REC_ENC_STARTTLS;
	r->complete = 1;
	r->end = REC_END_FIN;
}

static void dns_rec(struct rec *r, unsigned i)
{
	const struct dspec *s = &specs[i];
	base_rec(r, i);
	struct rec_dns *d = &r->dns;
	d->present = 1;
	d->mx_src = s->src;
	snprintf(d->mx_host, sizeof(d->mx_host), "%s", s->mx);
	d->tlsa_state = s->tlsa;
	d->tlsa_sec = s->sec;
	d->tlsa_given = s->given;
	d->dane = s->dane;
	d->dane_matched = s->dane == REC_DANE_MATCH ? 0 : -1;
	d->dane_ee_covers_cert = s->covers;
	d->dane_cert_inferred = s->inferred;
	snprintf(d->sts_domain, sizeof(d->sts_domain), "%s", s->sts_domain);
	if (s->mode != NOPOL) {
		d->sts_policy_known = 1;
		d->sts_policy.mode = (uint8_t)s->mode;
	}
	d->sts = s->sts;
	d->sts_why = s->why;
	snprintf(d->sts_txt_id, sizeof(d->sts_txt_id), "%s", s->txt);
	snprintf(d->tlsrpt_rua, sizeof(d->tlsrpt_rua), "%s", s->rua);
}

static const struct agg_cfg cfg = {64, 64, 0, NULL};

/* Adds the test records [from, to) to a; plus one record without DNS
 * facts when plain is set. */
static void feed(struct agg *a, unsigned from, unsigned to, int plain)
{
	struct rec r;
	for (unsigned i = from; i < to; i++) {
		dns_rec(&r, i);
		agg_record(a, &r, NULL);
	}
	if (plain) {
		base_rec(&r, 99);
		agg_record(a, &r, NULL);
	}
}

static json_int_t at(const json_t *root, const char *path)
{
	const json_t *o = root;
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	char *s = buf;
	while (o) {
		char *dot = strchr(s, '.');
		if (dot)
			*dot = '\0';
		o = json_object_get(o, s);
		if (!dot)
			break;
		s = dot + 1;
	}
	if (!json_is_integer(o))
		fail_msg("%s: not an integer", path);
	return json_integer_value(o);
}

static void ratio_is(const json_t *snap, const char *name, json_int_t num, json_int_t den)
{
	const json_t *r = json_object_get(json_object_get(snap, "ratios"), name);
	if (!json_is_object(r))
		fail_msg("ratios.%s missing", name);
	assert_int_equal(json_integer_value(json_object_get(r, "num")), num);
	assert_int_equal(json_integer_value(json_object_get(r, "den")), den);
	const json_t *share = json_object_get(r, "share");
	if (den)
		assert_true(json_real_value(share) == (double)num / (double)den);
	else
		assert_true(json_is_null(share));
}

static json_t *snap_of(unsigned from, unsigned to, int plain, struct mem *m)
{
	struct agg a;
	agg_init(&a, m, &cfg);
	feed(&a, from, to, plain);
	json_t *j = agg_to_json(&a);
	assert_non_null(j);
	agg_free(&a);
	return j;
}

/* Without DNS facts: no section, no DNS ratio, no DNS line of text. */
static void test_absent_without_dns(void **state)
{
	(void)state;
	struct mem m = {0};
	struct agg a;
	agg_init(&a, &m, &cfg);
	feed(&a, 0, 0, 1);
	assert_true(agg_dns_empty(&a.dns));
	json_t *j = agg_to_json(&a);
	assert_null(json_object_get(j, "dns"));
	assert_null(json_object_get(json_object_get(j, "ratios"), "dane_published"));
	assert_null(json_object_get(json_object_get(j, "ratios"), "mta_sts_pass"));
	assert_int_equal(at(j, "connections.total"), 1);
	char *text = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&text, &n);
	agg_print_text(&a, out, 10);
	fclose(out);
	assert_null(strstr(text, "DANE"));
	assert_null(strstr(text, "MTA-STS"));
	free(text);
	/* read back: still nothing */
	struct agg b;
	char err[128];
	agg_init(&b, &m, &cfg);
	assert_int_equal(agg_add_json(&b, j, err, sizeof(err)), 0);
	assert_true(agg_dns_empty(&b.dns));
	json_decref(j);
	agg_free(&a);
	agg_free(&b);
	assert_int_equal(m.in_use, 0);
}

static void test_counts(void **state)
{
	(void)state;
	struct mem m = {0};
	json_t *j = snap_of(0, NSPECS, 1, &m);
	const json_t *d = json_object_get(j, "dns");
	assert_non_null(d);
	assert_int_equal(at(j, "connections.total"), NSPECS + 1);
	assert_int_equal(at(d, "connections"), NSPECS);
	assert_int_equal(at(d, "mx_host.none"), 1);
	assert_int_equal(at(d, "mx_host.sni"), 4);
	assert_int_equal(at(d, "mx_host.dns"), 4);
	assert_int_equal(at(d, "mx_known"), 8);
	assert_int_equal(at(d, "tlsa.state.present"), 5);
	assert_int_equal(at(d, "tlsa.state.absent"), 1);
	assert_int_equal(at(d, "tlsa.state.failed"), 1);
	assert_int_equal(at(d, "tlsa.state.unseen"), 1);
	assert_int_equal(at(d, "tlsa.dnssec.secure"), 5);
	assert_int_equal(at(d, "tlsa.dnssec.insecure"), 1);
	assert_int_equal(at(d, "tlsa.dnssec.bogus"), 1);
	assert_int_equal(at(d, "tlsa.secure"), 4);
	assert_int_equal(at(d, "tlsa.from_data"), 2);
	assert_int_equal(at(d, "dane.match"), 2);
	assert_int_equal(at(d, "dane.mismatch"), 1);
	assert_int_equal(at(d, "dane.no_tls"), 1);
	assert_int_equal(at(d, "dane.insecure"), 1);
	assert_int_equal(at(d, "dane.bogus"), 1);
	assert_int_equal(at(d, "dane.none"), 3);
	assert_int_equal(at(d, "dane.unusable"), 0);
	assert_int_equal(at(d, "dane.unknown"), 0);
	assert_int_equal(at(d, "dane.usable"), 4);
	assert_int_equal(at(d, "dane.checked"), 3);
	assert_int_equal(at(d, "dane.certificate_inferred"), 1);
	assert_int_equal(at(d, "dane.covers_certificate_alarms"), 1);
	assert_int_equal(at(d, "mta_sts.pass"), 2);
	assert_int_equal(at(d, "mta_sts.fail"), 3);
	assert_int_equal(at(d, "mta_sts.unknown"), 1);
	assert_int_equal(at(d, "mta_sts.none"), 3);
	assert_int_equal(at(d, "mta_sts.published"), 6);
	assert_int_equal(at(d, "mta_sts.checked"), 5);
	assert_int_equal(at(d, "mta_sts.fail_reasons.name"), 1);
	assert_int_equal(at(d, "mta_sts.fail_reasons.no_tls"), 1);
	assert_int_equal(at(d, "mta_sts.fail_reasons.chain"), 1);
	assert_int_equal(at(d, "mta_sts.fail_reasons.mx_mismatch"), 0);
	assert_int_equal(at(d, "mta_sts.fail_reasons.expired"), 0);
	assert_null(json_object_get(json_object_get(json_object_get(d, "mta_sts"), "fail_reasons"),
				    "none"));
	assert_int_equal(at(d, "mta_sts.policy_modes.enforce"), 4);
	assert_int_equal(at(d, "mta_sts.policy_modes.testing"), 1);
	assert_int_equal(at(d, "mta_sts.policy_modes.none"), 1);
	assert_int_equal(at(d, "mta_sts.txt_published"), 5);
	assert_int_equal(at(d, "tlsrpt_published"), 2);
	/* per MX host */
	const json_t *hk = json_object_get(json_object_get(d, "mx_hosts"), "keys");
	assert_int_equal(json_object_size(hk), 6);
	const json_t *mx2 = json_object_get(hk, "mx2.example.net");
	assert_int_equal(at(mx2, "connections"), 2);
	assert_int_equal(at(mx2, "tlsa_secure"), 2);
	assert_int_equal(at(mx2, "dane_mismatch"), 1);
	assert_int_equal(at(mx2, "dane_no_tls"), 1);
	assert_int_equal(at(mx2, "dane_match"), 0);
	assert_int_equal(at(mx2, "sts_fail"), 2);
	const json_t *mx1 = json_object_get(hk, "mx1.example.net");
	assert_int_equal(at(mx1, "dane_match"), 2);
	assert_int_equal(at(mx1, "sts_pass"), 2);
	/* per policy domain */
	const json_t *dk = json_object_get(json_object_get(d, "policy_domains"), "keys");
	assert_int_equal(json_object_size(dk), 3);
	const json_t *net = json_object_get(dk, "example.net");
	assert_int_equal(at(net, "connections"), 4);
	assert_int_equal(at(net, "pass"), 2);
	assert_int_equal(at(net, "fail"), 2);
	assert_int_equal(at(net, "enforce"), 4);
	assert_int_equal(at(json_object_get(dk, "example.org"), "testing"), 1);
	assert_int_equal(at(json_object_get(dk, "example.com"), "unknown"), 1);
	/* the derived shares */
	ratio_is(j, "mx_known", 8, 9);
	ratio_is(j, "dane_published", 4, 8);
	ratio_is(j, "dane_match", 2, 3);
	ratio_is(j, "dane_mismatch", 1, 3);
	ratio_is(j, "dane_no_tls", 1, 4);
	ratio_is(j, "mx_hosts_with_dane", 2, 6);
	ratio_is(j, "mx_hosts_dane_mismatch", 1, 2);
	ratio_is(j, "mx_hosts_dane_no_tls", 1, 2);
	ratio_is(j, "mta_sts_published", 6, 8);
	ratio_is(j, "mta_sts_pass", 2, 5);
	ratio_is(j, "policy_domains_failing", 2, 3);
	ratio_is(j, "tlsrpt_published", 2, 8);
	json_decref(j);
	assert_int_equal(m.in_use, 0);
}

/* Every split into two halves merges into the whole, in memory and through
 * the snapshots. */
static void test_merge_halves(void **state)
{
	(void)state;
	struct mem m = {0};
	json_t *whole = snap_of(0, NSPECS, 1, &m);
	for (unsigned cut = 0; cut <= NSPECS; cut++) {
		struct agg a, b, c;
		char err[128];
		agg_init(&a, &m, &cfg);
		agg_init(&b, &m, &cfg);
		agg_init(&c, &m, &cfg);
		feed(&a, 0, cut, 0);
		feed(&b, cut, NSPECS, 1);
		json_t *ja = agg_to_json(&a), *jb = agg_to_json(&b);
		assert_int_equal(agg_add_json(&c, ja, err, sizeof(err)), 0);
		assert_int_equal(agg_add_json(&c, jb, err, sizeof(err)), 0);
		agg_merge(&a, &b);
		json_t *merged = agg_to_json(&a), *read = agg_to_json(&c);
		assert_true(json_equal(merged, whole));
		assert_true(json_equal(read, whole));
		json_decref(ja);
		json_decref(jb);
		json_decref(merged);
		json_decref(read);
		agg_free(&a);
		agg_free(&b);
		agg_free(&c);
	}
	json_decref(whole);
	assert_int_equal(m.in_use, 0);
}

/* The snapshot read back writes itself again; a snapshot without the
 * section adds nothing to it. */
static void test_round_trip(void **state)
{
	(void)state;
	struct mem m = {0};
	json_t *j = snap_of(0, NSPECS, 0, &m);
	json_t *plain = snap_of(0, 0, 1, &m);
	struct agg a;
	char err[128];
	agg_init(&a, &m, &cfg);
	assert_int_equal(agg_add_json(&a, j, err, sizeof(err)), 0);
	json_t *again = agg_to_json(&a);
	assert_true(json_equal(j, again));
	assert_int_equal(agg_add_json(&a, plain, err, sizeof(err)), 0);
	json_t *both = agg_to_json(&a);
	assert_true(json_equal(json_object_get(both, "dns"), json_object_get(j, "dns")));
	assert_int_equal(at(both, "connections.total"), NSPECS + 1);
	assert_int_equal(at(both, "dns.connections"), NSPECS);
	json_decref(again);
	json_decref(both);
	json_decref(plain);
	json_decref(j);
	agg_free(&a);
	assert_int_equal(m.in_use, 0);
}

static void expect_bad(const char *doc, const char *want)
{
	struct mem m = {0};
	json_t *j = snap_of(0, 0, 1, &m);
	json_t *patch = json_loads(doc, JSON_DECODE_ANY, NULL);
	assert_non_null(patch);
	json_object_set(j, "dns", patch);
	struct agg a;
	char err[128] = "";
	agg_init(&a, &m, &cfg);
	assert_int_equal(agg_add_json(&a, j, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not name %s", err, want);
	agg_free(&a);
	json_decref(patch);
	json_decref(j);
}

static void test_bad_section(void **state)
{
	(void)state;
	expect_bad("5", "dns");
	expect_bad("{\"connections\": -1}", "dns.connections");
	expect_bad("{\"dane\": {\"match\": \"2\"}}", "dns.dane.match");
	expect_bad("{\"mx_hosts\": 3}", "dns.mx_hosts");
}

/* A full host distribution keeps every total exact. */
static void test_truncated(void **state)
{
	(void)state;
	struct mem m = {0};
	struct agg_cfg small = {2, 2, 0, NULL};
	struct agg a;
	agg_init(&a, &m, &small);
	feed(&a, 0, NSPECS, 0);
	json_t *j = agg_to_json(&a);
	json_t *hosts = json_object_get(json_object_get(j, "dns"), "mx_hosts");
	assert_true(json_is_true(json_object_get(hosts, "truncated")));
	json_int_t total = at(hosts, "other.connections");
	const char *k;
	json_t *v;
	json_t *keys = json_object_get(hosts, "keys");
	json_object_foreach(keys, k, v)
	{
		total += at(v, "connections");
	}
	assert_int_equal(total, 8);
	json_decref(j);
	agg_free(&a);
	assert_int_equal(m.in_use, 0);
}

static void test_text(void **state)
{
	(void)state;
	struct mem m = {0};
	struct agg a;
	agg_init(&a, &m, &cfg);
	feed(&a, 0, NSPECS, 0);
	char *text = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&text, &n);
	agg_print_text(&a, out, 10);
	fclose(out);
	assert_non_null(strstr(text, "DNS facts          9 connections, 8 with a known MX host\n"));
	assert_non_null(
		strstr(text, "DANE published      50.0% of them (4 of 8); 2 of 6 MX hosts\n"));
	assert_non_null(strstr(text, "match 2, mismatch 1, no TLS 1, unknown 0\n"));
	assert_non_null(strstr(text, "pass 2, fail 3, unknown 1 (6 connections under a policy)\n"));
	free(text);
	agg_free(&a);
}

/* prom_write() output of the records [0, n). */
static char *prom_of(unsigned n, int plain)
{
	struct mem m = {0};
	struct agg a;
	agg_init(&a, &m, &cfg);
	feed(&a, 0, n, plain);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_int_equal(prom_write(out, &a, NULL), 0);
	fclose(out);
	agg_free(&a);
	return text;
}

static void test_prom(void **state)
{
	(void)state;
	char *with = prom_of(NSPECS, 1), *without = prom_of(0, 1);
	assert_non_null(strstr(with, "\nsmtptls_dns_connections_total 9\n"));
	assert_non_null(strstr(with, "\nsmtptls_dane_results_total{result=\"match\"} 2\n"));
	assert_non_null(strstr(with, "\nsmtptls_dane_results_total{result=\"no_tls\"} 1\n"));
	assert_non_null(strstr(with, "\nsmtptls_mta_sts_results_total{result=\"fail\"} 3\n"));
	assert_null(strstr(without, "dane"));
	assert_null(strstr(without, "mta_sts"));
	assert_null(strstr(without, "smtptls_dns"));
	free(with);
	free(without);
}

/* The report's test data (tests/report/dns_section.json): the section and
 * the DNS ratios of these records. */
static json_t *report_data(struct mem *m)
{
	static const char *const names[] = {
		"mx_known",
		"dane_published",
		"dane_match",
		"dane_mismatch",
		"dane_no_tls",
		"mx_hosts_with_dane",
		"mx_hosts_dane_mismatch",
		"mx_hosts_dane_no_tls",
		"mta_sts_published",
		"mta_sts_pass",
		"policy_domains_failing",
		"tlsrpt_published",
	};
	json_t *j = snap_of(0, NSPECS, 0, m);
	json_t *ratios = json_object();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		json_object_set(ratios, names[i],
				json_object_get(json_object_get(j, "ratios"), names[i]));
	json_t *out = json_pack("{s:O,s:o}", "dns", json_object_get(j, "dns"), "ratios", ratios);
	json_decref(j);
	return out;
}

static void test_report_data(void **state)
{
	(void)state;
	char path[4096];
	struct mem m = {0};
	snprintf(path, sizeof(path), "%s", __FILE__);
	char *slash = strrchr(path, '/');
	assert_non_null(slash);
	snprintf(slash, sizeof(path) - (size_t)(slash - path), "/../report/dns_section.json");
	json_error_t e;
	json_t *file = json_load_file(path, 0, &e);
	if (!file)
		fail_msg("%s: %s (test_agg_dns --write FILE makes it)", path, e.text);
	json_t *now = report_data(&m);
	if (!json_equal(file, now))
		fail_msg("%s is not what the code writes: test_agg_dns --write FILE", path);
	json_decref(file);
	json_decref(now);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write") == 0) {
		struct mem m = {0};
		json_t *j = report_data(&m);
		int rc = json_dump_file(j, argv[2], JSON_INDENT(1) | JSON_SORT_KEYS);
		json_decref(j);
		return rc ? 1 : 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent_without_dns),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_merge_halves),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_section),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_prom),
		cmocka_unit_test(test_report_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
