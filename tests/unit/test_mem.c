/* Unit tests for dissectors/base/mem.c: the pool of fixed-size blocks reuses
 * what was given back, hands out zeroed blocks, keeps at most max_free, and
 * counts like plain allocation (in_use, peak, fail_at). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/base/mem.h"

static void test_pool_reuses_and_zeroes(void **state)
{
	(void)state;
	struct mem m = {0};
	struct mem_pool p;
	mem_pool_init(&p, &m, 100, 4);
	uint8_t *a = mem_pool_get(&p);
	assert_non_null(a);
	assert_int_equal(m.in_use, 100);
	memset(a, 0xAB, 100);
	mem_pool_put(&p, a);
	assert_int_equal(m.in_use, 0);
	assert_int_equal(p.nfree, 1);
	uint8_t *b = mem_pool_get(&p);
	assert_ptr_equal(a, b); /* the block given back comes out again */
	for (int i = 0; i < 100; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(p.nfree, 0);
	assert_int_equal(m.in_use, 100);
	assert_int_equal(m.allocs, 2); /* a reuse is counted as an allocation */
	mem_pool_put(&p, b);
	mem_pool_put(&p, NULL); /* no-op */
	assert_int_equal(p.nfree, 1);
	mem_pool_free(&p);
	assert_int_equal(p.nfree, 0);
	assert_null(p.free);
}

static void test_pool_keeps_at_most_max_free(void **state)
{
	(void)state;
	struct mem m = {0};
	struct mem_pool p;
	mem_pool_init(&p, &m, 64, 3);
	void *b[10];
	for (int i = 0; i < 10; i++)
		assert_non_null(b[i] = mem_pool_get(&p));
	assert_int_equal(m.in_use, 640);
	assert_int_equal(m.peak, 640);
	for (int i = 0; i < 10; i++)
		mem_pool_put(&p, b[i]);
	assert_int_equal(p.nfree, 3); /* the rest went back to malloc */
	assert_int_equal(m.in_use, 0);
	assert_int_equal(m.peak, 640);
	mem_pool_free(&p);
}

static void test_pool_failure_injection(void **state)
{
	(void)state;
	struct mem m = {0};
	struct mem_pool p;
	mem_pool_init(&p, &m, 32, 8);
	void *a = mem_pool_get(&p); /* allocation 1 */
	mem_pool_put(&p, a);
	m.fail_at = 2;
	assert_null(mem_pool_get(&p)); /* allocation 2 fails although a block is kept */
	assert_int_equal(m.failures, 1);
	assert_int_equal(p.nfree, 1);
	void *c = mem_pool_get(&p); /* allocation 3: the kept block */
	assert_ptr_equal(a, c);
	mem_pool_put(&p, c);
	mem_pool_free(&p);
}

static void test_pool_small_blocks_hold_a_link(void **state)
{
	(void)state;
	struct mem m = {0};
	struct mem_pool p;
	mem_pool_init(&p, &m, 1, 2); /* rounded up to hold the free-list link */
	assert_true(p.size >= sizeof(void *));
	void *a = mem_pool_get(&p);
	void *b = mem_pool_get(&p);
	mem_pool_put(&p, a);
	mem_pool_put(&p, b);
	assert_ptr_equal(mem_pool_get(&p), b); /* last in, first out */
	assert_ptr_equal(mem_pool_get(&p), a);
	mem_free(&m, a, p.size);
	mem_free(&m, b, p.size);
	assert_int_equal(m.in_use, 0);
	mem_pool_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_reuses_and_zeroes),
		cmocka_unit_test(test_pool_keeps_at_most_max_free),
		cmocka_unit_test(test_pool_failure_injection),
		cmocka_unit_test(test_pool_small_blocks_hold_a_link),
	};
	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
