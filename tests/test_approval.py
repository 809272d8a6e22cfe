"""Approval at store level, on real DuckDB files: what a partner submits waits for a coordinator
before donors see it; rejecting and undoing restore exactly what was there; every step is in the
audit log; and what one reader may see (donors: approved rows without notes; a partner: their
municipalities) is set on the connection."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json

import pandas as pd
import pytest
from conftest import (
    ACTIVITY_HEADERS,
    PRIORITY_HEADERS,
    TODAY,
    cli_json,
    corrected_tirane_2023,
    kpi_state,
    run_cli,
    tirane_activities,
    write_xlsx,
)

from pop_analytics import filters, kpis, reading, store, validate
from pop_analytics.database import Database
from pop_analytics.errors import ReviewRefused, UndoRefused
from pop_analytics.i18n import t
from pop_analytics.scope import DONOR_SIGHT, EVERYTHING, Sight
from pop_analytics.settings import DEMO_DIR
from pop_analytics.stores import open_database

# The demo database holds imports 1-5, all approved; the next import is #6.
PARTNER, COORDINATOR = "arta", "besa"
PARTNER_ADDRESS, COORDINATOR_ADDRESS = "10.0.0.7", "10.0.0.9"
# Approved rows with their notes: compared row by row with the full view (donors' sight hides notes).
APPROVED_WITH_NOTES = Sight(approved_only=True)
TIRANE_2023 = {"municipality": "Tiranë", "year": [2023]}


def batch_of(path):
    return validate.validate(reading.read(path.read_bytes(), path.name), today=TODAY)


def store_file(db: Database, path, who: str = PARTNER, review: str = "submitted",
               address: str = PARTNER_ADDRESS) -> int:
    """Validate a real file and store it as the upload does (in the audit log); its import id."""
    with db.writing() as con:
        import_id, _ = store.write(con, batch_of(path), path.name, hashlib.sha256(path.read_bytes()).hexdigest(),
                                   who=who, review=review, audit=(address, "import"))
    return import_id


def approve(db: Database, import_id: int, comment: str | None = None) -> None:
    with db.writing() as con:
        store.approve(con, import_id, COORDINATOR, comment, COORDINATOR_ADDRESS)


def reject(db: Database, import_id: int, comment: str) -> dict[str, int]:
    with db.writing() as con:
        return store.reject(con, import_id, COORDINATOR, comment, COORDINATOR_ADDRESS)


def undo(db: Database, import_id: int) -> dict[str, int]:
    with db.writing() as con:
        return store.undo(con, import_id, who=COORDINATOR, address=COORDINATOR_ADDRESS)


def state(db: Database, sight: Sight = EVERYTHING) -> dict:
    """The KPI objects of every filter set and every row, as a reader with this sight sees them."""
    with db.reading(sight=sight) as con:
        return kpi_state(con)


def kpi(db: Database, sight: Sight = EVERYTHING, **chosen) -> dict:
    with db.reading(sight=sight) as con:
        return kpis.kpis(con, filters.resolve(**chosen))


def rows(db: Database, sql: str, sight: Sight = EVERYTHING) -> list[tuple]:
    with db.reading(sight=sight) as con:
        return con.execute(sql).fetchall()


def history_row(db: Database, import_id: int) -> dict:
    with db.reading() as con:
        frame = store.history(con)
    found = frame[frame["id"] == import_id]
    assert len(found) == 1
    row = found.iloc[0]
    return {k: (row[k] if pd.notna(row[k]) else None)
            for k in ("state", "status", "imported_by", "reviewed_by", "review_comment")} | {
        "reviewed": bool(pd.notna(row["reviewed_at"]))}


def assert_donors_see_the_full_view(db: Database) -> None:
    """Every KPI object donors see equals the full view's, and so does every row (notes aside)."""
    full = state(db)
    assert state(db, DONOR_SIGHT)["kpis"] == full["kpis"]
    assert state(db, APPROVED_WITH_NOTES)["snapshot"] == full["snapshot"]


def tirane_2023(directory, name: str, corrections: dict[str, str]):
    """Tiranë's twelve 2023 monitoring rows as the demo has them, re-sent with some statuses changed."""
    with open(DEMO_DIR / "prioritetet_2019_2023.csv", encoding="utf-8", newline="") as handle:
        demo_rows = [r for r in csv.DictReader(handle)
                     if r["Bashkia"] == "Tiranë" and r["Viti i monitorimit"] == "2023"]
    assert len(demo_rows) == 12
    sent = [[r["Cikli"], r["Bashkia"], r["Kodi"], r["Prioriteti"], r["Tema"], 2023,
             corrections.get(r["Kodi"], r["Statusi"]), None] for r in demo_rows]
    return write_xlsx(directory / name, {"Prioritetet": [PRIORITY_HEADERS, *sent]})


