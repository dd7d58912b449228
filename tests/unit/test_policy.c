/* Unit tests for the policy dry-run (stats/sinks/policy.c), its record key
 * (stats/record/rec_policy.c) and its figures (stats/sinks/agg_policy.c), on
 * records made by hand: every policy and every reason, the directions each
 * policy applies to, the history as it was before the connection, and the
 * snapshot section counted, merged and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/record/rec_json.h"
#include "stats/sinks/agg.h"
#include "stats/sinks/policy.h"

#define NOW_US 1767225600000000ull /* 2026-01-01 */

/* A plain-text SMTP connection from 192.0.2.10 to 198.51.100.<last>:25. */
static void plain(struct rec *r, uint8_t last, int offered)
{
	memset(r, 0, sizeof(*r));
	r->client.family = r->server.family = 4;
	memcpy(r->client.addr, "\xc0\x00\x02\x0a", 4);
	memcpy(r->server.addr, "\xc6\x33\x64\x00", 4);
	r->server.addr[3] = last;
	r->client.port = 40000;
	r->server.port = 25;
	r->ts_us = NOW_US;
	r->end_us = NOW_US + 1000;
	r->encryption = REC_ENC_PLAINTEXT;
	r->smtp_valid = 1;
	r->smtp.ehlo_reply = 250;
	r->smtp.starttls_offered = (uint8_t)offered;
	r->smtp.messages = 2;
}

/* The same with STARTTLS and an observed certificate, checked against the
 * SNI: validation v, name match m. */
static void tls(struct rec *r, uint8_t last, const char *v, int m)
{
	plain(r, last, 1);
	r->encryption = REC_ENC_STARTTLS;
	r->smtp.starttls_requested = 1;
	r->smtp.starttls_reply = 220;
	r->smtp.messages = 0;
	r->tls_valid = 1;
	r->tls.client_hello = r->tls.server_hello = r->tls.established = 1;
	r->cert.present = 1;
	r->cert.source = CERT_SRC_OBSERVED;
	snprintf(r->cert.validation, sizeof(r->cert.validation), "%s", v);
	snprintf(r->cert.spki_sha256, sizeof(r->cert.spki_sha256), "%064x", last);
	snprintf(r->cert.san, sizeof(r->cert.san), "mx%u.example.net", last);
	r->cert.hostname_source = CERT_NAME_SNI;
	r->cert.hostname_match = (int8_t)m;
}

/* DNS facts: MX host, DANE result, MTA-STS result of a policy in mode. */
static void dns(struct rec *r, enum rec_tlsa_state ts, enum rec_dane dane, int mode,
		enum rec_sts sts, enum rec_sts_why why)
{
	struct rec_dns *d = &r->dns;
	d->present = 1;
	d->mx_src = REC_MX_DNS;
	snprintf(d->mx_host, sizeof(d->mx_host), "mx%u.example.net", r->server.addr[3]);
	d->ndomains = 1;
	snprintf(d->domains[0], sizeof(d->domains[0]), "example.net");
	d->tlsa_state = (uint8_t)ts;
	d->tlsa_sec = REC_DNSSEC_SECURE;
	d->dane = (uint8_t)dane;
	if (mode >= 0) {
		d->sts_policy_known = 1;
		d->sts_policy.mode = (uint8_t)mode;
		snprintf(d->sts_domain, sizeof(d->sts_domain), "example.net");
	}
	d->sts = (uint8_t)sts;
	d->sts_why = (uint8_t)why;
}

static struct rec_policy judge(const struct rec *r, enum rec_pol_dir dir)
{
	struct rec_policy p;
	struct anom_past none = {0};
	policy_judge_with(r, dir, &none, &p);
	return p;
}

#define RES(p, pol) ((enum rec_pol_result)(p).result[pol])
#define WHY(p, pol) ((enum rec_pol_reason)(p).reason[pol])

