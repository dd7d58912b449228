#!/usr/bin/env python3
"""Checks dissectors/proto/ciphers_table.inc against the IANA registry exports.

Usage: check_ciphers_complete.py REPO_ROOT IANA_DIR

1. every named row of tls-cipher-suites.csv (everything but the Unassigned and
   Reserved ranges) is in suite_table with the same value and name, and
   nothing else is: so the count of suites equals the count of named rows;
2. the same for tls-supported-groups.csv / suite_group_table and
   tls-signature-schemes.csv / suite_sigscheme_table;
3. every table is sorted by value without duplicates (ciphers.c searches
   them by bisection);
4. the committed file is exactly what dissectors/proto/gen_ciphers.py writes from
   these exports (nobody edited the generated file by hand).

The CSV parsing here is deliberately separate from the generator's, so the
two have to agree.
"""
import csv
import os
import re
import subprocess
import sys
import tempfile


def placeholder(desc):
    return desc.startswith("Unassigned") or desc.startswith("Reserved")


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            yield r["Value"].strip(), " ".join(r["Description"].split())


def csv_suites(path):
    out = []
    for value, desc in csv_rows(path):
        if placeholder(desc):
            continue
        hi, lo = (int(x, 16) for x in value.split(","))
        out.append((hi << 8 | lo, desc))
    return out


def csv_names(path, base):
    out = []
    for value, desc in csv_rows(path):
        if placeholder(desc) or "-" in value:
            continue
        out.append((int(value, base), desc.split(" (")[0]))
    return out


def inc_table(text, cname):
    m = re.search(r"\b" + cname + r"\[\] = \{\n(.*?)\n\};", text, re.S)
    if not m:
        return None
    if cname == "suite_table":
        pat = re.compile(r'\.id = 0x([0-9A-F]{4}), \.name = "([^"]+)"')
    else:
        pat = re.compile(r'\{0x([0-9A-F]{4}), "([^"]+)"\}')
    rows = []
    for line in m.group(1).split("\n"):
        r = pat.search(line)
        if r:
            rows.append((int(r.group(1), 16), r.group(2)))
        elif line.strip():
            rows.append((None, line.strip()))
    return rows


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, iana = sys.argv[1], sys.argv[2]
    inc = os.path.join(root, "dissectors", "proto", "ciphers_table.inc")
    with open(inc, encoding="utf-8") as f:
        text = f.read()
    passed, failed = 0, []

    def check(ok, what):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failed.append(what)

    for cname, want in (
        ("suite_table", csv_suites(os.path.join(iana, "tls-cipher-suites.csv"))),
        ("suite_group_table", csv_names(os.path.join(iana, "tls-supported-groups.csv"), 10)),
        ("suite_sigscheme_table",
         csv_names(os.path.join(iana, "tls-signature-schemes.csv"), 16)),
    ):
        have = inc_table(text, cname)
        if have is None:
            check(False, f"{cname}: not found in {inc}")
            continue
        bad = [name for v, name in have if v is None]
        check(not bad, f"{cname}: unparsable rows {bad[:3]}")
        have = [r for r in have if r[0] is not None]
        missing = sorted(set(want) - set(have))
        extra = sorted(set(have) - set(want))
        check(not missing, f"{cname}: missing {[f'0x{v:04X} {n}' for v, n in missing[:10]]}")
        check(not extra, f"{cname}: not in the registry {[f'0x{v:04X} {n}' for v, n in extra[:10]]}")
        check(len(have) == len(want), f"{cname}: {len(have)} rows, registry has {len(want)}")
        ids = [v for v, _ in have]
        check(all(a < b for a, b in zip(ids, ids[1:])), f"{cname}: not sorted or duplicated")
        print(f"{cname}: {len(have)} rows, registry {len(want)} named rows")

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ciphers_table.inc")
        r = subprocess.run([sys.executable, os.path.join(root, "dissectors", "proto", "gen_ciphers.py"),
                            iana, "-o", out], capture_output=True, text=True)
        check(r.returncode == 0, f"gen_ciphers.py failed: {r.stderr.strip()}")
        if r.returncode == 0:
            with open(out, encoding="utf-8") as f:
                check(f.read() == text,
                      f"{inc} differs from what gen_ciphers.py writes: regenerate it")

    for what in failed:
        print("FAIL:", what)
    print(f"{passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
