/* history_pg.c — the history in a PostgreSQL database shared by several
 * sensors: the SQLite schema in PostgreSQL's words, created and migrated in
 * one transaction under an advisory lock (the version in schema_version),
 * each batch written as upserts whose counters add in the database, every
 * value a parameter. A lost connection is reset before the next batch; until
 * then the batches stay pending in history.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "stats/sinks/history_be.h"

#define HIST_PG_RETRY_US 1000000	       /* between two reconnections at most */
#define HIST_PG_TRIES	 3		       /* of a batch that meets a deadlock or a reset */
#define HIST_PG_LOCK	 "7403551530312049001" /* the advisory lock of the schema */

struct hist_pg_conn {
	PGconn *pg;
	int offline;	      /* the database could not be reached last time */
	uint64_t next_try_us; /* monotonic: no reconnection before */
	uint64_t written;     /* updates written since it came back */
};

#define HIST_PG_TEXT " text COLLATE \"C\" NOT NULL"
#define HIST_PG_INT  " bigint NOT NULL"
#define HIST_PG_COLS                                                                               \
	"first_seen" HIST_PG_INT ", last_seen" HIST_PG_INT ", connections" HIST_PG_INT             \
	", starttls_offered" HIST_PG_INT ", starttls_used" HIST_PG_INT                             \
	", ehlo_accepted" HIST_PG_INT ", tls13" HIST_PG_INT
#define HIST_PG_FLAP(t)                                                                            \
	"ALTER TABLE " t " ADD COLUMN tls_failed bigint NOT NULL DEFAULT 0, "                      \
	"ADD COLUMN starttls_returns bigint NOT NULL DEFAULT 0, "                                  \
	"ADD COLUMN tls_returns bigint NOT NULL DEFAULT 0, "                                       \
	"ADD COLUMN key_changes bigint NOT NULL DEFAULT 0;"

/* Migration i brings the schema from version i to i + 1 (the same steps as
 * the SQLite file's). */
static const char *const hist_pg_migrations[HIST_SCHEMA_VERSION] = {
	"CREATE TABLE servers (server" HIST_PG_TEXT " PRIMARY KEY, " HIST_PG_COLS ");"
	"CREATE TABLE server_versions (server" HIST_PG_TEXT ", version" HIST_PG_TEXT
	", connections" HIST_PG_INT ", PRIMARY KEY (server, version));"
	"CREATE TABLE attempts (pair" HIST_PG_TEXT " PRIMARY KEY, last_failed" HIST_PG_INT ");",
	"CREATE TABLE server_keys (server" HIST_PG_TEXT ", spki" HIST_PG_TEXT
	", first_seen" HIST_PG_INT ", last_seen" HIST_PG_INT ", connections" HIST_PG_INT
	", validation" HIST_PG_TEXT ", not_before bigint, not_after bigint,"
	" id bigint GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (server, spki));",
	HIST_PG_FLAP("servers") "CREATE TABLE pools (pool" HIST_PG_TEXT
				" PRIMARY KEY, " HIST_PG_COLS ");" HIST_PG_FLAP("pools"),
};

#define HIST_PG_UPSERT(t, k)                                                                       \
	"INSERT INTO " t " AS t (" k ", starttls_offered, ehlo_accepted, tls13, first_seen, "      \
	"last_seen, connections, starttls_used, tls_failed, starttls_returns, tls_returns, "       \
	"key_changes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "                 \
	"ON CONFLICT (" k ") DO UPDATE SET "                                                       \
	"starttls_offered = t.starttls_offered + excluded.starttls_offered, "                      \
	"ehlo_accepted = t.ehlo_accepted + excluded.ehlo_accepted, "                               \
	"tls13 = t.tls13 + excluded.tls13, "                                                       \
	"first_seen = least(t.first_seen, excluded.first_seen), "                                  \
	"last_seen = greatest(t.last_seen, excluded.last_seen), "                                  \
	"connections = t.connections + excluded.connections, "                                     \
	"starttls_used = t.starttls_used + excluded.starttls_used, "                               \
	"tls_failed = t.tls_failed + excluded.tls_failed, "                                        \
	"starttls_returns = t.starttls_returns + excluded.starttls_returns, "                      \
	"tls_returns = t.tls_returns + excluded.tls_returns, "                                     \
	"key_changes = t.key_changes + excluded.key_changes"
