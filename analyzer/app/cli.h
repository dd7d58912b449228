/* cli.h — the command line of analyze, live, merge, history and tlsrpt, from one
 * option table.
 *
 * Every option is one row of a table (cli_option_table): its long and short
 * name, the kind of its value and the range it must lie in, the field of
 * struct cli_analyze it sets, the commands it belongs to, its roles and its
 * help text. The same rows drive getopt_long, the range checks with their
 * one message shape ("smtptls: --NAME: expected RANGE, got \"VALUE\""), every
 * command's --help and `smtptls --list-options`.
 */
#ifndef SMTPTLS_CLI_H
#define SMTPTLS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyzer/session/engine.h"
#include "stats/sinks/agg.h"
#include "stats/sinks/anomaly.h"

#define CLI_DEFAULT_PORTS	    "25,587,465"
#define CLI_DEFAULT_TLS_PORTS	    "465"
#define CLI_DEFAULT_DNS_PORTS	    "53"
#define CLI_DEFAULT_MAX_DNS_MEMORY  (64u << 20)
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
#define CLI_DEFAULT_INTERVAL	    60		/* no suffix: it is also printed in the help */
#define CLI_DEFAULT_BUFFER_SIZE	    (32u << 20) /* live: the kernel's capture buffer */

/* The options of one command; every command fills the part it uses. */
struct cli_analyze {
	struct eng_cfg cfg;
	const char *sessions; /* NULL, "-" or a path */
	const char *stats;
	const char *bpf;
	const char *ports;	      /* mail ports (default CLI_DEFAULT_PORTS) */
	const char *tls_ports;	      /* more implicit-TLS ports, or NULL */
	const char *dns_ports;	      /* DNS ports (default CLI_DEFAULT_DNS_PORTS), or "none" */
	const char *dns_data;	      /* --dns-data FILE, or NULL */
	const char *mta_sts_policies; /* --mta-sts-policies DIR, or NULL */
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
	int no_dns;	     /* --no-dns: DNS in the capture is not read */
	uint8_t alert_min;   /* lowest severity alerted */
	/* anonymisation (docs/research.md) */
	const char *anonymize;	     /* --anonymize KEYFILE, or NULL */
	int anon_keep_suffix;	     /* names keep their registrable domain */
	int anon_keep_local;	     /* names of the local networks' hosts are kept */
	const char *public_suffixes; /* the Public Suffix List (default PSL_DEFAULT_PATH) */
	/* live mode */
	const char *iface;
	const char *user; /* -Z: drop to this user after opening the interface */
	int allow_root;
	int use_syslog;
	const char *prom;     /* Prometheus textfile */
	unsigned interval;    /* seconds between snapshots */
	uint64_t buffer_size; /* live: the kernel's capture buffer, bytes */
	/* merge and history */
	const char *output;	 /* merge -o: "-" by default */
	const char *server;	 /* history --server, or NULL */
	const char *hist_export; /* history --export, or NULL */
	const char *hist_import; /* history --import, or NULL */
	/* tlsrpt (output: the folder of the reports) */
	const char *org;     /* --org: the report's organization-name */
	const char *contact; /* --contact: its contact-info */
};

/* The commands an option belongs to (a bit set). */
enum cli_cmd {
	CLI_ANALYZE = 1u << 0,
	CLI_LIVE = 1u << 1,
	CLI_MERGE = 1u << 2,
	CLI_HISTORY = 1u << 3,
	CLI_TLSRPT = 1u << 4,
};

/* What an option's value is. */
enum cli_kind {
	CLI_FLAG,   /* no value: the int field becomes 1 */
	CLI_STR,    /* any text: the const char * field points at it */
	CLI_UINT,   /* a decimal integer in [min, max], stored times scale */
	CLI_SIZE,   /* a byte count with k, M or G in [min, max] (max 0: none) */
	CLI_CHOICE, /* one of the names of choices, stored as its value */
	CLI_PORTS,  /* a port list (cli_parse_ports), kept as text */
	CLI_NET,    /* a local network, appended to local_nets */
	CLI_HELP,   /* prints the command's help */
};

/* What an option is for, beside the commands it belongs to (a bit set):
 * `smtptls --list-options` shows them, and smtptls-cluster sends each
 * analyze option to the jobs that need it by these. */
