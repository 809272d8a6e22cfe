"""demo: the demo files load through the normal importer, once, and realise the published figures they claim."""
from __future__ import annotations

import csv

import pytest

from pop_analytics import demo, filters, kpis, reference, store
from pop_analytics.settings import DEMO_DIR

DEMO_FILES = ["aktivitetet.csv", "prioritetet_2019_2023.csv", "prioritetet_2023_2027.csv", "shifrat.csv",
              "synimet.csv"]


@pytest.fixture(scope="module")
def demo_read(demo_db):
    con = store.connect(demo_db, read_only=True)
    yield con
    con.close()


def test_the_demo_files_are_the_five_partner_shaped_csvs():
    assert [p.name for p in demo.files()] == DEMO_FILES
    assert all(p.parent == DEMO_DIR for p in demo.files())


def test_the_demo_loads_as_five_imports_by_the_demo_importer(demo_read):
    assert store.history(demo_read)[["id", "file_name", "kind", "rows", "imported_by", "state"]].values.tolist() == [
        [5, "synimet.csv", "targets", 17, "demo", "stored"],
        [4, "shifrat.csv", "figures", 7, "demo", "stored"],
        [3, "prioritetet_2023_2027.csv", "priorities", 224, "demo", "stored"],
        [2, "prioritetet_2019_2023.csv", "priorities", 511, "demo", "stored"],
        [1, "aktivitetet.csv", "activities", 298, "demo", "stored"],
    ]


def test_loading_the_demo_again_stores_nothing_new(demo_con):
    before = store.snapshot(demo_con)
    reports = demo.load(demo_con)
    assert [(r.status, r.import_id, r.rows) for r in reports] == [("duplicate", i, 0) for i in (1, 2, 3, 4, 5)]
    assert store.snapshot(demo_con) == before
    assert len(store.history(demo_con)) == 5


def test_the_demo_loads_without_errors_and_with_one_expected_warning(con):
    reports = demo.load(con)
    assert [(r.status, r.errors) for r in reports] == [("imported", [])] * 5
    assert [[w.code for w in r.warnings] for r in reports] == [["partner_filled"], [], [], [], []]


def test_every_demo_row_says_whether_it_is_published_or_invented():
    for path in demo.files():
        with open(path, encoding="utf-8", newline="") as handle:
            sources = {row["Burimi"] for row in csv.DictReader(handle)}
        assert all(s.startswith("published") or s == "invented for the demo" for s in sources), (path.name, sources)


def test_the_newsletter_rows_of_autumn_2023_add_up_to_52_events_and_1157_participants(demo_read):
    rows = demo_read.execute("""SELECT type, sum(events), coalesce(sum(participants), 0) FROM activities
                                WHERE date BETWEEN DATE '2023-09-01' AND DATE '2023-11-30'
                                GROUP BY type ORDER BY type""").fetchall()
    assert rows == [("focus_group", 33, 571), ("participatory_budgeting", 17, 586), ("public_forum", 2, 0)]
    assert sum(r[1] for r in rows) == 52
    assert sum(r[2] for r in rows) == 1157


def test_the_newsletters_headline_is_kept_as_reported_beside_the_itemised_rows(demo_read):
    figures = """SELECT indicator, value FROM figures WHERE year = ? ORDER BY indicator"""
    assert demo_read.execute(figures, [2023]).fetchall() == [
        ("events", 62.0), ("participants", 1000.0)]
    assert demo_read.execute(figures, [2025]).fetchall() == [
        ("candidates_engaged", 42.0), ("monitoring_reports", 10.0), ("persons_reached", 129466.0),
        ("unique_participants", 2984.0)]


def test_the_demo_covers_the_municipalities_that_were_members_in_each_year(demo_read):
    counts = demo_read.execute("""SELECT year, count(DISTINCT municipality) FROM activities
                                  GROUP BY year ORDER BY year""").fetchall()
    assert counts == [(2019, 9), (2020, 9)] + [(year, 12) for year in range(2021, 2025)] + [(2025, 10)]
    priorities = demo_read.execute("SELECT cycle, count(*) FROM priorities GROUP BY cycle ORDER BY cycle").fetchall()
    assert priorities[0] == ("2019-2023", 137)


# ----------------------------------------------------------------------------------- network membership

ORIGINAL_NINE = ["Durrës", "Fier", "Kamëz", "Kukës", "Pogradec", "Pukë", "Shkodër", "Tiranë", "Vlorë"]
TWELVE = sorted([*ORIGINAL_NINE, "Elbasan", "Korçë", "Vau i Dejës"])


