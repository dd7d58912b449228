#!/usr/bin/env python3
"""Log rotation while traffic flows: `smtptls live` captures on a veth in a
network namespace made here (as in tests/live/check_live.py) while tcpreplay
replays corpus captures into it, loop after loop with unique addresses; the
package's logrotate snippet (dist/logrotate/smtptls, its paths moved to a
temporary folder and its postrotate signalling this sensor) is run several
times meanwhile. Then every line of every alert and record file, rotated
(compressed or not) or current, must be whole JSON, the records must be
exactly one per replayed connection, and the alerts exactly one per
connection and alerted anomaly type of those records: nothing lost, nothing
cut, nothing twice. Everything created is removed at the end.

    check_logrotate.py SMTPTLS SRCDIR
"""
import collections
import glob
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN, REPO = sys.argv[1], sys.argv[2]
NS = f"smtptls-rot-{os.getpid()}"
CAPTURES = ["mitm-overwrite-starttls.pcap", "submission-auth.pcap", "tls-fail-retry.pcap",
            "starttls-tls13.pcap"]
LOOPS = int(os.environ.get("LOOPS", 20))
ROTATIONS = 8


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def snippet(logdir, pid, state):
    """The package's snippet with its paths and its signal for this run."""
    with open(os.path.join(REPO, "dist", "logrotate", "smtptls")) as f:
        text = f.read()
    out, skip = [], False
    for line in text.split("\n"):
        if line.strip() == "postrotate":
            out += [line, f"\t\tkill -HUP {pid}"]
            skip = True
        elif line.strip() == "endscript":
            skip = False
            out.append(line)
        elif not skip:
            out.append(line.replace("/var/log/smtptls", logdir))
    return "\n".join(out)


def read_lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return f.read().split("\n")


def collect(logdir, name, failures):
    """Every line of the current and rotated files of one log, as JSON."""
    files = sorted(glob.glob(os.path.join(logdir, "cap0", name + "*")))
    objs = []
    for path in files:
        lines = read_lines(path)
        if lines and lines[-1] == "":
            lines.pop()
        else:
            failures.append(f"{path}: does not end with a newline")
        for n, line in enumerate(lines, 1):
            try:
                obj = json.loads(line)
            except ValueError:
                failures.append(f"{path}:{n}: not whole JSON: {line[:80]!r}")
                continue
            if not isinstance(obj, dict):
                failures.append(f"{path}:{n}: not an object")
            objs.append(obj)
    return files, objs


