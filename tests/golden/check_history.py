#!/usr/bin/env python3
"""Host history (--history FILE, SQLite):

1. two runs over two halves of the inputs, sharing the history file, write the
   same records (anomalies included) as one run over all of them;
2. `smtptls history FILE` prints every server, and --server narrows it;
3. a writer killed with SIGKILL in the middle of a run leaves a file that
   `smtptls history` reads and SQLite finds intact;
4. a file that is not a history is refused with a clear message.
"""
import glob
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time


def run(args):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise SystemExit(f"FAIL {args[:4]}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def records(text):
    return [json.loads(x) for x in text.splitlines()]


def main():
    binary, repo = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(repo, "pcaps", "*.pcap")))
    work = tempfile.mkdtemp(prefix="smtptls-hist-")
    failures = []

    whole = records(run([binary, "analyze", "-q", "-s", "-"] + files))
    db = os.path.join(work, "h.sqlite")
    half = len(files) // 2
    first = records(run([binary, "analyze", "-q", "-s", "-", "--history", db] + files[:half]))
    second = records(run([binary, "analyze", "-q", "-s", "-", "--history", db] + files[half:]))
    if first + second != whole:
        diff = [(a.get("client"), [x["type"] for x in a["anomalies"]],
                 [x["type"] for x in b["anomalies"]])
                for a, b in zip(first + second, whole) if a != b]
        failures.append(f"two runs with history differ from one run: {diff[:3]}")
    cross = sum(1 for r in whole for a in r["anomalies"]
                if a["type"] in ("plaintext_fallback", "starttls_capability_missing"))
    print(f"halves: {len(first)} + {len(second)} records, {cross} history-based anomalies, "
          f"{'same' if first + second == whole else 'DIFFERENT'}")

    out = run([binary, "history", db])
    servers = {r["server"]["ip"] for r in whole}
    missing = [s for s in servers if s not in out]
    if missing:
        failures.append(f"history listing misses servers {missing}")
    one = sorted(servers)[0]
    narrowed = run([binary, "history", db, "--server", one]).splitlines()
    if len(narrowed) < 2 or any(one not in line for line in narrowed[1:]):
        failures.append(f"--server {one}: {narrowed}")

    # a killed writer
    db2 = os.path.join(work, "k.sqlite")
    many = [os.path.join(repo, "pcaps")] * 3000
    p = subprocess.Popen([binary, "analyze", "-q", "--stats", "/dev/null", "--history", db2] + many,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.7)
    killed = p.poll() is None
    p.send_signal(signal.SIGKILL)
    p.wait()
    if not killed:
        failures.append("the writer finished before it could be killed (input too small)")
    h = subprocess.run([binary, "history", db2], capture_output=True, text=True)
    con = sqlite3.connect(db2)
    ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    n = con.execute("SELECT count(*) FROM servers").fetchone()[0]
    con.close()
    if h.returncode != 0 or ok != "ok":
        failures.append(f"after SIGKILL: history exit {h.returncode} {h.stderr}, integrity {ok}")
    print(f"killed writer: integrity {ok}, {n} servers readable")

    bad = os.path.join(work, "not-history.sqlite")
    with open(bad, "w") as f:
        f.write("this is not a database\n")
    p = subprocess.run([binary, "history", bad], capture_output=True, text=True)
    if p.returncode != 2 or "not" not in p.stderr:
        failures.append(f"non-history file: exit {p.returncode}, {p.stderr!r}")

    for f in failures:
        print("FAIL", f)
    print(f"{4 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
