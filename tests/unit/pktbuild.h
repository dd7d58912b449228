/* pktbuild.h — builds Ethernet/IPv4/IPv6/TCP frames for unit tests. */
#ifndef SMTPTLS_TEST_PKTBUILD_H
#define SMTPTLS_TEST_PKTBUILD_H

#include <stdint.h>
#include <string.h>

struct pb {
	uint8_t b[4096];
	size_t n;
};

static inline void pb_u8(struct pb *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static inline void pb_be16(struct pb *p, unsigned v)
{
	pb_u8(p, v >> 8);
	pb_u8(p, v & 0xff);
}

static inline void pb_be32(struct pb *p, uint32_t v)
{
	pb_be16(p, v >> 16);
	pb_be16(p, v & 0xffff);
}

static inline void pb_bytes(struct pb *p, const void *d, size_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static inline void pb_eth(struct pb *p, unsigned type)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	pb_bytes(p, macs, 12);
	pb_be16(p, type);
}

/* IPv4 header with `optlen` bytes of options (NOPs) for a TCP segment of
 * tcp_len bytes. */
static inline void pb_ipv4(struct pb *p, const uint8_t src[4], const uint8_t dst[4], size_t tcp_len,
			   size_t optlen, unsigned frag)
{
	size_t hl = 20 + optlen;
	pb_u8(p, 0x40 | (unsigned)(hl / 4));
	pb_u8(p, 0);
	pb_be16(p, (unsigned)(hl + tcp_len));
	pb_be16(p, 0x1234);
	pb_be16(p, frag);
	pb_u8(p, 64);
	pb_u8(p, 6);
	pb_be16(p, 0);
	pb_bytes(p, src, 4);
	pb_bytes(p, dst, 4);
	for (size_t i = 0; i < optlen; i++)
		pb_u8(p, 1);
}

static inline void pb_ipv6(struct pb *p, const uint8_t src[16], const uint8_t dst[16],
			   size_t payload_len, unsigned next)
{
	pb_be32(p, 0x60000000u);
	pb_be16(p, (unsigned)payload_len);
	pb_u8(p, next);
	pb_u8(p, 64);
	pb_bytes(p, src, 16);
	pb_bytes(p, dst, 16);
}

static inline void pb_tcp(struct pb *p, unsigned sport, unsigned dport, uint32_t seq, uint32_t ack,
			  unsigned flags, const void *data, size_t n)
{
	pb_be16(p, sport);
	pb_be16(p, dport);
	pb_be32(p, seq);
	pb_be32(p, ack);
	pb_u8(p, 5 << 4);
	pb_u8(p, flags);
	pb_be16(p, 65535);
	pb_be16(p, 0);
	pb_be16(p, 0);
	if (n)
		pb_bytes(p, data, n);
}

#endif
