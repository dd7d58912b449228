#!/usr/bin/python3
"""Write NAME.truth.json for a corpus capture and check it against tshark.

Usage: truth.py --pcap-dir DIR --ca-dir CA_STATE NAME [NAME...]

The configured facts of every connection come from lib/scenarios.py (the
scenario configuration that make-corpus.sh drives). TCP facts (ports, packet
and byte counts, SYN/FIN/RST) are read from the capture with tshark. Every
configured SMTP/TLS/certificate fact that is visible in the capture is then
checked with tshark (and openssl for certificate facts); any disagreement is
an error and no truth file is written.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import scenarios as S  # noqa: E402
import dnszones  # noqa: E402
from acc_scenarios import ACC_SCENARIOS  # noqa: E402

S.SCENARIOS.update(ACC_SCENARIOS)

TLS_VERSIONS = {0x0300: "SSLv3", 0x0301: "TLSv1.0", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}
DECODE = ["-d", "tcp.port==465,tls", "-d", "tcp.port==2525,smtp"]


class Mismatch(Exception):
    pass


def tshark_fields(pcap, fields, yfilter=None, decode=()):
    cmd = ["tshark", "-n", "-r", pcap] + DECODE + list(decode) + ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                                                  "-E", "aggregator=|"]
    if yfilter:
        cmd += ["-Y", yfilter]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split("\t")
        parts += [""] * (len(fields) - len(parts))
        rows.append(dict(zip(fields, parts)))
    return rows


def cipher_names():
    env = dict(os.environ)
    # a config without system_default so that every suite is listed
    with tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False) as f:
        f.write("# empty\n")
        env["OPENSSL_CONF"] = f.name
    out = subprocess.run(["openssl", "ciphers", "-V", "-stdname", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                         capture_output=True, text=True, env=env, check=True).stdout
    os.unlink(env["OPENSSL_CONF"])
    # suites the local OpenSSL does not implement (Debian 12 builds it without 3DES)
    names = {0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x0016: "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
             0xC012: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", 0xC008: "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"}
    for line in out.splitlines():
        p = line.split()
        if len(p) > 2 and p[0].startswith("0x"):
            hi, lo = p[0].split(",")
            names[(int(hi, 16) << 8) | int(lo, 16)] = p[2]
    return names


def streams(pcap):
    # mail connections only: DNS (UDP, and TCP on port 53) is checked by
    # dns_checks(); HTTPS (443) is the MTA-STS policy fetch
    rows = tshark_fields(pcap, ["frame.number", "frame.time_epoch", "tcp.stream", "ip.src", "ipv6.src", "ip.dst",
                                "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.len", "tcp.flags.syn",
                                "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "vlan.id"],
                         "tcp && !(tcp.port==53) && !(tcp.port==443)")
    st = {}
    for r in rows:
        sid = int(r["tcp.stream"])
        src = (r["ip.src"] or r["ipv6.src"]).split("|")[-1]
        dst = (r["ip.dst"] or r["ipv6.dst"]).split("|")[-1]
        sp, dp = int(r["tcp.srcport"]), int(r["tcp.dstport"])
        s = st.setdefault(sid, dict(id=sid, first=float(r["frame.time_epoch"]), pkts=[], client=None))
        syn = r["tcp.flags.syn"] in ("1", "True")
        ack = r["tcp.flags.ack"] in ("1", "True")
        s["pkts"].append(dict(src=(src, sp), dst=(dst, dp), len=int(r["tcp.len"] or 0), syn=syn, ack=ack,
                              fin=r["tcp.flags.fin"] in ("1", "True"), rst=r["tcp.flags.reset"] in ("1", "True")))
        if syn and not ack and s["client"] is None:
            s["client"] = (src, sp)
            s["server"] = (dst, dp)
    for s in st.values():
        if s["client"] is None:  # SYN missed: the server is the side on a mail port
            p = s["pkts"][0]
            if p["dst"][1] in (25, 465, 587, 2525):
                s["client"], s["server"] = p["src"], p["dst"]
            else:
                s["client"], s["server"] = p["dst"], p["src"]
        c = s["client"]
        s["tcp"] = dict(
            syn_seen=any(p["syn"] and not p["ack"] for p in s["pkts"]),
            fin_seen=any(p["fin"] for p in s["pkts"]),
            rst_seen=any(p["rst"] for p in s["pkts"]),
            packets=dict(client=sum(1 for p in s["pkts"] if p["src"] == c),
                         server=sum(1 for p in s["pkts"] if p["src"] != c)),
            bytes=dict(client=sum(p["len"] for p in s["pkts"] if p["src"] == c),
                       server=sum(p["len"] for p in s["pkts"] if p["src"] != c)))
    return sorted(st.values(), key=lambda s: (s["first"], s["id"]))


def smtp_view(pcap):
    """Per stream: ordered list of (kind, value...) for the plaintext SMTP part."""
    rows = tshark_fields(pcap, ["tcp.stream", "tcp.srcport", "smtp.req.command", "smtp.req.parameter",
                                "smtp.response.code", "smtp.rsp.parameter"], "smtp")
    view = {}
    for r in rows:
        if not r["tcp.stream"].isdigit():
            continue  # a line of TLS bytes tshark took for SMTP (TLS after a reply other than 220)
        v = view.setdefault(int(r["tcp.stream"]), [])
        for cmd, par in zip(r["smtp.req.command"].split("|"), (r["smtp.req.parameter"].split("|") + [""] * 99)):
            if cmd:
                if cmd.upper() == "STAR" and par.upper().startswith("TLS"):
                    cmd, par = "STARTTLS", par[3:]  # tshark splits STARTTLS after 4 characters
                v.append(("cmd", cmd.upper(), par))
        if r["smtp.response.code"]:
            codes = r["smtp.response.code"].split("|")
            params = r["smtp.rsp.parameter"].split("|")
            v.append(("rsp", [int(c) for c in codes if c.isdigit()], params))
    return view


def client_mail_commands(pcap, stream, client):
    """MAIL commands in the client's byte stream (reassembled by sequence number
    from tshark's tcp.payload; needed because tshark stops parsing SMTP
    commands after a BDAT chunk)."""
    ipf = "ipv6.src" if ":" in client[0] else "ip.src"
    rows = tshark_fields(pcap, ["tcp.seq_raw", "tcp.payload"],
                         "tcp.stream==%d && tcp.len>0 && %s==%s && tcp.srcport==%d" % (stream, ipf, client[0],
                                                                                   client[1]))
    segs = {}
    for r in rows:
        if r["tcp.payload"]:
            segs.setdefault(int(r["tcp.seq_raw"].split("|")[0]), bytes.fromhex(r["tcp.payload"].replace(":", "")))
    data = b"".join(segs[k] for k in sorted(segs))
    n = 0
    for line in data.split(b"\n"):
        if line[:10].upper() == b"MAIL FROM:":
            n += 1
    return n


def tls_view(pcap, names, decode=()):
    v = {}
    for r in tshark_fields(pcap, ["tcp.stream", "tls.handshake.type", "tls.handshake.version",
                                  "tls.handshake.extensions.supported_version", "tls.handshake.ciphersuite",
                                  "tls.handshake.extensions_server_name", "tls.handshake.certificate",
                                  "tls.alert_message.desc", "tls.handshake.session_id"], "tls", decode):
        s = v.setdefault(int(r["tcp.stream"]), dict(types=[], sni=None, version=None, cipher=None, certs=None,
                                                    alerts=[], ch_sid=None, sh_sid=None))
        types = [int(t) for t in r["tls.handshake.type"].split("|") if t.isdigit()]
        s["types"] += types
        if 1 in types:
            s["sni"] = r["tls.handshake.extensions_server_name"] or None
            s["ch_sid"] = r["tls.handshake.session_id"].split("|")[0]
        if 2 in types:
            sv = [x for x in r["tls.handshake.extensions.supported_version"].split("|") if x]
            ver = int(sv[0], 16) if sv else int(r["tls.handshake.version"].split("|")[0], 16)
            s["version"] = TLS_VERSIONS.get(ver, hex(ver))
            cs = int(r["tls.handshake.ciphersuite"].split("|")[0], 16)
            s["cipher"] = names.get(cs, "0x%04X" % cs)
            s["sh_sid"] = r["tls.handshake.session_id"].split("|")[types.index(2) if len(
                r["tls.handshake.session_id"].split("|")) > 1 else 0]
        if 11 in types and r["tls.handshake.certificate"]:
            s["certs"] = [c.replace(":", "") for c in r["tls.handshake.certificate"].split("|")]
        if r["tls.alert_message.desc"]:
            s["alerts"] += r["tls.alert_message.desc"].split("|")
    return v


def record_view(pcap, decode=()):
    """Per stream and source port: the TLS record content types tshark finds
    (in a capture cut by its snap length, the record headers at the start of
    the segments are all it can read)."""
    v = {}
    for r in tshark_fields(pcap, ["tcp.stream", "tcp.srcport", "tls.record.content_type"], "tls", decode):
        if not r["tcp.stream"].isdigit():
            continue
        types = [int(x) for x in re.split("[|,]", r["tls.record.content_type"]) if x.isdigit()]
        v.setdefault(int(r["tcp.stream"]), {}).setdefault(int(r["tcp.srcport"]), []).extend(types)
    return v


def heads_checks(rv, s, et, where, errors):
    """A connection recorded with a short snap length: the record headers
    tshark reads must show the configured handshake (22 both ways) and, when
    it was established, application data (23) both ways."""
    cl, sv = rv.get(s["client"][1], []), rv.get(s["server"][1], [])
    check(22 in cl and 22 in sv, "%s: no handshake record heads both ways (%r, %r)" % (where, cl, sv), errors)
    if et.get("established"):
        check(23 in cl and 23 in sv, "%s: no application-data record heads both ways" % where, errors)


def pickup_checks(pcap, s, e, where, errors):
    """A connection picked up mid-stream: no SYN; inside TLS, tshark told to
    read port 25 as TLS finds application data both ways and no handshake;
    inside a plain-text body, no TLS record at all."""
    check(not s["tcp"]["syn_seen"], "%s: the SYN was captured" % where, errors)
    if e["pickup"] == "tls":
        rv = record_view(pcap, ["-d", "tcp.port==25,tls"]).get(s["id"], {})
        cl, sv = rv.get(s["client"][1], []), rv.get(s["server"][1], [])
        check(23 in cl and 23 in sv and 22 not in cl + sv,
              "%s: not application data both ways without a handshake (%r, %r)" % (where, cl, sv), errors)
    else:
        check(not record_view(pcap).get(s["id"]), "%s: TLS records in a plain-text pickup" % where, errors)


def openssl(*args, inp=None):
    return subprocess.run(["openssl"] + list(args), capture_output=True, text=True, input=inp)


def cert_facts(cert_hexes, host, when, ca_root):
    with tempfile.TemporaryDirectory() as td:
        pems = []
        for i, h in enumerate(cert_hexes):
            der = os.path.join(td, "c%d.der" % i)
            with open(der, "wb") as f:
                f.write(bytes.fromhex(h))
            pem = os.path.join(td, "c%d.pem" % i)
            openssl("x509", "-inform", "DER", "-in", der, "-out", pem)
            pems.append(pem)
        leaf = pems[0]
        text = openssl("x509", "-in", leaf, "-noout", "-text").stdout
        subj = openssl("x509", "-in", leaf, "-noout", "-subject", "-nameopt", "RFC2253").stdout.strip()
        iss = openssl("x509", "-in", leaf, "-noout", "-issuer", "-nameopt", "RFC2253").stdout.strip()
        enddate = openssl("x509", "-in", leaf, "-noout", "-enddate", "-dateopt", "iso_8601").stdout.strip()
        untrusted = []
        if len(pems) > 1:
            bundle = os.path.join(td, "untrusted.pem")
            with open(bundle, "w") as f:
                for p in pems[1:]:
                    f.write(open(p).read())
            untrusted = ["-untrusted", bundle]
        ver = openssl("verify", "-auth_level", "0", "-no_check_time", "-CAfile", ca_root, *untrusted, leaf)
        chk = openssl("x509", "-in", leaf, "-noout", "-checkhost", host) if host else None
        ts = int(when)
        expired = openssl("x509", "-in", leaf, "-noout", "-checkend", "0") if False else None
        # expired at capture time: notAfter < first packet of the connection
        import datetime
        na = enddate.split("=", 1)[1].replace("Z", "").strip()
        na_dt = datetime.datetime.strptime(na, "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc)
        expired = na_dt.timestamp() < ts
        key_type = key_bits = sig = None
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("Public Key Algorithm:"):
                alg = line.split(":", 1)[1].strip()
                key_type = {"rsaEncryption": "RSA", "id-ecPublicKey": "EC", "ED25519": "Ed25519"}.get(alg, alg)
            elif "Public-Key: (" in line:
                key_bits = int(line.split("(")[1].split()[0])
            elif line.startswith("Signature Algorithm:") and sig is None:
                sig = line.split(":", 1)[1].strip()
        return dict(visible=True, self_signed=(subj.split("=", 1)[1] == iss.split("=", 1)[1]),
                    valid_against_corpus_ca=ver.returncode == 0 and ver.stdout.strip().endswith("OK"),
                    expired=expired,
                    hostname_match=(chk is not None and "does match" in chk.stdout and "NOT" not in chk.stdout)
                    if host else None,
                    key_type=key_type, key_bits=key_bits, sig_alg=sig,
                    chain_length=len(cert_hexes))


NO_CERT = dict(visible=False, self_signed=None, valid_against_corpus_ca=None, expired=None, hostname_match=None,
               key_type=None, key_bits=None, sig_alg=None)


def check(cond, msg, errors):
    if not cond:
        errors.append(msg)


def analyse_smtp(events):
    """Facts visible in the plaintext SMTP part of one stream."""
    f = dict(banner=None, offered=False, requested=False, reply=None, mails=0, auth=None, auth_before_tls=None)
    last_cmd = None
    saw_ehlo_reply = False
    starttls_pending = False  # STARTTLS sent, no reply yet (a command may follow it pipelined)
    for ev in events:
        if ev[0] == "cmd":
            last_cmd = ev[1]
            if ev[1] == "STARTTLS":
                f["requested"] = True
                starttls_pending = True
            elif ev[1] == "MAIL":
                f["mails"] += 1
            elif ev[1] == "AUTH" and f["auth"] is None:
                f["auth"] = ev[2].split()[0].upper() if ev[2] else ""
                f["auth_before_tls"] = True
        else:
            codes, params = ev[1], ev[2]
            if f["banner"] is None and codes and codes[0] == 220:
                f["banner"] = params[0] if params else ""
                continue
            if last_cmd == "EHLO" and not saw_ehlo_reply:
                saw_ehlo_reply = True
                f["offered"] = any(p.strip().upper() == "STARTTLS" for p in params)
            if (last_cmd == "STARTTLS" or starttls_pending) and f["reply"] is None and codes:
                f["reply"] = codes[0]
            starttls_pending = False
    return f


def build(name, pcap_dir, ca_dir, names, maillog=None, node_log_path=None):
    sc = S.SCENARIOS[name]
    pcap = os.path.join(pcap_dir, name + ".pcap")
    impairment = None
    if sc.get("impairment_file"):
        with open(os.path.join(pcap_dir, sc["impairment_file"])) as f:
            impairment = json.load(f)
    st = streams(pcap)
    smtpv = smtp_view(pcap)
    tlsv = tls_view(pcap, names)
    # TLS after a STARTTLS reply other than 220: tshark reads port 25 as TLS
    tlsv_any = tls_view(pcap, names, ["-d", "tcp.port==25,tls"]) if any(
        e.get("tls_anyway") for e in sc["connections"]) else {}
    ca_root = os.path.join(pcap_dir, sc.get("ca_file", "ca/corpus-ca.pem"))
    errors = []
    pqv = pq_view(pcap) if sc.get("pq") else None
    if sc.get("pq"):
        node_log = read_node_log(node_log_path, errors)
    zrecs = deliveries = None
    if sc.get("dns"):
        zrecs = dnszones.records(ca_dir)
        dns_checks(pcap, sc, zrecs, errors)
        deliveries = postfix_verdicts(sc, maillog, errors)
    exp = sc["connections"]
    check(len(st) == len(exp), "%d TCP connections in capture, %d configured" % (len(st), len(exp)), errors)
    used = set()
    out_conns = []
    for i, e in enumerate(exp):
        cand = [s for s in st if s["id"] not in used and s["server"] == (e["server_ip"], e["server_port"])
                and (e["client_ip"] is None or s["client"][0] == e["client_ip"])]
        if e.get("pickup"):
            # two pick-ups from one client: the one inside TLS is the one with records
            rvt = record_view(pcap, ["-d", "tcp.port==25,tls"])
            cand = [c for c in cand
                    if all(23 in t for t in rvt.get(c["id"], {0: []}).values()) == (e["pickup"] == "tls")]
        if not cand:
            errors.append("connection %d (%s -> %s:%d) not found in capture" % (i, e["client_ip"], e["server_ip"],
                                                                               e["server_port"]))
            continue
        s = cand[0]
        used.add(s["id"])
        where = "conn %d (stream %d)" % (i, s["id"])
        sm = analyse_smtp(smtpv.get(s["id"], []))
        tv = (tlsv_any if e.get("tls_anyway") else tlsv).get(s["id"])
        es = e["smtp"]
        enc = e["encryption"]
        heads = e.get("heads")  # a short snap length: the facts the heads show
        # --- SMTP checks (what is visible in clear)
        if e.get("pickup"):
            pickup_checks(pcap, s, e, where, errors)
        elif enc != "implicit_tls" and heads:
            check(sm["banner"] is not None, "%s: no greeting head" % where, errors)
            check(sm["requested"] == es["starttls_requested"], "%s: STARTTLS requested %s in capture" % (
                where, sm["requested"]), errors)
            check(sm["reply"] == es["starttls_reply"], "%s: STARTTLS reply %s in capture, %s configured" % (
                where, sm["reply"], es["starttls_reply"]), errors)
        elif enc != "implicit_tls":
            if es["server_software"] is None:  # a banner that names no product (the Node servers)
                check(sm["banner"] is not None, "%s: no banner" % where, errors)
            else:
                check(sm["banner"] is not None and es["server_software"].lower() in sm["banner"].lower(),
                      "%s: banner %r does not name %s" % (where, sm["banner"], es["server_software"]), errors)
            check(sm["offered"] == es["starttls_offered"], "%s: STARTTLS offered %s in capture, %s configured" % (
                where, sm["offered"], es["starttls_offered"]), errors)
            check(sm["requested"] == es["starttls_requested"], "%s: STARTTLS requested %s in capture" % (
                where, sm["requested"]), errors)
            check(sm["reply"] == es["starttls_reply"], "%s: STARTTLS reply %s in capture, %s configured" % (
                where, sm["reply"], es["starttls_reply"]), errors)
            if enc in ("plaintext", "starttls_refused") or (enc == "starttls_failed" and not tv):
                sm["mails"] = client_mail_commands(pcap, s["id"], s["client"])
                check(sm["mails"] == e.get("mail_commands", es["messages"]),
                      "%s: %d MAIL commands in clear, %d messages configured" % (where, sm["mails"], es["messages"]),
                      errors)
            if es["auth"] and es["auth"]["before_tls"]:
                check(sm["auth"] == es["auth"]["mechanism"], "%s: AUTH %r in clear, %r configured" % (
                    where, sm["auth"], es["auth"]), errors)
            elif sm["auth"] is not None:
                errors.append("%s: AUTH %s seen in clear, not configured" % (where, sm["auth"]))
        if e.get("tls_anyway"):
            check(bool(tv) and 1 in tv["types"] and sm["reply"] not in (None, 220),
                  "%s: no ClientHello after a STARTTLS reply other than 220" % where, errors)
        # --- TLS checks
        et = e["tls"]
        if e.get("pickup") and et is not None:
            tls_out = dict(et)
        elif heads and et is not None:
            heads_checks(record_view(pcap).get(s["id"], {}), s, et, where, errors)
            tls_out = dict(et)
        elif et is None:
            check(tv is None or not tv["types"], "%s: TLS handshake seen, none configured" % where, errors)
            tls_out = None
        else:
            if tv is None:
                errors.append("%s: no TLS seen, configured %s" % (where, et))
                tls_out = dict(et)
            else:
                for k in ("version", "cipher", "sni"):
                    check(tv[k] == et[k], "%s: TLS %s %r in capture, %r configured" % (where, k, tv[k], et[k]),
                          errors)
                resumed = (tv["version"] in ("TLSv1.0", "TLSv1.1", "TLSv1.2") and 2 in tv["types"]
                           and 11 not in tv["types"])
                if et["version"] is not None:
                    check(resumed == et["resumed"], "%s: resumed=%s in capture, %s configured" % (
                        where, resumed, et["resumed"]), errors)
                if et.get("dh_bits"):
                    pl = [r["tls.handshake.p_len"] for r in tshark_fields(
                        pcap, ["tls.handshake.p_len"], "tcp.stream==%d && tls.handshake.type==12" % s["id"])]
                    check(pl and int(pl[0]) * 8 == et["dh_bits"], "%s: DH group %r bytes in capture, %d bits configured"
                          % (where, pl, et["dh_bits"]), errors)
                if et.get("alert"):
                    check(str(et["alert"]) in tv["alerts"], "%s: alert %r not seen (%r)" % (where, et["alert"],
                                                                                    tv["alerts"]), errors)
                tls_out = dict(et)
                if sc.get("pq"):
                    pq_checks(pqv.get(s["id"]), e, s, node_log, where, errors, tls_out)
        # --- certificate
        prof = e["cert_profile"]
        if prof is None:
            check(not (tv and tv["certs"]), "%s: certificate visible, none configured" % where, errors)
            cert_out = dict(NO_CERT)
        else:
            if not (tv and tv["certs"]):
                errors.append("%s: no certificate visible, profile %s configured" % (where, prof))
                cert_out = dict(NO_CERT)
            else:
                leaf_pem = os.path.join(ca_dir, "leaves", prof + ".pem")
                der = subprocess.run(["openssl", "x509", "-in", leaf_pem, "-outform", "DER"], capture_output=True,
                                     check=True).stdout.hex()
                check(der == tv["certs"][0], "%s: leaf in capture is not the %s certificate" % (where, prof), errors)
                cf = cert_facts(tv["certs"], e["host"], s["first"], ca_root)
                P = S.PROFILES[prof]
                want = dict(self_signed=P["self_signed"], valid_against_corpus_ca=P["chains_to_ca"],
                            expired=P["expired"], key_type=P["key_type"], key_bits=P["key_bits"],
                            sig_alg=P["sig_alg"], hostname_match=(e["host"] in P["names"]) if e["host"] else None)
                for k, v in want.items():
                    check(cf[k] == v, "%s: cert %s=%r from capture, %r from profile %s" % (where, k, cf[k], v, prof),
                          errors)
                cert_out = {k: cf[k] for k in NO_CERT}
        how = e["how_known"]
        if prof:
            how += "; certificate: " + S.PROFILES[prof]["made"]
        c = dict(client=dict(ip=s["client"][0], port=s["client"][1]),
                 server=dict(ip=s["server"][0], port=s["server"][1]),
                 tcp=s["tcp"], encryption=enc,
                 smtp=dict(es) if es is not None else None, tls=tls_out, cert=cert_out, how_known=how)
        for k in ("leg", "resumed_with", "client_log", "heads", "pickup"):
            if k in e:
                c[k] = e[k]
        if e.get("dns_cfg"):
            c["dns"] = dns_block(e, zrecs)
            if e["dns_cfg"]["postfix"]:
                c["postfix_verdict"] = e["dns_cfg"]["postfix"]
        c["anomalies"] = expected_anomalies(e, c)
        if impairment and list(impairment["connection"]["client"]) == [s["client"][0], s["client"][1]]:
            c["impairment"] = {k: v for k, v in impairment.items() if k != "connection"}
        out_conns.append(c)
    if errors:
        for m in errors:
            print("truth.py: %s: %s" % (name, m), file=sys.stderr)
        raise Mismatch(name)
    if impairment:
        check(sum(1 for c in out_conns if "impairment" in c) == 1, "impaired connection not found", errors)
        if errors:
            for m in errors:
                print("truth.py: %s: %s" % (name, m), file=sys.stderr)
            raise Mismatch(name)
    for c in out_conns:
        passive_view(c)
    t = dict(capture=name + ".pcap", description=sc["description"])
    if sc.get("derived_from"):
        t["derived_from"] = sc["derived_from"]
    if sc.get("ca_file"):
        t["ca_file"] = sc["ca_file"]
    if sc.get("dns"):
        t["dns_setup"] = dict(resolver=S.DNS_RESOLVER, authoritative=S.DNS_NS, zones={
            z: dict(dnssec=r["dnssec"], mx=r["mx"], address=r["addr"],
                    tlsa=[dict(usage=u, selector=se, matching_type=m) for u, se, m, _ in r["tlsa"]])
            for z, r in zrecs.items() if z in sc.get("zones", S.ZONES)})
        t["deliveries"] = deliveries
    if sc.get("zones") and any(z in S.STS_POLICIES for z in sc["zones"]):
        # the policies fetched when the capture was made, for --mta-sts-policies
        pdir = name + ".mta-sts"
        for dom, text in S.STS_POLICIES.items():
            path = os.path.join(pcap_dir, pdir, dom)
            if not os.path.exists(path) or open(path).read() != text:
                print("truth.py: %s: %s is not the configured policy of %s" % (name, path, dom), file=sys.stderr)
                raise Mismatch(name)
        t["mta_sts_policies"] = pdir
    t["connections"] = out_conns
    return t


# ---------------------------------------------------------------- post-quantum key exchange
HRR_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"  # RFC 8446 4.1.3


def ints(v):
    return [int(x, 0) for x in v.split("|") if x != ""]


def group_names(codes, where, errors):
    out = []
    for c in codes:
        if (c & 0x0F0F) == 0x0A0A and (c >> 8) == (c & 0xFF):
            continue  # GREASE (RFC 8701)
        if c not in S.GROUP_NAMES:
            errors.append("%s: group 0x%04X not in lib/scenarios.py GROUP_NAMES" % (where, c))
        out.append(S.GROUP_NAMES.get(c, "0x%04X" % c))
    return out


def pq_view(pcap):
    """Per stream, the key exchange as tshark dissects it, by number (tshark
    4.0 does not name 0x11EC): every ClientHello's supported groups, key
    share groups, handshake length and TCP segment count; every ServerHello's
    key share group (or, for a HelloRetryRequest, its selected group)."""
    v = {}
    for r in tshark_fields(pcap, ["tcp.stream", "frame.number", "tls.handshake.type", "tls.handshake.length",
                                  "tls.handshake.extensions_supported_group",
                                  "tls.handshake.extensions_key_share_group",
                                  "tls.handshake.extensions_key_share_selected_group", "tls.handshake.random",
                                  "tcp.segment.count"], "tls.handshake.type==1 || tls.handshake.type==2"):
        s = v.setdefault(int(r["tcp.stream"]), dict(client_hellos=[], server_hellos=[]))
        types = ints(r["tls.handshake.type"])
        if 1 in types:
            s["client_hellos"].append(dict(frame=int(r["frame.number"]),
                                           groups=ints(r["tls.handshake.extensions_supported_group"]),
                                           shares=ints(r["tls.handshake.extensions_key_share_group"]),
                                           length=ints(r["tls.handshake.length"])[types.index(1)] + 4,
                                           segments=(ints(r["tcp.segment.count"]) or [1])[0]))
        if 2 in types:
            hrr = r["tls.handshake.random"].split("|")[0].replace(":", "") == HRR_RANDOM
            sel = ints(r["tls.handshake.extensions_key_share_selected_group"])
            ks = ints(r["tls.handshake.extensions_key_share_group"])
            s["server_hellos"].append(dict(frame=int(r["frame.number"]), hrr=hrr,
                                           group=(sel if hrr else ks or [None])[0]))
    return v


def read_node_log(path, errors):
    """The Node client's log lines (lib/pq_smtp.js), by local port."""
    if not path or not os.path.exists(path):
        errors.append("no Node client log (--node-log) for the PQ scenario")
        return {}
    out = {}
    for line in open(path):
        d = json.loads(line)
        out[d["local_port"]] = d
    return out