#define HIST_PG_SELECT(t, k)                                                                       \
	"SELECT starttls_offered, ehlo_accepted, tls13, first_seen, last_seen, connections, "      \
	"starttls_used, tls_failed, starttls_returns, tls_returns, key_changes FROM " t            \
	" WHERE " k " = $1"

/* by enum hist_op_kind */
static const char *const hist_pg_upserts[] = {
	HIST_PG_UPSERT("servers", "server"),
	HIST_PG_UPSERT("pools", "pool"),
	"INSERT INTO server_versions AS t (server, version, connections) VALUES ($1, $2, $3) "
	"ON CONFLICT (server, version) DO UPDATE SET connections = t.connections + "
	"excluded.connections",
	"INSERT INTO server_keys AS t (server, spki, first_seen, last_seen, connections, "
	"validation, not_before, not_after) VALUES ($1, $2, $8, $3, $7, $4, $5, $6) "
	"ON CONFLICT (server, spki) DO UPDATE SET "
	"validation = CASE WHEN excluded.last_seen > t.last_seen OR "
	"(excluded.last_seen = t.last_seen AND excluded.validation > t.validation) "
	"THEN excluded.validation ELSE t.validation END, "
	"not_before = CASE WHEN excluded.last_seen >= t.last_seen "
	"THEN excluded.not_before ELSE t.not_before END, "
	"not_after = CASE WHEN excluded.last_seen >= t.last_seen "
	"THEN excluded.not_after ELSE t.not_after END, "
	"first_seen = least(t.first_seen, excluded.first_seen), "
	"last_seen = greatest(t.last_seen, excluded.last_seen), "
	"connections = t.connections + excluded.connections",
	("INSERT INTO attempts AS t (pair, last_failed) VALUES ($1, $2) ON CONFLICT (pair) "
	 "DO UPDATE SET last_failed = greatest(t.last_failed, excluded.last_failed)"),
};

static uint64_t hist_pg_now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* A password in the connection string would show in the process list and
 * the shell's history: only a password file may hold it. */
static int hist_pg_check_spec(const char *spec, char *err, size_t errlen)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(spec, &msg);
	if (!opts) {
		snprintf(err, errlen, "%s", msg ? msg : "not a connection string");
		PQfreemem(msg);
		return -1;
	}
	int rc = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0]) {
			snprintf(err, errlen,
				 "a password in the connection string is refused: put it in a "
				 "password file (PGPASSFILE, ~/.pgpass or passfile=)");
			rc = -1;
		}
	PQconninfoFree(opts);
	return rc;
}

/* Whether spec may connect over TCP/IP: a host or hostaddr that is not a
 * socket directory, PGHOST naming one, or a service (whose file says). */
int hist_pg_remote(const char *spec)
{
	if (strncmp(spec, "service=", 8) == 0 || getenv("PGSERVICE") || getenv("PGHOSTADDR"))
		return 1;
	PQconninfoOption *opts = PQconninfoParse(spec, NULL);
	if (!opts)
		return 1;
	const char *host = NULL;
	int remote = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !o->val[0])
			continue;
		if (strcmp(o->keyword, "hostaddr") == 0 || strcmp(o->keyword, "service") == 0)
			remote = 1;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
	}
	if (!host)
		host = getenv("PGHOST");
	/* every host of a list must be a socket directory ('/...', '@...') */
	for (const char *h = host; h && *h && !remote; h = strchr(h, ',') ? strchr(h, ',') + 1 : "")
		remote = *h != '/' && *h != '@';
	PQconninfoFree(opts);
	return remote;
}

/* Runs a statement without parameters; 0 when it returned status ok. */
static int hist_pg_exec(PGconn *pg, const char *sql, ExecStatusType ok, char *err, size_t errlen)
{
	PGresult *r = PQexec(pg, sql);
	int rc = PQresultStatus(r) == ok ? 0 : -1;
	if (rc && err)
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
	PQclear(r);
	return rc;
}

/* The schema version: 0 when there is no schema_version table yet. */
static int hist_pg_version(PGconn *pg, char *err, size_t errlen)
{
	PGresult *r = PQexec(pg, "SELECT to_regclass('schema_version') IS NULL");
	int v = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		int absent = PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
		if (absent)
			return 0;
		r = PQexec(pg, "SELECT coalesce(max(version), 0) FROM schema_version");
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			v = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
	}
	if (v < 0)
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
	PQclear(r);
	return v;
}

