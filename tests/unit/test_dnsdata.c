/* Unit tests for analyzer/app/dnsdata.c and dnsdata_text.c (--dns-data,
 * --mta-sts-policies) on real material: the fixtures of tests/unit/dnsdata/
 * are what dig and unbound-host printed for zones that NSD served
 * (make-fixtures.sh). The dig form, the same with +multiline, and the JSON
 * Lines made from unbound-host must give the same records with the same
 * DNSSEC states; bad files fail as a whole with the file and line named.
 *
 * dnsdata_apply() is checked against a recording stand-in of the view's
 * dnsview_put* functions defined here: this test is linked with the
 * module's sources only (tests/CMakeLists.txt), not with the core that holds
 * the real view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/app/dnsdata.h"

#define FIX SMTPTLS_SOURCE_DIR "/tests/unit/dnsdata/"

/* ---- a recording view ---- */

enum call_kind { CALL_PUT, CALL_STATE, CALL_POLICY };

struct call {
	enum call_kind kind;
	char name[DNS_NAME_MAX];
	uint16_t type;
	int st, sec;
	struct dns_rr rr;
	uint8_t mode;
};

struct dnsview {
	struct call calls[64];
	size_t n;
	size_t fail_at; /* the call (1-based) that fails; 0: none */
};

static int record_call(struct dnsview *v, const struct call *c)
{
	if (v->fail_at && v->n + 1 == v->fail_at)
		return -1;
	assert_true(v->n < sizeof(v->calls) / sizeof(v->calls[0]));
	v->calls[v->n++] = *c;
	return 0;
}

int dnsview_put(struct dnsview *v, const struct dns_rr *rr, enum dnsv_sec sec)
{
	struct call c = {.kind = CALL_PUT, .type = rr->type, .sec = (int)sec, .rr = *rr};
	snprintf(c.name, sizeof(c.name), "%s", rr->name);
	return record_call(v, &c);
}

int dnsview_put_state(struct dnsview *v, const char *name, uint16_t type, enum dnsv_state st,
		      enum dnsv_sec sec)
{
	struct call c = {.kind = CALL_STATE, .type = type, .st = (int)st, .sec = (int)sec};
	snprintf(c.name, sizeof(c.name), "%s", name);
	return record_call(v, &c);
}

int dnsview_put_policy(struct dnsview *v, const char *domain, const struct mtasts_policy *pol)
{
	struct call c = {.kind = CALL_POLICY, .mode = pol->mode};
	snprintf(c.name, sizeof(c.name), "%s", domain);
	return record_call(v, &c);
}

/* ---- helpers ---- */

static struct dnsdata *load(const char *file, const char *dir)
{
	char err[512];
	struct dnsdata *d = dnsdata_load(file, dir, err, sizeof(err));
	if (d == NULL)
		fail_msg("load failed: %s", err);
	return d;
}

/* Index of the first record at name of type whose data starts with
 * prefix (TXT text, MX host, TLSA usage), or -1. */
static long find(const struct dnsdata *d, const char *name, uint16_t type, int tlsa_usage)
{
	struct dns_rr rr;
	enum dnsv_sec sec;
	for (size_t i = 0; dnsdata_record(d, i, &rr, &sec) == 0; i++)
		if (strcmp(rr.name, name) == 0 && rr.type == type &&
		    (type != DNS_T_TLSA || rr.u.tlsa.usage == tlsa_usage))
			return (long)i;
	return -1;
}

