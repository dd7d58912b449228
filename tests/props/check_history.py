#!/usr/bin/env python3
"""Host history (--history FILE, SQLite):

1. two runs over two halves of the inputs, sharing the history file, write the
   same records (anomalies included) as one run over all of them;
2. `smtptls history FILE` prints every server, and --server narrows it;
3. a writer killed with SIGKILL in the middle of a run leaves a file that
   `smtptls history` reads and SQLite finds intact;
4. a file that is not a history is refused with a clear message;
5. the certificate keys (SPKI) each server showed are kept with first and last
   seen, connections and validation, as the records show them; a later run
   against a server whose recorded key differs raises certificate_changed;
6. a file of schema 1 (before the keys) is migrated, its rows kept.
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


def server_key(r):
    ip, port = r["server"]["ip"], r["server"]["port"]
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def ts_us(text):
    """2026-01-01T00:00:00.123456Z -> microseconds since the epoch"""
    from datetime import datetime, timezone
    base, _, frac = text.rstrip("Z").partition(".")
    t = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(t.timestamp()) * 1000000 + int((frac + "000000")[:6])


def check_keys(binary, repo, work, db, recs):
    """Table server_keys against the records written with the history."""
    failures = []
    want = {}
    for r in recs:
        c = r.get("cert")
        if not c or c.get("source") != "observed" or not c.get("spki_sha256"):
            continue
        k = (server_key(r), c["spki_sha256"])
        t = ts_us(r["ts"])
        w = want.setdefault(k, dict(first=t, last=t, n=0))
        w["first"], w["last"], w["n"] = min(w["first"], t), max(w["last"], t), w["n"] + 1
        w["validation"] = c["validation"]
    con = sqlite3.connect(db)
    got = {(s, k): dict(first=f, last=l, n=n, validation=v) for s, k, f, l, n, v in con.execute(
        "SELECT server, spki, first_seen, last_seen, connections, validation FROM server_keys")}
    con.close()
    if not want:
        failures.append("no record shows a certificate: the corpus changed?")
    if got != want:
        bad = [(k, got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)]
        failures.append(f"server_keys differs from the records: {bad[:3]}")
    print(f"keys: {len(got)} (server, key) rows, {sum(w['n'] for w in got.values())} connections, "
          f"{'as the records say' if got == want else 'DIFFERENT'}")
    server, spki = sorted(want)[0]
    listing = run([binary, "history", db, "--server", server.rsplit(":", 1)[0].strip("[]")])
    if "key " + spki not in listing:
        failures.append(f"history --server {server} does not list key {spki}: {listing}")

    # a server whose recorded key is another: the next run says so
    pcap = os.path.join(repo, "pcaps", "tls12-resumption.pcap")
    db3 = os.path.join(work, "changed.sqlite")
    base = records(run([binary, "analyze", "-q", "-s", "-", "--history", db3, pcap]))
    con = sqlite3.connect(db3)
    con.execute("UPDATE server_keys SET spki = ?", ("ab" * 32,))
    con.commit()
    con.close()
    again = records(run([binary, "analyze", "-q", "-s", "-", "--history", db3, pcap]))
    changed = [[a["type"] for a in r["anomalies"]].count("certificate_changed") for r in again]
    first_cert = next(i for i, r in enumerate(again) if r.get("cert", {}).get("source") == "observed")
    expect = [1 if i == first_cert else 0 for i in range(len(again))]
    if any(a["type"] == "certificate_changed" for r in base for a in r["anomalies"]):
        failures.append("certificate_changed on a first run over one key")
    if changed != expect:
        failures.append(f"certificate_changed per record after a recorded key change: {changed}, "
                        f"expected {expect}")
    print(f"recorded key replaced: certificate_changed per record {changed}")
    return failures


def check_migration(binary, repo, work):
    """A history of schema 1 is brought to the current schema, rows kept."""
    db = os.path.join(work, "v1.sqlite")
    con = sqlite3.connect(db)
    con.executescript("""
        CREATE TABLE servers (server TEXT PRIMARY KEY, first_seen INTEGER NOT NULL,
          last_seen INTEGER NOT NULL, connections INTEGER NOT NULL,
          starttls_offered INTEGER NOT NULL, starttls_used INTEGER NOT NULL,
          ehlo_accepted INTEGER NOT NULL, tls13 INTEGER NOT NULL);
        CREATE TABLE server_versions (server TEXT NOT NULL, version TEXT NOT NULL,
          connections INTEGER NOT NULL, PRIMARY KEY (server, version));
        CREATE TABLE attempts (pair TEXT PRIMARY KEY, last_failed INTEGER NOT NULL);
        INSERT INTO servers VALUES ('192.0.2.99:25', 1000000, 2000000, 7, 7, 0, 7, 0);
        PRAGMA user_version = 1;""")
    con.commit()
    con.close()
    run([binary, "analyze", "-q", "--stats", "/dev/null", "--history", db,
         os.path.join(repo, "pcaps", "tls12-certs.pcap")])
    con = sqlite3.connect(db)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    kept = con.execute("SELECT connections FROM servers WHERE server = '192.0.2.99:25'").fetchone()
    keys = con.execute("SELECT count(*) FROM server_keys").fetchone()[0]
    con.close()
    print(f"schema 1 file: now schema {version}, old row kept: {kept is not None}, {keys} keys added")
    if version < 2 or kept != (7,) or keys < 1:
        return [f"migration from schema 1: version {version}, row {kept}, keys {keys}"]
    return []


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
    narrowed = [line for line in run([binary, "history", db, "--server", one]).splitlines()
                if not line.startswith("  key ")]
    if len(narrowed) < 2 or any(one not in line for line in narrowed[1:]):
        failures.append(f"--server {one}: {narrowed}")

    # a killed writer
    db2 = os.path.join(work, "k.sqlite")
    many = [os.path.join(repo, "pcaps")] * 3000
    p = subprocess.Popen([binary, "analyze", "-q", "--stats", "/dev/null", "--history", db2] + many,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # kill it once it is writing: its journal has grown past the schema
    deadline = time.time() + 30
    while p.poll() is None and time.time() < deadline:
        wal = db2 + "-wal"
        if os.path.exists(wal) and os.path.getsize(wal) > 64 * 1024:
            break
        time.sleep(0.05)
    time.sleep(0.3)
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

    failures += check_keys(binary, repo, work, db, first + second)
    failures += check_migration(binary, repo, work)

    for f in failures:
        print("FAIL", f)
    print(f"{6 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
