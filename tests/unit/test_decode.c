/* Unit tests for analyzer/net/decode.c: every link type, IP options and extension
 * headers, fragments, truncation at every length, invalid headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/dlt.h>

#include "dissectors/base/cur.h"

#include "analyzer/net/decode.h"
#include "pktbuild.h"

static const uint8_t A4[4] = {192, 0, 2, 10};
static const uint8_t B4[4] = {198, 51, 100, 25};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const char DATA[] = "EHLO client.example.org\r\n";
#define DLEN (sizeof(DATA) - 1)

/* Decodes a copy of the frame placed in a buffer of exactly caplen bytes, so
 * that ASan catches any read past what was captured. */
static enum dec_result decode(int dlt, const struct pb *f, size_t caplen, struct pkt *out,
			      struct dec_stats *st)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	memcpy(copy, f->b, caplen);
	memset(out, 0, sizeof(*out));
	enum dec_result r = dec_packet(dlt, copy, (uint32_t)caplen, (uint32_t)f->n, out, st);
	if ((r == DEC_TCP || r == DEC_UDP) && out->caplen) {
		/* the payload must lie inside the captured bytes */
		assert_true(out->payload >= copy && out->payload + out->caplen <= copy + caplen);
		out->payload = f->b + (out->payload - copy);
	}
	free(copy);
	return r;
}

static void v4_frame(struct pb *f)
{
	memset(f, 0, sizeof(*f));
	pb_eth(f, 0x0800);
	pb_ipv4(f, A4, B4, 20 + DLEN, 0, 0);
	pb_tcp(f, 40000, 25, 1000, 2000, 0x18, DATA, DLEN);
}

static void assert_v4_segment(const struct pkt *p)
{
	assert_int_equal(p->family, 4);
	assert_memory_equal(p->src, A4, 4);
	assert_memory_equal(p->dst, B4, 4);
	assert_int_equal(p->sport, 40000);
	assert_int_equal(p->dport, 25);
	assert_int_equal(p->seq, 1000);
	assert_int_equal(p->ack, 2000);
	assert_int_equal(p->flags, 0x18);
	assert_int_equal(p->paylen, DLEN);
	assert_int_equal(p->caplen, DLEN);
	assert_memory_equal(p->payload, DATA, DLEN);
}

static void test_ethernet_ipv4(void **state)
{
	(void)state;
	struct pb f;
	struct pkt p;
	struct dec_stats st = {0};
	v4_frame(&f);
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);
}

static void test_ethernet_padding_trimmed(void **state)
{
	(void)state;
	struct pb f = {0};
	struct pkt p;
	struct dec_stats st = {0};
	pb_eth(&f, 0x0800);
	pb_ipv4(&f, A4, B4, 20, 0, 0);
	pb_tcp(&f, 40000, 25, 1, 1, 0x10, NULL, 0);
	for (int i = 0; i < 6; i++) /* minimum frame size padding */
		pb_u8(&f, 0);
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_TCP);
	assert_int_equal(p.paylen, 0);
	assert_int_equal(p.caplen, 0);
}

static void test_vlan_and_qinq(void **state)
{
	(void)state;
	for (int tags = 1; tags <= 3; tags++) {
		struct pb f = {0};
		struct pkt p;
		struct dec_stats st = {0};
		pb_eth(&f, tags > 1 ? 0x88a8 : 0x8100);
		for (int t = 1; t <= tags; t++) {
			pb_be16(&f, (unsigned)(100 + t));
			pb_be16(&f, t == tags ? 0x0800 : 0x8100);
		}
		pb_ipv4(&f, A4, B4, 20 + DLEN, 0, 0);
		pb_tcp(&f, 40000, 25, 1000, 2000, 0x18, DATA, DLEN);
		assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_TCP);
		assert_v4_segment(&p);
	}
	/* too many tags */
	struct pb f = {0};
	struct pkt p;
	struct dec_stats st = {0};
	pb_eth(&f, 0x8100);
	for (int t = 0; t < 12; t++) {
		pb_be16(&f, 1);
		pb_be16(&f, 0x8100);
	}
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_BAD);
	assert_int_equal(st.c[DEC_C_VLAN_TOO_DEEP], 1);
}

static void test_pppoe_and_mpls(void **state)
{
	(void)state;
	struct pb f = {0};
	struct pkt p;
	struct dec_stats st = {0};
	pb_eth(&f, 0x8864);
	pb_u8(&f, 0x11);
	pb_u8(&f, 0);
	pb_be16(&f, 7);
	pb_be16(&f, (unsigned)(2 + 40 + DLEN));
	pb_be16(&f, 0x0021);
	pb_ipv4(&f, A4, B4, 20 + DLEN, 0, 0);
	pb_tcp(&f, 40000, 25, 1000, 2000, 0x18, DATA, DLEN);
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);

	memset(&f, 0, sizeof(f));
	pb_eth(&f, 0x8847);
	pb_be32(&f, 0x00012000); /* label 18, not bottom */
	pb_be32(&f, 0x00013140); /* label 19, bottom of stack */
	pb_ipv4(&f, A4, B4, 20 + DLEN, 0, 0);
	pb_tcp(&f, 40000, 25, 1000, 2000, 0x18, DATA, DLEN);
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);
}

