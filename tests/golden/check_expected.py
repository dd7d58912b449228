#!/usr/bin/env python3
"""The expected outputs of TESTLIST against the truth files.

An expected output is written by the analyzer (run_testlist.py --regen), so
recording it proves nothing; this check ties every one of them to the truth
file of its capture (pcaps/NAME.truth.json: written from the scenario's
configuration, checked with tshark by pcaps/truth.py). It reads only stored
files, no binary:

  sessions  every fact of the truth, per connection, through
            check_corpus.compare (the same facts as the corpus.* tests), and
            no record the truth does not know;
  alerts    exactly one alert per anomaly of at least low severity in the
            session log (type, severity, detail, endpoints, encryption), so
            the alerted types are the truth's anomalies;
  stats     connections, completeness, packets and bytes of each direction,
            connections by encryption, STARTTLS offered and requested,
            connections per anomaly (per connection and against history):
            each equal to the sum over the truth's connections; complete
            connections and plain-text messages equal to the session log;
  summary   the encrypted and STARTTLS-offered lines, the connection count
            and the two anomaly tables, against the same sums.

It also fails when a capture of pcaps/ lacks one of the four cases.

  check_expected.py REPO
"""
import collections
import glob
import json
import os
import re
import sys

GOLDEN = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GOLDEN)
from check_corpus import compare, expected_anomalies  # noqa: E402
from run_testlist import read_testlist  # noqa: E402

KINDS = {"sessions": ["-s", "-"], "stats": ["--stats", "-"], "alerts": ["--alerts", "-", "--stats", "/dev/null"], "summary": []}
ENCRYPTED = ("starttls", "implicit_tls")


def key(x):
    return (x["client"]["ip"], x["client"]["port"], x["server"]["ip"], x["server"]["port"])


def at(obj, path):
    for part in path.split("."):
        obj = obj[part]
    return obj


def sums(truth):
    """Corpus-level figures from the truth's connections."""
    conns = truth["connections"]
    smtp = [c["smtp"] for c in conns if c.get("smtp")]
    s = {
        "connections.total": len(conns),
        "connections.packets.client": sum(c["tcp"]["packets"]["client"] for c in conns),
        "connections.packets.server": sum(c["tcp"]["packets"]["server"] for c in conns),
        "connections.bytes.client": sum(c["tcp"]["bytes"]["client"] for c in conns),
        "connections.bytes.server": sum(c["tcp"]["bytes"]["server"] for c in conns),
        "smtp.starttls_offered": sum(1 for m in smtp if m.get("starttls_offered")),
        "smtp.starttls_requested": sum(1 for m in smtp if m.get("starttls_requested")),
        "encrypted": sum(1 for c in conns if c["encryption"] in ENCRYPTED),
    }
    for enc, n in collections.Counter(c["encryption"] for c in conns).items():
        s[f"encryption.connections.{enc}"] = n
    s["anomalies"] = collections.Counter(a for c in conns for a in c["anomalies"])
    return s


def check_stats(snap, want, records):
    bad = []
    for path, v in want.items():
        if "." in path and at(snap, path) != v:
            bad.append(f"{path}: expected {at(snap, path)}, truth {v}")
    if at(snap, "connections.complete") != sum(1 for r in records if r["complete"]):
        bad.append("connections.complete differs from the session log")
    got_a = collections.Counter(snap["anomalies"]["keys"]) + \
        collections.Counter(snap["anomalies_cross"]["keys"])
    if got_a != want["anomalies"]:
        bad.append(f"anomalies and anomalies_cross {dict(got_a)}, truth {dict(want['anomalies'])}")
    plain = sum(r["smtp"]["messages"] or 0 for r in records
                if r["smtp"] and r["encryption"] not in ENCRYPTED)
    if at(snap, "smtp.plaintext_messages") != plain:
        bad.append(f"smtp.plaintext_messages: expected {at(snap, 'smtp.plaintext_messages')}, "
                   f"session log {plain}")
    return bad


