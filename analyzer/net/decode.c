/* decode.c — link layers, IPv4 (RFC 791), IPv6 (RFC 8200) and TCP (RFC 9293)
 * header decoding down to the TCP payload.
 *
 * Two lengths run side by side: what the capture holds (caplen) and what was on
 * the wire (wirelen). A header that is on the wire but not in the capture is
 * "truncated" (the capture lost it); a header whose fields contradict the frame
 * is "invalid". Ethernet padding past the IP total length is trimmed.
 */
#include "analyzer/net/decode.h"

#include <pcap/dlt.h>

#include "dissectors/base/cur.h"

/* How many VLAN tags or MPLS labels we follow before giving up. */
#define DEC_MAX_LABELS 8
/* How many IPv6 extension headers we follow before calling the chain invalid. */
#define DEC_MAX_EXT 16

enum {
	ETH_IPV4 = 0x0800,
	ETH_IPV6 = 0x86dd,
	ETH_VLAN = 0x8100,
	ETH_QINQ = 0x88a8,
	ETH_QINQ_OLD = 0x9100,
	ETH_MPLS = 0x8847,
	ETH_MPLS_MC = 0x8848,
	ETH_PPPOE = 0x8864,
};

static const char *const dec_names[DEC_C_COUNT] = {
	[DEC_C_LINK_UNSUPPORTED] = "link_unsupported",
	[DEC_C_LINK_TRUNCATED] = "link_truncated",
	[DEC_C_VLAN_TOO_DEEP] = "vlan_too_deep",
	[DEC_C_NOT_IP] = "not_ip",
	[DEC_C_IPV4_TRUNCATED] = "ipv4_truncated",
	[DEC_C_IPV4_INVALID] = "ipv4_invalid",
	[DEC_C_IPV4_FRAGMENT] = "ipv4_fragment",
	[DEC_C_IPV6_TRUNCATED] = "ipv6_truncated",
	[DEC_C_IPV6_INVALID] = "ipv6_invalid",
	[DEC_C_IPV6_FRAGMENT] = "ipv6_fragment",
	[DEC_C_NOT_TCP] = "not_tcp",
	[DEC_C_TCP_TRUNCATED] = "tcp_truncated",
	[DEC_C_TCP_INVALID] = "tcp_invalid",
	[DEC_C_PAYLOAD_TRUNCATED] = "payload_truncated",
};

const char *dec_counter_name(enum dec_counter c)
{
	return (unsigned)c < DEC_C_COUNT ? dec_names[c] : "unknown";
}

int dec_counter_is_malformed(enum dec_counter c)
{
	switch (c) {
	case DEC_C_NOT_IP:
	case DEC_C_NOT_TCP:
	case DEC_C_IPV4_FRAGMENT:
	case DEC_C_IPV6_FRAGMENT:
	case DEC_C_LINK_UNSUPPORTED: return 0;
	default: return 1;
	}
}

int dec_link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP: return 1;
	default: return 0;
	}
}

/* The frame below the link layer: captured bytes as a cursor, and how many
 * bytes the wire held from the cursor's start. */
struct frame {
	struct cur c;
	uint32_t wire; /* wire bytes from c.p on */
};

static enum dec_result dec_count(struct dec_stats *st, enum dec_counter k)
{
	st->c[k]++;
	return dec_counter_is_malformed(k) ? DEC_BAD : DEC_SKIP;
}

/* Narrows the frame to start at the cursor's current offset. */
static struct frame dec_rest(const struct frame *f)
{
	struct frame r;
	size_t used = f->c.off;
	r.c = cur_make(f->c.p + used, f->c.len - used);
	r.wire = f->wire > used ? f->wire - (uint32_t)used : 0;
	return r;
}