static void test_sll_sll2_raw_null_loop(void **state)
{
	(void)state;
	struct pb ip = {0};
	pb_ipv4(&ip, A4, B4, 20 + DLEN, 0, 0);
	pb_tcp(&ip, 40000, 25, 1000, 2000, 0x18, DATA, DLEN);
	struct pkt p;
	struct dec_stats st = {0};

	struct pb f = {0};
	pb_be16(&f, 0);
	pb_be16(&f, 1);
	pb_be16(&f, 6);
	pb_bytes(&f, "\x02\0\0\0\0\x01\0\0", 8);
	pb_be16(&f, 0x0800);
	pb_bytes(&f, ip.b, ip.n);
	assert_int_equal(decode(DLT_LINUX_SLL, &f, f.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);

	memset(&f, 0, sizeof(f));
	pb_be16(&f, 0x0800);
	pb_be16(&f, 0);
	pb_be32(&f, 3);
	pb_be16(&f, 1);
	pb_u8(&f, 0);
	pb_u8(&f, 6);
	pb_bytes(&f, "\x02\0\0\0\0\x01\0\0", 8);
	pb_bytes(&f, ip.b, ip.n);
	assert_int_equal(decode(DLT_LINUX_SLL2, &f, f.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);

	assert_int_equal(decode(DLT_RAW, &ip, ip.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);
	assert_int_equal(decode(DLT_IPV4, &ip, ip.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);

	memset(&f, 0, sizeof(f));
	pb_bytes(&f, "\x02\0\0\0", 4); /* AF_INET, little-endian host */
	pb_bytes(&f, ip.b, ip.n);
	assert_int_equal(decode(DLT_NULL, &f, f.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);

	memset(&f, 0, sizeof(f));
	pb_be32(&f, 2); /* DLT_LOOP: network order */
	pb_bytes(&f, ip.b, ip.n);
	assert_int_equal(decode(DLT_LOOP, &f, f.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);

	struct pb ip6 = {0};
	pb_ipv6(&ip6, A6, B6, 20 + DLEN, 6);
	pb_tcp(&ip6, 40000, 587, 1, 2, 0x18, DATA, DLEN);
	static const uint32_t fams[] = {24, 28, 30};
	for (size_t i = 0; i < 3; i++) {
		memset(&f, 0, sizeof(f));
		pb_u8(&f, fams[i]);
		pb_u8(&f, 0);
		pb_u8(&f, 0);
		pb_u8(&f, 0);
		pb_bytes(&f, ip6.b, ip6.n);
		assert_int_equal(decode(DLT_NULL, &f, f.n, &p, &st), DEC_TCP);
		assert_int_equal(p.family, 6);
		assert_int_equal(p.dport, 587);
	}
	assert_int_equal(decode(DLT_RAW, &ip6, ip6.n, &p, &st), DEC_TCP);
	assert_memory_equal(p.src, A6, 16);
	assert_memory_equal(p.dst, B6, 16);
	assert_int_equal(decode(DLT_IPV6, &ip6, ip6.n, &p, &st), DEC_TCP);

	/* an unsupported link type is counted, not guessed */
	assert_int_equal(dec_link_supported(DLT_IEEE802_11), 0);
	assert_int_equal(decode(DLT_IEEE802_11, &f, f.n, &p, &st), DEC_SKIP);
	assert_int_equal(st.c[DEC_C_LINK_UNSUPPORTED], 1);
}

static void test_ipv4_options_fragments_tso(void **state)
{
	(void)state;
	struct pb f = {0};
	struct pkt p;
	struct dec_stats st = {0};
	pb_eth(&f, 0x0800);
	pb_ipv4(&f, A4, B4, 20 + DLEN, 8, 0);
	pb_tcp(&f, 40000, 25, 1000, 2000, 0x18, DATA, DLEN);
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);

	static const unsigned frags[] = {0x2000, 0x0010, 0x2010}; /* MF; offset; both */
	for (size_t i = 0; i < 3; i++) {
		memset(&f, 0, sizeof(f));
		pb_eth(&f, 0x0800);
		pb_ipv4(&f, A4, B4, 20 + DLEN, 0, frags[i]);
		pb_tcp(&f, 40000, 25, 1000, 2000, 0x18, DATA, DLEN);
		assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_SKIP);
	}
	assert_int_equal(st.c[DEC_C_IPV4_FRAGMENT], 3);

	/* DF alone is not a fragment */
	memset(&f, 0, sizeof(f));
	pb_eth(&f, 0x0800);
	pb_ipv4(&f, A4, B4, 20 + DLEN, 0, 0x4000);
	pb_tcp(&f, 40000, 25, 1000, 2000, 0x18, DATA, DLEN);
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_TCP);

	/* total length 0: segmentation offload, the frame length counts */
	f.b[14 + 2] = 0;
	f.b[14 + 3] = 0;
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_TCP);
	assert_v4_segment(&p);
}

static void test_ipv6_extension_headers(void **state)
{
	(void)state;
	struct pb f = {0};
	struct pkt p;
	struct dec_stats st = {0};
	/* hop-by-hop (8) -> destination options (16) -> atomic fragment -> TCP */
	pb_eth(&f, 0x86dd);
	pb_ipv6(&f, A6, B6, 8 + 16 + 8 + 20 + DLEN, 0);
	pb_u8(&f, 60);
	pb_u8(&f, 0);
	pb_bytes(&f, "\1\4\0\0\0\0", 6);
	pb_u8(&f, 44);
	pb_u8(&f, 1);
	for (int i = 0; i < 14; i++)
		pb_u8(&f, i == 0 ? 1 : 0);
	pb_u8(&f, 6);
	pb_u8(&f, 0);
	pb_be16(&f, 0); /* offset 0, M = 0: atomic */
	pb_be32(&f, 77);
	pb_tcp(&f, 40000, 25, 1000, 2000, 0x18, DATA, DLEN);
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_TCP);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.paylen, DLEN);
	assert_memory_equal(p.payload, DATA, DLEN);

	/* a real fragment (M set) is counted */
	f.b[14 + 40 + 8 + 16 + 3] = 1;
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_SKIP);
	assert_int_equal(st.c[DEC_C_IPV6_FRAGMENT], 1);

	/* an extension header claiming more than the payload is invalid */
	memset(&f, 0, sizeof(f));
	pb_eth(&f, 0x86dd);
	pb_ipv6(&f, A6, B6, 8, 0);
	pb_u8(&f, 6);
	pb_u8(&f, 5); /* 48 bytes */
	pb_bytes(&f, "\0\0\0\0\0\0", 6);
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_BAD);
	assert_int_equal(st.c[DEC_C_IPV6_INVALID], 1);

	/* UDP is counted as not TCP and handed up (the DNS path) */
	memset(&f, 0, sizeof(f));
	pb_eth(&f, 0x86dd);
	pb_ipv6(&f, A6, B6, 11, 17);
	pb_bytes(&f, "\0\x35\x9c\x40\0\x0b\0\0abc", 11);
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_UDP);
	assert_int_equal(st.c[DEC_C_NOT_TCP], 1);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.sport, 53);
	assert_int_equal(p.dport, 40000);
	assert_int_equal(p.paylen, 3);
	assert_int_equal(p.caplen, 3);
	assert_memory_equal(p.payload, "abc", 3);

	/* a UDP length past the IP payload hands nothing up */
	memset(&f, 0, sizeof(f));
	pb_eth(&f, 0x86dd);
	pb_ipv6(&f, A6, B6, 8, 17);
	pb_bytes(&f, "\0\x35\0\x35\0\x20\0\0", 8);
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_SKIP);
	assert_int_equal(st.c[DEC_C_NOT_TCP], 2);
}

