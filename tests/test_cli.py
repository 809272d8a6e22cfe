"""cli: `python -m pop_analytics` run in this process (conftest.run_cli) on partner-shaped files and on the demo
database.

The CLI validates against the real date, so every date here is safely in the past (or, for the
future-date error, safely in the future)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
import unicodedata

import openpyxl
import pytest
from conftest import (
    ACTIVITY_HEADERS,
    ROOT,
    cli_json,
    corrected_tirane_2023,
    durres_english,
    import_file,
    korce_priorities,
    kpi_state,
    messy_errors,
    messy_refused_file,
    missing_status_column,
    refused_priorities,
    run_cli,
    run_cli_process,
    tirane_activities,
    write_csv,
    write_xlsx,
)

from pop_analytics import cli, store
from pop_analytics.access import cli_viewer
from pop_analytics.settings import DEMO_DIR

OS_USER = cli_viewer().name  # whom the command line records
REPORT_KEYS = ["file", "sha256", "status", "kind", "rows", "import_id", "review", "mode", "errors", "errors_not_listed",
               "warnings"]
PROBLEM_KEYS = ["sheet", "row", "column", "value", "message", "message_sq", "message_en", "code", "vocabulary",
                "choices"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, demo_db):
    """Every CLI run of this module that the tests read, made once: chains of runs that depend on each
    other run in order, each chain on a database of its own. name → (finished runs in order, database,
    what the test needs to know)."""
    folder = tmp_path_factory.mktemp("cli")

    def fresh(name):
        return folder / f"{name}.duckdb"

    def copy_of_demo(name):
        return shutil.copy(demo_db, folder / f"{name}.duckdb")

    # undo: the demo with Tiranë's corrected 2023 statuses imported on top (import #6)
    undo_db = copy_of_demo("undo")
    con = store.connect(undo_db)
    undo_before = kpi_state(con)
    assert import_file(con, corrected_tirane_2023(folder)).import_id == 6
    con.close()

    tirane = tirane_activities(folder)
    messy = messy_refused_file(folder, future=dt.datetime(2099, 1, 1))
    korce, durres = korce_priorities(folder), durres_english(folder)
    vlore, puke = refused_priorities(folder), missing_status_column(folder)
    empty, broken = folder / "bosh.xlsx", folder / "prishur.xlsx"
    empty.write_bytes(b"")
    broken.write_bytes(b"PK\x03\x04 this is no workbook")
    template_out = folder / "shabllon" / "POP_template.xlsx"
    plan = {  # name: (runs in order, database, given)
        "undo": ([("undo", "2"), ("undo", "6"), ("undo", "6")], undo_db, undo_before),
        "imported_then_duplicate": ([("import", str(tirane), "--json")] * 2, fresh("twice"), tirane),
        "demo_twice": ([("demo",), ("demo",)], fresh("demo_twice"), None),
        "refused_priorities": ([("import", str(vlore), str(puke), "--json")], fresh("refused_priorities"), None),
        "refused_json": ([("import", str(messy), "--json")], fresh("refused_json"), messy),
        "refused_text_sq": ([("--lang", "sq", "import", str(messy))], fresh("refused_text_sq"), messy),
        "dry_run": ([("import", str(korce), "--dry-run", "--json")], fresh("dry_run"), korce),
        "several": ([("import", str(korce), str(durres), str(empty), str(broken), "--json")],
                    fresh("several"), None),
        "kpis_2020": ([("kpis", "--year", "2020", "--json")], copy_of_demo("kpis_2020"), None),
        "kpis_2023": ([("kpis", "--year", "2023", "--cycle", "2019-2023", "--json")], copy_of_demo("kpis_2023"), None),
        "kpis_text_sq": ([("--lang", "sq", "kpis", "--municipality", "tirana", "--year", "2020")],
                         copy_of_demo("kpis_text_sq"), None),
        "unknown_municipality": ([("kpis", "--municipality", "Tyranna", "--json")], copy_of_demo("unknown_m"), None),
        "unknown_theme": ([("kpis", "--theme", "Ujii")], copy_of_demo("unknown_t"), None),
        "unknown_municipality_sq": ([("--lang", "sq", "kpis", "--municipality", "Bashkia e Vlorrës")],
                                    copy_of_demo("unknown_m_sq"), None),
        "unknown_cycle": ([("kpis", "--cycle", "2020-2024")], copy_of_demo("unknown_c"), None),
        "history_json": ([("history", "--json")], copy_of_demo("history_json"), None),
        "history_empty": ([("history",)], fresh("history_empty"), None),
        "template": ([("template", str(template_out))], None, template_out),
    }
    finished = {}
    for name, (steps, db, given) in plan.items():
        # kpis_2020 finds its database through $POP_DB instead of --db
        options = {"env": {"POP_DB": str(db)}} if name == "kpis_2020" else {"db": db}
        finished[name] = ([run_cli(*args, **options) for args in steps], db, given)
    return finished


def stored(db_path) -> dict:
    con = store.connect(db_path, read_only=True)
    try:
        return {"history": store.history(con)[["id", "file_name", "state"]].values.tolist(),
                "snapshot": store.snapshot(con)}
    finally:
        con.close()


# ----------------------------------------------------------------------------------- import

def test_import_json_reports_an_imported_file_and_then_a_duplicate(runs):
    (first, second), db_path, path = runs["imported_then_duplicate"]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert first.returncode == 0
    [report] = cli_json(first)
    assert list(report) == REPORT_KEYS
    assert {k: report[k] for k in REPORT_KEYS[:6]} == {
        "file": str(path), "sha256": sha, "status": "imported", "kind": "activities", "rows": 3, "import_id": 1}
    assert report["errors"] == []
    assert [(w["code"], w["row"], w["column"]) for w in report["warnings"]] == [
        ("cycle_from_date", None, ""), ("total_mismatch", 9, "Pjesëmarrës gjithsej"), ("total_mismatch", 9, "Gra")]
    assert all(list(w) == PROBLEM_KEYS for w in report["warnings"])

    assert second.returncode == 0
    [again] = cli_json(second)
    assert (again["status"], again["import_id"], again["rows"], again["errors"]) == ("duplicate", 1, 0, [])
    assert stored(db_path)["history"] == [[1, "Raporti_Tirane_T3_2023.xlsx", "stored"]]


def test_import_of_a_refused_file_exits_1_with_every_error_located_and_stores_nothing(runs):
    [result], db_path, _path = runs["refused_json"]
    assert result.returncode == 1
    [report] = cli_json(result)
    assert (report["status"], report["kind"], report["rows"], report["import_id"]) == ("refused", None, 0, None)
    assert [w["code"] for w in report["warnings"]] == ["cycle_from_date"]  # shown with the errors
    assert all(list(e) == PROBLEM_KEYS for e in report["errors"])
    assert [(e["code"], e["sheet"], e["row"], e["column"], e["value"]) for e in report["errors"]] == messy_errors(
        "01.01.2099")
    first = report["errors"][0]
    assert first["message"] == first["message_en"] == (
        "'Tyranna' is not a municipality this tool knows. Write the municipality's name, e.g. Tiranë. "
        "Did you mean 'Tiranë'?")
    assert first["message_sq"] == ("'Tyranna' nuk është bashki që ky program e njeh. Shkruani emrin e bashkisë, "
                                   "p.sh. Tiranë. Mos keni parasysh 'Tiranë'?")
    assert report["errors"][2]["message_en"] == (
        "Women (20) + men (15) = 35, more than the total of 30. Correct the total or the split.")
    assert report["errors"][4]["message_en"].startswith("The date 01.01.2099 is in the future (today is ")
    assert stored(db_path) == {"history": [], "snapshot": {t: [] for t in store.DATA_TABLES}}


def test_import_refuses_a_status_it_cannot_place_an_early_year_and_a_missing_column(runs):
    [result], db_path, _none = runs["refused_priorities"]
    assert result.returncode == 1
    vlore, puke = cli_json(result)
    assert (vlore["status"], puke["status"]) == ("refused", "refused")
    assert [(e["code"], e["sheet"], e["row"], e["column"], e["value"], e["message"]) for e in vlore["errors"]] == [
        ("unknown_status", "Prioritetet", 4, "Statusi", "Në proces",
         "'Në proces' is not a status this tool can place. Write one of: Plotësisht, Pjesërisht, Nuk është adresuar."),
        ("year_too_early", "Prioritetet", 5, "Viti i monitorimit", "2012",
         "The year 2012 is before 2013, when monitoring began. Check the year."),
    ]
    assert [(e["code"], e["sheet"], e["row"], e["column"], e["value"], e["message"]) for e in puke["errors"]] == [
        ("missing_column", "Prioritetet", 1, "Statusi / Status", "",
         ("The sheet 'Prioritetet' has no column 'Statusi / Status', which a priorities sheet needs. "
         "Add the column (see the template).")),
    ]
    assert stored(db_path) == {"history": [], "snapshot": {t: [] for t in store.DATA_TABLES}}


def test_import_text_report_locates_each_problem_in_the_chosen_language(runs):
    [result], _db, path = runs["refused_text_sq"]
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"✖ {path}: u refuzua, nuk u ruajt asgjë (7 probleme)"
    assert lines[1] == ("  ✖ fleta 'Aktivitetet', rreshti 4, kolona 'Bashkia': 'Tyranna' nuk është bashki që ky "
                        "program e njeh. Shkruani emrin e bashkisë, p.sh. Tiranë. Mos keni parasysh 'Tiranë'?")
    assert lines[2] == ("  ✖ fleta 'Aktivitetet', rreshti 5, kolona 'Numri i aktiviteteve': '-2' është negativ. "
                        "Një numër nuk mund të jetë nën zero.")
    assert len(lines) == 9  # seven errors, then the warning found with them
    assert lines[8].startswith("  ! fleta 'Aktivitetet': Fleta 'Aktivitetet' nuk ka kolonë për ciklin e kontratës")


def test_import_dry_run_validates_and_stores_nothing(runs):
    [result], db_path, _path = runs["dry_run"]
    assert result.returncode == 0
    [report] = cli_json(result)
    assert (report["status"], report["kind"], report["rows"], report["import_id"]) == ("valid", "priorities", 3, None)
    assert (report["mode"], report["leaving"]) == ("replace", [])  # nothing stored earlier would leave
    assert stored(db_path) == {"history": [], "snapshot": {t: [] for t in store.DATA_TABLES}}


def test_import_of_several_files_stores_the_good_ones_and_exits_1_for_a_bad_one(runs):
    [result], db_path, _none = runs["several"]
    assert result.returncode == 1
    reports = cli_json(result)
    assert [(r["status"], r["kind"], r["rows"]) for r in reports] == [
        ("imported", "priorities", 3), ("imported", "activities", 2), ("refused", None, 0), ("refused", None, 0)]
    assert [e["code"] for e in reports[2]["errors"]] == ["empty_file"]
    assert reports[2]["errors"][0]["message"] == (
        "The file 'bosh.xlsx' is empty. Fill in the sheet from the template and upload it again.")
    assert [e["code"] for e in reports[3]["errors"]] == ["unreadable_file"]
    con = store.connect(db_path, read_only=True)
    assert con.execute("SELECT file_name, imported_by, state FROM imports ORDER BY id").fetchall() == [
        ("Monitorimi_Korce_2021.csv", OS_USER, "stored"), ("durres_activities.csv", OS_USER, "stored")]
    con.close()


# ----------------------------------------------------------------------------------- kpis

def test_kpis_json_reproduces_the_published_first_year_figures(runs):
    [result], _db, _none = runs["kpis_2020"]  # its database came from $POP_DB
    assert result.returncode == 0
    shown = cli_json(result)
    assert shown["filters"] == {"municipality": [], "year": [2020], "theme": [], "cycle": None}
    assert shown["priorities"] == {"total": 100, "fully": 17, "partially": 58, "not_addressed": 25, "fully_pct": 17.0,
                                   "partially_pct": 58.0, "not_addressed_pct": 25.0, "addressed_pct": 75.0}
    assert list(shown) == ["filters", "priorities", "activities", "by_municipality", "municipalities_covered",
                           "priorities_by_cycle"]


def test_kpis_json_reproduces_the_published_end_of_cycle_figure(runs):
    [result], _db, _none = runs["kpis_2023"]
    assert result.returncode == 0
    shown = cli_json(result)
    assert shown["filters"] == {"municipality": [], "year": [2023], "theme": [], "cycle": "2019-2023"}
    assert shown["priorities"] == {"total": 137, "fully": 60, "partially": 42, "not_addressed": 35, "fully_pct": 43.8,
                                   "partially_pct": 30.7, "not_addressed_pct": 25.5, "addressed_pct": 74.5}
    assert shown["municipalities_covered"] == 12


def test_kpis_text_in_albanian(runs):
    [result], _db, _none = runs["kpis_text_sq"]
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Prioritetet, kontratat 2019-2023: 12 të monitoruara · plotësisht ")
    assert lines[1].startswith("Aktivitetet: ")
    assert lines[2].split() == ["Tiranë", "11", "403", "12", "41.7"]


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_kpis_without_a_cycle_gives_each_cycle_s_priorities_on_a_line_naming_it(demo_copy, capsys, lang):
    """Durrës: 10 of 11 addressed of 2019-2023 and 7 of 12 of 2023-2027, never 73.9 % of 23 without a cycle."""
    from pop_analytics.i18n import t
    code, printed = _main(capsys, "--db", str(demo_copy), "--lang", lang, "kpis", "--municipality", "Durres")
    expected = [t("cli.kpis.priorities_cycle", lang, cycle=cycle, total=total, fully=fully, partially=partially,
                  not_addressed=not_addressed, fully_pct=fully_pct, partially_pct=partially_pct,
                  not_addressed_pct=not_addressed_pct, addressed_pct=addressed_pct)
                for cycle, total, fully, partially, not_addressed, fully_pct, partially_pct, not_addressed_pct,
                addressed_pct in (("2019-2023", 11, 5, 5, 1, 45.5, 45.5, 9.1, 90.9),
                                  ("2023-2027", 12, 1, 6, 5, 8.3, 50.0, 41.7, 58.3))]
    lines = printed.splitlines()
    assert (code, lines[:2]) == (0, expected)
    assert lines[3].split() == ["Durrës", "65", "1264", "11", "90.9", "12", "58.3"]
    code, printed = _main(capsys, "--db", str(demo_copy), "kpis", "--municipality", "Durres", "--json")
    shown = json.loads(printed)
    assert [(part["cycle"], part["priorities"]["total"], part["priorities"]["addressed_pct"], part["by_municipality"])
            for part in shown["priorities_by_cycle"]] == [
        ("2019-2023", 11, 90.9, [{"municipality": "Durrës", "priorities": 11, "addressed_pct": 90.9}]),
        ("2023-2027", 12, 58.3, [{"municipality": "Durrës", "priorities": 12, "addressed_pct": 58.3}])]
    assert shown["priorities"]["addressed_pct"] == 73.9  # kept for scripts that read it, as before


def test_kpis_with_an_unknown_municipality_exits_1_naming_the_closest_match(runs):
    [result], _db, _none = runs["unknown_municipality"]
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", "Error: Unknown municipality 'Tyranna': no municipality is written like that. Did you mean 'Tiranë'?\n")


def test_kpis_with_an_unknown_municipality_answers_in_albanian_when_asked(runs):
    [result], _db, _none = runs["unknown_municipality_sq"]
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", ("Gabim: Bashki e panjohur 'Bashkia e Vlorrës': asnjë bashki nuk shkruhet kështu. "
               "Mos keni parasysh 'Vlorë'?\n"))


def test_kpis_with_an_unknown_cycle_exits_1_listing_the_cycles(runs):
    [result], _db, _none = runs["unknown_cycle"]
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", "Error: Unknown contract cycle '2020-2024': the cycles are 2019-2023, 2023-2027.\n")


def test_kpis_with_an_unknown_theme_exits_1_naming_the_closest_match(runs):
    [result], _db, _none = runs["unknown_theme"]
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", ("Error: Unknown theme 'Ujii': use a theme key (water, transport, kindergartens, roads, social_justice, "
               "civic_engagement, local_development) or its label. Did you mean 'drinking water'?\n"))


# ----------------------------------------------------------------------------------- history and undo

def test_history_lists_the_imports_newest_first(runs):
    [result], _db, _none = runs["history_json"]
    assert result.returncode == 0
    rows = cli_json(result)
    assert [(r["id"], r["file_name"], r["kind"], r["rows"], r["state"], r["imported_by"]) for r in rows] == [
        (5, "synimet.csv", "targets", 17, "stored", "demo"),
        (4, "shifrat.csv", "figures", 7, "stored", "demo"),
        (3, "prioritetet_2023_2027.csv", "priorities", 224, "stored", "demo"),
        (2, "prioritetet_2019_2023.csv", "priorities", 511, "stored", "demo"),
        (1, "aktivitetet.csv", "activities", 298, "stored", "demo"),
    ]


def test_history_of_an_empty_database(runs):
    [result], _db, _none = runs["history_empty"]
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", ("Error: There is no database history_empty.duckdb yet. Load the demo data "
               "(python -m pop_analytics demo) or import a file first.\n"))


def test_undo_restores_the_kpis_and_is_refused_while_a_later_import_depends_on_it(runs):
    (refused, done, twice), db_path, before = runs["undo"]
    assert (refused.returncode, refused.stdout, refused.stderr) == (
        1, "", "Error: Import #2 cannot be undone while later imports replace some of its rows: undo #6 first.\n")

    assert (done.returncode, done.stdout) == (
        0, "Import #6 undone: 24 rows removed, the rows it had replaced are current again.\n")

    assert (twice.returncode, twice.stderr) == (1, "Error: Import #6 was already undone.\n")

    con = store.connect(db_path, read_only=True)
    assert kpi_state(con) == before
    con.close()


# ----------------------------------------------------------------------------------- demo and template

def test_demo_loads_once_and_a_second_run_stores_nothing_new(runs, demo_db):
    (first, second), db_path, _none = runs["demo_twice"]
    assert first.returncode == 0
    assert [line.split(":")[0] for line in first.stdout.splitlines() if not line.startswith("  ")] == [
        f"✔ {DEMO_DIR / name}" for name in
        ("aktivitetet.csv", "prioritetet_2019_2023.csv", "prioritetet_2023_2027.csv", "shifrat.csv", "synimet.csv")]
    assert second.returncode == 0
    assert second.stdout.splitlines() == [
        f"= {DEMO_DIR / name}: already stored as import #{i}; nothing new stored" for i, name in
        enumerate(("aktivitetet.csv", "prioritetet_2019_2023.csv", "prioritetet_2023_2027.csv", "shifrat.csv",
                   "synimet.csv"), 1)]
    after = stored(db_path)
    assert after["history"] == [[5, "synimet.csv", "stored"], [4, "shifrat.csv", "stored"],
                                [3, "prioritetet_2023_2027.csv", "stored"], [2, "prioritetet_2019_2023.csv", "stored"],
                                [1, "aktivitetet.csv", "stored"]]
    assert after["snapshot"] == stored(demo_db)["snapshot"]  # exactly what one load stores


def test_template_writes_the_partners_workbook(runs):
    [result], _db, out = runs["template"]
    assert (result.returncode, result.stdout) == (0, f"Template written to {out}.\n")
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Udhëzime", "Prioritetet", "Aktivitetet", "Shifrat", "Synimet", "Listat"]
    assert workbook["Listat"].sheet_state == "hidden"
    assert [c.value for c in workbook["Prioritetet"][1]][1:7] == [
        "Bashkia / Municipality *", "Kodi / Code *", "Prioriteti / Priority *", "Tema / Theme *",
        "Viti i monitorimit / Monitoring year *", "Statusi / Status *"]
    assert workbook["Aktivitetet"]["D1"].value == "Lloji i aktivitetit / Activity type *"

    def lists(sheet):
        return {str(v.sqref): v.formula1 for v in workbook[sheet].data_validations.dataValidation}
    assert lists("Prioritetet")["B2:B2000"] == "'Listat'!$A$2:$A$62"   # municipality
    assert lists("Prioritetet")["E2:E2000"] == "'Listat'!$B$2:$B$8"    # theme
    assert lists("Prioritetet")["G2:G2000"] == "'Listat'!$C$2:$C$4"    # status
    assert lists("Aktivitetet")["D2:D2000"] == "'Listat'!$D$2:$D$9"    # type
    assert [c.value for c in workbook["Listat"]["C"][:4]] == [
        "status", "Plotësisht", "Pjesërisht", "Nuk është adresuar"]


# ----------------------------------------------------------------------------------- values read as written

def near_variants(folder) -> object:
    """Activities as a partner writes them: a header and values no list spells this way, and a total row."""
    return write_xlsx(folder / "kukes_2024.xlsx", {"Aktivitetet": [
        ["Data", "Bashkia", "Lloji i aktivitetit", "Nr i aktiviteteve", "Pjesëmarrës gjithsej", "Gra", "Burra",
         "Temat"],
        [dt.datetime(2024, 3, 5), "Kukësi", "Fokus grupet", 2, 30, 20, 10, "Transprti publik"],
        [dt.datetime(2024, 3, 19), "Kukës", "Council meeting monitored", 1, 12, 5, 7,
         "Angazhimi qytetar dhe transparenca"],
        [dt.datetime(2024, 4, 2), "Kukës", "Council meeting monitored", 1, 9, 4, 5,
         "Angazhimi qytetar dhe transparenca"],
        [dt.datetime(2024, 4, 20), "KUKES", "Trajnime", 2, 25, 15, 10, "Kopshtet"],
        ["Gjithsej", None, None, 6, 76, 44, 32, None],
    ]})


def test_near_variant_values_and_headers_import_with_one_warning_per_reading_and_exact_kpis(tmp_path):
    db = tmp_path / "pop.duckdb"
    result = run_cli("import", str(near_variants(tmp_path)), "--json", db=db)
    assert result.returncode == 0, result.stdout + result.stderr
    [report] = cli_json(result)
    assert (report["status"], report["rows"], report["errors"]) == ("imported", 4, [])
    assert [w["message_en"] for w in report["warnings"]] == [
        "The column 'Nr i aktiviteteve' in sheet 'Aktivitetet' was read as 'Number of events'.",
        "'Fokus grupet' read as 'focus group' (Lloji i aktivitetit, row 2).",
        "'Council meeting monitored' read as 'municipal council meeting monitored' (Lloji i aktivitetit, rows 3–4).",
        "'Transprti publik' read as 'public transport' (Temat, row 2).",
        "'Angazhimi qytetar dhe transparenca' read as 'civic engagement and local transparency' (Temat, rows 3–4).",
        "'Kopshtet' read as 'schools and kindergartens' (Temat, row 5).",
        ("The sheet 'Aktivitetet' has no contract-cycle column; each row's cycle was taken from its date (elections of "
        "14 May 2023 start the 2023-2027 cycle)."),
    ]
    kpis = cli_json(run_cli("kpis", "--municipality", "Kukës", "--year", "2024", "--json", db=db))
    assert {k: kpis["activities"][k] for k in ("events", "participants", "women", "men")} == {
        "events": 6, "participants": 76, "women": 44, "men": 32}  # the total row's figures, to the unit
    assert {k: v for k, v in kpis["activities"]["by_type"].items() if v["events"]} == {
        "focus_group": {"events": 2, "participants": 30}, "council_meeting": {"events": 2, "participants": 21},
        "training": {"events": 2, "participants": 25}}


def test_a_status_written_realizuar_alone_is_refused_naming_both_statuses(tmp_path):
    path = write_xlsx(tmp_path / "puke.xlsx", {"Prioritetet": [
        ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi"],
        ["2019-2023", "Pukë", "PUK-01", "Ujësjellësi", "Uji i pijshëm", 2022, "Realizuar"]]})
    result = run_cli("import", str(path), "--json", db=tmp_path / "pop.duckdb")
    assert result.returncode == 1
    [report] = cli_json(result)
    assert [(e["code"], e["row"], e["value"], e["choices"], e["message_en"], e["message_sq"])
            for e in report["errors"]] == [
        ("ambiguous_value", 2, "Realizuar", ["fully", "partially"],
         "'Realizuar' fits more than one status: fully addressed, partially addressed. Write the one you mean.",
         "'Realizuar' përshtatet me më shumë se një status: Plotësisht, Pjesërisht. Shkruani atë që keni parasysh.")]


@pytest.mark.parametrize(("lang", "rows", "expected"), [
    ("en", 1, "✔ {path}: valid (priorities, 1 row); dry run, nothing stored"),
    ("en", 2, "✔ {path}: valid (priorities, 2 rows); dry run, nothing stored"),
    ("sq", 1, "✔ {path}: i vlefshëm (prioritetet, 1 rresht); provë, nuk u ruajt asgjë"),
    ("sq", 2, "✔ {path}: i vlefshëm (prioritetet, 2 rreshta); provë, nuk u ruajt asgjë"),
])
def test_the_import_line_counts_rows_as_each_language_says_them(tmp_path, lang, rows, expected):
    header = ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi"]
    path = write_xlsx(tmp_path / "puke.xlsx", {"Prioritetet": [header] + [
        ["2019-2023", "Pukë", f"PUK-0{n}", "Ujësjellësi", "Uji i pijshëm", 2022, "Plotësisht"] for n in range(rows)]})
    result = run_cli("--lang", lang, "import", str(path), "--dry-run", db=tmp_path / "pop.duckdb")
    assert result.stdout.splitlines()[0] == expected.format(path=path)


def test_a_saved_mapping_makes_a_refused_sheet_importable_and_removing_it_undoes_that_for_later_imports(tmp_path):
    db = tmp_path / "pop.duckdb"
    rows = [["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi"],
            ["2019-2023", "Pukë", "PUK-01", "Ujësjellësi", "Uji i pijshëm", 2022, "Realizuar"]]
    first = write_xlsx(tmp_path / "puke_2022.xlsx", {"Prioritetet": rows})
    second = write_xlsx(tmp_path / "puke_2023.xlsx", {"Prioritetet": [rows[0], [*rows[1][:5], 2023, "Realizuar"]]})
    added = run_cli("aliases", "add", "status", "Realizuar", "Pjesërisht", "--why", "Pukë writes Realizuar for partly",
                    db=db)
    assert (added.returncode, added.stdout) == (
        0, "Saved mapping #1: 'Realizuar' (status) → 'partially'. Every later import reads it so.\n")
    listed = cli_json(run_cli("aliases", "list", "--json", db=db))
    assert [{k: v for k, v in m.items() if k != "added_at"} for m in listed] == [
        {"id": 1, "vocabulary": "status", "value": "Realizuar", "key": "partially", "added_by": OS_USER,
         "reason": "Pukë writes Realizuar for partly"}]
    [report] = cli_json(run_cli("import", str(first), "--json", db=db))
    assert (report["status"], [w["message_en"] for w in report["warnings"]]) == ("imported", [
        "'Realizuar' read as 'partially addressed' through saved mapping #1 (Statusi, row 2)."])
    removed = run_cli("aliases", "remove", "1", db=db)
    assert (removed.returncode, removed.stdout) == (0, "Mapping #1 removed: later imports no longer use it.\n")
    assert cli_json(run_cli("aliases", "list", "--json", db=db)) == []
    [refused] = cli_json(run_cli("import", str(second), "--json", db=db))
    assert (refused["status"], [e["code"] for e in refused["errors"]]) == ("refused", ["ambiguous_value"])
    con = store.connect(db, read_only=True)
    assert con.execute("SELECT code, year, status FROM current_priority_status").fetchall() == [
        ("PUK-01", 2022, "partially")]
    con.close()


@pytest.mark.parametrize(("args", "stderr"), [
    (("aliases", "add", "colour", "x", "y"), ("Error: 'colour' is not a vocabulary that takes mappings. Use one of: "
     "municipality, theme, activity_type, status, indicator, cycle, column.priorities, column.activities, "
     "column.figures, column.targets.\n")),
    (("aliases", "add", "status", "x", "maybe"), ("Error: 'maybe' is not a term of status. Use one of: fully, "
                                                  "partially, not_addressed.\n")),
    (("aliases", "remove", "7"), "Error: There is no mapping #7 in use.\n"),
])
def test_a_mapping_that_cannot_be_saved_or_removed_is_a_sentence(tmp_path, args, stderr):
    result = run_cli(*args, db=tmp_path / "pop.duckdb")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", stderr)


# ----------------------------------------------------------------------------------- text a terminal would act on

@pytest.mark.parametrize(("text", "shown"), [
    ("\x1b[2J", "\\x1b[2J"),                          # ESC: clear the screen
    ("a\tb\nc\rd", "a\\tb\\nc\\rd"),                 # tab, newline, carriage return inside a value
    ("\x00\x07\x7f", "\\x00\\x07\\x7f"),                # NUL, bell, DEL
    ("\x9b2J\x85", "\\x9b2J\\x85"),                     # C1: an 8-bit CSI, next line
    ("raport\u202egpj.exe", "raport\\u202egpj.exe"),    # right-to-left override
    ("a\u200bb\u2028c", "a\\u200bb\\u2028c"),            # zero-width space, line separator
    ("tag\U000e0041", "tag\\U000e0041"),                # an invisible tag character
    ("Tiranë, Korçë – 1\u202f234\xa0%", "Tiranë, Korçë – 1\u202f234\xa0%"),  # letters and spaces stay
], ids=["ESC", "tab newline CR", "NUL BEL DEL", "C1", "bidi override", "zero width, separator", "tag", "plain"])
def test_text_from_a_file_or_the_database_is_shown_with_hidden_characters_written_out(text, shown):
    assert cli.escaped(text) == shown


def _hidden(printed: str) -> set[str]:
    """Characters a terminal would act on or hide, apart from the line ends of the output itself."""
    return {c for c in printed if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")}


def _main(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    printed = capsys.readouterr()
    assert printed.err == ""
    return code, printed.out


HOSTILE_NAME = "tirane\x1b[2J\t\u202egpj.\x9b31m.csv"
HOSTILE_SHOWN = "tirane\\x1b[2J\\t\\u202egpj.\\x9b31m.csv"


def test_a_file_name_with_terminal_escapes_is_printed_escaped_by_every_command(tmp_path, capsys):
    db = str(tmp_path / "pop.duckdb")
    path = write_csv(tmp_path / HOSTILE_NAME, [
        ACTIVITY_HEADERS, ["2024-03-05", "Tiranë", "Fokus grup", 2, 40, 20, 20, "", "Uji i pijshëm"]])
    code, printed = _main(capsys, "--db", db, "import", str(path))
    assert (code, printed.splitlines()[0]) == (0, f"✔ {tmp_path}/{HOSTILE_SHOWN}: imported as #1 (activities, 1 row)")
    # The audit detail is stored as JSON text, which spelled ESC out already (as \u001b).
    for command, shown in ((("history",), HOSTILE_SHOWN), (("audit",), HOSTILE_SHOWN.replace("\\x1b", "\\u001b"))):
        code, printed = _main(capsys, "--db", db, *command)
        assert code == 0 and not _hidden(printed), command
        assert shown in printed, command
    assert len(_main(capsys, "--db", db, "history")[1].splitlines()) == 2  # a heading and one row: no line broken

    for command in (("history", "--json"), ("audit", "--json"), ("import", str(path), "--json")):
        code, printed = _main(capsys, "--db", db, *command)
        assert not _hidden(printed), command
        rows = json.loads(printed)
        named = rows[0].get("file_name") or rows[0].get("file") or json.loads(rows[0]["detail"])["file"]
        assert HOSTILE_NAME in named
    assert "\\u202e" in printed and "\\u009b" in printed  # JSON's own escapes, read back as the same text


def test_a_value_with_terminal_escapes_is_printed_escaped_in_problems_and_mappings(tmp_path, capsys):
    db = str(tmp_path / "pop.duckdb")
    path = write_csv(tmp_path / "tirane.csv", [
        ACTIVITY_HEADERS, ["2024-03-05", "Tir\x1b]0;pwned\x07ana", "Fokus grup", 2, 40, 20, 20, "", "Uji i pijshëm"]])
    code, printed = _main(capsys, "--db", db, "import", str(path))
    assert code == 1 and not _hidden(printed)
    assert "'Tir\\x1b]0;pwned\\x07ana' is not a municipality" in printed

    code, printed = _main(capsys, "--db", db, "aliases", "add", "status", "Realizuar\x1b[2J\u202e", "partially")
    assert (code, printed) == (0, ("Saved mapping #1: 'Realizuar\\x1b[2J\\u202e' (status) → 'partially'. Every later "
                                  "import reads it so.\n"))
    code, printed = _main(capsys, "--db", db, "aliases", "list")
    assert code == 0 and not _hidden(printed) and "Realizuar\\x1b[2J\\u202e" in printed


# ----------------------------------------------------------------------------------- the real process

@pytest.mark.parametrize(("args", "code", "stdout_starts", "stderr_starts"), [
    (("--help",), 0, "usage: python -m pop_analytics", ""),
    (("history",), 0, "", ""),
    (("kpis", "--cycle", "2020-2024"), 1, "", "Error: "),
    (("reject", "1"), 2, "", "usage: python -m pop_analytics reject "),
], ids=["help", "a command", "a refusal", "a usage error"])
def test_the_interpreter_exits_with_the_code_the_command_returned(demo_db, args, code, stdout_starts, stderr_starts):
    result = run_cli_process(*args, db=demo_db)
    assert result.returncode == code, result.stderr
    assert result.stdout.startswith(stdout_starts) and result.stderr.startswith(stderr_starts)
    silent = result.stderr if code == 0 else result.stdout  # a success says nothing on stderr, a failure on stdout
    assert silent == ""


def test_a_command_line_start_imports_no_chart_or_report_library():
    """Altair, vl-convert and typst are imported by the report command alone."""
    probe = ("import sys, pop_analytics.cli; "
             "print(sorted(m for m in ('altair', 'vl_convert', 'typst', 'pop_analytics.report') if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert shown.stdout == "[]\n"
