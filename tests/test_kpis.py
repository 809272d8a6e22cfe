"""kpis: the KPIs of the README (› KPI definitions) over current rows, exact on a small hand-counted data
set and on the demo."""
from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import ACTIVITY_HEADERS, PRIORITY_HEADERS, TODAY, import_file, postgres_snapshot, write_csv, write_xlsx

from pop_analytics import filters, kpis, reading, replica, store, validate
from pop_analytics.database import Database
from pop_analytics.errors import ReviewRefused, UndoRefused
from pop_analytics.scope import DONOR_SIGHT, EVERYTHING, Sight
from pop_analytics.stores import open_database

NO_TYPES = {"events": 0, "participants": 0}
ALL_TYPES = ("focus_group", "public_forum", "participatory_budgeting", "council_meeting", "workshop", "conference",
             "training", "other")


def by_type(**given) -> dict:
    return {key: given.get(key, NO_TYPES) for key in ALL_TYPES}


def priorities(total, fully, partially, not_addressed, fully_pct, partially_pct, not_addressed_pct,
               addressed_pct) -> dict:
    return {"total": total, "fully": fully, "partially": partially, "not_addressed": not_addressed,
            "fully_pct": fully_pct, "partially_pct": partially_pct, "not_addressed_pct": not_addressed_pct,
            "addressed_pct": addressed_pct}


NONE = (None, None, None, None)


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    """A hand-counted data set: 7 priorities in two municipalities and two cycles, 5 activity rows."""
    tmp_path = tmp_path_factory.mktemp("small")
    def p(cycle, place, code, theme, year, status):
        return [cycle, place, code, f"Prioriteti {code}", theme, year, status, None]
    priorities = write_xlsx(tmp_path / "prioritetet.xlsx", {"Prioritetet": [
        PRIORITY_HEADERS,
        p("2019-2023", "Fier", "F1", "Uji i pijshëm", 2020, "Nuk është adresuar"),
        p("2019-2023", "Fier", "F1", "Uji i pijshëm", 2021, "Pjesërisht"),
        p("2019-2023", "Fier", "F1", "Uji i pijshëm", 2022, "Plotësisht"),
        p("2019-2023", "Fier", "F2", "Rrugët", 2020, "Pjesërisht"),
        p("2019-2023", "Fier", "F2", "Rrugët", 2021, "Pjesërisht"),
        p("2019-2023", "Fier", "F3", "Transporti publik", 2021, "Pa adresuar"),
        p("2019-2023", "Fier", "F4", "Kopshte", 2020, "Plotësisht"),
        p("2019-2023", "Durrës", "D1", "Uji i pijshëm", 2021, "Plotësisht"),
        p("2019-2023", "Durrës", "D2", "Rrugët", 2021, "Nuk është realizuar"),
        p("2023-2027", "Fier", "G1", "Uji i pijshëm", 2024, "Pjesërisht"),
    ]})
    activities = write_xlsx(tmp_path / "aktivitetet.xlsx", {"Aktivitetet": [
        ACTIVITY_HEADERS,
        [dt.datetime(2021, 3, 12), "Fier", "Fokus grup", 2, 40, 25, 15, 5, "Uji i pijshëm; Rrugët"],
        [dt.datetime(2021, 6, 5), "Fier", "Trajnim", 1, 20, None, None, None, "Transporti publik"],
        [dt.datetime(2021, 10, 10), "Durrës", "3 forume publike - 90 gra dhe burra", None, None, 50, 40, None,
         "Rrugët"],
        [dt.datetime(2023, 6, 15), "Durrës", "Workshop qytetar", 1, 30, 10, 20, 8, None],
        [dt.datetime(2022, 3, 1), "Fier", "Fokus grup", None, None, 6, 4, None, None],
    ]})
    return priorities, activities


def fill(target, files) -> None:
    for path in files:
        import_file(target, path)


@pytest.fixture(scope="module")
def small_db(small_files, tmp_path_factory):
    path = tmp_path_factory.mktemp("small_db") / "small.duckdb"
    con = store.connect(path)
    fill(con, small_files)
    con.close()
    return path


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def small(request, small_db, small_files):
    """The data set in each store: a DuckDB file, or imported into PostgreSQL and read from the replica."""
    if request.param == "duckdb":
        con = store.connect(small_db, read_only=True)
        yield con
        con.close()
        return
    with postgres_snapshot(request, None, lambda db: fill(db, small_files)) as con:
        yield con


