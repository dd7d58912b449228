"""What the sensor's long-running and fault tests share: a network namespace
with a veth pair (cap0 is captured, inj0 is replayed into), the sensor
started in it as the unprivileged user nobody, corpus captures replayed
as-is with tcpreplay, and readers for its outputs.

Everything made here is removed by Net.close(); the tests need root,
iproute2 and tcpreplay (anything else is a failure, not a skip).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def need_root_tools(*tools):
    """None, or why the test cannot run."""
    if os.geteuid() != 0:
        return "the test needs root (network namespaces, mounts)"
    for tool in ("ip", "tcpreplay") + tools:
        if not shutil.which(tool):
            return f"{tool} is not installed"
    return None


# Corpus captures left out of live replays, and why.
NOT_REPLAYED = {
    # VLAN-tagged frames: the sensor's capture filter (no "vlan") does not
    # see them on the veth
    "vlan-starttls-tls13.pcap",
    # the same 5-tuples as pipelining-chunking.pcap with packets lost: in one
    # stream its connections merge with those
    "impaired-pipelining-chunking.pcap",
    # frames cut to 96 or 128 bytes at capture time: replayed, they are not
    # the traffic they were cut from (the sensor would read the cut frames
    # whole, not as heads)
    "snap-96.pcap",
    "snap-128.pcap",
    # picked up inside connections (no SYN): looped, each loop's packets are
    # taken for the connections of the loop before, still lingering
    "midstream-tls.pcap",
}


def corpus(repo):
    """The corpus captures replayed live, in order, with their connections
    (from the truth files)."""
    caps = sorted(c for c in os.listdir(os.path.join(repo, "pcaps"))
                  if c.endswith(".pcap") and c not in NOT_REPLAYED)
    return [os.path.join(repo, "pcaps", c) for c in caps], \
        sum(truth_connections(repo, c) for c in caps)


def truth_connections(repo, cap):
    """Connections of a corpus capture, from its truth file."""
    with open(os.path.join(repo, "pcaps", cap.replace(".pcap", ".truth.json"))) as f:
        return len(json.load(f)["connections"])


class Net:
    """A namespace holding the veth pair cap0 (captured) / inj0 (replayed into)."""

    def __init__(self, tag):
        self.ns = f"smtptls-{tag}-{os.getpid()}"
        sh("ip", "netns", "add", self.ns)
        sh("ip", "-n", self.ns, "link", "add", "cap0", "type", "veth", "peer", "name", "inj0")
        for dev in ("cap0", "inj0", "lo"):
            sh("ip", "-n", self.ns, "link", "set", dev, "up")

    def link(self, dev, state):
        sh("ip", "-n", self.ns, "link", "set", dev, state)

    def replay(self, paths, pps=None, topspeed=False, timeout=None):
        """Replays captures into inj0; returns tcpreplay's output."""
        args = ["ip", "netns", "exec", self.ns, "tcpreplay", "-i", "inj0"]
        if topspeed:
            args.append("--topspeed")
        elif pps:
            args.append(f"--pps={pps}")
        p = subprocess.run(args + list(paths), capture_output=True, text=True,
                           timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"tcpreplay failed: {p.stderr.strip()}")
        return p.stdout

    def close(self):
        sh("ip", "netns", "del", self.ns, check=False)


class Sensor:
    """`smtptls live -i cap0 -Z nobody ...` in the namespace."""

    def __init__(self, binary, net, args, nice=False):
        cmd = ["ip", "netns", "exec", net.ns, binary, "live", "-i", "cap0", "-Z", "nobody"]
        if nice:
            cmd = ["nice", "-n", "10"] + cmd
        self.proc = subprocess.Popen(cmd + list(args), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        # the sensor says "capturing on cap0" once it is ready
        deadline = time.time() + 10
        self.err_head = ""
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.err_head += line
            if "capturing on" in line:
                return
        self.kill()
        raise RuntimeError(f"the sensor did not start: {self.err_head}")

    def pid(self):
        return self.proc.pid  # ip netns exec execs the sensor: same pid

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M).group(1))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=30):
        """SIGTERM; returns (status, stdout, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, self.err_head + err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def json_lines(path):
    """(objects, bad lines) of a JSON Lines file; a missing file is empty."""
    objs, bad = [], []
    if not os.path.exists(path):
        return objs, bad
    with open(path, "rb") as f:
        for raw in f:
            try:
                obj = json.loads(raw)
                if not isinstance(obj, dict) or not raw.endswith(b"\n"):
                    raise ValueError
                objs.append(obj)
            except ValueError:
                bad.append(raw[:80])
    return objs, bad


def prom_values(path):
    """{sample name with labels: value} of a Prometheus textfile."""
    vals = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, v = line.rsplit(" ", 1)
            vals[name] = float(v)
    return vals


def wait_for(pred, timeout, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def run_in_net(tag, body, tools=(), setup=None, teardown=None, report=True):
    """The frame of a live test: checks the tools, makes a work folder the
    sensor (running as nobody) may write, a network namespace named after
    tag, calls body(net, work, failures) (setup(work) first and teardown(work)
    last when given), removes everything, prints the failures and returns
    the exit status."""
    why = need_root_tools(*tools)
    if why:
        print("FAIL", why)
        return 1
    work = tempfile.mkdtemp(prefix=f"smtptls-{tag}-")
    os.chmod(work, 0o777)  # the sensor writes here as nobody
    failures, net = [], None
    try:
        if setup:
            setup(work)
        net = Net(tag)
        body(net, work, failures)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        failures.append(f"{e}: {getattr(e, 'stderr', '')}")
    finally:
        if net:
            net.close()
        if teardown:
            teardown(work)
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    if report:
        print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0
