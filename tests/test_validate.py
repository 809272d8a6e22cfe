"""validate: sheets of raw cells → typed rows; every problem located by sheet, Excel row, column and value."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pandas as pd
import pyarrow as pa
import pytest
from conftest import ACTIVITY_HEADERS, PRIORITY_HEADERS, TODAY, located, write_csv, write_xlsx
from hypothesis import given, settings
from hypothesis import strategies as st

from pop_analytics import cli, normalise, reading, validate
from pop_analytics.errors import FileRefused
from pop_analytics.i18n import t
from pop_analytics.settings import CATALOGUE_DIR, MAX_COUNT, MAX_PROBLEMS_PER_KIND, MAX_WRONG_VALUES

TITLE = ["Raporti i monitorimit – Bashkia Tiranë"]


def plain(values) -> list:
    """Values with every kind of missing (None, NaN, pd.NA) shown as None."""
    return [None if pd.isna(v) else v for v in values]


def validated(path) -> validate.Batch:
    return validate.validate(reading.read(path.read_bytes(), path.name), today=TODAY)


def problems_of(path) -> list:
    with pytest.raises(FileRefused) as caught:
        validated(path)
    return caught.value.problems


def activity(**cells) -> list:
    """A correct activity row (Excel date, Tiranë, 2 focus groups of 40), with some cells changed."""
    row = {"Data": dt.datetime(2023, 9, 12), "Bashkia": "Tiranë", "Lloji i aktivitetit": "Fokus grup",
           "Numri i aktiviteteve": 2, "Pjesëmarrës gjithsej": 40, "Gra": 25, "Burra": 15, "Të rinj": 10,
           "Tema": "Uji i pijshëm", **cells}
    return [row[h] for h in ACTIVITY_HEADERS]


def priority(**cells) -> list:
    row = {"Cikli": "2019-2023", "Bashkia": "Fier", "Kodi": "FIE-01", "Prioriteti": "Ujë i pijshëm 24 orë",
           "Tema": "Uji i pijshëm", "Viti i monitorimit": 2021, "Statusi": "Pjesërisht", "Shënime": None, **cells}
    return [row[h] for h in PRIORITY_HEADERS]


def activities_file(tmp_path, *bad_rows):
    """Title on row 1, headers on row 2, a good row 3, the rows under test from row 4, a good row after them."""
    rows = [TITLE, ACTIVITY_HEADERS, activity(), *bad_rows, activity(Bashkia="Durrës")]
    return write_xlsx(tmp_path / "aktivitetet.xlsx", {"Aktivitetet": rows})


def priorities_file(tmp_path, *bad_rows):
    rows = [TITLE, PRIORITY_HEADERS, priority(), *bad_rows, priority(Kodi="FIE-99")]
    return write_xlsx(tmp_path / "prioritetet.xlsx", {"Prioritetet": rows})


# ----------------------------------------------------------------------------------- one problem per row

ACTIVITY_PROBLEMS = [
    pytest.param(
        {"Bashkia": "Tyranna"}, "unknown_municipality", "Bashkia", "Tyranna",
        "'Tyranna' is not a municipality this tool knows. Write the municipality's name, e.g. Tiranë. "
        "Did you mean 'Tiranë'?",
        "'Tyranna' nuk është bashki që ky program e njeh. Shkruani emrin e bashkisë, p.sh. Tiranë. "
        "Mos keni parasysh 'Tiranë'?", id="unknown_municipality"),
    pytest.param(
        {"Bashkia": "Prishtinë"}, "unknown_municipality", "Bashkia", "Prishtinë",
        "'Prishtinë' is not a municipality this tool knows. Write the municipality's name, e.g. Tiranë.",
        "'Prishtinë' nuk është bashki që ky program e njeh. Shkruani emrin e bashkisë, p.sh. Tiranë.",
        id="unknown_municipality_nothing_close"),
    pytest.param(
        {"Numri i aktiviteteve": -4}, "negative_count", "Numri i aktiviteteve", "-4",
        "'-4' is negative. A count cannot be below zero.",
        "'-4' është negativ. Një numër nuk mund të jetë nën zero.", id="negative_events"),
    pytest.param(
        {"Gra": "-3"}, "negative_count", "Gra", "-3",
        "'-3' is negative. A count cannot be below zero.",
        "'-3' është negativ. Një numër nuk mund të jetë nën zero.", id="negative_women"),
    pytest.param(
        {"Pjesëmarrës gjithsej": 70, "Gra": 50, "Burra": 30}, "parts_exceed_total", "Pjesëmarrës gjithsej", "70",
        "Women (50) + men (30) = 80, more than the total of 70. Correct the total or the split.",
        "Gra (50) + burra (30) = 80, më shumë se totali 70. Korrigjoni totalin ose ndarjen.", id="parts_exceed_total"),
    pytest.param(
        {"Pjesëmarrës gjithsej": 40, "Të rinj": 90}, "youth_exceeds_total", "Të rinj", "90",
        "Youth (90) is more than the total of participants (40). Correct one of them.",
        "Të rinjtë (90) janë më shumë se totali i pjesëmarrësve (40). Korrigjoni njërin prej tyre.",
        id="youth_exceeds_total"),
    pytest.param(
        {"Lloji i aktivitetit": "Piknik"}, "unknown_type", "Lloji i aktivitetit", "Piknik",
        "'Piknik' is not a known activity type. Write one of: Fokus grup, Forum publik, Takim për buxhetimin me "
        "pjesëmarrje, Mbledhje e Këshillit Bashkiak, Workshop qytetar, Konferencë, Trajnim, Tjetër.",
        "'Piknik' nuk është lloj aktiviteti i njohur. Shkruani një nga: Fokus grup, Forum publik, Takim për "
        "buxhetimin me pjesëmarrje, Mbledhje e Këshillit Bashkiak, Workshop qytetar, Konferencë, Trajnim, Tjetër.",
        id="unknown_type"),
    pytest.param(
        {"Data": dt.datetime(2027, 1, 12)}, "date_in_future", "Data", "12.01.2027",
        "The date 12.01.2027 is in the future (today is 21.11.2026). Write the date the activity took place.",
        "Data 12.01.2027 është në të ardhmen (sot është 21.11.2026). Shkruani datën kur u zhvillua aktiviteti.",
        id="date_in_future"),
    pytest.param(
        {"Data": "22.11.2026"}, "date_in_future", "Data", "22.11.2026",
        "The date 22.11.2026 is in the future (today is 21.11.2026). Write the date the activity took place.",
        "Data 22.11.2026 është në të ardhmen (sot është 21.11.2026). Shkruani datën kur u zhvillua aktiviteti.",
        id="date_tomorrow"),
    pytest.param(
        {"Data": dt.datetime(2012, 12, 31)}, "date_too_early", "Data", "31.12.2012",
        "The date 31.12.2012 is before 2013, when monitoring began. Check the year.",
        "Data 31.12.2012 është para vitit 2013, kur filloi monitorimi. Kontrolloni vitin.", id="date_too_early"),
    pytest.param(
        {"Data": "31.13.2023"}, "not_a_date", "Data", "31.13.2023",
        "'31.13.2023' is not a date. Write it as dd.mm.yyyy, e.g. 22.12.2020.",
        "'31.13.2023' nuk është datë. Shkruajeni si dd.mm.vvvv, p.sh. 22.12.2020.", id="not_a_date"),
    pytest.param(
        {"Data": "31.09.2026"}, "day_not_in_month", "Data", "31.09.2026",
        "The date '31.09.2026' does not exist: the last day of that month is 30.09.2026. Check the day and the month.",
        "Data '31.09.2026' nuk ekziston: dita e fundit e atij muaji është 30.09.2026. Kontrolloni ditën dhe muajin.",
        id="day_not_in_month"),
    pytest.param(
        {"Data": "29.02.2025"}, "day_not_in_month", "Data", "29.02.2025",
        "The date '29.02.2025' does not exist: the last day of that month is 28.02.2025. Check the day and the month.",
        "Data '29.02.2025' nuk ekziston: dita e fundit e atij muaji është 28.02.2025. Kontrolloni ditën dhe muajin.",
        id="february_29_of_a_common_year"),
    pytest.param(
        {"Numri i aktiviteteve": "2O"}, "letter_in_number", "Numri i aktiviteteve", "2O",
        "'2O' holds the letter O among its digits: did you mean 20? Write the number in digits only.",
        "'2O' ka shkronjën O mes shifrave: mos keni parasysh 20? Shkruajeni numrin vetëm me shifra.",
        id="letter_O_in_events"),
    pytest.param(
        {"Pjesëmarrës gjithsej": "1O0", "Gra": None, "Burra": None, "Të rinj": None}, "letter_in_number",
        "Pjesëmarrës gjithsej", "1O0",
        "'1O0' holds the letter O among its digits: did you mean 100? Write the number in digits only.",
        "'1O0' ka shkronjën O mes shifrave: mos keni parasysh 100? Shkruajeni numrin vetëm me shifra.",
        id="letter_O_in_participants"),
    pytest.param(
        {"Numri i aktiviteteve": "12a"}, "not_a_number", "Numri i aktiviteteve", "12a",
        "'12a' is not a number. Write digits only, e.g. 1157 or 74,5.",
        "'12a' nuk është numër. Shkruani vetëm shifra, p.sh. 1157 ose 74,5.", id="letter_after_digits"),
    pytest.param(
        {"Numri i aktiviteteve": "3-4"}, "two_numbers", "Numri i aktiviteteve", "3-4",
        "'3-4' holds two numbers, a range; a cell holds one. Write the number itself, e.g. 4.",
        "'3-4' ka dy numra, një interval; një qelizë mban vetëm një. Shkruani vetë numrin, p.sh. 4.", id="range"),
    pytest.param(
        {"Gra": "60%"}, "count_is_share", "Gra", "60%",
        "'60%' is a share, not a count. Write the number of events or people, e.g. 12.",
        "'60%' është përqindje, jo numër. Shkruani numrin e aktiviteteve ose të njerëzve, p.sh. 12.", id="share"),
    pytest.param(
        {"Pjesëmarrës gjithsej": "2 mijë", "Gra": None, "Burra": None, "Të rinj": None}, "count_in_words",
        "Pjesëmarrës gjithsej", "2 mijë",
        "'2 mijë' gives the number partly in words. Write all of it in digits, e.g. 200000.",
        "'2 mijë' e jep numrin pjesërisht me fjalë. Shkruajeni të gjithë numrin me shifra, p.sh. 200000.",
        id="thousands_in_words"),
    pytest.param(
        {"Tema": "Uji i pijshëm; Sporti"}, "unknown_theme", "Tema", "Uji i pijshëm; Sporti",
        "'Uji i pijshëm; Sporti' is not a known theme. Use one of: Uji i pijshëm, Transporti publik, Shkolla dhe "
        "kopshte, Infrastruktura rrugore, Drejtësia sociale, Angazhimi qytetar dhe transparenca vendore, Zhvillimi i "
        "qëndrueshëm vendor; separate several themes with ';'. Did you mean 'Transporti publik'?",
        "'Uji i pijshëm; Sporti' nuk është temë e njohur. Përdorni një nga: Uji i pijshëm, Transporti publik, Shkolla "
        "dhe kopshte, Infrastruktura rrugore, Drejtësia sociale, Angazhimi qytetar dhe transparenca vendore, Zhvillimi "
        "i qëndrueshëm vendor; disa tema ndajini me ';'. Mos keni parasysh 'Transporti publik'?", id="unknown_theme"),
    pytest.param(
        {"Pjesëmarrës gjithsej": "rreth 40", "Gra": None, "Burra": None}, "not_a_number", "Pjesëmarrës gjithsej",
        "rreth 40", "'rreth 40' is not a number. Write digits only, e.g. 1157 or 74,5.",
        "'rreth 40' nuk është numër. Shkruani vetëm shifra, p.sh. 1157 ose 74,5.", id="not_a_number"),
    pytest.param(
        {"Numri i aktiviteteve": 2.5}, "not_a_whole_number", "Numri i aktiviteteve", "2.5",
        "'2.5' is not a whole number. Counts of events and people are whole numbers.",
        "'2.5' nuk është numër i plotë. Aktivitetet dhe njerëzit numërohen me numra të plotë.",
        id="not_a_whole_number"),
    pytest.param(
        {"Lloji i aktivitetit": None}, "required_value", "Lloji i aktivitetit", "",
        "'Lloji i aktivitetit' is empty. Fill it in.", "'Lloji i aktivitetit' është bosh. Plotësojeni.",
        id="required_value"),
]


@pytest.mark.parametrize(("cells", "code", "column", "value", "message_en", "message_sq"), ACTIVITY_PROBLEMS)
def test_activity_problem_is_located_at_its_excel_row_column_and_value(tmp_path, cells, code, column, value,
                                                                       message_en, message_sq):
    [found] = problems_of(activities_file(tmp_path, activity(**cells)))
    assert (found.code, found.sheet, found.row, found.column, found.value) == (code, "Aktivitetet", 4, column, value)
    assert found.message_en == message_en
    assert found.message_sq == message_sq


PRIORITY_PROBLEMS = [
    pytest.param(
        {"Statusi": "Gati"}, "unknown_status", "Statusi", "Gati",
        "'Gati' is not a status this tool can place. Write one of: Plotësisht, Pjesërisht, Nuk është adresuar.",
        "'Gati' nuk është status që ky program e njeh. Shkruani një nga: Plotësisht, Pjesërisht, Nuk është adresuar.",
        id="unknown_status"),
    pytest.param(
        {"Statusi": "plotesishhht"}, "unknown_status", "Statusi", "plotesishhht",
        "'plotesishhht' is not a status this tool can place. Write one of: Plotësisht, Pjesërisht, Nuk është adresuar. "
        "Did you mean 'Plotësisht', 'Pjesërisht'?",
        "'plotesishhht' nuk është status që ky program e njeh. Shkruani një nga: Plotësisht, Pjesërisht, Nuk është "
        "adresuar. Mos keni parasysh 'Plotësisht', 'Pjesërisht'?", id="unknown_status_close"),
    pytest.param(
        {"Statusi": "Realizuar"}, "ambiguous_value", "Statusi", "Realizuar",
        "'Realizuar' fits more than one status: fully addressed, partially addressed. Write the one you mean.",
        "'Realizuar' përshtatet me më shumë se një status: Plotësisht, Pjesërisht. Shkruani atë që keni parasysh.",
        id="status_that_fits_two"),
    pytest.param(
        {"Bashkia": "Fierxx"}, "unknown_municipality", "Bashkia", "Fierxx",
        "'Fierxx' is not a municipality this tool knows. Write the municipality's name, e.g. Tiranë. "
        "Did you mean 'Fier'?",
        "'Fierxx' nuk është bashki që ky program e njeh. Shkruani emrin e bashkisë, p.sh. Tiranë. "
        "Mos keni parasysh 'Fier'?", id="unknown_municipality"),
    pytest.param(
        {"Viti i monitorimit": 2027}, "year_in_future", "Viti i monitorimit", "2027",
        "The monitoring year 2027 has not begun yet. Check the year.",
        "Viti i monitorimit 2027 nuk ka filluar ende. Kontrolloni vitin.", id="year_in_future"),
    pytest.param(
        {"Viti i monitorimit": 2012}, "year_too_early", "Viti i monitorimit", "2012",
        "The year 2012 is before 2013, when monitoring began. Check the year.",
        "Viti 2012 është para vitit 2013, kur filloi monitorimi. Kontrolloni vitin.", id="year_too_early"),
    pytest.param(
        {"Viti i monitorimit": "viti 2021"}, "not_a_year", "Viti i monitorimit", "viti 2021",
        "'viti 2021' is not a year. Write the year with four digits, e.g. 2023.",
        "'viti 2021' nuk është vit. Shkruani vitin me katër shifra, p.sh. 2023.", id="not_a_year"),
    pytest.param(
        {"Tema": "Uji i pijshëm; Rrugët"}, "one_theme_only", "Tema", "Uji i pijshëm; Rrugët",
        "A priority has exactly one theme, but 'Uji i pijshëm; Rrugët' names none or several. Keep one.",
        "Një prioritet ka vetëm një temë, por 'Uji i pijshëm; Rrugët' nuk ka asnjë ose ka disa. Mbani një.",
        id="one_theme_only"),
    pytest.param(
        {"Cikli": "2020-2024"}, "unknown_cycle", "Cikli", "2020-2024",
        "'2020-2024' is not a contract cycle. Write one of: 2019-2023, 2023-2027.",
        "'2020-2024' nuk është cikël kontrate. Shkruani një nga: 2019-2023, 2023-2027.", id="unknown_cycle"),
    pytest.param(
        {"Kodi": "  "}, "required_value", "Kodi", "", "'Kodi' is empty. Fill it in.", "'Kodi' është bosh. Plotësojeni.",
        id="required_value"),
]


@pytest.mark.parametrize(("cells", "code", "column", "value", "message_en", "message_sq"), PRIORITY_PROBLEMS)
def test_priority_problem_is_located_at_its_excel_row_column_and_value(tmp_path, cells, code, column, value,
                                                                       message_en, message_sq):
    [found] = problems_of(priorities_file(tmp_path, priority(**{"Kodi": "FIE-02", **cells})))
    assert (found.code, found.sheet, found.row, found.column, found.value) == (code, "Prioritetet", 4, column, value)
    assert found.message_en == message_en
    assert found.message_sq == message_sq


def test_every_problem_of_a_file_is_listed_at_once_in_row_order(tmp_path):
    path = activities_file(
        tmp_path,
        activity(Bashkia="Tyranna"),                                    # row 4
        activity(**{"Numri i aktiviteteve": -1}),                     # row 5
        activity(**{"Lloji i aktivitetit": "Piknik", "Data": "01.01.2030"}),  # row 6: two problems
        activity(**{"Pjesëmarrës gjithsej": 10, "Gra": 8, "Burra": 8}),  # row 7
    )
    found = located(problems_of(path))
    assert [row for _code, _sheet, row, _column, _value in found] == [4, 5, 6, 6, 7]
    assert sorted(found) == sorted([
        ("unknown_municipality", "Aktivitetet", 4, "Bashkia", "Tyranna"),
        ("negative_count", "Aktivitetet", 5, "Numri i aktiviteteve", "-1"),
        ("unknown_type", "Aktivitetet", 6, "Lloji i aktivitetit", "Piknik"),
        ("date_in_future", "Aktivitetet", 6, "Data", "01.01.2030"),
        ("parts_exceed_total", "Aktivitetet", 7, "Pjesëmarrës gjithsej", "10"),
    ])


def test_the_same_bad_value_on_many_rows_is_reported_on_each_row(tmp_path):
    path = activities_file(tmp_path, *[activity(Bashkia="Tyrrannaa")] * 3)
    assert [(p.code, p.row) for p in problems_of(path)] == [("unknown_municipality", r) for r in (4, 5, 6)]

def _write(path, rows):
    """rows as a CSV file, or as the sheet 'Aktivitetet' of a workbook, as path's name says."""
    return write_csv(path, rows) if path.name.endswith(".csv") else write_xlsx(path, {"Aktivitetet": rows})


