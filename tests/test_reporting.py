"""The reporting calendar on real databases: which municipality reported which period, on time or
late, from hand-worked fixtures (files imported by partners and a coordinator, approved, rejected,
undone, each with the day it arrived), the exact reporting rates (the DHIS2 definitions), the
schedule a coordinator sets, and periods with their keys and labels."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import ACTIVITY_HEADERS, PRIORITY_HEADERS, QUICK, TODAY, write_xlsx

from pop_analytics import approval, importing, reporting, store
from pop_analytics.access import Viewer
from pop_analytics.database import Database
from pop_analytics.errors import AccessDenied, ScheduleRefused
from pop_analytics.filters import Filters
from pop_analytics.i18n import t
from pop_analytics.reporting import Period
from pop_analytics.scope import DONOR_SIGHT
from pop_analytics.stores import open_database

BESA = Viewer("besa", "coordinator", None, "10.0.0.9")
ARTA = Viewer("arta", "partner", ("Tiranë",), "10.0.0.7")
FATJON = Viewer("fatjon", "partner", ("Tiranë",), "10.0.0.8")
DRITAN = Viewer("dritan", "partner", ("Berat",), "10.0.0.5")  # Berat is not a network member: expected because of him
ERION = Viewer("erion", "partner", ("Durrës",), "10.0.0.6")
DONIKA = Viewer("donika", "donor", None, "10.0.0.4")
USERS = (BESA, ARTA, FATJON, DRITAN, ERION, DONIKA)
THREE = ("Berat", "Durrës", "Tiranë")

# Who sent which file when: (label, who, kind, rows, submitted, what happened after, reviewed at).
# rows: (day, municipality) for activities, (municipality, code, year) for priorities.
REJECTION = "Mungojnë pjesëmarrësit e marsit."
STORY = (
    ("tirane_jan", ARTA, "activities", [("2024-01-20", "Tiranë")], "2024-02-10 16:00", "approve", "2024-02-12 09:00"),
    # January and March: February, between them, is reported too.
    ("tirane_q1", ARTA, "activities", [("2024-01-15", "Tiranë"), ("2024-03-05", "Tiranë")], "2024-03-08 10:00",
     "approve", "2024-03-09 09:00"),
    ("berat_jan_first", DRITAN, "activities", [("2024-01-05", "Berat")], "2024-02-01 11:00", "reject",
     "2024-02-05 09:00"),
    ("berat_jan", DRITAN, "activities", [("2024-01-06", "Berat")], "2024-02-15 11:00", "approve", "2024-03-01 09:00"),
    ("berat_feb", DRITAN, "activities", [("2024-02-10", "Berat")], "2024-03-01 12:00", "wait", None),
    ("berat_mar", DRITAN, "activities", [("2024-03-12", "Berat")], "2024-04-02 12:00", "reject", "2024-04-03 09:00"),
    ("durres_jan", BESA, "activities", [("2024-01-31", "Durrës")], "2024-02-11 08:00", "stored", None),
    ("durres_feb", BESA, "activities", [("2024-02-14", "Durrës")], "2024-03-05 08:00", "undo", None),
    ("tirane_priorities", ARTA, "priorities", [("Tiranë", "TIR-01", 2022), ("Tiranë", "TIR-01", 2023)],
     "2024-01-31 17:00", "approve", "2024-02-02 09:00"),
    ("berat_priorities", DRITAN, "priorities", [("Berat", "BER-01", 2023)], "2024-02-01 10:00", "approve",
     "2024-02-02 10:00"),
)


def _file(directory: Path, label: str, kind: str, rows: list) -> Path:
    if kind == "activities":
        lines = [[dt.datetime.fromisoformat(day), place, "Fokus grup", 1, 20, 12, 8, None, "Uji i pijshëm"]
                 for day, place in rows]
        return write_xlsx(directory / f"{label}.xlsx", {"Aktivitetet": [ACTIVITY_HEADERS, *lines]})
    lines = [["2019-2023", place, code, f"Prioriteti {code}", "Uji i pijshëm", year, "Pjesërisht", None]
             for place, code, year in rows]
    return write_xlsx(directory / f"{label}.xlsx", {"Prioritetet": [PRIORITY_HEADERS, *lines]})


def add_users(db: Database) -> None:
    hashed = QUICK.hash("a password nobody uses")
    with db.writing(data=False) as con:
        for user in USERS:
            store.put_user(con, user.name, user.role, list(user.municipalities or ()), hashed, "besa", None)


def tell_story(db: Database, directory: Path) -> dict[str, int]:
    """The STORY in db (fresh): the users, then each file imported as its sender, dated as it
    arrived, and reviewed (or undone) as it was. Returns each file's import id."""
    db.ensure()
    add_users(db)
    ids: dict[str, int] = {}
    for label, who, kind, rows, submitted, then, reviewed in STORY:
        report = importing.import_path(db, _file(directory, label, kind, rows), today=TODAY, by=who)
        assert report.status == "imported", [p.code for p in report.errors]
        ids[label] = import_id = report.import_id
        if then == "approve":
            approval.approve(db, import_id, BESA)
        elif then == "reject":
            approval.reject(db, import_id, BESA, REJECTION)
        elif then == "undo":
            approval.undo(db, import_id, BESA)
        # This file arrived (and was reviewed) on the story's days, not on the day the test runs.
        with db.writing() as con:
            con.execute("UPDATE imports SET imported_at = ?, reviewed_at = ? WHERE id = ?",
                        [dt.datetime.fromisoformat(submitted), reviewed and dt.datetime.fromisoformat(reviewed),
                         import_id])
    return ids


