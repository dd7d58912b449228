/* history.c — host history in SQLite (WAL, versioned schema with forward
 * migrations, increments batched in memory and written in short
 * transactions, so that several processes can share one file). */
#include "stats/sinks/history.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "stats/record/record.h"

enum {
	HIST_GET_SERVER,
	HIST_GET_POOL,
	HIST_ADD_SERVER,
	HIST_ADD_POOL,
	HIST_ADD_VERSION,
	HIST_GET_ATTEMPT,
	HIST_PUT_ATTEMPT,
	HIST_ADD_KEY,
	HIST_GET_KEYS,
	HIST_NSTMT
};

/* One pending update. */
enum hist_op_kind { HIST_OP_SERVER, HIST_OP_POOL, HIST_OP_VERSION, HIST_OP_KEY, HIST_OP_ATTEMPT };

struct hist_op {
	uint8_t kind;	     /* enum hist_op_kind */
	char key[200];	     /* server, pool or client>server pair */
	char sub[72];	     /* version or key (SPKI hex) */
	char validation[48]; /* HIST_OP_KEY */
	uint64_t d[HIST_COUNT];
	int64_t not_before, not_after;
};

struct hist {
	sqlite3 *db;
	sqlite3_stmt *st[HIST_NSTMT];
	unsigned records;	/* records since the last batch */
	uint64_t last_flush_us; /* monotonic */
	struct hist_op *ops;	/* pending updates, oldest first */
	size_t nops, cap;
	struct hist_health health;
};

/* The columns the servers and pools tables share, in enum hist_val order
 * where they are counters. */
#define HIST_COLS                                                                                  \
	"first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"                                 \
	"  connections INTEGER NOT NULL, starttls_offered INTEGER NOT NULL,"                       \
	"  starttls_used INTEGER NOT NULL, ehlo_accepted INTEGER NOT NULL,"                        \
	"  tls13 INTEGER NOT NULL"
#define HIST_FLAP_COLS(t)                                                                          \
	"ALTER TABLE " t " ADD COLUMN tls_failed INTEGER NOT NULL DEFAULT 0;"                      \
	"ALTER TABLE " t " ADD COLUMN starttls_returns INTEGER NOT NULL DEFAULT 0;"                \
	"ALTER TABLE " t " ADD COLUMN tls_returns INTEGER NOT NULL DEFAULT 0;"                     \
	"ALTER TABLE " t " ADD COLUMN key_changes INTEGER NOT NULL DEFAULT 0;"

/* Migration i brings the schema from version i to i + 1; each runs in the
 * exclusive transaction that read version i. */
static const char *const hist_migrations[HIST_SCHEMA_VERSION] = {
	"CREATE TABLE IF NOT EXISTS servers (server TEXT PRIMARY KEY, " HIST_COLS ");"
	"CREATE TABLE IF NOT EXISTS server_versions ("
	"  server TEXT NOT NULL, version TEXT NOT NULL, connections INTEGER NOT NULL,"
	"  PRIMARY KEY (server, version));"
	"CREATE TABLE IF NOT EXISTS attempts (pair TEXT PRIMARY KEY, "
	"  last_failed INTEGER NOT NULL);",
	/* 1 -> 2: the certificate keys each server showed */
	"CREATE TABLE IF NOT EXISTS server_keys ("
	"  server TEXT NOT NULL, spki TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	"  connections INTEGER NOT NULL, validation TEXT NOT NULL,"
	"  not_before INTEGER, not_after INTEGER,"
	"  PRIMARY KEY (server, spki));",
	/* 2 -> 3: what tells a flapping server (or pool) from a consistent one */
	HIST_FLAP_COLS(
		"servers") "CREATE TABLE IF NOT EXISTS pools (pool TEXT PRIMARY KEY, " HIST_COLS
			   ");" HIST_FLAP_COLS("pools"),
};

