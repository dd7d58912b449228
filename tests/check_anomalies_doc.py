#!/usr/bin/env python3
"""The anomaly catalogue is written once, in stats/record/anomalies.h; the
reference page docs/anomalies.md describes the same types. This check fails
when the page lists a type the table does not have, misses one it has, or
states another default severity (the first word after the dash in each
"## name — severity ..." heading)."""
import re
import sys


def table(path):
    text = open(path, encoding="utf-8").read().replace("\\\n", " ")
    rows = re.findall(r'X\(\s*([A-Z0-9_]+)\s*,\s*"([a-z0-9_]+)"\s*,\s*([A-Z]+)\s*,\s*"([^"]+)"\s*\)',
                      text)
    out = {}
    for ident, name, sev, summary in rows:
        if ident.lower() != name:
            sys.exit(f"anomalies.h: {ident} is named \"{name}\"")
        if sev not in ("INFO", "LOW", "MEDIUM", "HIGH"):
            sys.exit(f"anomalies.h: {name}: unknown severity {sev}")
        if name in out:
            sys.exit(f"anomalies.h: {name} twice")
        out[name] = sev.lower()
    return out


def doc(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"##\s+([a-z0-9_]+)\s+—\s+([a-z]+)", line)
        if m:
            if m.group(1) in out:
                sys.exit(f"anomalies.md: {m.group(1)} twice")
            out[m.group(1)] = m.group(2)
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    t = table(f"{src}/stats/record/anomalies.h")
    d = doc(f"{src}/docs/anomalies.md")
    if len(t) < 10:
        sys.exit(f"anomalies.h: only {len(t)} rows read: has the table's shape changed?")
    bad = []
    for name in sorted(set(t) - set(d)):
        bad.append(f"{name}: in the table, not in docs/anomalies.md")
    for name in sorted(set(d) - set(t)):
        bad.append(f"{name}: in docs/anomalies.md, not in the table")
    for name in sorted(set(t) & set(d)):
        if t[name] != d[name]:
            bad.append(f"{name}: default severity {t[name]} in the table, {d[name]} in the doc")
    for b in bad:
        print(b)
    if bad:
        sys.exit(1)
    print(f"{len(t)} anomaly types: table and docs/anomalies.md agree")


if __name__ == "__main__":
    main()
