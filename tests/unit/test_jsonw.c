/* Unit tests for dissectors/base/jsonw.c: the fast writer produces exactly what
 * json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(15)) produces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/base/jsonw.h"

static void same(json_t *j)
{
	struct jsonw w = {0};
	char *want = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15) | JSON_ENCODE_ANY);
	assert_int_equal(jsonw_dump(&w, j), 0);
	assert_string_equal(w.buf, want);
	free(want);
	jsonw_free(&w);
	json_decref(j);
}

static void test_scalars(void **state)
{
	(void)state;
	static const double reals[] = {0.0,	 -0.0,	     1.5e-05, 0.1,
				       1.0,	 123456.789, 1e21,    -2.5e-300,
				       3.0e100,	 0.000015,   1e-7,    12345678901234.5,
				       0.477080, 2.0,	     -7.25};
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
		same(json_real(reals[i]));
	static const json_int_t ints[] = {0, 1, -1, 25, 65535, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		same(json_integer(ints[i]));
	same(json_true());
	same(json_false());
	same(json_null());
}

static void test_strings(void **state)
{
	(void)state;
	same(json_string(""));
	same(json_string("220 mx.example.net ESMTP Postfix (Debian/GNU)"));
	same(json_string("quote \" backslash \\ slash / tab \t cr \r lf \n bs \b ff \f"));
	same(json_stringn("\x01\x02\x1f\x7f end", 8));
	same(json_string("UTF-8: \xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x93\xa7"));
}

static void test_nested(void **state)
{
	(void)state;
	json_t *caps = json_pack("[s,s,s]", "PIPELINING", "SIZE 10240000", "STARTTLS");
	same(json_pack("{s:s,s:f,s:{s:s,s:i},s:o,s:[],s:{},s:b,s:n}", "ts",
		       "2026-11-22T09:35:08.314226Z", "duration", 0.000235, "client", "ip",
		       "203.0.113.10", "port", 40000, "capabilities", caps, "empty_array",
		       "empty_object", "complete", 1, "tls"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_nested),
	};
	return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}