/* Creates or migrates the schema in one transaction that holds the advisory
 * lock of the schema: a concurrent creator has either committed (and the
 * version says so) or not begun. The tables are only created when missing,
 * so a role without CREATE works on tables an administrator made. */
static int hist_pg_migrate(PGconn *pg, char *err, size_t errlen)
{
	if (hist_pg_exec(pg, "BEGIN", PGRES_COMMAND_OK, err, errlen) != 0 ||
	    hist_pg_exec(pg, "SELECT pg_advisory_xact_lock(" HIST_PG_LOCK ")", PGRES_TUPLES_OK, err,
			 errlen) != 0)
		goto fail;
	int v = hist_pg_version(pg, err, errlen);
	if (v < 0)
		goto fail;
	if (v > HIST_SCHEMA_VERSION) {
		snprintf(err, errlen, "written by a newer smtptls (schema %d, this one knows %d)",
			 v, HIST_SCHEMA_VERSION);
		goto fail;
	}
	if (v < HIST_SCHEMA_VERSION) {
		if (v == 0 && hist_pg_exec(pg,
					   "CREATE TABLE IF NOT EXISTS schema_version "
					   "(version integer NOT NULL)",
					   PGRES_COMMAND_OK, err, errlen) != 0)
			goto fail;
		for (int i = v; i < HIST_SCHEMA_VERSION; i++)
			if (hist_pg_exec(pg, hist_pg_migrations[i], PGRES_COMMAND_OK, err,
					 errlen) != 0)
				goto fail;
		char n[16];
		snprintf(n, sizeof(n), "%d", HIST_SCHEMA_VERSION);
		const char *p[1] = {n};
		PGresult *r =
			PQexecParams(pg,
				     "WITH d AS (DELETE FROM schema_version) "
				     "INSERT INTO schema_version (version) VALUES ($1::integer)",
				     1, NULL, p, NULL, NULL, 0);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!ok) {
			snprintf(err, errlen, "%s", PQerrorMessage(pg));
			goto fail;
		}
	}
	if (hist_pg_exec(pg, "COMMIT", PGRES_COMMAND_OK, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	hist_pg_exec(pg, "ROLLBACK", PGRES_COMMAND_OK, NULL, 0);
	return -1;
}

static void hist_pg_close(void *c)
{
	struct hist_pg_conn *p = c;
	if (!p)
		return;
	PQfinish(p->pg);
	free(p);
}

static void *hist_pg_open(const char *spec, enum hist_mode mode, int *version, char *err,
			  size_t errlen)
{
	char msg[384];
	struct hist_pg_conn *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (hist_pg_check_spec(spec, msg, sizeof(msg)) != 0)
		goto fail;
	p->pg = PQconnectdb(spec);
	if (!p->pg || PQstatus(p->pg) != CONNECTION_OK) {
		snprintf(msg, sizeof(msg), "%s", p->pg ? PQerrorMessage(p->pg) : "out of memory");
		goto fail;
	}
	if (PQsetClientEncoding(p->pg, "UTF8") != 0) {
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(p->pg));
		goto fail;
	}
	if (mode == HIST_RW) {
		if (hist_pg_migrate(p->pg, msg, sizeof(msg)) != 0)
			goto fail;
		*version = HIST_SCHEMA_VERSION;
	} else {
		*version = hist_pg_version(p->pg, msg, sizeof(msg));
		if (*version < 1 || *version > HIST_SCHEMA_VERSION) {
			if (*version >= 0)
				snprintf(msg, sizeof(msg), "not an smtptls history (schema %d)",
					 *version);
			goto fail;
		}
	}
	return p;
fail:
	/* the message names the database by libpq's words, never by the
	 * connection string (a password file may be named there) */
	msg[strcspn(msg, "\n")] = '\0';
	snprintf(err, errlen, "PostgreSQL: %s", msg);
	hist_pg_close(p);
	return NULL;
}

/* Whether the connection can be used; a lost one is reset (at most once
 * per HIST_PG_RETRY_US unless now is set). The sensor's log says when the
 * database goes and comes back. */
