"""The open data package (pop_analytics.open_data, `publish`): valid for frictionless-py, the same
figures as the dashboard, and nothing in it that donors may not see."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import frictionless
import pandas as pd
import pytest
from conftest import TODAY, run_cli, tirane_activities

from pop_analytics import kpis, open_data, queries, reading, store, validate
from pop_analytics.database import Database
from pop_analytics.filters import Filters
from pop_analytics.scope import DONOR_SIGHT, EVERYTHING, Sight, published

RESOURCES = ["priorities", "priority_statuses", "activities_by_month", "reported_figures", "targets"]


def package_of(db: Path, sight: Sight = DONOR_SIGHT) -> open_data.Package:
    with Database(db).reading(sight=sight) as con:
        return open_data.build(con)


def csv_rows(package: open_data.Package, name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(package.files()[f"{name}.csv"]), keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def published_demo(demo_db: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("open") / "package"
    result = run_cli("publish", out, db=demo_db)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (f"Open data package written to {out}: datapackage.json and 5 CSV files, "
                             "1,306 rows of approved data.\n")
    return out


# Each resource's rows, counted from what donors see.
COUNTS = {
    "priorities": "SELECT count(*) FROM current_priorities",
    "priority_statuses": "SELECT count(*) FROM current_priority_status",
    "activities_by_month": "SELECT count(*) FROM (SELECT DISTINCT municipality, cycle, year, month, type "
                           "FROM current_activities)",
    "reported_figures": "SELECT count(*) FROM current_figures",
    "targets": "SELECT count(*) FROM current_targets",
}


def test_the_published_package_is_valid_for_frictionless_foreign_keys_and_enums_included(published_demo, demo_db):
    report = frictionless.validate(str(published_demo / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    assert sorted(path.name for path in published_demo.iterdir()) == sorted(
        ["datapackage.json", *(f"{name}.csv" for name in RESOURCES)])
    assert [task.name for task in report.tasks] == RESOURCES
    with Database(demo_db).reading(sight=DONOR_SIGHT) as con:
        expected = {name: con.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}
    assert {task.name: task.stats["rows"] for task in report.tasks} == expected
    assert sum(expected.values()) == 1306  # as the command said
    assert {task.name: task.warnings for task in report.tasks} == {name: [] for name in RESOURCES}


# A row each that the schema must refuse: a status outside the vocabulary, a status of a priority the
# package does not hold, a negative count.
BROKEN = {
    "status": ("priority_statuses.csv", ",partially,", ",done,", "constraint-error"),
    "priority": ("priority_statuses.csv", "DUR-01,2020", "DUR-99,2020", "foreign-key"),
    "count": ("activities_by_month.csv", "workshop,2,35,", "workshop,-2,35,", "constraint-error"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_the_schema_refuses_a_row_outside_it(published_demo, tmp_path, case):
    file_name, old, new, error = BROKEN[case]
    copy = tmp_path / "package"
    shutil.copytree(published_demo, copy)
    text = (copy / file_name).read_text(encoding="utf-8")
    assert old in text
    (copy / file_name).write_text(text.replace(old, new, 1), encoding="utf-8")
    report = frictionless.validate(str(copy / "datapackage.json"))
    assert not report.valid
    assert [(task.name, [e.type for e in task.errors]) for task in report.tasks if task.errors] == [
        (file_name.removesuffix(".csv"), [error])]


def as_of(db: Path):
    with Database(db).reading(sight=DONOR_SIGHT) as con:
        return queries.data_as_of(con)["latest"]


def test_the_descriptor_names_licence_publisher_sources_the_date_of_the_data_and_both_languages(published_demo,
                                                                                                 demo_db):
    package = frictionless.Package(str(published_demo / "datapackage.json"))
    assert package.name == "pop-network-monitoring"
    assert package.title.startswith("POP Network monitoring data")
    english, albanian = package.description.split("\n")
    assert english.startswith("Civil-society organisations of the POP Network")
    assert albanian.startswith("Organizatat e shoqërisë civile të Rrjetit POP")
    assert package.licenses == [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}]
    assert package.contributors == [{"title": "POP Network", "role": "publisher"}]
    assert [source["title"] for source in package.sources] == [
        "aktivitetet.csv (import 1)", "prioritetet_2019_2023.csv (import 2)", "prioritetet_2023_2027.csv (import 3)",
        "shifrat.csv (import 4)", "synimet.csv (import 5)"]
    # the date of the data (the latest approval), with its offset from UTC
    assert dt.datetime.fromisoformat(package.created) == as_of(demo_db).replace(microsecond=0).astimezone()
    status = package.get_resource("priority_statuses").schema.get_field("status")
    assert status.constraints["enum"] == ["fully", "partially", "not_addressed"]
    assert status.description == ("How far the priority was addressed that year\nSa është adresuar prioriteti atë vit "
                                  "(fully: fully addressed / Plotësisht; partially: partially addressed / "
                                  "Pjesërisht; not_addressed: not addressed / Nuk është adresuar)")
    assert [r.title for r in package.resources] == [
        "Citizens' priorities in the Social Contracts", "How far each priority was addressed, year by year",
        "Monitoring and participation activities, by municipality, month and type", "Figures reported as totals",
        "The project's targets and what was achieved"]


def latest_counts(statuses: pd.DataFrame, cycle: str) -> dict:
    """The priorities of one cycle at their latest status, from the package's CSV alone."""
    mine = statuses[statuses["cycle"] == cycle].sort_values("year").groupby(["municipality", "code"]).tail(1)
    counted = {s: int((mine["status"] == s).sum()) for s in kpis.STATUSES}
    return kpis.priority_counts([{"total": len(mine), **counted}])