@pytest.fixture
def small_copy(small_db, tmp_path):
    con = store.connect(shutil.copy(small_db, tmp_path / "small.duckdb"))
    yield con
    con.close()


def kpi(con, **chosen) -> dict:
    return kpis.kpis(con, filters.resolve(**chosen))


# ----------------------------------------------------------------------------------- helpers

@pytest.mark.parametrize(("part", "whole", "pct"), [(1, 3, 33.3), (2, 3, 66.7), (102, 137, 74.5), (17, 100, 17.0),
                                                     (0, 5, 0.0), (0, 0, None), (5, 0, None)])
def test_percent_has_one_decimal_and_is_none_when_nothing_is_counted(part, whole, pct):
    assert kpis.percent(part, whole) == pct


# ----------------------------------------------------------------------------------- priorities

def test_whole_kpi_object_without_filters(small):
    assert kpi(small) == {
        "filters": {"municipality": [], "year": [], "theme": [], "cycle": None},
        "priorities": {"total": 7, "fully": 3, "partially": 2, "not_addressed": 2, "fully_pct": 42.9,
                       "partially_pct": 28.6, "not_addressed_pct": 28.6, "addressed_pct": 71.4},
        "activities": {"events": 8, "participants": 190, "women": 91, "men": 79, "youth": 13, "women_pct": 53.5,
                       "by_type": by_type(focus_group={"events": 3, "participants": 50},
                                          public_forum={"events": 3, "participants": 90},
                                          workshop={"events": 1, "participants": 30},
                                          training={"events": 1, "participants": 20})},
        "by_municipality": [
            {"municipality": "Durrës", "events": 4, "participants": 120, "priorities": 2, "addressed_pct": 50.0},
            {"municipality": "Fier", "events": 4, "participants": 70, "priorities": 5, "addressed_pct": 80.0},
        ],
        "municipalities_covered": 2,
    }


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ({}, priorities(7, 3, 2, 2, 42.9, 28.6, 28.6, 71.4)),  # each priority's latest status
        ({"year": 2021}, priorities(5, 1, 2, 2, 20.0, 40.0, 40.0, 60.0)),  # the status observed in 2021
        # the latest among 2020-2021 (F4 is observed in 2020 only)
        ({"year": [2020, 2021]}, priorities(6, 2, 2, 2, 33.3, 33.3, 33.3, 66.7)),
        ({"year": 2020}, priorities(3, 1, 1, 1, 33.3, 33.3, 33.3, 66.7)),
        ({"year": 2019}, priorities(0, 0, 0, 0, *NONE)),
        ({"theme": "Uji i pijshëm"}, priorities(3, 2, 1, 0, 66.7, 33.3, 0.0, 100.0)),
        ({"theme": "roads,transport"}, priorities(3, 0, 1, 2, 0.0, 33.3, 66.7, 33.3)),
        ({"cycle": "2023-2027"}, priorities(1, 0, 1, 0, 0.0, 100.0, 0.0, 100.0)),
        ({"cycle": "2019-2023", "year": 2022}, priorities(1, 1, 0, 0, 100.0, 0.0, 0.0, 100.0)),
        ({"municipality": "Durresi"}, priorities(2, 1, 0, 1, 50.0, 0.0, 50.0, 50.0)),
        ({"municipality": "Tirana"}, priorities(0, 0, 0, 0, *NONE)),
    ],
)
def test_priority_shares_per_filter(small, chosen, expected):
    assert kpi(small, **chosen)["priorities"] == expected


def test_nothing_counted_gives_null_percentages(small):
    assert kpi(small, year=2019)["priorities"] == {"total": 0, "fully": 0, "partially": 0, "not_addressed": 0,
                                                   "fully_pct": None,
                                      "partially_pct": None, "not_addressed_pct": None, "addressed_pct": None}


# ----------------------------------------------------------------------------------- activities

def test_activities_of_a_calendar_year(small):
    assert kpi(small, year=2021)["activities"] == {
        "events": 6, "participants": 150, "women": 75, "men": 55, "youth": 5,
        "women_pct": 57.7,  # (25 + 50) / (25 + 15 + 50 + 40): the training without a split does not count
        "by_type": by_type(focus_group={"events": 2, "participants": 40},
                           public_forum={"events": 3, "participants": 90},
                           training={"events": 1, "participants": 20}),
    }


