#!/usr/bin/python3
"""On-path proxy that rewrites the server's reply to STARTTLS (lib/accuracy.sh).

usage: acc_proxy.py LISTEN_IP:PORT:CODE [...] --upstream IP:PORT --source IP

Relays a connection to the upstream server. Server-to-client data is read
line by line until the server's "220 ... Ready to start TLS": its code is
replaced by CODE (same length, the text is kept), and from then on both
directions are relayed byte for byte, so a client that starts TLS anyway
completes its handshake with the real server. Standard library only.
"""
import argparse
import socket
import sys
import threading


def pump(src, dst):
    try:
        while True:
            d = src.recv(65536)
            if not d:
                break
            dst.sendall(d)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def relay_s2c(ssock, csock, code):
    buf = b""
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
                if ln.startswith(b"220 ") and b"TLS" in ln.upper():
                    out += code + ln[3:]
                    csock.sendall(out + buf)
                    pump(ssock, csock)  # raw from here: shuts csock's side down
                    return
                out += ln
            if out:
                csock.sendall(out)
    except OSError:
        pass
    try:
        csock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def handle(csock, code, upstream, source):
    ssock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ssock.bind((source, 0))
    ssock.connect(upstream)
    t = threading.Thread(target=pump, args=(csock, ssock), daemon=True)
    t.start()
    relay_s2c(ssock, csock, code)
    t.join(30)
    csock.close()
    ssock.close()


def serve(addr, code, upstream, source):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(addr)
    ls.listen(16)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c, code, upstream, source), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen", nargs="+", help="IP:PORT:CODE")
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    uh, up = a.upstream.rsplit(":", 1)
    for spec in a.listen:
        ip, port, code = spec.split(":")
        if len(code) != 3 or not code.isdigit():
            sys.exit("bad reply code " + code)
        threading.Thread(target=serve, args=((ip, int(port)), code.encode(), (uh, int(up)), a.source),
                         daemon=True).start()
    print("listening", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
