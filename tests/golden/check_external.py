#!/usr/bin/env python3
"""Golden test: connection records on the external capture corpus.

Runs `smtptls analyze --sessions -` on every capture listed in
shared/pcaps-external/facts/connections.tsv (role "smtp") and compares, per
connection, the endpoints, the SYN/SYN-ACK/FIN/RST flags, the packet count and
the TCP payload bytes of each direction with what tshark found (the facts file
was produced with tshark 4.0; see its MANIFEST.md). Every connection must be
found, with equal facts; smtptls must not report connections tshark did not
see, and must print nothing on stderr.

Known, documented differences are listed in EXPECTED_DIFFERENCES with the
reason; anything else fails the test.
"""
import collections
import csv
import json
import os
import subprocess
import sys

# (file, client, server) -> {field: (tshark, smtptls)} where smtptls is right
# and tshark's stream accounting differs; each entry says why.
ICMP_QUOTES = ("4 ICMP errors quote this connection's TCP header; tshark's "
               "tcp.stream counts them, they are not segments of the connection")
EXPECTED_DIFFERENCES = {
    ("aiengine/pcapfiles/smtp.pcap", "10.10.1.4:1470", "74.53.140.153:25"):
        {"packets": (57, 53), "why": ICMP_QUOTES},
    ("suricata-verify/bug-3616-smtp/input.pcap", "10.10.1.4:1470", "74.53.140.153:25"):
        {"packets": (57, 53), "why": ICMP_QUOTES},
    ("zeek/Traces/smtp.pcap", "10.10.1.4:1470", "74.53.140.153:25"):
        {"packets": (57, 53), "why": ICMP_QUOTES},
}

# (file, client, server) -> number of records smtptls makes of one tshark
# stream; their packets and bytes are summed before comparing.
EXPECTED_SPLITS = {
    # Frames 7-8 repeat the tuple 14 years after frames 1-5: past the idle
    # timeout that is a new connection; tshark has no idle timeout.
    ("PcapPlusPlus/PacketExamples/Smtp.pcap", "10.10.1.4:1470", "74.53.140.153:25"): 2,
}

# Captures that are damaged: smtptls must say so on stderr (and exit 1) and
# still report what it read before the damage.
EXPECTED_ERRORS = {
    "suricata-verify/smtp-to-comma/10.7.29.101_49898-178.63.41.150_25.pcap":
        "capture ends in a broken record after 18 packets",
}


def norm_ep(s):
    """'[::1]:25' or '1.2.3.4:25' -> ('::1', 25)."""
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def rec_ep(e):
    return e["ip"], e["port"]


