/* history.c — the host history across runs: increments batched in memory
 * and written in short transactions by one of two backends (an SQLite file,
 * history_sqlite.c; a PostgreSQL database, history_pg.c); what `smtptls
 * history` prints, exports and imports. */
#include "stats/sinks/history.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "stats/record/record.h"
#include "stats/sinks/history_be.h"

/* The bounded cache of a database's server and pool reads (PostgreSQL: a
 * read is a round trip). A slot holds one key's values as the database
 * answered them; the slots are forgotten after each written batch, so that
 * a server the detectors' table cannot hold is read at most once a batch. */
#define HIST_CACHE_SLOTS 4096

struct hist_cached {
	uint64_t gen; /* valid while equal to struct hist's */
	int table;    /* 0 servers, 1 pools */
	int found;
	char key[200];
	uint64_t v[HIST_COUNT];
};

struct hist {
	const struct hist_backend *be;
	struct hist_cached *cache; /* HIST_CACHE_SLOTS, or NULL (SQLite) */
	uint64_t gen;
	void *conn;
	unsigned records;	/* records since the last batch */
	uint64_t last_flush_us; /* monotonic */
	struct hist_op *ops;	/* pending updates, oldest first */
	size_t nops, cap;
	struct hist_health health;
};

const int hist_cols[11] = {HIST_STARTTLS_OFFERED, HIST_EHLO_ACCEPTED, HIST_TLS13,
			   HIST_FIRST_SEEN,	  HIST_LAST_SEEN,     HIST_CONNECTIONS,
			   HIST_STARTTLS_USED,	  HIST_TLS_FAILED,    HIST_STARTTLS_RETURNS,
			   HIST_TLS_RETURNS,	  HIST_KEY_CHANGES};

int hist_is_pg(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0 ||
	       strncmp(spec, "service=", 8) == 0;
}

int hist_needs_network(const char *spec)
{
	return hist_is_pg(spec) && hist_pg_remote(spec);
}

static uint64_t hist_now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void hist_sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

static struct hist *hist_open_mode(const char *spec, enum hist_mode mode, int *version, char *err,
				   size_t errlen)
{
	struct hist *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "%s: out of memory", spec);
		return NULL;
	}
	h->be = hist_is_pg(spec) ? &hist_pg : &hist_sqlite;
	h->conn = h->be->open(spec, mode, version, err, errlen);
	if (h->conn && h->be == &hist_pg)
		h->cache = calloc(HIST_CACHE_SLOTS, sizeof(*h->cache));
	if (h->conn && h->be == &hist_pg && !h->cache) {
		h->be->close(h->conn);
		h->conn = NULL;
		snprintf(err, errlen, "%s: out of memory", spec);
	}
	if (!h->conn) {
		free(h);
		return NULL;
	}
	h->gen = 1;
	h->last_flush_us = hist_now_us();
	return h;
}

struct hist *hist_open(const char *spec, char *err, size_t errlen)
{
	int version;
	return hist_open_mode(spec, HIST_RW, &version, err, errlen);
}

/* A new pending update, or NULL (counted as lost) when HIST_PENDING_MAX are
 * pending and the database still refuses them (tried at most once per
 * HIST_FLUSH_US). */
static struct hist_op *hist_op_new(struct hist *h, enum hist_op_kind kind, const char *key)
{
	if (h->nops >= HIST_PENDING_MAX &&
	    (hist_now_us() - h->last_flush_us < HIST_FLUSH_US || hist_flush(h) != 0)) {
		h->health.updates_lost++;
		return NULL;
	}
	if (h->nops == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct hist_op *o = realloc(h->ops, cap * sizeof(*o));
		if (!o) {
			h->health.updates_lost++;
			return NULL;
		}
		h->ops = o;
		h->cap = cap;
	}
	struct hist_op *o = &h->ops[h->nops++];
	memset(o, 0, sizeof(*o));
	o->kind = (uint8_t)kind;
	snprintf(o->key, sizeof(o->key), "%s", key);
	return o;
}

/* A read's result: one that failed because the database cannot be reached
 * is "unknown" (0), counted. */
static int hist_read(struct hist *h, int rc)
{
	if (rc >= 0 || !h->be->offline(h->conn))
		return rc;
	h->health.offline_reads++;
	return 0;
}

