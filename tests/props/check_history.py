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

`--backend pg` after the two arguments runs the same against PostgreSQL
histories (tests/history/histstore.py: a throw-away server started here; the
killed writer is killed once its first batch is in, "a file that is not a
history" is an empty database, and SQL reaches the tables through psql).
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "history"))
import histstore  # noqa: E402

STORE = None
KEYS = {"servers": ["server"], "pools": ["pool"], "server_versions": ["server", "version"],
        "server_keys": ["server", "spki"], "attempts": ["pair"]}


def new_history(work, name):
    return STORE.new(work, name)


def sql(spec, statement):
    """Runs SQL on a history of either backend; the rows, as text."""
    if STORE.pg:
        db = spec.split("///")[1].split("?")[0]
        out = STORE.pg.psql(statement, db, "smtptls")
        return [tuple(line.split("|")) for line in out.splitlines() if line]
    con = sqlite3.connect(spec)
    if statement.lstrip().upper().startswith("SELECT") or statement.startswith("PRAGMA"):
        rows = [tuple(str(v) for v in r) for r in con.execute(statement).fetchall()]
    else:
        con.executescript(statement)
        rows = []
    con.commit()
    con.close()
    return rows


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
    got = {k: dict(first=v["first_seen"], last=v["last_seen"], n=v["connections"],
                   validation=v["validation"])
           for k, v in STORE.dump(db, KEYS)[0]["server_keys"].items()}
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
    db3 = new_history(work, "changed")
    base = records(run([binary, "analyze", "-q", "-s", "-", "--history", db3, pcap]))
    sql(db3, "UPDATE server_keys SET spki = '" + "ab" * 32 + "'")
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
    db = new_history(work, "v1")
    text = 'text COLLATE "C"' if STORE.pg else "TEXT"
    version = ("CREATE TABLE schema_version (version integer NOT NULL);"
               "INSERT INTO schema_version VALUES (1);") if STORE.pg else "PRAGMA user_version = 1;"
    sql(db, f"""
        CREATE TABLE servers (server {text} PRIMARY KEY, first_seen BIGINT NOT NULL,
          last_seen BIGINT NOT NULL, connections BIGINT NOT NULL,
          starttls_offered BIGINT NOT NULL, starttls_used BIGINT NOT NULL,
          ehlo_accepted BIGINT NOT NULL, tls13 BIGINT NOT NULL);
        CREATE TABLE server_versions (server {text} NOT NULL, version {text} NOT NULL,
          connections BIGINT NOT NULL, PRIMARY KEY (server, version));
        CREATE TABLE attempts (pair {text} PRIMARY KEY, last_failed BIGINT NOT NULL);
        INSERT INTO servers VALUES ('192.0.2.99:25', 1000000, 2000000, 7, 7, 0, 7, 0);
        {version}""")
    run([binary, "analyze", "-q", "--stats", "/dev/null", "--history", db,
         os.path.join(repo, "pcaps", "tls12-certs.pcap")])
    version = json.loads(STORE.export(db).splitlines()[0])["smtptls_history"]
    kept = sql(db, "SELECT connections FROM servers WHERE server = '192.0.2.99:25'")
    kept = (int(kept[0][0]),) if kept else None
    keys = int(sql(db, "SELECT count(*) FROM server_keys")[0][0])
    print(f"schema 1 file: now schema {version}, old row kept: {kept is not None}, {keys} keys added")
    if version < 2 or kept != (7,) or keys < 1:
        return [f"migration from schema 1: version {version}, row {kept}, keys {keys}"]
    return []


def main():
    global STORE
    STORE = histstore.store_from_argv(sys.argv[1])
    os.environ.update(STORE.env)
    try:
        return suite()
    finally:
        STORE.close()


def suite():
    binary, repo = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(repo, "pcaps", "*.pcap")))
    work = tempfile.mkdtemp(prefix="smtptls-hist-")
    failures = []

    whole = records(run([binary, "analyze", "-q", "-s", "-"] + files))
    db = new_history(work, "h")
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
    db2 = new_history(work, "k")
    many = [os.path.join(repo, "pcaps")] * 3000
    p = subprocess.Popen([binary, "analyze", "-q", "--stats", "/dev/null", "--history", db2] + many,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # kill it once it is writing: its journal has grown past the schema
    deadline = time.time() + 30
    while p.poll() is None and time.time() < deadline:
        if STORE.pg:
            if time.time() > deadline - 28 and \
                    sql(db2, "SELECT to_regclass('servers') IS NOT NULL")[0][0] == "t" and \
                    int(sql(db2, "SELECT count(*) FROM servers")[0][0]) > 0:
                break
        else:
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
    _, ok, _ = STORE.dump(db2, KEYS)
    n = int(sql(db2, "SELECT count(*) FROM servers")[0][0])
    if h.returncode != 0 or ok != "ok":
        failures.append(f"after SIGKILL: history exit {h.returncode} {h.stderr}, integrity {ok}")
    print(f"killed writer: integrity {ok}, {n} servers readable")

    bad = new_history(work, "not-history")
    if not STORE.pg:
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
