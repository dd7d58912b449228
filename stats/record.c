/* record.c — the connection record and its JSON form (docs/schema.md). */
#include "stats/record.h"

#include <arpa/inet.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "stats/rec_cert.h"
#include "stats/rec_tls.h"

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

static const char *const rec_anom_names[REC_A_COUNT] = {
	[REC_A_STARTTLS_COMMAND_INJECTION] = "starttls_command_injection",
	[REC_A_STARTTLS_RESPONSE_INJECTION] = "starttls_response_injection",
	[REC_A_PLAINTEXT_AFTER_STARTTLS] = "plaintext_after_starttls",
	[REC_A_SMTP_LINE_TOO_LONG] = "smtp_line_too_long",
	[REC_A_STARTTLS_CAPABILITY_CORRUPTED] = "starttls_capability_corrupted",
	[REC_A_STARTTLS_COMMAND_CORRUPTED] = "starttls_command_corrupted",
	[REC_A_EHLO_DOWNGRADED] = "ehlo_downgraded",
	[REC_A_STARTTLS_CAPABILITY_MISSING] = "starttls_capability_missing",
	[REC_A_STARTTLS_REFUSED] = "starttls_refused",
	[REC_A_STARTTLS_NOT_USED] = "starttls_not_used",
	[REC_A_TLS_HANDSHAKE_FAILED] = "tls_handshake_failed",
	[REC_A_PLAINTEXT_FALLBACK] = "plaintext_fallback",
	[REC_A_TLS_VERSION_DOWNGRADE] = "tls_version_downgrade",
	[REC_A_CERTIFICATE_CHANGED] = "certificate_changed",
	[REC_A_AUTH_IN_PLAINTEXT] = "auth_in_plaintext",
	[REC_A_WEAK_TLS] = "weak_tls",
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

const char *rec_anom_name(enum rec_anom a)
{
	return (unsigned)a < REC_A_COUNT ? rec_anom_names[a] : "unknown";
}

const char *rec_severity_name(enum rec_severity s)
{
	return (unsigned)s <= REC_SEV_HIGH ? rec_sev_names[s] : "info";
}

struct rec_anomaly *rec_add_anomaly(struct rec *r, enum rec_anom type, enum rec_severity sev,
				    const char *detail)
{
	if (r->nanomalies >= REC_MAX_ANOMALIES)
		return NULL;
	struct rec_anomaly *a = &r->anomalies[r->nanomalies++];
	memset(a, 0, sizeof(*a));
	a->type = (uint8_t)type;
	a->severity = (uint8_t)sev;
	snprintf(a->detail, sizeof(a->detail), "%s", detail ? detail : "");
	return a;
}

const char *rec_end_name(enum rec_end e)
{
	return (unsigned)e < REC_END_COUNT ? rec_end_names[e] : "unknown";
}

void rec_format_ts(uint64_t us, char *buf, size_t n)
{
	time_t secs = (time_t)(us / 1000000u);
	struct tm tm;
	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, n, "invalid");
		return;
	}
	char day[24];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%06uZ", day, (unsigned)(us % 1000000u));
}

void rec_format_addr(const struct rec_ep *e, char *buf, size_t n)
{
	if (!inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, buf, (socklen_t)n))
		snprintf(buf, n, "?");
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
