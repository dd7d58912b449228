/* cli.c — option parsing for `smtptls analyze`. */
#include "analyzer/app/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		"      --top N             rows of each top-N list in the summary (default 10)\n"
		"      --bucket hour|day   time series bucket of the statistics (default hour)\n"
		"      --geoip FILE|none   country database (MaxMind DB) for the remote peer\n"
		"                          (default " CLI_DEFAULT_GEOIP " when present)\n"
		"      --asn FILE          autonomous-system database (MaxMind DB)\n"
		"  -j, --jobs N            analyse N files at once (same output as one)\n"
		"      --merge-files       the inputs are one rotated capture: read them in the\n"
		"                          order of their first packet, connections may span\n"
		"                          files (no parallelism)\n"
		"\n"
		"Traffic:\n"
		"      --ports LIST        mail ports (default " CLI_DEFAULT_PORTS ")\n"
		"      --tls-ports LIST    more implicit-TLS ports (465 always is one when\n"
		"                          it is a mail port); they become mail ports too\n"
		"      --bpf EXPR          read only packets matching this BPF filter\n"
		"      --local-net CIDR    a local network (repeat): connections are inbound,\n"
		"                          outbound, internal or external\n"
		"      --alerts FILE       write an alert line (JSON) per anomaly\n"
		"      --history FILE      keep per-server history across runs (SQLite)\n"
		"      --ca-file FILE      trust anchors (PEM) for certificate validation\n"
		"      --ca-path DIR       hashed directory of trust anchors (default: the\n"
		"                          system store)\n"
		"      --dump FILE         the records in binary form, before any detector\n"
		"      --records           the inputs are such dumps (shards of one run): they\n"
		"                          are put together exactly as one run would be\n"
		"      --alert-severity L  lowest severity alerted (default low)\n"
		"      --fallback-window SECONDS  a plain-text delivery this soon after a\n"
		"                          failed TLS attempt is plaintext_fallback (default 300)\n"
		"      --no-sandbox        no seccomp filter (see docs/usage.md)\n"
		"\n"
		"Limits:\n"
		"      --max-flows N       connections tracked at once (default %u);\n"
		"                          the least recently active is evicted past it\n"
		"      --max-buffer BYTES  reassembly buffer per direction (default %uK)\n"
		"      --max-reassembly BYTES  reassembly buffers of all connections\n"
		"                          together (default %lluM)\n"
		"      --max-servers N     servers whose statistics are kept one by one\n"
		"                          (default 100000; past it they are summed as others)\n"
		"      --idle-timeout SECONDS  end a connection idle this long in capture\n"
		"                          time (default %u)\n"
		"\n"
		"Exit status: 0 success, 1 an input could not be read (fully), 2 usage or\n"
		"output error.\n",
		CLI_DEFAULT_MAX_FLOWS, CLI_DEFAULT_MAX_BUFFER / 1024,
		(unsigned long long)(CLI_DEFAULT_MAX_REASSEMBLY >> 20), CLI_DEFAULT_IDLE_TIMEOUT);
}

void cli_default_geoip(struct cli_analyze *a)
{
	if (a->geoip && strcmp(a->geoip, "none") == 0) {
		a->geoip = NULL;
		return;
	}
	if (a->geoip)
		return;
	const char *env = getenv("SMTPTLS_GEOIP");
	if (env && *env) {
		a->geoip = strcmp(env, "none") == 0 ? NULL : env;
		return;
	}
	if (access(CLI_DEFAULT_GEOIP, R_OK) == 0)
		a->geoip = CLI_DEFAULT_GEOIP;
}

