#!/usr/bin/env python3
"""check_cluster.py — `smtptls cluster slurm` on a real, one-node Slurm.

    check_cluster.py SMTPTLS CLUSTER-SCRIPT SOURCE-DIR [SHARED-DIR]

Starts munged (unless one already answers), slurmctld and slurmd from
Debian's slurm-wlm and munge packages with a slurm.conf in a temporary
folder, then:

  corpus     the corpus (pcaps/, plus SHARED-DIR/pcaps-external) in 4 shards
             with --wait: the merged snapshot, session log and alerts equal
             those of one `smtptls analyze` run over the same files, byte for
             byte (anomalies against other connections' history included:
             the merge replays every shard's records through the detectors),
             the exit status is the run's; running the command again submits
             nothing
  bad-input  a file that is not a capture, listed explicitly: the command
             exits 1 and names the shard, and the other inputs are merged
  failed     a shard whose smtptls exits 3 (a wrapper stands in for a
             crash): the command exits 1, names the shard and prints its
             Slurm log, the merge job is cancelled; once the cause is gone
             the same command runs only that shard and the result is whole
  merge-files  --merge-files keeps all files in one shard, equal to
             `smtptls analyze --merge-files`
  boundary   tls-fail-retry.pcap cut in two files just before the plain-text
             retry, one file per shard: the plaintext_fallback pairs the
             retry with the failed attempt in the other shard, as in one run
             (the second file alone has none)
  options    analyze options after `--`: the traffic ones reach the shards,
             the detector ones (--history, --fallback-window, ...) only the
             merge, whose history file equals one run's; a change to a merge
             option alone runs the merge again, not the shards

Every daemon it started is stopped by its PID; the temporary folder is
removed. Needs root (exit 77, a skip, otherwise).
"""

import calendar
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
CASE_TIMEOUT = 60  # seconds a cluster command may take, waiting included
FAILURES = []


def log(msg):
    print(msg, flush=True)


def check(cond, what):
    if cond:
        log("  ok: " + what)
    else:
        log("  FAIL: " + what)
        FAILURES.append(what)
    return cond


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env=None, timeout=CASE_TIMEOUT):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, env=env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


