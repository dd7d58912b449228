"""A throw-away PostgreSQL server for the history tests.

initdb into a temporary directory, postgres on a Unix socket there only
(listen_addresses ''), a login role without superuser (its password in a
password file, PGPASSFILE, never on a command line) and one database per
history, with the grants docs/usage.md names. As root, the server runs as
`nobody` (initdb refuses root). Everything is removed on close().

`binaries()` is None when the server binaries are absent: the caller exits
77 then, and only then.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time

ROLE = "smtptls"
ROLE_PASSWORD = "hist-test-only"
ADMIN_PASSWORD = "hist-admin-only"


def free_port():
    """A loopback port nobody listens on now: it names the socket file, and
    the TCP port once enable_tcp() is called."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = free_port()


def binaries():
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(d, "postgres"), os.X_OK) and \
                os.access(os.path.join(d, "initdb"), os.X_OK):
            return d
    return None


class Server:
    def __init__(self):
        self.bin = binaries()
        assert self.bin, "PostgreSQL server binaries absent"
        self.dir = tempfile.mkdtemp(prefix="smtptls-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        os.mkdir(self.sock)
        self.passfile = os.path.join(self.dir, "pgpass")
        with open(self.passfile, "w") as f:
            f.write(f"*:*:*:{ROLE}:{ROLE_PASSWORD}\n*:*:*:postgres:{ADMIN_PASSWORD}\n")
        os.chmod(self.passfile, 0o600)
        self.as_user = []
        if os.geteuid() == 0:
            self.as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
            shutil.chown(self.sock, "nobody", "nogroup")
        self.dbs = 0
        self.listen = ""
        self.proc_log = os.path.join(self.dir, "server.log")
        pw = os.path.join(self.dir, "adminpw")
        with open(pw, "w") as f:
            f.write(ADMIN_PASSWORD + "\n")
        if self.as_user:
            shutil.chown(pw, "nobody", "nogroup")
            os.mkdir(self.data, 0o700)
            shutil.chown(self.data, "nobody", "nogroup")
            open(self.proc_log, "w").close()
            shutil.chown(self.proc_log, "nobody", "nogroup")
        self._run(self.as_user + [os.path.join(self.bin, "initdb"), "-D", self.data,
                                  "-U", "postgres", "--pwfile", pw, "-A", "scram-sha-256",
                                  "-E", "UTF8", "--locale=C.UTF-8", "-N"])
        os.unlink(pw)
        self.start()
        self.admin(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                   f"PASSWORD '{ROLE_PASSWORD}'")

    def _run(self, cmd, check=True):
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=self.dir)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
        return r

    def env(self):
        """What smtptls needs: the password file."""
        e = dict(os.environ)
        e["PGPASSFILE"] = self.passfile
        return e

    def start(self):
        self._run(self.as_user + [
            os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.proc_log, "-w",
            "-t", "60", "-o",
            f"-c listen_addresses='{self.listen}' -c unix_socket_directories='{self.sock}' "
            f"-p {PORT} "
            "-c fsync=off -c max_connections=60", "start"])

    def stop(self):
        self._run(self.as_user + [os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                                  "-m", "fast", "-w", "stop"])

    def enable_tcp(self):
        """Restarts the server listening on 127.0.0.1:PORT as well."""
        self.stop()
        self.listen = "127.0.0.1"
        self.start()

    def psql(self, sql, db="postgres", user="postgres"):
        psql = os.path.join(self.bin, "psql")
        if not os.access(psql, os.X_OK):
            psql = "psql"
        r = subprocess.run([psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", self.sock, "-p", str(PORT), "-U", user, "-d", db,
                            "-c", sql], capture_output=True, text=True, env=self.env())
        if r.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {r.stderr.strip()}")
        return r.stdout

    def admin(self, sql, db="postgres"):
        return self.psql(sql, db)

    def new_db(self, create_grant=True):
        """A new, empty database the role may connect to (and create its
        tables in, unless create_grant is False); its connection URI."""
        self.dbs += 1
        name = f"hist{self.dbs}"
        self.admin(f"CREATE DATABASE {name}")
        self.admin(f"REVOKE ALL ON DATABASE {name} FROM PUBLIC")
        self.admin(f"GRANT CONNECT ON DATABASE {name} TO {ROLE}")
        if create_grant:
            self.admin(f"GRANT USAGE, CREATE ON SCHEMA public TO {ROLE}", name)
        else:
            self.admin(f"GRANT USAGE ON SCHEMA public TO {ROLE}", name)
        return self.uri(name)

    def uri(self, name):
        return f"postgresql:///{name}?host={self.sock}&port={PORT}&user={ROLE}"

    def close(self):
        try:
            self.stop()
        except RuntimeError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
