"""Building blocks of the adversarial captures (make_adversarial.py): the
capture writers, TCP connections with their own sequence numbers, TLS
records and handshake messages, DER certificates, the SMTP and STARTTLS
scripts of the normal connections, and the mixing of normal connections
with an attack. Standard library only; everything is deterministic for a
given random.Random.
"""
import json
import os
import random
import struct

BASE_TS = 1700000000  # 2023-11-14T22:13:20Z
MSS = 1460

SERVER = bytes((198, 51, 100, 25))  # the mail server of every normal connection
ETH = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10

# pcap record header + Ethernet + IPv4 + TCP, all big-endian (the file's magic
# is written big-endian too, so one pack builds a whole frame header).
HDR = struct.Struct(">IIII14sBBHHHBBH4s4sHHIIBBHHH")
HDR_LEN = HDR.size - 16  # frame bytes before the payload
FRAME = struct.Struct(">14sBBHHHBBH4s4sHHIIBBHHH")
# pcap record header + Ethernet + IPv4 + UDP
UDP_HDR = struct.Struct(">IIII14sBBHHHBBH4s4sHHHH")


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ipstr(b):
    return ".".join(str(x) for x in b)


# --------------------------------------------------------------------------
# capture writers


class Writer:
    """A capture file written packet by packet, with its own capture clock
    (self.now, microseconds). Classic pcap (big-endian) or pcapng."""

    def __init__(self, path, fmt="pcap", snaplen=262144, now=BASE_TS * 1000000):
        self.path = path
        self.fmt = fmt
        self.f = open(path, "wb", buffering=1 << 22)
        self.now = now
        self.packets = 0
        self.every = 0  # pcapng: an unknown block after every `every` packets
        self.unknown_blocks = 0
        if fmt == "pcap":
            self.f.write(struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        else:
            self._pcapng_header(snaplen)

    def tick(self, us):
        self.now += us

    def pkt(self, src, dst, sport, dport, seq, ack, flags, payload=b""):
        n = HDR_LEN + len(payload)
        t = self.now
        if self.fmt == "pcap":
            self.f.write(HDR.pack(t // 1000000, t % 1000000, n, n, ETH, 0x45, 0, 40 + len(payload),
                                  1, 0x4000, 64, 6, 0, src, dst, sport, dport, seq & 0xFFFFFFFF,
                                  ack & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0))
            if payload:
                self.f.write(payload)
        else:
            frame = FRAME.pack(ETH, 0x45, 0, 40 + len(payload), 1, 0x4000, 64, 6, 0, src, dst,
                               sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags,
                               65535, 0, 0) + payload
            self._epb(t, frame)
        self.packets += 1
        self.now += 10

    def udp(self, src, dst, sport, dport, payload):
        """One UDP datagram over IPv4 (classic pcap only)."""
        n = 14 + 20 + 8 + len(payload)
        t = self.now
        self.f.write(UDP_HDR.pack(t // 1000000, t % 1000000, n, n, ETH, 0x45, 0, 28 + len(payload),
                                  1, 0x4000, 64, 17, 0, src, dst, sport, dport, 8 + len(payload),
                                  0))
        self.f.write(payload)
        self.packets += 1
        self.now += 10

    def raw(self, blob):
        self.f.write(blob)

    # pcapng (little-endian): SHB, IDB, EPBs, and blocks no reader knows.
    def _block(self, btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        self.f.write(struct.pack("<II", btype, n) + body + struct.pack("<I", n))

    def _pcapng_header(self, snaplen):
        self._block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
        self._block(0x00000001, struct.pack("<HHI", 1, 0, snaplen))

    def _epb(self, t, frame):
        self._block(0x00000006, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(frame),
                                            len(frame)) + frame)
        if self.every and (self.packets + 1) % self.every == 0:
            self.unknown_block()

    def unknown_block(self, size=None):
        """A block of a type no reader knows (RFC draft: skip by its length)."""
        k = self.unknown_blocks
        self.unknown_blocks += 1
        types = (0x0BAD0001, 0x0BAD0002, 0x4BAD0003, 0x8BAD0004, 0x00000BAD, 0x00000000)
        btype = types[k % len(types)]
        if btype == 0x00000BAD:  # a Custom Block: private enterprise number first
            body = struct.pack("<I", 32473) + b"custom" * (k % 7)
        else:
            n = size if size is not None else (k * 37) % 300
            body = bytes((i * 7 + k) & 0xFF for i in range(n))
        self._block(btype, body)

    def close(self):
        self.f.close()


# --------------------------------------------------------------------------
# TCP connections


class Conn:
    """One TCP connection: the client's and the server's sequence numbers and
    what each sent; every method writes its packets at the writer's clock."""

    def __init__(self, w, cip, cport, sip=SERVER, sport=25, cisn=1000, sisn=5000):
        self.w = w
        self.cip, self.cport, self.sip, self.sport = cip, cport, sip, sport
        self.cseq, self.sseq = cisn & 0xFFFFFFFF, sisn & 0xFFFFFFFF
        self.bytes = [0, 0]
        self.packets = [0, 0]

    def _c(self, flags, payload=b"", seq=None):
        self.w.pkt(self.cip, self.sip, self.cport, self.sport,
                   self.cseq if seq is None else seq, self.sseq, flags, payload)
        self.bytes[0] += len(payload)
        self.packets[0] += 1

    def _s(self, flags, payload=b"", seq=None):
        self.w.pkt(self.sip, self.cip, self.sport, self.cport,
                   self.sseq if seq is None else seq, self.cseq, flags, payload)
        self.bytes[1] += len(payload)
        self.packets[1] += 1

    def handshake(self):
        self._c(SYN)
        self.cseq = (self.cseq + 1) & 0xFFFFFFFF
        self._s(SYN | ACK)
        self.sseq = (self.sseq + 1) & 0xFFFFFFFF
        self._c(ACK)

    def c(self, data, mss=MSS):
        for i in range(0, len(data), mss):
            seg = data[i:i + mss]
            self._c(PSH | ACK, seg)
            self.cseq = (self.cseq + len(seg)) & 0xFFFFFFFF

    def s(self, data, mss=MSS):
        for i in range(0, len(data), mss):
            seg = data[i:i + mss]
            self._s(PSH | ACK, seg)
            self.sseq = (self.sseq + len(seg)) & 0xFFFFFFFF

    def close(self):
        """Client FIN, server FIN, client's last ACK: the record is due at once."""
        self._c(FIN | ACK)
        self.cseq = (self.cseq + 1) & 0xFFFFFFFF
        self._s(FIN | ACK)
        self.sseq = (self.sseq + 1) & 0xFFFFFFFF
        self._c(ACK)

    def key(self):
        return {"client": [ipstr(self.cip), self.cport], "server": [ipstr(self.sip), self.sport]}


# --------------------------------------------------------------------------
# TLS and DER builders


def tls_record(ctype, body, version=0x0303):
    return struct.pack(">BHH", ctype, version, len(body)) + body


def tls_records(ctype, data, maxlen=16384, version=0x0303):
    return b"".join(tls_record(ctype, data[i:i + maxlen], version)
                    for i in range(0, len(data), maxlen))


def hs(mtype, body, claimed=None):
    n = len(body) if claimed is None else claimed
    return struct.pack(">B", mtype) + n.to_bytes(3, "big") + body


def ext(etype, body):
    return struct.pack(">HH", etype, len(body)) + body


def vec8(b):
    return struct.pack(">B", len(b)) + b


def vec16(b):
    return struct.pack(">H", len(b)) + b


def vec24(b):
    return len(b).to_bytes(3, "big") + b


def client_hello(rnd, sni="mx.example.net"):
    name = sni.encode()
    exts = (ext(0, vec16(b"\0" + vec16(name))) +
            ext(10, vec16(struct.pack(">HH", 0x001D, 0x0017))) +
            ext(11, vec8(b"\0")) +
            ext(13, vec16(struct.pack(">HHH", 0x0403, 0x0804, 0x0401))) +
            ext(43, vec8(struct.pack(">HH", 0x0304, 0x0303))) +
            ext(51, vec16(struct.pack(">HH", 0x001D, 32) + rnd.randbytes(32))))
    body = (struct.pack(">H", 0x0303) + rnd.randbytes(32) + vec8(rnd.randbytes(32)) +
            vec16(struct.pack(">HHH", 0x1301, 0x1302, 0xC02F)) + vec8(b"\0") + vec16(exts))
    return hs(1, body)


def server_hello13(rnd):
    exts = (ext(43, struct.pack(">H", 0x0304)) +
            ext(51, struct.pack(">HH", 0x001D, 32) + rnd.randbytes(32)))
    body = (struct.pack(">H", 0x0303) + rnd.randbytes(32) + vec8(rnd.randbytes(32)) +
            struct.pack(">HB", 0x1301, 0) + vec16(exts))
    return hs(2, body)


def server_hello12(rnd):
    body = (struct.pack(">H", 0x0303) + rnd.randbytes(32) + vec8(b"") +
            struct.pack(">HB", 0xC02F, 0) + vec16(ext(0xFF01, b"\0")))
    return hs(2, body)


def der_len(n):
    if n < 0x80:
        return bytes((n,))
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(b),)) + b


