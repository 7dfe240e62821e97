"""A PostgreSQL server of the test's own, to stop and start at will (the shared one never is).

    server = OwnPostgres(tmp_path)
    server.start()            # initdb on first use, then pg_ctl start on a free port
    ... server.url ...        # postgresql+asyncpg://postgres@127.0.0.1:<port>/postgres
    server.stop()             # pg_ctl stop -m fast
    server.destroy()          # stopped, and its directory removed

The binaries come from /usr/lib/postgresql/<version>/bin (the newest). Run as root, the
server runs as the `postgres` OS user (`runuser`), in a directory it owns. Tests that use
it are collected only when `DESKBOT_TEST_DATABASE_URL` is set (as every PostgreSQL test),
and then fail, saying what is missing, on a machine without the binaries.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin_dir() -> Path:
    found = sorted((Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")
                    if Path(p, "initdb").exists() and Path(p, "pg_ctl").exists()),
                   key=lambda p: float(p.parent.name) if p.parent.name.replace(".", "").isdigit()
                   else 0.0)
    if not found:
        raise AssertionError(
            "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin: "
            "install the postgresql package to run the database fault tests")
    return found[-1]


def free_port() -> int:
    """A TCP port nothing listens on now (bound to port 0, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OwnPostgres:
    """One throw-away PostgreSQL cluster; see the module docstring."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.home = Path(tempfile.mkdtemp(prefix="deskbot-pg-"))
        self.data = self.home / "data"
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the server runs as `postgres`
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise AssertionError("running as root needs a `postgres` OS user to run "
                                     "the test's own PostgreSQL server") from None
            os.chown(self.home, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._initialised = False

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self._as, *command], capture_output=True, text=True,
                              timeout=60, check=False)
        if done.returncode != 0:
            log = self.home / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise AssertionError(f"{' '.join(command)} failed ({done.returncode}): "
                                 f"{done.stdout}{done.stderr}{tail}")

    def start(self) -> None:
        """Start the server (making the cluster first time round); returns once it answers."""
        if not self._initialised:
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--no-sync")
            self._initialised = True
        options = (f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w",
                  "-t", "30", "-l", str(self.home / "server.log"), "start")

    def stop(self) -> None:
        """Stop the server at once (`-m fast`: sessions are cut, as in a restart)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                  "stop")

    def destroy(self) -> None:
        """Stop the server if it runs, and remove its directory."""
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop()
            except AssertionError:
                pass
        shutil.rmtree(self.home, ignore_errors=True)
