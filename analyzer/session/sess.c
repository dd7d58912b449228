/* sess.c — the session driver: SMTP, the STARTTLS boundary, TLS, counting. */
#include "analyzer/session/sess.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dissectors/base/cur.h"
#include "stats/record/record.h"

static const char *const sess_event_names[SESS_EV_COUNT] = {
	[SESS_EV_CONTRACT_VIOLATION] = "contract_violation",
	[SESS_EV_STALLED] = "stalled",
	[SESS_EV_NO_MEMORY] = "no_memory",
	[SESS_EV_PLAINTEXT_AFTER_STARTTLS] = "plaintext_after_starttls",
};

const char *sess_event_name(enum sess_event e)
{
	return (unsigned)e < SESS_EV_COUNT ? sess_event_names[e] : "unknown";
}

uint32_t sess_event_count(const struct sess *s, enum sess_event e)
{
	return (unsigned)e < SESS_EV_COUNT ? s->events[e] : 0;
}

static void sess_event(struct sess *s, enum sess_event e)
{
	if (s->events[e] != UINT32_MAX)
		s->events[e]++;
}

void sess_init(struct sess *s, const struct sess_cfg *cfg, struct mem *mem, int implicit_tls)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->mem = mem;
	s->implicit_tls = (uint8_t)(implicit_tls != 0);
}

/* The name the certificate should cover: the SNI the client asked for, else
 * the name the server gave in its greeting (RFC 6125 reference identity). */
static const char *sess_cert_name(const struct sess_app *a, enum cert_name_src *src)
{
	if (a->tls.f.sni[0]) {
		*src = CERT_NAME_SNI;
		return a->tls.f.sni;
	}
	if (a->smtp.f.server_name[0]) {
		*src = CERT_NAME_BANNER;
		return a->smtp.f.server_name;
	}
	*src = CERT_NAME_NONE;
	return NULL;
}

/* The server's chain, while the TLS dissector holds it (TLS <= 1.2). */
static void sess_on_chain(void *ctx, const struct tls_chain *chain)
{
	struct sess *s = ctx;
	struct sess_app *a = s->app;
	if (!s->x509 || !a || a->cert.present)
		return;
	enum cert_name_src src;
	const char *name = sess_cert_name(a, &src);
	x509_analyze(s->x509, chain, s->now_us, name, src, s->server_key, &a->cert);
}

/* Allocates the dissectors at the first payload byte. */
static struct sess_app *sess_start(struct sess *s)
{
	if (s->app || s->app_failed)
		return s->app;
	struct sess_app *a =
		s->app_pool ? mem_pool_get(s->app_pool) : mem_calloc(s->mem, sizeof(*a));
	if (!a) {
		s->app_failed = 1;
		sess_event(s, SESS_EV_NO_MEMORY);
		return NULL;
	}
	smtp_init(&a->smtp, &s->cfg->smtp, s->midstream);
	tls_init(&a->tls, &s->cfg->tls, s->mem);
	a->tls.on_chain = sess_on_chain;
	a->tls.chain_ctx = s;
	if (s->implicit_tls)
		a->mode[0] = a->mode[1] = SESS_M_TLS;
	s->app = a;
	return a;
}

/* ---- the STARTTLS boundary (RFC 3207 §4) --------------------------------- */

/* Does a stream that should now be TLS carry an SMTP command instead? Four
 * letters, then the end, a space, CR, LF, or (in a long enough stream) a
 * fifth letter. */
static int sess_looks_like_command(struct cur c)
{
	size_t n = cur_left(&c);
	for (int i = 0; i < 4; i++)
		if (!isalpha(cur_peek_u8(&c)) || !cur_skip(&c, 1))
			return 0;
	int b = cur_peek_u8(&c);
	return n == 4 || b == ' ' || b == '\r' || b == '\n' || (n > 8 && isalpha(b));
}

/* Does a stream that should be TLS start with an SMTP reply ("220 ")? */
static int sess_looks_like_reply(struct cur c)
{
	uint8_t d0 = cur_u8(&c), d1 = cur_u8(&c), d2 = cur_u8(&c), sep = cur_u8(&c);
	return !c.err && isdigit(d0) && isdigit(d1) && isdigit(d2) && (sep == ' ' || sep == '-');
}

/* The server's 220 to STARTTLS was just taken: client bytes the session
 * holds were sent before it (RFC 3207 §4 forbids it): injected plain text,
 * skipped before the client's TLS. */
