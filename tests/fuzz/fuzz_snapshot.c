/* fuzz_snapshot.c — fuzz target for the statistics snapshot reader
 * (agg_add_json() in stats/sinks/agg.c, agg_map_add_json() in stats/sinks/agg_map.c):
 * the input of `smtptls merge`.
 *
 * Input: one JSON document, loaded as `smtptls merge` loads a file
 * (jansson, no flags); input that is not JSON is dropped.
 *
 * The document is read into a fresh aggregator (limits of 8 keys per
 * distribution and 4 servers, so truncation runs too). An error return is
 * fine: what was read before it stays, and must serialise and free like the
 * rest. Checked:
 *   - agg_to_json() writes no negative count (outside the derived ratios),
 *     and agg_add_json() reads what it wrote back without error to the very
 *     same JSON: the reader may normalise its input once (a key whose counts
 *     are all zero disappears, keys past a limit go to `other`), but a
 *     snapshot it wrote is a fixed point;
 *   - the document read twice into one aggregator gives the same error (or
 *     none) as once, and its snapshot is readable too;
 *   - when no count of the input is negative or above 2^40 (so no sum can
 *     overflow): reading twice doubles every count of the snapshot but the
 *     span and the reassembly peak (which merge by min/max), and equals
 *     merging the once-read aggregator into a fresh one twice, or into
 *     itself; a distribution's totals (its keys plus `other`, per counter) do
 *     not depend on the key limit or on an allocation that fails;
 *   - every aggregator frees all it allocated (struct mem's in_use is 0).
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "stats/sinks/agg.h"

/* Below this, counts read from one input cannot overflow when added up. */
#define SMALL_COUNT (1ll << 40)

/* Snapshot paths that merge by min/max: reading twice keeps them. */
static const char *const kept_paths[] = {"span.first_us", "span.last_us",
					 "health.reassembly.peak_bytes", "version"};

static int is_kept(const char *path)
{
	for (size_t i = 0; i < sizeof(kept_paths) / sizeof(kept_paths[0]); i++)
		if (strcmp(path, kept_paths[i]) == 0)
			return 1;
	return 0;
}

/* The path of key below parent ("a.b"), cut short when too long (a cut
 * path matches no kept path). */
static void join(char *out, size_t n, const char *parent, const char *key)
{
	if (parent[0])
		snprintf(out, n, "%s.%s", parent, key);
	else
		snprintf(out, n, "%s", key);
}

/* 1 when every integer of j (a kept path aside) is in [0, SMALL_COUNT]. */
static int small_counts(json_t *j, const char *path)
{
	if (json_is_integer(j))
		return is_kept(path) ||
		       (json_integer_value(j) >= 0 && json_integer_value(j) <= SMALL_COUNT);
	if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j); i++)
			if (!small_counts(json_array_get(j, i), "[]"))
				return 0;
		return 1;
	}
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		char sub[256];
		json_object_foreach(j, k, v)
		{
			join(sub, sizeof(sub), path, k);
			if (!small_counts(v, sub))
				return 0;
		}
	}
	return 1;
}

/* No count of a written snapshot is negative; the ratios are derived (and
 * never read back), so they are left out. */
static void check_counts(json_t *j, int top)
{
	if (json_is_integer(j)) {
		FUZZ_CHECK(json_integer_value(j) >= 0);
		return;
	}
	if (!json_is_object(j))
		return;
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v)
	{
		if (!(top && strcmp(k, "ratios") == 0))
			check_counts(v, 0);
	}
}

/* two is the snapshot of one read twice: same shape, counts doubled. */
static void check_doubled(json_t *one, json_t *two, const char *path)
{
	FUZZ_CHECK(json_typeof(one) == json_typeof(two));
	if (json_is_integer(one)) {
		uint64_t x = (uint64_t)json_integer_value(one);
		uint64_t y = (uint64_t)json_integer_value(two);
		if (is_kept(path))
			FUZZ_CHECK(x == y);
		else
			FUZZ_CHECK(y == 2 * x);
		return;
	}
	if (!json_is_object(one)) {
		FUZZ_CHECK(json_equal(one, two));
		return;
	}
	FUZZ_CHECK(json_object_size(one) == json_object_size(two));
	const char *k;
	json_t *v;
	char sub[256];
	json_object_foreach(one, k, v)
	{
		if (!path[0] && strcmp(k, "ratios") == 0)
			continue; /* shares of doubled counts: left out */
		json_t *w = json_object_get(two, k);
		FUZZ_CHECK(w != NULL);
		join(sub, sizeof(sub), path, k);
		check_doubled(v, w, sub);
	}
}

#define FUZZ_NMAPS 22