void cli_default_limits(struct eng_cfg *cfg)
{
	cfg->max_flows = CLI_DEFAULT_MAX_FLOWS;
	cfg->max_buffer = CLI_DEFAULT_MAX_BUFFER;
	cfg->max_reassembly = CLI_DEFAULT_MAX_REASSEMBLY;
	cfg->idle_timeout_us = (uint64_t)CLI_DEFAULT_IDLE_TIMEOUT * 1000000u;
	cfg->sess.smtp.max_line = CLI_DEFAULT_MAX_LINE;
	cfg->sess.tls.max_handshake = CLI_DEFAULT_MAX_HANDSHAKE;
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
	OPT_TOP,
	OPT_MERGE_FILES,
	OPT_ALLOW_ROOT,
	OPT_NO_SANDBOX,
	OPT_ALERTS,
	OPT_HISTORY,
	OPT_CA_FILE,
	OPT_CA_PATH,
	OPT_DUMP,
	OPT_RECORDS,
	OPT_ALERT_SEVERITY,
	OPT_SYSLOG,
	OPT_PROM,
	OPT_INTERVAL,
	OPT_GEOIP,
	OPT_ASN,
	OPT_LOCAL_NET,
	OPT_BUCKET,
	OPT_FALLBACK_WINDOW,
	OPT_MAX_SERVERS,
};

/* One trust store for the run, shared by every engine; a CA file or path is
 * loaded now, so that a bad one stops the run before it starts. Freed by
 * cli_analyze_free(). */
static enum cli_status cli_trust(struct cli_analyze *a, FILE *err)
{
	char why[512];
	a->cfg.x509.trust = x509_trust_new(&a->cfg.x509, why, sizeof(why));
	if (!a->cfg.x509.trust) {
		fprintf(err, "smtptls: %s\n", why);
		return CLI_USAGE;
	}
	return CLI_RUN;
}