static void sess_upgraded(struct sess *s, struct sess_app *a)
{
	if (s->held[0]) {
		a->cli_skip = s->held[0];
		a->smtp.f.injected_bytes[0] = s->held[0];
	}
}

/* The first bytes past the boundary decide: TLS, plain text again, or (on the
 * server's side) bytes sent before the client's TLS. Returns 1 with *r set
 * when the bytes are not for the TLS dissector. */
static int sess_boundary(struct sess *s, struct sess_app *a, int dir, struct cur c,
			 struct dissect_result *r)
{
	size_t n = cur_left(&c);
	if (n && !a->seen_after_switch[dir]) {
		a->seen_after_switch[dir] = 1;
		if (dir == 0 && a->srv_held) {
			/* The server spoke after its 220 before the client's first
			 * TLS byte: those bytes were injected. */
			a->srv_skip = a->srv_held;
			a->smtp.f.injected_bytes[1] = a->srv_held;
		}
		if (dir == 0 && a->smtp.f.upgraded) {
			int t = tls_looks_like_tls(cur_peek(&c, n), n);
			if (t < 0) {
				a->seen_after_switch[dir] = 0;
				*r = dissect_result(DISSECT_NEED_MORE, 0, n + 1);
				return 1; /* too few bytes to tell */
			}
			/* STARTTLS was agreed but what follows is not TLS. SMTP
			 * commands (plain text, or a decrypted capture) are
			 * followed as SMTP again; anything else is left to the
			 * TLS dissector, which reports it. */
			if (t == 0) {
				a->plaintext_after_starttls = 1;
				sess_event(s, SESS_EV_PLAINTEXT_AFTER_STARTTLS);
			}
			if (t == 0 && sess_looks_like_command(c)) {
				smtp_resume_plaintext(&a->smtp);
				a->mode[0] = a->mode[1] = SESS_M_SMTP;
				*r = dissect_result(DISSECT_SWITCH, 0, 0);
				return 1;
			}
		}
	}
	if (dir == 1 && !a->smtp.f.upgraded && !a->tls_fed[1] && a->tls.f.not_tls[1] == 0 &&
	    sess_looks_like_reply(c)) {
		/* An implicit-TLS port whose server greets in plain text: the
		 * server side is SMTP (the client's TLS goes unanswered). */
		a->mode[1] = SESS_M_SMTP;
		a->server_plaintext = 1;
		smtp_server_plaintext(&a->smtp);
		*r = dissect_result(DISSECT_SWITCH, 0, 0);
		return 1;
	}
	if (dir == 1 && a->smtp.f.upgraded && !a->seen_after_switch[0]) {
		a->srv_held = n; /* held until the client's first TLS byte */
		a->seen_after_switch[1] = 0;
		*r = dissect_result(DISSECT_WAIT, 0, 0);
		return 1;
	}
	return 0;
}

/* Takes up to *skip bytes from the front of c. */
static void sess_skip(struct cur *c, uint64_t *skip)
{
	size_t k = cur_left(c) < *skip ? cur_left(c) : (size_t)*skip;
	cur_skip(c, k);
	*skip -= k;
}

/* Bytes past the boundary: injected bytes skipped, then the boundary's
 * checks, then the TLS dissector. */
static struct dissect_result sess_tls(struct sess *s, struct sess_app *a, int dir, const uint8_t *p,
				      size_t n, int fresh)
{
	struct cur c = cur_make(p, n);
	struct dissect_result r;
	if (dir == 0 && a->cli_skip) {
		sess_skip(&c, &a->cli_skip);
		if (a->cli_skip || !cur_left(&c))
			return dissect_result(DISSECT_OK, n, 0);
	}
	if (sess_boundary(s, a, dir, c, &r)) {
		r.consumed += c.off;
		return r;
	}
	if (dir == 1 && a->srv_skip) {
		sess_skip(&c, &a->srv_skip);
		if (a->srv_skip)
			return dissect_result(DISSECT_OK, n, 0);
	}
	/* The reassembler delivers one TCP segment's new bytes per call (fresh):
	 * the deliveries that reached the dissector up to the one that completed
	 * the first ClientHello are the segments that carried it (docs/tls.md). */
	if (fresh && dir == 0 && !a->tls.f.client_hello &&
	    a->tls.f.client_hello_segments < UINT8_MAX)
		a->tls.f.client_hello_segments++;
	r = tls_feed(&a->tls, dir, cur_peek(&c, cur_left(&c)), cur_left(&c));
	if (!dissect_violation(&r, cur_left(&c)))
		a->tls_fed[dir] += r.consumed;
	r.consumed += c.off;
	return r;
}

