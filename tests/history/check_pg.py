#!/usr/bin/env python3
"""Several sensors, one PostgreSQL history (a throw-away server started here,
pgserver.py; exit 77 only when its binaries are absent).

1. Two and four `smtptls analyze` at once (each over the whole corpus)
   leave exactly the history the same runs leave one after the other: every
   counter, time, key and validation.
2. The same corpus in an SQLite file and in PostgreSQL, in two runs with the
   database server restarted between them: the two exports are equal.
3. Two sites: sensor A sees a server offer STARTTLS, sensor B (another
   process, later) sees it without: B raises a high
   starttls_capability_missing, A nothing.
4. Hostile strings (quotes, `'); DROP TABLE servers;--`, `$1`, backslashes,
   bytes that are not UTF-8) in the banner, EHLO, SNI and certificate names
   of a capture, and in every text column of an imported export: the tables
   survive and every string that reaches the database is stored as given.
5. --export / --import move a history from SQLite to PostgreSQL and back
   unchanged.
6. The detectors' table full (--max-servers 1): the records are those of
   the same run on SQLite, and the servers are read through the bounded
   cache: once per batch each, not once per record.
7. A password in the connection string is refused without echoing it; a
   role without CREATE on the schema works on tables an administrator made
   (with the grants docs/usage.md names) and fails clearly without them.
8. Over TCP (127.0.0.1), under the sandbox: an analyze reading a capture
   from a pipe while the database stops and starts again says so, keeps its
   updates and writes them once it can connect again: its history is that of
   the same input written to SQLite.
"""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "props"))
import histstore  # noqa: E402
import pcaputil  # noqa: E402
import wirelib  # noqa: E402

BIN, REPO = sys.argv[1], sys.argv[2]
KEYS = {"servers": ["server"], "pools": ["pool"], "server_versions": ["server", "version"],
        "server_keys": ["server", "spki"], "attempts": ["pair"]}
HOSTILE = ["'); DROP TABLE servers;--", "x\"; DELETE FROM pools; --", "$1 $2 %s %n \\x00 \\'",
           "Robert'); DROP TABLE server_keys;-- ü"]


def corpus():
    return sorted(os.path.join(REPO, "pcaps", f) for f in os.listdir(os.path.join(REPO, "pcaps"))
                  if f.endswith(".pcap"))


def analyze(store, spec, files, extra=()):
    p = store.run(["analyze", "-q", "--stats", "/dev/null", "--geoip", "none", "--ca-file",
                   os.path.join(REPO, "pcaps/ca/corpus-ca.pem"), "--history", spec, *extra,
                   *files], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"analyze --history {spec}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def diff(got, want, label):
    bad = []
    for t in KEYS:
        g, w = got[t], want[t]
        if set(g) != set(w):
            bad.append(f"{label}: {t}: rows {sorted(set(g) ^ set(w))[:3]} in one only")
        for k in sorted(set(g) & set(w)):
            if g[k] != w[k]:
                bad.append(f"{label}: {t} {k}: {g[k]} vs {w[k]}")
    return bad


def part_concurrent(store, work):
    bad = []
    files = corpus()
    for n in (2, 4):
        at_once, in_turn = store.new(work, "a"), store.new(work, "b")
        procs = [store.popen(["analyze", "-q", "--stats", "/dev/null", "--history", at_once,
                              *files, *files], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for _ in range(n)]
        for p in procs:
            err = p.communicate(timeout=300)[1]
            if p.returncode not in (0, 1) or "history" in err:
                bad.append(f"{n} sensors: analyze exit {p.returncode}: {err.strip()}")
        for _ in range(n):
            p = store.run(["analyze", "-q", "--stats", "/dev/null", "--history", in_turn, *files,
                           *files], capture_output=True, text=True)
            if p.returncode not in (0, 1):
                bad.append(f"{n} in turn: exit {p.returncode}: {p.stderr.strip()}")
        got, want = store.dump(at_once, KEYS)[0], store.dump(in_turn, KEYS)[0]
        d = diff(got, want, f"{n} sensors")
        bad += d[:10]
        conns = sum(r["connections"] for r in got["servers"].values())
        print(f"{n} sensors at once: {conns} connections in {len(got['servers'])} servers, "
              f"{len(got['pools'])} pools, {len(got['server_keys'])} keys, "
              f"{len(got['attempts'])} attempts; {len(d)} differences from {n} runs in turn")
        if not conns:
            bad.append(f"{n} sensors: {conns} connections")
    return bad


def part_backends(store, work):
    """SQLite and PostgreSQL, two runs each, the database restarted between."""
    files = corpus()
    half = len(files) // 2
    lite = histstore.Store("sqlite", BIN)
    sq, pg = lite.new(work, "lite"), store.new(work, "pg")
    analyze(lite, sq, files[:half])
    analyze(store, pg, files[:half])
    store.pg.stop()
    store.pg.start()
    analyze(lite, sq, files[half:])
    analyze(store, pg, files[half:])
    d = diff(store.dump(pg, KEYS)[0], lite.dump(sq, KEYS)[0], "PostgreSQL vs SQLite")
    a = store.run(["history", pg], capture_output=True, text=True).stdout
    b = lite.run(["history", sq], capture_output=True, text=True).stdout
    if a != b or not a:
        d.append("smtptls history prints the two backends differently")
    print(f"two runs, the server restarted between them: {len(d)} differences between the "
          f"PostgreSQL and the SQLite history; `smtptls history` prints "
          f"{len(a.splitlines())} lines, {'the same' if a == b else 'different'} for both")
    return d[:10], sq, pg


def split(pcap, nth_syn, work):
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0",
                          "-T", "fields", "-e", "frame.number"], capture_output=True, text=True,
                         check=True).stdout.split()
    cut = int(out[nth_syn - 1])
    first, second = (os.path.join(work, f"site{n}.pcap") for n in "AB")
    subprocess.run(["editcap", "-r", pcap, first, f"1-{cut - 1}"], check=True, capture_output=True)
    subprocess.run(["editcap", "-r", pcap, second, f"{cut}-1000000"], check=True,
                   capture_output=True)
    return first, second


