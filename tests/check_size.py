#!/usr/bin/env python3
"""Size check: no C function of 120 lines or more, no source file over 1000
lines.

  check_size.py SOURCE_DIR     check the tree; exit 1 when a limit is broken
  check_size.py --self-test    check the checker on made-up files

Source files are the C (.c, .h, .inc), Python and shell files (by extension
or by a #! line naming python or sh) under the folders of FOLDERS. A file
written by a generator that the repository holds is excepted (GENERATED,
with the generator named). A C function is measured from the first line of
its definition (the return type, after any comment) to its closing
brace, both included; the style puts the opening brace of a function alone at the start
of a line (clang-format BreakBeforeBraces: Linux), and so does this check.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import selftest  # noqa: E402

FOLDERS = ("analyzer", "dissectors", "stats", "plots", "cluster", "tests", "bench", "pcaps/lib")
MAX_FUNCTION = 119  # lines; 120 or more fails
MAX_FILE = 1000  # lines
# generated file -> its generator (both relative to the source root)
GENERATED = {"dissectors/proto/ciphers_table.inc": "dissectors/proto/gen_ciphers.py"}
# Data folders under tests/ that hold inputs, not sources.
SKIP_DIRS = {"corpus", "crashes", "expected", "__pycache__"}

# What may stay over a limit, each (path, function name or None for the
# whole file): nothing. An entry back under its limit fails the check, so
# the set only shrinks.
KNOWN = set()

C_EXT = (".c", ".h", ".inc")
NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def kind(path):
    if path.endswith(C_EXT):
        return "c"
    if path.endswith(".py"):
        return "python"
    if path.endswith(".sh"):
        return "shell"
    if "." in os.path.basename(path):
        return None
    try:
        with open(path, "rb") as f:
            first = f.readline(200)
    except OSError:
        return None
    if first.startswith(b"#!"):
        if b"python" in first:
            return "python"
        if re.search(rb"\b(ba|da|k)?sh\b", first):
            return "shell"
    return None


def sources(root):
    for top in FOLDERS:
        for d, dirs, files in os.walk(os.path.join(root, top)):
            dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS)
            for f in sorted(files):
                path = os.path.join(d, f)
                k = kind(path)
                if k:
                    yield os.path.relpath(path, root).replace(os.sep, "/"), k


def functions(lines):
    """(name, first line, length) of each function definition of C source."""
    out = []
    for i, line in enumerate(lines):
        if line.rstrip("\n") != "{":
            continue
        # back to the line that names the function: the first of the
        # declaration, which follows a blank line, a comment or another item
        j = i - 1
        while j > 0 and lines[j - 1].strip() and not lines[j - 1].rstrip().endswith(("*/", ";", "}")) \
                and not lines[j - 1].startswith("#"):
            j -= 1
        head = "".join(lines[j:i])
        m = NAME.search(head)
        name = m.group(1) if m else "?"
        end = i + 1
        while end < len(lines) and lines[end].rstrip("\n") != "}":
            end += 1
        out.append((name, j + 1, end - j + 1))
    return out


def check(root, known):
    """The breaches (strings), and known entries that are now within limits."""
    bad, seen = [], set()
    for rel, k in sources(root):
        if rel in GENERATED and os.path.exists(os.path.join(root, GENERATED[rel])):
            continue
        with open(os.path.join(root, rel), errors="replace") as f:
            lines = f.readlines()
        if len(lines) > MAX_FILE:
            if (rel, None) in known:
                seen.add((rel, None))
            else:
                bad.append(f"{rel}: {len(lines)} lines (at most {MAX_FILE})")
        if k != "c":
            continue
        for name, first, length in functions(lines):
            if length > MAX_FUNCTION:
                if (rel, name) in known:
                    seen.add((rel, name))
                else:
                    bad.append(f"{rel}:{first}: {name} is {length} lines "
                               f"(at most {MAX_FUNCTION})")
    for rel, name in sorted(known - seen, key=str):
        bad.append(f"{rel}: KNOWN entry {name or '(file)'} is within its limit now: "
                   "remove it from KNOWN")
    return bad


def self_test():
    def fn(name, body):
        return f"/* {name} */\nstatic int\n{name}(int a,\n\tint b)\n{{\n" + "\ta++;\n" * body + "\treturn a;\n}\n\n"

    # fn(name, n) is n + 6 lines long from "static int" to "}", and takes
    # n + 8 lines of the file with its comment and the blank line after it
    cases = [
        ("119-line function", {"stats/a.c": fn("ok_fn", 113)}, set(), []),
        ("120-line function", {"stats/a.c": fn("ok_fn", 10) + fn("long_fn", 114)}, set(),
         ["stats/a.c:20: long_fn is 120 lines"]),
        ("1001-line file", {"tests/x.py": "x = 1\n" * 1001}, set(), ["tests/x.py: 1001 lines"]),
        ("1000-line shell script", {"bench/run": "#!/bin/sh\n" + ":\n" * 999}, set(), []),
        ("1001-line shell script", {"bench/run": "#!/usr/bin/env bash\n" + ":\n" * 1000}, set(),
         ["bench/run: 1001 lines"]),
        ("generated table", {"dissectors/proto/ciphers_table.inc": "{1},\n" * 2000,
                             "dissectors/proto/gen_ciphers.py": ""}, set(), []),
        ("table without generator", {"dissectors/proto/ciphers_table.inc": "{1},\n" * 2000}, set(),
         ["dissectors/proto/ciphers_table.inc: 2000 lines"]),
        ("known function", {"plots/r.c": fn("long_fn", 200)}, {("plots/r.c", "long_fn")}, []),
        ("stale known entry", {"plots/r.c": fn("long_fn", 20)}, {("plots/r.c", "long_fn")},
         ["plots/r.c: KNOWN entry long_fn is within its limit now"]),
        ("corpus data skipped", {"tests/fuzz/corpus/big.py": "x\n" * 5000}, set(), []),
    ]
    return selftest.run_cases(cases, check)


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
    files = list(sources(root))
    longest = max(((length, rel, name) for rel, k in files if k == "c"
                   for name, _, length in functions(open(os.path.join(root, rel),
                                                         errors="replace").readlines())),
                  default=(0, "", ""))
    print(f"{len(files)} files checked ({len(KNOWN)} known breaches allowed); longest C function "
          f"{longest[2]} ({longest[1]}) {longest[0]} lines; {len(bad)} failures")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
