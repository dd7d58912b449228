"""Minimal classic-pcap reading and writing for test generators (stdlib only)."""
import struct


def read_pcap(path):
    """Returns (header_bytes, endian, [(ts_sec, ts_frac, orig_len, data)])."""
    with open(path, "rb") as f:
        blob = f.read()
    magic = blob[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    hdr = blob[:24]
    recs = []
    off = 24
    while off + 16 <= len(blob):
        sec, frac, incl, orig = struct.unpack(e + "IIII", blob[off:off + 16])
        recs.append((sec, frac, orig, blob[off + 16:off + 16 + incl]))
        off += 16 + incl
    return hdr, e, recs


def write_pcap(path, hdr, e, recs):
    with open(path, "wb") as f:
        f.write(hdr)
        for sec, frac, orig, data in recs:
            f.write(struct.pack(e + "IIII", sec, frac, len(data), orig))
            f.write(data)


def tcp_info(data):
    """(direction key, payload length) of an Ethernet/VLAN/IPv4/IPv6 TCP frame,
    or None."""
    off = 12
    etype = struct.unpack(">H", data[off:off + 2])[0]
    off += 2
    while etype in (0x8100, 0x88a8):
        etype = struct.unpack(">H", data[off + 2:off + 4])[0]
        off += 4
    if etype == 0x0800:
        ihl = (data[off] & 15) * 4
        total = struct.unpack(">H", data[off + 2:off + 4])[0]
        if data[off + 9] != 6:
            return None
        src, dst = data[off + 12:off + 16], data[off + 16:off + 20]
        tcp = off + ihl
        tlen = total - ihl
    elif etype == 0x86DD:
        if data[off + 6] != 6:
            return None
        plen = struct.unpack(">H", data[off + 4:off + 6])[0]
        src, dst = data[off + 8:off + 24], data[off + 24:off + 40]
        tcp = off + 40
        tlen = plen
    else:
        return None
    sport, dport = struct.unpack(">HH", data[tcp:tcp + 4])
    doff = (data[tcp + 12] >> 4) * 4
    return (src, sport, dst, dport), tlen - doff