static void expect(const struct rec_policy *p, enum rec_pol pol, enum rec_pol_result res,
		   enum rec_pol_reason why)
{
	if (RES(*p, pol) != res || WHY(*p, pol) != why)
		fail_msg("%s: %s/%s, expected %s/%s", rec_pol_name(pol),
			 rec_pol_result_name(RES(*p, pol)),
			 rec_pol_reason_name(WHY(*p, pol)) ? rec_pol_reason_name(WHY(*p, pol))
							   : "-",
			 rec_pol_result_name(res),
			 rec_pol_reason_name(why) ? rec_pol_reason_name(why) : "-");
}

static void test_require_starttls(void **state)
{
	(void)state;
	struct rec r;
	struct rec_policy p;
	plain(&r, 1, 1);
	p = judge(&r, REC_POL_DIR_INBOUND);
	assert_int_equal(p.judged, 1);
	expect(&p, REC_POL_REQUIRE_STARTTLS, REC_POL_FAIL, REC_POL_R_STARTTLS_NOT_USED);
	plain(&r, 1, 0);
	p = judge(&r, REC_POL_DIR_INBOUND);
	expect(&p, REC_POL_REQUIRE_STARTTLS, REC_POL_FAIL, REC_POL_R_STARTTLS_NOT_SUPPORTED);
	r.encryption = REC_ENC_STARTTLS_REFUSED;
	p = judge(&r, REC_POL_DIR_INBOUND);
	expect(&p, REC_POL_REQUIRE_STARTTLS, REC_POL_FAIL, REC_POL_R_HANDSHAKE_FAILED);
	r.encryption = REC_ENC_STARTTLS_FAILED;
	p = judge(&r, REC_POL_DIR_INBOUND);
	expect(&p, REC_POL_REQUIRE_STARTTLS, REC_POL_FAIL, REC_POL_R_HANDSHAKE_FAILED);
	/* implicit TLS whose handshake never completed */
	r.encryption = REC_ENC_IMPLICIT_TLS;
	r.smtp_valid = 0;
	r.tls_valid = 1;
	r.tls.client_hello = 1;
	p = judge(&r, REC_POL_DIR_INBOUND);
	expect(&p, REC_POL_REQUIRE_STARTTLS, REC_POL_FAIL, REC_POL_R_HANDSHAKE_FAILED);
	r.tls.established = 1;
	p = judge(&r, REC_POL_DIR_INBOUND);
	expect(&p, REC_POL_REQUIRE_STARTTLS, REC_POL_PASS, REC_POL_R_NONE);
	tls(&r, 1, "self_signed", 0); /* the inbound policy asks for TLS only */
	p = judge(&r, REC_POL_DIR_INBOUND);
	expect(&p, REC_POL_REQUIRE_STARTTLS, REC_POL_PASS, REC_POL_R_NONE);
	/* nothing seen of SMTP or TLS: nothing to judge */
	memset(&r, 0, sizeof(r));
	p = judge(&r, REC_POL_DIR_INBOUND);
	expect(&p, REC_POL_REQUIRE_STARTTLS, REC_POL_UNKNOWN, REC_POL_R_NONE);
}

