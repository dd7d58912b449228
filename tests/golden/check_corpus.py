#!/usr/bin/env python3
"""Golden test: every capture of the corpus (pcaps/*.pcap) against its truth
file (pcaps/NAME.truth.json, written from the scenario's configuration and
checked with tshark by pcaps/truth.py).

For each connection of the truth (keyed by client and server IP/port) the
record must exist and every fact the analyzer reports must equal the truth.
Facts the analyzer does not produce yet (keys absent from the record) are
listed once per run as "not yet checked", so the test grows with the
analyzer; a fact present in both that differs is a failure, and so is a
record the truth does not know. The DNS anomalies of the truth
(dane_mismatch, dane_downgrade, mta_sts_violation, dnssec_bogus_tlsa) are
held against records that have a "dns" key only, pq_intolerance only in
runs whose records report "tls.pq". A truth file may name its
own CA ("ca_file"); a policy directory pcaps/NAME.mta-sts is passed with
--mta-sts-policies once `smtptls --list-options` lists that option.
"""
import glob
import json
import os
import subprocess
import sys

# truth path -> record path (dotted); a record path whose first part is
# missing from the record means "not produced yet".
FACTS = {
    "tcp.syn_seen": "tcp.syn",
    "tcp.fin_seen": None,  # computed below: FIN from either side
    "tcp.rst_seen": "tcp.rst",
    "tcp.packets.client": "packets.client",
    "tcp.packets.server": "packets.server",
    "tcp.bytes.client": "bytes.client",
    "tcp.bytes.server": "bytes.server",
    "encryption": "encryption",
    "smtp.server_software": "smtp.server_software",
    "smtp.starttls_offered": "smtp.starttls_offered",
    "smtp.starttls_requested": "smtp.starttls_requested",
    "smtp.starttls_reply": "smtp.starttls_reply",
    "smtp.tls_despite_reply": "smtp.tls_despite_reply",
    "smtp.messages": "smtp.messages",
    "smtp.auth.mechanism": "smtp.auth.mechanism",
    "smtp.auth.before_tls": "smtp.auth.before_tls",
    "tls.version": "tls.version",
    "tls.cipher": "tls.cipher",
    "tls.sni": "tls.sni",
    "tls.resumed": "tls.resumed",
    "tls.established": "tls.established",
    "tls.version_at_least": "tls.version_at_least",
    "cert.self_signed": "cert.self_signed",
    "cert.valid_against_corpus_ca": None,
    "cert.expired": "cert.expired",
    "cert.hostname_match": "cert.hostname_match",
    "cert.key_type": "cert.key_type",
    "cert.key_bits": "cert.key_bits",
    "cert.sig_alg": "cert.sig_alg",
    # the DNS half (captures with DNS traffic: pcaps/dane.pcap); "dns" is
    # absent from records of runs without DNS data
    "dns.mx_host": "dns.mx_host",
    "dns.mx_host_source": "dns.mx_host_source",
    "dns.domains": "dns.domains",
    "dns.tlsa.state": "dns.tlsa.state",
    "dns.tlsa.dnssec": "dns.tlsa.dnssec",
    "dns.dane.result": "dns.dane.result",
    "dns.dane.certificate": "dns.dane.certificate",
    "dns.mta_sts.result": "dns.mta_sts.result",
    "dns.mta_sts.reason": "dns.mta_sts.reason",
    "dns.mta_sts.policy.mode": "dns.mta_sts.policy.mode",
    "dns.tlsrpt_rua": "dns.tlsrpt_rua",
    # post-quantum key exchange and the client's side of the handshake
    # (pcaps/pq-tls13.pcap; names from the IANA TLS Supported Groups
    # registry, GREASE removed)
    "tls.client_groups": "tls.client_groups",
    "tls.client_key_shares": "tls.client_key_shares",
    "tls.group": "tls.group",
    "tls.pq": "tls.pq",
    "tls.hello_retry": "tls.hello_retry",
    "tls.hello_retry_group": "tls.hrr_group",
    "tls.client_hello_segments": "tls.client_hello_segments",
    "tls.client_hello_bytes": "tls.client_hello_bytes",
}

# Anomalies that only the DNS half can raise: while a record has no "dns"
# key (the analyzer does not read DNS yet) they are "not yet checked".
DNS_ANOMALIES = {"dane_mismatch", "dane_downgrade", "mta_sts_violation", "dnssec_bogus_tlsa"}

# Anomalies of the post-quantum half (pq_intolerance): held against records
# whose "tls" key reports "pq" only, until the analyzer writes that fact.
PQ_ANOMALIES = {"pq_intolerance"}

MISSING = object()


def get(obj, path):
    """The value at a dotted path; None when a parent is null; MISSING when a
    key is absent (the analyzer does not report that fact)."""
    for part in path.split("."):
        if obj is None:
            return None
        if not isinstance(obj, dict) or part not in obj:
            return MISSING
        obj = obj[part]
    return obj


