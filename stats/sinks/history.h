/* history.h — the host history kept across runs (--history FILE|URI): in an
 * SQLite file, or in a PostgreSQL database shared by several sensors
 * (postgresql://..., postgres://..., service=NAME; history_pg.c).
 *
 * Per server: first and last seen, connections, how often STARTTLS was
 * offered and used, EHLO accepted, TLS 1.3 negotiated, the TLS versions seen,
 * and the certificate keys (SPKI) it showed, each with first and last seen,
 * connections, validation and validity period; per client/server pair: the
 * last failed TLS attempt; per pool (servers on one /24 or /64, or behind
 * one MX name) the same counters, so that a pool that flaps is known as one.
 *
 * Several processes may write one file at once (analyze runs, live sensors):
 * every update is an increment (counters add, first seen takes the minimum,
 * last seen the maximum), kept in memory and written in one short
 * transaction per batch (every HIST_BATCH records, every HIST_FLUSH_US of
 * wall time, and at the end) on a WAL journal, so what several writers leave
 * is what one writer reading all their inputs in turn would leave. BEGIN and
 * COMMIT wait for a busy file (busy timeout, then retries); a batch that
 * still cannot be written (the disk is full) is counted, kept (at most
 * HIST_PENDING_MAX updates, further ones dropped and counted past that) and
 * tried again with the next batch. Schema creation and migration run in an
 * exclusive transaction that reads the schema version inside it, so
 * concurrent creators of a new file take turns.
 *
 * PostgreSQL: the same tables, created and migrated in one transaction
 * under an advisory lock with a schema_version table; the same upserts,
 * counters added in the database; a database that cannot be reached keeps
 * the updates pending as above (bounded, counted) and is reconnected before
 * each later batch. The values of the servers a run meets are read once
 * and kept in the detectors' bounded table (anomaly.c); reads of servers and
 * pools go through a bounded cache (HIST_CACHE_SLOTS, history.c) forgotten
 * after each written batch, so that a server the table cannot hold costs one
 * round trip per batch, not per record.
 *
 * Ownership: struct hist owns the connection, its statements and the
 * pending updates.
 */
#ifndef SMTPTLS_HISTORY_H
#define SMTPTLS_HISTORY_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SCHEMA_VERSION 3
#define HIST_BATCH	    1000
#define HIST_FLUSH_US	    1000000 /* wall time between two batches at most */
#define HIST_PENDING_MAX    16384   /* updates kept while the file refuses writes */

/* The per-server values, in the order anomaly.c keeps them. */
enum hist_val {
	HIST_STARTTLS_OFFERED, /* connections whose EHLO reply listed STARTTLS */
	HIST_EHLO_ACCEPTED,    /* 250 replies to EHLO */
	HIST_TLS13,	       /* TLS 1.3 negotiated */
	HIST_FIRST_SEEN,       /* µs since the epoch, capture time */
	HIST_LAST_SEEN,
	HIST_CONNECTIONS,
	HIST_STARTTLS_USED, /* STARTTLS answered 220 */
	/* what tells a flapping server from a consistent one (schema 3) */
	HIST_TLS_FAILED,       /* STARTTLS refused or failed, implicit TLS failed */
	HIST_STARTTLS_RETURNS, /* STARTTLS offered again right after a connection
				 * whose EHLO reply lacked it */
	HIST_TLS_RETURNS,      /* TLS worked right after a connection where it failed */
	HIST_KEY_CHANGES,      /* a key other than the one of the connection before */
	HIST_LOADED,	       /* in memory only: the row was read from the file */
	HIST_COUNT
};

struct hist;

/* Opens (creating or migrating) a history file. NULL with a message in err. */
struct hist *hist_open(const char *spec, char *err, size_t errlen);

/* Reads a server's values into v (zeros when unknown), as the file holds
 * them (updates still pending are not included). 1 found, 0 not, -1 error.
 * A database that cannot be reached answers 0 (counted in offline_reads):
 * the run goes on with what it learns itself. */
int hist_load_server(struct hist *h, const char *server, uint64_t v[HIST_COUNT]);