@pytest.mark.parametrize(
    ("chosen", "events", "participants"),
    [
        ({"theme": "roads"}, 5, 130),                  # an activity counts for a theme when any of its themes matches
        ({"theme": "water,roads"}, 5, 130),            # and only once
        ({"theme": "transport"}, 1, 20),
        ({"cycle": "2023-2027"}, 1, 30),               # 15.06.2023 falls after the elections of 14 May 2023
        ({"cycle": "2019-2023"}, 7, 160),
        ({"municipality": "Fier", "year": 2022}, 1, 10),  # one event when not given; women + men when no total
        ({"year": 2024}, 0, 0),
    ],
)
def test_activity_totals_per_filter(small, chosen, events, participants):
    activities = kpi(small, **chosen)["activities"]
    assert (activities["events"], activities["participants"]) == (events, participants)


def test_a_municipality_in_scope_without_data_is_listed_with_zeros(small):
    result = kpi(small, municipality="Tirana")
    assert result["by_municipality"] == [
        {"municipality": "Tiranë", "events": 0, "participants": 0, "priorities": 0, "addressed_pct": None}]
    assert result["municipalities_covered"] == 0
    assert result["activities"] == {"events": 0, "participants": 0, "women": 0, "men": 0, "youth": 0,
                                    "women_pct": None, "by_type": by_type()}


def test_replaced_rows_do_not_count(small_copy, tmp_path):
    small = small_copy
    import_file(small, write_xlsx(tmp_path / "fier_mars_2021.xlsx", {"Aktivitetet": [
        ACTIVITY_HEADERS, [dt.datetime(2021, 3, 30), "Fier", "Fokus grup", 5, 100, 60, 40, None, "Uji i pijshëm"]]}))
    assert kpi(small, municipality="Fier", year=2021)["activities"]["by_type"]["focus_group"] == {
        "events": 5, "participants": 100}
    assert small.execute("SELECT count(*) FROM activities WHERE superseded_by IS NOT NULL").fetchone()[0] == 1


# ----------------------------------------------------------------------------------- the demo data set

@pytest.fixture(scope="module")
def demo(demo_db):
    con = store.connect(demo_db, read_only=True)
    yield con
    con.close()


def test_demo_first_monitoring_year_matches_the_published_figures(demo):
    assert kpi(demo, year=2020)["priorities"] == {
        "total": 100, "fully": 17, "partially": 58, "not_addressed": 25,
        "fully_pct": 17.0, "partially_pct": 58.0, "not_addressed_pct": 25.0, "addressed_pct": 75.0}


def test_demo_end_of_the_2019_2023_cycle_matches_the_published_figure(demo):
    result = kpi(demo, year=2023, cycle="2019-2023")
    assert result["priorities"] == {
        "total": 137, "fully": 60, "partially": 42, "not_addressed": 35,
        "fully_pct": 43.8, "partially_pct": 30.7, "not_addressed_pct": 25.5, "addressed_pct": 74.5}
    assert len(result["by_municipality"]) == 12


def test_demo_2025_key_figures_are_itemised(demo):
    by_type_2025 = kpi(demo, year=2025)["activities"]["by_type"]
    assert by_type_2025["council_meeting"]["events"] == 120
    assert by_type_2025["workshop"]["events"] == 32
    assert by_type_2025["public_forum"]["events"] == 7


def test_demo_2023_forums_with_candidates(demo):
    assert kpi(demo, year=2023, cycle="2023-2027")["activities"]["by_type"]["public_forum"]["events"] == 16 + 2


@pytest.mark.parametrize(("counts", "points"), [
    ((60, 137, 38, 137), 16.1), ((42, 137, 64, 137), -16.1),  # 2019-2023, 2022 → 2023: equal and opposite
    ((1, 16, 0, 16), 6.2), ((0, 16, 1, 16), -6.2),            # 6.25 points: half to even, either way alike
    ((1, 3, 1, 3), 0.0), ((1, 0, 1, 3), None), ((1, 3, 0, 0), None),
])
def test_a_change_of_a_share_is_taken_from_the_counts_and_rounded_once(counts, points):
    assert kpis.points(*counts) == points


# ----------------------------------------------------------------------------------- overdue promises

