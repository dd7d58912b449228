/* decode.h — link layer, IPv4/IPv6 and TCP header decoding.
 *
 * dec_packet() peels the link layer (Ethernet with 802.1Q/QinQ, PPPoE and MPLS;
 * Linux SLL and SLL2; raw IP; BSD loopback/NULL) and the IP layer down to TCP,
 * touching headers only. Every packet it cannot use increments exactly one named
 * counter in struct dec_stats; nothing here allocates or keeps a pointer.
 */
#ifndef SMTPTLS_DECODE_H
#define SMTPTLS_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Counter identifiers; the names (dec_counter_name) appear in the statistics. */
enum dec_counter {
	DEC_C_LINK_UNSUPPORTED,	 /* link type we do not decode */
	DEC_C_LINK_TRUNCATED,	 /* frame shorter than its link header */
	DEC_C_VLAN_TOO_DEEP,	 /* more VLAN/MPLS labels than we follow */
	DEC_C_NOT_IP,		 /* ARP, LLDP, ... (not an error) */
	DEC_C_IPV4_TRUNCATED,	 /* IPv4 header cut by the snap length */
	DEC_C_IPV4_INVALID,	 /* bad version, IHL or total length */
	DEC_C_IPV4_FRAGMENT,	 /* fragments are counted, not reassembled */
	DEC_C_IPV6_TRUNCATED,	 /* IPv6 header or extension header cut */
	DEC_C_IPV6_INVALID,	 /* bad version, payload length or header chain */
	DEC_C_IPV6_FRAGMENT,	 /* fragments are counted, not reassembled */
	DEC_C_NOT_TCP,		 /* UDP, ICMP, ... (not an error; UDP is also handed up) */
	DEC_C_TCP_TRUNCATED,	 /* TCP header cut by the snap length */
	DEC_C_TCP_INVALID,	 /* data offset < 5 or beyond the IP payload */
	DEC_C_PAYLOAD_TRUNCATED, /* TCP payload partly cut by the snap length */
	DEC_C_COUNT
};

struct dec_stats {
	uint64_t c[DEC_C_COUNT];
};

/* TCP flag bits as on the wire. */
enum {
	DEC_TCP_FIN = 0x01,
	DEC_TCP_SYN = 0x02,
	DEC_TCP_RST = 0x04,
	DEC_TCP_PSH = 0x08,
	DEC_TCP_ACK = 0x10,
};

/* One decoded TCP segment (or UDP datagram: proto 17, flags, seq and ack
 * zero). payload points into the caller's frame. */
struct pkt {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;	/* 0 for TCP (the default), 17 for UDP */
	uint8_t flags;	/* DEC_TCP_* */
	uint16_t sport;
	uint16_t dport;
	uint8_t src[16]; /* IPv4 uses the first 4 bytes, the rest is zero */
	uint8_t dst[16];
	uint32_t seq;
	uint32_t ack;
	const uint8_t *payload;
	uint32_t paylen; /* payload length on the wire (from the IP length) */
	uint32_t caplen; /* payload bytes present in the capture, <= paylen */
};

enum dec_result {
	DEC_TCP = 0,  /* *out holds a TCP segment */
	DEC_SKIP = 1, /* valid but not TCP over IP: counted, nothing to do */
	DEC_BAD = 2,  /* truncated or invalid: counted */
	DEC_UDP = 3,  /* *out holds a UDP datagram (counted as not_tcp too) */
};

/* Decodes one frame of libpcap link type `dlt` (a DLT_* value).
 * caplen bytes are present at data; wirelen is the frame's length on the wire. */
enum dec_result dec_packet(int dlt, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
			   struct pkt *out, struct dec_stats *st);

/* Whether dec_packet() knows this link type. */
int dec_link_supported(int dlt);

/* The stable name of a counter, e.g. "ipv4_truncated". */
const char *dec_counter_name(enum dec_counter c);

/* Whether the counter denotes malformed input (as opposed to traffic we skip). */
int dec_counter_is_malformed(enum dec_counter c);

#endif