class Daemons:
    """The daemons this test started, stopped in reverse order by PID."""

    def __init__(self):
        self.procs = []
        self.pids = []  # daemons that fork away (munged): (name, pid)

    def start(self, name, cmd, env, output):
        with open(output, "w") as f:
            p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=f,
                                 stderr=subprocess.STDOUT)
        self.procs.append((name, p))
        return p

    def stop(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    log("%s (pid %d) did not stop; killing it" % (name, p.pid))
                    p.kill()
                    p.wait()
        for name, pid in reversed(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)


def munge_works():
    try:
        enc = subprocess.run(["munge", "-n"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=10)
        if enc.returncode != 0:
            return False
        dec = subprocess.run(["unmunge"], input=enc.stdout, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, timeout=10)
        return dec.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def start_munge(daemons):
    if munge_works():
        log("munged: already running, used as it is")
        return
    import pwd
    pw = pwd.getpwnam("munge")
    os.makedirs("/run/munge", mode=0o755, exist_ok=True)
    os.chown("/run/munge", pw.pw_uid, pw.pw_gid)
    key = "/etc/munge/munge.key"
    if not os.path.exists(key):
        if shutil.which("mungekey") or os.path.exists("/usr/sbin/mungekey"):
            subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/mungekey", "--create"],
                           check=True)
        else:
            subprocess.run(["create-munge-key"], check=True)
    subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"], check=True)
    with open("/run/munge/munged.pid") as f:
        daemons.pids.append(("munged", int(f.read().strip())))
    for _ in range(50):
        if munge_works():
            return
        time.sleep(0.1)
    raise RuntimeError("munged does not answer")


def start_slurm(tmp, daemons):
    host = subprocess.run(["hostname", "-s"], stdout=subprocess.PIPE,
                          universal_newlines=True, check=True).stdout.strip()
    node = subprocess.run(["slurmd", "-C"], stdout=subprocess.PIPE, universal_newlines=True,
                          check=True).stdout.splitlines()[0]
    for d in ("state", "spool"):
        os.makedirs(os.path.join(tmp, d))
    conf = os.path.join(tmp, "slurm.conf")
    with open(conf, "w") as f:
        f.write("""ClusterName=smtptlstest
SlurmctldHost={host}
SlurmctldPort={p1}
SlurmdPort={p2}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
MailProg=/bin/true
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
StateSaveLocation={tmp}/state
SlurmdSpoolDir={tmp}/spool
SlurmctldPidFile={tmp}/slurmctld.pid
SlurmdPidFile={tmp}/slurmd.pid
SlurmctldLogFile={tmp}/slurmctld.log
SlurmdLogFile={tmp}/slurmd.log
{node} State=UNKNOWN
PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP
""".format(host=host, node=node, tmp=tmp, p1=free_port(), p2=free_port()))
    env = dict(os.environ, SLURM_CONF=conf)
    # In the foreground (-D), so that the PIDs are this test's to stop.
    daemons.start("slurmctld", ["slurmctld", "-D", "-i"], env, conf + ".slurmctld.out")
    time.sleep(0.5)
    daemons.start("slurmd", ["slurmd", "-D"], env, conf + ".slurmd.out")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        p = subprocess.run(["sinfo", "-h", "-o", "%t"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, universal_newlines=True, env=env)
        if p.returncode == 0 and "idle" in p.stdout:
            return env
        time.sleep(0.5)
    for name in ("slurmctld.log", "slurmd.log"):
        path = os.path.join(tmp, name)
        if os.path.exists(path):
            log("--- " + name)
            with open(path) as f:
                log("".join(f.readlines()[-20:]))
    raise RuntimeError("the Slurm node did not become idle within 30 s")


def load(path):
    with open(path) as f:
        return json.load(f)


def lines(path):
    with open(path) as f:
        return f.read().splitlines()


def compare_lines(what, a, b):
    """Two JSON Lines files, line by line in the same order."""
    la, lb = lines(a), lines(b)
    first = next((i for i in range(min(len(la), len(lb))) if la[i] != lb[i]), None)
    if first is None and len(la) != len(lb):
        first = min(len(la), len(lb))
    check(first is None, "merged %s equals one run's, line by line (%d lines, %d)%s"
          % (what, len(la), len(lb), "" if first is None else "; line %d differs" % (first + 1)))
    if first is not None:
        log("    one run: %s\n    merged:  %s" % (la[first][:300] if first < len(la) else "(none)",
                                                   lb[first][:300] if first < len(lb) else "(none)"))


def compare_with_single(smtptls, out, inputs, extra=(), name="single"):
    """The merged outputs in OUT against one smtptls analyze run with the
    analyze options EXTRA."""
    single = os.path.join(out, "..", os.path.basename(out) + "-" + name)
    os.makedirs(single)
    rc, _, err, _ = run([smtptls, "analyze", "-q", "--stats", single + "/stats.json",
                         "--sessions", single + "/sessions.jsonl",
                         "--alerts", single + "/alerts.jsonl"] + list(extra) + inputs)
    a, b = load(single + "/stats.json"), load(out + "/stats.json")
    differ = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    check(not differ, "merged snapshot equals one run's, every key (%d keys%s)"
          % (len(set(a) | set(b)), "; differ: " + ", ".join(differ) if differ else ""))
    if "anomalies_cross" in differ:
        log("    anomalies_cross: one run %s, merged %s"
            % (json.dumps(a.get("anomalies_cross")), json.dumps(b.get("anomalies_cross"))))
    check(a.get("anomalies_cross") == b.get("anomalies_cross"),
          "anomalies against history as in one run: %s" % json.dumps(a.get("anomalies_cross")))
    compare_lines("session log", single + "/sessions.jsonl", out + "/sessions.jsonl")
    compare_lines("alerts", single + "/alerts.jsonl", out + "/alerts.jsonl")
    return rc


def case_corpus(cluster, env, smtptls, tmp, inputs):
    log("corpus: %s in 4 shards" % " ".join(inputs))
    out = os.path.join(tmp, "corpus")
    cmd = cluster + ["slurm", "--shards", "4", "--wait", "--out", out] + inputs
    rc, so, se, took = run(cmd, env)
    log(so + se)
    check("shards job" in so and "(array 0-3)" in so and "merge job" in so,
          "one job array of 4 tasks and a merge job, their IDs printed")
    for n in range(4):
        d = os.path.join(out, "shards", "%03d" % n)
        check(all(os.path.isfile(os.path.join(d, f)) for f in ("files.txt", "DONE", "records.bin"))
              and not any(f.startswith("records.bin.tmp") for f in os.listdir(d)),
              "shard %03d: files.txt, DONE, records.bin (no temporary file left)" % n)
    check(all(os.path.isfile(os.path.join(out, f))
              for f in ("stats.json", "sessions.jsonl", "alerts.jsonl", "DONE"))
          and not os.path.exists(os.path.join(out, "merge.tmp")),
          "DIR: stats.json, sessions.jsonl, alerts.jsonl, DONE")
    single_rc = compare_with_single(smtptls, out, inputs)
    check(rc == single_rc, "exit status %d, one run's is %d (%.1f s)" % (rc, single_rc, took))
    rc2, so2, se2, _ = run(cmd, env)
    check("nothing to submit" in so2 and "shards job" not in so2 and rc2 == rc,
          "the same command again submits nothing, exit %d" % rc2)


def case_bad_input(cluster, env, smtptls, tmp, corpus):
    log("bad-input: a file that is not a capture, in the last of 3 shards")
    junk = os.path.join(tmp, "notes.txt")
    with open(junk, "w") as f:
        f.write("not a capture\n" * 100)
    out = os.path.join(tmp, "bad-input")
    inputs = [corpus, junk]
    rc, so, se, took = run(cluster + ["slurm", "--shards", "3", "--wait", "--out", out] + inputs,
                           env)
    log(so + se)
    check(rc == 1, "exit status 1 (%d) after %.1f s" % (rc, took))
    check("shard 002" in se and "notes.txt" in se, "the shard and the file are named")
    check("shard 000" not in se and "shard 001" not in se, "no other shard is blamed")
    compare_with_single(smtptls, out, inputs)


def case_failed(cluster, env, smtptls, tmp, corpus):
    log("failed: the shard of one file has its smtptls exit 3, then the cause goes away")
    files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".pcap"))
    poison, flag = files[len(files) // 2], os.path.join(tmp, "poisoned")
    open(flag, "w").close()
    wrapper = os.path.join(tmp, "smtptls-wrapper")
    with open(wrapper, "w") as f:
        f.write("""#!/bin/sh
for a; do
	if [ "$a" = '{poison}' ] && [ -e '{flag}' ]; then
		echo "wrapper: simulated crash on $a" >&2
		exit 3
	fi
done
exec '{smtptls}' "$@"
""".format(poison=poison, flag=flag, smtptls=smtptls))
    os.chmod(wrapper, 0o755)
    wenv = dict(env, SMTPTLS_BIN=wrapper)
    out = os.path.join(tmp, "failed")
    cmd = cluster + ["slurm", "--shards", "3", "--wait", "--out", out, corpus]
    rc, so, se, took = run(cmd, wenv)
    log(so + se)
    check(rc == 1, "exit status 1 (%d) after %.1f s" % (rc, took))
    bad = None
    for n in range(3):
        with open(os.path.join(out, "shards", "%03d" % n, "files.txt")) as f:
            if poison + "\n" in f.read():
                bad = n
    name = "%03d" % bad if bad is not None else "?"
    check(bad is not None and "shard %s failed" % name in se and "simulated crash" in se,
          "the failed shard (%s) is named and its Slurm log printed" % name)
    check(all("shard %03d failed" % n not in se for n in range(3) if n != bad),
          "no other shard is blamed")
    merge_id = [l.split()[2] for l in so.splitlines() if l.startswith("merge job")]
    if check(len(merge_id) == 1, "the merge job ID is printed"):
        p = subprocess.run(["scontrol", "show", "job", "-o", merge_id[0]],
                           stdout=subprocess.PIPE, universal_newlines=True, env=env)
        check("JobState=CANCELLED" in p.stdout, "the merge job was cancelled, not run")
    check(not os.path.exists(os.path.join(out, "stats.json")), "no merged snapshot")
    os.unlink(flag)
    rc, so, se, took = run(cmd, wenv)
    log(so + se)
    check("1 to run, 2 complete" in so and "(array %s)" % bad in so,
          "the re-run runs only shard %s" % name)
    check(rc == 0, "the re-run succeeds (%d, %.1f s)" % (rc, took))
    compare_with_single(smtptls, out, [corpus])


def case_merge_files(cluster, env, smtptls, tmp, corpus):
    log("merge-files: one shard, read as one rotated capture")
    files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".pcap"))[:5]
    out = os.path.join(tmp, "merge-files")
    rc, so, se, took = run(cluster + ["slurm", "--merge-files", "--shards", "3", "--wait",
                                      "--out", out] + files, env)
    log(so + se)
    check("in 1 shard;" in so and "(array 0)" in so, "a single shard")
    check(rc == 0, "exit status 0 (%d, %.1f s)" % (rc, took))
    compare_with_single(smtptls, out, files, ["--merge-files"])


