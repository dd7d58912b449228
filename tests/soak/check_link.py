#!/usr/bin/env python3
"""The captured interface goes down and up, then disappears, under a
running `smtptls live`.

Down and up (`ip link set cap0 down/up`, then the peer's carrier lost and
back): the sensor says so on stderr, keeps running without spinning (CPU
time while down is checked), counts the downs in the snapshot
(health.live.link_down) and captures again once the link is back: every
connection replayed before and after is recorded. Deleted (`ip link del`):
the sensor says the interface is gone and exits with status 1 (for
systemd's Restart=on-failure), having written the records of what it saw.

Usage: check_link.py SMTPTLS REPO
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soaklib  # noqa: E402

BIN, REPO = sys.argv[1], sys.argv[2]
BEFORE = ["submission-auth.pcap", "mitm-strip-starttls.pcap"]
AFTER = ["tls-fail-retry.pcap", "starttls-tls13.pcap"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        t = f.read().rsplit(")", 1)[1].split()
    return (int(t[11]) + int(t[12])) / CLK_TCK


def down_up(net, sensor, dev, failures):
    c0 = cpu_seconds(sensor.pid())
    net.link(dev, "down")
    time.sleep(3)
    used = cpu_seconds(sensor.pid()) - c0
    print(f"{dev} down for 3 s: the sensor used {used:.2f} s of CPU")
    if used > 0.5:
        failures.append(f"the sensor spins while {dev} is down ({used:.2f} s CPU in 3 s)")
    if not sensor.alive():
        failures.append(f"the sensor stopped when {dev} went down")
    net.link(dev, "up")
    time.sleep(1.5)


def run(net, work, failures):
    recs, stats = os.path.join(work, "records.jsonl"), os.path.join(work, "stats.json")
    pc = lambda names: [os.path.join(REPO, "pcaps", c) for c in names]  # noqa: E731
    n = sum(soaklib.truth_connections(REPO, c) for c in BEFORE + AFTER)
    sensor = soaklib.Sensor(BIN, net, ["-s", recs, "--alerts", "/dev/null", "--stats", stats,
                                       "--interval", "1"])
    try:
        net.replay(pc(BEFORE), topspeed=True)
        down_up(net, sensor, "cap0", failures)  # the captured interface itself
        down_up(net, sensor, "inj0", failures)  # its peer: no carrier
        net.replay(pc(AFTER), topspeed=True)
        # records leave 5 s after their connection closed (engine.h)
        soaklib.wait_for(lambda: len(soaklib.json_lines(recs)[0]) >= n, 10)
        with open(stats) as f:
            downs = json.load(f)["health"]["live"]["link_down"]
        if downs != 2:
            failures.append(f"health.live.link_down = {downs}, want 2")
        soaklib.sh("ip", "-n", net.ns, "link", "del", "cap0")
        t0 = time.time()
        soaklib.wait_for(lambda: not sensor.alive(), 5)
        print(f"interface deleted: the sensor exited after {time.time() - t0:.1f} s")
    finally:
        rc, _, err = sensor.stop()
    if rc != 1:
        failures.append(f"exit status {rc} once the interface is gone, want 1")
    for msg in ("cap0: the interface is down", "cap0: the interface is up again",
                "cap0: the interface is gone; exiting (status 1)"):
        if err.count(msg) != (2 if "gone" not in msg else 1):
            failures.append(f"stderr does not say {msg!r} as often as expected: {err}")
    got, bad = soaklib.json_lines(recs)
    if bad or len(got) != n:
        failures.append(f"{len(got)} records ({len(bad)} bad lines), {n} connections replayed")
    print(f"records: {len(got)} of {n}")


def main():
    return soaklib.run_in_net("link", run)


if __name__ == "__main__":
    sys.exit(main())
