#!/usr/bin/env python3
"""The output disk fills while `smtptls live` writes its records and alerts.

A small tmpfs is mounted here and nearly filled; the sensor writes its record
and alert lines there (the snapshot and the metrics elsewhere). The whole
corpus is replayed: most lines cannot be written. Then space returns (the
filler is removed) and more captures are replayed. Checks: the sensor kept
running and exits 0, every line of both files parses as a JSON object (no
half line), lines written + lines lost = records and alerts made, the loss
is the same in the statistics' health section, the Prometheus file and the
summary on stderr, and every record after space returned was written.

Usage: check_disk_full.py SMTPTLS REPO
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soaklib  # noqa: E402

BIN, REPO = sys.argv[1], sys.argv[2]
AFTER = ["submission-auth.pcap", "tls-fail-retry.pcap", "starttls-tls13.pcap"]


def live_counters(stats):
    try:
        with open(stats) as f:
            return json.load(f)["health"]["live"]
    except (OSError, ValueError, KeyError):
        return None


def run(net, work, mnt, failures):
    recs, alerts = os.path.join(mnt, "records.jsonl"), os.path.join(mnt, "alerts.jsonl")
    stats, prom = os.path.join(work, "stats.json"), os.path.join(work, "metrics.prom")
    # leave 40 KiB of the 256 free: some lines fit, most do not
    with open(os.path.join(mnt, "filler"), "wb") as f:
        f.write(b"\0" * (54 * 4096))
    caps, n_a = soaklib.corpus(REPO)
    n_b = sum(soaklib.truth_connections(REPO, c) for c in AFTER)
    sensor = soaklib.Sensor(BIN, net, ["-s", recs, "--alerts", alerts, "--stats", stats,
                                       "--prom", prom, "--interval", "1"])
    # records leave 5 s after their connection closed (engine.h)
    try:
        net.replay(caps, topspeed=True)

        def settled(n):
            c = live_counters(stats)
            return c and len(soaklib.json_lines(recs)[0]) + c["records_lost"] >= n and c

        c = soaklib.wait_for(lambda: settled(n_a), 20)
        if not c:
            failures.append("the records of the first replay never all arrived")
            return
        lost_full = c["records_lost"]
        written_full = len(soaklib.json_lines(recs)[0])
        print(f"disk full: {written_full} records written, {lost_full} lost, "
              f"{c['alerts_lost']} alert lines lost")
        if lost_full == 0 or written_full == 0:
            failures.append("the disk should fill after a few records")
        if not sensor.alive():
            failures.append("the sensor stopped when the disk filled")
            return
        os.unlink(os.path.join(mnt, "filler"))
        net.replay([os.path.join(REPO, "pcaps", c) for c in AFTER], topspeed=True)
        if not soaklib.wait_for(lambda: settled(n_a + n_b), 20):
            failures.append("the records of the second replay never all arrived")
    finally:
        rc, _, err = sensor.stop()
    if rc != 0:
        failures.append(f"exit status {rc}: {err}")
    got, bad = soaklib.json_lines(recs)
    got_alerts, bad_alerts = soaklib.json_lines(alerts)
    if bad or bad_alerts:
        failures.append(f"lines that are not whole JSON objects: records {bad[:3]}, "
                        f"alerts {bad_alerts[:3]}")
    c = live_counters(stats)
    if len(got) + c["records_lost"] != n_a + n_b:
        failures.append(f"{len(got)} records written + {c['records_lost']} lost, "
                        f"{n_a + n_b} connections replayed")
    if c["records_lost"] != lost_full:
        failures.append(f"records lost after space returned ({c['records_lost']} != {lost_full})")
    if len(got) != written_full + n_b:
        failures.append(f"{len(got) - written_full} records written after space returned, "
                        f"want {n_b}")
    pv = soaklib.prom_values(prom)
    if len(got_alerts) + c["alerts_lost"] != pv.get("smtptls_alerts_total"):
        failures.append(f"{len(got_alerts)} alerts written + {c['alerts_lost']} lost, "
                        f"{pv.get('smtptls_alerts_total')} raised")
    for out, want in (("records", c["records_lost"]), ("alerts", c["alerts_lost"])):
        key = f'smtptls_output_lines_lost_total{{output="{out}"}}'
        if pv.get(key) != want:
            failures.append(f"Prometheus {key} = {pv.get(key)}, the statistics say {want}")
    m = re.search(r"(\d+) records and (\d+) alerts written, (\d+) record lines and (\d+) alert "
                  r"lines lost", err)
    if not m or [int(x) for x in m.groups()] != [len(got), len(got_alerts), c["records_lost"],
                                                  c["alerts_lost"]]:
        failures.append(f"the summary does not say what was written and lost: {err}")
    for msg in ("cannot write (No space left on device)", "writing again"):
        if msg not in err:
            failures.append(f"stderr does not say {msg!r}: {err}")
    print(f"after: {len(got)} records and {len(got_alerts)} alerts written, "
          f"{c['records_lost']} record and {c['alerts_lost']} alert lines lost")


def main():
    def mount(work):
        mnt = os.path.join(work, "disk")
        os.mkdir(mnt)
        soaklib.sh("mount", "-t", "tmpfs", "-o", "size=256k,mode=1777", "tmpfs", mnt)

    def umount(work):
        mnt = os.path.join(work, "disk")
        if os.path.ismount(mnt):
            soaklib.sh("umount", mnt, check=False)

    return soaklib.run_in_net(
        "full", lambda net, work, failures: run(net, work, os.path.join(work, "disk"), failures),
        setup=mount, teardown=umount)


if __name__ == "__main__":
    sys.exit(main())
