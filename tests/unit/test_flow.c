/* Unit tests for analyzer/session/flow.c: both directions find one flow, lists keep
 * capture-time order, the maximum holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/session/flow.h"

static struct pkt mk(int family, uint32_t a, uint16_t sp, uint32_t b, uint16_t dp)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.family = (uint8_t)family;
	memcpy(p.src, &a, 4);
	memcpy(p.dst, &b, 4);
	if (family == 6) { /* 2001:db8::/32 with the 32-bit value at the end */
		static const uint8_t pre[4] = {0x20, 0x01, 0x0d, 0xb8};
		memcpy(p.src + 12, &a, 4);
		memcpy(p.dst + 12, &b, 4);
		memcpy(p.src, pre, 4);
		memcpy(p.dst, pre, 4);
	}
	p.sport = sp;
	p.dport = dp;
	return p;
}

static void test_lookup_both_directions(void **state)
{
	(void)state;
	struct mem m = {0};
	struct flow_table t;
	assert_int_equal(flow_table_init(&t, &m, 1000), 0);
	for (uint32_t i = 0; i < 500; i++) {
		struct pkt p =
			mk(i % 2 ? 6 : 4, 0x0a000001u + i, (uint16_t)(40000 + i), 0x0a0000feu, 25);
		struct flow *f = flow_create(&t, &p, 1, i);
		assert_non_null(f);
	}
	assert_int_equal(t.count, 500);
	for (uint32_t i = 0; i < 500; i++) {
		int fam = i % 2 ? 6 : 4;
		struct pkt c2s = mk(fam, 0x0a000001u + i, (uint16_t)(40000 + i), 0x0a0000feu, 25);
		struct pkt s2c = mk(fam, 0x0a0000feu, 25, 0x0a000001u + i, (uint16_t)(40000 + i));
		int d1 = -1, d2 = -1;
		struct flow *f1 = flow_lookup(&t, &c2s, &d1);
		struct flow *f2 = flow_lookup(&t, &s2c, &d2);
		assert_non_null(f1);
		assert_ptr_equal(f1, f2);
		assert_int_equal(d1, FLOW_C2S);
		assert_int_equal(d2, FLOW_S2C);
		assert_int_equal(f1->ep[FLOW_S2C].port, 25);
		/* same addresses, other family: not the same flow */
		struct pkt other = mk(fam == 4 ? 6 : 4, 0x0a000001u + i, (uint16_t)(40000 + i),
				      0x0a0000feu, 25);
		int d3;
		struct flow *f3 = flow_lookup(&t, &other, &d3);
		assert_true(f3 == NULL || f3->family != fam);
	}
	while (t.head[FLOW_ACTIVE])
		flow_remove(&t, t.head[FLOW_ACTIVE]);
	assert_int_equal(t.count, 0);
	flow_table_free(&t);
	assert_int_equal(m.in_use, 0);
}

static void test_lists_and_maximum(void **state)
{
	(void)state;
	struct mem m = {0};
	struct flow_table t;
	assert_int_equal(flow_table_init(&t, &m, 3), 0);
	struct flow *f[4];
	for (uint32_t i = 0; i < 3; i++) {
		struct pkt p = mk(4, 1, (uint16_t)(1000 + i), 2, 25);
		f[i] = flow_create(&t, &p, 1, 10 + i);
		assert_non_null(f[i]);
	}
	struct pkt p = mk(4, 1, 2000, 2, 25);
	assert_null(flow_create(&t, &p, 1, 20)); /* full */
	assert_ptr_equal(flow_oldest(&t, FLOW_ACTIVE), f[0]);
	flow_touch(&t, f[0], 30);
	assert_ptr_equal(flow_oldest(&t, FLOW_ACTIVE), f[1]);
	flow_set_closing(&t, f[1], 31);
	assert_ptr_equal(flow_oldest(&t, FLOW_ACTIVE), f[2]);
	assert_ptr_equal(flow_oldest(&t, FLOW_CLOSING), f[1]);
	flow_touch(&t, f[1], 40); /* a closing flow stays where it is */
	assert_ptr_equal(flow_oldest(&t, FLOW_CLOSING), f[1]);
	assert_int_equal(f[1]->last_us, 40);
	flow_remove(&t, f[1]);
	f[3] = flow_create(&t, &p, 1, 41);
	assert_non_null(f[3]);
	flow_remove(&t, f[0]);
	flow_remove(&t, f[2]);
	flow_remove(&t, f[3]);
	flow_table_free(&t);
	assert_int_equal(m.in_use, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_both_directions),
		cmocka_unit_test(test_lists_and_maximum),
	};
	return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