def check_alerts(alerts, records):
    want = sorted((key(r), a["type"], a["severity"], a.get("detail"), r["encryption"])
                  for r in records for a in r["anomalies"] if a["severity"] != "info")
    got = sorted((key(a), a["type"], a["severity"], a.get("detail"), a["encryption"]) for a in alerts)
    if got == want:
        return []
    return [f"alerts {got} != anomalies of at least low severity {want}"]


def check_summary(text, want):
    bad = []

    def pair(label):
        m = re.search(r"^  " + label + r" .*\((\d+) of (\d+)\)", text, re.M)
        return (int(m.group(1)), int(m.group(2))) if m else None

    if pair("encrypted") != (want["encrypted"], want["connections.total"]):
        bad.append(f"encrypted line {pair('encrypted')}, truth "
                   f"{(want['encrypted'], want['connections.total'])}")
    got = pair("STARTTLS offered")
    if got is None or got[0] != want["smtp.starttls_offered"]:
        bad.append(f"STARTTLS offered line {got}, truth {want['smtp.starttls_offered']}")
    m = re.search(r"^    connections +(\d+) ", text, re.M)
    if not m or int(m.group(1)) != want["connections.total"]:
        bad.append(f"connections line {m and m.group(1)}, truth {want['connections.total']}")
    got_a = collections.Counter()
    for table in re.finditer(r"^  anomalies (?:\(connections\)|against history)\n((?:    .*\n)*)",
                             text, re.M):
        for line in table.group(1).splitlines():
            f = line.split()
            got_a[f[0]] += int(f[1])
    if got_a != want["anomalies"]:
        bad.append(f"anomaly table {got_a}, truth {dict(want['anomalies'])}")
    return bad


def read(path):
    with open(os.path.join(GOLDEN, path)) as f:
        return f.read()


def main():
    repo = sys.argv[1]
    cases = {}
    for name, capture, expected, args in read_testlist():
        cap, _, kind = name.rpartition(".")
        # A capture's own MTA-STS policies (pcaps/NAME.mta-sts) belong to it,
        # as its truth file does: the case still stands for the capture.
        own = ["--mta-sts-policies", capture[:-len(".pcap")] + ".mta-sts"]
        if args[-2:] == own:
            args = args[:-2]
        if kind in KINDS and args == KINDS[kind]:
            cases[(capture, kind)] = expected
    failures, checked = [], 0
    truths = sorted(glob.glob(os.path.join(repo, "pcaps", "*.truth.json")))
    for pcap in sorted(glob.glob(os.path.join(repo, "pcaps", "*.pcap"))):
        rel = "pcaps/" + os.path.basename(pcap)
        missing = [k for k in KINDS if (rel, k) not in cases]
        if missing:
            failures.append(f"{rel}: no case for {', '.join(missing)}")
    for tpath in truths:
        with open(tpath) as f:
            truth = json.load(f)
        rel = "pcaps/" + truth["capture"]
        if any((rel, k) not in cases for k in KINDS):
            continue
        records = [json.loads(x) for x in read(cases[(rel, "sessions")]).splitlines()]
        fails, n, _ = compare(rel, truth, records)
        # the DNS anomalies count once the records have a "dns" key
        byk = {key(r): r for r in records}
        pq = any("pq" in (r.get("tls") or {}) for r in records)
        truth = dict(truth, connections=[dict(c, anomalies=expected_anomalies(c, byk.get(key(c), {}), pq))
                                         for c in truth["connections"]])
        want = sums(truth)
        alerts = [json.loads(x) for x in read(cases[(rel, "alerts")]).splitlines()]
        fails += [f"{rel}: {x}" for x in check_alerts(alerts, records)]
        snap = json.loads(read(cases[(rel, "stats")]))
        fails += [f"{rel}: stats {x}" for x in check_stats(snap, want, records)]
        fails += [f"{rel}: summary {x}" for x in check_summary(read(cases[(rel, "summary")]), want)]
        failures += fails
        checked += n + len(alerts) + len(want) + 4
    for f in failures:
        print("FAIL", f)
    print(f"{checked} facts of {len(truths)} truth files checked in the expected outputs; "
          f"{len(failures)} failures")
    return 1 if failures or not truths else 0


if __name__ == "__main__":
    sys.exit(main())
