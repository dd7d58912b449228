#!/usr/bin/env python3
"""Golden cases over the in-repo captures (pcaps/), listed in TESTLIST.

One line per case, as in tcpdump's tests/TESTLIST:

  NAME  CAPTURE  EXPECTED  ARGUMENTS...

CAPTURE is relative to the repository, EXPECTED to tests/golden/. The run is
`smtptls analyze COMMON ARGUMENTS... CAPTURE` from the repository root (so a
path in a message is the same in every checkout), where COMMON makes the
output independent of the machine: no progress line, the corpus CA as the
only trust anchor, no country database. Standard output must equal EXPECTED
byte for byte, standard error must be empty and the exit status 0.

  run_testlist.py SMTPTLS REPO                  run every case
  run_testlist.py SMTPTLS REPO NAME...          run the named cases
  run_testlist.py SMTPTLS REPO --regen NAME...  rewrite the expected output
                                                of the named cases ("all":
                                                every case) and print what
                                                changed, for review

An expected file that no case names fails the run, so that a removed case
leaves nothing behind. check_expected.py checks the expected outputs against
the truth files of the captures.
"""
import difflib
import json
import os
import subprocess
import sys

GOLDEN = os.path.dirname(os.path.abspath(__file__))
COMMON = ["-q", "--ca-file", "pcaps/ca/corpus-ca.pem", "--geoip", "none"]


def read_testlist(path=os.path.join(GOLDEN, "TESTLIST")):
    """The cases: [(name, capture, expected, [arguments])]; fails on a
    malformed line or a name given twice."""
    cases, seen = [], set()
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            if len(line) < 3 or line[0] in seen:
                raise SystemExit(f"TESTLIST:{n}: malformed or repeated case {line[:1]}")
            seen.add(line[0])
            cases.append((line[0], line[1], line[2], line[3:]))
    return cases


def run_case(binary, repo, capture, args):
    common = list(COMMON)
    # a capture whose truth file names its own CA (the DNS captures) is
    # validated against that one
    truth = os.path.join(repo, capture[:-len(".pcap")] + ".truth.json")
    if os.path.exists(truth):
        with open(truth) as f:
            common[2] = os.path.join("pcaps", json.load(f).get("ca_file", "ca/corpus-ca.pem"))
    return subprocess.run([binary, "analyze", *common, *args, capture], cwd=repo,
                          capture_output=True, text=True)


def main():
    argv = sys.argv[1:]
    if len(argv) < 2:
        print(__doc__)
        return 2
    binary, repo, names = os.path.abspath(argv[0]), argv[1], argv[2:]
    regen = bool(names) and names[0] == "--regen"
    if regen:
        names = names[1:]
        if not names:
            print("--regen needs case names (or all)")
            return 2
    cases = read_testlist()
    known = {c[0] for c in cases}
    unknown = [n for n in names if n != "all" and n not in known]
    if unknown:
        print(f"FAIL no such case: {' '.join(unknown)}")
        return 1
    selected = [c for c in cases if not names or "all" in names or c[0] in names]
    passed, failed = 0, []
    for name, capture, expected, args in selected:
        proc = run_case(binary, repo, capture, args)
        exp_path = os.path.join(GOLDEN, expected)
        old = open(exp_path).read() if os.path.exists(exp_path) else ""
        if regen:
            if proc.returncode != 0 or proc.stderr:
                print(f"FAIL {name}: exit {proc.returncode}, stderr {proc.stderr.strip()!r}; not written")
                failed.append(name)
                continue
            os.makedirs(os.path.dirname(exp_path), exist_ok=True)
            with open(exp_path, "w") as f:
                f.write(proc.stdout)
            diff = list(difflib.unified_diff(old.splitlines(), proc.stdout.splitlines(),
                                             expected + " (old)", expected + " (new)", lineterm=""))
            print(f"regenerated {name}: " + ("unchanged" if not diff else "\n" + "\n".join(diff)))
            continue
        problems = []
        if proc.returncode != 0:
            problems.append(f"exit {proc.returncode}")
        if proc.stderr:
            problems.append(f"stderr: {proc.stderr.strip()}")
        if not os.path.exists(exp_path):
            problems.append(f"no expected output {expected} (run with --regen {name})")
        elif proc.stdout != old:
            diff = difflib.unified_diff(old.splitlines(), proc.stdout.splitlines(),
                                        "expected", "got", lineterm="", n=1)
            problems.append("output differs:\n" + "\n".join(list(diff)[:40]))
        if problems:
            print(f"FAIL {name}: " + "; ".join(problems))
            failed.append(name)
        else:
            passed += 1
    if not names:
        named = {os.path.normpath(c[2]) for c in cases}
        for root, _, files in os.walk(os.path.join(GOLDEN, "expected")):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), GOLDEN)
                if rel not in named:
                    print(f"FAIL {rel}: no case of TESTLIST names it")
                    failed.append(rel)
    if regen:
        print(f"{len(selected) - len(failed)} regenerated, {len(failed)} failed: review with git diff")
    else:
        print(f"{passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
