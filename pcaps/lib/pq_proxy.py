#!/usr/bin/python3
"""A PQ-intolerant middlebox: relays SMTP between a client and a server and
resets the client's connection when the client's first TLS record (the
ClientHello, after STARTTLS) is longer than a threshold.

Usage: pq_proxy.py LISTEN_ADDR LISTEN_PORT UPSTREAM_ADDR UPSTREAM_PORT THRESHOLD LOG

Everything else is relayed unchanged. A dropped connection is reset (close
with SO_LINGER 0: the kernel sends RST) and the upstream connection closed;
one JSON line per connection goes to LOG. Standard library only.
"""
import json
import socket
import struct
import sys
import threading


def log(path, obj):
    with open(path, "a") as f:
        f.write(json.dumps(obj) + "\n")


def pipe(src, dst):
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


def handle(cli, up_addr, threshold, logf):
    peer = cli.getpeername()
    rec = dict(client=list(peer), dropped=False)
    up = socket.create_connection(up_addr)
    threading.Thread(target=pipe, args=(up, cli), daemon=True).start()
    buf = b""
    after_starttls = False
    try:
        while True:
            d = cli.recv(65536)
            if not d:
                break
            if not after_starttls:
                up.sendall(d)
                buf += d
                if b"STARTTLS\r\n" in buf.upper():
                    after_starttls = True
                    buf = b""
                continue
            buf += d
            if len(buf) < 5:
                continue
            if buf[0] == 0x16:  # handshake record: the ClientHello
                length = struct.unpack("!H", buf[3:5])[0]
                rec["first_record_length"] = length
                if length > threshold:
                    rec["dropped"] = True
                    cli.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    cli.close()
                    up.close()
                    log(logf, rec)
                    return
            up.sendall(buf)
            # the rest is relayed as it comes
            rec["relayed"] = True
            pipe(cli, up)
            break
    except OSError as e:
        rec["error"] = str(e)
    log(logf, rec)
    try:
        up.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def main():
    laddr, lport, uaddr, uport, threshold, logf = sys.argv[1:7]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((laddr, int(lport)))
    srv.listen(8)
    log(logf, dict(listening="%s:%s" % (laddr, lport), upstream="%s:%s" % (uaddr, uport),
                   threshold=int(threshold)))
    while True:
        cli, _ = srv.accept()
        threading.Thread(target=handle, args=(cli, (uaddr, int(uport)), int(threshold), logf),
                         daemon=True).start()


if __name__ == "__main__":
    main()
