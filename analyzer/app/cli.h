/* cli.h — command-line parsing for `smtptls analyze`. */
#ifndef SMTPTLS_CLI_H
#define SMTPTLS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "analyzer/session/engine.h"
#include "stats/sinks/agg.h"
#include "stats/sinks/anomaly.h"

#define CLI_DEFAULT_PORTS	    "25,587,465"
#define CLI_DEFAULT_TLS_PORTS	    "465"
#define CLI_DEFAULT_MAX_FLOWS	    20000u
#define CLI_DEFAULT_MAX_BUFFER	    (256u * 1024u)
#define CLI_DEFAULT_MAX_REASSEMBLY  (128ull * 1024u * 1024u)
#define CLI_DEFAULT_IDLE_TIMEOUT    300u
#define CLI_DEFAULT_FALLBACK_WINDOW 300u
#define CLI_DEFAULT_TOP		    10u
#define CLI_DEFAULT_MAX_KEYS	    10000u
#define CLI_DEFAULT_MAX_SERVERS	    100000u
#define CLI_DEFAULT_MAX_LINE	    4096u
#define CLI_DEFAULT_MAX_HANDSHAKE   (128u * 1024u)

struct cli_analyze {
	struct eng_cfg cfg;
	const char *sessions; /* NULL, "-" or a path */
	const char *stats;
	const char *bpf;
	char **inputs;
	int ninputs;
	int quiet;
	unsigned top;	 /* rows of each top-N list in the summary */
	unsigned jobs;	 /* files analysed in parallel */
	int merge_files; /* the inputs are one rotated capture */
	struct agg_cfg agg;
	struct anom_cfg anom;
	const char *geoip; /* country database (MaxMind DB), or NULL */
	const char *asn;   /* AS database, or NULL */
	const char *local_nets[GEO_MAX_NETS];
	int nlocal_nets;
	const char *alerts;  /* alert lines (JSON), "-" = stdout, or NULL */
	const char *history; /* SQLite host history, or NULL */
	const char *dump;    /* binary record dump (--dump), or NULL */
	int records_in;	     /* the inputs are record dumps, not captures */
	int no_sandbox;	     /* --no-sandbox: no seccomp filter */
	uint8_t alert_min;   /* lowest severity alerted */
	/* live mode */
	int live;
	const char *iface;
	const char *user; /* -Z: drop to this user after opening the interface */
	int allow_root;
	int use_syslog;
	const char *prom;  /* Prometheus textfile */
	unsigned interval; /* seconds between snapshots */
};

enum cli_status {
	CLI_RUN = 0,  /* parsed: run the command */
	CLI_DONE = 1, /* --help was printed: exit 0 */
	CLI_USAGE = 2 /* bad usage, a message was printed: exit 2 */
};

/* The country database used when --geoip is not given: $SMTPTLS_GEOIP, else
 * CLI_DEFAULT_GEOIP when that file exists (the set-up installs it). */
#define CLI_DEFAULT_GEOIP "/usr/local/share/smtptls/country.mmdb"

/* Applies the default country database; "--geoip none" turns lookups off. */
void cli_default_geoip(struct cli_analyze *a);

/* Sets every limit of cfg to its default (ports are left alone). */
void cli_default_limits(struct eng_cfg *cfg);

/* Parses `analyze` options (argv[0] is "analyze"). */
enum cli_status cli_parse_analyze(struct cli_analyze *a, int argc, char **argv, FILE *out,
				  FILE *err);

/* Parses `live` options (argv[0] is "live"): the same traffic, limit and
 * statistics options, plus the interface and the live outputs. */
enum cli_status cli_parse_live(struct cli_analyze *a, int argc, char **argv, FILE *out, FILE *err);

/* Releases what a successful parse (CLI_RUN) set up: the shared trust store. */
void cli_analyze_free(struct cli_analyze *a);

void cli_usage_live(FILE *out);

/* Adds the ports of a list such as "25,587,2525-2530" to a bitmap.
 * Returns 0, or -1 with a message in err. */
int cli_parse_ports(const char *list, uint8_t *bitmap, char *err, size_t errlen);

/* Parses a byte count with an optional k, M or G suffix (powers of 1024). */
int cli_parse_size(const char *s, uint64_t *out);

/* Parses a non-negative decimal integer no larger than max. */
int cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

void cli_usage_analyze(FILE *out);

#endif
