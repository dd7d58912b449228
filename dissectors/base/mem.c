/* mem.c — counted allocation with failure injection. */
#include "dissectors/base/mem.h"

#include <stdlib.h>

static int mem_should_fail(struct mem *m)
{
	m->allocs++;
	if (m->fail_at && m->allocs == m->fail_at) {
		m->failures++;
		return 1;
	}
	return 0;
}

static void mem_account(struct mem *m, size_t add, size_t sub)
{
	m->in_use = m->in_use - sub + add;
	if (m->in_use > m->peak)
		m->peak = m->in_use;
}

void *mem_calloc(struct mem *m, size_t n)
{
	if (mem_should_fail(m))
		return NULL;
	void *p = calloc(1, n ? n : 1);
	if (!p) {
		m->failures++;
		return NULL;
	}
	mem_account(m, n, 0);
	return p;
}

void *mem_realloc(struct mem *m, void *p, size_t old_n, size_t new_n)
{
	if (mem_should_fail(m))
		return NULL;
	void *q = realloc(p, new_n ? new_n : 1);
	if (!q) {
		m->failures++;
		return NULL;
	}
	mem_account(m, new_n, old_n);
	return q;
}

void mem_free(struct mem *m, void *p, size_t n)
{
	if (!p)
		return;
	free(p);
	mem_account(m, 0, n);
}
