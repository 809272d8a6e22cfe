"""Nothing executes or renders: text from a partner's sheet, a file name or a link is shown as typed.
Downloads never hold a formula a spreadsheet would run, and their sheet titles, file names and keys are
made of safe characters; no page turns such text into a link, an image, HTML, an icon or a colour."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import openpyxl
import pandas as pd
import pytest
from dashboard_support import ACTIVITY_HEADER, PAGE_NAMES, ROOT, assert_clean, markdown_texts, open_app, xlsx

from pop_analytics import importing, present, report_xlsx, spreadsheet, store
from pop_analytics.app import download_key, escape
from pop_analytics.filters import Filters
from pop_analytics.report_content import Cell, Report, Table

# What a link can carry: a link, an image, HTML, an autolink, a bare URL, a colour directive.
PAYLOADS = ("[phish](http://example.invalid)", "![i](http://example.invalid/p.png)", "<img src=x onerror=alert(1)>",
            "<http://example.invalid>", "http://example.invalid/x", ":red[big]")
# Text that Markdown would turn into something else, as Streamlit renders it (checked in Chromium below).
MARKDOWN_TRAPS = (*PAYLOADS, "www.example.invalid", "write to a@example.invalid", ":material/home: home",
                  ":smile:", "&lt;b&gt;", "$x^2$", "**bold** _it_", "`code`", "~~gone~~", "# title", "1. first",
                  "- item", "| a | b |", "[ref]: http://example.invalid", "Korçë, 2019-2023, DUR/07 (v.2)")
# Markdown syntax that survived escaping: a link or image target, an HTML tag or autolink, a URL a
# renderer links, the colour directive of the payloads.
UNSAFE = re.compile(r"(?<!\\)\]\(|(?<!\\)<[A-Za-z/]|(?i:\b(?:https?|ftp):/)|(?i:www\.)|(?<!\\):red\[")


def shown(markdown: str) -> str:
    """What a reader sees of escaped Markdown: the backslashes and the invisible word joiners go."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def assert_nothing_renders(at, payloads=PAYLOADS) -> None:
    """No text the page renders as Markdown holds a payload as typed, or Markdown that would make a
    link, an image, HTML or a colour."""
    rendered = markdown_texts(at)
    assert any(t for t in rendered)
    for text in rendered:
        assert not [p for p in payloads if p in text], text
        assert not UNSAFE.search(text), text


# ── the one rule, and the files that follow it ──────────────────────────────────────────────

FORMULAS = ['=HYPERLINK("http://x","y")', "=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"]


def download_frame() -> pd.DataFrame:
    """A table as the app downloads it: text a spreadsheet would run, plain text, numbers and dates,
    and one column mixing them (as a validation report's values do)."""
    rows = len(FORMULAS) + 1
    return pd.DataFrame({
        "Text": [*FORMULAS, "normal text"],
        "Int": [7] * rows,
        "Negative": [-5] * rows,
        "Float": [2.5] * rows,
        "Date": [dt.date(2023, 9, 1)] * rows,
        "Mixed": [-5, 2.5, "-x", None, dt.date(2023, 1, 1), "a", "=b", 7],
        "=Heading": ["x"] * rows,
    })


def test_one_rule_says_which_text_a_spreadsheet_would_run():
    assert [spreadsheet.formula_like(v) for v in FORMULAS] == [True] * len(FORMULAS)
    assert [spreadsheet.formula_like(v) for v in ["normal", " =1", "'=1", "1-2", "", "x=1"]] == [False] * 6
    not_text = [-5, 2.5, -1.5, dt.date(2023, 1, 1), None, float("nan")]
    assert [spreadsheet.formula_like(v) for v in not_text] == [False] * 6
    # a whole column at once follows the same rule, whatever the column holds
    for name, values in [*download_frame().items(), ("objects", pd.Series([*FORMULAS, "x"], dtype=object)),
                         ("nothing", pd.Series([None, None], dtype=object))]:
        assert list(spreadsheet.formula_cells(values)) == [spreadsheet.formula_like(v) for v in values], name