def tirane_october_2023(directory):
    """Tiranë's October 2023 activities again: two rows, 6 events, where the demo has one row of 10."""
    return write_xlsx(directory / "Tirane_tetor_2023.xlsx", {"Aktivitetet": [
        ACTIVITY_HEADERS,
        [dt.datetime(2023, 10, 5), "Tiranë", "Fokus grup", 4, 60, 30, 30, None, "Uji i pijshëm"],
        [dt.datetime(2023, 10, 19), "Tiranë", "Trajnim", 2, 25, 15, 10, None, "Rrugët"],
    ]})


# Files a partner sends, with what they change in one KPI: (file, filters, KPI path, before, after).
SUBMITTED = {
    "new_months": (tirane_activities, TIRANE_2023, ("activities", "events"), 21, 35),
    "a_replaced_month": (tirane_october_2023, TIRANE_2023, ("activities", "events"), 21, 17),
    "corrected_statuses": (corrected_tirane_2023, TIRANE_2023, ("priorities", "fully"), 4, 5),
}


def at(found: dict, path: tuple[str, ...]):
    for key in path:
        found = found[key]
    return found


# ── submitted, then approved ─────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("case", SUBMITTED)
def test_a_submitted_import_leaves_what_donors_see_as_it_was_until_it_is_approved(demo_store, tmp_path, case):
    make, chosen, path, before_value, after_value = SUBMITTED[case]
    db = open_database(demo_store)
    donors_before, full_before = state(db, DONOR_SIGHT), state(db)
    assert at(kpi(db, DONOR_SIGHT, **chosen), path) == at(kpi(db, **chosen), path) == before_value

    import_id = store_file(db, make(tmp_path))
    assert import_id == 6
    assert state(db, DONOR_SIGHT) == donors_before  # every KPI object and every row, unchanged
    assert state(db)["kpis"] != full_before["kpis"]
    assert at(kpi(db, DONOR_SIGHT, **chosen), path) == before_value
    assert at(kpi(db, **chosen), path) == after_value
    assert history_row(db, import_id) == {"state": "stored", "status": "submitted", "imported_by": PARTNER,
                                          "reviewed_by": None, "review_comment": None, "reviewed": False}

    full_submitted = state(db)
    approve(db, import_id, comment="Checked against the minutes")
    assert state(db) == full_submitted  # approval changes what donors see, not the full view
    assert_donors_see_the_full_view(db)
    assert at(kpi(db, DONOR_SIGHT, **chosen), path) == after_value
    assert history_row(db, import_id) == {"state": "stored", "status": "approved", "imported_by": PARTNER,
                                          "reviewed_by": COORDINATOR, "review_comment": "Checked against the minutes",
                                          "reviewed": True}


# Tiranë's twelve 2023 priorities as counted: the demo's, corrected_tirane_2023's, and all fully addressed.
DEMO_COUNTS = {"total": 12, "fully": 4, "partially": 2, "not_addressed": 6, "fully_pct": 33.3, "partially_pct": 16.7,
               "not_addressed_pct": 50.0, "addressed_pct": 50.0}
CORRECTED_COUNTS = {"total": 12, "fully": 5, "partially": 4, "not_addressed": 3, "fully_pct": 41.7,
                    "partially_pct": 33.3, "not_addressed_pct": 25.0, "addressed_pct": 75.0}
ALL_FULLY_COUNTS = {"total": 12, "fully": 12, "partially": 0, "not_addressed": 0, "fully_pct": 100.0,
                    "partially_pct": 0.0, "not_addressed_pct": 0.0, "addressed_pct": 100.0}


def test_corrected_statuses_reach_donors_only_once_approved(demo_store, tmp_path):
    db = open_database(demo_store)
    demo_counts, corrected = DEMO_COUNTS, CORRECTED_COUNTS
    import_id = store_file(db, corrected_tirane_2023(tmp_path))
    assert kpi(db, DONOR_SIGHT, **TIRANE_2023)["priorities"] == demo_counts
    assert kpi(db, **TIRANE_2023)["priorities"] == corrected
    approve(db, import_id)
    assert kpi(db, DONOR_SIGHT, **TIRANE_2023)["priorities"] == corrected