@pytest.mark.parametrize("name", ["a.csv", "a.xlsx"])
def test_a_column_holding_more_different_wrong_values_than_a_sheet_would_is_read_no_further(tmp_path, name):
    """Past MAX_WRONG_VALUES different wrong values a column is not a sheet with typos: its other
    values are not read (each would cost a search), and one sentence counts their rows."""
    rows = [ACTIVITY_HEADERS, *(activity(Bashkia=f"Qyteti {i}") for i in range(MAX_WRONG_VALUES + 250))]
    path = _write(tmp_path / name, rows)
    problems = problems_of(path)
    assert [(p.code, p.column) for p in problems if p.code != "unknown_municipality"] == [
        ("values_not_checked", "Bashkia"), ("more_problems", "Bashkia")]
    assert sum(p.code == "unknown_municipality" for p in problems) == MAX_PROBLEMS_PER_KIND
    [unread] = [p for p in problems if p.code == "values_not_checked"]
    assert unread.message_en == ("Column 'Bashkia' already holds 1,000 different values that could not be read, so the "
                                 "check of this column stopped there: 250 more rows were not checked. Fix the values "
                                 "listed, then check the file again.")
    assert unread.message_sq == ("Kolona 'Bashkia' ka tashmë 1\u00a0000 vlera të ndryshme që nuk u lexuan, ndaj "
                                 "kontrolli i kësaj kolone u ndal aty: 250 rreshta të tjerë nuk u kontrolluan. Ndreqni "
                                 "vlerat e renditura dhe kontrolloni skedarin përsëri.")
    [more] = [p for p in problems if p.code == "more_problems"]
    assert more.message_en.startswith(f"{MAX_WRONG_VALUES - MAX_PROBLEMS_PER_KIND} more rows have problems")