def pq_checks(pv, e, s, node_log, where, errors, tls_out):
    """The key exchange of one connection: the configured groups, key
    shares, negotiated group, HelloRetryRequest and the TCP segments of the
    first ClientHello against tshark, and the group against what the Node
    client logged (getEphemeralKeyInfo()). Fills tls_out with the values
    seen (client_hello_bytes, hello_retry_group)."""
    et = e["tls"]
    if pv is None or not pv["client_hellos"]:
        errors.append("%s: no ClientHello seen" % where)
        return
    ch = pv["client_hellos"][0]
    got = dict(client_groups=group_names(ch["groups"], where, errors),
               client_key_shares=group_names(ch["shares"], where, errors),
               client_hello_segments=ch["segments"])
    hrr = [h for h in pv["server_hellos"] if h["hrr"]]
    real = [h for h in pv["server_hellos"] if not h["hrr"]]
    got["hello_retry"] = bool(hrr)
    got["group"] = group_names([real[-1]["group"]], where, errors)[0] if real and real[-1]["group"] else None
    offered = any(g in S.PQ_GROUPS for g in ch["groups"])
    chosen = bool(real) and real[-1]["group"] in S.PQ_GROUPS
    # no ServerHello or HelloRetryRequest at all: nothing was chosen or
    # refused, the verdict is unknown (null) whatever the client offered
    got["pq"] = None if not pv["server_hellos"] else (
        "negotiated" if chosen else ("offered_not_chosen" if offered else "not_offered"))
    for k, v in got.items():
        check(et[k] == v, "%s: %s %r in capture, %r configured" % (where, k, v, et[k]), errors)
    if et["pq"] != "not_offered":
        # a PQ key share makes the ClientHello larger than one segment
        check(not any(g in S.PQ_GROUPS for g in ch["shares"]) or ch["segments"] >= 2,
              "%s: ClientHello with a PQ key share in %d segment(s)" % (where, ch["segments"]), errors)
    if len(pv["client_hellos"]) > 1:
        check(bool(hrr), "%s: %d ClientHellos without a HelloRetryRequest" % (where, len(pv["client_hellos"])),
              errors)
        ch2 = pv["client_hellos"][1]
        check(hrr and hrr[0]["group"] in ch2["shares"], "%s: second ClientHello has no key share for the group "
              "the HelloRetryRequest asked for" % where, errors)
    tls_out["client_hello_bytes"] = ch["length"]
    tls_out["hello_retry_group"] = group_names([hrr[0]["group"]], where, errors)[0] if hrr else None
    n = node_log.get(s["client"][1])
    if n is None:
        errors.append("%s: no Node client log line for port %d" % (where, s["client"][1]))
        return
    if e["encryption"] == "starttls_failed":
        check(n["result"] == "failed", "%s: Node client logged %r, a failure configured" % (where, n["result"]),
              errors)
    else:
        eph = n.get("tls", {}).get("ephemeral", {}).get("name")
        check(n["result"] == "sent" and eph == e["node_group"] and (eph or "").lower() == (got["group"] or "").lower(),
              "%s: Node client logged %r with group %r, capture %r, configured %r" % (
                  where, n["result"], eph, got["group"], e["node_group"]), errors)
        check(n["tls"]["version"] == et["version"] and n["tls"]["cipher"] == et["cipher"],
              "%s: Node client logged %r" % (where, n["tls"]), errors)
    e["client_log"] = {k: n[k] for k in ("groups", "result", "error", "tls") if k in n}


