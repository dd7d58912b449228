#!/usr/bin/env python3
"""Statistics properties on real captures (the corpus in pcaps/ and, when
present, shared/pcaps-external/):

1. merge: for splits of the files into two shards A and B,
   merge(stats(A), stats(B)) == stats(A and B) — every prefix split and ten
   seeded random splits;
2. --jobs 2 writes byte for byte what --jobs 1 writes (records, snapshot,
   stderr);
3. the snapshot's figures equal counts computed independently from the
   session log (the post-quantum breakdown over time and direction too);
4. shards analysed with --dump and put together with --records write byte
   for byte what one run writes (anomalies against history included).
"""
import collections
import glob
import json
import os
import random
import subprocess
import sys
import tempfile


def run(args, ok=(0, 1)):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode not in ok:
        raise SystemExit(f"FAIL {' '.join(args[:3])}...: exit {p.returncode}: {p.stderr}")
    return p


def stats(binary, files, work, name, jobs=1):
    out = os.path.join(work, name)
    run([binary, "analyze", "-q", "-j", str(jobs), "--stats", out] + files)
    with open(out) as f:
        return json.load(f)


def without_history(snap):
    """The snapshot without what depends on other connections' history."""
    out = {k: v for k, v in snap.items() if k != "anomalies_cross"}
    pol = json.loads(json.dumps(out.get("policy", {})))
    for d in pol.get("by_direction", {}).values():
        d.pop("history", None)
    out["policy"] = pol
    return out