static void test_directions(void **state)
{
	(void)state;
	struct rec r;
	plain(&r, 1, 0);
	struct rec_policy p = judge(&r, REC_POL_DIR_INBOUND);
	assert_int_equal(p.direction, REC_POL_DIR_INBOUND);
	for (int i = REC_POL_ENCRYPT; i < REC_POL_COUNT; i++)
		expect(&p, (enum rec_pol)i, REC_POL_NA, REC_POL_R_NONE);
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_REQUIRE_STARTTLS, REC_POL_NA, REC_POL_R_NONE);
	expect(&p, REC_POL_ENCRYPT, REC_POL_FAIL, REC_POL_R_STARTTLS_NOT_SUPPORTED);
	p = judge(&r, REC_POL_DIR_EXTERNAL);
	for (int i = 0; i < REC_POL_COUNT; i++)
		expect(&p, (enum rec_pol)i, REC_POL_NA, REC_POL_R_NONE);
	for (int d = 0; d < 2; d++) {
		/* both ends local, or the direction unknown: every policy */
		p = judge(&r, d ? REC_POL_DIR_INTERNAL : REC_POL_DIR_UNKNOWN);
		expect(&p, REC_POL_REQUIRE_STARTTLS, REC_POL_FAIL,
		       REC_POL_R_STARTTLS_NOT_SUPPORTED);
		expect(&p, REC_POL_VERIFY, REC_POL_FAIL, REC_POL_R_STARTTLS_NOT_SUPPORTED);
	}
	/* the direction from the local networks */
	struct geo g;
	memset(&g, 0, sizeof(g));
	assert_int_equal(policy_direction(&g, &r), REC_POL_DIR_UNKNOWN);
	assert_int_equal(policy_direction(NULL, &r), REC_POL_DIR_UNKNOWN);
	assert_int_equal(geo_add_net(&g, "192.0.2.0/24"), 0);
	assert_int_equal(policy_direction(&g, &r), REC_POL_DIR_OUTBOUND);
	assert_int_equal(geo_add_net(&g, "198.51.100.0/24"), 0);
	assert_int_equal(policy_direction(&g, &r), REC_POL_DIR_INTERNAL);
	memset(&g, 0, sizeof(g));
	assert_int_equal(geo_add_net(&g, "198.51.100.0/24"), 0);
	assert_int_equal(policy_direction(&g, &r), REC_POL_DIR_INBOUND);
	memset(&g, 0, sizeof(g));
	assert_int_equal(geo_add_net(&g, "10.0.0.0/8"), 0);
	assert_int_equal(policy_direction(&g, &r), REC_POL_DIR_EXTERNAL);
}

static void test_encrypt_verify(void **state)
{
	(void)state;
	struct rec r;
	struct rec_policy p;
	static const struct {
		const char *validation;
		int match;
		enum rec_pol_result res;
		enum rec_pol_reason why;
	} cases[] = {
		{"valid", 1, REC_POL_PASS, REC_POL_R_NONE},
		{"expired", 1, REC_POL_FAIL, REC_POL_R_CERTIFICATE_EXPIRED},
		{"self_signed", 1, REC_POL_FAIL, REC_POL_R_CERTIFICATE_NOT_TRUSTED},
		{"self_signed_in_chain", 1, REC_POL_FAIL, REC_POL_R_CERTIFICATE_NOT_TRUSTED},
		{"unable_to_get_issuer", 1, REC_POL_FAIL, REC_POL_R_CERTIFICATE_NOT_TRUSTED},
		{"not_yet_valid", 1, REC_POL_FAIL, REC_POL_R_VALIDATION_FAILURE},
		{"bad_signature", 1, REC_POL_FAIL, REC_POL_R_VALIDATION_FAILURE},
		{"valid", 0, REC_POL_FAIL, REC_POL_R_CERTIFICATE_HOST_MISMATCH},
		{"valid", -1, REC_POL_UNKNOWN, REC_POL_R_NONE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tls(&r, 2, cases[i].validation, cases[i].match);
		p = judge(&r, REC_POL_DIR_OUTBOUND);
		expect(&p, REC_POL_ENCRYPT, REC_POL_PASS, REC_POL_R_NONE);
		expect(&p, REC_POL_VERIFY, cases[i].res, cases[i].why);
	}
	/* the name: the SNI's check, else the MX host the DNS names */
	tls(&r, 2, "valid", 1);
	r.cert.hostname_source = CERT_NAME_BANNER;
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_VERIFY, REC_POL_UNKNOWN, REC_POL_R_NONE);
	dns(&r, REC_TLSA_ABSENT, REC_DANE_NONE, -1, REC_STS_NONE, REC_STS_WHY_NONE);
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_VERIFY, REC_POL_PASS, REC_POL_R_NONE);
	snprintf(r.cert.san, sizeof(r.cert.san), "other.example.org");
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_VERIFY, REC_POL_FAIL, REC_POL_R_CERTIFICATE_HOST_MISMATCH);
	/* TLS 1.3 with no certificate seen or inferred */
	tls(&r, 2, "valid", 1);
	memset(&r.cert, 0, sizeof(r.cert));
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_ENCRYPT, REC_POL_PASS, REC_POL_R_NONE);
	expect(&p, REC_POL_VERIFY, REC_POL_UNKNOWN, REC_POL_R_NONE);
	/* no TLS: the TLS reason */
	plain(&r, 2, 1);
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_ENCRYPT, REC_POL_FAIL, REC_POL_R_STARTTLS_NOT_USED);
	expect(&p, REC_POL_VERIFY, REC_POL_FAIL, REC_POL_R_STARTTLS_NOT_USED);
	r.encryption = REC_ENC_STARTTLS_FAILED;
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_ENCRYPT, REC_POL_FAIL, REC_POL_R_HANDSHAKE_FAILED);
	expect(&p, REC_POL_VERIFY, REC_POL_FAIL, REC_POL_R_HANDSHAKE_FAILED);
}

