/* Unit tests for analyzer/session/dane.c: the MX host of a connection, the
 * DANE result of each RFC 7672 case (DANE-EE ignores names and dates,
 * DANE-TA needs the chain below the anchor and the name), and the MTA-STS
 * judgement of RFC 8461 §4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/session/dane.h"

#define SEC 1000000ull
#define NOW 1767225600ll /* 2026-01-01, seconds */

/* A chain of three certificates whose digests are filled with a byte per
 * certificate and kind, so that a TLSA record can name any of them. */
static void fake_chain(struct rec *r)
{
	struct cert_facts *c = &r->cert;
	c->present = 1;
	c->source = CERT_SRC_OBSERVED;
	c->chain_length = 3;
	snprintf(c->subject, sizeof(c->subject), "CN=mx1.example.net");
	snprintf(c->san, sizeof(c->san), "mx1.example.net,*.mail.example.net,192.0.2.1");
	snprintf(c->validation, sizeof(c->validation), "valid");
	c->dane.n = 3;
	for (int i = 0; i < 3; i++) {
		struct cert_dane_cert *d = &c->dane.c[i];
		memset(d->cert_sha256, 0x10 + i, 32);
		memset(d->cert_sha512, 0x20 + i, 64);
		memset(d->spki_sha256, 0x30 + i, 32);
		memset(d->spki_sha512, 0x40 + i, 64);
		d->parsed = 1;
		d->issued_by_next = i < 2;
		d->not_before = NOW - 86400;
		d->not_after = NOW + 86400;
	}
}

static void base_rec(struct rec *r, const char *sni)
{
	memset(r, 0, sizeof(*r));
	r->ts_us = (uint64_t)NOW * SEC;
	r->server.family = 4;
	r->server.addr[0] = 198;
	r->server.addr[1] = 51;
	r->server.addr[2] = 100;
	r->server.addr[3] = 25;
	r->server.port = 25;
	r->encryption = REC_ENC_STARTTLS;
	r->tls_valid = 1;
	if (sni)
		snprintf(r->tls.sni, sizeof(r->tls.sni), "%s", sni);
	fake_chain(r);
}

static struct dns_rr tlsa(const char *host, uint8_t usage, uint8_t sel, uint8_t mtype, uint8_t fill)
{
	struct dns_rr rr;
	uint8_t data[64];
	memset(&rr, 0, sizeof(rr));
	memset(data, fill, sizeof(data));
	snprintf(rr.name, sizeof(rr.name), "_25._tcp.%s", host);
	rr.type = DNS_T_TLSA;
	assert_int_equal(dns_tlsa_set(&rr.u.tlsa, usage, sel, mtype, data, mtype == 2 ? 64 : 32),
			 0);
	return rr;
}

