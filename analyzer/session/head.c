/* head.c — a connection read by the heads of its packets (RFC 5321 §4.1.1
 * command verbs and §4.2 reply codes at the start of a segment; RFC 8446
 * §5.1 / RFC 5246 §6.2.1 record headers). */
#include "analyzer/session/head.h"

#include <ctype.h>
#include <string.h>

#include "dissectors/base/cur.h"
#include "stats/record/record.h"

#define HEAD_MAX_RECORD (16384 + 2048) /* RFC 5246 §6.2.3: the largest record */

/* A TLS record header at the cursor (not consumed): content type 20..23,
 * version 3.x with x <= 4. Only the first three bytes are needed. */
static int head_looks_tls(struct cur c)
{
	uint8_t t = cur_u8(&c), major = cur_u8(&c), minor = cur_u8(&c);
	return !c.err && t >= 20 && t <= 23 && major == 3 && minor <= 4;
}

/* The record headers the head shows, one after the other while their
 * records fit in it. */
static void head_tls(struct head *h, int dir, uint32_t seq, struct cur c, size_t paylen)
{
	h->tls[dir] = 1;
	while (cur_left(&c) >= 3 && head_looks_tls(c)) {
		size_t at = c.off;
		uint8_t type = cur_u8(&c);
		uint16_t ver = cur_be16(&c);
		uint16_t len = cur_be16(&c);
		if (c.err || len > HEAD_MAX_RECORD) {
			h->next_known[dir] = 0; /* the header is cut: resynchronise */
			return;
		}
		if (dir == 1)
			h->record_version = ver;
		if (type == 22 && cur_left(&c)) {
			int hs = cur_peek_u8(&c);
			if (hs == 1 && dir == 0)
				h->client_hello = 1;
			if (hs == 2 && dir == 1)
				h->server_hello = 1;
		} else if (type == 21) {
			h->alert[dir] = 1;
		} else if (type == 23) {
			/* Application data from the server counts once the
			 * client has sent some: a TLS 1.3 server's encrypted
			 * handshake is application data too. */
			if (dir == 0)
				h->app_client = 1;
			else if (h->app_client)
				h->app_server = 1;
		}
		h->next_seq[dir] = seq + (uint32_t)(at + 5 + len);
		h->next_known[dir] = 1;
		if (at + 5 + len >= paylen || !cur_skip(&c, len))
			return; /* the next header is past the head (or the segment) */
	}
}

/* The verb at the start of a command line, upper case, at most 8 letters. */
static size_t head_verb(struct cur c, char *v)
{
	size_t n = 0;
	while (n < 8 && cur_left(&c) && isalpha(cur_peek_u8(&c))) {
		v[n++] = (char)toupper(cur_u8(&c));
	}
	v[n] = '\0';
	int end = !cur_left(&c) ? 1 : cur_peek_u8(&c);
	return n >= 4 && (end == 1 || end == ' ' || end == '\r' || end == '\n') ? n : 0;
}

/* The client's command lines the head shows (before the first message:
 * after MAIL the heads may be message text). */
static void head_client(struct head *h, struct cur c)
{
	while (cur_left(&c) && !h->mail_clear) {
		char v[9];
		if (!head_verb(c, v))
			return;
		h->smtp[0] = 1;
		if (!h->helo_verb && strcmp(v, "EHLO") == 0)
			h->helo_verb = SMTP_V_EHLO + 1;
		else if (!h->helo_verb && strcmp(v, "HELO") == 0)
			h->helo_verb = SMTP_V_HELO + 1;
		else if (strcmp(v, "STARTTLS") == 0)
			h->starttls = h->await_reply = 1;
		else if (!strcmp(v, "MAIL") || !strcmp(v, "RCPT") || !strcmp(v, "DATA") ||
			 !strcmp(v, "BDAT"))
			h->mail_clear = 1;
		size_t lf = cur_find(&c, '\n');
		if (lf >= cur_left(&c) || !cur_skip(&c, lf + 1))
			return; /* the rest of the line is cut */
	}
}