# What a file replaces, as rows of the current view: (file, SQL over current_<table>, demo rows, the file's rows).
REPLACED = {
    "statuses": (corrected_tirane_2023,
                 ("SELECT code, status, import_id FROM current_priority_status WHERE municipality = 'Tiranë' "
                  "AND year = 2023 AND code IN ('TIR-05', 'TIR-06', 'TIR-12') ORDER BY code"),
                 [("TIR-05", "not_addressed", 2), ("TIR-06", "not_addressed", 2), ("TIR-12", "not_addressed", 2)],
                 [("TIR-05", "partially", 6), ("TIR-06", "partially", 6), ("TIR-12", "fully", 6)]),
    "activities": (tirane_october_2023,
                   ("SELECT date, type, events, import_id FROM current_activities WHERE municipality = 'Tiranë' "
                    "AND year = 2023 AND month = 10 ORDER BY date"),
                   [(dt.date(2023, 10, 12), "focus_group", 10, 1)],
                   [(dt.date(2023, 10, 5), "focus_group", 4, 6), (dt.date(2023, 10, 19), "training", 2, 6)]),
}


@pytest.mark.parametrize("case", REPLACED)
def test_rows_a_submitted_import_replaces_stay_with_donors_until_it_is_approved(demo_store, tmp_path, case):
    make, sql, demo_rows, file_rows = REPLACED[case]
    db = open_database(demo_store)
    assert rows(db, sql) == rows(db, sql, DONOR_SIGHT) == demo_rows
    import_id = store_file(db, make(tmp_path))
    assert rows(db, sql) == file_rows
    assert rows(db, sql, DONOR_SIGHT) == demo_rows
    approve(db, import_id)
    assert rows(db, sql, DONOR_SIGHT) == rows(db, sql) == file_rows


# ── rejected, undone ─────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("case", "removed"), [
    ("new_months", {"priorities": 0, "priority_status": 0, "activities": 3, "figures": 0, "targets": 0}),
    ("a_replaced_month", {"priorities": 0, "priority_status": 0, "activities": 2, "figures": 0, "targets": 0}),
    ("corrected_statuses", {"priorities": 12, "priority_status": 12, "activities": 0, "figures": 0, "targets": 0}),
])
def test_rejecting_a_submitted_import_removes_it_restores_what_it_replaced_and_keeps_the_comment(
        demo_store, tmp_path, case, removed):
    make, chosen, path, before_value, _after = SUBMITTED[case]
    db = open_database(demo_store)
    donors_before, full_before = state(db, DONOR_SIGHT), state(db)
    import_id = store_file(db, make(tmp_path))
    assert reject(db, import_id, "The dates of the focus groups are wrong") == removed
    assert state(db) == full_before
    assert state(db, DONOR_SIGHT) == donors_before
    assert at(kpi(db, **chosen), path) == before_value
    assert history_row(db, import_id) == {"state": "undone", "status": "rejected", "imported_by": PARTNER,
                                          "reviewed_by": COORDINATOR,
                                          "review_comment": "The dates of the focus groups are wrong",
                                          "reviewed": True}
    for refused in (approve, lambda db, i: reject(db, i, "again")):
        with pytest.raises(ReviewRefused) as caught:
            refused(db, import_id)
        assert str(caught.value) == ("Import #6 is not waiting for approval (it is rejected): only a submitted import "
                                     "is approved or rejected.")
    assert state(db) == full_before


@pytest.mark.parametrize("how", ["submitted", "approved_later", "approved_at_once"])
@pytest.mark.parametrize("case", SUBMITTED)
def test_undo_restores_exactly_what_donors_and_everyone_saw_before(demo_store, tmp_path, case, how):
    make, chosen, path, before_value, after_value = SUBMITTED[case]
    db = open_database(demo_store)
    donors_before, full_before = state(db, DONOR_SIGHT), state(db)
    if how == "approved_at_once":
        import_id = store_file(db, make(tmp_path), who=COORDINATOR, review="approved", address=COORDINATOR_ADDRESS)
    else:
        import_id = store_file(db, make(tmp_path))
    if how == "approved_later":
        approve(db, import_id)
    assert at(kpi(db, DONOR_SIGHT, **chosen), path) == (before_value if how == "submitted" else after_value)
    undo(db, import_id)
    assert state(db, DONOR_SIGHT) == donors_before
    assert state(db) == full_before
    assert history_row(db, import_id)["status"] == "undone"


