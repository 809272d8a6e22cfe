"""The catalogues: the same keys in both languages, the same placeholders, every key the code uses present,
and no visible text written into the pages."""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from pop_analytics import app, i18n, present
from pop_analytics.i18n import catalogue, t

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("sq", "en")
UI_SOURCES = [ROOT / "dashboard.py", *sorted((ROOT / "app_pages").glob("*.py")),
              *sorted((ROOT / "pop_analytics" / "app").glob("*.py")),
              *(ROOT / "pop_analytics" / name for name in ("present.py", "charts.py"))]
# Every module of the package and every page: where a word a person reads could be written.
# (The API's OpenAPI description, api_schema.py, is written for programmers in English, as the command
# line's --help is: no person reads it in the app.)
ALL_SOURCES = [ROOT / "dashboard.py", ROOT / "serve.py", *sorted((ROOT / "app_pages").glob("*.py")),
               *sorted(p for p in (ROOT / "pop_analytics").rglob("*.py") if p.name != "api_schema.py")]


def _in_catalogue(key: str, lang: str) -> bool:
    """A key is there, or its sentences per CLDR plural category are (count.rows.one, count.rows.other)."""
    return key in catalogue(lang) or f"{key}.other" in catalogue(lang)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogues_have_the_same_keys():
    sq, en = set(catalogue("sq")), set(catalogue("en"))
    assert sorted(sq - en) == [] and sorted(en - sq) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_is_empty(lang):
    assert [key for key, text in catalogue(lang).items() if not text.strip()] == []


def test_each_text_has_the_same_placeholders_in_both_languages():
    differing = [key for key in catalogue("en")
                 if _placeholders(catalogue("en")[key]) != _placeholders(catalogue("sq").get(key, ""))]
    assert differing == []


def _literal_keys() -> set[str]:
    """The keys written whole in t("…"), tr("…") and phrase("…") calls, in every module and page."""
    keys = set()
    for source in ALL_SOURCES:
        text = source.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""\b(?:tr|t|phrase)\(\s*["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""", text))
    return keys


def _dynamic_keys() -> set[str]:
    keys = {f"page.{name}.{part}" for name, _, _ in app.PAGES for part in ("title", "intro")}
    keys |= set(app.SECTIONS) | {f"lang.{code}" for code in LANGUAGES}
    keys |= {f"url.ignored.{kind}" for kind in (*app.WIDGET_KEYS, "lang")}
    keys |= {f"kpi.{name}" for name in ("addressed", "fully", "partially", "not_addressed", "events", "participants",
                                        "women_pct", "municipalities_covered", "priorities")}
    keys |= {f"{key}.help" for key in set(keys) if key.startswith("kpi.")}
    keys |= {f"upload.severity.{s}" for s in ("error", "warning")} | {"state.stored", "state.undone"}
    keys |= {f"chart.{m}_by_month" for m in ("events", "participants")}
    keys |= {f"chart.{m}_by_year_type" for m in ("events", "participants")}
    keys |= {f"kind.{k}" for k in ("priorities", "activities", "figures")}
    return keys


def _column_keys() -> set[str]:
    """Every column a page shows through app.table is headed by col.<name>."""
    names = set(present.PROBLEM_COLUMNS)
    for source in UI_SOURCES:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("table", "_cell") \
                    and len(node.args) >= 3 and isinstance(node.args[2], ast.List):
                names |= {e.value for e in node.args[2].elts if isinstance(e, ast.Constant)}
    return {f"col.{name}" for name in names}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_the_dashboard_uses_is_in_the_catalogue(lang):
    used = _literal_keys() | _dynamic_keys() | _column_keys()
    assert len(_column_keys()) > 40  # the scan found the pages' tables
    assert sorted(key for key in used if not _in_catalogue(key, lang)) == []


def _string_first_arguments(source: Path) -> list[tuple[int, str]]:
    """st.<anything>("literal text", ...) calls: text a person would see that bypasses the catalogue."""
    found = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "st"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


@pytest.mark.parametrize("source", UI_SOURCES, ids=lambda p: p.name)
def test_no_visible_text_is_written_into_the_code(source):
    allowed = {"app_pages/overview.py", "app_pages/tracker.py"}  # st.Page paths are files, not text
    literals = [(line, text) for line, text in _string_first_arguments(source)
                if not text.startswith("app_pages/") and text not in allowed]
    assert literals == []


@pytest.mark.parametrize(("accept_language", "lang"), [
    ("en-GB", "en"), ("en-US, sq", "en"), ("sq-AL", "sq"), ("de-DE, en;q=0.8", "en"), ("de-DE", "sq"), ("", "sq"),
    (" EN ", "en"), ("fr-FR;q=0.9, sq;q=0.5", "sq"),
    # the heaviest language counts, not the first written; a weight of 0 refuses a language
    ("en;q=0.5, sq;q=0.9", "sq"), ("sq;q=0, en;q=0.1", "en"), ("en;q=0", "sq"), ("en-GB;q=0.7, sq-AL;q=0.7", "en"),
    # 'enx' is not English, and a weight no one can read is no consent
    ("enx", "sq"), ("en;q=high, de", "sq"), ("*", "sq"),
])
def test_the_heaviest_browser_language_with_a_catalogue_is_chosen_else_albanian(accept_language, lang):
    assert i18n.requested("", accept_language) == lang


