"""The KPI report, built from the demo database in both languages and both forms, and read back:
the PDF's text with pdftotext, the workbook with openpyxl. Every headline number must equal what
`python -m pop_analytics kpis --json --approved-only` prints for the same filters."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import ACTIVITY_HEADERS, TODAY, cli_json, run_cli, write_csv
from dashboard_support import assert_clean, open_app

from pop_analytics import filters, importing, kpis, present, queries, reading, reference, report, store, validate
from pop_analytics.database import Database
from pop_analytics.errors import ReportRefused
from pop_analytics.i18n import t
from pop_analytics.scope import DONOR_SIGHT, EVERYTHING
from pop_analytics.text import fold

NOW = dt.datetime(2026, 12, 1, 9, 30)

# name → (CLI filter arguments, the same as Filters); each is one contract cycle's view.
VIEWS = {
    "final_year_2019_2023": (["--year", "2023", "--cycle", "2019-2023"], {"year": [2023], "cycle": "2019-2023"}),
    "year_2025": (["--year", "2025"], {"year": [2025]}),
    "durres_2024": (["--municipality", "Durres", "--year", "2024"], {"municipality": ["Durrës"], "year": [2024]}),
}
CASES = [(view, lang) for view in VIEWS for lang in ("en", "sq")]


def chosen(view: str) -> filters.Filters:
    return filters.resolve(**VIEWS[view][1])


@functools.cache
def _kpis_json(db: str, arguments: tuple[str, ...]) -> dict:
    return cli_json(run_cli("kpis", *arguments, "--json", "--approved-only", db=db))


def kpis_json(db, view: str, previous: bool = False, cycle: str | None = None) -> dict | None:
    """What `kpis --json` prints for the view (previous: for the year before, as the change is taken;
    cycle: within that contract cycle, as the priorities' change is taken)."""
    arguments = list(VIEWS[view][0])
    if previous:
        position = arguments.index("--year") + 1
        arguments[position] = str(int(arguments[position]) - 1)
    if cycle and "--cycle" not in arguments:
        arguments += ["--cycle", cycle]
    return _kpis_json(str(db), tuple(arguments))


@pytest.fixture(scope="module")
def built(demo_db):
    """view, lang, format → the report's bytes (built once per module, as a donor sees the data)."""
    made: dict[tuple[str, str, str], bytes] = {}

    def get(view: str, lang: str, fmt: str) -> bytes:
        if (view, lang, fmt) not in made:
            with Database(demo_db).reading(sight=DONOR_SIGHT) as con:
                content = report.build(con, chosen(view), lang, generated_by="Besa", now=NOW)
            made[view, lang, fmt] = report.render(content, fmt)
        return made[view, lang, fmt]
    return get


def pdf_lines(data: bytes, tmp_path) -> list[str]:
    """The PDF's text as pdftotext lays it out, each line with its runs of spaces made one space."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: install Debian's poppler-utils")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                          text=True, encoding="utf-8").stdout
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]


def headline_rows(found: dict, before: dict | None, cycle_before: dict | None, lang: str) -> list[str]:
    """The headline lines the report must print, written from kpis --json as the language writes
    numbers: the priorities' change within their contract cycle, the activities' over the view."""
    p, a = found["priorities"], found["activities"]
    bp, ba = (cycle_before or {}).get("priorities") or {}, (before or {}).get("activities") or {}
    pp = t("unit.pp", lang)

    def points(key: str, now: float | None, earlier: dict) -> str:
        return present.signed(present.change(now, earlier.get(key)), lang, 1, pp) or present.DASH

    def share_points(statuses: tuple[str, ...]) -> str:
        """A change of a share of priorities: from the counts, rounded once (kpis.points)."""
        if not bp.get("total"):
            return present.DASH
        moved = kpis.points(sum(p[s] for s in statuses), p["total"], sum(bp[s] for s in statuses), bp["total"])
        return present.signed(moved, lang, 1, pp) or present.DASH

    def count(value: int, earlier: int | None) -> str:
        return present.signed(None if earlier is None else value - earlier, lang) or present.DASH

    shares = [(t(f"kpi.{name}", lang), present.percent(p[f"{name}_pct"], lang),
               present.number(sum(p[s] for s in statuses), lang), share_points(statuses))
              for name, statuses in (("addressed", ("fully", "partially")), ("fully", ("fully",)),
                                     ("partially", ("partially",)), ("not_addressed", ("not_addressed",)))]
    rows = [(t("kpi.priorities", lang), present.number(p["total"], lang), present.DASH,
             count(p["total"], bp.get("total") if bp.get("total") else None)), *shares,
            (t("kpi.events", lang), present.number(a["events"], lang), present.DASH,
             count(a["events"], ba.get("events") if before else None)),
            (t("kpi.participants", lang), present.number(a["participants"], lang), present.DASH,
             count(a["participants"], ba.get("participants") if before else None)),
            (t("kpi.women_pct", lang), present.percent(a["women_pct"], lang), present.number(a["women"], lang),
             points("women_pct", a["women_pct"], ba if before else {})),
            (t("kpi.municipalities_covered", lang), present.number(found["municipalities_covered"], lang), present.DASH,
             count(found["municipalities_covered"], before["municipalities_covered"] if before else None))]
    return [re.sub(r"\s+", " ", " ".join(row)) for row in rows]


@pytest.mark.parametrize(("view", "lang"), CASES)
def test_the_pdf_holds_the_headline_numbers_of_kpis_json_in_the_language_s_format(built, demo_db, tmp_path, view,
                                                                                  lang):
    lines = pdf_lines(built(view, lang, "pdf"), tmp_path)
    cycle = "2019-2023" if view == "final_year_2019_2023" else "2023-2027"  # the one cycle each view holds
    expected = headline_rows(kpis_json(demo_db, view), kpis_json(demo_db, view, previous=True),
                             kpis_json(demo_db, view, previous=True, cycle=cycle), lang)
    assert [row for row in expected if row not in lines] == []


@pytest.mark.parametrize(("view", "lang"), CASES)
def test_the_pdf_s_first_page_says_what_it_covers_how_recent_and_that_it_holds_approved_data(built, demo_db, tmp_path,
                                                                                            view, lang):
    lines = pdf_lines(built(view, lang, "pdf"), tmp_path)
    with Database(demo_db).reading(sight=DONOR_SIGHT) as con:
        as_of = queries.data_as_of(con)
    first = lines[:lines.index(t("report.part.headline", lang))]
    assert first[:2] == [t("report.title", lang), t("report.network", lang)]
    said = re.sub(r"\s+", " ", " ".join(first))
    for fact in (f"{t('report.fact.filters', lang)} {present.filters_text(chosen(view), lang)}",
                 f"{t('report.fact.data_date', lang)} {present.formats.date(as_of['latest'], lang)}",
                 f"{t('report.fact.generated', lang)} " + t("report.generated", lang, who="Besa",
                                                            when=present.formats.moment(NOW, lang)),
                 t("report.approved_only", lang)):
        assert re.sub(r"\s+", " ", fact) in said


PAGE_FOOTER = re.compile(r"(\d+) ?/ ?(\d+)$")


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_the_pdf_is_a4_numbered_and_embeds_its_fonts(built, tmp_path, lang):
    path = tmp_path / "report.pdf"
    path.write_bytes(built("final_year_2019_2023", lang, "pdf"))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the 'emb' column
    numbers = [PAGE_FOOTER.search(line).groups() for line in pdf_lines(path.read_bytes(), tmp_path)
               if PAGE_FOOTER.search(line) and t("report.title", lang) in line]
    assert numbers == [(str(n), str(pages)) for n in range(1, pages + 1)]


def sheet_rows(book: openpyxl.Workbook, title: str) -> dict[str, list]:
    """The sheet's table as label → the cells after it (values as openpyxl reads them)."""
    sheet = book[present.sheet_title(title)]
    found = {}
    for row in sheet.iter_rows(min_row=6):
        if row[0].value is None:  # the table ends; a note may follow
            break
        found[row[0].value] = row[1:]
    return found


@pytest.mark.parametrize(("view", "lang"), CASES)
def test_the_workbook_holds_the_same_numbers_as_numbers(built, demo_db, view, lang):
    book = openpyxl.load_workbook(io.BytesIO(built(view, lang, "xlsx")))
    found = kpis_json(demo_db, view)
    p, a = found["priorities"], found["activities"]
    cycle = found["filters"]["cycle"] or ("2023-2027" if found["filters"]["year"] == [2025] or
                                          found["filters"]["year"] == [2024] else "2019-2023")
    priorities = sheet_rows(book, f"{t('report.sheet.priorities', lang)} {cycle}")
    shown = {label: [c.value for c in cells[:2]] for label, cells in priorities.items()}
    assert shown == {
        t("kpi.priorities", lang): [p["total"], None],
        t("kpi.addressed", lang): [p["addressed_pct"], p["fully"] + p["partially"]],
        t("kpi.fully", lang): [p["fully_pct"], p["fully"]],
        t("kpi.partially", lang): [p["partially_pct"], p["partially"]],
        t("kpi.not_addressed", lang): [p["not_addressed_pct"], p["not_addressed"]],
    }
    activities = sheet_rows(book, t("report.sheet.activities", lang))
    assert {label: cells[0].value for label, cells in activities.items()} == {
        t("kpi.events", lang): a["events"], t("kpi.participants", lang): a["participants"],
        t("kpi.women_pct", lang): a["women_pct"],
        t("kpi.municipalities_covered", lang): found["municipalities_covered"]}
    numbers = [c for cells in [*priorities.values(), *activities.values()] for c in cells if c.value is not None]
    assert numbers and all(c.data_type == "n" for c in numbers)
    assert {c.number_format for c in numbers} <= {"#,##0", '0.0"%"', present.excel_points_format(lang),
                                                  "+#,##0;-#,##0;0"}


@pytest.mark.parametrize(("lang", "unit"), [("en", "pp"), ("sq", "p.p.")])
def test_the_workbook_writes_a_change_of_a_share_in_the_unit_the_page_writes(built, lang, unit):
    """The Albanian workbook wrote 'pp' where the page writes 'p.p.'."""
    book = openpyxl.load_workbook(io.BytesIO(built("final_year_2019_2023", lang, "xlsx")))
    priorities = sheet_rows(book, f"{t('report.sheet.priorities', lang)} 2019-2023")
    changes = {label: cells[2] for label, cells in priorities.items() if label != t("kpi.priorities", lang)}
    assert {cell.number_format for cell in changes.values()} == {f'+0.0" {unit}";-0.0" {unit}";"±"0.0" {unit}"'}
    assert [changes[t(f"kpi.{name}", lang)].value for name in ("fully", "partially")] == [16.1, -16.1]
    assert t("unit.pp", lang) == unit


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_every_sheet_of_the_workbook_says_its_filters_and_freezes_its_heading(built, lang):
    book = openpyxl.load_workbook(io.BytesIO(built("durres_2024", lang, "xlsx")))
    filters_line = present.filters_text(chosen("durres_2024"), lang)
    assert book.sheetnames[0] == present.sheet_title(t("report.sheet.cover", lang))
    assert len(book.sheetnames) == 11  # the cover, four headline sections and six tables (overdue priorities too)
    for sheet in book.worksheets[1:]:
        assert sheet["A2"].value == f"{t('report.fact.filters', lang)}: {filters_line}", sheet.title
        assert sheet.freeze_panes == "A6", sheet.title
        for column in sheet.iter_cols(min_row=5):  # every text from the heading down fits its column
            longest = max((len(c.value) for c in column[:-1] if isinstance(c.value, str)), default=0)
            width = sheet.column_dimensions[column[0].column_letter].width
            assert width >= min(60, longest), (sheet.title, column[0].column_letter)
    municipalities = sheet_rows(book, t("report.sheet.municipalities", lang))
    assert list(municipalities) == ["Durrës"]


def hostile_figures(directory) -> tuple:
    """A coordinator's figures sheet whose text cells a spreadsheet would run as formulas."""
    headers = ["Viti", "Bashkia", "Treguesi", "Vlera", "Burimi"]
    return write_csv(directory / "shifrat_formula.csv", [
        headers, [2025, "Durrës", "persons_reached", 500, '=HYPERLINK("http://evil.example","click")'],
        [2025, "Durrës", "candidates_engaged", 3, "+1+1"]])


def test_text_a_spreadsheet_would_run_is_written_as_text_in_the_workbook(demo_copy, tmp_path):
    db = Database(demo_copy)
    path = hostile_figures(tmp_path)
    with db.writing() as con:
        batch = validate.validate(reading.read(path.read_bytes(), path.name), today=TODAY)
        assert len(batch.figures) == 2
        store.write(con, batch, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), who="besa",
                    review="approved")
    with db.reading(sight=DONOR_SIGHT) as con:
        content = report.build(con, filters.resolve(municipality=["Durrës"], year=[2025]), "en", "besa", now=NOW,
                               with_charts=False)
    book = openpyxl.load_workbook(io.BytesIO(report.render(content, "xlsx")))
    cells = {c.value: c for row in book[present.sheet_title(t("report.sheet.reported", "en"))].iter_rows()
             for c in row if isinstance(c.value, str)}
    for text in ('=HYPERLINK("http://evil.example","click")', "+1+1"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix, text
    assert not [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_a_coordinator_s_report_with_submitted_data_says_so_on_its_first_page(demo_copy, tmp_path):
    db = Database(demo_copy)
    path = write_csv(tmp_path / "Durres_2025.csv", [ACTIVITY_HEADERS, ["12.03.2025", "Durrës", "Fokus grup", 2, 30,
                                                                       15, 15, None, "Uji i pijshëm"]])
    with db.writing() as con:
        batch = validate.validate(reading.read(path.read_bytes(), path.name), today=TODAY)
        store.write(con, batch, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), who="arta",
                    review="submitted")
    for sight, expected in ((EVERYTHING, t("report.includes_submitted", "en", count=1)),
                            (DONOR_SIGHT, t("report.approved_only", "en"))):
        with db.reading(sight=sight) as con:
            content = report.build(con, filters.resolve(year=[2025]), "en", "besa", now=NOW, with_charts=False)
        assert content.approval == expected
        lines = pdf_lines(report.render(content, "pdf"), tmp_path)
        assert re.sub(r"\s+", " ", expected) in re.sub(r"\s+", " ", " ".join(lines[:12]))


def test_the_report_command_writes_both_forms_and_names_what_went_wrong(demo_db, tmp_path):
    for name in ("kpi.pdf", "kpi.xlsx"):
        out = tmp_path / name
        result = run_cli("report", "--year", "2023", "--cycle", "2019-2023", "--report-lang", "sq", str(out),
                         db=demo_db)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout == f"Report written: {out} ({out.stat().st_size:,} bytes)\n"
        assert out.read_bytes()[:4] == (b"%PDF" if name.endswith("pdf") else b"PK\x03\x04")
    refused = run_cli("report", str(tmp_path / "kpi.docx"), db=demo_db)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == ("Error: A report is written as pdf or xlsx, not 'docx': give --format pdf or --format "
                              "xlsx, or end the file name in .pdf or .xlsx.\n")
    nowhere = run_cli("report", str(tmp_path / "missing" / "kpi.pdf"), db=demo_db)
    assert nowhere.returncode == 1
    assert nowhere.stderr == (f"Error: The report could not be written to {tmp_path / 'missing' / 'kpi.pdf'} (No such "
                              "file or directory): choose a folder that exists and that you may write to.\n")
    folder = run_cli("report", "--format", "pdf", str(tmp_path), db=demo_db)
    assert (folder.returncode, folder.stderr) == (1, (f"Error: A report is written to a file: {tmp_path} is a folder "
                                                      f"or a device. Give a file name, e.g. {tmp_path}/report.pdf for "
                                                      "a folder.\n"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpi.pdf", "kpi.xlsx"]


def test_a_report_written_over_a_link_or_a_device_never_replaces_it(demo_db, tmp_path):
    content_path = tmp_path / "reports" / "kept.pdf"
    content_path.parent.mkdir()
    content_path.write_bytes(b"old")
    content_path.chmod(0o600)
    link = tmp_path / "latest.pdf"
    link.symlink_to(content_path)
    with Database(demo_db).reading(sight=DONOR_SIGHT) as con:
        content = report.build(con, chosen("year_2025"), "en", "besa", now=NOW, with_charts=False)
    size = report.write(content, "pdf", link)
    assert link.is_symlink() and content_path.read_bytes()[:4] == b"%PDF" and content_path.stat().st_size == size
    assert content_path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ReportRefused) as refused:
        report.write(content, "pdf", Path("/dev/null"))
    assert refused.value.message("en").startswith("A report is written to a file: /dev/null is a folder or a device.")
    assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize(("view", "lang", "expected"), [
    ("final_year_2019_2023", "en", "pop_kpi_report_2019-2023_2023_en.pdf"),
    ("durres_2024", "sq", "pop_kpi_report_2024_Durres_sq.pdf"),
])
def test_a_report_s_file_name_says_what_it_covers(view, lang, expected):
    assert report.file_name(chosen(view), lang, "pdf") == expected


def test_a_table_longer_than_a_page_repeats_its_heading_on_every_page(db_path, tmp_path):
    """Every one of the 61 municipalities with an activity: the per-municipality table runs over
    pages, each of which starts with the table's heading row, and the section's title stays with
    the table's first rows."""
    names = sorted((m.name for m in reference.municipalities()), key=fold)
    rows = [[f"{1 + i % 28:02d}.03.2024", name, "Fokus grup", 1, 10, 5, 5, None, "Uji i pijshëm"]
            for i, name in enumerate(names)]
    path = write_csv(tmp_path / "all_municipalities.csv", [ACTIVITY_HEADERS, *rows])
    db = Database(db_path)
    db.ensure()
    with db.writing() as con:
        batch = validate.validate(reading.read(path.read_bytes(), path.name), today=TODAY)
        store.write(con, batch, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), who="besa",
                    review="approved")
    with db.reading(sight=DONOR_SIGHT) as con:
        content = report.build(con, filters.Filters(), "en", "besa", now=NOW, with_charts=False)
    path = tmp_path / "report.pdf"
    path.write_bytes(report.render(content, "pdf"))
    heading = " ".join(t(f"col.{c}", "en") for c in ("municipality", "events", "participants"))
    pages = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    shown = {f"{name} 1 10" for name in names}  # a municipality's row: 1 event, 10 participants
    seen, starts = [], []
    for page in pages:
        lines = [re.sub(r"\s+", " ", line).strip() for line in page.splitlines() if line.strip()]
        rows = [i for i, line in enumerate(lines) if line in shown]
        if rows:
            seen += [lines[i] for i in rows]
            starts.append(lines[max(0, rows[0] - 2):rows[0]])  # at most two lines above the first row
    assert sorted(seen, key=fold) == sorted(shown, key=fold)  # every row once
    assert len(starts) >= 2  # the table runs over more than one page
    assert starts[0] == [t("report.section.municipalities", "en"), heading]
    assert all(above[-1] == heading for above in starts[1:]), starts


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_the_reports_page_offers_both_forms_and_says_what_data_they_hold(app_db, lang):
    at = open_app("reports", {"lang": lang, "year": "2023", "cycle": "2019-2023"})
    assert_clean(at)
    assert at.title[0].value == t("page.reports.title", lang)
    assert [(b.key, b.label) for b in at.download_button if b.key.startswith("report_")] == [
        ("report_pdf", t("reports.download.pdf", lang)), ("report_xlsx", t("reports.download.xlsx", lang))]
    assert [i.value for i in at.info] == [t("report.approved_only", lang)]


def test_the_reports_page_warns_a_coordinator_whose_view_holds_submitted_data(app_db, tmp_path):
    path = write_csv(tmp_path / "Durres_2025.csv", [ACTIVITY_HEADERS, ["12.03.2025", "Durrës", "Fokus grup", 2, 30,
                                                                       15, 15, None, "Uji i pijshëm"]])
    with Database(app_db).writing() as con:
        batch = validate.validate(reading.read(path.read_bytes(), path.name), today=TODAY)
        store.write(con, batch, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), who="arta",
                    review="submitted")
    at = open_app("reports", {"lang": "en", "year": "2025"})  # local mode: the machine's coordinator
    assert_clean(at)
    assert [w.value for w in at.warning] == [t("report.includes_submitted", "en", count=1)]
    assert not at.info


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_a_report_on_a_year_under_way_compares_it_with_the_same_months_and_says_so(demo_copy, tmp_path, lang):
    con = store.connect(demo_copy)
    try:
        importing.import_path(con, write_csv(tmp_path / "durres_2026.csv", [
            ACTIVITY_HEADERS, ["02.03.2026", "Durrës", "Fokus grup", 2, 40, 20, 20, None, "Uji i pijshëm"]]),
            today=TODAY)
        tables = {table.key: table for table in report.headline(con, filters.resolve(year=2026), lang, TODAY)}
        partial = queries.overview(con, filters.resolve(year=2026), TODAY)
    finally:
        con.close()
    activities = tables["activities"]
    assert activities.headings[-1] == t("report.change_partial", lang, period="2025",
                                        previous_to=present.formats.date(dt.date(2025, 11, 21), lang))
    assert activities.note.endswith(present.partial_note(partial, lang))
    changes = {row[0].value: row[-1].value for row in activities.rows}
    assert changes[t("kpi.events", lang)] == 2 - 180  # 180 events held in 2025 up to 21 November
    assert changes[t("kpi.municipalities_covered", lang)] is None  # no '-11 municipalities'