def test_problems_in_a_windows_1250_csv_carry_the_csv_line_as_row(tmp_path):
    path = write_csv(tmp_path / "korce.csv", [
        ["Monitorimi – Bashkia Korçë", "", "", "", "", "", ""],
        ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi"],
        ["2019-2023", "KORÇA", "KOR-01", "Çerdhe", "Çerdhe dhe kopshte", "2021", "Realizuar pjesërisht"],
        ["2019-2023", "Korçë", "KOR-02", "Ujë", "Ujë i pijshëm", "2021", "Në proces"],
    ], encoding="cp1250", delimiter=";")
    [found] = problems_of(path)
    assert (found.code, found.sheet, found.row, found.column, found.value) == (
        "unknown_status", "korce.csv", 4, "Statusi", "Në proces")


# ----------------------------------------------------------------------------------- missing columns, empty sheets

@pytest.mark.parametrize(
    ("dropped", "header"),
    [("Bashkia", "Bashkia / Municipality"), ("Kodi", "Kodi / Code"), ("Prioriteti", "Prioriteti / Priority"),
     ("Tema", "Tema / Theme"), ("Viti i monitorimit", "Viti i monitorimit / Monitoring year"),
     ("Statusi", "Statusi / Status")],
)
def test_a_missing_required_priorities_column_is_named_at_the_header_row(tmp_path, dropped, header):
    keep = [i for i, h in enumerate(PRIORITY_HEADERS) if h != dropped]
    rows = [[r[i] for i in keep] for r in (TITLE + [None] * 7, PRIORITY_HEADERS, priority())]
    [found] = problems_of(write_xlsx(tmp_path / "p.xlsx", {"Prioritetet": rows}))
    assert (found.code, found.sheet, found.row, found.column, found.value) == (
        "missing_column", "Prioritetet", 2, header, "")
    assert found.message_en == (f"The sheet 'Prioritetet' has no column '{header}', which a priorities sheet needs. "
                                "Add the column (see the template).")
    assert found.message_sq == (f"Fleta 'Prioritetet' nuk ka kolonën '{header}', që i duhet një flete të llojit "
                                "prioritetet. Shtoni kolonën (shihni shabllonin).")