@pytest.mark.parametrize("cycle", ["2019-2023", "2023-2027"])
def test_the_package_gives_the_dashboards_priority_shares_for_each_cycle(demo_db, cycle):
    package = package_of(demo_db)
    with Database(demo_db).reading(sight=DONOR_SIGHT) as con:
        shown = kpis.kpis(con, Filters(cycle=cycle))["priorities"]
    assert latest_counts(csv_rows(package, "priority_statuses"), cycle) == shown


@pytest.mark.parametrize("chosen", [Filters(), Filters(year=(2023,)), Filters(municipality=("Tiranë", "Vlorë"))],
                         ids=["all", "2023", "two_municipalities"])
def test_the_package_gives_the_dashboards_activity_figures(demo_db, chosen):
    activities = csv_rows(package_of(demo_db), "activities_by_month")
    if chosen.year:
        activities = activities[activities["year"].isin(chosen.year)]
    if chosen.municipality:
        activities = activities[activities["municipality"].isin(chosen.municipality)]
    with Database(demo_db).reading(sight=DONOR_SIGHT) as con:
        shown = kpis.kpis(con, chosen)["activities"]
    totals = {key: int(activities[key].sum()) for key in ("events", "participants", "women", "men", "youth")}
    totals["women_pct"] = kpis.women_pct(activities["women_in_split"].sum(), activities["men_in_split"].sum())
    by_type = activities.groupby("type")[["events", "participants"]].sum()
    totals["by_type"] = {key: {"events": int(by_type.loc[key, "events"]) if key in by_type.index else 0,
                               "participants": int(by_type.loc[key, "participants"]) if key in by_type.index else 0}
                         for key in shown["by_type"]}
    assert totals == shown


def store_submitted(db: Path, path: Path) -> int:
    batch = validate.validate(reading.read(path.read_bytes(), path.name), today=TODAY)
    with Database(db).writing() as con:
        import_id, _ = store.write(con, batch, path.name, hashlib.sha256(path.read_bytes()).hexdigest(),
                                   who="arta", review="submitted", audit=("10.0.0.7", "import"))
    return import_id


def test_a_submitted_import_changes_no_byte_of_the_package_until_it_is_approved(demo_copy, tmp_path):
    before = package_of(demo_copy).files()
    import_id = store_submitted(demo_copy, tirane_activities(tmp_path))
    assert package_of(demo_copy).files() == before
    with Database(demo_copy).writing() as con:
        store.approve(con, import_id, "besa", None, "10.0.0.9")
    after = package_of(demo_copy)
    assert after.files()["priorities.csv"] == before["priorities.csv"]
    assert after.files()["activities_by_month.csv"] != before["activities_by_month.csv"]
    assert after.descriptor["sources"][-1] == {"title": f"Raporti_Tirane_T3_2023.xlsx (import {import_id})"}


def test_no_note_typed_about_a_row_is_anywhere_in_the_package(demo_db):
    with Database(demo_db).reading(sight=EVERYTHING) as con:
        notes = {row[0] for table in ("activities", "priority_status", "figures", "targets")
                 for row in con.execute(f"SELECT DISTINCT note FROM {table} WHERE note IS NOT NULL").fetchall()}
    assert len(notes) > 20  # the demo's notes, which a donor never reads
    text = b"".join(package_of(demo_db).files().values()).decode("utf-8")
    assert sorted(note for note in notes if note in text) == []


def test_a_partners_package_holds_only_their_municipalities(demo_db):
    package = package_of(demo_db, published(Sight(municipalities=("Tiranë",))))
    for name in RESOURCES:
        rows = csv_rows(package, name)
        if "municipality" in rows:
            assert set(rows["municipality"].dropna()) <= {"Tiranë"}, name
    assert set(csv_rows(package, "priorities")["municipality"]) == {"Tiranë"}
    archive = zipfile.ZipFile(io.BytesIO(open_data.zipped(package)))
    assert sorted(archive.namelist()) == sorted(f"pop-network-monitoring/{name}" for name in package.files())
    assert archive.read("pop-network-monitoring/priorities.csv") == package.files()["priorities.csv"]


def test_publishing_over_files_or_into_a_file_is_refused_with_a_sentence(demo_db, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.csv").write_text("x\n")
    (tmp_path / "file").write_text("x\n")
    cases = {
        tmp_path / "full": f"{tmp_path / 'full'} already holds files: give a new or empty folder, so that no file "
                           "of another package is mixed in.",
        tmp_path / "file": f"{tmp_path / 'file'} is a file: the package is written to a folder. Give a folder that "
                           "does not exist yet, or an empty one.",
        tmp_path / "file" / "inside": f"{tmp_path / 'file'} is a file: the package is written to a folder. Give a "
                                      "folder that does not exist yet, or an empty one.",
    }
    for out, sentence in cases.items():
        result = run_cli("publish", out, db=demo_db)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", f"Error: {sentence}\n")
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["old.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "full"]  # nothing staged left behind
