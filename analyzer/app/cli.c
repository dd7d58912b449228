/* cli.c — the option table and the parser, help and listing it drives. */
#include "analyzer/app/cli.h"

#include "dissectors/proto/psl.h"

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

/* One database option: the value given, else $env, else the default file
 * when it exists; "none" (given or in env) means no database. Returns 1
 * when lookups were turned off with "none". */
static int cli_default_db(const char **opt, const char *env_name, const char *dflt)
{
	if (*opt) {
		int off = strcmp(*opt, "none") == 0;
		if (off)
			*opt = NULL;
		return off;
	}
	const char *env = getenv(env_name);
	if (env && *env) {
		int off = strcmp(env, "none") == 0;
		*opt = off ? NULL : env;
		return off;
	}
	if (access(dflt, R_OK) == 0)
		*opt = dflt;
	return 0;
}

void cli_default_geoip(struct cli_analyze *a)
{
	int explicit_asn = a->asn != NULL;
	int geo_off = cli_default_db(&a->geoip, "SMTPTLS_GEOIP", CLI_DEFAULT_GEOIP);
	/* "--geoip none" turns the default AS database off too; an --asn given
	 * with it still counts */
	if (geo_off && !explicit_asn)
		return;
	cli_default_db(&a->asn, "SMTPTLS_ASN", CLI_DEFAULT_ASN);
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

void cli_defaults(struct cli_analyze *a)
{
	memset(a, 0, sizeof(*a));
	cli_default_limits(&a->cfg);
	a->ports = CLI_DEFAULT_PORTS;
	a->dns_ports = CLI_DEFAULT_DNS_PORTS;
	a->cfg.dnsv.max_bytes = CLI_DEFAULT_MAX_DNS_MEMORY;
	a->top = CLI_DEFAULT_TOP;
	a->alert_min = REC_SEV_LOW;
	a->agg.bucket_us = 3600000000ull;
	a->anom.fallback_window_us = (uint64_t)CLI_DEFAULT_FALLBACK_WINDOW * 1000000u;
	a->anom.max_hosts = CLI_DEFAULT_MAX_SERVERS;
	a->jobs = 1;
	a->agg.max_keys = CLI_DEFAULT_MAX_KEYS;
	a->agg.max_servers = CLI_DEFAULT_MAX_SERVERS;
	a->output = "-";
	a->buffer_size = CLI_DEFAULT_BUFFER_SIZE;
}

static const struct cli_choice cli_severities[] = {
	{"info", REC_SEV_INFO},
	{"low", REC_SEV_LOW},
	{"medium", REC_SEV_MEDIUM},
	{"high", REC_SEV_HIGH},
	{NULL, 0},
};

static const struct cli_choice cli_buckets[] = {
	{"hour", 3600000000ull},
	{"day", 86400000000ull},
	{NULL, 0},
};

#define CLI_STRINGIFY(x) #x
#define CLI_STR_OF(x)	 CLI_STRINGIFY(x)
/* The field a row sets: its offset and its size. */
#define CLI_FIELD(m) offsetof(struct cli_analyze, m), sizeof(((struct cli_analyze *)0)->m)
#define CLI_AL	     (CLI_ANALYZE | CLI_LIVE)
#define CLI_ALL	     (CLI_ANALYZE | CLI_LIVE | CLI_MERGE | CLI_HISTORY | CLI_TLSRPT)
#define CLI_ENGINE   CLI_ROLE_ENGINE
#define CLI_DETECT   CLI_ROLE_DETECTOR

/* Every option of every command, in the order of analyze's help. */
static const struct cli_opt cli_opts[] = {
	/* name, short, kind, min, max, scale, unit, choices, field, commands,
	 * roles, section, arg, help, live help */
	{"sessions", 's', CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(sessions), CLI_AL,
	 CLI_ROLE_IO | CLI_ROLE_PATH, CLI_SEC_OUTPUT, "FILE",
	 "one JSON object per connection (JSON Lines; - = stdout)",
	 "connection records (JSON Lines, appended)"},
	{"stats", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(stats), CLI_AL,
	 CLI_ROLE_IO | CLI_ROLE_PATH, CLI_SEC_OUTPUT, "FILE",
	 "JSON statistics snapshot (- = stdout)", "statistics snapshot, rewritten every interval"},
	{"quiet", 'q', CLI_FLAG, 0, 0, 0, NULL, NULL, CLI_FIELD(quiet), CLI_AL, CLI_ROLE_DISPLAY,
	 CLI_SEC_OUTPUT, NULL, "no progress line on a terminal", NULL},
	{"top", 0, CLI_UINT, 1, 1000, 1, NULL, NULL, CLI_FIELD(top), CLI_AL, CLI_DETECT,
	 CLI_SEC_OUTPUT, "N", "rows of each top-N list in the summary (default %D)", NULL},
	{"bucket", 0, CLI_CHOICE, 0, 0, 0, NULL, cli_buckets, CLI_FIELD(agg.bucket_us), CLI_AL,
	 CLI_DETECT, CLI_SEC_OUTPUT, "hour|day",
	 "time series bucket of the statistics (default %D)", NULL},
	{"geoip", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(geoip), CLI_AL,
	 CLI_DETECT | CLI_ROLE_PATH, CLI_SEC_OUTPUT, "FILE|none",
	 "country database (MaxMind DB) for the remote peer\n"
	 "(default " CLI_DEFAULT_GEOIP " when present)",
	 NULL},
	{"asn", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(asn), CLI_AL, CLI_DETECT | CLI_ROLE_PATH,
	 CLI_SEC_OUTPUT, "FILE|none",
	 "autonomous-system database (MaxMind DB) (default\n" CLI_DEFAULT_ASN " when present,\n"
	 "unless --geoip none)",
	 NULL},
	{"jobs", 'j', CLI_UINT, 1, 64, 1, NULL, NULL, CLI_FIELD(jobs), CLI_ANALYZE, CLI_ENGINE,
	 CLI_SEC_OUTPUT, "N", "analyse N files at once (same output as one)", NULL},
	{"merge-files", 0, CLI_FLAG, 0, 0, 0, NULL, NULL, CLI_FIELD(merge_files), CLI_ANALYZE,
	 CLI_ENGINE, CLI_SEC_OUTPUT, NULL,
	 "the inputs are one rotated capture: read them in the\n"
	 "order of their first packet, connections may span\n"
	 "files (no parallelism)",
	 NULL},
	{"ports", 0, CLI_PORTS, 0, 0, 0, NULL, NULL, CLI_FIELD(ports), CLI_AL, CLI_ENGINE,
	 CLI_SEC_TRAFFIC, "LIST", "mail ports (default %D)", NULL},
	{"tls-ports", 0, CLI_PORTS, 0, 0, 0, NULL, NULL, CLI_FIELD(tls_ports), CLI_AL, CLI_ENGINE,
	 CLI_SEC_TRAFFIC, "LIST",
	 "more implicit-TLS ports (465 always is one when\n"
	 "it is a mail port); they become mail ports too",
	 NULL},
	{"dns-ports", 0, CLI_PORTS, 0, 0, 0, NULL, NULL, CLI_FIELD(dns_ports), CLI_AL, CLI_ENGINE,
	 CLI_SEC_TRAFFIC, "LIST",
	 "ports whose DNS answers (UDP and TCP) tell MX,\n"
	 "TLSA and MTA-STS facts (default %D)",
	 NULL},
	{"no-dns", 0, CLI_FLAG, 0, 0, 0, NULL, NULL, CLI_FIELD(no_dns), CLI_AL, CLI_ENGINE,
	 CLI_SEC_TRAFFIC, NULL, "do not read DNS in the capture", NULL},
	{"dns-data", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(dns_data), CLI_AL,
	 CLI_ENGINE | CLI_ROLE_PATH, CLI_SEC_TRAFFIC, "FILE",
	 "DNS records to use (dig +dnssec output or JSON\n"
	 "Lines; docs/dns.md)",
	 NULL},
	{"mta-sts-policies", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(mta_sts_policies), CLI_AL,
	 CLI_ENGINE | CLI_ROLE_PATH, CLI_SEC_TRAFFIC, "DIR",
	 "fetched MTA-STS policy files, one per domain,\n"
	 "named by the domain (docs/dns.md)",
	 NULL},
	{"bpf", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(bpf), CLI_AL, CLI_ENGINE,
	 CLI_SEC_TRAFFIC, "EXPR", "read only packets matching this BPF filter",
	 "capture only what also matches EXPR"},
	{"local-net", 0, CLI_NET, 0, GEO_MAX_NETS, 0, NULL, NULL, CLI_FIELD(local_nets), CLI_AL,
	 CLI_DETECT, CLI_SEC_TRAFFIC, "CIDR",
	 "a local network (repeat): connections are inbound,\n"
	 "outbound, internal or external",
	 NULL},
	{"alerts", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(alerts), CLI_AL,
	 CLI_ROLE_IO | CLI_ROLE_PATH, CLI_SEC_TRAFFIC, "FILE",
	 "write an alert line (JSON) per anomaly", "alert lines (JSON; default standard output)"},
	{"history", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(history), CLI_AL,
	 CLI_DETECT | CLI_ROLE_PATH, CLI_SEC_TRAFFIC, "FILE",
	 "keep per-server history across runs (an SQLite FILE,\n"
	 "or postgresql://..., postgres://..., service=NAME)",
	 NULL},
	{"ca-file", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(cfg.x509.ca_file), CLI_AL,
	 CLI_ENGINE | CLI_ROLE_PATH, CLI_SEC_TRAFFIC, "FILE",
	 "trust anchors (PEM) for certificate validation", NULL},
	{"ca-path", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(cfg.x509.ca_path), CLI_AL,
	 CLI_ENGINE | CLI_ROLE_PATH, CLI_SEC_TRAFFIC, "DIR",
	 "hashed directory of trust anchors (default: the\n"
	 "system store)",
	 NULL},
	{"dump", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(dump), CLI_ANALYZE,
	 CLI_ROLE_IO | CLI_ROLE_PATH, CLI_SEC_TRAFFIC, "FILE",
	 "the records in binary form, before any detector", NULL},
	{"records", 0, CLI_FLAG, 0, 0, 0, NULL, NULL, CLI_FIELD(records_in), CLI_ANALYZE,
	 CLI_ROLE_IO, CLI_SEC_TRAFFIC, NULL,
	 "the inputs are such dumps (shards of one run): they\n"
	 "are put together exactly as one run would be",
	 NULL},
	{"anonymize", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(anonymize), CLI_AL | CLI_MERGE,
	 CLI_ENGINE | CLI_DETECT | CLI_ROLE_PATH, CLI_SEC_OTHER, "KEYFILE",
	 "anonymise every output with this key (smtptls keygen):\n"
	 "addresses by Crypto-PAn, names by a keyed hash",
	 NULL},
	{"anon-keep-suffix", 0, CLI_FLAG, 0, 0, 0, NULL, NULL, CLI_FIELD(anon_keep_suffix), CLI_AL,
	 CLI_ENGINE | CLI_DETECT, CLI_SEC_OTHER, NULL,
	 "anonymised names keep their public suffix + 1 label", NULL},
	{"anon-keep-local", 0, CLI_FLAG, 0, 0, 0, NULL, NULL, CLI_FIELD(anon_keep_local), CLI_AL,
	 CLI_ENGINE | CLI_DETECT, CLI_SEC_OTHER, NULL,
	 "names of the --local-net hosts stay in clear", NULL},
	{"public-suffix-list", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(public_suffixes), CLI_AL,
	 CLI_ENGINE | CLI_DETECT | CLI_ROLE_PATH, CLI_SEC_OTHER, "FILE",
	 "for --anon-keep-suffix (default\n" PSL_DEFAULT_PATH ")", NULL},
	{"alert-severity", 0, CLI_CHOICE, 0, 0, 0, NULL, cli_severities, CLI_FIELD(alert_min),
	 CLI_AL, CLI_DETECT, CLI_SEC_TRAFFIC, "L", "lowest severity alerted (default %D)",
	 "lowest severity alerted: info, low (default),\n"
	 "medium, high"},
	{"fallback-window", 0, CLI_UINT, 1, 86400, 1000000, "seconds", NULL,
	 CLI_FIELD(anom.fallback_window_us), CLI_AL, CLI_DETECT, CLI_SEC_TRAFFIC, "SECONDS",
	 "a plain-text delivery this soon after a\n"
	 "failed TLS attempt is plaintext_fallback (default %D)",
	 NULL},
	{"no-sandbox", 0, CLI_FLAG, 0, 0, 0, NULL, NULL, CLI_FIELD(no_sandbox), CLI_AL,
	 CLI_ROLE_PROCESS, CLI_SEC_TRAFFIC, NULL, "no seccomp filter (see docs/usage.md)", NULL},
	{"max-flows", 0, CLI_UINT, 1, 1u << 26, 1, NULL, NULL, CLI_FIELD(cfg.max_flows), CLI_AL,
	 CLI_ENGINE, CLI_SEC_LIMITS, "N",
	 "connections tracked at once (default %D);\n"
	 "the least recently active is evicted past it",
	 NULL},
	{"max-buffer", 0, CLI_SIZE, 1024, 1u << 30, 0, NULL, NULL, CLI_FIELD(cfg.max_buffer),
	 CLI_AL, CLI_ENGINE, CLI_SEC_LIMITS, "BYTES",
	 "reassembly buffer per direction (default %D)", NULL},
	{"max-reassembly", 0, CLI_SIZE, 1024, 0, 0, NULL, NULL, CLI_FIELD(cfg.max_reassembly),
	 CLI_AL, CLI_ENGINE, CLI_SEC_LIMITS, "BYTES",
	 "reassembly buffers of all connections\n"
	 "together (default %D)",
	 NULL},
	{"max-dns-memory", 0, CLI_SIZE, 65536, 0, 0, NULL, NULL, CLI_FIELD(cfg.dnsv.max_bytes),
	 CLI_AL, CLI_ENGINE, CLI_SEC_LIMITS, "BYTES",
	 "DNS answers kept from the capture (default %D);\n"
	 "the oldest are dropped past it",
	 NULL},
	{"max-servers", 0, CLI_UINT, 1, 1u << 26, 1, NULL, NULL, CLI_FIELD(agg.max_servers), CLI_AL,
	 CLI_DETECT, CLI_SEC_LIMITS, "N",
	 "servers whose statistics are kept one by one\n"
	 "(default %D; past it they are summed as others)",
	 NULL},
	{"idle-timeout", 0, CLI_UINT, 1, 7u * 86400u, 1000000, "seconds", NULL,
	 CLI_FIELD(cfg.idle_timeout_us), CLI_AL, CLI_ENGINE, CLI_SEC_LIMITS, "SECONDS",
	 "end a connection idle this long in capture\n"
	 "time (default %D)",
	 NULL},
	{"interface", 'i', CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(iface), CLI_LIVE, CLI_ROLE_IO,
	 CLI_SEC_LIVE, "IFACE", "the interface to capture on", NULL},
	{"user", 'Z', CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(user), CLI_LIVE, CLI_ROLE_PROCESS,
	 CLI_SEC_LIVE, "USER", "run as USER once the interface is open", NULL},
	{"allow-root", 0, CLI_FLAG, 0, 0, 0, NULL, NULL, CLI_FIELD(allow_root), CLI_LIVE,
	 CLI_ROLE_PROCESS, CLI_SEC_LIVE, NULL, "keep running as root (without -Z)", NULL},
	{"syslog", 0, CLI_FLAG, 0, 0, 0, NULL, NULL, CLI_FIELD(use_syslog), CLI_LIVE, CLI_ROLE_IO,
	 CLI_SEC_LIVE, NULL, "also send alerts to syslog (facility mail)", NULL},
	{"prom", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(prom), CLI_LIVE,
	 CLI_ROLE_IO | CLI_ROLE_PATH, CLI_SEC_LIVE, "FILE",
	 "Prometheus metrics (node exporter textfile)", NULL},
	{"interval", 0, CLI_UINT, 1, 86400, 1, "seconds", NULL, CLI_FIELD(interval), CLI_LIVE,
	 CLI_ROLE_IO, CLI_SEC_LIVE, "SECONDS",
	 "how often --stats and --prom are written (" CLI_STR_OF(CLI_DEFAULT_INTERVAL) ")", NULL},
	{"buffer-size", 0, CLI_SIZE, 1u << 20, 1u << 30, 0, NULL, NULL, CLI_FIELD(buffer_size),
	 CLI_LIVE, CLI_ROLE_PROCESS, CLI_SEC_LIVE, "BYTES",
	 "the kernel's capture buffer (default %D); packets\n"
	 "that arrive while it is full are dropped (counted)",
	 NULL},
	{"output", 'o', CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(output), CLI_MERGE | CLI_TLSRPT,
	 CLI_ROLE_IO | CLI_ROLE_PATH, CLI_SEC_OTHER, "PATH",
	 "where to write: merge's snapshot (default: standard\n"
	 "output), tlsrpt's folder of reports (created)",
	 NULL},
	{"org", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(org), CLI_TLSRPT, CLI_ROLE_IO,
	 CLI_SEC_OTHER, "NAME", "organization-name of the reports", NULL},
	{"contact", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(contact), CLI_TLSRPT, CLI_ROLE_IO,
	 CLI_SEC_OTHER, "EMAIL",
	 "contact-info of the reports; its domain begins\n"
	 "each file name (RFC 8460 section 5.1)",
	 NULL},
	{"server", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(server), CLI_HISTORY,
	 CLI_ROLE_DISPLAY, CLI_SEC_OTHER, "IP", "only this server", NULL},
	{"export", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(hist_export), CLI_HISTORY,
	 CLI_ROLE_IO | CLI_ROLE_PATH, CLI_SEC_OTHER, "OUT",
	 "write the whole history as JSON Lines (- for standard output)", NULL},
	{"import", 0, CLI_STR, 0, 0, 0, NULL, NULL, CLI_FIELD(hist_import), CLI_HISTORY,
	 CLI_ROLE_IO | CLI_ROLE_PATH, CLI_SEC_OTHER, "IN",
	 "add an export (--export) to the history (- for standard input)", NULL},
	{"help", 'h', CLI_HELP, 0, 0, 0, NULL, NULL, 0, 0, CLI_ALL, 0, CLI_SEC_OTHER, NULL,
	 "show this help", NULL},
};

#define CLI_NOPTS (sizeof(cli_opts) / sizeof(cli_opts[0]))

const struct cli_opt *cli_option_table(size_t *n)
{
	*n = CLI_NOPTS;
	return cli_opts;
}

static const char *cli_cmd_name(unsigned cmd)
{
	static const char *const names[] = {"analyze", "live", "merge", "history", "tlsrpt"};
	for (unsigned i = 0; i < 5; i++)
		if (cmd & (1u << i))
			return names[i];
	return "?";
}

/* The integer field of a row: set and read at its own width. */
static void cli_store(struct cli_analyze *a, const struct cli_opt *o, uint64_t v)
{
	unsigned char *p = (unsigned char *)a + o->field;
	if (o->size == 1) {
		uint8_t x = (uint8_t)v;
		memcpy(p, &x, 1);
	} else if (o->size == 4) {
		uint32_t x = (uint32_t)v;
		memcpy(p, &x, 4);
	} else if (o->size == 8) {
		memcpy(p, &v, 8);
	}
}

static uint64_t cli_load(const struct cli_analyze *a, const struct cli_opt *o)
{
	const unsigned char *p = (const unsigned char *)a + o->field;
	uint8_t x8;
	uint32_t x32;
	uint64_t x64 = 0;
	if (o->size == 1) {
		memcpy(&x8, p, 1);
		return x8;
	}
	if (o->size == 4) {
		memcpy(&x32, p, 4);
		return x32;
	}
	if (o->size == 8)
		memcpy(&x64, p, 8);
	return x64;
}

static void cli_store_str(struct cli_analyze *a, const struct cli_opt *o, const char *s)
{
	memcpy((unsigned char *)a + o->field, &s, sizeof(s));
}

static const char *cli_load_str(const struct cli_analyze *a, const struct cli_opt *o)
{
	const char *s;
	memcpy(&s, (const unsigned char *)a + o->field, sizeof(s));
	return s;
}

/* A byte count the way it is written: 1K, 256K, 128M, 1G. */
static void cli_size_text(uint64_t v, char *buf, size_t n)
{
	static const char units[] = "GMK";
	for (unsigned i = 0; i < 3; i++) {
		unsigned shift = 30 - 10 * i;
		if (v && v % (1ull << shift) == 0) {
			snprintf(buf, n, "%llu%c", (unsigned long long)(v >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, n, "%llu", (unsigned long long)v);
}

/* What a row accepts, for the message refusing a value. */
static void cli_expect(const struct cli_opt *o, char *buf, size_t n)
{
	char lo[32], hi[32];
	size_t k = 0;
	switch (o->kind) {
	case CLI_UINT:
		snprintf(buf, n, "%llu to %llu%s%s", (unsigned long long)o->min,
			 (unsigned long long)o->max, o->unit ? " " : "", o->unit ? o->unit : "");
		return;
	case CLI_SIZE:
		cli_size_text(o->min, lo, sizeof(lo));
		cli_size_text(o->max, hi, sizeof(hi));
		if (o->max)
			snprintf(buf, n, "%s to %s", lo, hi);
		else
			snprintf(buf, n, "at least %s", lo);
		return;
	case CLI_CHOICE:
		buf[0] = '\0';
		for (const struct cli_choice *c = o->choices; c->name && k < n; c++)
			k += (size_t)snprintf(buf + k, n - k, "%s%s",
					      c == o->choices ? ""
					      : c[1].name     ? ", "
							      : " or ",
					      c->name);
		return;
	case CLI_NET:
		snprintf(buf, n, "a network such as 192.0.2.0/24 or 2001:db8::/32 (at most %llu)",
			 (unsigned long long)o->max);
		return;
	default: snprintf(buf, n, "a value"); return;
	}
}

/* The one message for a value out of range or malformed. */
static enum cli_status cli_refuse(const struct cli_opt *o, const char *arg, FILE *err)
{
	char want[160];
	cli_expect(o, want, sizeof(want));
	fprintf(err, "smtptls: --%s: expected %s, got \"%s\"\n", o->name, want, arg);
	return CLI_USAGE;
}

/* Checks a value against its row and stores it. */
static enum cli_status cli_value(struct cli_analyze *a, const struct cli_opt *o, const char *arg,
				 FILE *err)
{
	uint64_t v = 0;
	char msg[256];
	uint8_t probe_ports[8192];
	struct geo probe;
	switch (o->kind) {
	case CLI_FLAG: cli_store(a, o, 1); break;
	case CLI_STR: cli_store_str(a, o, arg); break;
	case CLI_UINT:
		if (cli_parse_uint(arg, o->max, &v) || v < o->min)
			return cli_refuse(o, arg, err);
		cli_store(a, o, v * o->scale);
		break;
	case CLI_SIZE:
		if (cli_parse_size(arg, &v) || v < o->min || (o->max && v > o->max))
			return cli_refuse(o, arg, err);
		cli_store(a, o, v);
		break;
	case CLI_CHOICE: {
		const struct cli_choice *c = o->choices;
		while (c->name && strcmp(c->name, arg) != 0)
			c++;
		if (!c->name)
			return cli_refuse(o, arg, err);
		cli_store(a, o, c->value);
		break;
	}
	case CLI_PORTS:
		memset(probe_ports, 0, sizeof(probe_ports));
		if (cli_parse_ports(arg, probe_ports, msg, sizeof(msg)) != 0) {
			fprintf(err, "smtptls: %s\n", msg);
			return CLI_USAGE;
		}
		cli_store_str(a, o, arg);
		break;
	case CLI_NET:
		memset(&probe, 0, sizeof(probe));
		if ((uint64_t)a->nlocal_nets >= o->max || geo_add_net(&probe, arg) != 0)
			return cli_refuse(o, arg, err);
		a->local_nets[a->nlocal_nets++] = arg;
		break;
	case CLI_HELP: break;
	}
	return CLI_RUN;
}

/* getopt_long's tables for the whole option table: every row is known to
 * every command (so that an option of another command is named as such);
 * long options return 256 + their row. Analyze and live stop at the first
 * input ('+'); merge and history take options among their inputs. */
static void cli_getopt_tables(unsigned cmd, struct option *longs, char *shorts)
{
	size_t k = 0;
	if (cmd & (CLI_ANALYZE | CLI_LIVE))
		shorts[k++] = '+';
	for (size_t i = 0; i < CLI_NOPTS; i++) {
		const struct cli_opt *o = &cli_opts[i];
		int arg = o->kind == CLI_FLAG || o->kind == CLI_HELP ? no_argument
								     : required_argument;
		longs[i] = (struct option){o->name, arg, NULL, 256 + (int)i};
		if (o->short_name) {
			shorts[k++] = o->short_name;
			if (arg == required_argument)
				shorts[k++] = ':';
		}
	}
	longs[CLI_NOPTS] = (struct option){NULL, 0, NULL, 0};
	shorts[k] = '\0';
}

static const struct cli_opt *cli_row_of(int c)
{
	if (c >= 256 && (size_t)(c - 256) < CLI_NOPTS)
		return &cli_opts[c - 256];
	for (size_t i = 0; c > 0 && i < CLI_NOPTS; i++)
		if (cli_opts[i].short_name == c)
			return &cli_opts[i];
	return NULL;
}

static enum cli_status cli_unknown(unsigned cmd, char **argv, FILE *err)
{
	const char *name = cli_cmd_name(cmd);
	if (optopt > 0 && optopt < 256)
		fprintf(err, "smtptls %s: unknown or incomplete option -%c\n", name, optopt);
	else
		fprintf(err, "smtptls %s: unknown or incomplete option %s\n", name,
			argv[optind - 1]);
	fprintf(err, "Try 'smtptls %s --help'.\n", name);
	return CLI_USAGE;
}

/* After the options of analyze and live: the port bitmaps, and what the
 * options say together. */
static enum cli_status cli_finish_capture(struct cli_analyze *a, unsigned cmd, FILE *err)
{
	uint8_t tls_default[8192] = {0};
	char msg[256];
	if (cli_parse_ports(a->ports, a->cfg.mail_ports, msg, sizeof(msg)) ||
	    (!a->no_dns && cli_parse_ports(a->dns_ports, a->cfg.dns_ports, msg, sizeof(msg))) ||
	    (a->tls_ports && cli_parse_ports(a->tls_ports, a->cfg.tls_ports, msg, sizeof(msg))) ||
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
	a->anom.max_hosts = a->agg.max_servers; /* --max-servers bounds both */
	if (a->sessions && a->stats && strcmp(a->sessions, "-") == 0 &&
	    strcmp(a->stats, "-") == 0) {
		fprintf(err, "smtptls: --sessions and --stats cannot both be standard output\n");
		return CLI_USAGE;
	}
	if (cmd == CLI_ANALYZE) {
		if (a->ninputs == 0) {
			fprintf(err, "smtptls analyze: no input given (a pcap, pcapng or a "
				     "directory)\n");
			fprintf(err, "Try 'smtptls analyze --help'.\n");
			return CLI_USAGE;
		}
		return CLI_RUN;
	}
	if (a->ninputs) {
		fprintf(err,
			"smtptls live: unexpected argument \"%s\" (captures are read with "
			"'smtptls analyze')\n",
			a->inputs[0]);
		return CLI_USAGE;
	}
	if (!a->iface) {
		fprintf(err, "smtptls live: no interface given (-i IFACE)\n");
		fprintf(err, "Try 'smtptls live --help'.\n");
		return CLI_USAGE;
	}
	if ((a->stats || a->prom) && !a->interval)
		a->interval = CLI_DEFAULT_INTERVAL;
	if (!a->alerts)
		a->alerts = "-";
	return CLI_RUN;
}

/* tlsrpt needs records, a folder, and what the reports say of their author. */
static enum cli_status cli_finish_tlsrpt(struct cli_analyze *a, FILE *err)
{
	const char *missing = a->ninputs == 0		    ? "no records given"
			      : strcmp(a->output, "-") == 0 ? "no output folder given (-o DIR)"
			      : !a->org			    ? "--org NAME is required"
			      : !a->contact		    ? "--contact EMAIL is required"
							    : NULL;
	if (!missing)
		return CLI_RUN;
	fprintf(err, "smtptls tlsrpt: %s\n", missing);
	fprintf(err, "Try 'smtptls tlsrpt --help'.\n");
	return CLI_USAGE;
}

static enum cli_status cli_finish(struct cli_analyze *a, unsigned cmd, FILE *err)
{
	if (cmd & (CLI_ANALYZE | CLI_LIVE))
		return cli_finish_capture(a, cmd, err);
	if (cmd == CLI_MERGE && a->ninputs == 0) {
		fprintf(err, "smtptls merge: no snapshot given\n");
		cli_usage(CLI_MERGE, err);
		return CLI_USAGE;
	}
	if (cmd == CLI_HISTORY && a->hist_export && a->hist_import) {
		fprintf(err, "smtptls history: --export and --import exclude each other\n");
		return CLI_USAGE;
	}
	if (cmd == CLI_HISTORY && a->ninputs != 1) {
		if (a->ninputs == 0)
			fprintf(err, "smtptls history: no file given\n");
		else
			fprintf(err, "smtptls history: unexpected argument %s\n", a->inputs[1]);
		return CLI_USAGE;
	}
	if (cmd == CLI_TLSRPT)
		return cli_finish_tlsrpt(a, err);
	return CLI_RUN;
}

enum cli_status cli_parse(struct cli_analyze *a, unsigned cmd, int argc, char **argv, FILE *out,
			  FILE *err)
{
	struct option longs[CLI_NOPTS + 1];
	char shorts[2 * CLI_NOPTS + 2];
	cli_defaults(a);
	cli_getopt_tables(cmd, longs, shorts);
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct cli_opt *o = cli_row_of(c);
		if (!o)
			return cli_unknown(cmd, argv, err);
		if (!(o->cmds & cmd)) {
			fprintf(err, "smtptls %s: --%s is an option of 'smtptls %s'\n",
				cli_cmd_name(cmd), o->name, cli_cmd_name(o->cmds));
			return CLI_USAGE;
		}
		if (o->kind == CLI_HELP) {
			cli_usage(cmd, out);
			return CLI_DONE;
		}
		if (cli_value(a, o, optarg, err) != CLI_RUN)
			return CLI_USAGE;
	}
	a->inputs = argv + optind;
	a->ninputs = argc - optind;
	return cli_finish(a, cmd, err);
}

/* One command's help page: what comes before and after its options, and
 * its sections in order (a NULL title: the section has none). */
struct cli_page {
	unsigned cmd;
	const char *head, *foot;
	enum cli_section sections[5];
	const char *titles[5];
	unsigned nsections;
};

static const struct cli_page cli_pages[] = {
	{CLI_ANALYZE,
	 "Usage: smtptls analyze [OPTIONS] PCAP|DIR...\n"
	 "\n"
	 "Reads pcap and pcapng files (a directory is walked for *.pcap, *.pcapng,\n"
	 "*.cap) and reports every TCP connection on a mail port.\n",
	 "Exit status: 0 success, 1 an input could not be read (fully), 2 usage or\n"
	 "output error.\n",
	 {CLI_SEC_OUTPUT, CLI_SEC_TRAFFIC, CLI_SEC_LIMITS, CLI_SEC_OTHER},
	 {"Output (without --sessions or --stats, a short summary is printed):", "Traffic:",
	  "Limits:", NULL},
	 4},
	{CLI_LIVE,
	 "Usage: smtptls live -i IFACE [OPTIONS]\n"
	 "\n"
	 "Sniffs an interface and reports STARTTLS stripping and downgrades the\n"
	 "moment they are seen. Needs the right to capture (root or CAP_NET_RAW);\n"
	 "drops privileges after opening the interface.\n",
	 "Signals: SIGHUP reopens the output files, SIGUSR1 writes the statistics\n"
	 "now, SIGINT and SIGTERM end every connection, write everything and exit 0.\n",
	 {CLI_SEC_LIVE, CLI_SEC_OUTPUT, CLI_SEC_TRAFFIC, CLI_SEC_LIMITS, CLI_SEC_OTHER},
	 {NULL, "Output:", "Traffic:", "Limits:", NULL},
	 5},
	{CLI_MERGE,
	 "Usage: smtptls merge [-o FILE] SNAPSHOT.json...\n"
	 "\n"
	 "Adds statistics snapshots (smtptls analyze --stats) of disjoint inputs into\n"
	 "the snapshot of all of them: counters add exactly; a distribution that\n"
	 "overflowed its key limit in any input stays marked as truncated.\n",
	 NULL,
	 {CLI_SEC_OTHER},
	 {NULL},
	 1},
	{CLI_TLSRPT,
	 "Usage: smtptls tlsrpt RECORDS.jsonl... --org NAME --contact EMAIL -o DIR\n"
	 "\n"
	 "Writes SMTP TLS Reporting (RFC 8460) aggregate reports from connection\n"
	 "records (analyze --sessions): one per policy domain and UTC day, of the\n"
	 "outbound connections to its MX hosts, gzip-compressed and named as the\n"
	 "RFC says; DIR/index.json lists each domain's reports and the rua it\n"
	 "publishes (docs/tlsrpt.md). Sending them is left to the mail system.\n",
	 "Exit status: 0 success, 1 a record could not be read, 2 usage or output\n"
	 "error.\n",
	 {CLI_SEC_OTHER},
	 {NULL},
	 1},
	{CLI_HISTORY,
	 "Usage: smtptls history FILE|URI [--server IP] [--export OUT | --import IN]\n"
	 "\n"
	 "Prints what a history (analyze/live --history: an SQLite file or a\n"
	 "PostgreSQL database) knows about each server: first and last seen,\n"
	 "connections, STARTTLS offered and used, TLS 1.3, the TLS versions seen.\n"
	 "--export writes the whole history as JSON Lines, --import adds such\n"
	 "an export to a history: together they move a history between SQLite\n"
	 "and PostgreSQL.\n",
	 NULL,
	 {CLI_SEC_OTHER},
	 {NULL},
	 1},
};

/* A row's default, as the help shows it. */
static void cli_default_text(const struct cli_opt *o, char *buf, size_t n)
{
	struct cli_analyze d;
	cli_defaults(&d);
	uint64_t v = o->kind == CLI_STR || o->kind == CLI_PORTS ? 0 : cli_load(&d, o);
	buf[0] = '\0';
	if (o->kind == CLI_STR || o->kind == CLI_PORTS) {
		const char *s = cli_load_str(&d, o);
		snprintf(buf, n, "%s", s ? s : "");
	} else if (o->kind == CLI_SIZE) {
		cli_size_text(v, buf, n);
	} else if (o->kind == CLI_UINT) {
		snprintf(buf, n, "%llu", (unsigned long long)(v / (o->scale ? o->scale : 1)));
	} else if (o->kind == CLI_CHOICE) {
		for (const struct cli_choice *c = o->choices; c->name; c++)
			if (c->value == v)
				snprintf(buf, n, "%s", c->name);
	}
}

/* "  -s, --sessions FILE     text": the text starts in column 26, or two
 * spaces after a longer left part; its further lines are indented to 26. */
static void cli_usage_row(const struct cli_opt *o, unsigned cmd, FILE *out)
{
	char left[64], def[64];
	int k = snprintf(left, sizeof(left), "  %c%c%c --%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
	fprintf(out, "%s%*s", left, k < 24 ? 26 - k : 2, "");
	const char *help = cmd == CLI_LIVE && o->live_help ? o->live_help : o->help;
	cli_default_text(o, def, sizeof(def));
	for (const char *p = help; *p; p++) {
		if (p[0] == '%' && p[1] == 'D') {
			fputs(def, out);
			p++;
		} else if (*p == '\n') {
			fprintf(out, "\n%26s", "");
		} else {
			fputc(*p, out);
		}
	}
	fputc('\n', out);
}

void cli_usage(unsigned cmd, FILE *out)
{
	const struct cli_page *pg = NULL;
	for (size_t i = 0; i < sizeof(cli_pages) / sizeof(cli_pages[0]); i++)
		if (cli_pages[i].cmd == cmd)
			pg = &cli_pages[i];
	if (!pg)
		return;
	fputs(pg->head, out);
	for (unsigned s = 0; s < pg->nsections; s++) {
		int first = 1;
		for (size_t i = 0; i < CLI_NOPTS; i++) {
			const struct cli_opt *o = &cli_opts[i];
			if (!(o->cmds & cmd) || o->section != pg->sections[s])
				continue;
			if (first) {
				fputc('\n', out);
				if (pg->titles[s])
					fprintf(out, "%s\n", pg->titles[s]);
				first = 0;
			}
			cli_usage_row(o, cmd, out);
		}
	}
	if (pg->foot)
		fprintf(out, "\n%s", pg->foot);
}

void cli_list_options(FILE *out)
{
	static const char *const roles[] = {"engine",  "detector", "io",
					    "process", "display",  "path"};
	fprintf(out, "# name\tshort\tvalue\tcommands\troles\n");
	for (size_t i = 0; i < CLI_NOPTS; i++) {
		const struct cli_opt *o = &cli_opts[i];
		fprintf(out, "%s\t%c\t%s\t", o->name, o->short_name ? o->short_name : '-',
			o->kind == CLI_FLAG || o->kind == CLI_HELP ? "flag" : "value");
		const char *sep = "";
		for (unsigned c = 0; c < 5; c++)
			if (o->cmds & (1u << c)) {
				fprintf(out, "%s%s", sep, cli_cmd_name(1u << c));
				sep = ",";
			}
		fputc('\t', out);
		sep = "";
		for (unsigned r = 0; r < 6; r++)
			if (o->roles & (1u << r)) {
				fprintf(out, "%s%s", sep, roles[r]);
				sep = ",";
			}
		fprintf(out, "%s\n", *sep ? "" : "-");
	}
}
