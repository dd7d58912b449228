#!/usr/bin/env python3
"""The policy dry-run's figures against the session log: for the corpus in
pcaps/ (and shared/pcaps-external/ when present), with no local network,
with local networks that give every direction, and with DNS data, every
count of the snapshot's "policy" section (connections by direction, results,
plain-text messages of failing connections, reasons, and the servers and
domains with their derived counts) equals the count recomputed from the
records' "policy" keys in the session log of the same run.

  check_policy.py BINARY REPO
"""
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile

POLICIES = ["require-starttls", "encrypt", "verify", "dane", "mta-sts", "history"]
RESULTS = ["not_applicable", "pass", "fail", "unknown"]
DIRS = ["unknown", "inbound", "outbound", "internal", "external"]


def server_key(e):
    return ("[%s]:%d" if ":" in e["ip"] else "%s:%d") % (e["ip"], e["port"])


def plain_messages(r):
    if not r["smtp"] or r["encryption"] in ("starttls", "implicit_tls"):
        return 0
    return r["smtp"]["messages"] or 0  # null: read by packet heads, not counted


def recompute(recs):
    """The "policy" section as the session log says it should be."""
    by_dir = collections.Counter()
    per = {}
    for r in recs:
        pol = r["policy"]
        d = pol["direction"]
        by_dir[d] += 1
        for p in POLICIES:
            o = per.setdefault((d, p), {"results": collections.Counter(), "fail_messages": 0,
                                        "reasons": collections.Counter(),
                                        "servers": {}, "domains": {}})
            res, why = pol[p]["result"], pol[p]["reason"]
            o["results"][res] += 1
            if res == "not_applicable":
                continue
            msgs = plain_messages(r) if res == "fail" else 0
            if res == "fail":
                o["fail_messages"] += msgs
                if why is not None:  # a head-only record fails with no reason
                    o["reasons"][why] += 1
            keys = [("servers", server_key(r["server"]))]
            keys += [("domains", dom) for dom in (r.get("dns") or {}).get("domains", [])]
            for m, k in keys:
                c = o[m].setdefault(k, collections.Counter())
                c[res] += 1
                c["fail_messages"] += msgs
    return by_dir, per


def derived(servers, domains):
    fail = [k for k, c in servers.items() if c["fail"]]
    return {"servers": len(servers), "servers_failing": len(fail),
            "servers_always_failing": sum(1 for k in fail if not servers[k]["pass"]),
            "servers_intermittent": sum(1 for k in fail if servers[k]["pass"]),
            "domains": len(domains),
            "domains_failing": sum(1 for c in domains.values() if c["fail"])}


def compare(label, snap, recs):
    errors = []
    sec = snap.get("policy")
    if not recs:
        return [] if sec is None else ["%s: a policy section without records" % label]
    if sec is None:
        return ["%s: no policy section" % label]
    by_dir, per = recompute(recs)
    if sec["connections"] != len(recs):
        errors.append("%s: connections %d, records %d" % (label, sec["connections"], len(recs)))
    for d in DIRS:
        if sec["directions"][d] != by_dir[d]:
            errors.append("%s: directions.%s %d, records %d" %
                          (label, d, sec["directions"][d], by_dir[d]))
        if not by_dir[d]:
            if d in sec["by_direction"]:
                errors.append("%s: by_direction.%s without records" % (label, d))
            continue
        for p in POLICIES:
            got, want = sec["by_direction"][d][p], per[(d, p)]
            where = "%s: %s %s" % (label, d, p)
            for res in RESULTS:
                if got["results"][res] != want["results"][res]:
                    errors.append("%s: %s %d, records %d" %
                                  (where, res, got["results"][res], want["results"][res]))
            if got["fail_messages"] != want["fail_messages"]:
                errors.append("%s: fail_messages %d, records %d" %
                              (where, got["fail_messages"], want["fail_messages"]))
            if dict(got["reasons"]) != dict(want["reasons"]):
                errors.append("%s: reasons %s, records %s" %
                              (where, got["reasons"], dict(want["reasons"])))
            for m in ("servers", "domains"):
                g = {k: {x: v for x, v in c.items() if v}
                     for k, c in got[m]["keys"].items()}
                w = {k: {x: v for x, v in c.items() if v} for k, c in want[m].items()}
                if got[m]["truncated"] or g != w:
                    errors.append("%s: %s differ from the records" % (where, m))
            if got["derived"] != derived(want["servers"], want["domains"]):
                errors.append("%s: derived %s, records %s" %
                              (where, got["derived"], derived(want["servers"], want["domains"])))
    return errors


def main():
    binary, repo = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(repo, "pcaps", "*.pcap")))
    ext = os.path.join(repo, "..", "shared", "pcaps-external")
    if os.path.isdir(ext):
        files += sorted(glob.glob(os.path.join(ext, "**", "*.pcap*"), recursive=True))
    dns = ["--dns-data", os.path.join(repo, "tests/golden/dns/tls12-certs-dane.txt"),
           "--mta-sts-policies", os.path.join(repo, "tests/golden/dns/policies")]
    runs = [
        ("no local network", [], files),
        ("every direction", ["--local-net", "203.0.113.10/32", "--local-net", "198.51.100.25/32",
                             "--local-net", "2001:db8:1::/48"], files),
        ("DNS data", dns + ["--local-net", "203.0.113.0/24"],
         [os.path.join(repo, "pcaps", "tls12-certs.pcap")]),
    ]
    work = tempfile.mkdtemp(prefix="smtptls-policy-")
    errors = []
    seen_dirs = set()
    for label, args, inputs in runs:
        s, t = os.path.join(work, "s.jsonl"), os.path.join(work, "t.json")
        p = subprocess.run([binary, "analyze", "-q", "--ca-file",
                            os.path.join(repo, "pcaps/ca/corpus-ca.pem"), "--geoip", "none",
                            "-s", s, "--stats", t] + args + inputs,
                           capture_output=True, text=True)
        if p.returncode not in (0, 1):
            errors.append("%s: exit %d: %s" % (label, p.returncode, p.stderr))
            continue
        with open(s) as f:
            recs = [json.loads(x) for x in f]
        with open(t) as f:
            snap = json.load(f)
        seen_dirs |= {r["policy"]["direction"] for r in recs}
        errors += compare(label, snap, recs)
        print("%s: %d records" % (label, len(recs)))
    if seen_dirs != set(DIRS):
        errors.append("directions seen %s, not all five" % sorted(seen_dirs))
    for e in errors:
        print("FAIL " + e)
    print("%d failures" % len(errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