/* Where an answer sends the direction next. Returns 1 to go on with the rest
 * of the bytes, 0 to stop the call. */
static int sess_next(struct sess *s, struct sess_app *a, int dir, uint8_t mode,
		     const struct dissect_result *r)
{
	if (mode == SESS_M_SMTP) {
		if (r->status == DISSECT_INVALID) {
			a->mode[dir] = SESS_M_IGNORE; /* not SMTP: only counted */
			return 1;
		}
		if (r->status != DISSECT_SWITCH)
			return 0;
		if (dir == 1 && a->smtp.f.upgraded && r->consumed)
			sess_upgraded(s, a); /* the 220 was in these bytes */
		if (dir == 1 && a->server_plaintext)
			return 0;
		if (a->smtp.f.client_implicit_tls)
			a->mode[0] = a->mode[1] = SESS_M_TLS;
		a->mode[dir] = SESS_M_TLS;
		return 1;
	}
	if (a->mode[dir] != mode)
		return 1; /* back to SMTP: plain text after STARTTLS */
	if (tls_done(&a->tls)) {
		a->mode[0] = a->mode[1] = SESS_M_COUNT;
		return 1;
	}
	return r->status != DISSECT_NEED_MORE && r->status != DISSECT_WAIT &&
	       r->status != DISSECT_SWITCH;
}

static size_t sess_consume(struct sess *s, int dir, const uint8_t *p, size_t n, int fresh);

static size_t sess_data(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct sess *s = ctx;
	dir &= 1;
	/* The reassembler offers again what was not consumed last time, then
	 * what is new: only the new bytes are counted and shown to the tap. */
	size_t seen = s->held[dir] <= n ? (size_t)s->held[dir] : n;
	s->stream_bytes[dir] += n - seen;
	if (s->tap && n > seen)
		s->tap->data(s->tap->ctx, s->id, dir, p + seen, n - seen);
	size_t used = sess_consume(s, dir, p, n, n > seen);
	s->held[dir] = n - used;
	return used;
}

/* A connection picked up mid-stream whose first bytes in a direction are a
 * TLS record header (not an SSLv2 hello, not SMTP) is inside TLS: both
 * directions go to the TLS dissector, which counts the records and calls
 * the session established on application data both ways. A pickup inside
 * a DATA body or after EHLO starts with text and stays SMTP. */
static void sess_pickup(struct sess *s, struct sess_app *a, int dir, const uint8_t *p, size_t n)
{
	if (a->fed_any[dir] || n < 5)
		return; /* judged already, or too few bytes to judge yet (SMTP holds them) */
	a->fed_any[dir] = 1;
	const struct smtp_facts *m = &a->smtp.f;
	if (!s->midstream || s->implicit_tls || a->mode[dir] != SESS_M_SMTP || m->greeting_seen ||
	    m->last_reply || m->helo_verb || m->commands[SMTP_V_OTHER])
		return;
	struct cur c = cur_make(p, n);
	uint8_t type = cur_u8(&c);
	uint16_t ver = cur_be16(&c);
	if (type < 20 || type > 23 || tls_looks_like_tls(p, n) != 1)
		return;
	a->mode[0] = a->mode[1] = SESS_M_TLS;
	a->tls.f.pickup_record_version = ver;
}

/* Offers the bytes to the direction's reader until they are taken or a
 * reader waits. A reader may hand the rest to another (SWITCH) without taking
 * anything, but not the same byte twice: that would be a loop. */
static size_t sess_consume(struct sess *s, int dir, const uint8_t *p, size_t n, int fresh)
{
	struct sess_app *a = sess_start(s);
	if (!a)
		return n;
	sess_pickup(s, a, dir, p, n);
	size_t used = 0;
	size_t handed_at[2] = {SIZE_MAX, SIZE_MAX}; /* per reader: where it switched */
	while (used < n) {
		uint8_t mode = a->mode[dir];
		struct dissect_result r;
		if (mode != SESS_M_SMTP && mode != SESS_M_TLS) { /* counting only */
			a->counted[dir] += n - used;
			return n;
		}
		if (mode == SESS_M_SMTP)
			r = smtp_feed(&a->smtp, dir, p + used, n - used);
		else
			r = sess_tls(s, a, dir, p + used, n - used, fresh);
		if (dissect_violation(&r, n - used)) {
			sess_event(s, SESS_EV_CONTRACT_VIOLATION);
			a->mode[dir] = SESS_M_IGNORE; /* never trusted again */
			continue;
		}
		used += r.consumed;
		if (r.status == DISSECT_SWITCH || a->mode[dir] != mode) {
			if (handed_at[mode] == used) {
				sess_event(s, SESS_EV_STALLED);
				return used;
			}
			handed_at[mode] = used;
		}
		if (!sess_next(s, a, dir, mode, &r))
			return used;
	}
	return used;
}