@pytest.mark.parametrize(("asked", "accept_language", "otherwise", "lang"), [
    ("en", "sq", None, "en"), ("de", "en;q=0.2", None, "en"), ("", "de", "en", "en"), ("", "sq;q=0", "en", "en"),
])
def test_a_links_language_comes_before_the_browsers_and_a_program_gets_its_own_default(asked, accept_language,
                                                                                        otherwise, lang):
    assert i18n.requested(asked, accept_language, otherwise) == lang


@pytest.mark.parametrize(("key", "lang", "count", "text"), [
    ("tracker.in_view", "sq", 1, "1 prioritet në pamje."),
    ("tracker.in_view", "sq", 2, "2 prioritete në pamje."),
    ("tracker.in_view", "en", 1, "1 priority in view."),
    ("tracker.in_view", "en", 1157, "1,157 priorities in view."),  # the count written as the language groups digits
    ("tracker.in_view", "sq", 1157, "1\u00a0157 prioritete në pamje."),
    ("participation.rows_note", "sq", 1, "1 rresht aktivitetesh. Ruhen vetëm numra: asnjë pjesëmarrës nuk emërtohet."),
    ("participation.rows_note", "sq", 0, "0 rreshta aktivitetesh. Ruhen vetëm numra: asnjë pjesëmarrës nuk emërtohet."),
    ("app.title", "en", 1, t("app.title", "en")),  # no sentence of its own for one: the usual one
    ("count.replaced.activities", "sq", 1, "1 rresht aktivitetesh"),
    ("count.replaced.activities", "en", 1, "1 activity row"),
    ("count.replaced.figures", "sq", 1, "1 shifër e raportuar"),
    ("count.replaced.priority_status", "en", 3, "3 yearly statuses"),
    ("participation.gender_note", "en", 1, ("1 row with participants gives no women / men split and is not in "
                                              "the shares below (see Data quality).")),
    ("participation.gender_note", "sq", 1, ("1 rresht me pjesëmarrës nuk jep ndarjen gra / burra dhe nuk është në "
                                              "përqindjet më poshtë (shihni Cilësia e të dhënave).")),
    ("quality.totals_agree", "en", 1, "The one reported total agrees with its itemised rows."),
])
def test_a_count_of_one_takes_the_sentence_for_one(key, lang, count, text):
    assert t(key, lang, count=count, total=count) == text


@pytest.mark.parametrize(("key", "lang", "count", "text"), [
    ("count.rows", "en", 1, "1 row"), ("count.rows", "en", 0, "0 rows"), ("count.rows", "en", 2, "2 rows"),
    ("count.rows", "sq", 1, "1 rresht"), ("count.rows", "sq", 1157, "1\u00a0157 rreshta"),
    ("problem.rows", "en", 1, "row 5"), ("problem.rows", "sq", 1, "rreshti 5"),
    ("problem.rows", "en", 4, "rows 5"), ("problem.rows", "sq", 4, "rreshtat 5"),
])
def test_a_count_chooses_the_sentence_of_its_cldr_plural_category(key, lang, count, text):
    """key.one and key.other side by side work as key and key.one do: CLDR names the category."""
    assert t(key, lang, count=count, n=f"{count:,}".replace(",", "\u00a0" if lang == "sq" else ","), rows="5") == text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("key", ["quality.totals_found", "warning.mixed_encoding", "participation.gender_note",
                                 *(f"count.replaced.{what}" for what in ("priorities", "priority_status",
                                                                         "activities", "figures", "targets"))])
def test_a_sentence_that_counts_says_one_in_the_singular(key, lang):
    plural = {"en": re.compile(r"\b1 (\w+ )?(rows|lines|priorities|statuses|figures|targets)\b|\btotals differ\b"),
              "sq": re.compile(r"\b1 (rreshta|shifra|prioritete|statuse|synime)\b|\bndryshojnë\b")}
    assert not plural[lang].search(t(key, lang, count=1, total=3, rows="4", sheet="A"))


@pytest.mark.parametrize("count", ["1", "1\u00a0157", "1,157", 1.0, True, None])
def test_a_count_that_is_not_a_whole_number_is_refused_not_guessed_at(count):
    """Only a whole number picks the plural and is written by t: text would be read back as a guess."""
    with pytest.raises(TypeError, match="count must be a whole number"):
        t("tracker.in_view", "en", count=count)


def test_every_sentence_for_one_belongs_to_a_sentence_for_many():
    keys = set(catalogue("en"))
    assert sorted(k for k in keys if k.endswith(".one") and k.removesuffix(".one") not in keys
                  and not k.startswith("count.")) == []


