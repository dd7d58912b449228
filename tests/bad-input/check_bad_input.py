#!/usr/bin/env python3
"""Bad-input tests: every broken input gets one clear line on stderr naming the
file and the reason, the run goes on with the other inputs, the exit status
says what happened, and every output written is complete.

Inputs are made here: a small valid capture (an SMTP exchange on port 25,
built packet by packet), and broken variants of it.
"""
import json
import os
import shutil
import struct
import subprocess
import sys

BIN = sys.argv[1]
WORK = sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


def eth_tcp(src, dst, sport, dport, seq, ack, flags, data=b""):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     bytes(src), bytes(dst)) + tcp
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip


def good_packets(port=40000):
    c, s = (192, 0, 2, 10), (198, 51, 100, 25)
    out = [
        eth_tcp(c, s, port, 25, 100, 0, 0x02),
        eth_tcp(s, c, 25, port, 500, 101, 0x12),
        eth_tcp(c, s, port, 25, 101, 501, 0x10),
        eth_tcp(s, c, 25, port, 501, 101, 0x18, b"220 mx.example.net ESMTP\r\n"),
        eth_tcp(c, s, port, 25, 101, 527, 0x18, b"QUIT\r\n"),
        eth_tcp(s, c, 25, port, 527, 107, 0x19, b"221 bye\r\n"),
        eth_tcp(c, s, port, 25, 107, 537, 0x11),
        eth_tcp(s, c, 25, port, 537, 108, 0x10),
    ]
    return out


def pcap(packets, linktype=1):
    blob = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for i, p in enumerate(packets):
        blob += struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)) + p
    return blob


def write(name, data):
    path = os.path.join(WORK, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True)
    check(p.returncode in (0, 1, 2), f"{args}: exit {p.returncode} (crash?)")
    return p


