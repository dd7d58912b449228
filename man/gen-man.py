#!/usr/bin/env python3
"""Writes the manual pages from their one source: each command's --help
(run on the built binary) plus the prose of man/<page>.md, and
smtptls-records(5) from docs/schema.md.

    gen-man.py SMTPTLS OUTDIR SRCDIR [PAGE.md...]

A page source starts with a header block:

    ---
    name: smtptls-analyze
    section: 1
    summary: analyse packet captures of SMTP traffic
    command: analyze            (the --help to read; "" for smtptls --help)
    markdown: docs/schema.md    (instead of command: a document to convert)
    ---

then Markdown sections (## NAME) appended after what --help gives; a
"## DESCRIPTION" section is added to the description the help gives.
"""
import os
import re
import subprocess
import sys
import time


def esc(text):
    """Roff-escapes plain text: backslashes and hyphens."""
    return text.replace("\\", "\\e").replace("-", "\\-")


def line_safe(line):
    """A text line that roff must not read as a request."""
    if line.startswith(".") or line.startswith("'"):
        return "\\&" + line
    return line


def inline(text):
    """Markdown inline markup to roff: `code`, **bold**, *em*, [text](link)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    out = []
    for i, part in enumerate(re.split(r"`([^`]*)`", text)):
        if i % 2:
            out.append("\\fB" + esc(part) + "\\fR")
            continue
        part = esc(part)
        part = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", part)
        part = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", part)
        out.append(part)
    return "".join(out)


def opt_tag(tag):
    """An option row's tag: option names bold, their values italic."""
    out = []
    for word in re.split(r"(\s+|,\s*)", tag):
        if word.startswith("-"):
            name, eq, val = word.partition("=")
            out.append("\\fB" + esc(name) + "\\fR" + (("=\\fI" + esc(val) + "\\fR") if eq else ""))
        elif word.strip(" ,") and re.match(r"^[A-Z][A-Z0-9_.|]*$", word):
            out.append("\\fI" + esc(word) + "\\fR")
        else:
            out.append(esc(word))
    return "".join(out)


def parse_help(text):
    """Splits a --help text into usage lines and blocks: ("head", text),
    ("para", text), ("row", tag, desc)."""
    lines = text.rstrip("\n").split("\n")
    usage = []
    i = 0
    while i < len(lines) and (re.match(r"(?i)^usage:", lines[i]) or
                              (usage and lines[i].startswith(" ") and lines[i].strip())):
        usage.append(re.sub(r"(?i)^usage:\s*", "", lines[i]).strip())
        i += 1
    blocks = []
    para = []
    section = ""

    def flush():
        if para:
            blocks.append(("para", " ".join(para)))
            para.clear()

    for line in lines[i:]:
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if not body:
            flush()
            continue
        is_row = (indent >= 1 and indent <= 8 and
                  (body.startswith("-") or (section == "Commands:" and indent == 2)))
        if is_row:
            flush()
            m = re.match(r"^(.*?\S)(?:\s{2,}(.*))?$", body)
            tag, desc = m.group(1), m.group(2) or ""
            if not desc:
                # a long tag runs into its text with one space
                m = re.match(r"^((?:-[-\w]+(?:[ =][A-Z][\w.|]*)?(?:,\s*)?)+)\s+([a-z(].*)$", body)
                if m:
                    tag, desc = m.group(1), m.group(2)
            blocks.append(["row", tag, desc])
        elif indent > 8 and blocks and blocks[-1][0] == "row" and not para:
            blocks[-1][2] = (blocks[-1][2] + " " + body).strip()
        elif indent == 0 and body.endswith(":") and not para:
            section = body
            blocks.append(("head", body[:-1]))
        else:
            para.append(body)
    flush()
    return usage, blocks


def help_roff(usage, blocks, out, prose_desc, name_words=2):
    """The SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS and SIGNALS sections;
    prose_desc (Markdown) ends the DESCRIPTION."""
    out.append(".SH SYNOPSIS")
    for u in usage:
        words = u.split()
        out.append(".br")
        out.append(line_safe("\\fB" + esc(" ".join(words[:name_words])) + "\\fR " +
                             opt_tag(" ".join(words[name_words:]))))
    out.append(".SH DESCRIPTION")
    trailing = {"Exit status": [], "Signals": []}
    in_options = False
    for b in blocks:
        if b[0] == "para":
            key = next((k for k in trailing if b[1].startswith(k + ":")), None)
            if key:
                trailing[key].append(b[1][len(key) + 1:].strip())
                continue
            out.append(".PP")
            out.append(line_safe(esc(b[1])))
        elif b[0] == "head":
            if not in_options:
                md_roff(prose_desc, out)
                in_options = True
            if b[1].capitalize() in ("Commands", "Options"):
                out.append(".SH " + b[1].upper())
            else:
                if not in_options or out[-1].startswith(".SS") or not any(
                        x.startswith(".SH OPTIONS") for x in out):
                    out.append(".SH OPTIONS")
                out.append(".SS " + esc(b[1]))
        else:
            if not in_options:
                md_roff(prose_desc, out)
                out.append(".SH OPTIONS")
                in_options = True
            out.append(".TP")
            out.append(line_safe(opt_tag(b[1])))
            out.append(line_safe(esc(b[2])))
    for key, name in (("Exit status", "EXIT STATUS"), ("Signals", "SIGNALS")):
        if trailing[key]:
            out.append(".SH " + name)
            for p in trailing[key]:
                out.append(".PP")
                out.append(line_safe(esc(p)))
    return out


