"""What a reader sees of a number, a code, a table, a file and a validation report."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pandas as pd
import pytest
from conftest import ACTIVITY_HEADERS, TODAY, import_file, write_csv
from dashboard_support import ACTIVITY_HEADER, xlsx

from pop_analytics import importing, messages, present, queries, store, upload_view
from pop_analytics.filters import Filters, resolve


@pytest.mark.parametrize(("value", "lang", "decimals", "shown"), [
    (1157, "en", 0, "1,157"), (1157, "sq", 0, "1\u00a0157"), (129466, "sq", 0, "129\u00a0466"),
    (74.5, "en", 1, "74.5"), (74.5, "sq", 1, "74,5"), (None, "en", 0, "–"), (float("nan"), "sq", 1, "–"),
])
def test_numbers_are_written_as_each_language_writes_them(value, lang, decimals, shown):
    assert present.number(value, lang, decimals) == shown


def test_shares_changes_and_periods():
    assert (present.percent(74.5, "en"), present.percent(74.5, "sq"), present.percent(None, "en")) == (
        "74.5%", "74,5%", "–")
    assert present.signed(12.3, "en", 1, "pp") == "+12.3 pp"
    assert present.signed(-3643, "sq") == "-3\u00a0643"
    assert present.signed(0, "en", 1, "pp") == "±0.0 pp"
    assert present.signed(None, "en") is None
    assert present.change(74.5, 62.25) == 12.2 and present.change(74.5, None) is None
    assert [present.years_text(y, "en") for y in [(), (2023,), (2022, 2023), (2020, 2021, 2022), (2019, 2021)]] == [
        "all years", "2023", "2022, 2023", "2020–2022", "2019, 2021"]


def test_the_view_in_one_line():
    assert present.filters_text(resolve(municipality="Tirana,Korce", year="2023", theme="water"), "en") == \
        "Tiranë, Korçë · 2023 · drinking water · all contract cycles"
    assert present.filters_text(Filters(cycle="2019-2023"), "sq") == \
        "të gjitha bashkitë · të gjitha vitet · të gjitha temat · cikli i kontratës 2019-2023"


def test_tables_show_labels_under_catalogue_headings():
    frame = pd.DataFrame({"municipality": [None, "Fier"], "status": ["fully", "not_addressed"],
                          "theme": ["water", None], "2023": ["partially", None],
                          "month": pd.to_datetime(["2023-09-01", "2023-10-01"]),
                          "monitoring_year": [True, False], "state": ["stored", "undone"]})
    shown = present.table(frame, "sq")
    assert list(shown.columns) == ["Bashkia", "Statusi", "Tema", "2023", "Muaji", "Vit monitorimi", "Gjendja"]
    assert shown.to_dict("records") == [
        {"Bashkia": "i gjithë rrjeti", "Statusi": "Plotësisht", "Tema": "Uji i pijshëm", "2023": "Pjesërisht",
         "Muaji": pd.Timestamp("2023-09-01"), "Vit monitorimi": "po", "Gjendja": "i ruajtur"},
        {"Bashkia": "Fier", "Statusi": "Nuk është adresuar", "Tema": None, "2023": None,
         "Muaji": pd.Timestamp("2023-10-01"),
         "Vit monitorimi": "jo", "Gjendja": "i zhbërë"}]
    assert list(present.table(frame, "en", ["status", "theme"]).iloc[0]) == ["fully addressed", "drinking water"]


READERS_FRAME = pd.DataFrame({
    "month": pd.to_datetime(["2023-09-01", "2023-10-01"]), "date": pd.to_datetime(["2023-09-01", None]),
    "imported_at": pd.to_datetime(["2026-11-30 23:55:46.2", "2026-01-01 10:00:00"], format="ISO8601"),
    "year": [2023, 2024], "participants": [129466, 46], "addressed_pct": [51.9, None]})


@pytest.mark.parametrize(("lang", "lines"), [
    ("sq", ["Muaji\tData\tKur\tViti\tPjesëmarrës\tTë adresuara (%)",
            "09.2023\t01.09.2023\t30.11.2026 23:55\t2023\t129\u00a0466\t51,9",
            "10.2023\t–\t01.01.2026 10:00\t2024\t46\t–"]),
    ("en", ["Month\tDate\tWhen\tYear\tParticipants\tAddressed (%)",
            "Sep 2023\t1 Sep 2023\t30 Nov 2026 23:55\t2023\t129,466\t51.9",
            "Oct 2023\t–\t1 Jan 2026 10:00\t2024\t46\t–"]),
])
def test_a_table_shows_numbers_and_dates_as_its_language_writes_them_and_years_ungrouped(lang, lines):
    shown = present.table(READERS_FRAME, lang)
    assert [str(d) for d in shown.dtypes] == ["datetime64[us]", "datetime64[us]", "datetime64[us]", "int64", "int64",
                                              "float64"]  # still sorted as dates and numbers
    text = present.styled(shown, lang).hide(axis="index").to_string(delimiter="\t")
    assert text.splitlines() == lines


def test_values_a_table_repeats_read_the_same_in_every_row_and_apart_from_equal_looking_ones():
    """styled writes each distinct value of a column once (a 1,000-row table repeats its dates and
    counts): every row still reads as its own value, 1 and 1.0 or a date and the next day apart."""
    frame = pd.DataFrame({"date": pd.to_datetime(["2023-09-01", "2023-09-02", "2023-09-01", None, "2023-09-01"]),
                          "participants": [1200, 1, 1200, 1, 0], "addressed_pct": [1.0, 1.04, 1.0, None, 0.0]})
    text = present.styled(present.table(frame, "sq"), "sq").hide(axis="index").to_string(delimiter="\t")
    assert text.splitlines() == ["Data\tPjesëmarrës\tTë adresuara (%)", "01.09.2023\t1\u00a0200\t1,0",
                                 "02.09.2023\t1\t1,0", "01.09.2023\t1\u00a0200\t1,0", "–\t1\t–",
                                 "01.09.2023\t0\t0,0"]


@pytest.mark.parametrize(("lang", "lines"), [
    ("sq", ["Muaji;Data;Kur;Viti;Pjesëmarrës;Të adresuara (%)", "09.2023;01.09.2023;30.11.2026 23:55;2023;129466;51,9",
            "10.2023;;01.01.2026 10:00;2024;46;"]),
    ("en", ["Month,Date,When,Year,Participants,Addressed (%)", "Sep 2023,1 Sep 2023,30 Nov 2026 23:55,2023,129466,51.9",
            "Oct 2023,,1 Jan 2026 10:00,2024,46,"]),
])
def test_a_csv_download_is_written_in_its_languages_convention(lang, lines):
    content = present.csv_bytes(present.table(READERS_FRAME, lang), lang)
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig").split("\r\n") == [*lines, ""]


@pytest.mark.parametrize(("lang", "formats"), [
    ("sq", ["mm.yyyy", "dd.mm.yyyy", "dd.mm.yyyy hh:mm", "General", "General", "General"]),
    ("en", ["mmm yyyy", "d mmm yyyy", "d mmm yyyy hh:mm", "General", "General", "General"]),
])
def test_an_excel_download_holds_real_dates_and_numbers_shown_in_its_languages_format(lang, formats):
    content = present.xlsx_bytes(present.table(READERS_FRAME, lang), "t", lang)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    first = next(iter(sheet.iter_rows(min_row=2, max_row=2)))
    assert [c.value for c in first] == [dt.datetime(2023, 9, 1), dt.datetime(2023, 9, 1),
                                        dt.datetime(2026, 11, 30, 23, 55, 46, 200000), 2023, 129466, 51.9]
    assert [c.number_format for c in first] == formats


def test_downloads_open_with_the_same_rows_and_albanian_letters():
    shown = pd.DataFrame({"Bashkia": ["Korçë", "Vau i Dejës"], "Pjesëmarrës": [46, 46]})
    assert present.csv_bytes(shown).decode("utf-8-sig").splitlines() == ["Bashkia,Pjesëmarrës", "Korçë,46",
                                                                        "Vau i Dejës,46"]
    sheet = openpyxl.load_workbook(io.BytesIO(present.xlsx_bytes(shown, "pjesemarrja"))).active
    assert sheet.title == "pjesemarrja"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["Bashkia", "Pjesëmarrës"], ["Korçë", 46],
                                                                     ["Vau i Dejës", 46]]


def test_the_validation_report_and_what_was_read(tmp_path):
    con = store.connect(tmp_path / "pop.duckdb")
    content = xlsx([["Titulli"], ACTIVITY_HEADER, ["12.03.2024", "Tyranna", "Fokus grup", 1, 20, 10, 10, "Uji"]])
    report = importing.import_bytes(con, content, "tirane.xlsx", dry_run=True)
    table = present.problems(report.errors, report.warnings, "en")
    assert list(table.columns[:3]) == ["Kind", "Row", "What to fix"]  # what to fix shows on a phone too
    assert list(table["Kind"]) == ["error", "warning"]  # the warning (no cycle column) comes with the error
    assert table[["Kind", "Sheet", "Row", "Column", "Value"]].iloc[:1].to_dict("records") == [
        {"Kind": "error", "Sheet": "Aktivitetet", "Row": 3, "Column": "Bashkia", "Value": "Tyranna"}]
    [(sheet, frame)] = upload_view.read_preview(report.read)
    assert sheet == "Aktivitetet" and list(frame.index) == [3]
    assert frame.iloc[0].to_dict() == {"Data": "12.03.2024", "Bashkia": "Tyranna", "Lloji i aktivitetit": "Fokus grup",
                                       "Numri i aktiviteteve": "1", "Pjesëmarrës gjithsej": "20", "Gra": "10",
                                       "Burra": "10", "Tema": "Uji"}
    assert upload_view.read_preview(importing.check(b"", "empty.csv").read) == []
    con.close()


@pytest.mark.parametrize(("lang", "rows", "where"), [
    ("en", (5, 6, 7, 9), {"value": "Ujii", "column": "Tema", "rows": "rows 5–7, 9"}),
    ("sq", (5, 6, 7, 9), {"value": "Ujii", "column": "Tema", "rows": "rreshtat 5–7, 9"}),
    ("sq", (4,), {"value": "Ujii", "column": "Tema", "rows": "rreshti 4"}),
])
def test_a_value_not_read_is_asked_about_once_with_every_row_holding_it(lang, rows, where):
    found = [messages.problem("unknown_theme", sheet="Aktivitetet", row=row, column="Tema",
                              value="ujii " if i % 2 else "Ujii", vocabulary="theme", choices=("water",))
             for i, row in enumerate(rows)]
    header = messages.problem("unknown_column", sheet="Aktivitetet", column="Tema", value="Tema",
                              vocabulary="column.activities")
    [unknown] = upload_view.unknown_values([*found, header])
    assert (unknown.vocabulary, unknown.rows, unknown.choices) == ("theme", rows, ("water",))
    assert unknown.where(lang) == where  # "ujii " is the same value: asked about once
    assert upload_view.term_options("theme")[:2] == ["water", "transport"]


@pytest.mark.parametrize(("count", "lang", "phrase"), [
    (1, "en", "1 problem"), (2, "en", "2 problems"), (2_499_005, "en", "2,499,005 problems"),
    (1, "sq", "1 problem"), (3, "sq", "3 probleme"),
])
def test_a_count_of_problems_reads_as_a_person_would_say_it(count, lang, phrase):
    assert present.problems_phrase(count, lang).replace("\u202f", " ").replace("\xa0", " ") == phrase.replace(
        "\u202f", " ")


@pytest.mark.parametrize(("column", "values", "shown"), [
    ("reported", [62.0, 1000.0], [62, 1000]),
    ("difference", [10.0, -157.0, None], [10, -157, None]),
    ("value", [12.5, 3.0], [12.5, 3.0]),
    ("women_pct", [50.0, 52.0], [50.0, 52.0]),
])
def test_counts_stored_as_decimals_are_shown_and_downloaded_whole_and_shares_keep_their_decimals(column, values,
                                                                                                 shown):
    table = present.table(pd.DataFrame({column: values}), "en", [column])
    heading = table.columns[0]
    assert [None if pd.isna(v) else v for v in table[heading]] == shown
    assert all(type(v) is (int if isinstance(s, int) else float) for v, s in zip(table[heading].dropna().tolist(),
                                                                                 [s for s in shown if s is not None]))
    csv_values = [row[0] for row in csv.reader(io.StringIO(present.csv_bytes(table).decode("utf-8-sig")))][1:]
    assert csv_values == ["" if s is None else str(s) for s in shown]
    sheet = openpyxl.load_workbook(io.BytesIO(present.xlsx_bytes(table, column))).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == shown


@pytest.mark.parametrize(("name", "chosen", "expected"), [
    ("addressed_by_year", Filters(year=(2023,), cycle="2019-2023"), "pop_addressed_by_year_2019-2023_2023"),
    ("kpi_report", Filters(), "pop_kpi_report"),
    ("participants_by_month", Filters(year=(2020, 2021, 2022)), "pop_participants_by_month_2020-2022"),
    ("participants_by_month", Filters(year=(2020, 2023)), "pop_participants_by_month_2020_2023"),
    ("status_by_theme", Filters(municipality=("Durrës", "Vau i Dejës"), year=(2024,)),
     "pop_status_by_theme_2024_Durres_Vau_i_Dejes"),
])
def test_a_saved_view_s_file_name_says_what_it_shows(name, chosen, expected):
    assert present.view_stem(name, chosen) == expected


# ── changes of shares, and a year under way (issue 19, item 10) ──────────────────────────────

def test_equal_and_opposite_changes_of_shares_read_the_same_points(demo_reader):
    """From 2022 to 2023, 22 of the 137 priorities of 2019-2023 moved from partially to fully
    addressed: fully 27.7 % → 43.8 %, partially 46.7 % → 30.7 %, both by 16.06 points. The change is
    taken from the counts and rounded once (+16.1 and -16.1), not from the two rounded shares (-16.0)."""
    result = queries.overview(demo_reader, resolve(year=2023, cycle="2019-2023"))
    for lang, unit in (("en", "pp"), ("sq", "p.p.")):
        deltas = {tile["name"]: tile["delta"] for tile in present.overview_tiles(result, lang)}
        assert (deltas["fully"], deltas["partially"], deltas["addressed"], deltas["not_addressed"]) == (
            f"+16{present.formats.of(lang).decimal}1 {unit}", f"-16{present.formats.of(lang).decimal}1 {unit}",
            f"±0{present.formats.of(lang).decimal}0 {unit}", f"±0{present.formats.of(lang).decimal}0 {unit}")


@pytest.mark.parametrize(("lang", "shown", "excel"), [
    ("en", "+16.1 pp", '+0.0" pp";-0.0" pp";"±"0.0" pp"'),
    ("sq", "+16,1 p.p.", '+0.0" p.p.";-0.0" p.p.";"±"0.0" p.p."'),
])
def test_a_change_of_a_share_is_written_with_one_unit_on_the_page_and_in_the_workbook(lang, shown, excel):
    assert present.points(16.1, lang) == shown
    assert present.points(None, lang) is None
    assert present.excel_points_format(lang) == excel


@pytest.mark.parametrize(("lang", "note"), [
    ("en", ("2026 is not over (data to 21 Nov 2026): its activities are compared with those held up to 21 Nov 2025, "
           "the same months a year earlier, not with a whole year; municipalities covered are not compared, as "
           "monitoring is reported once a year.")),
    ("sq", ("Viti 2026 nuk ka mbaruar (të dhëna deri më 21.11.2026): aktivitetet e tij krahasohen me ato të zhvilluara "
           "deri më 21.11.2025, të njëjtët muaj një vit më parë, jo me një vit të plotë; bashkitë e mbuluara nuk "
           "krahasohen, sepse monitorimi raportohet një herë në vit.")),
])
def test_a_year_under_way_says_what_it_is_compared_with_and_shows_no_collapse(demo_copy, tmp_path, lang, note):
    con = store.connect(demo_copy)
    try:
        import_file(con, write_csv(tmp_path / "durres_2026.csv", [
            ACTIVITY_HEADERS, ["02.03.2026", "Durrës", "Fokus grup", 2, 40, 20, 20, None, "Uji i pijshëm"]]))
        result = queries.overview(con, resolve(year=2026), today=TODAY)
        whole_year = queries.overview(con, resolve(year=2025), today=TODAY)
    finally:
        con.close()
    assert present.partial_note(result, lang) == note
    tiles = {tile["name"]: (tile["value"], tile["delta"]) for tile in present.overview_tiles(result, lang)}
    # 2 events so far against 180 by 21 Nov 2025; no '-9' municipalities against a whole monitored year
    assert tiles["events"] == ("2", "-178")
    assert tiles["municipalities_covered"] == ("1", None)
    assert present.partial_note(whole_year, lang) == ""


# ── deadlines (issue 23, item 6) ─────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("deadline", "today", "status", "en", "sq"), [
    (dt.date(2027, 12, 31), dt.date(2026, 12, 6), "partially", "12 months and 25 days left",
     "12 muaj e 25 ditë deri në afat"),
    (dt.date(2027, 1, 6), dt.date(2026, 12, 6), "not_addressed", "1 month left", "1 muaj deri në afat"),
    (dt.date(2026, 12, 7), dt.date(2026, 12, 6), "partially", "1 day left", "1 ditë deri në afat"),
    (dt.date(2026, 12, 6), dt.date(2026, 12, 6), "partially", "Due today", "Afati është sot"),
    (dt.date(2023, 12, 31), dt.date(2026, 12, 6), "partially", "35 months and 6 days past the deadline",
     "35 muaj e 6 ditë pas afatit"),
    (dt.date(2026, 1, 31), dt.date(2026, 2, 28), "partially", "1 month past the deadline", "1 muaj pas afatit"),
    (dt.date(2026, 11, 21), dt.date(2026, 12, 6), "not_addressed", "15 days past the deadline",
     "15 ditë pas afatit"),
    (dt.date(2023, 12, 31), dt.date(2026, 12, 6), "fully", None, None),  # nothing is left to do
])
def test_the_time_left_to_a_deadline_is_said_in_months_and_days(deadline, today, status, en, sq):
    assert (present.time_left(deadline, today, status, "en"), present.time_left(deadline, today, status, "sq")) == (
        en, sq)


@pytest.mark.parametrize(("definition", "status", "overdue", "en"), [
    ({"cycle": "2019-2023", "due": None}, "partially", True,
     ["Deadline: 31 Dec 2023 (the end of the contract cycle 2019-2023)",
      "Overdue: the deadline was 31 Dec 2023, 35 months and 6 days ago, and the priority is not fully addressed."]),
    ({"cycle": "2019-2023", "due": None}, "fully", False,
     ["Deadline: 31 Dec 2023 (the end of the contract cycle 2019-2023)",
      "Fully addressed: nothing is left to do by the deadline."]),
    ({"cycle": "2023-2027", "due": dt.date(2027, 3, 31)}, "not_addressed", False,
     ["Deadline: 31 Mar 2027 (the date the sheet gives)", "3 months and 25 days left"]),
])
def test_a_priority_s_page_says_its_deadline_and_whether_it_is_overdue(definition, status, overdue, en):
    assert present.deadline_sentences(definition, status, dt.date(2026, 12, 6), "en") == (overdue, en)


def test_a_priority_s_deadline_in_albanian():
    assert present.deadline_sentences({"cycle": "2019-2023", "due": None}, "not_addressed", dt.date(2026, 12, 6),
                                      "sq") == (True, [
        "Afati: 31.12.2023 (fundi i ciklit të kontratës 2019-2023)",
        "Jashtë afatit: afati ishte më 31.12.2023, 35 muaj e 6 ditë më parë, dhe prioriteti nuk është adresuar "
        "plotësisht."])


def test_the_overdue_column_marks_the_overdue_rows_only():
    table = pd.DataFrame({"status": ["partially", "fully"], "overdue": [True, False],
                          "deadline": pd.to_datetime(["2023-12-31", "2023-12-31"]), "days_left": [-3, -3]})
    shown = present.table(present.with_time_left(table, "sq"), "sq", ["status", "overdue", "deadline", "time_left"])
    assert shown.values.tolist() == [["Pjesërisht", "Jashtë afatit", pd.Timestamp(2023, 12, 31), "3 ditë pas afatit"],
                                     ["Plotësisht", None, pd.Timestamp(2023, 12, 31), None]]
    assert list(shown.columns) == ["Statusi", "Jashtë afatit", "Afati", "Koha e mbetur"]


def test_rows_sharing_a_deadline_each_get_their_own_time_left():
    """with_time_left writes a sentence once per deadline, days left and doneness: rows that share
    the deadline but not the status or the day it is counted from still read as each of their own."""
    table = pd.DataFrame({"status": ["partially", "fully", "not_addressed", "partially", "partially", "partially"],
                          "deadline": pd.to_datetime(["2023-12-31", "2023-12-31", "2023-12-31", "2023-12-31",
                                                      "2027-03-31", None]),
                          "days_left": [-3, -3, -3, 40, 40, 0]})
    assert present.with_time_left(table, "en")["time_left"].tolist() == [
        "3 days past the deadline", None, "3 days past the deadline", "1 month and 10 days left",
        "1 month and 12 days left", None]


@pytest.mark.parametrize(("lang", "words"), [("en", ["on time", "late", "missing"]),
                                             ("sq", ["në kohë", "me vonesë", "mungon"])])
def test_a_report_s_status_is_written_in_the_reader_s_language_whatever_the_session_s(lang, words):
    """The Reporting page's download runs after the page run: the language it is given is the one written."""
    frame = pd.DataFrame({"reporting_status": ["on_time", "late", "missing"]})
    assert list(present.table(frame, lang, ["reporting_status"]).iloc[:, 0]) == words


