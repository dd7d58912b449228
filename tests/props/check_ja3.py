#!/usr/bin/env python3
"""JA3 and JA3S against tshark: for every TLS connection of the corpus (and
of shared/pcaps-external when present), the fingerprints smtptls reports
must equal tshark's tls.handshake.ja3 / tls.handshake.ja3s for the same
connection (matched by the client's address and port)."""
import glob
import json
import os
import shutil
import subprocess
import sys

DECODE = ["-d", "tcp.port==465,tls"]
SPECIAL = {"certgrep/testdata/sess_smtps.pcapng": ["-d", "tcp.port==587,tls"],
           # TLS after a STARTTLS reply other than 220: tshark stops following SMTP there
           "starttls-tls-anyway.pcap": ["-d", "tcp.port==25,tls"]}


def tshark(path, extra, yfilter, field):
    out = subprocess.run(["tshark", "-n", "-r", path] + DECODE + extra +
                         ["-Y", yfilter, "-T", "fields", "-e", "ip.src", "-e", "ipv6.src",
                          "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
                          "-e", field], capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 7 or not f[6]:
            continue
        src = (f[0] or f[1], int(f[2]))
        dst = (f[3] or f[4], int(f[5]))
        res[(src, dst)] = f[6].split(",")[0]
    return res


def main():
    binary, repo = sys.argv[1], sys.argv[2]
    if not shutil.which("tshark"):
        print("FAIL tshark is not installed (sh setup.sh test installs it)")
        return 1
    files = sorted(glob.glob(os.path.join(repo, "pcaps", "*.pcap")))
    ext = os.path.join(repo, "..", "shared", "pcaps-external")
    if os.path.isdir(ext):
        files += sorted(glob.glob(os.path.join(ext, "**", "*.pcap*"), recursive=True))
    failures, checked = [], 0
    for path in files:
        rel = os.path.relpath(path, ext) if path.startswith(ext) else os.path.basename(path)
        recs = [json.loads(x) for x in subprocess.run(
            [binary, "analyze", "-q", "-s", "-", path], capture_output=True, text=True).stdout.splitlines()]
        tls = [r for r in recs if r.get("tls") and r["tls"].get("ja3")]
        if not tls:
            continue
        extra = SPECIAL.get(rel, [])
        ja3 = tshark(path, extra, "tls.handshake.type==1", "tls.handshake.ja3")
        ja3s = tshark(path, extra, "tls.handshake.type==2", "tls.handshake.ja3s")
        for r in tls:
            c = (r["client"]["ip"], r["client"]["port"])
            s = (r["server"]["ip"], r["server"]["port"])
            want = ja3.get((c, s))
            if want != r["tls"]["ja3"]:
                failures.append(f"{rel} {c}: ja3 smtptls {r['tls']['ja3']}, tshark {want}")
            else:
                checked += 1
            if r["tls"].get("ja3s"):
                want = ja3s.get((s, c))
                if want != r["tls"]["ja3s"]:
                    failures.append(f"{rel} {c}: ja3s smtptls {r['tls']['ja3s']}, tshark {want}")
                else:
                    checked += 1
    for f in failures:
        print("FAIL", f)
    print(f"{checked} fingerprints equal tshark's")
    print(f"{checked} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