static enum dec_result dec_tcp(struct frame f, struct pkt *out, struct dec_stats *st)
{
	struct cur *c = &f.c;
	if (cur_left(c) < 20)
		return dec_count(st, f.wire >= 20 ? DEC_C_TCP_TRUNCATED : DEC_C_TCP_INVALID);
	out->sport = cur_be16(c);
	out->dport = cur_be16(c);
	out->seq = cur_be32(c);
	out->ack = cur_be32(c);
	uint8_t off_res = cur_u8(c);
	out->flags = (uint8_t)(cur_u8(c) & 0x3f);
	cur_skip(c, 6); /* window, checksum, urgent pointer */
	uint32_t hlen = (uint32_t)(off_res >> 4) * 4;
	if (hlen < 20 || hlen > f.wire)
		return dec_count(st, DEC_C_TCP_INVALID);
	out->paylen = f.wire - hlen;
	if (!cur_skip(c, hlen - 20)) {
		/* Options cut by the snap length: the fixed header is all we use,
		 * so the segment still counts; none of its payload was captured. */
		st->c[DEC_C_TCP_TRUNCATED]++;
		out->caplen = 0;
		out->payload = NULL;
		return DEC_TCP;
	}
	size_t have = cur_left(c);
	out->caplen = have < out->paylen ? (uint32_t)have : out->paylen;
	out->payload = out->caplen ? cur_peek(c, out->caplen) : NULL;
	if (out->caplen < out->paylen)
		st->c[DEC_C_PAYLOAD_TRUNCATED]++;
	return DEC_TCP;
}

/* A UDP datagram: still counted as not TCP (the counter means just that),
 * and handed up for the DNS path. A header cut or inconsistent with the IP
 * length gives nothing to hand up. */
static enum dec_result dec_udp(struct frame f, struct pkt *out, struct dec_stats *st)
{
	st->c[DEC_C_NOT_TCP]++;
	struct cur *c = &f.c;
	if (cur_left(c) < 8 || f.wire < 8)
		return DEC_SKIP;
	out->sport = cur_be16(c);
	out->dport = cur_be16(c);
	uint32_t ulen = cur_be16(c);
	cur_skip(c, 2); /* checksum */
	if (ulen < 8 || ulen > f.wire)
		return DEC_SKIP;
	out->proto = 17;
	out->paylen = ulen - 8;
	size_t have = cur_left(c);
	out->caplen = have < out->paylen ? (uint32_t)have : out->paylen;
	out->payload = out->caplen ? cur_peek(c, out->caplen) : NULL;
	return DEC_UDP;
}

static enum dec_result dec_ipv4(struct frame f, struct pkt *out, struct dec_stats *st)
{
	struct cur *c = &f.c;
	if (cur_left(c) < 20)
		return dec_count(st, f.wire >= 20 ? DEC_C_IPV4_TRUNCATED : DEC_C_IPV4_INVALID);
	uint8_t vihl = cur_u8(c);
	cur_skip(c, 1); /* DSCP/ECN */
	uint32_t total = cur_be16(c);
	cur_skip(c, 2); /* identification */
	uint16_t frag = cur_be16(c);
	cur_skip(c, 1); /* TTL */
	uint8_t proto = cur_u8(c);
	cur_skip(c, 2); /* checksum: not verified, captures often see offloaded sums */
	uint32_t hlen = (uint32_t)(vihl & 0x0f) * 4;
	if ((vihl >> 4) != 4 || hlen < 20)
		return dec_count(st, DEC_C_IPV4_INVALID);
	/* A total length of 0 is what a capture on the sending host shows under TCP
	 * segmentation offload: the frame's own length is the truth then. */
	if (total == 0)
		total = f.wire;
	if (total < hlen || total > f.wire)
		return dec_count(st, DEC_C_IPV4_INVALID);
	out->family = 4;
	cur_bytes(c, out->src, 4);
	cur_bytes(c, out->dst, 4);
	if (!cur_skip(c, hlen - 20)) /* options */
		return dec_count(st, DEC_C_IPV4_TRUNCATED);
	if (frag & 0x3fff) /* MF set or a non-zero offset */
		return dec_count(st, DEC_C_IPV4_FRAGMENT);
	if (proto != 6 && proto != 17)
		return dec_count(st, DEC_C_NOT_TCP);
	struct frame t = dec_rest(&f);
	t.wire = total - hlen; /* trims Ethernet padding */
	if (t.c.len > t.wire)
		t.c.len = t.wire;
	return proto == 17 ? dec_udp(t, out, st) : dec_tcp(t, out, st);
}