# The table grid writes a date column itself (momentJS), so the column still sorts as dates: its
# pattern must be formats' CLDR pattern token for token, and name months only in English (the
# grid's only language for names).
CLDR_TO_MOMENT = {"d": "D", "dd": "DD", "MM": "MM", "MMM": "MMM", "yyyy": "YYYY", "HH": "HH", "mm": "mm"}


@pytest.mark.parametrize("lang", ["en", "sq"])
@pytest.mark.parametrize("kind", ["date", "moment", "month"])
def test_the_grid_writes_dates_with_the_pattern_formats_writes_them_with(lang, kind):
    convention = present.formats.of(lang)
    cldr, grid = getattr(convention, f"cldr_{kind}"), getattr(convention, f"grid_{kind}")
    assert grid == re.sub(r"d+|M+|y+|H+|m+", lambda token: CLDR_TO_MOMENT[token.group()], cldr)
    assert lang == "en" or "MMM" not in grid


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", {"day": ("date", "D MMM YYYY"), "when": ("moment", "D MMM YYYY HH:mm")}),
    ("sq", {"day": ("date", "DD.MM.YYYY"), "when": ("moment", "DD.MM.YYYY HH:mm")}),
])
def test_a_table_without_counts_needs_no_styler_and_its_dates_go_to_the_grid(lang, expected):
    shown = pd.DataFrame({"title": ["a", "b"], "day": pd.to_datetime(["2023-09-01", "2023-12-31"]),
                          "when": pd.to_datetime(["2023-09-01 10:05", "2023-12-31 23:59"]), "overdue": [True, False]})
    assert present.number_writers(shown, lang) == {}
    assert present.grid_dates(shown, lang) == expected
    counted = shown.assign(events=[1157, 2], share=[51.93, 0.5])
    assert {heading: write(value) for (heading, write), value in
            zip(present.number_writers(counted, lang).items(), [1157, 51.93])} == {
        "events": "1,157" if lang == "en" else "1\xa0157", "share": "51.9" if lang == "en" else "51,9"}
