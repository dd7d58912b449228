#!/usr/bin/env python3
"""What rate `smtptls live` sustains: one tcpreplay --topspeed over the 16
sequence-shifted copies of the corpus (soak.variants), looped --loops times
(80 take about a minute on a 2-core machine), into a sensor with the default
capture buffer. Prints tcpreplay's rate, libpcap's received and dropped
counters and the records written; fails when a record is missing while
nothing was dropped, or when the drops are not reported alike in the
snapshot and the summary. A measurement, not a ctest.

Usage: topspeed.py SMTPTLS REPO [--loops N] [--buffer-size SIZE]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402
import soaklib  # noqa: E402


def measure(args, net, work):
    caps, per_loop = soaklib.corpus(args.repo)
    copies = soak.variants(caps, work, soak.VARIANTS)
    recs, stats = os.path.join(work, "records.jsonl"), os.path.join(work, "stats.json")
    extra = ["--buffer-size", args.buffer_size] if args.buffer_size else []
    sensor = soaklib.Sensor(args.binary, net, ["-s", recs, "--alerts", "/dev/null", "--stats",
                                               stats, "--interval", "5"] + extra)
    try:
        t0 = time.time()
        p = subprocess.run(["ip", "netns", "exec", net.ns, "tcpreplay", "-i", "inj0",
                            "--topspeed", f"--loop={args.loops}"]
                           + [c for copy in copies for c in copy],
                           capture_output=True, text=True, check=True)
        wall = time.time() - t0
        time.sleep(7)  # records leave 5 s after their connection closed
    finally:
        rc, _, err = sensor.stop(timeout=120)
    with open(stats) as f:
        live = json.load(f)["health"]["live"]
    n_recs = len(soaklib.json_lines(recs)[0])
    want = args.loops * len(copies) * per_loop
    rated = re.search(r"Rated: .*", p.stdout)
    print(f"{rated.group(0) if rated else p.stdout} over {wall:.1f} s")
    print(f"received {live['received']}, dropped {live['dropped']}, "
          f"records {n_recs} of {want} connections replayed")
    failures = []
    if rc != 0:
        failures.append(f"exit status {rc}")
    if live["dropped"] == 0 and n_recs != want:
        failures.append("records missing without drops")
    m = re.search(r"(\d+) dropped by the kernel", err)
    if not m or int(m.group(1)) != live["dropped"]:
        failures.append(f"the summary disagrees with the snapshot: {err}")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("repo")
    ap.add_argument("--loops", type=int, default=80)
    ap.add_argument("--buffer-size")
    args = ap.parse_args()
    return soaklib.run_in_net("top", lambda net, work, failures: failures.extend(measure(args, net, work)),
                              tools=("tcprewrite",), report=False)


if __name__ == "__main__":
    sys.exit(main())