/* The upsert of a server or pool row: every counter adds, the times widen. */
#define HIST_UPSERT(t, k)                                                                          \
	"INSERT INTO " t " (" k ", starttls_offered, ehlo_accepted, tls13, first_seen, "           \
	"last_seen, connections, starttls_used, tls_failed, starttls_returns, tls_returns, "       \
	"key_changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "                 \
	"ON CONFLICT(" k ") DO UPDATE SET "                                                        \
	"starttls_offered = starttls_offered + excluded.starttls_offered, "                        \
	"ehlo_accepted = ehlo_accepted + excluded.ehlo_accepted, "                                 \
	"tls13 = tls13 + excluded.tls13, "                                                         \
	"first_seen = min(first_seen, excluded.first_seen), "                                      \
	"last_seen = max(last_seen, excluded.last_seen), "                                         \
	"connections = connections + excluded.connections, "                                       \
	"starttls_used = starttls_used + excluded.starttls_used, "                                 \
	"tls_failed = tls_failed + excluded.tls_failed, "                                          \
	"starttls_returns = starttls_returns + excluded.starttls_returns, "                        \
	"tls_returns = tls_returns + excluded.tls_returns, "                                       \
	"key_changes = key_changes + excluded.key_changes"
#define HIST_SELECT(t, k)                                                                          \
	"SELECT starttls_offered, ehlo_accepted, tls13, first_seen, last_seen, connections, "      \
	"starttls_used, tls_failed, starttls_returns, tls_returns, key_changes FROM " t            \
	" WHERE " k " = ?1"

static const char *const hist_sql[HIST_NSTMT] = {
	[HIST_GET_SERVER] = HIST_SELECT("servers", "server"),
	[HIST_GET_POOL] = HIST_SELECT("pools", "pool"),
	[HIST_ADD_SERVER] = HIST_UPSERT("servers", "server"),
	[HIST_ADD_POOL] = HIST_UPSERT("pools", "pool"),
	[HIST_ADD_VERSION] = "INSERT INTO server_versions (server, version, connections) "
			     "VALUES (?1, ?2, ?3) ON CONFLICT(server, version) "
			     "DO UPDATE SET connections = connections + excluded.connections",
	[HIST_GET_ATTEMPT] = "SELECT last_failed FROM attempts WHERE pair = ?1",
	[HIST_PUT_ATTEMPT] = "INSERT INTO attempts (pair, last_failed) VALUES (?1, ?2) "
			     "ON CONFLICT(pair) DO UPDATE SET "
			     "last_failed = max(last_failed, excluded.last_failed)",
	/* validation and validity: those of the latest connection (ties: the
	 * greater text, so that the order of the writers does not matter) */
	[HIST_ADD_KEY] = "INSERT INTO server_keys (server, spki, first_seen, last_seen, "
			 "connections, validation, not_before, not_after) "
			 "VALUES (?1, ?2, ?3, ?3, ?7, ?4, ?5, ?6) "
			 "ON CONFLICT(server, spki) DO UPDATE SET "
			 "validation = CASE WHEN excluded.last_seen > last_seen OR "
			 "(excluded.last_seen = last_seen AND excluded.validation > validation) "
			 "THEN excluded.validation ELSE validation END, "
			 "not_before = CASE WHEN excluded.last_seen >= last_seen "
			 "THEN excluded.not_before ELSE not_before END, "
			 "not_after = CASE WHEN excluded.last_seen >= last_seen "
			 "THEN excluded.not_after ELSE not_after END, "
			 "first_seen = min(first_seen, excluded.first_seen), "
			 "last_seen = max(last_seen, excluded.last_seen), "
			 "connections = connections + excluded.connections",
	[HIST_GET_KEYS] = "SELECT spki, validation, first_seen, last_seen FROM server_keys "
			  "WHERE server = ?1 ORDER BY last_seen DESC, rowid DESC LIMIT ?2",
};

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

/* Tries of a statement that finds the file busy: at open (the first
 * writers of a new file wait for each other), and per batch (a batch that
 * still finds it busy stays pending for the next one, so that a sensor is
 * not held up for long). Each try waits up to HIST_BUSY_MS first. */
#define HIST_BUSY_MS	 2000
#define HIST_TRIES_OPEN	 30
#define HIST_TRIES_BATCH 3

/* Runs sql, retrying while another writer holds the file (the busy timeout
 * covers most waits; SQLITE_BUSY can still come back at once, e.g. when a
 * read transaction would have to be upgraded). */
