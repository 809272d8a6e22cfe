"""importing: partners' real-shaped files from bytes to the store, and what refused, duplicate, replacing
and undone imports do to the KPIs."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from conftest import (
    ACTIVITY_HEADERS,
    TODAY,
    corrected_tirane_2023,
    durres_english,
    import_file,
    korce_priorities,
    kpi_state,
    located,
    messy_errors,
    messy_refused_file,
    tirane_activities,
    write_csv,
    write_xlsx,
)

from pop_analytics import filters, importing, kpis, store
from pop_analytics.access import Viewer
from pop_analytics.database import Database
from pop_analytics.errors import UndoRefused
from pop_analytics.settings import DEMO_DIR, MAX_UPLOAD_BYTES

# Import ids of the demo files (loaded in name order).
DEMO_ACTIVITIES, DEMO_PRIORITIES_2019, DEMO_PRIORITIES_2023, DEMO_FIGURES = 1, 2, 3, 4


def rows_of(con, sql):
    return con.execute(sql).fetchall()


# ----------------------------------------------------------------------------------- partner-shaped files

@pytest.mark.parametrize("lang", ["sq", "en"])
def test_stored_warnings_are_a_code_and_parameters_written_in_the_readers_language(con, tmp_path, lang):
    report = import_file(con, tirane_activities(tmp_path))
    stored = con.execute("SELECT warnings FROM imports WHERE id = ?", [report.import_id]).fetchone()[0]
    assert "message_sq" not in stored and '"params"' in stored
    assert [(w.code, w.row, w.column, w.message(lang)) for w in store.import_warnings(con, report.import_id)] == [
        (w.code, w.row, w.column, w.message(lang)) for w in report.warnings]


def test_warnings_stored_as_sentences_by_an_older_release_are_read_as_written(con, tmp_path):
    report = import_file(con, tirane_activities(tmp_path))
    old = ('[{"code": "total_mismatch", "sheet": "A", "row": 9, "column": "Gra", "value": "", '
           '"message_sq": "Rreshti i totalit thotë 70.", "message_en": "The total row says 70."}]')
    con.execute("UPDATE imports SET warnings = ? WHERE id = ?", [old, report.import_id])
    [warning] = store.import_warnings(con, report.import_id)
    assert (warning.code, warning.row, warning.message("sq"), warning.message_en) == (
        "total_mismatch", 9, "Rreshti i totalit thotë 70.", "The total row says 70.")
    assert warning.as_dict("sq")["message"] == "Rreshti i totalit thotë 70."


def test_a_titled_merged_totalled_workbook_is_imported_row_by_row(con, tmp_path):
    report = import_file(con, tirane_activities(tmp_path))
    assert (report.status, report.kind, report.rows, report.errors, report.import_id) == (
        "imported", "activities", 3, [], 1)
    assert [(w.code, w.row, w.column) for w in report.warnings] == [
        ("cycle_from_date", None, ""),
        ("total_mismatch", 9, "Pjesëmarrës gjithsej"),
        ("total_mismatch", 9, "Gra"),
    ]
    assert report.warnings[1].message_en == (
        "The total row of sheet 'Aktivitetet T3' (row 9) says 300 for 'Pjesëmarrës gjithsej', but the rows above add "
        "up to 321.")
    assert report.warnings[2].message_en == (
        "The total row of sheet 'Aktivitetet T3' (row 9) says 70 for 'Gra', but the rows above add up to 67.")
    assert rows_of(con, "SELECT date, municipality, type, events, participants, women, men, youth, themes, cycle, "
                        "sheet, excel_row FROM activities ORDER BY excel_row") == [
        (dt.date(2023, 7, 4), "Tiranë", "focus_group", 3, 57, 27, 30, 12, ["water", "roads"], "2023-2027",
         "Aktivitetet T3", 5),
        (dt.date(2023, 8, 17), "Tiranë", "focus_group", 10, 200, None, None, None, ["kindergartens", "transport"],
         "2023-2027", "Aktivitetet T3", 6),
        (dt.date(2023, 9, 20), "Tiranë", "participatory_budgeting", 1, 64, 40, 24, None, ["civic_engagement"],
         "2023-2027", "Aktivitetet T3", 7),
    ]


def test_a_semicolon_windows_1250_csv_with_a_title_is_imported(con, tmp_path):
    report = import_file(con, korce_priorities(tmp_path))
    assert (report.status, report.kind, report.rows, report.warnings) == ("imported", "priorities", 3, [])
    assert rows_of(con, "SELECT s.municipality, s.code, p.title, p.theme, s.year, s.status, s.excel_row "
                        "FROM priority_status s JOIN priorities p USING (cycle, municipality, code) "
                        "ORDER BY s.code") == [
        ("Korçë", "KOR-01", "Çerdhe në lagjen nr. 5", "kindergartens", 2021, "partially", 3),
        ("Korçë", "KOR-02", "Ujë i pijshëm 24 orë në Drenovë", "water", 2021, "not_addressed", 4),
        ("Korçë", "KOR-03", "Asfaltimi i rrugës së Mborjes", "roads", 2021, "fully", 5),
    ]


def test_english_headers_text_numbers_and_serial_dates_are_imported(con, tmp_path):
    report = import_file(con, durres_english(tmp_path))
    assert (report.status, report.rows) == ("imported", 2)
    assert rows_of(con, "SELECT date, municipality, type, events, participants, women, men, themes, partner "
                        "FROM activities ORDER BY date") == [
        (dt.date(2023, 9, 14), "Durrës", "focus_group", 4, 1157, 600, 557, ["water", "roads"],
         "Qendra për Zhvillimin e Shoqërisë Civile"),
        (dt.date(2023, 10, 2), "Durrës", "public_forum", 1, 80, None, None, [],
         "Qendra për Zhvillimin e Shoqërisë Civile"),
    ]


# The total row is compared only with a sheet whose rows could all be read.
MESSY_WARNINGS = [("cycle_from_date", None, "", "")]


def test_each_kind_of_error_is_reported_at_its_exact_row_and_nothing_is_stored(con, tmp_path):
    report = import_file(con, messy_refused_file(tmp_path))
    assert (report.status, report.kind, report.rows, report.import_id) == ("refused", None, 0, None)
    # the warnings come with the errors, not after they are fixed
    assert [(w.code, w.row, w.column, w.value) for w in report.warnings] == MESSY_WARNINGS
    assert located(report.errors) == messy_errors("01.12.2026")
    assert report.errors[0].message_en.endswith("Did you mean 'Tiranë'?")
    assert store.snapshot(con) == {t: [] for t in store.DATA_TABLES}
    assert store.history(con).empty


def test_a_missing_required_column_refuses_the_file(con, tmp_path):
    path = write_xlsx(tmp_path / "pa_status.xlsx", {"Prioritetet": [
        ["Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Komente"],
        ["Fier", "FIE-01", "Ujë", "Uji i pijshëm", 2021, "ok"]]})
    report = import_file(con, path)
    assert report.status == "refused"
    assert located(report.errors) == [("missing_column", "Prioritetet", 1, "Statusi / Status", "")]
    assert store.history(con).empty


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [("bosh.xlsx", b"", "empty_file"), ("bosh.csv", b"\r\n \r\n", "empty_file"),
     ("prishur.xlsx", b"PK\x03\x04 not really a workbook", "unreadable_file"),
     ("foto.jpg", b"\xff\xd8\xff\xe0 JFIF", "unsupported_file")],
)
def test_an_empty_or_unreadable_file_is_refused(con, name, data, code):
    report = importing.import_bytes(con, data, name, today=TODAY)
    assert (report.status, [p.code for p in report.errors], [p.value for p in report.errors]) == (
        "refused", [code], [name])
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert store.history(con).empty


def test_a_path_that_cannot_be_read_is_refused(con, tmp_path):
    report = import_file(con, tmp_path / "nuk_ekziston.xlsx")
    assert (report.status, report.file, report.sha256) == ("refused", str(tmp_path / "nuk_ekziston.xlsx"), "")
    assert [(p.code, p.message_en) for p in report.errors] == [(
        "unreadable_file", ("The file 'nuk_ekziston.xlsx' cannot be read as a spreadsheet (No such file or directory). "
                            "Save it again from Excel as .xlsx or .csv and upload it again."))]


def test_a_file_over_the_size_limit_is_refused_before_reading(con):
    report = importing.import_bytes(con, b"x" * (MAX_UPLOAD_BYTES + 100_000), "shume_i_madh.csv", today=TODAY,
                                    limit=MAX_UPLOAD_BYTES)
    assert report.status == "refused"
    assert [(p.code, p.message_en) for p in report.errors] == [(
        "file_too_large", ("The file 'shume_i_madh.csv' is 20.1 MB, more than the 20 MB this tool accepts. "
                           "Split it into smaller files."))]
    # the size as Albanian writes a number (formats.number: a decimal comma)
    assert report.errors[0].message_sq.startswith("Skedari 'shume_i_madh.csv' është 20,1 MB, më shumë se 20 MB")


def test_a_dry_run_validates_and_stores_nothing(con, tmp_path):
    report = import_file(con, korce_priorities(tmp_path), dry_run=True)
    assert (report.status, report.kind, report.rows, report.import_id) == ("valid", "priorities", 3, None)
    assert store.history(con).empty
    assert store.snapshot(con) == {t: [] for t in store.DATA_TABLES}


def test_report_as_dict_has_the_documented_shape(con, tmp_path):
    report = import_file(con, messy_refused_file(tmp_path))
    shown = report.as_dict("sq")
    assert list(shown) == ["file", "sha256", "status", "kind", "rows", "import_id", "review", "mode", "errors",
                           "errors_not_listed", "warnings"]
    assert shown["errors_not_listed"] == 0
    assert shown["errors"][0] == {
        "sheet": "Aktivitetet", "row": 4, "column": "Bashkia", "value": "Tyranna",
        "message": "'Tyranna' nuk është bashki që ky program e njeh. Shkruani emrin e bashkisë, p.sh. Tiranë. "
                   "Mos keni parasysh 'Tiranë'?",
        "message_sq": "'Tyranna' nuk është bashki që ky program e njeh. Shkruani emrin e bashkisë, p.sh. Tiranë. "
                      "Mos keni parasysh 'Tiranë'?",
        "message_en": "'Tyranna' is not a municipality this tool knows. Write the municipality's name, e.g. Tiranë. "
                      "Did you mean 'Tiranë'?",
        "code": "unknown_municipality", "vocabulary": "municipality", "choices": ["Tiranë"],
    }


# ----------------------------------------------------------------------------------- KPIs must not move

def test_a_refused_file_leaves_the_kpis_exactly_as_before(demo_con, tmp_path):
    before = kpi_state(demo_con)
    imports_before = len(store.history(demo_con))
    assert import_file(demo_con, messy_refused_file(tmp_path)).status == "refused"
    assert import_file(demo_con, tmp_path / "mungon.csv").status == "refused"
    assert kpi_state(demo_con) == before
    assert len(store.history(demo_con)) == imports_before


def test_a_duplicate_file_leaves_the_kpis_exactly_as_before(demo_con):
    before = kpi_state(demo_con)
    report = import_file(demo_con, DEMO_DIR / "aktivitetet.csv")
    assert (report.status, report.import_id, report.rows, report.errors) == ("duplicate", DEMO_ACTIVITIES, 0, [])
    # the same bytes under another name are still the same file
    again = importing.import_bytes(demo_con, (DEMO_DIR / "shifrat.csv").read_bytes(), "kopje.csv", today=TODAY)
    assert (again.status, again.import_id) == ("duplicate", DEMO_FIGURES)
    assert kpi_state(demo_con) == before
    assert len(store.history(demo_con)) == 5


def test_an_import_followed_by_undo_leaves_the_kpis_exactly_as_before(demo_con, tmp_path):
    before = kpi_state(demo_con)
    report = import_file(demo_con, tirane_activities(tmp_path))
    assert report.status == "imported"
    assert kpi_state(demo_con) != before
    store.undo(demo_con, report.import_id)
    assert kpi_state(demo_con) == before
    # and once undone, the same file may be imported again
    assert import_file(demo_con, tirane_activities(tmp_path)).status == "imported"


# ----------------------------------------------------------------------------------- supersession

def priority_kpis(con, **chosen):
    return kpis.kpis(con, filters.resolve(**chosen))["priorities"]


def test_a_corrected_priorities_sheet_replaces_the_old_statuses_and_undo_brings_them_back(demo_con, tmp_path):
    before = kpi_state(demo_con)
    assert priority_kpis(demo_con, municipality="Tiranë", year=2023) == {
        "total": 12, "fully": 4, "partially": 2, "not_addressed": 6,
        "fully_pct": 33.3, "partially_pct": 16.7, "not_addressed_pct": 50.0, "addressed_pct": 50.0}

    report = import_file(demo_con, corrected_tirane_2023(tmp_path))
    assert (report.status, report.rows, report.import_id) == ("imported", 12, 6)
    assert [(w.code, w.message_en, w.message_sq) for w in report.warnings] == [
        ("replaces", "This file replaces 12 priorities stored earlier by import #2 (prioritetet_2019_2023.csv).",
         "Ky skedar zëvendëson 12 prioritete që ishin ruajtur më parë nga importi #2 (prioritetet_2019_2023.csv)."),
        ("replaces", "This file replaces 12 yearly statuses stored earlier by import #2 (prioritetet_2019_2023.csv).",
         "Ky skedar zëvendëson 12 statuse vjetore që ishin ruajtur më parë nga importi #2 "
         "(prioritetet_2019_2023.csv)."),
    ]
    assert priority_kpis(demo_con, municipality="Tiranë", year=2023) == {
        "total": 12, "fully": 5, "partially": 4, "not_addressed": 3,
        "fully_pct": 41.7, "partially_pct": 33.3, "not_addressed_pct": 25.0, "addressed_pct": 75.0}
    assert priority_kpis(demo_con, year=2023, cycle="2019-2023") == {
        "total": 137, "fully": 61, "partially": 44, "not_addressed": 32,
        "fully_pct": 44.5, "partially_pct": 32.1, "not_addressed_pct": 23.4, "addressed_pct": 76.6}
    # other years of the same priorities are untouched
    assert priority_kpis(demo_con, year=2020) == before["kpis"][1]["priorities"]

    with pytest.raises(UndoRefused) as caught:
        store.undo(demo_con, DEMO_PRIORITIES_2019)
    assert str(caught.value) == ("Import #2 cannot be undone while later imports replace some of its rows: "
                                 "undo #6 first.")

    store.undo(demo_con, report.import_id)
    assert kpi_state(demo_con) == before


def test_an_activities_file_replaces_that_municipalitys_rows_of_the_same_month_only(demo_con, tmp_path):
    before = kpi_state(demo_con)
    tirane_2023 = kpis.kpis(demo_con, filters.resolve(municipality="Tiranë", year=2023))["activities"]
    assert (tirane_2023["events"], tirane_2023["participants"]) == (21, 622)
    assert tirane_2023["by_type"]["focus_group"] == {"events": 13, "participants": 257}
    others_before = [m for m in kpis.kpis(demo_con, filters.resolve(year=2023))["by_municipality"]
                     if m["municipality"] != "Tiranë"]

    path = write_xlsx(tmp_path / "Tirane_tetor_2023.xlsx", {"Aktivitetet": [
        ["Aktivitetet e tetorit 2023 – Tiranë (korrigjim)"],
        ACTIVITY_HEADERS,
        [dt.datetime(2023, 10, 10), "Tirana", "12 fokus grupe - 230 gra dhe burra", None, None, None, None, None,
         "Kopshte; Uji i pijshëm"],
        [dt.datetime(2023, 10, 20), "Tirana", "Forum publik", 1, 40, 22, 18, 10, "Angazhim qytetar"],
    ]})
    report = import_file(demo_con, path)
    assert report.status == "imported"
    assert [w.message_en for w in report.warnings if w.code == "replaces"] == [
        "This file replaces 1 activity row stored earlier by import #1 (aktivitetet.csv)."]

    tirane_2023 = kpis.kpis(demo_con, filters.resolve(municipality="Tiranë", year=2023))["activities"]
    assert (tirane_2023["events"], tirane_2023["participants"]) == (24, 692)
    assert tirane_2023["by_type"]["focus_group"] == {"events": 15, "participants": 287}
    assert tirane_2023["by_type"]["public_forum"] == {"events": 4, "participants": 274}
    others_after = [m for m in kpis.kpis(demo_con, filters.resolve(year=2023))["by_municipality"]
                    if m["municipality"] != "Tiranë"]
    assert others_after == others_before
    # Tiranë's other months are still the demo's rows
    assert rows_of(demo_con, "SELECT month, import_id FROM activities WHERE superseded_by IS NULL AND "
                             "municipality = 'Tiranë' AND year = 2023 ORDER BY date") == [
        (2, 1), (3, 1), (3, 1), (5, 1), (5, 1), (6, 1), (10, 6), (10, 6)]

    store.undo(demo_con, report.import_id)
    assert kpi_state(demo_con) == before


def test_past_200_problems_of_a_kind_the_rest_are_counted_in_one_sentence_per_column(tmp_path):
    rows = [["Data", "Bashkia", "Lloji i aktivitetit"]] + [["32.13.2023", "Tyranna", "Fokus grup"]] * 250
    report = importing.check(write_csv(tmp_path / "a.csv", rows).read_bytes(), "a.csv", today=TODAY)
    assert (report.status, len(report.errors), report.omitted, report.problem_count) == ("refused", 402, 100, 500)
    assert [(e.code, e.column, e.message_en) for e in report.errors if e.code == "more_problems"] == [
        ("more_problems", "Data", ("50 more rows have problems of the same kind in column 'Data'; only the first 200 "
                                  "are listed. Fix those the same way, then check the file again.")),
        ("more_problems", "Bashkia", ("50 more rows have problems of the same kind in column 'Bashkia'; only the first "
                                     "200 are listed. Fix those the same way, then check the file again."))]
    assert report.as_dict()["errors_not_listed"] == 100


# ----------------------------------------------------------------------------------- who may learn a file is stored

def test_the_upload_check_tells_a_partner_nothing_about_another_partners_stored_file(demo_copy, tmp_path):
    """The Upload page checks a file as a dry run before anything is stored: for a file another
    partner stored, a partner gets the same answer as before it was stored (their municipalities'
    refusal), never its import number."""
    db = Database(demo_copy)
    data = durres_english(tmp_path).read_bytes()
    tirane = Viewer(name="alba", role="partner", municipalities=("Tiranë",))
    unseen = importing.import_bytes(db, data, "durres.csv", dry_run=True, by=tirane)
    stored = importing.import_bytes(db, data, "durres.csv", by=Viewer(name="drini", role="partner",
                                                                      municipalities=("Durrës",)))
    assert (stored.status, stored.review) == ("imported", "submitted")

    seen = importing.import_bytes(db, data, "durres.csv", dry_run=True, by=tirane)
    assert (seen.status, seen.import_id, [p.code for p in seen.errors]) == (
        "refused", None, ["not_your_municipality", "not_your_municipality"])
    assert seen.as_dict() == unseen.as_dict()
    again = importing.import_bytes(db, data, "durres.csv", dry_run=True, by=Viewer(name="drini", role="partner",
                                                                                   municipalities=("Durrës",)))
    assert (again.status, again.import_id) == ("duplicate", stored.import_id)
