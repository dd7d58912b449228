/* smtp.c — SMTP dissector: RFC 5321 §4.1 (commands), §4.2 (replies, multi-line
 * "250-" continuation), §4.5.3.1 (line length limits), RFC 3207 §4 (STARTTLS:
 * the TLS negotiation begins right after the 220), RFC 2920 (pipelining: the
 * replies come in command order), RFC 3030 (BDAT chunks of exact length),
 * RFC 4954 §4 (AUTH, 334 continuations).
 *
 * Every byte is read through a struct cur: a line is found with cur_find()
 * and carved out with cur_sub(), and its verb, arguments, reply code and
 * text are words carved out of that line in turn, so nothing is read past
 * the length the caller gave. The STARTTLS boundary is only signalled here
 * (SWITCH); the session keeps its state.
 */
#include "dissectors/proto/smtp.h"

#include <ctype.h>
#include <string.h>

#include "dissectors/base/cur.h"

enum {
	C_CMD,	/* reading command lines */
	C_WAIT, /* DATA or STARTTLS sent: holding bytes until the reply */
	C_BODY, /* DATA body, until <CRLF>.<CRLF> */
	C_BDAT, /* BDAT chunk bytes */
	C_TLS,	/* past the STARTTLS boundary */
	C_DEAD, /* given up: bytes are only consumed */
};

enum {
	S_REPLY, /* reading reply lines */
	S_TLS,	 /* past the 220 to STARTTLS */
	S_DEAD,
};

/* The pending-queue entry for BDAT ... LAST carries this flag. */
#define SMTP_LAST_FLAG 0x80

static const char *const smtp_verbs[SMTP_V_COUNT] = {
	[SMTP_V_HELO] = "HELO", [SMTP_V_EHLO] = "EHLO", [SMTP_V_MAIL] = "MAIL",
	[SMTP_V_RCPT] = "RCPT", [SMTP_V_DATA] = "DATA", [SMTP_V_BDAT] = "BDAT",
	[SMTP_V_RSET] = "RSET", [SMTP_V_QUIT] = "QUIT", [SMTP_V_STARTTLS] = "STARTTLS",
	[SMTP_V_AUTH] = "AUTH", [SMTP_V_NOOP] = "NOOP", [SMTP_V_VRFY] = "VRFY",
	[SMTP_V_EXPN] = "EXPN", [SMTP_V_HELP] = "HELP", [SMTP_V_OTHER] = "OTHER",
};

static const char *const smtp_event_names[SMTP_EV_COUNT] = {
	[SMTP_EV_LINE_TOO_LONG] = "line_too_long",
	[SMTP_EV_PENDING_FULL] = "pending_full",
	[SMTP_EV_UNMATCHED_REPLY] = "unmatched_reply",
	[SMTP_EV_NOT_REPLY] = "not_reply",
	[SMTP_EV_BAD_BDAT] = "bad_bdat",
	[SMTP_EV_NOT_SMTP] = "not_smtp",
	[SMTP_EV_GAP] = "gap",
};

const char *smtp_event_name(enum smtp_event e)
{
	return (unsigned)e < SMTP_EV_COUNT ? smtp_event_names[e] : "unknown";
}

uint32_t smtp_event_count(const struct smtp *s, enum smtp_event e)
{
	return (unsigned)e < SMTP_EV_COUNT ? s->events[e] : 0;
}

static void smtp_event(struct smtp *s, enum smtp_event e)
{
	if (s->events[e] != UINT32_MAX)
		s->events[e]++;
}

const char *smtp_verb_name(enum smtp_verb v)
{
	return (unsigned)v < SMTP_V_COUNT ? smtp_verbs[v] : "OTHER";
}

void smtp_init(struct smtp *s, const struct smtp_cfg *cfg, int midstream)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->midstream = (uint8_t)(midstream != 0);
	if (!midstream) {
		s->pending[0] = SMTP_V_GREETING;
		s->npending = 1;
	}
}

