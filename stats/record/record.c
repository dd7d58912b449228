/* record.c — the connection record and its JSON form (docs/schema.md). */
#include "stats/record/record.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>

#include "dissectors/base/civil.h"
#include "stats/record/rec_cert.h"
#include "stats/record/rec_tls.h"

static const char *const rec_end_names[REC_END_COUNT] = {
	[REC_END_FIN] = "fin",	       [REC_END_RST] = "rst", [REC_END_TIMEOUT] = "timeout",
	[REC_END_EVICTED] = "evicted", [REC_END_EOF] = "eof", [REC_END_REUSED] = "reused",
};

static const char *const rec_enc_names[REC_ENC_COUNT] = {
	[REC_ENC_UNKNOWN] = "unknown",
	[REC_ENC_PLAINTEXT] = "plaintext",
	[REC_ENC_STARTTLS] = "starttls",
	[REC_ENC_IMPLICIT_TLS] = "implicit_tls",
	[REC_ENC_STARTTLS_REFUSED] = "starttls_refused",
	[REC_ENC_STARTTLS_FAILED] = "starttls_failed",
	[REC_ENC_TLS_UNKNOWN_START] = "tls_unknown_start",
};

static const struct rec_anom_info rec_anomalies[REC_A_COUNT] = {
#define REC_ANOM_INFO(id, name, sev, summary) [REC_A_##id] = {name, REC_SEV_##sev, summary},
	ANOMALIES(REC_ANOM_INFO)
#undef REC_ANOM_INFO
};

static const char *const rec_sev_names[] = {"info", "low", "medium", "high"};

static const char *rec_absent_name(unsigned a)
{
	static const char *const names[REC_ABS_COUNT] = {
		[REC_ABS_NONE] = "none",
		[REC_ABS_NO_PAYLOAD] = "no_payload",
		[REC_ABS_NOT_SMTP] = "not_smtp",
		[REC_ABS_IMPLICIT_TLS] = "implicit_tls",
		[REC_ABS_NOT_TLS] = "not_tls",
		[REC_ABS_NO_SMTP_SEEN] = "no_smtp_seen",
		[REC_ABS_OUT_OF_MEMORY] = "out_of_memory",
	};
	return a < REC_ABS_COUNT ? names[a] : "unknown";
}

const char *rec_enc_name(enum rec_enc e)
{
	return (unsigned)e < REC_ENC_COUNT ? rec_enc_names[e] : "unknown";
}

const struct rec_anom_info *rec_anom_info(enum rec_anom a)
{
	return (unsigned)a < REC_A_COUNT ? &rec_anomalies[a] : NULL;
}

const struct rec_anom_info *rec_anom_by_name(const char *name)
{
	for (int i = 0; i < REC_A_COUNT; i++)
		if (strcmp(rec_anomalies[i].name, name) == 0)
			return &rec_anomalies[i];
	return NULL;
}

const char *rec_anom_name(enum rec_anom a)
{
	return (unsigned)a < REC_A_COUNT ? rec_anomalies[a].name : "unknown";
}

const char *rec_severity_name(enum rec_severity s)
{
	return (unsigned)s <= REC_SEV_HIGH ? rec_sev_names[s] : "info";
}

static void rec_anomaly_fill(struct rec_anomaly *a, enum rec_anom type, enum rec_severity sev,
			     const char *detail)
{
	memset(a, 0, sizeof(*a));
	a->type = (uint8_t)type;
	a->severity = (uint8_t)sev;
	snprintf(a->detail, sizeof(a->detail), "%s", detail ? detail : "");
}

static enum rec_severity rec_anom_default(enum rec_anom type)
{
	const struct rec_anom_info *info = rec_anom_info(type);
	return info ? info->severity : REC_SEV_INFO;
}

struct rec_anomaly *rec_add_anomaly(struct rec *r, enum rec_anom type, const char *detail)
{
	if (r->nanomalies >= REC_MAX_ANOMALIES)
		return NULL;
	struct rec_anomaly *a = &r->anomalies[r->nanomalies++];
	rec_anomaly_fill(a, type, rec_anom_default(type), detail);
	return a;
}

