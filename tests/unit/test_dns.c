/* Unit tests for dissectors/proto/dns.c, one message at a time: real answers
 * of NSD and Unbound (tests/unit/dns_vectors.h) checked field by field
 * against tshark, every prefix of each refused, malformed names, pointers,
 * counts and RDATA built by hand. DNS over TCP: test_dns_tcp.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/proto/dns.h"
#include "dns_vectors.h"

/* ---- collecting what the dissector delivers ---- */

#define COL_MAX 32

struct col {
	struct dns_rr rr[COL_MAX]; /* the first COL_MAX records */
	size_t n;		   /* records delivered */
	size_t edns;		   /* records delivered with msg->edns already set */
};

static void col_rr(void *ctx, const struct dns_msg *m, const struct dns_rr *rr)
{
	struct col *c = ctx;
	c->edns += m->edns;
	if (c->n < COL_MAX)
		c->rr[c->n] = *rr;
	c->n++;
}

static struct col *col_new(void)
{
	struct col *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	return c;
}

static enum dns_err parse(const uint8_t *p, size_t n, struct dns_msg *msg, struct col *c)
{
	return dns_parse(p, n, msg, col_rr, c);
}

static void assert_hex(const uint8_t *got, size_t len, const char *hex)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned v = 0;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		assert_int_equal(got[i], v);
	}
}

static void assert_rr(const struct dns_rr *rr, int section, const char *name, int type,
		      uint32_t ttl, int rdlength)
{
	assert_int_equal(rr->section, section);
	assert_string_equal(rr->name, name);
	assert_int_equal(rr->type, type);
	assert_int_equal(rr->cls, 1);
	assert_int_equal(rr->ttl, ttl);
	assert_int_equal(rr->rdlength, rdlength);
}

/* The header as tshark gives it: id, flags word, rcode, counts, question. */
static void assert_hdr(const struct dns_msg *m, int id, int flags, int rcode, int qd, int an,
		       int ns, int ar, const char *qname, int qtype)
{
	assert_int_equal(m->id, id);
	assert_int_equal(m->qr, flags >> 15 & 1);
	assert_int_equal(m->opcode, flags >> 11 & 15);
	assert_int_equal(m->aa, flags >> 10 & 1);
	assert_int_equal(m->tc, flags >> 9 & 1);
	assert_int_equal(m->rd, flags >> 8 & 1);
	assert_int_equal(m->ra, flags >> 7 & 1);
	assert_int_equal(m->ad, flags >> 5 & 1);
	assert_int_equal(m->cd, flags >> 4 & 1);
	assert_int_equal(m->rcode, rcode);
	assert_int_equal(m->qdcount, qd);
	assert_int_equal(m->ancount, an);
	assert_int_equal(m->nscount, ns);
	assert_int_equal(m->arcount, ar);
	assert_string_equal(m->qname, qname);
	assert_int_equal(m->qtype, qtype);
	assert_int_equal(m->qclass, 1);
}

static void assert_edns(const struct dns_msg *m, int dobit)
{
	assert_int_equal(m->edns, 1);
	assert_int_equal(m->edns_udp_size, 1232);
	assert_int_equal(m->edns_do, dobit);
}

/* ---- real messages, against tshark ----
 *
 * The tshark lines quoted are `-T fields -E separator='|'` of frame.number
 * dns.id dns.flags dns.flags.rcode dns.flags.authenticated
 * dns.flags.truncated dns.count.{queries,answers,auth_rr,add_rr}
 * dns.qry.name dns.qry.type dns.resp.{name,type,ttl,len} dns.a dns.aaaa
 * dns.mx.{preference,mail_exchange} dns.cname dns.txt
 * dns.tlsa.{certificate_usage,selector,matching_type}
 * dns.rrsig.type_covered dns.rr.udp_payload_size dns.resp.z.do
 * dns.resp.ext_rcode. */

static void test_query_and_mx(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	/* 1|0xb21e|0x0120||1|0|1|0|0|1|example.net|15|<Root>|41||12|...|1232|0|0x00 */
	assert_int_equal(parse(v_query_mx, sizeof(v_query_mx), &m, c), DNS_OK);
	assert_hdr(&m, 0xb21e, 0x0120, 0, 1, 0, 0, 1, "example.net", 15);
	assert_edns(&m, 0);
	assert_int_equal(c->n, 0); /* the OPT record is not delivered */

	/* 8|0xb21e|0x81a0|0|1|0|1|2|0|1|example.net|15|example.net,example.net,
	 * <Root>|15,15,41|3600,3600|8,8,0|||20,10|mx2.example.net,mx1.example.net
	 * |...|1232|0|0x00 */
	assert_int_equal(parse(v_mx, sizeof(v_mx), &m, c), DNS_OK);
	assert_hdr(&m, 0xb21e, 0x81a0, 0, 1, 2, 0, 1, "example.net", 15);
	assert_edns(&m, 0);
	assert_int_equal(c->n, 2);
	assert_rr(&c->rr[0], DNS_SEC_ANSWER, "example.net", DNS_T_MX, 3600, 8);
	assert_int_equal(c->rr[0].u.mx.pref, 20);
	assert_string_equal(c->rr[0].u.mx.host, "mx2.example.net");
	assert_rr(&c->rr[1], DNS_SEC_ANSWER, "example.net", DNS_T_MX, 3600, 8);
	assert_int_equal(c->rr[1].u.mx.pref, 10);
	assert_string_equal(c->rr[1].u.mx.host, "mx1.example.net");

	/* fn may be NULL: the header and question only, the same answer */
	assert_int_equal(dns_parse(v_mx, sizeof(v_mx), &m, NULL, NULL), DNS_OK);
	assert_hdr(&m, 0xb21e, 0x81a0, 0, 1, 2, 0, 1, "example.net", 15);
	free(c);
}