static void test_dane(void **state)
{
	(void)state;
	struct rec r;
	struct rec_policy p;
	tls(&r, 3, "valid", 1);
	p = judge(&r, REC_POL_DIR_OUTBOUND); /* no DNS data: never a pass */
	expect(&p, REC_POL_DANE, REC_POL_UNKNOWN, REC_POL_R_NONE);
	static const struct {
		int plain;
		enum rec_tlsa_state ts;
		enum rec_dane dane;
		enum rec_pol_result res;
		enum rec_pol_reason why;
	} cases[] = {
		{0, REC_TLSA_ABSENT, REC_DANE_NONE, REC_POL_NA, REC_POL_R_NONE},
		{0, REC_TLSA_UNSEEN, REC_DANE_NONE, REC_POL_UNKNOWN, REC_POL_R_NONE},
		{0, REC_TLSA_PRESENT, REC_DANE_INSECURE, REC_POL_NA, REC_POL_R_NONE},
		{0, REC_TLSA_FAILED, REC_DANE_BOGUS, REC_POL_FAIL, REC_POL_R_DNSSEC_INVALID},
		{0, REC_TLSA_PRESENT, REC_DANE_MATCH, REC_POL_PASS, REC_POL_R_NONE},
		{0, REC_TLSA_PRESENT, REC_DANE_MISMATCH, REC_POL_FAIL, REC_POL_R_TLSA_INVALID},
		{0, REC_TLSA_PRESENT, REC_DANE_UNKNOWN, REC_POL_UNKNOWN, REC_POL_R_NONE},
		{0, REC_TLSA_PRESENT, REC_DANE_UNUSABLE, REC_POL_PASS, REC_POL_R_NONE},
		{1, REC_TLSA_PRESENT, REC_DANE_UNUSABLE, REC_POL_FAIL, REC_POL_R_DANE_REQUIRED},
		{1, REC_TLSA_PRESENT, REC_DANE_NO_TLS, REC_POL_FAIL, REC_POL_R_DANE_REQUIRED},
		{1, REC_TLSA_ABSENT, REC_DANE_NONE, REC_POL_NA, REC_POL_R_NONE},
		{1, REC_TLSA_PRESENT, REC_DANE_INSECURE, REC_POL_NA, REC_POL_R_NONE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].plain)
			plain(&r, 3, 1);
		else
			tls(&r, 3, "valid", 1);
		dns(&r, cases[i].ts, cases[i].dane, -1, REC_STS_NONE, REC_STS_WHY_NONE);
		p = judge(&r, REC_POL_DIR_OUTBOUND);
		expect(&p, REC_POL_DANE, cases[i].res, cases[i].why);
	}
	/* a failed handshake to a host with secure TLSA records */
	plain(&r, 3, 1);
	r.encryption = REC_ENC_STARTTLS_FAILED;
	dns(&r, REC_TLSA_PRESENT, REC_DANE_NO_TLS, -1, REC_STS_NONE, REC_STS_WHY_NONE);
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_DANE, REC_POL_FAIL, REC_POL_R_DANE_REQUIRED);
	/* DNS data, but no MX host known for the server */
	tls(&r, 3, "valid", 1);
	dns(&r, REC_TLSA_UNSEEN, REC_DANE_NONE, -1, REC_STS_NONE, REC_STS_WHY_NONE);
	r.dns.mx_host[0] = '\0';
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_DANE, REC_POL_UNKNOWN, REC_POL_R_NONE);
	expect(&p, REC_POL_MTA_STS, REC_POL_UNKNOWN, REC_POL_R_NONE);
}