def main():
    if os.geteuid() != 0:
        print("FAIL the rotation test needs root (network namespaces)")
        return 1
    for tool in ("ip", "tcpreplay", "logrotate"):
        if not shutil.which(tool):
            print(f"FAIL {tool} is not installed")
            return 1
    work = tempfile.mkdtemp(prefix="smtptls-rot-")
    os.chmod(work, 0o755)
    logdir = os.path.join(work, "log")
    os.makedirs(os.path.join(logdir, "cap0"))
    nobody = int(sh("id", "-u", "nobody").stdout)
    for d in (logdir, os.path.join(logdir, "cap0")):
        os.chown(d, nobody, -1)
        os.chmod(d, 0o750)
    # as under the service, where the sensor is the user from the start, the
    # files are the user's (-Z would leave files it creates to root)
    for name in ("alerts.jsonl", "sessions.jsonl"):
        path = os.path.join(logdir, "cap0", name)
        open(path, "w").close()
        os.chown(path, nobody, -1)
    failures = []
    proc = replay = None
    try:
        sh("ip", "netns", "add", NS)
        sh("ip", "-n", NS, "link", "add", "cap0", "type", "veth", "peer", "name", "inj0")
        for dev in ("cap0", "inj0", "lo"):
            sh("ip", "-n", NS, "link", "set", dev, "up")
        proc = subprocess.Popen(["ip", "netns", "exec", NS, BIN, "live", "-i", "cap0", "-q",
                                 "-Z", "nobody",
                                 "--alerts", os.path.join(logdir, "cap0", "alerts.jsonl"),
                                 "-s", os.path.join(logdir, "cap0", "sessions.jsonl")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        if proc.poll() is not None:
            failures.append(f"smtptls live exited at once: {proc.stderr.read()}")
            raise RuntimeError
        conf = os.path.join(work, "logrotate.conf")
        with open(conf, "w") as f:
            f.write(snippet(logdir, proc.pid, os.path.join(work, "state")))
        replay = subprocess.Popen(["ip", "netns", "exec", NS, "tcpreplay", "-q", "-i", "inj0",
                                   "--pps", "250", f"--loop={LOOPS}", "--unique-ip"] +
                                  [os.path.join(REPO, "pcaps", c) for c in CAPTURES],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        rotated = 0
        t0 = time.time()
        while rotated < ROTATIONS and time.time() - t0 < 60:
            time.sleep(2.5)
            r = sh("logrotate", "-f", "-s", os.path.join(work, "state"), conf, check=False)
            if r.returncode != 0:
                failures.append(f"logrotate: {r.stderr.strip()}")
                break
            rotated += 1
            if replay.poll() is not None:
                break
        busy = replay.poll() is None
        replay.wait(timeout=120)
        if replay.returncode != 0:
            failures.append(f"tcpreplay: {replay.stderr.read().strip()}")
        if rotated < 4 or not busy:
            failures.append(f"only {rotated} rotations while the traffic flowed")
        time.sleep(1.0)
        if proc.poll() is not None:
            failures.append(f"the sensor ended before SIGTERM: {proc.stderr.read().strip()}")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        if proc.returncode != 0:
            failures.append(f"exit status {proc.returncode} after SIGTERM: {err}")
        rec_files, recs = collect(logdir, "sessions.jsonl", failures)
        alert_files, alerts = collect(logdir, "alerts.jsonl", failures)
        per_loop = sum(len(json.load(open(os.path.join(REPO, "pcaps", c.replace(".pcap", ".truth.json")))
                                     )["connections"]) for c in CAPTURES)
        if len(recs) != per_loop * LOOPS:
            failures.append(f"{len(recs)} records, {LOOPS} loops of {per_loop} connections replayed")
        # each alerted anomaly of a record has its alert line (alerts below
        # low, i.e. info, are not written); the sensor may also alert while a
        # connection runs on what its record does not keep (a handshake not
        # complete yet), so extra lines must name a recorded connection, and
        # none may repeat
        conns = set()
        alerted = set()
        for r in recs:
            key = (r["client"]["ip"], r["client"]["port"], r["server"]["ip"], r["server"]["port"])
            conns.add(key)
            for a in r["anomalies"]:
                if a["severity"] != "info":
                    alerted.add(key + (a["type"],))
        lines = collections.Counter((a["client"]["ip"], a["client"]["port"], a["server"]["ip"],
                                     a["server"]["port"], a["type"]) for a in alerts)
        missing = alerted - set(lines)
        if missing:
            failures.append(f"{len(missing)} alerted anomalies of the records have no alert line, "
                            f"e.g. {sorted(missing)[0]}")
        twice = [k for k, n in lines.items() if n > 1]
        if twice:
            failures.append(f"{len(twice)} alerts written twice, e.g. {twice[0]}")
        strays = [k for k in lines if k[:4] not in conns]
        if strays:
            failures.append(f"{len(strays)} alerts of no recorded connection, e.g. {strays[0]}")
        if len(alerted) < 5 * LOOPS:
            failures.append(f"only {len(alerted)} alerted anomalies in the records")
        if len(rec_files) < 3 or len(alert_files) < 3:
            failures.append(f"rotation made only {rec_files} and {alert_files}")
        print(f"{rotated} rotations while replaying; {len(recs)} records in {len(rec_files)} files, "
              f"{len(alerts)} alerts in {len(alert_files)} files ({len(alerted)} for anomalies "
              f"the records keep, {len(alerts) - len(alerted)} raised while connections ran)")
    except RuntimeError:
        pass
    except subprocess.CalledProcessError as e:
        failures.append(f"setting up the test network failed: {' '.join(e.cmd)}: {e.stderr.strip()}")
    finally:
        for p in (replay, proc):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        sh("ip", "netns", "del", NS, check=False)
        if os.environ.get("KEEP"):
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
