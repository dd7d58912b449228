/* Unit tests for analyzer/session/dnsview.c: answers live for their TTL in
 * capture time, the DNSSEC state of an answer (AD, RRSIG, SERVFAIL), denials,
 * reverse questions, given data under the capture's answers, and the memory
 * cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/session/dnsview.h"

#define SEC 1000000ull
#define T0  (1767225600ull * SEC) /* 2026-01-01 */

static struct dns_msg resp(const char *qname, uint16_t qtype, int ad, uint16_t rcode)
{
	struct dns_msg m;
	memset(&m, 0, sizeof(m));
	m.qr = 1;
	m.ad = (uint8_t)ad;
	m.rcode = rcode;
	m.qdcount = 1;
	snprintf(m.qname, sizeof(m.qname), "%s", qname);
	m.qtype = qtype;
	return m;
}

static struct dns_rr rr_a(const char *name, uint32_t ttl, uint8_t a, uint8_t b, uint8_t c,
			  uint8_t d)
{
	struct dns_rr r;
	memset(&r, 0, sizeof(r));
	r.section = DNS_SEC_ANSWER;
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.type = DNS_T_A;
	r.cls = 1;
	r.ttl = ttl;
	r.u.addr[0] = a;
	r.u.addr[1] = b;
	r.u.addr[2] = c;
	r.u.addr[3] = d;
	return r;
}

static struct dns_rr rr_mx(const char *name, uint32_t ttl, const char *host)
{
	struct dns_rr r;
	memset(&r, 0, sizeof(r));
	r.section = DNS_SEC_ANSWER;
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.type = DNS_T_MX;
	r.ttl = ttl;
	r.u.mx.pref = 10;
	snprintf(r.u.mx.host, sizeof(r.u.mx.host), "%s", host);
	return r;
}

static struct dns_rr rr_tlsa(const char *name, uint32_t ttl, uint8_t fill)
{
	struct dns_rr r;
	uint8_t data[32];
	memset(&r, 0, sizeof(r));
	memset(data, fill, sizeof(data));
	r.section = DNS_SEC_ANSWER;
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.type = DNS_T_TLSA;
	r.ttl = ttl;
	assert_int_equal(dns_tlsa_set(&r.u.tlsa, 3, 1, 1, data, sizeof(data)), 0);
	return r;
}

static struct dns_rr rr_rrsig(const char *name, uint16_t covered)
{
	struct dns_rr r;
	memset(&r, 0, sizeof(r));
	r.section = DNS_SEC_ANSWER;
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.type = DNS_T_RRSIG;
	r.u.rrsig.type_covered = covered;
	return r;
}

static void test_ttl_in_capture_time(void **state)
{
	(void)state;
	struct mem m = {0};
	struct dnsview *v = dnsview_new(NULL, &m);
	assert_non_null(v);
	assert_true(dnsview_empty(v));
	struct dns_msg q = resp("example.net", DNS_T_MX, 1, 0);
	struct dns_rr mx = rr_mx("example.net", 300, "mx1.example.net");
	dnsview_rr(v, T0, &q, &mx);
	dnsview_message(v, T0, &q);
	struct dns_msg qa = resp("mx1.example.net", DNS_T_A, 1, 0);
	struct dns_rr a = rr_a("mx1.example.net", 60, 198, 51, 100, 25);
	dnsview_rr(v, T0, &qa, &a);
	dnsview_message(v, T0, &qa);
	assert_false(dnsview_empty(v));

	char out[4][DNS_NAME_MAX];
	uint8_t addr[16] = {198, 51, 100, 25};
	assert_int_equal(dnsview_names_of_addr(v, 4, addr, T0 + 10 * SEC, out, 4), 1);
	assert_string_equal(out[0], "mx1.example.net");
	assert_int_equal(dnsview_domains_of_mx(v, "mx1.example.net", T0 + 10 * SEC, out, 4), 1);
	assert_string_equal(out[0], "example.net");
	/* the A record's TTL is over at T0+60s; the MX record lives on */
	assert_int_equal(dnsview_names_of_addr(v, 4, addr, T0 + 61 * SEC, out, 4), 0);
	assert_int_equal(dnsview_domains_of_mx(v, "mx1.example.net", T0 + 299 * SEC, out, 4), 1);
	assert_int_equal(dnsview_domains_of_mx(v, "mx1.example.net", T0 + 301 * SEC, out, 4), 0);
	/* another address is not found */
	addr[3] = 26;
	assert_int_equal(dnsview_names_of_addr(v, 4, addr, T0, out, 4), 0);

	/* after TTL and linger, a later answer sweeps the old ones out */
	struct dns_msg later = resp("other.example", DNS_T_A, 0, 0);
	struct dns_rr b = rr_a("other.example", 60, 192, 0, 2, 1);
	dnsview_rr(v, T0 + 7200 * SEC, &later, &b);
	dnsview_message(v, T0 + 7200 * SEC, &later);
	struct dnsv_counters c;
	dnsview_counters(v, &c);
	assert_int_equal(c.answers, 3);
	assert_int_equal(c.expired, 2);
	dnsview_free(v);
	assert_int_equal(m.in_use, 0);
}