static void test_a_aaaa_cname(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	static const uint8_t a[4] = {192, 0, 2, 25};
	/* 12|0x3960|0x81a0|0|1|0|1|2|0|1|mx1.example.net|1|mx1.example.net,
	 * mx1.example.net,<Root>|1,46,41|3600,3600|4,95,0|192.0.2.25|...|1|1232|1 */
	assert_int_equal(parse(v_a_dnssec, sizeof(v_a_dnssec), &m, c), DNS_OK);
	assert_hdr(&m, 0x3960, 0x81a0, 0, 1, 2, 0, 1, "mx1.example.net", 1);
	assert_edns(&m, 1);
	assert_int_equal(c->n, 2);
	assert_rr(&c->rr[0], DNS_SEC_ANSWER, "mx1.example.net", DNS_T_A, 3600, 4);
	assert_memory_equal(c->rr[0].u.addr, a, 4);
	assert_rr(&c->rr[1], DNS_SEC_ANSWER, "mx1.example.net", DNS_T_RRSIG, 3600, 95);
	assert_int_equal(c->rr[1].u.rrsig.type_covered, DNS_T_A);

	/* 16|0x1d60|0x81a0|0|1|0|1|1|0|1|mx1.example.net|28|mx1.example.net,
	 * <Root>|28,41|300|16,0||2001:db8::25|...|1232|0 */
	static const uint8_t aaaa[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					 0,    0,    0,	   0,	 0, 0, 0, 0x25};
	c->n = 0;
	assert_int_equal(parse(v_aaaa, sizeof(v_aaaa), &m, c), DNS_OK);
	assert_hdr(&m, 0x1d60, 0x81a0, 0, 1, 1, 0, 1, "mx1.example.net", 28);
	assert_edns(&m, 0);
	assert_int_equal(c->n, 1);
	assert_rr(&c->rr[0], DNS_SEC_ANSWER, "mx1.example.net", DNS_T_AAAA, 300, 16);
	assert_memory_equal(c->rr[0].u.addr, aaaa, 16);

	/* 20|0x5202|0x81a0|0|1|0|1|4|0|1|mx2.example.net|1|mx2.example.net,
	 * mx2.example.net,mx1.example.net,mx1.example.net,<Root>|5,46,1,46,41|
	 * 3600,3600,3600,3600|6,95,4,95,0|192.0.2.25||||mx1.example.net|...|5,1|
	 * 1232|1 */
	c->n = 0;
	assert_int_equal(parse(v_cname, sizeof(v_cname), &m, c), DNS_OK);
	assert_hdr(&m, 0x5202, 0x81a0, 0, 1, 4, 0, 1, "mx2.example.net", 1);
	assert_edns(&m, 1);
	assert_int_equal(c->n, 4);
	assert_rr(&c->rr[0], DNS_SEC_ANSWER, "mx2.example.net", DNS_T_CNAME, 3600, 6);
	assert_string_equal(c->rr[0].u.target, "mx1.example.net");
	assert_rr(&c->rr[1], DNS_SEC_ANSWER, "mx2.example.net", DNS_T_RRSIG, 3600, 95);
	assert_int_equal(c->rr[1].u.rrsig.type_covered, DNS_T_CNAME);
	assert_rr(&c->rr[2], DNS_SEC_ANSWER, "mx1.example.net", DNS_T_A, 3600, 4);
	assert_memory_equal(c->rr[2].u.addr, a, 4);
	assert_rr(&c->rr[3], DNS_SEC_ANSWER, "mx1.example.net", DNS_T_RRSIG, 3600, 95);
	assert_int_equal(c->rr[3].u.rrsig.type_covered, DNS_T_A);
	free(c);
}

