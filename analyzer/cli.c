/* cli.c — option parsing for `smtptls analyze`. */
#include "analyzer/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default: return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_parse_ports(const char *list, uint8_t *bitmap, char *err, size_t errlen)
{
	const char *p = list;
	if (!*p)
		goto bad;
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p))
			goto bad;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				goto bad;
			hi = strtoul(end + 1, &end, 10);
		}
		if (lo == 0 || hi > 65535 || lo > hi)
			goto bad;
		for (unsigned long port = lo; port <= hi; port++)
			eng_port_add(bitmap, (uint16_t)port);
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		p = end;
	}
	return 0;
bad:
	snprintf(err, errlen, "invalid port list \"%s\" (expected e.g. 25,587,2525-2530)", list);
	return -1;
}

void cli_usage_analyze(FILE *out)
{
	fprintf(out,
		"Usage: smtptls analyze [OPTIONS] PCAP|DIR...\n"
		"\n"
		"Reads pcap and pcapng files (a directory is walked for *.pcap, *.pcapng,\n"
		"*.cap) and reports every TCP connection on a mail port.\n"
		"\n"
		"Output (without --sessions or --stats, a short summary is printed):\n"
		"  -s, --sessions FILE     one JSON object per connection (JSON Lines; - = "
		"stdout)\n"
		"      --stats FILE        JSON statistics snapshot (- = stdout)\n"
		"  -q, --quiet             no progress line on a terminal\n"
		"\n"
		"Traffic:\n"
		"      --ports LIST        mail ports (default " CLI_DEFAULT_PORTS ")\n"
		"      --tls-ports LIST    more implicit-TLS ports (465 always is one when\n"
		"                          it is a mail port); they become mail ports too\n"
		"      --bpf EXPR          read only packets matching this BPF filter\n"
		"\n"
		"Limits:\n"
		"      --max-flows N       connections tracked at once (default %u);\n"
		"                          the least recently active is evicted past it\n"
		"      --max-buffer BYTES  reassembly buffer per direction (default %uK)\n"
		"      --max-reassembly BYTES  reassembly buffers of all connections\n"
		"                          together (default %lluM)\n"
		"      --idle-timeout SECONDS  end a connection idle this long in capture\n"
		"                          time (default %u)\n"
		"\n"
		"Exit status: 0 success, 1 an input could not be read (fully), 2 usage or\n"
		"output error.\n",
		CLI_DEFAULT_MAX_FLOWS, CLI_DEFAULT_MAX_BUFFER / 1024,
		(unsigned long long)(CLI_DEFAULT_MAX_REASSEMBLY >> 20), CLI_DEFAULT_IDLE_TIMEOUT);
}

enum {
	OPT_STATS = 256,
	OPT_PORTS,
	OPT_TLS_PORTS,
	OPT_BPF,
	OPT_MAX_FLOWS,
	OPT_MAX_BUFFER,
	OPT_MAX_REASSEMBLY,
	OPT_IDLE_TIMEOUT,
};

