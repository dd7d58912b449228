/* Unit tests for dissectors/base/civil.c: known dates (checked with
 * `date -u -d @T`), leap years and centuries, times before 1970, and the
 * round trip over every day of 1600..2400 against a day-by-day count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dissectors/base/civil.h"

struct known {
	int64_t t;
	int64_t y, m, d, secs;
};

static const struct known K[] = {
	{0, 1970, 1, 1, 0},
	{951782400, 2000, 2, 29, 0},	  /* 2000 is a leap year */
	{1709251199, 2024, 2, 29, 86399}, /* last second of a leap day */
	{1735689600, 2025, 1, 1, 0},
	{4107542400, 2100, 3, 1, 0}, /* 2100 is not a leap year */
	{-1, 1969, 12, 31, 86399},   /* rounded down, not towards 0 */
	{-86400, 1969, 12, 31, 0},
	{-2208988800, 1900, 1, 1, 0},
	{253402300799, 9999, 12, 31, 86399}, /* a certificate's "no expiry" */
	{-62167219200, 0, 1, 1, 0},	     /* year 0 (1 BC) */
};

static void test_known(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(K) / sizeof(K[0]); i++) {
		struct civil c = civil_from_time(K[i].t);
		assert_int_equal(c.y, K[i].y);
		assert_int_equal(c.m, K[i].m);
		assert_int_equal(c.d, K[i].d);
		assert_int_equal(c.secs, K[i].secs);
		assert_int_equal(
			civil_to_time(c.y, c.m, c.d, c.secs / 3600, c.secs / 60 % 60, c.secs % 60),
			K[i].t);
	}
}

static int leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Walks the calendar day by day from 1600-01-01 and checks both directions
 * against the count. */
static void test_every_day(void **state)
{
	(void)state;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t day = civil_days(1600, 1, 1);
	assert_int_equal(day, -135140);
	for (int64_t y = 1600; y <= 2400; y++) {
		for (int64_t m = 1; m <= 12; m++) {
			int64_t n = mdays[m - 1] + (m == 2 && leap(y));
			for (int64_t d = 1; d <= n; d++, day++) {
				assert_int_equal(civil_days(y, m, d), day);
				struct civil c = civil_from_time(day * 86400 + 3661);
				assert_int_equal(c.y, y);
				assert_int_equal(c.m, m);
				assert_int_equal(c.d, d);
				assert_int_equal(c.secs, 3661);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_every_day),
	};
	return cmocka_run_group_tests_name("civil", tests, NULL, NULL);
}