@pytest.mark.parametrize(
    ("municipality", "member_since", "first_activity_year", "first_status_year"),
    [
        ("Tiranë", 2019, 2019, 2020),
        ("Durrës", 2019, 2019, 2020),
        ("Shkodër", 2019, 2019, 2020),
        ("Kukës", 2019, 2019, 2020),
        ("Pukë", 2019, 2019, 2020),
        ("Vlorë", 2019, 2019, 2020),
        ("Fier", 2019, 2019, 2020),
        ("Kamëz", 2019, 2019, 2020),
        ("Pogradec", 2019, 2019, 2020),
        ("Elbasan", 2021, 2021, 2021),
        ("Korçë", 2021, 2021, 2021),
        ("Vau i Dejës", 2021, 2021, 2021),
    ],
)
def test_no_demo_row_is_earlier_than_the_municipality_joined_the_network(
        demo_read, municipality, member_since, first_activity_year, first_status_year):
    assert reference.municipality(municipality).pop_member_since == member_since
    first = """SELECT min(year) FROM {table} WHERE municipality = ?"""
    assert demo_read.execute(first.format(table="activities"), [municipality]).fetchone()[0] == first_activity_year
    assert demo_read.execute("SELECT min(year(date)) FROM activities WHERE municipality = ?",
                             [municipality]).fetchone()[0] == first_activity_year
    assert demo_read.execute(first.format(table="priority_status"), [municipality]).fetchone()[0] == first_status_year
    earlier = """SELECT count(*) FROM {table} WHERE municipality = ? AND year < ?"""
    assert [demo_read.execute(earlier.format(table=table), [municipality, member_since]).fetchone()[0]
            for table in ("activities", "priority_status", "figures")] == [0, 0, 0]
    assert demo_read.execute("""SELECT count(*) FROM figures WHERE municipality = ?
                                AND least(year(date_from), year(date_to)) < ?""",
                             [municipality, member_since]).fetchone()[0] == 0


def test_the_demo_has_no_row_of_a_municipality_outside_the_network(demo_read):
    members = list(reference.pop_municipalities())
    for table in ("activities", "priority_status", "figures"):
        found = demo_read.execute(
            f"SELECT DISTINCT municipality FROM {table} WHERE municipality IS NOT NULL").fetchall()
        assert {m for (m,) in found} <= set(members), table


@pytest.mark.parametrize(
    ("year", "covered", "names"),
    [
        (2019, 9, ORIGINAL_NINE),
        (2020, 9, ORIGINAL_NINE),  # the first monitoring year: the published figures cover 9 municipalities
        (2021, 12, TWELVE),
        (2022, 12, TWELVE),
        (2023, 12, TWELVE),
    ],
)
def test_municipalities_covered_each_year_are_the_members_of_that_year(demo_read, year, covered, names):
    result = kpis.kpis(demo_read, filters.resolve(year=year))
    assert result["municipalities_covered"] == covered
    assert [m["municipality"] for m in result["by_municipality"]] == names


def test_the_first_monitoring_year_covers_the_nine_municipalities_of_the_published_split(demo_read):
    result = kpis.kpis(demo_read, filters.resolve(year=2020))
    assert result["municipalities_covered"] == 9
    assert (result["priorities"]["fully_pct"], result["priorities"]["partially_pct"],
            result["priorities"]["not_addressed_pct"]) == (17.0, 58.0, 25.0)
    assert [(m["municipality"], m["priorities"]) for m in result["by_municipality"]] == [
        (name, 12 if name == "Tiranë" else 11) for name in ORIGINAL_NINE]


def test_the_demo_covers_the_10_municipalities_the_2025_key_figures_say_were_monitored(demo_read):
    """Published: 10 municipalities monitored in 2025, 10 monitoring reports. Kamëz and Pogradec
    have neither an activity nor a priority status in 2025, so the KPI counts 10, as published."""
    covered = kpis.kpis(demo_read, filters.Filters(year=(2025,)))["municipalities_covered"]
    assert covered == 10
    assert demo_read.execute(
        "SELECT value FROM figures WHERE year = 2025 AND indicator = 'monitoring_reports'").fetchone() == (10.0,)
    for table in ("activities", "priority_status"):
        assert demo_read.execute(f"""SELECT count(*) FROM {table} WHERE year = 2025
                                     AND municipality IN ('Kamëz', 'Pogradec')""").fetchone() == (0,), table
    assert kpis.kpis(demo_read, filters.Filters(year=(2024,)))["municipalities_covered"] == 12