static void test_txt(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	/* 26|0xdeb1|0x81a0|0|1|0|1|1|0|1|_mta-sts.example.net|16|
	 * _mta-sts.example.net,<Root>|16,41|3600|29,0||||||v=STSv1;
	 * id=20240101T000000;|...|1232|0 */
	assert_int_equal(parse(v_mtasts, sizeof(v_mtasts), &m, c), DNS_OK);
	assert_hdr(&m, 0xdeb1, 0x81a0, 0, 1, 1, 0, 1, "_mta-sts.example.net", 16);
	assert_int_equal(c->n, 1);
	assert_rr(&c->rr[0], DNS_SEC_ANSWER, "_mta-sts.example.net", DNS_T_TXT, 3600, 29);
	assert_string_equal(c->rr[0].u.txt.text, "v=STSv1; id=20240101T000000;");
	assert_int_equal(c->rr[0].u.txt.len, 28);
	assert_int_equal(c->rr[0].u.txt.truncated, 0);

	/* 34|0x70e6|0x81a0|0|1|0|1|1|0|1|_smtp._tls.example.net|16|
	 * _smtp._tls.example.net,<Root>|16,41|3600|43,0||||||v=TLSRPTv1; ,
	 * rua=mailto:tlsrpt@example.net|...: two strings, concatenated */
	c->n = 0;
	assert_int_equal(parse(v_tlsrpt, sizeof(v_tlsrpt), &m, c), DNS_OK);
	assert_hdr(&m, 0x70e6, 0x81a0, 0, 1, 1, 0, 1, "_smtp._tls.example.net", 16);
	assert_int_equal(c->n, 1);
	assert_rr(&c->rr[0], DNS_SEC_ANSWER, "_smtp._tls.example.net", DNS_T_TXT, 3600, 43);
	assert_string_equal(c->rr[0].u.txt.text, "v=TLSRPTv1; rua=mailto:tlsrpt@example.net");
	assert_int_equal(c->rr[0].u.txt.len, 41);

	/* 76|0x6afc|0x8500|0|0|0|1|1|1|2|odd.example.net|16|odd.example.net,
	 * example.net,ns1.example.net,<Root>|16,2,1,41|3600,3600,3600|13,6,4,0|
	 * 127.0.0.1|||||tab\tand\xffhigh: TAB and 0xff become '?' */
	c->n = 0;
	assert_int_equal(parse(v_odd_txt, sizeof(v_odd_txt), &m, c), DNS_OK);
	assert_hdr(&m, 0x6afc, 0x8500, 0, 1, 1, 1, 2, "odd.example.net", 16);
	assert_int_equal(c->n, 3);
	assert_rr(&c->rr[0], DNS_SEC_ANSWER, "odd.example.net", DNS_T_TXT, 3600, 13);
	assert_string_equal(c->rr[0].u.txt.text, "tab?and?high");
	assert_int_equal(c->rr[0].u.txt.len, 12);
	assert_rr(&c->rr[1], DNS_SEC_AUTHORITY, "example.net", DNS_T_NS, 3600, 6);
	assert_rr(&c->rr[2], DNS_SEC_ADDITIONAL, "ns1.example.net", DNS_T_A, 3600, 4);
	free(c);
}

static void test_tlsa(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	/* 42|0x1aa0|0x81a0|0|1|0|1|3|0|1|_25._tcp.mx1.example.net|52|...|52,52,
	 * 46,41|3600,3600,3600|35,67,95,0|||||||3,2|1,1|1,2|52|1232|1;
	 * dns.tlsa.certificate_association_data as below */
	assert_int_equal(parse(v_tlsa_mx1, sizeof(v_tlsa_mx1), &m, c), DNS_OK);
	assert_hdr(&m, 0x1aa0, 0x81a0, 0, 1, 3, 0, 1, "_25._tcp.mx1.example.net", 52);
	assert_edns(&m, 1);
	assert_int_equal(c->n, 3);
	const struct dns_tlsa *t = &c->rr[0].u.tlsa;
	assert_rr(&c->rr[0], DNS_SEC_ANSWER, "_25._tcp.mx1.example.net", DNS_T_TLSA, 3600, 35);
	assert_int_equal(t->usage, 3);
	assert_int_equal(t->selector, 1);
	assert_int_equal(t->mtype, 1);
	assert_int_equal(t->len, 32);
	assert_int_equal(t->full_digest, 0);
	assert_int_equal(t->bad_length, 0);
	assert_hex(t->data, 32, "b3101e03bcd92077d27e5da1828ba44e56a638de9a948c3e09ed23a7a8968a36");
	t = &c->rr[1].u.tlsa;
	assert_rr(&c->rr[1], DNS_SEC_ANSWER, "_25._tcp.mx1.example.net", DNS_T_TLSA, 3600, 67);
	assert_int_equal(t->usage, 2);
	assert_int_equal(t->selector, 1);
	assert_int_equal(t->mtype, 2);
	assert_int_equal(t->len, 64);
	assert_int_equal(t->bad_length, 0);
	assert_hex(t->data, 64,
		   "b4b1ba90d4d22bb5209d4708a338f323ca0b45532f7e31dac3e22758c79a6ca3"
		   "8dc0d1d30af3964568a5195447b1857f0f400a58858bf98a4d97a0b8bd1810b1");
	assert_int_equal(c->rr[2].u.rrsig.type_covered, DNS_T_TLSA);
	/* the OPT record comes last, its facts are in msg from the first record on */
	assert_int_equal(c->edns, 3);

	/* 50|0xb839|0x81a0|0|1|0|1|2|0|1|_25._tcp.mx2.example.net|52|...|52,46,41|
	 * 3600,3600|400,95,0|||||||3|0|0|52|1232|1: the 397-byte DER certificate,
	 * kept as its SHA-512 (`openssl x509 -outform DER | openssl dgst -sha512`) */
	c->n = 0;
	assert_int_equal(parse(v_tlsa_mx2, sizeof(v_tlsa_mx2), &m, c), DNS_OK);
	assert_hdr(&m, 0xb839, 0x81a0, 0, 1, 2, 0, 1, "_25._tcp.mx2.example.net", 52);
	assert_int_equal(c->n, 2);
	t = &c->rr[0].u.tlsa;
	assert_rr(&c->rr[0], DNS_SEC_ANSWER, "_25._tcp.mx2.example.net", DNS_T_TLSA, 3600, 400);
	assert_int_equal(t->usage, 3);
	assert_int_equal(t->selector, 0);
	assert_int_equal(t->mtype, 0);
	assert_int_equal(t->len, 64);
	assert_int_equal(t->full_digest, 1);
	assert_int_equal(t->bad_length, 0);
	assert_hex(t->data, 64,
		   "6a22d248b50c1f29090840cfe2d51b217e3c39fa9464d2ba3f929b1647502343"
		   "7e8409cf787b492a15091524261095f13c2ab2a78a23896cc974cb49a63f1d5d");
	assert_int_equal(c->rr[1].u.rrsig.type_covered, DNS_T_TLSA);
	free(c);
}

