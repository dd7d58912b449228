#!/usr/bin/env python3
"""--anonymize on the whole corpus (pcaps/*.pcap):

1. the grep test: every output of an anonymised run (records, alerts, the
   statistics snapshot, the record dump, the history file and what
   `smtptls history` prints of it, the summary, the HTML report, the TLS-RPT
   reports, and the same again replayed from the dump with --records)
   holds none of the corpus's real addresses and names, collected from a
   run without --anonymize: every address, every name field of the records
   (SNI, banner and EHLO host, HELO, MX host, domains, MTA-STS names,
   TLS-RPT address) and every name of the corpus's certificates (subject,
   SAN, host name checked; the issuer too where the chain did not validate:
   a validated chain's issuer is a CA's and stays);
2. the statistics of the anonymised run equal those of the plain run on
   every figure that does not name a host (the snapshots compared with the
   naming tables left out);
3. shards: record dumps made without a key and replayed with
   `analyze --records --anonymize` write exactly the anonymised run of the
   whole, and snapshots of shards made with the key and added by
   `merge --anonymize` equal the merge of the plain shards on the same
   figures; a snapshot made with another key, or none, is refused;
4. the same key gives the same mapping in two runs, another key another.

Usage: check_anon.py SMTPTLS REPO WORKDIR
"""
import glob
import ipaddress
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

# Snapshot tables that name hosts (their keys are addresses, names or
# certificate issuers), wherever they stand (the policy dry-run has them by
# direction and policy): their keys are left out of the comparison of
# figures, their counts are compared as a sorted list (the mapping is one to
# one, so the same hosts have the same counts under other names).
NAMING = {"servers", "issuers", "mx_hosts", "policy_domains", "domains"}


def run(args, ok=(0, 1)):
    p = subprocess.run(args, capture_output=True)
    if p.returncode not in ok:
        raise SystemExit("FAIL %s: exit %d: %s" % (" ".join(args[:4]), p.returncode,
                                                   p.stderr.decode(errors="replace")))
    return p


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def dn_values(dn):
    """The attribute values of an RFC 4514 name (commas may be escaped)."""
    out = []
    for part in re.split(r"(?<!\\),", dn or ""):
        if "=" in part:
            out.append(part.split("=", 1)[1].replace("\\,", ","))
    return out


def first_word(text):
    w = (text or "").split(" ", 1)[0]
    return w if re.search(r"[A-Za-z]", w) else None


