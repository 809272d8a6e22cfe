"""A throwaway PostgreSQL cluster for the test session (Debian's `postgresql`: initdb and pg_ctl as the
`postgres` user, on a free port, its socket in a temporary folder, stopped at the end), and a fresh
database per test, copied from a template that holds the demo data."""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from pop_analytics import cli, replica

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
            pytest.fail("PostgreSQL is not installed: .ci/run installs Debian's postgresql package")
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


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    cluster = Cluster()
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def postgres_demo(postgres_cluster: Cluster) -> str:
    """The name of a database holding the demo data, to copy (a template has no connection open)."""
    url = postgres_cluster.create()
    assert cli.main(["--db", url, "demo"]) == 0
    replica.release(url)
    return url.rsplit("/", 1)[1]


@pytest.fixture
def new_postgres(postgres_cluster: Cluster, postgres_demo: str) -> Iterator[Callable[..., str]]:
    """Make fresh databases (with the demo data, or empty) for one test; all dropped after it."""
    made: list[str] = []

    def make(demo: bool = True) -> str:
        url = postgres_cluster.create(template=postgres_demo if demo else None)
        made.append(url)
        return url

    yield make
    for url in made:
        postgres_cluster.drop(url)
