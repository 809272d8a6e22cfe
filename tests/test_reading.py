"""reading: partners' .xlsx/.csv files → sheets of raw cells located by their Excel row."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from conftest import ACTIVITY_HEADERS, PRIORITY_HEADERS, write_csv, write_xlsx

from pop_analytics import normalise, reading
from pop_analytics.errors import FileRefused

# ----------------------------------------------------------------------------------- encodings, delimiters


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("Bashkia;Korçë".encode(), "Bashkia;Korçë"),
        ("\ufeffBashkia;Korçë".encode(), "Bashkia;Korçë"),  # Excel's "CSV UTF-8" writes a BOM
        ("Bashkia;Korçë;Çerdhe – Gjithsej".encode("cp1250"), "Bashkia;Korçë;Çerdhe – Gjithsej"),
        ("Lëvizja Rinore; Šipka".encode("cp1250"), "Lëvizja Rinore; Šipka"),
        ("Korçë; “Shpresë”".encode("cp1252"), "Korçë; “Shpresë”"),
    ],
)
def test_decode_reads_utf8_and_windows_encodings(data, text):
    assert reading.decode(data) == text


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("Data,Bashkia,Lloji\n12.09.2023,Tiranë,Fokus grup\n", ","),
        ("Data;Bashkia;Lloji\n12.09.2023;Tiranë;Fokus grup\n", ";"),
        ("Data\tBashkia\tLloji\n12.09.2023\tTiranë\tFokus grup\n", "\t"),
        # a title line and numbers with decimal commas must not fool it
        ("Raporti, viti 2023\nData;Bashkia;Vlera\n12.09.2023;Tiranë;74,5\n13.09.2023;Fier;1,5\n", ";"),
    ],
)
def test_sniff_delimiter(text, delimiter):
    assert reading.sniff_delimiter(text) == delimiter


# ----------------------------------------------------------------------------------- tabulate


def test_header_found_under_a_title_and_rows_numbered_as_excel_shows_them():
    rows = [
        ["Monitorimi i Kontratës Sociale 2019-2023", None, None],
        [None, None, None],
        ["Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi"],
        ["Fier", "F-01", "Ujë", "Uji i pijshëm", 2021, "Plotësisht"],
        [None, None, None, None, None, None],
        ["Fier", "F-02", "Rrugë", "Rrugët", 2021, "Pjesërisht"],
    ]
    sheet = reading.tabulate("Prioritetet", rows)
    assert (sheet.kind, sheet.header_row, sheet.excel_rows) == ("priorities", 3, [4, 6])
    assert sheet.headers == {"municipality": "Bashkia", "code": "Kodi", "title": "Prioriteti", "theme": "Tema",
                             "year": "Viti i monitorimit", "status": "Statusi"}
    assert sheet.cells["code"] == ["F-01", "F-02"]
    assert sheet.cells["year"] == [2021, 2021]
    assert len(sheet) == 2


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        (["Date", "Municipality", "Activity type", "Events", "Participants", "Women", "Men", "Themes"], "activities"),
        (["Municipality", "Code", "Priority", "Theme", "Monitoring year", "Status"], "priorities"),
        (["Year", "Indicator", "Value"], "figures"),
        (["DATA", "bashkia", "LLOJI I AKTIVITETIT"], "activities"),
        (["Data / Date *", "Bashkia / Municipality *", "Lloji i aktivitetit / Activity type *"], "activities"),
        (["Viti", "Treguesi", "Vlera"], "figures"),
        (["Nr.", "Bashkia", "Prioriteti", "Fusha", "Viti", "Niveli i adresimit"], "priorities"),
    ],
)
def test_sheet_kind_told_by_headers_in_albanian_english_or_both(headers, kind):
    sheet = reading.tabulate("s", [headers, ["x"] * len(headers)])
    assert sheet.kind == kind


def test_english_headers_map_to_the_same_fields_as_albanian_ones():
    english = reading.tabulate("s", [["Date", "Municipality", "Activity type", "Number of events", "Participants total",
                                      "Women", "Men", "Youth", "Themes"], ["x"] * 9])
    albanian = reading.tabulate("s", [ACTIVITY_HEADERS, ["x"] * 9])
    assert list(english.headers) == list(albanian.headers) == [
        "date", "municipality", "type", "events", "participants", "women", "men", "youth", "themes"]


def test_unknown_headers_are_set_aside_by_name_and_a_row_number_column_quietly():
    sheet = reading.tabulate("s", [["Nr.", "Data", "Bashkia", "Lloji i aktivitetit", "Koordinatori"],
                                   [1, "x", "y", "z", "w"], [2, "x", "y", "z", "w"]])
    assert sheet.kind == "activities"
    assert sheet.ignored_headers == ["Koordinatori"]
    assert [w.code for w in sheet.header_warnings] == ["ignored_column"]


@pytest.mark.parametrize("label", ["Gjithsej", "GJITHSEJ:", "Totali", "Total", "Totale", "Shuma", "Grand total",
                                   "Totali i pjesëmarrësve", "  gjithsej  "])
def test_total_rows_are_set_aside_with_their_row_number(label):
    rows = [ACTIVITY_HEADERS,
            ["12.09.2023", "Tiranë", "Fokus grup", 2, 40, 20, 20, None, "Uji"],
            [label, None, None, 2, 45, 20, 20, None, None]]
    sheet = reading.tabulate("Aktivitetet", rows)
    assert sheet.excel_rows == [2]
    assert [row for row, _ in sheet.totals] == [3]
    assert sheet.totals[0][1]["participants"] == 45


def test_a_total_label_under_a_date_column_is_still_a_total_row():
    rows = [ACTIVITY_HEADERS, [dt.datetime(2023, 9, 12), "Tiranë", "Fokus grup", 2, 40, 20, 20, None, "Uji"],
            [None, None, "Gjithsej", 2, 40, 20, 20, None, None]]
    sheet = reading.tabulate("Aktivitetet", rows)
    assert (sheet.excel_rows, [r for r, _ in sheet.totals]) == ([2], [3])


def test_a_row_whose_first_text_is_a_municipality_is_data_not_a_total():
    rows = [ACTIVITY_HEADERS, ["12.09.2023", "Tiranë", "Totali i takimeve", 2, 40, 20, 20, None, "Uji"]]
    sheet = reading.tabulate("Aktivitetet", rows)
    assert (sheet.excel_rows, sheet.totals) == ([2], [])



# First cells that tell a total row, a blank row or a data row apart only letter by letter: a CSV's
# column is held in Arrow, and its blank and total rows are found there first (reading._NOT_A_TOTAL).
TRICKY_FIRST_CELLS = ["Total", "totals", " -- Gjithsej:", "\u00a0Total", "\u2003Shuma", "ſhuma", "Ｔotal", "ＧJITHSEJ",
                      "Ѕhuma", "Grand total", "Tiranë", "12.09.2023", "-", "*", "\u3000", "\x1c", "\x85", "“Totali”",
                      "Ë total", "Bashkia", "shumë", "'", "  ", "", "x"]


def test_a_csv_held_in_arrow_finds_the_same_blank_and_total_rows_as_rows_read_one_by_one(tmp_path):
    rows = [ACTIVITY_HEADERS, *([cell, "", "", "2", "", "", "", "", "Uji"] if i % 2 else [cell, *[""] * 8]
                                for i, cell in enumerate(TRICKY_FIRST_CELLS * 2))]
    path = write_csv(tmp_path / "a.csv", rows)
    [held] = reading.read(path.read_bytes(), "a.csv").sheets
    one_by_one = reading.tabulate("a.csv", [[cell for cell in row] for row in rows])
    assert isinstance(held.cells["date"].uniques, reading.ArrowTexts)
    assert (held.excel_rows, held.totals) == (one_by_one.excel_rows, one_by_one.totals)
    assert {f: list(c) for f, c in held.cells.items()} == {f: list(c) for f, c in one_by_one.cells.items()}
    assert [row for row, _ in held.totals] == [2, 3, 4, 5, 6, 7, 8, 9, 11, 19, 27, 28, 29, 30, 31, 32, 33, 34, 36, 44]

def test_no_header_row_gives_none():
    assert reading.tabulate("Udhëzime", [["Si të plotësohet ky skedar"], ["1. Shkruani ..."]]) is None
    assert reading.tabulate("bosh", []) is None


def test_a_header_below_the_search_limit_is_not_a_header():
    rows = [[None]] * 30 + [ACTIVITY_HEADERS, ["12.09.2023", "Tiranë", "Fokus grup"]]
    assert reading.tabulate("s", rows) is None
    assert reading.tabulate("s", rows[1:]).header_row == 30


# ----------------------------------------------------------------------------------- whole files


def test_xlsx_with_title_merged_cells_excel_dates_and_a_total_row(tmp_path):
    path = write_xlsx(tmp_path / "tirane.xlsx", {"Aktivitetet 2023": [
        ["Raporti i aktiviteteve – Bashkia Tiranë, shtator–nëntor 2023"],
        [],
        ACTIVITY_HEADERS,
        [dt.datetime(2023, 9, 12), "Tirana", "Fokus grup", 4, 80, 50, 30, None, "Uji i pijshëm; Rrugët"],
        [dt.datetime(2023, 10, 3), None, "10 fokus grupe - 200 gra dhe burra", None, None, None, None, None, "Kopshte"],
        [45233, None, "Forum publik", None, 30, None, None, None, None],  # a date typed as a serial number
        ["Gjithsej", None, None, 15, 310, 50, 30, None, None],
    ]}, merges={"Aktivitetet 2023": ["A1:I1", "B4:B6"]})
    result = reading.read(path.read_bytes(), path.name)
    assert result.skipped == []
    [sheet] = result.sheets
    assert (sheet.name, sheet.kind, sheet.header_row, sheet.excel_rows) == (
        "Aktivitetet 2023", "activities", 3, [4, 5, 6])
    assert sheet.cells["municipality"] == ["Tirana", "Tirana", "Tirana"]  # merged down: meant for every row
    # Excel date cells arrive as dates (not text), the serial as a number; normalise reads both
    assert all(isinstance(d, dt.date) for d in sheet.cells["date"][:2])
    assert sheet.cells["date"][2] == 45233
    assert [normalise.date(d) for d in sheet.cells["date"]] == [dt.date(2023, 9, 12), dt.date(2023, 10, 3),
                                                                dt.date(2023, 11, 3)]
    assert sheet.cells["type"][1] == "10 fokus grupe - 200 gra dhe burra"
    assert [(row, values["participants"]) for row, values in sheet.totals] == [(7, 310)]


def test_a_two_row_header_reads_the_group_above_with_the_column_below(tmp_path):
    # 'Pjesëmarrës' merged over three columns, the other headings merged down over both rows
    path = write_xlsx(tmp_path / "durres.xlsx", {"Aktivitetet": [
        ["Monitorimi 2023 – Bashkia Durrës"],
        ["Data", "Bashkia", "Lloji i aktivitetit", "Pjesëmarrës", None, None, "Tema"],
        [None, None, None, "Gjithsej", "Gra", "Burra", None],
        [dt.datetime(2023, 9, 14), "Durrësi", "Fokus grup", 20, 12, 8, "Uji i pijshëm"],
        [dt.datetime(2023, 10, 5), "Durrësi", "Fokus grup", 25, 15, 10, "Rrugët"],
        ["Totali", None, None, 45, 27, 18, None],
    ]}, merges={"Aktivitetet": ["A1:G1", "A2:A3", "B2:B3", "C2:C3", "D2:F2", "G2:G3"]})
    [sheet] = reading.read(path.read_bytes(), path.name).sheets
    assert (sheet.kind, sheet.header_row, sheet.excel_rows) == ("activities", 3, [4, 5])
    assert sheet.headers == {"date": "Data", "municipality": "Bashkia", "type": "Lloji i aktivitetit",
                             "participants": "Pjesëmarrës Gjithsej", "women": "Gra", "men": "Burra", "themes": "Tema"}
    assert (sheet.cells["participants"], sheet.cells["women"], sheet.cells["men"]) == ([20, 25], [12, 15], [8, 10])
    assert sheet.ignored_headers == []
    assert [(row, values["participants"]) for row, values in sheet.totals] == [(6, 45)]


def test_xlsx_reads_every_visible_sheet_and_skips_hidden_and_headerless_ones(tmp_path):
    path = tmp_path / "raport.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Udhëzime"
    workbook.active.append(["Plotësoni fletët më poshtë."])
    priorities = workbook.create_sheet("Prioritetet")
    priorities.append(PRIORITY_HEADERS)
    priorities.append(["2019-2023", "Fier", "F-01", "Ujë", "Uji i pijshëm", 2021, "Plotësisht", None])
    activities = workbook.create_sheet("Aktivitetet")
    activities.append(ACTIVITY_HEADERS)
    activities.append([dt.datetime(2023, 9, 12), "Fier", "Trajnim", 1, 20, 10, 10, None, None])
    lists = workbook.create_sheet("Listat")
    lists.append(["Bashkia", "Lloji i aktivitetit", "Statusi"])
    lists.append(["Fier", "Trajnim", "Plotësisht"])
    lists.sheet_state = "hidden"
    workbook.save(path)
    result = reading.read(path.read_bytes(), path.name)
    assert [(s.name, s.kind, s.excel_rows) for s in result.sheets] == [
        ("Prioritetet", "priorities", [2]), ("Aktivitetet", "activities", [2])]
    assert result.skipped == ["Udhëzime"]


def test_semicolon_windows_1250_csv_with_a_title_and_a_total_row(tmp_path):
    path = write_csv(tmp_path / "korce.csv", [
        ["Monitorimi i Kontratës Sociale — Bashkia Korçë", "", "", "", "", "", ""],
        ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi"],
        ["2019-2023", "KORÇA", "KOR-01", "Çerdhe në lagjen nr. 5", "Çerdhe dhe kopshte", "2021",
         "Realizuar pjesërisht"],
        ["", "", "", "", "", "", ""],
        ["2019-2023", "korce ", "KOR-02", "Ujë i pijshëm 24 orë", "Ujë i pijshëm", "2021", "NUK ËSHTË REALIZUAR"],
        ["Totali", "", "", "", "", "", ""],
    ], encoding="cp1250", delimiter=";")
    assert b"Kor\xe7\xeb" in path.read_bytes()  # really Windows-1250 bytes
    [sheet] = reading.read(path.read_bytes(), path.name).sheets
    assert (sheet.name, sheet.kind, sheet.header_row, sheet.excel_rows) == ("korce.csv", "priorities", 2, [3, 5])
    assert sheet.cells["municipality"] == ["KORÇA", "korce "]
    assert sheet.cells["title"] == ["Çerdhe në lagjen nr. 5", "Ujë i pijshëm 24 orë"]
    assert sheet.cells["status"] == ["Realizuar pjesërisht", "NUK ËSHTË REALIZUAR"]
    assert [row for row, _ in sheet.totals] == [6]


def test_tab_separated_utf8_bom_csv(tmp_path):
    path = tmp_path / "fier.tsv"
    path.write_bytes(("\ufeffViti\tTreguesi\tVlera\r\n2025\tPersona të arritur\t129.466\r\n").encode("utf-8"))
    [sheet] = reading.read(path.read_bytes(), path.name).sheets
    assert (sheet.kind, sheet.headers["year"], sheet.cells["value"]) == ("figures", "Viti", ["129.466"])


# ----------------------------------------------------------------------------------- refused files


def refused(data: bytes, name: str) -> list[tuple]:
    with pytest.raises(FileRefused) as caught:
        reading.read(data, name)
    return [(p.code, p.sheet, p.row, p.column, p.value, p.message_en, p.message_sq) for p in caught.value.problems]


@pytest.mark.parametrize(("data", "name"), [(b"", "raporti.xlsx"), (b"  \r\n\r\n", "raporti.csv")])
def test_an_empty_file_is_refused(data, name):
    assert refused(data, name) == [(
        "empty_file", "", None, "", name,
        f"The file '{name}' is empty. Fill in the sheet from the template and upload it again.",
        f"Skedari '{name}' është bosh. Plotësoni fletën sipas shabllonit dhe ngarkojeni përsëri.")]


@pytest.mark.parametrize("data", [b"this is not a spreadsheet", b"PK\x03\x04 truncated zip"])
def test_an_unreadable_workbook_is_refused(data):
    [(code, sheet, row, column, value, message_en, message_sq)] = refused(data, "raporti.xlsx")
    assert (code, sheet, row, column, value) == ("unreadable_file", "", None, "", "raporti.xlsx")
    assert message_en.startswith("The file 'raporti.xlsx' cannot be read as a spreadsheet (")
    assert message_en.endswith("). Save it again from Excel as .xlsx or .csv and upload it again.")
    assert message_sq.startswith("Skedari 'raporti.xlsx' nuk lexohet si fletë llogaritëse (")


def test_a_file_that_is_not_a_spreadsheet_is_refused():
    assert refused(b"%PDF-1.7", "raporti.pdf") == [(
        "unsupported_file", "", None, "", "raporti.pdf",
        "'raporti.pdf' is not a spreadsheet this tool reads. Upload an .xlsx, .xls or .csv file.",
        "'raporti.pdf' nuk është fletë llogaritëse që ky program lexon. Ngarkoni një skedar .xlsx, .xls ose .csv.")]


def test_a_file_without_any_header_row_is_refused_naming_the_required_columns(tmp_path):
    path = write_xlsx(tmp_path / "shenime.xlsx", {"Fleta1": [["Shënime të takimit"], ["Erdhën 20 veta"]]})
    [(code, _sheet, _row, _column, value, message_en, message_sq)] = refused(path.read_bytes(), path.name)
    assert (code, value) == ("no_header", "shenime.xlsx")
    assert message_en == (
        "No sheet in 'shenime.xlsx' has a header row this tool recognises. Put the column names in one row; the "
        "required ones are: Bashkia / Municipality, Kodi / Code, Prioriteti / Priority, Tema / Theme, "
        "Viti i monitorimit / Monitoring year, Statusi / Status, Data / Date, Lloji i aktivitetit / Activity type, "
        "Viti / Year, Treguesi / Indicator, Vlera / Value, Objektivi / Objective, Synimi / Target.")
    assert message_sq.startswith("Asnjë fletë në 'shenime.xlsx' nuk ka rresht titujsh që ky program e njeh.")
