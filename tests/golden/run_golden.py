#!/usr/bin/env python3
"""Optional golden cases on external captures (../shared/pcaps-external):
`smtptls` on a real capture, output compared byte for byte. The cases over
the in-repo captures are in TESTLIST (run_testlist.py); these need the
shared folder beside the repository and are skipped without it (exit 77,
which ctest reports as skipped).

Each case is a folder tests/golden/<case>/ with
  case.json      {"capture": "repo:pcaps/x.pcap" | "shared:pcaps-external/...",
                  "args": [...], "expected": "expected.jsonl"}
  expected.*     the expected standard output, reviewed by hand
  README.md      why the case exists and how the expected output was checked
The run fails on any difference and on anything written to stderr.

  run_golden.py BINARY GOLDEN_DIR REPO_DIR            run every case
  run_golden.py BINARY GOLDEN_DIR REPO_DIR --regen C  rewrite case C's expected
                                                       output (review the diff!)
"""
import difflib
import json
import os
import subprocess
import sys


def resolve(spec, repo):
    kind, _, rel = spec.partition(":")
    if kind == "repo":
        return os.path.join(repo, rel)
    if kind == "shared":
        return os.path.join(repo, "..", "shared", rel)
    raise SystemExit(f"bad capture spec {spec}")


def main():
    binary, gdir, repo = sys.argv[1:4]
    regen = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--regen" else None
    cases = sorted(d for d in os.listdir(gdir) if os.path.isfile(os.path.join(gdir, d, "case.json")))
    passed = failed = skipped = 0
    for case in cases:
        if regen and case != regen:
            continue
        with open(os.path.join(gdir, case, "case.json")) as f:
            spec = json.load(f)
        cap = resolve(spec["capture"], repo)
        if not os.path.exists(cap):
            if spec["capture"].startswith("shared:") and not os.path.isdir(os.path.join(repo, "..", "shared")):
                print(f"skip {case}: optional external case, no shared/ folder beside the repository")
                skipped += 1
                continue
            print(f"FAIL {case}: capture {cap} missing")
            failed += 1
            continue
        args = [resolve(a, repo) if a.startswith(("repo:", "shared:")) else a for a in spec["args"]]
        proc = subprocess.run([binary, *args, cap], capture_output=True, text=True)
        exp_path = os.path.join(gdir, case, spec["expected"])
        if regen:
            with open(exp_path, "w") as f:
                f.write(proc.stdout)
            print(f"regenerated {exp_path} (exit {proc.returncode}, stderr {proc.stderr!r})")
            return 0
        with open(exp_path) as f:
            want = f.read()
        problems = []
        if proc.returncode != spec.get("exit", 0):
            problems.append(f"exit {proc.returncode}")
        if proc.stderr:
            problems.append(f"stderr: {proc.stderr.strip()}")
        if proc.stdout != want:
            diff = difflib.unified_diff(want.splitlines(), proc.stdout.splitlines(),
                                        "expected", "got", lineterm="", n=1)
            problems.append("output differs:\n" + "\n".join(list(diff)[:40]))
        if problems:
            print(f"FAIL {case}: " + "; ".join(problems))
            failed += 1
        else:
            print(f"ok {case}")
            passed += 1
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    if failed:
        return 1
    return 77 if skipped and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
