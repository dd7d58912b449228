/* mem.c — counted allocation with failure injection. */
#include "dissectors/base/mem.h"

#include <stdlib.h>
#include <string.h>

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

void mem_pool_init(struct mem_pool *p, struct mem *m, size_t size, uint32_t max_free)
{
	p->m = m;
	p->size = size < sizeof(void *) ? sizeof(void *) : size;
	p->max_free = max_free;
	p->nfree = 0;
	p->free = NULL;
}

void *mem_pool_get(struct mem_pool *p)
{
	if (!p->free)
		return mem_calloc(p->m, p->size);
	if (mem_should_fail(p->m))
		return NULL;
	void *b = p->free;
	memcpy(&p->free, b, sizeof(void *));
	p->nfree--;
	memset(b, 0, p->size);
	mem_account(p->m, p->size, 0);
	return b;
}

void mem_pool_put(struct mem_pool *p, void *block)
{
	if (!block)
		return;
	if (p->nfree >= p->max_free) {
		mem_free(p->m, block, p->size);
		return;
	}
	memcpy(block, &p->free, sizeof(void *));
	p->free = block;
	p->nfree++;
	mem_account(p->m, 0, p->size);
}

void mem_pool_free(struct mem_pool *p)
{
	while (p->free) {
		void *b = p->free;
		memcpy(&p->free, b, sizeof(void *));
		free(b);
	}
	p->nfree = 0;
}
