#!/usr/bin/env python3
"""The manual pages against the binary: every command that `smtptls --help`
lists has a page, and every option that a command's --help shows (and every
option the option table gives that command, --list-options) appears in its
rendered page; so do the options of the other programs with a page
(smtptls-update-geoip); smtptls-records(5) has every section and key of
docs/schema.md.

    check_man.py SMTPTLS MANDIR SRCDIR
"""
import glob
import os
import re
import subprocess
import sys

OPT = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)")


def run(args):
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def help_options(text):
    """The options named in the tags of a --help's option rows."""
    found = set()
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if not (1 <= indent <= 8 and body.startswith("-")):
            continue
        tag = re.split(r"\s{2,}", body)[0]
        # "--list-inputs PATH... the capture files": the tag ends at the text
        tag = re.split(r"\s(?=[a-z(][a-z])", tag)[0]
        found.update(o.split("=")[0] for o in OPT.findall(tag))
    return found


def rendered(page):
    env = dict(os.environ, MANWIDTH="300", LC_ALL="C.UTF-8")
    env.pop("MANPAGER", None)
    r = subprocess.run(["man", "-l", page], capture_output=True, text=True, env=env, timeout=60)
    if r.returncode != 0 or r.stderr.strip():
        sys.exit(f"man -l {page}: exit {r.returncode}: {r.stderr.strip()}")
    text = re.sub(r".\x08", "", r.stdout)
    return text.replace("\u2010", "-").replace("\u2212", "-").replace("\u2011", "-")


def find_page(mandir, name):
    pages = glob.glob(os.path.join(mandir, name + ".[1-8]"))
    return pages[0] if pages else None


def main():
    binary, mandir, srcdir = sys.argv[1:4]
    errors = []
    top = run([binary, "--help"])
    commands = []
    in_commands = False
    for line in top.split("\n"):
        if line.endswith(":") and not line.startswith(" "):
            in_commands = line == "Commands:"
        elif in_commands and line.startswith("  ") and line.strip():
            commands.append(line.split()[0])
    commands = [c for c in commands if c != "help"]
    if len(commands) < 5:
        errors.append(f"smtptls --help lists only {commands}")
    table = {}
    for line in run([binary, "--list-options"]).split("\n"):
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        for c in cols[3].split(","):
            table.setdefault(c, set()).add("--" + cols[0])
            if cols[1] != "-":
                table[c].add("-" + cols[1])
    checked = 0
    for cmd in [""] + commands:
        name = "smtptls-" + cmd if cmd else "smtptls"
        page = find_page(mandir, name)
        if not page:
            errors.append(f"no page {name} for command '{cmd}'")
            continue
        text = rendered(page)
        help_text = run([binary] + ([cmd] if cmd else []) + ["--help"])
        want = help_options(help_text)
        want |= table.get(cmd, set())
        # a command whose usage names no options (keygen FILE) has none to
        # check; any other with none found means the help was misread
        if cmd and not want and re.search(r"OPTION", help_text):
            errors.append(f"{cmd}: --help shows no option")
        for opt in sorted(want):
            checked += 1
            if not re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text):
                errors.append(f"{name}: option {opt} of --help is not in the page")
    # pages of other programs (man/*.md with a "program:" field)
    for src in sorted(glob.glob(os.path.join(srcdir, "man", "*.md"))):
        with open(src, encoding="utf-8") as f:
            head = f.read().split("\n---\n", 1)[0]
        prog = re.search(r"^program:\s*(\S+)", head, re.M)
        name = re.search(r"^name:\s*(\S+)", head, re.M)
        if not prog:
            continue
        page = find_page(mandir, name.group(1))
        if not page:
            errors.append(f"no page {name.group(1)}")
            continue
        text = rendered(page)
        want = help_options(run([os.path.join(srcdir, prog.group(1)), "--help"]))
        if not want:
            errors.append(f"{prog.group(1)}: --help shows no option")
        for opt in sorted(want):
            checked += 1
            if not re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text):
                errors.append(f"{name.group(1)}: option {opt} of --help is not in the page")
    records = find_page(mandir, "smtptls-records")
    if not records:
        errors.append("no page smtptls-records")
    else:
        text = rendered(records)
        with open(os.path.join(srcdir, "docs", "schema.md"), encoding="utf-8") as f:
            schema = f.read()
        for head in re.findall(r"^##+ (.*)$", schema, re.M):
            head = head.replace("`", "")
            if head.upper() not in text and head not in text:
                errors.append(f"smtptls-records: section '{head}' of docs/schema.md missing")
        for key in re.findall(r"^\| `([\w.-]+)`", schema, re.M):
            checked += 1
            if not re.search(r"(?<![\w-])" + re.escape(key) + r"(?![\w-])", text):
                errors.append(f"smtptls-records: key {key} of docs/schema.md missing")
    for e in errors:
        print("FAIL", e)
    print(f"{len(commands)} commands, {checked} options and keys checked, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