static int hist_exec_retry(sqlite3 *db, const char *sql, int tries, char *err, size_t errlen)
{
	int rc = SQLITE_BUSY;
	for (int i = 0; i < tries; i++) {
		char *msg = NULL;
		rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
		if (rc == SQLITE_OK)
			return 0;
		if (err)
			snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			return -1;
		hist_sleep_ms(20 + 10 * (i % 8));
	}
	return -1;
}

static int hist_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Creates or migrates the schema in one exclusive transaction: the version
 * is read inside it, so a concurrent creator has either finished (and the
 * version says so) or not begun. */
static int hist_migrate(sqlite3 *db, char *err, size_t errlen)
{
	if (hist_exec_retry(db, "BEGIN EXCLUSIVE", HIST_TRIES_OPEN, err, errlen) != 0)
		return -1;
	int v = hist_version(db);
	if (v < 0) {
		snprintf(err, errlen, "not an SQLite database: %s", sqlite3_errmsg(db));
		goto fail;
	}
	if (v > HIST_SCHEMA_VERSION) {
		snprintf(err, errlen, "written by a newer smtptls (schema %d, this one knows %d)",
			 v, HIST_SCHEMA_VERSION);
		goto fail;
	}
	if (v < HIST_SCHEMA_VERSION) {
		char sql[64];
		for (; v < HIST_SCHEMA_VERSION; v++) {
			char *msg = NULL;
			if (sqlite3_exec(db, hist_migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
				snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
				sqlite3_free(msg);
				goto fail;
			}
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", HIST_SCHEMA_VERSION);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s", sqlite3_errmsg(db));
			goto fail;
		}
	}
	if (hist_exec_retry(db, "COMMIT", HIST_TRIES_OPEN, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

struct hist *hist_open(const char *path, char *err, size_t errlen)
{
	struct hist *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 h->db ? sqlite3_errmsg(h->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(h->db, HIST_BUSY_MS);
	char msg[256];
	/* the journal mode is switched to WAL once, by whichever writer comes
	 * first: it needs the file to itself, hence the retries */
	if (hist_exec_retry(h->db, "PRAGMA journal_mode = WAL", HIST_TRIES_OPEN, msg,
			    sizeof(msg)) != 0 ||
	    hist_exec_retry(h->db, "PRAGMA synchronous = NORMAL", HIST_TRIES_OPEN, msg,
			    sizeof(msg)) != 0 ||
	    hist_migrate(h->db, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	for (int i = 0; i < HIST_NSTMT; i++)
		if (sqlite3_prepare_v2(h->db, hist_sql[i], -1, &h->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(h->db));
			goto fail;
		}
	h->last_flush_us = hist_now_us();
	return h;
fail:
	hist_close(h, NULL);
	return NULL;
}

/* A new pending update, or NULL (counted as lost) when HIST_PENDING_MAX are
 * pending and the file still refuses them (tried at most once per
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

static int hist_load(sqlite3_stmt *st, const char *key, uint64_t v[HIST_COUNT])
{
	memset(v, 0, sizeof(uint64_t) * HIST_COUNT);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	static const int order[11] = {
		HIST_STARTTLS_OFFERED, HIST_EHLO_ACCEPTED, HIST_TLS13,	       HIST_FIRST_SEEN,
		HIST_LAST_SEEN,	       HIST_CONNECTIONS,   HIST_STARTTLS_USED, HIST_TLS_FAILED,
		HIST_STARTTLS_RETURNS, HIST_TLS_RETURNS,   HIST_KEY_CHANGES};
	for (int i = 0; i < 11; i++)
		v[order[i]] = (uint64_t)sqlite3_column_int64(st, i);
	sqlite3_reset(st);
	return 1;
}

int hist_load_server(struct hist *h, const char *server, uint64_t v[HIST_COUNT])
{
	return hist_load(h->st[HIST_GET_SERVER], server, v);
}

int hist_load_pool(struct hist *h, const char *pool, uint64_t v[HIST_COUNT])
{
	return hist_load(h->st[HIST_GET_POOL], pool, v);
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
	*ts_us = 0;
	sqlite3_stmt *st = h->st[HIST_GET_ATTEMPT];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, pair, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ts_us = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
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
	o->d[HIST_LAST_SEEN] = ts_us;
	o->d[HIST_CONNECTIONS] = 1;
	o->not_before = not_before;
	o->not_after = not_after;
	return 0;
}

int hist_load_keys(struct hist *h, const char *server, struct hist_key *out, int n)
{
	sqlite3_stmt *st = h->st[HIST_GET_KEYS];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, server, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, n);
	int k = 0, rc = SQLITE_DONE;
	while (k < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *spki = sqlite3_column_text(st, 0);
		const unsigned char *val = sqlite3_column_text(st, 1);
		snprintf(out[k].spki, sizeof(out[k].spki), "%s", spki ? (const char *)spki : "");
		snprintf(out[k].validation, sizeof(out[k].validation), "%s",
			 val ? (const char *)val : "");
		out[k].first_seen = (uint64_t)sqlite3_column_int64(st, 2);
		out[k].last_seen = (uint64_t)sqlite3_column_int64(st, 3);
		k++;
	}
	sqlite3_reset(st);
	if (k < n && rc != SQLITE_DONE && rc != SQLITE_ROW)
		return -1;
	return k;
}

static void hist_bind_counts(sqlite3_stmt *st, const struct hist_op *o)
{
	static const int col[11] = {
		HIST_STARTTLS_OFFERED, HIST_EHLO_ACCEPTED, HIST_TLS13,	       HIST_FIRST_SEEN,
		HIST_LAST_SEEN,	       HIST_CONNECTIONS,   HIST_STARTTLS_USED, HIST_TLS_FAILED,
		HIST_STARTTLS_RETURNS, HIST_TLS_RETURNS,   HIST_KEY_CHANGES};
	for (int i = 0; i < 11; i++)
		sqlite3_bind_int64(st, i + 2, (sqlite3_int64)o->d[col[i]]);
}

/* One pending update, inside the batch's transaction. */
static int hist_apply(struct hist *h, const struct hist_op *o)
{
	static const int which[] = {[HIST_OP_SERVER] = HIST_ADD_SERVER,
				    [HIST_OP_POOL] = HIST_ADD_POOL,
				    [HIST_OP_VERSION] = HIST_ADD_VERSION,
				    [HIST_OP_KEY] = HIST_ADD_KEY,
				    [HIST_OP_ATTEMPT] = HIST_PUT_ATTEMPT};
	sqlite3_stmt *st = h->st[which[o->kind]];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_text(st, 1, o->key, -1, SQLITE_STATIC);
	switch (o->kind) {
	case HIST_OP_SERVER:
	case HIST_OP_POOL: hist_bind_counts(st, o); break;
	case HIST_OP_VERSION:
		sqlite3_bind_text(st, 2, o->sub, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)o->d[HIST_CONNECTIONS]);
		break;
	case HIST_OP_ATTEMPT: sqlite3_bind_int64(st, 2, (sqlite3_int64)o->d[HIST_LAST_SEEN]); break;
	default: /* HIST_OP_KEY */
		sqlite3_bind_text(st, 2, o->sub, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)o->d[HIST_LAST_SEEN]);
		sqlite3_bind_text(st, 4, o->validation, -1, SQLITE_STATIC);
		if (o->not_before || o->not_after) {
			sqlite3_bind_int64(st, 5, o->not_before);
			sqlite3_bind_int64(st, 6, o->not_after);
		}
		sqlite3_bind_int64(st, 7, (sqlite3_int64)o->d[HIST_CONNECTIONS]);
		break;
	}
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int hist_flush(struct hist *h)
{
	h->records = 0;
	h->last_flush_us = hist_now_us();
	if (!h->nops)
		return 0;
	if (hist_exec_retry(h->db, "BEGIN IMMEDIATE", HIST_TRIES_BATCH, NULL, 0) != 0)
		goto fail;
	for (size_t i = 0; i < h->nops; i++)
		if (hist_apply(h, &h->ops[i]) != 0) {
			sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	if (hist_exec_retry(h->db, "COMMIT", HIST_TRIES_BATCH, NULL, 0) != 0) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	h->nops = 0;
	return 0;
fail:
	/* the updates stay pending: the next batch writes them */
	h->health.write_failures++;
	return -1;
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
}

int hist_close(struct hist *h, struct hist_health *last)
{
	int rc = 0;
	if (!h)
		return 0;
	/* a few more tries for what is still pending: the disk may come back */
	for (int i = 0; h->db && h->st[0] && h->nops && i < 3; i++)
		if (hist_flush(h) != 0)
			hist_sleep_ms(200);
	if (h->nops) {
		h->health.updates_lost += h->nops;
		h->nops = 0;
		rc = -1;
	}
	if (last)
		hist_health(h, last);
	for (int i = 0; i < HIST_NSTMT; i++)
		sqlite3_finalize(h->st[i]);
	if (h->db)
		sqlite3_close(h->db);
	free(h->ops);
	free(h);
	return rc;
}

int hist_print(const char *path, const char *server, FILE *out, char *err, size_t errlen)
{
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	int v = hist_version(db);
	if (v < 1 || v > HIST_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: not an smtptls history (schema %d)", path, v);
		sqlite3_close(db);
		return -1;
	}
	sqlite3_stmt *st, *vs, *ks = NULL;
	const char *q = "SELECT server, first_seen, last_seen, connections, starttls_offered, "
			"starttls_used, ehlo_accepted, tls13 FROM servers "
			"WHERE ?1 IS NULL OR server = ?1 OR server LIKE ?1 || ':%' "
			"OR server LIKE '[' || ?1 || ']:%' ORDER BY server";
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT version, connections FROM server_versions WHERE server = ?1 "
			       "ORDER BY version",
			       -1, &vs, NULL) != SQLITE_OK ||
	    (v >= 2 &&
	     sqlite3_prepare_v2(db,
				"SELECT spki, first_seen, last_seen, connections, "
				"validation, not_after FROM server_keys WHERE server = ?1 "
				"ORDER BY first_seen, spki",
				-1, &ks, NULL) != SQLITE_OK)) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	if (server)
		sqlite3_bind_text(st, 1, server, -1, SQLITE_TRANSIENT);
	fprintf(out, "%-28s %-20s %-20s %6s %8s %6s %5s  %s\n", "server", "first seen (UTC)",
		"last seen (UTC)", "conns", "offered", "used", "tls13", "versions");
	int rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char first[32], last[32];
		const char *name = (const char *)sqlite3_column_text(st, 0);
		rec_format_ts((uint64_t)sqlite3_column_int64(st, 1), first, sizeof(first));
		rec_format_ts((uint64_t)sqlite3_column_int64(st, 2), last, sizeof(last));
		first[19] = last[19] = '\0';
		fprintf(out, "%-28s %-20s %-20s %6lld %8lld %6lld %5lld  ", name, first, last,
			sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
			sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 7));
		sqlite3_reset(vs);
		sqlite3_bind_text(vs, 1, name, -1, SQLITE_TRANSIENT);
		int k = 0;
		while (sqlite3_step(vs) == SQLITE_ROW)
			fprintf(out, "%s%s %lld", k++ ? ", " : "",
				(const char *)sqlite3_column_text(vs, 0),
				sqlite3_column_int64(vs, 1));
		fputc('\n', out);
		/* the keys it showed, oldest first */
		if (ks) {
			sqlite3_reset(ks);
			sqlite3_bind_text(ks, 1, name, -1, SQLITE_TRANSIENT);
		}
		while (ks && sqlite3_step(ks) == SQLITE_ROW) {
			char kf[32], kl[32], na[32] = "?";
			rec_format_ts((uint64_t)sqlite3_column_int64(ks, 1), kf, sizeof(kf));
			rec_format_ts((uint64_t)sqlite3_column_int64(ks, 2), kl, sizeof(kl));
			kf[19] = kl[19] = '\0';
			sqlite3_int64 until = sqlite3_column_int64(ks, 5);
			if (sqlite3_column_type(ks, 5) != SQLITE_NULL && until >= 0)
				rec_format_ts((uint64_t)until * 1000000u, na, sizeof(na));
			na[10] = '\0';
			fprintf(out, "  key %s  %s .. %s  %lld conns, %s, not after %s\n",
				(const char *)sqlite3_column_text(ks, 0), kf, kl,
				sqlite3_column_int64(ks, 3),
				(const char *)sqlite3_column_text(ks, 4), na);
		}
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(vs);
	sqlite3_finalize(ks);
	sqlite3_close(db);
	if (!rows)
		fprintf(out, "(no server%s%s)\n", server ? " matching " : "", server ? server : "");
	return 0;
}