/* The same for a pool ("net 192.0.2.0/24:25", "name mx.example:25"). */
int hist_load_pool(struct hist *h, const char *pool, uint64_t v[HIST_COUNT]);

/* Adds d to a server's values: the counters are increments, HIST_FIRST_SEEN
 * and HIST_LAST_SEEN timestamps (the file keeps the smallest and largest).
 * Pending until the next batch. 0, or -1 when the update had to be dropped. */
int hist_add_server(struct hist *h, const char *server, const uint64_t d[HIST_COUNT]);

/* The same for a pool. */
int hist_add_pool(struct hist *h, const char *pool, const uint64_t d[HIST_COUNT]);

/* Counts one more connection of server with TLS version `version`. */
int hist_add_version(struct hist *h, const char *server, const char *version);

/* One certificate key a server showed (table server_keys). */
struct hist_key {
	char spki[65];			/* SHA-256 of the SubjectPublicKeyInfo, hex */
	char validation[48];		/* of the last connection that showed it */
	uint64_t first_seen, last_seen; /* µs since the epoch, capture time */
};

/* Counts one connection of server showing the key spki (hex): first/last
 * seen widened to ts_us; validation and validity period (seconds since the
 * epoch) those of the latest connection that showed it. 0 or -1. */
int hist_add_key(struct hist *h, const char *server, const char *spki, uint64_t ts_us,
		 const char *validation, int64_t not_before, int64_t not_after);

/* The server's most recently seen keys, newest first, at most n. Returns how
 * many (0 when none) or -1. */
int hist_load_keys(struct hist *h, const char *server, struct hist_key *out, int n);

/* The last failed TLS attempt of a client/server pair (0 when none); the
 * store keeps the latest of the stored and the given time. */
int hist_load_attempt(struct hist *h, const char *pair, uint64_t *ts_us);
int hist_store_attempt(struct hist *h, const char *pair, uint64_t ts_us);

/* Marks the end of one record: writes the pending updates every HIST_BATCH
 * records or HIST_FLUSH_US. 0, or -1 when that batch could not be written
 * (its updates stay pending). */
int hist_tick(struct hist *h);

/* Writes the pending updates when HIST_FLUSH_US has passed since the last
 * batch (a sensor calls it while no record arrives). 0 or -1. */
int hist_poll(struct hist *h);

/* Writes the pending updates now. 0 or -1 (they stay pending). */
int hist_flush(struct hist *h);

/* What could not be written (the statistics' health.history). */
struct hist_health {
	uint64_t write_failures; /* batches that could not be written (retried later) */
	uint64_t updates_lost;	 /* updates dropped: HIST_PENDING_MAX full, or at close */
	uint64_t pending;	 /* updates not written yet */
	uint64_t offline_reads;	 /* reads answered "unknown": the database was unreachable */
	uint64_t unreachable;	 /* 1 while the database cannot be reached (PostgreSQL) */
};
void hist_health(const struct hist *h, struct hist_health *out);

/* Writes what is pending (with retries) and closes; returns -1 when updates
 * were lost (counted in updates_lost of *last, which may be NULL). */
int hist_close(struct hist *h, struct hist_health *last);

/* Whether the history spec names a database reached over TCP/IP (a
 * PostgreSQL host that is not a socket directory, or a service): the
 * sandbox must then let the connection be made again after an outage. */
int hist_needs_network(const char *spec);

/* `smtptls history FILE|URI [--server IP]`: prints what the history knows. */
int hist_print(const char *spec, const char *server, FILE *out, char *err, size_t errlen);

/* `smtptls history FILE|URI --export OUT`: the whole history as JSON Lines
 * (a header line {"smtptls_history":3}, then one object per row with its
 * "table" and columns). 0 or -1 with a message in err. */
int hist_export(const char *spec, FILE *out, char *err, size_t errlen);

/* `--import IN`: adds an export to a history (created when new): counters
 * add, times widen, as if the runs that made it had written there too. */
int hist_import(const char *spec, FILE *in, char *err, size_t errlen);

#endif