static void hex_to(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* Whether two records are the same (name, type, TTL, data, state). */
static int same_rr(const struct dns_rr *a, const struct dns_rr *b)
{
	if (strcmp(a->name, b->name) != 0 || a->type != b->type || a->ttl != b->ttl ||
	    a->rdlength != b->rdlength)
		return 0;
	switch (a->type) {
	case DNS_T_A:
	case DNS_T_AAAA: return memcmp(a->u.addr, b->u.addr, 16) == 0;
	case DNS_T_MX:
		return a->u.mx.pref == b->u.mx.pref && strcmp(a->u.mx.host, b->u.mx.host) == 0;
	case DNS_T_CNAME: return strcmp(a->u.target, b->u.target) == 0;
	case DNS_T_TXT:
		return a->u.txt.len == b->u.txt.len && strcmp(a->u.txt.text, b->u.txt.text) == 0;
	case DNS_T_TLSA: return memcmp(&a->u.tlsa, &b->u.tlsa, sizeof(a->u.tlsa)) == 0;
	}
	return 0;
}

/* Every record of a is in b with the same state, and the counts agree. */
static void same_records(const struct dnsdata *a, const struct dnsdata *b, int ttl_too)
{
	assert_int_equal(dnsdata_count(a, DNSDATA_RECORDS), dnsdata_count(b, DNSDATA_RECORDS));
	assert_int_equal(dnsdata_count(a, DNSDATA_SECURE), dnsdata_count(b, DNSDATA_SECURE));
	struct dns_rr ra, rb;
	enum dnsv_sec sa, sb;
	for (size_t i = 0; dnsdata_record(a, i, &ra, &sa) == 0; i++) {
		int found = 0;
		for (size_t k = 0; !found && dnsdata_record(b, k, &rb, &sb) == 0; k++) {
			if (!ttl_too)
				rb.ttl = ra.ttl;
			found = same_rr(&ra, &rb) && sa == sb;
		}
		if (!found)
			fail_msg("record %zu (%s type %u) has no twin", i, ra.name, ra.type);
	}
}

/* ---- the dig form ---- */

static void test_dig(void **state)
{
	(void)state;
	struct dnsdata *d = load(FIX "dig.txt", NULL);
	struct dns_rr rr, r2;
	enum dnsv_sec sec;
	/* example.net: MX x2, A, AAAA, A, CNAME, TLSA x3, TXT x3 (signed);
	 * example.org: MX, A, TLSA, TXT (unsigned). */
	assert_int_equal(dnsdata_count(d, DNSDATA_RECORDS), 16);
	assert_int_equal(dnsdata_count(d, DNSDATA_SECURE), 12);
	assert_int_equal(dnsdata_count(d, DNSDATA_SKIPPED), 0);
	assert_int_equal(dnsdata_count(d, DNSDATA_STATES), 0);

	assert_int_equal(dnsdata_record(d, 1, &rr, &sec), 0);
	assert_string_equal(rr.name, "example.net");
	assert_int_equal(rr.type, DNS_T_MX);
	assert_int_equal(rr.cls, 1);
	assert_int_equal(rr.section, DNS_SEC_ANSWER);
	assert_int_equal(rr.ttl, 300);
	assert_int_equal(rr.u.mx.pref, 20);
	assert_string_equal(rr.u.mx.host, "mx2.example.net"); /* MX2.Example.NET. in the zone */
	assert_int_equal(rr.rdlength, 2 + 17);
	assert_int_equal(sec, DNSV_SEC_SECURE);

	long i = find(d, "mx1.example.net", DNS_T_AAAA, 0);
	assert_true(i >= 0);
	dnsdata_record(d, (size_t)i, &rr, &sec);
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x25};
	assert_memory_equal(rr.u.addr, v6, 16);
	assert_int_equal(rr.ttl, 3600);

	/* TLSA 3 1 1: the digest as printed. */
	i = find(d, "_25._tcp.mx1.example.net", DNS_T_TLSA, 3);
	dnsdata_record(d, (size_t)i, &rr, &sec);
	uint8_t want[32];
	hex_to("22C3F009FF18ED078C927C739790804BD9C3B224A1DF89BD6F900402B7C8C5C8", want, 32);
	assert_int_equal(rr.u.tlsa.selector, 1);
	assert_int_equal(rr.u.tlsa.mtype, 1);
	assert_int_equal(rr.u.tlsa.len, 32);
	assert_int_equal(rr.u.tlsa.bad_length, 0);
	assert_memory_equal(rr.u.tlsa.data, want, 32);
	assert_int_equal(sec, DNSV_SEC_SECURE);

	/* TLSA 3 0 0 (the whole certificate) is kept as its SHA-512, which
	 * is what the 2 1 2 record of mx1 pins: the same certificate. */
	i = find(d, "_25._tcp.mx2.example.net", DNS_T_TLSA, 3);
	dnsdata_record(d, (size_t)i, &rr, &sec);
	dnsdata_record(d, (size_t)find(d, "_25._tcp.mx1.example.net", DNS_T_TLSA, 2), &r2, &sec);
	assert_int_equal(rr.u.tlsa.full_digest, 1);
	assert_int_equal(r2.u.tlsa.mtype, 2);
	assert_int_equal(r2.u.tlsa.len, 64);
	assert_memory_equal(rr.u.tlsa.data, r2.u.tlsa.data, 64);

	/* TXT strings concatenated, escapes decoded, non-printable as '?'. */
	dnsdata_record(d, (size_t)find(d, "_smtp._tls.example.net", DNS_T_TXT, 0), &rr, &sec);
	assert_string_equal(rr.u.txt.text, "v=TLSRPTv1; rua=mailto:tlsrpt@example.net");
	char rua[MTASTS_RUA_MAX];
	assert_int_equal(mtasts_tlsrpt_parse(rr.u.txt.text, rua), 0);
	assert_string_equal(rua, "mailto:tlsrpt@example.net");
	dnsdata_record(d, (size_t)find(d, "note.example.net", DNS_T_TXT, 0), &rr, &sec);
	assert_string_equal(rr.u.txt.text, "say \"hi\"; tab?end?");
	assert_int_equal(rr.u.txt.len, 18);
	dnsdata_record(d, (size_t)find(d, "_mta-sts.example.net", DNS_T_TXT, 0), &rr, &sec);
	char id[MTASTS_ID_MAX];
	assert_int_equal(mtasts_txt_parse(rr.u.txt.text, id), 0);
	assert_string_equal(id, "20261203T000000");

	/* The unsigned zone: insecure. */
	dnsdata_record(d, (size_t)find(d, "_25._tcp.mail.example.org", DNS_T_TLSA, 3), &rr, &sec);
	assert_int_equal(sec, DNSV_SEC_INSECURE);
	dnsdata_record(d, (size_t)find(d, "smtp.example.net", DNS_T_CNAME, 0), &rr, &sec);
	assert_string_equal(rr.u.target, "mx1.example.net");

	assert_int_equal(dnsdata_record(d, 16, &rr, &sec), -1);
	dnsdata_free(d);
}