@pytest.mark.parametrize(("dropped", "header"), [("Data", "Data / Date"), ("Bashkia", "Bashkia / Municipality"),
                                                 ("Lloji i aktivitetit", "Lloji i aktivitetit / Activity type")])
def test_a_missing_required_activities_column_is_named(tmp_path, dropped, header):
    keep = [i for i, h in enumerate(ACTIVITY_HEADERS) if h != dropped]
    rows = [[r[i] for i in keep] for r in (ACTIVITY_HEADERS, activity())]
    [found] = problems_of(write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet": rows}))
    assert located([found]) == [("missing_column", "Aktivitetet", 1, header, "")]


def test_a_sheet_with_headers_only_is_refused_when_it_is_the_only_one(tmp_path):
    [found] = problems_of(write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet": [TITLE, ACTIVITY_HEADERS]}))
    assert located([found]) == [("no_data_rows", "Aktivitetet", 2, "", "")]
    assert found.message_en == ("The sheet 'Aktivitetet' has a header row but no data rows under it. "
                                "Add the rows or remove the sheet.")


def test_an_empty_sheet_beside_a_filled_one_is_only_a_warning(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet": [ACTIVITY_HEADERS, activity()],
                                            "Prioritetet": [PRIORITY_HEADERS], "Shënime": [["Takimi u shty."]]})
    batch = validated(path)
    assert [(w.code, w.sheet, w.message_en) for w in batch.warnings] == [
        ("skipped_sheet", "Shënime", "The sheet 'Shënime' has no header row this tool recognises and was not read."),
        ("cycle_from_date", "Aktivitetet",
         ("The sheet 'Aktivitetet' has no contract-cycle column; each row's cycle was taken from its date "
          "(elections of 14 May 2023 start the 2023-2027 cycle).")),
        ("empty_sheet", "Prioritetet", "The sheet 'Prioritetet' has headers but no rows; it was not read."),
    ]
    assert (batch.kinds, batch.rows) == (["activities"], 1)


def test_unknown_columns_are_ignored_with_a_warning(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet": [["Nr."] + ACTIVITY_HEADERS + ["Koordinatori"],
                                                            [1] + activity() + ["Arta"]]})
    batch = validated(path)
    ignored = [(w.value, w.message_en, w.message_sq) for w in batch.warnings if w.code == "ignored_column"]
    assert ignored == [  # the row-number column Nr. (1, 2, 3 …) is left out quietly
        ("Koordinatori", "The column 'Koordinatori' in sheet 'Aktivitetet' is not one this tool uses; it was not read.",
         "Kolona 'Koordinatori' në fletën 'Aktivitetet' nuk përdoret nga ky program; nuk u lexua."),
    ]


def test_a_column_of_numbers_that_no_free_field_takes_stops_the_file_above_its_rows(tmp_path):
    """Left out with a warning, such a column counted each row as one event: it is an error now."""
    path = write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet": [["Nr."] + ACTIVITY_HEADERS + [None],
                                                            [4] + activity() + [12], [9] + activity() + [3]]})
    assert [(p.code, p.row, p.column, p.message_en, p.message_sq) for p in problems_of(path)] == [
        ("numbers_unclear", 1, "Nr.",
         ("The column 'Nr.' in sheet 'Aktivitetet' holds numbers and could be Number of events / Participants total / "
          "Women / Men: rename it to the one it is (or a coordinator maps it once), or delete the column if its "
          "numbers are not to be counted."),
         ("Kolona 'Nr.' në fletën 'Aktivitetet' ka numra dhe mund të jetë Numri i aktiviteteve / "
          "Pjesëmarrës gjithsej / "
          "Gra / Burra: riemërtojeni me emrin e kolonës që është (ose koordinatori e lidh një herë), ose fshijeni "
          "kolonën nëse numrat e saj nuk duhen numëruar.")),
        ("unnamed_numbers", 1, "K",
         ("Column K of sheet 'Aktivitetet' holds numbers but has no header: give it the header of the column it is, "
          "or delete it if its numbers are not to be counted."),
         ("Kolona K e fletës 'Aktivitetet' ka numra, por s'ka titull: vendosni titullin e kolonës që është, ose "
          "fshijeni nëse numrat e saj nuk duhen numëruar.")),
    ]


@pytest.mark.parametrize("name", ["a.csv", "a.xlsx"])
@pytest.mark.parametrize(("written", "last"), [("31.02.2023", "28.02.2023"), ("31.09.2026", "30.09.2026"),
                                               ("29.02.2025", "28.02.2025")])
def test_a_day_its_month_does_not_have_is_refused_saying_so_on_both_paths(tmp_path, name, written, last):
    """Arrow reads 31.02 as 3 March: a CSV's date counts only when written back as it was read."""
    rows = [ACTIVITY_HEADERS, activity(Data=written)]
    path = _write(tmp_path / name, rows)
    [found] = problems_of(path)
    assert (found.code, found.value, found.message_en) == ("day_not_in_month", written, t(
        "problem.day_not_in_month", "en", value=written, last=last))


NEAR_MISS = ["Data", "Bashkia", "Lloji i aktivitetit", "Tema", "Nr aktivitetesh", "Gra", "Burra",
             "Pjesëmarrës gjithsej"]
READ_AS = {  # header → (warning, message in English, in Albanian); {sheet} is the sheet's name
    "Nr aktivitetesh": ("header_read_as",
                        "The column 'Nr aktivitetesh' in sheet '{sheet}' was read as 'Number of events'.",
                        "Kolona 'Nr aktivitetesh' në fletën '{sheet}' u lexua si 'Numri i aktiviteteve'."),
    "Takime": ("numbers_read_as",
               ("The column 'Takime' in sheet '{sheet}' holds numbers and was read as 'Number of events', the only "
                "column of numbers its header could be. If it is another one, rename it."),
               ("Kolona 'Takime' në fletën '{sheet}' ka numra dhe u lexua si 'Numri i aktiviteteve', e vetmja kolonë "
                "me numra që mund të jetë sipas titullit. Nëse është tjetër, riemërtojeni.")),
}


