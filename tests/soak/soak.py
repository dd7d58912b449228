#!/usr/bin/env python3
"""Soak: `smtptls live` on a veth in its own namespace while tcpreplay loops
the corpus into it, with log rotation (rename, then SIGHUP) at a fixed
period.

Checks, at the end:
  * the sensor ran the whole time and exits 0 on SIGTERM;
  * no record lost: the records of every rotated file and the current one
    add up to the loops replayed times the connections of one loop (from
    the truth files), and every line of every file is a whole JSON object;
  * drops are reported: health.live.dropped in the snapshot and
    smtptls_capture_dropped_total in Prometheus are present and equal, and
    zero at the chosen rate (a rate the sensor sustains);
  * RSS flat: with the samples of the first --warmup seconds left out, the
    highest RSS of the last third of the samples is within 10 % (and at
    least 1 MiB) of the highest of the first third.

Every --sample seconds the sensor's RSS and libpcap's counters are written
to --csv (t_s, rss_kib, received, dropped, records); --png draws the RSS
curve with gnuplot. The short CI run is the ctest live.soak; the long one:

    nice -n 10 tests/soak/soak.py build/smtptls . --duration 600 \\
        --csv soak.csv --png soak.png

--topspeed replays as fast as tcpreplay can instead of --pps, to measure
what the sensor sustains (drops are then reported, not failed).

Usage: soak.py SMTPTLS REPO [--duration S] [--pps N] [--hup S] [--sample S]
               [--warmup S] [--csv FILE] [--png FILE] [--topspeed]
"""
import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soaklib  # noqa: E402


VARIANTS = 16


def variants(caps, work, n):
    """n copies of the corpus, each with its TCP sequence numbers shifted
    (tcprewrite --tcp-sequence; addresses and ports as they are). A loop
    replayed with the same sequence numbers while the previous loop's
    connections still linger (5 s after their close, engine.h) would be
    taken for their retransmissions; successive loops take successive
    copies."""
    out = []
    for i in range(1, n + 1):
        d = os.path.join(work, f"v{i}")
        os.mkdir(d)
        copy = []
        for c in caps:
            dst = os.path.join(d, os.path.basename(c))
            soaklib.sh("tcprewrite", f"--tcp-sequence={i}", "-i", c, "-o", dst)
            copy.append(dst)
        out.append(copy)
    return out


class Replayer(threading.Thread):
    """Replays the corpus loop after loop, each loop the next copy of
    variants(), until told to stop (a loop that has begun is finished)."""

    def __init__(self, net, copies, pps, topspeed):
        super().__init__(daemon=True)
        self.net, self.copies, self.pps, self.topspeed = net, copies, pps, topspeed
        self.loops = self.packets = 0
        self.stop = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                caps = self.copies[self.loops % len(self.copies)]
                out = self.net.replay(caps, pps=self.pps, topspeed=self.topspeed, timeout=600)
                m = re.search(r"Successful packets:\s+(\d+)", out)
                self.packets += int(m.group(1)) if m else 0
                self.loops += 1
        except (RuntimeError, subprocess.SubprocessError) as e:
            self.error = str(e)


def count_lines(paths):
    """(whole JSON objects, bad lines) over several JSON Lines files."""
    n, bad = 0, []
    for p in paths:
        objs, b = soaklib.json_lines(p)
        n += len(objs)
        bad += b
    return n, bad


def rss_flat(samples, warmup):
    """(ok, first third's max, last third's max) of the RSS after warm-up."""
    rss = [s["rss_kib"] for s in samples if s["t_s"] >= warmup]
    if len(rss) < 3:
        return False, None, None
    k = len(rss) // 3
    first, last = max(rss[:k]), max(rss[-k:])
    return last <= max(first * 1.10, first + 1024), first, last


def plot(png, csv_path, title):
    if not shutil.which("gnuplot"):
        print("no gnuplot: no plot")
        return
    script = (f"set terminal png size 900,500; set output '{png}';"
              f"set datafile separator ','; set key top left;"
              f"set title '{title}'; set xlabel 'seconds'; set ylabel 'RSS (MiB)';"
              f"set yrange [0:*]; set grid;"
              f"plot '{csv_path}' every ::1 using 1:($2/1024) with linespoints title 'RSS'")
    subprocess.run(["gnuplot", "-e", script], check=False)