/* +multiline: the same records from parenthesised lines. */
static void test_dig_multiline(void **state)
{
	(void)state;
	struct dnsdata *a = load(FIX "dig.txt", NULL);
	struct dnsdata *b = load(FIX "dig-multiline.txt", NULL);
	same_records(a, b, 1);
	same_records(b, a, 1);
	dnsdata_free(a);
	dnsdata_free(b);
}

/* unbound-host through the JSON Lines recipe: the same records and states
 * (unbound-host prints no TTL), plus the failures dig cannot show. */
static void test_jsonl_unbound_host(void **state)
{
	(void)state;
	struct dnsdata *a = load(FIX "dig.txt", NULL);
	struct dnsdata *b = load(FIX "unbound-host.jsonl", NULL);
	same_records(a, b, 0);
	same_records(b, a, 0);
	assert_int_equal(dnsdata_count(b, DNSDATA_STATES), 3);
	const char *name;
	uint16_t type;
	enum dnsv_state st;
	enum dnsv_sec sec;
	/* The TLSA record altered after signing: BOGUS for unbound. */
	assert_int_equal(dnsdata_state(b, 0, &name, &type, &st, &sec), 0);
	assert_string_equal(name, "_25._tcp.mx.example.com");
	assert_int_equal(type, DNS_T_TLSA);
	assert_int_equal(st, DNSV_FAILED);
	assert_int_equal(sec, DNSV_SEC_BOGUS);
	/* NXDOMAIN, proven by NSEC in the signed zone, not in the other. */
	assert_int_equal(dnsdata_state(b, 1, &name, &type, &st, &sec), 0);
	assert_string_equal(name, "_25._tcp.nomx.example.net");
	assert_int_equal(st, DNSV_ABSENT);
	assert_int_equal(sec, DNSV_SEC_SECURE);
	assert_int_equal(dnsdata_state(b, 2, &name, &type, &st, &sec), 0);
	assert_int_equal(st, DNSV_ABSENT);
	assert_int_equal(sec, DNSV_SEC_INSECURE);
	assert_int_equal(dnsdata_state(b, 3, &name, &type, &st, &sec), -1);
	dnsdata_free(a);
	dnsdata_free(b);
}