/* A server's or pool's values, through the cache when there is one. */
static int hist_load_cached(struct hist *h, int table, const char *key, uint64_t v[HIST_COUNT])
{
	if (!h->cache)
		return hist_read(h, h->be->load(h->conn, table, key, v));
	uint64_t x = (uint64_t)1469598103934665603u ^ (uint64_t)table;
	for (const unsigned char *c = (const unsigned char *)key; *c; c++)
		x = (x ^ (uint64_t)*c) * (uint64_t)1099511628211u;
	struct hist_cached *slot = &h->cache[x % HIST_CACHE_SLOTS];
	if (slot->gen == h->gen && slot->table == table &&
	    strncmp(slot->key, key, sizeof(slot->key)) == 0 && strlen(key) < sizeof(slot->key)) {
		memcpy(v, slot->v, sizeof(slot->v));
		return slot->found;
	}
	int rc = h->be->load(h->conn, table, key, v);
	if (rc >= 0) {
		slot->gen = h->gen;
		slot->table = table;
		slot->found = rc;
		snprintf(slot->key, sizeof(slot->key), "%s", key);
		memcpy(slot->v, v, sizeof(slot->v));
	}
	return hist_read(h, rc);
}

int hist_load_server(struct hist *h, const char *server, uint64_t v[HIST_COUNT])
{
	return hist_load_cached(h, 0, server, v);
}

int hist_load_pool(struct hist *h, const char *pool, uint64_t v[HIST_COUNT])
{
	return hist_load_cached(h, 1, pool, v);
}

int hist_add_server(struct hist *h, const char *server, const uint64_t d[HIST_COUNT])
{
	struct hist_op *o = hist_op_new(h, HIST_OP_SERVER, server);
	if (!o)
		return -1;
	memcpy(o->d, d, sizeof(o->d));
	return 0;
}

int hist_add_pool(struct hist *h, const char *pool, const uint64_t d[HIST_COUNT])
{
	struct hist_op *o = hist_op_new(h, HIST_OP_POOL, pool);
	if (!o)
		return -1;
	memcpy(o->d, d, sizeof(o->d));
	return 0;
}

int hist_add_version(struct hist *h, const char *server, const char *version)
{
	struct hist_op *o = hist_op_new(h, HIST_OP_VERSION, server);
	if (!o)
		return -1;
	snprintf(o->sub, sizeof(o->sub), "%s", version);
	o->d[HIST_CONNECTIONS] = 1;
	return 0;
}

int hist_load_attempt(struct hist *h, const char *pair, uint64_t *ts_us)
{
	return hist_read(h, h->be->load_attempt(h->conn, pair, ts_us));
}

int hist_store_attempt(struct hist *h, const char *pair, uint64_t ts_us)
{
	struct hist_op *o = hist_op_new(h, HIST_OP_ATTEMPT, pair);
	if (!o)
		return -1;
	o->d[HIST_LAST_SEEN] = ts_us;
	return 0;
}

int hist_add_key(struct hist *h, const char *server, const char *spki, uint64_t ts_us,
		 const char *validation, int64_t not_before, int64_t not_after)
{
	struct hist_op *o = hist_op_new(h, HIST_OP_KEY, server);
	if (!o)
		return -1;
	snprintf(o->sub, sizeof(o->sub), "%s", spki);
	snprintf(o->validation, sizeof(o->validation), "%s", validation);
	o->d[HIST_FIRST_SEEN] = o->d[HIST_LAST_SEEN] = ts_us;
	o->d[HIST_CONNECTIONS] = 1;
	o->not_before = not_before;
	o->not_after = not_after;
	return 0;
}

int hist_load_keys(struct hist *h, const char *server, struct hist_key *out, int n)
{
	return hist_read(h, h->be->load_keys(h->conn, server, out, n));
}

int hist_flush(struct hist *h)
{
	h->records = 0;
	h->last_flush_us = hist_now_us();
	if (!h->nops)
		return 0;
	if (h->be->write(h->conn, h->ops, h->nops) != 0) {
		/* the updates stay pending: the next batch writes them */
		h->health.write_failures++;
		return -1;
	}
	h->nops = 0;
	h->gen++; /* what was cached may have changed: read it again */
	return 0;
}

int hist_tick(struct hist *h)
{
	if (++h->records < HIST_BATCH && hist_now_us() - h->last_flush_us < HIST_FLUSH_US)
		return 0;
	return hist_flush(h);
}

int hist_poll(struct hist *h)
{
	if (!h->nops || hist_now_us() - h->last_flush_us < HIST_FLUSH_US)
		return 0;
	return hist_flush(h);
}

void hist_health(const struct hist *h, struct hist_health *out)
{
	*out = h->health;
	out->pending = h->nops;
	out->unreachable = (uint64_t)h->be->offline(h->conn);
}