static void test_invalid_headers(void **state)
{
	(void)state;
	struct pb f;
	struct pkt p;
	struct dec_stats st = {0};

	v4_frame(&f);
	f.b[14] = 0x55; /* version 5 */
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_BAD);
	v4_frame(&f);
	f.b[14] = 0x44; /* IHL 4 */
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_BAD);
	v4_frame(&f);
	f.b[14 + 2] = 0x7f; /* total length past the frame */
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_BAD);
	assert_int_equal(st.c[DEC_C_IPV4_INVALID], 3);

	v4_frame(&f);
	f.b[14 + 20 + 12] = 0x40; /* TCP data offset 4 */
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_BAD);
	v4_frame(&f);
	f.b[14 + 20 + 12] = 0xf0; /* 60-byte header, longer than the segment */
	assert_int_equal(decode(DLT_EN10MB, &f, f.n, &p, &st), DEC_BAD);
	assert_int_equal(st.c[DEC_C_TCP_INVALID], 2);

	struct pb arp = {0};
	pb_eth(&arp, 0x0806);
	pb_bytes(&arp, "\0\1\x08\0\6\4\0\1", 8);
	assert_int_equal(decode(DLT_EN10MB, &arp, arp.n, &p, &st), DEC_SKIP);
	assert_int_equal(st.c[DEC_C_NOT_IP], 1);
}