static void test_mta_sts(void **state)
{
	(void)state;
	struct rec r;
	struct rec_policy p;
	tls(&r, 4, "valid", 1);
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_MTA_STS, REC_POL_UNKNOWN, REC_POL_R_NONE);
	static const struct {
		int plain, offered, mode;
		enum rec_sts sts;
		enum rec_sts_why why;
		enum rec_pol_result res;
		enum rec_pol_reason reason;
	} cases[] = {
		{0, 1, -1, REC_STS_NONE, REC_STS_WHY_NONE, REC_POL_NA, REC_POL_R_NONE},
		{0, 1, MTASTS_MODE_TESTING, REC_STS_FAIL, REC_STS_WHY_CHAIN, REC_POL_NA,
		 REC_POL_R_NONE},
		{0, 1, MTASTS_MODE_NONE, REC_STS_NONE, REC_STS_WHY_NONE, REC_POL_NA,
		 REC_POL_R_NONE},
		{0, 1, MTASTS_MODE_ENFORCE, REC_STS_PASS, REC_STS_WHY_NONE, REC_POL_PASS,
		 REC_POL_R_NONE},
		{0, 1, MTASTS_MODE_ENFORCE, REC_STS_UNKNOWN, REC_STS_WHY_NONE, REC_POL_UNKNOWN,
		 REC_POL_R_NONE},
		{0, 1, MTASTS_MODE_ENFORCE, REC_STS_FAIL, REC_STS_WHY_MX_MISMATCH, REC_POL_FAIL,
		 REC_POL_R_STS_POLICY_INVALID},
		{0, 1, MTASTS_MODE_ENFORCE, REC_STS_FAIL, REC_STS_WHY_CHAIN, REC_POL_FAIL,
		 REC_POL_R_CERTIFICATE_NOT_TRUSTED},
		{0, 1, MTASTS_MODE_ENFORCE, REC_STS_FAIL, REC_STS_WHY_NAME, REC_POL_FAIL,
		 REC_POL_R_CERTIFICATE_HOST_MISMATCH},
		{0, 1, MTASTS_MODE_ENFORCE, REC_STS_FAIL, REC_STS_WHY_EXPIRED, REC_POL_FAIL,
		 REC_POL_R_CERTIFICATE_EXPIRED},
		{1, 0, MTASTS_MODE_ENFORCE, REC_STS_FAIL, REC_STS_WHY_NO_TLS, REC_POL_FAIL,
		 REC_POL_R_STARTTLS_NOT_SUPPORTED},
		{1, 1, MTASTS_MODE_ENFORCE, REC_STS_FAIL, REC_STS_WHY_NO_TLS, REC_POL_FAIL,
		 REC_POL_R_STARTTLS_NOT_USED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].plain)
			plain(&r, 4, cases[i].offered);
		else
			tls(&r, 4, "valid", 1);
		dns(&r, REC_TLSA_ABSENT, REC_DANE_NONE, cases[i].mode, cases[i].sts, cases[i].why);
		p = judge(&r, REC_POL_DIR_OUTBOUND);
		expect(&p, REC_POL_MTA_STS, cases[i].res, cases[i].reason);
	}
	/* announced by its _mta-sts record, the policy itself not given */
	tls(&r, 4, "valid", 1);
	dns(&r, REC_TLSA_ABSENT, REC_DANE_NONE, -1, REC_STS_UNKNOWN, REC_STS_WHY_NONE);
	p = judge(&r, REC_POL_DIR_OUTBOUND);
	expect(&p, REC_POL_MTA_STS, REC_POL_UNKNOWN, REC_POL_R_NONE);
}

