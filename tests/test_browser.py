"""The dashboard in a real browser: `streamlit run dashboard.py` on a free port, Debian's Chromium
driven through Playwright. Every page is opened by URL with its filters in the query string; the
KPI tiles shown are compared with pop_analytics.kpis on the same database, formatted as the app
formats them; a partner's file is uploaded, stored and found in the history; a bad one shows the
exact row and column to fix. A full-page screenshot of each page goes to tests/artifacts/ (ignored
by git); the English overview and tracker are also copied to docs/screenshots/ for the README.

The stored upload only adds to Tiranë's activities of June 2019, which only the upload test itself
reads (against numbers computed before the server started), so the tests do not depend on their order.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import browser_support
import hostile_files
import openpyxl
import pytest
from browser_support import GRID_JS, healthy, metrics, start_streamlit, stop
from playwright.sync_api import Page, expect

from pop_analytics import access, demo, filters, kpis, present, queries, reference, store
from pop_analytics.i18n import t

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1440, "height": 900}
MAX_SHOT_HEIGHT = 12_000

# Each filter set whose tiles some test compares, as the query string writes it.
VIEWS = {
    "2020": {"year": "2020"},
    "2020-2023": {"year": "2020-2023"},
    "2023": {"year": "2023"},
    "tirana_korce_2023": {"municipality": "Tirana,Korce", "year": "2023"},
    "cycle_2019_2023": {"cycle": "2019-2023", "year": "2023"},
    "vlora": {"municipality": "Vlora"},
    "tirana_2019": {"municipality": "Tirana", "year": "2019"},
}
OVERVIEW_TILES = ("addressed", "fully", "partially", "not_addressed", "events", "participants", "women_pct",
                  "municipalities_covered")
PROFILE_TILES = ("events", "participants", "women_pct")

# ── the server and the browser ───────────────────────────────────────────────────────────────

def _tiles(con, lang: str, names: tuple[str, ...], **query: str) -> dict[str, str]:
    """Tile label → value as the app shows it, from the KPI object of these filters."""
    k = kpis.kpis(con, filters.resolve(**query))
    p, a = k["priorities"], k["activities"]
    values = {
        "addressed": present.percent(p["addressed_pct"], lang),
        "fully": present.percent(p["fully_pct"], lang),
        "partially": present.percent(p["partially_pct"], lang),
        "not_addressed": present.percent(p["not_addressed_pct"], lang),
        "priorities": present.number(p["total"], lang),
        "events": present.number(a["events"], lang),
        "participants": present.number(a["participants"], lang),
        "women_pct": present.percent(a["women_pct"], lang),
        "municipalities_covered": present.number(k["municipalities_covered"], lang),
    }
    return {t(f"kpi.{name}", lang): values[name] for name in names}


def _profile_tiles(con, lang: str, **query: str) -> dict[str, str]:
    """The profile's tiles: each contract cycle's share addressed (kpis.cycle_views' rule), then the activities."""
    cycles = {t("kpi.addressed_in_cycle", lang, cycle=part["cycle"]):
              present.percent(part["priorities"]["addressed_pct"], lang)
              for part in kpis.by_cycle(con, filters.resolve(**query))}
    return cycles | _tiles(con, lang, PROFILE_TILES, **query)


def _reported_tiles(con, lang: str, **query: str) -> dict[str, str]:
    """The overview's tiles of totals reported for the period, label → value, after the KPI tiles."""
    specs = present.reported_tiles(queries.reported_totals(con, filters.resolve(**query)), lang)
    return {t("kpi.reported", lang, **spec["label_params"]): spec["value"] for spec in specs}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh demo database; what the tiles must show, computed before the server takes the file;
    then the dashboard on a free port until the module ends."""
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "pop.duckdb"
    con = store.connect(db)
    reports = demo.load(con)
    con.close()
    assert [r.status for r in reports] == ["imported"] * len(reports)

    con = store.connect(db, read_only=True)
    try:
        expected = {(view, lang): _tiles(con, lang, OVERVIEW_TILES, **query) | _reported_tiles(con, lang, **query)
                    for view, query in VIEWS.items() for lang in ("en", "sq")}
        expected["profile_vlora"] = _profile_tiles(con, "en", **VIEWS["vlora"])
        counts = {name: kpis.kpis(con, filters.resolve(**query))["priorities"] for name, query in VIEWS.items()}
        totals = queries.reported_vs_itemised(con, filters.resolve(year="2023"))
        quality_gaps = (int((totals["difference"] != 0).sum()), len(totals))
        demo_files = list(queries.imports(con)["file_name"])
    finally:
        con.close()

    process, url = start_streamlit({**os.environ, "POP_DB": str(db)}, folder / "streamlit.log")
    log_path = folder / "streamlit.log"
    try:
        yield SimpleNamespace(url=url, log=log_path, expected=expected, counts=counts,
                              quality_gaps=quality_gaps, demo_files=demo_files, next_import=len(reports) + 1)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def context(browser):
    """One browser context for the module, so that Streamlit's scripts load from the cache after the
    first page. The locale is fixed so that tables and screenshots look the same on every machine."""
    shared = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/Tirane")
    shared.set_default_timeout(TIMEOUT_MS)
    yield shared
    shared.close()


@pytest.fixture
def page(context, server):
    """A new tab per test: a new Streamlit session, its filters and language from its own URL."""
    tab = context.new_page()
    yield tab
    tab.close()


# ── what the page shows ──────────────────────────────────────────────────────────────────────

def rendered(page: Page) -> None:
    """Wait until the script has finished and every visible chart and table is drawn."""
    browser_support.rendered(page, TIMEOUT_MS)
    assert_clean(page)


def open_page(page: Page, server, path: str) -> None:
    page.goto(server.url + path)
    rendered(page)


def assert_clean(page: Page) -> None:
    """No exception on the page and no 'page not found' dialog."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.all_inner_texts()
    dialogs = page.locator('[data-testid="stDialog"]')
    assert dialogs.count() == 0, dialogs.all_inner_texts()


def title(page: Page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.inner_text().strip()


def alerts(page: Page, kind: str) -> list[str]:
    """The text of each visible alert of this kind (Success, Info, Warning, Error), icon left out."""
    return [text.split("\n")[-1].strip() for text in
            page.locator(f'[data-testid="stAlertContent{kind}"]').all_inner_texts()]


def grid(page: Page, column: str) -> list[dict[str, str]]:
    """The rows of the first table with this column heading, cells as shown."""
    return page.wait_for_function(GRID_JS, arg=column, timeout=TIMEOUT_MS).json_value()


def screenshot(page: Page, name: str, docs: bool = False) -> Path:
    """The whole page, under tests/artifacts/<name>.png. Streamlit scrolls inside its main area,
    so the window is made as tall as the content first."""
    height = page.evaluate("""() => Math.max(...['[data-testid="stMain"]', '[data-testid="stSidebarContent"]']
        .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight), window.innerHeight)""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 40, MAX_SHOT_HEIGHT)})
    rendered(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)
    if docs:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path


def query(view: str, lang: str) -> str:
    return "&".join(f"{key}={value}" for key, value in {**VIEWS[view], "lang": lang}.items())


# ── pages opened by URL ──────────────────────────────────────────────────────────────────────

def test_overview_of_the_first_monitoring_year_shows_the_published_shares(page, server):
    open_page(page, server, f"/overview?{query('2020', 'en')}")
    assert title(page) == "Overview"
    shown = metrics(page)
    assert shown == server.expected["2020", "en"]
    assert [shown[label] for label in ("Priorities addressed", "Fully addressed", "Partially addressed",
                                       "Not addressed")] == ["75.0%", "17.0%", "58.0%", "25.0%"]
    assert page.get_by_text(t("overview.priorities_note", "en", total="100")).count() == 1
    screenshot(page, "overview_2020")


def test_overview_of_several_years_is_the_readme_picture(page, server):
    open_page(page, server, f"/overview?{query('2020-2023', 'en')}")
    assert metrics(page) == server.expected["2020-2023", "en"]
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(3)
    screenshot(page, "overview", docs=True)


def test_municipalities_in_any_spelling_are_read_and_the_url_says_them_canonically(page, server):
    open_page(page, server, f"/overview?{query('tirana_korce_2023', 'en')}")
    assert metrics(page) == server.expected["tirana_korce_2023", "en"]
    tags = page.locator(".st-key-filter_municipality [data-tag]")
    assert [tag.get_attribute("aria-label") for tag in tags.all()] == ["Tiranë", "Korçë"]
    assert page.url.endswith("/overview?municipality=Tiran%C3%AB%2CKor%C3%A7%C3%AB&year=2023&lang=en")
    screenshot(page, "overview_tirana_korce")


@pytest.mark.parametrize(("locale", "lang"), [("en-GB", "en"), ("sq-AL", "sq"), ("de-DE", "sq")])
def test_a_link_without_a_language_opens_in_the_browsers_language_else_albanian(browser, server, locale, lang):
    context = browser.new_context(viewport=VIEWPORT, locale=locale)
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        page.wait_for_url(f"**/overview?lang={lang}")
        rendered(page)
        assert title(page) == t("page.overview.title", lang)
    finally:
        context.close()


def test_one_cycle_and_year_on_overview_and_tracker(page, server):
    counts = server.counts["cycle_2019_2023"]
    open_page(page, server, f"/overview?{query('cycle_2019_2023', 'en')}")
    assert metrics(page) == server.expected["cycle_2019_2023", "en"]
    assert (metrics(page)["Priorities addressed"], counts["total"]) == ("74.5%", 137)

    open_page(page, server, f"/tracker?{query('cycle_2019_2023', 'en')}")
    assert title(page) == "Social Contract tracker"
    summary = t("tracker.summary_cycle", "en", cycle="2019-2023", **{
        key: present.number(counts[key], "en") for key in ("total", "fully", "partially", "not_addressed")})
    expect(page.get_by_text(summary.replace("**", ""))).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1)  # the status matrix
    priorities = grid(page, t("col.code", "en"))
    # Codes of the 2023-2027 contracts read like TIR-23-01; none may show under the 2019-2023 cycle.
    assert priorities and not [row for row in priorities if "-23-" in row[t("col.code", "en")]]
    # the grid draws only the rows in sight (the title wraps, so a few): each shows one of the three
    # statuses; the summary line above counted all of them
    assert {row[t("col.status", "en")] for row in priorities} <= {
        reference.term_label("statuses", key, "en") for key in ("fully", "partially", "not_addressed")}
    screenshot(page, "tracker", docs=True)


def test_participation(page, server):
    open_page(page, server, f"/participation?{query('2023', 'en')}")
    assert title(page) == "Participation"
    expected = server.expected["2023", "en"]
    assert metrics(page) == {label: expected[label] for label in ("Events", "Participants", "Women's share")}
    expect(page.locator('[data-testid="stVegaLiteChart"]:visible')).to_have_count(3)
    screenshot(page, "participation")


def test_municipality_profile(page, server):
    open_page(page, server, f"/municipality?{query('vlora', 'en')}")
    assert title(page) == "Municipality profile"
    assert metrics(page) == server.expected["profile_vlora"]
    expect(page.locator(".st-key-profile_municipality input")).to_have_value("Vlorë")
    expect(page.get_by_text("Partner organisation: Vlora Youth Center")).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(4)
    screenshot(page, "municipality")


def test_data_quality(page, server):
    open_page(page, server, f"/quality?{query('2023', 'en')}")
    assert title(page) == "Data quality"
    found, total = server.quality_gaps
    assert alerts(page, "Warning") == [t("quality.totals_found", "en", count=found, total=total)]
    assert grid(page, t("col.indicator", "en"))
    screenshot(page, "quality")


def test_import_history_lists_the_demo_files(page, server):
    open_page(page, server, "/history?lang=en")
    assert title(page) == "Import history"
    listed = {row[t("col.file_name", "en")] for row in grid(page, t("col.file_name", "en"))}
    assert set(server.demo_files) <= listed
    screenshot(page, "history")


# ── language and bad links ───────────────────────────────────────────────────────────────────

def test_the_language_comes_from_the_link_and_switches_in_the_sidebar(page, server):
    open_page(page, server, f"/overview?{query('2023', 'sq')}")
    assert title(page) == "Përmbledhje"
    assert metrics(page) == server.expected["2023", "sq"]
    assert metrics(page)["Prioritete të adresuara"] == "74,5%"
    expect(page.locator('[data-testid="stSidebarNav"]')).to_contain_text("Ndjekja e Kontratës Sociale")
    screenshot(page, "overview_sq")

    page.locator(".st-key-lang label").filter(has_text="English").click()
    expect(page.locator('[data-testid="stMain"] h1').first).to_have_text("Overview")
    page.wait_for_url("**/overview?year=2023&lang=en")
    rendered(page)
    assert metrics(page) == server.expected["2023", "en"]
    expect(page.locator('[data-testid="stSidebarNav"]')).to_contain_text("Social Contract tracker")


def test_the_upload_page_in_albanian(page, server):
    open_page(page, server, "/upload?lang=sq")
    assert title(page) == t("page.upload.title", "sq")
    expect(page.locator(".st-key-upload_file")).to_contain_text(t("upload.file", "sq"))
    assert alerts(page, "Info") == [t("upload.waiting", "sq")]
    screenshot(page, "upload")


def test_a_bad_value_in_the_link_is_a_visible_note_not_an_exception(page, server):
    open_page(page, server, "/overview?municipality=Atlantis&year=2023&lang=en")
    assert alerts(page, "Warning") == [t("url.ignored.municipality", "en", value="Atlantis")]
    assert metrics(page) == server.expected["2023", "en"]
    assert "municipality" not in page.url
    screenshot(page, "overview_bad_link")


# ── uploading ────────────────────────────────────────────────────────────────────────────────

ACTIVITY_HEADER = ["Data", "Bashkia", "Lloji i aktivitetit", "Numri i aktiviteteve", "Pjesëmarrës gjithsej", "Gra",
                   "Burra", "Tema"]


def workbook(path: Path, rows: list[list]) -> Path:
    """A partner's sheet: a title row above the header, dates as Excel dates."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Aktivitetet"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def choose_file(page: Page, path: Path) -> None:
    page.locator('.st-key-upload_file input[type="file"]').set_input_files(str(path))


def test_a_good_file_is_previewed_stored_and_listed_in_the_history(page, server, tmp_path):
    before = server.expected["tirana_2019", "en"]
    sheet = workbook(tmp_path / "tirane_qershor_2019.xlsx", [
        ["Raporti i aktiviteteve – Bashkia Tiranë, qershor 2019"],
        ACTIVITY_HEADER,
        [dt.datetime(2019, 6, 15), "Tirana", "Fokus grup", 3, 40, 25, 15, "Uji i pijshëm"],
    ])
    who = access.local_viewer().name  # no users in this database: local mode, the machine's user
    open_page(page, server, "/upload?lang=en")
    choose_file(page, sheet)
    valid = t("upload.valid", "en", file=sheet.name, rows="1 row", kind=t("kind.activities", "en"))
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(valid)
    rendered(page)
    preview = grid(page, t("col.type", "en"))
    assert len(preview) == 1
    assert {key: preview[0][t(f"col.{key}", "en")] for key in ("municipality", "type", "events", "participants")} \
        == {"municipality": "Tiranë", "type": "focus group", "events": "3", "participants": "40"}
    screenshot(page, "upload_preview")

    page.locator(".st-key-upload_confirm button").click()
    stored = t("upload.stored", "en", file=sheet.name, import_id=server.next_import, rows="1 row")
    expect(page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=stored)).to_be_visible()
    rendered(page)
    assert alerts(page, "Success") == [stored]  # the 'is valid' note is gone: the file is stored
    screenshot(page, "upload_stored")

    open_page(page, server, "/history?lang=en")
    newest = grid(page, t("col.file_name", "en"))[0]
    assert [newest[t(f"col.{key}", "en")] for key in ("file_name", "imported_by", "import_status")] == [
        sheet.name, who, t("import_status.approved", "en")]
    screenshot(page, "history_after_upload")

    open_page(page, server, f"/overview?{query('tirana_2019', 'en')}")
    shown = metrics(page)
    assert int(shown["Events"]) == int(before["Events"]) + 3
    assert int(shown["Participants"].replace(",", "")) == int(before["Participants"].replace(",", "")) + 40


def test_a_bad_file_shows_the_row_and_column_to_fix_and_cannot_be_stored(page, server, tmp_path):
    sheet = workbook(tmp_path / "fier_mars.xlsx", [
        ["Aktivitetet e vitit 2024"],
        ACTIVITY_HEADER,
        [dt.datetime(2024, 3, 12), "Tyranna", "Fokus grup", 1, 20, 10, 10, "Uji i pijshëm"],
        [dt.datetime(2024, 3, 13), "Fier", "Fokus grup", 1, 20, 15, 10, "Rrugët"],
    ])
    open_page(page, server, "/upload?lang=en")
    choose_file(page, sheet)
    refused = t("upload.refused", "en", file=sheet.name, problems="2 problems")
    expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text(refused)
    rendered(page)
    columns = [t(f"col.{key}", "en") for key in ("severity", "sheet", "row", "column", "value")]
    problems = grid(page, t("col.message", "en"))
    assert [[row[c] for c in columns] for row in problems][:2] == [
        ["error", "Aktivitetet", "3", "Bashkia", "Tyranna"],
        ["error", "Aktivitetet", "4", "Pjesëmarrës gjithsej", "20"],
    ]
    assert [row[columns[0]] for row in problems] == ["error", "error", "warning"]  # warnings come with the errors
    assert problems[0][t("col.message", "en")].startswith("'Tyranna' is not a municipality this tool knows.")
    expect(page.locator(".st-key-upload_confirm")).to_have_count(0)
    screenshot(page, "upload_errors")


@pytest.mark.parametrize(("builder", "code"), [("far_corner", "read_crashed"), ("cell_bomb", "archive_too_large")])
def test_a_hostile_workbook_is_refused_with_a_sentence_and_the_server_stays_up(page, context, server, tmp_path,
                                                                               builder, code):
    """The 4.8 KB far-corner workbook once aborted the whole server; a zip bomb ate its memory."""
    path = getattr(hostile_files, builder)(tmp_path)
    open_page(page, server, "/upload?lang=en")
    choose_file(page, path)
    refused = t("upload.refused", "en", file=path.name, problems="1 problem")
    expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text(refused)
    rendered(page)
    [row] = grid(page, t("col.message", "en"))
    expected = t(f"problem.{code}", "en", value=path.name,
                 **({"limit": 200} if code == "archive_too_large" else {}))
    assert row[t("col.message", "en")] == expected
    screenshot(page, f"upload_{builder}")
    assert healthy(server.url)
    other = context.new_page()  # another reader's session keeps working
    try:
        open_page(other, server, f"/overview?{query('2020', 'en')}")
        assert metrics(other) == server.expected["2020", "en"]
    finally:
        other.close()


def test_a_value_that_fits_two_statuses_is_chosen_in_the_page_remembered_and_stored(page, server, tmp_path):
    """A partner's 'Realizuar' fits fully and partially: the page asks once, re-checks the same upload
    with the choice, and stores it; the choice is saved for later files."""
    path = tmp_path / "puke_2022.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Prioritetet"
    for row in [["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi"],
                ["2019-2023", "Pukë", "PUK-77", "Ujësjellësi i Qerretit", "Uji i pijshëm", 2022, "Realizuar"],
                ["2019-2023", "Pukë", "PUK-78", "Rruga e Qelzës", "Rrugët", 2022, "Realizuar"]]:
        book.active.append(row)
    book.save(path)
    open_page(page, server, "/upload?lang=en")
    choose_file(page, path)
    refused = t("upload.refused", "en", file=path.name, problems="2 problems")
    expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text(refused)
    rendered(page)
    expect(page.get_by_text("'Realizuar' · Statusi · rows 2–3")).to_be_visible()
    form = page.locator('[data-testid="stForm"]')
    form.locator('[data-testid="stSelectbox"] input').click()
    page.keyboard.type("partially")
    page.get_by_role("option", name="partially addressed").wait_for()  # Enter picks what the list shows
    page.keyboard.press("Enter")
    expect(form.get_by_role("combobox", name=t("upload.choose_term", "en"))).to_have_value("partially addressed")
    form.get_by_text(t("upload.remember", "en")).click()
    screenshot(page, "upload_choose_term")
    form.get_by_role("button", name=t("upload.recheck", "en")).click()
    valid = t("upload.valid", "en", file=path.name, rows="2 rows", kind=t("kind.priorities", "en"))
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(valid)
    rendered(page)
    assert "'Realizuar' read as 'partially addressed' through saved mapping #1 (Statusi, rows 2–3)." in [
        row[t("col.message", "en")] for row in grid(page, t("col.message", "en"))]
    expect(page.get_by_text(t("upload.replaces_heading", "en"))).to_be_visible()
    expect(page.get_by_text(t("upload.replaces_none", "en"))).to_be_visible()
    page.locator(".st-key-upload_confirm button").click()
    stored = page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="was stored as import #")
    expect(stored).to_be_visible()
    rendered(page)
    assert_clean(page)


def test_the_undo_dialog_closes_on_cancel_and_after_undoing(page, server):
    """A dialog is a fragment: its buttons once reran only the dialog, so Cancel left it open and
    'Yes, undo' undid the import but kept asking."""
    open_page(page, server, "/history?lang=en")
    dialog = page.get_by_role("dialog")
    page.locator(".st-key-undo_open button").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=t("history.confirm_no", "en")).click()
    expect(dialog).to_have_count(0)
    rendered(page)
    page.locator(".st-key-undo_open button").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=t("history.confirm_yes", "en")).click()
    expect(dialog).to_have_count(0)
    expect(page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="was undone")).to_be_visible()
    assert_clean(page)