def test_a_coordinators_import_is_seen_by_donors_at_once(demo_store, tmp_path):
    db = open_database(demo_store)
    import_id = store_file(db, corrected_tirane_2023(tmp_path), who=COORDINATOR, review="approved",
                           address=COORDINATOR_ADDRESS)
    assert_donors_see_the_full_view(db)
    assert kpi(db, DONOR_SIGHT, **TIRANE_2023)["priorities"] == CORRECTED_COUNTS
    assert history_row(db, import_id) == {"state": "stored", "status": "approved", "imported_by": COORDINATOR,
                                          "reviewed_by": COORDINATOR, "review_comment": None, "reviewed": True}


# ── a partner's and a coordinator's import of the same rows ──────────────────────────────────

ALL_FULLY = {f"TIR-{n:02d}": "Plotësisht" for n in range(1, 13)}
TIRANE_2023_STATUSES = ("SELECT code, status, import_id FROM current_priority_status WHERE municipality = 'Tiranë' "
                        "AND year = 2023 ORDER BY code")


@pytest.mark.parametrize(("order", "counts"), [
    ("partner_first", ALL_FULLY_COUNTS),        # the coordinator's later import wins, for everyone
    ("coordinator_first", CORRECTED_COUNTS),    # the partner's later import wins once approved
])
def test_approving_a_partners_import_never_shows_donors_two_versions_of_the_same_rows(demo_store, tmp_path, order,
                                                                                      counts):
    db = open_database(demo_store)
    partner_file = corrected_tirane_2023(tmp_path)
    coordinator_file = tirane_2023(tmp_path, "Tirane_2023_koordinatori.xlsx", ALL_FULLY)
    if order == "partner_first":
        partner = store_file(db, partner_file)
        coordinator = store_file(db, coordinator_file, who=COORDINATOR, review="approved", address=COORDINATOR_ADDRESS)
        assert (partner, coordinator) == (6, 7)
        assert_donors_see_the_full_view(db)  # the coordinator's import is the current one
    else:
        coordinator = store_file(db, coordinator_file, who=COORDINATOR, review="approved", address=COORDINATOR_ADDRESS)
        partner = store_file(db, partner_file)
        assert (coordinator, partner) == (6, 7)
        assert kpi(db, DONOR_SIGHT, **TIRANE_2023)["priorities"] == ALL_FULLY_COUNTS
        assert kpi(db, **TIRANE_2023)["priorities"] == CORRECTED_COUNTS
    approve(db, partner)
    assert_donors_see_the_full_view(db)
    winner = coordinator if order == "partner_first" else partner
    assert {r[2] for r in rows(db, TIRANE_2023_STATUSES, DONOR_SIGHT)} == {winner}
    assert len(rows(db, TIRANE_2023_STATUSES, DONOR_SIGHT)) == 12
    assert kpi(db, DONOR_SIGHT, **TIRANE_2023)["priorities"] == kpi(db, **TIRANE_2023)["priorities"] == counts


def test_undoing_the_coordinators_import_afterwards_leaves_donors_the_partners_approved_rows(demo_store, tmp_path):
    db = open_database(demo_store)
    partner = store_file(db, corrected_tirane_2023(tmp_path))
    coordinator = store_file(db, tirane_2023(tmp_path, "Tirane_2023_koordinatori.xlsx", ALL_FULLY),
                             who=COORDINATOR, review="approved", address=COORDINATOR_ADDRESS)
    approve(db, partner)
    undo(db, coordinator)
    assert rows(db, TIRANE_2023_STATUSES) == [(r[0], r[1], partner) for r in rows(db, TIRANE_2023_STATUSES)]
    assert len(rows(db, TIRANE_2023_STATUSES)) == 12
    # donors see the partner's twelve approved rows, as everyone does (the bug: the demo's twelve as well)
    assert rows(db, TIRANE_2023_STATUSES, DONOR_SIGHT) == rows(db, TIRANE_2023_STATUSES)
    assert kpi(db, **TIRANE_2023)["priorities"] == CORRECTED_COUNTS
    assert kpi(db, DONOR_SIGHT, **TIRANE_2023)["priorities"] == CORRECTED_COUNTS
    assert_donors_see_the_full_view(db)


# ── what cannot be approved or rejected ──────────────────────────────────────────────────────

def priorities_file(path, statuses: dict[str, str]):
    return write_xlsx(path, {"Prioritetet": [PRIORITY_HEADERS, *(
        ["2019-2023", "Fier", code, "Ujë i pijshëm 24 orë", "Uji i pijshëm", 2021, status, None]
        for code, status in statuses.items())]})


