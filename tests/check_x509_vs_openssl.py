#!/usr/bin/env python3
"""Cross-checks the certificate analysis (dissectors/proto/x509.c) against the
openssl command line on every certificate chain of the capture corpus.

    check_x509_vs_openssl.py TEST_X509_BINARY REPO_ROOT

For each chain the server sent in the clear (tshark, hex DER), each CA file of
pcaps/ca/ and a set of instants (the capture time of the Certificate message,
and one second either side of every notBefore and notAfter of the chain), it
compares

  - "validation" with `openssl verify -attime T -CAfile CA -untrusted REST LEAF`
    (valid when openssl says OK, else the name of the first error openssl
    reports, named by the same table: `test_x509 --verr-name CODE`);
  - "hostname_match" for the SNI with `openssl x509 -checkhost`;
  - "sha256" and "spki_sha256" with `openssl x509 -fingerprint -sha256` and
    the SHA-256 of `openssl pkey -pubin -outform DER`;
  - "subject", "issuer" with `-nameopt RFC2253`, "not_after", "sig_alg".

The analysis side is the unit-test binary in its tool mode
(`test_x509 --analyze CA_FILE UNIX_TIME HOST HEX_DER...`), which runs
x509_analyze() and prints rec_cert_json(). Exits 1 on any difference.
"""
import datetime
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile


def run(args, inp=None):
    return subprocess.run(args, capture_output=True, input=inp)


def chains(pcap):
    """(capture time, tcp stream, [hex DER, ...]) of each Certificate message."""
    out = run(["tshark", "-r", pcap, "-d", "tcp.port==465,tls", "-Y", "tls.handshake.type==11",
               "-T", "fields", "-e", "frame.time_epoch", "-e", "tcp.stream",
               "-e", "tls.handshake.certificate"]).stdout.decode()
    res = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2]:
            continue
        certs = [c.replace(":", "") for c in re.split(r"[,|]", parts[2]) if c]
        res.append((int(float(parts[0])), parts[1], certs))
    return res


def snis(pcap):
    out = run(["tshark", "-r", pcap, "-d", "tcp.port==465,tls", "-Y", "tls.handshake.type==1",
               "-T", "fields", "-e", "tcp.stream",
               "-e", "tls.handshake.extensions_server_name"]).stdout.decode()
    res = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[1]:
            res[parts[0]] = parts[1]
    return res


def pem_of(der, path):
    r = run(["openssl", "x509", "-inform", "DER", "-out", path], inp=der)
    return r.returncode == 0


def x509_field(pem, *args):
    return run(["openssl", "x509", "-in", pem, "-noout"] + list(args)).stdout.decode().strip()