static void test_policies(void **state)
{
	(void)state;
	struct dnsdata *d = load(NULL, FIX "policies");
	const char *domain;
	assert_int_equal(dnsdata_count(d, DNSDATA_POLICIES), 2);
	assert_int_equal(dnsdata_count(d, DNSDATA_RECORDS), 0);
	const struct mtasts_policy *p = dnsdata_policy(d, 0, &domain);
	assert_non_null(p);
	assert_string_equal(domain, "example.net");
	assert_int_equal(p->mode, MTASTS_MODE_ENFORCE);
	assert_int_equal(p->max_age, 604800);
	assert_true(mtasts_mx_match(p, "mx1.example.net"));
	assert_true(mtasts_mx_match(p, "mx2.example.net"));
	assert_false(mtasts_mx_match(p, "mail.example.org"));
	p = dnsdata_policy(d, 1, &domain);
	assert_string_equal(domain, "example.org");
	assert_int_equal(p->mode, MTASTS_MODE_TESTING);
	assert_null(dnsdata_policy(d, 2, &domain));
	dnsdata_free(d);
}

/* Every item reaches the view, in order; a refusal stops with -1. */
static void test_apply(void **state)
{
	(void)state;
	struct dnsdata *d = load(FIX "unbound-host.jsonl", FIX "policies");
	struct dnsview *v = calloc(1, sizeof(*v));
	assert_non_null(v);
	assert_int_equal(dnsdata_apply(d, v), 0);
	assert_int_equal(v->n, 16 + 3 + 2);
	assert_int_equal(v->calls[0].kind, CALL_PUT);
	assert_string_equal(v->calls[0].name, "example.net");
	assert_int_equal(v->calls[0].rr.u.mx.pref, 20);
	assert_int_equal(v->calls[0].sec, DNSV_SEC_SECURE);
	assert_int_equal(v->calls[16].kind, CALL_STATE);
	assert_string_equal(v->calls[16].name, "_25._tcp.mx.example.com");
	assert_int_equal(v->calls[16].st, DNSV_FAILED);
	assert_int_equal(v->calls[16].sec, DNSV_SEC_BOGUS);
	assert_int_equal(v->calls[19].kind, CALL_POLICY);
	assert_string_equal(v->calls[19].name, "example.net");
	assert_int_equal(v->calls[19].mode, MTASTS_MODE_ENFORCE);
	assert_int_equal(v->calls[20].mode, MTASTS_MODE_TESTING);

	/* Twice into another view: the same (the data is not used up). */
	struct dnsview *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	assert_int_equal(dnsdata_apply(d, w), 0);
	assert_int_equal(w->n, v->n);
	for (size_t i = 0; i < v->n; i++) {
		assert_string_equal(w->calls[i].name, v->calls[i].name);
		assert_int_equal(w->calls[i].kind, v->calls[i].kind);
	}
	for (size_t at = 1; at <= 21; at += 5) {
		memset(w, 0, sizeof(*w));
		w->fail_at = at;
		assert_int_equal(dnsdata_apply(d, w), -1);
		assert_int_equal(w->n, at - 1);
	}
	free(v);
	free(w);
	dnsdata_free(d);
}

