#!/usr/bin/env python3
"""--jobs N on one capture file writes what --jobs 1 writes.

With one input, --jobs 2 and 3 split the file over engines by mail server
and merge the records back in the single engine's order (docs/usage.md,
--jobs). For every capture of pcaps/, for one file of the whole corpus made
with mergecap, and for a high-rate bench capture made here
(bench/make-bench-pcap --profile high-rate --size 20M), the whole outputs
are compared byte for byte: the session log, the alerts, the record dump,
the statistics snapshot, the summary, the messages, and the history file's
contents (every table, dumped) with its listing.

One figure is left out, by name: health.reassembly.peak_bytes, the most
bytes the reassembly held at once, which with several engines is the
largest engine's peak, not the peak of their sum. Everything else in the
snapshot is compared.
"""
import glob
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

EXCLUDED = ("health", "reassembly", "peak_bytes")


def run(args):
    p = subprocess.run(args, capture_output=True)
    if p.returncode not in (0, 1):
        raise SystemExit(f"FAIL {' '.join(args[:4])}...: exit {p.returncode}: "
                         f"{p.stderr.decode(errors='replace')}")
    return p


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def decode(enc):
    """stats/record/recdump.c's encoding: literal runs and zero runs."""
    out = bytearray()
    i = 0
    while i < len(enc):
        n, i = varint(enc, i)
        out += enc[i:i + n]
        i += n
        z, i = varint(enc, i)
        out += bytes(z)
    return bytes(out)


def dump_items(raw):
    """The record dump's header and items: (kind, encoded bytes)."""
    items = [(b"header", raw[:28])]
    i = 28
    while i < len(raw):
        kind = raw[i:i + 1]
        n = int.from_bytes(raw[i + 1:i + 5], "little")
        items.append((kind, raw[i + 5:i + 5 + n]))
        i += 5 + n
    return items


def dump_masked(raw, peak):
    """The dump with the health item's peak figure (the aligned 64-bit word
    that holds the snapshot's peak_bytes) left out; a dump whose health
    block does not hold it once is returned whole, and so differs."""
    items = dump_items(raw)
    out = []
    for kind, enc in items:
        if kind == b"H":
            h = decode(enc)
            word = peak.to_bytes(8, "little")
            at = [k for k in range(0, len(h) - 7, 8) if h[k:k + 8] == word]
            if len(at) == 1:
                h = h[:at[0]] + b"PEAK----" + h[at[0] + 8:]
                out.append((kind, h))
                continue
        out.append((kind, enc))
    return repr(out).encode()


def history_dump(path):
    db = sqlite3.connect(path)
    try:
        return "\n".join(db.iterdump())
    finally:
        db.close()


def outputs(binary, repo, capture, jobs, work):
    d = os.path.join(work, f"j{jobs}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    f = lambda n: os.path.join(d, n)
    p = run([binary, "analyze", "-q", "--no-sandbox", "--jobs", str(jobs),
             "--ca-file", os.path.join(repo, "pcaps/ca/corpus-ca.pem"),
             "--local-net", "10.0.0.0/8", "--local-net", "192.168.0.0/16",
             "--sessions", f("s.jsonl"), "--stats", f("t.json"), "--alerts", f("a.jsonl"),
             "--dump", f("d.bin"), "--history", f("h.db"), capture])
    out = {"exit": str(p.returncode).encode(), "summary": p.stdout, "stderr": p.stderr}
    for name in ("s.jsonl", "a.jsonl"):
        with open(f(name), "rb") as fp:
            out[name] = fp.read()
    with open(f("t.json"), "rb") as fp:
        raw = fp.read()
    snap = json.loads(raw)
    node = snap
    for k in EXCLUDED[:-1]:
        node = node[k]
    if EXCLUDED[-1] not in node:
        raise SystemExit(f"FAIL {'.'.join(EXCLUDED)} is no longer in the snapshot: "
                         "update the exclusion")
    peak = node[EXCLUDED[-1]]
    node[EXCLUDED[-1]] = None
    with open(f("d.bin"), "rb") as fp:
        out["d.bin"] = dump_masked(fp.read(), peak)
    out["stats"] = json.dumps(snap, sort_keys=False).encode()
    out["history"] = history_dump(f("h.db")).encode()
    out["history listing"] = run([binary, "history", f("h.db")]).stdout
    return out


def main():
    binary, repo = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="smtptls-split-")
    failures = 0
    try:
        corpus = sorted(glob.glob(os.path.join(repo, "pcaps", "*.pcap*")))
        merged = os.path.join(work, "corpus-merged.pcap")
        subprocess.run(["mergecap", "-F", "pcap", "-w", merged] + corpus, check=True)
        bench = os.path.join(work, "high-rate-20M.pcap")
        subprocess.run([sys.executable, os.path.join(repo, "bench", "make-bench-pcap"),
                        "--profile", "high-rate", "--size", "20M", "--out", bench],
                       check=True, capture_output=True)
        captures = corpus + [merged, bench]
        records = {}
        for cap in captures:
            one = outputs(binary, repo, cap, 1, work)
            records[cap] = one["s.jsonl"].count(b"\n")
            for jobs in (2, 3):
                other = outputs(binary, repo, cap, jobs, work)
                diff = [k for k in one if one[k] != other[k]]
                if diff:
                    print(f"FAIL {os.path.basename(cap)}: --jobs {jobs} differs from "
                          f"--jobs 1 in {diff}")
                    failures += 1
        # the comparisons are not empty: the big inputs carry many records
        for cap, least in ((merged, 50), (bench, 500)):
            if records[cap] < least:
                print(f"FAIL {os.path.basename(cap)}: {records[cap]} records, "
                      f"expected at least {least}")
                failures += 1
        print(f"split: {len(captures)} captures, --jobs 2 and 3 against --jobs 1; "
              f"{records[merged]} records in the merged corpus, {records[bench]} "
              "in the high-rate capture")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
