"""A throwaway PostgreSQL cluster for the test session (Debian's `postgresql`: initdb and pg_ctl as the
`postgres` user, on a free port, its socket in a temporary folder, stopped at the end), and a fresh
database per test, copied from a template that holds the demo data."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from benchmarks.cluster import PASSWORD, Cluster, ClusterUnavailable
from pop_analytics import cli, replica

__all__ = ["PASSWORD", "Cluster"]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    try:
        cluster = Cluster()
    except ClusterUnavailable as missing:
        pytest.fail(str(missing))
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