static int hist_pg_ready(struct hist_pg_conn *p, int now)
{
	if (PQstatus(p->pg) == CONNECTION_OK)
		return 0;
	if (!now && hist_pg_now_us() < p->next_try_us)
		return -1;
	PQreset(p->pg);
	if (PQstatus(p->pg) == CONNECTION_OK && PQsetClientEncoding(p->pg, "UTF8") == 0)
		return 0;
	p->next_try_us = hist_pg_now_us() + HIST_PG_RETRY_US;
	if (!p->offline) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(p->pg));
		msg[strcspn(msg, "\n")] = '\0';
		fprintf(stderr,
			"smtptls: history: PostgreSQL unreachable (%s): updates kept in memory "
			"(at most %d) until it comes back\n",
			msg, HIST_PENDING_MAX);
		p->offline = 1;
	}
	return -1;
}

static void hist_pg_lost(struct hist_pg_conn *p)
{
	if (PQstatus(p->pg) != CONNECTION_OK)
		hist_pg_ready(p, 1);
}

/* Strings go to the database as parameters; bytes that are not UTF-8 (a
 * database in UTF8 would refuse the whole batch) are written as \xHH. */
static const char *hist_pg_text(const char *s, char *buf, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (u[i]) {
		int n = u[i] < 0x80		? 1
			: (u[i] & 0xe0) == 0xc0 ? 2
			: (u[i] & 0xf0) == 0xe0 ? 3
			: (u[i] & 0xf8) == 0xf0 ? 4
						: 0;
		for (int k = 1; k < n; k++)
			if ((u[i + (size_t)k] & 0xc0) != 0x80)
				n = 0;
		if (!n)
			break;
		i += (size_t)n;
	}
	if (!u[i])
		return s;
	size_t o = 0;
	for (i = 0; u[i] && o + 5 < len; i++) {
		if (u[i] < 0x80)
			buf[o++] = (char)u[i];
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", u[i]);
	}
	buf[o] = '\0';
	return buf;
}

static int hist_pg_load(void *c, int table, const char *key, uint64_t v[HIST_COUNT])
{
	static const char *const sql[2] = {HIST_PG_SELECT("servers", "server"),
					   HIST_PG_SELECT("pools", "pool")};
	struct hist_pg_conn *p = c;
	char buf[1024];
	memset(v, 0, sizeof(uint64_t) * HIST_COUNT);
	if (hist_pg_ready(p, 0) != 0)
		return -1;
	const char *param[1] = {hist_pg_text(key, buf, sizeof(buf))};
	PGresult *r = PQexecParams(p->pg, sql[table ? 1 : 0], 1, NULL, param, NULL, NULL, 0);
	int rc = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		rc = PQntuples(r) > 0;
		for (int i = 0; rc && i < 11; i++)
			v[hist_cols[i]] = (uint64_t)strtoll(PQgetvalue(r, 0, i), NULL, 10);
	}
	PQclear(r);
	if (rc < 0)
		hist_pg_lost(p);
	return rc;
}

static int hist_pg_load_attempt(void *c, const char *pair, uint64_t *ts_us)
{
	struct hist_pg_conn *p = c;
	char buf[1024];
	*ts_us = 0;
	if (hist_pg_ready(p, 0) != 0)
		return -1;
	const char *param[1] = {hist_pg_text(pair, buf, sizeof(buf))};
	PGresult *r = PQexecParams(p->pg, "SELECT last_failed FROM attempts WHERE pair = $1", 1,
				   NULL, param, NULL, NULL, 0);
	int rc = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		rc = PQntuples(r) > 0;
		if (rc)
			*ts_us = (uint64_t)strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	}
	PQclear(r);
	if (rc < 0)
		hist_pg_lost(p);
	return rc;
}