def expected_anomalies(conn, record, pq_reported=None):
    """The truth's anomalies of a connection that the record can be held to:
    all of them, except the DNS ones while the record has no "dns" key and
    the PQ ones while no record of the run reports "tls.pq" (pq_reported;
    a plain-text record has no "tls" to tell; None: this record alone)."""
    if pq_reported is None:
        pq_reported = "pq" in (record.get("tls") or {})
    skip = set()
    if "dns" not in record:
        skip |= DNS_ANOMALIES
    if not pq_reported:
        skip |= PQ_ANOMALIES
    return [a for a in conn["anomalies"] if a not in skip]


def has_option(binary, name):
    """Whether `smtptls --list-options` lists option NAME (first column)."""
    proc = subprocess.run([binary, "--list-options"], capture_output=True, text=True)
    return proc.returncode == 0 and any(line.split("\t")[0] == name for line in proc.stdout.splitlines())


def compare(name, truth, records):
    """Checks the records of one capture (parsed session log lines) against
    its truth file. Returns (failures, facts checked, facts not produced)."""
    failures, checked, unchecked = [], 0, set()
    recs = {}
    pq_reported = any("pq" in (r.get("tls") or {}) for r in records)
    for r in records:
        key = (r["client"]["ip"], r["client"]["port"], r["server"]["ip"], r["server"]["port"])
        recs.setdefault(key, []).append(r)
    for conn in truth["connections"]:
        key = (conn["client"]["ip"], conn["client"]["port"],
               conn["server"]["ip"], conn["server"]["port"])
        if not recs.get(key):
            failures.append(f"{name}: {key}: no record")
            continue
        r = recs[key].pop(0)
        if "anomalies" in conn:
            got_a = sorted({a["type"] for a in r["anomalies"]})
            want_a = expected_anomalies(conn, r, pq_reported)
            if want_a != conn["anomalies"]:
                unchecked |= {"anomaly " + x for x in set(conn["anomalies"]) - set(want_a)}
            if got_a != want_a:
                failures.append(f"{name}: {key}: anomalies: truth {want_a}, "
                                f"smtptls {got_a}")
            else:
                checked += 1
        for tp, rp in FACTS.items():
            want = get(conn, tp)
            if want is MISSING:
                continue
            if tp == "cert.valid_against_corpus_ca":
                if conn.get("cert", {}).get("visible") is False:
                    continue
                # the truth ignores dates: an expired chain is still signed right
                got = get(r, "cert.validation") in ("valid", "expired")
            elif tp == "tcp.fin_seen":
                got = r["tcp"]["fin"]["client"] or r["tcp"]["fin"]["server"]
            elif tp.startswith("cert.") and conn.get("cert", {}).get("visible") is False:
                continue
            else:
                got = get(r, rp)
                if got is MISSING:
                    unchecked.add(tp)
                    continue
            if got != want:
                failures.append(f"{name}: {key}: {tp}: truth {want!r}, smtptls {got!r}")
            else:
                checked += 1
    for key, rest in recs.items():
        for _ in rest:
            failures.append(f"{name}: {key}: record not in the truth file")
    return failures, checked, unchecked


def main():
    binary, repo = sys.argv[1], sys.argv[2]
    truths = sorted(glob.glob(os.path.join(repo, "pcaps", "*.truth.json")))
    if len(sys.argv) > 3:  # one capture only
        truths = [t for t in truths if os.path.basename(t) == sys.argv[3] + ".truth.json"]
    if not truths:
        print("FAIL no truth files in pcaps/")
        return 1
    failures, checked, unchecked = [], 0, set()
    for tpath in truths:
        with open(tpath) as f:
            truth = json.load(f)
        cap = os.path.join(repo, "pcaps", truth["capture"])
        # the corpus CA is the trust anchor of its certificates (the DNS
        # captures have a CA of their own, named by the truth file)
        args = [binary, "analyze", "-q", "--sessions", "-",
                "--ca-file", os.path.join(repo, "pcaps", truth.get("ca_file", "ca/corpus-ca.pem"))]
        args += truth.get("analyze_args", [])
        # MTA-STS policies fetched when the capture was made, once the
        # analyzer reads them
        policies = os.path.join(repo, "pcaps", truth["capture"].rsplit(".", 1)[0] + ".mta-sts")
        if os.path.isdir(policies):
            if has_option(binary, "mta-sts-policies"):
                args += ["--mta-sts-policies", policies]
            else:
                unchecked.add("--mta-sts-policies " + os.path.basename(policies))
        proc = subprocess.run(args + [cap], capture_output=True, text=True)
        name = truth["capture"]
        if proc.returncode != 0 or proc.stderr:
            failures.append(f"{name}: exit {proc.returncode}, stderr {proc.stderr.strip()}")
            continue
        f, c, u = compare(name, truth, [json.loads(x) for x in proc.stdout.splitlines()])
        failures += f
        checked += c
        unchecked |= u
    for f in failures:
        print("FAIL", f)
    if unchecked:
        print("not yet checked (the analyzer does not report them yet):", ", ".join(sorted(unchecked)))
    print(f"{checked} facts checked in {len(truths)} captures; "
          f"{len(truths) - len({f.split(':')[0] for f in failures})} passed, {len({f.split(':')[0] for f in failures})} failed")
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main())
