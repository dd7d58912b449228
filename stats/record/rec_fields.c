/* rec_fields.c — the record's JSON fields, in order (docs/schema.md); the
 * "tls" and "cert" values are listed by rec_tls.c and rec_cert.c. */
#include "stats/record/rec_fields.h"

#include <stdint.h>

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

/* A reply code: null when none was seen (0). */
static void rec_f_code(rec_field_fn fn, void *ctx, const char *key, unsigned v)
{
	rec_f_emit(fn, ctx, key, v ? REC_F_INT : REC_F_NULL, v);
}

/* A text of the SMTP facts, or null when absent: a record whose text is not
 * UTF-8 cannot be written. */
static void rec_f_smtp_text(rec_field_fn fn, void *ctx, const char *key, int present, const char *s,
			    size_t len)
{
	if (present)
		rec_f_text(fn, ctx, key, s, len, REC_BAD_FAIL);
	else
		rec_f_emit(fn, ctx, key, REC_F_NULL, 0);
}

static void rec_f_smtp(const struct smtp_facts *f, rec_field_fn fn, void *ctx)
{
	const char *sw = smtp_server_software(f);
	const char *helo_verb =
		f->helo_verb ? smtp_verb_name((enum smtp_verb)(f->helo_verb - 1)) : NULL;

	rec_f_emit(fn, ctx, "smtp", REC_F_OBJECT, 0);
	rec_f_smtp_text(fn, ctx, "banner", f->greeting_seen, f->banner, sizeof(f->banner));
	rec_f_emit(fn, ctx, "greeting_code", f->greeting_seen ? REC_F_INT : REC_F_NULL,
		   f->greeting_code);
	rec_f_smtp_text(fn, ctx, "server_name", f->server_name[0] != '\0', f->server_name,
			sizeof(f->server_name));
	rec_f_smtp_text(fn, ctx, "server_software", sw != NULL, sw, SIZE_MAX);
	rec_f_smtp_text(fn, ctx, "helo", helo_verb != NULL, f->helo, sizeof(f->helo));
	rec_f_smtp_text(fn, ctx, "helo_verb", helo_verb != NULL, helo_verb, SIZE_MAX);
	rec_f_emit(fn, ctx, "capabilities", REC_F_ARRAY, 0);
	for (int i = 0; i < f->ncaps && i < SMTP_MAX_CAPS; i++)
		rec_f_text(fn, ctx, NULL, f->caps[i], sizeof(f->caps[i]), REC_BAD_OMIT);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	rec_f_emit(fn, ctx, "starttls_offered", REC_F_BOOL, f->starttls_offered);
	rec_f_emit(fn, ctx, "starttls_requested", REC_F_BOOL, f->starttls_requested);
	rec_f_code(fn, ctx, "starttls_reply", f->starttls_reply);
	if (f->tls_despite_reply) /* written only when so: older records are unchanged */
		rec_f_emit(fn, ctx, "tls_despite_reply", REC_F_BOOL, 1);
	if (f->auth_mech[0]) {
		rec_f_emit(fn, ctx, "auth", REC_F_OBJECT, 0);
		rec_f_text(fn, ctx, "mechanism", f->auth_mech, sizeof(f->auth_mech), REC_BAD_FAIL);
		rec_f_emit(fn, ctx, "before_tls", REC_F_BOOL, f->auth_before_tls);
		rec_f_code(fn, ctx, "reply", f->auth_reply);
		rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	} else {
		rec_f_emit(fn, ctx, "auth", REC_F_NULL, 0);
	}
	rec_f_emit(fn, ctx, "messages", REC_F_INT, f->messages);
	rec_f_emit(fn, ctx, "messages_accepted", REC_F_INT, f->messages_accepted);
	rec_f_emit(fn, ctx, "recipients", REC_F_INT, f->recipients);
	rec_f_emit(fn, ctx, "message_bytes", REC_F_INT, (int64_t)f->message_bytes);
	rec_f_emit(fn, ctx, "commands", REC_F_OBJECT, 0);
	for (int v = 0; v < SMTP_V_COUNT; v++)
		if (f->commands[v])
			rec_f_emit(fn, ctx, smtp_verb_name((enum smtp_verb)v), REC_F_INT,
				   f->commands[v]);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	rec_f_code(fn, ctx, "last_reply", f->last_reply);
	rec_f_code(fn, ctx, "last_transaction_reply", f->last_txn_reply);
	rec_f_pair(fn, ctx, "long_lines", f->long_lines[0], f->long_lines[1]);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

/* A fact the heads do not show: null. */
static void rec_f_null(rec_field_fn fn, void *ctx, const char *key)
{
	rec_f_emit(fn, ctx, key, REC_F_NULL, 0);
}

/* The SMTP facts of a connection read by packet heads: the ones a segment's
 * first bytes show, null for the rest (docs/schema.md). */
static void rec_f_smtp_head(const struct smtp_facts *f, rec_field_fn fn, void *ctx)
{
	static const char *const unknown_a[] = {"banner", "server_name", "server_software", "helo"};
	static const char *const unknown_b[] = {"starttls_offered"};
	static const char *const unknown_c[] = {
		"auth",	    "messages",	  "messages_accepted",	    "recipients", "message_bytes",
		"commands", "last_reply", "last_transaction_reply", "long_lines",
	};
	const char *helo_verb =
		f->helo_verb ? smtp_verb_name((enum smtp_verb)(f->helo_verb - 1)) : NULL;
	rec_f_emit(fn, ctx, "smtp", REC_F_OBJECT, 0);
	rec_f_emit(fn, ctx, "greeting_code", f->greeting_seen ? REC_F_INT : REC_F_NULL,
		   f->greeting_code);
	for (size_t i = 0; i < sizeof(unknown_a) / sizeof(unknown_a[0]); i++)
		rec_f_null(fn, ctx, unknown_a[i]);
	rec_f_smtp_text(fn, ctx, "helo_verb", helo_verb != NULL, helo_verb, SIZE_MAX);
	rec_f_null(fn, ctx, "capabilities");
	for (size_t i = 0; i < sizeof(unknown_b) / sizeof(unknown_b[0]); i++)
		rec_f_null(fn, ctx, unknown_b[i]);
	rec_f_emit(fn, ctx, "starttls_requested", REC_F_BOOL, f->starttls_requested);
	rec_f_code(fn, ctx, "starttls_reply", f->starttls_reply);
	for (size_t i = 0; i < sizeof(unknown_c) / sizeof(unknown_c[0]); i++)
		rec_f_null(fn, ctx, unknown_c[i]);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

/* The TLS facts of a connection read by packet heads. */
static void rec_f_tls_head(const struct rec *r, rec_field_fn fn, void *ctx)
{
	static const char *const unknown[] = {"version", "cipher", "sni", "resumed", "ja3", "ja4"};
	rec_f_emit(fn, ctx, "tls", REC_F_OBJECT, 0);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		rec_f_null(fn, ctx, unknown[i]);
	rec_f_emit(fn, ctx, "client_hello", REC_F_BOOL, r->head_hello[0]);
	rec_f_emit(fn, ctx, "server_hello", REC_F_BOOL, r->head_hello[1]);
	rec_f_emit(fn, ctx, "established", REC_F_BOOL, r->tls.established);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

static void rec_f_ep(rec_field_fn fn, void *ctx, const char *key, const struct rec_ep *e)
{
	struct rec_field ip = {.key = "ip", .kind = REC_F_ADDRESS, .ep = e};
	rec_f_emit(fn, ctx, key, REC_F_OBJECT, 0);
	fn(ctx, &ip);
	rec_f_emit(fn, ctx, "port", REC_F_INT, e->port);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

/* A name from a static table (ASCII). */
static void rec_f_name(rec_field_fn fn, void *ctx, const char *key, const char *name)
{
	rec_f_text(fn, ctx, key, name, SIZE_MAX, REC_BAD_NULL);
}

static void rec_f_tcp(const struct rec *r, rec_field_fn fn, void *ctx)
{
	rec_f_emit(fn, ctx, "tcp", REC_F_OBJECT, 0);
	rec_f_emit(fn, ctx, "syn", REC_F_BOOL, r->tcp.syn);
	rec_f_emit(fn, ctx, "synack", REC_F_BOOL, r->tcp.synack);
	rec_f_emit(fn, ctx, "fin", REC_F_OBJECT, 0);
	rec_f_emit(fn, ctx, "client", REC_F_BOOL, r->tcp.fin[0]);
	rec_f_emit(fn, ctx, "server", REC_F_BOOL, r->tcp.fin[1]);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	rec_f_emit(fn, ctx, "rst", REC_F_BOOL, r->tcp.rst);
	rec_f_emit(fn, ctx, "midstream", REC_F_BOOL, r->tcp.midstream);
	rec_f_pair(fn, ctx, "stream_bytes", r->tcp.stream_bytes[0], r->tcp.stream_bytes[1]);
	rec_f_pair(fn, ctx, "retransmitted", r->tcp.retransmitted[0], r->tcp.retransmitted[1]);
	rec_f_pair(fn, ctx, "out_of_order", r->tcp.out_of_order[0], r->tcp.out_of_order[1]);
	rec_f_pair(fn, ctx, "overlap_conflicts", r->tcp.overlap_conflicts[0],
		   r->tcp.overlap_conflicts[1]);
	rec_f_pair(fn, ctx, "overflow_bytes", r->tcp.overflow_bytes[0], r->tcp.overflow_bytes[1]);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

static void rec_f_head(const struct rec *r, rec_field_fn fn, void *ctx)
{
	struct rec_field ts = {.key = "ts", .kind = REC_F_TS, .u = r->ts_us};
	struct rec_field dur = {.key = "duration", .kind = REC_F_SECONDS};
	dur.u = r->end_us >= r->ts_us ? r->end_us - r->ts_us : 0;

	rec_f_emit(fn, ctx, NULL, REC_F_OBJECT, 0);
	fn(ctx, &ts);
	fn(ctx, &dur);
	rec_f_ep(fn, ctx, "client", &r->client);
	rec_f_ep(fn, ctx, "server", &r->server);
	rec_f_pair(fn, ctx, "bytes", r->bytes[0], r->bytes[1]);
	rec_f_pair(fn, ctx, "packets", r->packets[0], r->packets[1]);
	rec_f_emit(fn, ctx, "complete", REC_F_BOOL, r->complete);
	rec_f_emit(fn, ctx, "gaps", REC_F_INT, (int64_t)r->gap_bytes);
	rec_f_name(fn, ctx, "end", rec_end_name((enum rec_end)r->end));
	rec_f_tcp(r, fn, ctx);
	rec_f_name(fn, ctx, "encryption", rec_enc_name((enum rec_enc)r->encryption));
	if (r->head_only) /* written only then: other records are unchanged */
		rec_f_emit(fn, ctx, "head_only", REC_F_BOOL, 1);
	if (r->anon_key[0]) /* likewise: the identifier of the --anonymize key */
		rec_f_name(fn, ctx, "anonymized", r->anon_key);
	if (r->smtp_valid && r->head_only)
		rec_f_smtp_head(&r->smtp, fn, ctx);
	else if (r->smtp_valid)
		rec_f_smtp(&r->smtp, fn, ctx);
	else
		rec_f_emit(fn, ctx, "smtp", REC_F_NULL, 0);
	if (r->smtp_valid || !r->smtp_absent)
		rec_f_emit(fn, ctx, "smtp_absent", REC_F_NULL, 0);
	else
		rec_f_name(fn, ctx, "smtp_absent", rec_absent_name(r->smtp_absent));
	if (r->tls_valid && r->head_only)
		rec_f_tls_head(r, fn, ctx);
	else if (r->tls_valid)
		rec_tls_fields(&r->tls, "tls", fn, ctx);
	else
		rec_f_emit(fn, ctx, "tls", REC_F_NULL, 0);
	rec_cert_fields(&r->cert, "cert", fn, ctx);
	if (r->dns.present)
		rec_dns_fields(&r->dns, "dns", fn, ctx);
}

static void rec_f_anomalies(const struct rec *r, const struct rec_verdict *v, rec_field_fn fn,
			    void *ctx)
{
	if (v && v->policy.judged)
		rec_policy_fields(&v->policy, "policy", fn, ctx);
	rec_f_emit(fn, ctx, "anomalies", REC_F_ARRAY, 0);
	for (int i = 0; i < rec_anomaly_count(r, v); i++) {
		const struct rec_anomaly *x = rec_anomaly_at(r, v, i);
		rec_f_emit(fn, ctx, NULL, REC_F_OBJECT, 0);
		rec_f_name(fn, ctx, "type", rec_anom_name((enum rec_anom)x->type));
		rec_f_name(fn, ctx, "severity", rec_severity_name((enum rec_severity)x->severity));
		rec_f_text(fn, ctx, "detail", x->detail, sizeof(x->detail), REC_BAD_PARENT);
		if (x->confidence) { /* 0.01 .. 1, written as a real */
			struct rec_field c = {.key = "confidence", .kind = REC_F_SECONDS};
			c.u = (uint64_t)x->confidence * 10000u;
			fn(ctx, &c);
		}
		rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	}
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0); /* the record */
}

void rec_fields(const struct rec *r, const struct rec_verdict *v, unsigned parts, rec_field_fn fn,
		void *ctx)
{
	if (parts & REC_PART_HEAD)
		rec_f_head(r, fn, ctx);
	if (parts & REC_PART_ANOMALIES)
		rec_f_anomalies(r, v, fn, ctx);
}