static int hist_pg_load_keys(void *c, const char *server, struct hist_key *out, int n)
{
	struct hist_pg_conn *p = c;
	char buf[1024], lim[16];
	if (hist_pg_ready(p, 0) != 0)
		return -1;
	snprintf(lim, sizeof(lim), "%d", n);
	const char *param[2] = {hist_pg_text(server, buf, sizeof(buf)), lim};
	PGresult *r =
		PQexecParams(p->pg,
			     "SELECT spki, validation, first_seen, last_seen FROM server_keys "
			     "WHERE server = $1 ORDER BY last_seen DESC, id DESC LIMIT $2",
			     2, NULL, param, NULL, NULL, 0);
	int k = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		for (k = 0; k < n && k < PQntuples(r); k++) {
			snprintf(out[k].spki, sizeof(out[k].spki), "%s", PQgetvalue(r, k, 0));
			snprintf(out[k].validation, sizeof(out[k].validation), "%s",
				 PQgetvalue(r, k, 1));
			out[k].first_seen = (uint64_t)strtoll(PQgetvalue(r, k, 2), NULL, 10);
			out[k].last_seen = (uint64_t)strtoll(PQgetvalue(r, k, 3), NULL, 10);
		}
	}
	PQclear(r);
	if (k < 0)
		hist_pg_lost(p);
	return k;
}

/* One update, inside the batch's transaction. */
static int hist_pg_apply(PGconn *pg, const struct hist_op *o)
{
	char num[12][24], kb[1024], sb[512], vb[256];
	const char *param[12] = {hist_pg_text(o->key, kb, sizeof(kb))};
	int n = 1;
	switch (o->kind) {
	case HIST_OP_SERVER:
	case HIST_OP_POOL:
		for (int i = 0; i < 11; i++) {
			snprintf(num[i], sizeof(num[i]), "%lld", (long long)o->d[hist_cols[i]]);
			param[n++] = num[i];
		}
		break;
	case HIST_OP_VERSION:
		param[n++] = hist_pg_text(o->sub, sb, sizeof(sb));
		snprintf(num[0], sizeof(num[0]), "%lld", (long long)o->d[HIST_CONNECTIONS]);
		param[n++] = num[0];
		break;
	case HIST_OP_KEY:
		param[n++] = hist_pg_text(o->sub, sb, sizeof(sb));
		snprintf(num[0], sizeof(num[0]), "%lld", (long long)o->d[HIST_LAST_SEEN]);
		param[n++] = num[0];
		param[n++] = hist_pg_text(o->validation, vb, sizeof(vb));
		snprintf(num[1], sizeof(num[1]), "%lld", (long long)o->not_before);
		snprintf(num[2], sizeof(num[2]), "%lld", (long long)o->not_after);
		param[n++] = o->not_before || o->not_after ? num[1] : NULL;
		param[n++] = o->not_before || o->not_after ? num[2] : NULL;
		snprintf(num[3], sizeof(num[3]), "%lld", (long long)o->d[HIST_CONNECTIONS]);
		snprintf(num[4], sizeof(num[4]), "%lld", (long long)o->d[HIST_FIRST_SEEN]);
		param[n++] = num[3];
		param[n++] = num[4];
		break;
	default: /* HIST_OP_ATTEMPT */
		snprintf(num[0], sizeof(num[0]), "%lld", (long long)o->d[HIST_LAST_SEEN]);
		param[n++] = num[0];
		break;
	}
	PGresult *r = PQexecParams(pg, hist_pg_upserts[o->kind], n, NULL, param, NULL, NULL, 0);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
	PQclear(r);
	return rc;
}

/* Rows are locked in one order by every sensor (kind, key, sub), so that two
 * batches touching the same rows wait for each other, never deadlock. */
static int hist_pg_cmp(const void *a, const void *b)
{
	const struct hist_op *x = *(const struct hist_op *const *)a;
	const struct hist_op *y = *(const struct hist_op *const *)b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->sub, y->sub);
}

/* One try of the batch: 0, 1 to try again (deadlock, serialization, a
 * connection reset), -1 failed. */
