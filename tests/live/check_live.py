#!/usr/bin/env python3
"""Live-mode test: a network namespace with a veth pair made here, `smtptls
live` capturing on one end (as the unprivileged user nobody, after opening the
interface as root), corpus captures replayed into the other end with
tcpreplay. Checks that the alerts arrive while the connections still run,
that records and the Prometheus file are written and valid, that privileges
were dropped, and that SIGTERM ends it with status 0. Everything it creates
(namespace, interfaces, processes) is removed at the end.

Needs root, iproute2 and tcpreplay; anything else is a failure, not a skip.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN, REPO = sys.argv[1], sys.argv[2]
NS = f"smtptls-live-{os.getpid()}"
CAPTURES = ["mitm-overwrite-starttls.pcap", "submission-auth.pcap", "tls-fail-retry.pcap",
            "starttls-tls13.pcap"]


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def prom_valid(text):
    """Node-exporter textfile format: HELP/TYPE comments and samples."""
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"'
                        r'(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? -?[0-9.e+-]+$')
    names = set()
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            names.add(line.split()[2])
            continue
        if not sample.match(line):
            return f"bad line: {line!r}"
    return None if names else "no metrics"


def main():
    if os.geteuid() != 0:
        print("FAIL the live test needs root (network namespaces)")
        return 1
    for tool in ("ip", "tcpreplay"):
        if not shutil.which(tool):
            print(f"FAIL {tool} is not installed")
            return 1
    work = tempfile.mkdtemp(prefix="smtptls-live-")
    os.chmod(work, 0o777)  # the sensor writes here as nobody
    alerts, sess, prom, stats = (os.path.join(work, n) for n in
                                 ("alerts.jsonl", "sessions.jsonl", "metrics.prom", "stats.json"))
    failures = []
    proc = None
    try:
        sh("ip", "netns", "add", NS)
        sh("ip", "-n", NS, "link", "add", "cap0", "type", "veth", "peer", "name", "inj0")
        for dev in ("cap0", "inj0", "lo"):
            sh("ip", "-n", NS, "link", "set", dev, "up")
        proc = subprocess.Popen(["ip", "netns", "exec", NS, BIN, "live", "-i", "cap0",
                                 "-Z", "nobody", "--alerts", alerts, "-s", sess,
                                 "--prom", prom, "--stats", stats, "--interval", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # wait until the sensor has started (it says so on stderr... or 3 s)
        time.sleep(1.5)
        if proc.poll() is not None:
            failures.append(f"smtptls live exited at once: {proc.stderr.read()}")
            raise RuntimeError
        status = open(f"/proc/{proc.pid}/status").read()
        # the ip netns exec process execs smtptls: same pid
        uid = re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)
        if uid == "0":
            failures.append("still running as root after -Z nobody")
        # the files opened as root are given to the user (SIGHUP reopens them as it)
        for path in (alerts, sess):
            if os.path.exists(path) and str(os.stat(path).st_uid) != uid:
                failures.append(f"{os.path.basename(path)} is owned by uid {os.stat(path).st_uid}, "
                                f"not by the sensor's {uid}")
        seccomp = re.search(r"^Seccomp:\s+(\d+)", status, re.M)
        if not seccomp or seccomp.group(1) != "2":
            failures.append(f"no seccomp filter on the sensor ({seccomp and seccomp.group(0)})")
        t0 = time.time()
        for cap in CAPTURES:
            sh("ip", "netns", "exec", NS, "tcpreplay", "-q", "-i", "inj0", "--topspeed",
               os.path.join(REPO, "pcaps", cap))
        t_sent = time.time()
        want = {"starttls_capability_corrupted", "auth_in_plaintext", "tls_handshake_failed"}
        got, first_seen = {}, None
        while time.time() - t_sent < 5:
            if os.path.exists(alerts):
                with open(alerts) as f:
                    for line in f:
                        a = json.loads(line)
                        got.setdefault(a["type"], a)
            if want <= set(got):
                first_seen = time.time()
                break
            time.sleep(0.1)
        if not want <= set(got):
            failures.append(f"alerts seen {sorted(got)}, want at least {sorted(want)}")
        else:
            print(f"alerts: {sorted(got)} within {first_seen - t_sent:.2f} s of the replay's end")
            if got["starttls_capability_corrupted"]["connection_ended"]:
                failures.append("the corrupted-capability alert waited for the connection's end")
            if first_seen - t_sent > 1.0:
                failures.append(f"alerts took {first_seen - t_sent:.2f} s")
        time.sleep(1.5)  # one snapshot interval
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        if proc.returncode != 0:
            failures.append(f"exit status {proc.returncode} after SIGTERM: {err}")
        with open(prom) as f:
            bad = prom_valid(f.read())
        if bad:
            failures.append(f"Prometheus file: {bad}")
        with open(stats) as f:
            st = json.load(f)
        with open(sess) as f:
            recs = [json.loads(x) for x in f]
        n_truth = sum(len(json.load(open(os.path.join(REPO, "pcaps", c.replace(".pcap", ".truth.json"))))["connections"])
                      for c in CAPTURES)
        if len(recs) != n_truth:
            failures.append(f"{len(recs)} records, the replayed captures hold {n_truth} connections")
        if st["connections"]["total"] != len(recs):
            failures.append(f"stats say {st['connections']['total']} connections, log {len(recs)}")
        print(f"records: {len(recs)}; stats and metrics written; took {time.time() - t0:.1f} s")
    except RuntimeError:
        pass
    except subprocess.CalledProcessError as e:
        failures.append(f"setting up the test network failed: {' '.join(e.cmd)}: {e.stderr.strip()}")
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        sh("ip", "netns", "del", NS, check=False)
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
