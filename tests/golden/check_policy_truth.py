#!/usr/bin/env python3
"""The policy dry-run against its truth (tests/golden/policy_truth.json):
every connection of the corpus, under every policy, result and reason.

Each case is run three times: without --local-net (the direction is
unknown, every policy is judged), with the clients' networks local (every
connection outbound: require-starttls is not applicable, the outbound
policies as in the truth) and with the servers' networks local (inbound:
require-starttls as in the truth, the outbound policies not applicable).

  check_policy_truth.py BINARY REPO
"""
import json
import os
import subprocess
import sys

COMMON = ["analyze", "-q", "--ca-file", "pcaps/ca/corpus-ca.pem", "--geoip", "none", "-s", "-"]
CLIENTS = ["--local-net", "203.0.113.0/24", "--local-net", "2001:db8:1::/48"]
SERVERS = ["--local-net", "198.51.100.0/24", "--local-net", "2001:db8:2::/48"]
OUTBOUND = ["encrypt", "verify", "dane", "mta-sts", "history"]
NA = ["not_applicable", None]


def endpoint(e):
    return "%s:%d" % (e["ip"], e["port"])


def expected(truth, direction):
    if direction == "unknown":
        return truth
    out = dict(truth)
    for p in (OUTBOUND if direction == "inbound" else ["require-starttls"]):
        out[p] = NA
    return out


def run_case(binary, repo, case, nets, direction):
    p = subprocess.run([binary] + COMMON + nets + case["args"] + [case["capture"]], cwd=repo,
                       capture_output=True, text=True)
    label = "%s %s (%s)" % (case["capture"], " ".join(case["args"]), direction)
    if p.returncode != 0 or p.stderr:
        return ["%s: exit %d, stderr %r" % (label, p.returncode, p.stderr)]
    recs = {}
    for line in p.stdout.splitlines():
        r = json.loads(line)
        recs[(endpoint(r["client"]), endpoint(r["server"]))] = r
    errors = []
    if len(recs) != len(case["connections"]):
        errors.append("%s: %d records, the truth has %d connections" %
                      (label, len(recs), len(case["connections"])))
    for c in case["connections"]:
        r = recs.get((c["client"], c["server"]))
        if r is None:
            errors.append("%s: no record of %s > %s" % (label, c["client"], c["server"]))
            continue
        pol = r.get("policy")
        if not pol or pol.get("direction") != direction:
            errors.append("%s: %s > %s: policy %r" % (label, c["client"], c["server"], pol))
            continue
        for name, want in expected(c["policy"], direction).items():
            got = [pol[name]["result"], pol[name]["reason"]]
            if got != want:
                errors.append("%s: %s > %s: %s is %s, truth %s" %
                              (label, c["client"], c["server"], name, got, want))
    return errors


def main():
    binary, repo = sys.argv[1], sys.argv[2]
    with open(os.path.join(repo, "tests", "golden", "policy_truth.json")) as f:
        truth = json.load(f)
    errors, checked = [], 0
    for case in truth["cases"]:
        for nets, direction in (([], "unknown"), (CLIENTS, "outbound"), (SERVERS, "inbound")):
            errors += run_case(binary, repo, case, nets, direction)
            checked += len(case["connections"])
    for e in errors:
        print("FAIL " + e)
    print("%d connection judgements checked against the truth; %d failures" %
          (checked, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
