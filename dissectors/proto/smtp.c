/* smtp.c — SMTP dissector: RFC 5321 §4.1 (commands), §4.2 (replies, multi-line
 * "250-" continuation), §4.5.3.1 (line length limits), RFC 3207 §4 (STARTTLS:
 * the TLS negotiation begins right after the 220), RFC 2920 (pipelining: the
 * replies come in command order), RFC 3030 (BDAT chunks of exact length),
 * RFC 4954 §4 (AUTH, 334 continuations).
 *
 * Every byte is read through a struct cur; lines are located with memchr on
 * the cursor's window and never read past the length the caller gave.
 */
#include "dissectors/proto/smtp.h"

#include <ctype.h>
#include <string.h>

#include "dissectors/base/cur.h"

enum {
	C_CMD,	    /* reading command lines */
	C_WAIT,	    /* DATA or STARTTLS sent: holding bytes until the reply */
	C_BODY,	    /* DATA body, until <CRLF>.<CRLF> */
	C_BDAT,	    /* BDAT chunk bytes */
	C_TLS_SKIP, /* skipping bytes injected before the 220 */
	C_TLS,	    /* past the STARTTLS boundary */
	C_DEAD,	    /* given up: bytes are only consumed */
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
static void smtp_copy_text(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t k = n < cap - 1 ? n : cap - 1;
	for (size_t i = 0; i < k; i++)
		dst[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	dst[k] = '\0';
}

static void smtp_push(struct smtp *s, uint8_t verb)
{
	if (s->npending == SMTP_MAX_PENDING)
		return; /* a client that never waits: the oldest replies stay unmatched */
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

static enum smtp_verb smtp_lookup_verb(const uint8_t *p, size_t n)
{
	for (int v = 0; v < SMTP_V_OTHER; v++) {
		size_t k = strlen(smtp_verbs[v]);
		if (n != k)
			continue;
		size_t i = 0;
		while (i < k && toupper(p[i]) == smtp_verbs[v][i])
			i++;
		if (i == k)
			return (enum smtp_verb)v;
	}
	return SMTP_V_OTHER;
}

/* Parses a decimal count (BDAT chunk size); -1 if not a number. */
static int smtp_parse_u64(const uint8_t *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit(p[i]))
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

static int smtp_word_eq(const uint8_t *p, size_t n, const char *w)
{
	size_t k = strlen(w);
	if (n != k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (toupper(p[i]) != w[i])
			return 0;
	return 1;
}

/* One command line (CR/LF stripped). */
static void smtp_command(struct smtp *s, const uint8_t *line, size_t n)
{
	struct smtp_facts *f = &s->f;
	struct smtp_dir *c = &s->d[0];
	if (s->auth_exchange) {
		/* An AUTH response line: credentials, never looked at. */
		return;
	}
	size_t vl = 0;
	while (vl < n && line[vl] != ' ')
		vl++;
	const uint8_t *arg = vl < n ? line + vl + 1 : line + n;
	size_t an = vl < n ? n - vl - 1 : 0;
	while (an && arg[0] == ' ') {
		arg++;
		an--;
	}
	enum smtp_verb v = smtp_lookup_verb(line, vl);
	f->commands[v]++;
	if (v == SMTP_V_OTHER && vl == 8) {
		/* Firewalls that inspect SMTP overwrite a command they strip with
		 * a run of X (or '*') of the same length: STARTTLS is 8 letters. */
		size_t masked = 0;
		for (size_t i = 0; i < vl; i++)
			masked += line[i] == 'X' || line[i] == 'x' || line[i] == '*';
		if (masked >= 6)
			f->mangled_command = 1;
	}
	switch (v) {
	case SMTP_V_HELO:
	case SMTP_V_EHLO:
		if (!f->helo_verb) { /* the first greeting is kept; a fallback is counted */
			smtp_copy_text(f->helo, sizeof(f->helo), arg, an);
			f->helo_verb = (uint8_t)(v + 1);
		}
		break;
	case SMTP_V_DATA:
		c->state = C_WAIT;
		c->held = 0;
		break;
	case SMTP_V_STARTTLS:
		f->starttls_requested = 1;
		c->state = C_WAIT;
		c->held = 0;
		break;
	case SMTP_V_AUTH: {
		size_t ml = 0;
		while (ml < an && arg[ml] != ' ')
			ml++;
		if (!f->auth_mech[0]) {
			smtp_copy_text(f->auth_mech, sizeof(f->auth_mech), arg, ml);
			for (char *q = f->auth_mech; *q; q++)
				*q = (char)toupper((unsigned char)*q);
			f->auth_before_tls = 1; /* seen in clear text */
		}
		s->auth_exchange = 1;
		break;
	}
	case SMTP_V_BDAT: {
		size_t sl = 0;
		while (sl < an && arg[sl] != ' ')
			sl++;
		uint64_t size;
		if (smtp_parse_u64(arg, sl, &size) != 0)
			break; /* malformed: the server will say so */
		size_t rest = sl < an ? sl + 1 : an;
		int last = smtp_word_eq(arg + rest, an - rest, "LAST");
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
		return;
	}
	int verb = pv & ~SMTP_LAST_FLAG;
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
			 * directions. Client bytes already held were sent before
			 * this 220: they are injected plaintext. */
			f->upgraded = 1;
			s->d[1].state = S_TLS;
			if (c->state == C_WAIT && c->held) {
				f->injected_bytes[0] = c->held;
				c->bdat_left = c->held; /* reused as the skip count */
				c->state = C_TLS_SKIP;
			} else {
				c->state = C_TLS;
			}
			s->npending = 0;
		} else if (c->state == C_WAIT) {
			c->state = C_CMD;
		}
		break;
	default: break;
	}
}

/* One reply line (CR/LF stripped). */
static void smtp_reply_line(struct smtp *s, const uint8_t *line, size_t n)
{
	struct smtp_facts *f = &s->f;
	struct smtp_dir *d = &s->d[1];
	int digits = n >= 3 && isdigit(line[0]) && isdigit(line[1]) && isdigit(line[2]) &&
		     (n == 3 || line[3] == ' ' || line[3] == '-');
	if (!digits) {
		if (!f->greeting_seen && !s->midstream && !d->in_reply && s->npending &&
		    s->pending[s->head] == SMTP_V_GREETING) {
			f->not_smtp = 1;
			d->state = S_DEAD;
		}
		return; /* not a reply line: skipped */
	}
	uint16_t code = (uint16_t)((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
	const uint8_t *text = n > 4 ? line + 4 : line + n;
	size_t tn = n > 4 ? n - 4 : 0;
	if (!d->in_reply) {
		d->in_reply = 1;
		d->reply_code = code;
		d->reply_lines = 0;
	}
	int pv = smtp_peek(s);
	int verb = pv < 0 ? -1 : (pv & ~SMTP_LAST_FLAG);
	if (verb == SMTP_V_GREETING && d->reply_lines == 0) {
		smtp_copy_text(f->banner, sizeof(f->banner), text, tn);
		size_t w = 0;
		while (w < tn && text[w] != ' ')
			w++;
		smtp_copy_text(f->server_name, sizeof(f->server_name), text, w);
	} else if (verb == SMTP_V_EHLO && d->reply_code == 250) {
		/* The first successful EHLO reply is the one kept: a later one
		 * (after RSET, or after STARTTLS in a decrypted capture) says
		 * nothing about what was offered in the clear. */
		if (d->reply_lines == 0) {
			s->caps_done = f->ehlo_reply == 250;
			if (!s->caps_done)
				smtp_copy_text(f->ehlo_greeting, sizeof(f->ehlo_greeting), text,
					       tn);
		} else if (s->caps_done) {
			/* already have them */
		} else if (f->ncaps < SMTP_MAX_CAPS) {
			smtp_copy_text(f->caps[f->ncaps], SMTP_CAP_LEN, text, tn);
			if (smtp_word_eq(text, tn, "STARTTLS"))
				f->starttls_offered = 1;
			f->ncaps++;
		} else {
			f->caps_truncated = 1;
			if (smtp_word_eq(text, tn, "STARTTLS"))
				f->starttls_offered = 1;
		}
	}
	d->reply_lines++;
	if (n == 3 || line[3] == ' ') {
		d->in_reply = 0;
		smtp_reply_done(s, d->reply_code);
	}
}

/* Scans a DATA body for the end-of-data line "." (RFC 5321 §4.1.1.4).
 * Returns the bytes consumed; the state machine survives any split. */
static size_t smtp_body(struct smtp *s, const uint8_t *p, size_t n)
{
	struct smtp_dir *c = &s->d[0];
	struct cur cu = cur_make(p, n);
	while (cur_left(&cu)) {
		if (c->body_st == 3) {
			/* inside a line: only its end matters, find it at once */
			const uint8_t *rest = cur_peek(&cu, cur_left(&cu));
			const uint8_t *lf = memchr(rest, '\n', cur_left(&cu));
			if (!lf) {
				cur_skip(&cu, cur_left(&cu));
				break;
			}
			cur_skip(&cu, (size_t)(lf - rest) + 1);
			c->body_st = 0;
			continue;
		}
		uint8_t b = cur_u8(&cu);
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
		s->f.message_bytes += cu.off - (c->body_st == 2 ? 3u : 2u);
		s->f.messages++;
		c->state = C_CMD;
		c->body_st = 0;
		smtp_push(s, SMTP_V_DATA_END);
		return cu.off;
	}
	s->f.message_bytes += n;
	return n;
}

/* Does the client open with a TLS record or an SSLv2 ClientHello instead of
 * waiting for a greeting? (implicit TLS on a port not configured as such) */
static int smtp_looks_tls(const uint8_t *p, size_t n)
{
	if (n >= 3 && p[0] == 0x16 && p[1] == 0x03 && p[2] <= 0x04)
		return 1;
	return n >= 3 && (p[0] & 0x80) && p[2] == 0x01; /* SSLv2 CLIENT-HELLO */
}

size_t smtp_feed(struct smtp *s, int dir, const uint8_t *p, size_t n)
{
	struct smtp_dir *d = &s->d[dir & 1];
	size_t used = 0;
	while (used < n) {
		const uint8_t *q = p + used;
		size_t left = n - used;
		if (dir == 0) {
			switch (d->state) {
			case C_WAIT:
				d->held = left; /* all of it is re-offered next time */
				return used;
			case C_BODY: used += smtp_body(s, q, left); continue;
			case C_BDAT: {
				size_t k = left < d->bdat_left ? left : (size_t)d->bdat_left;
				d->bdat_left -= k;
				s->f.message_bytes += k;
				used += k;
				if (d->bdat_left == 0)
					d->state = C_CMD;
				continue;
			}
			case C_TLS_SKIP: {
				size_t k = left < d->bdat_left ? left : (size_t)d->bdat_left;
				d->bdat_left -= k;
				used += k;
				if (d->bdat_left == 0)
					d->state = C_TLS;
				continue;
			}
			case C_TLS: return used;
			case C_DEAD: return n;
			default: break;
			}
			if (!s->f.greeting_seen && !s->midstream &&
			    s->f.commands[SMTP_V_OTHER] == 0 && used == 0 &&
			    smtp_looks_tls(q, left) && !s->tls_now) {
				/* TLS from the client's first byte: implicit TLS. */
				s->f.client_implicit_tls = 1;
				d->state = C_TLS;
				s->d[1].state = S_TLS;
				s->npending = 0;
				return 0;
			}
		} else {
			if (d->state == S_TLS)
				return used;
			if (d->state == S_DEAD)
				return n;
		}
		/* line framing */
		const uint8_t *lf = memchr(q, '\n', left);
		if (d->discard) {
			if (!lf)
				return n;
			used += (size_t)(lf - q) + 1;
			d->discard = 0;
			continue;
		}
		if (!lf) {
			if (left < s->cfg->max_line)
				return used; /* a partial line: wait for more */
			s->f.long_lines[dir & 1]++;
			d->discard = 1;
			return n;
		}
		size_t len = (size_t)(lf - q);
		size_t ll = len;
		if (ll && q[ll - 1] == '\r')
			ll--;
		if (len > s->cfg->max_line) {
			s->f.long_lines[dir & 1]++;
			ll = s->cfg->max_line; /* parsed truncated */
		}
		used += len + 1;
		if (dir == 0)
			smtp_command(s, q, ll);
		else
			smtp_reply_line(s, q, ll);
		if (dir == 1 && d->state == S_TLS)
			return used; /* TLS starts at the next byte */
	}
	return used;
}

void smtp_gap(struct smtp *s, int dir, uint64_t n)
{
	struct smtp_dir *d = &s->d[dir & 1];
	s->f.gap_bytes[dir & 1] += n;
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
		case C_WAIT:
			d->held = 0; /* the held bytes were part of the gap */
			return;
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

static int smtp_contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *h = hay; *h; h++) {
		size_t i = 0;
		while (i < n && h[i] && tolower((unsigned char)h[i]) == needle[i])
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

/* Index of the product in smtp_products, or -1. */
static int smtp_software_index(const struct smtp_facts *f)
{
	const char *texts[2] = {f->banner, f->ehlo_greeting};
	for (size_t k = 0; k < sizeof(smtp_products) / sizeof(smtp_products[0]); k++)
		for (int t = 0; t < 2; t++)
			if (texts[t][0] && smtp_contains_ci(texts[t], smtp_products[k].needle))
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