@pytest.mark.parametrize(("written", "key"), [
    ("Select all", "streamlit.select_all"), ("Select 13 matches", "streamlit.select_matches"),
    ("5.7KB", "streamlit.file_size"), ("821B", "streamlit.file_size"), ("Help for Viti", "streamlit.help_for"),
    ("File must be 20.0MB or smaller.", "streamlit.file_too_large"), ("Press Enter to apply", "streamlit.enter_apply"),
    ("20 MB", None), ("2019", None), ("Zgjidhi të gjitha", None), ("Select all of them", None)])
def test_streamlits_english_is_recognised_whole_and_only_whole(written, key):
    """The page replaces a text of Streamlit's only when all of it is one (style.streamlit_pattern)."""
    from pop_analytics.app import style
    found = [k for k, english in style.streamlit_texts().items() if re.match(style.streamlit_pattern(english), written)]
    assert found == ([key] if key else [])


# ------------------------------------------------------------------------------ no words written into code

# A literal reads as words when it holds an Albanian letter, or three words or more.
_WORDS = re.compile(r"[ëçËÇ]|[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}")
# Text for machines: SQL, markup, scripts and style, Babel's date patterns.
_SQL = ("SELECT|FROM|WHERE|INSERT|INTO|UPDATE|DELETE|CREATE|ALTER|ADD|COLUMN|TABLE|VIEW|INDEX|CAST|CASE|WHEN|THEN|ELSE|"
        "END|AND|OR|NOT|NULL|IS|IN|AS|ON|JOIN|LEFT|USING|GROUP|ORDER|BY|HAVING|LIMIT|UNION|WITH|DISTINCT|BEGIN|"
        "TRANSACTION|QUALIFY|OVER|PARTITION|INTEGER|VARCHAR|DATE|BIGINT|BOOLEAN")
_CODE = re.compile(rf"\b(?:{_SQL})\b|[<{{;]|=>|\b(?:MMM|mmm)\b")
# Literals that are not text a person reads, each with the reason.
_NOT_READ = {
    # Characters a plausible decoded text holds (an encoding test, not words anyone reads).
    ("reading.py", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_/()%\"'\t\r\nëËçÇ"):
        "the characters a decoded text is expected to hold (input)",
    # Albanian endings that spell a municipality's name in other cases: matching rules, not text.
    ("reference.py", "ë"): "an Albanian ending (name matching)",
    ("reference.py", "ër"): "an Albanian ending (name matching)",
    ("reference.py", "rës"): "an Albanian ending (name matching)",
    # Messages of other libraries this code recognises, and words no person reads.
    ("database.py", "no space left on device"): "an OS error text recognised",
    ("database.py", "corrupt database file"): "a DuckDB error text recognised",
    ("database.py", "could not read enough"): "a DuckDB error text recognised",
    ("postgres.py", "does not exist"): "a PostgreSQL error text recognised",
    ("reading.py", "field larger than field limit"): "the csv module's error text recognised",
    ("accounts.py", "no user has this password"): "the password of the dummy hash (timing), never shown",
    ("errors.py", " Did you mean '"): "str() of UnknownFilterValue, for logs: people read cli.unknown.* and filter.*",
    # --help given to a helper that adds --as (see _cli_help): the CLI's help is English, for operators.
    **{("cli.py", text): "--help text" for text in (
        "import on behalf of a user: their role and municipalities apply (a partner's arrives submitted)",
        "save the mapping on behalf of a user (recorded as theirs)",
        "remove the mapping on behalf of a user (recorded as theirs)")},
}


def _developer_texts(tree: ast.AST) -> set[int]:
    """Docstrings, and texts of exceptions raised for developers (a raise, an assert): not shown."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body \
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            found.add(id(body[0].value))
        if isinstance(node, (ast.Raise, ast.Assert)):
            found |= {id(inner) for inner in ast.walk(node)}
    return found


def _cli_help(tree: ast.AST) -> set[int]:
    """argparse's help and descriptions: the CLI's --help is written for operators, in English."""
    return {id(keyword.value) for node in ast.walk(tree) if isinstance(node, ast.Call)
            for keyword in node.keywords if keyword.arg in ("help", "description")}


def _words_in(source: Path) -> list[tuple[int, str]]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    skipped = _developer_texts(tree) | _cli_help(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped
            and _WORDS.search(node.value) and not _CODE.search(node.value)
            and (source.name, node.value) not in _NOT_READ]


@pytest.mark.parametrize("source", ALL_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_writes_words_a_person_reads(source):
    """Every word a person reads comes from data/i18n (what partners write, from data/reference)."""
    assert _words_in(source) == []


@pytest.mark.parametrize(("code", "found"), [
    ('x = "Ndreqni vlerën"', [(1, "Ndreqni vlerën")]), ('x = "fix the value here"', [(1, "fix the value here")]),
    ('x = "count.rows"', []), ('x = "SELECT a FROM b WHERE c"', []), ('raise ValueError("not for people here")', []),
    ('def f():\n    """A docstring of several words."""', []), ('p.add_argument("--x", help="say it all here")', []),
])
def test_the_word_scan_finds_sentences_and_passes_code_over(tmp_path, code, found):
    source = tmp_path / "module.py"
    source.write_text(code, encoding="utf-8")
    assert _words_in(source) == found
