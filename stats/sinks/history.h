/* history.h — the host history kept across runs in SQLite (--history FILE).
 *
 * Per server: first and last seen, connections, how often STARTTLS was
 * offered and used, EHLO accepted, TLS 1.3 negotiated, the TLS versions seen,
 * and the certificate keys (SPKI) it showed, each with first and last seen,
 * connections, validation and validity period; per client/server pair: the
 * last failed TLS attempt. Writes are grouped in
 * transactions (committed every HIST_BATCH records and at the end) on a WAL
 * journal, so a crash or a kill leaves the last committed state readable.
 * The schema is versioned; hist_open() migrates older files forward.
 *
 * Ownership: struct hist owns the connection and its statements.
 */
#ifndef SMTPTLS_HISTORY_H
#define SMTPTLS_HISTORY_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SCHEMA_VERSION 2
#define HIST_BATCH	    1000

/* The per-server values, in the order anomaly.c keeps them. */
enum hist_val {
	HIST_STARTTLS_OFFERED, /* connections whose EHLO reply listed STARTTLS */
	HIST_EHLO_ACCEPTED,    /* 250 replies to EHLO */
	HIST_TLS13,	       /* TLS 1.3 negotiated */
	HIST_FIRST_SEEN,       /* µs since the epoch, capture time */
	HIST_LAST_SEEN,
	HIST_CONNECTIONS,
	HIST_STARTTLS_USED, /* STARTTLS answered 220 */
	HIST_LOADED,	    /* in memory only: the row was read from the file */
	HIST_COUNT
};

struct hist;

/* Opens (creating or migrating) a history file. NULL with a message in err. */
struct hist *hist_open(const char *path, char *err, size_t errlen);

/* Reads a server's values into v (zeros when unknown). 1 found, 0 not, -1 error. */
int hist_load_server(struct hist *h, const char *server, uint64_t v[HIST_COUNT]);

/* Writes a server's values (absolute, not increments). 0 or -1. */
int hist_store_server(struct hist *h, const char *server, const uint64_t v[HIST_COUNT]);

/* Counts one more connection of server with TLS version `version`. */
int hist_add_version(struct hist *h, const char *server, const char *version);

/* One certificate key a server showed (table server_keys). */
struct hist_key {
	char spki[65];			/* SHA-256 of the SubjectPublicKeyInfo, hex */
	char validation[48];		/* of the last connection that showed it */
	uint64_t first_seen, last_seen; /* µs since the epoch, capture time */
};

/* Counts one connection of server showing the key spki (hex): first/last
 * seen widened to ts_us, validation and validity period (seconds since the
 * epoch) those of this connection. 0 or -1. */
int hist_add_key(struct hist *h, const char *server, const char *spki, uint64_t ts_us,
		 const char *validation, int64_t not_before, int64_t not_after);

/* The server's most recently seen keys, newest first, at most n. Returns how
 * many (0 when none) or -1. */
int hist_load_keys(struct hist *h, const char *server, struct hist_key *out, int n);

/* The last failed TLS attempt of a client/server pair (0 when none). */
int hist_load_attempt(struct hist *h, const char *pair, uint64_t *ts_us);
int hist_store_attempt(struct hist *h, const char *pair, uint64_t ts_us);

/* Marks the end of one record: commits every HIST_BATCH records. */
int hist_tick(struct hist *h);

/* Commits and closes; returns -1 when the final commit failed. */
int hist_close(struct hist *h);

/* `smtptls history FILE [--server IP]`: prints what the file knows. */
int hist_print(const char *path, const char *server, FILE *out, char *err, size_t errlen);

#endif