struct hx {
	struct mem mem;
	struct anom_cfg cfg;
	struct anom a;
};

/* The dry-run then the detectors, as the sinks run them. */
static struct rec_policy hx_judge(struct hx *h, const struct rec *r)
{
	struct rec_policy p;
	struct rec_verdict v;
	policy_judge(NULL, &h->a, r, &p);
	anom_judge(&h->a, r, &v);
	return p;
}

static void test_history(void **state)
{
	(void)state;
	struct hx *h = calloc(1, sizeof(*h));
	h->cfg.fallback_window_us = 300000000u;
	h->cfg.max_hosts = 100;
	anom_init(&h->a, &h->cfg, &h->mem);
	struct rec r;
	struct rec_policy p;
	/* first contact: not applicable, whatever happens */
	plain(&r, 5, 0);
	p = hx_judge(h, &r);
	expect(&p, REC_POL_HISTORY, REC_POL_NA, REC_POL_R_NONE);
	/* it never offered STARTTLS: plain text again is no change */
	p = hx_judge(h, &r);
	expect(&p, REC_POL_HISTORY, REC_POL_PASS, REC_POL_R_NONE);
	/* a valid chain, then ... */
	tls(&r, 6, "valid", 1);
	p = hx_judge(h, &r);
	expect(&p, REC_POL_HISTORY, REC_POL_NA, REC_POL_R_NONE);
	p = hx_judge(h, &r);
	expect(&p, REC_POL_HISTORY, REC_POL_PASS, REC_POL_R_NONE);
	/* ... a self-signed one */
	tls(&r, 6, "self_signed", 1);
	p = hx_judge(h, &r);
	expect(&p, REC_POL_HISTORY, REC_POL_FAIL, REC_POL_R_NO_LONGER_VALID);
	/* the last chain was invalid: judged against that one */
	p = hx_judge(h, &r);
	expect(&p, REC_POL_HISTORY, REC_POL_PASS, REC_POL_R_NONE);
	tls(&r, 6, "valid", 1);
	p = hx_judge(h, &r);
	expect(&p, REC_POL_HISTORY, REC_POL_PASS, REC_POL_R_NONE);
	/* TLS 1.3 hides the certificate: cannot say */
	memset(&r.cert, 0, sizeof(r.cert));
	p = hx_judge(h, &r);
	expect(&p, REC_POL_HISTORY, REC_POL_UNKNOWN, REC_POL_R_NONE);
	/* STARTTLS offered before, now not: stripped */
	plain(&r, 6, 0);
	p = hx_judge(h, &r);
	expect(&p, REC_POL_HISTORY, REC_POL_FAIL, REC_POL_R_NO_LONGER_OFFERED);
	/* offered, and the handshake failed */
	plain(&r, 6, 1);
	r.encryption = REC_ENC_STARTTLS_FAILED;
	p = hx_judge(h, &r);
	expect(&p, REC_POL_HISTORY, REC_POL_FAIL, REC_POL_R_HANDSHAKE_FAILED);
	/* the judgement is the one before the connection: twice the same
	 * record, the history as it was before each */
	tls(&r, 7, "valid", 1);
	struct rec_policy a1, a2;
	policy_judge(NULL, &h->a, &r, &a1);
	policy_judge(NULL, &h->a, &r, &a2);
	assert_memory_equal(&a1, &a2, sizeof(a1));
	expect(&a1, REC_POL_HISTORY, REC_POL_NA, REC_POL_R_NONE);
	anom_free(&h->a);
	assert_int_equal(h->mem.in_use, 0);
	free(h);
}

