#!/usr/bin/env python3
"""Fails if C sources call functions that are banned in this project
(unbounded copies and unchecked conversions): strcpy, strcat, sprintf,
vsprintf, atoi, atol, atoll, gets, strtok."""
import os
import re
import sys

BANNED = ["strcpy", "strcat", "sprintf", "vsprintf", "atoi", "atol", "atoll", "gets", "strtok"]
PAT = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(BANNED) + r")\s*\(")

root = sys.argv[1]
bad = []
for folder in ("analyzer", "dissectors", "stats", "plots", "tests", "bench"):
    for dirpath, _, files in os.walk(os.path.join(root, folder)):
        for name in files:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                for no, line in enumerate(f, 1):
                    code = line.split("//")[0]
                    for m in PAT.finditer(code):
                        bad.append(f"{os.path.relpath(path, root)}:{no}: {m.group(1)}()")
for b in bad:
    print("banned:", b)
print(f"{0 if bad else 1} passed, {1 if bad else 0} failed")
sys.exit(1 if bad else 0)