enum cli_status cli_parse_analyze(struct cli_analyze *a, int argc, char **argv, FILE *out,
				  FILE *err)
{
	static const struct option opts[] = {
		{"sessions", required_argument, NULL, 's'},
		{"stats", required_argument, NULL, OPT_STATS},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"ports", required_argument, NULL, OPT_PORTS},
		{"tls-ports", required_argument, NULL, OPT_TLS_PORTS},
		{"bpf", required_argument, NULL, OPT_BPF},
		{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
		{"max-buffer", required_argument, NULL, OPT_MAX_BUFFER},
		{"max-reassembly", required_argument, NULL, OPT_MAX_REASSEMBLY},
		{"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
		{NULL, 0, NULL, 0},
	};
	memset(a, 0, sizeof(*a));
	const char *ports = CLI_DEFAULT_PORTS, *tls_ports = NULL;
	uint8_t tls_default[8192] = {0};
	uint64_t v;
	char msg[256];
	a->cfg.max_flows = CLI_DEFAULT_MAX_FLOWS;
	a->cfg.max_buffer = CLI_DEFAULT_MAX_BUFFER;
	a->cfg.max_reassembly = CLI_DEFAULT_MAX_REASSEMBLY;
	a->cfg.idle_timeout_us = (uint64_t)CLI_DEFAULT_IDLE_TIMEOUT * 1000000u;

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+s:qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': a->sessions = optarg; break;
		case OPT_STATS: a->stats = optarg; break;
		case 'q': a->quiet = 1; break;
		case 'h': cli_usage_analyze(out); return CLI_DONE;
		case OPT_PORTS: ports = optarg; break;
		case OPT_TLS_PORTS: tls_ports = optarg; break;
		case OPT_BPF: a->bpf = optarg; break;
		case OPT_MAX_FLOWS:
			if (cli_parse_uint(optarg, 1u << 26, &v) || v == 0) {
				fprintf(err, "smtptls: --max-flows: expected 1 to %u, got \"%s\"\n",
					1u << 26, optarg);
				return CLI_USAGE;
			}
			a->cfg.max_flows = (uint32_t)v;
			break;
		case OPT_MAX_BUFFER:
			if (cli_parse_size(optarg, &v) || v < 1024 || v > (1u << 30)) {
				fprintf(err,
					"smtptls: --max-buffer: expected 1K to 1G, got \"%s\"\n",
					optarg);
				return CLI_USAGE;
			}
			a->cfg.max_buffer = (uint32_t)v;
			break;
		case OPT_MAX_REASSEMBLY:
			if (cli_parse_size(optarg, &v) || v < 1024) {
				fprintf(err,
					"smtptls: --max-reassembly: expected at least 1K, got "
					"\"%s\"\n",
					optarg);
				return CLI_USAGE;
			}
			a->cfg.max_reassembly = v;
			break;
		case OPT_IDLE_TIMEOUT:
			if (cli_parse_uint(optarg, 7u * 86400u, &v) || v == 0) {
				fprintf(err,
					"smtptls: --idle-timeout: expected 1 to %u seconds, got "
					"\"%s\"\n",
					7u * 86400u, optarg);
				return CLI_USAGE;
			}
			a->cfg.idle_timeout_us = v * 1000000u;
			break;
		default:
			if (optopt && optopt < 256)
				fprintf(err, "smtptls analyze: unknown or incomplete option -%c\n",
					optopt);
			else
				fprintf(err, "smtptls analyze: unknown or incomplete option %s\n",
					argv[optind - 1]);
			fprintf(err, "Try 'smtptls analyze --help'.\n");
			return CLI_USAGE;
		}
	}
	if (cli_parse_ports(ports, a->cfg.mail_ports, msg, sizeof(msg)) ||
	    (tls_ports && cli_parse_ports(tls_ports, a->cfg.tls_ports, msg, sizeof(msg))) ||
	    cli_parse_ports(CLI_DEFAULT_TLS_PORTS, tls_default, msg, sizeof(msg))) {
		fprintf(err, "smtptls: %s\n", msg);
		return CLI_USAGE;
	}
	/* 465 is implicit TLS when it is a mail port; --tls-ports adds ports,
	 * which are mail ports too. */
	for (int i = 0; i < 8192; i++) {
		a->cfg.tls_ports[i] |= (uint8_t)(tls_default[i] & a->cfg.mail_ports[i]);
		a->cfg.mail_ports[i] |= a->cfg.tls_ports[i];
	}
	if (a->sessions && a->stats && strcmp(a->sessions, "-") == 0 &&
	    strcmp(a->stats, "-") == 0) {
		fprintf(err, "smtptls: --sessions and --stats cannot both be standard output\n");
		return CLI_USAGE;
	}
	a->inputs = argv + optind;
	a->ninputs = argc - optind;
	if (a->ninputs == 0) {
		fprintf(err, "smtptls analyze: no input given (a pcap, pcapng or a directory)\n");
		fprintf(err, "Try 'smtptls analyze --help'.\n");
		return CLI_USAGE;
	}
	return CLI_RUN;
}