@pytest.mark.parametrize("name", ["a.csv", "a.xlsx"])
@pytest.mark.parametrize("header", list(READ_AS))
def test_a_near_miss_header_of_numbers_is_read_as_the_one_free_count_it_fits_with_a_warning(tmp_path, name, header):
    """'Nr aktivitetesh' holding 10 was left unread, and each row stored 1 event: the rule now knows
    the ablative plural (aktivitetesh), and a column of numbers whose header fits a date and a count
    ('Takime') is read as the count."""
    rows = [[header if h == "Nr aktivitetesh" else h for h in NEAR_MISS],
            ["02.03.2025", "Durrës", "Fokus grup", "Uji i pijshëm", "10", "", "", "100"],
            ["03.03.2025", "Durrës", "Fokus grup", "Uji i pijshëm", "", "", "", "20"]]
    path = _write(tmp_path / name, rows)
    batch = validated(path)
    assert batch.activities["events"].tolist() == [10, 1]
    code, message_en, message_sq = READ_AS[header]
    [read_as] = [w for w in batch.warnings if w.column == header]
    sheet = path.name if name.endswith(".csv") else "Aktivitetet"
    assert (read_as.code, read_as.row, read_as.message_en, read_as.message_sq) == (
        code, 1, message_en.format(sheet=sheet), message_sq.format(sheet=sheet))


def test_a_near_miss_header_of_numbers_whose_count_another_column_fills_stops_the_file(tmp_path):
    rows = [NEAR_MISS + ["Numri i aktiviteteve"], ["02.03.2025", "Durrës", "Fokus grup", "Uji i pijshëm", "10", "", "",
                                                   "100", "2"]]
    [found] = problems_of(write_csv(tmp_path / "a.csv", rows))
    assert (found.code, found.column, found.message_en) == (
        "numbers_unclear", "Nr aktivitetesh",
        ("The column 'Nr aktivitetesh' in sheet 'a.csv' holds numbers and could be Number of events: rename it to the "
         "one it is (or a coordinator maps it once), or delete the column if its numbers are not to be counted."))


def test_a_column_of_numbers_its_header_places_nowhere_stops_the_file(tmp_path):
    rows = [ACTIVITY_HEADERS + ["Kosto"], activity() + [15000]]
    [found] = problems_of(write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet": rows}))
    assert (found.code, found.column, found.message_en, found.message_sq) == (
        "numbers_unread", "Kosto",
        ("The column 'Kosto' in sheet 'Aktivitetet' holds numbers but is none of this sheet's columns: rename it to "
         "the column it is, or delete it if its numbers are not to be counted."),
        ("Kolona 'Kosto' në fletën 'Aktivitetet' ka numra, por nuk është asnjë nga kolonat e kësaj flete: riemërtojeni "
         "me emrin e kolonës që është, ose fshijeni nëse numrat e saj nuk duhen numëruar."))


def test_a_total_with_a_letter_is_refused_for_the_letter_not_compared_as_another_number(tmp_path):
    """Women 3 + men 2 against '4O' quoted 'totali 4': the letter is the problem to fix."""
    path = activities_file(tmp_path, activity(**{"Pjesëmarrës gjithsej": "4O", "Gra": 3, "Burra": 2, "Të rinj": None}))
    assert [(p.code, p.value) for p in problems_of(path)] == [("letter_in_number", "4O")]


def test_the_issues_sheet_with_letters_in_its_counts_is_refused_by_import_and_stores_nothing(tmp_path, capsys):
    path = write_csv(tmp_path / "durres.csv", [
        ["Data", "Bashkia", "Lloji i aktivitetit", "Tema", "Numri i aktiviteteve", "Gra", "Burra",
         "Pjesëmarrës gjithsej"],
        ["02.03.2025", "Durrës", "Fokus grup", "water", "2O", "", "", "1O0"]])
    db = str(tmp_path / "pop.duckdb")
    assert cli.main(["--db", db, "import", str(path)]) == 1
    printed = capsys.readouterr().out
    assert ("'2O' holds the letter O among its digits: did you mean 20? Write the number in digits only." in printed
            and "'1O0' holds the letter O among its digits: did you mean 100? Write the number in digits only."
            in printed)
    assert cli.main(["--db", db, "--lang", "sq", "kpis", "--year", "2025", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["activities"]["events"] == 0


# ----------------------------------------------------------------------------------- what valid rows become

def test_activity_rows_become_typed_values(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet 2023": [
        TITLE,
        ACTIVITY_HEADERS + ["Cikli", "Organizata partnere", "Shënime"],
        [dt.datetime(2023, 9, 12), "TIRANA", "Fokus grupe", 4, 80, 50, 30, 12, "Uji i pijshëm; Rrugët",
         "2019-2023", "Aleanca Gjinore", "Në NjA Farkë"],
        [dt.datetime(2023, 10, 3), None, "10 fokus grupe - 200 gra dhe burra", None, None, None, None, None,
         "Kopshte, Transport publik", None, None, None],
        ["03.11.2023", None, "Forum publik", None, None, 12, 18, None, None, None, None, None],
        ["Gjithsej", None, None, 15, 310, 62, 48, 12, None, None, None, None],
    ]}, merges={"Aktivitetet 2023": ["A1:L1", "B3:B5"]})
    batch = validated(path)
    frame = batch.activities
    assert frame["date"].tolist() == [dt.date(2023, 9, 12), dt.date(2023, 10, 3), dt.date(2023, 11, 3)]
    assert frame["municipality"].tolist() == ["Tiranë"] * 3
    assert frame["type"].tolist() == ["focus_group", "focus_group", "public_forum"]
    assert frame["events"].tolist() == [4, 10, 1]                 # in the type cell; 1 when not given
    assert frame["participants"].tolist() == [80, 200, 30]        # in the type cell; women + men when not given
    assert plain(frame["women"]) == [50, None, 12]
    assert plain(frame["men"]) == [30, None, 18]
    assert plain(frame["youth"]) == [12, None, None]
    assert frame["themes"].tolist() == [["water", "roads"], ["kindergartens", "transport"], []]
    assert frame["cycle"].tolist() == ["2019-2023", "2023-2027", "2023-2027"]  # given, else from the date
    assert frame["partner"].tolist() == ["Aleanca Gjinore", 'Qendra "Aleanca Gjinore për Zhvillim"',
                                         'Qendra "Aleanca Gjinore për Zhvillim"']
    assert plain(frame["note"]) == ["Në NjA Farkë", None, None]
    assert frame["excel_row"].tolist() == [3, 4, 5]
    assert set(frame["sheet"]) == {"Aktivitetet 2023"}
    assert [(w.code, w.row, w.message_en) for w in batch.warnings] == [
        ("partner_filled", None, ("The partner organisation was left empty in 2 rows of sheet 'Aktivitetet 2023'; "
                                  "the municipality's partner was filled in.")),
    ]


@pytest.mark.parametrize(("total", "expected"), [
    (6, []),  # the headers' counts read as written: 2 + 1 + 2 + 1 events, as the total row says
    (5, [("Nr i aktiviteteve", "5", 6)]),
    (None, []),
])
def test_a_total_row_is_checked_against_the_events_a_near_variant_header_holds(tmp_path, total, expected):
    headers = ["Data", "Bashkia", "Lloji i aktivitetit", "Nr i aktiviteteve", "Pjesëmarrës gjithsej"]
    rows = [headers, *([dt.datetime(2023, 9, day), "Tiranë", "Fokus grup", events, 10]
                       for day, events in ((4, 2), (5, 1), (6, 2), (7, 1))), ["Gjithsej", None, None, total, 40]]
    batch = validated(write_xlsx(tmp_path / "t.xlsx", {"Aktivitetet": rows}))
    assert batch.activities["events"].tolist() == [2, 1, 2, 1]
    assert [(w.column, w.value, int(w.message_en.rsplit(" ", 1)[1].rstrip("."))) for w in batch.warnings
            if w.code == "total_mismatch"] == expected


def test_total_row_is_not_stored_and_mismatch_is_warned(tmp_path):
    # rows 3 and 4: 2 events and 40 participants each; the total row claims 90 participants
    rows = [TITLE, ACTIVITY_HEADERS, activity(), activity(Bashkia="Durrës"),
            ["Gjithsej", None, None, 4, 90, 50, 30, 20]]
    path = write_xlsx(tmp_path / "totals.xlsx", {"Aktivitetet": rows})
    batch = validated(path)
    assert len(batch.activities) == 2
    mismatches = [(w.row, w.column, w.value, w.message_en, w.message_sq) for w in batch.warnings
                  if w.code == "total_mismatch"]
    assert mismatches == [(
        5, "Pjesëmarrës gjithsej", "90",
        ("The total row of sheet 'Aktivitetet' (row 5) says 90 for 'Pjesëmarrës gjithsej', but the rows above add up "
         "to 80."),
        ("Rreshti i totalit në fletën 'Aktivitetet' (rreshti 5) thotë 90 për 'Pjesëmarrës gjithsej', por rreshtat "
         "sipër tij mblidhen në 80."))]


def test_a_total_row_that_agrees_gives_no_warning(tmp_path):
    rows = [ACTIVITY_HEADERS, activity(), activity(Bashkia="Durrës"), ["Totali", None, None, 4, 80, 50, 30, 20, None]]
    batch = validated(write_xlsx(tmp_path / "t.xlsx", {"Aktivitetet": rows}))
    assert [w.code for w in batch.warnings] == ["cycle_from_date"]
    assert len(batch.activities) == 2


def test_priority_rows_become_typed_values_with_cycle_from_the_year(tmp_path):
    headers = ["Municipality", "Code", "Priority", "Theme", "Monitoring year", "Status"]
    path = write_csv(tmp_path / "fier.csv", [
        headers,
        ["Fieri", "FIE-01", "Ujë  i pijshëm 24 orë", "drinking water", "2023", "fully addressed"],
        ["FIER", "FIE-02", "Kopsht", "Kopshte", "2024", "Pa adresuar"],
    ])
    batch = validated(path)
    frame = batch.priorities
    columns = ["cycle", "municipality", "code", "title", "theme", "year", "status", "excel_row"]
    assert frame[columns].values.tolist() == [
        ["2019-2023", "Fier", "FIE-01", "Ujë i pijshëm 24 orë", "water", 2023, "fully", 2],
        ["2023-2027", "Fier", "FIE-02", "Kopsht", "kindergartens", 2024, "not_addressed", 3],
    ]
    assert [w.message_en for w in batch.warnings] == [
        "The sheet 'fier.csv' has no contract-cycle column; each row's cycle was taken from its monitoring year."]


def test_a_repeated_priority_row_with_the_same_status_is_kept_once_with_a_warning(tmp_path):
    batch = validated(priorities_file(tmp_path, priority(Statusi="pjeserisht")))
    assert batch.priorities["excel_row"].tolist() == [3, 5]
    [warning] = batch.warnings
    assert (warning.code, warning.row, warning.message_en, warning.message_sq) == (
        "repeated_row", 4, "Row 4 repeats row 3 (same priority, year and status); it was stored once.",
        "Rreshti 4 përsërit rreshtin 3 (i njëjti prioritet, vit dhe status); u ruajt një herë.")


def test_the_same_priority_and_year_with_two_statuses_is_refused(tmp_path):
    [found] = problems_of(priorities_file(tmp_path, priority(Statusi="Plotësisht")))
    assert located([found]) == [("conflicting_duplicate", "Prioritetet", 4, "Statusi", "Plotësisht")]
    assert found.message_en == ("This priority and year already appear at row 3 with another status. Keep one row.")
    assert found.message_sq == ("Ky prioritet dhe ky vit janë edhe në rreshtin 3 me status tjetër. Mbani një rresht.")


# ----------------------------------------------------------------------------------- reported figures

FIGURE_HEADERS = ["Viti", "Nga data", "Deri më", "Bashkia", "Lloji i aktivitetit", "Treguesi", "Vlera"]


def test_reported_figures_become_typed_values(tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", {"Shifrat": [
        FIGURE_HEADERS,
        [2023, dt.datetime(2023, 9, 1), dt.datetime(2023, 11, 30), None, "Fokus grupe", "events", 62],
        [2025, None, None, "Vlora", None, "Persona të arritur", "129.466"],
    ]})
    frame = validated(path).figures
    assert [plain(row) for row in frame[["year", "date_from", "date_to", "municipality", "type", "indicator",
                                          "value"]].values.tolist()] == [
        [2023, dt.date(2023, 9, 1), dt.date(2023, 11, 30), None, "focus_group", "events", 62.0],
        [2025, None, None, "Vlorë", None, "persons_reached", 129466.0],
    ]


