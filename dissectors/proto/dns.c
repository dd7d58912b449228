/* dns.c — DNS message dissector: RFC 1035 §4.1 (header, question, resource
 * records), §4.1.4 (compression pointers), §2.3.4 (a name is at most 255
 * bytes), §5.1 (\DDD in presentation form); RFC 3596 (AAAA), RFC 6698 §2
 * (TLSA), RFC 6891 §6.1 (the OPT pseudo-record), RFC 4035 §3.2.3 (AD),
 * RFC 7766 §8 (two-byte length before each message over TCP).
 *
 *                                  1  1  1  1  1  1
 *    0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *  |                      ID                       |
 *  |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 *  |          QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT |
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *  question: QNAME QTYPE QCLASS
 *  record:   NAME TYPE CLASS TTL(32) RDLENGTH RDATA
 *
 * Every byte is read through a struct cur. dns_walk() runs twice over a
 * message: once to check all of it (nothing delivered), once to deliver.
 * Both runs execute the same code on the same bytes, so the second cannot
 * fail where the first passed.
 */
#include "dissectors/proto/dns.h"

#include <string.h>

#include "dissectors/base/cur.h"

#define DNS_HEADER_LEN	  12
#define DNS_WIRE_NAME_MAX 255 /* RFC 1035 §2.3.4 */
#define DNS_RRSIG_FIXED	  18  /* RFC 4034 §3.1: the fields before the signer's name */

/* struct dns_stream.dead: why the stream was given up. */
enum { DNS_DEAD_GAP = 1, DNS_DEAD_INVALID = 2 };

static const char *const dns_err_names[DNS_E_COUNT] = {
	[DNS_OK] = "ok",
	[DNS_E_TRUNC] = "trunc",
	[DNS_E_POINTER_LOOP] = "pointer_loop",
	[DNS_E_POINTER_RANGE] = "pointer_range",
	[DNS_E_NAME_TOO_LONG] = "name_too_long",
	[DNS_E_LABEL] = "label",
	[DNS_E_RDATA] = "rdata",
	[DNS_E_TRAILING] = "trailing",
};

static const char *const dns_event_names[DNS_EV_COUNT] = {
	[DNS_EV_MESSAGE] = "message",
	[DNS_EV_MALFORMED] = "malformed",
	[DNS_EV_GAP] = "gap",
};

const char *dns_err_name(enum dns_err e)
{
	return (unsigned)e < DNS_E_COUNT ? dns_err_names[e] : "unknown";
}

const char *dns_event_name(enum dns_event e)
{
	return (unsigned)e < DNS_EV_COUNT ? dns_event_names[e] : "unknown";
}

/* The OPT record's facts, kept aside until the message is known good. */
struct dns_opt {
	uint8_t seen, dobit, ext_rcode;
	uint16_t udp_size;
};

/* Offset of r's read position from the start of the message m (r is m or a
 * window carved out of it). */
static size_t dns_abs(const struct cur *m, const struct cur *r)
{
	return (size_t)(r->p - m->p) + r->off;
}

/* Appends one label byte in presentation form (RFC 1035 §5.1): letters
 * lower-cased, digits, '-', '_' and '*' as they are, anything else \DDD.
 * Returns -1 when out (DNS_NAME_MAX with its NUL) would overflow. */
