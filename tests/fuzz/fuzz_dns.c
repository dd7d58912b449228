/* fuzz_dns.c — fuzz target for dissectors/proto/dns.c: one message through
 * dns_parse() and dns_udp(), and the same bytes as one direction of DNS over
 * TCP through dns_tcp_feed().
 *
 * Input:
 *
 *   +-----------+--------------------------------------------+
 *   | split (2) | bytes: a DNS message, or a TCP stream of   |
 *   |           | length-prefixed messages                   |
 *   +-----------+--------------------------------------------+
 *
 * dns_parse() reads the bytes as one message, with a callback that reads
 * every field of every record; parsed again without a callback, the message
 * must come out the same. Then the bytes are a TCP stream, fed through the
 * one test feeder (tests/lib/feed.h: unconsumed bytes kept at the end of
 * their allocation and offered again) whole, cut once at split, and (short
 * inputs) byte by byte: every answer keeps the contract of
 * dissectors/proto/dissect.h, and every way delivers the same records and
 * counts the same events.
 */
#include <stdlib.h>
#include <string.h>

#include "dissectors/proto/dns.h"
#include "feed.h"
#include "fuzz.h"

#define BYTE_BY_BYTE_MAX 1024u

/* What the callbacks saw. */
struct seen {
	uint64_t records, messages;
	uint64_t sum; /* a digest of every field delivered */
};

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	while (*s)
		h = mix(h, (uint8_t)*s++);
	return mix(h, 0);
}

static void on_rr(void *ctx, const struct dns_msg *m, const struct dns_rr *rr)
{
	struct seen *s = ctx;
	FUZZ_CHECK(rr->section >= DNS_SEC_ANSWER && rr->section <= DNS_SEC_ADDITIONAL);
	FUZZ_CHECK(!(rr->section == DNS_SEC_ADDITIONAL && rr->type == DNS_T_OPT));
	FUZZ_CHECK(terminated(rr->name, DNS_NAME_MAX));
	FUZZ_CHECK(terminated(m->qname, DNS_NAME_MAX));
	uint64_t h = mix_str(s->sum, rr->name);
	h = mix(h, (uint64_t)rr->type << 48 | (uint64_t)rr->cls << 32 | rr->ttl);
	h = mix(h, rr->rdlength);
	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		for (size_t i = 0; i < (rr->type == DNS_T_A ? 4u : 16u); i++)
			h = mix(h, rr->u.addr[i]);
		break;
	case DNS_T_MX:
		FUZZ_CHECK(terminated(rr->u.mx.host, DNS_NAME_MAX));
		h = mix_str(mix(h, rr->u.mx.pref), rr->u.mx.host);
		break;
	case DNS_T_CNAME:
		FUZZ_CHECK(terminated(rr->u.target, DNS_NAME_MAX));
		h = mix_str(h, rr->u.target);
		break;
	case DNS_T_TXT:
		FUZZ_CHECK(rr->u.txt.len < DNS_TXT_MAX);
		FUZZ_CHECK(strlen(rr->u.txt.text) == rr->u.txt.len);
		FUZZ_CHECK(!rr->u.txt.truncated || rr->u.txt.len == DNS_TXT_MAX - 1);
		h = mix_str(mix(h, rr->u.txt.truncated), rr->u.txt.text);
		break;
	case DNS_T_TLSA:
		FUZZ_CHECK(rr->u.tlsa.len <= DNS_TLSA_DATA_MAX);
		FUZZ_CHECK(rr->rdlength >= 3);
		h = mix(h, (uint64_t)rr->u.tlsa.usage << 24 | (uint64_t)rr->u.tlsa.selector << 16 |
				   (uint64_t)rr->u.tlsa.mtype << 8 | rr->u.tlsa.full_digest);
		h = mix(h, rr->u.tlsa.bad_length);
		for (size_t i = 0; i < rr->u.tlsa.len; i++)
			h = mix(h, rr->u.tlsa.data[i]);
		break;
	case DNS_T_RRSIG: h = mix(h, rr->u.rrsig.type_covered); break;
	default: break;
	}
	s->sum = h;
	s->records++;
}

static void on_msg(void *ctx, const struct dns_msg *m)
{
	struct seen *s = ctx;
	FUZZ_CHECK(terminated(m->qname, DNS_NAME_MAX));
	s->sum = mix(mix_str(s->sum, m->qname), (uint64_t)m->id << 16 | m->rcode);
	s->messages++;
}