static void test_rcodes_and_tc(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	/* 56|0x8680|0x81a3|3|1|0|1|0|1|1|nope.example.net|1|example.net,<Root>|
	 * 6,41|300|39,0|...|1232|0: NXDOMAIN, the SOA in the authority section */
	assert_int_equal(parse(v_nxdomain, sizeof(v_nxdomain), &m, c), DNS_OK);
	assert_hdr(&m, 0x8680, 0x81a3, DNS_RCODE_NXDOMAIN, 1, 0, 1, 1, "nope.example.net", 1);
	assert_int_equal(c->n, 1);
	assert_rr(&c->rr[0], DNS_SEC_AUTHORITY, "example.net", DNS_T_SOA, 300, 39);

	/* cap2 28|0xc6d8|0x8182|2|0|0|1|0|0|1|_25._tcp.mx.bogus.test|52|<Root>|
	 * 41||0|...|1232|1: SERVFAIL, validation failed */
	c->n = 0;
	assert_int_equal(parse(v_servfail, sizeof(v_servfail), &m, c), DNS_OK);
	assert_hdr(&m, 0xc6d8, 0x8182, DNS_RCODE_SERVFAIL, 1, 0, 0, 1, "_25._tcp.mx.bogus.test",
		   52);
	assert_edns(&m, 1);
	assert_int_equal(c->n, 0);

	/* cap2 31|0x784d|0x8700|0|0|1|1|0|0|1|_25._tcp.mx2.example.net|52|<Root>|
	 * 41||0|...|1232|1: TC from NSD, the answer did not fit 512 bytes */
	assert_int_equal(parse(v_tc, sizeof(v_tc), &m, c), DNS_OK);
	assert_hdr(&m, 0x784d, 0x8700, 0, 1, 0, 0, 1, "_25._tcp.mx2.example.net", 52);
	assert_int_equal(m.tc, 1);
	assert_int_equal(m.aa, 1);
	assert_int_equal(c->n, 0);
	free(c);
}

/* Every message, cut anywhere, is refused and delivers nothing; whole, it
 * is accepted; one byte more is trailing. */
static void test_every_prefix(void **state)
{
	(void)state;
	static const struct {
		const uint8_t *p;
		size_t n;
	} v[] = {
		{v_query_mx, sizeof(v_query_mx)},
		{v_mx, sizeof(v_mx)},
		{v_a_dnssec, sizeof(v_a_dnssec)},
		{v_aaaa, sizeof(v_aaaa)},
		{v_cname, sizeof(v_cname)},
		{v_mtasts, sizeof(v_mtasts)},
		{v_tlsrpt, sizeof(v_tlsrpt)},
		{v_tlsa_mx1, sizeof(v_tlsa_mx1)},
		{v_tlsa_mx2, sizeof(v_tlsa_mx2)},
		{v_nxdomain, sizeof(v_nxdomain)},
		{v_odd_txt, sizeof(v_odd_txt)},
		{v_servfail, sizeof(v_servfail)},
		{v_tc, sizeof(v_tc)},
	};
	struct col *c = col_new();
	struct dns_msg m;
	uint8_t buf[1024];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (size_t k = 0; k < v[i].n; k++) {
			/* at the end of the buffer: ASan sees a read past it */
			uint8_t *cut = malloc(k ? k : 1);
			assert_non_null(cut);
			memcpy(cut, v[i].p, k);
			c->n = 0;
			enum dns_err e = parse(cut, k, &m, c);
			free(cut);
			assert_int_not_equal(e, DNS_OK);
			assert_int_equal(c->n, 0);
		}
		assert_int_equal(parse(v[i].p, v[i].n, &m, c), DNS_OK);
		memcpy(buf, v[i].p, v[i].n);
		buf[v[i].n] = 0;
		c->n = 0;
		assert_int_equal(parse(buf, v[i].n + 1, &m, c), DNS_E_TRAILING);
		assert_int_equal(c->n, 0);
		/* the header and question are still there */
		assert_int_equal(m.id, v[i].p[0] << 8 | v[i].p[1]);
		assert_true(m.qname[0] != '\0');
	}
	free(c);
}