/* ---- bad input ---- */

struct bad_case {
	const char *text;
	const char *err; /* after "FILE" */
};

static const struct bad_case BAD[] = {
	{"$ORIGIN example.net.\n", ":1: $ORIGIN is not supported: give records as dig prints them"},
	{"; ok\na.example. 300 IN A 192.0.2.1\n$TTL 300\n",
	 ":3: $TTL is not supported: give records as dig prints them"},
	{"a.example. 300 IN A 192.0.2.1\n\n_25._tcp.a.example. 300 IN TLSA 3 1 1 zz\n",
	 ":3: TLSA data is not hex"},
	{"_25._tcp.a.example. 300 IN TLSA 3 1 1 abc\n",
	 ":1: TLSA data has an odd number of hex digits"},
	{"_25._tcp.a.example. 300 IN TLSA 3 1 256 abcd\n",
	 ":1: TLSA matching type is not a number of 0 to 255"},
	{"_25._tcp.a.example. 300 IN TLSA 3 1 1\n",
	 ":1: TLSA record needs usage, selector, matching type and data"},
	{"a.example. 300 IN A 192.0.2\n", ":1: 192.0.2 is not an IPv4 address"},
	{"a.example. 300 IN AAAA 192.0.2.1\n", ":1: 192.0.2.1 is not an IPv6 address"},
	{"a.example. 300 IN MX 70000 mx.a.example.\n",
	 ":1: MX preference is not a number of 0 to 65535"},
	{"a.example. 300 IN MX 10\n", ":1: MX host: one name expected"},
	{"a.example. 300 IN CNAME b..example.\n", ":1: CNAME target has an empty label"},
	{"a.example. 300 IN TXT \"open\n", ":1: a quoted string is not closed on its line"},
	{"a.example. 300 IN TXT \"\\25x\"\n", ":1: TXT string has a bad escape"},
	{"a.example. 300 IN FOO 1\n", ":1: unknown record type FOO"},
	{"a.example. 300 CH TXT \"x\"\n", ":1: class CH is not IN"},
	{"a.example. 300 IN\n", ":1: no record type"},
	{"\ta.example. 300 IN A 192.0.2.1\n",
	 ":1: the owner name is left out: give it on every line, as dig prints it"},
	{"@ 300 IN A 192.0.2.1\n",
	 ":1: '@' needs a zone origin: give absolute names as dig prints them"},
	{"a.example. 300 IN A 192.0.2.1\n_25._tcp.a.example. 300 IN TLSA 3 1 1 (\n abcd\n",
	 ":2: '(' is not closed"},
	{"a.example. 300 IN A 192.0.2.1 )\n", ":1: ')' without '('"},
	{"a.example. 300 IN TYPE52 \\# 3 030101\n", ":1: generic rdata (\\#) is not supported"},
	{"a.example. 300 IN A 192.0.2.1\x01\n", ":1: control character 0x01"},
	{"; nothing\n\n", ": no records of the types used (A, AAAA, CNAME, MX, TXT, TLSA)"},
	{"a.example. 300 IN NS ns.a.example.\n",
	 ": no records of the types used (A, AAAA, CNAME, MX, TXT, TLSA)"},
	{"{\"name\":\"a.example\",\"type\":\"A\",\"data\":\"192.0.2.1\",\"secure\":\"yes\"}\n",
	 ":1: \"secure\" is not true or false"},
	{"{\"name\":\"a.example\",\"type\":\"A\",\"data\":\"192.0.2.1\"}\n\n{\"name\":\n",
	 ":3: not JSON: unexpected token near end of file"},
	{"{\"name\":\"a.example\",\"type\":\"A\",\"data\":\"192.0.2.1\",\"tll\":5}\n",
	 ":1: unknown key \"tll\""},
	{"{\"name\":\"a.example\",\"type\":\"TLSA\",\"rcode\":\"SERVFAIL\",\"data\":\"3 1 1 "
	 "ab\"}\n",
	 ":1: \"data\" with rcode SERVFAIL"},
	{"{\"name\":\"a.example\",\"type\":\"TLSA\",\"rcode\":\"REFUSED\"}\n",
	 ":1: \"rcode\" is not NOERROR, NXDOMAIN, NODATA or SERVFAIL"},
	{"{\"name\":\"a.example\",\"type\":\"TLSA\",\"rcode\":\"SERVFAIL\",\"secure\":true}\n",
	 ":1: SERVFAIL cannot be secure"},
	{"{\"name\":\"a.example\",\"type\":\"TLSA\",\"data\":\"3 1 1 xyz\"}\n",
	 ":1: TLSA data is not hex"},
	{"{\"name\":\"a.example\",\"type\":\"A\"}\n", ":1: no \"data\""},
	{"{\"type\":\"A\",\"data\":\"192.0.2.1\"}\n", ":1: no \"name\""},
	{"{\"name\":\"a.example\",\"name\":\"b\",\"type\":\"A\",\"data\":\"192.0.2.1\"}\n",
	 ":1: not JSON: duplicate object key near '\"name\"'"},
	{"{\"name\":\"a.example\",\"type\":\"A\",\"data\":\"192.0.2.1\"}\n[1]\n",
	 ":2: not a JSON object"},
	{"{\"name\":\"a.example\",\"type\":\"RRSIG\",\"data\":\"A 13 2 300\"}\n",
	 ":1: RRSIG records are not given in JSON: say \"secure\": true"},
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void test_bad(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_dnsdata.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], want[512], err[512];
	snprintf(path, sizeof(path), "%s/dns.txt", dir);
	for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
		write_file(path, BAD[i].text);
		snprintf(want, sizeof(want), "%s%s", path, BAD[i].err);
		err[0] = '\0';
		struct dnsdata *d = dnsdata_load(path, NULL, err, sizeof(err));
		if (d != NULL || strcmp(err, want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, want);
	}
	/* Too large: refused before reading (a sparse file). */
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), (off_t)DNSDATA_FILE_MAX + 1), 0);
	fclose(f);
	assert_null(dnsdata_load(path, NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: larger than %u bytes", path, DNSDATA_FILE_MAX);
	assert_string_equal(err, want);
	unlink(path);
	assert_null(dnsdata_load(path, NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	rmdir(dir);
}

/* A bad policy directory fails the load, even with a good DNS file. */
static void test_bad_policies(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_dnsdata.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], path2[256], want[512], err[512];
	snprintf(path, sizeof(path), "%s/example.net", dir);
	write_file(path, "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n");
	assert_null(dnsdata_load(FIX "dig.txt", dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: mode is not enforce, testing or none", path);
	assert_string_equal(err, want);

	write_file(path, "version: STSv1\nmode: enforce\nmx: a.example\n");
	assert_null(dnsdata_load(NULL, dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: no max_age", path);
	assert_string_equal(err, want);

	write_file(path, "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n");
	snprintf(path2, sizeof(path2), "%s/README", dir);
	write_file(path2, "policies\n");
	assert_null(dnsdata_load(NULL, dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a domain name (a policy file is named by its domain)",
		 path2);
	assert_string_equal(err, want);
	unlink(path2);

	snprintf(path2, sizeof(path2), "%s/Example.NET", dir);
	write_file(path2, "version: STSv1\nmode: none\nmax_age: 1\n");
	assert_null(dnsdata_load(NULL, dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: a second policy for example.net", path);
	assert_string_equal(err, want);
	unlink(path2);

	/* Dot files are left alone; the rest loads. */
	snprintf(path2, sizeof(path2), "%s/.hidden", dir);
	write_file(path2, "not a policy\n");
	struct dnsdata *d = load(NULL, dir);
	assert_int_equal(dnsdata_count(d, DNSDATA_POLICIES), 1);
	dnsdata_free(d);
	unlink(path2);
	unlink(path);

	assert_null(dnsdata_load(NULL, dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: no policy files", dir);
	assert_string_equal(err, want);
	rmdir(dir);
}

/* Names: case, escapes, final dot; types and classes in the other order;
 * RRSIG before its RRset; NS and SOA skipped. */
static void test_forms(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_dnsdata.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/dns.txt", dir);
	write_file(path, "A.Example.\t300\tIN\tRRSIG\tA 13 2 300 20261231000000 ( 1 2 x. y )\n"
			 "A.Example. IN 300 A 192.0.2.1 ; a comment\r\n"
			 "a\\.b\\065.example 60 TXT plain \"q\\;\" \\059\n"
			 "example. 300 IN NS ns.example.\n"
			 "example. 300 IN SOA ns. host. 1 2 3 4 5\n"
			 "b.example. 300 IN TYPE1 192.0.2.9\n");
	struct dnsdata *d = load(path, NULL);
	struct dns_rr rr;
	enum dnsv_sec sec;
	assert_int_equal(dnsdata_count(d, DNSDATA_RECORDS), 3);
	assert_int_equal(dnsdata_count(d, DNSDATA_SKIPPED), 2);
	assert_int_equal(dnsdata_count(d, DNSDATA_SECURE), 1);
	dnsdata_record(d, 0, &rr, &sec);
	assert_string_equal(rr.name, "a.example");
	assert_int_equal(rr.ttl, 300);
	assert_int_equal(sec, DNSV_SEC_SECURE);
	dnsdata_record(d, 1, &rr, &sec);
	assert_string_equal(rr.name, "a\\046ba.example");
	assert_string_equal(rr.u.txt.text, "plainq;;");
	assert_int_equal(rr.rdlength, 6 + 3 + 2);
	assert_int_equal(sec, DNSV_SEC_INSECURE);
	dnsdata_record(d, 2, &rr, &sec);
	assert_int_equal(rr.type, DNS_T_A);
	assert_int_equal(rr.u.addr[3], 9);
	dnsdata_free(d);

	/* JSON: TXT text as it is, or in presentation form when quoted. */
	write_file(
		path,
		"{\"name\":\"t.example.\",\"type\":\"TXT\",\"data\":\"v=STSv1; id=a\\\\b\"}\n"
		"  \n"
		"{\"name\":\"T.example\",\"type\":\"TXT\",\"data\":\" \\\"a\\\\098\\\" c\","
		"\"ttl\":7,\"secure\":true}\n"
		"{\"name\":\"n.example\",\"type\":\"MX\",\"rcode\":\"NODATA\",\"secure\":true}\n");
	d = load(path, NULL);
	assert_int_equal(dnsdata_count(d, DNSDATA_RECORDS), 2);
	dnsdata_record(d, 0, &rr, &sec);
	assert_string_equal(rr.name, "t.example");
	assert_string_equal(rr.u.txt.text, "v=STSv1; id=a\\b");
	assert_int_equal(sec, DNSV_SEC_INSECURE);
	dnsdata_record(d, 1, &rr, &sec);
	assert_string_equal(rr.u.txt.text, "abc");
	assert_int_equal(rr.ttl, 7);
	assert_int_equal(sec, DNSV_SEC_SECURE);
	const char *name;
	uint16_t type;
	enum dnsv_state st;
	assert_int_equal(dnsdata_state(d, 0, &name, &type, &st, &sec), 0);
	assert_int_equal(type, DNS_T_MX);
	assert_int_equal(st, DNSV_ABSENT);
	assert_int_equal(sec, DNSV_SEC_SECURE);
	dnsdata_free(d);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dig),
		cmocka_unit_test(test_dig_multiline),
		cmocka_unit_test(test_jsonl_unbound_host),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_bad_policies),
		cmocka_unit_test(test_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