static int dec_ipv6_ext_is_skippable(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140;
}

static enum dec_result dec_ipv6(struct frame f, struct pkt *out, struct dec_stats *st)
{
	struct cur *c = &f.c;
	if (cur_left(c) < 40)
		return dec_count(st, f.wire >= 40 ? DEC_C_IPV6_TRUNCATED : DEC_C_IPV6_INVALID);
	uint32_t vtcfl = cur_be32(c);
	uint32_t plen = cur_be16(c);
	uint8_t nh = cur_u8(c);
	cur_skip(c, 1); /* hop limit */
	if ((vtcfl >> 28) != 6)
		return dec_count(st, DEC_C_IPV6_INVALID);
	if (plen == 0) /* jumbogram or segmentation offload: trust the frame */
		plen = f.wire - 40;
	if (40 + plen > f.wire)
		return dec_count(st, DEC_C_IPV6_INVALID);
	out->family = 6;
	cur_bytes(c, out->src, 16);
	cur_bytes(c, out->dst, 16);

	uint32_t used = 0; /* extension header bytes inside plen */
	for (int i = 0;; i++) {
		if (i == DEC_MAX_EXT)
			return dec_count(st, DEC_C_IPV6_INVALID);
		uint32_t elen;
		if (nh == 6 || nh == 17)
			break;
		if (dec_ipv6_ext_is_skippable(nh) || nh == 44 || nh == 51) {
			const uint8_t *h = cur_peek(c, 2);
			if (!h)
				return dec_count(st, used + 2 <= plen ? DEC_C_IPV6_TRUNCATED
								      : DEC_C_IPV6_INVALID);
			if (nh == 44)
				elen = 8;
			else if (nh == 51)
				elen = ((uint32_t)h[1] + 2) * 4;
			else
				elen = ((uint32_t)h[1] + 1) * 8;
			if (used + elen > plen)
				return dec_count(st, DEC_C_IPV6_INVALID);
			if (nh == 44) {
				struct cur fh;
				if (!cur_sub(c, 8, &fh))
					return dec_count(st, DEC_C_IPV6_TRUNCATED);
				uint8_t next = cur_u8(&fh);
				cur_skip(&fh, 1);
				uint16_t offm = cur_be16(&fh);
				if (offm & 0xfff9) /* offset or M set: not an atomic fragment */
					return dec_count(st, DEC_C_IPV6_FRAGMENT);
				nh = next;
			} else {
				uint8_t next = h[0];
				if (!cur_skip(c, elen))
					return dec_count(st, DEC_C_IPV6_TRUNCATED);
				nh = next;
			}
			used += elen;
			continue;
		}
		return dec_count(st, DEC_C_NOT_TCP);
	}
	struct frame t = dec_rest(&f);
	t.wire = plen - used;
	if (t.c.len > t.wire)
		t.c.len = t.wire;
	return nh == 17 ? dec_udp(t, out, st) : dec_tcp(t, out, st);
}

/* Dispatches on the version nibble (raw IP links, MPLS payloads). */
static enum dec_result dec_ip_any(struct frame f, struct pkt *out, struct dec_stats *st)
{
	const uint8_t *v = cur_peek(&f.c, 1);
	if (!v)
		return dec_count(st, DEC_C_LINK_TRUNCATED);
	if ((*v >> 4) == 4)
		return dec_ipv4(f, out, st);
	if ((*v >> 4) == 6)
		return dec_ipv6(f, out, st);
	return dec_count(st, DEC_C_NOT_IP);
}

static enum dec_result dec_mpls(struct frame f, struct pkt *out, struct dec_stats *st)
{
	for (int i = 0; i < DEC_MAX_LABELS; i++) {
		uint32_t label = cur_be32(&f.c);
		if (f.c.err)
			return dec_count(st, DEC_C_LINK_TRUNCATED);
		if (label & 0x100) /* bottom of stack */
			return dec_ip_any(dec_rest(&f), out, st);
	}
	return dec_count(st, DEC_C_VLAN_TOO_DEEP);
}

