#!/usr/bin/env python3
"""Kernel drops of `smtptls live` are reported.

The sensor runs with the smallest capture buffer (--buffer-size 1M) and is
stopped (SIGSTOP) while the corpus is replayed five times into its
interface, so the kernel must drop packets; then it continues and is ended.
Checks: the drops (libpcap's pcap_stats) are in the snapshot
(health.live.dropped), in Prometheus (smtptls_capture_dropped_total) and
in the summary on stderr, all three the same and at most what was received;
received (which counts the dropped packets too) is at most what tcpreplay
sent. A second run with the
default buffer and no stop reports zero drops for the same replay (at
--pps 20000).

Usage: check_drops.py SMTPTLS REPO
"""
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soaklib  # noqa: E402

BIN, REPO = sys.argv[1], sys.argv[2]
LOOPS = 5


def sent(out):
    m = re.search(r"Successful packets:\s+(\d+)", out)
    return int(m.group(1)) if m else 0


def one(net, work, stop, failures):
    stats, prom = os.path.join(work, "stats.json"), os.path.join(work, "metrics.prom")
    args = ["-s", "/dev/null", "--alerts", "/dev/null", "--stats", stats, "--prom", prom,
            "--interval", "1"]
    if stop:
        args += ["--buffer-size", "1M"]
    caps, _ = soaklib.corpus(REPO)
    sensor = soaklib.Sensor(BIN, net, args)
    n_sent = 0
    try:
        if stop:
            sensor.signal(signal.SIGSTOP)
        for _ in range(LOOPS):
            out = net.replay(caps, topspeed=stop, pps=None if stop else 20000)
            n_sent += sent(out)
        if stop:
            sensor.signal(signal.SIGCONT)
        time.sleep(2)
    finally:
        if stop:
            sensor.signal(signal.SIGCONT)
        rc, _, err = sensor.stop()
    if rc != 0:
        failures.append(f"exit status {rc}: {err}")
        return None
    with open(stats) as f:
        live = json.load(f)["health"]["live"]
    pv = soaklib.prom_values(prom)
    m = re.search(r"cap0: (\d+) packets received, (\d+) dropped by the kernel \(buffer full\), "
                  r"(\d+) by the interface", err)
    summary = [int(x) for x in m.groups()] if m else None
    mine = [live["received"], live["dropped"], live["if_dropped"]]
    if summary != mine:
        failures.append(f"summary {summary} != snapshot {mine}: {err}")
    if (pv.get("smtptls_capture_received_total"), pv.get("smtptls_capture_dropped_total")) != \
            (live["received"], live["dropped"]):
        failures.append(f"Prometheus {pv.get('smtptls_capture_received_total')}/"
                        f"{pv.get('smtptls_capture_dropped_total')} != snapshot "
                        f"{live['received']}/{live['dropped']}")
    print(f"{'stopped, 1M buffer' if stop else 'running, default buffer'}: "
          f"{n_sent} packets sent, {live['received']} received, {live['dropped']} dropped")
    return n_sent, live


def run(net, work, failures):
    r = one(net, work, True, failures)
    if r:
        n_sent, live = r
        if live["dropped"] == 0:
            failures.append("no drops reported although the sensor was stopped")
        if live["dropped"] > live["received"]:
            failures.append("more drops than packets received")
        # libpcap on Linux counts every packet the socket saw in ps_recv,
        # dropped ones included; the filter passes every corpus packet
        if live["received"] > n_sent:
            failures.append(f"{live['received']} received, only {n_sent} sent")
    r = one(net, work, False, failures)
    if r and r[1]["dropped"] != 0:
        failures.append(f"{r[1]['dropped']} drops at 20000 packets/s with the default buffer")


def main():
    return soaklib.run_in_net("drops", run)


if __name__ == "__main__":
    sys.exit(main())