static struct dnsview *view_with(struct mem *m, const struct dns_rr *rrs, int n, enum dnsv_sec sec)
{
	struct dnsview *v = dnsview_new(NULL, m);
	struct dns_rr mx;
	memset(&mx, 0, sizeof(mx));
	snprintf(mx.name, sizeof(mx.name), "example.net");
	mx.type = DNS_T_MX;
	snprintf(mx.u.mx.host, sizeof(mx.u.mx.host), "mx1.example.net");
	assert_int_equal(dnsview_put(v, &mx, DNSV_SEC_SECURE), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(dnsview_put(v, &rrs[i], sec), 0);
	return v;
}

static enum rec_dane judge(const struct dns_rr *rrs, int n, enum dnsv_sec sec, struct rec *r)
{
	struct mem m = {0};
	struct dnsview *v = view_with(&m, rrs, n, sec);
	dane_annotate(v, r);
	dnsview_free(v);
	assert_true(r->dns.present);
	return (enum rec_dane)r->dns.dane;
}

static void test_names(void **state)
{
	(void)state;
	const char *san = "mx1.example.net,*.mail.example.net,192.0.2.1";
	assert_true(dane_name_in_cert(san, "", "mx1.example.net"));
	assert_true(dane_name_in_cert(san, "", "a.mail.example.net"));
	assert_false(dane_name_in_cert(san, "", "mail.example.net"));
	assert_false(dane_name_in_cert(san, "", "b.a.mail.example.net"));
	assert_false(dane_name_in_cert(san, "", "mx2.example.net"));
	assert_false(dane_name_in_cert(san, "", "192.0.2.1"));
	/* the CN only without DNS SANs */
	assert_false(dane_name_in_cert(san, "CN=mx2.example.net", "mx2.example.net"));
	assert_true(dane_name_in_cert("", "O=Org,CN=mx2.example.net", "mx2.example.net"));
	assert_true(dane_name_in_cert("192.0.2.1", "CN=MX2.example.net", "mx2.example.net"));
	assert_false(dane_name_in_cert("", "O=CN=mx2.example.net", "mx2.example.net"));
}

static void test_dane_ee(void **state)
{
	(void)state;
	struct rec r;
	/* 3 1 1 on the leaf's key: a match, whatever the names and dates */
	base_rec(&r, "MX1.Example.NET.");
	r.cert.dane.c[0].not_after = NOW - 10;
	snprintf(r.cert.san, sizeof(r.cert.san), "other.example.com");
	snprintf(r.cert.validation, sizeof(r.cert.validation), "self_signed");
	struct dns_rr rr = tlsa("mx1.example.net", 3, 1, 1, 0x30);
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MATCH);
	assert_string_equal(r.dns.mx_host, "mx1.example.net");
	assert_int_equal(r.dns.mx_src, REC_MX_SNI);
	assert_int_equal(r.dns.ndomains, 1);
	assert_string_equal(r.dns.domains[0], "example.net");
	assert_int_equal(r.dns.dane_matched, 0);
	assert_true(r.dns.dane_ee_covers_cert);
	/* 3 0 2 on the leaf's DER */
	base_rec(&r, "mx1.example.net");
	rr = tlsa("mx1.example.net", 3, 0, 2, 0x20);
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MATCH);
	/* 3 1 1 naming the intermediate: DANE-EE looks at the leaf only */
	base_rec(&r, "mx1.example.net");
	rr = tlsa("mx1.example.net", 3, 1, 1, 0x31);
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MISMATCH);
	assert_int_equal(r.dns.dane_matched, -1);
	assert_false(r.dns.dane_ee_covers_cert);
	/* a second record that matches is enough */
	struct dns_rr two[2] = {tlsa("mx1.example.net", 3, 1, 1, 0x99),
				tlsa("mx1.example.net", 3, 1, 1, 0x30)};
	base_rec(&r, "mx1.example.net");
	assert_int_equal(judge(two, 2, DNSV_SEC_SECURE, &r), REC_DANE_MATCH);
	assert_int_equal(r.dns.dane_matched, 1);
}

static void test_dane_ta(void **state)
{
	(void)state;
	struct rec r;
	/* 2 1 1 on the root (certificate 2): the chain below it is sound */
	base_rec(&r, "mx1.example.net");
	struct dns_rr rr = tlsa("mx1.example.net", 2, 1, 1, 0x32);
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MATCH);
	assert_false(r.dns.dane_ee_covers_cert);
	/* 2 0 1 on the intermediate */
	base_rec(&r, "mx1.example.net");
	rr = tlsa("mx1.example.net", 2, 0, 1, 0x11);
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MATCH);
	/* the trust anchor's own dates do not count */
	base_rec(&r, "mx1.example.net");
	r.cert.dane.c[1].not_after = NOW - 1;
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MATCH);
	/* but an expired leaf under it does */
	base_rec(&r, "mx1.example.net");
	r.cert.dane.c[0].not_after = NOW;
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MISMATCH);
	/* a broken link below the anchor */
	base_rec(&r, "mx1.example.net");
	r.cert.dane.c[0].issued_by_next = 0;
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MISMATCH);
	/* the name must match (§3.1.2) */
	base_rec(&r, "mx1.example.net");
	snprintf(r.cert.san, sizeof(r.cert.san), "other.example.com");
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MISMATCH);
	/* ... or a next-hop domain */
	base_rec(&r, "mx1.example.net");
	snprintf(r.cert.san, sizeof(r.cert.san), "example.net");
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MATCH);
	/* DANE-TA on the leaf itself is not a trust anchor */
	base_rec(&r, "mx1.example.net");
	rr = tlsa("mx1.example.net", 2, 1, 1, 0x30);
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_MISMATCH);
}