int smtp_dir_is_tls(const struct smtp *s, int dir)
{
	return dir == 0 ? s->d[0].state == C_TLS : s->d[1].state == S_TLS;
}

int smtp_dir_is_dead(const struct smtp *s, int dir)
{
	return dir == 0 ? s->d[0].state == C_DEAD : s->d[1].state == S_DEAD;
}

/* Copies a line's text into a fixed field: printable ASCII kept, anything
 * else replaced by '?', truncated to the field. */
static void smtp_copy_text(char *dst, size_t cap, struct cur t)
{
	size_t k = 0;
	while (cur_left(&t) && k + 1 < cap) {
		uint8_t b = cur_u8(&t);
		dst[k++] = (b >= 0x20 && b < 0x7f) ? (char)b : '?';
	}
	dst[k] = '\0';
}

/* Carves the bytes up to the next space (or the end) and steps over that
 * one space. */
static struct cur smtp_word(struct cur *c)
{
	struct cur w;
	cur_sub(c, cur_find(c, ' '), &w);
	if (cur_left(c))
		cur_skip(c, 1);
	return w;
}

static void smtp_push(struct smtp *s, uint8_t verb)
{
	if (s->npending == SMTP_MAX_PENDING) {
		/* a client that never waits: the oldest replies stay unmatched */
		smtp_event(s, SMTP_EV_PENDING_FULL);
		return;
	}
	s->pending[(s->head + s->npending) % SMTP_MAX_PENDING] = verb;
	s->npending++;
}

static int smtp_peek(const struct smtp *s)
{
	return s->npending ? s->pending[s->head] : -1;
}

static void smtp_pop(struct smtp *s)
{
	if (s->npending) {
		s->head = (uint8_t)((s->head + 1) % SMTP_MAX_PENDING);
		s->npending--;
	}
}