@pytest.mark.parametrize(
    ("row", "expected", "message_en"),
    [
        ([2025, None, None, None, None, "reach", 5], [("unknown_indicator", "Treguesi", "reach")], None),
        ([2025, None, None, None, None, "events", -5], [("negative_count", "Vlera", "-5")],
         "'-5' is negative. A count cannot be below zero."),
        ([2023, "30.11.2023", "01.09.2023", None, None, "events", 62], [("period_reversed", "Deri më", "01.09.2023")],
         "The period ends (01.09.2023) before it begins (30.11.2023). Swap the dates."),
        ([2027, None, None, None, None, "events", 5], [("year_in_future", "Viti", "2027")],
         "The monitoring year 2027 has not begun yet. Check the year."),
        ([2012, None, None, None, None, "events", 5], [("year_too_early", "Viti", "2012")],
         "The year 2012 is before 2013, when monitoring began. Check the year."),
        ([2026, "01.12.2026", "31.12.2026", None, None, "events", 5],
         [("date_in_future", "Nga data", "01.12.2026"), ("date_in_future", "Deri më", "31.12.2026")],
         "The date 01.12.2026 is in the future (today is 21.11.2026). Write the date the activity took place."),
        ([2025, None, None, None, None, "events", None], [("required_value", "Vlera", "")],
         "'Vlera' is empty. Fill it in."),
        ([2025, None, None, "Tyranna", "Piknik", "events", 5],
         [("unknown_municipality", "Bashkia", "Tyranna"), ("unknown_type", "Lloji i aktivitetit", "Piknik")], None),
    ],
)
def test_reported_figure_problems(tmp_path, row, expected, message_en):
    path = write_xlsx(tmp_path / "f.xlsx", {"Shifrat": [FIGURE_HEADERS, [2025, None, None, None, None, "events", 1],
                                                         row]})
    found = problems_of(path)
    assert sorted(located(found)) == sorted((code, "Shifrat", 3, column, value) for code, column, value in expected)
    if message_en:
        assert found[0].message_en == message_en


# ----------------------------------------------------------------------------------- the catalogue

def test_every_problem_code_validation_raises_has_a_message_in_both_languages():
    codes = ["empty_file", "unreadable_file", "unsupported_file", "no_header", "no_data_rows", "missing_column",
             "required_value", "unknown_municipality", "unknown_theme", "one_theme_only", "unknown_status",
             "unknown_type", "unknown_indicator", "unknown_cycle", "not_a_number", "not_a_whole_number", "not_a_date",
             "not_a_year", "negative_count", "parts_exceed_total", "youth_exceeds_total", "date_in_future",
             "date_too_early", "year_in_future", "year_too_early", "period_reversed", "conflicting_duplicate",
             "file_too_large", "letter_in_number", "two_numbers", "count_is_share", "count_in_words",
             "day_not_in_month", "numbers_unclear", "numbers_unread", "unnamed_numbers"]
    warnings = ["skipped_sheet", "ignored_column", "total_mismatch", "partner_filled", "replaces", "cycle_from_year",
                "cycle_from_date", "repeated_row", "empty_sheet", "numbers_read_as"]
    for lang in ("en", "sq"):
        catalogue = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
        assert [c for c in codes if f"problem.{c}" not in catalogue] == []
        assert [w for w in warnings if f"warning.{w}" not in catalogue] == []


