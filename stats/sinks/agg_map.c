/* agg_map.c — bounded string-keyed counter map (open addressing, FNV-1a). */
#include "stats/sinks/agg_map.h"

#include <stdlib.h>
#include <string.h>

void agg_map_init(struct agg_map *m, struct mem *mem, uint32_t max_keys, uint8_t nvals,
		  const char *const *val_names)
{
	memset(m, 0, sizeof(*m));
	m->mem = mem;
	m->max_keys = max_keys ? max_keys : 1;
	m->nvals = nvals > AGG_MAP_MAX_VALS ? AGG_MAP_MAX_VALS : (nvals ? nvals : 1);
	m->val_names = val_names;
}

static uint32_t agg_map_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

static struct agg_map_ent *agg_map_find_h(const struct agg_map *m, const char *key, uint32_t h)
{
	if (!m->nslots)
		return NULL;
	uint32_t mask = m->nslots - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		struct agg_map_ent *e = &m->slots[i];
		if (!e->key || (e->hash == h && strcmp(e->key, key) == 0))
			return e;
	}
}

static struct agg_map_ent *agg_map_find(const struct agg_map *m, const char *key)
{
	return agg_map_find_h(m, key, agg_map_hash(key));
}

static int agg_map_grow(struct agg_map *m)
{
	uint32_t n = m->nslots ? m->nslots * 2 : 16;
	struct agg_map_ent *slots = mem_calloc(m->mem, (size_t)n * sizeof(*slots));
	if (!slots)
		return -1;
	struct agg_map old = *m;
	m->slots = slots;
	m->nslots = n;
	for (uint32_t i = 0; i < old.nslots; i++) {
		if (!old.slots[i].key)
			continue;
		struct agg_map_ent *e = agg_map_find_h(m, old.slots[i].key, old.slots[i].hash);
		*e = old.slots[i];
	}
	mem_free(m->mem, old.slots, (size_t)old.nslots * sizeof(*old.slots));
	return 0;
}

uint64_t *agg_map_counters(struct agg_map *m, const char *key)
{
	uint32_t h = agg_map_hash(key);
	struct agg_map_ent *e = agg_map_find_h(m, key, h);
	if (e && e->key)
		return e->v;
	if (m->used >= m->max_keys || ((m->used + 1) * 2 > m->nslots && agg_map_grow(m) != 0)) {
		m->truncated = 1;
		return m->other;
	}
	e = agg_map_find_h(m, key, h);
	/* one block: the counters (only as many as the map has), then the key */
	size_t n = strlen(key) + 1;
	uint64_t *v = mem_calloc(m->mem, (size_t)m->nvals * sizeof(*v) + n);
	if (!v) {
		m->truncated = 1;
		return m->other;
	}
	e->v = v;
	e->key = (char *)(v + m->nvals);
	memcpy(e->key, key, n);
	e->hash = h;
	m->used++;
	return e->v;
}

int agg_map_add(struct agg_map *m, const char *key, unsigned i, uint64_t delta)
{
	if (i >= m->nvals)
		return -1;
	uint64_t *v = agg_map_counters(m, key);
	v[i] += delta;
	return v == m->other && m->used < m->max_keys ? -1 : 0;
}

uint64_t *agg_map_values(struct agg_map *m, const char *key)
{
	uint64_t *v = agg_map_counters(m, key);
	return v == m->other ? NULL : v;
}

const uint64_t *agg_map_get(const struct agg_map *m, const char *key)
{
	const struct agg_map_ent *e = agg_map_find(m, key);
	return e && e->key ? e->v : NULL;
}

void agg_map_merge(struct agg_map *a, const struct agg_map *b)
{
	for (uint32_t s = 0; s < b->nslots; s++) {
		const struct agg_map_ent *e = &b->slots[s];
		if (!e->key)
			continue;
		for (unsigned i = 0; i < a->nvals && i < b->nvals; i++)
			if (e->v[i])
				agg_map_add(a, e->key, i, e->v[i]);
	}
	for (unsigned i = 0; i < a->nvals && i < b->nvals; i++)
		a->other[i] += b->other[i];
	a->truncated |= b->truncated;
}

struct agg_map_sort {
	const struct agg_map_ent *e;
	unsigned by;
};

static int agg_map_cmp(const void *x, const void *y)
{
	const struct agg_map_sort *a = x, *b = y;
	uint64_t va = a->e->v[a->by], vb = b->e->v[b->by];
	if (va != vb)
		return va > vb ? -1 : 1;
	return strcmp(a->e->key, b->e->key);
}

