/* Unit tests for analyzer/app/cli.c, row by row of the option table: every
 * option parses (long and short spelling) into its field; values out of its
 * range are refused with the one message shape; it appears in the help of
 * exactly the commands it belongs to and is refused by the others; unknown
 * options are refused; --list-options lists every row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/app/cli.h"

static const unsigned test_cmds[] = {CLI_ANALYZE, CLI_LIVE, CLI_MERGE, CLI_HISTORY, CLI_TLSRPT};
static const char *const test_names[] = {"analyze", "live", "merge", "history", "tlsrpt"};
#define TEST_NCMDS 5

/* What one parse printed. */
struct test_run {
	enum cli_status st;
	char *out, *err;
	size_t outlen, errlen;
};

static void test_run_free(struct test_run *r)
{
	free(r->out);
	free(r->err);
}

/* Parses cmd with the words given (NULL-ended) followed by what the command
 * needs besides: an input, or live's interface. */
static struct test_run test_parse(struct cli_analyze *a, unsigned k, const char *const *words)
{
	char *argv[24];
	int argc = 0;
	argv[argc++] = (char *)(uintptr_t)test_names[k];
	int has_iface = 0, has_org = 0, has_contact = 0, has_out = 0;
	for (; *words; words++) {
		if (strcmp(*words, "--interface") == 0 || strcmp(*words, "-i") == 0)
			has_iface = 1;
		has_org |= strcmp(*words, "--org") == 0;
		has_contact |= strcmp(*words, "--contact") == 0;
		has_out |= strcmp(*words, "--output") == 0 || strcmp(*words, "-o") == 0;
		argv[argc++] = (char *)(uintptr_t)*words;
	}
	/* what tlsrpt cannot do without */
	if (test_cmds[k] == CLI_TLSRPT && !has_org) {
		argv[argc++] = (char *)(uintptr_t) "--org";
		argv[argc++] = (char *)(uintptr_t) "Example";
	}
	if (test_cmds[k] == CLI_TLSRPT && !has_contact) {
		argv[argc++] = (char *)(uintptr_t) "--contact";
		argv[argc++] = (char *)(uintptr_t) "tlsrpt@example.net";
	}
	if (test_cmds[k] == CLI_TLSRPT && !has_out) {
		argv[argc++] = (char *)(uintptr_t) "-o";
		argv[argc++] = (char *)(uintptr_t) "out";
	}
	if (test_cmds[k] == CLI_LIVE && !has_iface) {
		argv[argc++] = (char *)(uintptr_t) "-i";
		argv[argc++] = (char *)(uintptr_t) "lo";
	}
	if (test_cmds[k] != CLI_LIVE)
		argv[argc++] = (char *)(uintptr_t) "input";
	argv[argc] = NULL;
	struct test_run r = {0};
	FILE *out = open_memstream(&r.out, &r.outlen);
	FILE *err = open_memstream(&r.err, &r.errlen);
	assert_non_null(out);
	assert_non_null(err);
	r.st = cli_parse(a, test_cmds[k], argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

/* The integer a row's field holds, whatever its width. */
static uint64_t test_field(const struct cli_analyze *a, const struct cli_opt *o)
{
	const unsigned char *p = (const unsigned char *)a + o->field;
	uint8_t v8;
	uint32_t v32;
	uint64_t v64;
	switch (o->size) {
	case 1: memcpy(&v8, p, 1); return v8;
	case 4: memcpy(&v32, p, 4); return v32;
	case 8: memcpy(&v64, p, 8); return v64;
	default: fail_msg("--%s: field of %zu bytes", o->name, o->size);
	}
	return 0;
}

static const char *test_field_str(const struct cli_analyze *a, const struct cli_opt *o)
{
	const char *s;
	memcpy(&s, (const unsigned char *)a + o->field, sizeof(s));
	return s;
}

/* Parses --NAME VALUE (and -S VALUE) for every command of the row and
 * checks that the field then holds want (or, for text, points at value). */
static void test_accepts(const struct cli_opt *o, const char *value, uint64_t want)
{
	static struct cli_analyze a;
	char long_name[64], short_name[3] = {'-', o->short_name, '\0'};
	snprintf(long_name, sizeof(long_name), "--%s", o->name);
	for (unsigned k = 0; k < TEST_NCMDS; k++) {
		if (!(o->cmds & test_cmds[k]))
			continue;
		for (int spelling = 0; spelling < (o->short_name ? 2 : 1); spelling++) {
			const char *words[] = {spelling ? short_name : long_name, value, NULL};
			struct test_run r = test_parse(&a, k, words);
			if (r.st != CLI_RUN)
				fail_msg("%s %s %s: status %d, %s", test_names[k], words[0],
					 value ? value : "", r.st, r.err);
			switch (o->kind) {
			case CLI_STR:
			case CLI_PORTS: assert_ptr_equal(test_field_str(&a, o), value); break;
			case CLI_NET:
				assert_int_equal(a.nlocal_nets, 1);
				assert_string_equal(a.local_nets[0], value);
				break;
			default:
				if (test_field(&a, o) != want)
					fail_msg("%s %s %s: field %llu, want %llu", test_names[k],
						 words[0], value ? value : "",
						 (unsigned long long)test_field(&a, o),
						 (unsigned long long)want);
			}
			assert_int_equal(r.errlen, 0);
			test_run_free(&r);
		}
	}
}

/* A value the row refuses, with the message naming the option, what it
 * expects (when given) and the value. */
static void test_refuses(const struct cli_opt *o, const char *value, const char *expect)
{
	static struct cli_analyze a;
	char long_name[64], want[256];
	snprintf(long_name, sizeof(long_name), "--%s", o->name);
	if (o->kind == CLI_PORTS)
		snprintf(want, sizeof(want), "smtptls: invalid port list \"%s\"", value);
	else
		snprintf(want, sizeof(want), "smtptls: --%s: expected %s, got \"%s\"\n", o->name,
			 expect, value);
	for (unsigned k = 0; k < TEST_NCMDS; k++) {
		if (!(o->cmds & test_cmds[k]))
			continue;
		const char *words[] = {long_name, value, NULL};
		struct test_run r = test_parse(&a, k, words);
		if (r.st != CLI_USAGE || !strstr(r.err, want))
			fail_msg("%s --%s %s: status %d, stderr \"%s\", want \"%s\"", test_names[k],
				 o->name, value, r.st, r.err, want);
		test_run_free(&r);
	}
}

static void test_size_text(uint64_t v, char *buf, size_t n)
{
	if (v % (1u << 30) == 0)
		snprintf(buf, n, "%lluG", (unsigned long long)(v >> 30));
	else if (v % (1u << 20) == 0)
		snprintf(buf, n, "%lluM", (unsigned long long)(v >> 20));
	else
		snprintf(buf, n, "%lluK", (unsigned long long)(v >> 10));
}

static void test_row_uint(const struct cli_opt *o)
{
	char lo[32], hi[32], over[32], under[32], expect[96];
	snprintf(lo, sizeof(lo), "%llu", (unsigned long long)o->min);
	snprintf(hi, sizeof(hi), "%llu", (unsigned long long)o->max);
	snprintf(over, sizeof(over), "%llu", (unsigned long long)o->max + 1);
	snprintf(under, sizeof(under), "%llu", (unsigned long long)o->min - 1);
	snprintf(expect, sizeof(expect), "%s to %s%s%s", lo, hi, o->unit ? " " : "",
		 o->unit ? o->unit : "");
	test_accepts(o, lo, o->min * o->scale);
	test_accepts(o, hi, o->max * o->scale);
	test_refuses(o, over, expect);
	if (o->min > 0)
		test_refuses(o, under, expect);
	test_refuses(o, "-5", expect);
	test_refuses(o, "many", expect);
}

static void test_row_size(const struct cli_opt *o)
{
	char lo[32], hi[32], expect[96], under[32], over[32];
	test_size_text(o->min, lo, sizeof(lo));
	if (o->max) {
		test_size_text(o->max, hi, sizeof(hi));
		snprintf(expect, sizeof(expect), "%s to %s", lo, hi);
		snprintf(over, sizeof(over), "%llu", (unsigned long long)o->max + 1);
		test_accepts(o, hi, o->max);
		test_refuses(o, over, expect);
	} else {
		snprintf(expect, sizeof(expect), "at least %s", lo);
	}
	snprintf(under, sizeof(under), "%llu", (unsigned long long)o->min - 1);
	test_accepts(o, lo, o->min);
	test_refuses(o, under, expect);
	test_refuses(o, "12Q", expect);
}

static void test_row_choice(const struct cli_opt *o)
{
	char expect[128] = "";
	size_t k = 0;
	for (const struct cli_choice *c = o->choices; c->name; c++) {
		test_accepts(o, c->name, c->value);
		k += (size_t)snprintf(expect + k, sizeof(expect) - k, "%s%s",
				      c == o->choices ? ""
				      : c[1].name     ? ", "
						      : " or ",
				      c->name);
	}
	test_refuses(o, "bogus", expect);
}

/* Every row parses its values and refuses the others. */
static void test_rows_parse(void **state)
{
	(void)state;
	size_t n;
	const struct cli_opt *t = cli_option_table(&n);
	assert_true(n > 30);
	for (size_t i = 0; i < n; i++) {
		const struct cli_opt *o = &t[i];
		switch (o->kind) {
		case CLI_FLAG: test_accepts(o, NULL, 1); break;
		case CLI_STR: test_accepts(o, "some-value", 0); break;
		case CLI_UINT: test_row_uint(o); break;
		case CLI_SIZE: test_row_size(o); break;
		case CLI_CHOICE: test_row_choice(o); break;
		case CLI_PORTS:
			test_accepts(o, "2525,10000-10002", 0);
			test_refuses(o, "0", NULL);
			test_refuses(o, "25,abc", NULL);
			break;
		case CLI_NET:
			test_accepts(o, "192.0.2.0/24", 0);
			test_refuses(o, "1.2.3",
				     "a network such as 192.0.2.0/24 or "
				     "2001:db8::/32 (at most 64)");
			break;
		case CLI_HELP: break;
		}
	}
}

/* Whether a help page lists --NAME as an option row. */
static int test_help_lists(const char *help, const struct cli_opt *o)
{
	char row[80];
	if (o->short_name)
		snprintf(row, sizeof(row), "\n  -%c, --%s", o->short_name, o->name);
	else
		snprintf(row, sizeof(row), "\n      --%s", o->name);
	for (const char *p = strstr(help, row); p; p = strstr(p + 1, row))
		if (p[strlen(row)] == ' ' || p[strlen(row)] == '\n')
			return 1;
	return 0;
}

/* Every row is in the help of exactly its commands, and refused by the
 * others with a message naming the command it belongs to; --help prints
 * that page on out and exits 0. */
static void test_rows_help(void **state)
{
	(void)state;
	static struct cli_analyze a;
	size_t n;
	const struct cli_opt *t = cli_option_table(&n);
	for (unsigned k = 0; k < TEST_NCMDS; k++) {
		char *help = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&help, &len);
		cli_usage(test_cmds[k], f);
		fclose(f);
		const char *words[] = {"--help", NULL};
		struct test_run r = test_parse(&a, k, words);
		assert_int_equal(r.st, CLI_DONE);
		assert_string_equal(r.out, help);
		assert_int_equal(r.errlen, 0);
		test_run_free(&r);
		for (size_t i = 0; i < n; i++) {
			int in = (t[i].cmds & test_cmds[k]) != 0;
			if (test_help_lists(help, &t[i]) != in)
				fail_msg("%s --help: --%s %s", test_names[k], t[i].name,
					 in ? "missing" : "listed but not an option of it");
			if (in)
				continue;
			char name[64];
			snprintf(name, sizeof(name), "--%s", t[i].name);
			const char *w[] = {name, "1", NULL};
			r = test_parse(&a, k, w);
			if (r.st != CLI_USAGE || !strstr(r.err, "is an option of 'smtptls "))
				fail_msg("%s %s: status %d, %s", test_names[k], name, r.st, r.err);
			test_run_free(&r);
		}
		free(help);
	}
}

/* Unknown and incomplete options are refused by every command. */
static void test_unknown(void **state)
{
	(void)state;
	static struct cli_analyze a;
	const char *cases[][2] = {{"--frobnicate", NULL}, {"-x", NULL}, {"--ma", "5"}};
	for (unsigned k = 0; k < TEST_NCMDS; k++) {
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			const char *words[] = {cases[c][0], cases[c][1], NULL};
			struct test_run r = test_parse(&a, k, words);
			char want[64];
			snprintf(want, sizeof(want), "smtptls %s: unknown or incomplete option",
				 test_names[k]);
			if (r.st != CLI_USAGE || !strstr(r.err, want))
				fail_msg("%s %s: status %d, %s", test_names[k], cases[c][0], r.st,
					 r.err);
			test_run_free(&r);
		}
	}
}

