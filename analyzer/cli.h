/* cli.h — command-line parsing for `smtptls analyze`. */
#ifndef SMTPTLS_CLI_H
#define SMTPTLS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "analyzer/engine.h"

#define CLI_DEFAULT_PORTS	   "25,587,465"
#define CLI_DEFAULT_TLS_PORTS	   "465"
#define CLI_DEFAULT_MAX_FLOWS	   100000u
#define CLI_DEFAULT_MAX_BUFFER	   (256u * 1024u)
#define CLI_DEFAULT_MAX_REASSEMBLY (128ull * 1024u * 1024u)
#define CLI_DEFAULT_IDLE_TIMEOUT   300u

struct cli_analyze {
	struct eng_cfg cfg;
	const char *sessions; /* NULL, "-" or a path */
	const char *stats;
	const char *bpf;
	char **inputs;
	int ninputs;
	int quiet;
};

enum cli_status {
	CLI_RUN = 0,  /* parsed: run the command */
	CLI_DONE = 1, /* --help was printed: exit 0 */
	CLI_USAGE = 2 /* bad usage, a message was printed: exit 2 */
};

/* Parses `analyze` options (argv[0] is "analyze"). */
enum cli_status cli_parse_analyze(struct cli_analyze *a, int argc, char **argv, FILE *out,
				  FILE *err);

/* Adds the ports of a list such as "25,587,2525-2530" to a bitmap.
 * Returns 0, or -1 with a message in err. */
int cli_parse_ports(const char *list, uint8_t *bitmap, char *err, size_t errlen);

/* Parses a byte count with an optional k, M or G suffix (powers of 1024). */
int cli_parse_size(const char *s, uint64_t *out);

/* Parses a non-negative decimal integer no larger than max. */
int cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

void cli_usage_analyze(FILE *out);

#endif