static int hist_pg_batch(struct hist_pg_conn *p, const struct hist_op *ops, size_t n)
{
	if (hist_pg_exec(p->pg, "BEGIN", PGRES_COMMAND_OK, NULL, 0) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (hist_pg_apply(p->pg, &ops[i]) != 0)
			goto fail;
	if (hist_pg_exec(p->pg, "COMMIT", PGRES_COMMAND_OK, NULL, 0) != 0)
		goto fail;
	return 0;
fail:;
	if (PQstatus(p->pg) != CONNECTION_OK)
		return 1;
	PGresult *r = PQexec(p->pg, "ROLLBACK");
	PQclear(r);
	const char *e = PQerrorMessage(p->pg);
	return strstr(e, "deadlock") || strstr(e, "serializ") ? 1 : -1;
}

/* Folds o into the update m of the same row, as the upsert would: counters
 * add, times widen, a key's validation and validity are the latest's. */
static void hist_pg_merge(struct hist_op *m, const struct hist_op *o)
{
	int later = o->d[HIST_LAST_SEEN] >= m->d[HIST_LAST_SEEN];
	if (o->kind == HIST_OP_KEY && (o->d[HIST_LAST_SEEN] > m->d[HIST_LAST_SEEN] ||
				       (o->d[HIST_LAST_SEEN] == m->d[HIST_LAST_SEEN] &&
					strcmp(o->validation, m->validation) > 0)))
		memcpy(m->validation, o->validation, sizeof(m->validation));
	if (o->kind == HIST_OP_KEY && later) {
		m->not_before = o->not_before;
		m->not_after = o->not_after;
	}
	for (int i = 0; i < HIST_COUNT; i++)
		if (i == HIST_FIRST_SEEN)
			m->d[i] = o->d[i] < m->d[i] ? o->d[i] : m->d[i];
		else if (i == HIST_LAST_SEEN)
			m->d[i] = o->d[i] > m->d[i] ? o->d[i] : m->d[i];
		else if (o->kind != HIST_OP_ATTEMPT)
			m->d[i] += o->d[i];
}

/* The batch sorted by row and folded to one update per row: a server met a
 * thousand times in a batch is one statement. Returns how many, or 0 when
 * out of memory. */
static size_t hist_pg_fold(const struct hist_op *ops, size_t n, struct hist_op *out)
{
	const struct hist_op **sorted = malloc(n * sizeof(*sorted));
	size_t k = 0;
	if (!sorted)
		return 0;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &ops[i];
	qsort(sorted, n, sizeof(*sorted), hist_pg_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct hist_op *last = k ? &out[k - 1] : NULL;
		if (last && hist_pg_cmp(&sorted[i], &last) == 0)
			hist_pg_merge(&out[k - 1], sorted[i]);
		else
			out[k++] = *sorted[i];
	}
	free(sorted);
	return k;
}

static int hist_pg_write(void *c, const struct hist_op *ops, size_t n)
{
	struct hist_pg_conn *p = c;
	struct hist_op *rows = malloc(n * sizeof(*rows));
	size_t k = rows ? hist_pg_fold(ops, n, rows) : 0;
	int rc = -1;
	if (!k) {
		free(rows);
		return -1;
	}
	for (int t = 0; t < HIST_PG_TRIES && rc != 0; t++) {
		if (hist_pg_ready(p, t > 0) != 0)
			break;
		rc = hist_pg_batch(p, rows, k);
		if (rc < 0)
			break;
	}
	free(rows);
	if (rc != 0) {
		hist_pg_lost(p);
		return -1;
	}
	if (p->offline) {
		fprintf(stderr,
			"smtptls: history: PostgreSQL reachable again: %zu updates written\n", n);
		p->offline = 0;
	}
	return 0;
}

static int hist_pg_query(void *c, const char *sql, hist_row_fn fn, void *ctx, char *err,
			 size_t errlen)
{
	struct hist_pg_conn *p = c;
	PGresult *r = PQexec(p->pg, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(p->pg));
		err[strcspn(err, "\n")] = '\0';
		PQclear(r);
		return -1;
	}
	int n = PQnfields(r), rc = 0;
	const char *vals[24];
	if (n > 24)
		n = 24;
	for (int row = 0; rc == 0 && row < PQntuples(r); row++) {
		for (int i = 0; i < n; i++)
			vals[i] = PQgetisnull(r, row, i) ? NULL : PQgetvalue(r, row, i);
		rc = fn(ctx, n, vals);
	}
	PQclear(r);
	return rc;
}

static int hist_pg_offline(const void *c)
{
	const struct hist_pg_conn *p = c;
	return p->offline;
}

const struct hist_backend hist_pg = {
	.open = hist_pg_open,
	.load = hist_pg_load,
	.load_attempt = hist_pg_load_attempt,
	.load_keys = hist_pg_load_keys,
	.write = hist_pg_write,
	.query = hist_pg_query,
	.offline = hist_pg_offline,
	.close = hist_pg_close,
};