/* No options: every default as documented in cli.h. */
static void test_defaults(void **state)
{
	(void)state;
	static struct cli_analyze a;
	const char *none[] = {NULL};
	struct test_run r = test_parse(&a, 0, none);
	assert_int_equal(r.st, CLI_RUN);
	test_run_free(&r);
	assert_int_equal(a.cfg.max_flows, CLI_DEFAULT_MAX_FLOWS);
	assert_int_equal(a.cfg.max_buffer, CLI_DEFAULT_MAX_BUFFER);
	assert_int_equal(a.cfg.max_reassembly, CLI_DEFAULT_MAX_REASSEMBLY);
	assert_int_equal(a.cfg.idle_timeout_us, CLI_DEFAULT_IDLE_TIMEOUT * 1000000ull);
	assert_int_equal(a.top, CLI_DEFAULT_TOP);
	assert_int_equal(a.jobs, 1);
	assert_int_equal(a.agg.max_servers, CLI_DEFAULT_MAX_SERVERS);
	assert_int_equal(a.anom.max_hosts, CLI_DEFAULT_MAX_SERVERS);
	assert_int_equal(a.anom.fallback_window_us, CLI_DEFAULT_FALLBACK_WINDOW * 1000000ull);
	assert_int_equal(a.agg.bucket_us, 3600000000ull);
	assert_int_equal(a.alert_min, REC_SEV_LOW);
	assert_true(eng_port_in(a.cfg.mail_ports, 25) && eng_port_in(a.cfg.mail_ports, 587));
	assert_true(eng_port_in(a.cfg.tls_ports, 465) && !eng_port_in(a.cfg.tls_ports, 25));
	assert_int_equal(a.ninputs, 1);
	/* --max-servers bounds the detectors' memory too */
	const char *ms[] = {"--max-servers", "77", NULL};
	r = test_parse(&a, 0, ms);
	assert_int_equal(a.anom.max_hosts, 77);
	test_run_free(&r);
	/* live: alerts on standard output, snapshots every minute */
	const char *live[] = {"--stats", "s.json", NULL};
	r = test_parse(&a, 1, live);
	assert_int_equal(r.st, CLI_RUN);
	assert_string_equal(a.alerts, "-");
	assert_int_equal(a.interval, CLI_DEFAULT_INTERVAL);
	test_run_free(&r);
}

/* --list-options: a line per row with its spelling, value and commands. */
static void test_list_options(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cli_list_options(f);
	fclose(f);
	size_t n;
	const struct cli_opt *t = cli_option_table(&n);
	size_t lines = 0;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, n + 1); /* and the header */
	for (size_t i = 0; i < n; i++) {
		char line[128];
		int flag = t[i].kind == CLI_FLAG || t[i].kind == CLI_HELP;
		snprintf(line, sizeof(line), "\n%s\t%c\t%s\t", t[i].name,
			 t[i].short_name ? t[i].short_name : '-', flag ? "flag" : "value");
		const char *p = strstr(text, line);
		if (!p)
			fail_msg("--list-options: no line starting \"%s\"", line + 1);
		const char *cmds = p + strlen(line);
		for (unsigned k = 0; k < TEST_NCMDS; k++) {
			const char *hit = strstr(cmds, test_names[k]);
			int in = hit && hit < strchr(cmds, '\t');
			if (in != ((t[i].cmds & test_cmds[k]) != 0))
				fail_msg("--list-options: --%s and %s", t[i].name, test_names[k]);
		}
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_parse),   cmocka_unit_test(test_rows_help),
		cmocka_unit_test(test_unknown),	     cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_list_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
