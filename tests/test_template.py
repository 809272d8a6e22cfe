"""template: the partners' workbook — sheets, bilingual headers, drop-down lists, and that a filled-in copy imports."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from conftest import import_file, write_csv

from pop_analytics import queries, reference, store, template
from pop_analytics.access import Viewer
from pop_analytics.i18n import t


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory):
    return template.write(tmp_path_factory.mktemp("template") / "nested" / "POP_template.xlsx")


@pytest.fixture
def workbook(workbook_path):
    return openpyxl.load_workbook(workbook_path)


# The indicators as the template offers them (Albanian label) and as they are stored (key).
INDICATORS = [
    ("Aktivitete të raportuara", "events"),
    ("Pjesëmarrës të raportuar", "participants"),
    ("Pjesëmarrës unikë", "unique_participants"),
    ("Persona të arritur", "persons_reached"),
    ("Kandidatë të angazhuar", "candidates_engaged"),
    ("Raporte monitorimi të publikuara", "monitoring_reports"),
    ("Kontrata sociale të firmosura", "contracts_signed"),
]
INDICATOR_LABELS = [label for label, _key in INDICATORS]


def validations(sheet) -> dict[str, tuple]:
    """Column range → (list source, shows an error, error style) of every drop-down in the sheet."""
    return {str(v.sqref): (v.type, v.formula1, bool(v.showErrorMessage), v.errorStyle)
            for v in sheet.data_validations.dataValidation}


def test_the_workbook_has_instructions_four_sheets_and_a_hidden_lists_sheet(workbook):
    assert workbook.sheetnames == ["Udhëzime", "Prioritetet", "Aktivitetet", "Shifrat", "Synimet", "Listat"]
    assert [workbook[name].sheet_state for name in workbook.sheetnames] == [
        "visible", "visible", "visible", "visible", "visible", "hidden"]


@pytest.mark.parametrize(
    ("sheet", "headers"),
    [
        ("Prioritetet", ["Cikli / Contract cycle", "Bashkia / Municipality *", "Kodi / Code *",
                         "Prioriteti / Priority *", "Tema / Theme *", "Viti i monitorimit / Monitoring year *",
                         "Statusi / Status *", "Shënime / Note", "Burimi / Source", "Afati / Deadline"]),
        ("Aktivitetet", ["Cikli / Contract cycle", "Data / Date *", "Bashkia / Municipality *",
                         "Lloji i aktivitetit / Activity type *", "Numri i aktiviteteve / Number of events",
                         "Pjesëmarrës gjithsej / Participants total", "Gra / Women", "Burra / Men", "Të rinj / Youth",
                         "Tema / Themes", "Organizata partnere / Partner organisation", "Shënime / Note",
                         "Lidhja / Link", "Burimi / Source"]),
        ("Shifrat", ["Viti / Year *", "Nga data / From date", "Deri më / To date", "Bashkia / Municipality",
                     "Lloji i aktivitetit / Activity type", "Treguesi / Indicator *", "Vlera / Value *",
                     "Burimi / Source", "Shënime / Note"]),
        ("Synimet", ["Objektivi / Objective *", "Treguesi / Indicator *", "Viti / Year *", "Bashkia / Municipality",
                     "Synimi / Target *", "Njësia / Unit", "Burimi / Source", "Shënime / Note"]),
    ],
)
def test_headers_are_bilingual_and_required_ones_are_starred(workbook, sheet, headers):
    assert [cell.value for cell in workbook[sheet][1]] == headers
    assert workbook[sheet].freeze_panes == "A2"


@pytest.mark.parametrize(
    ("sheet", "expected"),
    [
        ("Prioritetet", {"A2:A2000": ("list", "'Listat'!$E$2:$E$3", True, "stop"),      # cycle
                         "B2:B2000": ("list", "'Listat'!$A$2:$A$62", True, "stop"),     # municipality
                         "E2:E2000": ("list", "'Listat'!$B$2:$B$8", True, "stop"),      # theme
                         "G2:G2000": ("list", "'Listat'!$C$2:$C$4", True, "stop")}),    # status
        ("Aktivitetet", {"A2:A2000": ("list", "'Listat'!$E$2:$E$3", True, "stop"),
                         "C2:C2000": ("list", "'Listat'!$A$2:$A$62", True, "stop"),     # municipality
                         "D2:D2000": ("list", "'Listat'!$D$2:$D$9", True, "stop"),      # type
                         # several themes may share a cell: the list only suggests
                         "J2:J2000": ("list", "'Listat'!$B$2:$B$8", False, "information")}),
        ("Shifrat", {"D2:D2000": ("list", "'Listat'!$A$2:$A$62", True, "stop"),
                     "E2:E2000": ("list", "'Listat'!$D$2:$D$9", True, "stop"),
                     "F2:F2000": ("list", "'Listat'!$F$2:$F$8", True, "stop")}),            # indicator
        ("Synimet", {"A2:A2000": ("list", "'Listat'!$G$2:$G$5", True, "stop"),      # objective
                     "B2:B2000": ("list", "'Listat'!$H$2:$H$11", True, "stop"),     # target indicator
                     "D2:D2000": ("list", "'Listat'!$A$2:$A$62", True, "stop"),     # municipality
                     "F2:F2000": ("list", "'Listat'!$I$2:$I$5", True, "stop")}),    # unit
    ],
)
def test_drop_downs_for_municipality_theme_status_and_type(workbook, sheet, expected):
    assert validations(workbook[sheet]) == expected


def test_the_lists_hold_the_reference_values(workbook):
    lists = {column[0].value: [c.value for c in column[1:] if c.value is not None]
             for column in workbook["Listat"].iter_cols()}
    assert list(lists) == ["municipality", "theme", "status", "type", "cycle", "indicator", "objective",
                           "target_indicator", "unit"]
    assert lists["municipality"][:12] == sorted(reference.pop_municipalities())  # the network's first
    assert sorted(lists["municipality"]) == sorted(m.name for m in reference.municipalities())
    assert len(lists["municipality"]) == 61
    assert lists["theme"] == [t.label_sq for t in reference.terms("themes")]
    assert lists["status"] == ["Plotësisht", "Pjesërisht", "Nuk është adresuar"]
    assert lists["type"] == ["Fokus grup", "Forum publik", "Takim për buxhetimin me pjesëmarrje",
                             "Mbledhje e Këshillit Bashkiak", "Workshop qytetar", "Konferencë", "Trajnim", "Tjetër"]
    assert lists["cycle"] == ["2019-2023", "2023-2027"]
    assert lists["indicator"] == INDICATOR_LABELS  # labels a partner reads, never keys like unique_participants
    assert lists["objective"] == ["SO1", "SO2", "SO3", "SO4"]
    assert lists["target_indicator"] == [i.label_sq for i in reference.target_indicators()]
    assert lists["unit"] == ["aktivitete", "persona", "%", "raporte"]


def test_the_instructions_are_in_albanian_and_english(workbook):
    lines = [c.value for c in workbook["Udhëzime"]["A"] if c.value]
    assert lines[0] == "POP Analytics — shablloni i monitorimit / POP Analytics — monitoring template"
    assert "Si të plotësohet ky skedar:" in lines
    assert "How to fill in this workbook:" in lines
    assert len(lines) == 17


def test_date_columns_are_formatted_as_dates(workbook):
    assert workbook["Aktivitetet"]["B2"].number_format == "DD.MM.YYYY"
    assert workbook["Shifrat"]["B2"].number_format == "DD.MM.YYYY"
    assert workbook["Prioritetet"]["J2"].number_format == "DD.MM.YYYY"  # a priority's own deadline


def test_a_filled_in_template_imports(workbook_path, con, tmp_path):
    workbook = openpyxl.load_workbook(workbook_path)
    for col, value in enumerate(["2019-2023", "Pukë", "PUK-01", "Ujë i pijshëm në NjA Qerret", "Uji i pijshëm", 2022,
                                 "Pjesërisht"], start=1):
        workbook["Prioritetet"].cell(2, col, value)
    for col, value in enumerate([None, dt.datetime(2023, 10, 5), "Pukë", "Fokus grup", 2, 30, 18, 12, 9,
                                 "Uji i pijshëm; Infrastruktura rrugore"], start=1):
        workbook["Aktivitetet"].cell(2, col, value)
    filled = tmp_path / "Puke_2023.xlsx"
    workbook.save(filled)
    report = import_file(con, filled)
    assert (report.status, report.kind, report.rows, report.errors) == ("imported", "priorities+activities", 2, [])
    assert [(w.code, w.sheet) for w in report.warnings] == [
        ("skipped_sheet", "Udhëzime"), ("partner_filled", "Aktivitetet"), ("empty_sheet", "Shifrat"),
        ("empty_sheet", "Synimet")]
    assert con.execute("SELECT date, municipality, type, events, participants, themes, partner, excel_row "
                       "FROM activities").fetchall() == [
        (dt.date(2023, 10, 5), "Pukë", "focus_group", 2, 30, ["water", "roads"], "Lëvizja Rinore për Demokraci", 2)]
    assert con.execute("SELECT municipality, code, year, status, excel_row FROM priority_status").fetchall() == [
        ("Pukë", "PUK-01", 2022, "partially", 2)]


def test_the_indicator_drop_down_of_the_figures_sheet_offers_the_albanian_labels(workbook):
    assert workbook["Shifrat"]["F1"].value == "Treguesi / Indicator *"
    [validation] = [v for v in workbook["Shifrat"].data_validations.dataValidation if str(v.sqref) == "F2:F2000"]
    sheet_name, cells = validation.formula1.split("!")
    assert sheet_name == "'Listat'"
    offered = [cell.value for (cell,) in workbook["Listat"][cells.replace("$", "")]]
    assert offered == INDICATOR_LABELS


@pytest.mark.parametrize(("label", "key"), INDICATORS)
def test_an_indicator_picked_from_the_drop_down_imports_as_its_key(workbook_path, con, tmp_path, label, key):
    workbook = openpyxl.load_workbook(workbook_path)
    for col, value in enumerate([2025, dt.datetime(2025, 1, 1), dt.datetime(2025, 12, 31), "Pukë", None, label, 12],
                                start=1):
        workbook["Shifrat"].cell(2, col, value)
    filled = tmp_path / "Puke_shifrat_2025.xlsx"
    workbook.save(filled)
    report = import_file(con, filled)
    assert (report.status, report.kind, report.rows, report.errors) == ("imported", "figures", 1, [])
    assert con.execute("SELECT year, municipality, indicator, value, excel_row FROM figures").fetchall() == [
        (2025, "Pukë", key, 12.0, 2)]


# ── a partner's template (issue 19, item 10): their municipality, their contract's priorities ──

@pytest.fixture(scope="module")
def durres_template(tmp_path_factory, demo_db):
    con = store.connect(demo_db, read_only=True)
    try:
        priorities = queries.contract_priorities(con, ("Durrës",))
    finally:
        con.close()
    return template.write(tmp_path_factory.mktemp("durres") / "POP_template.xlsx", ("Durrës",), priorities)


def test_a_partners_template_offers_their_municipality_and_holds_their_contracts_priorities(durres_template, demo_db):
    workbook = openpyxl.load_workbook(durres_template)
    lists = {column[0].value: [c.value for c in column[1:] if c.value is not None]
             for column in workbook["Listat"].iter_cols()}
    assert lists["municipality"] == ["Durrës"]
    assert validations(workbook["Aktivitetet"])["C2:C2000"] == ("list", "'Listat'!$A$2:$A$2", True, "stop")
    rows = [row for row in workbook["Prioritetet"].iter_rows(min_row=2, values_only=True) if any(row)]
    con = store.connect(demo_db, read_only=True)
    try:
        stored = con.execute("""SELECT cycle, municipality, code, title, theme FROM priorities
                                WHERE municipality = 'Durrës' AND cycle = '2023-2027' ORDER BY code""").fetchall()
    finally:
        con.close()
    assert len(rows) == len(stored) == 12
    assert [row[:5] for row in rows] == [(c, m, code, title, reference.term_label("themes", theme, "sq"))
                                         for c, m, code, title, theme in stored]
    # the year and status are the partner's to write; no demo priority has a deadline of its own
    assert {row[5:] for row in rows} == {(None, None, None, None, None)}
    lines = [c.value for c in workbook["Udhëzime"]["A"] if c.value]
    assert lines[1:3] == [t("template.for_partner", lang, municipalities="Durrës", count=12, cycles="2023-2027")
                          for lang in ("sq", "en")]


def test_a_partners_filled_in_template_imports_under_the_partner(durres_template, con, tmp_path):
    workbook = openpyxl.load_workbook(durres_template)
    sheet = workbook["Prioritetet"]
    for row in range(2, 14):
        sheet.cell(row, 6, 2025)
        sheet.cell(row, 7, "Pjesërisht")
    filled = tmp_path / "Durres_2025.xlsx"
    workbook.save(filled)
    partner = Viewer(name="duro", role="partner", municipalities=("Durrës",), how="cli")
    report = import_file(con, filled, by=partner)
    assert (report.status, report.kind, report.rows, report.errors) == ("imported", "priorities", 12, [])
    assert con.execute("SELECT DISTINCT municipality, cycle, year, status FROM priority_status").fetchall() == [
        ("Durrës", "2023-2027", 2025, "partially")]


def test_everyone_elses_template_offers_every_municipality_and_holds_no_priority(workbook):
    assert [row for row in workbook["Prioritetet"].iter_rows(min_row=2, values_only=True) if any(row)] == []
    assert not [c.value for c in workbook["Udhëzime"]["A"] if c.value and "Durrës" in str(c.value)]


def test_a_partners_template_repeats_each_priority_s_own_deadline_so_the_sheet_sent_back_keeps_it(con, tmp_path):
    """A blank deadline cell means the cycle's end: a template without the partner's own dates would
    take them away when sent back."""
    import_file(con, write_csv(tmp_path / "fier.csv", [
        ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi", "Afati"],
        ["2023-2027", "Fier", "G1", "Ujë i pijshëm 24 orë", "Uji i pijshëm", 2024, "Pjesërisht", "30.06.2025"],
        ["2023-2027", "Fier", "G2", "Rruga e lagjes", "Rrugët", 2024, "Pjesërisht", None]]))
    path = template.write(tmp_path / "POP_template.xlsx", ("Fier",), queries.contract_priorities(con, ("Fier",)))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Prioritetet"]
    due = [c.value for c in sheet[1]].index("Afati / Deadline") + 1
    assert [(sheet.cell(r, 3).value, sheet.cell(r, due).value) for r in (2, 3)] == [
        ("G1", dt.datetime(2025, 6, 30)), ("G2", None)]
    assert sheet.cell(2, due).number_format == "DD.MM.YYYY"
    for row in (2, 3):
        sheet.cell(row, 6, 2025)
        sheet.cell(row, 7, "Plotësisht")
    workbook.save(tmp_path / "Fier_2025.xlsx")
    assert import_file(con, tmp_path / "Fier_2025.xlsx").status == "imported"
    assert con.execute("SELECT code, due FROM current_priorities ORDER BY code").fetchall() == [
        ("G1", dt.date(2025, 6, 30)), ("G2", None)]