# ── overdue promises (issue 23, item 6) ──────────────────────────────────────────────────────
# On NOW (1 Dec 2026) the demo's 2019-2023 contracts are 1,066 days past their end (31 Dec 2023); no demo
# priority has a deadline of its own, and 2023-2027 runs to the end of 2027.

def overdue_expected(demo_db, view: str) -> tuple[int, list[list]]:
    """How many priorities the view holds, and its overdue ones as the workbook must list them."""
    with Database(demo_db).reading(sight=DONOR_SIGHT) as con:
        found = queries.deadlines(con, chosen(view), NOW.date())
    late = found[found["overdue"]]
    return len(found), [[r.municipality, r.code, r.title, r.cycle, r.status, r.deadline.to_pydatetime(), -r.days_left]
                        for r in late.itertuples()]


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_the_pdf_lists_the_overdue_priorities_and_says_how_many(built, tmp_path, lang):
    lines = pdf_lines(built("final_year_2019_2023", lang, "pdf"), tmp_path)
    start = lines.index(t("report.section.overdue", lang))
    first = {"en": "Durrës DUR-02 Nxitja e turizmit rural në NjA Sukth 2019-2023 Partially addressed 31 Dec 2023 1,066",
             "sq": "Durrës DUR-02 Nxitja e turizmit rural në NjA Sukth 2019-2023 Pjesërisht 31.12.2023 1 066"}
    assert lines[start + 2].replace("\u00a0", " ") == first[lang]
    note = t("report.overdue_note", lang, count=77, total="137", today=present.formats.date(NOW.date(), lang))
    assert note in lines[start:]
    assert t("report.def.overdue", lang) in " ".join(lines)  # defined with the other terms