def write_direct(con, path, review: str, who: str = PARTNER) -> int:
    return store.write(con, batch_of(path), path.name, hashlib.sha256(path.read_bytes()).hexdigest(), who=who,
                       review=review, audit=(PARTNER_ADDRESS, "import"))[0]


REFUSED = {
    "unknown": (None, 42, "There is no import #42. See 'history' for the imports stored."),
    "approved": ("approved", 1, ("Import #1 is not waiting for approval (it is approved): only a submitted import is "
                                 "approved or rejected.")),
    "approved_after_submission": ("approve", 1, ("Import #1 is not waiting for approval (it is approved): only a "
                                                 "submitted import is approved or rejected.")),
    "undone": ("undo", 1, ("Import #1 is not waiting for approval (it is undone): only a submitted import is "
                           "approved or rejected.")),
}


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("case", REFUSED)
def test_only_a_submitted_import_can_be_approved_or_rejected(con, tmp_path, action, case):
    before_step, import_id, message = REFUSED[case]
    if before_step is not None:
        first = write_direct(con, priorities_file(tmp_path / "fier.xlsx", {"FIE-01": "Pjesërisht"}),
                             "approved" if before_step == "approved" else "submitted")
        if before_step == "approve":
            store.approve(con, first, COORDINATOR)
        elif before_step == "undo":
            store.undo(con, first)
    history, audit, snapshot = store.history(con), store.audit_rows(con), store.snapshot(con)
    with pytest.raises(ReviewRefused) as caught:
        if action == "approve":
            store.approve(con, import_id, COORDINATOR, "fine", COORDINATOR_ADDRESS)
        else:
            store.reject(con, import_id, COORDINATOR, "wrong", COORDINATOR_ADDRESS)
    assert str(caught.value) == caught.value.message("en") == message
    assert (caught.value.reason, caught.value.import_id) == ("unknown" if case == "unknown" else "not_submitted",
                                                             import_id)
    # nothing was written: not the import, not its rows, not the audit log
    assert store.history(con).equals(history)
    assert store.audit_rows(con).equals(audit)
    assert store.snapshot(con) == snapshot


def test_a_submitted_import_a_coordinators_import_replaced_is_rejected_only_after_that_one_is_undone(con, tmp_path):
    partner = write_direct(con, priorities_file(tmp_path / "p.xlsx", {"FIE-01": "Pjesërisht"}), "submitted")
    coordinator = write_direct(con, priorities_file(tmp_path / "c.xlsx", {"FIE-01": "Plotësisht"}), "approved",
                               who=COORDINATOR)
    with pytest.raises(UndoRefused) as caught:
        store.reject(con, partner, COORDINATOR, "wrong", COORDINATOR_ADDRESS)
    assert str(caught.value) == (f"Import #{partner} cannot be undone while later imports replace some of its rows: "
                                 f"undo #{coordinator} first.")
    assert store.history(con)["status"].tolist() == ["approved", "submitted"]
    store.undo(con, coordinator, who=COORDINATOR)
    assert store.reject(con, partner, COORDINATOR, "wrong", COORDINATOR_ADDRESS) == {
        "priorities": 1, "priority_status": 1, "activities": 0, "figures": 0, "targets": 0}
    assert store.history(con)["status"].tolist() == ["undone", "rejected"]
    assert store.snapshot(con) == {table: [] for table in store.DATA_TABLES}


# ── the audit log ────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("action", "expected"), [
    ("import", (PARTNER, PARTNER_ADDRESS, "import", "1",
                {"file": "fier.xlsx", "kind": "priorities", "review": "submitted", "rows": 2})),
    ("approve", (COORDINATOR, COORDINATOR_ADDRESS, "approve", "1", {"comment": "Checked against the minutes"})),
    ("reject", (COORDINATOR, COORDINATOR_ADDRESS, "reject", "1", {"comment": "Wrong year", "rows": 4})),
    ("undo", (COORDINATOR, COORDINATOR_ADDRESS, "undo", "1", {"rows": 4})),
])
def test_each_step_of_an_import_writes_exactly_one_audit_row(con, tmp_path, action, expected):
    path = priorities_file(tmp_path / "fier.xlsx", {"FIE-01": "Pjesërisht", "FIE-02": "Plotësisht"})
    started = dt.datetime.now()
    if action != "import":
        write_direct(con, path, "submitted")
    before = len(store.audit_rows(con))
    if action == "import":
        write_direct(con, path, "submitted")
    elif action == "approve":
        store.approve(con, 1, COORDINATOR, "Checked against the minutes", COORDINATOR_ADDRESS)
    elif action == "reject":
        store.reject(con, 1, COORDINATOR, "Wrong year", COORDINATOR_ADDRESS)
    else:
        store.undo(con, 1, who=COORDINATOR, address=COORDINATOR_ADDRESS)
    audit = store.audit_rows(con)
    assert len(audit) == before + 1
    newest = audit.iloc[0]
    assert newest["id"] == before + 1
    assert (newest["who"], newest["address"], newest["action"], newest["target"],
            json.loads(newest["detail"])) == expected
    assert started <= newest["happened_at"] <= dt.datetime.now()