static void test_dnssec_states(void **state)
{
	(void)state;
	struct mem m = {0};
	struct dnsview *v = dnsview_new(NULL, &m);
	struct dnsv_tlsa_set ts;

	/* AD from the validating resolver */
	struct dns_msg q1 = resp("_25._tcp.mx1.example.net", DNS_T_TLSA, 1, 0);
	struct dns_rr t1 = rr_tlsa("_25._tcp.mx1.example.net", 3600, 0xaa);
	dnsview_rr(v, T0, &q1, &t1);
	dnsview_message(v, T0, &q1);
	dnsview_tlsa(v, "mx1.example.net", 25, T0 + SEC, &ts);
	assert_int_equal(ts.state, DNSV_PRESENT);
	assert_int_equal(ts.sec, DNSV_SEC_SECURE);
	assert_int_equal(ts.n, 1);
	assert_int_equal(ts.r[0].usage, 3);
	assert_int_equal(ts.r[0].data[0], 0xaa);
	assert_int_equal(ts.given, 0);
	/* not under another port */
	dnsview_tlsa(v, "mx1.example.net", 587, T0 + SEC, &ts);
	assert_int_equal(ts.state, DNSV_UNSEEN);

	/* no AD: insecure; an RRSIG of the same RRset in the message: signed */
	struct dns_msg q2 = resp("_25._tcp.mx2.example.net", DNS_T_TLSA, 0, 0);
	struct dns_rr t2 = rr_tlsa("_25._tcp.mx2.example.net", 3600, 0xbb);
	dnsview_rr(v, T0, &q2, &t2);
	dnsview_message(v, T0, &q2);
	dnsview_tlsa(v, "mx2.example.net", 25, T0 + SEC, &ts);
	assert_int_equal(ts.sec, DNSV_SEC_INSECURE);
	struct dns_msg q3 = resp("_25._tcp.mx3.example.net", DNS_T_TLSA, 0, 0);
	struct dns_rr t3 = rr_tlsa("_25._tcp.mx3.example.net", 3600, 0xcc);
	struct dns_rr s3 = rr_rrsig("_25._tcp.mx3.example.net", DNS_T_TLSA);
	dnsview_rr(v, T0, &q3, &t3);
	dnsview_rr(v, T0, &q3, &s3);
	dnsview_message(v, T0, &q3);
	dnsview_tlsa(v, "mx3.example.net", 25, T0 + SEC, &ts);
	assert_int_equal(ts.sec, DNSV_SEC_SECURE);
	/* an RRSIG over another type does not make it secure */
	struct dns_msg q4 = resp("_25._tcp.mx4.example.net", DNS_T_TLSA, 0, 0);
	struct dns_rr t4 = rr_tlsa("_25._tcp.mx4.example.net", 3600, 0xdd);
	struct dns_rr s4 = rr_rrsig("_25._tcp.mx4.example.net", DNS_T_A);
	dnsview_rr(v, T0, &q4, &t4);
	dnsview_rr(v, T0, &q4, &s4);
	dnsview_message(v, T0, &q4);
	dnsview_tlsa(v, "mx4.example.net", 25, T0 + SEC, &ts);
	assert_int_equal(ts.sec, DNSV_SEC_INSECURE);

	/* SERVFAIL: bogus; NXDOMAIN and NODATA: absent */
	struct dns_msg f = resp("_25._tcp.bad.example.net", DNS_T_TLSA, 0, DNS_RCODE_SERVFAIL);
	dnsview_message(v, T0, &f);
	dnsview_tlsa(v, "bad.example.net", 25, T0 + SEC, &ts);
	assert_int_equal(ts.state, DNSV_FAILED);
	assert_int_equal(ts.sec, DNSV_SEC_BOGUS);
	struct dns_msg nx = resp("_25._tcp.none.example.net", DNS_T_TLSA, 1, DNS_RCODE_NXDOMAIN);
	dnsview_message(v, T0, &nx);
	dnsview_tlsa(v, "none.example.net", 25, T0 + SEC, &ts);
	assert_int_equal(ts.state, DNSV_ABSENT);
	assert_int_equal(ts.sec, DNSV_SEC_SECURE);
	struct dns_msg nd = resp("_25._tcp.nodata.example.net", DNS_T_TLSA, 0, 0);
	dnsview_message(v, T0, &nd);
	dnsview_tlsa(v, "nodata.example.net", 25, T0 + SEC, &ts);
	assert_int_equal(ts.state, DNSV_ABSENT);
	assert_int_equal(ts.sec, DNSV_SEC_INSECURE);

	/* a newer answer replaces the older RRset (a rollover) */
	struct dns_msg q5 = resp("_25._tcp.mx1.example.net", DNS_T_TLSA, 1, 0);
	struct dns_rr t5 = rr_tlsa("_25._tcp.mx1.example.net", 3600, 0xee);
	dnsview_rr(v, T0 + 10 * SEC, &q5, &t5);
	dnsview_message(v, T0 + 10 * SEC, &q5);
	dnsview_tlsa(v, "mx1.example.net", 25, T0 + 20 * SEC, &ts);
	assert_int_equal(ts.n, 1);
	assert_int_equal(ts.r[0].data[0], 0xee);
	dnsview_free(v);
	assert_int_equal(m.in_use, 0);
}

