"""What an import takes out of view and what it holds, on real files in real DuckDB files: a late
activity for a month already reported either replaces that month (the documented rule, and the
default) or is added beside it; what leaves is said before storing, in the reader's words, by the
same rule that stores; an added import undoes, is approved and rejected exactly; a coordinator
reads what a submitted import holds, its warnings and what approving it takes out of donors' view."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import ACTIVITY_HEADERS, import_file, kpi_state, write_xlsx

from pop_analytics import importing, review, store
from pop_analytics.access import Viewer
from pop_analytics.i18n import t

PARTNER = Viewer(name="arta", role="partner", municipalities=("Vlorë",), address="10.0.0.7")
NOVEMBER = [  # Vlorë's November 2025 as first reported, with an October row that no November file touches
    [dt.datetime(2025, 11, 3), "Vlorë", "Fokus grup", 2, 40, 22, 18, None, "Uji i pijshëm"],
    [dt.datetime(2025, 11, 12), "Vlorë", "Forum publik", 1, 65, 30, 35, None, "Angazhimi qytetar"],
    [dt.datetime(2025, 11, 20), "Vlorë", "Fokus grup", 1, 18, 10, 8, None, "Drejtësia sociale"],
    [dt.datetime(2025, 10, 14), "Vlorë", "Trajnim", 1, 12, 7, 5, None, "Drejtësia sociale"],
]
LATE = [[dt.datetime(2025, 11, 6), "Vlorë", "Punëtori", 1, 25, 15, 10, None, "Drejtësia sociale"]]


def activities_file(path, rows):
    return write_xlsx(path, {"Aktivitetet": [ACTIVITY_HEADERS, *rows]})


def current_rows(con, table: str = "current_activities") -> list[tuple]:
    return con.execute(f"SELECT date, type, events, participants, import_id FROM {table} "
                       "WHERE municipality = 'Vlorë' ORDER BY date").fetchall()


def donor_rows(con) -> list[tuple]:
    return current_rows(con, "approved_activities")


@pytest.fixture
def reported(con, tmp_path):
    """Import #1: Vlorë's November and October rows, approved."""
    assert import_file(con, activities_file(tmp_path / "vlore_nentor.xlsx", NOVEMBER)).import_id == 1
    return con


def late_report(con, tmp_path) -> importing.ImportReport:
    report = import_file(con, activities_file(tmp_path / "vlore_6_nentor.xlsx", LATE), dry_run=True)
    assert report.status == "valid"
    return report


NOVEMBER_ROWS = [(dt.date(2025, 11, 3), "focus_group", 2, 40, 1), (dt.date(2025, 11, 12), "public_forum", 1, 65, 1),
                 (dt.date(2025, 11, 20), "focus_group", 1, 18, 1)]
OCTOBER_ROW = (dt.date(2025, 10, 14), "training", 1, 12, 1)
LATE_ROW = (dt.date(2025, 11, 6), "workshop", 1, 25, 2)


@pytest.mark.parametrize(("mode", "leaving", "after"), [
    # The documented rule: the late row replaces Vlorë's whole November.
    (store.REPLACE_MODE, [(1, d, "Vlorë", k, e, p) for d, k, e, p, _ in NOVEMBER_ROWS], [OCTOBER_ROW, LATE_ROW]),
    # Added: nothing leaves, November holds four rows.
    (store.ADD_MODE, [], [OCTOBER_ROW, NOVEMBER_ROWS[0], LATE_ROW, *NOVEMBER_ROWS[1:]]),
])
def test_what_leaves_before_storing_is_what_storing_takes_out(reported, tmp_path, mode, leaving, after):
    report = late_report(reported, tmp_path)
    found = importing.leaving(reported, report, mode)
    shown = [(r.import_id, r.date.date(), r.municipality, r.type, r.events, r.participants)
             for r in found["activities"].itertuples(index=False)] if found else []
    assert shown == leaving
    stored = import_file(reported, tmp_path / "vlore_6_nentor.xlsx", mode=mode)
    assert (stored.status, stored.import_id, stored.mode) == ("imported", 2, mode)
    assert current_rows(reported) == after
    assert reported.execute("SELECT mode FROM imports WHERE id = 2").fetchone() == (mode,)