size_t agg_map_sorted(const struct agg_map *m, unsigned by, const struct agg_map_ent **out,
		      size_t n)
{
	if (!m->used || !n)
		return 0;
	struct agg_map_sort *all = malloc((size_t)m->used * sizeof(*all));
	if (!all)
		return 0;
	size_t k = 0;
	for (uint32_t s = 0; s < m->nslots; s++)
		if (m->slots[s].key) {
			all[k].e = &m->slots[s];
			all[k].by = by < m->nvals ? by : 0;
			k++;
		}
	qsort(all, k, sizeof(*all), agg_map_cmp);
	if (k > n)
		k = n;
	for (size_t i = 0; i < k; i++)
		out[i] = all[i].e;
	free(all);
	return k;
}

static json_t *agg_map_vals(const struct agg_map *m, const uint64_t *v)
{
	if (m->nvals == 1 || !m->val_names)
		return json_integer((json_int_t)v[0]);
	json_t *o = json_object();
	for (unsigned i = 0; o && i < m->nvals; i++)
		json_object_set_new(o, m->val_names[i], json_integer((json_int_t)v[i]));
	return o;
}

json_t *agg_map_json(const struct agg_map *m)
{
	json_t *keys = json_object();
	if (!keys)
		return NULL;
	if (m->used) {
		const struct agg_map_ent **es = malloc((size_t)m->used * sizeof(*es));
		if (!es) {
			json_decref(keys);
			return NULL;
		}
		size_t n = agg_map_sorted(m, 0, es, m->used);
		for (size_t i = 0; i < n; i++)
			json_object_set_new(keys, es[i]->key, agg_map_vals(m, es[i]->v));
		free(es);
	}
	return json_pack("{s:o,s:o,s:b}", "keys", keys, "other", agg_map_vals(m, m->other),
			 "truncated", m->truncated);
}

/* The largest count a snapshot can hold: jansson's integers are signed 64-bit,
 * so a counter past it would be written as a negative number. */
#define AGG_MAP_COUNT_MAX ((uint64_t)INT64_MAX)

/* A count as agg_map_json() writes it: an integer, never negative. */
static int agg_map_json_count(const json_t *x, uint64_t *v)
{
	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return -1;
	*v = (uint64_t)json_integer_value(x);
	return 0;
}

static int agg_map_json_vals(const struct agg_map *m, const json_t *j, uint64_t *v)
{
	memset(v, 0, sizeof(uint64_t) * AGG_MAP_MAX_VALS);
	if (json_is_integer(j))
		return agg_map_json_count(j, &v[0]);
	if (!json_is_object(j) || !m->val_names)
		return -1;
	for (unsigned i = 0; i < m->nvals; i++) {
		const json_t *x = json_object_get(j, m->val_names[i]);
		if (x && agg_map_json_count(x, &v[i]) != 0)
			return -1;
	}
	return 0;
}

/* Whether adding v to key keeps every counter it may land in within
 * AGG_MAP_COUNT_MAX: the key's own, or `other` for a key not yet in the map
 * (it goes there when the map is full or memory is short). Without this,
 * merged snapshots with huge counts were written with negative counts that
 * no merge reads back. */
static int agg_map_fits(const struct agg_map *m, const char *key, const uint64_t *v)
{
	const struct agg_map_ent *e = key ? agg_map_find(m, key) : NULL;
	const uint64_t *to = e && e->key ? e->v : m->other;
	for (unsigned i = 0; i < m->nvals; i++)
		if (v[i] > AGG_MAP_COUNT_MAX - to[i])
			return 0;
	return 1;
}

int agg_map_add_json(struct agg_map *m, const json_t *j)
{
	const json_t *keys = json_object_get(j, "keys");
	const json_t *other = json_object_get(j, "other");
	const json_t *trunc = json_object_get(j, "truncated");
	if (!json_is_object(keys) || !other || !json_is_boolean(trunc))
		return -1;
	uint64_t v[AGG_MAP_MAX_VALS];
	const char *k;
	const json_t *val;
	json_object_foreach((json_t *)(uintptr_t)keys, k, val)
	{
		if (agg_map_json_vals(m, val, v) != 0 || !agg_map_fits(m, k, v))
			return -1;
		for (unsigned i = 0; i < m->nvals; i++)
			if (v[i])
				agg_map_add(m, k, i, v[i]);
	}
	if (agg_map_json_vals(m, other, v) != 0 || !agg_map_fits(m, NULL, v))
		return -1;
	for (unsigned i = 0; i < m->nvals; i++)
		m->other[i] += v[i];
	m->truncated |= json_is_true(trunc);
	return 0;
}

void agg_map_free(struct agg_map *m)
{
	for (uint32_t s = 0; s < m->nslots; s++)
		if (m->slots[s].key)
			mem_free(m->mem, m->slots[s].v,
				 (size_t)m->nvals * sizeof(uint64_t) + strlen(m->slots[s].key) + 1);
	mem_free(m->mem, m->slots, (size_t)m->nslots * sizeof(*m->slots));
	m->slots = NULL;
	m->nslots = m->used = 0;
}