static void test_given_data_and_base(void **state)
{
	(void)state;
	struct mem m = {0};
	struct dnsview *given = dnsview_new(NULL, &m);
	struct dnsview *v = dnsview_new(NULL, &m);
	struct dns_rr mx = rr_mx("example.org", 0, "mx.example.org");
	struct dns_rr t = rr_tlsa("_25._tcp.mx.example.org", 0, 0x11);
	assert_int_equal(dnsview_put(given, &mx, DNSV_SEC_SECURE), 0);
	assert_int_equal(dnsview_put(given, &t, DNSV_SEC_SECURE), 0);
	assert_int_equal(dnsview_put_state(given, "_25._tcp.fail.example.org", DNS_T_TLSA,
					   DNSV_FAILED, DNSV_SEC_BOGUS),
			 0);
	struct mtasts_policy pol;
	memset(&pol, 0, sizeof(pol));
	pol.mode = MTASTS_MODE_ENFORCE;
	pol.max_age = 86400;
	assert_int_equal(dnsview_put_policy(given, "example.org", &pol), 0);
	assert_true(dnsview_empty(v));
	dnsview_set_base(v, given);
	assert_false(dnsview_empty(v));

	/* given data never expires */
	struct dnsv_tlsa_set ts;
	dnsview_tlsa(v, "mx.example.org", 25, T0 + 1000000 * SEC, &ts);
	assert_int_equal(ts.state, DNSV_PRESENT);
	assert_int_equal(ts.given, 1);
	assert_int_equal(ts.r[0].data[0], 0x11);
	dnsview_tlsa(v, "fail.example.org", 25, T0, &ts);
	assert_int_equal(ts.state, DNSV_FAILED);
	char out[2][DNS_NAME_MAX];
	assert_int_equal(dnsview_domains_of_mx(v, "mx.example.org", T0, out, 2), 1);
	assert_non_null(dnsview_policy(v, "example.org"));
	assert_null(dnsview_policy(v, "example.net"));

	/* the capture's answer comes first */
	struct dns_msg q = resp("_25._tcp.mx.example.org", DNS_T_TLSA, 1, 0);
	struct dns_rr t2 = rr_tlsa("_25._tcp.mx.example.org", 300, 0x22);
	dnsview_rr(v, T0, &q, &t2);
	dnsview_message(v, T0, &q);
	dnsview_tlsa(v, "mx.example.org", 25, T0 + SEC, &ts);
	assert_int_equal(ts.given, 0);
	assert_int_equal(ts.n, 1);
	assert_int_equal(ts.r[0].data[0], 0x22);
	/* and once it expired, the given data again */
	dnsview_tlsa(v, "mx.example.org", 25, T0 + 301 * SEC, &ts);
	assert_int_equal(ts.given, 1);
	assert_int_equal(ts.r[0].data[0], 0x11);

	/* TXT records by prefix */
	struct dns_rr txt;
	memset(&txt, 0, sizeof(txt));
	snprintf(txt.name, sizeof(txt.name), "_mta-sts.example.org");
	txt.type = DNS_T_TXT;
	txt.u.txt.len = (uint16_t)snprintf(txt.u.txt.text, sizeof(txt.u.txt.text),
					   "v=STSv1; id=20260101T000000;");
	assert_int_equal(dnsview_put(given, &txt, DNSV_SEC_INSECURE), 0);
	char buf[128];
	enum dnsv_sec sec;
	assert_int_equal(
		dnsview_txt(v, "_mta-sts.example.org", "v=STSv1", T0, buf, sizeof(buf), &sec),
		DNSV_PRESENT);
	assert_string_equal(buf, "v=STSv1; id=20260101T000000;");
	assert_int_equal(
		dnsview_txt(v, "_mta-sts.example.org", "v=spf1", T0, buf, sizeof(buf), &sec),
		DNSV_UNSEEN);
	dnsview_free(v);
	dnsview_free(given);
	assert_int_equal(m.in_use, 0);
}

