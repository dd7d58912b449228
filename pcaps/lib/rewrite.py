#!/usr/bin/python3
"""Derived captures, made by rewriting a real capture with scapy.

rewrite.py vlan IN OUT
    every Ethernet frame gets an 802.1Q tag, VLAN 100 (timestamps kept).
rewrite.py impair IN OUT INFO.json
    in the longest TCP connection of IN (by payload bytes), from the client:
    - two consecutive data segments are swapped (reordered),
    - one data segment is sent twice (duplicated),
    - one data segment in the middle of the message body is removed (dropped:
      its bytes are lost);
    the other connections are left alone. INFO.json records exactly what was
    done (frame numbers in IN, TCP sequence numbers, lengths) for truth.py.
"""
import json
import sys

from scapy.all import Dot1Q, Ether, IP, IPv6, TCP, rdpcap, wrpcap  # noqa: E402


def vlan(src, dst):
    out = []
    for p in rdpcap(src):
        if Ether in p:
            e = p[Ether]
            q = Ether(src=e.src, dst=e.dst, type=0x8100) / Dot1Q(vlan=100, type=e.type) / e.payload
            q.time = p.time
            out.append(q)
    wrpcap(dst, out, linktype=1)


def key(p):
    ip = p[IP] if IP in p else p[IPv6]
    t = p[TCP]
    a, b = (ip.src, t.sport), (ip.dst, t.dport)
    return tuple(sorted([a, b])), (a, b)


def impair(src, dst, info_path):
    pk = rdpcap(src)
    conns = {}
    for i, p in enumerate(pk):
        if TCP not in p:
            continue
        k, (a, b) = key(p)
        c = conns.setdefault(k, dict(bytes=0, client=None, frames=[]))
        if p[TCP].flags & 0x02 and not p[TCP].flags & 0x10:
            c["client"] = a
        c["bytes"] += len(p[TCP].payload)
        c["frames"].append(i)
    k = max(conns, key=lambda x: conns[x]["bytes"])
    c = conns[k]
    client = c["client"]
    data = [i for i in c["frames"] if len(pk[i][TCP].payload) > 0 and key(pk[i])[1][0] == client]
    n = len(data)
    assert n > 40, "connection too short to impair"
    i_swap, i_dup, i_drop = data[n // 4], data[n // 2], data[(3 * n) // 4]
    j_swap = data[n // 4 + 1]
    order = list(range(len(pk)))
    # swap: frame i_swap goes after j_swap (times swapped too so the file stays time-ordered)
    a, b = order.index(i_swap), order.index(j_swap)
    order[a], order[b] = order[b], order[a]
    ta, tb = pk[i_swap].time, pk[j_swap].time
    out = []
    for idx in order:
        if idx == i_drop:
            continue
        p = pk[idx]
        if idx == i_swap:
            p.time = tb
        elif idx == j_swap:
            p.time = ta
        out.append(p)
        if idx == i_dup:
            d = p.copy()
            d.time = p.time + 0.000050
            out.append(d)
    wrpcap(dst, out, linktype=1)

    def seg(i):
        return dict(frame=i + 1, seq=int(pk[i][TCP].seq), len=len(pk[i][TCP].payload))
    info = dict(connection=dict(client=list(client), server=[x for x in k if tuple(x) != tuple(client)][0]),
                direction="client_to_server", reordered=[seg(i_swap), seg(j_swap)], duplicated=seg(i_dup),
                dropped=seg(i_drop), bytes_lost=len(pk[i_drop][TCP].payload))
    with open(info_path, "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    if sys.argv[1] == "vlan":
        vlan(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "impair":
        impair(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
