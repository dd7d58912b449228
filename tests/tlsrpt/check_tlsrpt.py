#!/usr/bin/env python3
"""smtptls tlsrpt: every report it writes is valid under the JSON Schema of
RFC 8460 §4.4 (rfc8460-report.schema.json, checked with python3-jsonschema),
is named as §5.1 says and compressed as §5.2 says (gzip, no name, no time),
and says what was derived by hand:

- the golden records of tls12-certs.pcap with DANE and MTA-STS data
  (expected/tls12-certs.dane.json, from tests/golden/README.md);
- the golden records of the corpus's DNS captures, dane.pcap and mta-sts.pcap
  (expected/corpus-dns.json, from their truth files and Postfix's verdicts);
- records edited here, one case per rule of docs/tlsrpt.md, with the
  outcome written beside each.

The schema itself is checked to accept RFC 8460 Appendix B's example and to
refuse broken reports, so that a schema accepting everything fails here.

usage: check_tlsrpt.py SMTPTLS SOURCE_DIR WORK_DIR
"""
import copy
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import sys

import jsonschema

BIN, SRC, WORK = sys.argv[1:4]
HERE = os.path.join(SRC, "tests", "tlsrpt")
GOLDEN = os.path.join(SRC, "tests", "golden", "expected", "tls12-certs.dane.sessions.jsonl")
ORG, CONTACT, SENDER = "Example Sender", "tlsrpt@sender.example", "sender.example"
failures = []

with open(os.path.join(HERE, "rfc8460-report.schema.json")) as f:
    SCHEMA = json.load(f)
jsonschema.Draft202012Validator.check_schema(SCHEMA)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# RFC 8460 §5.1: sender "!" policy-domain "!" begin-timestamp "!" end-timestamp
# ["!" unique-id] "." extension; unique-id = 1*(ALPHA / DIGIT)
NAME_RE = re.compile(r"^([A-Za-z0-9._-]+)!([A-Za-z0-9._-]+)!([0-9]+)!([0-9]+)(![A-Za-z0-9]+)?\.json\.gz$")


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


def run(outdir, inputs, want_rc=0):
    shutil.rmtree(outdir, ignore_errors=True)
    p = subprocess.run([BIN, "tlsrpt", *inputs, "--org", ORG, "--contact", CONTACT, "-o", outdir],
                       capture_output=True, text=True)
    check(p.returncode == want_rc, f"tlsrpt {inputs}: exit {p.returncode}, want {want_rc}: {p.stderr}")
    return p


def load_reports(outdir):
    """file name -> report, each checked for its name, gzip header and schema."""
    reports = {}
    for path in sorted(glob.glob(os.path.join(outdir, "*.json.gz"))):
        name = os.path.basename(path)
        with open(path, "rb") as f:
            raw = f.read()
        # RFC 1952: magic, deflate, flags without FNAME/FCOMMENT, MTIME 0
        check(raw[:3] == b"\x1f\x8b\x08", f"{name}: not gzip")
        check(raw[3] & 0x18 == 0, f"{name}: gzip header names a file or has a comment")
        check(raw[4:8] == b"\0\0\0\0", f"{name}: gzip header has a time")
        rep = json.loads(gzip.decompress(raw))
        errors = sorted(VALIDATOR.iter_errors(rep), key=lambda e: list(e.path))
        for e in errors:
            check(False, f"{name}: schema: {list(e.path)}: {e.message}")
        m = NAME_RE.match(name)
        check(m is not None, f"{name}: not an RFC 8460 §5.1 file name")
        if m and not errors:
            begin, end = int(m.group(3)), int(m.group(4))
            check(m.group(1) == SENDER, f"{name}: sender is not the contact's domain")
            check(all(p["policy"]["policy-domain"] == m.group(2) for p in rep["policies"]),
                  f"{name}: policy-domain differs from the file name's")
            check(rep["date-range"]["start-datetime"] == iso(begin) and
                  rep["date-range"]["end-datetime"] == iso(end) and end - begin == 86400,
                  f"{name}: date-range {rep['date-range']} is not the UTC day {begin}..{end}")
            check(rep["organization-name"] == ORG and rep["contact-info"] == CONTACT,
                  f"{name}: organization or contact")
            check(rep["report-id"].endswith("@" + SENDER), f"{name}: report-id {rep['report-id']}")
            for pol in rep["policies"]:
                s = pol["summary"]
                check(s["total-failure-session-count"] ==
                      sum(d["failed-session-count"] for d in pol["failure-details"]),
                      f"{name}: failures of {pol['policy']['policy-type']} do not add up")
        reports[name] = rep
    return reports


