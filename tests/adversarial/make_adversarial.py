#!/usr/bin/env python3
"""Generates the adversarial captures: what an attacker can put on the wire,
mixed with ordinary SMTP connections whose records must come out intact.

    make_adversarial.py WORKDIR [--scale full|small] [--case NAME]... [--seed N]

Writes WORKDIR/<case>/*.pcap[ng] and WORKDIR/<case>/manifest.json (what the
checker expects). Standard library only; the output is the same, byte for
byte, for the same seed and scale. Nothing here is committed as a binary:
check_adversarial.py calls this at test time.

Every case holds "normal" connections before, during and after the attack:
a plain-text delivery (220 EHLO 250 MAIL RCPT DATA 354 body . 250 QUIT 221)
and a STARTTLS one whose 220 is followed by a small TLS 1.3 handshake
(ClientHello, ServerHello, the server's protected flight, the client's
Finished) and some application data. Their expected endpoints, encryption
outcome and byte counts go to the manifest.

`full` is the size the robustness requirement names (200 000 SYNs, a million
connections, a 100 MB EHLO reply); `small` (for sanitizer builds, which run
this about ten times slower) differs only in the tiny-connection flood:
200 000 connections instead of a million.
"""
import argparse
import json
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wirelib import (  # noqa: E402
    ACK, Conn, ETH, HDR_LEN, MSS, Normals, PSH, RST, SERVER, SYN, Writer, client_hello,
    der_cert, der_int, der_seq, drain, finish_case, hs, ip4, ipstr, mixed, plain_script,
    server_hello12, starttls_script, tls_record, tls_records, vec24, vec8, dns_name,
    dns_response)

# --------------------------------------------------------------------------
# the cases