static void agg_maps(const struct agg *a, const struct agg_map *m[FUZZ_NMAPS])
{
	const struct agg_map *all[FUZZ_NMAPS] = {
		&a->versions,	     &a->ciphers,   &a->grades,	      &a->groups,
		&a->dh_bits,	     &a->alerts,    &a->ja3,	      &a->ja4,
		&a->client_max,	     &a->software,  &a->anomalies,    &a->anomalies_cross,
		&a->servers,	     &a->time,	    &a->by_country,   &a->by_as,
		&a->by_direction,    &a->cert_keys, &a->cert_sigalgs, &a->cert_issuers,
		&a->cert_validation, &a->certs,
	};
	memcpy(m, all, sizeof(all));
}

/* Per distribution and counter, the keys plus `other` are the same in a and
 * b, whatever their limits: only the split by key may differ. */
static void check_totals(const struct agg *a, const struct agg *b)
{
	const struct agg_map *ma[FUZZ_NMAPS], *mb[FUZZ_NMAPS];
	agg_maps(a, ma);
	agg_maps(b, mb);
	for (int k = 0; k < FUZZ_NMAPS; k++) {
		FUZZ_CHECK(ma[k]->nvals == mb[k]->nvals);
		for (unsigned i = 0; i < ma[k]->nvals; i++) {
			uint64_t ta = ma[k]->other[i], tb = mb[k]->other[i];
			for (uint32_t s = 0; s < ma[k]->nslots; s++)
				if (ma[k]->slots[s].key)
					ta += ma[k]->slots[s].v[i];
			for (uint32_t s = 0; s < mb[k]->nslots; s++)
				if (mb[k]->slots[s].key)
					tb += mb[k]->slots[s].v[i];
			FUZZ_CHECK(ta == tb);
		}
	}
}

/* agg_add_json() with its error contract checked. */
static int add(struct agg *a, const json_t *j)
{
	char err[256];
	err[0] = '\0';
	int rc = agg_add_json(a, j, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc)
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
	return rc;
}

/* The snapshot of a, checked and read back into a fresh aggregator: it must
 * be read without error and written again unchanged. */
static json_t *snapshot(const struct agg *a, struct mem *m, const struct agg_cfg *cfg)
{
	json_t *j = agg_to_json(a);
	FUZZ_CHECK(j != NULL && json_is_object(j));
	check_counts(j, 1);
	struct agg b;
	agg_init(&b, m, cfg);
	FUZZ_CHECK(add(&b, j) == 0);
	json_t *again = agg_to_json(&b);
	FUZZ_CHECK(again != NULL && json_equal(j, again));
	json_decref(again);
	agg_free(&b);
	return j;
}

static void check_same(const struct agg *a, const json_t *j)
{
	json_t *x = agg_to_json(a);
	FUZZ_CHECK(x != NULL && json_equal(x, j));
	json_decref(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *in = json_loadb((const char *)data, size, 0, &jerr);
	if (!in)
		return 0;
	int small = size <= (1u << 20) && small_counts(in, "");
	struct mem m;
	memset(&m, 0, sizeof(m));
	const struct agg_cfg cfg = {8, 4, 0, NULL};
	struct agg one, two, merged;

	agg_init(&one, &m, &cfg);
	int rc = add(&one, in);
	json_t *j1 = snapshot(&one, &m, &cfg);

	agg_init(&two, &m, &cfg);
	FUZZ_CHECK(add(&two, in) == rc);
	int rc2 = add(&two, in);
	json_t *j2 = snapshot(&two, &m, &cfg);

	if (small) {
		FUZZ_CHECK(rc2 == rc);
		check_doubled(j1, j2, "");
		agg_init(&merged, &m, &cfg);
		agg_merge(&merged, &one);
		check_same(&merged, j1);
		agg_merge(&merged, &one);
		check_same(&merged, j2);
		agg_free(&merged);

		/* Tiny limits and one allocation that fails: the same totals. */
		const struct agg_cfg tiny = {1, 1, 0, NULL};
		struct mem mf;
		memset(&mf, 0, sizeof(mf));
		mf.fail_at = 1 + size % 16;
		agg_init(&merged, &mf, &tiny);
		FUZZ_CHECK(add(&merged, in) == rc);
		check_totals(&one, &merged);
		json_decref(agg_to_json(&merged));
		agg_free(&merged);
		FUZZ_CHECK(mf.in_use == 0);

		agg_merge(&one, &one);
		check_same(&one, j2);
	}
	json_decref(j1);
	json_decref(j2);
	agg_free(&one);
	agg_free(&two);
	json_decref(in);
	FUZZ_CHECK(m.in_use == 0);
	return 0;
}