static void test_dane_states(void **state)
{
	(void)state;
	struct rec r;
	struct dns_rr rr = tlsa("mx1.example.net", 3, 1, 1, 0x30);
	base_rec(&r, "mx1.example.net");
	assert_int_equal(judge(&rr, 1, DNSV_SEC_INSECURE, &r), REC_DANE_INSECURE);
	/* PKIX-TA and PKIX-EE are unusable for SMTP (§3.1.3) */
	struct dns_rr pk[2] = {tlsa("mx1.example.net", 0, 1, 1, 0x32),
			       tlsa("mx1.example.net", 1, 1, 1, 0x30)};
	base_rec(&r, "mx1.example.net");
	assert_int_equal(judge(pk, 2, DNSV_SEC_SECURE, &r), REC_DANE_UNUSABLE);
	/* a SHA-256 record of the wrong length is unusable too */
	struct dns_rr bad;
	memset(&bad, 0, sizeof(bad));
	snprintf(bad.name, sizeof(bad.name), "_25._tcp.mx1.example.net");
	bad.type = DNS_T_TLSA;
	uint8_t d[31] = {0};
	dns_tlsa_set(&bad.u.tlsa, 3, 1, 1, d, sizeof(d));
	base_rec(&r, "mx1.example.net");
	assert_int_equal(judge(&bad, 1, DNSV_SEC_SECURE, &r), REC_DANE_UNUSABLE);
	/* no certificate visible: unknown with TLS, no_tls without */
	base_rec(&r, "mx1.example.net");
	memset(&r.cert, 0, sizeof(r.cert));
	assert_int_equal(judge(&rr, 1, DNSV_SEC_SECURE, &r), REC_DANE_UNKNOWN);
	base_rec(&r, NULL);
	memset(&r.cert, 0, sizeof(r.cert));
	r.tls_valid = 0;
	r.encryption = REC_ENC_PLAINTEXT;
	/* no SNI: the MX host comes from the address */
	struct mem m = {0};
	struct dnsview *v = view_with(&m, &rr, 1, DNSV_SEC_SECURE);
	struct dns_rr a;
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "mx1.example.net");
	a.type = DNS_T_A;
	memcpy(a.u.addr, r.server.addr, 4);
	assert_int_equal(dnsview_put(v, &a, DNSV_SEC_SECURE), 0);
	dane_annotate(v, &r);
	assert_int_equal(r.dns.mx_src, REC_MX_DNS);
	assert_string_equal(r.dns.mx_host, "mx1.example.net");
	assert_int_equal(r.dns.dane, REC_DANE_NO_TLS);
	dnsview_free(v);
	/* no TLSA at all; a bogus answer */
	base_rec(&r, "mx1.example.net");
	assert_int_equal(judge(NULL, 0, DNSV_SEC_SECURE, &r), REC_DANE_NONE);
	v = view_with(&m, NULL, 0, DNSV_SEC_SECURE);
	dnsview_put_state(v, "_25._tcp.mx1.example.net", DNS_T_TLSA, DNSV_FAILED, DNSV_SEC_BOGUS);
	base_rec(&r, "mx1.example.net");
	dane_annotate(v, &r);
	assert_int_equal(r.dns.dane, REC_DANE_BOGUS);
	assert_int_equal(r.dns.tlsa_state, REC_TLSA_FAILED);
	dnsview_free(v);
	/* an empty view: no dns facts */
	v = dnsview_new(NULL, &m);
	base_rec(&r, "mx1.example.net");
	dane_annotate(v, &r);
	assert_false(r.dns.present);
	dnsview_free(v);
	assert_int_equal(m.in_use, 0);
}

static struct dnsview *sts_view(struct mem *m, enum mtasts_mode mode, const char *pattern)
{
	struct dnsview *v = view_with(m, NULL, 0, DNSV_SEC_INSECURE);
	struct mtasts_policy p;
	memset(&p, 0, sizeof(p));
	p.mode = (uint8_t)mode;
	p.max_age = 604800;
	p.nmx = 1;
	snprintf(p.mx[0], sizeof(p.mx[0]), "%s", pattern);
	assert_int_equal(dnsview_put_policy(v, "example.net", &p), 0);
	struct dns_rr txt;
	memset(&txt, 0, sizeof(txt));
	snprintf(txt.name, sizeof(txt.name), "_mta-sts.example.net");
	txt.type = DNS_T_TXT;
	txt.u.txt.len = (uint16_t)snprintf(txt.u.txt.text, sizeof(txt.u.txt.text),
					   "v=STSv1; id=20260101000000Z;");
	assert_int_equal(dnsview_put(v, &txt, DNSV_SEC_INSECURE), 0);
	memset(&txt, 0, sizeof(txt));
	snprintf(txt.name, sizeof(txt.name), "_smtp._tls.example.net");
	txt.type = DNS_T_TXT;
	txt.u.txt.len = (uint16_t)snprintf(txt.u.txt.text, sizeof(txt.u.txt.text),
					   "v=TLSRPTv1; rua=mailto:tlsrpt@example.net");
	assert_int_equal(dnsview_put(v, &txt, DNSV_SEC_INSECURE), 0);
	return v;
}