static enum cli_status cli_parse(struct cli_analyze *a, int argc, char **argv, FILE *out, FILE *err,
				 int live)
{
	static const struct option opts[] = {
		{"interface", required_argument, NULL, 'i'},
		{"user", required_argument, NULL, 'Z'},
		{"allow-root", no_argument, NULL, OPT_ALLOW_ROOT},
		{"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
		{"alerts", required_argument, NULL, OPT_ALERTS},
		{"history", required_argument, NULL, OPT_HISTORY},
		{"ca-file", required_argument, NULL, OPT_CA_FILE},
		{"ca-path", required_argument, NULL, OPT_CA_PATH},
		{"dump", required_argument, NULL, OPT_DUMP},
		{"records", no_argument, NULL, OPT_RECORDS},
		{"alert-severity", required_argument, NULL, OPT_ALERT_SEVERITY},
		{"syslog", no_argument, NULL, OPT_SYSLOG},
		{"prom", required_argument, NULL, OPT_PROM},
		{"interval", required_argument, NULL, OPT_INTERVAL},
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
		{"top", required_argument, NULL, OPT_TOP},
		{"max-servers", required_argument, NULL, OPT_MAX_SERVERS},
		{"jobs", required_argument, NULL, 'j'},
		{"merge-files", no_argument, NULL, OPT_MERGE_FILES},
		{"fallback-window", required_argument, NULL, OPT_FALLBACK_WINDOW},
		{"geoip", required_argument, NULL, OPT_GEOIP},
		{"asn", required_argument, NULL, OPT_ASN},
		{"local-net", required_argument, NULL, OPT_LOCAL_NET},
		{"bucket", required_argument, NULL, OPT_BUCKET},
		{NULL, 0, NULL, 0},
	};
	memset(a, 0, sizeof(*a));
	const char *ports = CLI_DEFAULT_PORTS, *tls_ports = NULL;
	uint8_t tls_default[8192] = {0};
	uint64_t v;
	char msg[256];
	cli_default_limits(&a->cfg);
	a->top = CLI_DEFAULT_TOP;
	a->alert_min = REC_SEV_LOW;
	a->agg.bucket_us = 3600000000ull;
	a->anom.fallback_window_us = (uint64_t)CLI_DEFAULT_FALLBACK_WINDOW * 1000000u;
	a->anom.max_hosts = CLI_DEFAULT_MAX_SERVERS;
	a->jobs = 1;
	a->agg.max_keys = CLI_DEFAULT_MAX_KEYS;
	a->agg.max_servers = CLI_DEFAULT_MAX_SERVERS;

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+s:qhj:i:Z:", opts, NULL)) != -1) {
		switch (c) {
		case 's': a->sessions = optarg; break;
		case OPT_STATS: a->stats = optarg; break;
		case 'q': a->quiet = 1; break;
		case 'h':
			if (live)
				cli_usage_live(out);
			else
				cli_usage_analyze(out);
			return CLI_DONE;
		case 'i':
		case 'Z':
		case OPT_ALLOW_ROOT:
		case OPT_SYSLOG:
		case OPT_PROM:
		case OPT_INTERVAL:
			if (!live) {
				fprintf(err, "smtptls analyze: %s is an option of 'smtptls live'\n",
					argv[optind - 1]);
				return CLI_USAGE;
			}
			if (c == 'i')
				a->iface = optarg;
			else if (c == 'Z')
				a->user = optarg;
			else if (c == OPT_ALLOW_ROOT)
				a->allow_root = 1;
			else if (c == OPT_SYSLOG)
				a->use_syslog = 1;
			else if (c == OPT_PROM)
				a->prom = optarg;
			else if (cli_parse_uint(optarg, 86400, &v) || v == 0) {
				fprintf(err,
					"smtptls: --interval: expected 1 to 86400 seconds, "
					"got \"%s\"\n",
					optarg);
				return CLI_USAGE;
			} else {
				a->interval = (unsigned)v;
			}
			break;
		case OPT_ALERTS: a->alerts = optarg; break;
		case OPT_HISTORY: a->history = optarg; break;
		case OPT_CA_FILE: a->cfg.x509.ca_file = optarg; break;
		case OPT_CA_PATH: a->cfg.x509.ca_path = optarg; break;
		case OPT_DUMP:
			if (live) {
				fprintf(err,
					"smtptls live: --dump is an option of 'smtptls analyze'\n");
				return CLI_USAGE;
			}
			a->dump = optarg;
			break;
		case OPT_NO_SANDBOX: a->no_sandbox = 1; break;
		case OPT_RECORDS:
			if (live) {
				fprintf(err, "smtptls live: --records is an option of 'smtptls "
					     "analyze'\n");
				return CLI_USAGE;
			}
			a->records_in = 1;
			break;
		case OPT_ALERT_SEVERITY:
			if (strcmp(optarg, "info") == 0)
				a->alert_min = REC_SEV_INFO;
			else if (strcmp(optarg, "low") == 0)
				a->alert_min = REC_SEV_LOW;
			else if (strcmp(optarg, "medium") == 0)
				a->alert_min = REC_SEV_MEDIUM;
			else if (strcmp(optarg, "high") == 0)
				a->alert_min = REC_SEV_HIGH;
			else {
				fprintf(err,
					"smtptls: --alert-severity: expected info, low, medium "
					"or high, got \"%s\"\n",
					optarg);
				return CLI_USAGE;
			}
			break;
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
		case 'j':
			if (cli_parse_uint(optarg, 64, &v) || v == 0) {
				fprintf(err, "smtptls: --jobs: expected 1 to 64, got \"%s\"\n",
					optarg);
				return CLI_USAGE;
			}
			a->jobs = (unsigned)v;
			break;
		case OPT_FALLBACK_WINDOW:
			if (cli_parse_uint(optarg, 86400, &v) || v == 0) {
				fprintf(err,
					"smtptls: --fallback-window: expected 1 to 86400 seconds, "
					"got \"%s\"\n",
					optarg);
				return CLI_USAGE;
			}
			a->anom.fallback_window_us = v * 1000000u;
			break;
		case OPT_GEOIP: a->geoip = optarg; break;
		case OPT_ASN: a->asn = optarg; break;
		case OPT_LOCAL_NET: {
			struct geo probe;
			memset(&probe, 0, sizeof(probe));
			if (a->nlocal_nets == GEO_MAX_NETS || geo_add_net(&probe, optarg) != 0) {
				fprintf(err,
					"smtptls: --local-net: expected a network such as "
					"192.0.2.0/24 or 2001:db8::/32 (at most %d), got \"%s\"\n",
					GEO_MAX_NETS, optarg);
				return CLI_USAGE;
			}
			a->local_nets[a->nlocal_nets++] = optarg;
			break;
		}
		case OPT_BUCKET:
			if (strcmp(optarg, "hour") == 0)
				a->agg.bucket_us = 3600000000ull;
			else if (strcmp(optarg, "day") == 0)
				a->agg.bucket_us = 86400000000ull;
			else {
				fprintf(err,
					"smtptls: --bucket: expected hour or day, got \"%s\"\n",
					optarg);
				return CLI_USAGE;
			}
			break;
		case OPT_MERGE_FILES: a->merge_files = 1; break;
		case OPT_TOP:
			if (cli_parse_uint(optarg, 1000, &v) || v == 0) {
				fprintf(err, "smtptls: --top: expected 1 to 1000, got \"%s\"\n",
					optarg);
				return CLI_USAGE;
			}
			a->top = (unsigned)v;
			break;
		case OPT_MAX_SERVERS:
			if (cli_parse_uint(optarg, 1u << 26, &v) || v == 0) {
				fprintf(err,
					"smtptls: --max-servers: expected 1 to %u, got \"%s\"\n",
					1u << 26, optarg);
				return CLI_USAGE;
			}
			a->agg.max_servers = (uint32_t)v;
			a->anom.max_hosts = (uint32_t)v;
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
	a->live = live;
	if (live) {
		if (a->ninputs) {
			fprintf(err,
				"smtptls live: unexpected argument \"%s\" (captures are read "
				"with 'smtptls analyze')\n",
				a->inputs[0]);
			return CLI_USAGE;
		}
		if (!a->iface) {
			fprintf(err, "smtptls live: no interface given (-i IFACE)\n");
			fprintf(err, "Try 'smtptls live --help'.\n");
			return CLI_USAGE;
		}
		if (a->jobs > 1 || a->merge_files) {
			fprintf(err, "smtptls live: --jobs and --merge-files are for files\n");
			return CLI_USAGE;
		}
		if ((a->stats || a->prom) && !a->interval)
			a->interval = 60;
		if (!a->alerts)
			a->alerts = "-";
		return cli_trust(a, err);
	}
	if (a->ninputs == 0) {
		fprintf(err, "smtptls analyze: no input given (a pcap, pcapng or a directory)\n");
		fprintf(err, "Try 'smtptls analyze --help'.\n");
		return CLI_USAGE;
	}
	return cli_trust(a, err);
}

void cli_analyze_free(struct cli_analyze *a)
{
	x509_trust_free(a->cfg.x509.trust);
	a->cfg.x509.trust = NULL;
}

enum cli_status cli_parse_analyze(struct cli_analyze *a, int argc, char **argv, FILE *out,
				  FILE *err)
{
	return cli_parse(a, argc, argv, out, err, 0);
}

enum cli_status cli_parse_live(struct cli_analyze *a, int argc, char **argv, FILE *out, FILE *err)
{
	return cli_parse(a, argc, argv, out, err, 1);
}

void cli_usage_live(FILE *out)
{
	fprintf(out,
		"Usage: smtptls live -i IFACE [OPTIONS]\n"
		"\n"
		"Sniffs an interface and reports STARTTLS stripping and downgrades the\n"
		"moment they are seen. Needs the right to capture (root or CAP_NET_RAW);\n"
		"drops privileges after opening the interface.\n"
		"\n"
		"  -i, --interface IFACE   the interface to capture on\n"
		"  -Z, --user USER         run as USER once the interface is open\n"
		"      --allow-root        keep running as root (without -Z)\n"
		"      --no-sandbox        no seccomp filter (see docs/usage.md)\n"
		"      --bpf EXPR          capture only what also matches EXPR\n"
		"      --alerts FILE       alert lines (JSON; default standard output)\n"
		"      --alert-severity L  lowest severity alerted: info, low (default),\n"
		"                          medium, high\n"
		"      --syslog            also send alerts to syslog (facility mail)\n"
		"      --history FILE      keep per-server history across runs (SQLite)\n"
		"  -s, --sessions FILE     connection records (JSON Lines, appended)\n"
		"      --stats FILE        statistics snapshot, rewritten every interval\n"
		"      --prom FILE         Prometheus metrics (node exporter textfile)\n"
		"      --interval SECONDS  how often --stats and --prom are written (60)\n"
		"\n"
		"The traffic, limit and statistics options of 'smtptls analyze' apply too.\n"
		"Signals: SIGHUP reopens the output files, SIGUSR1 writes the statistics\n"
		"now, SIGINT and SIGTERM end every connection, write everything and exit 0.\n");
}