def main():
    binary, shared = sys.argv[1], sys.argv[2]
    ext = os.path.join(shared, "pcaps-external")
    facts = collections.defaultdict(list)
    with open(os.path.join(ext, "facts", "connections.tsv"), newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["role"] == "smtp":
                facts[row["file"]].append(row)

    failures = []
    checked = 0
    for name in sorted(facts):
        path = os.path.join(ext, name)
        proc = subprocess.run([binary, "analyze", "-q", "--sessions", "-", path],
                              capture_output=True, text=True)
        want_err = EXPECTED_ERRORS.get(name)
        if want_err:
            if proc.returncode != 1 or want_err not in proc.stderr:
                failures.append(f"{name}: expected exit 1 and '{want_err}', got exit "
                                f"{proc.returncode}, stderr: {proc.stderr.strip()}")
        elif proc.returncode != 0 or proc.stderr:
            failures.append(f"{name}: exit {proc.returncode}, stderr: {proc.stderr.strip()}")
            continue
        recs = [json.loads(line) for line in proc.stdout.splitlines()]
        for r in recs:
            # distinct in-order bytes can never exceed what crossed the wire
            for side in ("client", "server"):
                if r["tcp"]["stream_bytes"][side] > r["bytes"][side]:
                    failures.append(f"{name}: {r['client']}: stream_bytes.{side} "
                                    f"{r['tcp']['stream_bytes'][side]} > bytes {r['bytes'][side]}")
        by_key = collections.defaultdict(list)
        for r in recs:
            by_key[(rec_ep(r["client"]), rec_ep(r["server"]))].append(r)
        for row in facts[name]:
            key = (norm_ep(row["client"]), norm_ep(row["server"]))
            cands = by_key.get(key)
            if not cands:
                failures.append(f"{name}: {row['client']} -> {row['server']}: no record "
                                f"(records: {[ (rec_ep(r['client']), rec_ep(r['server'])) for r in recs]})")
                continue
            nsplit = EXPECTED_SPLITS.get((name, row["client"], row["server"]), 1)
            parts = cands[:nsplit]
            del cands[:nsplit]
            if len(parts) != nsplit:
                failures.append(f"{name}: {row['client']}: expected {nsplit} records, got {len(parts)}")
                continue
            r = parts[0]
            got = {
                "syn": r["tcp"]["syn"],
                "synack": r["tcp"]["synack"],
                "fin": any(p["tcp"]["fin"]["client"] or p["tcp"]["fin"]["server"] for p in parts),
                "rst": any(p["tcp"]["rst"] for p in parts),
                "packets": sum(p["packets"]["client"] + p["packets"]["server"] for p in parts),
                "bytes_c2s": sum(p["bytes"]["client"] for p in parts),
                "bytes_s2c": sum(p["bytes"]["server"] for p in parts),
            }
            want = {
                "syn": row["syn_seen"] == "True",
                "synack": row["synack_seen"] == "True",
                "fin": row["fin_seen"] == "True",
                "rst": row["rst_seen"] == "True",
                "packets": int(row["pkts"]),
                "bytes_c2s": int(row["payload_bytes_c2s"]),
                "bytes_s2c": int(row["payload_bytes_s2c"]),
            }
            # SMTP facts (tshark's reassembled transcript, see MANIFEST.md)
            smtp = r.get("smtp") or {}
            got["helo"] = smtp.get("helo_verb") or ""
            want["helo"] = row["smtp_helo"]
            if row["starttls_offered_in_ehlo"] in ("True", "False") and row["smtp_helo"] == "EHLO":
                got["starttls_offered"] = bool(smtp.get("starttls_offered"))
                want["starttls_offered"] = row["starttls_offered_in_ehlo"] == "True"
            got["starttls_requested"] = bool(smtp.get("starttls_requested"))
            want["starttls_requested"] = row["starttls_issued"] == "True"
            got["starttls_reply"] = smtp.get("starttls_reply")
            want["starttls_reply"] = int(row["starttls_reply"][:3]) if row["starttls_reply"] else None
            if row["smtp_banner"].startswith("NON-SMTP"):
                # on an implicit-TLS port the stream was expected to be TLS
                got["smtp_absent"] = r.get("smtp_absent")
                want["smtp_absent"] = "not_tls" if row["server_port"] == "465" else "not_smtp"
            elif row["smtp_banner"]:
                got["greeting_code"] = smtp.get("greeting_code")
                want["greeting_code"] = int(row["smtp_banner"][:3])
            anomalies = {a["type"] for p in parts for a in p.get("anomalies", [])}
            got["plaintext_after_starttls"] = "plaintext_after_starttls" in anomalies
            want["plaintext_after_starttls"] = "NON-TLS" in row["first_bytes_after_starttls_220"]
            if row["implicit_tls_first_client_bytes"]:
                got["encryption"] = r["encryption"]
                want["encryption"] = "implicit_tls"
            elif row["starttls_reply"].startswith("220") and int(row["tls_clienthellos"] or 0):
                got["encryption"] = r["encryption"]
                want["encryption"] = "starttls"
            elif row["smtp_helo"] and not row["starttls_issued"] == "True":
                got["encryption"] = r["encryption"]
                want["encryption"] = "plaintext"
            # TLS facts (tshark's ServerHello / ClientHello fields)
            tls = r.get("tls") or {}
            if row["sh_version"]:
                got["tls_version"] = tls.get("version")
                want["tls_version"] = row["sh_version"]
                got["tls_cipher"] = tls.get("cipher")
                want["tls_cipher"] = row["sh_cipher_name"]
            if int(row["tls_clienthellos"] or 0):
                got["tls_sni"] = tls.get("sni")
                want["tls_sni"] = row["ch_sni"] or None
            # certificate facts (python-cryptography on the DER tshark extracted)
            if row["leaf_subject"] and r.get("cert"):
                got["cert_subject"] = r["cert"]["subject"]
                want["cert_subject"] = row["leaf_subject"]
                got["cert_issuer"] = r["cert"]["issuer"]
                want["cert_issuer"] = row["leaf_issuer"]
                got["cert_self_signed"] = r["cert"]["self_signed"]
                want["cert_self_signed"] = (row["leaf_subject_eq_issuer"] == "True"
                                            and row["leaf_self_signature_verifies"] == "True")
            elif row["leaf_subject"]:
                got["cert_subject"] = None
                want["cert_subject"] = row["leaf_subject"]
            exp = EXPECTED_DIFFERENCES.get((name, row["client"], row["server"]), {})
            for k in want:
                if k == "why":
                    continue
                if k in exp:
                    tw, sg = exp[k]
                    if want[k] != tw or got[k] != sg:
                        failures.append(f"{name}: {row['client']}: {k}: expected difference changed: "
                                        f"tshark {want[k]} smtptls {got[k]}")
                elif want[k] != got[k]:
                    failures.append(f"{name}: {row['client']} -> {row['server']}: {k}: "
                                    f"tshark {want[k]}, smtptls {got[k]}")
            checked += 1
        for key, rest in by_key.items():
            for r in rest:
                failures.append(f"{name}: extra record {key} not seen by tshark")
    for f in failures:
        print("FAIL", f)
    print(f"{checked} connections checked in {len(facts)} captures, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