@pytest.mark.parametrize(("view", "lang"), [("year_2025", "en"), ("durres_2024", "sq")])
def test_a_report_with_no_overdue_priority_says_so(built, tmp_path, view, lang):
    lines = pdf_lines(built(view, lang, "pdf"), tmp_path)
    start = lines.index(t("report.section.overdue", lang))
    assert t("report.overdue_none", lang, today=present.formats.date(NOW.date(), lang)) in lines[start:start + 3]


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_the_workbook_lists_the_overdue_priorities_with_their_deadline_and_days_as_numbers(built, demo_db, lang):
    book = openpyxl.load_workbook(io.BytesIO(built("final_year_2019_2023", lang, "xlsx")))
    sheet = book[present.sheet_title(t("report.sheet.overdue", lang))]
    assert [c.value for c in sheet[5]] == [t(f"col.{k}", lang) for k in ("municipality", "code", "title", "cycle",
                                                                         "status", "deadline")] + [
        t("report.col.days_overdue", lang)]
    total, expected = overdue_expected(demo_db, "final_year_2019_2023")
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=6, max_row=5 + len(expected))]
    assert (total, len(rows)) == (137, 77)
    assert rows == [[*row[:4], present.capital(present.label("statuses", row[4], lang)), *row[5:]] for row in expected]
    assert rows[0] == ["Durrës", "DUR-02", "Nxitja e turizmit rural në NjA Sukth", "2019-2023",
                       {"en": "Partially addressed", "sq": "Pjesërisht"}[lang], dt.datetime(2023, 12, 31), 1066]
    dates, days = sheet.cell(6, 6), sheet.cell(6, 7)
    assert (dates.is_date, dates.number_format, days.data_type, days.number_format) == (
        True, present.formats.of(lang).excel_date, "n", "#,##0")
    assert sheet.cell(6 + len(expected) + 1, 1).value == t(
        "report.overdue_note", lang, count=77, total="137", today=present.formats.date(NOW.date(), lang))
