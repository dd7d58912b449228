#!/usr/bin/env python3
"""Several writers on one --history file.

1. A new file, then an existing one: four `smtptls analyze` (each over the
   whole corpus, several times) and one `smtptls live` (on a veth pair in a
   network namespace made here, fed by tcpreplay) write the same file at once.
   Afterwards the file holds exactly what the same runs made one after the
   other hold, and `PRAGMA integrity_check` says ok.
   "Exactly": every counter (per server, per pool, per server and TLS version,
   per server and key) is equal, and so is every set of keys. Times are kept
   as the smallest (first seen) and largest (last seen) of what the writers
   saw, which does not depend on their order; the live sensor stamps with the
   wall clock, so a time from a live run (after the test began) is only
   checked to be one, in both files.
2. The disk of the file fills (a small tmpfs mounted here): a live sensor
   keeps running, counts the batches it could not write (health.history in
   its snapshot), keeps them and writes them once space returns: nothing is
   lost. An analyze whose disk stays full says how many updates it lost and
   exits with status 2, its other outputs written.

With `--backend pg` after the two arguments (histstore.py), the same
writers share a PostgreSQL history (a throw-away server started here), and
part 2 becomes: the database stops for 10 s (pg_ctl stop -m fast) while a
live sensor runs: it says so on stderr, counts the batches it could not
write and the updates pending in health.history, and writes them once the
database is back: nothing is lost. Histories are read back with `smtptls
history --export` for both backends.

Needs root, iproute2 and tcpreplay: anything missing is a failure.
"""
import glob
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import histstore

BIN, REPO = sys.argv[1], sys.argv[2]
STORE = None
NS = f"smtptls-hist-{os.getpid()}"
LIVE_CAPTURES = ["tls-fail-retry.pcap", "starttls-tls13.pcap", "mitm-strip-starttls.pcap"]
REPEAT = 8
T0 = int(time.time() * 1e6)

TABLES = {  # table: (key columns, counter columns, time columns, other columns)
    "servers": (["server"], ["connections", "starttls_offered", "starttls_used",
                             "ehlo_accepted", "tls13", "tls_failed", "starttls_returns",
                             "tls_returns", "key_changes"], ["first_seen", "last_seen"], []),
    "pools": (["pool"], ["connections", "starttls_offered", "starttls_used", "ehlo_accepted",
                         "tls13", "tls_failed", "starttls_returns", "tls_returns",
                         "key_changes"], ["first_seen", "last_seen"], []),
    "server_versions": (["server", "version"], ["connections"], [], []),
    "server_keys": (["server", "spki"], ["connections"], ["first_seen", "last_seen"],
                    ["validation"]),
    "attempts": (["pair"], [], ["last_failed"], []),
}


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def corpus():
    return sorted(glob.glob(os.path.join(REPO, "pcaps", "*.pcap")))


def analyze_args(db, extra=()):
    return [BIN, "analyze", "--history", db, "--stats", "/dev/null", *extra] + corpus() * REPEAT


def dump(db):
    return STORE.dump(db, {t: v[0] for t, v in TABLES.items()})


def compare(got, want, label):
    """Differences between two dumps, by the rule in the docstring."""
    bad = []
    for t in TABLES:
        g, w = got[t], want[t]
        if set(g) != set(w):
            bad.append(f"{label}: {t}: rows {sorted(set(g) ^ set(w))[:4]} in one file only")
        for k in set(g) & set(w):
            for col, wv in w[k].items():
                gv = g[k][col]
                if col in TABLES[t][2] and (gv >= T0 or wv >= T0):
                    if not (gv >= T0 and wv >= T0):
                        bad.append(f"{label}: {t} {k} {col}: {gv} vs {wv}")
                elif gv != wv:
                    bad.append(f"{label}: {t} {k} {col}: {gv}, one writer after the other {wv}")
    return bad


class Live:
    """`smtptls live` on cap0 in the test's namespace, writing the history."""

    def __init__(self, db, work, tag):
        self.stats = os.path.join(work, f"live-{tag}.json")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", NS, BIN, "live", "-i", "cap0", "--allow-root", "--history",
             db, "--stats", self.stats, "--interval", "1", "-s", os.path.join(work, f"{tag}.jsonl")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        if self.proc.poll() is not None:
            raise RuntimeError(f"smtptls live exited at once: {self.proc.stderr.read()}")

    def replay(self):
        for cap in LIVE_CAPTURES:
            sh("ip", "netns", "exec", NS, "tcpreplay", "-q", "-i", "inj0", "--mbps", "20",
               os.path.join(REPO, "pcaps", cap))

    def health(self):
        try:
            with open(self.stats) as f:
                return json.load(f)["health"].get("history", {})
        except (OSError, ValueError):
            return {}

    def stop(self):
        time.sleep(1.0)
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err