def main():
    binary, repo = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(repo, "pcaps", "*.pcap")))
    ext = os.path.join(repo, "..", "shared", "pcaps-external")
    if os.path.isdir(ext):
        files += sorted(glob.glob(os.path.join(ext, "**", "*.pcap*"), recursive=True))
    if len(files) < 2:
        print("FAIL fewer than two capture files")
        return 1
    failures = 0
    work = tempfile.mkdtemp(prefix="smtptls-stats-")
    whole = stats(binary, files, work, "all.json")

    # 1. merge property
    rng = random.Random(7)
    splits = [files[:k] for k in range(1, len(files), max(1, len(files) // 8))]
    for _ in range(10):
        splits.append([f for f in files if rng.random() < 0.5] or files[:1])
    for n, a_files in enumerate(splits):
        b_files = [f for f in files if f not in a_files]
        if not b_files:
            continue
        stats(binary, a_files, work, "a.json")
        stats(binary, b_files, work, "b.json")
        merged = os.path.join(work, "m.json")
        run([binary, "merge", os.path.join(work, "a.json"), os.path.join(work, "b.json"),
             "-o", merged], ok=(0,))
        with open(merged) as f:
            m = json.load(f)
        # Cross-connection anomalies compare a connection with earlier ones of
        # the same server; shards analysed apart cannot see each other's, so
        # they are kept apart ("anomalies_cross") and left out here, as is
        # the dry-run's "history" policy, judged from the same history.
        if without_history(m) != without_history(whole):
            diff = [k for k in whole if whole[k] != m.get(k)]
            print(f"FAIL merge split {n} ({len(a_files)}+{len(b_files)} files): differs in {diff}")
            failures += 1
    print(f"merge: {len(splits)} splits checked")

    # 2. --jobs 2 == --jobs 1
    outs = []
    for j in (1, 2):
        s = os.path.join(work, f"s{j}.jsonl")
        t = os.path.join(work, f"t{j}.json")
        p = run([binary, "analyze", "-q", "-j", str(j), "-s", s, "--stats", t] + files)
        with open(s, "rb") as f1, open(t, "rb") as f2:
            outs.append((f1.read(), f2.read(), p.stderr))
    if outs[0] != outs[1]:
        print("FAIL --jobs 2 output differs from --jobs 1")
        failures += 1
    else:
        print("jobs: --jobs 2 identical to --jobs 1")

    # 3. figures recomputed from the session log
    recs = [json.loads(x) for x in outs[0][0].decode().splitlines()]
    enc = collections.Counter(r["encryption"] for r in recs)
    # records read by packet heads: their unknown facts are counted apart
    heads = [r for r in recs if r.get("head_only")]
    smtp = [r["smtp"] for r in recs if r["smtp"] and not r.get("head_only")]
    tls = [r["tls"] for r in recs if r["tls"] and not r.get("head_only")]
    checks = {
        "connections.total": len(recs),
        "connections.complete": sum(r["complete"] for r in recs),
        "connections.gap_bytes": sum(r["gaps"] for r in recs),
        "connections.bytes.client": sum(r["bytes"]["client"] for r in recs),
        "smtp.connections": len(smtp),
        "smtp.starttls_offered": sum(s["starttls_offered"] for s in smtp),
        "smtp.starttls_requested": sum(r["smtp"]["starttls_requested"] for r in recs if r["smtp"]),
        "smtp.auth": sum(1 for s in smtp if s["auth"]),
        "smtp.plaintext_messages": sum(s["messages"] for r in recs for s in [r["smtp"]]
                                       if s and r["encryption"] not in ("starttls", "implicit_tls")
                                       and not r.get("head_only")),
        "tls.connections": len(tls),
    }
    for k, v in enc.items():
        checks[f"encryption.connections.{k}"] = v
    if heads:
        checks["unknown.connections"] = len(heads)
        checks["unknown.starttls_offered"] = sum(1 for r in heads if r["smtp"])
        checks["unknown.tls_version"] = sum(1 for r in heads if r["tls"])
        checks["unknown.tls_established"] = sum(1 for r in heads if r["tls"] and r["tls"]["established"])
    snap = json.loads(outs[0][1])
    bad = 0
    for path, want in checks.items():
        got = snap
        for part in path.split("."):
            got = got[part]
        if got != want:
            print(f"FAIL {path}: snapshot {got}, session log {want}")
            bad += 1
    # The post-quantum breakdown: TLS 1.3 connections, PQ offered, PQ
    # negotiated, summed over the time buckets and the directions, equal
    # the counts of the session log.
    t13 = [t for t in tls if t["client_hello"] and not t["sslv2_client_hello"]
           and t["server_hello"] and t["version"] == "TLSv1.3"]
    want = [len(t13), sum(t["pq"] in ("negotiated", "offered_not_chosen") for t in t13),
            sum(t["pq"] == "negotiated" for t in t13)]
    for sec in ("time", "by_direction"):
        vals = list(snap[sec]["keys"].values()) + [snap[sec]["other"]]
        got = [sum(v[k] for v in vals)
               for k in ("tls13", "tls13_pq_offered", "tls13_pq_negotiated")]
        checks[f"{sec} PQ breakdown"] = want
        if got != want:
            print(f"FAIL {sec}: TLS 1.3 / PQ offered / PQ negotiated {got}, session log {want}")
            bad += 1
    failures += bad
    print(f"figures: {len(checks) - bad} of {len(checks)} agree with the session log")
    # 4. shards written with --dump and put together with --records give
    #    exactly the records and snapshot of one run, history included
    whole_s = os.path.join(work, "whole.jsonl")
    whole_t = os.path.join(work, "whole.json")
    run([binary, "analyze", "-q", "-s", whole_s, "--stats", whole_t] + files)
    dumps = []
    third = max(1, len(files) // 3)
    for n, part in enumerate((files[:third], files[third:2 * third], files[2 * third:])):
        d = os.path.join(work, f"shard{n}.recs")
        run([binary, "analyze", "-q", "--dump", d, "--stats", "/dev/null"] + part)
        dumps.append(d)
    rs, rt = os.path.join(work, "r.jsonl"), os.path.join(work, "r.json")
    run([binary, "analyze", "-q", "--records", "-s", rs, "--stats", rt] + dumps)
    same = all(open(x, "rb").read() == open(y, "rb").read()
               for x, y in ((whole_s, rs), (whole_t, rt)))
    if not same:
        print("FAIL shards put together with --records differ from one run")
        failures += 1
    else:
        print("records: 3 dumped shards put together equal one run, byte for byte")
    print(f"{4 - (1 if failures else 0)} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