# ---------------------------------------------------------------- DNS
DNS_FIELDS = ["frame.number", "tcp.stream", "udp.srcport", "dns.qry.name", "dns.qry.type", "dns.flags.authenticated",
              "dns.flags.rcode", "dns.flags.truncated", "dns.resp.type", "dns.resp.ttl", "dns.mx.mail_exchange",
              "dns.a", "dns.tlsa.certificate_usage", "dns.tlsa.selector", "dns.tlsa.matching_type",
              "dns.tlsa.certificate_association_data", "dns.txt"]
QTYPES = {"MX": 15, "A": 1, "TLSA": 52, "TXT": 16}


def flag(v):
    return v.split("|")[0] in ("1", "True")


def lst(v):
    return [x for x in v.split("|") if x != ""]


def dns_answers(pcap):
    """Every DNS response in the capture (UDP and TCP), as tshark dissects it."""
    out = []
    for r in tshark_fields(pcap, DNS_FIELDS, "dns.flags.response==1"):
        tl = list(zip(lst(r["dns.tlsa.certificate_usage"]), lst(r["dns.tlsa.selector"]),
                      lst(r["dns.tlsa.matching_type"]), lst(r["dns.tlsa.certificate_association_data"])))
        out.append(dict(frame=int(r["frame.number"]), tcp_stream=r["tcp.stream"] or None,
                        name=lst(r["dns.qry.name"])[0].lower(), qtype=int(lst(r["dns.qry.type"])[0]),
                        ad=flag(r["dns.flags.authenticated"]), rcode=int(lst(r["dns.flags.rcode"])[0]),
                        tc=flag(r["dns.flags.truncated"]), ttls=[int(x) for x in lst(r["dns.resp.ttl"])],
                        mx=sorted(x.lower() for x in lst(r["dns.mx.mail_exchange"])), a=sorted(lst(r["dns.a"])),
                        tlsa=sorted((int(u), int(s), int(m), d.replace(":", "").lower()) for u, s, m, d in tl),
                        txt=lst(r["dns.txt"])))
    return out