enum cli_role {
	CLI_ROLE_ENGINE = 1u << 0,   /* how connection records are made */
	CLI_ROLE_DETECTOR = 1u << 1, /* detectors, statistics and history over records */
	CLI_ROLE_IO = 1u << 2,	     /* where records and outputs come from or go */
	CLI_ROLE_PROCESS = 1u << 3,  /* how the process runs, not what it finds */
	CLI_ROLE_DISPLAY = 1u << 4,  /* the terminal only */
	CLI_ROLE_PATH = 1u << 5,     /* the value names a file or a folder */
};

/* Help sections, printed in the order each command gives. */
enum cli_section {
	CLI_SEC_LIVE,
	CLI_SEC_OUTPUT,
	CLI_SEC_TRAFFIC,
	CLI_SEC_LIMITS,
	CLI_SEC_OTHER,
};

struct cli_choice {
	const char *name;
	uint64_t value;
};

struct cli_opt {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	enum cli_kind kind;
	uint64_t min, max;		  /* CLI_UINT, CLI_SIZE */
	uint64_t scale;			  /* CLI_UINT: stored value = given value * scale */
	const char *unit;		  /* CLI_UINT: unit named in messages, or NULL */
	const struct cli_choice *choices; /* CLI_CHOICE: ended by a NULL name */
	size_t field;			  /* offsetof(struct cli_analyze, ...) */
	size_t size;			  /* sizeof that field */
	unsigned cmds;			  /* enum cli_cmd bits */
	unsigned roles;			  /* enum cli_role bits */
	enum cli_section section;
	const char *arg;       /* value placeholder in the help, NULL for none */
	const char *help;      /* help text; "%D" stands for the default */
	const char *live_help; /* the text in live's help when it differs */
};

/* The option table; *n is set to the number of rows. */
const struct cli_opt *cli_option_table(size_t *n);

enum cli_status {
	CLI_RUN = 0,  /* parsed: run the command */
	CLI_DONE = 1, /* --help was printed: exit 0 */
	CLI_USAGE = 2 /* bad usage, a message was printed: exit 2 */
};

/* The country database used when --geoip is not given: $SMTPTLS_GEOIP, else
 * CLI_DEFAULT_GEOIP when that file exists (the set-up and
 * smtptls-update-geoip install it). The AS database likewise: --asn,
 * $SMTPTLS_ASN, CLI_DEFAULT_ASN. */
#define CLI_DEFAULT_GEOIP "/usr/local/share/smtptls/country.mmdb"
#define CLI_DEFAULT_ASN	  "/usr/local/share/smtptls/asn.mmdb"

/* Applies the default country and AS databases; "--geoip none" turns
 * lookups off (both, unless --asn is also given), "--asn none" the AS ones. */
void cli_default_geoip(struct cli_analyze *a);

/* Sets every limit of cfg to its default (ports are left alone). */
void cli_default_limits(struct eng_cfg *cfg);

/* Every option of every command at its default. */
void cli_defaults(struct cli_analyze *a);

/* Parses the options of one command (cmd is one enum cli_cmd; argv[0] is
 * its name) into a, which points into argv afterwards. Messages go to err,
 * --help to out. Loads nothing: the trust store and the databases are
 * opened by the pipeline (pipeline.h). */
enum cli_status cli_parse(struct cli_analyze *a, unsigned cmd, int argc, char **argv, FILE *out,
			  FILE *err);

/* Prints the help of one command (enum cli_cmd) from the table. */
void cli_usage(unsigned cmd, FILE *out);

/* `smtptls --list-options`: one line per option, tab-separated: long name,
 * short name ("-" for none), "value" or "flag", the commands it belongs to
 * and its roles (comma-separated, "-" for none). A line starting with '#'
 * names the columns. */
void cli_list_options(FILE *out);

/* Adds the ports of a list such as "25,587,2525-2530" to a bitmap.
 * Returns 0, or -1 with a message in err. */
int cli_parse_ports(const char *list, uint8_t *bitmap, char *err, size_t errlen);

/* Parses a byte count with an optional k, M or G suffix (powers of 1024). */
int cli_parse_size(const char *s, uint64_t *out);

/* Parses a non-negative decimal integer no larger than max. */
int cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

#endif
