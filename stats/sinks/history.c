/* history.c — host history in SQLite (WAL, batched transactions, versioned
 * schema with forward migrations). */
#include "stats/sinks/history.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "stats/record/record.h"

enum {
	HIST_GET_SERVER,
	HIST_PUT_SERVER,
	HIST_ADD_VERSION,
	HIST_GET_ATTEMPT,
	HIST_PUT_ATTEMPT,
	HIST_ADD_KEY,
	HIST_GET_KEYS,
	HIST_NSTMT
};

struct hist {
	sqlite3 *db;
	sqlite3_stmt *st[HIST_NSTMT];
	unsigned pending; /* records since the last commit */
	int in_tx;
};

/* Migration i brings the schema from version i to i + 1. */
static const char *const hist_migrations[HIST_SCHEMA_VERSION] = {
	"CREATE TABLE servers ("
	"  server TEXT PRIMARY KEY,"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	"  connections INTEGER NOT NULL, starttls_offered INTEGER NOT NULL,"
	"  starttls_used INTEGER NOT NULL, ehlo_accepted INTEGER NOT NULL,"
	"  tls13 INTEGER NOT NULL);"
	"CREATE TABLE server_versions ("
	"  server TEXT NOT NULL, version TEXT NOT NULL, connections INTEGER NOT NULL,"
	"  PRIMARY KEY (server, version));"
	"CREATE TABLE attempts (pair TEXT PRIMARY KEY, last_failed INTEGER NOT NULL);",
	/* 1 -> 2: the certificate keys each server showed */
	"CREATE TABLE server_keys ("
	"  server TEXT NOT NULL, spki TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	"  connections INTEGER NOT NULL, validation TEXT NOT NULL,"
	"  not_before INTEGER, not_after INTEGER,"
	"  PRIMARY KEY (server, spki));",
};

static int hist_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
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

static int hist_migrate(sqlite3 *db, char *err, size_t errlen)
{
	int v = hist_version(db);
	if (v < 0) {
		snprintf(err, errlen, "not an SQLite database: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (v > HIST_SCHEMA_VERSION) {
		snprintf(err, errlen, "written by a newer smtptls (schema %d, this one knows %d)",
			 v, HIST_SCHEMA_VERSION);
		return -1;
	}
	for (; v < HIST_SCHEMA_VERSION; v++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (hist_exec(db, "BEGIN IMMEDIATE", err, errlen) != 0)
			return -1;
		if (hist_exec(db, hist_migrations[v], err, errlen) != 0 ||
		    hist_exec(db, sql, err, errlen) != 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (hist_exec(db, "COMMIT", err, errlen) != 0)
			return -1;
	}
	return 0;
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
	sqlite3_busy_timeout(h->db, 5000);
	char msg[256];
	if (hist_exec(h->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", msg,
		      sizeof(msg)) != 0 ||
	    hist_migrate(h->db, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	static const char *const sql[HIST_NSTMT] = {
		[HIST_GET_SERVER] = "SELECT starttls_offered, ehlo_accepted, tls13, first_seen, "
				    "last_seen, connections, starttls_used FROM servers "
				    "WHERE server = ?1",
		[HIST_PUT_SERVER] =
			"INSERT INTO servers (server, starttls_offered, ehlo_accepted, tls13, "
			"first_seen, last_seen, connections, starttls_used) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
			"ON CONFLICT(server) DO UPDATE SET starttls_offered = ?2, "
			"ehlo_accepted = ?3, tls13 = ?4, first_seen = ?5, last_seen = ?6, "
			"connections = ?7, starttls_used = ?8",
		[HIST_ADD_VERSION] = "INSERT INTO server_versions (server, version, connections) "
				     "VALUES (?1, ?2, 1) ON CONFLICT(server, version) "
				     "DO UPDATE SET connections = connections + 1",
		[HIST_GET_ATTEMPT] = "SELECT last_failed FROM attempts WHERE pair = ?1",
		[HIST_PUT_ATTEMPT] = "INSERT INTO attempts (pair, last_failed) VALUES (?1, ?2) "
				     "ON CONFLICT(pair) DO UPDATE SET last_failed = ?2",
		[HIST_ADD_KEY] =
			"INSERT INTO server_keys (server, spki, first_seen, last_seen, "
			"connections, validation, not_before, not_after) "
			"VALUES (?1, ?2, ?3, ?3, 1, ?4, ?5, ?6) "
			"ON CONFLICT(server, spki) DO UPDATE SET "
			"first_seen = min(first_seen, ?3), last_seen = max(last_seen, ?3), "
			"connections = connections + 1, validation = ?4, not_before = ?5, "
			"not_after = ?6",
		[HIST_GET_KEYS] = "SELECT spki, validation, first_seen, last_seen FROM server_keys "
				  "WHERE server = ?1 ORDER BY last_seen DESC, rowid DESC LIMIT ?2",
	};
	for (int i = 0; i < HIST_NSTMT; i++)
		if (sqlite3_prepare_v2(h->db, sql[i], -1, &h->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(h->db));
			goto fail;
		}
	return h;
fail:
	hist_close(h);
	return NULL;
}

static int hist_begin(struct hist *h)
{
	if (h->in_tx)
		return 0;
	if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	h->in_tx = 1;
	return 0;
}

int hist_load_server(struct hist *h, const char *server, uint64_t v[HIST_COUNT])
{
	memset(v, 0, sizeof(uint64_t) * HIST_COUNT);
	sqlite3_stmt *st = h->st[HIST_GET_SERVER];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, server, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	static const int order[7] = {HIST_STARTTLS_OFFERED, HIST_EHLO_ACCEPTED, HIST_TLS13,
				     HIST_FIRST_SEEN,	    HIST_LAST_SEEN,	HIST_CONNECTIONS,
				     HIST_STARTTLS_USED};
	for (int i = 0; i < 7; i++)
		v[order[i]] = (uint64_t)sqlite3_column_int64(st, i);
	return 1;
}

int hist_store_server(struct hist *h, const char *server, const uint64_t v[HIST_COUNT])
{
	if (hist_begin(h) != 0)
		return -1;
	sqlite3_stmt *st = h->st[HIST_PUT_SERVER];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, server, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)v[HIST_STARTTLS_OFFERED]);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)v[HIST_EHLO_ACCEPTED]);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)v[HIST_TLS13]);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)v[HIST_FIRST_SEEN]);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)v[HIST_LAST_SEEN]);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)v[HIST_CONNECTIONS]);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)v[HIST_STARTTLS_USED]);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