def md_roff(text, out, top_level=2):
    """Markdown (the subset docs/ use) to roff. Headings of level top_level
    become .SH, deeper ones .SS; a table becomes a list tagged by its first
    column; a level-1 heading is dropped (the page has its own NAME)."""
    lines = text.split("\n")
    i = 0
    para = []

    def flush():
        if para:
            out.append(".PP")
            out.append(line_safe(inline(" ".join(para))))
            para.clear()

    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(#+)\s+(.*)$", line)
        if m:
            flush()
            level = len(m.group(1))
            title = re.sub(r"`", "", m.group(2))
            if level >= top_level:
                out.append((".SH " if level == top_level else ".SS ") +
                           esc(title.upper() if level == top_level else title))
            i += 1
        elif line.startswith("```"):
            flush()
            i += 1
            out.append(".PP")
            out.append(".RS 4")
            out.append(".nf")
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(line_safe(esc(lines[i])))
                i += 1
            out.append(".fi")
            out.append(".RE")
            i += 1
        elif line.startswith("    ") and not para:
            out.append(".PP")
            out.append(".RS 4")
            out.append(".nf")
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                if not lines[i].strip() and not (i + 1 < len(lines) and lines[i + 1].startswith("    ")):
                    break
                out.append(line_safe(esc(lines[i][4:])))
                i += 1
            out.append(".fi")
            out.append(".RE")
        elif line.startswith("|"):
            flush()
            header = [c.strip() for c in line.strip().strip("|").split("|")]
            i += 2 if i + 1 < len(lines) and re.match(r"^\|[-|: ]+\|?$", lines[i + 1]) else 1
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                out.append(".TP")
                out.append(line_safe(inline(cells[0])))
                rest = [c for c in cells[1:] if c]
                if len(header) >= 3 and len(cells) >= 3:
                    rest = ["(" + cells[1] + ")"] + cells[2:]
                out.append(line_safe(inline(" ".join(rest))))
                i += 1
        elif re.match(r"^\s*[-*] ", line):
            flush()
            item = [re.sub(r"^\s*[-*] ", "", line)]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() \
                    and not re.match(r"^\s*[-*] ", lines[i]):
                item.append(lines[i].strip())
                i += 1
            out.append(".IP \\(bu 2")
            out.append(line_safe(inline(" ".join(item))))
        elif not line.strip():
            flush()
            i += 1
        else:
            para.append(line.strip())
            i += 1
    flush()
    return out


def read_source(path):
    """The header fields and the Markdown body of a page source."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    if not m:
        sys.exit(f"{path}: no header block")
    meta = {}
    for line in m.group(1).split("\n"):
        k, _, v = line.partition(":")
        meta[k.strip()] = v.strip()
    return meta, m.group(2)


def page_date():
    stamp = os.environ.get("SOURCE_DATE_EPOCH")
    t = int(stamp) if stamp else int(time.time())
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def run_help(binary, command):
    args = [binary] + ([command] if command else []) + ["--help"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or not r.stdout.strip():
        sys.exit(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def render(binary, srcdir, path, version):
    meta, body = read_source(path)
    out = ['.\\" Generated by man/gen-man.py from ' + os.path.basename(path) +
           (" and --help" if "command" in meta or "program" in meta else "") + "; do not edit.",
           '.TH "%s" "%s" "%s" "smtptls %s" "smtptls manual"' %
           (meta["name"].upper(), meta["section"], page_date(), version),
           ".nh", ".ad l",
           ".SH NAME", esc(meta["name"]) + " \\- " + esc(meta["summary"])]
    prose_desc, _, rest = "", "", body
    m = re.search(r"^## DESCRIPTION\n(.*?)(?=^## |\Z)", body, re.S | re.M)
    if m:
        prose_desc = m.group(1)
        rest = body[:m.start()] + body[m.end():]
    if "command" in meta or "program" in meta:
        if "program" in meta:
            prog = os.path.join(srcdir, meta["program"])
            r = subprocess.run([prog, "--help"], capture_output=True, text=True, timeout=60, check=True)
            usage, blocks = parse_help(r.stdout)
        else:
            usage, blocks = parse_help(run_help(binary, meta["command"]))
        help_roff(usage, blocks, out, prose_desc, 1 if "program" in meta else 2)
    elif "markdown" in meta:
        with open(os.path.join(srcdir, meta["markdown"]), encoding="utf-8") as f:
            doc = f.read()
        out.append(".SH DESCRIPTION")
        md_roff(prose_desc, out)
        md_roff(doc, out)
    md_roff(rest, out)
    return meta, "\n".join(out) + "\n"


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    binary, outdir, srcdir = sys.argv[1:4]
    sources = sys.argv[4:]
    if not sources:
        mandir = os.path.join(srcdir, "man")
        sources = sorted(os.path.join(mandir, f) for f in os.listdir(mandir) if f.endswith(".md"))
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split()[1]
    os.makedirs(outdir, exist_ok=True)
    for src in sources:
        meta, text = render(binary, srcdir, src, version)
        dest = os.path.join(outdir, "%s.%s" % (meta["name"], meta["section"]))
        with open(dest + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(dest + ".tmp", dest)


if __name__ == "__main__":
    main()
