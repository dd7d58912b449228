#!/usr/bin/env python3
"""Property: a capture whose segments are reordered and duplicated yields
the same reassembled byte streams as the clean capture.

From real captures (shared/pcaps-external), a deterministic rewrite swaps
neighbouring data segments of the same direction (the reordering a capture
point on the path can see: an ACK never overtakes the data it acknowledges)
and re-sends copies of data segments a few packets later (retransmissions).
The test tool `streams` prints, per connection and direction, the stream
length, the bytes lost and a hash of the bytes; both outputs must be equal,
and smtptls must report the retransmissions and out-of-order segments.
"""
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from pcaputil import read_pcap, tcp_info, write_pcap  # noqa: E402

CAPTURES = [
    "aiengine/pcapfiles/smtp.pcap",
    "nDPI/pcap/smtp-starttls.pcap",
    "zeek/Traces/tls/smtp-starttls.pcap",
    "suricata-verify/issue-4220-01-ids/1flowB.pcap",
]


def rewrite(recs, seed):
    rng = random.Random(seed)
    info = [tcp_info(r[3]) for r in recs]
    out = []
    i = 0
    swaps = dups = 0
    pending = []  # (insert_at_len, rec)
    while i < len(recs):
        a, b = info[i], info[i + 1] if i + 1 < len(recs) else None
        if (a and b and a[1] > 0 and b[1] > 0 and a[0] == b[0] and rng.random() < 0.6):
            group = [recs[i + 1], recs[i]]
            swaps += 1
            i += 2
        else:
            group = [recs[i]]
            i += 1
        for r in group:
            out.append(r)
            ti = tcp_info(r[3])
            if ti and ti[1] > 0 and rng.random() < 0.3:
                pending.append((len(out) + rng.randint(1, 3), r))
                dups += 1
            for p in [p for p in pending if p[0] <= len(out)]:
                out.append(p[1])
                pending.remove(p)
    out.extend(p[1] for p in pending)
    return out, swaps, dups


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or proc.stderr:
        raise SystemExit(f"FAIL {' '.join(cmd)}: exit {proc.returncode}: {proc.stderr}")
    return proc.stdout


def main():
    streams, smtptls, shared, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    failures = 0
    for n, name in enumerate(CAPTURES):
        src = os.path.join(shared, "pcaps-external", name)
        hdr, e, recs = read_pcap(src)
        out, swaps, dups = rewrite(recs, seed=1000 + n)
        dst = os.path.join(work, f"reordered-{n}.pcap")
        write_pcap(dst, hdr, e, out)
        clean = run([streams, src])
        shuffled = run([streams, dst])
        if clean != shuffled:
            print(f"FAIL {name}: streams differ after {swaps} swaps, {dups} duplicates")
            print("clean:\n" + clean + "reordered:\n" + shuffled)
            failures += 1
            continue
        recs_out = [json.loads(line) for line in
                    run([smtptls, "analyze", "-q", "--sessions", "-", dst]).splitlines()]
        ooo = sum(r["tcp"]["out_of_order"]["client"] + r["tcp"]["out_of_order"]["server"]
                  for r in recs_out)
        rtx = sum(r["tcp"]["retransmitted"]["client"] + r["tcp"]["retransmitted"]["server"]
                  for r in recs_out)
        if swaps and not ooo or dups and not rtx:
            print(f"FAIL {name}: {swaps} swaps / {dups} duplicates made, smtptls counted "
                  f"{ooo} out-of-order / {rtx} retransmitted")
            failures += 1
            continue
        print(f"ok {name}: {swaps} swaps, {dups} duplicates; same streams "
              f"({len(clean.splitlines())} directions); {ooo} out-of-order, {rtx} retransmitted")
    print(f"{len(CAPTURES) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