def iso_us(ts):
    """2026-11-22T09:53:49.883131Z → microseconds since the epoch."""
    t = time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")
    frac = ts[20:-1] if len(ts) > 20 and ts[19] == "." else ""
    return calendar.timegm(t) * 1000000 + int((frac + "000000")[:6])


def split_pcap(src, at_us, first, second):
    """Writes the packets of a classic microsecond pcap before AT_US to
    FIRST, the rest to SECOND."""
    with open(src, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        raise RuntimeError("%s: not a microsecond pcap" % src)
    order = "<" if magic == b"\xd4\xc3\xb2\xa1" else ">"
    parts = [[data[:24]], [data[:24]]]
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack(order + "IIII", data[off:off + 16])
        parts[sec * 1000000 + usec >= at_us].append(data[off:off + 16 + incl])
        off += 16 + incl
    for path, chunks in ((first, parts[0]), (second, parts[1])):
        with open(path, "wb") as f:
            f.write(b"".join(chunks))


def case_boundary(cluster, env, smtptls, tmp, corpus):
    log("boundary: a failed TLS attempt in one shard, its plain-text retry in the next")
    src = os.path.join(corpus, "tls-fail-retry.pcap")
    rc, so, _, _ = run([smtptls, "analyze", "-q", "--sessions", "-", "--stats", os.devnull, src])
    retry = [json.loads(l) for l in so.splitlines()
             if any(a["type"] == "plaintext_fallback" for a in json.loads(l)["anomalies"])]
    if not check(rc == 0 and len(retry) == 1, "%s has one plaintext_fallback" % src):
        return
    d = os.path.join(tmp, "boundary-in")
    os.makedirs(d)
    first, second = os.path.join(d, "1-attempts.pcap"), os.path.join(d, "2-retry.pcap")
    split_pcap(src, iso_us(retry[0]["ts"]), first, second)
    _, alone, _, _ = run([smtptls, "analyze", "-q", "--sessions", "-", "--stats", os.devnull,
                          second])
    check(alone.count("\n") == 1 and "plaintext_fallback" not in alone,
          "the retry's file alone (one shard's view) has no plaintext_fallback")
    out = os.path.join(tmp, "boundary")
    rc, so, se, took = run(cluster + ["slurm", "--shards", "2", "--wait", "--out", out, d], env)
    log(so + se)
    check(rc == 0 and "(array 0-1)" in so, "two shards, exit status 0 (%d, %.1f s)" % (rc, took))
    compare_with_single(smtptls, out, [d])
    check(load(out + "/stats.json")["anomalies_cross"]["keys"].get("plaintext_fallback") == 1,
          "the plaintext_fallback is counted in the merged snapshot")


def case_options(cluster, env, smtptls, tmp, corpus):
    log("options: traffic options to the shards, detector options and --history to the merge")
    out = os.path.join(tmp, "options")
    hist = os.path.join(tmp, "options-history.sqlite")
    traffic = ["--ports", "25,465,587,2525", "--idle-timeout", "600"]
    detect = ["--fallback-window", "60", "--alert-severity", "medium", "--bucket", "day",
              "--max-servers", "1000"]
    cmd = cluster + ["slurm", "--shards", "3", "--wait", "--out", out, corpus, "--"]
    rc, so, se, took = run(cmd + traffic + detect + ["--history", hist], env)
    log(so + se)
    check(rc == 0, "exit status 0 (%d, %.1f s)" % (rc, took))
    with open(os.path.join(out, "shard.sh")) as f:
        shard_sh = f.read()
    with open(os.path.join(out, "merge.sh")) as f:
        merge_sh = f.read()
    check("--ports 25,465,587,2525" in shard_sh and "--history" not in shard_sh
          and "--fallback-window" not in shard_sh,
          "the shards get the traffic options, not --history or the detector options")
    check("--history " + hist in merge_sh and "--fallback-window 60" in merge_sh
          and "--ports" not in merge_sh,
          "the merge gets --history and the detector options")
    single_hist = os.path.join(tmp, "options-single-history.sqlite")
    compare_with_single(smtptls, out, [corpus], traffic + detect + ["--history", single_hist])
    _, ha, _, _ = run([smtptls, "history", single_hist])
    _, hb, _, _ = run([smtptls, "history", hist])
    check(ha == hb and len(ha.splitlines()) > 1,
          "the history file equals one run's (%d lines)" % len(hb.splitlines()))

    log("options: a detector option changed, --history left out: only the merge runs again")
    detect[1] = "120"
    rc, so, se, took = run(cmd + traffic + detect, env)
    log(so + se)
    check("0 to run, 3 complete" in so and "shards job" not in so and "merge job" in so,
          "no shard runs again, a merge job is submitted")
    check(rc == 0, "exit status 0 (%d, %.1f s)" % (rc, took))
    compare_with_single(smtptls, out, [corpus], traffic + detect, "single-2")


def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    smtptls = os.path.abspath(sys.argv[1])
    script = os.path.abspath(sys.argv[2])
    source = os.path.abspath(sys.argv[3])
    shared = os.path.abspath(sys.argv[4]) if len(sys.argv) == 5 else None
    if os.geteuid() != 0:
        log("SKIP: starting slurmctld, slurmd and munged needs root")
        return SKIP
    for tool in ("slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "munged", "munge"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            log("FAIL: %s is missing (Debian packages slurm-wlm and munge)" % tool)
            return 1

    corpus = os.path.join(source, "pcaps")
    inputs = [corpus]
    if shared and os.path.isdir(os.path.join(shared, "pcaps-external")):
        inputs.append(os.path.join(shared, "pcaps-external"))

    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="smtptls-cluster-test.")
    daemons = Daemons()
    try:
        start_munge(daemons)
        env = start_slurm(tmp, daemons)
        log("slurm up in %.1f s" % (time.monotonic() - t0))
        env["SMTPTLS_BIN"] = smtptls
        # Through the binary when it dispatches `cluster`, else the script.
        p = subprocess.run([smtptls, "cluster", "--help"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=env)
        cluster = [smtptls, "cluster"] if p.returncode == 0 else [script]
        log("running %s" % " ".join(cluster))
        case_corpus(cluster, env, smtptls, tmp, inputs)
        case_bad_input(cluster, env, smtptls, tmp, corpus)
        case_failed(cluster, env, smtptls, tmp, corpus)
        case_merge_files(cluster, env, smtptls, tmp, corpus)
        case_boundary(cluster, env, smtptls, tmp, corpus)
        case_options(cluster, env, smtptls, tmp, corpus)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        log("FAIL: %s" % e)
        FAILURES.append(str(e))
    finally:
        daemons.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    log("%s in %.1f s" % ("FAILED: %d check(s)" % len(FAILURES) if FAILURES else "passed",
                          time.monotonic() - t0))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
