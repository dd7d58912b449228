/* Unit tests for plots/tpl.c, the page template: substitution and escaping,
 * markup values, flags and lists (nested, repeated, empty, inverted), lookup
 * through enclosing rows, standalone tag lines, and the errors: a missing
 * name, a value of the wrong kind, and templates that do not parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plots/tpl.h"

/* Renders tmpl with d; returns the output (owned by the caller) or NULL on an
 * error, with the message in err. */
static char *render(const char *tmpl, const struct tpl_data *d, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	err[0] = '\0';
	int rc = tpl_render(tmpl, strlen(tmpl), d, fp, err, errlen);
	fclose(fp);
	if (rc != 0) {
		assert_true(err[0] != '\0');
		free(buf);
		return NULL;
	}
	return buf;
}

static void expect(const char *tmpl, const struct tpl_data *d, const char *want)
{
	char err[256];
	char *got = render(tmpl, d, err, sizeof(err));
	if (!got)
		fail_msg("%s: %s", tmpl, err);
	assert_string_equal(got, want);
	free(got);
}

/* The error message of a failing render, which must mention `needle`. */
static void expect_error(const char *tmpl, const struct tpl_data *d, const char *needle)
{
	char err[256];
	char *got = render(tmpl, d, err, sizeof(err));
	if (got)
		fail_msg("%s rendered as \"%s\"", tmpl, got);
	if (!strstr(err, needle))
		fail_msg("%s: \"%s\" does not say \"%s\"", tmpl, err, needle);
}

static void test_substitution(void **state)
{
	(void)state;
	struct tpl_data *d = tpl_data_new();
	struct tpl_scope *s = tpl_root(d);
	tpl_set(s, "n", "22,154");
	tpl_setf(s, "pct", "%d%%", 38);
	tpl_set(s, "empty", "");
	expect("", d, "");
	expect("no tags at all } { }}", d, "no tags at all } { }}");
	expect("<b>{{n}}</b> ({{pct}}){{empty}}.", d, "<b>22,154</b> (38%).");
	expect("{{ n }}", d, "22,154");
	tpl_set(s, "n", "7");
	expect("{{n}}{{n}}", d, "77");
	expect("a{{! a comment, not copied }}b", d, "ab");
	expect("a{{! a comment\n   over lines }}b", d, "ab");
	tpl_data_free(d);
}

static void test_escaping(void **state)
{
	(void)state;
	struct tpl_data *d = tpl_data_new();
	struct tpl_scope *s = tpl_root(d);
	tpl_set(s, "v", "<script>alert('x') & \"y\"</script>");
	tpl_set_markup(s, "m", "<svg><title>a &amp; b</title></svg>", 35);
	expect("<p title=\"{{v}}\">{{v}}</p>", d,
	       "<p title=\"&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;\">"
	       "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;</p>");
	expect("{{&m}}", d, "<svg><title>a &amp; b</title></svg>");
	/* each kind only through its own tag: text never goes out raw */
	expect_error("{{&v}}", d, "not markup");
	/* plain text (no HTML) keeps values as they are */
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	char err[256];
	assert_int_equal(tpl_render_text("a {{v}}", 7, d, fp, err, sizeof(err)), 0);
	fclose(fp);
	assert_string_equal(buf, "a <script>alert('x') & \"y\"</script>");
	free(buf);
	expect_error("{{m}}", d, "write {{&name}}");
	tpl_data_free(d);
}

static void test_missing_and_wrong_kind(void **state)
{
	(void)state;
	struct tpl_data *d = tpl_data_new();
	struct tpl_scope *s = tpl_root(d);
	tpl_set(s, "v", "x");
	tpl_flag(s, "f", 1);
	tpl_row(s, "rows");
	expect_error("before {{nothing}} after", d, "nothing: not set");
	expect_error("{{#nothing}}x{{/nothing}}", d, "not set");
	expect_error("{{^nothing}}x{{/nothing}}", d, "not set");
	expect_error("{{f}}", d, "not a value");
	expect_error("{{rows}}", d, "not a value");
	expect_error("{{#v}}x{{/v}}", d, "not a flag or a list");
	/* a missing name in a hidden section is not looked up */
	tpl_flag(s, "off", 0);
	expect("{{#off}}{{nothing}}{{/off}}ok", d, "ok");
	/* the line of the offending tag is named */
	expect_error("a\nb\n{{v}} {{missing}}", d, "line 3");
	tpl_data_free(d);
}