void rec_verdict_init(struct rec_verdict *v, const struct rec *r)
{
	v->n = 0;
	v->room = (uint8_t)(r->nanomalies < REC_MAX_ANOMALIES ? REC_MAX_ANOMALIES - r->nanomalies
							      : 0);
}

struct rec_anomaly *rec_verdict_add_as(struct rec_verdict *v, enum rec_anom type,
				       enum rec_severity sev, const char *detail)
{
	if (v->n >= v->room || v->n >= REC_MAX_ANOMALIES)
		return NULL;
	struct rec_anomaly *a = &v->anomalies[v->n++];
	rec_anomaly_fill(a, type, sev, detail);
	return a;
}

struct rec_anomaly *rec_verdict_add(struct rec_verdict *v, enum rec_anom type, const char *detail)
{
	return rec_verdict_add_as(v, type, rec_anom_default(type), detail);
}

int rec_anomaly_count(const struct rec *r, const struct rec_verdict *v)
{
	int own = r->nanomalies < REC_MAX_ANOMALIES ? r->nanomalies : REC_MAX_ANOMALIES;
	return own + (v ? v->n : 0);
}

const struct rec_anomaly *rec_anomaly_at(const struct rec *r, const struct rec_verdict *v, int i)
{
	int own = r->nanomalies < REC_MAX_ANOMALIES ? r->nanomalies : REC_MAX_ANOMALIES;
	return i < own ? &r->anomalies[i] : &v->anomalies[i - own];
}

const char *rec_end_name(enum rec_end e)
{
	return (unsigned)e < REC_END_COUNT ? rec_end_names[e] : "unknown";
}

void rec_format_ts(uint64_t us, char *buf, size_t n)
{
	struct civil c = civil_from_time((int64_t)(us / 1000000u));
	char t[96];
	snprintf(t, sizeof(t),
		 "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
		 ".%06uZ",
		 c.y, c.m, c.d, c.secs / 3600, c.secs / 60 % 60, c.secs % 60,
		 (unsigned)(us % 1000000u));
	snprintf(buf, n, "%s", t);
	snprintf(buf, n,
		 "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
		 ".%06uZ",
		 c.y, c.m, c.d, c.secs / 3600, c.secs / 60 % 60, c.secs % 60,
		 (unsigned)(us % 1000000u));
}

/* Digits of v, most significant first, at p; returns the end. */
static char *rec_put_u(char *p, uint64_t v)
{
	char t[20];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = t[--n];
	return p;
}

void rec_format_addr(const struct rec_ep *e, char *buf, size_t n)
{
	if (e->family == 6) {
		if (!inet_ntop(AF_INET6, e->addr, buf, (socklen_t)n))
			snprintf(buf, n, "?");
		return;
	}
	/* inet_ntop(AF_INET) is "%u.%u.%u.%u" through sprintf: the detectors and
	 * the statistics format addresses for every record, so by hand */
	char a[16], *p = a;
	for (int i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = rec_put_u(p, e->addr[i]);
	}
	size_t len = (size_t)(p - a);
	if (len + 1 > n) {
		snprintf(buf, n, "?"); /* as when inet_ntop() finds no room */
		return;
	}
	memcpy(buf, a, len);
	buf[len] = '\0';
}

static json_t *rec_ep_json(const struct rec_ep *e)
{
	char a[64];
	rec_format_addr(e, a, sizeof(a));
	return json_pack("{s:s,s:i}", "ip", a, "port", (json_int_t)e->port);
}

static json_t *rec_pair(uint64_t c, uint64_t s)
{
	return json_pack("{s:I,s:I}", "client", (json_int_t)c, "server", (json_int_t)s);
}