static void test_cname_and_duplicates(void **state)
{
	(void)state;
	struct mem m = {0};
	struct dnsview *v = dnsview_new(NULL, &m);
	struct dns_msg q = resp("mail.example.com", DNS_T_A, 0, 0);
	struct dns_rr cn;
	memset(&cn, 0, sizeof(cn));
	cn.section = DNS_SEC_ANSWER;
	snprintf(cn.name, sizeof(cn.name), "mail.example.com");
	cn.type = DNS_T_CNAME;
	cn.ttl = 600;
	snprintf(cn.u.target, sizeof(cn.u.target), "host7.hosting.example");
	struct dns_rr a = rr_a("host7.hosting.example", 600, 192, 0, 2, 7);
	for (uint64_t i = 0; i < 3; i++) { /* the same answer three times: kept once */
		dnsview_rr(v, T0 + i * SEC, &q, &cn);
		dnsview_rr(v, T0 + i * SEC, &q, &a);
		dnsview_message(v, T0 + i * SEC, &q);
	}
	char out[4][DNS_NAME_MAX];
	uint8_t addr[16] = {192, 0, 2, 7};
	assert_int_equal(dnsview_names_of_addr(v, 4, addr, T0 + 5 * SEC, out, 4), 1);
	assert_string_equal(out[0], "host7.hosting.example");
	assert_int_equal(dnsview_cname_sources(v, "host7.hosting.example", T0, out, 4), 1);
	assert_string_equal(out[0], "mail.example.com");
	/* the refresh extended the TTL: still there at T0 + 2 s + 600 s */
	assert_int_equal(dnsview_names_of_addr(v, 4, addr, T0 + 601 * SEC, out, 4), 1);
	/* a query is not an answer */
	struct dns_msg query = q;
	query.qr = 0;
	struct dns_rr a2 = rr_a("host8.hosting.example", 600, 192, 0, 2, 8);
	dnsview_rr(v, T0, &query, &a2);
	addr[3] = 8;
	assert_int_equal(dnsview_names_of_addr(v, 4, addr, T0, out, 4), 0);
	dnsview_free(v);
	assert_int_equal(m.in_use, 0);
}

static void test_memory_cap(void **state)
{
	(void)state;
	struct mem m = {0};
	struct dnsv_cfg cfg = {.max_bytes = 1u << 20, .linger_us = 0};
	struct dnsview *v = dnsview_new(&cfg, &m);
	struct dns_rr keep = rr_mx("given.example", 0, "mx.given.example");
	assert_int_equal(dnsview_put(v, &keep, DNSV_SEC_SECURE), 0);
	for (uint32_t i = 0; i < 200000; i++) {
		char name[64];
		snprintf(name, sizeof(name), "h%u.flood.example", i);
		struct dns_msg q = resp(name, DNS_T_A, 0, 0);
		struct dns_rr a =
			rr_a(name, 86400, 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
		dnsview_rr(v, T0 + (uint64_t)i, &q, &a);
		dnsview_message(v, T0 + (uint64_t)i, &q);
	}
	struct dnsv_counters c;
	dnsview_counters(v, &c);
	assert_true(c.bytes <= cfg.max_bytes);
	assert_true(c.peak_bytes <= cfg.max_bytes);
	assert_true(c.dropped_memory > 100000);
	assert_true(m.peak < (2u << 20) + (256u << 10)); /* the cap and the view's tables */
	/* the newest answers are there, the oldest are gone, given data stays */
	char out[1][DNS_NAME_MAX];
	uint8_t last[16] = {10, 3, 0x0d, 0x3f}; /* 199999 = 0x030d3f */
	uint8_t first[16] = {10, 0, 0, 0};
	assert_int_equal(dnsview_names_of_addr(v, 4, last, T0 + 200000u, out, 1), 1);
	assert_int_equal(dnsview_names_of_addr(v, 4, first, T0 + 200000u, out, 1), 0);
	assert_int_equal(dnsview_domains_of_mx(v, "mx.given.example", T0, out, 1), 1);
	dnsview_free(v);
	assert_int_equal(m.in_use, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_in_capture_time),
		cmocka_unit_test(test_dnssec_states),
		cmocka_unit_test(test_given_data_and_base),
		cmocka_unit_test(test_cname_and_duplicates),
		cmocka_unit_test(test_memory_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