/* One message: with the callback and without, the same answer. */
static void one_message(const uint8_t *p, size_t n)
{
	struct seen s = {0, 0, 0};
	struct dns_msg a, b;
	enum dns_err e = dns_parse(p, n, &a, on_rr, &s);
	FUZZ_CHECK((unsigned)e < DNS_E_COUNT);
	FUZZ_CHECK(dns_err_name(e)[0] != '\0');
	FUZZ_CHECK(terminated(a.qname, DNS_NAME_MAX));
	FUZZ_CHECK(e == DNS_OK || s.records == 0);
	FUZZ_CHECK(s.records <= (uint64_t)a.ancount + a.nscount + a.arcount);
	FUZZ_CHECK(e != DNS_OK || s.records >= (uint64_t)a.ancount + a.nscount);
	FUZZ_CHECK(a.edns || a.rcode < 16);
	FUZZ_CHECK(dns_parse(p, n, &b, NULL, NULL) == e);
	FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

struct tcp {
	struct dns_stream s;
	struct seen seen;
};

static struct dissect_result on_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct tcp *t = ctx;
	(void)dir;
	return dns_tcp_feed(&t->s, p, n);
}

static void on_gap(void *ctx, int dir, uint64_t n)
{
	struct tcp *t = ctx;
	(void)dir;
	dns_tcp_gap(&t->s, n);
}

static const struct feed_ops ops = {on_feed, on_gap, NULL, NULL};

/* The bytes as a TCP stream, through the feeder (step and split as
 * feed_play() takes them). */
static void play(struct tcp *t, const uint8_t *p, size_t n, size_t step, size_t split)
{
	memset(t, 0, sizeof(*t));
	t->s.rr = on_rr;
	t->s.msg = on_msg;
	t->s.ctx = &t->seen;
	struct feed f;
	FUZZ_CHECK(feed_init(&f, &ops, t, n + 1) == 0);
	const struct feed_seg seg = {0, p, n};
	feed_play(&f, &seg, 1, step, split);
	FUZZ_CHECK(f.violations == 0);
	FUZZ_CHECK(f.overflows == 0);
	FUZZ_CHECK(t->seen.messages == t->s.events[DNS_EV_MESSAGE]);
	uint64_t bad = 0;
	for (size_t i = 0; i < DNS_E_COUNT; i++)
		bad += t->s.errors[i];
	FUZZ_CHECK(bad == t->s.events[DNS_EV_MALFORMED]);
	FUZZ_CHECK(t->s.errors[DNS_OK] == 0);
	FUZZ_CHECK(t->s.events[DNS_EV_GAP] == 0);
	feed_free(&f);
}

static int same(const struct tcp *a, const struct tcp *b)
{
	return memcmp(a->s.events, b->s.events, sizeof(a->s.events)) == 0 &&
	       memcmp(a->s.errors, b->s.errors, sizeof(a->s.errors)) == 0 &&
	       a->s.dead == b->s.dead && a->seen.records == b->seen.records &&
	       a->seen.sum == b->seen.sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t split = (size_t)data[0] << 8 | data[1];
	const uint8_t *p = data + 2;
	size_t n = size - 2;
	/* a copy of exactly n bytes: ASan sees any read past them */
	uint8_t *msg = malloc(n ? n : 1);
	struct tcp *whole = malloc(sizeof(*whole)), *cut = malloc(sizeof(*cut));
	FUZZ_CHECK(msg && whole && cut);
	if (n)
		memcpy(msg, p, n);
	one_message(msg, n);

	struct dns_stream udp;
	memset(&udp, 0, sizeof(udp));
	dns_udp(&udp, msg, n);
	FUZZ_CHECK(udp.events[DNS_EV_MESSAGE] + udp.events[DNS_EV_MALFORMED] == 1);

	play(whole, p, n, 0, 0);
	play(cut, p, n, 0, n ? split % n : 0);
	FUZZ_CHECK(same(whole, cut));
	if (n <= BYTE_BY_BYTE_MAX) {
		play(cut, p, n, 1, 0);
		FUZZ_CHECK(same(whole, cut));
	}
	free(msg);
	free(whole);
	free(cut);
	return 0;
}