def case_syn_flood(d, scale, rnd):
    n = 200000
    path = os.path.join(d, "syn_flood.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    sport = 25

    def unit(i):
        src = rnd.getrandbits(32) | 0x01000000  # never 0.x.x.x
        if src >> 8 in (0xC00002, 0xC63364):  # keep clear of the normal networks
            src ^= 0x01000000
        w.pkt(src.to_bytes(4, "big"), SERVER, 1024 + (i % 64000), sport, rnd.getrandbits(32), 0,
              SYN)

    # 20 000 SYNs a second; the slow connection is idle for 6 s of them
    # (120 000 SYNs, more than the default --max-flows) at full scale.
    mixed(w, nm, n, unit, 50, pause_units=n * 6 // 10)
    w.close()
    return finish_case(d, "syn_flood", ["syn_flood.pcap"], nm, {"syns": n}, [
        {"name": "syn_flood", "args": [], "max_flows": 100000},
        {"name": "syn_flood/max-flows", "args": ["--max-flows", "1000"], "max_flows": 1000},
    ])


def case_tiny_conns(d, scale, rnd):
    n = 1000000 if scale == "full" else 200000
    path = os.path.join(d, "tiny_conns.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    banner = b"220 tiny.example.net ESMTP\r\n"
    # One pack per connection: SYN, SYN-ACK, the 220 line, RST (4 frames).
    four = struct.Struct(">" + "IIII14sBBHHHBBH4s4sHHIIBBHHH" * 2 + "IIII14sBBHHHBBH4s4sHHIIBBHHH" +
                         "%ds" % len(banner) + "IIII14sBBHHHBBH4s4sHHIIBBHHH")
    f = w.f
    n0, n2 = HDR_LEN, HDR_LEN + len(banner)

    def unit(i):
        t = w.now
        c = (0x0A000000 | (i >> 6) & 0xFFFFFF).to_bytes(4, "big")  # 10.x.y.z
        cp = 1024 + (i & 0x3FFF)
        cs, ss = (i * 2654435761) & 0xFFFFFFFF, (i * 40503 + 77) & 0xFFFFFFFF
        s1, u1 = divmod(t, 1000000)
        s2, u2 = divmod(t + 1, 1000000)
        s3, u3 = divmod(t + 2, 1000000)
        s4, u4 = divmod(t + 3, 1000000)
        f.write(four.pack(
            s1, u1, n0, n0, ETH, 0x45, 0, 40, 1, 0x4000, 64, 6, 0, c, SERVER, cp, 25, cs, 0, 0x50,
            SYN, 65535, 0, 0,
            s2, u2, n0, n0, ETH, 0x45, 0, 40, 1, 0x4000, 64, 6, 0, SERVER, c, 25, cp, ss,
            (cs + 1) & 0xFFFFFFFF, 0x50, SYN | ACK, 65535, 0, 0,
            s3, u3, n2, n2, ETH, 0x45, 0, 40 + len(banner), 1, 0x4000, 64, 6, 0, SERVER, c, 25,
            cp, (ss + 1) & 0xFFFFFFFF, (cs + 1) & 0xFFFFFFFF, 0x50, PSH | ACK, 65535, 0, 0,
            banner,
            s4, u4, n0, n0, ETH, 0x45, 0, 40, 1, 0x4000, 64, 6, 0, c, SERVER, cp, 25,
            (cs + 1) & 0xFFFFFFFF, 0, 0x50, RST, 0, 0, 0))
        w.packets += 4

    # 100 000 connections per second of capture time: each waits out 5 s
    # after its reset, so the flow table (default 100 000) runs full and the
    # oldest closed connections make room.
    mixed(w, nm, n, unit, 10, pause_units=n // 10)
    w.close()
    return finish_case(d, "tiny_conns", ["tiny_conns.pcap"], nm, {"connections": n}, [
        {"name": "tiny_conns", "args": [], "max_flows": 100000},
        {"name": "tiny_conns/max-flows", "args": ["--max-flows", "5000"], "max_flows": 5000},
    ])


def attack_conn(w, rnd, cip, cport, sport=25):
    return Conn(w, cip, cport, sport=sport, cisn=rnd.getrandbits(32), sisn=rnd.getrandbits(32))


def case_long_lines(d, scale, rnd):
    mb = 32
    path = os.path.join(d, "long_lines.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    nm.pair()
    nm.start_during()
    attackers = []
    # a: the client's command line never ends for mb MB, then CRLF and QUIT.
    a = attack_conn(w, rnd, ip4("203.0.113.1"), 40001)
    a.handshake()
    a.s(b"220 mx.example.net ESMTP\r\n")
    a.c(b"EHLO attacker.example\r\n")
    a.s(b"250-mx.example.net\r\n250 PIPELINING\r\n")
    chunk = b"A" * MSS
    for i in range(mb * 1024 * 1024 // MSS):
        a.c(chunk)
        if i % 512 == 0:
            nm.step()
    a.c(b"\r\nQUIT\r\n")
    a.s(b"221 bye\r\n")
    a.close()
    attackers.append({"client": [ipstr(a.cip), a.cport], "side": "client", "commands": {"EHLO": 1,
                      "QUIT": 1}, "bytes": list(a.bytes)})
    # b: the server's greeting never ends (no CRLF), connection ends with the file.
    b = attack_conn(w, rnd, ip4("203.0.113.2"), 40002)
    b.handshake()
    b.s(b"220 ")
    for i in range(mb * 1024 * 1024 // MSS):
        b.s(chunk)
        if i % 512 == 0:
            nm.step()
    attackers.append({"client": [ipstr(b.cip), b.cport], "side": "server", "bytes": list(b.bytes)})
    # d: a terminated 4 MB line in the server's EHLO reply, then the dialogue.
    e = attack_conn(w, rnd, ip4("203.0.113.4"), 40004)
    e.handshake()
    e.s(b"220 mx.example.net ESMTP\r\n")
    e.c(b"EHLO attacker.example\r\n")
    e.s(b"250-" + b"B" * (mb * 1024 * 1024) + b"\r\n250 PIPELINING\r\n")
    e.c(b"QUIT\r\n")
    e.s(b"221 bye\r\n")
    e.close()
    attackers.append({"client": [ipstr(e.cip), e.cport], "side": "server",
                      "commands": {"EHLO": 1, "QUIT": 1}, "bytes": list(e.bytes)})
    nm.step()
    # e: the client's line never ends: it closes the connection instead.
    e = attack_conn(w, rnd, ip4("203.0.113.5"), 40005)
    e.handshake()
    e.s(b"220 mx.example.net ESMTP\r\n")
    e.c(b"EHLO attacker.example\r\n")
    e.s(b"250 mx.example.net\r\n")
    e.c(b"MAIL FROM:<" + b"C" * (mb * 1024 * 1024))
    e.close()
    attackers.append({"client": [ipstr(e.cip), e.cport], "side": "client",
                      "bytes": list(e.bytes)})
    nm.step()
    # c: lines of bare CR and of NUL bytes, without LF.
    c = attack_conn(w, rnd, ip4("203.0.113.3"), 40003)
    c.handshake()
    c.s(b"220 mx.example.net ESMTP\r\n")
    for i in range(mb * 512 * 1024 // MSS):
        c.c((b"\r" if i % 2 else b"\0") * MSS)
    c.c(b"\r\nQUIT\r\n")
    c.s(b"221 bye\r\n")
    c.close()
    attackers.append({"client": [ipstr(c.cip), c.cport], "side": "client",
                      "commands": {"QUIT": 1}, "bytes": list(c.bytes)})
    nm.finish()
    nm.pair()
    w.close()
    return finish_case(d, "long_lines", ["long_lines.pcap"], nm, {"mb": mb, "conns": attackers},
                       [{"name": "long_lines", "args": []}])


def case_ehlo_huge(d, scale, rnd):
    mb = 100
    path = os.path.join(d, "ehlo_huge.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    nm.pair()
    nm.start_during()
    a = attack_conn(w, rnd, ip4("203.0.113.10"), 40010)
    a.handshake()
    a.s(b"220 mx.example.net ESMTP\r\n")
    a.c(b"EHLO attacker.example\r\n")
    a.s(b"250-mx.example.net greets attacker.example\r\n")
    # 250- continuation lines of ~1000 bytes each, mb MB in all, sent in
    # full-size segments that cut lines anywhere.
    line_fill = b"X" * 986
    block = b"".join(b"250-CAP%06d " % i + line_fill + b"\r\n" for i in range(64))
    total = mb * 1024 * 1024
    sent = 0
    pending = b""
    i = 0
    while sent < total:
        pending += block
        while len(pending) >= MSS:
            a.s(pending[:MSS])
            pending = pending[MSS:]
        sent += len(block)
        i += 1
        if i % 256 == 0:
            nm.step()
    a.s(pending + b"250 SIZE 10240000\r\n")
    a.c(b"MAIL FROM:<x@attacker.example>\r\n")
    a.s(b"250 ok\r\n")
    a.c(b"RCPT TO:<y@example.net>\r\n")
    a.s(b"250 ok\r\n")
    a.c(b"DATA\r\n")
    a.s(b"354 go ahead\r\n")
    a.c(b"Subject: x\r\n\r\nhello\r\n.\r\n")
    a.s(b"250 queued\r\n")
    a.c(b"QUIT\r\n")
    a.s(b"221 bye\r\n")
    a.close()
    nm.finish()
    nm.pair()
    w.close()
    return finish_case(d, "ehlo_huge", ["ehlo_huge.pcap"], nm, {
        "mb": mb, "client": [ipstr(a.cip), a.cport], "bytes": list(a.bytes)},
        [{"name": "ehlo_huge", "args": []}])


def starttls_prefix(conn):
    conn.handshake()
    conn.s(b"220 mx.example.net ESMTP\r\n")
    conn.c(b"EHLO attacker.example\r\n")
    conn.s(b"250-mx.example.net\r\n250 STARTTLS\r\n")
    conn.c(b"STARTTLS\r\n")
    conn.s(b"220 go ahead\r\n")


def case_tls_oversize(d, scale, rnd):
    big = True
    path = os.path.join(d, "tls_oversize.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    nm.pair()
    nm.start_during()
    conns = []

    def new(port, what):
        c = attack_conn(w, rnd, ip4("203.0.113.20"), port)
        starttls_prefix(c)
        conns.append({"client": [ipstr(c.cip), c.cport], "what": what})
        return c

    # a: first record claims 65535 bytes (> 2^14+2048) and carries them.
    c = new(40020, "first record of 65535 bytes")
    c.c(struct.pack(">BHH", 22, 0x0301, 0xFFFF) + rnd.randbytes(0xFFFF))
    c.s(b"\x15\x03\x03\x00\x02\x02\x32")
    c.close()
    nm.step()
    # b: first record just above the limit, 2^14 + 2049 bytes.
    c = new(40021, "first record of 2^14+2049 bytes")
    c.c(struct.pack(">BHH", 22, 0x0303, 16384 + 2049) + rnd.randbytes(16384 + 2049))
    c.close()
    nm.step()
    # c: a valid ClientHello, then the server's records just above the limit
    # (oversize but still read), then one of 65535 (beyond any TLS record).
    c = new(40022, "oversize records after valid ones")
    c.c(tls_record(22, client_hello(rnd), 0x0301))
    c.s(tls_record(22, server_hello12(rnd)))
    for n in (16384 + 2049, 16384 + 2100, 16384 + 4096):
        c.s(tls_record(22, hs(11, rnd.randbytes(n - 4))))
    c.s(struct.pack(">BHH", 23, 0x0303, 0xFFFF) + rnd.randbytes(0xFFFF))
    c.close()
    nm.step()
    # d: a ClientHello whose handshake header claims 2^24 - 1 bytes, followed
    # by full-size records that keep "continuing" it.
    c = new(40023, "ClientHello claiming 2^24-1 bytes")
    body = hs(1, rnd.randbytes(16380), claimed=0xFFFFFF)
    c.c(tls_record(22, body, 0x0301))
    for i in range(64 if big else 16):
        c.c(tls_record(22, rnd.randbytes(16384), 0x0301))
        if i % 8 == 0:
            nm.step()
    c.close()
    # e: records claiming the maximum length, with nothing behind them (the
    # connection resets): the reassembler is asked to wait for 64 KiB.
    c = new(40024, "record header claiming 65535 bytes, then a reset")
    c.c(struct.pack(">BHH", 22, 0x0301, 0xFFFF) + b"\x01\xff\xff\xff")
    c.s(struct.pack(">BHH", 22, 0x0303, 0xFFFF))
    c._c(RST | ACK)
    nm.step()
    # f: many connections each parked on a half-received maximal record, so
    # their pending tails add up (64 KiB each).
    for k in range(200 if big else 50):
        c = attack_conn(w, rnd, ip4("203.0.113.21"), 41000 + k)
        starttls_prefix(c)
        c.c(tls_record(22, client_hello(rnd), 0x0301))
        c.s(tls_record(22, server_hello12(rnd)) + struct.pack(">BHH", 22, 0x0303, 18000) +
            hs(11, rnd.randbytes(16000), claimed=17996))
    conns.append({"client": ["203.0.113.21", 41000], "what": "parked half records", "count":
                  200 if big else 50})
    nm.finish()
    nm.pair()
    w.close()
    return finish_case(d, "tls_oversize", ["tls_oversize.pcap"], nm, {"conns": conns},
                       [{"name": "tls_oversize", "args": []},
                        {"name": "tls_oversize/max-reassembly",
                         "args": ["--max-reassembly", "1M"], "max_total": 1 << 20}])


def tls12_tail(c, rnd):
    """ServerHelloDone, then both Finished: the TLS 1.2 handshake completes."""
    c.s(tls_record(22, hs(14, b"")))
    c.c(tls_record(22, hs(16, vec8(rnd.randbytes(32)))) + tls_record(20, b"\x01") +
        tls_record(22, rnd.randbytes(40)))
    c.s(tls_record(20, b"\x01") + tls_record(22, rnd.randbytes(40)))
    c.c(tls_record(23, rnd.randbytes(300)))
    c.s(tls_record(23, rnd.randbytes(200)))


def case_certs(d, scale, rnd):
    big = True
    path = os.path.join(d, "certs.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    nm.pair()
    nm.start_during()
    conns = []

    def new(port, what, **kw):
        c = attack_conn(w, rnd, ip4("203.0.113.30"), port)
        starttls_prefix(c)
        c.c(tls_record(22, client_hello(rnd), 0x0301))
        c.s(tls_record(22, server_hello12(rnd)))
        conns.append(dict({"client": [ipstr(c.cip), c.cport], "what": what}, **kw))
        return c

    # a: one certificate with 5000 extensions (~95 KB, under the 128 KiB
    # handshake limit: it is parsed), then the handshake completes.
    cert = der_cert(rnd, 5000)
    c = new(40030, "certificate with 5000 extensions", cert_bytes=len(cert), server_certs=1,
            established=True)
    c.s(tls_records(22, hs(11, vec24(vec24(cert)))))
    tls12_tail(c, rnd)
    c.close()
    nm.step()
    # b: 50 000 extensions (~1 MB): over the handshake limit, skipped.
    cert = der_cert(rnd, 50000)
    c = new(40031, "certificate with 50000 extensions", cert_bytes=len(cert), skipped=True,
            established=True)
    c.s(tls_records(22, hs(11, vec24(vec24(cert)))))
    tls12_tail(c, rnd)
    c.close()
    nm.step()
    # c: a Certificate message claiming 16 MiB - 1, followed by 2 MB (or
    # 512 KB) of records continuing it, then a reset.
    c = new(40032, "Certificate message claiming 2^24-1 bytes", skipped=True)
    first = hs(11, vec24(vec24(rnd.randbytes(16000))), claimed=0xFFFFFF)
    c.s(tls_record(22, first))
    for i in range(128 if big else 32):
        c.s(tls_record(22, rnd.randbytes(16384)))
        if i % 16 == 0:
            nm.step()
    c._s(RST | ACK)
    # d: 8000 tiny certificates in one message (a chain no one sends).
    tiny = der_seq(der_int(1))
    c = new(40033, "8000 certificates in one chain", established=True)
    c.s(tls_records(22, hs(11, vec24(b"".join(vec24(tiny) for _ in range(8000))))))
    tls12_tail(c, rnd)
    c.close()
    nm.step()
    # e: certificate lengths that lie: inner length beyond the message.
    c = new(40034, "certificate length beyond the message", established=True)
    c.s(tls_record(22, hs(11, vec24(b"\xff\xff\xf0" + rnd.randbytes(100)))))
    tls12_tail(c, rnd)
    c.close()
    nm.finish()
    nm.pair()
    w.close()
    return finish_case(d, "certs", ["certs.pcap"], nm, {"conns": conns},
                       [{"name": "certs", "args": []}])


def case_overlaps(d, scale, rnd):
    n_segs = 20000
    path = os.path.join(d, "overlaps.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    nm.pair()
    nm.start_during()
    conns = []
    # a: the MAIL command sent twice over the same sequence range with other
    # bytes (same length); the first copy wins.
    a = attack_conn(w, rnd, ip4("203.0.113.40"), 40040)
    a.handshake()
    a.s(b"220 mx.example.net ESMTP\r\n")
    a.c(b"EHLO attacker.example\r\n")
    a.s(b"250-mx.example.net\r\n250 PIPELINING\r\n")
    first = b"MAIL FROM:<a@example.org>\r\n"
    second = (b"RSET\r\nVRFY " + b"r" * 40)[:len(first) - 2] + b"\r\n"
    assert len(first) == len(second)
    a._c(PSH | ACK, first)
    a._c(PSH | ACK, second)
    a.cseq = (a.cseq + len(first)) & 0xFFFFFFFF
    # the server's reply, twice, conflicting
    r1, r2 = b"250 2.1.0 Ok\r\n", b"550 5.1.0 No\r\n"
    a._s(PSH | ACK, r1)
    a._s(PSH | ACK, r2)
    a.sseq = (a.sseq + len(r1)) & 0xFFFFFFFF
    a.c(b"QUIT\r\n")
    a.s(b"221 bye\r\n")
    a.close()
    conns.append({"client": [ipstr(a.cip), a.cport], "what": "conflicting MAIL and reply",
                  "commands": {"EHLO": 1, "MAIL": 1, "QUIT": 1}, "last_reply": 221})
    nm.step()
    # a2: the same, but while the copies wait behind a hole: RCPT arrives
    # before MAIL, then a conflicting copy of RCPT, then MAIL fills the hole.
    q = attack_conn(w, rnd, ip4("203.0.113.43"), 40043)
    q.handshake()
    q.s(b"220 mx.example.net ESMTP\r\n")
    q.c(b"EHLO attacker.example\r\n")
    q.s(b"250-mx.example.net\r\n250 PIPELINING\r\n")
    mail, rcpt = b"MAIL FROM:<a@example.org>\r\n", b"RCPT TO:<b@example.net>\r\n"
    fake = (b"VRFY " + b"v" * 40)[:len(rcpt) - 2] + b"\r\n"
    q._c(PSH | ACK, rcpt, seq=q.cseq + len(mail))
    q._c(PSH | ACK, fake, seq=q.cseq + len(mail))
    q._c(PSH | ACK, mail)
    q.cseq = (q.cseq + len(mail) + len(rcpt)) & 0xFFFFFFFF
    q.s(b"250 ok\r\n250 ok\r\n")
    q.c(b"QUIT\r\n")
    q.s(b"221 bye\r\n")
    q.close()
    conns.append({"client": [ipstr(q.cip), q.cport], "what": "conflicting RCPT behind a hole",
                  "commands": {"EHLO": 1, "MAIL": 1, "RCPT": 1, "QUIT": 1},
                  "conflicts": {"client": 1}})
    nm.step()
    # b: a hole at the start of the client's stream, then n_segs segments
    # landing at random places ahead of it, overlapping each other with
    # random bytes; then the hole is filled and the connection ends.
    b = attack_conn(w, rnd, ip4("203.0.113.41"), 40041)
    b.handshake()
    b.s(b"220 mx.example.net ESMTP\r\n")
    base = b.cseq
    window = 200000
    for i in range(n_segs):
        off = 100 + rnd.randrange(window)
        ln = rnd.randrange(1, MSS)
        b._c(PSH | ACK, rnd.randbytes(ln), seq=(base + off) & 0xFFFFFFFF)
        if i % 500 == 0:
            nm.step()
    b._c(PSH | ACK, b"NOOP\r\n" * 16 + b"\r\n" * 2, seq=base)
    b.cseq = (base + window + MSS + 100) & 0xFFFFFFFF
    b.close()
    conns.append({"client": [ipstr(b.cip), b.cport], "what": "random overlapping segments",
                  "segments": n_segs})
    # c: the same 1460-byte range retransmitted 2000 times, each copy different.
    c = attack_conn(w, rnd, ip4("203.0.113.42"), 40042)
    c.handshake()
    c.s(b"220 mx.example.net ESMTP\r\n")
    for i in range(2000):
        c._c(PSH | ACK, bytes(((i + j) & 0x3F) + 0x40 for j in range(MSS)))
    c.cseq = (c.cseq + MSS) & 0xFFFFFFFF
    c.c(b"\r\nQUIT\r\n")
    c.s(b"221 bye\r\n")
    c.close()
    conns.append({"client": [ipstr(c.cip), c.cport], "what": "one range sent 2000 times",
                  "commands": {"OTHER": 1, "QUIT": 1}})
    nm.finish()
    nm.pair()
    w.close()
    return finish_case(d, "overlaps", ["overlaps.pcap"], nm, {"conns": conns},
                       [{"name": "overlaps", "args": []},
                        {"name": "overlaps/max-buffer", "args": ["--max-buffer", "64k"],
                         "max_buffer": 65536}])


def case_seq_wrap(d, scale, rnd):
    path = os.path.join(d, "seq_wrap.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    nm.pair()
    conns = []
    # Connections whose sequence numbers wrap around 2^32 part-way through;
    # they are normal connections (exact expectations) with chosen ISNs.
    for k, (cisn, sisn, kind) in enumerate([
            (0xFFFFFF80, 0xFFFFFFC0, "plain"),      # wraps in the dialogue
            (0xFFFFFFFF, 0xFFFFFFFE, "plain"),      # wraps on the SYN itself
            (0xFFFFFF00, 0xFFFFFF00, "starttls"),   # wraps inside the TLS handshake
            (0x7FFFFFF0, 0xFFFFFFF0, "starttls")]):
        conn = Conn(w, ip4("192.0.2.%d" % (100 + k)), 45000 + k, cisn=cisn, sisn=sisn)
        exp = {"kind": kind + "/wrap"}
        nm.expects.append(exp)
        drain(plain_script(conn, exp) if kind == "plain" else starttls_script(conn, exp, rnd))
    # A large message across the wrap, segments out of order around it.
    conn = Conn(w, ip4("192.0.2.110"), 45010, cisn=0xFFF00000, sisn=0x10)
    conn.handshake()
    conn.s(b"220 mx.example.net ESMTP\r\n")
    conn.c(b"EHLO c\r\n")
    conn.s(b"250 mx\r\n")
    conn.c(b"MAIL FROM:<a@example.org>\r\n")
    conn.s(b"250 ok\r\n")
    conn.c(b"RCPT TO:<b@example.net>\r\n")
    conn.s(b"250 ok\r\n")
    conn.c(b"DATA\r\n")
    conn.s(b"354 go\r\n")
    body = b"".join(b"%07d the quick brown fox jumps over the lazy dog\r\n" % i
                    for i in range(4 * 1024 * 1024 // 56))
    segs = []
    seq = conn.cseq
    for i in range(0, len(body), MSS):
        segs.append((seq, body[i:i + MSS]))
        seq = (seq + len(body[i:i + MSS])) & 0xFFFFFFFF
    # swap neighbours pairwise (out of order everywhere, also across 2^32)
    for i in range(0, len(segs) - 1, 2):
        segs[i], segs[i + 1] = segs[i + 1], segs[i]
    for s, data in segs:
        conn._c(PSH | ACK, data, seq=s)
    conn.cseq = seq
    conn.c(b".\r\n")
    conn.s(b"250 queued\r\n")
    conn.c(b"QUIT\r\n")
    conn.s(b"221 bye\r\n")
    conn.close()
    exp = dict(conn.key(), kind="bigmessage/wrap", encryption="plaintext", bytes=list(conn.bytes),
               packets=list(conn.packets), messages=1, message_bytes=len(body))
    nm.expects.append(exp)
    nm.pair()
    w.close()
    return finish_case(d, "seq_wrap", ["seq_wrap.pcap"], nm, {"conns": conns},
                       [{"name": "seq_wrap", "args": []}])


def case_ts_backwards(d, scale, rnd):
    path = os.path.join(d, "ts_backwards.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    nm.pair()
    nm.start_during()
    for _ in range(8):
        nm.step()
    # The clock jumps back three hours in the middle of the "during" pair ...
    w.now -= 3 * 3600 * 1000000
    nm.pair()
    for _ in range(4):
        nm.step()
    # ... and then, for 2000 packets of a noise connection, every other
    # packet is stamped a day earlier.
    noise = attack_conn(w, rnd, ip4("203.0.113.50"), 40050)
    noise.handshake()
    noise.s(b"220 mx.example.net ESMTP\r\n")
    for i in range(2000):
        if i % 2:
            w.now -= 86400 * 1000000
            noise.c(b"NOOP\r\n")
            w.now += 86400 * 1000000
        else:
            noise.s(b"250 ok\r\n")
    noise.close()
    nm.finish()
    nm.pair()
    w.close()
    return finish_case(d, "ts_backwards", ["ts_backwards.pcap"], nm,
                       {"jumps_at_least": 1001},
                       [{"name": "ts_backwards", "args": []}])


def case_bad_files(d, scale, rnd):
    files = []
    runs = []
    normals = []
    # a: truncated: the last record is cut in the middle of its data.
    path = os.path.join(d, "truncated.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    nm.pair()
    nm.pair()
    tail = attack_conn(w, rnd, ip4("203.0.113.60"), 40060)
    tail.handshake()
    tail.s(b"220 mx.example.net ESMTP\r\n" + b"X" * 1000)
    w.close()
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 600)
    runs.append({"name": "truncated", "files": ["truncated.pcap"], "args": [], "exit": 1,
                 "normals": nm.expects})
    # b: the header's snap length (96) is smaller than the packets.
    path = os.path.join(d, "snaplen.pcap")
    w = Writer(path, snaplen=96)
    nm = Normals(w, rnd, first_port=51000)
    nm.pair()
    nm.pair()
    w.close()
    runs.append({"name": "snaplen", "files": ["snaplen.pcap"], "args": [], "exit": 0,
                 "normals": nm.expects, "snaplen": 96})
    # c: a record whose captured length is absurd (2^31).
    path = os.path.join(d, "giant_record.pcap")
    w = Writer(path)
    nm = Normals(w, rnd, first_port=52000)
    nm.pair()
    w.raw(struct.pack(">IIII", w.now // 1000000, 0, 0x80000000, 0x80000000) + b"\0" * 64)
    w.close()
    runs.append({"name": "giant_record", "files": ["giant_record.pcap"], "args": [], "exit": 1,
                 "normals": nm.expects})
    # d: pcapng with unknown block types between the packets (and a 1 MB one).
    path = os.path.join(d, "unknown_blocks.pcapng")
    w = Writer(path, fmt="pcapng")
    w.every = 3
    nm = Normals(w, rnd, first_port=53000)
    nm.pair()
    w.unknown_block(size=1 << 20)
    nm.start_during()
    for _ in range(6):
        nm.step()
    w.unknown_block(size=64 * 1024)
    nm.finish()
    nm.pair()
    w.close()
    runs.append({"name": "unknown_blocks", "files": ["unknown_blocks.pcapng"], "args": [],
                 "exit": 0, "normals": nm.expects, "unknown_blocks": w.unknown_blocks})
    for r in runs:
        files += r["files"]
    man = {"case": "bad_files", "files": files, "normals": normals, "attack": {}, "runs": runs}
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)
    return man


def dns_malformed(kind, i):
    """One malformed response of each kind the DNS dissector must refuse."""
    if kind == "pointer_loop":  # the answer's name points at itself
        m = dns_response(i & 0xFFFF, "loop.example", 1, [])
        m = m[:6] + b"\0\1" + m[8:]
        return m + struct.pack(">H", 0xC000 | len(m)) + struct.pack(">HHIH", 1, 1, 60, 4) + b"\0" * 4
    if kind == "trunc":  # an RDLENGTH past the end, or 65 535 answers claimed
        if i % 2:
            return dns_response(i & 0xFFFF, "short.example", 1, [], counts=(1, 65535, 0, 0))
        m = dns_response(i & 0xFFFF, "long.example", 1, [(b"\xc0\x0c", 1, 60, b"\1\2\3\4")])
        return m[:-6] + b"\xff\xff" + m[-4:]
    if kind == "name_too_long":  # five labels of 63 bytes: 321 bytes on the wire
        name = ".".join(["x" * 63] * 5)
        return dns_response(i & 0xFFFF, name, 1, [])
    raise ValueError(kind)


def case_dns_flood(d, scale, rnd):
    """DNS answers by the million: distinct names the view must keep under
    its cap, malformed messages of every kind, and a DNS-over-TCP connection
    whose messages straddle segments. The same size at both scales."""
    n = 1000000
    per_msg = 10
    path = os.path.join(d, "dns_flood.pcap")
    w = Writer(path)
    nm = Normals(w, rnd)
    resolver, client = ip4("198.51.100.53"), ip4("203.0.113.53")
    kinds = ("pointer_loop", "trunc", "name_too_long")
    bad = {k: 0 for k in kinds}
    tcp = {"messages": 0}

    def unit(i):
        answers = []
        for j in range(per_msg):
            k = i * per_msg + j
            answers.append((dns_name("h%d.flood.example" % k), 1, 86400,
                            bytes((10, (k >> 16) & 255, (k >> 8) & 255, k & 255))))
        w.udp(resolver, client, 53, 1024 + (i & 0x7FFF),
              dns_response(i & 0xFFFF, "flood.example", 1, answers))
        if i % 100 == 50:
            kind = kinds[(i // 100) % 3]
            bad[kind] += 1
            w.udp(resolver, client, 53, 1024 + (i & 0x7FFF), dns_malformed(kind, i))
        if i == n // per_msg // 3:
            # DNS over TCP: ten TLSA answers in one stream, cut every 7 bytes
            conn = Conn(w, client, 40053, sip=resolver, sport=53, cisn=rnd.getrandbits(32),
                        sisn=rnd.getrandbits(32))
            conn.handshake()
            stream = b""
            for q in range(10):
                data = bytes(rnd.getrandbits(8) for _ in range(32))
                m = dns_response(q, "_25._tcp.mx%d.flood.example" % q, 52,
                                 [(b"\xc0\x0c", 52, 3600, b"\3\1\1" + data)], flags=0x81A0)
                stream += struct.pack(">H", len(m)) + m
                tcp["messages"] += 1
            conn.s(stream, mss=7)
            conn.close()

    mixed(w, nm, n // per_msg, unit, 20)
    w.close()
    return finish_case(d, "dns_flood", ["dns_flood.pcap"], nm,
                       {"answers": n, "messages": n // per_msg + tcp["messages"],
                        "malformed": bad, "tcp_messages": tcp["messages"]}, [
        {"name": "dns_flood", "args": [], "dns_cap": 64 << 20},
        {"name": "dns_flood/max-dns-memory", "args": ["--max-dns-memory", "4M"],
         "dns_cap": 4 << 20},
    ])


CASES = {
    "syn_flood": case_syn_flood,
    "tiny_conns": case_tiny_conns,
    "long_lines": case_long_lines,
    "ehlo_huge": case_ehlo_huge,
    "tls_oversize": case_tls_oversize,
    "certs": case_certs,
    "overlaps": case_overlaps,
    "seq_wrap": case_seq_wrap,
    "ts_backwards": case_ts_backwards,
    "bad_files": case_bad_files,
    "dns_flood": case_dns_flood,
}


def make(workdir, name, scale, seed=20240501):
    d = os.path.join(workdir, name)
    os.makedirs(d, exist_ok=True)
    rnd = random.Random("%s/%d" % (name, seed))
    return CASES[name](d, scale, rnd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workdir")
    ap.add_argument("--scale", choices=("full", "small"), default="full")
    ap.add_argument("--case", action="append", choices=sorted(CASES))
    ap.add_argument("--seed", type=int, default=20240501)
    a = ap.parse_args()
    for name in a.case or CASES:
        t0 = time.monotonic()
        man = make(a.workdir, name, a.scale, a.seed)
        size = sum(os.path.getsize(os.path.join(a.workdir, name, f)) for f in man["files"])
        print("%-14s %8.1f MB  %5.1f s" % (name, size / 1e6, time.monotonic() - t0),
              file=sys.stderr)


if __name__ == "__main__":
    main()
