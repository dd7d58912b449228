"""The history backends the history tests run against, one suite for both.

`store_from_argv(bin)` reads an optional `--backend sqlite|pg` after the
test's two usual arguments. A store makes new histories (`new(work, name)`:
an SQLite file, or a new database of a throw-away PostgreSQL server started
here), gives the environment smtptls runs in (`env`: the password file), and
reads a history back the same way for both backends (`dump`: `smtptls
history SPEC --export -`). With the PostgreSQL backend and no server
binaries the test exits 77.
"""
import json
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgserver  # noqa: E402


class Store:
    def __init__(self, kind, binary):
        self.kind, self.bin = kind, binary
        self.pg = pgserver.Server() if kind == "pg" else None
        self.env = self.pg.env() if self.pg else dict(os.environ)

    def new(self, work, name):
        if self.pg:
            return self.pg.new_db()
        return os.path.join(work, f"{name}.db")

    def run(self, args, **kw):
        return subprocess.run([self.bin, *args], env=self.env, **kw)

    def popen(self, args, **kw):
        return subprocess.Popen([self.bin, *args], env=self.env, **kw)

    def export(self, spec):
        p = self.run(["history", spec, "--export", "-"], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"history --export {spec}: {p.stderr.strip()}")
        return p.stdout

    def dump(self, spec, keys):
        """{table: {key tuple: {column: value}}}, keys: {table: key columns};
        the integrity check (SQLite) and the schema version."""
        lines = self.export(spec).splitlines()
        version = json.loads(lines[0])["smtptls_history"]
        out = {t: {} for t in keys}
        for line in lines[1:]:
            row = json.loads(line)
            t = row.pop("table")
            k = tuple(row.pop(c) for c in keys[t])
            out[t][k] = row
        check = "ok"
        if not self.pg:
            con = sqlite3.connect(spec)
            check = con.execute("PRAGMA integrity_check").fetchone()[0]
            con.close()
        return out, check, version

    def close(self):
        if self.pg:
            self.pg.close()


def backend_from_argv():
    args = sys.argv[3:]
    kind = args[args.index("--backend") + 1] if "--backend" in args else "sqlite"
    if kind == "pg" and not pgserver.binaries():
        print("SKIP PostgreSQL server binaries absent")
        sys.exit(77)
    return kind


def store_from_argv(binary):
    return Store(backend_from_argv(), binary)
