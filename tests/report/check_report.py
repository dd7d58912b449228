#!/usr/bin/env python3
"""The HTML report and the chart files (smtptls report), end to end:

1. a real snapshot (the binary over pcaps/) renders to one HTML page that is
   well-formed, self-contained (no external URL in src/href, no script, no
   stylesheet link, no url() other than in-page references) and carries
   every section and chart, with no template tag left over; a --title with
   markup characters is escaped;
2. headless Chromium opens the page from disk: a screenshot is taken, the
   DOM it built has every expected chart with plotted elements, and the
   browser's net log shows no request made by the page (a canary page with
   an external image checks that such a request would be seen);
3. an empty snapshot (a capture without packets) and a snapshot without TLS
   render sensibly: empty-state text instead of broken charts;
4. --plots DIR --format svg|png|pdf writes every chart file, plus the data
   of each chart with data;
5. bad input (not JSON, another format, another version) fails with exit 2
   and one clear line; a missing gnuplot still gives the page (exit 0) and
   makes --plots fail (exit 1); a hanging gnuplot is stopped at --timeout;
6. the same snapshot gives the same page, byte for byte;
7. the policy section ("If you enforced TLS", first on the page): its
   figures are the snapshot's policy section (per direction and policy:
   failing, judged, unknown, not applicable, failing servers always and
   intermittently, domains, plain-text messages, reasons, the failing
   servers and domains by traffic, and the chart's data), on the corpus,
   on the DNS captures (DANE, MTA-STS with its policy and CA) without and
   with --local-net (inbound judged apart); without DNS data the DANE and
   MTA-STS rows say what is missing; without --local-net the page says
   how to give it; a snapshot without the section says "not measured";
8. the DNS section: "not measured" on a snapshot without a dns section; on
   one with it (the corpus snapshot plus tests/report/dns_section.json, which
   the unit test unit.agg_dns keeps equal to what the statistics code
   writes, read back through `smtptls merge`), the DANE and MTA-STS tables
   with counts and shares, the MX hosts publishing DANE with their
   mismatches, and the sentences saying what a mismatch and a downgrade
   mean;
9. the chart "post-quantum key exchange over time": its data per period
   (PQ negotiated, offered but not chosen, neither) adds up to the TLS 1.3
   connections of the time section, which agree with the pq section; a
   snapshot without TLS 1.3 says so; one without the counters (older) says
   "not measured".

Usage: check_report.py BINARY WORKDIR
Needs gnuplot (Debian gnuplot-nox) and chromium (Debian chromium).
"""
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHARTS = ["policy_outcomes", "encryption_time", "tls_versions", "cipher_grades", "pq_time", "cert_status",
          "key_sizes", "country_share", "as_share", "anomaly_types", "anomalies_time"]
# The Okabe-Ito colours the charts draw data in (gnuplot writes them lower case).
PALETTE = {"#009e73", "#0072b2", "#56b4e9", "#e69f00", "#d55e00", "#cc79a7", "#999999"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}

failures = []
passed = 0


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print("FAIL", what)
    return cond