int hist_close(struct hist *h, struct hist_health *last)
{
	int rc = 0;
	if (!h)
		return 0;
	/* a few more tries for what is still pending: the disk may come back */
	for (int i = 0; h->nops && i < 3; i++)
		if (hist_flush(h) != 0)
			hist_sleep_ms(200);
	if (h->nops) {
		h->health.updates_lost += h->nops;
		h->nops = 0;
		rc = -1;
	}
	if (last)
		hist_health(h, last);
	h->be->close(h->conn);
	free(h->cache);
	free(h->ops);
	free(h);
	return rc;
}

/* Rows of one query held in memory, each ncols strings (NULL for NULL). */
struct hist_rows {
	char **cell;
	size_t n, cap;
	int ncols;
};

static int hist_rows_add(void *ctx, int ncols, const char *const *vals)
{
	struct hist_rows *r = ctx;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		char **c = realloc(r->cell, cap * (size_t)ncols * sizeof(*c));
		if (!c)
			return -1;
		r->cell = c;
		r->cap = cap;
	}
	r->ncols = ncols;
	for (int i = 0; i < ncols; i++) {
		char *s = vals[i] ? strdup(vals[i]) : NULL;
		if (vals[i] && !s) {
			for (int k = 0; k < i; k++)
				free(r->cell[r->n * (size_t)ncols + (size_t)k]);
			return -1;
		}
		r->cell[r->n * (size_t)ncols + (size_t)i] = s;
	}
	r->n++;
	return 0;
}

static void hist_rows_free(struct hist_rows *r)
{
	for (size_t i = 0; i < r->n * (size_t)r->ncols; i++)
		free(r->cell[i]);
	free(r->cell);
}

static const char *hist_cell(const struct hist_rows *r, size_t row, int col)
{
	const char *s = r->cell[row * (size_t)r->ncols + (size_t)col];
	return s ? s : "";
}

