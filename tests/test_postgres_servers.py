"""Two app processes, each with its own replica, on one PostgreSQL database, and the command line
importing beside them: 20 rounds in which every import is stored exactly once and each process
shows it at its next read (through the API, which reads the same replica as the pages); a partner's
submitted import stays out of a donor's figures on the other process until it is approved."""
from __future__ import annotations

import json
import os
import urllib.request
from types import SimpleNamespace

import pytest
from browser_support import start_streamlit, stop
from conftest import run_cli

from pop_analytics import access, accounts, api_tokens
from pop_analytics.stores import open_database

ROUNDS = 20
PARTNER_ROUND = 100  # the round number of the partner's file: its municipality is arta's


def users() -> dict[str, tuple[str, list[str]]]:
    from benchmarks import data as bench_data

    names = bench_data.municipality_names()
    return {"koord": ("coordinator", []), "dora": ("donor", []),
            "arta": ("partner", [names[PARTNER_ROUND % len(names)]])}
PASSWORD = "a long enough passphrase"


@pytest.fixture(scope="module")
def network(postgres_cluster, postgres_demo, tmp_path_factory):
    folder = tmp_path_factory.mktemp("two_servers")
    url = postgres_cluster.create(template=postgres_demo)
    db = open_database(url)
    for name, (role, municipalities) in users().items():
        accounts.add(db, name, role, municipalities, PASSWORD, access.cli_viewer())
    tokens = {name: api_tokens.create(db, name, "test", access.cli_viewer()) for name in users()}
    servers = [start_streamlit({**os.environ, "POP_DB": url}, folder / f"app{i}.log") for i in (1, 2)]
    try:
        yield SimpleNamespace(url=url, folder=folder, tokens=tokens, apps=[address for _, address in servers])
    finally:
        for process, _ in servers:
            stop(process)
        postgres_cluster.drop(url)


def get(network, app: str, path: str, who: str) -> dict:
    request = urllib.request.Request(app + path, headers={"Authorization": f"Bearer {network.tokens[who]}"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def imports_seen(network, app: str) -> list[int]:
    return [row["id"] for row in get(network, app, "/api/v1/imports?limit=1000", "koord")["data"]]


def events_seen(network, app: str, who: str) -> int:
    return int(get(network, app, "/api/v1/kpis", who)["activities"]["events"])


def test_every_import_is_stored_once_and_each_process_shows_it_at_its_next_read(network):
    from benchmarks import data as bench_data  # the generator of small one-month files

    expected = sorted(imports_seen(network, network.apps[0]))
    assert expected == sorted(imports_seen(network, network.apps[1])) == [1, 2, 3, 4, 5]
    events = events_seen(network, network.apps[0], "koord")
    for round_number in range(ROUNDS):
        path = network.folder / f"round_{round_number:02d}.csv"
        added = bench_data.small_activities(path, 30, round_number)
        result = run_cli("import", str(path), "--json", db=network.url)
        assert result.returncode == 0, result.stderr
        [report] = json.loads(result.stdout)
        assert report["status"] == "imported"
        expected.append(report["import_id"])
        events += added
        for app in network.apps:
            assert sorted(imports_seen(network, app)) == expected  # each once, none missing
            assert events_seen(network, app, "koord") == events
    assert expected == list(range(1, 6 + ROUNDS))


def test_a_partners_submitted_import_reaches_a_donor_on_the_other_process_once_approved(network):
    from benchmarks import data as bench_data

    first, other = network.apps
    donors_before = events_seen(network, other, "dora")
    path = network.folder / "partner.csv"
    bench_data.small_activities(path, 12, PARTNER_ROUND)
    result = run_cli("import", str(path), "--as", "arta", "--json", db=network.url)
    assert result.returncode == 0, result.stderr
    [report] = json.loads(result.stdout)
    assert report["review"] == "submitted"
    coordinators = events_seen(network, first, "koord")
    assert events_seen(network, other, "dora") == donors_before
    assert coordinators > events_seen(network, other, "dora")
    approved = run_cli("approve", str(report["import_id"]), db=network.url)
    assert approved.returncode == 0, approved.stderr
    assert events_seen(network, other, "dora") == coordinators
    assert events_seen(network, first, "dora") == coordinators