def tlv(tag, content):
    return bytes((tag,)) + der_len(len(content)) + content


def der_seq(*items):
    return tlv(0x30, b"".join(items))


def der_int(v):
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big", signed=False))


def der_oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for a in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def der_name(cn):
    return der_seq(tlv(0x31, der_seq(der_oid("2.5.4.3"), tlv(0x0C, cn.encode()))))


def der_cert(rnd, n_ext, cn="mx.example.net"):
    """A syntactically valid X.509 v3 certificate (DER) with n_ext extensions
    beyond subjectAltName and basicConstraints; the signature is random."""
    sha256rsa = der_seq(der_oid("1.2.840.113549.1.1.11"), tlv(0x05, b""))
    modulus = int.from_bytes(b"\xC5" + rnd.randbytes(255), "big") | 1
    spki = der_seq(der_seq(der_oid("1.2.840.113549.1.1.1"), tlv(0x05, b"")),
                   tlv(0x03, b"\0" + der_seq(der_int(modulus), der_int(65537))))
    exts = [der_seq(der_oid("2.5.29.17"), tlv(0x04, der_seq(tlv(0x82, cn.encode())))),
            der_seq(der_oid("2.5.29.19"), tlv(0x04, der_seq()))]
    # Private extensions under the documentation enterprise number 32473.
    exts += [der_seq(der_oid("1.3.6.1.4.1.32473.1.%d" % i), tlv(0x04, tlv(0x05, b"")))
             for i in range(n_ext)]
    tbs = der_seq(tlv(0xA0, der_int(2)), der_int(0x1234567), sha256rsa, der_name("Adversarial CA"),
                  der_seq(tlv(0x17, b"230101000000Z"), tlv(0x17, b"330101000000Z")),
                  der_name(cn), spki, tlv(0xA3, der_seq(*exts)))
    return der_seq(tbs, sha256rsa, tlv(0x03, b"\0" + rnd.randbytes(256)))