static long long hist_num(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

/* Whether a stored server ("192.0.2.1:25", "[2001:db8::1]:25") is the one
 * asked for (an address, or an address and port). */
static int hist_match(const char *name, const char *server)
{
	size_t n = strlen(server);
	if (!server[0] || strcmp(name, server) == 0)
		return 1;
	if (strncmp(name, server, n) == 0 && name[n] == ':')
		return 1;
	return name[0] == '[' && strncmp(name + 1, server, n) == 0 && name[n + 1] == ']' &&
	       name[n + 2] == ':';
}

static void hist_print_keys(const struct hist_rows *ks, size_t *k, const char *name, FILE *out)
{
	while (*k < ks->n && strcmp(hist_cell(ks, *k, 0), name) < 0)
		(*k)++;
	for (; *k < ks->n && strcmp(hist_cell(ks, *k, 0), name) == 0; (*k)++) {
		char kf[32], kl[32], na[32] = "?";
		size_t i = *k;
		rec_format_ts((uint64_t)hist_num(hist_cell(ks, i, 2)), kf, sizeof(kf));
		rec_format_ts((uint64_t)hist_num(hist_cell(ks, i, 3)), kl, sizeof(kl));
		kf[19] = kl[19] = '\0';
		const char *until = ks->cell[i * (size_t)ks->ncols + 6];
		if (until && hist_num(until) >= 0)
			rec_format_ts((uint64_t)hist_num(until) * 1000000u, na, sizeof(na));
		na[10] = '\0';
		fprintf(out, "  key %s  %s .. %s  %lld conns, %s, not after %s\n",
			hist_cell(ks, i, 1), kf, kl, hist_num(hist_cell(ks, i, 4)),
			hist_cell(ks, i, 5), na);
	}
}

static void hist_print_rows(const struct hist_rows *sv, const struct hist_rows *vs,
			    const struct hist_rows *ks, const char *server, FILE *out)
{
	size_t v = 0, k = 0;
	int rows = 0;
	fprintf(out, "%-28s %-20s %-20s %6s %8s %6s %5s  %s\n", "server", "first seen (UTC)",
		"last seen (UTC)", "conns", "offered", "used", "tls13", "versions");
	for (size_t i = 0; i < sv->n; i++) {
		const char *name = hist_cell(sv, i, 0);
		if (server && !hist_match(name, server))
			continue;
		char first[32], last[32];
		rec_format_ts((uint64_t)hist_num(hist_cell(sv, i, 1)), first, sizeof(first));
		rec_format_ts((uint64_t)hist_num(hist_cell(sv, i, 2)), last, sizeof(last));
		first[19] = last[19] = '\0';
		fprintf(out, "%-28s %-20s %-20s %6lld %8lld %6lld %5lld  ", name, first, last,
			hist_num(hist_cell(sv, i, 3)), hist_num(hist_cell(sv, i, 4)),
			hist_num(hist_cell(sv, i, 5)), hist_num(hist_cell(sv, i, 7)));
		while (v < vs->n && strcmp(hist_cell(vs, v, 0), name) < 0)
			v++;
		for (int n = 0; v < vs->n && strcmp(hist_cell(vs, v, 0), name) == 0; v++)
			fprintf(out, "%s%s %lld", n++ ? ", " : "", hist_cell(vs, v, 1),
				hist_num(hist_cell(vs, v, 2)));
		fputc('\n', out);
		if (ks)
			hist_print_keys(ks, &k, name, out); /* the keys it showed, oldest first */
		rows++;
	}
	if (!rows)
		fprintf(out, "(no server%s%s)\n", server ? " matching " : "", server ? server : "");
}

int hist_print(const char *spec, const char *server, FILE *out, char *err, size_t errlen)
{
	int version = 0, rc = -1;
	struct hist *h = hist_open_mode(spec, HIST_RO, &version, err, errlen);
	if (!h)
		return -1;
	struct hist_rows sv = {0}, vs = {0}, ks = {0};
	char msg[256];
	/* byte order on both backends (the PostgreSQL text columns are in the
	 * "C" collation), so that the three lists can be walked together */
	if (h->be->query(h->conn,
			 "SELECT server, first_seen, last_seen, connections, starttls_offered, "
			 "starttls_used, ehlo_accepted, tls13 FROM servers ORDER BY server",
			 hist_rows_add, &sv, msg, sizeof(msg)) != 0 ||
	    h->be->query(h->conn,
			 "SELECT server, version, connections FROM server_versions "
			 "ORDER BY server, version",
			 hist_rows_add, &vs, msg, sizeof(msg)) != 0 ||
	    (version >= 2 &&
	     h->be->query(h->conn,
			  "SELECT server, spki, first_seen, last_seen, connections, validation, "
			  "not_after FROM server_keys ORDER BY server, first_seen, spki",
			  hist_rows_add, &ks, msg, sizeof(msg)) != 0)) {
		snprintf(err, errlen, "%s: %s", spec, msg);
		goto fail;
	}
	hist_print_rows(&sv, &vs, version >= 2 ? &ks : NULL, server, out);
	rc = 0;
fail:
	hist_rows_free(&sv);
	hist_rows_free(&vs);
	hist_rows_free(&ks);
	hist_close(h, NULL);
	return rc;
}

/* The tables an export holds, their columns (text ones first), in this
 * order; the same for both backends. */
struct hist_table {
	const char *name;
	int ntext; /* the first ntext columns are text, the others integers */
	const char *cols[13];
	const char *sql;
};

#define HIST_COUNTERS                                                                              \
	"starttls_offered", "ehlo_accepted", "tls13", "first_seen", "last_seen", "connections",    \
		"starttls_used", "tls_failed", "starttls_returns", "tls_returns", "key_changes"
#define HIST_COUNTERS_SQL                                                                          \
	"starttls_offered, ehlo_accepted, tls13, first_seen, last_seen, connections, "             \
	"starttls_used, tls_failed, starttls_returns, tls_returns, key_changes"

static const struct hist_table hist_tables[] = {
	{"servers",
	 1,
	 {"server", HIST_COUNTERS},
	 "SELECT server, " HIST_COUNTERS_SQL " FROM servers ORDER BY server"},
	{"pools",
	 1,
	 {"pool", HIST_COUNTERS},
	 "SELECT pool, " HIST_COUNTERS_SQL " FROM pools ORDER BY pool"},
	{"server_versions",
	 2,
	 {"server", "version", "connections"},
	 "SELECT server, version, connections FROM server_versions ORDER BY server, version"},
	{"server_keys",
	 3,
	 {"server", "spki", "validation", "first_seen", "last_seen", "connections", "not_before",
	  "not_after"},
	 "SELECT server, spki, validation, first_seen, last_seen, connections, not_before, "
	 "not_after FROM server_keys ORDER BY server, spki"},
	{"attempts",
	 1,
	 {"pair", "last_failed"},
	 "SELECT pair, last_failed FROM attempts ORDER BY pair"},
};
#define HIST_NTABLES (sizeof(hist_tables) / sizeof(hist_tables[0]))

struct hist_export {
	const struct hist_table *t;
	FILE *out;
};

static int hist_export_row(void *ctx, int ncols, const char *const *vals)
{
	struct hist_export *x = ctx;
	json_t *o = json_object();
	if (!o)
		return -1;
	json_object_set_new(o, "table", json_string(x->t->name));
	for (int i = 0; i < ncols; i++) {
		json_t *v = !vals[i]	      ? json_null()
			    : i < x->t->ntext ? json_string(vals[i])
					      : json_integer(hist_num(vals[i]));
		json_object_set_new(o, x->t->cols[i], v);
	}
	int rc = json_dumpf(o, x->out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(o);
	if (rc != 0 || fputc('\n', x->out) == EOF)
		return -1;
	return 0;
}

int hist_export(const char *spec, FILE *out, char *err, size_t errlen)
{
	int version = 0, rc = 0;
	struct hist *h = hist_open_mode(spec, HIST_RO, &version, err, errlen);
	if (!h)
		return -1;
	if (version != HIST_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema %d: open it once with --history to migrate it",
			 spec, version);
		hist_close(h, NULL);
		return -1;
	}
	fprintf(out, "{\"smtptls_history\":%d}\n", HIST_SCHEMA_VERSION);
	for (size_t i = 0; i < HIST_NTABLES && rc == 0; i++) {
		struct hist_export x = {&hist_tables[i], out};
		char msg[256] = "write failed";
		rc = h->be->query(h->conn, hist_tables[i].sql, hist_export_row, &x, msg,
				  sizeof(msg));
		if (rc != 0)
			snprintf(err, errlen, "%s: %s", spec, msg);
	}
	hist_close(h, NULL);
	return rc ? -1 : 0;
}

static uint64_t hist_jnum(json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));
	return v > 0 ? (uint64_t)v : 0;
}