@pytest.fixture(scope="module")
def story_db(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """The story in a DuckDB file, once for the module's readers (a test that writes copies it)."""
    directory = tmp_path_factory.mktemp("story")
    path = directory / "pop.duckdb"
    return path, tell_story(Database(path), directory)


def cells_of(db: Database, kind: str, today: dt.date, years: tuple[int, ...] = (2024,),
             municipalities: tuple[str, ...] = THREE, sight=None) -> list[tuple]:
    chosen = Filters(municipality=municipalities, year=years)
    with db.reading(**({"sight": sight} if sight else {})) as con:
        frame = reporting.cells(con, chosen, kind, today)
    return [(r.municipality, r.period, r.reporting_status) for r in frame.itertuples()]


def rates_of(db: Database, kind: str, today: dt.date, by: str | None, years: tuple[int, ...] = (2024,)) -> list[tuple]:
    with db.reading() as con:
        frame = reporting.rates(reporting.cells(con, Filters(municipality=THREE, year=years), kind, today), by=by)
    return [tuple(row) for row in frame.itertuples(index=False)]


# ── what each import reported, kept after undo and rejection ─────────────────────────────────

WHAT_EACH_REPORTED = {
    "tirane_q1": [("activities", "Tiranë", 2024, 1), ("activities", "Tiranë", 2024, 2),
                  ("activities", "Tiranë", 2024, 3)],
    "berat_jan_first": [("activities", "Berat", 2024, 1)],    # rejected: its rows are gone
    "durres_feb": [("activities", "Durrës", 2024, 2)],        # undone: its rows are gone
    "berat_mar": [("activities", "Berat", 2024, 3)],          # rejected
    "tirane_priorities": [("priorities", "Tiranë", 2022, None), ("priorities", "Tiranë", 2023, None)],
}


@pytest.mark.parametrize("label", WHAT_EACH_REPORTED)
def test_each_import_reports_every_month_from_its_first_activity_to_its_last_and_keeps_it_after_undo(
        story_db, label):
    path, ids = story_db
    with Database(path).reading() as con:
        found = con.execute("SELECT kind, municipality, year, month FROM import_periods WHERE import_id = ? "
                            "ORDER BY kind, municipality, year, month", [ids[label]]).fetchall()
    assert found == WHAT_EACH_REPORTED[label]


# ── the cells: approved on time or late > awaiting review > rejected > missing / due ────────

# Monthly activities, due 10 days after each month; today is March's deadline.
MONTHLY_CELLS = [
    ("Berat", "2024-01", "late"),              # approved, sent 15 Feb (its first file, rejected, does not count)
    ("Berat", "2024-02", "awaiting_review"),
    ("Berat", "2024-03", "rejected"),
    ("Berat", "2024-04", "due"),
    ("Durrës", "2024-01", "late"),             # sent 11 Feb, a day after the deadline
    ("Durrës", "2024-02", "missing"),          # its file was undone
    ("Durrës", "2024-03", "due"),              # today is the deadline: not missing yet
    ("Durrës", "2024-04", "due"),
    ("Tiranë", "2024-01", "on_time"),          # sent on the deadline, 10 Feb
    ("Tiranë", "2024-02", "on_time"),          # the January–March file, sent 8 Mar
    ("Tiranë", "2024-03", "on_time"),
    ("Tiranë", "2024-04", "due"),
]


def test_each_cell_has_the_status_of_the_best_report_of_its_period(story_db):
    assert cells_of(Database(story_db[0]), "activities", dt.date(2024, 4, 10)) == MONTHLY_CELLS


def test_a_cell_names_the_import_behind_it_and_when_it_was_submitted(story_db):
    path, ids = story_db
    with Database(path).reading() as con:
        frame = reporting.cells(con, Filters(municipality=("Berat",), year=(2024,)), "activities", dt.date(2024, 4, 10))
    shown = frame.astype(object).where(frame.notna(), None)
    assert [(r.period, r.due, r.import_id, r.submitted_at) for r in shown.itertuples()] == [
        ("2024-01", dt.date(2024, 2, 10), ids["berat_jan"], dt.datetime(2024, 2, 15, 11)),
        ("2024-02", dt.date(2024, 3, 10), ids["berat_feb"], dt.datetime(2024, 3, 1, 12)),
        ("2024-03", dt.date(2024, 4, 10), ids["berat_mar"], dt.datetime(2024, 4, 2, 12)),
        ("2024-04", dt.date(2024, 5, 10), None, None)]


def test_a_period_is_missing_the_day_after_its_deadline(story_db):
    found = dict(((m, p), s) for m, p, s in cells_of(Database(story_db[0]), "activities", dt.date(2024, 4, 11)))
    assert found[("Durrës", "2024-03")] == "missing"
    assert found[("Durrës", "2024-04")] == "due"


# (by, [(key, expected, reported, on time, reporting rate, on-time rate)]) for the cells above.
# Only the cells whose deadline has passed are expected: today (10 Apr) is March's deadline, so no
# March cell counts yet, not even Tiranë's report sent on time (it counts tomorrow, as everyone's does).
MONTHLY_RATES = {
    None: [(6, 4, 2, 66.7, 33.3)],
    "period": [("2024-01", 3, 3, 1, 100.0, 33.3),
               ("2024-02", 3, 1, 1, 33.3, 33.3)],
    "municipality": [("Berat", 2, 1, 0, 50.0, 0.0),
                     ("Durrës", 2, 1, 0, 50.0, 0.0),
                     ("Tiranë", 2, 2, 2, 100.0, 100.0)],
}


@pytest.mark.parametrize("by", MONTHLY_RATES)
def test_reporting_rates_of_monthly_activities_are_the_hand_worked_ones(story_db, by):
    assert rates_of(Database(story_db[0]), "activities", dt.date(2024, 4, 10), by) == MONTHLY_RATES[by]


def test_periods_not_due_yet_give_no_rate():
    due_only = pd.DataFrame({"municipality": ["Tiranë"], "period": ["2024-04"], "reporting_status": ["due"],
                             "closed": [False]})
    assert reporting.rates(due_only).empty
    assert list(reporting.rates(due_only, by="period").columns) == [
        "period", "expected", "reported", "on_time", "reporting_rate", "on_time_rate"]


# Priorities are monitored yearly, due 31 days after the year ends.
YEARLY_CELLS = [
    ("Berat", "2022", "missing"), ("Berat", "2023", "late"), ("Berat", "2024", "due"),   # 2023 sent 1 Feb 2024
    ("Durrës", "2022", "missing"), ("Durrës", "2023", "missing"), ("Durrës", "2024", "due"),
    ("Tiranë", "2022", "late"), ("Tiranë", "2023", "on_time"), ("Tiranë", "2024", "due"),  # sent 31 Jan 2024
]
YEARLY_RATES = {
    None: [(6, 3, 1, 50.0, 16.7)],
    "period": [("2022", 3, 1, 0, 33.3, 0.0), ("2023", 3, 2, 1, 66.7, 33.3)],
    "municipality": [("Berat", 2, 1, 0, 50.0, 0.0), ("Durrës", 2, 0, 0, 0.0, 0.0), ("Tiranë", 2, 2, 1, 100.0, 50.0)],
}


def test_yearly_priority_cells_and_rates_are_the_hand_worked_ones(story_db):
    db, today = Database(story_db[0]), dt.date(2024, 4, 10)
    assert cells_of(db, "priorities", today, years=(2022, 2023, 2024)) == YEARLY_CELLS
    for by, expected in YEARLY_RATES.items():
        assert rates_of(db, "priorities", today, by, years=(2022, 2023, 2024)) == expected


# Quarterly activities, due 15 days after each quarter; today is after the second quarter's deadline.
QUARTERLY_CELLS = [
    ("Berat", "2024-Q1", "on_time"), ("Berat", "2024-Q2", "missing"), ("Berat", "2024-Q3", "due"),
    ("Durrës", "2024-Q1", "on_time"), ("Durrës", "2024-Q2", "missing"), ("Durrës", "2024-Q3", "due"),
    ("Tiranë", "2024-Q1", "on_time"), ("Tiranë", "2024-Q2", "missing"), ("Tiranë", "2024-Q3", "due"),
]
QUARTERLY_RATES = {
    None: [(6, 3, 3, 50.0, 50.0)],
    "period": [("2024-Q1", 3, 3, 3, 100.0, 100.0), ("2024-Q2", 3, 0, 0, 0.0, 0.0)],
}


def test_quarterly_activities_once_the_coordinator_sets_them(story_db, tmp_path):
    db = Database(tmp_path / "pop.duckdb")
    db.path.write_bytes(story_db[0].read_bytes())
    reporting.set_schedule(db, BESA, "activities", "quarterly", 15)
    today = dt.date(2024, 7, 20)
    assert cells_of(db, "activities", today) == QUARTERLY_CELLS
    for by, expected in QUARTERLY_RATES.items():
        assert rates_of(db, "activities", today, by) == expected
    with db.reading() as con:  # the first approved report of the quarter is the one behind the cell
        frame = reporting.cells(con, Filters(municipality=("Tiranë",), year=(2024,)), "activities", today)
    assert int(frame["import_id"].iloc[0]) == story_db[1]["tirane_jan"]


def test_yearly_activities_are_one_report_a_year(story_db, tmp_path):
    db = Database(tmp_path / "pop.duckdb")
    db.path.write_bytes(story_db[0].read_bytes())
    reporting.set_schedule(db, BESA, "activities", "yearly", 0)
    today = dt.date(2025, 1, 1)  # every first approved report of 2024 came in February
    assert cells_of(db, "activities", today, years=(2023, 2024)) == [
        ("Berat", "2023", "missing"), ("Berat", "2024", "on_time"), ("Durrës", "2023", "missing"),
        ("Durrës", "2024", "on_time"), ("Tiranë", "2023", "missing"), ("Tiranë", "2024", "on_time")]
    assert rates_of(db, "activities", today, None, years=(2023, 2024)) == [(6, 3, 3, 50.0, 50.0)]


def test_both_stores_give_the_same_cells_and_rates(story_db, tmp_path, new_postgres):
    db = open_database(new_postgres(demo=False))
    tell_story(db, tmp_path)
    today = dt.date(2024, 4, 10)
    assert cells_of(db, "activities", today) == MONTHLY_CELLS
    for by, expected in MONTHLY_RATES.items():
        assert rates_of(db, "activities", today, by) == expected
    assert cells_of(db, "priorities", today, years=(2022, 2023, 2024)) == YEARLY_CELLS
    reporting.set_schedule(db, BESA, "activities", "quarterly", 15)
    assert cells_of(db, "activities", dt.date(2024, 7, 20)) == QUARTERLY_CELLS
    for viewer in (ARTA, DRITAN):  # a partner's connection sees their municipalities only, here too
        assert cells_of(db, "activities", dt.date(2024, 7, 20), sight=viewer.sight()) == [
            cell for cell in QUARTERLY_CELLS if cell[0] in viewer.municipalities]


# ── who is expected, and who may see which cells ─────────────────────────────────────────────

def test_the_network_members_from_the_year_they_joined_and_every_partners_municipality_are_expected(story_db):
    with Database(story_db[0]).reading() as con:
        expected = reporting.expected_municipalities(con, Filters())
        assert expected == {"Durrës": 2019, "Elbasan": 2021, "Fier": 2019, "Kamëz": 2019, "Korçë": 2021,
                            "Kukës": 2019, "Pogradec": 2019, "Pukë": 2019, "Shkodër": 2019, "Tiranë": 2019,
                            "Vau i Dejës": 2021, "Vlorë": 2019, "Berat": 0}
        assert reporting.expected_municipalities(con, Filters(municipality=("Berat", "Mat"))) == {"Berat": 0}
    # Elbasan joined in 2021: nothing is expected of it for 2020; Berat's partner is expected every year.
    assert cells_of(Database(story_db[0]), "priorities", dt.date(2024, 4, 10), years=(2020, 2021),
                    municipalities=("Berat", "Elbasan")) == [
        ("Berat", "2020", "missing"), ("Berat", "2021", "missing"), ("Elbasan", "2021", "missing")]


@pytest.mark.parametrize(("viewer", "shown"), [(ARTA, {"Tiranë"}), (DRITAN, {"Berat"}), (ERION, {"Durrës"}),
                                               (BESA, set(THREE))])
def test_a_partner_sees_the_cells_of_their_own_municipalities_only(story_db, viewer, shown):
    found = cells_of(Database(story_db[0]), "activities", dt.date(2024, 4, 10), sight=viewer.sight())
    assert {m for m, _, _ in found} == shown
    assert found == [cell for cell in MONTHLY_CELLS if cell[0] in shown]


def test_a_donor_sees_the_same_cells_as_a_coordinator(story_db):
    assert cells_of(Database(story_db[0]), "activities", dt.date(2024, 4, 10), sight=DONOR_SIGHT) == MONTHLY_CELLS


def test_grid_is_municipality_by_period(story_db):
    with Database(story_db[0]).reading() as con:
        frame = reporting.cells(con, Filters(municipality=THREE, year=(2024,)), "activities", dt.date(2024, 4, 10))
    table = reporting.grid(frame)
    assert list(table.index) == list(THREE)
    assert list(table.columns) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert table.loc["Berat"].tolist() == ["late", "awaiting_review", "rejected", "due"]


# ── the schedule ─────────────────────────────────────────────────────────────────────────────

def _audit(db: Database) -> list[tuple]:
    with db.reading() as con:
        return [(r.who, r.address, r.action, r.target, json.loads(r.detail) if r.detail else None)
                for r in store.audit_rows(con).itertuples() if r.action == "schedule_set"]


def test_a_fresh_database_has_the_default_schedule(tmp_path):
    db = Database(tmp_path / "pop.duckdb")
    db.ensure()
    with db.reading() as con:
        assert reporting.schedules(con) == {
            "activities": reporting.Schedule("activities", "monthly", 10),
            "priorities": reporting.Schedule("priorities", "yearly", 31)}


def test_a_coordinator_sets_a_schedule_and_the_audit_log_says_so(tmp_path):
    db = Database(tmp_path / "pop.duckdb")
    db.ensure()
    made = reporting.set_schedule(db, BESA, "activities", "quarterly", 15)
    reporting.set_schedule(db, BESA, "activities", "yearly", 0)
    reporting.set_schedule(db, BESA, "priorities", "off", 366)
    with db.reading() as con:
        found = reporting.schedules(con)
    assert (made.kind, made.frequency, made.deadline_days, made.set_by) == ("activities", "quarterly", 15, "besa")
    assert [(s.kind, s.frequency, s.deadline_days, s.set_by, s.active) for s in found.values()] == [
        ("activities", "yearly", 0, "besa", True), ("priorities", "off", 366, "besa", False)]
    assert _audit(db) == [
        ("besa", "10.0.0.9", "schedule_set", "priorities", {"deadline_days": 366, "frequency": "off"}),
        ("besa", "10.0.0.9", "schedule_set", "activities", {"deadline_days": 0, "frequency": "yearly"}),
        ("besa", "10.0.0.9", "schedule_set", "activities", {"deadline_days": 15, "frequency": "quarterly"})]


REFUSED_SCHEDULES = {
    "an unknown kind": (("figures", "monthly", 10), {
        "en": "'figures' is not a kind of sheet partners report. Choose one of: activities, priorities.",
        "sq": "'figures' nuk është lloj flete që partnerët raportojnë. Zgjidhni një nga: activities, priorities."}),
    "priorities monthly": (("priorities", "monthly", 10), {
        "en": "priorities cannot be reported 'monthly'. Choose one of: yearly, off.",
        "sq": "priorities nuk mund të raportohen 'monthly'. Zgjidhni një nga: yearly, off."}),
    "activities weekly": (("activities", "weekly", 10), {
        "en": "activities cannot be reported 'weekly'. Choose one of: monthly, quarterly, yearly, off.",
        "sq": "activities nuk mund të raportohen 'weekly'. Zgjidhni një nga: monthly, quarterly, yearly, off."}),
    "a negative deadline": (("activities", "monthly", -1), {
        "en": "A deadline of -1 days cannot be set: give 0 to 366 days after the period ends.",
        "sq": "Afati prej -1 ditësh nuk mund të vendoset: jepni nga 0 deri në 366 ditë pas mbarimit të periudhës."}),
    "more than a year": (("activities", "monthly", 367), {
        "en": "A deadline of 367 days cannot be set: give 0 to 366 days after the period ends.",
        "sq": "Afati prej 367 ditësh nuk mund të vendoset: jepni nga 0 deri në 366 ditë pas mbarimit të periudhës."}),
}


@pytest.mark.parametrize("case", REFUSED_SCHEDULES)
def test_a_schedule_that_cannot_be_is_refused_with_a_sentence_and_nothing_changes(tmp_path, case):
    db = Database(tmp_path / "pop.duckdb")
    db.ensure()
    asked, sentences = REFUSED_SCHEDULES[case]
    with pytest.raises(ScheduleRefused) as refused:
        reporting.set_schedule(db, BESA, *asked)
    assert {lang: refused.value.message(lang) for lang in sentences} == sentences
    assert _audit(db) == []
    with db.reading() as con:
        assert con.execute("SELECT count(*) FROM reporting_schedule").fetchone() == (0,)


@pytest.mark.parametrize("who", [ARTA, DONIKA])
def test_only_a_coordinator_sets_the_schedule(tmp_path, who):
    db = Database(tmp_path / "pop.duckdb")
    db.ensure()
    with pytest.raises(AccessDenied) as refused:
        reporting.set_schedule(db, who, "activities", "quarterly", 15)
    assert refused.value.reason == "set_schedule"
    assert _audit(db) == []
    # A person reads why: a sentence from the catalogues, as for every other action refused.
    for lang in ("en", "sq"):
        assert "⟦" not in refused.value.message(lang), refused.value.message(lang)
        assert refused.value.message(lang).startswith(f"{who.name} ({who.role}) ")


# ── periods ──────────────────────────────────────────────────────────────────────────────────

PERIODS = [  # (period, key, start, end, en label, sq label, the next one)
    (Period("monthly", 2024, 2), "2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "Feb 2024", "02.2024",
     Period("monthly", 2024, 3)),
    (Period("monthly", 2024, 12), "2024-12", dt.date(2024, 12, 1), dt.date(2024, 12, 31), "Dec 2024", "12.2024",
     Period("monthly", 2025, 1)),
    (Period("quarterly", 2024, 2), "2024-Q2", dt.date(2024, 4, 1), dt.date(2024, 6, 30), "Q2 2024", "T2 2024",
     Period("quarterly", 2024, 3)),
    (Period("quarterly", 2024, 4), "2024-Q4", dt.date(2024, 10, 1), dt.date(2024, 12, 31), "Q4 2024", "T4 2024",
     Period("quarterly", 2025, 1)),
    (Period("yearly", 2023, 1), "2023", dt.date(2023, 1, 1), dt.date(2023, 12, 31), "2023", "2023",
     Period("yearly", 2024, 1)),
]


@pytest.mark.parametrize(("period", "key", "start", "end", "en", "sq", "following"), PERIODS)
def test_a_period_has_a_key_a_span_a_label_in_each_language_and_a_next_one(period, key, start, end, en, sq, following):
    assert (period.key, period.start, period.end, period.following()) == (key, start, end, following)
    assert (period.label("en"), period.label("sq")) == (en, sq)
    assert reporting.parse_period(period.frequency, key) == period
    assert reporting.period_of(period.frequency, end) == period
    assert period.due(10) == end + dt.timedelta(days=10)


@pytest.mark.parametrize(("frequency", "key"), [("monthly", "2024-13"), ("monthly", "2024-Q1"), ("monthly", "2024-1"),
                                                ("quarterly", "2024-05"), ("quarterly", "2024-Q5"),
                                                ("yearly", "2024-01"), ("yearly", "abcd"), ("monthly", "1899-01"),
                                                ("weekly", "2024-01"), ("off", "2024"), ("monthly", "")])
def test_a_key_that_is_not_one_of_the_frequencys_periods_is_none(frequency, key):
    assert reporting.parse_period(frequency, key) is None


SHOWN = [  # (frequency, years, first key, last key, how many) with today 10 April 2024
    ("monthly", (2024,), "2024-01", "2024-04", 4),
    ("monthly", (2023,), "2023-01", "2023-12", 12),
    ("monthly", (2024, 2023), "2023-01", "2024-04", 16),
    ("monthly", (), "2022-05", "2024-04", 24),        # REPORTING_MONTHS_SHOWN months up to the current one
    ("quarterly", (), "2022-Q2", "2024-Q2", 9),
    ("quarterly", (2024,), "2024-Q1", "2024-Q2", 2),
    ("yearly", (), "2022", "2024", 3),
    ("yearly", (2021, 2025), "2021", "2021", 1),       # a year that has not started shows nothing
]


@pytest.mark.parametrize(("frequency", "years", "first", "last", "count"), SHOWN)
def test_shown_periods_are_the_chosen_years_up_to_now_else_the_last_two_years(frequency, years, first, last, count):
    shown = reporting.shown_periods(frequency, years, dt.date(2024, 4, 10))
    assert (shown[0].key, shown[-1].key, len(shown)) == (first, last, count)


def test_a_kind_not_tracked_shows_no_periods_and_no_cells(story_db, tmp_path):
    assert reporting.shown_periods("off", (2024,), dt.date(2024, 4, 10)) == []
    db = Database(tmp_path / "pop.duckdb")
    db.path.write_bytes(story_db[0].read_bytes())
    reporting.set_schedule(db, BESA, "activities", "off", 10)
    assert cells_of(db, "activities", dt.date(2024, 4, 10)) == []


def test_the_quarter_label_comes_from_the_catalogues():
    assert Period("quarterly", 2025, 3).label("sq") == t("reporting.quarter", "sq", quarter=3, year=2025)