static json_t *rec_smtp_json(const struct rec *r)
{
	const struct smtp_facts *f = &r->smtp;
	json_t *caps = json_array();
	json_t *cmds = json_object();
	if (!caps || !cmds)
		goto fail;
	for (int i = 0; i < f->ncaps; i++)
		json_array_append_new(caps, json_string(f->caps[i]));
	for (int v = 0; v < SMTP_V_COUNT; v++)
		if (f->commands[v])
			json_object_set_new(cmds, smtp_verb_name((enum smtp_verb)v),
					    json_integer((json_int_t)f->commands[v]));
	json_t *auth = f->auth_mech[0] ? json_pack("{s:s,s:b,s:o}", "mechanism", f->auth_mech,
						   "before_tls", f->auth_before_tls, "reply",
						   f->auth_reply ? json_integer(f->auth_reply)
								 : json_null())
				       : json_null();
	const char *sw = smtp_server_software(f);
	const char *helo_verb =
		f->helo_verb ? smtp_verb_name((enum smtp_verb)(f->helo_verb - 1)) : NULL;
	return json_pack(
		"{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:o,s:o,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}",
		"banner", f->greeting_seen ? json_string(f->banner) : json_null(), "greeting_code",
		f->greeting_seen ? json_integer(f->greeting_code) : json_null(), "server_name",
		f->server_name[0] ? json_string(f->server_name) : json_null(), "server_software",
		sw ? json_string(sw) : json_null(), "helo",
		helo_verb ? json_string(f->helo) : json_null(), "helo_verb",
		helo_verb ? json_string(helo_verb) : json_null(), "capabilities", caps,
		"starttls_offered", f->starttls_offered, "starttls_requested",
		f->starttls_requested, "starttls_reply",
		f->starttls_reply ? json_integer(f->starttls_reply) : json_null(), "auth", auth,
		"messages", (json_int_t)f->messages, "messages_accepted",
		(json_int_t)f->messages_accepted, "recipients", (json_int_t)f->recipients,
		"message_bytes", (json_int_t)f->message_bytes, "commands", cmds, "last_reply",
		f->last_reply ? json_integer(f->last_reply) : json_null(), "last_transaction_reply",
		f->last_txn_reply ? json_integer(f->last_txn_reply) : json_null(), "long_lines",
		rec_pair(f->long_lines[0], f->long_lines[1]));
fail:
	json_decref(caps);
	json_decref(cmds);
	return NULL;
}

static json_t *rec_anomalies_json(const struct rec *r)
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	for (int i = 0; i < r->nanomalies; i++) {
		const struct rec_anomaly *x = &r->anomalies[i];
		json_array_append_new(
			a, json_pack("{s:s,s:s,s:s}", "type", rec_anom_name((enum rec_anom)x->type),
				     "severity", rec_severity_name((enum rec_severity)x->severity),
				     "detail", x->detail));
	}
	return a;
}

json_t *rec_to_json(const struct rec *r)
{
	char ts[32];
	rec_format_ts(r->ts_us, ts, sizeof(ts));
	uint64_t dur = r->end_us >= r->ts_us ? r->end_us - r->ts_us : 0;

	json_t *tcp = json_pack(
		"{s:b,s:b,s:{s:b,s:b},s:b,s:b,s:o,s:o,s:o,s:o,s:o}", "syn", r->tcp.syn, "synack",
		r->tcp.synack, "fin", "client", r->tcp.fin[0], "server", r->tcp.fin[1], "rst",
		r->tcp.rst, "midstream", r->tcp.midstream, "stream_bytes",
		rec_pair(r->tcp.stream_bytes[0], r->tcp.stream_bytes[1]), "retransmitted",
		rec_pair(r->tcp.retransmitted[0], r->tcp.retransmitted[1]), "out_of_order",
		rec_pair(r->tcp.out_of_order[0], r->tcp.out_of_order[1]), "overlap_conflicts",
		rec_pair(r->tcp.overlap_conflicts[0], r->tcp.overlap_conflicts[1]),
		"overflow_bytes", rec_pair(r->tcp.overflow_bytes[0], r->tcp.overflow_bytes[1]));
	if (!tcp)
		return NULL;
	json_t *smtp = r->smtp_valid ? rec_smtp_json(r) : json_null();
	json_t *tls = r->tls_valid ? rec_tls_json(&r->tls) : json_null();
	json_t *absent = r->smtp_valid || !r->smtp_absent
				 ? json_null()
				 : json_string(rec_absent_name(r->smtp_absent));
	/* clang-format off */
	json_t *cert = r->cert.present ? rec_cert_json(&r->cert) : json_null();
	return json_pack("{s:s,s:f,s:o,s:o,s:o,s:o,s:b,s:I,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:o}",
			 "ts", ts,
			 "duration", (double)dur / 1e6,
			 "client", rec_ep_json(&r->client),
			 "server", rec_ep_json(&r->server),
			 "bytes", rec_pair(r->bytes[0], r->bytes[1]),
			 "packets", rec_pair(r->packets[0], r->packets[1]),
			 "complete", r->complete,
			 "gaps", (json_int_t)r->gap_bytes,
			 "end", rec_end_name((enum rec_end)r->end),
			 "tcp", tcp,
			 "encryption", rec_enc_name((enum rec_enc)r->encryption),
			 "smtp", smtp,
			 "smtp_absent", absent,
			 "tls", tls,
			 "cert", cert,
			 "anomalies", rec_anomalies_json(r));
	/* clang-format on */
}