/* The record key: before the anomalies, only when the dry-run ran. */
static void test_record_key(void **state)
{
	(void)state;
	struct rec r;
	struct rec_verdict v;
	struct jsonw w;
	memset(&w, 0, sizeof(w));
	tls(&r, 8, "expired", 1);
	rec_verdict_init(&v, &r);
	assert_int_equal(rec_json_head(&w, &r), 0);
	assert_int_equal(rec_json_anomalies(&w, &r, &v), 0);
	assert_int_equal(jsonw_end(&w), 0);
	assert_null(strstr(w.buf, "\"policy\""));
	jsonw_reset(&w);
	v.policy = judge(&r, REC_POL_DIR_OUTBOUND);
	assert_int_equal(rec_json_head(&w, &r), 0);
	assert_int_equal(rec_json_anomalies(&w, &r, &v), 0);
	assert_int_equal(jsonw_end(&w), 0);
	assert_non_null(strstr(
		w.buf, ",\"policy\":{\"direction\":\"outbound\",\"require-starttls\":{\"result\":"
		       "\"not_applicable\",\"reason\":null},\"encrypt\":{\"result\":\"pass\","
		       "\"reason\":null},\"verify\":{\"result\":\"fail\",\"reason\":"
		       "\"certificate-expired\"},\"dane\":{\"result\":\"unknown\",\"reason\":null},"
		       "\"mta-sts\":{\"result\":\"unknown\",\"reason\":null},\"history\":{"
		       "\"result\":\"not_applicable\",\"reason\":null}},\"anomalies\":[]}"));
	jsonw_free(&w);
	for (int i = 1; i < REC_POL_R_COUNT; i++)
		assert_non_null(rec_pol_reason_name((enum rec_pol_reason)i));
	assert_null(rec_pol_reason_name(REC_POL_R_NONE));
	assert_string_equal(rec_pol_dir_name(REC_POL_DIR_UNKNOWN), "unknown");
}

struct ax {
	struct mem mem;
	struct agg_cfg cfg;
	struct agg a;
};

static struct ax *ax_new(void)
{
	struct ax *x = calloc(1, sizeof(*x));
	x->cfg.max_keys = 64;
	x->cfg.max_servers = 64;
	x->cfg.bucket_us = 3600000000ull;
	agg_init(&x->a, &x->mem, &x->cfg);
	return x;
}

static void ax_free(struct ax *x)
{
	agg_free(&x->a);
	assert_int_equal(x->mem.in_use, 0);
	free(x);
}

/* Connection i of the figures' test set: server 10 fails encrypt
 * intermittently, server 11 always (with plain-text messages), server 12 is
 * inbound. */
static void ax_rec(struct rec *r, struct rec_verdict *v, int i)
{
	static const struct {
		uint8_t last;
		int tls;
		enum rec_pol_dir dir;
	} set[] = {
		{10, 1, REC_POL_DIR_OUTBOUND}, {10, 0, REC_POL_DIR_OUTBOUND},
		{11, 0, REC_POL_DIR_OUTBOUND}, {11, 0, REC_POL_DIR_OUTBOUND},
		{12, 0, REC_POL_DIR_INBOUND},  {12, 1, REC_POL_DIR_INBOUND},
	};
	if (set[i].tls)
		tls(r, set[i].last, "valid", 1);
	else
		plain(r, set[i].last, 0);
	dns(r, REC_TLSA_ABSENT, REC_DANE_NONE, -1, REC_STS_NONE, REC_STS_WHY_NONE);
	rec_verdict_init(v, r);
	v->policy = judge(r, set[i].dir);
}
#define AX_N 6

static const struct agg_pol_one *ax_one(const struct ax *x, enum rec_pol_dir d, enum rec_pol p)
{
	return &x->a.policy.p[d][p];
}

