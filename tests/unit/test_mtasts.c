/* Unit tests for dissectors/proto/mtasts.c: the examples of RFC 8461 (§3.1
 * TXT record, §3.2 policy, §4.1 wildcard) and RFC 8460 §3 (TLS-RPT record),
 * then malformed policies (each with the line it must name), malformed TXT
 * records, and the mx matching rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/proto/mtasts.h"

static int parse(const char *text, struct mtasts_policy *pol, unsigned *line, char *err,
		 size_t errlen)
{
	return mtasts_policy_parse((const uint8_t *)text, strlen(text), pol, line, err, errlen);
}

/* RFC 8461 §3.2's example, with LF and with CRLF line ends. */
static void test_policy_rfc_example(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\n"
		"mx: backupmx.example.com\nmax_age: 604800\n",
		"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
		"mx: backupmx.example.com\r\nmax_age: 604800\r\n",
		/* no final line end, spaces after values and none after ':' */
		"version:STSv1  \nmode: enforce\t\nmx: mail.example.com\nmx:*.example.net\n"
		"mx: backupmx.example.com\nmax_age: 604800",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct mtasts_policy pol;
		unsigned line = 99;
		char err[64];
		assert_int_equal(parse(texts[i], &pol, &line, err, sizeof(err)), 0);
		assert_int_equal(line, 0);
		assert_int_equal(pol.mode, MTASTS_MODE_ENFORCE);
		assert_int_equal(pol.max_age, 604800);
		assert_int_equal(pol.nmx, 3);
		assert_int_equal(pol.mx_dropped, 0);
		assert_string_equal(pol.mx[0], "mail.example.com");
		assert_string_equal(pol.mx[1], "*.example.net");
		assert_string_equal(pol.mx[2], "backupmx.example.com");
	}
}

/* Fields in any order, unknown ones ignored, a repeated field keeps its
 * first value (§3.2), mode none needs no mx, mx lower-cased. */
static void test_policy_rules(void **state)
{
	(void)state;
	struct mtasts_policy pol;
	unsigned line;
	char err[64];
	assert_int_equal(parse("max_age: 86400\nmx: MX1.Example.NET\nfoo-bar.1: a value; x=y\n"
			       "mode: testing\nmode: enforce\nversion: STSv1\nmax_age: 5\n"
			       "mode: strict\nmax_age: forever\nversion: STSv2\n",
			       &pol, &line, err, sizeof(err)),
			 0);
	assert_int_equal(pol.mode, MTASTS_MODE_TESTING);
	assert_int_equal(pol.max_age, 86400);
	assert_int_equal(pol.nmx, 1);
	assert_string_equal(pol.mx[0], "mx1.example.net");

	assert_int_equal(
		parse("version: STSv1\nmode: none\nmax_age: 0\n", &pol, &line, err, sizeof(err)),
		0);
	assert_int_equal(pol.mode, MTASTS_MODE_NONE);
	assert_int_equal(pol.max_age, 0);
	assert_int_equal(pol.nmx, 0);

	/* The largest max_age (one year) and trailing empty lines. */
	assert_int_equal(parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n\n"
			       "\r\n",
			       &pol, &line, err, sizeof(err)),
			 0);
	assert_int_equal(pol.max_age, 31557600);
}

/* More mx patterns than kept: counted. */
static void test_policy_many_mx(void **state)
{
	(void)state;
	char text[1024];
	size_t off = (size_t)snprintf(text, sizeof(text), "version: STSv1\nmode: enforce\n");
	for (int i = 0; i < MTASTS_MAX_MX + 3; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "mx: mx%d.example.net\n",
					i);
	snprintf(text + off, sizeof(text) - off, "max_age: 60\n");
	struct mtasts_policy pol;
	unsigned line;
	char err[64];
	assert_int_equal(parse(text, &pol, &line, err, sizeof(err)), 0);
	assert_int_equal(pol.nmx, MTASTS_MAX_MX);
	assert_int_equal(pol.mx_dropped, 3);
	assert_string_equal(pol.mx[MTASTS_MAX_MX - 1], "mx7.example.net");
}

struct bad_policy {
	const char *text;
	unsigned line; /* 0: a missing key */
	const char *err;
};