def part_sites(store, work):
    bad = []
    spec = store.new(work, "sites")
    a_pcap, b_pcap = split(os.path.join(REPO, "pcaps", "flap-strip-consistent.pcap"), 5, work)
    got = {}
    for site, pcap in (("A", a_pcap), ("B", b_pcap)):
        p = analyze(store, spec, [pcap], ["--alerts", "-"])
        got[site] = [json.loads(x) for x in p.stdout.splitlines()
                     if json.loads(x)["type"] == "starttls_capability_missing"]
    alone = [json.loads(x) for x in analyze(histstore.Store("sqlite", BIN), os.path.join(
        work, "alone.db"), [b_pcap], ["--alerts", "-"]).stdout.splitlines()
        if json.loads(x)["type"] == "starttls_capability_missing"]
    if got["A"] or not got["B"] or any(a["severity"] != "high" for a in got["B"]):
        bad.append(f"two sites: A {got['A']}, B {got['B']}: want nothing at A, high at B")
    print(f"two sites: A (STARTTLS offered) {len(got['A'])} alerts; B (STARTTLS missing) "
          f"{[(a['severity'], a['confidence']) for a in got['B']]}; B without A's history "
          f"{[(a['severity'], a['confidence']) for a in alone]}")
    return bad


def hostile_pcap(path):
    rnd = random.Random(24)
    w = wirelib.Writer(path)
    for i, s in enumerate(HOSTILE):
        b = s.encode() + b"\xff\xfe"
        c = wirelib.Conn(w, wirelib.ip4(f"203.0.113.{40 + i}"), 40000 + i)
        c.handshake()
        c.s(b"220 " + b + b" ESMTP\r\n")
        c.c(b"EHLO " + b + b"\r\n")
        c.s(b"250-" + b + b"\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        c.c(b"STARTTLS\r\n")
        c.s(b"220 2.0.0 Ready to start TLS\r\n")
        c.c(wirelib.tls_record(22, wirelib.client_hello(rnd, sni=s)))
        cert = wirelib.der_cert(rnd, 0, cn=s)
        c.s(wirelib.tls_record(22, wirelib.server_hello12(rnd) +
                               wirelib.hs(11, wirelib.vec24(wirelib.vec24(cert))) +
                               wirelib.hs(14, b"")))
        c.close()
        w.tick(1000000)
    w.close()


def part_injection(store, work):
    bad = []
    spec = store.new(work, "hostile")
    pcap = os.path.join(work, "hostile.pcap")
    hostile_pcap(pcap)
    dns = os.path.join(work, "dns.txt")  # any given DNS data: the SNI names the MX host then
    with open(dns, "w") as f:
        f.write("example.net. 300 IN MX 10 mx1.example.net.\n")
    p = analyze(store, spec, [pcap], ["-s", "-", "--dns-data", dns])
    recs = [json.loads(x) for x in p.stdout.splitlines()]
    got = store.dump(spec, KEYS)[0]
    seen = {"banner": 0, "helo": 0, "sni": 0, "cert": 0}
    for r in recs:
        seen["banner"] += any(h in (r["smtp"] or {}).get("banner") or "" for h in HOSTILE)
        seen["helo"] += any(h in (r["smtp"] or {}).get("helo") or "" for h in HOSTILE)
        seen["sni"] += "'" in ((r["tls"] or {}).get("sni") or "")
        seen["cert"] += "DROP" in ((r["cert"] or {}).get("subject") or "")
        mx = (r.get("dns") or {}).get("mx_host")
        if mx:
            want = f"name {mx[:140]}:{r['server']['port']}"
            if (want,) not in got["pools"]:
                bad.append(f"injection: pool {want!r} not stored as given: {list(got['pools'])}")
    names = [k[0] for k in got["pools"] if k[0].startswith("name ")]
    if len(names) != len(HOSTILE) or min(seen.values()) < 2:
        bad.append(f"injection: hostile names in records {seen}, in pools {names}")
    if len(recs) != len(HOSTILE) or len(got["servers"]) != 1 or \
            got["servers"][("198.51.100.25:25",)]["connections"] != len(HOSTILE):
        bad.append(f"injection: {len(recs)} records, servers {got['servers']}")
    # every text column, through an import
    rows = [{"smtptls_history": 3}]
    for i, s in enumerate(HOSTILE):
        rows += [{"table": "servers", "server": s, "starttls_offered": 1, "ehlo_accepted": 1,
                  "tls13": 0, "first_seen": 10, "last_seen": 20, "connections": 1 + i,
                  "starttls_used": 1, "tls_failed": 0, "starttls_returns": 0, "tls_returns": 0,
                  "key_changes": 0},
                 {"table": "pools", "pool": s, "starttls_offered": 1, "ehlo_accepted": 1,
                  "tls13": 0, "first_seen": 10, "last_seen": 20, "connections": 1,
                  "starttls_used": 1, "tls_failed": 0, "starttls_returns": 0, "tls_returns": 0,
                  "key_changes": 0},
                 {"table": "server_versions", "server": s, "version": s[:60], "connections": 2},
                 {"table": "server_keys", "server": s, "spki": s[:60], "validation": s[:40],
                  "first_seen": 10, "last_seen": 20, "connections": 1, "not_before": None,
                  "not_after": None},
                 {"table": "attempts", "pair": s, "last_failed": 30}]
    dump = os.path.join(work, "hostile.jsonl")
    with open(dump, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    p = store.run(["history", spec, "--import", dump], capture_output=True, text=True)
    if p.returncode != 0:
        bad.append(f"injection: --import exit {p.returncode}: {p.stderr.strip()}")
    after = store.dump(spec, KEYS)[0]
    for s in HOSTILE:
        for t, k in (("servers", (s,)), ("pools", (s,)), ("server_versions", (s, s[:60])),
                     ("server_keys", (s, s[:60])), ("attempts", (s,))):
            if k not in after[t]:
                bad.append(f"injection: {t} {k!r} not stored as given")
        if after["server_keys"].get((s, s[:60]), {}).get("validation") != s[:40]:
            bad.append(f"injection: validation of {s!r} not stored as given")
    tables = store.pg.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM "
                           "pg_tables WHERE schemaname = 'public'", spec_db(spec)).strip()
    if tables != "attempts,pools,schema_version,server_keys,server_versions,servers":
        bad.append(f"injection: the tables are now {tables}")
    print(f"injection: {len(recs)} records with hostile banner/EHLO/SNI/certificate names "
          f"(seen in records: {seen}); hostile pool names stored as given: {names}; "
          f"{len(HOSTILE)} hostile strings imported into every text column; tables {tables}")
    return bad


def spec_db(spec):
    return spec.split("///")[1].split("?")[0]


def part_moves(store, work, sq, pg):
    bad = []
    lite = histstore.Store("sqlite", BIN)
    out = {}
    for label, src, dst_store, dst in (("SQLite to PostgreSQL", sq, store, store.new(work, "x")),
                                       ("PostgreSQL to SQLite", pg, lite,
                                        os.path.join(work, "moved.db"))):
        exp = os.path.join(work, "move.jsonl")
        with open(exp, "w") as f:
            f.write((store if src == pg else lite).export(src))
        p = dst_store.run(["history", dst, "--import", exp], capture_output=True, text=True)
        if p.returncode != 0:
            bad.append(f"{label}: --import exit {p.returncode}: {p.stderr.strip()}")
            continue
        again = dst_store.export(dst)
        if again != open(exp).read():
            bad.append(f"{label}: the export of the imported history differs")
        out[label] = len(again.splitlines()) - 1
    print(f"moves: {out} rows, each export of the imported history equal to the original")
    return bad


def part_cache(store, work):
    bad = []
    files = corpus()
    lite = histstore.Store("sqlite", BIN)
    sq, pg = lite.new(work, "full"), store.new(work, "full")
    out = {}
    for st, spec in ((lite, sq), (store, pg)):
        analyze(st, spec, files)
        if st is store:
            time.sleep(0.7)  # the statistics collector's delay
            before = int(store.pg.psql("SELECT idx_scan FROM pg_stat_user_tables WHERE "
                                       "relname = 'servers'", spec_db(pg)))
        out[st.kind] = analyze(st, spec, files * 3, ["--max-servers", "1", "-s", "-"]).stdout
    time.sleep(0.7)
    after = int(store.pg.psql("SELECT idx_scan FROM pg_stat_user_tables WHERE relname = "
                              "'servers'", spec_db(pg)))
    n = len(out["pg"].splitlines())
    servers = len(store.dump(pg, KEYS)[0]["servers"])
    if out["pg"] != out["sqlite"] or not n:
        bad.append("table full: the records differ between SQLite and PostgreSQL")
    if after - before > 3 * servers or after == before:
        bad.append(f"table full: {after - before} index reads of servers for {n} records "
                   f"of {servers} servers")
    print(f"table full (--max-servers 1): {n} records, the same as on SQLite: "
          f"{out['pg'] == out['sqlite']}; {after - before} index reads of the servers table "
          f"(reads and writes) for {servers} servers")
    return bad


def part_tcp(store, work):
    bad = []
    hdr, e, recs = pcaputil.read_pcap(os.path.join(REPO, "pcaps", "starttls-tls13.pcap"))
    rounds = [[(sec + k * 3600, frac, orig, data) for sec, frac, orig, data in recs]
              for k in range(4)]
    whole = os.path.join(work, "rounds.pcap")
    pcaputil.write_pcap(whole, hdr, e, [r for rnd in rounds for r in rnd])
    lite = histstore.Store("sqlite", BIN)
    ref = lite.new(work, "tcp-ref")
    analyze(lite, ref, [whole])
    store.pg.enable_tcp()
    db = spec_db(store.new(work, "tcp"))
    uri = f"postgresql://smtptls@127.0.0.1:{histstore.pgserver.PORT}/{db}?sslmode=disable"
    fifo, stats = os.path.join(work, "rounds.fifo"), os.path.join(work, "tcp-stats.json")
    os.mkfifo(fifo)
    p = store.popen(["analyze", "-q", "--stats", stats, "--history", uri, fifo],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    fd = -1
    while fd < 0 and p.poll() is None:  # never block on a pipe nobody reads
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            time.sleep(0.05)
    if fd < 0:
        return [f"over TCP: analyze exit {p.returncode}: {p.communicate()[1].strip()}"]
    os.set_blocking(fd, True)
    with os.fdopen(fd, "wb") as f:
        def feed(rnd):
            for sec, frac, orig, data in rnd:
                f.write(struct.pack(e + "IIII", sec, frac, len(data), orig) + data)
            f.flush()
            time.sleep(1.3)  # a batch is written at the next record after a second
        f.write(hdr)
        feed(rounds[0])
        store.pg.stop()
        feed(rounds[1])
        feed(rounds[2])
        store.pg.start()
        feed(rounds[3])
    try:
        err = p.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        p.kill()
        err = p.communicate()[1] + " (killed: still running 30 s after its input ended)"
    h = json.load(open(stats))["health"].get("history", {}) if os.path.exists(stats) else {}
    if p.returncode != 0 or "unreachable" not in err or "reachable again" not in err or \
            not h.get("write_failures") or h.get("updates_lost") or h.get("pending"):
        bad.append(f"over TCP: analyze exit {p.returncode}, {err.strip()!r}, health {h}")
    d = diff(store.dump(uri, KEYS)[0], lite.dump(ref, KEYS)[0], "over TCP")
    bad += d[:10]
    print(f"over TCP under the sandbox, the database stopped for two batches: exit "
          f"{p.returncode}, health.history {h}, {len(d)} differences from SQLite; log: "
          f"{' / '.join(x for x in err.strip().splitlines() if 'PostgreSQL' in x)}")
    return bad


def part_access(store, work):
    bad = []
    db = spec_db(store.new(work, "pw"))
    secret = "s3cret-in-uri"
    uri = f"postgresql://smtptls:{secret}@/{db}?host={store.pg.sock}&port={store.pg_port()}"
    p = store.run(["analyze", "-q", "--stats", "/dev/null", "--history", uri,
                   os.path.join(REPO, "pcaps", "starttls-tls13.pcap")], capture_output=True,
                  text=True)
    if p.returncode != 2 or "password file" not in p.stderr or secret in p.stderr:
        bad.append(f"password in the URI: exit {p.returncode}, {p.stderr.strip()!r}")
    # a role without CREATE: fails clearly, then works on an administrator's tables
    spec = store.pg.new_db(create_grant=False)
    pcap = os.path.join(REPO, "pcaps", "starttls-tls13.pcap")
    p = store.run(["analyze", "-q", "--stats", "/dev/null", "--history", spec, pcap],
                  capture_output=True, text=True)
    denied = p.stderr.strip()
    if p.returncode != 2 or "permission denied" not in denied:
        bad.append(f"no CREATE: exit {p.returncode}, {denied!r}")
    admin = spec.replace("user=smtptls", "user=postgres")
    p = store.run(["history", admin, "--import", "/dev/stdin"], input='{"smtptls_history":3}\n',
                  capture_output=True, text=True)
    if p.returncode != 0:
        bad.append(f"the administrator's first run: exit {p.returncode}: {p.stderr.strip()}")
    store.pg.admin("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO smtptls",
                   spec_db(spec))
    p = store.run(["analyze", "-q", "--stats", "/dev/null", "--history", spec, pcap],
                  capture_output=True, text=True)
    n = len(store.dump(spec, KEYS)[0]["servers"]) if p.returncode == 0 else 0
    if p.returncode != 0 or not n:
        bad.append(f"tables made by an administrator: exit {p.returncode}, {p.stderr.strip()}")
    print(f"access: a password in the URI refused; without CREATE: {denied!r}; on an "
          f"administrator's tables with SELECT, INSERT, UPDATE: {n} server(s) written")
    return bad


def main():
    store = histstore.Store("pg", BIN) if histstore.pgserver.binaries() else None
    if not store:
        print("SKIP PostgreSQL server binaries absent")
        return 77
    store.pg_port = lambda: histstore.pgserver.PORT
    bad = []
    work = tempfile.mkdtemp(prefix="smtptls-pg-test-")
    try:
        bad += part_concurrent(store, work)
        d, sq, pg = part_backends(store, work)
        bad += d
        bad += part_sites(store, work)
        bad += part_injection(store, work)
        bad += part_moves(store, work, sq, pg)
        bad += part_cache(store, work)
        bad += part_access(store, work)
        bad += part_tcp(store, work)
    except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        bad.append(f"{e}: {getattr(e, 'stderr', '')}")
    finally:
        store.close()
        subprocess.run(["rm", "-rf", work])
    for b in bad:
        print("FAIL", b)
    print(f"{0 if bad else 1} passed, {1 if bad else 0} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