static void test_figures(void **state)
{
	(void)state;
	struct ax *whole = ax_new(), *half[2] = {ax_new(), ax_new()};
	struct rec r;
	struct rec_verdict v;
	for (int i = 0; i < AX_N; i++) {
		ax_rec(&r, &v, i);
		agg_record(&whole->a, &r, &v);
		agg_record(&half[i % 2]->a, &r, &v);
	}
	/* a record without a dry-run counts nothing here */
	rec_verdict_init(&v, &r);
	agg_record(&whole->a, &r, &v);
	agg_record(&whole->a, &r, NULL);
	assert_int_equal(whole->a.policy.connections, AX_N);
	assert_int_equal(whole->a.policy.by_dir[REC_POL_DIR_OUTBOUND], 4);
	assert_int_equal(whole->a.policy.by_dir[REC_POL_DIR_INBOUND], 2);
	const struct agg_pol_one *enc = ax_one(whole, REC_POL_DIR_OUTBOUND, REC_POL_ENCRYPT);
	assert_int_equal(enc->results[REC_POL_FAIL], 3);
	assert_int_equal(enc->results[REC_POL_PASS], 1);
	assert_int_equal(enc->reasons[REC_POL_R_STARTTLS_NOT_SUPPORTED], 3);
	assert_int_equal(enc->fail_messages, 6); /* two plain-text messages each */
	struct agg_pol_distinct d;
	agg_policy_distinct(enc, &d);
	assert_int_equal(d.servers, 2);
	assert_int_equal(d.failing, 2);
	assert_int_equal(d.always, 1);
	assert_int_equal(d.intermittent, 1);
	assert_int_equal(d.domains, 1);
	assert_int_equal(d.domains_failing, 1);
	/* not applicable: counted by result, in no map */
	const struct agg_pol_one *req =
		ax_one(whole, REC_POL_DIR_OUTBOUND, REC_POL_REQUIRE_STARTTLS);
	assert_int_equal(req->results[REC_POL_NA], 4);
	assert_int_equal(req->servers.used, 0);
	req = ax_one(whole, REC_POL_DIR_INBOUND, REC_POL_REQUIRE_STARTTLS);
	assert_int_equal(req->results[REC_POL_FAIL], 1);
	assert_int_equal(req->results[REC_POL_PASS], 1);

	/* the halves merged, and the snapshot read back, are the whole */
	agg_merge(&half[0]->a, &half[1]->a);
	json_t *jw = agg_to_json(&whole->a), *jm = agg_to_json(&half[0]->a);
	assert_true(json_equal(json_object_get(jw, "policy"), json_object_get(jm, "policy")));
	struct ax *back = ax_new();
	char err[200] = "";
	assert_int_equal(agg_add_json(&back->a, jw, err, sizeof(err)), 0);
	json_t *jb = agg_to_json(&back->a);
	assert_true(json_equal(json_object_get(jw, "policy"), json_object_get(jb, "policy")));
	json_t *pol = json_object_get(jw, "policy");
	assert_int_equal(json_integer_value(json_object_get(pol, "connections")), AX_N);
	assert_null(json_object_get(json_object_get(pol, "by_direction"), "external"));
	/* a bad count is refused */
	json_object_set_new(json_object_get(pol, "directions"), "inbound", json_integer(-1));
	struct ax *bad = ax_new();
	assert_int_equal(agg_add_json(&bad->a, jw, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "policy"));
	json_decref(jw);
	json_decref(jm);
	json_decref(jb);

	/* nothing judged: no section, no summary lines */
	struct ax *none = ax_new();
	json_t *jn = agg_to_json(&none->a);
	assert_null(json_object_get(jn, "policy"));
	json_decref(jn);
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	agg_print_text(&none->a, fp, 5);
	fclose(fp);
	assert_null(strstr(buf, "if enforced"));
	free(buf);
	fp = open_memstream(&buf, &len);
	agg_print_text(&whole->a, fp, 5);
	fclose(fp);
	assert_non_null(strstr(buf, "  if enforced        inbound 2, outbound 4\n"));
	assert_non_null(
		strstr(buf, "    encrypt               3 /      4        0        2 (1)            "
			    "       6\n"));
	free(buf);
	ax_free(none);
	ax_free(bad);
	ax_free(back);
	ax_free(whole);
	ax_free(half[0]);
	ax_free(half[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_require_starttls), cmocka_unit_test(test_directions),
		cmocka_unit_test(test_encrypt_verify),	 cmocka_unit_test(test_dane),
		cmocka_unit_test(test_mta_sts),		 cmocka_unit_test(test_history),
		cmocka_unit_test(test_record_key),	 cmocka_unit_test(test_figures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
