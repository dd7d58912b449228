/* mem.h — the one allocation wrapper.
 *
 * Every allocation of the analysis path goes through a struct mem owned by the
 * run (no global state). It keeps the bytes in use and the peak, and a test can
 * make the Nth allocation fail (fail_at) to check that each failure is handled.
 */
#ifndef SMTPTLS_MEM_H
#define SMTPTLS_MEM_H

#include <stddef.h>
#include <stdint.h>

struct mem {
	uint64_t allocs;   /* allocations attempted so far */
	uint64_t fail_at;  /* 0 = never; else the allocs-th allocation fails */
	uint64_t failures; /* allocations refused (fail_at or out of memory) */
	size_t in_use;	   /* bytes currently allocated */
	size_t peak;	   /* largest in_use seen */
};

/* Returns zeroed memory of n bytes, or NULL. Free with mem_free(m, p, n). */
void *mem_calloc(struct mem *m, size_t n);
/* Grows or shrinks p from old_n to new_n bytes; on failure p is untouched. */
void *mem_realloc(struct mem *m, void *p, size_t old_n, size_t new_n);
void mem_free(struct mem *m, void *p, size_t n);

/* A pool of blocks of one size: what a connection allocates once (its
 * flow, its dissectors) is taken from the blocks earlier connections gave
 * back instead of from malloc, up to max_free kept blocks. A block from the
 * pool counts as an allocation of m like any other (in_use, peak, fail_at),
 * so accounting and failure injection do not depend on the pool. */
struct mem_pool {
	struct mem *m;
	size_t size;	   /* bytes per block */
	uint32_t max_free; /* blocks kept for reuse at most */
	uint32_t nfree;
	void *free; /* kept blocks, linked through their first bytes */
};

/* An empty pool of blocks of size bytes (at least a pointer's size). */
void mem_pool_init(struct mem_pool *p, struct mem *m, size_t size, uint32_t max_free);
/* A zeroed block, or NULL. Give it back with mem_pool_put. */
void *mem_pool_get(struct mem_pool *p);
/* Gives a block back (kept for reuse, or freed past max_free). NULL is a no-op. */
void mem_pool_put(struct mem_pool *p, void *block);
/* Frees the kept blocks. */
void mem_pool_free(struct mem_pool *p);

#endif
