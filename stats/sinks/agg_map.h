/* agg_map.h — a bounded, mergeable map from a text key to a fixed number of
 * exact counters (e.g. cipher name → connections; server → outcome counts).
 *
 * At most max_keys keys are admitted; counts for keys that arrive when the
 * map is full go to `other` (per counter) and the map says it is truncated,
 * so every total stays exact and only the split by key is partial. Merging
 * two maps adds counters key by key; the result equals the map of all inputs
 * together unless a map was truncated (the snapshot says so).
 *
 * Ownership: the map owns its keys and counters; agg_map_free() releases
 * them. Allocation goes through the run's struct mem.
 */
#ifndef SMTPTLS_AGG_MAP_H
#define SMTPTLS_AGG_MAP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dissectors/base/mem.h"

#define AGG_MAP_MAX_VALS 16

struct agg_map_ent {
	char *key;     /* NULL: empty slot */
	uint64_t *v;   /* its nvals counters; the key's text follows them */
	uint32_t hash; /* of key: most probes end without a strcmp */
};

struct agg_map {
	struct mem *mem;
	struct agg_map_ent *slots;
	uint32_t nslots; /* power of two, > 2 * max_keys when full */
	uint32_t used;
	uint32_t max_keys;
	uint8_t nvals;
	uint8_t truncated;
	uint64_t other[AGG_MAP_MAX_VALS];
	const char *const *val_names; /* names of the counters, for JSON (nvals > 1) */
};

/* An empty map of nvals counters per key (names for JSON, may be NULL when
 * nvals == 1). */
void agg_map_init(struct agg_map *m, struct mem *mem, uint32_t max_keys, uint8_t nvals,
		  const char *const *val_names);

/* Adds delta to counter i of key. Returns 0, or -1 when memory is short (the
 * count then goes to `other`). */
int agg_map_add(struct agg_map *m, const char *key, unsigned i, uint64_t delta);

/* Where the counters of key are added to: its own, created (zero) when
 * absent, or `other` when the map is full or memory is short (the map is
 * then truncated) -- exactly where agg_map_add() would add. For adding to
 * several counters of one key with one lookup. Never NULL. */
uint64_t *agg_map_counters(struct agg_map *m, const char *key);

/* The counters of key, created (zero) when absent; NULL when the map is full
 * or memory is short. For maps used as tables of state (host history). */
uint64_t *agg_map_values(struct agg_map *m, const char *key);

/* The counters of key, or NULL. */
const uint64_t *agg_map_get(const struct agg_map *m, const char *key);

/* Adds every key of b into a. */
void agg_map_merge(struct agg_map *a, const struct agg_map *b);

/* Entries sorted by counter `by` (descending), then key: fills out[] with up
 * to n pointers and returns how many. */
size_t agg_map_sorted(const struct agg_map *m, unsigned by, const struct agg_map_ent **out,
		      size_t n);

/* JSON: {"keys": {key: count | {name: count, ...}}, "other": ..., "truncated": bool}
 * with keys ordered by counter 0, descending. */
json_t *agg_map_json(const struct agg_map *m);

/* Reads what agg_map_json() wrote, adding into m. Returns 0 or -1. */
int agg_map_add_json(struct agg_map *m, const json_t *j);

void agg_map_free(struct agg_map *m);

#endif
