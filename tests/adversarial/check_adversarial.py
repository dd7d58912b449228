#!/usr/bin/env python3
"""Adversarial captures: nothing an attacker puts on the wire may crash
smtptls, hang it, make it use unbounded memory, or make it lose the records of
other connections.

    check_adversarial.py BINARY WORKDIR [--scale full|small] [--case NAME]...

Generates the captures (make_adversarial.py) into WORKDIR, runs
`smtptls analyze -q --sessions - --stats FILE` on each in a child of its own
under a wall-clock limit, and checks the exit status, stderr (no sanitizer
report), the child's peak RSS (from wait4), the counter or anomaly that names
the attack, and that the normal connections of the same capture come out with
the right endpoints, encryption outcome and byte counts.

The scale is `full` for an ordinary build and `small` for a sanitizer build
(detected from the binary); SMTPTLS_ADV_SCALE or --scale overrides it.
Prints one row per run and ends with "N passed, N failed".
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_adversarial as mk  # noqa: E402

TIMEOUT = 120  # seconds of wall clock per run
MIB = 1024

# Peak RSS limits (KiB) per run, for an ordinary build at full scale. What
# the analyzer needs for a normal small capture is a few MiB; the limits sit
# well above what each case really takes (see README.md) and far below the
# size of the attack. A sanitizer build gets SANITIZER_RSS_FACTOR times more
# (shadow memory and the allocator's quarantine).
RSS_LIMIT = {
    "syn_flood": 128 * MIB,  # 100 000 half-open flows: ~54 MiB
    "syn_flood/max-flows": 32 * MIB,
    "tiny_conns": 256 * MIB,  # a full table of 100 000 flows that sent a line
    "tiny_conns/max-flows": 64 * MIB,
    "long_lines": 24 * MIB,  # lines of 32 MB
    "ehlo_huge": 24 * MIB,  # a 100 MB reply
    "tls_oversize": 32 * MIB,
    "tls_oversize/max-reassembly": 32 * MIB,
    "overlaps/max-buffer": 32 * MIB,
    "certs": 32 * MIB,
    "overlaps": 32 * MIB,
    "seq_wrap": 32 * MIB,
    "ts_backwards": 32 * MIB,
    "truncated": 32 * MIB,
    "snaplen": 32 * MIB,
    "giant_record": 32 * MIB,
    "unknown_blocks": 32 * MIB,
    "dns_flood": 112 * MIB,  # the DNS view at its default cap of 64 MiB
    "dns_flood/max-dns-memory": 40 * MIB,
}
# A sanitizer build: redzones around every allocation, shadow memory, and
# the allocator's quarantine of freed blocks (kept small by ASAN_OPTIONS
# below). Its limit is SANITIZER_RSS_FACTOR times the limit plus
# SANITIZER_RSS_BASE.
SANITIZER_RSS_FACTOR = 2
SANITIZER_RSS_BASE = 96 * MIB
SANITIZER_ENV = "quarantine_size_mb=32"

SANITIZER_WORDS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:", "MemorySanitizer", "ThreadSanitizer")

# Records parsed in full: the normal connections (192.0.2.0/24) and the
# attack connections whose facts are checked (203.0.113.0/24). The others
# (floods) are only counted.
WATCHED = (b'"ip":"192.0.2.', b'"ip":"203.0.113.')


# The run's child: a fresh, small interpreter that starts smtptls and reports
# its exit status and peak RSS (wait4). Linux carries the high-water mark of a
# process image into the program it execs, so smtptls is not started straight
# from this (larger) process: its peak would start at ours. The floor this
# leaves (the helper's own few MiB) is measured and printed.
HELPER = r"""
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execv(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, st, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d %d" % (os.waitstatus_to_exitcode(st), ru.ru_maxrss))
"""


def is_sanitizer_build(path):
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


class Run:
    """One smtptls run: exit status, wall time, peak RSS, stderr, the watched
    records keyed by (client ip, client port), the record count and the
    statistics snapshot."""

    def __init__(self, binary, args, files, statsfile):
        self.records = {}
        self.count = 0
        self.stats = None
        self.timed_out = False
        cmd = [binary, "analyze", "-q", "--sessions", "-", "--stats", statsfile] + args + files
        self.cmd = cmd
        errpath = statsfile + ".stderr"
        rusage = statsfile + ".rusage"
        for f in (statsfile, rusage):
            if os.path.exists(f):
                os.unlink(f)
        t0 = time.monotonic()
        with open(errpath, "wb") as err:
            env = dict(os.environ)
            env["ASAN_OPTIONS"] = ":".join(
                x for x in (SANITIZER_ENV, env.get("ASAN_OPTIONS")) if x)
            p = subprocess.Popen([sys.executable, "-S", "-E", "-c", HELPER, rusage] + cmd,
                                 stdout=subprocess.PIPE, stderr=err, start_new_session=True,
                                 env=env)

            def kill():
                self.timed_out = True
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(TIMEOUT, kill)
            timer.start()
            try:
                for line in p.stdout:
                    self.count += 1
                    if WATCHED[0] in line or WATCHED[1] in line:
                        r = json.loads(line)
                        c = r["client"]
                        self.records.setdefault((c["ip"], c["port"]), []).append(r)
                p.stdout.close()
                p.wait()
            finally:
                timer.cancel()
        self.wall = time.monotonic() - t0
        self.rc, self.rss_kib = -1, 0
        if os.path.exists(rusage):
            with open(rusage) as f:
                self.rc, self.rss_kib = (int(x) for x in f.read().split())
        with open(errpath, "rb") as f:
            self.stderr = f.read().decode("utf-8", "replace")
        if os.path.exists(statsfile):
            with open(statsfile) as f:
                self.stats = json.load(f)

    def rec(self, ip, port):
        rs = self.records.get((ip, port), [])
        return rs[0] if len(rs) == 1 else None

    def health(self, *path):
        v = (self.stats or {}).get("health", {})
        for k in path:
            v = v.get(k, {}) if isinstance(v, dict) else {}
        return v if isinstance(v, int) else 0


class Checker:
    def __init__(self, binary, workdir, scale, sanitizer):
        self.binary, self.workdir, self.scale, self.sanitizer = binary, workdir, scale, sanitizer
        self.rows = []
        self.passed = self.failed = 0

    # -- one run and its verdict -------------------------------------------
    def run(self, case_dir, spec, files, expect_exit=0):
        name = spec["name"]
        statsfile = os.path.join(case_dir, name.replace("/", "_") + ".stats.json")
        r = Run(self.binary, spec.get("args", []), [os.path.join(case_dir, f) for f in files],
                statsfile)
        errors = []
        limit = RSS_LIMIT[name]
        if self.sanitizer:
            limit = limit * SANITIZER_RSS_FACTOR + SANITIZER_RSS_BASE
        if r.timed_out:
            errors.append("killed after %d s (hang?)" % TIMEOUT)
        if r.rc != expect_exit:
            errors.append("exit %d, expected %d" % (r.rc, expect_exit))
        if any(w in r.stderr for w in SANITIZER_WORDS):
            errors.append("sanitizer report on stderr")
        if r.rss_kib > limit:
            errors.append("peak RSS %.1f MiB over the limit of %.0f MiB" %
                          (r.rss_kib / 1024, limit / 1024))
        if expect_exit == 0 and r.stderr.strip():
            errors.append("stderr not empty: %r" % r.stderr.strip()[:200])
        if r.stats is None and not r.timed_out:
            errors.append("no statistics snapshot written")
        peak = r.health("reassembly", "peak_bytes")
        max_total = spec.get("max_total", 128 << 20)
        if peak > max_total:
            errors.append("reassembly.peak_bytes %d over --max-reassembly %d" % (peak, max_total))
        return r, errors, limit

    def report(self, name, r, errors, key, limit):
        ok = not errors
        self.passed += ok
        self.failed += not ok
        self.rows.append((name, r.wall, r.rss_kib / 1024, limit / 1024, r.count, key,
                          "ok" if ok else "FAIL"))
        for e in errors:
            print("FAIL %s: %s" % (name, e), flush=True)
        if errors:
            print("     command: %s" % " ".join(r.cmd), flush=True)
            if r.stderr.strip():
                print("     stderr: " + "\n     ".join(r.stderr.strip().splitlines()[:40]),
                      flush=True)

    # -- the normal connections --------------------------------------------
    def check_normals(self, r, normals, errors, snaplen=None):
        for n in normals:
            ip, port = n["client"]
            rs = r.records.get((ip, port), [])
            what = "normal %s %s:%d" % (n["kind"], ip, port)
            if len(rs) != 1:
                errors.append("%s: %d records, expected 1 (ends: %s)" %
                              (what, len(rs), ", ".join(
                                  "%s%s" % (x["end"], "/midstream" if x["tcp"]["midstream"]
                                             else "") for x in rs)))
                continue
            rec = rs[0]
            got = {
                "server": [rec["server"]["ip"], rec["server"]["port"]],
                "bytes": [rec["bytes"]["client"], rec["bytes"]["server"]],
                "packets": [rec["packets"]["client"], rec["packets"]["server"]],
                "end": rec["end"], "complete": rec["complete"],
            }
            want = {"server": n["server"], "bytes": n["bytes"], "packets": n["packets"],
                    "end": "fin", "complete": True}
            if snaplen is None:
                got.update(encryption=rec["encryption"], gaps=rec["gaps"],
                           stream=[rec["tcp"]["stream_bytes"]["client"],
                                   rec["tcp"]["stream_bytes"]["server"]],
                           conflicts=rec["tcp"]["overlap_conflicts"]["client"] +
                           rec["tcp"]["overlap_conflicts"]["server"])
                want.update(encryption=n["encryption"], gaps=0, stream=n["bytes"], conflicts=0)
                if "messages" in n:
                    smtp = rec["smtp"] or {}
                    got.update(messages=smtp.get("messages"),
                               message_bytes=smtp.get("message_bytes"))
                    want.update(messages=n["messages"], message_bytes=n["message_bytes"])
                if "tls_version" in n:
                    tls = rec["tls"] or {}
                    got.update(tls_version=tls.get("version"), established=tls.get("established"))
                    want.update(tls_version=n["tls_version"], established=n["established"])
            else:
                # The capture kept snaplen bytes of each frame: what was cut
                # is a gap, never bytes invented or lost from the count.
                got["gaps_consistent"] = rec["gaps"] == (
                    rec["bytes"]["client"] + rec["bytes"]["server"] -
                    rec["tcp"]["stream_bytes"]["client"] - rec["tcp"]["stream_bytes"]["server"])
                want["gaps_consistent"] = True
            for k in want:
                if got[k] != want[k]:
                    errors.append("%s: %s is %r, expected %r" % (what, k, got[k], want[k]))

    # -- the cases ---------------------------------------------------------
    def case(self, name):
        t0 = time.monotonic()
        man = mk.make(self.workdir, name, self.scale)
        gen = time.monotonic() - t0
        size = sum(os.path.getsize(os.path.join(self.workdir, name, f)) for f in man["files"])
        print("generated %-13s %8.1f MB in %5.1f s" % (name, size / 1e6, gen), flush=True)
        d = os.path.join(self.workdir, name)
        getattr(self, "case_" + name)(d, man)

    def simple(self, d, man, fn):
        """Cases with one run over the case's capture, then fn(run, errors)
        for the attack-specific checks; returns the key-counter text."""
        for spec in man["runs"]:
            r, errors, limit = self.run(d, spec, man["files"])
            self.check_normals(r, man["normals"], errors)
            key = fn(spec, r, errors) if r.stats is not None else ""
            self.report(spec["name"], r, errors, key, limit)

    def attack_rec(self, r, ip, port, errors, what=""):
        rec = r.rec(ip, port)
        if rec is None:
            errors.append("attack connection %s:%d %s: %d records, expected 1" %
                          (ip, port, what, len(r.records.get((ip, port), []))))
        return rec

    def case_syn_flood(self, d, man):
        syns = man["attack"]["syns"]
        normals = len(man["normals"])

        def fn(spec, r, errors):
            ev = r.health("flows_evicted")
            if r.count != syns + normals:
                errors.append("%d records, expected %d (one per SYN, plus the normal ones)" %
                              (r.count, syns + normals))
            if syns > spec["max_flows"] and ev == 0:
                errors.append("health.flows_evicted is 0 with %d half-open connections and "
                              "--max-flows %d" % (syns, spec["max_flows"]))
            return "flows_evicted=%d" % ev

        self.simple(d, man, fn)

    def case_tiny_conns(self, d, man):
        n = man["attack"]["connections"]
        normals = len(man["normals"])

        def fn(spec, r, errors):
            ev = r.health("flows_evicted")
            by_end = r.stats.get("connections", {}).get("by_end", {})
            # The table runs full of connections waiting out their reset:
            # the oldest closed ones make room, keeping their outcome (they
            # are done; health.flows_evicted counts active flows only).
            if r.count != n + normals:
                errors.append("%d records, expected %d" % (r.count, n + normals))
            if by_end.get("rst", 0) != n:
                errors.append("by_end.rst is %d, expected %d" % (by_end.get("rst", 0), n))
            if ev:
                errors.append("health.flows_evicted is %d: an active connection was pushed "
                              "out while closed ones could go" % ev)
            # ... and each that left before its 5 s linger is counted: the
            # capture is shorter than the linger, so every connection but
            # those still in the table at the end left early.
            early = r.health("flows_closed_early")
            low = max(0, n - spec["max_flows"])
            if not low <= early <= n:
                errors.append("health.flows_closed_early is %d, expected %d..%d (%d "
                              "connections, a table of %d)" % (early, low, n, n,
                                                               spec["max_flows"]))
            return "flows_evicted=%d closed_early=%d rst=%d evicted=%d" % (
                ev, early, by_end.get("rst", 0), by_end.get("evicted", 0))

        self.simple(d, man, fn)

    def case_long_lines(self, d, man):
        def fn(spec, r, errors):
            out = []
            for a in man["attack"]["conns"]:
                rec = self.attack_rec(r, a["client"][0], a["client"][1], errors)
                if rec is None:
                    continue
                smtp = rec["smtp"] or {}
                ll = (smtp.get("long_lines") or {}).get(a["side"], 0)
                types = [x["type"] for x in rec["anomalies"]]
                if "smtp_line_too_long" not in types:
                    errors.append("%s: no smtp_line_too_long anomaly (%s)" % (a["client"], types))
                if rec["smtp"] is not None and ll < 1:
                    errors.append("%s: smtp.long_lines.%s is %d" % (a["client"], a["side"], ll))
                if [rec["bytes"]["client"], rec["bytes"]["server"]] != a["bytes"]:
                    errors.append("%s: bytes %r, expected %r" % (a["client"], rec["bytes"],
                                                                 a["bytes"]))
                for verb, cnt in a.get("commands", {}).items():
                    if smtp.get("commands", {}).get(verb) != cnt:
                        errors.append("%s: commands.%s is %r, expected %d (resynchronised after "
                                      "the long line?)" % (a["client"], verb,
                                                           smtp.get("commands", {}).get(verb),
                                                           cnt))
                out.append("%s=%d" % (a["side"][0], ll))
            return "long_lines " + " ".join(out)

        self.simple(d, man, fn)

    def case_ehlo_huge(self, d, man):
        a = man["attack"]

        def fn(spec, r, errors):
            rec = self.attack_rec(r, a["client"][0], a["client"][1], errors)
            if rec is None:
                return ""
            smtp = rec["smtp"] or {}
            caps = smtp.get("capabilities") or []
            if [rec["bytes"]["client"], rec["bytes"]["server"]] != a["bytes"]:
                errors.append("bytes %r, expected %r" % (rec["bytes"], a["bytes"]))
            if len(caps) > 32:
                errors.append("%d capabilities kept (the cap is 32)" % len(caps))
            if smtp.get("messages") != 1 or smtp.get("last_reply") != 221:
                errors.append("dialogue after the reply not followed: messages=%r last_reply=%r"
                              % (smtp.get("messages"), smtp.get("last_reply")))
            if rec["gaps"] or rec["tcp"]["overflow_bytes"]["server"]:
                errors.append("gaps=%d overflow=%r on an in-order stream" %
                              (rec["gaps"], rec["tcp"]["overflow_bytes"]))
            return "server_bytes=%d caps=%d peak_buf=%d" % (
                rec["bytes"]["server"], len(caps), r.health("reassembly", "peak_bytes"))

        self.simple(d, man, fn)

    def case_tls_oversize(self, d, man):
        def problems(rec):
            return (rec.get("tls") or {}).get("problems") or {}

        def fn(spec, r, errors):
            seen = {}
            for a in man["attack"]["conns"]:
                ip, port = a["client"]
                if "count" in a:
                    missing = [p for p in range(port, port + a["count"]) if r.rec(ip, p) is None]
                    if missing:
                        errors.append("%s: %d of %d connections have no record" %
                                      (a["what"], len(missing), a["count"]))
                    continue
                rec = self.attack_rec(r, ip, port, errors, a["what"])
                if rec is None:
                    continue
                pr = problems(rec)
                for k, v in pr.items():
                    seen[k] = seen.get(k, 0) + v.get("client", 0) + v.get("server", 0)
                want = {40020: ("not_tls", "malformed"), 40021: ("not_tls", "malformed"),
                        40022: ("oversize_records",), 40023: ("skipped_handshake",)}.get(port)
                if want and not any(sum(pr.get(k, {}).values()) for k in want):
                    errors.append("%s: tls.problems %r names none of %s" % (a["what"], pr, want))
                if rec["encryption"] == "starttls":
                    errors.append("%s: counted as an established STARTTLS" % a["what"])
            refused = r.health("reassembly", "refused_bytes")
            if "max_total" in spec and refused < 1:
                errors.append("200 parked records of 16 KB under --max-reassembly 1M, but "
                              "reassembly.refused_bytes is 0")
            return "problems " + " ".join("%s=%d" % kv for kv in sorted(seen.items())) + \
                " peak=%d refused=%d" % (r.health("reassembly", "peak_bytes"), refused)

        self.simple(d, man, fn)

    def case_certs(self, d, man):
        def fn(spec, r, errors):
            out = []
            for a in man["attack"]["conns"]:
                rec = self.attack_rec(r, a["client"][0], a["client"][1], errors, a["what"])
                if rec is None:
                    continue
                tls = rec.get("tls") or {}
                pr = tls.get("problems") or {}
                skipped = (pr.get("skipped_handshake") or {}).get("server", 0)
                if "server_certs" in a and tls.get("server_certs") != a["server_certs"]:
                    errors.append("%s: server_certs %r, expected %d" %
                                  (a["what"], tls.get("server_certs"), a["server_certs"]))
                if a.get("skipped") and skipped < 1:
                    errors.append("%s: tls.problems.skipped_handshake.server is 0 (%r)" %
                                  (a["what"], pr))
                if a.get("established") and not tls.get("established"):
                    errors.append("%s: handshake after the Certificate not followed (%r)" %
                                  (a["what"], rec["encryption"]))
                out.append("%d:certs=%s,skip=%d" % (a["client"][1] - 40030,
                                                   tls.get("server_certs"), skipped))
            return " ".join(out)

        self.simple(d, man, fn)

    def case_overlaps(self, d, man):
        def fn(spec, r, errors):
            out = []
            for a in man["attack"]["conns"]:
                rec = self.attack_rec(r, a["client"][0], a["client"][1], errors, a["what"])
                if rec is None:
                    continue
                oc = rec["tcp"]["overlap_conflicts"]
                if oc["client"] < 1:
                    errors.append("%s: tcp.overlap_conflicts.client is 0" % a["what"])
                smtp = rec["smtp"] or {}
                if "commands" in a and smtp.get("commands") != a["commands"]:
                    errors.append("%s: commands %r, expected %r (first copy wins)" %
                                  (a["what"], smtp.get("commands"), a["commands"]))
                for side, cnt in a.get("conflicts", {}).items():
                    if oc[side] != cnt:
                        errors.append("%s: tcp.overlap_conflicts.%s is %d, expected %d" %
                                      (a["what"], side, oc[side], cnt))
                if a["client"][1] == 40041 and "max_buffer" in spec:
                    if rec["tcp"]["overflow_bytes"]["client"] < 1:
                        errors.append("%s: 200 KB ahead of a hole under --max-buffer 64k, but "
                                      "tcp.overflow_bytes.client is 0" % a["what"])
                if a["client"][1] == 40040:
                    if oc["server"] < 1:
                        errors.append("%s: tcp.overlap_conflicts.server is 0" % a["what"])
                out.append("%d/%d" % (oc["client"], oc["server"]))
            return "overlap_conflicts " + " ".join(out) + " refused=%d" % r.health(
                "reassembly", "refused_bytes")

        self.simple(d, man, fn)

    def case_seq_wrap(self, d, man):
        def fn(spec, r, errors):
            big = [n for n in man["normals"] if n["kind"] == "bigmessage/wrap"][0]
            rec = r.rec(*big["client"])
            ooo = rec["tcp"]["out_of_order"]["client"] if rec else 0
            if rec and ooo < 1:
                errors.append("the reordered message shows no out_of_order segments")
            return "wrapped=%d out_of_order=%d" % (
                sum(1 for n in man["normals"] if n["kind"].endswith("/wrap")), ooo)

        self.simple(d, man, fn)

    def case_ts_backwards(self, d, man):
        def fn(spec, r, errors):
            tb = r.health("timestamps_backwards")
            if tb < man["attack"]["jumps_at_least"]:
                errors.append("health.timestamps_backwards is %d, expected at least %d" %
                              (tb, man["attack"]["jumps_at_least"]))
            return "timestamps_backwards=%d" % tb

        self.simple(d, man, fn)

    def case_dns_flood(self, d, man):
        att = man["attack"]

        def fn(spec, r, errors):
            dns = (r.stats or {}).get("health", {}).get("dns", {})
            want = {"messages": att["messages"], "tcp_connections": 1,
                    "malformed": sum(att["malformed"].values())}
            for k, v in want.items():
                if dns.get(k) != v:
                    errors.append("health.dns.%s is %r, expected %d" % (k, dns.get(k), v))
            by = dns.get("malformed_by", {})
            for k, v in att["malformed"].items():
                if by.get(k) != v:
                    errors.append("health.dns.malformed_by.%s is %r, expected %d" %
                                  (k, by.get(k), v))
            if dns.get("answers", 0) < att["answers"]:
                errors.append("health.dns.answers %r < %d" % (dns.get("answers"), att["answers"]))
            if dns.get("peak_bytes", 0) > spec["dns_cap"]:
                errors.append("health.dns.peak_bytes %d over the cap %d" %
                              (dns["peak_bytes"], spec["dns_cap"]))
            if dns.get("dropped_memory", 0) == 0:
                errors.append("health.dns.dropped_memory is 0: the flood did not reach the cap")
            return "dns messages=%s malformed=%s dropped=%s peak=%.1fMiB" % (
                dns.get("messages"), dns.get("malformed"), dns.get("dropped_memory"),
                dns.get("peak_bytes", 0) / 1048576)

        self.simple(d, man, fn)

    def case_bad_files(self, d, man):
        for spec in man["runs"]:
            path = os.path.join(d, spec["files"][0])
            r, errors, limit = self.run(d, spec, spec["files"], spec["exit"])
            self.check_normals(r, spec["normals"], errors, spec.get("snaplen"))
            lines = [x for x in r.stderr.splitlines() if x.strip()]
            key = ""
            if spec["exit"] == 1:
                if len(lines) != 1 or path not in lines[0]:
                    errors.append("stderr should be one line naming %s, got %r" % (path, lines))
                if r.stats and r.health("files_failed") != 1:
                    errors.append("health.files_failed is %d" % r.health("files_failed"))
                key = "stderr: " + (lines[0].replace(path, "FILE")[:60] if lines else "")
            elif "snaplen" in spec:
                pt = r.health("malformed", "payload_truncated")
                gaps = (r.stats or {}).get("connections", {}).get("gap_bytes", 0)
                if pt < 1 or gaps < 1:
                    errors.append("frames cut to the snap length but payload_truncated=%d "
                                  "gap_bytes=%d" % (pt, gaps))
                key = "payload_truncated=%d gap_bytes=%d" % (pt, gaps)
            else:
                key = "unknown blocks=%d packets=%d" % (spec["unknown_blocks"],
                                                       r.health("packets"))
            self.report(spec["name"], r, errors, key, limit)

    def table(self):
        print()
        print("%-28s %7s %9s %8s %8s  %-6s %s" % ("case", "wall s", "RSS MiB", "limit",
                                                 "records", "result", "key counters"))
        for name, wall, rss, lim, count, key, res in self.rows:
            print("%-28s %7.1f %9.1f %8.0f %8d  %-6s %s" % (name, wall, rss, lim, count, res, key))
        print()
        print("%d passed, %d failed" % (self.passed, self.failed))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("workdir")
    ap.add_argument("--scale", choices=("full", "small"))
    ap.add_argument("--case", action="append", choices=sorted(mk.CASES))
    ap.add_argument("--keep", action="store_true", help="keep the generated captures")
    a = ap.parse_args()
    sanitizer = is_sanitizer_build(a.binary)
    scale = a.scale or os.environ.get("SMTPTLS_ADV_SCALE") or ("small" if sanitizer else "full")
    os.makedirs(a.workdir, exist_ok=True)
    print("binary %s (%s), scale %s" % (a.binary, "sanitizer build" if sanitizer else "release",
                                        scale), flush=True)
    ck = Checker(os.path.abspath(a.binary), a.workdir, scale, sanitizer)
    t0 = time.monotonic()
    for name in a.case or mk.CASES:
        ck.case(name)
        if not a.keep:
            d = os.path.join(a.workdir, name)
            for f in os.listdir(d):
                if f.endswith((".pcap", ".pcapng")):
                    os.unlink(os.path.join(d, f))
    ck.table()
    print("total %.0f s" % (time.monotonic() - t0))
    return 1 if ck.failed else 0


if __name__ == "__main__":
    sys.exit(main())