/* Every captured length of a valid frame: truncated packets are counted with
 * the right reason, never misparsed, and never read past the capture. */
static void test_every_truncation(void **state)
{
	(void)state;
	struct pb f;
	v4_frame(&f);
	for (size_t cap = 0; cap <= f.n; cap++) {
		struct pkt p;
		struct dec_stats st = {0};
		enum dec_result r = decode(DLT_EN10MB, &f, cap, &p, &st);
		if (cap < 14) {
			assert_int_equal(r, DEC_BAD);
			assert_int_equal(st.c[DEC_C_LINK_TRUNCATED], 1);
		} else if (cap < 14 + 20) {
			assert_int_equal(r, DEC_BAD);
			assert_int_equal(st.c[DEC_C_IPV4_TRUNCATED], 1);
		} else if (cap < 14 + 40) {
			assert_int_equal(r, DEC_BAD);
			assert_int_equal(st.c[DEC_C_TCP_TRUNCATED], 1);
		} else if (cap < f.n) {
			assert_int_equal(r, DEC_TCP);
			assert_int_equal(p.paylen, DLEN);
			assert_int_equal(p.caplen, cap - 54);
			assert_int_equal(st.c[DEC_C_PAYLOAD_TRUNCATED], 1);
		} else {
			assert_int_equal(r, DEC_TCP);
			assert_v4_segment(&p);
		}
	}
	/* the same for IPv6 */
	struct pb g = {0};
	pb_eth(&g, 0x86dd);
	pb_ipv6(&g, A6, B6, 20 + DLEN, 6);
	pb_tcp(&g, 40000, 25, 1, 2, 0x18, DATA, DLEN);
	for (size_t cap = 0; cap <= g.n; cap++) {
		struct pkt p;
		struct dec_stats st = {0};
		enum dec_result r = decode(DLT_EN10MB, &g, cap, &p, &st);
		if (cap >= 14 + 40 + 20)
			assert_int_equal(r, DEC_TCP);
		else
			assert_int_equal(r, DEC_BAD);
	}
}

static void test_counter_names(void **state)
{
	(void)state;
	for (int i = 0; i < DEC_C_COUNT; i++) {
		const char *n = dec_counter_name((enum dec_counter)i);
		assert_non_null(n);
		assert_true(strlen(n) > 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, dec_counter_name((enum dec_counter)j));
	}
}

/* The cursor under decode.c: truncated, invalid and trailing bytes are
 * three error kinds, and the first one latches. */
static void test_cursor_error_kinds(void **state)
{
	(void)state;
	static const uint8_t b[6] = {0, 2, 0xaa, 0xbb, 0xcc, 0xdd};
	struct cur c = cur_make(b, sizeof(b)), v;
	cur_sub(&c, cur_be16(&c), &v);
	assert_int_equal(cur_be16(&v), 0xaabb);
	assert_int_equal(cur_close(&c, &v), CUR_OK);
	assert_int_equal(cur_end(&c), CUR_TRAILING); /* 0xcc 0xdd left over */
	cur_fail(&c, CUR_INVALID);
	assert_int_equal(c.err, CUR_TRAILING); /* the first error is kept */
	assert_int_equal(cur_left(&c), 0);

	c = cur_make(b, sizeof(b));
	cur_sub(&c, 2, &v);
	assert_int_equal(cur_u8(&v), 0);
	assert_int_equal(cur_close(&c, &v), CUR_TRAILING); /* the child's byte */
	c = cur_make(b, sizeof(b));
	assert_false(cur_sub(&c, 7, &v));
	assert_int_equal(c.err, CUR_TRUNC);
	assert_int_equal(v.err, CUR_TRUNC);
	c = cur_make(b, sizeof(b));
	cur_skip(&c, 2);
	assert_int_equal(cur_peek_u8(&c), 0xaa);
	assert_int_equal(cur_find(&c, 0xcc), 2);
	assert_int_equal(cur_find(&c, 0x11), 4);
	cur_fail(&c, CUR_INVALID);
	assert_int_equal(cur_be32(&c), 0);
	assert_int_equal(c.err, CUR_INVALID);
	assert_int_equal(cur_peek_u8(&c), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_error_kinds),
		cmocka_unit_test(test_ethernet_ipv4),
		cmocka_unit_test(test_ethernet_padding_trimmed),
		cmocka_unit_test(test_vlan_and_qinq),
		cmocka_unit_test(test_pppoe_and_mpls),
		cmocka_unit_test(test_sll_sll2_raw_null_loop),
		cmocka_unit_test(test_ipv4_options_fragments_tso),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_invalid_headers),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_counter_names),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