/* Whether word w is w_upper, case-insensitively. */
static int smtp_word_eq(struct cur w, const char *w_upper)
{
	size_t k = strlen(w_upper);
	if (cur_left(&w) != k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (toupper(cur_u8(&w)) != w_upper[i])
			return 0;
	return 1;
}

static enum smtp_verb smtp_lookup_verb(struct cur w)
{
	for (int v = 0; v < SMTP_V_OTHER; v++)
		if (smtp_word_eq(w, smtp_verbs[v]))
			return (enum smtp_verb)v;
	return SMTP_V_OTHER;
}

/* Parses a decimal count (BDAT chunk size); -1 if not a number. */
static int smtp_parse_u64(struct cur w, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = cur_left(&w);
	if (n == 0 || n > 19)
		return -1;
	while (cur_left(&w)) {
		uint8_t b = cur_u8(&w);
		if (!isdigit(b))
			return -1;
		v = v * 10 + (uint64_t)(b - '0');
	}
	*out = v;
	return 0;
}

/* Firewalls that inspect SMTP overwrite a command they strip with a run of X
 * (or '*') of the same length: STARTTLS is 8 letters. */
static int smtp_is_masked(struct cur verb)
{
	size_t masked = 0;
	if (cur_left(&verb) != 8)
		return 0;
	while (cur_left(&verb)) {
		uint8_t b = cur_u8(&verb);
		masked += b == 'X' || b == 'x' || b == '*';
	}
	return masked >= 6;
}

/* One command line (CR/LF stripped). */
static void smtp_command(struct smtp *s, struct cur line)
{
	struct smtp_facts *f = &s->f;
	struct smtp_dir *c = &s->d[0];
	if (s->auth_exchange) {
		/* An AUTH response line: credentials, never looked at. */
		return;
	}
	struct cur arg = line;
	struct cur verb = smtp_word(&arg);
	while (cur_peek_u8(&arg) == ' ')
		cur_skip(&arg, 1);
	enum smtp_verb v = smtp_lookup_verb(verb);
	f->commands[v]++;
	if (v == SMTP_V_OTHER && smtp_is_masked(verb))
		f->mangled_command = 1;
	switch (v) {
	case SMTP_V_HELO:
	case SMTP_V_EHLO:
		if (!f->helo_verb) { /* the first greeting is kept; a fallback is counted */
			smtp_copy_text(f->helo, sizeof(f->helo), arg);
			f->helo_verb = (uint8_t)(v + 1);
		}
		break;
	case SMTP_V_DATA: c->state = C_WAIT; break;
	case SMTP_V_STARTTLS:
		f->starttls_requested = 1;
		c->state = C_WAIT;
		break;
	case SMTP_V_AUTH: {
		struct cur a = arg;
		if (!f->auth_mech[0]) {
			smtp_copy_text(f->auth_mech, sizeof(f->auth_mech), smtp_word(&a));
			for (char *q = f->auth_mech; *q; q++)
				*q = (char)toupper((unsigned char)*q);
			f->auth_before_tls = 1; /* seen in clear text */
		}
		s->auth_exchange = 1;
		break;
	}
	case SMTP_V_BDAT: {
		struct cur a = arg;
		uint64_t size;
		if (smtp_parse_u64(smtp_word(&a), &size) != 0) {
			smtp_event(s, SMTP_EV_BAD_BDAT);
			break; /* malformed: the server will say so */
		}
		int last = smtp_word_eq(a, "LAST");
		c->bdat_left = size;
		c->bdat_last = (uint8_t)last;
		if (last)
			f->messages++;
		if (size)
			c->state = C_BDAT;
		smtp_push(s, (uint8_t)(SMTP_V_BDAT | (last ? SMTP_LAST_FLAG : 0)));
		return;
	}
	default: break;
	}
	smtp_push(s, (uint8_t)v);
}

/* A complete reply (its final line) to the command at the queue's head. */
static void smtp_reply_done(struct smtp *s, uint16_t code)
{
	struct smtp_facts *f = &s->f;
	struct smtp_dir *c = &s->d[0];
	int pv = smtp_peek(s);
	int greeting_code = code == 220 || code == 421 || code == 554;
	if (pv == SMTP_V_GREETING && !greeting_code && s->npending > 1) {
		/* No greeting was sent (or captured) and the client went ahead:
		 * this reply answers its first command. */
		smtp_pop(s);
		pv = smtp_peek(s);
	}
	if (pv < 0) {
		if (code == 220 && !f->greeting_seen && s->midstream) {
			f->greeting_seen = 1; /* picked up just before the greeting */
			f->greeting_code = code;
			return;
		}
		f->unmatched_replies++;
		smtp_event(s, SMTP_EV_UNMATCHED_REPLY);
		return;
	}
	int verb = pv & ~SMTP_LAST_FLAG;
	if (verb != SMTP_V_STARTTLS)
		s->starttls_answered = 0; /* the dialogue went on past the refusal */
	if (verb == SMTP_V_AUTH && code == 334)
		return; /* an AUTH challenge: the same command goes on */
	smtp_pop(s);
	if (verb != SMTP_V_GREETING)
		f->last_reply = code;
	switch (verb) {
	case SMTP_V_GREETING:
		f->greeting_seen = 1;
		f->greeting_code = code;
		break;
	case SMTP_V_EHLO: f->ehlo_reply = code; break;
	case SMTP_V_HELO: f->helo_reply = code; break;
	case SMTP_V_RCPT:
		if (code >= 200 && code < 300)
			f->recipients++;
		break;
	case SMTP_V_AUTH:
		f->auth_reply = code;
		s->auth_exchange = 0;
		break;
	case SMTP_V_DATA:
		if (c->state == C_WAIT)
			c->state = code == 354 ? C_BODY : C_CMD;
		c->body_st = 0;
		break;
	case SMTP_V_DATA_END:
		f->last_txn_reply = code;
		if (code >= 200 && code < 300)
			f->messages_accepted++;
		break;
	case SMTP_V_BDAT:
		if (pv & SMTP_LAST_FLAG) {
			f->last_txn_reply = code;
			if (code >= 200 && code < 300)
				f->messages_accepted++;
		}
		break;
	case SMTP_V_STARTTLS:
		f->starttls_reply = code;
		if (code == 220) {
			/* RFC 3207 §4: TLS begins with the next byte in both
			 * directions: for the client, right after its STARTTLS
			 * line (bytes it sent before this 220 are the session's
			 * to judge, see sess.c). */
			f->upgraded = 1;
			s->d[1].state = S_TLS;
			c->state = C_TLS;
			s->npending = 0;
		} else {
			/* Refused (or a code that is no answer to STARTTLS): the
			 * client's next bytes are a command, or TLS anyway. */
			s->starttls_answered = 1;
			if (c->state == C_WAIT)
				c->state = C_CMD;
		}
		break;
	default: break;
	}
}

/* Keeps what the greeting and the EHLO reply say (one line's text). */
static void smtp_reply_text(struct smtp *s, int verb, struct cur text)
{
	struct smtp_facts *f = &s->f;
	struct smtp_dir *d = &s->d[1];
	if (verb == SMTP_V_GREETING && d->reply_lines == 0) {
		struct cur t = text;
		smtp_copy_text(f->banner, sizeof(f->banner), text);
		smtp_copy_text(f->server_name, sizeof(f->server_name), smtp_word(&t));
	} else if (verb == SMTP_V_EHLO && d->reply_code == 250) {
		/* The first successful EHLO reply is the one kept: a later one
		 * (after RSET, or after STARTTLS in a decrypted capture) says
		 * nothing about what was offered in the clear. */
		if (d->reply_lines == 0) {
			s->caps_done = f->ehlo_reply == 250;
			if (!s->caps_done)
				smtp_copy_text(f->ehlo_greeting, sizeof(f->ehlo_greeting), text);
		} else if (s->caps_done) {
			/* already have them */
		} else if (f->ncaps < SMTP_MAX_CAPS) {
			smtp_copy_text(f->caps[f->ncaps], SMTP_CAP_LEN, text);
			if (smtp_word_eq(text, "STARTTLS"))
				f->starttls_offered = 1;
			f->ncaps++;
		} else {
			f->caps_truncated = 1;
			if (smtp_word_eq(text, "STARTTLS"))
				f->starttls_offered = 1;
		}
	}
}

/* One reply line (CR/LF stripped): "ddd", "ddd text" or "ddd-text". */
static void smtp_reply_line(struct smtp *s, struct cur line)
{
	struct smtp_facts *f = &s->f;
	struct smtp_dir *d = &s->d[1];
	size_t n = cur_left(&line);
	struct cur q = line;
	uint8_t c0 = cur_u8(&q), c1 = cur_u8(&q), c2 = cur_u8(&q);
	int sep = cur_peek_u8(&q); /* -1: the line is the code alone */
	int digits = n >= 3 && isdigit(c0) && isdigit(c1) && isdigit(c2) &&
		     (sep < 0 || sep == ' ' || sep == '-');
	if (!digits) {
		smtp_event(s, SMTP_EV_NOT_REPLY);
		if (!f->greeting_seen && !s->midstream && !d->in_reply && s->npending &&
		    s->pending[s->head] == SMTP_V_GREETING) {
			f->not_smtp = 1;
			smtp_event(s, SMTP_EV_NOT_SMTP);
			d->state = S_DEAD;
		}
		return; /* not a reply line: skipped */
	}
	uint16_t code = (uint16_t)((c0 - '0') * 100 + (c1 - '0') * 10 + (c2 - '0'));
	struct cur text = line;
	cur_skip(&text, n > 4 ? 4 : n);
	if (!d->in_reply) {
		d->in_reply = 1;
		d->reply_code = code;
		d->reply_lines = 0;
	}
	int pv = smtp_peek(s);
	smtp_reply_text(s, pv < 0 ? -1 : (pv & ~SMTP_LAST_FLAG), text);
	d->reply_lines++;
	if (sep != '-') {
		d->in_reply = 0;
		smtp_reply_done(s, d->reply_code);
	}
}

/* Scans a DATA body for the end-of-data line "." (RFC 5321 §4.1.1.4),
 * consuming from cu; the state machine survives any split. */
static void smtp_body(struct smtp *s, struct cur *cu)
{
	struct smtp_dir *c = &s->d[0];
	size_t start = cu->off;
	while (cur_left(cu)) {
		if (c->body_st == 3) {
			/* inside a line: only its end matters, find it at once */
			size_t k = cur_find(cu, '\n');
			if (k == cur_left(cu)) {
				cur_skip(cu, k);
				break;
			}
			cur_skip(cu, k + 1);
			c->body_st = 0;
			continue;
		}
		uint8_t b = cur_u8(cu);
		switch (c->body_st) {
		case 0: /* at the start of a line */
			c->body_st = b == '.' ? 1 : (b == '\n' ? 0 : 3);
			break;
		case 1: /* "." at the start of a line */
			if (b == '\r') {
				c->body_st = 2;
				break;
			}
			if (b == '\n')
				goto end;
			c->body_st = 3;
			break;
		case 2: /* ".\r" */
			if (b == '\n')
				goto end;
			c->body_st = 3;
			break;
		default: /* inside a line */
			if (b == '\n')
				c->body_st = 0;
			break;
		}
		continue;
	end:
		/* the terminator line (".\n" or ".\r\n") is not message content */
		s->f.message_bytes += cu->off - start - (c->body_st == 2 ? 3u : 2u);
		s->f.messages++;
		c->state = C_CMD;
		c->body_st = 0;
		smtp_push(s, SMTP_V_DATA_END);
		return;
	}
	s->f.message_bytes += cu->off - start;
}

/* Does the client open with a TLS record or an SSLv2 ClientHello instead of
 * waiting for a greeting? (implicit TLS on a port not configured as such) */
static int smtp_looks_tls(struct cur c)
{
	uint8_t b0 = cur_u8(&c), b1 = cur_u8(&c), b2 = cur_u8(&c);
	if (c.err)
		return 0;
	if (b0 == 0x16 && b1 == 0x03 && b2 <= 0x04)
		return 1;
	return (b0 & 0x80) && b2 == 0x01; /* SSLv2 CLIENT-HELLO */
}

/* The client's bytes outside command lines (a DATA body, a BDAT chunk, the
 * wait for a reply, TLS). Returns 1 with *r set when smtp_feed() answers
 * now, 0 when the next bytes are a command line. */
static int smtp_client_bytes(struct smtp *s, struct cur *c, struct dissect_result *r)
{
	struct smtp_dir *d = &s->d[0];
	switch (d->state) {
	case C_WAIT: *r = dissect_result(DISSECT_WAIT, c->off, 0); return 1;
	case C_BODY:
		smtp_body(s, c);
		*r = dissect_result(DISSECT_OK, c->off, 0);
		return !cur_left(c);
	case C_BDAT: {
		size_t left = cur_left(c);
		size_t k = left < d->bdat_left ? left : (size_t)d->bdat_left;
		cur_skip(c, k);
		d->bdat_left -= k;
		s->f.message_bytes += k;
		if (d->bdat_left == 0)
			d->state = C_CMD;
		*r = dissect_result(DISSECT_OK, c->off, 0);
		return !cur_left(c);
	}
	case C_TLS: *r = dissect_result(DISSECT_SWITCH, c->off, 0); return 1;
	case C_DEAD: *r = dissect_result(DISSECT_INVALID, c->len, 0); return 1;
	default: break;
	}
	if (!s->f.greeting_seen && !s->midstream && s->f.commands[SMTP_V_OTHER] == 0 &&
	    c->off == 0 && smtp_looks_tls(*c) && !s->tls_now) {
		/* TLS from the client's first byte: implicit TLS. */
		s->f.client_implicit_tls = 1;
		d->state = C_TLS;
		s->d[1].state = S_TLS;
		s->npending = 0;
		*r = dissect_result(DISSECT_SWITCH, 0, 0);
		return 1;
	}
	if (s->starttls_answered && d->state == C_CMD && smtp_looks_tls(*c)) {
		/* A TLS record right after a reply to STARTTLS other than 220:
		 * the client starts TLS anyway; the bytes decide (sess.c). */
		s->f.tls_despite_reply = 1;
		s->starttls_answered = 0;
		d->state = C_TLS;
		s->d[1].state = S_TLS;
		s->npending = 0;
		*r = dissect_result(DISSECT_SWITCH, c->off, 0);
		return 1;
	}
	return 0;
}

/* Frames the next line (RFC 5321 §2.3.8: CRLF; a bare LF is tolerated) and
 * hands it on. Returns 1 with *r set when smtp_feed() answers now. */
static int smtp_line(struct smtp *s, int dir, struct cur *c, struct dissect_result *r)
{
	struct smtp_dir *d = &s->d[dir];
	size_t len = cur_find(c, '\n');
	int has_lf = len < cur_left(c);
	if (d->discard) {
		if (!has_lf) {
			*r = dissect_result(DISSECT_OK, c->len, 0);
			return 1;
		}
		cur_skip(c, len + 1);
		d->discard = 0;
		return 0;
	}
	if (!has_lf) {
		if (len < s->cfg->max_line) { /* a partial line: wait for more */
			*r = dissect_result(DISSECT_NEED_MORE, c->off, len + 1);
			return 1;
		}
		s->f.long_lines[dir]++;
		smtp_event(s, SMTP_EV_LINE_TOO_LONG);
		d->discard = 1;
		*r = dissect_result(DISSECT_OK, c->len, 0);
		return 1;
	}
	struct cur whole, line, last;
	cur_sub(c, len, &whole);
	cur_skip(c, 1); /* the LF */
	size_t ll = len;
	last = whole;
	if (len && cur_skip(&last, len - 1) && cur_u8(&last) == '\r')
		ll--;
	if (len > s->cfg->max_line) {
		s->f.long_lines[dir]++;
		smtp_event(s, SMTP_EV_LINE_TOO_LONG);
		ll = s->cfg->max_line; /* parsed truncated */
	}
	cur_sub(&whole, ll, &line);
	if (dir == 0)
		smtp_command(s, line);
	else
		smtp_reply_line(s, line);
	return 0;
}

struct dissect_result smtp_feed(struct smtp *s, int dir, const uint8_t *p, size_t n)
{
	struct smtp_dir *d = &s->d[dir & 1];
	struct cur c = cur_make(p, n);
	struct dissect_result r;
	dir &= 1;
	while (cur_left(&c)) {
		if (dir == 0 && smtp_client_bytes(s, &c, &r))
			return r;
		if (dir == 1 && d->state == S_TLS)
			return dissect_result(DISSECT_SWITCH, c.off, 0); /* TLS from here */
		if (dir == 1 && d->state == S_DEAD)
			return dissect_result(DISSECT_INVALID, n, 0);
		if (smtp_line(s, dir, &c, &r)) /* bytes are left: client_bytes answers when not */
			return r;
	}
	if (dir == 1 && d->state == S_TLS)
		return dissect_result(DISSECT_SWITCH, n, 0);
	if (dir == 1 && d->state == S_DEAD)
		return dissect_result(DISSECT_INVALID, n, 0);
	return dissect_result(DISSECT_OK, n, 0);
}

void smtp_gap(struct smtp *s, int dir, uint64_t n)
{
	struct smtp_dir *d = &s->d[dir & 1];
	s->f.gap_bytes[dir & 1] += n;
	smtp_event(s, SMTP_EV_GAP);
	if (dir == 0) {
		switch (d->state) {
		case C_BODY:
			s->f.message_bytes += n;
			d->body_st = 3; /* resynchronise at the next line end */
			return;
		case C_BDAT:
			if (n <= d->bdat_left) {
				d->bdat_left -= n;
				s->f.message_bytes += n;
				if (d->bdat_left == 0)
					d->state = C_CMD;
				return;
			}
			d->bdat_left = 0;
			d->state = C_CMD;
			break;
		case C_WAIT: return; /* the held bytes were part of the gap */
		case C_CMD: break;
		default: return;
		}
	} else if (d->state != S_REPLY) {
		return;
	}
	d->discard = 1; /* the rest of the current line is unusable */
}

void smtp_server_plaintext(struct smtp *s)
{
	s->d[1].state = S_REPLY;
	s->d[1].discard = 0;
	s->d[1].in_reply = 0;
}

void smtp_resume_plaintext(struct smtp *s)
{
	s->d[0].state = C_CMD;
	s->d[1].state = S_REPLY;
	s->d[0].discard = s->d[1].discard = 0;
	s->d[1].in_reply = 0;
	s->tls_now = 1; /* do not take the client's next bytes for implicit TLS */
}

/* Banner or EHLO text fragments → product, from the products' default
 * greetings (e.g. Postfix "ESMTP Postfix", Exim "ESMTP Exim 4.96",
 * Sendmail "ESMTP Sendmail 8.17.1/8.17.1", Exchange "Microsoft ESMTP MAIL
 * Service"). Matched case-insensitively, first match wins. */
static const struct {
	const char *needle;
	const char *name;
} smtp_products[] = {
	{"outlook.com", "Microsoft 365"},
	{"protection.outlook", "Microsoft 365"},
	{"microsoft esmtp mail service", "Microsoft Exchange"},
	{"mx.google.com", "Google"},
	{"gsmtp", "Google"},
	{"postfix", "Postfix"},
	{"exim", "Exim"},
	{"sendmail", "Sendmail"},
	{"opensmtpd", "OpenSMTPD"},
	{"haraka", "Haraka"},
	{"qmail", "qmail"},
	{"netqmail", "qmail"},
	{"mailenable", "MailEnable"},
	{"hmailserver", "hMailServer"},
	{"mdaemon", "MDaemon"},
	{"kerio", "Kerio Connect"},
	{"icewarp", "IceWarp"},
	{"communigate", "CommuniGate Pro"},
	{"zimbra", "Zimbra"},
	{"lotus domino", "Lotus Domino"},
	{"courier", "Courier"},
	{"mimecast", "Mimecast"},
	{"pphosted", "Proofpoint"},
	{"barracuda", "Barracuda"},
	{"amazonses", "Amazon SES"},
	{"yahoo", "Yahoo"},
	{"zoho", "Zoho"},
	{"mercury", "Mercury"},
	{"imail", "IMail"},
	{"smtpd", NULL}, /* generic: says nothing */
};

/* Index of the product in smtp_products, or -1. Each text is lowered once
 * (ASCII; the needles are lower case) and searched with strstr. */
static int smtp_software_index(const struct smtp_facts *f)
{
	char low[2][SMTP_TEXT_LEN];
	const char *texts[2] = {f->banner, f->ehlo_greeting};
	for (int t = 0; t < 2; t++) {
		size_t i = 0;
		for (; i + 1 < sizeof(low[t]) && texts[t][i]; i++)
			low[t][i] = (char)tolower((unsigned char)texts[t][i]);
		low[t][i] = '\0';
	}
	for (size_t k = 0; k < sizeof(smtp_products) / sizeof(smtp_products[0]); k++)
		for (int t = 0; t < 2; t++)
			if (low[t][0] && strstr(low[t], smtp_products[k].needle))
				return smtp_products[k].name ? (int)k : -1;
	return -1;
}

void smtp_guess_software(struct smtp_facts *f)
{
	int k = smtp_software_index(f);
	f->software = (uint8_t)(k < 0 ? 255 : k + 1); /* 255: guessed, none matched */
}

const char *smtp_server_software(const struct smtp_facts *f)
{
	int k;
	if (f->software == 255)
		return NULL;
	k = f->software ? f->software - 1 : smtp_software_index(f);
	return k < 0 ? NULL : smtp_products[k].name;
}