static void sess_gap(void *ctx, int dir, uint64_t n)
{
	struct sess *s = ctx;
	dir &= 1;
	s->lost_bytes[dir] += n;
	s->held[dir] = 0; /* the held bytes are part of the gap */
	if (s->tap)
		s->tap->gap(s->tap->ctx, s->id, dir, n);
	struct sess_app *a = s->app;
	if (!a)
		return;
	switch (a->mode[dir]) {
	case SESS_M_SMTP: smtp_gap(&a->smtp, dir, n); break;
	case SESS_M_TLS:
		if (dir == 1 && a->srv_held)
			a->srv_held = 0;
		if (dir == 0 && a->cli_skip)
			break; /* injected bytes still to skip: the skip goes on */
		tls_gap(&a->tls, dir, n);
		break;
	default: a->counted[dir] += n; break;
	}
}

static const struct rsm_ops sess_rsm_ops = {sess_data, sess_gap};

const struct rsm_ops *sess_ops(void)
{
	return &sess_rsm_ops;
}

/* The encryption outcome (docs/schema.md, "encryption"). */
static enum rec_enc sess_outcome(const struct sess *s, const struct sess_app *a)
{
	const struct smtp_facts *m = &a->smtp.f;
	const struct tls_facts *t = &a->tls.f;
	if (a->tls_unknown_start)
		return REC_ENC_TLS_UNKNOWN_START;
	if (s->implicit_tls || m->client_implicit_tls) {
		/* TLS from the first byte: the attempt is what counts here;
		 * tls.established says whether it worked. */
		if (t->client_hello || t->server_hello)
			return REC_ENC_IMPLICIT_TLS;
		return a->server_plaintext && m->helo_verb ? REC_ENC_PLAINTEXT : REC_ENC_UNKNOWN;
	}
	if (m->starttls_requested && m->starttls_reply) {
		if (m->starttls_reply != 220) {
			/* A client that started TLS anyway: the bytes say
			 * whether it worked, whatever the reply was. */
			if (m->tls_despite_reply && t->established)
				return REC_ENC_STARTTLS;
			return REC_ENC_STARTTLS_REFUSED;
		}
		if (a->plaintext_after_starttls || !t->established)
			return REC_ENC_STARTTLS_FAILED;
		return REC_ENC_STARTTLS;
	}
	if (m->greeting_seen || m->last_reply || m->helo_verb)
		return REC_ENC_PLAINTEXT;
	return REC_ENC_UNKNOWN;
}

void sess_infer_cert(struct x509_ctx *x, const uint8_t server_key[18], struct rec *r)
{
	if (!x || r->cert.present || !r->tls.server_hello || r->tls.server_certs)
		return;
	/* The name the certificate is judged for, as sess_cert_name() picks it,
	 * from the record's copies of the same facts. */
	enum cert_name_src src = CERT_NAME_NONE;
	const char *name = NULL;
	if (r->tls.sni[0]) {
		src = CERT_NAME_SNI;
		name = r->tls.sni;
	} else if (r->smtp.server_name[0]) {
		src = CERT_NAME_BANNER;
		name = r->smtp.server_name;
	}
	x509_infer(x, server_key, r->ts_us, name, src, &r->cert);
}

void sess_head(struct sess *s, int dir, uint32_t seq, const uint8_t *p, size_t caplen,
	       size_t paylen)
{
	/* Nothing is reassembled, nor shown to the tap: heads are not streams.
	 * Only head-mode connections pay for the heads' state. */
	if (!s->head && !(s->head = mem_calloc(s->mem, sizeof(*s->head)))) {
		s->app_failed = 1;
		return;
	}
	head_packet(s->head, dir & 1, seq, p, caplen, paylen);
}