@pytest.mark.parametrize(("lang", "line"), [
    ("en", ("Vlorë, Nov 2025: 3 activity rows from import #1 (vlore_nentor.xlsx): focus group (3 events, "
            "58 participants); public forum (1 event, 65 participants)")),
    ("sq", ("Vlorë, 11.2025: 3 rreshta aktivitetesh nga importi #1 (vlore_nentor.xlsx): Fokus grup (3 aktivitete, "
            "58 pjesëmarrës); Forum publik (1 aktivitet, 65 pjesëmarrës)")),
])
def test_what_leaves_is_said_in_the_readers_words(reported, tmp_path, lang, line):
    leaving = importing.leaving(reported, late_report(reported, tmp_path))
    assert review.leaving_lines(leaving, lang) == [line]


def test_adding_rows_undoes_to_exactly_the_state_before(reported, tmp_path):
    before = kpi_state(reported)
    stored = import_file(reported, activities_file(tmp_path / "late.xlsx", LATE), mode=store.ADD_MODE)
    assert kpi_state(reported) != before
    assert store.undo(reported, stored.import_id) == {"priorities": 0, "priority_status": 0, "activities": 1,
                                                      "figures": 0, "targets": 0}
    assert kpi_state(reported) == before


def test_an_added_submitted_import_reaches_donors_only_when_approved(reported, tmp_path):
    stored = import_file(reported, activities_file(tmp_path / "late.xlsx", LATE), by=PARTNER, mode=store.ADD_MODE)
    assert (stored.review, stored.mode) == ("submitted", store.ADD_MODE)
    first = [OCTOBER_ROW, *NOVEMBER_ROWS]
    assert donor_rows(reported) == first
    assert review.held(reported, 2).leaving == {}  # approving it takes nothing out of donors' view
    store.approve(reported, 2, "besa")
    assert donor_rows(reported) == [OCTOBER_ROW, NOVEMBER_ROWS[0], LATE_ROW, *NOVEMBER_ROWS[1:]]
    store.undo(reported, 2, who="besa")
    assert donor_rows(reported) == first


def test_a_replacing_submitted_import_takes_out_of_donors_view_exactly_what_the_review_lists(reported, tmp_path):
    import_file(reported, activities_file(tmp_path / "late.xlsx", LATE), by=PARTNER)
    listed = review.held(reported, 2).leaving["activities"]
    assert [(r.import_id, r.date.date(), r.type) for r in listed.itertuples()] == [
        (1, d, k) for d, k, *_ in NOVEMBER_ROWS]
    before = set(donor_rows(reported))
    store.approve(reported, 2, "besa")
    after = set(donor_rows(reported))
    assert before - after == set(NOVEMBER_ROWS)
    assert after - before == {LATE_ROW}


def test_a_later_replacing_import_hides_an_added_one_from_donors_and_its_undo_brings_it_back(reported, tmp_path):
    import_file(reported, activities_file(tmp_path / "late.xlsx", LATE), mode=store.ADD_MODE)  # #2, approved
    corrected = [[dt.datetime(2025, 11, 30), "Vlorë", "Konferencë", 1, 90, 50, 40, None, "Drejtësia sociale"]]
    import_file(reported, activities_file(tmp_path / "corrected.xlsx", corrected))  # #3 replaces November
    november_only = [OCTOBER_ROW, (dt.date(2025, 11, 30), "conference", 1, 90, 3)]
    assert donor_rows(reported) == current_rows(reported) == november_only
    store.undo(reported, 3)
    assert donor_rows(reported) == current_rows(reported) == [OCTOBER_ROW, NOVEMBER_ROWS[0], LATE_ROW,
                                                              *NOVEMBER_ROWS[1:]]