def test_the_csv_shows_formula_like_text_as_text_and_numbers_as_numbers():
    text = present.csv_bytes(download_frame()).decode("utf-8-sig")
    assert text.startswith("Text,Int,Negative,Float,Date,Mixed,'=Heading\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[0] for row in rows[1:]] == ["'" + v for v in FORMULAS] + ["normal text"]
    assert [row[5] for row in rows[1:]] == ["-5", "2.5", "'-x", "", "2023-01-01", "a", "'=b", "7"]
    assert {tuple(row[1:5]) for row in rows[1:]} == {("7", "-5", "2.5", "2023-09-01")}
    assert all(row[6] == "x" for row in rows[1:])
    # numbers and dates are written bare: no apostrophe, no quotes, so a spreadsheet reads them as numbers
    assert text.splitlines()[2] == "'=1+1,7,-5,2.5,2023-09-01,2.5,x"
    assert '"\'\rx",7,-5' in text  # a carriage return stays inside its quoted cell


def test_the_xlsx_has_no_formula_and_keeps_numbers_and_dates():
    content = present.xlsx_bytes(download_frame(), "report")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = list(sheet.iter_rows())
    assert not [c.coordinate for row in cells for c in row if c.data_type == "f"]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    assert [(c.value, c.data_type) for c in cells[0]] == [
        ("Text", "s"), ("Int", "s"), ("Negative", "s"), ("Float", "s"), ("Date", "s"), ("Mixed", "s"),
        ("=Heading", "s")]
    assert cells[0][6].quotePrefix
    texts_read = [row[0] for row in cells[1:]]
    # XML reads a carriage return in text as a line break: the cell is '\nx', text all the same
    assert [c.value for c in texts_read] == [*FORMULAS[:-1], "\nx", "normal text"]
    assert [c.data_type for c in texts_read] == ["s"] * 8
    assert [c.quotePrefix for c in texts_read] == [True] * 7 + [False]  # as Excel marks text typed after '
    for row in cells[1:]:
        assert [(c.value, c.data_type) for c in row[1:4]] == [(7, "n"), (-5, "n"), (2.5, "n")]
        assert (row[4].value, row[4].data_type, row[4].is_date) == (dt.datetime(2023, 9, 1), "d", True)
    assert [(c.value, c.data_type) for c in (row[5] for row in cells[1:]) if c.value is not None] == [
        (-5, "n"), (2.5, "n"), ("-x", "s"), (dt.datetime(2023, 1, 1), "d"), ("a", "s"), ("=b", "s"), (7, "n")]


def test_the_xlsx_holds_text_excel_cannot_store():
    frame = pd.DataFrame({"Note": ["bad\x0bcell\x01", "fine"]})
    sheet = openpyxl.load_workbook(io.BytesIO(present.xlsx_bytes(frame))).active
    assert [c.value for c in sheet["A"]] == ["Note", "bad\ufffdcell\ufffd", "fine"]


def _download_cell(value: object) -> openpyxl.cell.cell.Cell:
    """The cell a page's Excel download writes for value."""
    return openpyxl.load_workbook(io.BytesIO(present.xlsx_bytes(pd.DataFrame({"Note": [value]})))).active["A2"]


def _report_cell(value: object) -> openpyxl.cell.cell.Cell:
    """The cell the report's workbook writes for value (text as text, a number as a count or a decimal)."""
    kind = "text" if isinstance(value, str) else "count" if isinstance(value, int) else "decimal"
    table = Table("sources", "Sources", ["Note"], [[Cell(value, kind)]])
    report = Report(lang="en", filters=Filters(), title="Report", filters_line="all", facts=[("Filters", "all")],
                    approval="", headline=[table])
    return openpyxl.load_workbook(io.BytesIO(report_xlsx.render(report))).worksheets[1]["A6"]


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", ("=1+1", "s", True)),
    ("+1", ("+1", "s", True)),
    ("-1+2", ("-1+2", "s", True)),
    ("@SUM(A1)", ("@SUM(A1)", "s", True)),
    ("\tx", ("\tx", "s", True)),
    ("\rx", ("\nx", "s", True)),  # XML reads a carriage return in text as a line break
    ("#N/A", ("#N/A", "s", False)),  # text, not Excel's error value
    ("normal text", ("normal text", "s", False)),
    (-5, (-5, "n", False)),
    (2.5, (2.5, "n", False)),
])
def test_a_download_and_the_report_workbook_write_a_value_as_the_same_cell(value, cell):
    for written in (_download_cell(value), _report_cell(value)):
        assert (written.value, written.data_type, written.quotePrefix) == cell


@pytest.mark.parametrize(("name", "title"), [
    ("priority_2019-2023_DUR/07", "priority_2019-2023_DUR_07"),
    ("x" * 60, "x" * 31),
    ("priorities_Korçë", "priorities_Korce"),
    ("a[b]:c*d?e/f\\g'h", "a_b_c_d_e_f_g_h"),
    ("History", "History_"),
    ("", "data"),
])
def test_the_xlsx_sheet_title_is_valid_for_any_table_name(name, title):
    workbook = openpyxl.load_workbook(io.BytesIO(present.xlsx_bytes(pd.DataFrame({"a": [1]}), name)))
    assert workbook.sheetnames == [title]
    assert len(title) <= 31 and not set(title) & set("[]:*?/\\'")
    assert workbook.active["A2"].value == 1