# ----------------------------------------------------------------------------------- read in Arrow

SHAPES = st.one_of(
    st.text(alphabet="0123456789.,-+ %", max_size=12),
    st.text(alphabet="abTë ç\u00a0\u2003\x1c\x85\t.-09", max_size=8),
    st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 9999)).map(
        lambda d: f"{d[0]:02d}.{d[1]:02d}.{d[2]:04d}"),
    st.dates(min_value=dt.date(1000, 1, 1)).map(lambda d: d.strftime("%d.%m.%Y")))


@settings(max_examples=300, deadline=None, database=None)
@given(texts=st.lists(SHAPES, max_size=30))
def test_what_arrow_reads_of_a_csv_column_is_what_each_parser_reads_value_by_value(texts):
    for parse, reader in normalise.IN_ARROW.items():
        found, values = reader(pa.array(texts, pa.string()))
        read = [text for text, in_arrow in zip(texts, found) if in_arrow]
        assert [(value, type(value)) for value in values] == [(parse(text), type(parse(text))) for text in read]


@pytest.mark.parametrize(("parse", "texts", "read"), [
    (normalise.count, ["12", "-5", "007", "1234567", "12345678", "+5", " 1", "1.5", "x"],
     {"12": 12, "-5": -5, "007": 7, "1234567": 1234567}),
    (normalise.date, ["12.09.2023", "29.02.2024", "29.02.2023", "31.04.2023", "1.2.2023", "12.09.0999"],
     {"12.09.2023": dt.date(2023, 9, 12), "29.02.2024": dt.date(2024, 2, 29)}),
    (normalise.text, ["Tiranë", "a b", " a", "a  b", "a\u00a0b", "x\x1cy", ""], {"Tiranë": "Tiranë", "a b": "a b"}),
])
def test_arrow_reads_only_the_shapes_that_leave_no_doubt(parse, texts, read):
    found, values = normalise.IN_ARROW[parse](pa.array(texts, pa.string()))
    assert dict(zip([text for text, in_arrow in zip(texts, found) if in_arrow], values)) == read


# ----------------------------------------------------------------------------------- count cells as a person reads them
# The oracle below writes a count the ways partners type it and says, without asking the reader,
# what a person reads in it: a number, or a refusal and why. The reader must agree with it on both
# of its paths (a CSV's column in Arrow, a workbook's cells one by one): a cell is read as the
# person's number or refused with a sentence that quotes it, never read as another number.

PERSON_WORDS = ["gra dhe burra", "pjesëmarrës", "fokus grupe", "persona", "participants", "të rinj"]
MULTIPLYING_WORDS = ["mijë", "mije", "milion", "thousand", "million"]
LOOKALIKES = {"O": "0", "o": "0", "l": "1", "I": "1"}
OTHER_LETTERS = "abcdexyzABëçÇ"


def _person_reads(value: int, shown: str) -> tuple:
    """A number a person reads: kept, or refused when no count can be it."""
    if abs(value) > MAX_COUNT:
        return ("count_too_large", shown)
    if value < 0:
        return ("negative_count", str(value))  # the sentence quotes the number read: '-1234' is negative
    return ("value", value)


@st.composite
def count_cells(draw) -> tuple[str, tuple]:
    """(a cell, what a person reads in it): ("value", n) or (problem code, the value its sentence quotes[, meant])."""
    n = draw(st.integers(0, 12_000_000) | st.integers(0, 3000))
    digits = str(n)
    grouped = f"{n:,}".replace(",", draw(st.sampled_from([",", ".", " ", "\u00a0"])))
    pad = draw(st.sampled_from(["", " ", "  "]))
    shape = draw(st.sampled_from(["plain", "grouped", "zero_decimals", "fraction", "lookalike", "letter_after",
                                  "letter_before", "words", "multiplier", "range", "share"]))
    if shape == "plain":
        sign = draw(st.sampled_from(["", "+", "-"]))
        cell = f"{pad}{sign}{digits}{pad}"
        return cell, _person_reads(-n if sign == "-" else n, cell.strip())
    if shape == "grouped":  # 1,157 · 1.157 · 1 157 are 1157, as the README documents
        return grouped, _person_reads(n, " ".join(grouped.split()))
    if shape == "zero_decimals":
        cell = f"{digits}{draw(st.sampled_from([',', '.']))}{'0' * draw(st.sampled_from([1, 2]))}"
        return cell, _person_reads(n, cell)
    if shape == "fraction":  # two decimals at most: three would be a group of thousands
        decimals = draw(st.sampled_from(["5", "25", "1", "75", "05"]))
        cell = f"{digits}{draw(st.sampled_from([',', '.']))}{decimals}"
        return cell, ("not_a_whole_number", cell)
    if shape == "lookalike":
        letter = draw(st.sampled_from(sorted(LOOKALIKES)))
        at = draw(st.integers(0, len(digits)))
        written, meant = digits[:at] + letter + digits[at:], digits[:at] + LOOKALIKES[letter] + digits[at:]
        words = draw(st.sampled_from(["", " gra dhe burra"]))
        return f"{pad}{written}{words}", ("letter_in_number", f"{written}{words}", meant)
    if shape == "letter_after":
        cell = f"{digits}{draw(st.sampled_from(OTHER_LETTERS))}"
        return cell, ("not_a_number", cell)
    if shape == "letter_before":
        cell = f"{draw(st.sampled_from(OTHER_LETTERS + 'OolI'))}{digits}"
        if cell[0] in LOOKALIKES:  # 'O5' is the number 05 with a letter O
            return cell, ("letter_in_number", cell, LOOKALIKES[cell[0]] + digits)
        return cell, ("not_a_number", cell)
    if shape == "words":
        number = draw(st.sampled_from([digits, grouped]))
        cell = f"{number} {draw(st.sampled_from(PERSON_WORDS))}"
        return cell, _person_reads(n, " ".join(cell.split()))
    if shape == "multiplier":
        cell = f"{digits} {draw(st.sampled_from(MULTIPLYING_WORDS))}"
        return cell, ("count_in_words", cell)
    if shape == "range":
        cell = f"{digits}{draw(st.sampled_from(['-', '–', ' - ', '—']))}{n + draw(st.integers(1, 20))}"
        return cell, ("two_numbers", cell)
    cell = f"{digits}{draw(st.sampled_from(['%', ' %']))}"
    return cell, ("count_is_share", cell)


COUNTED_HEADERS = ["Data", "Bashkia", "Lloji i aktivitetit", "Tema", "Numri i aktiviteteve", "Pjesëmarrës gjithsej"]
COUNTED = {4: "events", 5: "participants"}