/* A reply code at the start of the server's head. */
static void head_server(struct head *h, struct cur c)
{
	uint8_t d0 = cur_u8(&c), d1 = cur_u8(&c), d2 = cur_u8(&c);
	int sep = cur_left(&c) ? cur_peek_u8(&c) : ' ';
	if (c.err || !isdigit(d0) || !isdigit(d1) || !isdigit(d2) ||
	    (sep != ' ' && sep != '-' && sep != '\r'))
		return;
	uint16_t code = (uint16_t)((d0 - '0') * 100 + (d1 - '0') * 10 + (d2 - '0'));
	if (!h->smtp[1] && !h->smtp[0]) {
		h->greeting = 1;
		h->greeting_code = code;
	} else if (h->await_reply) {
		h->starttls_reply = code;
		h->await_reply = 0;
	}
	h->smtp[1] = 1;
}

void head_packet(struct head *h, int dir, uint32_t seq, const uint8_t *p, size_t caplen,
		 size_t paylen)
{
	dir &= 1;
	if (!paylen)
		return;
	h->segments[dir]++;
	h->cut[dir] += caplen < paylen;
	h->bytes += paylen;
	if (h->next_known[dir] && (int32_t)(seq - h->next_seq[dir]) < 0)
		return; /* inside a record, or a retransmission */
	struct cur c = cur_make(p, caplen);
	if (!cur_left(&c))
		return;
	if (head_looks_tls(c)) {
		if (dir == 0 && !h->smtp[0] && !h->smtp[1])
			h->client_tls_first = 1;
		head_tls(h, dir, seq, c, paylen);
		return;
	}
	if (h->tls[dir])
		return; /* TLS from here on: not a record header, so not a head we know */
	if (dir == 0)
		head_client(h, c);
	else
		head_server(h, c);
}

static enum rec_enc head_outcome(const struct head *h, int implicit_tls)
{
	int established = h->app_client && h->app_server;
	int smtp = h->smtp[0] || h->smtp[1];
	if (implicit_tls || h->client_tls_first)
		return h->client_hello || h->server_hello || (h->tls[0] && h->tls[1])
			       ? REC_ENC_IMPLICIT_TLS
			       : REC_ENC_UNKNOWN;
	if (h->starttls && h->starttls_reply && h->starttls_reply != 220 && !h->tls[0])
		return REC_ENC_STARTTLS_REFUSED;
	if (smtp && h->tls[0] && established && (!h->starttls_reply || h->starttls_reply == 220))
		return REC_ENC_STARTTLS; /* SMTP, then TLS both ways: an upgrade */
	if (smtp && !h->starttls && !h->tls[0] && !h->tls[1])
		return REC_ENC_PLAINTEXT;
	return REC_ENC_UNKNOWN;
}

void head_finish(const struct head *h, int implicit_tls, struct rec *r)
{
	r->head_only = 1;
	r->gap_bytes += h->bytes; /* no stream was put together: every byte is a gap */
	r->encryption = (uint8_t)head_outcome(h, implicit_tls);
	struct smtp_facts *m = &r->smtp;
	if (h->smtp[0] || h->smtp[1]) {
		r->smtp_valid = 1;
		m->greeting_seen = h->greeting;
		m->greeting_code = h->greeting_code;
		m->helo_verb = h->helo_verb;
		m->starttls_requested = h->starttls;
		m->starttls_reply = h->starttls_reply;
	} else {
		r->smtp_absent = h->tls[0] || h->tls[1]		    ? REC_ABS_IMPLICIT_TLS
				 : h->segments[0] || h->segments[1] ? REC_ABS_NO_SMTP_SEEN
								    : REC_ABS_NO_PAYLOAD;
	}
	if (h->tls[0] || h->tls[1]) {
		r->tls_valid = 1;
		r->head_hello[0] = h->client_hello;
		r->head_hello[1] = h->server_hello;
		r->tls.established = (uint8_t)(h->app_client && h->app_server);
		r->tls.records[0] = h->tls[0];
		r->tls.records[1] = h->tls[1];
	}
}