/* ---- messages built by hand ---- */

struct bld {
	uint8_t b[1600];
	size_t n;
};

static void put8(struct bld *b, unsigned v)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = (uint8_t)v;
}

static void put16(struct bld *b, unsigned v)
{
	put8(b, v >> 8 & 0xff);
	put8(b, v & 0xff);
}

static void put32(struct bld *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

/* "a.b" as labels with the root byte; "" is the root. */
static void putname(struct bld *b, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		put8(b, (unsigned)len);
		for (size_t i = 0; i < len; i++)
			put8(b, (uint8_t)name[i]);
		name += len + (dot ? 1 : 0);
	}
	put8(b, 0);
}

static void hdr(struct bld *b, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
	b->n = 0;
	put16(b, 0x1234);
	put16(b, flags);
	put16(b, qd);
	put16(b, an);
	put16(b, ns);
	put16(b, ar);
}

/* A record's fields after its name. */
static void rrhead(struct bld *b, unsigned type, uint32_t ttl, unsigned rdlength)
{
	put16(b, type);
	put16(b, 1);
	put32(b, ttl);
	put16(b, rdlength);
}

static enum dns_err bparse(const struct bld *b, struct dns_msg *m, struct col *c)
{
	c->n = 0;
	return parse(b->b, b->n, m, c);
}

static void test_compression_pointers(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	struct bld b;
	/* forward: the question's name points at a name after it */
	hdr(&b, 0x0100, 1, 0, 0, 0);
	put16(&b, 0xc000 | 18);
	put16(&b, 1);
	put16(&b, 1);
	putname(&b, "abc");
	assert_int_equal(bparse(&b, &m, c), DNS_E_POINTER_LOOP);
	assert_string_equal(m.qname, "");
	/* self: a pointer to its own offset */
	hdr(&b, 0x0100, 1, 0, 0, 0);
	put16(&b, 0xc000 | 12);
	put16(&b, 1);
	put16(&b, 1);
	assert_int_equal(bparse(&b, &m, c), DNS_E_POINTER_LOOP);
	/* a -> b -> a: the NULL record's RDATA holds "a" at 23, pointing on to
	 * "b" at 27, which points back to "a"; the next record's name starts at
	 * "b": b, then a (backwards, fine), then b again (not before a: loop) */
	hdr(&b, 0x8100, 0, 2, 0, 0);
	put8(&b, 0);
	rrhead(&b, 10, 0, 8);
	assert_int_equal(b.n, 23);
	put8(&b, 1);
	put8(&b, 'a');
	put16(&b, 0xc000 | 27);
	put8(&b, 1);
	put8(&b, 'b');
	put16(&b, 0xc000 | 23);
	put16(&b, 0xc000 | 27);
	rrhead(&b, 10, 0, 0);
	assert_int_equal(bparse(&b, &m, c), DNS_E_POINTER_LOOP);
	assert_int_equal(c->n, 0);
	b.b[25] = 0; /* "a" ends in the root instead of its pointer: "b.a" */
	assert_int_equal(bparse(&b, &m, c), DNS_OK);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->rr[1].name, "b.a");
	/* back, then forward (no loop, but not backwards from where the jump
	 * landed): "a" at 23 points on to "b" at 27, the next record's name
	 * points back to "a" */
	hdr(&b, 0x8100, 0, 2, 0, 0);
	put8(&b, 0);
	rrhead(&b, 10, 0, 7);
	put8(&b, 1);
	put8(&b, 'a');
	put16(&b, 0xc000 | 27);
	put8(&b, 1);
	put8(&b, 'b');
	put8(&b, 0);
	put16(&b, 0xc000 | 23);
	rrhead(&b, 10, 0, 0);
	assert_int_equal(bparse(&b, &m, c), DNS_E_POINTER_LOOP);
	b.b[30] = 0xc0 | 27 >> 8; /* to "b" directly: fine */
	b.b[31] = 27;
	assert_int_equal(bparse(&b, &m, c), DNS_OK);
	assert_string_equal(c->rr[1].name, "b");
	/* past the end of the message */
	hdr(&b, 0x0100, 1, 0, 0, 0);
	put16(&b, 0xc000 | 0x3fff);
	put16(&b, 1);
	put16(&b, 1);
	assert_int_equal(bparse(&b, &m, c), DNS_E_POINTER_RANGE);
	hdr(&b, 0x0100, 1, 0, 0, 0);
	put16(&b, 0xc000 | 18); /* == the message's length */
	put16(&b, 1);
	put16(&b, 1);
	assert_int_equal(b.n, 18);
	assert_int_equal(bparse(&b, &m, c), DNS_E_POINTER_RANGE);
	b.b[13] = 17; /* the last byte: inside, but forward */
	assert_int_equal(bparse(&b, &m, c), DNS_E_POINTER_LOOP);
	/* the pointer itself cut */
	hdr(&b, 0x0100, 1, 0, 0, 0);
	put8(&b, 0xc0);
	assert_int_equal(bparse(&b, &m, c), DNS_E_TRUNC);
	free(c);
}