def test_an_undo_without_a_person_writes_no_audit_row(con, tmp_path):
    write_direct(con, priorities_file(tmp_path / "fier.xlsx", {"FIE-01": "Pjesërisht"}), "approved")
    store.undo(con, 1)
    assert store.audit_rows(con)["action"].tolist() == ["import"]


# ── what one reader may see ──────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("table", "everyone", "donors"), [
    ("priority_status", (735, 193), (735, 0)),
    ("activities", (298, 242), (298, 0)),
    ("figures", (7, 7), (7, 0)),
])
def test_donors_see_every_approved_row_but_no_note(demo_store, table, everyone, donors):
    db = open_database(demo_store)
    sql = f"SELECT count(*), count(note) FROM current_{table}"
    assert rows(db, sql) == [everyone]
    assert rows(db, sql, DONOR_SIGHT) == [donors]
    assert rows(db, sql, APPROVED_WITH_NOTES) == [everyone]


@pytest.mark.parametrize(("table", "count", "notes"), [
    ("priorities", 22, None),
    ("priority_status", 68, 14),
    ("activities", 35, 29),  # the demo's 32 and the 3 submitted, not yet approved
    ("figures", 0, 0),       # the demo's reported figures are network-wide: no municipality's
])
def test_a_partner_sees_only_their_municipalitys_rows_with_notes_and_submitted_ones(demo_store, tmp_path, table,
                                                                                   count, notes):
    db = open_database(demo_store)
    store_file(db, tirane_activities(tmp_path))
    partner = Sight(municipalities=("Tiranë",))
    note = "NULL" if table == "priorities" else "count(note)"
    assert rows(db, f"SELECT count(*), {note} FROM current_{table}", partner) == [(count, notes)]
    assert rows(db, f"SELECT DISTINCT municipality FROM current_{table}", partner) == (
        [("Tiranë",)] if count else [])
    assert rows(db, f"SELECT count(*) FROM current_{table} WHERE municipality = 'Tiranë'") == [(count,)]


def test_a_partners_kpis_are_their_municipalitys(demo_store):
    db = open_database(demo_store)
    partner = kpi(db, Sight(municipalities=("Tiranë",)))
    everyone = kpi(db, municipality="Tiranë")
    assert [m["municipality"] for m in partner["by_municipality"]] == ["Tiranë"]
    assert (partner["activities"]["events"], partner["priorities"]["total"]) == (95, 22)
    assert {k: partner[k] for k in ("priorities", "activities", "by_municipality", "municipalities_covered")} == {
        k: everyone[k] for k in ("priorities", "activities", "by_municipality", "municipalities_covered")}


# ── the command line ─────────────────────────────────────────────────────────────────────────

def test_kpis_approved_only_counts_what_donors_see_before_and_after_approve(demo_store, tmp_path):
    chosen = ("--municipality", "Tiranë", "--year", "2023", "--json")
    before = cli_json(run_cli("kpis", *chosen, db=demo_store))
    import_id = store_file(open_database(demo_store), tirane_activities(tmp_path))
    donors = cli_json(run_cli("kpis", "--approved-only", *chosen, db=demo_store))
    everyone = cli_json(run_cli("kpis", *chosen, db=demo_store))
    assert donors == before
    assert (donors["activities"]["events"], everyone["activities"]["events"]) == (21, 35)
    approved = run_cli("approve", str(import_id), db=demo_store)
    assert (approved.returncode, approved.stdout, approved.stderr) == (
        0, t("cli.approve.done", "en", import_id=6) + "\n", "")
    assert cli_json(run_cli("kpis", "--approved-only", *chosen, db=demo_store)) == everyone
