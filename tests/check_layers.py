#!/usr/bin/env python3
"""Layer check: every `#include "..."` of the analyzer's sources points down.

The layers, lowest first, and the layers each may include from (its own
folder is always allowed). This table is the rule; docs/architecture.md
draws it.

  check_layers.py SOURCE_DIR      check the tree; exit 1 on a violation
  check_layers.py --self-test     check the checker on made-up trees

A violation names the file, the line and the edge (from layer -> to layer).
An include is resolved from the repository root ("stats/record/record.h"),
or else beside the including file; a header generated at build time is
named in GENERATED with the layer it belongs to. A source file under a layer
root that belongs to no layer fails too, so a new folder has to be placed in
the table.

System headers (<...>) are checked too: the C library and POSIX may be
included anywhere, but each outside library (LIBS) only by the layers that
LAYER_LIBS names for it, so that, say, SQLite stays in the sinks, libpcap in
capture and app, and OpenSSL in the dissectors. A new library has to be
placed in both tables.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import selftest  # noqa: E402

# layer -> the layers it may include from
LAYERS = {
    "dissectors/base": [],
    "dissectors/proto": ["dissectors/base"],
    "analyzer/capture": ["dissectors/base"],
    "analyzer/net": ["dissectors/base"],
    "stats/record": ["dissectors/proto", "analyzer/net", "dissectors/base"],
    "analyzer/session": ["stats/record", "dissectors/proto", "analyzer/net", "dissectors/base"],
    "stats/sinks": ["analyzer/session", "stats/record", "dissectors/proto", "analyzer/net",
                    "dissectors/base"],
    "plots": ["stats/sinks", "stats/record", "dissectors/base"],
    "analyzer/app": ["plots", "stats/sinks", "analyzer/session", "stats/record",
                     "dissectors/proto", "analyzer/net", "analyzer/capture", "dissectors/base"],
}
# Outside libraries, by the header names (or prefixes, ending in "/") they
# are included by. Anything else in <...> is the C library or POSIX.
LIBS = {
    "jansson": ("jansson.h",),
    "openssl": ("openssl/",),
    "libpcap": ("pcap.h", "pcap/"),
    "libseccomp": ("seccomp.h",),
    "sqlite3": ("sqlite3.h",),
    "libpq": ("libpq-fe.h",),
    "libmaxminddb": ("maxminddb.h",),
    "cmocka": ("cmocka.h",),
    "zlib": ("zlib.h",),
}
# layer -> the outside libraries it may include directly
LAYER_LIBS = {
    "dissectors/base": ["jansson"],            # jsonw writes as jansson does
    "dissectors/proto": ["openssl"],           # certificates, digests
    "analyzer/capture": ["libpcap", "libseccomp"],
    "analyzer/net": ["libpcap"],               # DLT_ constants only
    "stats/record": ["jansson"],               # the record writer's checks
    "analyzer/session": [],
    "stats/sinks": ["jansson", "sqlite3", "libpq", "libmaxminddb"],
    "plots": ["jansson"],                      # reads the snapshot
    "analyzer/app": ["jansson", "libpcap", "libseccomp", "zlib"],  # zlib: tlsrpt's gzip
}
assert set(LAYER_LIBS) == set(LAYERS), "every layer needs its LAYER_LIBS row"
ROOTS = ("analyzer", "dissectors", "stats", "plots")
GENERATED = {"plot_scripts.h": "plots", "report_template.h": "plots"}

# Edges allowed to break the table, each (file, included header): none. An
# entry that no longer occurs fails the check, so the set can only shrink and
# never hides a new edge.
KNOWN = set()

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SYSTEM = re.compile(r'^\s*#\s*include\s+<([^>]+)>')


def library_of(header):
    """The outside library a <header> belongs to, or None (libc, POSIX)."""
    for lib, names in LIBS.items():
        for n in names:
            if header == n or (n.endswith("/") and header.startswith(n)):
                return lib
    return None


def layer_of(rel):
    """The layer of a path relative to the source root, or None."""
    best = None
    for layer in LAYERS:
        if rel.startswith(layer + "/") and (best is None or len(layer) > len(best)):
            best = layer
    return best


def below(layer):
    """Every layer that layer may reach through includes."""
    seen, todo = set(), list(LAYERS[layer])
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo += LAYERS[x]
    return seen


def sources(root):
    for top in ROOTS:
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h", ".inc")):
                    yield os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")


def check(root, known):
    """The violations (strings): includes against the table, and entries of
    known that no longer occur (they must leave KNOWN)."""
    bad, seen = [], set()
    for rel in sorted(sources(root)):
        src = layer_of(rel)
        if src is None:
            bad.append(f"{rel}: in no layer of the table")
            continue
        with open(os.path.join(root, rel), errors="replace") as f:
            lines = f.readlines()
        for n, line in enumerate(lines, 1):
            sm = SYSTEM.match(line)
            if sm:
                lib = library_of(sm.group(1))
                if lib and lib not in LAYER_LIBS[src]:
                    bad.append(f"{rel}:{n}: #include <{sm.group(1)}>: {src} may not use {lib} "
                               f"(it may use {', '.join(LAYER_LIBS[src]) or 'no outside library'})")
                continue
            m = INCLUDE.match(line)
            if not m:
                continue
            inc = m.group(1)
            beside = os.path.normpath(os.path.join(os.path.dirname(rel), inc)).replace(os.sep, "/")
            if os.path.exists(os.path.join(root, inc)):
                dst = layer_of(inc)
            elif os.path.exists(os.path.join(root, beside)):
                dst = layer_of(beside)
            elif inc in GENERATED:
                dst = GENERATED[inc]
            else:
                bad.append(f"{rel}:{n}: #include \"{inc}\" names no file of the tree")
                continue
            if dst is None:
                bad.append(f"{rel}:{n}: #include \"{inc}\" is in no layer of the table")
            elif dst != src and dst not in LAYERS[src]:
                if (rel, inc) in known:
                    seen.add((rel, inc))
                    continue
                way = "up" if src in below(dst) else "sideways"
                bad.append(f"{rel}:{n}: #include \"{inc}\": {src} -> {dst} ({way}; "
                           f"{src} may include {', '.join(LAYERS[src]) or 'nothing'})")
    for rel, inc in sorted(known - seen):
        bad.append(f"{rel}: KNOWN edge to {inc} no longer occurs: remove it from KNOWN")
    return bad


def self_test():
    """Made-up trees: a clean one passes; an upward, a sideways, an unknown
    folder and a stale KNOWN entry each fail with the file, line and edge."""
    clean = {"dissectors/base/mem.h": "int x;\n",
             "dissectors/proto/tls.h": '#include "dissectors/base/mem.h"\n#include <stdio.h>\n',
             "dissectors/proto/tls.c": '#include "tls.h"\n',
             "plots/report.c": '#include "plot_scripts.h"\n',
             "analyzer/app/main.c": '#include "dissectors/proto/tls.h"\n'}
    cases = [
        ("clean tree", {}, set(), []),
        ("upward include", {"dissectors/base/cur.h": '\n#include "dissectors/proto/tls.h"\n'}, set(),
         ['dissectors/base/cur.h:2: #include "dissectors/proto/tls.h": dissectors/base -> dissectors/proto (up;']),
        ("sideways include", {"analyzer/net/rsm.c": '#include "analyzer/capture/x.h"\n',
                              "analyzer/capture/x.h": ""}, set(),
         ['analyzer/net/rsm.c:1: #include "analyzer/capture/x.h": analyzer/net -> analyzer/capture (sideways;']),
        ("library in the wrong layer", {"analyzer/session/sess.c": '#include <stdio.h>\n#include <sqlite3.h>\n'},
         set(), ["analyzer/session/sess.c:2: #include <sqlite3.h>: analyzer/session may not use sqlite3"]),
        ("library by prefix", {"analyzer/net/decode.c": '#include <pcap/dlt.h>\n#include <openssl/evp.h>\n'},
         set(), ["analyzer/net/decode.c:2: #include <openssl/evp.h>: analyzer/net may not use openssl"]),
        ("folder in no layer", {"stats/other/x.c": ""}, set(), ["stats/other/x.c: in no layer"]),
        ("missing header", {"plots/plot.c": '#include "nowhere.h"\n'}, set(),
         ['plots/plot.c:1: #include "nowhere.h" names no file']),
        ("known edge", {"dissectors/proto/smtp.c": '#include "analyzer/net/rsm.h"\n',
                        "analyzer/net/rsm.h": ""}, {("dissectors/proto/smtp.c", "analyzer/net/rsm.h")}, []),
        ("stale known edge", {}, {("dissectors/proto/tls.c", "analyzer/app/cli.h")},
         ["dissectors/proto/tls.c: KNOWN edge to analyzer/app/cli.h no longer occurs"]),
    ]
    return selftest.run_cases(cases, check, clean)


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    root = sys.argv[1]
    bad = check(root, KNOWN)
    for b in bad:
        print("FAIL", b)
    n = sum(1 for _ in sources(root))
    print(f"{n} files checked against {len(LAYERS)} layers ({len(KNOWN)} known edges allowed); "
          f"{len(bad)} violations")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
