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

#endif