static void test_flags_and_lists(void **state)
{
	(void)state;
	struct tpl_data *d = tpl_data_new();
	struct tpl_scope *s = tpl_root(d);
	tpl_flag(s, "on", 1);
	tpl_flag(s, "off", 0);
	tpl_set(s, "top", "T");
	tpl_list(s, "none");
	for (int i = 0; i < 3; i++) {
		struct tpl_scope *row = tpl_row(s, "rows");
		tpl_setf(row, "i", "%d", i);
		tpl_flag(row, "odd", i % 2);
		for (int j = 0; j < i; j++)
			tpl_setf(tpl_row(row, "cells"), "j", "%d", j);
		tpl_list(row, "cells");
	}
	expect("{{#on}}a{{/on}}{{^on}}b{{/on}}{{#off}}c{{/off}}{{^off}}d{{/off}}", d, "ad");
	expect("[{{#none}}x{{/none}}]{{^none}}empty{{/none}}", d, "[]empty");
	expect("{{#rows}}{{i}}{{/rows}}", d, "012");
	/* rows see their own values first, then the enclosing ones */
	expect("{{#rows}}{{top}}{{i}}{{#odd}}*{{/odd}};{{/rows}}", d, "T0;T1*;T2;");
	expect("{{#rows}}({{#cells}}{{i}}.{{j}} {{/cells}}{{^cells}}-{{/cells}}){{/rows}}", d,
	       "(-)(1.0 )(2.0 2.1 )");
	/* a value set in a row is not visible outside it */
	expect_error("{{#rows}}{{/rows}}{{i}}", d, "i: not set");
	/* the same section twice, and a section inside its own inverse */
	expect("{{#on}}1{{/on}}{{#on}}2{{^off}}3{{/off}}{{/on}}", d, "123");
	tpl_data_free(d);
}

static void test_standalone_lines(void **state)
{
	(void)state;
	struct tpl_data *d = tpl_data_new();
	struct tpl_scope *s = tpl_root(d);
	tpl_flag(s, "on", 1);
	tpl_flag(s, "off", 0);
	expect("<ul>\n  {{#on}}\n<li>a</li>\n  {{/on}}\n{{#off}}\n<li>b</li>\n{{/off}}\n"
	       "{{! note }}\n</ul>\n",
	       d, "<ul>\n<li>a</li>\n</ul>\n");
	/* a tag sharing its line with text keeps the line */
	expect("a {{#on}}b{{/on}}\nc", d, "a b\nc");
	/* value tags never stand alone */
	tpl_set(s, "v", "x");
	expect("1\n{{v}}\n2", d, "1\nx\n2");
	/* a standalone tag on the last line, without a line break */
	expect("a\n{{#on}}\nb\n{{/on}}", d, "a\nb\n");
	tpl_data_free(d);
}

static void test_malformed(void **state)
{
	(void)state;
	struct tpl_data *d = tpl_data_new();
	struct tpl_scope *s = tpl_root(d);
	tpl_flag(s, "a", 1);
	tpl_flag(s, "b", 1);
	tpl_set(s, "v", "x");
	expect_error("{{v", d, "without }}");
	expect_error("{{v\n}}", d, "without }}");
	expect_error("{{! never closed", d, "without }}");
	expect_error("{{}}", d, "without a name");
	expect_error("{{#}}{{/}}", d, "without a name");
	expect_error("{{bad name}}", d, "bad name");
	expect_error("{{v-1}}", d, "bad name");
	expect_error("{{>partial}}", d, "bad name");
	expect_error("{{#a}}x", d, "never closed");
	expect_error("x{{/a}}", d, "closes nothing");
	expect_error("{{#a}}{{#b}}{{/a}}{{/b}}", d, "closes {{#b}}");
	/* refused before anything is written, even when the error comes late */
	char err[256];
	char *got = render("{{v}} text {{#a}}", d, err, sizeof(err));
	assert_null(got);
	/* nesting: TPL_MAX_DEPTH levels parse, one more does not */
	char deep[512], tail[512];
	for (int i = 0; i < TPL_MAX_DEPTH; i++) {
		memcpy(deep + 6 * i, "{{#a}}", 6);
		memcpy(tail + 6 * i, "{{/a}}", 6);
	}
	deep[6 * TPL_MAX_DEPTH] = tail[6 * TPL_MAX_DEPTH] = '\0';
	char ok[1100];
	snprintf(ok, sizeof(ok), "%sx%s", deep, tail);
	expect(ok, d, "x");
	snprintf(ok, sizeof(ok), "{{#a}}%sx%s{{/a}}", deep, tail);
	expect_error(ok, d, "too deep");
	tpl_data_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_substitution),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_missing_and_wrong_kind),
		cmocka_unit_test(test_flags_and_lists),
		cmocka_unit_test(test_standalone_lines),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