def lines(s):
    return [x for x in s.splitlines() if x.strip()]


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    good = write("good.pcap", pcap(good_packets()))
    full = pcap(good_packets(41000))

    # The valid capture alone: one record, exit 0, no stderr.
    p = run("analyze", "-q", "--sessions", "-", good)
    check(p.returncode == 0 and p.stderr == "", f"good capture: {p.returncode} {p.stderr}")
    check(len(lines(p.stdout)) == 1, f"good capture: {len(lines(p.stdout))} records")

    cases = {
        "missing": (os.path.join(WORK, "does-not-exist.pcap"), "No such file or directory"),
        "not a capture": (write("notes.pcap", b"Subject: not a capture\r\n" * 20),
                          "cannot read as pcap or pcapng"),
        "empty": (write("empty.pcap", b""), "cannot read as pcap or pcapng"),
        "random bytes": (write("random.pcapng", os.urandom(4096)), "cannot read as pcap or pcapng"),
        "truncated": (write("truncated.pcap", full[:-10]),
                      "capture ends in a broken record after 7 packets"),
        "unsupported link": (write("wifi.pcap", pcap(good_packets(), linktype=105)),
                             "unsupported link type 105"),
    }
    for what, (path, reason) in cases.items():
        p = run("analyze", "-q", "--sessions", "-", path, good)
        err = lines(p.stderr)
        check(p.returncode == 1, f"{what}: exit {p.returncode}, want 1")
        check(len(err) == 1 and path in err[0] and reason in err[0],
              f"{what}: stderr {err!r}, want one line naming {path} and '{reason}'")
        recs = [json.loads(x) for x in lines(p.stdout)]
        want = 2 if what == "truncated" else 1
        check(len(recs) == want, f"{what}: {len(recs)} records, want {want} (the other input goes on)")

    # A truncated capture keeps what was read before the damage: 7 of the 8
    # packets, both FINs but not the last ACK.
    p = run("analyze", "-q", "--sessions", "-", cases["truncated"][0])
    recs = [json.loads(x) for x in lines(p.stdout)]
    check(len(recs) == 1 and recs[0]["packets"] == {"client": 4, "server": 3}
          and recs[0]["end"] == "fin",
          f"truncated: records {recs}")

    # A directory: walked recursively, sorted; a dangling entry is reported.
    d = os.path.join(WORK, "dir")
    write("dir/b/two.pcap", pcap(good_packets(42000)))
    write("dir/a/one.cap", pcap(good_packets(42001)))
    write("dir/a/skip.txt", b"not read")
    os.symlink("/nonexistent/target", os.path.join(d, "a", "dangling.pcap"))
    p = run("analyze", "-q", "--sessions", "-", d)
    recs = [json.loads(x) for x in lines(p.stdout)]
    check([r["client"]["port"] for r in recs] == [42001, 42000],
          f"directory order: {[r['client']['port'] for r in recs]}")
    err = lines(p.stderr)
    check(p.returncode == 1 and len(err) == 1 and "dangling.pcap" in err[0],
          f"dangling entry: exit {p.returncode}, stderr {err}")
    empty_dir = os.path.join(WORK, "nothing")
    os.makedirs(empty_dir)
    p = run("analyze", "-q", empty_dir)
    check(p.returncode == 1 and "no capture files" in p.stderr, f"empty dir: {p.returncode} {p.stderr}")

    # --list-inputs: the files analyze reads, in its order, with its problems.
    p = run("--list-inputs", "--", good, d, empty_dir)
    want = [good, os.path.join(d, "a", "one.cap"), os.path.join(d, "b", "two.pcap")]
    err = lines(p.stderr)
    check(p.returncode == 1 and lines(p.stdout) == want,
          f"--list-inputs: exit {p.returncode}, {lines(p.stdout)}")
    check(len(err) == 2 and "dangling.pcap" in err[0] and "no capture files" in err[1],
          f"--list-inputs: stderr {err}")
    p = run("--list-inputs", good, empty_dir)
    check(p.returncode == 0 and lines(p.stdout) == [good], f"--list-inputs: {p.returncode}")

    # --list-options: every option of analyze's help, with its commands.
    p = run("--list-options")
    rows = {r.split("\t")[0]: r.split("\t") for r in lines(p.stdout) if not r.startswith("#")}
    helptext = run("analyze", "--help").stdout
    check(p.returncode == 0 and all(len(r) == 5 for r in rows.values()), "--list-options: 5 columns")
    for name, (_, short, value, cmds, roles) in rows.items():
        listed = ("--" + name + " ") in helptext or ("--" + name + "\n") in helptext
        check(listed == ("analyze" in cmds.split(",")), f"--list-options: --{name} {cmds}")
    check(rows.get("ports", [""] * 5)[2:] == ["value", "analyze,live", "engine"]
          and rows.get("quiet", [""] * 5)[1:] == ["q", "flag", "analyze,live", "display"],
          f"--list-options: {rows.get('ports')} {rows.get('quiet')}")

    # Outputs: complete or absent, never half-written.
    out = os.path.join(WORK, "out")
    os.makedirs(out)
    sess, stats = os.path.join(out, "s.jsonl"), os.path.join(out, "stats.json")
    p = run("analyze", "-q", "--sessions", sess, "--stats", stats, good, cases["truncated"][0])
    check(p.returncode == 1, f"outputs with a bad input: exit {p.returncode}")
    with open(sess) as f:
        recs = [json.loads(x) for x in f]
    with open(stats) as f:
        st = json.load(f)
    check(len(recs) == 2 and st["connections"]["total"] == 2 and st["health"]["files_failed"] == 1,
          f"outputs: {len(recs)} records, stats {st.get('connections')}")
    check(sorted(os.listdir(out)) == ["s.jsonl", "stats.json"], f"leftovers: {os.listdir(out)}")
    p = run("analyze", "-q", "--sessions", os.path.join(WORK, "no/such/dir/s.jsonl"), good)
    check(p.returncode == 2 and "no/such/dir/s.jsonl" in p.stderr, f"unwritable output: {p.returncode} {p.stderr}")

    # Usage errors: exit 2 and a message.
    usage = [
        (["analyze"], "no input"),
        (["analyze", "--ports", "0", good], "invalid port list"),
        (["analyze", "--ports", "25,abc", good], "invalid port list"),
        (["analyze", "--max-flows", "many", good], "--max-flows"),
        (["analyze", "--max-buffer", "12Q", good], "--max-buffer"),
        (["analyze", "--idle-timeout", "-5", good], "--idle-timeout"),
        (["analyze", "--bpf", "tcp port", good], "invalid --bpf expression"),
        (["analyze", "--frobnicate", good], "unknown or incomplete option"),
        (["analyze", "-s", "-", "--stats", "-", good], "cannot both be standard output"),
        (["nonsense"], "unknown command"),
        (["analyze", "--dns-data", write("dns/bad-tlsa.txt", b"example.net. 300 IN MX 10 mx.example.net.\n"
                                         b"_25._tcp.mx.example.net. 300 IN TLSA 3 1 1 zz\n"), good],
         "dns/bad-tlsa.txt:2: TLSA data is not hex"),
        (["analyze", "--dns-data", write("dns/bad.jsonl", b'{"name": "a.example", "type": "A", "ttl": 60, '
                                         b'"data": "192.0.2.1"}\n{"name": \n'), good], "dns/bad.jsonl:2:"),
        (["analyze", "--dns-data", os.path.join(WORK, "dns/missing.txt"), good], "dns/missing.txt"),
        (["analyze", "--mta-sts-policies", os.path.join(WORK, "dns/no-such-dir"), good], "dns/no-such-dir"),
    ]
    for args, msg in usage:
        p = run(*args)
        check(p.returncode == 2 and msg in p.stderr, f"{args}: exit {p.returncode}, stderr {p.stderr!r}")

    # Help and version go to stdout and exit 0.
    for args in (["--help"], ["--version"], ["analyze", "--help"], ["help", "analyze"]):
        p = run(*args)
        check(p.returncode == 0 and p.stdout and not p.stderr, f"{args}: {p.returncode}")

    n = 9 + len(cases) + len(usage) + 4 + 5
    print(f"{n - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