def iso(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def summary_of(pol):
    strs = pol["policy"].get("policy-string")
    if pol["policy"]["policy-type"] == "tlsa" and strs is not None:
        strs = sorted(strs)  # the records of an RRset have no order
    return {
        "policy-type": pol["policy"]["policy-type"],
        "policy-string": strs,
        "mx-host": pol["policy"].get("mx-host"),
        "success": pol["summary"]["total-successful-session-count"],
        "failure": pol["summary"]["total-failure-session-count"],
        "failures": sorted([d["result-type"], d.get("receiving-ip"), d["failed-session-count"]]
                           for d in pol["failure-details"]),
    }


def check_golden(expected=os.path.join(HERE, "expected", "tls12-certs.dane.json"),
                 inputs=(GOLDEN,), details=True):
    with open(expected) as f:
        want = json.load(f)
    out = os.path.join(WORK, "golden-" + os.path.basename(expected))
    run(out, list(inputs))
    reports = load_reports(out)
    check(len(reports) == len(want["reports"]), f"golden: {len(reports)} reports")
    for w in want["reports"]:
        hits = [(n, r) for n, r in reports.items()
                if n.split("!")[1:4] == [w["policy-domain"], str(w["begin-timestamp"]), str(w["end-timestamp"])]]
        check(len(hits) == 1, f"golden: no report for {w['policy-domain']} {w['start-datetime']}")
        if not hits:
            continue
        name, rep = hits[0]
        check(rep["date-range"] == {"start-datetime": w["start-datetime"],
                                    "end-datetime": w["end-datetime"]}, f"{name}: date-range")
        got = [summary_of(p) for p in rep["policies"]]
        exp = [dict(p, failures=sorted(p["failures"]),
                    **({"policy-string": sorted(p["policy-string"])}
                       if p["policy-type"] == "tlsa" and p["policy-string"] is not None else {}))
               for p in w["policies"]]
        check(got == exp, f"{name}: policies\n got  {json.dumps(got)}\n want {json.dumps(exp)}")
        for pol in rep["policies"] if details else ():
            for d in pol["failure-details"]:
                check(d["sending-mta-ip"] == "203.0.113.12" and
                      d["receiving-mx-hostname"] == "mx1.example.net" and
                      d["receiving-mx-helo"] == "mx1.example.net", f"{name}: failure detail {d}")
    with open(os.path.join(out, "index.json")) as f:
        index = json.load(f)
    check({d: v["rua"] for d, v in index["domains"].items()} == want["index"], f"golden index {index}")
    check(sorted(f for v in index["domains"].values() for f in v["reports"]) == sorted(reports),
          "golden index: report files")
    check(index["sessions"] == want["sessions"], f"golden index sessions {index['sessions']}")
    # the same records give the same bytes
    again = out + "-again"
    run(again, list(inputs))
    for name in reports:
        with open(os.path.join(out, name), "rb") as a, open(os.path.join(again, name), "rb") as b:
            check(a.read() == b.read(), f"{name}: differs between two runs")


def edited_records():
    """Records made from the golden ones, each with what it must give."""
    with open(GOLDEN) as f:
        golden = [json.loads(line) for line in f]
    match = golden[1]  # 198.51.100.25: DANE match, MTA-STS pass
    mism = golden[0]   # 198.51.100.31: DANE mismatch, MTA-STS pass
    org = copy.deepcopy(match)  # example.org: no DANE, no MTA-STS, a rua
    org["ts"] = "2026-11-23T01:00:00.000000Z"
    org["dns"] = {"mx_host": "mx.example.org", "mx_host_source": "dns", "domains": ["example.org"],
                  "tlsa": {"name": "_25._tcp.mx.example.org", "state": "absent", "dnssec": "secure",
                           "source": "data", "records": []},
                  "dane": {"result": "none", "matched": None, "certificate": "observed",
                           "covers_certificate_alarms": False},
                  "mta_sts": {"domain": None, "txt_id": None, "policy": None, "result": "none",
                              "reason": None},
                  "tlsrpt_rua": "mailto:tlsrpt@example.org"}

    def plain(r, offered):
        r = copy.deepcopy(r)
        r["encryption"] = "plaintext"
        r["tls"] = r["cert"] = None
        r["smtp"]["starttls_offered"] = offered
        r["smtp"]["starttls_requested"] = False
        return r

    def edit(r, **kw):
        r = copy.deepcopy(r)
        for k, v in kw.items():
            r[k] = v
        return r

    failed = edit(match, encryption="starttls_failed")
    failed["dns"]["dane"]["result"] = "no_tls"
    failed["dns"]["mta_sts"].update(result="fail", reason="no_tls")
    judged = copy.deepcopy(mism)  # the record's own dry-run names the DANE failure
    judged["policy"] = {"direction": "outbound",
                        "dane": {"result": "fail", "reason": "certificate-not-trusted"},
                        "mta-sts": {"result": "pass", "reason": None}}
    unknown = copy.deepcopy(match)  # TLS 1.3 hid the certificate
    unknown["dns"]["dane"]["result"] = "unknown"
    unknown["dns"]["mta_sts"].update(result="unknown", reason=None)
    inbound = copy.deepcopy(org)
    inbound["policy"] = {"direction": "inbound"}
    return [
        org,                                            # example.org 11-23, no-policy-found: success
        plain(org, False),                              # starttls-not-supported
        plain(org, False),                              # the same again: one detail, count 2
        plain(org, True),                               # offered, not asked for: not attempted
        inbound,                                        # not outbound
        edit(org, server={"ip": "192.0.2.9", "port": 587}),  # submission, not MX delivery
        failed,                                         # example.net 11-22: validation-failure twice
        judged,                                         # tlsa: certificate-not-trusted; sts: success
        unknown,                                        # counted nowhere
    ]


def check_edited():
    recs = os.path.join(WORK, "edited.jsonl")
    os.makedirs(WORK, exist_ok=True)
    with open(recs, "w") as f:
        for r in edited_records():
            f.write(json.dumps(r) + "\n")
        f.write("not a record\n")
    out = os.path.join(WORK, "edited")
    p = run(out, [recs], want_rc=1)
    check("edited.jsonl:10: not a connection record" in p.stderr, f"bad line message: {p.stderr}")
    reports = load_reports(out)
    by = {n.split("!")[1] + "!" + n.split("!")[2]: r for n, r in reports.items()}
    check(sorted(by) == ["example.net!1795305600", "example.org!1795392000"], f"edited: {sorted(by)}")
    org = by.get("example.org!1795392000")
    if org:
        got = [summary_of(p) for p in org["policies"]]
        want = [{"policy-type": "no-policy-found", "policy-string": None, "mx-host": None,
                 "success": 1, "failure": 2, "failures": [["starttls-not-supported", "198.51.100.25", 2]]}]
        check(got == want, f"example.org: {got}")
    net = by.get("example.net!1795305600")
    if net:
        got = [(s["policy-type"], s["success"], s["failure"], s["failures"])
               for s in map(summary_of, net["policies"])]
        want = [("tlsa", 0, 2, [["certificate-not-trusted", "198.51.100.31", 1],
                                ["validation-failure", "198.51.100.25", 1]]),
                ("sts", 1, 1, [["validation-failure", "198.51.100.25", 1]])]
        check(got == want, f"example.net: {got}")
    with open(os.path.join(out, "index.json")) as f:
        index = json.load(f)
    check({d: v["rua"] for d, v in index["domains"].items()} ==
          {"example.net": None, "example.org": "mailto:tlsrpt@example.org"}, f"edited index {index}")
    check(index["sessions"] == {"read": 9, "reported": 5, "not_mx_delivery": 1, "not_outbound": 1,
                                "not_attempted": 1, "unknown": 1, "invalid": 0},
          f"edited sessions {index['sessions']}")


def check_schema_itself():
    """The RFC's own example (Appendix B) is valid; broken reports are not."""
    example = {
        "organization-name": "Company-X",
        "date-range": {"start-datetime": "2016-04-01T00:00:00Z", "end-datetime": "2016-04-01T23:59:59Z"},
        "contact-info": "sts-reporting@company-x.example",
        "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
        "policies": [{
            "policy": {"policy-type": "sts",
                       "policy-string": ["version: STSv1", "mode: testing",
                                         "mx: *.mail.company-y.example", "max_age: 86400"],
                       "policy-domain": "company-y.example", "mx-host": "*.mail.company-y.example"},
            "summary": {"total-successful-session-count": 5326, "total-failure-session-count": 303},
            "failure-details": [
                {"result-type": "certificate-expired", "sending-mta-ip": "2001:db8:abcd:0012::1",
                 "receiving-mx-hostname": "mx1.mail.company-y.example", "failed-session-count": 100},
                {"result-type": "starttls-not-supported", "sending-mta-ip": "2001:db8:abcd:0013::1",
                 "receiving-mx-hostname": "mx2.mail.company-y.example", "receiving-ip": "203.0.113.56",
                 "failed-session-count": 200,
                 "additional-information": "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported"},
                {"result-type": "validation-failure", "sending-mta-ip": "198.51.100.62",
                 "receiving-ip": "203.0.113.58", "receiving-mx-hostname": "mx-backup.mail.company-y.example",
                 "failed-session-count": 3, "failure-reason-code": "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"}]}],
    }
    check(VALIDATOR.is_valid(example), "schema refuses RFC 8460 Appendix B's example")

    def broken(fn):
        r = copy.deepcopy(example)
        fn(r)
        return r

    pol = lambda r: r["policies"][0]
    det = lambda r: r["policies"][0]["failure-details"][0]
    cases = {
        "no policies": lambda r: r.pop("policies"),
        "policies not an array": lambda r: r.update(policies=pol(r)),
        "unknown policy-type": lambda r: pol(r)["policy"].update({"policy-type": "dane"}),
        "sts without mx-host": lambda r: pol(r)["policy"].pop("mx-host"),
        "policy-string a string": lambda r: pol(r)["policy"].update({"policy-string": "version: STSv1"}),
        "count as a string": lambda r: pol(r)["summary"].update({"total-failure-session-count": "303"}),
        "negative count": lambda r: det(r).update({"failed-session-count": -1}),
        "unknown result-type": lambda r: det(r).update({"result-type": "certificate-revoked"}),
        "misspelt key": lambda r: det(r).update({"failed-sessions-count": 1}),
        "bad sending-mta-ip": lambda r: det(r).update({"sending-mta-ip": "300.1.2.3"}),
        "date without zone": lambda r: r["date-range"].update({"start-datetime": "2016-04-01T00:00:00"}),
        "contact without @": lambda r: r.update({"contact-info": "company-x.example"}),
        "U-label domain": lambda r: pol(r)["policy"].update({"policy-domain": "bücher.example"}),
        "tlsa record not in presentation form": lambda r: pol(r)["policy"].update(
            {"policy-type": "tlsa", "policy-string": ["3 1 1 (ab cd)"]}),
    }
    for what, fn in cases.items():
        check(not VALIDATOR.is_valid(broken(fn)), f"schema accepts a report with {what}")


def main():
    os.makedirs(WORK, exist_ok=True)
    check_schema_itself()
    check_golden()
    # the DNS captures of the corpus, as the golden cases record them
    exp = os.path.join(SRC, "tests", "golden", "expected")
    check_golden(os.path.join(HERE, "expected", "corpus-dns.json"),
                 (os.path.join(exp, "dane.sessions.jsonl"), os.path.join(exp, "mta-sts.sessions.jsonl")),
                 details=False)
    check_edited()
    p = subprocess.run([BIN, "tlsrpt", GOLDEN, "--org", ORG, "--contact", "nobody", "-o",
                        os.path.join(WORK, "x")], capture_output=True, text=True)
    check(p.returncode == 2 and "--contact" in p.stderr, f"a contact without a domain: {p.returncode}")
    print(f"{0 if failures else 1} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