static enum rec_sts sts(enum mtasts_mode mode, const char *pattern, struct rec *r)
{
	struct mem m = {0};
	struct dnsview *v = sts_view(&m, mode, pattern);
	dane_annotate(v, r);
	dnsview_free(v);
	return (enum rec_sts)r->dns.sts;
}

static void test_mta_sts(void **state)
{
	(void)state;
	struct rec r;
	base_rec(&r, "mx1.example.net");
	assert_int_equal(sts(MTASTS_MODE_ENFORCE, "*.example.net", &r), REC_STS_PASS);
	assert_string_equal(r.dns.sts_domain, "example.net");
	assert_string_equal(r.dns.sts_txt_id, "20260101000000Z");
	assert_string_equal(r.dns.tlsrpt_rua, "mailto:tlsrpt@example.net");
	assert_true(r.dns.sts_policy_known);
	base_rec(&r, "mx1.example.net");
	assert_int_equal(sts(MTASTS_MODE_ENFORCE, "mx9.example.net", &r), REC_STS_FAIL);
	assert_int_equal(r.dns.sts_why, REC_STS_WHY_MX_MISMATCH);
	base_rec(&r, "mx1.example.net");
	r.encryption = REC_ENC_PLAINTEXT;
	r.tls_valid = 0;
	memset(&r.cert, 0, sizeof(r.cert));
	r.tls.sni[0] = '\0';
	/* without SNI or addresses the MX host is unknown: nothing judged */
	assert_int_equal(sts(MTASTS_MODE_ENFORCE, "mx1.example.net", &r), REC_STS_NONE);
	base_rec(&r, "mx1.example.net");
	r.encryption = REC_ENC_STARTTLS_REFUSED;
	memset(&r.cert, 0, sizeof(r.cert));
	assert_int_equal(sts(MTASTS_MODE_TESTING, "mx1.example.net", &r), REC_STS_FAIL);
	assert_int_equal(r.dns.sts_why, REC_STS_WHY_NO_TLS);
	base_rec(&r, "mx1.example.net");
	snprintf(r.cert.validation, sizeof(r.cert.validation), "expired");
	assert_int_equal(sts(MTASTS_MODE_ENFORCE, "mx1.example.net", &r), REC_STS_FAIL);
	assert_int_equal(r.dns.sts_why, REC_STS_WHY_EXPIRED);
	base_rec(&r, "mx1.example.net");
	snprintf(r.cert.validation, sizeof(r.cert.validation), "self_signed");
	assert_int_equal(sts(MTASTS_MODE_ENFORCE, "mx1.example.net", &r), REC_STS_FAIL);
	assert_int_equal(r.dns.sts_why, REC_STS_WHY_CHAIN);
	base_rec(&r, "mx1.example.net");
	snprintf(r.cert.san, sizeof(r.cert.san), "mx2.example.net");
	assert_int_equal(sts(MTASTS_MODE_ENFORCE, "*.example.net", &r), REC_STS_FAIL);
	assert_int_equal(r.dns.sts_why, REC_STS_WHY_NAME);
	/* TLS 1.3: the certificate was not seen */
	base_rec(&r, "mx1.example.net");
	memset(&r.cert, 0, sizeof(r.cert));
	assert_int_equal(sts(MTASTS_MODE_ENFORCE, "mx1.example.net", &r), REC_STS_UNKNOWN);
	/* mode none: nothing to judge */
	base_rec(&r, "mx1.example.net");
	assert_int_equal(sts(MTASTS_MODE_NONE, "mx1.example.net", &r), REC_STS_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),	cmocka_unit_test(test_dane_ee),
		cmocka_unit_test(test_dane_ta), cmocka_unit_test(test_dane_states),
		cmocka_unit_test(test_mta_sts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
