#!/usr/bin/env python3
"""The record writer, read back by jansson.

Session lines are written by rec_json_head() + rec_json_anomalies(), straight
into a buffer, from the record's one field list (stats/record/rec_fields.c).
This test dumps the records of every capture of pcaps/ and of
shared/pcaps-external (`smtptls analyze --dump`), then runs the tool
recjson_check on the dumps: each record is written as dumped, with the
detectors' verdict (anomalies with their details), and as mutated copies
(texts that are not UTF-8, controls, quotes, numbers past INT64_MAX, odd
times), parsed back, compared with json_dumps() of what was parsed and
checked field by field against the record (tests/tools/reccheck.h). Any
difference fails the test, and so does checking nothing.

Usage: check_recjson.py SMTPTLS RECJSON_CHECK SOURCE_DIR SHARED_DIR WORK_DIR
"""
import glob
import os
import shutil
import subprocess
import sys

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")
MUTATIONS = "20"


def captures(source, shared):
    found = sorted(glob.glob(os.path.join(source, "pcaps", "*.pcap")))
    ext = os.path.join(shared, "pcaps-external")
    if os.path.isdir(ext):
        for root, _, files in sorted(os.walk(ext)):
            for name in sorted(files):
                if name.endswith(CAPTURE_SUFFIXES):
                    found.append(os.path.join(root, name))
    else:
        print(f"note: no {ext}: only pcaps/ is checked")
    return found


def main():
    smtptls, tool, source, shared, work = sys.argv[1:6]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    dumps, failures, skipped = [], [], []
    for i, path in enumerate(captures(source, shared)):
        dump = os.path.join(work, f"{i:04d}.dump")
        proc = subprocess.run([smtptls, "analyze", "-q", "--dump", dump, "--sessions",
                               os.devnull, "--stats", os.devnull, path],
                              capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            # 1: a damaged or unreadable capture (the dump holds what was read)
            failures.append(f"{path}: smtptls analyze exit {proc.returncode}: "
                            f"{proc.stderr.strip()}")
            continue
        if not os.path.exists(dump) or os.path.getsize(dump) == 0:
            skipped.append(f"{path}: no dump ({proc.stderr.strip()})")
            continue
        dumps.append(dump)
    for s in skipped:
        print(f"skipped {s}")
    if not dumps:
        failures.append("no record dump was written")
    else:
        proc = subprocess.run([tool, "--mutate", MUTATIONS] + dumps,
                              capture_output=True, text=True)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            failures.append(f"recjson_check exit {proc.returncode}")
    print(f"{len(dumps)} captures dumped")
    for f in failures:
        print(f"FAIL: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