def test_download_file_names_and_keys_are_made_of_safe_characters():
    day = dt.date(2026, 11, 21)
    assert present.download_name("priority_2019-2023_DUR/07", "en", day, "csv") == \
        "pop_priority_2019-2023_DUR_07_en_2026-11-21.csv"
    assert present.download_name("cycles_Korçë", "sq", day, "xlsx") == "pop_cycles_Korce_sq_2026-11-21.xlsx"
    assert present.download_name("../[x](http://e.invalid)", "en", day, "csv") == \
        "pop_x_http_e.invalid_en_2026-11-21.csv"
    assert download_key("csv", "priorities") == "csv_priorities"  # plain names keep their key
    hostile = ["priority_2019-2023_DUR/07", "priority_2019-2023_DUR:07", "priority_2019-2023_DUR_07", "x" * 200]
    keys = [download_key(kind, name) for kind in ("csv", "xlsx") for name in hostile]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+", key) for key in keys)


# ── Markdown ────────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("text", MARKDOWN_TRAPS)
def test_escape_leaves_no_markdown_and_reads_as_typed(text):
    escaped = escape(text)
    assert not UNSAFE.search(escaped)
    assert shown(escaped) == text
    assert not re.search(r"(?<!\\)[\[\]<>*_`~|$#&!]", escaped)
    assert "://" not in escaped and ":material/" not in escaped


def test_escape_puts_every_value_on_one_line():
    assert shown(escape("first\nsecond\r\n# third\x00")) == "first second  # third "


# ── the pages ───────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("lang", ["sq", "en"])
@pytest.mark.parametrize("page", PAGE_NAMES)
def test_a_link_full_of_markdown_renders_none_of_it(app_reader_db, page, lang):
    """Every filter of the link holds Markdown and HTML; the page says which values it left out,
    each shown as typed (escaped), and nothing on it is a link, an image or a colour."""
    one = PAYLOADS[PAGE_NAMES.index(page) % len(PAYLOADS)]  # the cycle and the language read one value
    at = open_app(page, {"municipality": list(PAYLOADS), "year": list(PAYLOADS), "theme": list(PAYLOADS),
                         "cycle": one, "lang": one})
    if lang == "en":
        at.radio(key="lang").set_value("en").run()
    assert_clean(at)
    assert at.radio(key="lang").value == lang
    assert_nothing_renders(at)
    notes = [w.value for w in at.warning]
    for payload in PAYLOADS:
        assert sum(escape(payload) in note for note in notes) >= 3, payload  # municipality, year, theme
    assert any(escape(one) in note and shown(note).count(one) == 1 for note in notes[-2:])  # cycle, language


def activity_csv(municipality: str = "Tirana") -> bytes:
    return "\r\n".join([",".join(ACTIVITY_HEADER),
                        f"15.06.2019,{municipality},Fokus grup,3,40,25,15,Uji i pijshëm"]).encode()


def test_an_uploaded_file_name_shows_only_escaped_on_upload_and_history(app_db):
    name = "[x](http://example.invalid).csv"
    at = open_app("upload", {"lang": "en"})
    at.file_uploader(key="upload_file").upload(name, activity_csv()).run()
    assert_clean(at)
    assert_nothing_renders(at, [name])
    assert [shown(s.value) for s in at.success] == [
        f"'{name}' is valid: 1 row of activities. Check the preview, then confirm to store it."]
    assert escape(name) in at.success[0].value
    at.button(key="upload_confirm").click().run()
    assert_clean(at)
    assert_nothing_renders(at, [name])
    assert shown(at.success[0].value) == f"'{name}' was stored as import #6 (1 row). The dashboard now includes it."
    at.switch_page("app_pages/history.py").run()
    assert_clean(at)
    assert_nothing_renders(at, [name])
    at.selectbox(key="undo_choice").set_value(6).run()
    at.button(key="undo_open").click().run()
    confirm = next(m.value for m in at.markdown if m.value.startswith("Import **#6**"))
    assert escape(name) in confirm and name not in confirm
    assert_nothing_renders(at, [name])