def dns_checks(pcap, sc, zrecs, errors):
    """The answers in the capture agree with the configured zones: MX, A and
    TLSA data, the AD bit (set for signed zones, not for unsigned ones),
    SERVFAIL for the bogus TLSA RRset, TTLs at most the zone's; and for a
    TLSA RRset larger than the sender's EDNS0 buffer, a truncated UDP answer
    (TC) followed by the full answer over TCP in more than one segment."""
    ans = dns_answers(pcap)
    used = {e["dns_cfg"]["domain"]: e["dns_cfg"] for e in sc["connections"] if e.get("dns_cfg")}
    for a in ans:
        # at most the zone's TTL; close to it for the configured types (a
        # negative answer, e.g. to AAAA, carries the SOA minimum, 300 s)
        low = S.DNS_TTL - 900 if a["qtype"] in QTYPES.values() else 0
        bad = [t for t in a["ttls"] if t > S.DNS_TTL or t < low]
        check(not bad, "DNS frame %d: TTLs %r, zone TTL %d" % (a["frame"], bad, S.DNS_TTL), errors)
    for dom, cfg in used.items():
        z = zrecs[dom]
        secure = z["dnssec"] != "insecure"
        host = z["mx"]
        for qname, qtype, want in ((dom, "MX", [host]), (host, "A", [z["addr"]])):
            got = [a for a in ans if a["name"] == qname and a["qtype"] == QTYPES[qtype]]
            check(got, "DNS: no %s answer for %s in capture" % (qtype, qname), errors)
            for a in got:
                have = a["mx"] if qtype == "MX" else a["a"]
                check(a["rcode"] == 0 and have == want, "DNS frame %d: %s %s = %r rcode %d, configured %r" % (
                    a["frame"], qname, qtype, have, a["rcode"], want), errors)
                check(a["ad"] == secure, "DNS frame %d: %s %s AD=%s, zone %s" % (
                    a["frame"], qname, qtype, a["ad"], z["dnssec"]), errors)
        for owner, rtype, data in z["extra"]:
            qname = owner + "." + dom
            want = [data.strip('"')] if rtype == "TXT" else [data]
            got = [a for a in ans if a["name"] == qname and a["qtype"] == QTYPES[rtype]]
            check(got, "DNS: no %s answer for %s in capture" % (rtype, qname), errors)
            for a in got:
                have = a["txt"] if rtype == "TXT" else a["a"]
                check(a["rcode"] == 0 and have == want, "DNS frame %d: %s %s = %r, configured %r" % (
                    a["frame"], qname, rtype, have, want), errors)
                check(a["ad"] == secure, "DNS frame %d: %s %s AD=%s, zone %s" % (
                    a["frame"], qname, rtype, a["ad"], z["dnssec"]), errors)
        tname = "_25._tcp." + host
        got = [a for a in ans if a["name"] == tname and a["qtype"] == 52]
        if cfg["tlsa_state"] == "unseen":
            check(not got, "DNS: TLSA answer for %s in capture, none configured" % tname, errors)
            continue
        check(got, "DNS: no TLSA answer for %s in capture" % tname, errors)
        want = sorted((u, s, m, d.lower()) for u, s, m, d in z["tlsa"])
        full = [a for a in got if not a["tc"]]
        for a in got:
            if z["dnssec"] == "bogus":
                check(a["rcode"] == 2 and not a["tlsa"] and not a["ad"],
                      "DNS frame %d: %s TLSA rcode %d, %d records: SERVFAIL configured (bogus RRSIG)" % (
                          a["frame"], tname, a["rcode"], len(a["tlsa"])), errors)
            elif not a["tc"]:
                check(a["rcode"] == 0 and a["tlsa"] == want, "DNS frame %d: %s TLSA records %r, configured %r" % (
                    a["frame"], tname, a["tlsa"], want), errors)
                check(a["ad"] == secure, "DNS frame %d: %s TLSA AD=%s, zone %s" % (
                    a["frame"], tname, a["ad"], z["dnssec"]), errors)
        check(full, "DNS: no complete TLSA answer for %s" % tname, errors)
        size = sum(len(d) // 2 for _, _, _, d in want)
        if size > 1200:  # larger than glibc's EDNS0 buffer
            check(any(a["tc"] and a["tcp_stream"] is None for a in got),
                  "DNS: no truncated UDP answer for %s (%d bytes of TLSA data)" % (tname, size), errors)
            tcp = [a for a in full if a["tcp_stream"] is not None]
            check(tcp, "DNS: no TCP answer for %s" % tname, errors)
            for a in tcp:
                segs = tshark_fields(pcap, ["tcp.len"], "tcp.stream==%s && tcp.srcport==53 && tcp.len>0" %
                                     a["tcp_stream"])
                check(len(segs) >= 2, "DNS: TCP answer for %s in %d segment(s), configured more than one" % (
                    tname, len(segs)), errors)


def tlsa_json(u, s, m, data):
    d = dict(usage=u, selector=s, matching_type=m)
    if m == 0:
        d["data_sha512"] = hashlib.sha512(bytes.fromhex(data)).hexdigest()
    else:
        d["data"] = data.lower()
    return d


def dns_block(e, zrecs):
    """The record's "dns" key for a connection of a DNS scenario."""
    cfg = e["dns_cfg"]
    z = zrecs[cfg["domain"]]
    host = z["mx"]
    state = cfg["tlsa_state"]
    recs = [tlsa_json(*r) for r in z["tlsa"]] if state == "present" else []
    matched = dict(zip(("usage", "selector", "matching_type"), cfg["matched"])) if cfg["matched"] else None
    rua = None
    for owner, rtype, data in z["extra"]:
        if owner == "_smtp._tls" and rtype == "TXT":
            rua = re.search(r"rua=([^;\s\"]+)", data).group(1)
    return dict(
        mx_host=host, mx_host_source=cfg["mx_source"], domains=[cfg["domain"]],
        # no TLSA answer seen: its DNSSEC state is not known either
        tlsa=dict(name="_25._tcp." + host, state=state, dnssec=None if state == "unseen" else z["dnssec"],
                  source="capture", records=recs),
        dane=dict(result=cfg["dane"], matched=matched, certificate=cfg["certificate"],
                  covers_certificate_alarms=bool(cfg["dane"] == "match" and matched and matched["usage"] == 3)),
        mta_sts=cfg["mta_sts"] or dict(domain=None, txt_id=None, policy=None, result="none", reason=None),
        tlsrpt_rua=rua)


# what Postfix logs for each verdict: (TLS line or None, status line), %(host)s/%(ip)s/%(rcpt)s filled in
VERDICT_LINES = {
    "verified": (r"Verified TLS connection established to %(host)s\[%(ip)s\]:25",
                 r"to=<%(rcpt)s>, relay=%(host)s\[%(ip)s\]:25,.* status=sent "),
    "untrusted_sent": (r"Untrusted TLS connection established to %(host)s\[%(ip)s\]:25",
                       r"to=<%(rcpt)s>, relay=%(host)s\[%(ip)s\]:25,.* status=sent "),
    "deferred_untrusted": (r"server certificate verification failed for %(host)s\[%(ip)s\]:25: "
                           r"num=65:no matching DANE TLSA records",
                           r"to=<%(rcpt)s>, relay=%(host)s\[%(ip)s\]:25,.* status=deferred "
                           r"\(Server certificate not verified\)"),
    "deferred_tlsa_error": (None, r"to=<%(rcpt)s>, relay=none,.* status=deferred "
                                  r"\(TLSA lookup error for %(host)s:25\)"),
}


def postfix_verdicts(sc, maillog, errors):
    """Postfix's own verdict for every delivery of the scenario, from its log:
    each configured verdict must be the one Postfix logged."""
    out = []
    if not maillog or not os.path.exists(maillog):
        errors.append("no Postfix log (--maillog) for the DNS scenario's verdicts")
        return out
    lines = [re.sub(r"^.*?(postfix/[a-z]+)\[\d+\]: ", r"\1: ", ln.rstrip("\n")) for ln in open(maillog)]
    for d in sc["deliveries"]:
        dom = d["rcpt"].split("@")[1]
        z = S.ZONES[dom]
        v = dict(host=re.escape(S.mx_host(dom)), ip=re.escape(z["addr"]), rcpt=re.escape(d["rcpt"]))
        seen = None
        for verdict, pats in VERDICT_LINES.items():
            found = []
            for pat in pats:
                if pat is None:
                    continue
                m = [ln for ln in lines if re.search(pat % v, ln)]
                found.append(m[0] if m else None)
            if all(found):
                seen = (verdict, found)
                break
        if seen is None:
            errors.append("Postfix log: no known verdict for %s" % d["rcpt"])
            continue
        check(seen[0] == d["verdict"], "Postfix log: %s %s, configured %s" % (d["rcpt"], seen[0], d["verdict"]),
              errors)
        out.append(dict(recipient=d["rcpt"], verdict=seen[0], postfix_log=seen[1]))
    return out


WEAK_SUITE_PARTS = ("_3DES_", "_RC4_", "_DES_", "_NULL_", "_anon_", "_EXPORT")


def expected_anomalies(e, c):
    """The anomaly types a correct analyzer reports for a connection (see
    docs/anomalies.md), from its configuration: the ones a scenario sets up on
    purpose are listed in lib/scenarios.py (anomalies=[...]); the ones that
    follow from the configured facts are derived here."""
    out = set(e.get("anomalies", []))
    es, et, enc = e["smtp"] or {}, e["tls"] or {}, e["encryption"]
    if es.get("starttls_offered") and not es.get("starttls_requested") and es.get("messages") \
            and enc == "plaintext":
        out.add("starttls_not_used")
    if es.get("starttls_requested") and (es.get("starttls_reply") or 0) >= 400:
        out.add("starttls_refused")
    if (es.get("auth") or {}).get("before_tls"):
        out.add("auth_in_plaintext")
    if enc == "starttls_failed":
        out.add("tls_handshake_failed")
    weak = False
    v, cipher = et.get("version"), et.get("cipher") or ""
    if v in ("SSLv3", "TLSv1.0", "TLSv1.1"):
        weak = True
    if any(x in cipher for x in WEAK_SUITE_PARTS) or cipher.startswith("TLS_RSA_WITH_"):
        weak = True
    if cipher.endswith("_CBC_SHA") and v in ("TLSv1.0", "TLSv1.1"):
        weak = True
    if et.get("dh_bits") and et["dh_bits"] < 2048:
        weak = True
    cert = c.get("cert") or {}
    if cert.get("visible") and ((cert.get("key_bits") or 4096) < 2048
                                or "sha1" in (cert.get("sig_alg") or "").lower()
                                or "md5" in (cert.get("sig_alg") or "").lower()):
        weak = True
    if weak:
        out.add("weak_tls")
    return sorted(out)


def passive_view(c):
    """What a passive observer can know: the configured facts become the
    facts visible on the wire. Everything after a completed STARTTLS (or on
    implicit TLS) is encrypted, so no SMTP fact of that part can be seen."""
    es = c.get("smtp")
    if es is None:
        return
    if c.get("encryption") == "implicit_tls":
        c["smtp_configured"] = es
        c["smtp"] = None
        return
    if c.get("heads"):
        return  # heads: the configuration already says what they show
    if c.get("encryption") == "starttls":
        es["messages_configured"] = es.get("messages")
        es["messages"] = 0  # sent inside TLS: invisible
        if es.get("auth") and not es["auth"].get("before_tls"):
            es["auth_configured"] = es["auth"]
            es["auth"] = None  # AUTH inside TLS: invisible


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap-dir", required=True)
    ap.add_argument("--ca-dir", required=True)
    ap.add_argument("--maillog", help="log of the Postfix sender of the DNS scenarios (its verdicts)")
    ap.add_argument("--node-log", help="log of the Node SMTP client of the PQ scenario (lib/pq_smtp.js)")
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    names = cipher_names()
    rc = 0
    for n in a.names:
        try:
            t = build(n, a.pcap_dir, a.ca_dir, names, a.maillog, a.node_log)
        except Mismatch:
            rc = 1
            continue
        dst = os.path.join(a.pcap_dir, n + ".truth.json")
        tmp = dst + ".tmp"
        with open(tmp, "w") as f:
            json.dump(t, f, indent=2)
            f.write("\n")
        os.replace(tmp, dst)
        print("truth.py: wrote %s (%d connections)" % (os.path.basename(dst), len(t["connections"])), file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
