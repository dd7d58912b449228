#!/usr/bin/env python3
"""The default AS database (setup.sh's install_asn, or smtptls-update-geoip):
its pins agree between setup.sh and smtptls-update-geoip; smtptls finds the
AS of real servers in it (pcaps/pq-tls13.pcap with its servers moved to
1.1.1.1, 8.8.8.8 and 9.9.9.9) and the report's AS chart shows them; and the
demo's run (setup.sh demo: analyze pcaps/, the AS database read by default) has its AS section
measured, so the report draws the AS chart.

    check_asn.py SMTPTLS SRCDIR WORKDIR [ASN.mmdb]
Exit 77 when the database is not installed (sh setup.sh demo installs it).
"""
import csv
import json
import os
import re
import subprocess
import sys

BIN, SRC, WORK = sys.argv[1:4]
DB = sys.argv[4] if len(sys.argv) > 4 else "/usr/local/share/smtptls/asn.mmdb"
MOVE = {"198.51.100.60": "1.1.1.1", "198.51.100.61": "8.8.8.8", "198.51.100.63": "9.9.9.9"}
WANT = {"1.1.1.1": "AS13335 ", "8.8.8.8": "AS15169 ", "9.9.9.9": "AS19281 "}


def ip(a):
    return bytes(int(x) for x in a.split("."))


def run(args):
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def chart_rows(stats, name):
    """The rows of the report's AS chart (its data file with --plots)."""
    plots = os.path.join(WORK, name + "-plots")
    run([BIN, "report", stats, "--plots", plots])
    path = os.path.join(plots, "as_share.tsv")
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        return [r[0] for r in csv.reader(f, delimiter="\t") if r and not r[0].startswith("#")]


def pins(failures):
    with open(os.path.join(SRC, "setup.sh")) as f:
        setup = f.read()
    with open(os.path.join(SRC, "dist", "geoip", "smtptls-update-geoip")) as f:
        helper = f.read()
    for var, const in (("ASN_PKG", "ASN"), ("GEO_PKG", "COUNTRY")):
        m = re.search(var + r'="(@[^@"]+)@([^"]+)"', setup)
        h = re.search(const + r' = \("([^"]+)", "([^"]+)"', helper)
        if not m or not h or m.groups() != h.groups():
            failures.append(f"setup.sh {var} {m and m.groups()} and smtptls-update-geoip "
                            f"{const} {h and h.groups()} differ")


def main():
    failures = []
    pins(failures)
    if not os.path.exists(DB):
        for f in failures:
            print("FAIL", f)
        print(f"{DB} is not installed (sh setup.sh demo, or smtptls-update-geoip)")
        return 1 if failures else 77
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(SRC, "pcaps", "pq-tls13.pcap"), "rb") as f:
        data = f.read()
    for old, new in MOVE.items():
        data = data.replace(ip(old), ip(new))
    cap = os.path.join(WORK, "asn-servers.pcap")
    with open(cap, "wb") as f:
        f.write(data)
    stats = os.path.join(WORK, "asn-servers.json")
    run([BIN, "analyze", "-q", "--asn", DB, "--stats", stats, cap])
    with open(stats) as f:
        keys = json.load(f)["by_as"]["keys"]
    rows = chart_rows(stats, "asn-servers") or []
    for addr, prefix in WANT.items():
        found = [k for k in keys if k.startswith(prefix) and keys[k]["connections"] == 1]
        if not found:
            failures.append(f"{addr}: no {prefix.strip()} in by_as {sorted(keys)}")
        elif found[0] not in rows:
            failures.append(f"{found[0]} not in the report's AS chart {rows}")
        else:
            print(f"{addr}: {found[0]}")
    # the demo's run, as setup.sh demo makes it
    demo = os.path.join(WORK, "demo-stats.json")
    # the demo's command: the AS database is read by default when the
    # default file is the one checked here
    demo_args = [] if DB == "/usr/local/share/smtptls/asn.mmdb" else ["--asn", DB]
    run([BIN, "analyze", "-q"] + demo_args + ["--stats", demo, os.path.join(SRC, "pcaps")])
    with open(demo) as f:
        snap = json.load(f)
    total = snap["connections"]["total"]
    by_as = sum(v["connections"] for v in snap["by_as"]["keys"].values()) + \
        snap["by_as"]["other"]["connections"]
    if by_as != total:
        failures.append(f"demo: by_as counts {by_as} connections of {total}")
    demo_rows = chart_rows(demo, "demo")
    if demo_rows is None:
        failures.append("demo: the report has no AS chart")
    else:
        print(f"demo: AS chart drawn over {total} connections: {demo_rows}")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