def writers(db, work, tag):
    """Four analyze runs and one live sensor at once; their failures."""
    bad = []
    live = Live(db, work, tag)
    procs = [subprocess.Popen(analyze_args(db), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    live.replay()
    for p in procs:
        _, err = p.communicate(timeout=300)
        if p.returncode not in (0, 1) or "history" in err:
            bad.append(f"{tag}: analyze exit {p.returncode}: {err.strip()}")
    rc, err = live.stop()
    if rc != 0 or "history" in err:
        bad.append(f"{tag}: live exit {rc}: {err.strip()}")
    return bad


def one_after_another(db, work, tag):
    bad = []
    for _ in range(4):
        p = subprocess.run(analyze_args(db), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        if p.returncode not in (0, 1):
            bad.append(f"{tag}: analyze exit {p.returncode}: {p.stderr.strip()}")
    live = Live(db, work, tag)
    live.replay()
    rc, err = live.stop()
    if rc != 0:
        bad.append(f"{tag}: live exit {rc}: {err.strip()}")
    return bad


def part_concurrent(work):
    bad = []
    seed = [BIN, "analyze", "--history", None, "--stats", "/dev/null",
            os.path.join(REPO, "pcaps", "transparent-strip-starttls.pcap")]
    for kind in ("new", "existing"):
        at_once, in_turn = (STORE.new(work, f"{kind}-{n}") for n in ("at-once", "in-turn"))
        if kind == "existing":
            for db in (at_once, in_turn):
                seed[3] = db
                sh(*seed)
        t = time.time()
        bad += writers(at_once, work, f"{kind}-at-once")
        took = time.time() - t
        bad += one_after_another(in_turn, work, f"{kind}-in-turn")
        got, check, version = dump(at_once)
        want, _, _ = dump(in_turn)
        if check != "ok":
            bad.append(f"{kind}: integrity_check: {check}")
        diff = compare(got, want, kind)
        bad += diff[:10]
        n = sum(v["connections"] for v in got["servers"].values())
        print(f"{kind} {STORE.kind} history: 5 writers at once in {took:.1f} s, {n} connections in "
              f"{len(got['servers'])} servers, {len(got['pools'])} pools, "
              f"{len(got['server_keys'])} keys; schema {version}; integrity {check}; "
              f"{len(diff)} differences from the writers one after the other")
    return bad


def fill(path):
    """Fills the file system of path; returns the filler's name."""
    filler = os.path.join(path, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    os.close(fd)
    return filler


def part_disk_full(work):
    bad = []
    mnt = tempfile.mkdtemp(prefix="smtptls-hist-full-", dir="/tmp")
    sh("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt)
    try:
        db = os.path.join(mnt, "h.db")
        ref = os.path.join(work, "full-ref.db")
        for d in (db, ref):
            sh(BIN, "analyze", "--history", d, "--stats", "/dev/null",
               os.path.join(REPO, "pcaps", "plaintext-no-starttls.pcap"))
        # a live sensor while the disk is full, then after space returns
        live = Live(db, work, "full")
        filler = fill(mnt)
        live.replay()
        deadline = time.time() + 10
        while time.time() < deadline and not live.health().get("write_failures"):
            time.sleep(0.5)
        during = live.health()
        os.unlink(filler)
        time.sleep(2.5)
        after = live.health()
        rc, err = live.stop()
        if not during.get("write_failures") or not during.get("pending"):
            bad.append(f"disk full: the sensor's snapshot shows {during}, want write failures "
                       "and pending updates")
        if after.get("pending") or after.get("updates_lost"):
            bad.append(f"disk free again: the snapshot still shows {after}")
        if rc != 0:
            bad.append(f"disk full: live exit {rc}: {err.strip()}")
        live = Live(ref, work, "full-ref")
        live.replay()
        live.stop()
        diff = compare(dump(db)[0], dump(ref)[0], "disk full")
        bad += diff[:10]
        print(f"disk full: the sensor deferred {during.get('write_failures')} batch(es) "
              f"({during.get('pending')} updates pending), then wrote them: "
              f"{after}; {len(diff)} differences from a run on a free disk")
        # an analyze whose disk fills once it has opened the file (the WAL
        # file is there) and stays full
        stats = os.path.join(work, "full-stats.json")
        p = subprocess.Popen([BIN, "analyze", "--history", db, "--stats", stats] +
                             corpus() * 40, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        while not os.path.exists(db + "-wal") and p.poll() is None:
            time.sleep(0.005)
        filler = fill(mnt)
        p.stderr = p.communicate(timeout=120)[1]
        h = json.load(open(stats))["health"].get("history", {}) if os.path.exists(stats) else {}
        if p.returncode != 2 or "updates lost" not in p.stderr or not h.get("updates_lost"):
            bad.append(f"disk full: analyze exit {p.returncode}, {p.stderr.strip()!r}, "
                       f"health.history {h}")
        else:
            print(f"disk full: analyze exit 2: {p.stderr.strip()}; health.history {h}")
        os.unlink(filler)
        check = dump(db)[1]
        if check != "ok":
            bad.append(f"disk full: integrity_check: {check}")
    finally:
        sh("umount", mnt, check=False)
        os.rmdir(mnt)
    return bad


def part_outage(work):
    """The database stops for 10 s under a live sensor (PostgreSQL)."""
    bad = []
    db, ref = STORE.new(work, "outage"), STORE.new(work, "outage-ref")
    for d in (db, ref):
        sh(BIN, "analyze", "--history", d, "--stats", "/dev/null",
           os.path.join(REPO, "pcaps", "plaintext-no-starttls.pcap"))
    live = Live(db, work, "outage")
    live.replay()  # every server met (and read) while the database is there
    time.sleep(1.5)
    STORE.pg.stop()
    stopped = time.time()
    live.replay()
    deadline = time.time() + 8
    while time.time() < deadline and not (live.health().get("write_failures")
                                          and live.health().get("pending")):
        time.sleep(0.5)
    during = live.health()
    time.sleep(max(0.0, stopped + 10 - time.time()))
    STORE.pg.start()
    deadline = time.time() + 10
    while time.time() < deadline and live.health().get("pending", 1):
        time.sleep(0.5)
    after = live.health()
    rc, err = live.stop()
    if not during.get("write_failures") or not during.get("pending") or \
            during.get("unreachable") != 1:
        bad.append(f"database stopped: the sensor's snapshot shows {during}, want write "
                   "failures, pending updates and unreachable 1")
    if after.get("pending") or after.get("updates_lost") or after.get("unreachable") or \
            after.get("read_errors"):
        bad.append(f"database back: the snapshot still shows {after}")
    if "PostgreSQL unreachable" not in err or "reachable again" not in err:
        bad.append(f"database stopped: the sensor's log says {err.strip()!r}")
    if rc != 0:
        bad.append(f"database stopped: live exit {rc}: {err.strip()}")
    live = Live(ref, work, "outage-ref")
    live.replay()
    live.replay()
    live.stop()
    diff = compare(dump(db)[0], dump(ref)[0], "database stopped")
    bad += diff[:10]
    print(f"database stopped 10 s: the sensor deferred {during.get('write_failures')} "
          f"batch(es) ({during.get('pending')} updates pending), then wrote them: {after}; "
          f"{len(diff)} differences from a run with the database there; log: "
          f"{' / '.join(err.strip().splitlines())}")
    return bad


def main():
    global STORE
    STORE = histstore.store_from_argv(BIN)
    os.environ.update(STORE.env)
    try:
        return suite()
    finally:
        STORE.close()


def suite():
    if os.geteuid() != 0:
        print("FAIL the test needs root (network namespaces, tmpfs)")
        return 1
    for tool in ("ip", "tcpreplay", "mount"):
        if not shutil.which(tool):
            print(f"FAIL {tool} is not installed")
            return 1
    work = tempfile.mkdtemp(prefix="smtptls-hist-")
    bad = []
    try:
        sh("ip", "netns", "add", NS)
        sh("ip", "-n", NS, "link", "add", "cap0", "type", "veth", "peer", "name", "inj0")
        for dev in ("cap0", "inj0", "lo"):
            sh("ip", "-n", NS, "link", "set", dev, "up")
        bad += part_concurrent(work)
        bad += part_outage(work) if STORE.pg else part_disk_full(work)
    except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        bad.append(f"{e}: {getattr(e, 'stderr', '')}")
    finally:
        sh("ip", "netns", "del", NS, check=False)
        shutil.rmtree(work, ignore_errors=True)
    for b in bad:
        print("FAIL", b)
    print(f"{0 if bad else 1} passed, {1 if bad else 0} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
