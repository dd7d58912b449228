/* history_sqlite.c — the history in one SQLite file (WAL, versioned schema
 * with forward migrations in an exclusive transaction, each batch of
 * updates written as upserts in one short transaction), so that several
 * processes can share one file. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "stats/sinks/history_be.h"

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
			 "VALUES (?1, ?2, ?8, ?3, ?7, ?4, ?5, ?6) "
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
	[HIST_GET_KEYS] = ("SELECT spki, validation, first_seen, last_seen FROM server_keys "
			   "WHERE server = ?1 ORDER BY last_seen DESC, rowid DESC LIMIT ?2"),
};

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

struct hist_sqlite_conn {
	sqlite3 *db;
	sqlite3_stmt *st[HIST_NSTMT];
};

static void hist_sqlite_close(void *c)
{
	struct hist_sqlite_conn *s = c;
	if (!s)
		return;
	for (int i = 0; i < HIST_NSTMT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db)
		sqlite3_close(s->db);
	free(s);
}

/* Read-only: the file must exist and hold an smtptls history. */
static int hist_sqlite_check(sqlite3 *db, int *version, char *err, size_t errlen)
{
	int v = hist_version(db);
	*version = v;
	if (v < 1 || v > HIST_SCHEMA_VERSION) {
		snprintf(err, errlen, "not an smtptls history (schema %d)", v);
		return -1;
	}
	return 0;
}

static void *hist_sqlite_open(const char *path, enum hist_mode mode, int *version, char *err,
			      size_t errlen)
{
	struct hist_sqlite_conn *s = calloc(1, sizeof(*s));
	char msg[256];
	if (!s) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	int flags =
		mode == HIST_RO ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, HIST_BUSY_MS);
	if (mode == HIST_RO) {
		if (hist_sqlite_check(s->db, version, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s: %s", path, msg);
			goto fail;
		}
		return s;
	}
	/* the journal mode is switched to WAL once, by whichever writer comes
	 * first: it needs the file to itself, hence the retries */
	if (hist_exec_retry(s->db, "PRAGMA journal_mode = WAL", HIST_TRIES_OPEN, msg,
			    sizeof(msg)) != 0 ||
	    hist_exec_retry(s->db, "PRAGMA synchronous = NORMAL", HIST_TRIES_OPEN, msg,
			    sizeof(msg)) != 0 ||
	    hist_migrate(s->db, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	*version = HIST_SCHEMA_VERSION;
	for (int i = 0; i < HIST_NSTMT; i++)
		if (sqlite3_prepare_v2(s->db, hist_sql[i], -1, &s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
			goto fail;
		}
	return s;
fail:
	hist_sqlite_close(s);
	return NULL;
}

static int hist_sqlite_load(void *c, int table, const char *key, uint64_t v[HIST_COUNT])
{
	struct hist_sqlite_conn *s = c;
	sqlite3_stmt *st = s->st[table ? HIST_GET_POOL : HIST_GET_SERVER];
	memset(v, 0, sizeof(uint64_t) * HIST_COUNT);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	for (int i = 0; i < 11; i++)
		v[hist_cols[i]] = (uint64_t)sqlite3_column_int64(st, i);
	sqlite3_reset(st);
	return 1;
}

static int hist_sqlite_load_attempt(void *c, const char *pair, uint64_t *ts_us)
{
	struct hist_sqlite_conn *s = c;
	*ts_us = 0;
	sqlite3_stmt *st = s->st[HIST_GET_ATTEMPT];
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

static int hist_sqlite_load_keys(void *c, const char *server, struct hist_key *out, int n)
{
	struct hist_sqlite_conn *s = c;
	sqlite3_stmt *st = s->st[HIST_GET_KEYS];
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

/* One pending update, inside the batch's transaction. */
static int hist_sqlite_apply(struct hist_sqlite_conn *s, const struct hist_op *o)
{
	static const int which[] = {[HIST_OP_SERVER] = HIST_ADD_SERVER,
				    [HIST_OP_POOL] = HIST_ADD_POOL,
				    [HIST_OP_VERSION] = HIST_ADD_VERSION,
				    [HIST_OP_KEY] = HIST_ADD_KEY,
				    [HIST_OP_ATTEMPT] = HIST_PUT_ATTEMPT};
	sqlite3_stmt *st = s->st[which[o->kind]];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_text(st, 1, o->key, -1, SQLITE_STATIC);
	switch (o->kind) {
	case HIST_OP_SERVER:
	case HIST_OP_POOL:
		for (int i = 0; i < 11; i++)
			sqlite3_bind_int64(st, i + 2, (sqlite3_int64)o->d[hist_cols[i]]);
		break;
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
		sqlite3_bind_int64(st, 8, (sqlite3_int64)o->d[HIST_FIRST_SEEN]);
		break;
	}
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int hist_sqlite_write(void *c, const struct hist_op *ops, size_t n)
{
	struct hist_sqlite_conn *s = c;
	if (hist_exec_retry(s->db, "BEGIN IMMEDIATE", HIST_TRIES_BATCH, NULL, 0) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (hist_sqlite_apply(s, &ops[i]) != 0)
			goto fail;
	if (hist_exec_retry(s->db, "COMMIT", HIST_TRIES_BATCH, NULL, 0) != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int hist_sqlite_query(void *c, const char *sql, hist_row_fn fn, void *ctx, char *err,
			     size_t errlen)
{
	struct hist_sqlite_conn *s = c;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	int n = sqlite3_column_count(st), rc = 0, step = SQLITE_DONE;
	const char *vals[24];
	if (n > 24)
		n = 24;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			vals[i] = (const char *)sqlite3_column_text(st, i);
		rc = fn(ctx, n, vals);
	}
	if (rc == 0 && step != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}

static int hist_sqlite_offline(const void *c)
{
	(void)c;
	return 0; /* a file is there or not: its errors are errors */
}

const struct hist_backend hist_sqlite = {
	.open = hist_sqlite_open,
	.load = hist_sqlite_load,
	.load_attempt = hist_sqlite_load_attempt,
	.load_keys = hist_sqlite_load_keys,
	.write = hist_sqlite_write,
	.query = hist_sqlite_query,
	.offline = hist_sqlite_offline,
	.close = hist_sqlite_close,
};