/* The direct writer: rec_to_json()'s object without the tree, key by key in
 * the same order. json_pack() fails as a whole on a text jansson refuses
 * (not UTF-8) and rec_to_json() then returns NULL: those places return -1. */

void rec_w_pair(struct jsonw *w, uint64_t c, uint64_t s)
{
	JSONW_LIT(w, "{\"client\":");
	jsonw_int(w, (int64_t)c);
	JSONW_LIT(w, ",\"server\":");
	jsonw_int(w, (int64_t)s);
	JSONW_LIT(w, "}");
}

/* rec_format_ts() as a JSON string, without gmtime/strftime/printf (the
 * time is unsigned, so from 1970 on, and %Y writes a year of 5 or 6 digits in
 * full as this does). */
static void rec_w_ts(struct jsonw *w, uint64_t us)
{
	struct civil c = civil_from_time((int64_t)(us / 1000000u));
	unsigned frac = (unsigned)(us % 1000000u);
	char b[48], *p = b;
	*p++ = '"';
	p = rec_put_u(p, (uint64_t)c.y);
	*p++ = '-';
	p = rec_put2(p, c.m);
	*p++ = '-';
	p = rec_put2(p, c.d);
	*p++ = 'T';
	p = rec_put2(p, c.secs / 3600);
	*p++ = ':';
	p = rec_put2(p, c.secs / 60 % 60);
	*p++ = ':';
	p = rec_put2(p, c.secs % 60);
	*p++ = '.';
	for (int i = 5; i >= 0; i--) {
		p[i] = (char)('0' + frac % 10u);
		frac /= 10u;
	}
	p += 6;
	*p++ = 'Z';
	*p++ = '"';
	jsonw_raw(w, b, (size_t)(p - b));
}

static void rec_w_ep(struct jsonw *w, const struct rec_ep *e)
{
	char a[64];
	rec_format_addr(e, a, sizeof(a));
	JSONW_LIT(w, "{\"ip\":");
	jsonw_str(w, a, sizeof(a));
	JSONW_LIT(w, ",\"port\":");
	jsonw_int(w, e->port);
	JSONW_LIT(w, "}");
}

/* "name" of a static table (ASCII), or null. */
static void rec_w_name(struct jsonw *w, const char *s)
{
	if (jsonw_str(w, s, SIZE_MAX) != 0)
		jsonw_null(w);
}

static void rec_w_code(struct jsonw *w, unsigned v)
{
	if (v)
		jsonw_int(w, v);
	else
		jsonw_null(w);
}

