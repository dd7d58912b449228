#!/usr/bin/python3
"""Zone files of the DNS scenarios, from lib/scenarios.py (ZONES).

usage: dnszones.py write CA_STATE DIR    writes DIR/ZONE.zone for every zone and
                                         prints "ZONE DNSSEC" lines
       dnszones.py corrupt FILE OWNER    corrupts the RRSIG covering the TLSA
                                         RRset of OWNER in a signed zone file
       dnszones.py records CA_STATE      the configured records as JSON
       dnszones.py policy DOMAIN         the MTA-STS policy file of DOMAIN

TLSA association data are computed from the certificates of the run
(CA_STATE/leaves/NAME.pem). Standard library and openssl only.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios as S  # noqa: E402


def selected(pem, selector):
    der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    if selector == 0:
        return der
    pub = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-pubkey"], check=True,
                         capture_output=True).stdout
    return subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, check=True,
                          capture_output=True).stdout


def tlsa_data(ca_state, usage, selector, mtype, source):
    if source == "!nomatch":
        return hashlib.sha256(S.NOMATCH_TEXT).hexdigest()
    raw = selected(os.path.join(ca_state, "leaves", source + ".pem"), selector)
    if mtype == 0:
        return raw.hex()
    return (hashlib.sha256 if mtype == 1 else hashlib.sha512)(raw).hexdigest()


def records(ca_state):
    """zone -> dict(dnssec, mx, addr, tlsa=[(u, s, m, hex)], txt={owner: [text]})"""
    out = {}
    for name, z in S.ZONES.items():
        out[name] = dict(dnssec=z["dnssec"], mx=S.mx_host(name), addr=z["addr"],
                         tlsa=[(u, s, m, tlsa_data(ca_state, u, s, m, src)) for u, s, m, src in z["tlsa"]],
                         extra=z["extra"])
    return out


def zone_text(name, r):
    mx = r["mx"]
    lines = ["$ORIGIN %s." % name, "$TTL %d" % S.DNS_TTL,
             "@ IN SOA ns.%s. hostmaster.%s. 2026010101 3600 900 604800 300" % (name, name),
             "@ IN NS ns.%s." % name,
             "ns IN A %s" % S.DNS_NS,
             "@ IN MX 10 %s." % mx]
    if mx.endswith("." + name):
        lines.append("%s. IN A %s" % (mx, r["addr"]))
        for u, s, m, data in r["tlsa"]:
            lines.append("_25._tcp.%s. IN TLSA %d %d %d %s" % (mx, u, s, m, data))
    for owner, rtype, data in r["extra"]:
        lines.append("%s IN %s %s" % (owner, rtype, data))
    return "\n".join(lines) + "\n"


def corrupt(path, owner):
    """Flips bits in the signature of the RRSIG over OWNER's TLSA RRset."""
    owner = owner.rstrip(".").lower() + "."
    out, done = [], 0
    for line in open(path):
        f = line.split()
        if len(f) > 12 and f[0].lower() == owner and f[3] == "RRSIG" and f[4] == "TLSA":
            sig = bytearray(base64.b64decode("".join(f[12:])))
            sig[len(sig) // 2] ^= 0x5A
            sig[-1] ^= 0x01
            line = "\t".join(f[:12] + [base64.b64encode(bytes(sig)).decode()]) + "\n"
            done += 1
        out.append(line)
    if done != 1:
        sys.exit("dnszones.py: %d RRSIG TLSA lines for %s in %s" % (done, owner, path))
    with open(path, "w") as f:
        f.writelines(out)


def main():
    cmd = sys.argv[1]
    if cmd == "write":
        ca_state, d = sys.argv[2], sys.argv[3]
        for name, r in records(ca_state).items():
            with open(os.path.join(d, name + ".zone"), "w") as f:
                f.write(zone_text(name, r))
            print(name, r["dnssec"])
    elif cmd == "corrupt":
        corrupt(sys.argv[2], sys.argv[3])
    elif cmd == "policy":
        sys.stdout.write(S.STS_POLICIES[sys.argv[2]])
    elif cmd == "records":
        json.dump(records(sys.argv[2]), sys.stdout, indent=1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