static const struct bad_policy BAD[] = {
	{"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", 1, "version is not STSv1"},
	{"version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", 1, "version is not STSv1"},
	{"version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", 2,
	 "mode is not enforce, testing or none"},
	{"version: STSv1\nmode: report\nmx: a.example\nmax_age: 1\n", 2,
	 "mode is not enforce, testing or none"},
	{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", 4,
	 "max_age is over 31557600"},
	{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n", 4,
	 "max_age is not a number of seconds"},
	{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", 4,
	 "max_age is not a number of seconds"},
	{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n", 4,
	 "max_age is not a number of seconds"},
	{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age:\n", 4,
	 "max_age is not a number of seconds"},
	{"version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n", 3,
	 "mx is not a host name or *.domain"},
	{"version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1\n", 3,
	 "mx is not a host name or *.domain"},
	{"version: STSv1\nmode: enforce\nmx: -a.example\nmax_age: 1\n", 3,
	 "mx is not a host name or *.domain"},
	{"version: STSv1\nmode: enforce\nmx: a.example b.example\nmax_age: 1\n", 3,
	 "mx is not a host name or *.domain"},
	{"version: STSv1\nmode: enforce\nmx a.example\nmax_age: 1\n", 3, "no ':' on the line"},
	{"version: STSv1\n mode: enforce\nmx: a.example\nmax_age: 1\n", 2,
	 "not a \"key: value\" line"},
	{"version: STSv1\n\nmode: enforce\nmx: a.example\nmax_age: 1\n", 2, "empty line"},
	{"version: STSv1\nmode: enforce\n: x\nmx: a.example\nmax_age: 1\n", 3, "no key before ':'"},
	{"version: STSv1\nmode: enforce\nx: \nmx: a.example\nmax_age: 1\n", 3, "empty value"},
	{"version: STSv1\r\nmode: enforce\rmx: a.example\r\nmax_age: 1\r\n", 2,
	 "mode is not enforce, testing or none"},
	{"mode: enforce\nmx: a.example\nmax_age: 1\n", 0, "no version"},
	{"version: STSv1\nmx: a.example\nmax_age: 1\n", 0, "no mode"},
	{"version: STSv1\nmode: enforce\nmx: a.example\n", 0, "no max_age"},
	{"version: STSv1\nmode: testing\nmax_age: 1\n", 0, "no mx"},
	{"Version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", 0, "no version"},
	{"", 0, "no version"},
	{"<html><body>Not found</body></html>\n", 1, "no ':' on the line"},
};

static void test_policy_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
		struct mtasts_policy pol;
		unsigned line = 99;
		char err[64];
		int r = parse(BAD[i].text, &pol, &line, err, sizeof(err));
		if (r != -1 || line != BAD[i].line || strcmp(err, BAD[i].err) != 0)
			fail_msg("case %zu: r=%d line=%u err=%s", i, r, line, err);
	}
}

/* A NUL byte inside the policy is not text. */
static void test_policy_nul(void **state)
{
	(void)state;
	static const uint8_t text[] = "version: STSv1\nmode: enf\0rce\nmx: a.example\nmax_age: 1\n";
	struct mtasts_policy pol;
	unsigned line;
	char err[64];
	assert_int_equal(mtasts_policy_parse(text, sizeof(text) - 1, &pol, &line, err, sizeof(err)),
			 -1);
	assert_int_equal(line, 2);
}

static void test_txt(void **state)
{
	(void)state;
	char id[MTASTS_ID_MAX];
	/* RFC 8461 §3.1 */
	assert_int_equal(mtasts_txt_parse("v=STSv1; id=20160831085700Z;", id), 0);
	assert_string_equal(id, "20160831085700Z");
	assert_int_equal(mtasts_txt_parse("v=STSv1;id=abc", id), 0);
	assert_string_equal(id, "abc");
	assert_int_equal(mtasts_txt_parse("v=STSv1 ;  id=abc  ; ", id), 0);
	assert_string_equal(id, "abc");
	assert_int_equal(mtasts_txt_parse("v=STSv1; ext.x=1; id=A1; id=B2", id), 0);
	assert_string_equal(id, "A1");
	assert_int_equal(mtasts_txt_parse("v=STSv1; id=12345678901234567890123456789012", id), 0);
	assert_int_equal(strlen(id), 32);

	static const char *const bad[] = {
		"",
		"v=STSv1",
		"v=STSv1;",
		"id=abc; v=STSv1",
		" v=STSv1; id=abc",
		"v=STSv2; id=abc",
		"v=stsv1; id=abc",
		"v=STSv1 id=abc",
		"v=STSv1id=abc",
		"v=STSv1; id=",
		"v=STSv1; id=ab-c",
		"v=STSv1; id=123456789012345678901234567890123",
		"v=STSv1;; id=abc",
		"v=STSv1; id=abc; x",
		"v=STSv1; id=abc; x=",
		"v=STSv1; id=abc; =y",
		"v=STSv1; id=abc; x=a b",
		"v=STSv1; id=abc; x=a=b",
		"v=TLSRPTv1; rua=mailto:a@example.net",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		id[0] = 'x';
		id[1] = '\0';
		if (mtasts_txt_parse(bad[i], id) != -1 || id[0] != '\0')
			fail_msg("accepted: \"%s\"", bad[i]);
	}
}

