"""A throwaway PostgreSQL cluster (Debian's `postgresql`: initdb and pg_ctl as the `postgres` user, on
a free port, its socket in a temporary folder) for the tests and for `make bench`."""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

from pop_analytics import replica


class ClusterUnavailable(RuntimeError):
    """PostgreSQL's programs are not installed."""


# The cluster's password: no output of the application may ever show it.
PASSWORD = "s3cret-Pa55word"


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    """initdb refuses root: as root the cluster belongs to the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One PostgreSQL server; databases made and dropped through its maintenance database."""

    def __init__(self) -> None:
        binaries = _binaries()
        if binaries is None:
            raise ClusterUnavailable("PostgreSQL is not installed: .ci/run installs Debian's postgresql package")
        self.folder = Path(tempfile.mkdtemp(prefix="pop-pg-"))
        self.folder.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.data, self.port = self.folder / "data", _free_port()
        self.pg_ctl = str(binaries / "pg_ctl")
        # Over TCP (every URL the tests give) a password is needed, so that a wrong one is refused
        # and the tests can check that it never shows; the socket (administration) trusts.
        subprocess.run(_as_postgres([str(binaries / "initdb"), "-D", str(self.data), "--auth-local=trust",
                                     "--auth-host=scram-sha-256", "-U", "postgres", "--no-sync", "-E", "UTF8",
                                     "--locale", "C.UTF-8"]),
                       check=True, capture_output=True)
        self.start()
        with psycopg.connect(host=str(self.folder), port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as pg:
            pg.execute(f"ALTER USER postgres PASSWORD '{PASSWORD}'")
        self.base = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}"
        self._names = itertools.count(1)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        subprocess.run(_as_postgres([self.pg_ctl, "-D", str(self.data), "-o", options, "-l",
                                     str(self.folder / "log"), "-w", "start"]), check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(_as_postgres([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"]),
                       check=False, capture_output=True)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def admin(self, statement: str, database: str = "postgres") -> None:
        with psycopg.connect(host=str(self.folder), port=self.port, user="postgres", dbname=database,
                             autocommit=True) as pg:
            pg.execute(statement)

    def create(self, template: str | None = None) -> str:
        name = f"pop_{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)

    def drop(self, url: str) -> None:
        replica.release(url)
        name = url.rsplit("/", 1)[1]
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