def test_a_coordinator_reads_what_a_submitted_import_holds_with_the_warnings_its_partner_saw(reported, tmp_path):
    rows = [*LATE, [dt.datetime(2025, 11, 7), "Vlorë", "Fokus grup", 2, 30, 16, 14, None, "Uji i pijshëm"],
            ["Gjithsej", None, None, 3, 60, None, None, None, None]]
    checked = import_file(reported, activities_file(tmp_path / "with_total.xlsx", rows), by=PARTNER,
                          mode=store.ADD_MODE)
    assert checked.status == "imported"
    held = review.held(reported, checked.import_id)
    assert [w.message("en") for w in held.warnings] == [w.message("en") for w in checked.warnings
                                                        if w.code != "replaces"]
    assert any(w.code == "total_mismatch" for w in held.warnings)
    assert (held.municipalities, [m.strftime("%Y-%m") for m in held.months]) == (["Vlorë"], ["2025-11"])
    totals = review.type_totals(held.rows["activities"])
    assert totals.astype(object).values.tolist() == [["focus_group", 2, 30, 16, 14, 1], ["workshop", 1, 25, 15, 10, 1]]
    assert review.summary_line(held, "en") == (
        "Import #2 · with_total.xlsx · from arta: 2 rows of activities for Vlorë (Nov 2025). "
        + t("review.mode.add", "en"))


def test_the_command_line_adds_with_add_and_says_what_would_leave_on_a_dry_run(tmp_path, capsys):
    from pop_analytics import cli
    db = tmp_path / "cli.duckdb"
    first = activities_file(tmp_path / "vlore_nentor.xlsx", NOVEMBER)
    late = activities_file(tmp_path / "vlore_6_nentor.xlsx", LATE)
    assert cli.main(["--db", str(db), "import", str(first)]) == 0
    capsys.readouterr()
    assert cli.main(["--db", str(db), "import", "--dry-run", str(late)]) == 0
    out = capsys.readouterr().out.splitlines()  # after the file's line and its warning (no cycle column)
    assert out[2:] == [t("cli.import.leaves", "en"),
                       ("    − Vlorë, Nov 2025: 3 activity rows from import #1 (vlore_nentor.xlsx): focus group "
                        "(3 events, 58 participants); public forum (1 event, 65 participants)")]
    assert cli.main(["--db", str(db), "import", "--dry-run", "--json", str(late)]) == 0
    [report] = json.loads(capsys.readouterr().out)
    assert (report["mode"], [(r["table"], r["import_id"], r["date"], r["type"], r["events"], r["participants"])
                             for r in report["leaving"]]) == ("replace", [
        ("activities", 1, "2025-11-03", "focus_group", 2, 40), ("activities", 1, "2025-11-12", "public_forum", 1, 65),
        ("activities", 1, "2025-11-20", "focus_group", 1, 18)])
    assert cli.main(["--db", str(db), "import", "--dry-run", "--add", str(late)]) == 0
    assert capsys.readouterr().out.splitlines()[2:] == [t("cli.import.leaves_none", "en")]
    assert cli.main(["--db", str(db), "import", "--add", str(late)]) == 0
    assert t("cli.import.added", "en") in capsys.readouterr().out.splitlines()
    with store.connect(db, read_only=True) as check:
        assert len(current_rows(check)) == 5


def test_show_prints_what_a_submitted_import_holds_and_what_approving_it_takes_out(tmp_path, capsys):
    from pop_analytics import cli
    db = tmp_path / "show.duckdb"
    with store.connect(db) as con:
        import_file(con, activities_file(tmp_path / "vlore_nentor.xlsx", NOVEMBER))
        import_file(con, activities_file(tmp_path / "vlore_6_nentor.xlsx", LATE), by=PARTNER)
    assert cli.main(["--db", str(db), "show", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "Import #2 · vlore_6_nentor.xlsx · from arta: 1 row of activities for Vlorë (Nov 2025). "
        + t("review.mode.replace", "en"), "Status: submitted", "Totals per activity type:"]
    assert out[out.index("What approving it takes out of donors' view:") + 1] == (
        "    − Vlorë, Nov 2025: 3 activity rows from import #1 (vlore_nentor.xlsx): focus group (3 events, "
        "58 participants); public forum (1 event, 65 participants)")
    assert out[-3] == "Its rows: 1 activity row"
    assert out[-1].split() == ["6", "Nov", "2025", "citizen", "workshop", "1", "25", "Vlorë", "15", "10", "–",
                               "Aktivitetet", "2", "social", "justice"]
    assert cli.main(["--db", str(db), "show", "9"]) == 1
    assert capsys.readouterr().err.strip() == "Error: " + t("review.unknown", "en", import_id=9)
