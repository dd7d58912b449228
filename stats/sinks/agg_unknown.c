/* agg_unknown.c — facts the records could not show, counted apart. */
#include "stats/sinks/agg_unknown.h"

#include <inttypes.h>
#include <stdio.h>

/* The counters with their names in the snapshot. */
#define AGG_UNKNOWN_FIELDS(X)                                                                      \
	X(connections)                                                                             \
	X(starttls_offered)                                                                        \
	X(messages)                                                                                \
	X(tls_version)                                                                             \
	X(tls_established)

int agg_unknown_record(struct agg_unknown *u, const struct rec *r)
{
	if (!r->head_only)
		return 0;
	u->connections++;
	if (r->smtp_valid) {
		u->starttls_offered++;
		u->messages++;
	}
	if (r->tls_valid) {
		u->tls_version++;
		u->tls_established += r->tls.established;
	}
	return 1;
}

void agg_unknown_merge(struct agg_unknown *a, const struct agg_unknown *b)
{
#define AGG_UNKNOWN_ADD(f) a->f += b->f;
	AGG_UNKNOWN_FIELDS(AGG_UNKNOWN_ADD)
#undef AGG_UNKNOWN_ADD
}

int agg_unknown_to_json(const struct agg_unknown *u, json_t *root)
{
	if (!u->connections)
		return 0;
	json_t *o = json_object();
	if (!o || json_object_set_new(root, "unknown", o) != 0)
		return -1;
#define AGG_UNKNOWN_JSON(f)                                                                        \
	if (json_object_set_new(o, #f, json_integer((json_int_t)u->f)) != 0)                       \
		return -1;
	AGG_UNKNOWN_FIELDS(AGG_UNKNOWN_JSON)
#undef AGG_UNKNOWN_JSON
	return 0;
}

int agg_unknown_add_json(struct agg_unknown *u, const json_t *root, char *err, size_t errlen)
{
	const json_t *o = json_object_get(root, "unknown");
	if (!o)
		return 0;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "unknown: not an object");
		return -1;
	}
	struct agg_unknown add = {0};
#define AGG_UNKNOWN_READ(f)                                                                        \
	do {                                                                                       \
		const json_t *x = json_object_get(o, #f);                                          \
		if (x && (!json_is_integer(x) || json_integer_value(x) < 0)) {                     \
			snprintf(err, errlen, "unknown.%s: not a count", #f);                      \
			return -1;                                                                 \
		}                                                                                  \
		add.f = x ? (uint64_t)json_integer_value(x) : 0;                                   \
	} while (0);
	AGG_UNKNOWN_FIELDS(AGG_UNKNOWN_READ)
#undef AGG_UNKNOWN_READ
	agg_unknown_merge(u, &add);
	return 0;
}

void agg_unknown_print_text(const struct agg_unknown *u, FILE *out)
{
	if (!u->connections)
		return;
	fprintf(out,
		"  head-only          %" PRIu64
		" connection%s read by packet heads (short snap length),"
		"\n                     left out of the figures above where their facts are "
		"unknown\n",
		u->connections, u->connections == 1 ? "" : "s");
}
