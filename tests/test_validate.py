"""validate: sheets of raw cells → typed rows; every problem located by sheet, Excel row, column and value."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from conftest import ACTIVITY_HEADERS, PRIORITY_HEADERS, TODAY, located, write_csv, write_xlsx

from pop_analytics import reading, validate
from pop_analytics.errors import FileRefused
from pop_analytics.settings import CATALOGUE_DIR

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
        {"Data": "31.02.2023"}, "not_a_date", "Data", "31.02.2023",
        "'31.02.2023' is not a date. Write it as dd.mm.yyyy, e.g. 22.12.2020.",
        "'31.02.2023' nuk është datë. Shkruajeni si dd.mm.vvvv, p.sh. 22.12.2020.", id="not_a_date"),
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


def test_a_column_of_numbers_that_are_not_row_numbers_is_never_left_unread_quietly(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet": [["Nr."] + ACTIVITY_HEADERS + [None],
                                                            [4] + activity() + [12], [9] + activity() + [3]]})
    batch = validated(path)
    assert [(w.code, w.value, w.message_en) for w in batch.warnings if w.code != "cycle_from_date"] == [
        ("header_unclear", "Nr.", ("The column 'Nr.' in sheet 'Aktivitetet' could be Number of events / "
                                   "Participants total / Women / Men; it was not read. Rename it to the one it is.")),
        ("unnamed_numbers", "K", "Column K of sheet 'Aktivitetet' holds numbers but has no header; it was not read."),
    ]


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
             "file_too_large"]
    warnings = ["skipped_sheet", "ignored_column", "total_mismatch", "partner_filled", "replaces", "cycle_from_year",
                "cycle_from_date", "repeated_row", "empty_sheet"]
    for lang in ("en", "sq"):
        catalogue = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
        assert [c for c in codes if f"problem.{c}" not in catalogue] == []
        assert [w for w in warnings if f"warning.{w}" not in catalogue] == []