def test_a_refused_file_name_and_its_sheet_show_only_escaped(app_db):
    name = "<img src=x onerror=alert(1)>.csv"
    at = open_app("upload", {"lang": "en"})
    at.file_uploader(key="upload_file").upload(name, activity_csv("Atlantis")).run()
    assert_clean(at, errors_shown=True)
    assert_nothing_renders(at, [name])
    assert [shown(e.value) for e in at.error] == [
        f"'{name}' cannot be stored yet: 1 problem to fix. Nothing was stored."]


def test_a_sheet_name_in_a_stored_files_warning_shows_only_escaped(app_db):
    sheet = "<img src=x onerror=alert(1)>"
    content = xlsx([ACTIVITY_HEADER, ["15.06.2019", "Tirana", "Fokus grup", 3, 40, 25, 15, "Uji i pijshëm"]], sheet)
    at = open_app("upload", {"lang": "en"})
    at.file_uploader(key="upload_file").upload("ok.xlsx", content).run()
    at.button(key="upload_confirm").click().run()
    assert_clean(at)
    assert_nothing_renders(at, [sheet])
    assert [shown(i.value) for i in at.info] == [
        (f"The sheet '{sheet}' has no contract-cycle column; each row's cycle was taken from its date "
         "(elections of 14 May 2023 start the 2023-2027 cycle).")]


def test_a_priority_typed_with_markdown_shows_as_typed_and_downloads_safely(app_db):
    title = "[phish](http://example.invalid) <img src=x onerror=alert(1)> :red[big]"
    note = '@HYPERLINK("http://example.invalid","y")'  # '=...' would be a formula of the test's own file
    con = store.connect(app_db)
    content = xlsx([["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi", "Shënime"],
                    ["2019-2023", "Durrës", "DUR/07", title, "Uji i pijshëm", 2021, "Pjesërisht", note]], "Prioritetet")
    assert importing.import_bytes(con, content, "durres.xlsx").status == "imported"
    con.close()
    at = open_app("tracker", {"lang": "en", "municipality": "Durrës", "cycle": "2019-2023"})
    at.text_input(key="search").set_value("phish").run()
    assert_clean(at)
    assert_nothing_renders(at, [title, note])
    assert f"#### {escape(title)}" in [m.value for m in at.markdown]
    assert any("**Code:** DUR/07 ·" in m.value for m in at.markdown)
    assert next(d.value for d in at.dataframe if "Note" in d.value.columns)["Note"].tolist() == [note]  # as typed
    # a select box shows its options as plain text (Streamlit renders no Markdown there): as typed
    assert at.selectbox(key="priority").options == [f"Durrës · DUR/07 · 2019-2023 — {title}"]
    keys = {b.key for b in at.download_button}
    name = "priority_2019-2023_DUR/07"
    assert {download_key("csv", name), download_key("xlsx", name)} <= keys
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+", key) for key in keys)


# ── in a real browser ───────────────────────────────────────────────────────────────────────

PROBE = '''
import streamlit as st
from pop_analytics.app import escape
for i, text in enumerate({traps!r}):
    with st.container(key=f"markdown{{i}}"):
        st.markdown(escape(text))
    with st.container(key=f"warning{{i}}"):
        st.warning(escape(text))
    with st.container(key=f"caption{{i}}"):
        st.caption(escape(text))
    with st.container(key=f"metric{{i}}"):
        st.metric(escape(text), 1)
'''

# What each element made of the text (links, images, formatting, icons, colours) and the text it shows.
RENDERED_JS = """(i) => ['markdown', 'warning', 'caption', 'metric'].map(kind => {
  const box = document.querySelector('.st-key-' + kind + i);
  const made = box.querySelectorAll('a, img, strong, em, code, del, h1, h2, h3, li, table, .katex,'
    + ' [data-testid="stIconMaterial"], span[style*="color"]');
  const shown = kind === 'metric' ? box.querySelector('[data-testid="stMetricLabel"]') : box;
  return [made.length, shown.innerText.replaceAll('\\u2060', '').trim()];
})"""


@pytest.mark.browser
def test_escaped_text_renders_as_typed_in_chromium(tmp_path, browser):
    """Streamlit's Markdown makes links of bare URLs and icons of :material/...: after it has read
    backslash escapes; escape() stops that too. Checked where it happens, in the browser (the worker's
    one Chromium, tests/browser_support.py)."""
    script = tmp_path / "probe.py"
    script.write_text(PROBE.format(traps=MARKDOWN_TRAPS), encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                               "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                              cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector(f".st-key-metric{len(MARKDOWN_TRAPS) - 1} [data-testid='stMetric']", timeout=60_000)
            for i, text in enumerate(MARKDOWN_TRAPS):
                assert page.evaluate(RENDERED_JS, i) == [[0, text]] * 4, text
        finally:
            context.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
