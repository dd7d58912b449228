/* history_be.h — what a history backend (SQLite, PostgreSQL) provides to
 * history.c, which keeps the pending updates, the batches and the health
 * counters the same for both.
 *
 * Ownership: a backend's connection (the void * its open returns) owns its
 * database handle and statements; the updates it writes stay the caller's.
 */
#ifndef SMTPTLS_HISTORY_BE_H
#define SMTPTLS_HISTORY_BE_H

#include <stddef.h>
#include <stdint.h>

#include "stats/sinks/history.h"

/* One pending update. */
enum hist_op_kind { HIST_OP_SERVER, HIST_OP_POOL, HIST_OP_VERSION, HIST_OP_KEY, HIST_OP_ATTEMPT };

struct hist_op {
	uint8_t kind;	     /* enum hist_op_kind */
	char key[200];	     /* server, pool or client>server pair */
	char sub[72];	     /* version or key (SPKI hex) */
	char validation[48]; /* HIST_OP_KEY */
	uint64_t d[HIST_COUNT];
	int64_t not_before, not_after; /* HIST_OP_KEY; both 0: unknown */
};

/* A row of a query, its columns as text (NULL for an SQL NULL). 0 goes on,
 * anything else stops the query and is returned. */
typedef int (*hist_row_fn)(void *ctx, int ncols, const char *const *vals);

enum hist_mode { HIST_RW, HIST_RO }; /* HIST_RO: never created nor migrated */

struct hist_backend {
	/* Connects (and in HIST_RW creates or migrates the schema); NULL with
	 * a message in err. *version: the schema version found. */
	void *(*open)(const char *spec, enum hist_mode mode, int *version, char *err,
		      size_t errlen);
	/* table 0 servers, 1 pools: 1 found, 0 not, -1 error */
	int (*load)(void *c, int table, const char *key, uint64_t v[HIST_COUNT]);
	int (*load_attempt)(void *c, const char *pair, uint64_t *ts_us);
	int (*load_keys)(void *c, const char *server, struct hist_key *out, int n);
	/* Writes n updates in one transaction: 0, or -1 when none was written. */
	int (*write)(void *c, const struct hist_op *ops, size_t n);
	/* Runs a constant query (no parameter), calling fn for each row. */
	int (*query)(void *c, const char *sql, hist_row_fn fn, void *ctx, char *err, size_t errlen);
	/* 1 while the database cannot be reached (its reads fail then) */
	int (*offline)(const void *c);
	void (*close)(void *c);
};

extern const struct hist_backend hist_sqlite;
extern const struct hist_backend hist_pg;

/* Whether spec names a PostgreSQL database (postgresql://, postgres://,
 * service=NAME) rather than an SQLite file. */
int hist_is_pg(const char *spec);

/* history_pg.c: whether a PostgreSQL spec may connect over TCP/IP. */
int hist_pg_remote(const char *spec);

/* The order of the counter columns in the servers and pools statements. */
extern const int hist_cols[11];

#endif