def collect(recs):
    """The real addresses and names of a plain run's records."""
    addrs, names = set(), set()
    for r in recs:
        addrs.add(r["client"]["ip"])
        addrs.add(r["server"]["ip"])
        smtp = r.get("smtp") or {}
        for v in (smtp.get("server_name"), smtp.get("helo"), first_word(smtp.get("banner")),
                  first_word(smtp.get("ehlo_greeting"))):
            if v:
                names.add(v)
        tls = r.get("tls") or {}
        if tls.get("sni"):
            names.add(tls["sni"])
        cert = r.get("cert") or {}
        names.update(dn_values(cert.get("subject")))
        names.update(cert.get("san") or [])
        if cert.get("hostname_checked"):
            names.add(cert["hostname_checked"])
        if cert.get("issuer") and cert.get("issuer") == cert.get("subject"):
            names.update(dn_values(cert.get("issuer")))  # self-issued: a host's name
        dns = r.get("dns") or {}
        if dns.get("mx_host"):
            names.add(dns["mx_host"])
        names.update(dns.get("domains") or [])
        tlsa = dns.get("tlsa") or {}
        if tlsa.get("name"):
            names.add(tlsa["name"])
        sts = dns.get("mta_sts") or {}
        if sts.get("domain"):
            names.add(sts["domain"])
        pol = sts.get("policy") or {}
        if isinstance(pol, dict):
            names.update(m[2:] if m.startswith("*.") else m for m in pol.get("mx") or [])
        if dns.get("tlsrpt_rua"):
            names.update(re.findall(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", dns["tlsrpt_rua"]))
    # names that are addresses are searched as addresses
    for n in list(names):
        try:
            addrs.add(str(ipaddress.ip_address(n.strip("[]").replace("IPv6:", ""))))
            names.discard(n)
        except ValueError:
            pass
    return addrs, {n for n in names if n.strip() and n != "*"}


def addr_patterns(addrs):
    pats = []
    for a in sorted(addrs):
        ip = ipaddress.ip_address(a)
        forms = {str(ip), ip.exploded} if ip.version == 6 else {str(ip)}
        for form in forms:
            edge = "0-9a-fA-F:" if ip.version == 6 else "0-9."
            pats.append((a, re.compile(rb"(?<![" + edge.encode() + rb"])" +
                                       re.escape(form.encode()) + rb"(?![" + edge.encode() +
                                       rb"])")))
        pats.append((a + " (raw bytes)", re.compile(re.escape(ip.packed))))
    return pats


def name_patterns(names):
    pats = []
    for n in sorted(names):
        # a dotless name is matched as a whole word only
        b = re.escape(n.encode())
        if "." not in n:
            b = rb"(?<![A-Za-z0-9_-])" + b + rb"(?![A-Za-z0-9_-])"
        pats.append((n, re.compile(b, re.IGNORECASE)))
    return pats


def sqlite_text(path):
    """Every value of every table of the history file, as text."""
    db = sqlite3.connect(path)
    out = []
    for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        for row in db.execute('SELECT * FROM "%s"' % t):
            out.append(" ".join(str(v) for v in row))
    db.close()
    return "\n".join(out).encode()


def grep(outputs, pats):
    found = []
    for path in outputs:
        with open(path, "rb") as f:
            data = f.read()
        if path.endswith(".sqlite"):
            data += b"\n" + sqlite_text(path)
        for what, p in pats:
            if what.endswith("(raw bytes)") and not path.endswith((".bin", ".sqlite")):
                continue
            if p.search(data):
                found.append("%s: %s" % (os.path.basename(path), what))
    return found


def figures(snap):
    def walk(x, name):
        if not isinstance(x, dict):
            return x
        if name in NAMING and isinstance(x.get("keys"), dict):
            out = dict(x)
            out["keys"] = sorted(json.dumps(v, sort_keys=True) for v in x["keys"].values())
            return out
        return {k: walk(v, k) for k, v in x.items()}
    return walk({k: v for k, v in snap.items() if k != "anonymized"}, "")


def diff_keys(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += diff_keys(a.get(k), b.get(k), path + "." + k)
        return out
    return [] if a == b else [path or "."]


def analyze(binary, files, work, name, common, key=None, extra=()):
    d = os.path.join(work, name)
    os.makedirs(d)
    args = [binary, "analyze", "-q"] + common + [
        "-s", os.path.join(d, "sessions.jsonl"), "--stats", os.path.join(d, "stats.json"),
        "--alerts", os.path.join(d, "alerts.jsonl"), "--history",
        os.path.join(d, "history.sqlite"), "--dump", os.path.join(d, "records.bin")]
    if key:
        args += ["--anonymize", key]
    run(args + list(extra) + ["--"] + files)
    return d


def main():
    binary, repo, work = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    files = sorted(glob.glob(os.path.join(repo, "pcaps", "*.pcap")))
    common = ["--ca-file", os.path.join(repo, "pcaps", "ca", "corpus-ca-bundle.pem"),
              "--geoip", "none", "--mta-sts-policies", os.path.join(repo, "pcaps", "mta-sts.mta-sts"),
              "--local-net", "198.51.100.0/24", "--local-net", "2001:db8:2::/48"]
    key, key2 = os.path.join(work, "key"), os.path.join(work, "key2")
    run([binary, "keygen", key], ok=(0,))
    run([binary, "keygen", key2], ok=(0,))
    failures = []

    plain = analyze(binary, files, work, "plain", common)
    anon = analyze(binary, files, work, "anon", common, key)
    addrs, names = collect(records(os.path.join(plain, "sessions.jsonl")))
    if len(addrs) < 10 or len(names) < 10:
        failures.append("too few real addresses (%d) or names (%d) collected" %
                        (len(addrs), len(names)))

    # every other output of the anonymised run
    summary = os.path.join(anon, "summary.txt")
    with open(summary, "wb") as f:
        f.write(run([binary, "analyze", "-q", "--anonymize", key] + common + ["--"] +
                    files).stdout)
    with open(os.path.join(anon, "history.txt"), "wb") as f:
        f.write(run([binary, "history", os.path.join(anon, "history.sqlite")]).stdout)
    run([binary, "report", os.path.join(anon, "stats.json"), "-o",
         os.path.join(anon, "report.html")], ok=(0,))
    run([binary, "tlsrpt", os.path.join(anon, "sessions.jsonl"), "-o",
         os.path.join(anon, "tlsrpt"), "--org", "Study", "--contact", "study@invalid"], ok=(0,))
    replay = analyze(binary, [os.path.join(anon, "records.bin")], work, "replay", common, key,
                     ["--records"])
    outputs = [p for d in (anon, replay) for p in glob.glob(os.path.join(d, "**", "*"),
                                                             recursive=True)
               if os.path.isfile(p)]
    tlsrpt_files = [p for p in outputs if "/tlsrpt/" in p]
    leaks = grep(outputs, addr_patterns(addrs) + name_patterns(names))
    failures += ["leak: " + x for x in leaks]
    # the check itself finds what it looks for: the plain run names them
    plain_outputs = [os.path.join(plain, n) for n in ("sessions.jsonl", "stats.json",
                                                      "records.bin", "history.sqlite")]
    seen = {x.split(": ", 1)[1] for x in grep(plain_outputs, addr_patterns(addrs) +
                                                name_patterns(names))}
    for what in sorted({a for a in addrs} | names):
        if what not in seen:
            failures.append("the search does not find %r in the plain run's outputs" % what)

    # 2. the figures that name no host
    snap = {}
    for n, d in (("plain", plain), ("anon", anon), ("replay", replay)):
        with open(os.path.join(d, "stats.json")) as f:
            snap[n] = json.load(f)
    for k in diff_keys(figures(snap["plain"]), figures(snap["anon"])):
        failures.append("figure differs with --anonymize: " + k)
    if snap["anon"].get("anonymized", {}).get("key_id") is None:
        failures.append("the anonymised snapshot is not marked")
    if snap["replay"] != snap["anon"]:
        failures.append("the replayed anonymised dump differs from the anonymised run")

    # 3. shards: plain dumps anonymised at the merge, and anonymised snapshots merged
    half = len(files) // 2
    parts = [files[:half], files[half:]]
    dumps, psnaps, asnaps = [], [], []
    for i, part in enumerate(parts):
        d = os.path.join(work, "shard%d" % i)
        os.makedirs(d)
        dumps.append(os.path.join(d, "records.bin"))
        psnaps.append(os.path.join(d, "plain.json"))
        asnaps.append(os.path.join(d, "anon.json"))
        run([binary, "analyze", "-q"] + common + ["--stats", os.devnull, "--dump", dumps[-1],
                                                  "--"] + part)
        run([binary, "analyze", "-q"] + common + ["--stats", psnaps[-1], "--"] + part)
        run([binary, "analyze", "-q"] + common + ["--anonymize", key, "--stats", asnaps[-1],
                                                  "--"] + part)
    merged = analyze(binary, dumps, work, "merged", common, key, ["--records"])
    for n in ("sessions.jsonl", "stats.json", "alerts.jsonl"):
        with open(os.path.join(merged, n), "rb") as f1, open(os.path.join(anon, n), "rb") as f2:
            if f1.read() != f2.read():
                failures.append("shards replayed with --records --anonymize: %s differs "
                                "from the anonymised run" % n)
    pm, am = os.path.join(work, "pm.json"), os.path.join(work, "am.json")
    run([binary, "merge", "-o", pm] + psnaps, ok=(0,))
    run([binary, "merge", "--anonymize", key, "-o", am] + asnaps, ok=(0,))
    with open(pm) as f1, open(am) as f2:
        pmj, amj = json.load(f1), json.load(f2)
    for k in diff_keys(figures(pmj), figures(amj)):
        failures.append("merge --anonymize differs from the plain merge: " + k)
    if amj.get("anonymized") != snap["anon"].get("anonymized"):
        failures.append("merge --anonymize lost the snapshot's mark")
    servers = lambda s: sorted(s.get("servers", {}).get("keys", {}))
    if servers(amj) != servers(snap["anon"]):
        failures.append("merge --anonymize: the servers of the shards are not those of "
                        "the whole")
    for bad in ([binary, "merge", "--anonymize", key2, "-o", os.devnull] + asnaps,
                [binary, "merge", "--anonymize", key, "-o", os.devnull] + psnaps,
                [binary, "merge", "-o", os.devnull, asnaps[0], psnaps[1]]):
        if run(bad, ok=(0, 1, 2)).returncode == 0:
            failures.append("merge accepted snapshots it must refuse: " + " ".join(bad[2:5]))
    if run([binary, "analyze", "-q", "--records", "--anonymize", key2, "--stats", os.devnull,
            "--", os.path.join(anon, "records.bin")], ok=(0, 1, 2)).returncode == 0:
        failures.append("records anonymised with another key were accepted")

    # 5. --anon-keep-suffix: each name keeps its registrable domain and
    # nothing more (the corpus's names end in example.com/net/org, whose
    # registrable domains are those); --anon-keep-local keeps the names of
    # the local servers in clear
    psl = "/usr/share/publicsuffix/public_suffix_list.dat"
    if os.path.exists(psl):
        ks = analyze(binary, files, work, "suffix", common, key, ["--anon-keep-suffix"])
        with open(os.path.join(ks, "sessions.jsonl"), "rb") as f:
            data = f.read()
        for n in sorted(names):
            labels = n.lower().split(".")
            if len(labels) > 2 and re.search(re.escape(n.encode()), data, re.IGNORECASE):
                failures.append("--anon-keep-suffix: %s appears whole" % n)
        if not re.search(rb"h-[0-9a-f]{16}\.example\.(net|org|com)", data):
            failures.append("--anon-keep-suffix kept no registrable domain")
    kl = analyze(binary, files, work, "local", common, key, ["--anon-keep-local"])
    kept = [r for r in records(os.path.join(kl, "sessions.jsonl"))
            if (r.get("tls") or {}).get("sni") in names]
    if not kept:
        failures.append("--anon-keep-local kept no local server's name")

    # 4. one key, one mapping
    again = analyze(binary, files, work, "again", common, key)
    other = analyze(binary, files, work, "other", common, key2)
    jobs = analyze(binary, files, work, "jobs", common, key, ["--jobs", "2"])
    for d, what in ((again, "the same key gave another mapping"),
                    (jobs, "--jobs 2 wrote other anonymised records than --jobs 1")):
        with open(os.path.join(d, "sessions.jsonl"), "rb") as f1, \
                open(os.path.join(anon, "sessions.jsonl"), "rb") as f2:
            if f1.read() != f2.read():
                failures.append(what)
    if servers(json.load(open(os.path.join(other, "stats.json")))) == servers(snap["anon"]):
        failures.append("another key gave the same mapping")

    for x in failures:
        print("FAIL", x)
    print("anon: %d addresses and %d names of the corpus, %d outputs searched "
          "(%d TLS-RPT reports), %d leaks; %d failures" %
          (len(addrs), len(names), len(outputs), len(tlsrpt_files), len(leaks), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