static int rec_w_smtp(struct jsonw *w, const struct rec *r)
{
	const struct smtp_facts *f = &r->smtp;
	const char *sw = smtp_server_software(f);
	const char *helo_verb =
		f->helo_verb ? smtp_verb_name((enum smtp_verb)(f->helo_verb - 1)) : NULL;

	JSONW_LIT(w, "{\"banner\":");
	if (!f->greeting_seen)
		jsonw_null(w);
	else if (jsonw_str(w, f->banner, sizeof(f->banner)) != 0)
		return -1;
	JSONW_LIT(w, ",\"greeting_code\":");
	if (f->greeting_seen)
		jsonw_int(w, f->greeting_code);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"server_name\":");
	if (!f->server_name[0])
		jsonw_null(w);
	else if (jsonw_str(w, f->server_name, sizeof(f->server_name)) != 0)
		return -1;
	JSONW_LIT(w, ",\"server_software\":");
	if (!sw)
		jsonw_null(w);
	else if (jsonw_str(w, sw, SIZE_MAX) != 0)
		return -1;
	JSONW_LIT(w, ",\"helo\":");
	if (!helo_verb)
		jsonw_null(w);
	else if (jsonw_str(w, f->helo, sizeof(f->helo)) != 0)
		return -1;
	JSONW_LIT(w, ",\"helo_verb\":");
	if (!helo_verb)
		jsonw_null(w);
	else if (jsonw_str(w, helo_verb, SIZE_MAX) != 0)
		return -1;

	/* json_array_append_new() drops a capability json_string() refuses */
	JSONW_LIT(w, ",\"capabilities\":[");
	int first = 1;
	for (int i = 0; i < f->ncaps && i < SMTP_MAX_CAPS; i++) {
		size_t m = w->len;
		if (!first)
			JSONW_LIT(w, ",");
		if (jsonw_str(w, f->caps[i], sizeof(f->caps[i])) != 0)
			w->len = m;
		else
			first = 0;
	}
	JSONW_LIT(w, "],\"starttls_offered\":");
	jsonw_bool(w, f->starttls_offered);
	JSONW_LIT(w, ",\"starttls_requested\":");
	jsonw_bool(w, f->starttls_requested);
	JSONW_LIT(w, ",\"starttls_reply\":");
	rec_w_code(w, f->starttls_reply);
	JSONW_LIT(w, ",\"auth\":");
	if (!f->auth_mech[0]) {
		jsonw_null(w);
	} else {
		JSONW_LIT(w, "{\"mechanism\":");
		if (jsonw_str(w, f->auth_mech, sizeof(f->auth_mech)) != 0)
			return -1;
		JSONW_LIT(w, ",\"before_tls\":");
		jsonw_bool(w, f->auth_before_tls);
		JSONW_LIT(w, ",\"reply\":");
		rec_w_code(w, f->auth_reply);
		JSONW_LIT(w, "}");
	}
	JSONW_LIT(w, ",\"messages\":");
	jsonw_int(w, f->messages);
	JSONW_LIT(w, ",\"messages_accepted\":");
	jsonw_int(w, f->messages_accepted);
	JSONW_LIT(w, ",\"recipients\":");
	jsonw_int(w, f->recipients);
	JSONW_LIT(w, ",\"message_bytes\":");
	jsonw_int(w, (int64_t)f->message_bytes);
	JSONW_LIT(w, ",\"commands\":{");
	first = 1;
	for (int v = 0; v < SMTP_V_COUNT; v++) {
		if (!f->commands[v])
			continue;
		if (!first)
			JSONW_LIT(w, ",");
		first = 0;
		jsonw_str(w, smtp_verb_name((enum smtp_verb)v), SIZE_MAX);
		JSONW_LIT(w, ":");
		jsonw_int(w, f->commands[v]);
	}
	JSONW_LIT(w, "},\"last_reply\":");
	rec_w_code(w, f->last_reply);
	JSONW_LIT(w, ",\"last_transaction_reply\":");
	rec_w_code(w, f->last_txn_reply);
	JSONW_LIT(w, ",\"long_lines\":");
	rec_w_pair(w, f->long_lines[0], f->long_lines[1]);
	JSONW_LIT(w, "}");
	return 0;
}