static void test_tlsrpt(void **state)
{
	(void)state;
	char rua[MTASTS_RUA_MAX];
	/* RFC 8460 §3 */
	assert_int_equal(mtasts_tlsrpt_parse("v=TLSRPTv1;rua=mailto:reports@example.com", rua), 0);
	assert_string_equal(rua, "mailto:reports@example.com");
	assert_int_equal(
		mtasts_tlsrpt_parse("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", rua),
		0);
	assert_string_equal(rua, "https://reporting.example.com/v1/tlsrpt");
	assert_int_equal(mtasts_tlsrpt_parse("v=TLSRPTv1; rua=mailto:a@example.net, "
					     "https://r.example.net/x;",
					     rua),
			 0);
	assert_string_equal(rua, "mailto:a@example.net, https://r.example.net/x");

	/* Truncated to fit. */
	char long_rec[600];
	size_t off = (size_t)snprintf(long_rec, sizeof(long_rec), "v=TLSRPTv1; rua=mailto:");
	while (off < 400)
		long_rec[off++] = 'a';
	snprintf(long_rec + off, sizeof(long_rec) - off, "@example.net");
	assert_int_equal(mtasts_tlsrpt_parse(long_rec, rua), 0);
	assert_int_equal(strlen(rua), MTASTS_RUA_MAX - 1);

	static const char *const bad[] = {
		"v=TLSRPTv1",
		"v=TLSRPTv1;",
		"v=TLSRPTv2; rua=mailto:a@example.net",
		"rua=mailto:a@example.net; v=TLSRPTv1",
		"v=TLSRPTv1; rua=",
		"v=TLSRPTv1; rua=a@example.net",
		"v=TLSRPTv1; rua=mailto:a@example.net,",
		"v=TLSRPTv1; rua=mailto:a@example.net mailto:b@example.net",
		"v=TLSRPTv1; ruf=mailto:a@example.net",
		"v=STSv1; id=abc",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mtasts_tlsrpt_parse(bad[i], rua) != -1 || rua[0] != '\0')
			fail_msg("accepted: \"%s\"", bad[i]);
}

static void test_mx_match(void **state)
{
	(void)state;
	struct mtasts_policy pol;
	unsigned line;
	char err[64];
	assert_int_equal(parse("version: STSv1\nmode: enforce\nmx: mail.example.com\n"
			       "mx: *.example.net\nmax_age: 1\n",
			       &pol, &line, err, sizeof(err)),
			 0);
	/* §4.1: "*.example.net" is one leftmost label, no more, no less. */
	assert_true(mtasts_mx_match(&pol, "mail.example.com"));
	assert_true(mtasts_mx_match(&pol, "MAIL.Example.COM."));
	assert_true(mtasts_mx_match(&pol, "mx1.example.net"));
	assert_true(mtasts_mx_match(&pol, "mx1.example.net."));
	assert_false(mtasts_mx_match(&pol, "example.net"));
	assert_false(mtasts_mx_match(&pol, ".example.net"));
	assert_false(mtasts_mx_match(&pol, "foo.bar.example.net"));
	assert_false(mtasts_mx_match(&pol, "xexample.net"));
	assert_false(mtasts_mx_match(&pol, "mx1.example.net.evil"));
	assert_false(mtasts_mx_match(&pol, "backup.mail.example.com"));
	assert_false(mtasts_mx_match(&pol, "mail.example.co"));
	assert_false(mtasts_mx_match(&pol, ""));
	assert_false(mtasts_mx_match(&pol, "."));
	/* A literal "*" host is not a wildcard match of an exact pattern. */
	assert_false(mtasts_mx_match(&pol, "*.example.com"));
}

static void test_mode_name(void **state)
{
	(void)state;
	assert_string_equal(mtasts_mode_name(MTASTS_MODE_NONE), "none");
	assert_string_equal(mtasts_mode_name(MTASTS_MODE_TESTING), "testing");
	assert_string_equal(mtasts_mode_name(MTASTS_MODE_ENFORCE), "enforce");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_rfc_example),
		cmocka_unit_test(test_policy_rules),
		cmocka_unit_test(test_policy_many_mx),
		cmocka_unit_test(test_policy_bad),
		cmocka_unit_test(test_policy_nul),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_tlsrpt),
		cmocka_unit_test(test_mx_match),
		cmocka_unit_test(test_mode_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