void sess_finish(struct sess *s, struct rec *r)
{
	struct sess_app *a = s->app;
	if (s->head_mode) {
		static const struct head none; /* no segment came: nothing shown */
		head_finish(s->head ? s->head : &none, s->implicit_tls, r);
		return;
	}
	if (!a) {
		r->encryption = REC_ENC_UNKNOWN;
		r->smtp_absent = s->app_failed ? REC_ABS_OUT_OF_MEMORY : REC_ABS_NO_PAYLOAD;
		return;
	}
	const struct smtp_facts *m = &a->smtp.f;
	/* A mid-stream pickup whose first bytes were TLS records. */
	if (s->midstream && !s->implicit_tls && !m->greeting_seen && !m->last_reply &&
	    !m->helo_verb && (a->tls.f.records[0] || a->tls.f.records[1]))
		a->tls_unknown_start = 1;
	r->smtp = *m;
	smtp_guess_software(&r->smtp);
	int implicit = s->implicit_tls || m->client_implicit_tls;
	r->smtp_valid = !m->not_smtp && (!implicit || a->server_plaintext) &&
			(m->greeting_seen || m->last_reply || m->helo_verb ||
			 m->commands[SMTP_V_QUIT] || m->commands[SMTP_V_NOOP]);
	if (!r->smtp_valid) {
		if (m->not_smtp)
			r->smtp_absent = REC_ABS_NOT_SMTP;
		else if (implicit && (a->tls.f.client_hello || a->tls.f.server_hello))
			r->smtp_absent = REC_ABS_IMPLICIT_TLS;
		else if (implicit)
			r->smtp_absent = REC_ABS_NOT_TLS;
		else
			r->smtp_absent = REC_ABS_NO_SMTP_SEEN;
	}
	const struct tls_facts *t = &a->tls.f;
	r->tls = *t;
	r->tls.app_bytes[0] += a->counted[0];
	r->tls.app_bytes[1] += a->counted[1];
	r->tls_valid = t->client_hello || t->server_hello || t->not_tls[0] || t->not_tls[1] ||
		       a->tls_fed[0] || a->tls_fed[1];
	r->encryption = (uint8_t)sess_outcome(s, a);

	/* The certificate: seen in clear, else (TLS 1.3, resumption) the one
	 * this server showed before, marked as inferred. */
	if (a->cert.present)
		r->cert = a->cert;
	else
		sess_infer_cert(s->x509, s->server_key, r);

	char d[120];
	if (m->injected_bytes[0]) {
		snprintf(d, sizeof(d),
			 "%llu bytes of plain text sent after STARTTLS, before the 220",
			 (unsigned long long)m->injected_bytes[0]);
		rec_add_anomaly(r, REC_A_STARTTLS_COMMAND_INJECTION, d);
	}
	if (m->injected_bytes[1]) {
		snprintf(d, sizeof(d),
			 "%llu bytes from the server after its 220, before the client's TLS",
			 (unsigned long long)m->injected_bytes[1]);
		rec_add_anomaly(r, REC_A_STARTTLS_RESPONSE_INJECTION, d);
	} else if (a->srv_held && !a->seen_after_switch[0]) {
		snprintf(d, sizeof(d),
			 "%llu bytes from the server after its 220; the client never sent TLS",
			 (unsigned long long)a->srv_held);
		rec_add_anomaly(r, REC_A_STARTTLS_RESPONSE_INJECTION, d);
	}
	if (a->plaintext_after_starttls)
		rec_add_anomaly(r, REC_A_PLAINTEXT_AFTER_STARTTLS,
				"STARTTLS was answered 220 but the client went on in plain text");
	if (m->long_lines[0] || m->long_lines[1]) {
		snprintf(d, sizeof(d), "%u client and %u server lines over %u bytes",
			 m->long_lines[0], m->long_lines[1], s->cfg->smtp.max_line);
		rec_add_anomaly(r, REC_A_SMTP_LINE_TOO_LONG, d);
	}
}

int sess_active(const struct sess *s)
{
	const struct sess_app *a = s->app;
	return a && (a->mode[0] == SESS_M_SMTP || a->mode[0] == SESS_M_TLS ||
		     a->mode[1] == SESS_M_SMTP || a->mode[1] == SESS_M_TLS);
}

void sess_free(struct sess *s)
{
	if (s->head) {
		mem_free(s->mem, s->head, sizeof(*s->head));
		s->head = NULL;
	}
	if (s->app) {
		tls_free(&s->app->tls);
		if (s->app_pool)
			mem_pool_put(s->app_pool, s->app);
		else
			mem_free(s->mem, s->app, sizeof(*s->app));
		s->app = NULL;
	}
}