def run(args, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


class Page(html.parser.HTMLParser):
    """Checks nesting and collects what the checks need."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.tags = {}
        self.urls = []          # (tag, attribute, value) of every src/href
        self.figures = {}       # chart name -> {"state", "plotted", "svg", "text"}
        self.fig = None
        self.text = []
        self.styles = []
        self.in_style = False
        self.ids = []
        self.svg_depth = 0

    def _attrs(self, tag, attrs):
        if not self.svg_depth:  # the page's own elements, not the charts'
            self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "action", "poster", "data", "srcset"):
                self.urls.append((tag, k, v or ""))
            if k == "style" and v:
                self.styles.append(v)
            if k == "id" and v:
                self.ids.append(v)
        a = dict(attrs)
        if tag == "figure" and "data-chart" in a:
            self.fig = {"state": a.get("data-state"), "plotted": 0, "svg": 0, "text": ""}
            self.figures[a["data-chart"]] = self.fig
        if self.fig is not None:
            if tag == "svg":
                self.fig["svg"] += 1
            # gnuplot draws bars and boxes as polygons filled in a palette colour
            if tag in ("polygon", "path", "rect") and colour(a.get("fill")) in PALETTE and \
                    (a.get("points") or a.get("d") or a.get("width")):
                self.fig["plotted"] += 1

    def handle_starttag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag == "svg":
            self.svg_depth += 1
        if tag == "style":
            self.in_style = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._attrs(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg_depth -= 1
        if tag == "style":
            self.in_style = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else '-'}>"
                               f" at line {self.getpos()[0]}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "figure":
            self.fig = None

    def handle_data(self, data):
        if self.in_style:
            self.styles.append(data)
        self.text.append(data)
        if self.fig is not None:
            self.fig["text"] += data


def colour(fill):
    """'rgb(  0, 158, 115)' or '#009E73' as '#009e73'."""
    f = (fill or "").strip().lower()
    m = re.match(r"rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", f)
    return "#%02x%02x%02x" % tuple(int(x) for x in m.groups()) if m else f


# Filled shapes a chart draws besides its data (legend swatches).
LEGEND = {"encryption_time": 7, "country_share": 4, "as_share": 4, "policy_outcomes": 3, "pq_time": 3}


def parse(text):
    p = Page()
    p.feed(text)
    p.close()
    if p.stack:
        p.errors.append("unclosed: " + " ".join(p.stack))
    return p


def external(url):
    u = url.strip().lower()
    return u.startswith("http:") or u.startswith("https:") or u.startswith("//") or \
        u.startswith("ftp:") or (":" in u.split("/")[0] and not u.startswith("#"))


def check_static(name, text):
    """Well-formed and self-contained."""
    p = parse(text)
    check(not p.errors, f"{name}: HTML nesting: {p.errors[:3]}")
    check(text.startswith("<!DOCTYPE html>"), f"{name}: doctype")
    for t in ("html", "head", "body", "title", "main"):
        check(p.tags.get(t) == 1, f"{name}: exactly one <{t}> (got {p.tags.get(t)})")
    for t in ("script", "link", "iframe", "object", "embed", "img", "base"):
        check(t not in p.tags, f"{name}: no <{t}>")
    bad = [u for u in p.urls if external(u[2])]
    check(not bad, f"{name}: external URLs in src/href: {bad[:3]}")
    bad = [u for u in p.urls if not u[2].startswith("#")]
    check(not bad, f"{name}: only in-page references in src/href: {bad[:3]}")
    css = "\n".join(p.styles)
    check("@import" not in css, f"{name}: no @import")
    check(all(m.startswith("#") for m in re.findall(r"url\(\s*['\"]?([^)'\"]*)", text)),
          f"{name}: url() only to in-page ids")
    check(len(p.ids) == len(set(p.ids)), f"{name}: ids unique "
          f"({[i for i in set(p.ids) if p.ids.count(i) > 1][:3]})")
    for sec in ("policy", "summary", "capture", "charts", "tables"):
        check(f'<section id="{sec}">' in text, f"{name}: section {sec}")
    first = re.search(r'<section id="([^"]*)"', text)
    check(first and first.group(1) == "policy", f"{name}: the policy section comes first "
          f"({first.group(1) if first else None})")
    check(set(p.figures) == set(CHARTS), f"{name}: one figure per chart: {sorted(p.figures)}")
    check("{{" not in text, f"{name}: no template tag left in the page")
    return p


def chromium_env(work):
    prof = tempfile.mkdtemp(prefix="profile-", dir=work)
    return ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=" + prof, "--host-resolver-rules=MAP * ~NOTFOUND"], prof


def page_requests(netlog):
    """URLs the page asked for (not the browser's own background requests,
    whose initiator is 'not an origin'), other than file: and data:."""
    with open(netlog, encoding="utf-8", errors="replace") as f:
        text = f.read()
    try:
        log = json.loads(text)
    except ValueError:
        # a log cut short: close it, keeping the whole events
        cut = text.rfind("},\n")
        log = json.loads(text[:cut + 1] + "]}") if cut > 0 else {"events": [], "constants": {}}
    types = {v: k for k, v in log.get("constants", {}).get("logEventTypes", {}).items()}
    urls = []
    for e in log.get("events", []):
        p = e.get("params") or {}
        if types.get(e.get("type")) != "URL_REQUEST_START_JOB" or "url" not in p:
            continue
        if p.get("initiator") == "not an origin":
            continue
        if p["url"].startswith(("file:", "data:", "about:", "chrome:")):
            continue
        urls.append(p["url"])
    return urls


def browse(work, html_path, tag):
    """Screenshot, DOM, and the page's network requests."""
    shot = os.path.join(work, tag + ".png")
    netlog = os.path.join(work, tag + ".netlog.json")
    base, prof = chromium_env(work)
    url = "file://" + os.path.abspath(html_path)
    try:
        r = run(base + ["--hide-scrollbars", "--screenshot=" + shot, "--window-size=1280,2400",
                        url], timeout=120)
        check(r.returncode == 0 and os.path.exists(shot) and os.path.getsize(shot) > 20000,
              f"{tag}: chromium screenshot ({r.returncode}, {r.stderr[-300:]})")
        if os.path.exists(shot):
            with open(shot, "rb") as f:
                head = f.read(24)
            w, h = struct.unpack(">II", head[16:24])
            check(head[:8] == b"\x89PNG\r\n\x1a\n" and (w, h) == (1280, 2400),
                  f"{tag}: screenshot is a 1280x2400 PNG ({w}x{h})")
    finally:
        shutil.rmtree(prof, ignore_errors=True)
    base, prof = chromium_env(work)
    try:
        r = run(base + ["--log-net-log=" + netlog, "--dump-dom", url], timeout=120)
        check(r.returncode == 0 and "<html" in r.stdout, f"{tag}: chromium --dump-dom")
    finally:
        shutil.rmtree(prof, ignore_errors=True)
    reqs = page_requests(netlog) if os.path.exists(netlog) else None
    check(reqs is not None, f"{tag}: chromium wrote a net log")
    return r.stdout, shot, reqs or []


def figure_states(p):
    return {k: v["state"] for k, v in p.figures.items()}


def snapshot(binary, work, name, inputs):
    out = os.path.join(work, name + ".json")
    r = run([binary, "analyze", "-q", "--stats", out] + inputs, timeout=600)
    if not check(r.returncode in (0, 1) and os.path.exists(out),
                 f"analyze for the {name} snapshot: exit {r.returncode}: {r.stderr[-300:]}"):
        raise SystemExit(1)
    with open(out) as f:
        return out, json.load(f)


def render(binary, snap, out, extra=()):
    r = run([binary, "report", snap, "-o", out] + list(extra))
    return r


def table_rows(text, table_id):
    """The cells (tags stripped) of each body row of the table with that id."""
    m = re.search(r'<table id="%s">(.*?)</table>' % re.escape(table_id), text, re.S)
    if not m:
        return None
    body = re.search(r"<tbody>(.*?)</tbody>", m.group(1), re.S)
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body.group(1) if body else "", re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def check_dns_captures(binary, work):
    """The DNS section of a report on the DNS captures of the corpus (DNS in
    the capture, and the MTA-STS policy given): its DANE rows are the
    snapshot's counts."""
    pc = os.path.join(REPO, "pcaps")
    snap, s = snapshot(binary, work, "dnscaps",
                       ["--mta-sts-policies", os.path.join(pc, "mta-sts.mta-sts"),
                        os.path.join(pc, "dane.pcap"), os.path.join(pc, "mta-sts.pcap")])
    page = os.path.join(work, "dnscaps.html")
    r = render(binary, snap, page)
    check(r.returncode == 0 and r.stderr == "", f"dnscaps: report exit {r.returncode}: {r.stderr}")
    text = open(page, encoding="utf-8").read()
    rows = table_rows(text, "dns-dane") or []
    got = {row[0]: int(row[1]) for row in rows if len(row) > 1 and row[1].isdigit()}
    want = {k: v for k, v in s["dns"]["dane"].items()
            if k in ("none", "match", "mismatch", "unusable", "insecure", "bogus", "unknown",
                     "no_tls") and v}
    check(got == want, f"dnscaps: DANE rows {got} are the snapshot's {want}")
    check(want.get("match") == 3 and want.get("mismatch") == 1 and want.get("bogus") == 1,
          f"dnscaps: the DANE capture's results (3 match, 1 mismatch, 1 bogus): {want}")


def check_dns(binary, work, snap, s, text):
    """The DNS section, without and with a dns section in the snapshot."""
    check('<section id="dns">' in text and "Not measured: the snapshot has no dns section"
          in text and 'id="dns-dane"' not in text,
          "nodns: the DNS section says it is not measured")
    with open(os.path.join(REPO, "tests", "report", "dns_section.json")) as f:
        data = json.load(f)
    s2 = json.loads(json.dumps(s))
    s2["dns"] = data["dns"]
    s2["ratios"].update(data["ratios"])
    made = os.path.join(work, "dns-made.json")
    with open(made, "w") as f:
        json.dump(s2, f)
    # read back by the statistics code: merged with a snapshot without it
    dsnap = os.path.join(work, "dns.json")
    r = run([binary, "merge", made, snap, "-o", dsnap])
    if not check(r.returncode == 0 and os.path.exists(dsnap),
                 f"dns: merge with a snapshot without dns: exit {r.returncode}: {r.stderr}"):
        return
    with open(dsnap) as f:
        ds = json.load(f)
    check(ds.get("dns") == data["dns"], "dns: the section survives a merge with a snapshot "
          "without it")
    def same(a, b):
        return a and a["num"] == b["num"] and a["den"] == b["den"] and \
            (a["share"] is None) == (b["share"] is None) and \
            (a["share"] is None or abs(a["share"] - b["share"]) < 1e-9)
    check(all(same(ds["ratios"].get(k), v) for k, v in data["ratios"].items()),
          "dns: the DNS ratios are recomputed to the same values after the merge")
    page = os.path.join(work, "dns.html")
    r = render(binary, dsnap, page)
    check(r.returncode == 0 and r.stderr == "", f"dns: report exit {r.returncode}: {r.stderr}")
    t = open(page, encoding="utf-8").read()
    check_static("dns", t)
    d = data["dns"]
    conns = d["connections"]
    check("Not measured: the snapshot has no dns section" not in t,
          "dns: the section is measured")
    rows = table_rows(t, "dns-dane")
    want = [(k, v) for k, v in d["dane"].items()
            if k in ("none", "match", "mismatch", "unusable", "insecure", "bogus", "unknown",
                     "no_tls") and v > 0]
    got = {r[0]: r for r in rows or []}
    check(rows is not None and len(rows) == len(want), f"dns: one DANE row per result with "
          f"connections ({rows})")
    for k, v in want:
        r = got.get(k)
        pct = "%d%%" % round(100 * v / conns) if 0 < v < conns else None
        check(r is not None and r[1] == str(v) and (pct is None or r[2] == pct) and r[3],
              f"dns: DANE row {k}: {v}, {pct}, with its meaning ({r})")
    rows = table_rows(t, "dns-mta-sts")
    got = {r[0]: r for r in rows or []}
    for k in ("pass", "fail", "unknown", "none"):
        v = d["mta_sts"][k]
        if v:
            check(k in got and got[k][1] == str(v), f"dns: MTA-STS row {k} = {v} ({got.get(k)})")
    for k, v in d["mta_sts"]["fail_reasons"].items():
        if v:
            check(("fail: " + k) in got and got["fail: " + k][1] == str(v),
                  f"dns: MTA-STS failure reason {k} = {v}")
    rows = table_rows(t, "dns-mx-hosts")
    hosts = {k: v for k, v in d["mx_hosts"]["keys"].items() if v.get("tlsa_secure", 0) > 0}
    got = {r[0].split()[0]: r for r in rows or []}
    check(rows is not None and set(got) == set(hosts),
          f"dns: the MX hosts publishing DANE are listed ({sorted(got)} vs {sorted(hosts)})")
    for h, v in hosts.items():
        r = got.get(h, [""] * 5)
        check(r[1:5] == [str(v.get(c, 0)) for c in ("connections", "dane_match",
                                                     "dane_mismatch", "dane_no_tls")],
              f"dns: MX host {h} counts ({r})")
        check(("check" in r[0]) == (v.get("dane_mismatch", 0) + v.get("dane_no_tls", 0) > 0),
              f"dns: MX host {h} flagged when it has a mismatch or a downgrade")
    hr = ds["ratios"]["mx_hosts_with_dane"]
    check(f"{hr['num']} of {hr['den']} MX hosts" in t, "dns: MX hosts with DANE, of all")
    check(table_rows(t, "dns-policy-domains") is not None, "dns: the policy domains table")
    words = re.sub(r"<[^>]+>", "", t)
    check("DANE mismatch is a certificate" in words and "downgrade" in words and
          "STARTTLS stripping" in words, "dns: the page says what a mismatch and a downgrade "
          "mean")
    dom, _, reqs = browse(work, page, "dns")
    check(not reqs, f"dns: no network request ({reqs[:3]})")
    check('id="dns-dane"' in dom and 'id="dns-mx-hosts"' in dom, "dns DOM: the DNS tables")

# The policies that apply to each direction (docs/policy.md, "Direction").
POLICIES = ["require-starttls", "encrypt", "verify", "dane", "mta-sts", "history"]
POLICY_DIRS = {"inbound": POLICIES[:1], "outbound": POLICIES[1:], "internal": POLICIES,
               "unknown": POLICIES, "external": []}
NO_DNS = ("unknown: the run had no DNS data; give it with --dns-data/--mta-sts-policies or "
          "capture the MTA's DNS, see docs/dns.md")


def words(fragment):
    """The text of an HTML fragment, tags stripped, blanks collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def policy_block(text, block_id):
    m = re.search(r'<div class="pol" id="%s">(.*?)</div>' % re.escape(block_id), text, re.S)
    return m.group(1) if m else None


def failing_peers(dist):
    """The keys with a failure, as the page orders them: by failing
    connections, then by key."""
    keys = [(k, v) for k, v in dist.get("keys", {}).items() if v.get("fail", 0) > 0]
    return sorted(keys, key=lambda kv: (-kv[1]["fail"], kv[0]))


def check_peer_table(tag, text, table_id, dist):
    peers = failing_peers(dist)
    rows = table_rows(text, table_id)
    if not peers:
        check(rows is None, f"{tag}: no table {table_id} without failures")
        return
    want = [[k, str(v["fail"]), str(v.get("pass", 0)), str(v.get("unknown", 0)),
             str(v.get("fail_messages", 0)), "intermittently" if v.get("pass", 0) else "always"]
            for k, v in peers[:10]]
    if len(peers) > 10:
        want.append([f"and {len(peers) - 10} more"])
    check(rows == want, f"{tag}: {table_id} lists the failing peers by traffic ({rows} vs {want})")


def check_policy_page(tag, text, s, has_dns):
    """The policy section of a page equals the snapshot's policy section."""
    sec = re.search(r'<section id="policy">(.*?)</section>', text, re.S)
    if not check(sec is not None, f"{tag}: a policy section"):
        return
    sec = sec.group(1)
    pol = s["policy"]
    dirs = {d: n for d, n in pol["directions"].items() if n > 0}
    check(sum(dirs.values()) == pol["connections"], f"{tag}: directions add up")
    check(("policy-no-local-net" in sec) == (dirs == {"unknown": pol["connections"]}),
          f"{tag}: the no --local-net notice appears exactly when no direction is known")
    if "policy-no-local-net" in sec:
        check("--local-net" in words(sec), f"{tag}: says how to give --local-net")
    check("messages sent inside TLS cannot be seen" in words(sec),
          f"{tag}: the caveat on counting messages")
    for d, n in dirs.items():
        rows = table_rows(sec, "policy-" + d)
        if d == "external":
            check(rows is None and "No policy of yours applies" in sec,
                  f"{tag}: passing traffic has no policy")
            continue
        got = {r[0].split()[0]: r[1:] for r in rows or []}
        check(rows is not None and list(got) == POLICY_DIRS[d],
              f"{tag}: {d}: one row per policy that applies ({list(got)})")
        for name in POLICY_DIRS[d]:
            o = pol["by_direction"][d][name]
            r, der = o["results"], o["derived"]
            want = [str(x) for x in (r["fail"], r["fail"] + r["pass"], r["unknown"],
                                     r["not_applicable"], der["servers_failing"],
                                     der["servers_always_failing"],
                                     der["servers_intermittent"], der["domains_failing"],
                                     o["fail_messages"])]
            check(got.get(name) == want, f"{tag}: {d} {name}: row {got.get(name)} is the "
                  f"snapshot's {want}")
            bid = f"policy-{d}-{name}"
            block = policy_block(sec, bid)
            if not check(block is not None, f"{tag}: the paragraph {bid}"):
                continue
            w = words(block)
            no_dns = name in ("dane", "mta-sts") and not has_dns
            check((NO_DNS in w) == no_dns, f"{tag}: {bid}: the no-DNS wording "
                  f"{'given' if no_dns else 'not given'}")
            if no_dns:
                row = re.search(r'<table id="policy-%s">.*?<a href="#%s">.*?</tr>'
                                % (d, bid), sec, re.S)
                check(r["pass"] == 0 and row and "no DNS data" in words(row.group(0)),
                      f"{tag}: {bid}: without DNS data nothing passes and the row says so")
            if r["fail"]:
                verb = "been refused" if name == "require-starttls" else "failed"
                check(f"{r['fail']} of {r['fail'] + r['pass']} connection" in w and verb in w,
                      f"{tag}: {bid}: the sentence says {r['fail']} of "
                      f"{r['fail'] + r['pass']} would have {verb}")
                check(f"{o['fail_messages']} plain-text message" in w,
                      f"{tag}: {bid}: the plain-text messages")
                for reason, k in o["reasons"].items():
                    check(f"{reason} {k}:" in w, f"{tag}: {bid}: reason {reason} {k}")
                peers = failing_peers(o["servers"])
                always = [k for k, v in peers if not v.get("pass")]
                some = [k for k, v in peers if v.get("pass")]
                m = re.search(r"Always failing \((\d+)", w)
                check((m and int(m.group(1)) == len(always)) or (not m and not always),
                      f"{tag}: {bid}: the servers always failing ({len(always)})")
                m = re.search(r"Failing intermittently \((\d+)", w)
                check((m and int(m.group(1)) == len(some)) or (not m and not some),
                      f"{tag}: {bid}: the servers failing intermittently ({len(some)})")
                if always:
                    check(always[0] in w.split("Always failing")[1].split("Failing")[0],
                          f"{tag}: {bid}: the largest always failing server named first")
                if some:
                    check(some[0] in w.split("Failing intermittently")[1],
                          f"{tag}: {bid}: the largest intermittent server named")
            elif r["pass"]:
                check("nothing would have failed" in w, f"{tag}: {bid}: nothing fails")
            check_peer_table(tag, sec, bid + "-servers", o["servers"])
            check_peer_table(tag, sec, bid + "-domains", o["domains"])


def check_policy_chart(binary, work, tag, snap, s):
    """The chart's data: per policy, the outcomes summed over directions."""
    d = os.path.join(work, "plots-policy-" + tag)
    shutil.rmtree(d, ignore_errors=True)
    r = run([binary, "report", snap, "--plots", d])
    tsv = os.path.join(d, "policy_outcomes.tsv")
    if not check(r.returncode == 0 and os.path.exists(tsv),
                 f"{tag}: the policy chart's data ({r.stderr})"):
        return
    got = [line.split("\t") for line in open(tsv, encoding="utf-8").read().splitlines()]
    want = []
    for name in POLICIES:
        tot = {k: sum(o[name]["results"][k] for o in s["policy"]["by_direction"].values())
               for k in ("pass", "fail", "unknown", "not_applicable")}
        want.append([name] + [str(tot[k]) for k in ("pass", "fail", "unknown",
                                                    "not_applicable")])
    check([g[:5] for g in got] == want, f"{tag}: policy chart data {got} is {want}")
    check(all(sum(int(x) for x in g[1:5]) == s["policy"]["connections"] for g in got),
          f"{tag}: every bar of the policy chart adds up to the connections")


def check_policy(binary, work, snap, s, text):
    """The policy section on the corpus (no DNS data, no --local-net), on the
    DNS captures without and with --local-net, and without the section."""
    check("policy" in s and s["policy"]["connections"] == s["connections"]["total"],
          "corpus: the snapshot has a policy section judging every connection")
    check_policy_page("corpus", text, s, "dns" in s)
    check("dns" not in s, "corpus: made without DNS data")
    check_policy_chart(binary, work, "corpus", snap, s)

    pc = os.path.join(REPO, "pcaps")
    common = ["--mta-sts-policies", os.path.join(pc, "mta-sts.mta-sts"),
              "--ca-file", os.path.join(pc, "ca", "corpus-dns-ca.pem"),
              os.path.join(pc, "dane.pcap"), os.path.join(pc, "mta-sts.pcap")]
    for tag, extra in (("polcaps", []), ("polcaps-local", ["--local-net", "198.51.100.0/24"])):
        psnap, ps = snapshot(binary, work, tag, extra + common)
        page = os.path.join(work, tag + ".html")
        r = render(binary, psnap, page)
        check(r.returncode == 0 and r.stderr == "", f"{tag}: report exit {r.returncode}: "
              f"{r.stderr}")
        t = open(page, encoding="utf-8").read()
        check_static(tag, t)
        check("dns" in ps, f"{tag}: the run had DNS data")
        check_policy_page(tag, t, ps, True)
        check_policy_chart(binary, work, tag, psnap, ps)
        dane = ps["policy"]["by_direction"]
        if tag == "polcaps":
            o = dane["unknown"]["dane"]
            check(o["results"]["fail"] == 2 and o["reasons"] == {"tlsa-invalid": 1,
                                                                 "dnssec-invalid": 1},
                  f"polcaps: the DANE capture's failures (a mismatch, a bogus lookup): {o}")
            check(ps["policy"]["by_direction"]["unknown"]["mta-sts"]["results"]["fail"] == 1,
                  "polcaps: the MTA-STS capture's failure")
        else:
            check(ps["policy"]["directions"]["inbound"] == ps["policy"]["connections"],
                  "polcaps-local: every connection inbound")
            check(table_rows(t, "policy-inbound") is not None and
                  table_rows(t, "policy-unknown") is None,
                  "polcaps-local: inbound judged apart")
            dom, _, reqs = browse(work, page, tag)
            check(not reqs, f"{tag}: no network request ({reqs[:3]})")
            check(re.search(r'<section id="([^"]*)"', dom).group(1) == "policy",
                  f"{tag} DOM: the policy section first")

    # a snapshot without the section (written before the dry-run existed)
    old = json.loads(json.dumps(s))
    del old["policy"]
    osnap = os.path.join(work, "nopolicy.json")
    with open(osnap, "w") as f:
        json.dump(old, f)
    page = os.path.join(work, "nopolicy.html")
    r = render(binary, osnap, page)
    check(r.returncode == 0 and r.stderr == "", f"nopolicy: report exit {r.returncode}: "
          f"{r.stderr}")
    t = open(page, encoding="utf-8").read()
    op = check_static("nopolicy", t)
    sec = re.search(r'<section id="policy">(.*?)</section>', t, re.S)
    check(sec and "Not measured: the snapshot has no policy section" in sec.group(1) and
          'id="policy-unknown"' not in t, "nopolicy: the policy section says not measured")
    check(figure_states(op).get("policy_outcomes") == "absent" and
          "Not measured" in op.figures["policy_outcomes"]["text"],
          "nopolicy: the policy chart says not measured")


def pq_time_totals(s):
    """TLS 1.3 connections, PQ negotiated, PQ offered over the time section."""
    keys = ("tls13", "tls13_pq_negotiated", "tls13_pq_offered")
    vals = s.get("time", {}).get("keys", {}).values()
    return [sum(v.get(k, 0) for v in vals) for k in keys]


def check_pq_chart(binary, work, snap, s):
    """The post-quantum chart's data: per period, PQ negotiated, offered but
    not chosen and neither add up to the TLS 1.3 connections of the time
    section; without the counters (an older snapshot), not measured."""
    d = os.path.join(work, "plots-pq")
    shutil.rmtree(d, ignore_errors=True)
    r = run([binary, "report", snap, "--plots", d])
    tsv = os.path.join(d, "pq_time.tsv")
    if not check(r.returncode == 0 and os.path.exists(tsv), f"pq: the chart's data ({r.stderr})"):
        return
    rows = [line.split("\t") for line in open(tsv, encoding="utf-8").read().splitlines()]
    check(rows[0][1:] == ["PQ negotiated", "PQ offered, not chosen", "neither"],
          f"pq: the chart's columns {rows[0]}")
    got = [sum(int(row[i]) for row in rows[1:]) for i in (1, 2, 3)]
    t13, neg, off = pq_time_totals(s)
    check(got == [neg, off - neg, t13 - off] and min(int(x) for row in rows[1:] for x in row[1:]) >= 0,
          f"pq: the chart's columns add up to {got}, the time section to {[neg, off - neg, t13 - off]}")
    check(t13 == s["pq"]["tls13"] and neg == s["pq"]["tls13_negotiated"] and
          off == s["pq"]["tls13_offered"], "pq: the time section agrees with the pq section")

    old = json.loads(json.dumps(s))
    for v in list(old["time"]["keys"].values()) + [old["time"]["other"]]:
        for k in ("tls13", "tls13_pq_offered", "tls13_pq_negotiated"):
            v.pop(k, None)
    osnap = os.path.join(work, "nopq.json")
    with open(osnap, "w") as f:
        json.dump(old, f)
    page = os.path.join(work, "nopq.html")
    r = render(binary, osnap, page)
    check(r.returncode == 0 and r.stderr == "", f"nopq: report exit {r.returncode}: {r.stderr}")
    op = check_static("nopq", open(page, encoding="utf-8").read())
    f = op.figures.get("pq_time", {})
    check(f.get("state") == "absent" and "Not measured" in f.get("text", "") and
          figure_states(op).get("encryption_time") == "drawn",
          f"nopq: the post-quantum chart says not measured ({f.get('state')})")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(work, exist_ok=True)
    if not shutil.which("chromium"):
        print("FAIL chromium is not installed: the set-up installs it (apt-get install chromium)")
        return 1
    if not shutil.which("gnuplot"):
        print("FAIL gnuplot is not installed: the set-up installs it (apt-get install gnuplot-nox)")
        return 1

    # -- 0. the detector of page requests sees one when there is one
    canary = os.path.join(work, "canary.html")
    with open(canary, "w") as f:
        f.write('<!DOCTYPE html><html><body><img src="http://report-canary.invalid/x.png">'
                '</body></html>')
    base, prof = chromium_env(work)
    netlog = os.path.join(work, "canary.netlog.json")
    run(base + ["--log-net-log=" + netlog, "--dump-dom", "file://" + canary], timeout=120)
    shutil.rmtree(prof, ignore_errors=True)
    check(any("report-canary.invalid" in u for u in page_requests(netlog)),
          "canary: an external image of a page shows in the net log")

    # -- 1. the corpus
    pcaps = sorted(os.path.join(REPO, "pcaps", f) for f in os.listdir(os.path.join(REPO, "pcaps"))
                   if f.endswith(".pcap"))
    # --no-dns: the corpus snapshot stands for a run without DNS facts (the
    # DNS section is checked on it, then with a dns section added, and on
    # the DNS captures themselves below).
    snap, s = snapshot(binary, work, "corpus", ["--no-dns"] + pcaps)
    page = os.path.join(work, "corpus.html")
    r = render(binary, snap, page)
    check(r.returncode == 0 and r.stderr == "", f"corpus: report exit {r.returncode}: {r.stderr}")
    text = open(page, encoding="utf-8").read()
    p = check_static("corpus", text)
    st = figure_states(p)
    def grouped(key):
        return any(v.get("connections", 0) > 0 for v in s.get(key, {}).get("keys", {}).values())

    want = {"policy_outcomes": "drawn" if "policy" in s else "absent",
            "encryption_time": "drawn" if "time" in s else "absent",
            "tls_versions": "drawn", "cipher_grades": "drawn", "anomaly_types": "drawn",
            "anomalies_time": "drawn" if "time" in s else "absent",
            "cert_status": "drawn" if "cert" in s else "absent",
            "country_share": "drawn" if grouped("by_country") else "absent",
            "as_share": "drawn" if grouped("by_as") else "absent",
            "pq_time": "drawn" if pq_time_totals(s)[0] > 0 else "empty"}
    check(pq_time_totals(s)[1] > 0, "corpus: a TLS 1.3 connection negotiated a post-quantum group")
    for k, v in want.items():
        check(st.get(k) == v, f"corpus: chart {k} is {st.get(k)}, expected {v}")
    for k, f in p.figures.items():
        if f["state"] == "drawn":
            check(f["svg"] == 1 and f["plotted"] > LEGEND.get(k, 0),
                  f"corpus: chart {k} has an SVG with plotted data ({f['svg']} svg, "
                  f"{f['plotted']} data elements)")
            check(re.search(r"n = \d", f["text"]) is not None, f"corpus: chart {k} states n")
        elif f["state"] == "absent":
            check("Not measured" in f["text"] and f["svg"] == 0,
                  f"corpus: chart {k} says it is not measured")
    enc = s["ratios"]["encrypted_connections"]
    pct = round(100 * enc["num"] / enc["den"])
    lead = re.search(r'<p class="lead">(.*?)</p>', text, re.S)
    check(lead and f"{pct}%" in lead.group(1) and f"{enc['den']} SMTP connections" in
          lead.group(1), f"corpus: headline sentence with the encrypted share "
          f"({lead.group(1) if lead else None})")
    t13 = s["ratios"]["tls13"]
    check(lead and f"{t13['num']} of {t13['den']} TLS connections used TLS 1.3" in lead.group(1),
          "corpus: headline sentence with the TLS 1.3 share")
    check('id="servers-never"' in text and 'id="anomalies"' in text,
          "corpus: servers and anomalies tables")
    for k in s.get("anomalies", {}).get("keys", {}):
        if s["anomalies"]["keys"][k] > 0:
            check(f">{k}<" in text, f"corpus: anomaly {k} in the table")
    check(("not measured" in text) == ("cert" not in s) or "cert" in s,
          "corpus: certificate tiles say not measured without cert data")

    dom, shot, reqs = browse(work, page, "corpus")
    check(not reqs, f"corpus: the page made no network request ({reqs[:3]})")
    d = parse(dom)
    for k, f in d.figures.items():
        if st.get(k) == "drawn":
            check(f["svg"] == 1 and f["plotted"] > LEGEND.get(k, 0),
                  f"corpus DOM: chart {k} rendered with data ({f['plotted']})")
    check(set(d.figures) == set(CHARTS), "corpus DOM: every chart figure is in the DOM")

    # the words come from the template, the values are escaped into it
    title = "<b>Mail & \"TLS\"</b> 'x'"
    tpage = os.path.join(work, "title.html")
    r = render(binary, snap, tpage, ("--title", title))
    ttext = open(tpage, encoding="utf-8").read() if r.returncode == 0 else ""
    esc = "&lt;b&gt;Mail &amp; &quot;TLS&quot;&lt;/b&gt; &#39;x&#39;"
    check(f"<title>{esc}</title>" in ttext and f"<h1>{esc}</h1>" in ttext and "<b>" not in ttext,
          f"--title: escaped in <title> and <h1> (exit {r.returncode}: {r.stderr})")

    r2 = render(binary, snap, os.path.join(work, "corpus2.html"))
    check(r2.returncode == 0 and open(os.path.join(work, "corpus2.html")).read() == text,
          "corpus: the same snapshot gives the same page, byte for byte")

    # -- 2. an empty snapshot: a capture without packets
    empty_pcap = os.path.join(work, "empty.pcap")
    with open(empty_pcap, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    esnap, es = snapshot(binary, work, "empty", [empty_pcap])
    epage = os.path.join(work, "empty.html")
    r = render(binary, esnap, epage)
    check(r.returncode == 0 and r.stderr == "", f"empty: report exit {r.returncode}: {r.stderr}")
    etext = open(epage, encoding="utf-8").read()
    ep = check_static("empty", etext)
    check("holds no SMTP connections" in etext, "empty: says there are no connections")
    check(all(v in ("empty", "absent") for v in figure_states(ep).values()),
          f"empty: no chart drawn: {figure_states(ep)}")
    check("<svg" not in etext, "empty: no SVG")
    check(all(f["text"].strip() for f in ep.figures.values()), "empty: every figure explains")
    _, eshot, ereqs = browse(work, epage, "empty")
    check(not ereqs, f"empty: no network request ({ereqs[:3]})")

    # -- 3. a snapshot without TLS
    nsnap, ns = snapshot(binary, work, "notls",
                         [os.path.join(REPO, "pcaps", "plaintext-no-starttls.pcap")])
    check(ns["tls"]["negotiated"] == 0, "notls: the capture has no TLS")
    npage = os.path.join(work, "notls.html")
    r = render(binary, nsnap, npage)
    check(r.returncode == 0 and r.stderr == "", f"notls: report exit {r.returncode}: {r.stderr}")
    ntext = open(npage, encoding="utf-8").read()
    np_ = check_static("notls", ntext)
    nst = figure_states(np_)
    check(nst["tls_versions"] == "empty" and nst["cipher_grades"] == "empty",
          f"notls: TLS charts are empty states: {nst}")
    check("No TLS connections" in np_.figures["tls_versions"]["text"],
          "notls: the TLS chart says there is no TLS")
    check(nst["encryption_time"] == ("drawn" if "time" in ns else "absent"),
          "notls: the chart over time is drawn")
    check(nst["pq_time"] == "empty" and "No TLS 1.3 connections" in np_.figures["pq_time"]["text"],
          f"notls: the post-quantum chart says there is no TLS 1.3 ({nst['pq_time']})")
    check("None</strong> of the" in ntext, "notls: headline says none was encrypted")
    browse(work, npage, "notls")

    # -- 3a. the post-quantum chart
    check_pq_chart(binary, work, snap, s)

    # -- 3b. the policy section
    check_policy(binary, work, snap, s, text)

    # -- 3c. the DNS section
    check_dns(binary, work, snap, s, text)
    check_dns_captures(binary, work)

    # -- 4. chart files
    for fmt, magic in (("svg", b"<"), ("png", b"\x89PNG"), ("pdf", b"%PDF")):
        d = os.path.join(work, "plots-" + fmt)
        shutil.rmtree(d, ignore_errors=True)
        r = run([binary, "report", snap, "--plots", d, "--format", fmt])
        check(r.returncode == 0 and r.stderr == "", f"--plots {fmt}: exit {r.returncode}: "
              f"{r.stderr}")
        for c in CHARTS:
            path = os.path.join(d, f"{c}.{fmt}")
            ok = os.path.exists(path) and os.path.getsize(path) > 500
            if ok:
                with open(path, "rb") as f:
                    head = f.read(200)
                ok = head.startswith(magic) and (fmt != "svg" or b"<svg" in head)
            check(ok, f"--plots {fmt}: {c}.{fmt} written")
            if st.get(c) == "drawn":
                check(os.path.exists(os.path.join(d, c + ".tsv")), f"--plots {fmt}: {c}.tsv")
        check(not [f for f in os.listdir(d) if f.startswith(".")], f"--plots {fmt}: no leftovers")
    d = os.path.join(work, "plots-empty")
    shutil.rmtree(d, ignore_errors=True)
    r = run([binary, "report", esnap, "--plots", d])
    check(r.returncode == 0 and sorted(os.listdir(d)) == sorted(c + ".svg" for c in CHARTS),
          f"--plots of the empty snapshot: a placeholder per chart ({r.stderr})")

    # -- 5. bad input and a missing gnuplot
    bad = os.path.join(work, "bad")
    os.makedirs(bad, exist_ok=True)
    cases = {"notjson": "{not json", "format": '{"format": "something", "version": 2}',
             "version": '{"format": "smtptls-stats", "version": 1}', "array": "[1, 2]"}
    for name, body in cases.items():
        path = os.path.join(bad, name + ".json")
        with open(path, "w") as f:
            f.write(body)
        out = os.path.join(bad, name + ".html")
        r = render(binary, path, out)
        check(r.returncode == 2 and r.stderr.count("\n") == 1 and path in r.stderr
              and not os.path.exists(out), f"bad input {name}: exit 2, one line: {r.stderr!r}")
    r = render(binary, os.path.join(bad, "missing.json"), os.path.join(bad, "m.html"))
    check(r.returncode == 2 and "missing.json" in r.stderr, f"missing snapshot: {r.stderr!r}")
    r = run([binary, "report", snap])
    check(r.returncode == 2 and "-o" in r.stderr, "no output named: exit 2")
    r = run([binary, "report", snap, "-o", os.path.join(bad, "x.html"), "--format", "gif"])
    check(r.returncode == 2, "unknown --format: exit 2")

    nog = os.path.join(work, "nognuplot.html")
    r = render(binary, snap, nog, ["--gnuplot", "/nonexistent/gnuplot"])
    check(r.returncode == 0 and "gnuplot" in r.stderr and os.path.exists(nog),
          f"no gnuplot: page written, exit 0, warned ({r.returncode}, {r.stderr!r})")
    if os.path.exists(nog):
        ntext = open(nog, encoding="utf-8").read()
        q = check_static("nognuplot", ntext)
        check("gnuplot-nox" in ntext and "<svg" not in ntext and 'id="servers-never"' in ntext,
              "no gnuplot: notice, no charts, tables kept")
    r = run([binary, "report", snap, "--plots", os.path.join(work, "plots-nog"),
             "--gnuplot", "/nonexistent/gnuplot"])
    check(r.returncode == 1 and "gnuplot" in r.stderr, f"no gnuplot with --plots: exit 1 "
          f"({r.returncode}, {r.stderr!r})")

    # a gnuplot that hangs is stopped at the time limit
    slow = os.path.join(work, "slow-gnuplot")
    with open(slow, "w") as f:
        f.write("#!/bin/sh\nexec sleep 30\n")
    os.chmod(slow, 0o755)
    r = run([binary, "report", snap, "-o", os.path.join(work, "slow.html"), "--gnuplot", slow,
             "--timeout", "1"], timeout=100)
    check(r.returncode == 1 and "longer than" in r.stderr and
          os.path.exists(os.path.join(work, "slow.html")),
          f"hanging gnuplot: stopped, page written, exit 1 ({r.returncode}, {r.stderr[:200]!r})")

    print(f"screenshot: {shot}")
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