PINNED = dt.date(2026, 12, 6)


# own due date, cycle, latest status → deadline, days left on PINNED, overdue (hand-worked)
OVERDUE_TABLE = [
    pytest.param(dt.date(2025, 6, 30), "2023-2027", "partially", dt.date(2025, 6, 30), -524, True,
                 id="own_due_past_partially"),
    pytest.param(dt.date(2025, 6, 30), "2023-2027", "not_addressed", dt.date(2025, 6, 30), -524, True,
                 id="own_due_past_not_addressed"),
    pytest.param(dt.date(2025, 6, 30), "2023-2027", "fully", dt.date(2025, 6, 30), -524, False,
                 id="own_due_past_fully"),
    pytest.param(dt.date(2027, 3, 31), "2019-2023", "partially", dt.date(2027, 3, 31), 115, False,
                 id="own_due_future_beats_a_cycle_end_past"),
    pytest.param(None, "2019-2023", "partially", dt.date(2023, 12, 31), -1071, True, id="cycle_end_past_partially"),
    pytest.param(None, "2019-2023", "not_addressed", dt.date(2023, 12, 31), -1071, True,
                 id="cycle_end_past_not_addressed"),
    pytest.param(None, "2019-2023", "fully", dt.date(2023, 12, 31), -1071, False, id="cycle_end_past_fully"),
    pytest.param(None, "2023-2027", "not_addressed", dt.date(2027, 12, 31), 390, False,
                 id="cycle_end_future_not_addressed"),
    pytest.param(None, "2023-2027", "partially", dt.date(2027, 12, 31), 390, False, id="cycle_end_future_partially"),
    pytest.param(dt.date(2026, 12, 6), "2023-2027", "partially", dt.date(2026, 12, 6), 0, False,
                 id="due_today_is_not_yet_overdue"),
    pytest.param(dt.date(2026, 12, 5), "2023-2027", "partially", dt.date(2026, 12, 5), -1, True,
                 id="due_yesterday_is_overdue"),
]


@pytest.mark.parametrize(("due", "cycle", "status", "deadline", "days_left", "overdue"), OVERDUE_TABLE)
def test_a_priority_is_overdue_past_its_deadline_unless_fully_addressed(due, cycle, status, deadline, days_left,
                                                                        overdue):
    assert kpis.deadline(due, cycle) == deadline
    assert kpis.overdue(deadline, status, PINNED) is overdue
    table = kpis.with_deadlines(pd.DataFrame({"cycle": [cycle], "status": [status],
                                              "due": [pd.NaT if due is None else pd.Timestamp(due)]}), PINNED)
    assert table[["deadline", "days_left", "overdue"]].to_dict("records") == [
        {"deadline": pd.Timestamp(deadline), "days_left": days_left, "overdue": overdue}]


# ── the activities' sums the store keeps (store.ACTIVITY_TOTALS_SQL) ─────────────────────────────────

PLACES = ("Tiranë", "Durrës", "Fier")
KINDS = ("Fokus grup", "Trajnim", "Forum publik", "Workshop qytetar")
THEMES = (None, "Uji i pijshëm", "Rrugët; Transporti publik", "Kopshte; Uji i pijshëm")
# Who reads: everyone's rows, donors', a partner's, and approved rows of two municipalities.
SIGHTS = (EVERYTHING, DONOR_SIGHT, Sight(municipalities=("Tiranë",), notes=False),
          Sight(approved_only=True, municipalities=("Durrës", "Fier")))
CHOSEN = ({}, {"year": "2022"}, {"municipality": "Fier,Tiranë"}, {"theme": "water"}, {"cycle": "2023-2027"},
          {"municipality": "Durrës", "year": "2023,2024", "theme": "roads,transport"})
# An until after every activity: the KPI object then sums the rows themselves, the answer to compare with.
AFTER_ALL = dt.date(2100, 1, 1)