def epoch(openssl_date):
    """'notAfter=2043-01-01 00:00:00Z' (-dateopt iso_8601) -> seconds."""
    v = openssl_date.split("=", 1)[1].strip().rstrip("Z")
    return int(datetime.datetime.strptime(v, "%Y-%m-%d %H:%M:%S")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    tool, root = sys.argv[1], sys.argv[2]
    cas = sorted(glob.glob(os.path.join(root, "pcaps", "ca", "*.pem")))
    names = {}

    def verr_name(code):
        if code not in names:
            names[code] = run([tool, "--verr-name", str(code)]).stdout.decode().strip()
        return names[code]

    seen = set()
    compared = 0
    failures = []
    summary = {}
    with tempfile.TemporaryDirectory() as td:
        for pcap in sorted(glob.glob(os.path.join(root, "pcaps", "*.pcap"))):
            sni = snis(pcap)
            for when, stream, certs in chains(pcap):
                host = sni.get(stream)
                key = (tuple(certs), host)
                if key in seen:
                    continue
                seen.add(key)
                where = "%s stream %s" % (os.path.basename(pcap), stream)
                pems = []
                for i, h in enumerate(certs):
                    p = os.path.join(td, "c%d.pem" % i)
                    if not pem_of(bytes.fromhex(h), p):
                        failures.append("%s: certificate %d does not parse with openssl" % (where, i))
                    pems.append(p)
                leaf = pems[0]
                untrusted = []
                if len(pems) > 1:
                    bundle = os.path.join(td, "untrusted.pem")
                    with open(bundle, "w") as f:
                        for p in pems[1:]:
                            f.write(open(p).read())
                    untrusted = ["-untrusted", bundle]
                # The instants: capture time and both sides of every bound.
                times = {when}
                for p in pems:
                    for opt in ("-startdate", "-enddate"):
                        t = epoch(x509_field(p, opt, "-dateopt", "iso_8601"))
                        times.update((t - 1, t, t + 1))
                for ca in cas:
                    for t in sorted(times):
                        r = run([tool, "--analyze", ca, str(t), host or "-"] + certs)
                        if r.returncode != 0:
                            failures.append("%s: analysis failed: %s" % (where, r.stderr.decode()))
                            continue
                        got = json.loads(r.stdout)
                        v = run(["openssl", "verify", "-attime", str(t), "-CAfile", ca]
                                + untrusted + [leaf])
                        text = v.stdout.decode() + v.stderr.decode()
                        m = re.search(r"error (\d+) at \d+ depth lookup", text)
                        if v.returncode == 0 and text.strip().endswith("OK"):
                            want = "valid"
                        elif m:
                            want = verr_name(int(m.group(1)))
                        else:
                            want = "openssl said: " + text.strip()
                        compared += 1
                        tag = "%s CA=%s at %s" % (where, os.path.basename(ca), iso(t))
                        summary[want] = summary.get(want, 0) + 1
                        if got["validation"] != want:
                            failures.append("%s: validation %s, openssl verify %s"
                                            % (tag, got["validation"], want))
                        if t == when:
                            print("%-28s %-22s %-26s %s" % (where, os.path.basename(ca),
                                                            got["validation"], host or "-"))
                # Facts that do not depend on time or trust.
                r = run([tool, "--analyze", cas[0], str(when), host or "-"] + certs)
                got = json.loads(r.stdout)
                if host:
                    chk = x509_field(leaf, "-checkhost", host)
                    want = "does match" in chk and "NOT" not in chk
                    compared += 1
                    if got["hostname_match"] is not want:
                        failures.append("%s: hostname_match %s for %s, openssl %s"
                                        % (where, got["hostname_match"], host, chk))
                fp = x509_field(leaf, "-fingerprint", "-sha256").split("=", 1)[1]
                pub = run(["openssl", "x509", "-in", leaf, "-noout", "-pubkey"]).stdout
                spki = run(["openssl", "pkey", "-pubin", "-outform", "DER"], inp=pub).stdout
                subj = x509_field(leaf, "-subject", "-nameopt", "RFC2253").split("=", 1)[1]
                iss = x509_field(leaf, "-issuer", "-nameopt", "RFC2253").split("=", 1)[1]
                na = epoch(x509_field(leaf, "-enddate", "-dateopt", "iso_8601"))
                text = x509_field(leaf, "-text")
                sig = re.search(r"Signature Algorithm: (\S+)", text).group(1)
                for name, want in (("sha256", fp.replace(":", "").lower()),
                                   ("spki_sha256", hashlib.sha256(spki).hexdigest()),
                                   ("subject", subj), ("issuer", iss),
                                   ("not_after", iso(na)), ("sig_alg", sig)):
                    compared += 1
                    if got[name] != want:
                        failures.append("%s: %s %r, openssl %r" % (where, name, got[name], want))
    print("%d distinct chains, %d comparisons, %d differences" % (len(seen), compared, len(failures)))
    print("openssl verify verdicts: " + ", ".join("%s %d" % kv for kv in sorted(summary.items())))
    for f in failures:
        print("DIFF " + f)
    if not seen:
        print("no certificate chain found in the corpus", file=sys.stderr)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