# --------------------------------------------------------------------------
# the normal connections


PLAIN_BODY = (b"Subject: quarterly numbers\r\nFrom: a@example.org\r\nTo: b@example.net\r\n\r\n" +
              b"".join(b"line %d of an ordinary message body\r\n" % i for i in range(40)))


def plain_script(conn, expect):
    """A complete plain-text delivery; a generator that yields after each step."""
    conn.handshake()
    yield
    conn.s(b"220 mx.example.net ESMTP Postfix\r\n")
    yield
    conn.c(b"EHLO client.example.org\r\n")
    yield
    conn.s(b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
           b"250 8BITMIME\r\n")
    yield
    conn.c(b"MAIL FROM:<a@example.org>\r\n")
    yield
    conn.s(b"250 2.1.0 Ok\r\n")
    yield
    conn.c(b"RCPT TO:<b@example.net>\r\n")
    yield
    conn.s(b"250 2.1.5 Ok\r\n")
    yield
    conn.c(b"DATA\r\n")
    yield
    conn.s(b"354 End data with <CR><LF>.<CR><LF>\r\n")
    yield
    conn.c(PLAIN_BODY + b".\r\n")
    yield "pause"  # a slow server thinks here before its 250
    conn.s(b"250 2.0.0 Ok: queued as 4TQ1Z2\r\n")
    yield
    conn.c(b"QUIT\r\n")
    yield
    conn.s(b"221 2.0.0 Bye\r\n")
    yield
    conn.close()
    expect.update(conn.key(), encryption="plaintext", bytes=list(conn.bytes),
                  packets=list(conn.packets), messages=1, message_bytes=len(PLAIN_BODY))