/* A chain of n pointers, each to the one before: a NULL record's RDATA
 * holds the root and n-1 pointers, the next record's name is the nth. */
static enum dns_err pointer_chain(unsigned n, struct col *c, struct dns_msg *m)
{
	struct bld b;
	hdr(&b, 0x8100, 0, 2, 0, 0);
	put8(&b, 0);
	rrhead(&b, 10, 0, 1 + 2 * (n - 1));
	size_t root = b.n;
	put8(&b, 0);
	for (unsigned i = 1; i < n; i++)
		put16(&b, 0xc000 | (unsigned)(i == 1 ? root : root + 1 + 2 * (i - 2)));
	put16(&b, 0xc000 | (unsigned)(n == 1 ? root : root + 1 + 2 * (n - 2)));
	rrhead(&b, 10, 0, 0);
	return bparse(&b, m, c);
}

static void test_pointer_limit(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	assert_int_equal(pointer_chain(1, c, &m), DNS_OK);
	assert_int_equal(pointer_chain(DNS_MAX_POINTERS, c, &m), DNS_OK);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->rr[1].name, "");
	assert_int_equal(pointer_chain(DNS_MAX_POINTERS + 1, c, &m), DNS_E_POINTER_LOOP);
	assert_int_equal(c->n, 0);
	free(c);
}

/* A name of labels of the given lengths ('a' .. ), as the question. */
static void long_name(struct bld *b, const unsigned *len, size_t nlen)
{
	hdr(b, 0x0100, 1, 0, 0, 0);
	for (size_t i = 0; i < nlen; i++) {
		put8(b, len[i]);
		for (unsigned k = 0; k < len[i]; k++)
			put8(b, 'a' + (unsigned)i);
	}
	put8(b, 0);
	put16(b, 1);
	put16(b, 1);
}

static void test_names(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	struct bld b;
	/* 4 * 63-ish labels: 64 + 64 + 64 + 62 + the root = 255 bytes */
	static const unsigned ok[] = {63, 63, 63, 61}, over[] = {63, 63, 63, 62};
	long_name(&b, ok, 4);
	assert_int_equal(bparse(&b, &m, c), DNS_OK);
	assert_int_equal(strlen(m.qname), 63 * 3 + 61 + 3);
	assert_int_equal(m.qname[63], '.');
	assert_int_equal(m.qname[64], 'b');
	long_name(&b, over, 4);
	assert_int_equal(bparse(&b, &m, c), DNS_E_NAME_TOO_LONG);
	assert_string_equal(m.qname, "");
	/* short on the wire, but its presentation form does not fit */
	static const unsigned two[] = {63, 63};
	long_name(&b, two, 2);
	memset(b.b + 13, 0x01, 63);
	assert_int_equal(bparse(&b, &m, c), DNS_E_NAME_TOO_LONG);
	/* escapes and case: "MX1", "a.b" (a dot inside a label), 0x00, 0xff, '*' */
	hdr(&b, 0x0100, 1, 0, 0, 0);
	put8(&b, 3);
	put8(&b, 'M');
	put8(&b, 'X');
	put8(&b, '1');
	put8(&b, 6);
	put8(&b, 'a');
	put8(&b, '.');
	put8(&b, 'b');
	put8(&b, 0);
	put8(&b, 0xff);
	put8(&b, '*');
	put8(&b, 0);
	put16(&b, 1);
	put16(&b, 1);
	assert_int_equal(bparse(&b, &m, c), DNS_OK);
	assert_string_equal(m.qname, "mx1.a\\046b\\000\\255*");
	/* label types 0x40 (extended) and 0x80 (reserved) */
	hdr(&b, 0x0100, 1, 0, 0, 0);
	put8(&b, 0x41);
	put8(&b, 'x');
	put8(&b, 0);
	put16(&b, 1);
	put16(&b, 1);
	assert_int_equal(bparse(&b, &m, c), DNS_E_LABEL);
	b.b[12] = 0x81;
	assert_int_equal(bparse(&b, &m, c), DNS_E_LABEL);
	b.b[12] = 0x01;
	assert_int_equal(bparse(&b, &m, c), DNS_OK);
	assert_string_equal(m.qname, "x");
	free(c);
}

/* One answer of the given type with rdlength bytes of RDATA from rd. */
static enum dns_err one_rr(unsigned type, unsigned rdlength, const uint8_t *rd, size_t n,
			   struct col *c, struct dns_msg *m)
{
	struct bld b;
	hdr(&b, 0x8100, 0, 1, 0, 0);
	putname(&b, "x.example");
	rrhead(&b, type, 60, rdlength);
	for (size_t i = 0; i < n; i++)
		put8(&b, rd[i]);
	return bparse(&b, m, c);
}