static const char *hist_jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* One exported row as a pending update (the tables' columns by name). */
static int hist_import_row(struct hist *h, json_t *o)
{
	const char *t = hist_jstr(o, "table");
	size_t i = 0;
	while (i < HIST_NTABLES && strcmp(hist_tables[i].name, t) != 0)
		i++;
	if (i == HIST_NTABLES)
		return -1;
	static const enum hist_op_kind kinds[] = {HIST_OP_SERVER, HIST_OP_POOL, HIST_OP_VERSION,
						  HIST_OP_KEY, HIST_OP_ATTEMPT};
	struct hist_op *op = hist_op_new(h, kinds[i], hist_jstr(o, hist_tables[i].cols[0]));
	if (!op)
		return -1;
	switch (kinds[i]) {
	case HIST_OP_SERVER:
	case HIST_OP_POOL:
		for (int c = 0; c < 11; c++)
			op->d[hist_cols[c]] = hist_jnum(o, hist_tables[0].cols[c + 1]);
		break;
	case HIST_OP_VERSION:
		snprintf(op->sub, sizeof(op->sub), "%s", hist_jstr(o, "version"));
		op->d[HIST_CONNECTIONS] = hist_jnum(o, "connections");
		break;
	case HIST_OP_KEY:
		snprintf(op->sub, sizeof(op->sub), "%s", hist_jstr(o, "spki"));
		snprintf(op->validation, sizeof(op->validation), "%s", hist_jstr(o, "validation"));
		op->d[HIST_FIRST_SEEN] = hist_jnum(o, "first_seen");
		op->d[HIST_LAST_SEEN] = hist_jnum(o, "last_seen");
		op->d[HIST_CONNECTIONS] = hist_jnum(o, "connections");
		op->not_before = (int64_t)json_integer_value(json_object_get(o, "not_before"));
		op->not_after = (int64_t)json_integer_value(json_object_get(o, "not_after"));
		break;
	default: op->d[HIST_LAST_SEEN] = hist_jnum(o, "last_failed"); break;
	}
	return 0;
}

int hist_import(const char *spec, FILE *in, char *err, size_t errlen)
{
	struct hist *h = hist_open(spec, err, errlen);
	if (!h)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0, rc = 0;
	while (rc == 0 && getline(&line, &cap, in) > 0) {
		lineno++;
		json_t *o = json_loads(line, 0, NULL);
		if (lineno == 1) {
			json_t *v = json_object_get(o, "smtptls_history");
			if (!json_is_integer(v) || json_integer_value(v) > HIST_SCHEMA_VERSION)
				rc = lineno;
		} else if (!json_is_object(o) || hist_import_row(h, o) != 0 ||
			   (lineno % HIST_BATCH == 0 && hist_flush(h) != 0)) {
			rc = lineno;
		}
		json_decref(o);
	}
	free(line);
	if (rc)
		snprintf(err, errlen, "line %ld: not an smtptls history export, or not written",
			 rc);
	else if (!lineno)
		snprintf(err, errlen, "empty input: not an smtptls history export");
	if (hist_close(h, NULL) != 0 && !rc && lineno)
		snprintf(err, errlen, "%s: updates could not be written", spec);
	else if (!rc && lineno)
		return 0;
	return -1;
}