static int dns_put(char *out, size_t *o, uint8_t b)
{
	if (b >= 'A' && b <= 'Z')
		b = (uint8_t)(b - 'A' + 'a');
	int plain = (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_' ||
		    b == '*';
	size_t need = plain ? 1 : 4;
	if (*o + need >= DNS_NAME_MAX)
		return -1;
	if (plain) {
		out[(*o)++] = (char)b;
		return 0;
	}
	out[(*o)++] = '\\';
	out[(*o)++] = (char)('0' + b / 100);
	out[(*o)++] = (char)('0' + b / 10 % 10);
	out[(*o)++] = (char)('0' + b % 10);
	return 0;
}

/* Copies one label of len bytes at r's position into out (after a dot
 * unless it is the first) and moves r past it. */
static enum dns_err dns_label(struct cur *r, uint8_t len, char *out, size_t *o)
{
	const uint8_t *l = cur_peek(r, len);
	if (!l)
		return DNS_E_TRUNC;
	if (*o) {
		if (*o + 1 >= DNS_NAME_MAX)
			return DNS_E_NAME_TOO_LONG;
		out[(*o)++] = '.';
	}
	for (size_t i = 0; i < len; i++)
		if (dns_put(out, o, l[i]) < 0)
			return DNS_E_NAME_TOO_LONG;
	cur_skip(r, len);
	return DNS_OK;
}

/* Reads the name at c's position into out (DNS_NAME_MAX bytes) and moves c
 * past it (past the first pointer, if any). A pointer may only point before
 * the start of the labels it ends (the name's own start, or the previous
 * pointer's target): the targets then strictly decrease and no loop is
 * possible; DNS_MAX_POINTERS bounds the work besides. On error out is "". */
static enum dns_err dns_name(const struct cur *m, struct cur *c, char *out)
{
	struct cur j;	   /* the message, once a pointer was followed */
	struct cur *r = c; /* where the labels are read from */
	size_t start = dns_abs(m, c), wire = 0, o = 0;
	unsigned ptrs = 0;
	enum dns_err e = DNS_OK;
	for (;;) {
		uint8_t b = cur_u8(r);
		if (r->err) {
			e = DNS_E_TRUNC;
			break;
		}
		if ((b & 0xc0) == 0xc0) {
			size_t t = (size_t)(b & 0x3f) << 8 | cur_u8(r);
			if (r->err)
				e = DNS_E_TRUNC;
			else if (t >= m->len)
				e = DNS_E_POINTER_RANGE;
			else if (t >= start || ++ptrs > DNS_MAX_POINTERS)
				e = DNS_E_POINTER_LOOP;
			if (e)
				break;
			j = cur_make(m->p, m->len);
			j.off = t;
			r = &j;
			start = t;
			continue;
		}
		if (b & 0xc0) { /* 0x40 extended, 0x80 reserved (RFC 6891 §5) */
			e = DNS_E_LABEL;
			break;
		}
		wire += 1u + b;
		if (wire > DNS_WIRE_NAME_MAX) {
			e = DNS_E_NAME_TOO_LONG;
			break;
		}
		if (b == 0)
			break;
		if ((e = dns_label(r, b, out, &o)) != DNS_OK)
			break;
	}
	out[e ? 0 : o] = '\0';
	return e;
}

/* TXT (RFC 1035 §3.3.14): character-strings filling the RDATA, concatenated
 * into rr->u.txt as far as they fit, non-printable bytes as '?'. */
static enum dns_err dns_txt(struct cur *rd, struct dns_rr *rr)
{
	size_t o = 0;
	while (cur_left(rd)) {
		uint8_t len = cur_u8(rd);
		const uint8_t *s = cur_peek(rd, len);
		if (!s)
			return DNS_E_RDATA;
		for (size_t i = 0; i < len; i++) {
			if (o >= DNS_TXT_MAX - 1) {
				rr->u.txt.truncated = 1;
				break;
			}
			rr->u.txt.text[o++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
		}
		cur_skip(rd, len);
	}
	rr->u.txt.len = (uint16_t)o;
	rr->u.txt.text[o] = '\0';
	return DNS_OK;
}

/* TLSA (RFC 6698 §2.1): usage, selector, matching type, association data. */
static enum dns_err dns_tlsa(struct cur *rd, struct dns_rr *rr, int deliver)
{
	uint8_t usage = cur_u8(rd), selector = cur_u8(rd), mtype = cur_u8(rd);
	if (rd->err)
		return DNS_E_RDATA;
	size_t len = cur_left(rd);
	const uint8_t *data = len ? cur_peek(rd, len) : NULL;
	cur_skip(rd, len);
	/* The SHA-512 of matching-type-0 data is only worth computing once.
	 * Should it fail (OpenSSL out of memory), the record is still delivered,
	 * marked unusable. */
	if (deliver && dns_tlsa_set(&rr->u.tlsa, usage, selector, mtype, data, len) < 0) {
		memset(&rr->u.tlsa, 0, sizeof(rr->u.tlsa));
		rr->u.tlsa.usage = usage;
		rr->u.tlsa.selector = selector;
		rr->u.tlsa.mtype = mtype;
		rr->u.tlsa.bad_length = 1;
	}
	return DNS_OK;
}

/* The RDATA of rr (the window rd, exactly RDLENGTH bytes) for the types the
 * view reads; any other type is skipped. */
static enum dns_err dns_rdata(const struct cur *m, struct cur *rd, struct dns_rr *rr, int deliver)
{
	enum dns_err e = DNS_OK;
	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA: cur_bytes(rd, rr->u.addr, rr->type == DNS_T_A ? 4 : 16); break;
	case DNS_T_MX:
		rr->u.mx.pref = cur_be16(rd);
		if (!rd->err)
			e = dns_name(m, rd, rr->u.mx.host);
		break;
	case DNS_T_CNAME: e = dns_name(m, rd, rr->u.target); break;
	case DNS_T_TXT: e = dns_txt(rd, rr); break;
	case DNS_T_TLSA: e = dns_tlsa(rd, rr, deliver); break;
	case DNS_T_RRSIG:
		if (cur_left(rd) < DNS_RRSIG_FIXED)
			return DNS_E_RDATA;
		rr->u.rrsig.type_covered = cur_be16(rd);
		cur_skip(rd, cur_left(rd));
		break;
	default: cur_skip(rd, cur_left(rd)); break;
	}
	/* A name that runs out of its RDATA contradicts RDLENGTH: the message
	 * itself may go on. */
	if (e == DNS_E_TRUNC)
		return DNS_E_RDATA;
	if (e)
		return e;
	return cur_end(rd) == CUR_OK ? DNS_OK : DNS_E_RDATA;
}

/* One resource record at c's position into rr. */
static enum dns_err dns_record(const struct cur *m, struct cur *c, struct dns_rr *rr, int deliver)
{
	enum dns_err e = dns_name(m, c, rr->name);
	if (e)
		return e;
	rr->type = cur_be16(c);
	rr->cls = cur_be16(c);
	rr->ttl = cur_be32(c);
	rr->rdlength = cur_be16(c);
	struct cur rd;
	if (!cur_sub(c, rr->rdlength, &rd))
		return DNS_E_TRUNC;
	return dns_rdata(m, &rd, rr, deliver);
}

/* The question section; the first question goes into msg (when check is
 * set: the first run), the others are only read. */
static enum dns_err dns_questions(const struct cur *m, struct cur *c, struct dns_msg *msg,
				  int check)
{
	char scratch[DNS_NAME_MAX];
	for (unsigned i = 0; i < msg->qdcount; i++) {
		int first = check && i == 0;
		enum dns_err e = dns_name(m, c, first ? msg->qname : scratch);
		if (e)
			return e;
		uint16_t qtype = cur_be16(c), qclass = cur_be16(c);
		if (c->err)
			return DNS_E_TRUNC;
		if (first) {
			msg->qtype = qtype;
			msg->qclass = qclass;
		}
	}
	return DNS_OK;
}

/* One run over the message m after its header: checks everything (deliver
 * 0, OPT facts into *opt) or delivers every record to fn (deliver 1). */
static enum dns_err dns_walk(const struct cur *m, struct dns_msg *msg, dns_rr_fn fn, void *ctx,
			     struct dns_opt *opt, int deliver)
{
	struct cur c = *m;
	cur_skip(&c, DNS_HEADER_LEN);
	enum dns_err e = dns_questions(m, &c, msg, !deliver);
	if (e)
		return e;
	const uint16_t counts[3] = {msg->ancount, msg->nscount, msg->arcount};
	struct dns_rr rr;
	for (unsigned s = 0; s < 3; s++) {
		/* A count past the message's end stops at the first record that
		 * does not fit: at most one turn per 11 bytes of message. */
		for (unsigned i = 0; i < counts[s]; i++) {
			memset(&rr, 0, sizeof(rr));
			rr.section = (uint8_t)(DNS_SEC_ANSWER + s);
			if ((e = dns_record(m, &c, &rr, deliver)) != DNS_OK)
				return e;
			if (rr.section == DNS_SEC_ADDITIONAL && rr.type == DNS_T_OPT) {
				/* RFC 6891 §6.1.3: CLASS is the UDP payload size;
				 * TTL is EXTENDED-RCODE, VERSION, DO, Z. */
				opt->seen = 1;
				opt->udp_size = rr.cls;
				opt->ext_rcode = (uint8_t)(rr.ttl >> 24);
				opt->dobit = (uint8_t)(rr.ttl >> 15 & 1);
				continue;
			}
			if (deliver && fn)
				fn(ctx, msg, &rr);
		}
	}
	return cur_left(&c) ? DNS_E_TRAILING : DNS_OK;
}

enum dns_err dns_parse(const uint8_t *p, size_t n, struct dns_msg *msg, dns_rr_fn fn, void *ctx)
{
	memset(msg, 0, sizeof(*msg));
	struct cur m = cur_make(p, n), c = m;
	msg->id = cur_be16(&c);
	uint16_t flags = cur_be16(&c);
	msg->qdcount = cur_be16(&c);
	msg->ancount = cur_be16(&c);
	msg->nscount = cur_be16(&c);
	msg->arcount = cur_be16(&c);
	if (c.err) {
		memset(msg, 0, sizeof(*msg));
		return DNS_E_TRUNC;
	}
	msg->qr = (uint8_t)(flags >> 15 & 1);
	msg->opcode = (uint8_t)(flags >> 11 & 0xf);
	msg->aa = (uint8_t)(flags >> 10 & 1);
	msg->tc = (uint8_t)(flags >> 9 & 1);
	msg->rd = (uint8_t)(flags >> 8 & 1);
	msg->ra = (uint8_t)(flags >> 7 & 1);
	msg->ad = (uint8_t)(flags >> 5 & 1);
	msg->cd = (uint8_t)(flags >> 4 & 1);
	msg->rcode = (uint16_t)(flags & 0xf);
	struct dns_opt opt = {0, 0, 0, 0};
	enum dns_err e = dns_walk(&m, msg, NULL, NULL, &opt, 0);
	if (e)
		return e;
	if (opt.seen) {
		msg->edns = 1;
		msg->edns_do = opt.dobit;
		msg->edns_udp_size = opt.udp_size;
		msg->rcode = (uint16_t)(opt.ext_rcode << 4 | msg->rcode);
	}
	if (fn) {
		struct dns_opt again = {0, 0, 0, 0};
		e = dns_walk(&m, msg, fn, ctx, &again, 1);
	}
	return e;
}

/* Counters stop at their maximum rather than wrap. */
static void dns_count(uint32_t *c)
{
	if (*c != UINT32_MAX)
		(*c)++;
}

/* One whole message of a stream: parsed, delivered and counted. */
static void dns_message(struct dns_stream *s, const uint8_t *p, size_t n)
{
	struct dns_msg msg;
	enum dns_err e = dns_parse(p, n, &msg, s->rr, s->ctx);
	if (e) {
		dns_count(&s->events[DNS_EV_MALFORMED]);
		dns_count(&s->errors[e]);
		return;
	}
	dns_count(&s->events[DNS_EV_MESSAGE]);
	if (s->msg)
		s->msg(s->ctx, &msg);
}

struct dissect_result dns_tcp_feed(struct dns_stream *s, const uint8_t *p, size_t n)
{
	if (s->dead)
		return dissect_result(s->dead == DNS_DEAD_GAP ? DISSECT_TRUNC : DISSECT_INVALID, n,
				      0);
	struct cur c = cur_make(p, n);
	while (cur_left(&c)) {
		size_t at = c.off, left = cur_left(&c);
		if (left < 2) /* the length itself is cut */
			return dissect_result(DISSECT_NEED_MORE, at, 2);
		uint16_t len = cur_be16(&c);
		if (len == 0) {
			/* No message is empty (the header alone is 12 bytes): the
			 * framing is lost. */
			s->dead = DNS_DEAD_INVALID;
			return dissect_result(DISSECT_INVALID, n, 0);
		}
		const uint8_t *msg = cur_peek(&c, len);
		if (!msg)
			return dissect_result(DISSECT_NEED_MORE, at, (size_t)len + 2);
		cur_skip(&c, len);
		dns_message(s, msg, len);
	}
	return dissect_result(DISSECT_OK, n, 0);
}

void dns_tcp_gap(struct dns_stream *s, uint64_t n)
{
	if (n == 0 || s->dead)
		return;
	s->dead = DNS_DEAD_GAP;
	dns_count(&s->events[DNS_EV_GAP]);
}

void dns_udp(struct dns_stream *s, const uint8_t *p, size_t n)
{
	dns_message(s, p, n);
}