static void test_rdata(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	static const uint8_t five[5] = {192, 0, 2, 1, 9};
	assert_int_equal(one_rr(DNS_T_A, 4, five, 4, c, &m), DNS_OK);
	assert_int_equal(c->n, 1);
	assert_int_equal(one_rr(DNS_T_A, 5, five, 5, c, &m), DNS_E_RDATA);
	assert_int_equal(one_rr(DNS_T_A, 3, five, 3, c, &m), DNS_E_RDATA);
	assert_int_equal(one_rr(DNS_T_AAAA, 4, five, 4, c, &m), DNS_E_RDATA);
	/* RDLENGTH past the end of the message */
	assert_int_equal(one_rr(DNS_T_A, 4, five, 3, c, &m), DNS_E_TRUNC);
	assert_int_equal(one_rr(99, 300, five, 5, c, &m), DNS_E_TRUNC);
	assert_int_equal(c->n, 0);
	/* another type: the common fields only */
	assert_int_equal(one_rr(99, 5, five, 5, c, &m), DNS_OK);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->rr[0].type, 99);
	assert_int_equal(c->rr[0].rdlength, 5);
	assert_int_equal(c->rr[0].ttl, 60);
	/* MX: the name must end inside RDLENGTH, and fill it */
	static const uint8_t mx[] = {0, 10, 2, 'm', 'x', 0, 0};
	assert_int_equal(one_rr(DNS_T_MX, 6, mx, 6, c, &m), DNS_OK);
	assert_string_equal(c->rr[0].u.mx.host, "mx");
	assert_int_equal(one_rr(DNS_T_MX, 5, mx, 6, c, &m), DNS_E_RDATA);
	assert_int_equal(one_rr(DNS_T_MX, 7, mx, 7, c, &m), DNS_E_RDATA);
	assert_int_equal(one_rr(DNS_T_MX, 1, mx, 1, c, &m), DNS_E_RDATA);
	/* CNAME: the same */
	assert_int_equal(one_rr(DNS_T_CNAME, 4, mx + 2, 4, c, &m), DNS_OK);
	assert_string_equal(c->rr[0].u.target, "mx");
	assert_int_equal(one_rr(DNS_T_CNAME, 3, mx + 2, 4, c, &m), DNS_E_RDATA);
	/* compression pointer in RDATA, back to the owner name at 12 */
	static const uint8_t ptr[] = {0, 5, 0xc0, 12};
	assert_int_equal(one_rr(DNS_T_MX, 4, ptr, 4, c, &m), DNS_OK);
	assert_string_equal(c->rr[0].u.mx.host, "x.example");
	/* TLSA: at least usage, selector, matching type */
	static const uint8_t tlsa[] = {3, 1, 1, 0xaa, 0xbb};
	assert_int_equal(one_rr(DNS_T_TLSA, 2, tlsa, 2, c, &m), DNS_E_RDATA);
	assert_int_equal(one_rr(DNS_T_TLSA, 3, tlsa, 3, c, &m), DNS_OK);
	assert_int_equal(c->rr[0].u.tlsa.len, 0);
	assert_int_equal(c->rr[0].u.tlsa.bad_length, 1);
	assert_int_equal(one_rr(DNS_T_TLSA, 5, tlsa, 5, c, &m), DNS_OK);
	assert_int_equal(c->rr[0].u.tlsa.len, 2);
	assert_int_equal(c->rr[0].u.tlsa.data[1], 0xbb);
	assert_int_equal(c->rr[0].u.tlsa.bad_length, 1);
	/* matching type 0 with no data at all: the SHA-512 of nothing, unusable */
	static const uint8_t full[] = {3, 0, 0};
	assert_int_equal(one_rr(DNS_T_TLSA, 3, full, 3, c, &m), DNS_OK);
	assert_int_equal(c->rr[0].u.tlsa.full_digest, 1);
	assert_int_equal(c->rr[0].u.tlsa.len, 64);
	assert_int_equal(c->rr[0].u.tlsa.bad_length, 1);
	assert_int_equal(c->rr[0].u.tlsa.data[0], 0xcf); /* SHA-512("") = cf83e135... */
	assert_int_equal(c->rr[0].u.tlsa.data[63], 0x3e);
	/* RRSIG: the 18 bytes before the signer */
	uint8_t sig[18] = {0, 52};
	assert_int_equal(one_rr(DNS_T_RRSIG, 17, sig, 17, c, &m), DNS_E_RDATA);
	assert_int_equal(one_rr(DNS_T_RRSIG, 18, sig, 18, c, &m), DNS_OK);
	assert_int_equal(c->rr[0].u.rrsig.type_covered, 52);
	free(c);
}

static void test_txt_limits(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	/* a string that runs past RDLENGTH */
	static const uint8_t s[] = {5, 'a', 'b', 'c'};
	assert_int_equal(one_rr(DNS_T_TXT, 4, s, 4, c, &m), DNS_E_RDATA);
	/* five strings of 255: 1275 bytes, kept 1023, truncated */
	uint8_t big[5 * 256];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = i % 256 == 0 ? 255 : (uint8_t)('a' + i % 26);
	assert_int_equal(one_rr(DNS_T_TXT, sizeof(big), big, sizeof(big), c, &m), DNS_OK);
	assert_int_equal(c->rr[0].u.txt.len, DNS_TXT_MAX - 1);
	assert_int_equal(c->rr[0].u.txt.truncated, 1);
	assert_int_equal(strlen(c->rr[0].u.txt.text), DNS_TXT_MAX - 1);
	assert_int_equal(c->rr[0].u.txt.text[0], 'b');
	/* empty strings and no string at all */
	static const uint8_t empty[] = {0, 0};
	assert_int_equal(one_rr(DNS_T_TXT, 2, empty, 2, c, &m), DNS_OK);
	assert_int_equal(c->rr[0].u.txt.len, 0);
	assert_int_equal(c->rr[0].u.txt.truncated, 0);
	free(c);
}