int rec_json_head(struct jsonw *w, const struct rec *r)
{
	uint64_t dur = r->end_us >= r->ts_us ? r->end_us - r->ts_us : 0;

	JSONW_LIT(w, "{\"ts\":");
	rec_w_ts(w, r->ts_us);
	JSONW_LIT(w, ",\"duration\":");
	jsonw_micros(w, dur);
	JSONW_LIT(w, ",\"client\":");
	rec_w_ep(w, &r->client);
	JSONW_LIT(w, ",\"server\":");
	rec_w_ep(w, &r->server);
	JSONW_LIT(w, ",\"bytes\":");
	rec_w_pair(w, r->bytes[0], r->bytes[1]);
	JSONW_LIT(w, ",\"packets\":");
	rec_w_pair(w, r->packets[0], r->packets[1]);
	JSONW_LIT(w, ",\"complete\":");
	jsonw_bool(w, r->complete);
	JSONW_LIT(w, ",\"gaps\":");
	jsonw_int(w, (int64_t)r->gap_bytes);
	JSONW_LIT(w, ",\"end\":");
	rec_w_name(w, rec_end_name((enum rec_end)r->end));

	JSONW_LIT(w, ",\"tcp\":{\"syn\":");
	jsonw_bool(w, r->tcp.syn);
	JSONW_LIT(w, ",\"synack\":");
	jsonw_bool(w, r->tcp.synack);
	JSONW_LIT(w, ",\"fin\":{\"client\":");
	jsonw_bool(w, r->tcp.fin[0]);
	JSONW_LIT(w, ",\"server\":");
	jsonw_bool(w, r->tcp.fin[1]);
	JSONW_LIT(w, "},\"rst\":");
	jsonw_bool(w, r->tcp.rst);
	JSONW_LIT(w, ",\"midstream\":");
	jsonw_bool(w, r->tcp.midstream);
	JSONW_LIT(w, ",\"stream_bytes\":");
	rec_w_pair(w, r->tcp.stream_bytes[0], r->tcp.stream_bytes[1]);
	JSONW_LIT(w, ",\"retransmitted\":");
	rec_w_pair(w, r->tcp.retransmitted[0], r->tcp.retransmitted[1]);
	JSONW_LIT(w, ",\"out_of_order\":");
	rec_w_pair(w, r->tcp.out_of_order[0], r->tcp.out_of_order[1]);
	JSONW_LIT(w, ",\"overlap_conflicts\":");
	rec_w_pair(w, r->tcp.overlap_conflicts[0], r->tcp.overlap_conflicts[1]);
	JSONW_LIT(w, ",\"overflow_bytes\":");
	rec_w_pair(w, r->tcp.overflow_bytes[0], r->tcp.overflow_bytes[1]);

	JSONW_LIT(w, "},\"encryption\":");
	rec_w_name(w, rec_enc_name((enum rec_enc)r->encryption));
	JSONW_LIT(w, ",\"smtp\":");
	if (!r->smtp_valid)
		jsonw_null(w);
	else if (rec_w_smtp(w, r) != 0)
		return -1;
	JSONW_LIT(w, ",\"smtp_absent\":");
	if (r->smtp_valid || !r->smtp_absent)
		jsonw_null(w);
	else
		rec_w_name(w, rec_absent_name(r->smtp_absent));
	JSONW_LIT(w, ",\"tls\":");
	if (r->tls_valid)
		rec_tls_write(w, &r->tls);
	else
		jsonw_null(w);
	JSONW_LIT(w, ",\"cert\":");
	if (rec_cert_write(w, &r->cert) != 0)
		return -1;
	JSONW_LIT(w, ",\"anomalies\":");
	return w->failed ? -1 : 0;
}

int rec_json_anomalies(struct jsonw *w, const struct rec *r, const struct rec_verdict *v)
{
	int first = 1;
	JSONW_LIT(w, "[");
	for (int i = 0; i < rec_anomaly_count(r, v); i++) {
		const struct rec_anomaly *x = rec_anomaly_at(r, v, i);
		size_t m = w->len;
		if (!first)
			JSONW_LIT(w, ",");
		JSONW_LIT(w, "{\"type\":");
		rec_w_name(w, rec_anom_name((enum rec_anom)x->type));
		JSONW_LIT(w, ",\"severity\":");
		rec_w_name(w, rec_severity_name((enum rec_severity)x->severity));
		JSONW_LIT(w, ",\"detail\":");
		/* json_pack() fails on a detail that is not UTF-8 and
		 * json_array_append_new() then drops the anomaly */
		if (jsonw_str(w, x->detail, sizeof(x->detail)) != 0) {
			w->len = m;
			continue;
		}
		JSONW_LIT(w, "}");
		first = 0;
	}
	JSONW_LIT(w, "]}");
	return w->failed ? -1 : 0;
}
