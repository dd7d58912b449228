#!/usr/bin/env python3
"""A flapping pool is not an attack; a stripped consistent server is.

pcaps/flap-pool-starttls.pcap (a load balancer spreading one MX address over a
Postfix with STARTTLS and one without) must give no high alert, and its
later misses must be low with the reason in the detail;
pcaps/flap-strip-consistent.pcap (four clean deliveries, then an on-path
proxy strips STARTTLS) must give high starttls_capability_missing alerts.
The same holds when each capture is cut in two (editcap) and the halves are
analysed by two runs sharing a --history file: what the first run learnt
(the server offered STARTTLS four times; the pool's STARTTLS came back after
missing) decides the second run's severities.

`--backend pg` after the two arguments runs the same against a PostgreSQL
history (histstore.py).
"""
import json
import os
import subprocess
import sys
import tempfile

import histstore

BIN, REPO = sys.argv[1], sys.argv[2]
STORE = None
COMMON = ["-q", "--ca-file", os.path.join(REPO, "pcaps/ca/corpus-ca.pem"), "--geoip", "none",
          "--stats", "/dev/null", "--alerts", "-"]
POOL = os.path.join(REPO, "pcaps", "flap-pool-starttls.pcap")
STRIP = os.path.join(REPO, "pcaps", "flap-strip-consistent.pcap")


def alerts(*args):
    p = STORE.run(["analyze", *COMMON, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"FAIL analyze {args}: exit {p.returncode}: {p.stderr}")
    return [json.loads(x) for x in p.stdout.splitlines()
            if json.loads(x)["type"] == "starttls_capability_missing"]


def split(pcap, nth_syn, work):
    """The capture before and from the nth connection's SYN (1-based)."""
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0",
                          "-T", "fields", "-e", "frame.number"], capture_output=True, text=True,
                         check=True).stdout.split()
    cut = int(out[nth_syn - 1])
    total = len(subprocess.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "frame.number"],
                               capture_output=True, text=True, check=True).stdout.split())
    first, second = (os.path.join(work, f"{os.path.basename(pcap)}.{n}") for n in (1, 2))
    subprocess.run(["editcap", "-r", pcap, first, f"1-{cut - 1}"], check=True, capture_output=True)
    subprocess.run(["editcap", "-r", pcap, second, f"{cut}-{total}"], check=True, capture_output=True)
    return first, second


def check_pool(got, where, bad):
    sev = [a["severity"] for a in got]
    if not got or "high" in sev:
        bad.append(f"{where}: the flapping pool gives {sev}, want alerts and none high")
    if not any(a["severity"] == "low" and "flapper: STARTTLS back after missing" in a["detail"]
               and a.get("confidence", 1) < 0.25 for a in got):
        bad.append(f"{where}: no low alert naming the flapping: {[a['detail'] for a in got]}")


def check_strip(got, where, bad):
    if not got or any(a["severity"] != "high" or "flapper" in a["detail"] or a["confidence"] < 0.75
                      for a in got):
        bad.append(f"{where}: the stripped consistent server gives "
                   f"{[(a['severity'], a.get('confidence')) for a in got]}, want high alerts")


def main():
    global STORE
    STORE = histstore.store_from_argv(BIN)
    try:
        return suite()
    finally:
        STORE.close()


def suite():
    bad = []
    pool, strip = alerts(POOL), alerts(STRIP)
    check_pool(pool, "one run", bad)
    check_strip(strip, "one run", bad)
    print("one run: pool", [(a["severity"], a["confidence"]) for a in pool],
          "; stripped", [(a["severity"], a["confidence"]) for a in strip])
    with tempfile.TemporaryDirectory(prefix="smtptls-flap-") as work:
        for name, pcap, nth, check in (("pool", POOL, 4, check_pool),
                                       ("stripped", STRIP, 5, check_strip)):
            db = STORE.new(work, name)
            first, second = split(pcap, nth, work)
            before = alerts("--history", db, first)
            after = alerts("--history", db, second)
            if name == "stripped" and before:
                bad.append(f"two runs: the clean half of the stripped capture alerts: {before}")
            check(after, f"two runs, {name}", bad)
            print(f"two runs over {name}: first {[(a['severity'], a['confidence']) for a in before]}, "
                  f"second {[(a['severity'], a['confidence']) for a in after]}")
    for b in bad:
        print("FAIL", b)
    print(f"{0 if bad else 1} passed, {1 if bad else 0} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