def soak(args, net, work, failures):
    caps, per_loop = soaklib.corpus(args.repo)
    recs, alerts = os.path.join(work, "records.jsonl"), os.path.join(work, "alerts.jsonl")
    stats, prom = os.path.join(work, "stats.json"), os.path.join(work, "metrics.prom")
    sensor = soaklib.Sensor(args.binary, net,
                            ["-s", recs, "--alerts", alerts, "--stats", stats, "--prom", prom,
                             "--interval", str(int(max(1, min(args.sample, 10))))], nice=args.nice)
    rep = Replayer(net, variants(caps, work, VARIANTS), args.pps, args.topspeed)
    samples, rotated, t0 = [], [], time.time()
    next_sample, next_hup = 0.0, args.hup
    try:
        rep.start()
        while True:
            t = time.time() - t0
            if t >= next_sample:
                live = {}
                try:
                    with open(stats) as f:
                        live = json.load(f)["health"]["live"]
                except (OSError, ValueError, KeyError):
                    pass
                samples.append({"t_s": round(t, 1), "rss_kib": sensor.rss_kib(),
                                "received": live.get("received", 0),
                                "dropped": live.get("dropped", 0),
                                "records": count_lines(rotated + [recs])[0]
                                if args.count_live else ""})
                next_sample += args.sample
            if t >= next_hup:
                # logrotate's way: rename, then SIGHUP reopens the names
                i = len(rotated) // 2 + 1
                for p in (recs, alerts):
                    if os.path.exists(p):
                        os.rename(p, f"{p}.{i}")
                        rotated.append(f"{p}.{i}")
                sensor.signal(signal.SIGHUP)
                next_hup += args.hup
            if t >= args.duration or not sensor.alive() or rep.error:
                break
            time.sleep(0.2)
        rep.stop.set()
        rep.join()
        if rep.error:
            failures.append(f"replay: {rep.error}")
        # records leave 5 s after their connection closed (engine.h)
        time.sleep(7)
    finally:
        rep.stop.set()
        rc, _, err = sensor.stop(timeout=60)
    if rc != 0:
        failures.append(f"exit status {rc}: {err[-2000:]}")
    rec_files = [p for p in rotated if "records" in p] + [recs]
    n_recs, bad = count_lines(rec_files)
    n_alerts, bad_a = count_lines([p for p in rotated if "alerts" in p] + [alerts])
    want = rep.loops * per_loop
    with open(stats) as f:
        live = json.load(f)["health"]["live"]
    pv = soaklib.prom_values(prom)
    ok, first, last = rss_flat(samples, args.warmup)
    res = {"duration_s": round(time.time() - t0, 1), "loops": rep.loops,
           "packets_sent": rep.packets, "connections_replayed": want, "records": n_recs,
           "alerts": n_alerts, "rotations": len(rotated) // 2, "received": live["received"],
           "dropped": live["dropped"], "if_dropped": live["if_dropped"],
           "records_lost": live["records_lost"], "rss_first_third_max_kib": first,
           "rss_last_third_max_kib": last,
           "rate_pps": round(rep.packets / max(1e-9, samples[-1]["t_s"] if samples else 1))}
    print(json.dumps(res, indent=1))
    if bad or bad_a:
        failures.append(f"{len(bad) + len(bad_a)} lines are not whole JSON objects: {bad[:2]}")
    if pv.get("smtptls_capture_dropped_total") != live["dropped"]:
        failures.append("Prometheus and the snapshot disagree on drops")
    if not args.topspeed:
        if live["dropped"]:
            failures.append(f"{live['dropped']} packets dropped at {args.pps} packets/s")
        if n_recs != want:
            failures.append(f"{n_recs} records in {len(rec_files)} files, {rep.loops} loops "
                            f"of {per_loop} connections replayed ({want})")
    if not ok:
        failures.append(f"RSS not flat: first third's max {first} KiB, last third's {last} KiB")
    if args.hup <= args.duration and len(rotated) < 2:
        failures.append("no rotation happened")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(samples[0]))
            w.writeheader()
            w.writerows(samples)
        if args.png:
            plot(args.png, args.csv, f"smtptls live RSS, corpus looped at "
                 f"{'top speed' if args.topspeed else str(args.pps) + ' packets/s'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("repo")
    ap.add_argument("--duration", type=float, default=75)
    ap.add_argument("--pps", type=int, default=4000)
    ap.add_argument("--topspeed", action="store_true")
    ap.add_argument("--hup", type=float, default=30)
    ap.add_argument("--sample", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=10)
    ap.add_argument("--csv")
    ap.add_argument("--png")
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--nice", action="store_true", help="run the sensor under nice -n 10")
    ap.add_argument("--count-live", action="store_true",
                    help="count the records at every sample (costly on long runs)")
    args = ap.parse_args()
    # AddressSanitizer builds keep freed memory in a quarantine (256 MiB by
    # default) that the RSS check would take for growth; other builds
    # ignore the variable
    os.environ.setdefault("ASAN_OPTIONS", "quarantine_size_mb=0:thread_local_quarantine_size_kb=0")
    return soaklib.run_in_net("soak", lambda net, work, failures: soak(args, net, work, failures),
                              tools=("tcprewrite",))


if __name__ == "__main__":
    sys.exit(main())