int hist_add_version(struct hist *h, const char *server, const char *version)
{
	if (hist_begin(h) != 0)
		return -1;
	sqlite3_stmt *st = h->st[HIST_ADD_VERSION];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, server, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_TRANSIENT);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

int hist_load_attempt(struct hist *h, const char *pair, uint64_t *ts_us)
{
	*ts_us = 0;
	sqlite3_stmt *st = h->st[HIST_GET_ATTEMPT];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, pair, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ts_us = (uint64_t)sqlite3_column_int64(st, 0);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

int hist_store_attempt(struct hist *h, const char *pair, uint64_t ts_us)
{
	if (hist_begin(h) != 0)
		return -1;
	sqlite3_stmt *st = h->st[HIST_PUT_ATTEMPT];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, pair, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ts_us);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

int hist_add_key(struct hist *h, const char *server, const char *spki, uint64_t ts_us,
		 const char *validation, int64_t not_before, int64_t not_after)
{
	if (hist_begin(h) != 0)
		return -1;
	sqlite3_stmt *st = h->st[HIST_ADD_KEY];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, server, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, spki, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)ts_us);
	sqlite3_bind_text(st, 4, validation, -1, SQLITE_TRANSIENT);
	if (not_before || not_after) {
		sqlite3_bind_int64(st, 5, not_before);
		sqlite3_bind_int64(st, 6, not_after);
	} else {
		sqlite3_bind_null(st, 5);
		sqlite3_bind_null(st, 6);
	}
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
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
	if (k < n && rc != SQLITE_DONE)
		return -1;
	return k;
}

int hist_tick(struct hist *h)
{
	if (++h->pending < HIST_BATCH || !h->in_tx)
		return 0;
	h->pending = 0;
	h->in_tx = 0;
	return sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int hist_close(struct hist *h)
{
	int rc = 0;
	if (!h)
		return 0;
	if (h->in_tx && sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = -1;
	for (int i = 0; i < HIST_NSTMT; i++)
		sqlite3_finalize(h->st[i]);
	if (h->db)
		sqlite3_close(h->db);
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
