#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

Every seed is built here from scratch: Ethernet, 802.1Q/QinQ, PPPoE, MPLS,
Linux SLL/SLL2, raw IP and BSD loopback frames carrying IPv4/IPv6 TCP on the
mail ports; pcap and pcapng files of whole SMTP exchanges (STARTTLS and a
made-up TLS handshake, reordered, retransmitted, cut by the snap length);
reassembly scripts for the rsm target; TLS byte streams for the tls target;
statistics snapshots (JSON, as `smtptls analyze --stats` writes them) for the
snapshot target. No capture is copied from anywhere. The output is the same
on every run.

Usage: make-seeds.py [corpus-dir]   (default: corpus/ beside this script)
Existing files of the corpora it writes are replaced; other files are left alone.
"""
import itertools
import json
import os
import shutil
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- packets

CLIENT4, SERVER4 = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 25])
CLIENT6 = bytes.fromhex("20010db8000000000000000000000010")
SERVER6 = bytes.fromhex("20010db8000000000000000000000025")
MAC_C, MAC_S = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")

FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", options=b""):
    """A TCP header and payload, checksum over the IPv4/IPv6 pseudo-header."""
    assert len(options) % 4 == 0
    off = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      off << 4, flags, 65535, 0, 0) + options
    seg = hdr + payload
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ipv4(src, dst, l4, proto=6, ident=1, frag=0x4000):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, frag, 64, proto, 0, src,
                      dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + l4


def ipv6(src, dst, l4, nh=6, ext=b""):
    return struct.pack("!IHBB", 0x60000000, len(ext) + len(l4), nh, 64) + src + dst + ext + l4


def seg4(c2s, sport, seq, ack, flags, payload=b"", dport=25, options=b""):
    """An IPv4 TCP segment between the fixed client and server."""
    src, dst = (CLIENT4, SERVER4) if c2s else (SERVER4, CLIENT4)
    sp, dp = (sport, dport) if c2s else (dport, sport)
    return ipv4(src, dst, tcp(src, dst, sp, dp, seq, ack, flags, payload, options))


def seg6(c2s, sport, seq, ack, flags, payload=b"", dport=25):
    src, dst = (CLIENT6, SERVER6) if c2s else (SERVER6, CLIENT6)
    sp, dp = (sport, dport) if c2s else (dport, sport)
    return ipv6(src, dst, tcp(src, dst, sp, dp, seq, ack, flags, payload))


def eth(ip, vlans=(), etype=None):
    if etype is None:
        etype = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
    out = MAC_S + MAC_C
    for tpid, vid in vlans:
        out += struct.pack("!HH", tpid, vid)
    return out + struct.pack("!H", etype) + ip


def sll(ip):
    etype = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
    return struct.pack("!HHH8sH", 0, 1, 6, MAC_C + b"\0\0", etype) + ip


def sll2(ip):
    etype = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
    return struct.pack("!HHIHBB8s", etype, 0, 2, 1, 0, 6, MAC_C + b"\0\0") + ip


def loop_null(ip, big_endian):
    fam = 2 if ip[0] >> 4 == 4 else 30
    return struct.pack(">I" if big_endian else "<I", fam) + ip


# ----------------------------------------------------------- TLS messages


def tls_record(ctype, body, version=0x0303):
    return struct.pack("!BHH", ctype, version, len(body)) + body


def hs(msg_type, body):
    return struct.pack("!B", msg_type) + len(body).to_bytes(3, "big") + body


def vec(n, data):
    return len(data).to_bytes(n, "big") + data


def ext(etype, data):
    return struct.pack("!H", etype) + vec(2, data)


def client_hello(sni=b"mx.example.net", tls13=True, alpn=None, grease=True,
                 groups=(0x001D, 0x0017, 0x0018), shares=((0x001D, 32),)):
    suites = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0x009E, 0x00FF]
    if grease:
        suites.insert(0, 0x0A0A)
    exts = b""
    if grease:
        exts += ext(0x1A1A, b"")
    exts += ext(0, vec(2, b"\0" + vec(2, sni)))                    # server_name
    exts += ext(10, vec(2, b"".join(struct.pack("!H", g) for g in groups)))  # groups
    exts += ext(11, vec(1, b"\0"))                                  # ec_point_formats
    exts += ext(13, vec(2, struct.pack("!HHHH", 0x0403, 0x0804, 0x0401, 0x0201)))
    exts += ext(23, b"")                                            # extended_master_secret
    exts += ext(35, b"")                                            # session_ticket
    if alpn:
        exts += ext(16, vec(2, b"".join(vec(1, a) for a in alpn)))
    if tls13:
        exts += ext(43, vec(1, struct.pack("!HH", 0x0304, 0x0303)))  # supported_versions
        exts += ext(51, vec(2, b"".join(struct.pack("!H", g) + vec(2, bytes(i % 256 for i in range(n)))
                                       for g, n in shares)))
        exts += ext(45, vec(1, b"\x01"))                             # psk_key_exchange_modes
    body = (struct.pack("!H", 0x0303) + bytes(range(32)) + vec(1, bytes(32))
            + vec(2, b"".join(struct.pack("!H", s) for s in suites)) + vec(1, b"\0")
            + vec(2, exts))
    return hs(1, body)


def server_hello(suite=0xC02F, tls13=False, random=None, sid=bytes(32), hrr=False,
                 group=0x001D, share=32):
    exts = b""
    if tls13:
        exts += ext(43, struct.pack("!H", 0x0304))
        if hrr:  # RFC 8446 §4.2.8: a HelloRetryRequest names the group only
            exts += ext(51, struct.pack("!H", group))
        else:
            exts += ext(51, struct.pack("!HH", group, share) + bytes(share))
    else:
        exts += ext(0xFF01, b"\0") + ext(23, b"") + ext(11, vec(1, b"\0"))
    random = random or bytes(range(100, 132))
    body = (struct.pack("!H", 0x0303) + random + vec(1, sid) + struct.pack("!HB", suite, 0)
            + vec(2, exts))
    return hs(2, body)


def der(tag, content):
    n = len(content)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + content


def der_name(cn):
    attr = der(0x30, der(0x06, bytes.fromhex("550403")) + der(0x0C, cn))
    return der(0x30, der(0x31, attr))


def certificate_der(cn, issuer):
    """A structurally valid X.509 v3 certificate (P-256 key: the curve's base
    point) with a made-up signature; enough for a parser, not for a verifier."""
    ecdsa_sha256 = der(0x30, der(0x06, bytes.fromhex("2a8648ce3d040302")))
    point = bytes.fromhex(
        "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
        "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
    spki = der(0x30, der(0x30, der(0x06, bytes.fromhex("2a8648ce3d0201"))
                         + der(0x06, bytes.fromhex("2a8648ce3d030107")))
               + der(0x03, b"\0" + point))
    validity = der(0x30, der(0x17, b"240101000000Z") + der(0x17, b"340101000000Z"))
    san = der(0x30, der(0x06, bytes.fromhex("551d11"))
              + der(0x04, der(0x30, der(0x82, cn))))
    tbs = der(0x30, der(0xA0, der(0x02, b"\x02")) + der(0x02, b"\x01\x23\x45\x67")
              + ecdsa_sha256 + der_name(issuer) + validity + der_name(cn) + spki
              + der(0xA3, der(0x30, san)))
    sig = der(0x30, der(0x02, b"\x01" * 32) + der(0x02, b"\x02" * 32))
    return der(0x30, tbs + ecdsa_sha256 + der(0x03, b"\0" + sig))


def certificate_msg(chain):
    return hs(11, vec(3, b"".join(vec(3, c) for c in chain)))


def tls12_flights():
    """The turns (from_client, bytes) of a TLS 1.2 ECDHE handshake with a
    two-certificate chain, then application data."""
    leaf = certificate_der(b"mx.example.net", b"Example Mail CA")
    ca = certificate_der(b"Example Mail CA", b"Example Mail CA")
    ske = hs(12, b"\x03\x00\x17" + vec(1, b"\x04" + bytes(64)) + b"\x04\x03" + vec(2, bytes(70)))
    return [
        (1, tls_record(22, client_hello(tls13=False), 0x0301)),
        (0, tls_record(22, server_hello() + certificate_msg([leaf, ca]) + ske + hs(14, b""))),
        (1, tls_record(22, hs(16, vec(1, b"\x04" + bytes(64)))) + tls_record(20, b"\x01")
         + tls_record(22, bytes(40))),
        (0, tls_record(20, b"\x01") + tls_record(22, bytes(40))),
        (1, tls_record(23, bytes(120))),
        (0, tls_record(23, bytes(300))),
    ]


def tls13_flights():
    return [
        (1, tls_record(22, client_hello(alpn=[b"smtp"]), 0x0301)),
        (0, tls_record(22, server_hello(suite=0x1301, tls13=True)) + tls_record(20, b"\x01")
         + tls_record(23, bytes(900)) + tls_record(23, bytes(80))),
        (1, tls_record(20, b"\x01") + tls_record(23, bytes(60))),
        (0, tls_record(23, bytes(200))),
    ]


def alert_flights():
    return [(1, tls_record(22, client_hello(tls13=False, grease=False), 0x0301)),
            (0, tls_record(21, b"\x02\x28"))]  # fatal handshake_failure


def hrr_flights():
    hrr_random = bytes.fromhex(
        "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
    return [(1, tls_record(22, client_hello(), 0x0301)),
            (0, tls_record(22, server_hello(suite=0x1301, tls13=True, random=hrr_random, hrr=True))),
            (1, tls_record(22, client_hello())),
            (0, tls_record(22, server_hello(suite=0x1301, tls13=True)))]


# X25519MLKEM768 (0x11EC): a 1216-byte client share, a 1120-byte server share.
PQ_GROUPS = (0x2A2A, 0x11EC, 0x001D, 0x0017)


def pq_flights():
    ch = client_hello(groups=PQ_GROUPS, shares=((0x2A2A, 1), (0x11EC, 1216), (0x001D, 32)))
    return [(1, tls_record(22, ch, 0x0301)),
            (0, tls_record(22, server_hello(suite=0x1301, tls13=True, group=0x11EC, share=1120))
             + tls_record(20, b"\x01") + tls_record(23, bytes(900))),
            (1, tls_record(20, b"\x01") + tls_record(23, bytes(60)))]


def pq_hrr_flights():
    """The client shares x25519 only; the server asks for X25519MLKEM768."""
    hrr_random = bytes.fromhex(
        "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
    return [(1, tls_record(22, client_hello(groups=PQ_GROUPS), 0x0301)),
            (0, tls_record(22, server_hello(suite=0x1301, tls13=True, random=hrr_random,
                                            hrr=True, group=0x11EC))),
            (1, tls_record(22, client_hello(groups=PQ_GROUPS, shares=((0x11EC, 1216),)))),
            (0, tls_record(22, server_hello(suite=0x1301, tls13=True, group=0x11EC, share=1120)))]


def downgrade_flights():
    rnd = bytes(24) + b"DOWNGRD\x01"
    return [(1, tls_record(22, client_hello(), 0x0301)),
            (0, tls_record(22, server_hello(random=rnd))), (1, tls_record(21, b"\x01\x00"))]


def split_record_flights():
    """A ClientHello spread over three records; a ServerHello over two."""
    ch = client_hello(sni=b"smtp.example.org")
    sh = server_hello()
    return [(1, b"".join(tls_record(22, ch[i:i + 50]) for i in range(0, len(ch), 50))),
            (0, tls_record(22, sh[:30]) + tls_record(22, sh[30:]))]


SSLV2_HELLO = (b"\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10"
               + b"\x00\x00\x39\x00\x00\x38\x00\x00\x35\x00\x00\x16\x00\x00\x13\x00\x00\x0a\x07\x00\xc0"
               + bytes(range(16)))

# ---------------------------------------------------------- SMTP sessions

SMTP_GREETING = b"220 mx.example.net ESMTP ready\r\n"
EHLO = b"EHLO client.example.org\r\n"
EHLO_REPLY = (b"250-mx.example.net Hello client.example.org\r\n250-PIPELINING\r\n"
              b"250-SIZE 52428800\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 HELP\r\n")
PLAIN_MAIL = [
    (1, b"MAIL FROM:<a@example.org>\r\n"), (0, b"250 2.1.0 Ok\r\n"),
    (1, b"RCPT TO:<b@example.net>\r\n"), (0, b"250 2.1.5 Ok\r\n"),
    (1, b"DATA\r\n"), (0, b"354 End data with <CR><LF>.<CR><LF>\r\n"),
    (1, b"Subject: hi\r\n\r\nhello\r\n.\r\n"), (0, b"250 2.0.0 Ok: queued\r\n"),
    (1, b"QUIT\r\n"), (0, b"221 2.0.0 Bye\r\n"),
]


def starttls_dialogue(flights):
    return [(0, SMTP_GREETING), (1, EHLO), (0, EHLO_REPLY), (1, b"STARTTLS\r\n"),
            (0, b"220 2.0.0 Ready to start TLS\r\n")] + flights


def conversation(dialogue, sport=40001, dport=25, isn_c=1000, isn_s=5000, mss=400,
                 handshake=True, close=True):
    """Turns (from_client, bytes) turns into TCP segments (c2s, seq, ack, flags, payload)."""
    out = []
    seq = [isn_c, isn_s]  # next seq of client, server
    if handshake:
        out.append((True, seq[0], 0, SYN, b""))
        out.append((False, seq[1], seq[0] + 1, SYN | ACK, b""))
        seq = [seq[0] + 1, seq[1] + 1]
        out.append((True, seq[0], seq[1], ACK, b""))
    for frm_client, data in dialogue:
        d = 0 if frm_client else 1
        for i in range(0, len(data), mss):
            part = data[i:i + mss]
            out.append((bool(frm_client), seq[d], seq[1 - d], PSH | ACK, part))
            seq[d] += len(part)
    if close:
        out.append((True, seq[0], seq[1], FIN | ACK, b""))
        out.append((False, seq[1], seq[0] + 1, FIN | ACK, b""))
        out.append((True, seq[0] + 1, seq[1] + 1, ACK, b""))
    return [(c, s, a, f, p, sport, dport) for c, s, a, f, p in out]


def frames(segs, v6=False):
    mk = seg6 if v6 else seg4
    return [mk(c, sp, s, a, f, p, dport=dp) for c, s, a, f, p, sp, dp in segs]


# ------------------------------------------------------------ capture files

DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_NULL, DLT_LOOP, DLT_LINUX_SLL2 = 1, 101, 113, 0, 108, 276


def pcap_file(linktype, pkts, snaplen=65535, nano=False, big_endian=False, t0=1714564800):
    """pkts: frame bytes or (frame, wirelen) pairs; one packet per 10 ms."""
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for i, p in enumerate(pkts):
        frame, wire = p if isinstance(p, tuple) else (p, len(p))
        frac = i * 10000 * (1000 if nano else 1)
        out += struct.pack(e + "IIII", t0 + frac // (10**9 if nano else 10**6),
                           frac % (10**9 if nano else 10**6), len(frame), wire) + frame
    return out


def pcapng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng_file(interfaces, pkts, t0=1714564800):
    """interfaces: list of link types; pkts: (interface, frame) pairs.
    SHB, one IDB per interface (if_tsresol left at microseconds), EPBs."""
    out = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                       + struct.pack("<HH", 4, 5) + b"seeds\0\0\0" + struct.pack("<HH", 0, 0))
    for lt in interfaces:
        opts = struct.pack("<HH", 2, 4) + b"eth0" + struct.pack("<HH", 0, 0)
        out += pcapng_block(1, struct.pack("<HHI", lt, 0, 65535) + opts)
    for i, (ifc, frame) in enumerate(pkts):
        ts = t0 * 10**6 + i * 10000
        out += pcapng_block(6, struct.pack("<IIIII", ifc, ts >> 32, ts & 0xFFFFFFFF, len(frame),
                                           len(frame)) + frame)
    return out


# ------------------------------------------------------------ the corpora


def decode_seeds():
    link = {"en10mb": 0, "sll": 1, "sll2": 2, "raw": 3, "ipv4": 4, "ipv6": 5, "null": 6,
            "loop": 7}
    smtp = b"EHLO client.example.org\r\n"
    p4 = seg4(True, 40001, 1001, 5001, PSH | ACK, smtp)
    p6 = seg6(True, 40001, 1001, 5001, PSH | ACK, smtp)
    opts = bytes.fromhex("020405b4") + bytes.fromhex("0101080a0000000100000002")
    syn4 = seg4(True, 40001, 1000, 0, SYN, b"", options=opts)
    hop = bytes([6, 0]) + bytes([1, 4, 0, 0, 0, 0])  # hop-by-hop: PadN
    p6ext = ipv6(CLIENT6, SERVER6, tcp(CLIENT6, SERVER6, 40001, 25, 1001, 5001, PSH | ACK, smtp),
                 nh=0, ext=hop)
    frag = ipv4(CLIENT4, SERVER4, tcp(CLIENT4, SERVER4, 40001, 25, 1, 1, ACK, smtp), frag=0x2000)
    udp = ipv4(CLIENT4, SERVER4, struct.pack("!HHHH", 53, 53, 8, 0), proto=17)
    mpls = struct.pack("!I", (16 << 12) | 0x100 | 64)
    pppoe = struct.pack("!BBHH", 0x11, 0, 1, len(p4) + 2) + b"\x00\x21"
    return {
        "eth-ipv4-ehlo": bytes([link["en10mb"], 0]) + eth(p4),
        "eth-ipv4-syn-options": bytes([link["en10mb"], 0]) + eth(syn4),
        "eth-vlan-ipv4": bytes([link["en10mb"], 0]) + eth(p4, [(0x8100, 100)]),
        "eth-qinq-ipv6": bytes([link["en10mb"], 0]) + eth(p6, [(0x88A8, 10), (0x8100, 20)]),
        "eth-ipv6-ehlo": bytes([link["en10mb"], 0]) + eth(p6),
        "eth-ipv6-hopbyhop": bytes([link["en10mb"], 0]) + eth(p6ext),
        "eth-mpls-ipv4": bytes([link["en10mb"], 0]) + eth(mpls + p4, etype=0x8847),
        "eth-pppoe-ipv4": bytes([link["en10mb"], 0]) + eth(pppoe + p4, etype=0x8864),
        "eth-ipv4-fragment": bytes([link["en10mb"], 0]) + eth(frag),
        "eth-ipv4-udp": bytes([link["en10mb"], 0]) + eth(udp),
        "eth-ipv4-snapcut": bytes([link["en10mb"], 0x40 | 5]) + eth(p4),
        "eth-ipv4-capcut": bytes([link["en10mb"], 0x80 | 10]) + eth(p4),
        "sll-ipv4": bytes([link["sll"], 0]) + sll(p4),
        "sll2-ipv6": bytes([link["sll2"], 0]) + sll2(p6),
        "raw-ipv4": bytes([link["raw"], 0]) + p4,
        "raw-ipv6": bytes([link["raw"], 0]) + p6,
        "ipv4-link": bytes([link["ipv4"], 0]) + p4,
        "ipv6-link": bytes([link["ipv6"], 0]) + p6,
        "null-ipv4": bytes([link["null"], 0]) + loop_null(p4, False),
        "null-ipv6": bytes([link["null"], 0]) + loop_null(p6, False),
        "loop-ipv4": bytes([link["loop"], 0]) + loop_null(p4, True),
    }


def rsm_script(mode, isn0, isn1, records, fail_at=0):
    """records: (op, len, delta, data) -> the byte script fuzz_rsm.c reads."""
    out = struct.pack("!BIIB", mode, isn0, isn1, fail_at)
    for op, ln, delta, data in records:
        out += struct.pack("!BHh", op, ln, delta) + data
    return out


def rsm_seeds():
    SEG, SEGFIN, ACKOP, SYNOP, SNAP, FAR = 0, 2, 4, 6, 8, 16
    lines = [b"220 mx.example.net ESMTP\r\n", b"250-PIPELINING\r\n250 STARTTLS\r\n",
             b"220 go ahead\r\n"]
    cl = [b"EHLO c.example\r\n", b"STARTTLS\r\n"]

    def seg(d, data, delta=0, op=SEG):
        return (op | d, len(data), delta, data)

    in_order = [(SYNOP, 0, -1, b""), (SYNOP | 1, 0, -1, b"")]
    for i in range(2):
        in_order += [seg(1, lines[i]), seg(0, cl[i])]
    in_order += [seg(1, lines[2]), (ACKOP, 0, 0, b""), (SEGFIN | 1, 0, 0, b""),
                 (SEGFIN, 0, 0, b"")]
    t = b"".join(lines)
    a, b_, c = t[:20], t[20:45], t[45:]
    reordered = [(SYNOP | 1, 0, -1, b""), seg(1, c, len(a) + len(b_)),
                 seg(1, a, -(len(a) + len(b_) + len(c))), seg(1, b_)]
    conflict = [seg(1, t[:30]), seg(1, b"X" * 10, -10), seg(1, t[30:])]
    retrans = [seg(0, cl[0]), seg(0, cl[0], -len(cl[0])), seg(0, cl[1])]
    snap = [(SEG | 1 | SNAP, 40, 0, t[:20]), seg(1, t[40:])]
    hole_acked = [seg(1, t[:10]), seg(1, t[20:], 10), (ACKOP | 1, 0, 0, b"")]
    far = [seg(0, cl[0]), (SEG | FAR, 4, 3, b"EHLO"), (ACKOP | FAR, 0, 4, b"")]
    patterned = [(SYNOP, 0, -1, b""), (SEG, 300, 600, b""), (SEG, 300, -900, b""),
                 (SEG, 300, 0, b""), (SEG | SNAP, 200, 0, b""), (ACKOP, 0, 500, b""),
                 (SEG | 1, 100, 0, b"")]
    overflow = [(SEG, 2000, 100, b""), (SEG, 2000, 100, b""), (SEG, 2000, 100, b""),
                (SEG, 100, -6400, b"")]
    return {
        "in-order-lines": rsm_script(2, 1000, 5000, in_order),
        "reordered-wrap": rsm_script(0, 1000, 0xFFFFFFF0, reordered),
        "overlap-conflict": rsm_script(6, 7, 9, conflict),
        "retransmission": rsm_script(2, 100, 200, retrans),
        "snap-cut": rsm_script(4, 1, 2, snap),
        "ack-past-hole": rsm_script(0, 10, 20, hole_acked),
        "far-jump": rsm_script(2, 10, 20, far),
        "patterned-reorder": rsm_script(1 | 2, 0xFFFFFF00, 77, patterned),
        "patterned-overflow": rsm_script(1 | 16, 5, 6, overflow),
        "patterned-tight-total": rsm_script(1 | 8 | 6, 5, 6, overflow * 2),
        "alloc-failure": rsm_script(32 | 2, 1000, 5000, in_order + reordered, fail_at=3),
    }


def tls_input(flights, split_seed=0x12345678):
    """The tls target's input: the client gets body * split / 255 bytes. When
    no split byte divides the streams exactly, the server side ends with an
    extra application_data record (never with bytes that are not TLS)."""
    client = b"".join(data for c, data in flights if c)
    server = b"".join(data for c, data in flights if not c)
    for ratio in range(255, 0, -1):
        for k in [0] + list(range(5, 2000)):
            body = len(client) + len(server) + k
            if body * ratio // 255 == len(client):
                pad = tls_record(23, bytes(k - 5)) if k else b""
                return bytes([ratio]) + struct.pack("!I", split_seed) + client + server + pad
            if body * ratio // 255 > len(client):
                break
    raise ValueError("no split")


def tls_seeds():
    return {
        "tls12-ecdhe-certs": tls_input(tls12_flights()),
        "tls12-ecdhe-certs-bytewise": tls_input(tls12_flights(), 0x0000_0001),
        "tls13-alpn": tls_input(tls13_flights(), 0x9E3779B9),
        "fatal-alert": tls_input(alert_flights()),
        "hello-retry": tls_input(hrr_flights()),
        "pq-x25519mlkem768": tls_input(pq_flights(), 0x5EED0001),
        "pq-hello-retry": tls_input(pq_hrr_flights(), 0x5EED0002),
        "downgrade-sentinel": tls_input(downgrade_flights()),
        "split-records": tls_input(split_record_flights(), 0x0BADCAFE),
        "sslv2-client-hello": tls_input([(1, SSLV2_HELLO), (0, tls_record(22, server_hello()))]),
        "not-tls": tls_input([(1, b"EHLO client.example.org\r\n"), (0, b"500 what\r\n")]),
    }


def pipeline_seeds():
    starttls12 = conversation(starttls_dialogue(tls12_flights()), isn_c=0xFFFFFF00)
    starttls13 = conversation(starttls_dialogue(tls13_flights()), sport=40002, mss=200)
    plain = conversation([(0, SMTP_GREETING), (1, EHLO), (0, EHLO_REPLY)] + PLAIN_MAIL,
                         sport=40003)
    implicit = conversation(tls13_flights(), sport=40004, dport=465)
    # STARTTLS offered but the 220 never came (refused), no close: ends at EOF
    refused = conversation([(0, SMTP_GREETING), (1, EHLO), (0, EHLO_REPLY), (1, b"STARTTLS\r\n"),
                            (0, b"454 4.7.0 TLS not available\r\n")] + PLAIN_MAIL[:2],
                           sport=40005, close=False)
    # picked up mid-stream (no handshake)
    midstream = conversation(PLAIN_MAIL, sport=40006, handshake=False)

    def reorder(segs):
        """Swaps neighbouring data segments of the same direction and
        retransmits one segment; nothing is lost."""
        out = list(segs)
        i = 3
        while i + 1 < len(out):
            a, b = out[i], out[i + 1]
            if a[0] == b[0] and a[4] and b[4]:
                out[i], out[i + 1] = b, a
                i += 3
            else:
                i += 1
        data = [k for k, sg in enumerate(out) if sg[4]]
        out.insert(data[len(data) // 2] + 2, out[data[len(data) // 2]])
        return out

    def snapcut(frs, snap):
        return [(f[:snap], len(f)) for f in frs]

    eth_frames = [eth(f) for f in frames(starttls12)]
    files = {
        "eth-starttls-tls12.pcap": pcap_file(DLT_EN10MB, eth_frames),
        "eth-starttls-tls12-reordered.pcap": pcap_file(
            DLT_EN10MB, [eth(f) for f in frames(reorder(starttls12))]),
        "eth-vlan-starttls-tls13-nano.pcap": pcap_file(
            DLT_EN10MB, [eth(f, [(0x8100, 42)]) for f in frames(starttls13)], nano=True),
        "raw-ipv6-starttls-tls13.pcap": pcap_file(DLT_RAW, frames(starttls13, v6=True)),
        "sll-plaintext-bigendian.pcap": pcap_file(DLT_LINUX_SLL, [sll(f) for f in frames(plain)],
                                                  big_endian=True),
        "sll2-implicit-tls.pcap": pcap_file(DLT_LINUX_SLL2, [sll2(f) for f in frames(implicit)]),
        "null-refused-midstream.pcap": pcap_file(
            DLT_NULL, [loop_null(f, False) for f in frames(refused + midstream)]),
        "loop-plaintext.pcap": pcap_file(DLT_LOOP, [loop_null(f, True) for f in frames(plain)]),
        "eth-snaplen-96.pcap": pcap_file(DLT_EN10MB, snapcut(eth_frames, 96), snaplen=96),
        "eth-truncated-last-record.pcap": pcap_file(DLT_EN10MB, eth_frames[:12])[:-7],
        "eth-starttls-tls12.pcapng": pcapng_file(
            [DLT_EN10MB], [(0, f) for f in eth_frames]),
        "eth-two-flows-interleaved.pcapng": pcapng_file(
            [DLT_EN10MB],
            [(0, eth(f)) for pair in itertools.zip_longest(frames(starttls13),
                                                           frames(reorder(plain)))
             for f in pair if f]),
    }
    return files


# --------------------------------------------------- statistics snapshots

# The layout agg_to_json() (stats/sinks/agg.c) writes: every counter by its dotted
# path, in the order agg_visit() lists them, then the distributions.
SNAP_ENC = ["unknown", "plaintext", "starttls", "implicit_tls", "starttls_refused",
            "starttls_failed", "tls_unknown_start"]
SNAP_SCALARS = (
    ["span.first_us", "span.last_us"]
    + ["health." + k for k in ("files", "files_failed", "packets", "wire_bytes",
                               "captured_bytes", "tcp_packets", "mail_packets",
                               "timestamps_backwards")]
    + ["health.skipped." + k for k in ("link_unsupported", "not_ip", "ipv4_fragment",
                                       "ipv6_fragment", "not_tcp")]
    + ["health.malformed." + k for k in ("link_truncated", "vlan_too_deep", "ipv4_truncated",
                                         "ipv4_invalid", "ipv6_truncated", "ipv6_invalid",
                                         "tcp_truncated", "tcp_invalid", "payload_truncated")]
    + ["health.flows_evicted", "health.flow_alloc_failed", "health.reassembly.refused_bytes",
       "health.reassembly.peak_bytes", "connections.total", "connections.complete",
       "connections.midstream"]
    + ["connections.by_end." + k for k in ("fin", "rst", "timeout", "evicted", "eof", "reused")]
    + ["connections.with_gaps", "connections.gap_bytes", "connections.packets.client",
       "connections.packets.server", "connections.bytes.client", "connections.bytes.server"]
    + [f"encryption.{w}.{e}" for e in SNAP_ENC for w in ("connections", "bytes")]
    + ["smtp." + k for k in ("connections", "ehlo_ok", "starttls_offered",
                             "starttls_offered_and_used", "starttls_requested",
                             "plaintext_messages", "plaintext_message_bytes")]
    + ["smtp.capabilities." + k for k in ("STARTTLS", "REQUIRETLS", "SMTPUTF8", "CHUNKING",
                                          "PIPELINING", "8BITMIME", "SIZE", "AUTH", "DSN",
                                          "ENHANCEDSTATUSCODES")]
    + ["smtp.auth", "smtp.auth_before_tls"]
    + ["tls." + k for k in ("connections", "negotiated", "established", "forward_secrecy",
                            "aead", "resumed", "fallback_scsv", "downgrade_sentinel",
                            "certificate_visible")]
    + ["cert." + k for k in ("observed", "inferred", "unseen", "self_signed", "chain_valid",
                             "expired", "hostname_mismatch", "weak_key_or_signature")])
SNAP_OUT = ["connections"] + SNAP_ENC + ["anomalies"]
SNAP_MAPS = (
    [(p, None) for p in ("tls.versions", "tls.client_max_versions", "tls.ciphers", "tls.grades",
                         "tls.groups", "tls.dh_bits", "tls.alerts", "tls.ja3", "tls.ja4",
                         "smtp.server_software", "anomalies", "anomalies_cross",
                         "cert.key_types", "cert.signature_algorithms", "cert.issuers",
                         "cert.validation")]
    + [("servers", ["connections", "plaintext", "starttls", "implicit_tls", "starttls_refused",
                    "starttls_failed", "starttls_offered", "tls13", "weak_or_insecure_cipher",
                    "plaintext_messages"])]
    + [(p, SNAP_OUT) for p in ("time", "by_country", "by_as", "by_direction")]
    + [("cert.distinct", ["connections", "self_signed", "valid", "expired"])])


def snap_ts(us):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 10**6)) + ".%06dZ" % (us % 10**6)


def snapshot(counts, maps=None, truncated=(), other=None, bucket="hour"):
    """A statistics snapshot as `smtptls analyze --stats` writes it, with the
    counters in counts (path -> n; absent ones are 0), the keys of each
    distribution in maps (path -> {key: n, or for a distribution of several
    counters {key: {counter: n}}}), `other` in other (path -> n or
    {counter: n}) and the distributions named in truncated marked so. The
    ratios are left out: they are derived, and never read back."""
    maps, other = maps or {}, other or {}
    assert set(counts) <= set(SNAP_SCALARS) and set(maps) | set(other) <= dict(SNAP_MAPS).keys()
    root = {"format": "smtptls-stats", "version": 2}

    def put(path, value):
        *parents, leaf = path.split(".")
        o = root
        for p in parents:
            o = o.setdefault(p, {})
        o[leaf] = value

    for p in SNAP_SCALARS:
        put(p, counts.get(p, 0))
    for p, names in SNAP_MAPS:
        keys, oth = maps.get(p, {}), other.get(p, 0 if names is None else {})
        if names is not None:
            keys = {k: {n: v.get(n, 0) for n in names} for k, v in keys.items()}
            oth = {n: oth.get(n, 0) for n in names}
        put(p, {"keys": keys, "other": oth, "truncated": p in truncated})
    first = counts.get("span.first_us", 0)
    root["span"]["first"] = snap_ts(first) if first else None
    root["span"]["last"] = snap_ts(counts.get("span.last_us", 0)) if first else None
    root["time"]["bucket"] = bucket
    root["notes"] = {"messages": "messages and message bytes are counted in plain text only: "
                                 "inside TLS they cannot be seen",
                     "servers_truncated": "servers" in truncated}
    return root


def snap_traffic(first_us, last_us, packets, wire, conns, cpk, spk, cb, sb, enc, end="fin",
                 peak=0):
    """The counters every capture has: span, health, connections, encryption."""
    c = {"span.first_us": first_us, "span.last_us": last_us, "health.files": 1,
         "health.packets": packets, "health.wire_bytes": wire, "health.captured_bytes": wire,
         "health.tcp_packets": packets, "health.mail_packets": packets,
         "health.reassembly.peak_bytes": peak, "connections.total": conns,
         "connections.complete": conns, "connections.by_end." + end: conns,
         "connections.packets.client": cpk, "connections.packets.server": spk,
         "connections.bytes.client": cb, "connections.bytes.server": sb,
         "encryption.connections." + enc: conns, "encryption.bytes." + enc: cb + sb}
    return c


def snap_smtp(conns, caps, offered=0, requested=0, messages=0, message_bytes=0):
    c = {"smtp.connections": conns, "smtp.ehlo_ok": conns, "smtp.starttls_offered": offered,
         "smtp.starttls_offered_and_used": min(offered, requested),
         "smtp.starttls_requested": requested, "smtp.plaintext_messages": messages,
         "smtp.plaintext_message_bytes": message_bytes}
    c.update({"smtp.capabilities." + k: n for k, n in caps.items()})
    return c


def snap_tls(n, **kw):
    c = {"tls.connections": n, "tls.negotiated": n, "tls.established": n,
         "tls.forward_secrecy": n, "tls.aead": n}
    c.update({"tls." + k: v for k, v in kw.items()})
    return c


def snap_outcome(n, enc, anomalies=0):
    return {"connections": n, enc: n, "anomalies": anomalies}


HOUR = "2026-11-22T09:00:00Z"
CAPS_POSTFIX = {"SMTPUTF8": 1, "CHUNKING": 1, "PIPELINING": 1, "8BITMIME": 1, "SIZE": 1,
                "DSN": 1, "ENHANCEDSTATUSCODES": 1}


def caps(n, extra=(), base=CAPS_POSTFIX):
    return {k: n for k in list(base) + list(extra)}


def snapshot_seeds():
    """Snapshots like those of the captures in pcaps/ (same counts and keys),
    merged shards, truncated distributions, and ones a reader must refuse."""
    tls13 = snapshot(
        {**snap_traffic(1795341187723361, 1795341191277859, 126, 25979, 4, 69, 57, 4343, 13300,
                        "starttls", end="rst", peak=2286),
         **snap_smtp(4, caps(4, ["STARTTLS"]), offered=4, requested=4),
         **snap_tls(4), "cert.unseen": 4},
        {"smtp.server_software": {"Postfix": 4}, "tls.versions": {"TLSv1.3": 4},
         "tls.client_max_versions": {"TLSv1.3": 4},
         "tls.ciphers": {"TLS_AES_256_GCM_SHA384": 4}, "tls.grades": {"modern": 4},
         "tls.groups": {"x25519": 3, "secp256r1": 1},
         "tls.ja3": {"4be56435b707090b38437799f974f7ef": 1, "a3afc2c46ba4a7d7fbe1cfb7a3031c2f": 1,
                     "d39e1be3241d516b1f714bd47c2bc968": 1, "f35ce21b44ac0b87d3266294bb1b0e20": 1},
         "tls.ja4": {"t13d291300_723694b0fccc_2cc26d266019": 1,
                     "t13d311000_e8f1e7e78f70_1f22a2ca17c4": 1,
                     "t13d311100_e8f1e7e78f70_d41ae481755e": 1,
                     "t13i871000_c66346c74e42_24695f2957a7": 1},
         "servers": {"198.51.100.25:25": {"connections": 4, "starttls": 4, "starttls_offered": 4,
                                          "tls13": 4}},
         "time": {HOUR: snap_outcome(4, "starttls")},
         "by_direction": {"external": snap_outcome(4, "starttls")}})
    cert = "fced1b00a79b7c600cff1a1f3077e0744be00f0141b67395e9f4053ff80923f7"
    implicit = snapshot(
        {**snap_traffic(1795341235240830, 1795341238740116, 65, 12466, 2, 37, 28, 1904, 6252,
                        "implicit_tls", end="rst", peak=2286),
         **snap_tls(2, downgrade_sentinel=1, certificate_visible=1),
         "cert.observed": 1, "cert.inferred": 1},
        {"tls.versions": {"TLSv1.2": 1, "TLSv1.3": 1},
         "tls.client_max_versions": {"TLSv1.2": 1, "TLSv1.3": 1},
         "tls.ciphers": {"TLS_AES_256_GCM_SHA384": 1, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": 1},
         "tls.grades": {"modern": 1, "strong": 1}, "tls.groups": {"x25519": 2},
         "tls.ja3": {"871a754af286dfb70c1b53c6887c62e0": 1, "d39e1be3241d516b1f714bd47c2bc968": 1},
         "tls.ja4": {"t12d280700_d943125447b4_e7e480e5a997": 1,
                     "t13d311100_e8f1e7e78f70_d41ae481755e": 1},
         "cert.key_types": {"RSA 2048": 2},
         "cert.signature_algorithms": {"sha256WithRSAEncryption": 2},
         "cert.issuers": {"smtptls corpus": 2}, "cert.validation": {"unable_to_get_issuer": 2},
         "cert.distinct": {cert: {"connections": 2}},
         "servers": {"198.51.100.25:465": {"connections": 2, "implicit_tls": 2, "tls13": 1}},
         "time": {HOUR: snap_outcome(2, "implicit_tls")},
         "by_direction": {"external": snap_outcome(2, "implicit_tls")}})
    plain_srv = {"connections": 1, "plaintext": 1, "plaintext_messages": 1}
    plaintext = snapshot(
        {**snap_traffic(1795341184800778, 1795341185067421, 42, 4288, 2, 20, 22, 800, 684,
                        "plaintext"),
         **snap_smtp(2, {**caps(2, base=["SMTPUTF8", "CHUNKING", "PIPELINING", "8BITMIME",
                                         "SIZE"]), "DSN": 1, "ENHANCEDSTATUSCODES": 1},
                     messages=2, message_bytes=588)},
        {"smtp.server_software": {"Exim": 1, "Postfix": 1},
         "servers": {"198.51.100.26:25": plain_srv, "198.51.100.30:25": plain_srv},
         "time": {HOUR: snap_outcome(2, "plaintext")},
         "by_direction": {"external": snap_outcome(2, "plaintext")}})
    strip_srv = {"connections": 2, "plaintext": 2, "starttls_offered": 2, "plaintext_messages": 2}
    stripped = snapshot(
        {**snap_traffic(1795341212134579, 1795341212705379, 72, 7944, 4, 34, 38, 1884, 1244,
                        "plaintext"),
         **snap_smtp(4, {**caps(4), "STARTTLS": 2}, offered=2, messages=4, message_bytes=1402)},
        {"smtp.server_software": {"Postfix": 4}, "anomalies": {"starttls_not_used": 2},
         "servers": {"198.51.100.25:25": strip_srv,
                     "198.51.100.80:25": {**strip_srv, "starttls_offered": 0}},
         "time": {HOUR: snap_outcome(4, "plaintext", 2)},
         "by_direction": {"external": snap_outcome(4, "plaintext", 2)}})
    refused = snapshot(
        {**snap_traffic(1795341218487902, 1795341219245402, 40, 4436, 2, 19, 21, 915, 849,
                        "starttls_refused"),
         **snap_smtp(2, caps(2, ["STARTTLS"], base=["SMTPUTF8", "CHUNKING", "PIPELINING",
                                                     "8BITMIME", "SIZE"]),
                     offered=2, requested=2, messages=2, message_bytes=681)},
        {"smtp.server_software": {"Exim": 2}, "anomalies": {"starttls_refused": 2},
         "servers": {"198.51.100.27:25": {"connections": 2, "starttls_refused": 2,
                                          "starttls_offered": 2, "plaintext_messages": 2}},
         "time": {HOUR: snap_outcome(2, "starttls_refused", 2)},
         "by_direction": {"external": snap_outcome(2, "starttls_refused", 2)}})
    # Three daily shards merged, with country/AS data and the rarer keys.
    merged = snapshot(
        {**snap_traffic(1795305600000000, 1795564799999999, 91833, 70312551, 1207, 40211, 51622,
                        9143213, 61169338, "starttls", peak=262144),
         "health.files": 3, "health.files_failed": 1, "health.timestamps_backwards": 2,
         "health.skipped.not_tcp": 17, "health.malformed.tcp_invalid": 3,
         "health.malformed.payload_truncated": 5, "health.flows_evicted": 4,
         "health.reassembly.refused_bytes": 4096, "connections.with_gaps": 6,
         "connections.gap_bytes": 9000, "connections.midstream": 11,
         "connections.by_end.timeout": 30, "connections.by_end.eof": 2,
         "encryption.connections.plaintext": 80, "encryption.bytes.plaintext": 100123,
         "encryption.connections.starttls_failed": 3,
         **snap_smtp(1100, caps(1000, ["STARTTLS", "AUTH", "REQUIRETLS"]), offered=1050,
                     requested=1020, messages=75, message_bytes=812345),
         "smtp.auth": 40, "smtp.auth_before_tls": 2,
         **snap_tls(1124, resumed=60, fallback_scsv=1),
         "tls.established": 1117, "tls.certificate_visible": 300,
         "cert.observed": 300, "cert.inferred": 700, "cert.unseen": 124, "cert.self_signed": 90,
         "cert.chain_valid": 850, "cert.expired": 12, "cert.hostname_mismatch": 31,
         "cert.weak_key_or_signature": 4},
        {"tls.versions": {"TLSv1.3": 900, "TLSv1.2": 220, "TLSv1.0": 4},
         "tls.ciphers": {"TLS_AES_256_GCM_SHA384": 900, "TLS_RSA_WITH_RC4_128_SHA": 4},
         "tls.grades": {"modern": 900, "strong": 216, "insecure": 4},
         "tls.dh_bits": {"1024": 3, "2048": 40}, "tls.alerts": {"server:40": 3, "client:48": 5},
         "anomalies_cross": {"cert_changed": 3}, "cert.key_types": {"RSA 1024": 4, "EC 256": 996},
         "cert.distinct": {cert: {"connections": 700, "valid": 700},
                           "00" * 32: {"connections": 90, "self_signed": 90}},
         "servers": {"[2001:db8::25]:25": {"connections": 900, "starttls": 900, "tls13": 900},
                     "192.0.2.1:587": {"connections": 4, "weak_or_insecure_cipher": 4}},
         "time": {"2026-11-22T00:00:00Z": snap_outcome(400, "starttls"),
                  "2026-11-23T00:00:00Z": snap_outcome(807, "starttls", 9)},
         "by_country": {"DE": snap_outcome(700, "starttls"), "ZZ": snap_outcome(507, "plaintext")},
         "by_as": {"AS3320 Deutsche Telekom AG": snap_outcome(1207, "starttls")},
         "by_direction": {"inbound": snap_outcome(1000, "starttls"),
                          "outbound": snap_outcome(207, "starttls")}},
        bucket="day")
    # More keys than the fuzz target's limit of 8 (4 servers), some already
    # in `other`.
    wide = snapshot(
        {"connections.total": 30, "encryption.connections.starttls": 30},
        {"tls.ja3": {"%032x" % (i * 0x9E3779B9): i + 1 for i in range(12)},
         "servers": {f"192.0.2.{i}:25": {"connections": i + 1, "starttls": i + 1}
                     for i in range(6)},
         "time": {f"2026-11-22T{h:02}:00:00Z": snap_outcome(h + 1, "starttls")
                  for h in range(10)}},
        truncated=("tls.ja3", "servers"),
        other={"tls.ja3": 7, "servers": {"connections": 3}})
    # Keys whose counts are all zero (dropped on reading), one of several
    # counters written as a bare number, counters missing.
    zeros = snapshot({"connections.total": 1},
                     {"tls.versions": {"TLSv1.3": 0, "TLSv1.2": 1},
                      "servers": {"192.0.2.9:25": {}}})
    zeros["by_direction"]["keys"]["external"] = 5
    zeros["time"]["keys"][HOUR] = {"connections": 1, "starttls": 1}
    big = 2**63 - 1
    huge = snapshot({"connections.total": big, "health.packets": big, "span.first_us": big,
                     "span.last_us": big, "health.reassembly.peak_bytes": big},
                    {"tls.versions": {"TLSv1.3": big, "TLSv1.2": big},
                     "servers": {"192.0.2.1:25": {"connections": big}}},
                    other={"tls.versions": big, "servers": {"tls13": big}})
    wrong_scalars = snapshot({"connections.total": 3})
    wrong_scalars["connections"]["complete"] = "3"
    wrong_scalars["connections"]["midstream"] = 1.5
    wrong_scalars["connections"]["with_gaps"] = -1
    wrong_scalars["health"] = 7
    wrong_scalars["smtp"]["capabilities"] = [1, 2]
    wrong_maps = snapshot({}, {"tls.versions": {"TLSv1.3": 2}})
    wrong_maps["tls"]["versions"]["keys"]["TLSv1.2"] = {"connections": 1}
    wrong_maps["tls"]["ciphers"]["keys"] = ["TLS_AES_128_GCM_SHA256"]
    del wrong_maps["tls"]["groups"]["other"]
    wrong_maps["tls"]["alerts"]["truncated"] = 0
    wrong_maps["servers"]["keys"]["192.0.2.1:25"] = {"connections": "1"}
    wrong_maps["time"]["other"] = None
    negative = snapshot({"connections.total": 2},
                        {"tls.versions": {"TLSv1.3": -2},
                         "servers": {"192.0.2.1:25": {"connections": -1}}},
                        other={"tls.ciphers": -5})
    sparse = {"format": "smtptls-stats", "version": 2, "connections": {"total": 5},
              "tls": {"versions": {"keys": {"TLSv1.3": 5}, "other": 0, "truncated": False}}}

    def dump(doc):
        return json.dumps(doc, separators=(",", ":")).encode()

    return {
        "starttls-tls13.json": dump(tls13),
        "implicit-tls-465.json": dump(implicit),
        "plaintext-no-starttls.json": dump(plaintext),
        "mitm-strip-starttls.json": dump(stripped),
        "starttls-454.json": dump(refused),
        "merged-shards-daily.json": dump(merged),
        "truncated-distributions.json": dump(wide),
        "zero-and-bare-counts.json": dump(zeros),
        "huge-counts.json": dump(huge),
        "sparse.json": dump(sparse),
        "empty-object.json": b"{}",
        "top-level-array.json": b'[{"format":"smtptls-stats","version":2}]',
        "wrong-format.json": dump({**sparse, "format": "smtptls-records"}),
        "wrong-version.json": dump({**sparse, "version": 1}),
        "version-as-string.json": dump({**sparse, "version": "2"}),
        "wrong-counter-types.json": dump(wrong_scalars),
        "wrong-distribution-types.json": dump(wrong_maps),
        "negative-counts.json": dump(negative),
    }


def write(corpus, target, seeds):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if not name.startswith("README") and not name.startswith("."):
            p = os.path.join(d, name)
            if os.path.isdir(p):
                shutil.rmtree(p)
            else:
                os.remove(p)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    return len(seeds), sum(len(v) for v in seeds.values())


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    total = 0
    for target, seeds in (("decode", decode_seeds()), ("rsm", rsm_seeds()),
                          ("pipeline", pipeline_seeds()), ("tls", tls_seeds()),
                          ("snapshot", snapshot_seeds())):
        n, size = write(corpus, target, seeds)
        total += size
        print(f"{target}: {n} seeds, {size} bytes")
    print(f"total: {total} bytes")


if __name__ == "__main__":
    main()