/* Everything after an EtherType: VLAN tags, PPPoE, MPLS, then IP. */
static enum dec_result dec_ethertype(struct frame f, uint16_t type, struct pkt *out,
				     struct dec_stats *st)
{
	for (int tags = 0;; tags++) {
		if (type != ETH_VLAN && type != ETH_QINQ && type != ETH_QINQ_OLD)
			break;
		if (tags == DEC_MAX_LABELS)
			return dec_count(st, DEC_C_VLAN_TOO_DEEP);
		cur_skip(&f.c, 2); /* TCI */
		type = cur_be16(&f.c);
		if (f.c.err)
			return dec_count(st, DEC_C_LINK_TRUNCATED);
	}
	switch (type) {
	case ETH_IPV4: return dec_ipv4(dec_rest(&f), out, st);
	case ETH_IPV6: return dec_ipv6(dec_rest(&f), out, st);
	case ETH_MPLS:
	case ETH_MPLS_MC: return dec_mpls(dec_rest(&f), out, st);
	case ETH_PPPOE: {
		cur_skip(&f.c, 6); /* ver/type, code, session id, length */
		uint16_t proto = cur_be16(&f.c);
		if (f.c.err)
			return dec_count(st, DEC_C_LINK_TRUNCATED);
		if (proto == 0x0021)
			return dec_ipv4(dec_rest(&f), out, st);
		if (proto == 0x0057)
			return dec_ipv6(dec_rest(&f), out, st);
		return dec_count(st, DEC_C_NOT_IP);
	}
	default: return dec_count(st, DEC_C_NOT_IP);
	}
}

enum dec_result dec_packet(int dlt, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
			   struct pkt *out, struct dec_stats *st)
{
	struct frame f;
	f.c = cur_make(data, caplen);
	f.wire = wirelen > caplen ? wirelen : caplen;

	switch (dlt) {
	case DLT_EN10MB: {
		cur_skip(&f.c, 12); /* destination and source MAC */
		uint16_t type = cur_be16(&f.c);
		if (f.c.err)
			return dec_count(st, DEC_C_LINK_TRUNCATED);
		if (type <= 1500) /* IEEE 802.3 length: LLC/SNAP, not IP for us */
			return dec_count(st, DEC_C_NOT_IP);
		return dec_ethertype(f, type, out, st);
	}
	case DLT_LINUX_SLL: {
		cur_skip(&f.c, 14); /* packet type, ARPHRD, address length, address */
		uint16_t type = cur_be16(&f.c);
		if (f.c.err)
			return dec_count(st, DEC_C_LINK_TRUNCATED);
		return dec_ethertype(f, type, out, st);
	}
	case DLT_LINUX_SLL2: {
		uint16_t type = cur_be16(&f.c);
		cur_skip(&f.c, 18); /* reserved, ifindex, ARPHRD, type, addr len, addr */
		if (f.c.err)
			return dec_count(st, DEC_C_LINK_TRUNCATED);
		return dec_ethertype(f, type, out, st);
	}
	case DLT_RAW: return dec_ip_any(f, out, st);
	case DLT_IPV4: return dec_ipv4(f, out, st);
	case DLT_IPV6: return dec_ipv6(f, out, st);
	case DLT_NULL:
	case DLT_LOOP: {
		/* DLT_NULL's family is in the capturing host's byte order, DLT_LOOP's
		 * in network order; AF_INET is 2 everywhere, AF_INET6 is 24, 28 or 30
		 * depending on the BSD. Read little-endian and swap if implausible. */
		uint32_t fam = cur_le32(&f.c);
		if (f.c.err)
			return dec_count(st, DEC_C_LINK_TRUNCATED);
		if (fam > 0xffff)
			fam = (fam >> 24) | ((fam >> 8) & 0xff00);
		struct frame r = dec_rest(&f);
		if (fam == 2)
			return dec_ipv4(r, out, st);
		if (fam == 24 || fam == 28 || fam == 30)
			return dec_ipv6(r, out, st);
		return dec_count(st, DEC_C_NOT_IP);
	}
	default: return dec_count(st, DEC_C_LINK_UNSUPPORTED);
	}
}