def _both_paths(rows: list[list]) -> dict[str, reading.ReadResult]:
    """The same rows as a CSV (each column held in Arrow) and as cells read one by one."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    as_csv = reading.read(buffer.getvalue().encode("utf-8"), "counts.csv")
    assert isinstance(as_csv.sheets[0].cells["events"].uniques, reading.ArrowTexts)
    one_by_one = reading.tabulate("counts.csv", [list(row) for row in rows])
    return {"arrow": as_csv, "one by one": reading.ReadResult([one_by_one], [])}


def _refusals(read: reading.ReadResult) -> dict[tuple[int, str], list]:
    try:
        validate.validate(read, today=TODAY)
    except FileRefused as refused:
        found: dict[tuple[int, str], list] = {}
        for p in refused.problems:
            found.setdefault((p.row, p.column), []).append(p)
        return found
    return {}


@settings(max_examples=150, deadline=None, database=None)
@given(cells=st.lists(st.tuples(count_cells(), count_cells()), min_size=1, max_size=12))
def test_every_count_cell_is_read_as_a_person_reads_it_or_refused_with_a_sentence_quoting_it(cells):
    rows = [COUNTED_HEADERS, *(["02.03.2025", "Durrës", "Fokus grup", "Uji i pijshëm", e, p]
                               for (e, _), (p, _) in cells)]
    expected = [{4: e, 5: p} for (_, e), (_, p) in cells]
    for path, read in _both_paths(rows).items():
        refusals = _refusals(read)
        for number, row in enumerate(expected, start=2):
            for column, person in row.items():
                found = refusals.get((number, COUNTED_HEADERS[column]), [])
                if person[0] == "value":
                    assert found == [], (path, rows[number - 1][column], found)
                    continue
                assert [(p.code, p.value) for p in found] == [person[:2]], (path, rows[number - 1][column])
                assert f"'{person[1]}'" in found[0].message_en and f"'{person[1]}'" in found[0].message_sq
                if person[0] == "letter_in_number":
                    assert found[0].message_en == t("problem.letter_in_number", "en", value=person[1],
                                                    letter=next(c for c in person[1] if c in LOOKALIKES),
                                                    meant=person[2])
        # What is read: the cells a person reads as numbers, the others left blank.
        kept = [[*row[:4], *(row[c] if expected[n][c][0] == "value" else "" for c in COUNTED)]
                for n, row in enumerate(rows[1:])]
        batch = validate.validate(_both_paths([COUNTED_HEADERS, *kept])[path], today=TODAY)
        assert batch.activities["events"].tolist() == [
            e[1] if e[0] == "value" else 1 for e in (row[4] for row in expected)], path
        assert batch.activities["participants"].astype(object).where(batch.activities["participants"].notna(),
                                                                    None).tolist() == [
            p[1] if p[0] == "value" else None for p in (row[5] for row in expected)], path


# ----------------------------------------------------------------------------------- a priority's own deadline

DUE_HEADERS = [*PRIORITY_HEADERS, "Afati i realizimit"]


def due_file(tmp_path, *dues, header: str = "Afati i realizimit", cycle: str = "2019-2023"):
    """One priority per deadline cell (codes D1, D2, …), from row 2 under the header row."""
    rows = [[*PRIORITY_HEADERS, header],
            *([*priority(Kodi=f"D{n}", Cikli=cycle), due] for n, due in enumerate(dues, start=1))]
    return write_xlsx(tmp_path / "prioritetet.xlsx", {"Prioritetet": rows})


def test_a_deadline_cell_is_read_as_a_date_and_a_blank_one_leaves_the_cycle_s_end(tmp_path):
    batch = validated(due_file(tmp_path, dt.datetime(2023, 6, 30), "30.06.2023", "2023-03-31", None, "  "))
    assert plain(batch.priorities["due"]) == [dt.date(2023, 6, 30), dt.date(2023, 6, 30), dt.date(2023, 3, 31),
                                              None, None]
    assert batch.warnings == []


def test_a_sheet_without_a_deadline_column_gives_every_priority_none(tmp_path):
    batch = validated(priorities_file(tmp_path))
    assert plain(batch.priorities["due"]) == [None, None]


@pytest.mark.parametrize("header", ["Afati", "Afati i realizimit", "Data e afatit", "Afati kohor", "Deadline",
                                    "Due date", "deadline"])
def test_the_deadline_column_is_found_under_its_albanian_and_english_names(tmp_path, header):
    batch = validated(due_file(tmp_path, "31.12.2022", header=header))
    assert plain(batch.priorities["due"]) == [dt.date(2022, 12, 31)]


@pytest.mark.parametrize(("cell", "code", "message_en", "message_sq"), [
    ("fund i 2023", "not_a_date", "'fund i 2023' is not a date. Write it as dd.mm.yyyy, e.g. 22.12.2020.",
     "'fund i 2023' nuk është datë. Shkruajeni si dd.mm.vvvv, p.sh. 22.12.2020."),
    ("2023", "not_a_date", "'2023' is not a date. Write it as dd.mm.yyyy, e.g. 22.12.2020.",
     "'2023' nuk është datë. Shkruajeni si dd.mm.vvvv, p.sh. 22.12.2020."),
    # a year in a number cell is no Excel serial here: the deadline column never guesses a day
    (2023, "not_a_date", "'2023' is not a date. Write it as dd.mm.yyyy, e.g. 22.12.2020.",
     "'2023' nuk është datë. Shkruajeni si dd.mm.vvvv, p.sh. 22.12.2020."),
    ("31.06.2023", "day_not_in_month",
     "The date '31.06.2023' does not exist: the last day of that month is 30.06.2023. Check the day and the month.",
     "Data '31.06.2023' nuk ekziston: dita e fundit e atij muaji është 30.06.2023. Kontrolloni ditën dhe muajin."),
    ("30.06.2023 ose më vonë", "not_a_date",
     "'30.06.2023 ose më vonë' is not a date. Write it as dd.mm.yyyy, e.g. 22.12.2020.",
     "'30.06.2023 ose më vonë' nuk është datë. Shkruajeni si dd.mm.vvvv, p.sh. 22.12.2020."),
])
def test_a_deadline_cell_that_is_not_wholly_a_date_is_refused_with_its_cell_and_value(tmp_path, cell, code,
                                                                                       message_en, message_sq):
    [found] = problems_of(due_file(tmp_path, "30.06.2023", cell))
    assert (found.code, found.sheet, found.row, found.column, found.value) == (
        code, "Prioritetet", 3, "Afati i realizimit", str(cell))
    assert (found.message_en, found.message_sq) == (message_en, message_sq)


def test_a_deadline_outside_its_cycle_is_kept_with_one_warning_per_priority(tmp_path):
    rows = [DUE_HEADERS, [*priority(Kodi="D1"), "31.12.2030"],
            [*priority(Kodi="D1", **{"Viti i monitorimit": 2022}), "31.12.2030"],
            [*priority(Kodi="D2"), "01.01.2019"], [*priority(Kodi="D3"), "31.12.2023"]]
    batch = validated(write_xlsx(tmp_path / "prioritetet.xlsx", {"Prioritetet": rows}))
    assert plain(batch.priorities["due"]) == [dt.date(2030, 12, 31), dt.date(2030, 12, 31), dt.date(2019, 1, 1),
                                              dt.date(2023, 12, 31)]
    assert [(w.code, w.row, w.column, w.value) for w in batch.warnings] == [
        ("due_outside_cycle", 2, "Afati i realizimit", "31.12.2030"),
        ("due_outside_cycle", 4, "Afati i realizimit", "01.01.2019")]
    assert batch.warnings[0].message_en == ("The deadline 31.12.2030 is outside the contract cycle 2019-2023 "
                                            "(30.06.2019 to 31.12.2023). It was kept: check the date.")
    assert batch.warnings[0].message_sq == ("Afati 31.12.2030 është jashtë ciklit të kontratës 2019-2023 "
                                            "(30.06.2019 deri më 31.12.2023). U ruajt: kontrolloni datën.")