def random_activities(draw: random.Random, directory: Path, number: int) -> Path:
    """A sheet of a few activity rows in a few municipalities and months, some without counts or
    without the women/men split."""
    rows = [ACTIVITY_HEADERS]
    months = [(draw.choice((2022, 2023, 2024)), draw.randint(1, 12)) for _ in range(draw.randint(1, 3))]
    for _ in range(draw.randint(1, 8)):
        year, month = draw.choice(months)
        women = draw.choice((None, draw.randint(0, 30)))
        men = draw.choice((None, draw.randint(0, 30)))
        participants = draw.choice((None, (women or 0) + (men or 0) + draw.randint(0, 10)))
        youth = None if participants is None else draw.choice((None, draw.randint(0, participants)))
        rows.append([dt.datetime(year, month, draw.randint(1, 28)), draw.choice(PLACES), draw.choice(KINDS),
                     draw.randint(1, 3), participants, women, men, youth, draw.choice(THEMES)])
    return write_csv(directory / f"aktivitetet_{number}.csv", rows)


def random_step(draw: random.Random, db: Database, directory: Path, number: int) -> str:
    """One of what changes activities and their marks: storing a file (approved or waiting, replacing
    its months or added beside them), approving, rejecting or undoing an import. What the store refuses
    (an undo of an import replaced later) is a step too."""
    action = draw.choice(("store", "store", "store", "approve", "reject", "undo"))
    try:
        with db.writing() as con:
            waiting = [i for i, in con.execute(
                f"SELECT id FROM imports WHERE {store.IMPORT_STATUS_SQL} = 'submitted' ORDER BY id").fetchall()]
            stored = [i for i, in con.execute("SELECT id FROM imports WHERE state = 'stored' ORDER BY id").fetchall()]
            if action == "store" or (action in ("approve", "reject") and not waiting):
                path = random_activities(draw, directory, number)
                batch = validate.validate(reading.read(path.read_bytes(), path.name), today=TODAY)
                review, mode = draw.choice(("approved", "submitted")), draw.choice(store.MODES)
                store.write(con, batch, path.name, f"{number:064x}", review=review, mode=mode)
                return f"store {review} {mode}"
            if action == "approve":
                store.approve(con, draw.choice(waiting), "koordinatori")
            elif action == "reject":
                store.reject(con, draw.choice(waiting), "koordinatori", "Të dhënat nuk përputhen.")
            else:
                store.undo(con, draw.choice(stored))
    except (UndoRefused, ReviewRefused):
        return f"{action} refused"
    return action


# The activities' sums at the finest grain the filters and the KPI object use: equal from the kept
# sums and from the rows, they are equal for every filter set.
FINEST = """SELECT municipality, type, year, cycle, theme_mask, sum(events), sum(participants), sum(women),
                   sum(men), sum(youth), {split}
            FROM {source} GROUP BY ALL ORDER BY ALL"""
FROM_SUMS = FINEST.format(split="sum(split_women), sum(split_men)", source="current_activity_totals")
FROM_ROWS = FINEST.format(split=f"sum(women) FILTER (WHERE {store.SPLIT_GIVEN}), sum(men) FILTER (WHERE "
                                f"{store.SPLIT_GIVEN})", source="current_activities")


def assert_sums_match_the_rows(db: Database, step: str, sights: tuple[Sight, ...] = (EVERYTHING, DONOR_SIGHT),
                               whole: bool = False) -> None:
    """Each reader's kept sums equal the rows' at the finest grain (whole: and every KPI object, from
    the sums and from the rows, is the same for each filter set)."""
    for sight in sights:
        with db.reading(sight=sight) as con:
            assert con.execute(FROM_SUMS).fetchall() == con.execute(FROM_ROWS).fetchall(), (step, sight)
            for chosen in CHOSEN if whole else ():
                chosen_filters = filters.resolve(**chosen)
                from_rows = kpis.kpis(con, chosen_filters, until=AFTER_ALL)
                assert kpis.kpis(con, chosen_filters) == from_rows, (sight, chosen)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_kpi_object_from_the_kept_sums_equals_the_rows_after_random_imports_approvals_and_undos(
        demo_store, tmp_path, seed):
    draw = random.Random(seed)
    db = open_database(demo_store)
    steps = []
    for number in range(30):
        steps.append(random_step(draw, db, tmp_path, number))
        assert_sums_match_the_rows(db, " → ".join(steps))
    assert {step.split()[0] for step in steps} == {"store", "approve", "reject", "undo"}
    assert_sums_match_the_rows(db, "at the end", SIGHTS, whole=True)
    if demo_store.startswith("postgresql"):  # another process's replica loads the sums from PostgreSQL
        replica.release(demo_store)
        assert_sums_match_the_rows(open_database(demo_store), "loaded afresh", SIGHTS, whole=True)
