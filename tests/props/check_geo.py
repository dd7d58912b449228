#!/usr/bin/env python3
"""GeoIP, AS and direction grouping with databases of known answers
(shared/mmdb-test, MaxMind's test databases): a capture built here holds one
SMTP connection to each of a few servers whose country and AS the databases
know; the snapshot's by_country, by_as and by_direction must say so."""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from pcaputil import write_pcap  # noqa: E402

# server -> (country in GeoIP2-Country-Test, AS in GeoLite2-ASN-Test)
SERVERS = {
    "81.2.69.160": ("GB", None),
    "1.128.0.1": (None, "AS1221 Telstra Pty Ltd"),
    "12.81.92.1": (None, "AS7018 AT&T Services"),
}
CLIENT = "192.0.2.10"


def ip(a):
    return bytes(int(x) for x in a.split("."))


def frame(src, dst, sport, dport, seq, ack, flags, data=b""):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    iph = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, ip(src), ip(dst))
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + iph + tcp


# pcaps/pq-tls13.pcap's servers moved to addresses the test databases know;
# per server, from the capture's truth file: (TLS 1.3 connections, of them
# offering a post-quantum group, of them negotiating one).
PQ_MOVE = {
    "198.51.100.60": ("81.2.69.160", (1, 1, 1)),  # Node: X25519MLKEM768
    "198.51.100.61": ("1.128.0.1", (1, 1, 0)),     # Postfix/OpenSSL 3.0: x25519 chosen
    "198.51.100.63": ("12.81.92.1", (1, 1, 1)),    # HelloRetryRequest to X25519MLKEM768
}


def check_pq(binary, mm, work):
    """The post-quantum counters by country and AS, on real PQ handshakes
    whose server addresses are rewritten in place (the decoder does not
    check checksums)."""
    src = os.path.join(os.path.dirname(__file__), "..", "..", "pcaps", "pq-tls13.pcap")
    with open(src, "rb") as f:
        data = f.read()
    for old, (new, _) in PQ_MOVE.items():
        data = data.replace(ip(old), ip(new))
    cap = os.path.join(work, "pq-geo.pcap")
    with open(cap, "wb") as f:
        f.write(data)
    p = subprocess.run([binary, "analyze", "-q", "--stats", "-",
                        "--geoip", os.path.join(mm, "GeoIP2-Country-Test.mmdb"),
                        "--asn", os.path.join(mm, "GeoLite2-ASN-Test.mmdb"), cap],
                       capture_output=True, text=True)
    if p.returncode != 0 or p.stderr:
        return [f"pq: analyze exit {p.returncode}: {p.stderr}"]
    s = json.loads(p.stdout)
    names = ("tls13", "tls13_pq_offered", "tls13_pq_negotiated")
    got = {}
    for sect, key in (("by_country", "GB"), ("by_as", "AS1221 Telstra Pty Ltd"),
                      ("by_as", "AS7018 AT&T Services")):
        v = s[sect]["keys"].get(key, {})
        got[key] = tuple(v.get(n) for n in names)
    want = {"GB": PQ_MOVE["198.51.100.60"][1], "AS1221 Telstra Pty Ltd": PQ_MOVE["198.51.100.61"][1],
            "AS7018 AT&T Services": PQ_MOVE["198.51.100.63"][1]}
    return [] if got == want else [f"pq by country/AS {got}, want {want}"]


def main():
    binary, shared = sys.argv[1], sys.argv[2]
    mm = os.path.join(shared, "mmdb-test")
    recs, t = [], 1700000000
    for n, srv in enumerate(SERVERS):
        port = 40000 + n
        pk = [frame(CLIENT, srv, port, 25, 100, 0, 0x02),
              frame(srv, CLIENT, 25, port, 500, 101, 0x12),
              frame(CLIENT, srv, port, 25, 101, 501, 0x10),
              frame(srv, CLIENT, 25, port, 501, 101, 0x18, b"220 mx ESMTP\r\n"),
              frame(CLIENT, srv, port, 25, 101, 515, 0x18, b"QUIT\r\n"),
              frame(srv, CLIENT, 25, port, 515, 107, 0x18, b"221 bye\r\n")]
        for p in pk:
            recs.append((t, 0, len(p), p))
            t += 1
    work = tempfile.mkdtemp(prefix="smtptls-geo-")
    cap = os.path.join(work, "geo.pcap")
    write_pcap(cap, struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1), "<", recs)
    p = subprocess.run([binary, "analyze", "-q", "--stats", "-",
                        "--geoip", os.path.join(mm, "GeoIP2-Country-Test.mmdb"),
                        "--asn", os.path.join(mm, "GeoLite2-ASN-Test.mmdb"),
                        "--local-net", "192.0.2.0/24", cap], capture_output=True, text=True)
    if p.returncode != 0 or p.stderr:
        print("FAIL", p.returncode, p.stderr)
        print("0 passed, 1 failed")
        return 1
    s = json.loads(p.stdout)
    failures = []
    countries = {k: v["connections"] for k, v in s["by_country"]["keys"].items()}
    asns = {k: v["connections"] for k, v in s["by_as"]["keys"].items()}
    want_c = {"GB": 1, "unknown": 2}
    want_a = {"AS1221 Telstra Pty Ltd": 1, "AS7018 AT&T Services": 1, "unknown": 1}
    if countries != want_c:
        failures.append(f"by_country {countries}, want {want_c}")
    if asns != want_a:
        failures.append(f"by_as {asns}, want {want_a}")
    dirs = {k: v["connections"] for k, v in s["by_direction"]["keys"].items()}
    if dirs != {"outbound": 3}:
        failures.append(f"by_direction {dirs}, want outbound 3 (client in --local-net)")
    # the country database the set-up installs by default (CC0): addresses
    # whose registry country is stable
    default_db = "/usr/local/share/smtptls/country.mmdb"
    if not os.path.exists(default_db):
        failures.append(f"{default_db} missing (sh setup.sh installs it)")
    else:
        known = {"8.8.8.8": "US", "193.0.6.139": "NL"}
        recs, t = [], 1700000000
        for n, srv in enumerate(known):
            for pk in (frame(CLIENT, srv, 41000 + n, 25, 100, 0, 0x02),
                       frame(srv, CLIENT, 25, 41000 + n, 500, 101, 0x12),
                       frame(srv, CLIENT, 25, 41000 + n, 501, 101, 0x18, b"220 mx ESMTP\r\n")):
                recs.append((t, 0, len(pk), pk))
                t += 1
        cap2 = os.path.join(work, "geo2.pcap")
        write_pcap(cap2, struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1), "<", recs)
        p = subprocess.run([binary, "analyze", "-q", "--stats", "-", cap2], capture_output=True, text=True)
        got = {k: v["connections"] for k, v in json.loads(p.stdout)["by_country"]["keys"].items()}
        if got != {"US": 1, "NL": 1}:
            failures.append(f"default database: by_country {got}, want US 1, NL 1")
    failures += check_pq(binary, mm, work)
    for f in failures:
        print("FAIL", f)
    print(f"{5 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
