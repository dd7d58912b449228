#!/usr/bin/python3
"""SMTP client of the accuracy captures (lib/accuracy.sh). Standard library only.

usage: acc_client.py SOURCE HOST PORT MODE [--sni NAME] [--ca FILE] [--log FILE]

MODE pipelined    EHLO; then "STARTTLS\\r\\nNOOP\\r\\n" in one segment (the
                  command injection pattern of RFC 3207 §5); reads the replies;
                  QUIT in plain text
MODE tls-anyway   as pipelined, then sends a TLS ClientHello whatever the
                  reply to STARTTLS was (Python's ssl module, TLS 1.3); on a
                  completed handshake, EHLO and QUIT inside TLS
MODE starttls-anyway  EHLO; STARTTLS alone; TLS whatever the reply was
MODE slow-plain   EHLO, one message of 50 body lines sent 0.1 s apart, QUIT,
                  all in plain text (a capture started meanwhile picks the
                  connection up inside the DATA body)
MODE slow-starttls  the same inside TLS after STARTTLS (a capture started
                  meanwhile picks it up inside TLS)

It logs one JSON line: the STARTTLS reply code, whether TLS was attempted and
whether the handshake completed.
"""
import argparse
import json
import socket
import ssl
import sys
import time


def read_reply(f):
    """Lines of one SMTP reply; returns (code, text)."""
    lines = []
    while True:
        ln = f.readline()
        if not ln:
            return None, lines
        lines.append(ln.decode("latin-1").rstrip("\r\n"))
        if len(ln) < 4 or ln[3:4] != b"-":
            return int(ln[:3]), lines


def send_message(conn, f, rcpt):
    """MAIL, RCPT, DATA, a body of 50 lines sent 0.1 s apart, the end, QUIT."""
    for cmd in (b"MAIL FROM:<sender@example.com>", b"RCPT TO:<" + rcpt + b">", b"DATA"):
        conn.sendall(cmd + b"\r\n")
        read_reply(f)
    conn.sendall(b"Subject: slow\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\n")
    for i in range(50):
        time.sleep(0.1)
        conn.sendall(b"This is line %d of a corpus test message sent slowly.\r\n" % i)
    conn.sendall(b".\r\n")
    code, _ = read_reply(f)
    conn.sendall(b"QUIT\r\n")
    read_reply(f)
    return code


def slow(s, a, out):
    f = s.makefile("rb")
    out["greeting"], _ = read_reply(f)
    s.sendall(b"EHLO client.example.org\r\n")
    read_reply(f)
    conn = s
    if a.mode == "slow-starttls":
        s.sendall(b"STARTTLS\r\n")
        out["starttls_reply"], _ = read_reply(f)
        ctx = ssl.create_default_context(cafile=a.ca)
        conn = ctx.wrap_socket(s, server_hostname=a.sni or a.host)
        out["version"] = conn.version()
        f = conn.makefile("rb")
        conn.sendall(b"EHLO client.example.org\r\n")
        read_reply(f)
    out["data_reply"] = send_message(conn, f, b"slow@example.net")
    conn.close()
    line = json.dumps(out, sort_keys=True)
    if a.log:
        with open(a.log, "a") as lf:
            lf.write(line + "\n")
    print(line)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("mode", choices=("pipelined", "tls-anyway", "starttls-anyway", "slow-plain",
                                     "slow-starttls"))
    ap.add_argument("--sni")
    ap.add_argument("--ca")
    ap.add_argument("--log")
    a = ap.parse_args()
    out = dict(mode=a.mode, host=a.host, port=a.port)
    s = socket.create_connection((a.host, a.port), timeout=10, source_address=(a.source, 0))
    if a.mode.startswith("slow-"):
        return slow(s, a, out)
    f = s.makefile("rb")
    out["greeting"], _ = read_reply(f)
    s.sendall(b"EHLO client.example.org\r\n")
    code, lines = read_reply(f)
    out["starttls_offered"] = any(x[4:].strip().upper() == "STARTTLS" for x in lines)
    if a.mode == "starttls-anyway":
        s.sendall(b"STARTTLS\r\n")
        out["starttls_reply"], _ = read_reply(f)
    else:
        s.sendall(b"STARTTLS\r\nNOOP\r\n")
        out["starttls_reply"], _ = read_reply(f)
        if out["starttls_reply"] != 220:
            out["noop_reply"], _ = read_reply(f)
    out["tls_attempted"] = False
    out["established"] = False
    if a.mode == "pipelined":
        if out["starttls_reply"] != 220:
            s.sendall(b"QUIT\r\n")
            out["quit_reply"], _ = read_reply(f)
    else:
        out["tls_attempted"] = True
        ctx = ssl.create_default_context(cafile=a.ca) if a.ca else ssl.create_default_context()
        if not a.ca:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        s.settimeout(5)
        try:
            t = ctx.wrap_socket(s, server_hostname=a.sni or a.host)
            out["established"] = True
            out["version"] = t.version()
            tf = t.makefile("rb")
            t.sendall(b"EHLO client.example.org\r\n")
            read_reply(tf)
            t.sendall(b"QUIT\r\n")
            out["quit_reply"], _ = read_reply(tf)
            t.close()
        except (OSError, ssl.SSLError) as e:
            out["error"] = type(e).__name__
    try:
        s.close()
    except OSError:
        pass
    line = json.dumps(out, sort_keys=True)
    if a.log:
        with open(a.log, "a") as lf:
            lf.write(line + "\n")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