def starttls_script(conn, expect, rnd, app=(600, 300)):
    """STARTTLS, then a TLS 1.3 handshake the analyzer can follow to its end."""
    conn.handshake()
    yield
    conn.s(b"220 mx.example.net ESMTP Postfix\r\n")
    yield
    conn.c(b"EHLO client.example.org\r\n")
    yield
    conn.s(b"250-mx.example.net\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
    yield
    conn.c(b"STARTTLS\r\n")
    yield
    conn.s(b"220 2.0.0 Ready to start TLS\r\n")
    yield
    yield from tls13_flight(conn, rnd, app)
    conn.close()
    expect.update(conn.key(), encryption="starttls", bytes=list(conn.bytes),
                  packets=list(conn.packets), tls_version="TLSv1.3", established=True)


def tls13_flight(conn, rnd, app=(600, 300)):
    conn.c(tls_record(22, client_hello(rnd), 0x0301))
    yield
    conn.s(tls_record(22, server_hello13(rnd)) + tls_record(20, b"\x01") +
           tls_record(23, rnd.randbytes(900)))
    yield
    conn.c(tls_record(20, b"\x01") + tls_record(23, rnd.randbytes(74)))
    yield
    conn.c(tls_record(23, rnd.randbytes(app[0])))
    yield
    conn.s(tls_record(23, rnd.randbytes(app[1])))
    yield


def drain(*gens):
    for g in gens:
        for _ in g:
            pass


class Normals:
    """Normal connections of a case: started before, during and after the
    attack, each with its expectation filled in when it finishes."""

    def __init__(self, w, rnd, first_port=50000, client_net=(192, 0, 2)):
        self.w, self.rnd = w, rnd
        self.port = first_port
        self.host = 10
        self.net = client_net
        self.expects = []
        self.running = []
        self.slow = None
        self.paused = False

    def new(self, kind):
        cip = bytes(self.net + (self.host,))
        self.host += 1
        conn = Conn(self.w, cip, self.port, cisn=self.rnd.getrandbits(32),
                    sisn=self.rnd.getrandbits(32))
        self.port += 1
        exp = {"kind": kind}
        self.expects.append(exp)
        if kind == "plain":
            return plain_script(conn, exp)
        return starttls_script(conn, exp, self.rnd)

    def pair(self):
        """Runs a plain and a STARTTLS connection to their end, now."""
        drain(self.new("plain"), self.new("starttls"))

    def start_during(self):
        self.running += [self.new("plain"), self.new("starttls")]

    def start_slow(self):
        """A plain delivery that stays idle (see step) after the message."""
        g = self.new("plain")
        self.expects[-1]["kind"] = "plain/slow"
        self.slow = g
        self.running.append(g)

    def step(self, hold_slow=False):
        """Advances every running connection by one step; the slow one does
        not move past its pause while hold_slow is true."""
        live = []
        for g in self.running:
            if hold_slow and g is self.slow and self.paused:
                live.append(g)
                continue
            try:
                if next(g) == "pause" and g is self.slow:
                    self.paused = True
                live.append(g)
            except StopIteration:
                pass
        self.running = live

    def finish(self):
        drain(*self.running)
        self.running = []


def mixed(w, normals, n_units, unit, spacing_us, pause_units=0):
    """A normal pair; n_units attack units with two 'during' pairs (started at
    1/4 and 1/2 of the attack) advanced one step every 100 units; a normal
    pair after. With pause_units, a slow plain connection starts at 1/8 and
    stays idle for pause_units attack units after sending its message (a
    server taking its time to accept it) before it finishes."""
    normals.pair()
    every = max(1, min(n_units // 64, 100))
    starts = (n_units // 4, n_units // 2)
    pause_end = None
    if pause_units:
        normals.start_slow()
    for i in range(n_units):
        if i in starts:
            normals.start_during()
        unit(i)
        w.tick(spacing_us)
        if i % every == every // 2:
            if normals.paused and pause_end is None:
                pause_end = i + pause_units
            normals.step(hold_slow=pause_end is None or i < pause_end)
    normals.finish()
    normals.pair()


def finish_case(d, name, files, normals, attack, runs):
    man = {"case": name, "files": files, "normals": normals.expects, "attack": attack,
           "runs": runs}
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)
    return man


# --------------------------------------------------------------------------
# DNS messages (RFC 1035 §4.1)


def dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_response(qid, qname, qtype, answers, flags=0x8180, counts=None):
    """A response: header, one question, and answers given as (name bytes,
    type, ttl, rdata) with the name already encoded (a pointer or labels).
    counts overrides (qd, an, ns, ar)."""
    qd, an, ns, ar = counts or (1, len(answers), 0, 0)
    msg = struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)
    msg += dns_name(qname) + struct.pack(">HH", qtype, 1)
    for name, rtype, ttl, rdata in answers:
        msg += name + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return msg