static void test_counts_and_trailing(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	uint8_t buf[sizeof(v_mx) + 1];
	/* 65,535 answers claimed in an 80-byte message */
	memcpy(buf, v_mx, sizeof(v_mx));
	buf[6] = buf[7] = 0xff;
	c->n = 0;
	assert_int_equal(parse(buf, sizeof(v_mx), &m, c), DNS_E_TRUNC);
	assert_int_equal(c->n, 0);
	assert_int_equal(m.ancount, 65535);
	assert_string_equal(m.qname, "example.net");
	assert_int_equal(m.edns, 0);
	/* 65,535 questions, 65,535 in every section */
	memset(buf + 4, 0xff, 8);
	assert_int_equal(parse(buf, sizeof(v_mx), &m, c), DNS_E_TRUNC);
	/* fewer records counted than sent: the rest is trailing */
	memcpy(buf, v_mx, sizeof(v_mx));
	buf[11] = 0;
	assert_int_equal(parse(buf, sizeof(v_mx), &m, c), DNS_E_TRAILING);
	assert_int_equal(c->n, 0);
	/* a header alone, and less */
	assert_int_equal(parse(v_mx, 12, &m, c), DNS_E_TRUNC); /* qdcount 1 */
	memcpy(buf, v_mx, 12);
	memset(buf + 4, 0, 8);
	assert_int_equal(parse(buf, 12, &m, c), DNS_OK);
	assert_int_equal(m.id, 0xb21e);
	assert_int_equal(parse(buf, 11, &m, c), DNS_E_TRUNC);
	assert_int_equal(m.id, 0);
	free(c);
}

static void test_edns_extended_rcode(void **state)
{
	(void)state;
	struct col *c = col_new();
	struct dns_msg m;
	struct bld b;
	/* BADVERS (16): extended rcode 1, header rcode 0; DO set, 4096 */
	hdr(&b, 0x8100, 0, 0, 0, 1);
	put8(&b, 0);
	put16(&b, DNS_T_OPT);
	put16(&b, 4096);
	put32(&b, 0x01008000);
	put16(&b, 0);
	assert_int_equal(bparse(&b, &m, c), DNS_OK);
	assert_int_equal(m.edns, 1);
	assert_int_equal(m.edns_do, 1);
	assert_int_equal(m.edns_udp_size, 4096);
	assert_int_equal(m.rcode, 16);
	assert_int_equal(c->n, 0);
	/* an OPT in the answer section is only a record */
	b.b[7] = 1;
	b.b[11] = 0;
	assert_int_equal(bparse(&b, &m, c), DNS_OK);
	assert_int_equal(m.edns, 0);
	assert_int_equal(m.rcode, 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->rr[0].type, DNS_T_OPT);
	/* a malformed message keeps no EDNS facts */
	b.b[7] = 0;
	b.b[11] = 1;
	put8(&b, 0);
	assert_int_equal(bparse(&b, &m, c), DNS_E_TRAILING);
	assert_int_equal(m.edns, 0);
	free(c);
}

static void test_names_of_errors_and_events(void **state)
{
	(void)state;
	assert_string_equal(dns_err_name(DNS_OK), "ok");
	assert_string_equal(dns_err_name(DNS_E_TRUNC), "trunc");
	assert_string_equal(dns_err_name(DNS_E_POINTER_LOOP), "pointer_loop");
	assert_string_equal(dns_err_name(DNS_E_POINTER_RANGE), "pointer_range");
	assert_string_equal(dns_err_name(DNS_E_NAME_TOO_LONG), "name_too_long");
	assert_string_equal(dns_err_name(DNS_E_LABEL), "label");
	assert_string_equal(dns_err_name(DNS_E_RDATA), "rdata");
	assert_string_equal(dns_err_name(DNS_E_TRAILING), "trailing");
	assert_string_equal(dns_err_name(DNS_E_COUNT), "unknown");
	assert_string_equal(dns_event_name(DNS_EV_MESSAGE), "message");
	assert_string_equal(dns_event_name(DNS_EV_MALFORMED), "malformed");
	assert_string_equal(dns_event_name(DNS_EV_GAP), "gap");
	assert_string_equal(dns_event_name(DNS_EV_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_and_mx),
		cmocka_unit_test(test_a_aaaa_cname),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_tlsa),
		cmocka_unit_test(test_rcodes_and_tc),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_compression_pointers),
		cmocka_unit_test(test_pointer_limit),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_rdata),
		cmocka_unit_test(test_txt_limits),
		cmocka_unit_test(test_counts_and_trailing),
		cmocka_unit_test(test_edns_extended_rcode),
		cmocka_unit_test(test_names_of_errors_and_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
