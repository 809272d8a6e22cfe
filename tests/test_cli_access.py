"""cli with users and roles: `python -m pop_analytics` in this process (conftest.run_cli) on a copy of the demo
database.
Users are managed from the command line (passwords piped on standard input), a partner's import
(`import --as`) waits for a coordinator's approval before donors' figures (`kpis --approved-only`)
move, a rejection takes it out again, and the audit log lists every step."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import ACTIVITY_HEADERS, CliResult, cli_json, durres_english, run_cli, tirane_activities, write_csv

from pop_analytics import accounts, cli, importing, store
from pop_analytics.access import Viewer, cli_viewer
from pop_analytics.database import Database
from pop_analytics.i18n import t

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new password"
# The command line acts as the machine's user.
OS_USER = cli_viewer().name
# Where an action taken with --as came from, in the audit log: the system user who ran the command.
VIA_CLI = f"cli:{OS_USER}"
SUBMITTED = ("  → submitted for approval: donors see it once a coordinator approves it "
             "(python -m pop_analytics approve {}).")


def run(*args: str, db: Path, stdin: str = "") -> CliResult:
    """`python -m pop_analytics --db DB ARGS` with standard input piped (so it is never a terminal: a
    password is read from its first line)."""
    return run_cli(*args, db=db, stdin=stdin)


def succeeded(result: CliResult) -> str:
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout


def main(capsys, *args: str, db: Path) -> tuple[int, str, str]:
    """The command line in this process: (exit code, standard output, standard error)."""
    code = cli.main(["--db", str(db), *args])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def failed(result: CliResult, code: int = 1) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    return result.stderr


def history(db: Path) -> list[dict]:
    """The imports as stored, newest first, read in this process."""
    with Database(db).reading() as con:
        frame = store.history(con)
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def audit(db: Path) -> list[tuple]:
    """(who, action, target) of every audit row, oldest first, read in this process."""
    with Database(db).reading() as con:
        frame = store.audit_rows(con)
    return [(r.who, r.action, r.target) for r in frame.iloc[::-1].itertuples()]


def snapshot(db: Path) -> dict:
    with Database(db).reading() as con:
        return store.snapshot(con)


def next_import_id(db: Path) -> int:
    return max(row["id"] for row in history(db)) + 1


@pytest.fixture
def partner_db(demo_copy: Path, quick_hashes) -> Path:
    """The demo copy with a coordinator (ana), a partner for Tiranë (alba) and a donor (dona); their
    passwords are hashed with small argon2id costs, since none of these tests signs in."""
    database = Database(demo_copy)
    for name, role, municipalities in (("ana", "coordinator", []), ("alba", "partner", ["Tiranë"]),
                                       ("dona", "donor", [])):
        accounts.add(database, name, role, municipalities, PASSWORD, by=cli_viewer())
    return demo_copy


def tirane_march(directory: Path) -> Path:
    """One Tiranë activity row, of a month the demo and tirane_activities do not hold."""
    return write_csv(directory / "tirane_mars_2024.csv", [
        ACTIVITY_HEADERS, ["2024-03-05", "Tiranë", "Fokus grup", 2, 40, 20, 20, "", "Uji i pijshëm"]])


def tirane_and_durres(directory: Path) -> Path:
    """A Tiranë row and, on Excel row 3, a Durrës row: a Tiranë partner may not send the second."""
    return write_csv(directory / "tirane_durres.csv", [
        ACTIVITY_HEADERS,
        ["2024-03-05", "Tiranë", "Fokus grup", 2, 40, 20, 20, "", "Uji i pijshëm"],
        ["2024-03-06", "Durrës", "Fokus grup", 1, 30, 15, 15, "", "Rrugët"],
    ])


# ── users ───────────────────────────────────────────────────────────────────────────────────

def test_users_are_added_listed_given_a_password_and_removed_from_the_command_line(demo_copy):
    assert succeeded(run("users", "list", db=demo_copy)) == t("cli.users.none", "en") + "\n"
    assert succeeded(run("users", "add", "ana", "--role", "coordinator", db=demo_copy, stdin=PASSWORD + "\n")) == (
        "User 'ana' added as coordinator.\n")
    assert succeeded(run("--lang", "sq", "users", "add", "alba", "--role", "partner", "--municipality", "tirana",
                         db=demo_copy, stdin=PASSWORD + "\n")) == "Përdoruesi 'alba' u shtua si partner.\n"

    listed = cli_json(run("users", "list", "--json", db=demo_copy))
    assert [list(row) for row in listed] == [
        ["name", "role", "municipalities", "email", "language", "created_by", "created_at",
         "password_changed_at"]] * 2
    assert [(r["name"], r["role"], r["municipalities"], r["created_by"]) for r in listed] == [
        ("ana", "coordinator", "", OS_USER), ("alba", "partner", "Tiranë", OS_USER)]
    assert "hash" not in json.dumps(listed) and PASSWORD not in json.dumps(listed)

    # The piped password is the first line only; the new one replaces the old and ends alba's sessions.
    token = accounts.sign_in(Database(demo_copy), "alba", PASSWORD, "192.0.2.10")
    assert succeeded(run("users", "passwd", "alba", "--lang", "sq", db=demo_copy,
                         stdin=NEW_PASSWORD + "\nnot the password\n")) == (
        "Fjalëkalimi i 'alba' u ndryshua; seancat e tij të hapura përfunduan.\n")
    with Database(demo_copy).reading() as con:
        assert store.session(con, accounts.token_hash(token)) is None
        assert store.user(con, "alba")["password_hash"].startswith("$argon2id$")
    assert accounts.sign_in(Database(demo_copy), "alba", NEW_PASSWORD, "192.0.2.10")

    assert succeeded(run("users", "remove", "alba", db=demo_copy)) == (
        "User 'alba' removed; their open sessions have ended. What they did stays in the history and the audit log.\n")
    assert failed(run("users", "remove", "ana", db=demo_copy)) == (
        "Error: 'ana' is the last coordinator: add another coordinator before removing this one, so that someone can "
        "still manage users.\n")
    assert [r["name"] for r in cli_json(run("users", "list", "--json", db=demo_copy))] == ["ana"]
    assert [row for row in audit(demo_copy) if row[1] != "import"] == [
        (OS_USER, "user_add", "ana"), (OS_USER, "user_add", "alba"), ("alba", "signin", "alba"),
        (OS_USER, "user_password", "alba"), ("alba", "signin", "alba"), (OS_USER, "user_remove", "alba")]


@pytest.mark.parametrize(("args", "stdin", "stderr"), [
    (("users", "add", "ana", "--role", "coordinator"), "short\n",
     "Error: The password is too short: use at least 10 characters (a short sentence is easy to remember).\n"),
    (("users", "add", "ana", "--role", "coordinator"), "",
     "Error: The password is too short: use at least 10 characters (a short sentence is easy to remember).\n"),
    (("users", "add", "ana", "--role", "admin"), PASSWORD + "\n",
     "Error: 'admin' is not a role. Choose one of: coordinator, partner, donor.\n"),
    (("--lang", "sq", "users", "add", "alba", "--role", "partner", "--municipality", "Tirna"), PASSWORD + "\n",
     "Gabim: 'Tirna' nuk është bashki që ky program e njeh (mos keni parasysh 'Tiranë'?).\n"),
    (("users", "add", "alba", "--role", "partner", "--municipality", "Tiranë"), PASSWORD + "\n",
     "Error: The first user must be a coordinator, so that someone can manage the others from the dashboard.\n"),
    (("users", "passwd", "nobody"), NEW_PASSWORD + "\n", "Error: There is no user 'nobody'. See 'users list'.\n"),
    (("users", "remove", "nobody", "--lang", "sq"), "", "Gabim: Nuk ka përdorues 'nobody'. Shihni 'users list'.\n"),
], ids=["short password", "no password", "unknown role", "unknown municipality (sq)", "first is a partner",
        "passwd unknown",
        "remove unknown (sq)"])
def test_a_users_command_that_cannot_be_done_says_why_and_changes_nothing(demo_copy, args, stdin, stderr):
    before = audit(demo_copy)
    assert failed(run(*args, db=demo_copy, stdin=stdin)) == stderr
    assert accounts.listed(Database(demo_copy)).empty
    assert audit(demo_copy) == before


# ── a partner's import waits for approval ───────────────────────────────────────────────────

def test_a_partners_import_is_submitted_and_donors_figures_move_only_once_it_is_approved(partner_db, tmp_path):
    approved_before = cli_json(run("kpis", "--approved-only", "--json", db=partner_db))
    assert cli_json(run("kpis", "--json", db=partner_db)) == approved_before  # the demo is all approved
    path = tirane_activities(tmp_path)
    import_id = next_import_id(partner_db)

    stdout = succeeded(run("import", str(path), "--as", "alba", db=partner_db))
    lines = stdout.splitlines()
    assert lines[:2] == [f"✔ {path}: imported as #{import_id} (activities, 3 rows)", SUBMITTED.format(import_id)]
    assert lines[1] == t("cli.import.submitted", "en", import_id=import_id)
    assert all(line.startswith("  ! ") for line in lines[2:])  # warnings only
    newest = history(partner_db)[0]
    assert (newest["id"], newest["imported_by"], newest["status"], newest["reviewed_by"]) == (
        import_id, "alba", "submitted", None)

    assert cli_json(run("kpis", "--approved-only", "--json", db=partner_db)) == approved_before
    everything = cli_json(run("kpis", "--json", db=partner_db))
    assert everything != approved_before

    assert succeeded(run("approve", str(import_id), db=partner_db)) == (
        f"Import #{import_id} approved: donors see it from now on.\n")
    assert cli_json(run("kpis", "--approved-only", "--json", db=partner_db)) == everything
    assert cli_json(run("kpis", "--json", db=partner_db)) == everything
    newest = history(partner_db)[0]
    assert (newest["id"], newest["status"], newest["reviewed_by"]) == (import_id, "approved", OS_USER)


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_a_partners_file_with_a_row_for_another_municipality_is_refused_whole(partner_db, tmp_path, lang):
    path = tirane_and_durres(tmp_path)
    imports, log, rows = history(partner_db), audit(partner_db), snapshot(partner_db)
    result = run("--lang", lang, "import", str(path), "--as", "alba", db=partner_db)
    assert (result.returncode, result.stderr) == (1, "")
    lines = result.stdout.splitlines()
    if lang == "en":
        assert lines[:2] == [
            f"✖ {path}: refused, nothing stored (1 problem)",
            ("  ✖ sheet 'tirane_durres.csv', row 3: This row is for Durrës, but you upload for Tiranë only. Remove "
             "the row, or ask a coordinator to import it.")]
    else:
        assert lines[:2] == [
            f"✖ {path}: u refuzua, nuk u ruajt asgjë (1 problem)",
            f"  ✖ {t('cli.sheet', 'sq')} 'tirane_durres.csv', {t('cli.row', 'sq')} 3: "
            + t("problem.not_your_municipality", "sq", value="Durrës", yours="Tiranë")]
    assert not any(line.startswith("  ✖ ") for line in lines[2:])  # the Tiranë row is fine
    assert history(partner_db) == imports
    assert audit(partner_db) == log
    assert snapshot(partner_db) == rows


def test_the_same_file_from_a_coordinator_is_approved_at_once(partner_db, tmp_path):
    path = tirane_and_durres(tmp_path)
    import_id = next_import_id(partner_db)
    assert succeeded(run("import", str(path), "--as", "ana", db=partner_db)).splitlines()[0] == (
        f"✔ {path}: imported as #{import_id} (activities, 2 rows)")
    assert (history(partner_db)[0]["imported_by"], history(partner_db)[0]["status"]) == ("ana", "approved")
    assert cli_json(run("kpis", "--approved-only", "--json", db=partner_db)) == cli_json(
        run("kpis", "--json", db=partner_db))


def test_a_rejected_import_gives_back_the_figures_from_before_it(partner_db, tmp_path):
    before = cli_json(run("kpis", "--json", db=partner_db))
    path = tirane_activities(tmp_path)
    import_id = next_import_id(partner_db)
    succeeded(run("import", str(path), "--as", "alba", db=partner_db))

    usage = failed(run("reject", str(import_id), db=partner_db), code=2)
    assert usage.startswith("usage: python -m pop_analytics reject ")
    assert usage.endswith("python -m pop_analytics reject: error: the following arguments are required: --comment\n")
    assert failed(run("reject", str(import_id), "--comment", "   ", db=partner_db)) == (
        "Error: Say why the import is rejected: the partner reads the comment to fix the file.\n")
    assert history(partner_db)[0]["status"] == "submitted"

    assert succeeded(run("reject", str(import_id), "--comment", "  Mungojnë   gratë te rreshti 6 ", db=partner_db)) == (
        f"Import #{import_id} rejected: 3 rows removed, the rows it had replaced are current again.\n")
    assert cli_json(run("kpis", "--json", db=partner_db)) == before
    assert cli_json(run("kpis", "--approved-only", "--json", db=partner_db)) == before
    newest = history(partner_db)[0]
    assert (newest["id"], newest["status"], newest["reviewed_by"], newest["review_comment"]) == (
        import_id, "rejected", OS_USER, "Mungojnë gratë te rreshti 6")
    assert failed(run("approve", str(import_id), db=partner_db)) == (
        f"Error: Import #{import_id} is not waiting for approval (it is rejected): only a submitted import is "
        "approved or rejected.\n")


# ── the audit log ───────────────────────────────────────────────────────────────────────────

def test_the_audit_log_lists_every_action_in_order_with_who_did_it(partner_db, tmp_path):
    already = len(audit(partner_db))
    first, second = next_import_id(partner_db), next_import_id(partner_db) + 1
    succeeded(run("users", "add", "ben", "--role", "donor", db=partner_db, stdin=PASSWORD + "\n"))
    succeeded(run("import", str(tirane_activities(tmp_path)), "--as", "alba", db=partner_db))
    succeeded(run("approve", str(first), "--comment", "faleminderit", db=partner_db))
    succeeded(run("import", str(tirane_march(tmp_path)), "--as", "alba", db=partner_db))
    succeeded(run("reject", str(second), "--comment", "data e gabuar", db=partner_db))

    rows = cli_json(run("audit", "--json", db=partner_db))
    assert [list(row) for row in rows[:1]] == [["id", "happened_at", "who", "address", "action", "target", "detail"]]
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)  # newest first
    assert [(r["who"], r["action"], r["target"], r["address"]) for r in reversed(rows[:-already])] == [
        (OS_USER, "user_add", "ben", None),
        ("alba", "import", str(first), VIA_CLI),
        (OS_USER, "approve", str(first), None),
        ("alba", "import", str(second), VIA_CLI),
        (OS_USER, "reject", str(second), None),
    ]
    details = [json.loads(r["detail"]) for r in reversed(rows[:-already])]
    assert details == [
        {"role": "donor", "municipalities": []},
        {"file": "Raporti_Tirane_T3_2023.xlsx", "kind": "activities", "review": "submitted", "rows": 3},
        {"comment": "faleminderit"},
        {"file": "tirane_mars_2024.csv", "kind": "activities", "review": "submitted", "rows": 1},
        {"comment": "data e gabuar", "rows": 1},
    ]


# ── importing for someone ───────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("name", "stderr"), [
    ("nobody", "Error: There is no user 'nobody'. See 'users list'.\n"),
    ("dona", "Error: dona (donor) may not store files. Ask a coordinator.\n"),
], ids=["unknown user", "donor"])
def test_an_import_for_someone_who_may_not_upload_is_refused(partner_db, tmp_path, name, stderr):
    imports, rows = history(partner_db), snapshot(partner_db)
    assert failed(run("import", str(tirane_activities(tmp_path)), "--as", name, db=partner_db)) == stderr
    assert history(partner_db) == imports
    assert snapshot(partner_db) == rows


def test_the_history_of_a_submitted_import_is_strict_json(partner_db, tmp_path):
    partner = Viewer(name="alba", role="partner", municipalities=("Tiranë",), how="cli")
    assert importing.import_path(Database(partner_db), tirane_march(tmp_path), by=partner).status == "imported"
    result = run("history", "--json", db=partner_db)
    assert result.returncode == 0

    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    rows = json.loads(result.stdout, parse_constant=refuse)
    assert rows[0]["reviewed_by"] is None


# ── who the command line acts as ────────────────────────────────────────────────────────────

WHO_REFUSED = {
    "en": ("Error: --who is no longer accepted: the command line records who runs it (the system user '{user}'). To "
           "act on behalf of a dashboard user, add --as NAME: their role and municipalities apply, and '{user}' is "
           "recorded with it.\n"),
    "sq": ("Gabim: --who nuk pranohet më: linja e komandës regjistron vetë se kush e përdor (përdoruesin e sistemit "
           "'{user}'). Për të vepruar në emër të një përdoruesi të panelit, shtoni --as EMRI: vlejnë roli dhe bashkitë "
           "e tij, dhe '{user}' regjistrohet bashkë me të.\n"),
}


@pytest.mark.parametrize(("args", "lang"), [
    (("import", "{file}", "--who", "alba"), "en"),
    (("import", "{file}", "--as", "ana", "--who", "alba"), "sq"),
    (("aliases", "add", "status", "Realizuar", "partially", "--who", "alba"), "en"),
    (("aliases", "remove", "1", "--who", "alba"), "sq"),
], ids=["import", "import --as (sq)", "aliases add", "aliases remove (sq)"])
def test_a_free_name_given_with_who_is_refused_with_a_sentence_pointing_to_as(partner_db, tmp_path, capsys, args,
                                                                             lang):
    file = str(tirane_march(tmp_path))
    imports, log, rows = history(partner_db), audit(partner_db), snapshot(partner_db)
    result = main(capsys, "--lang", lang, *(a.format(file=file) for a in args), db=partner_db)
    assert result == (1, "", WHO_REFUSED[lang].format(user=OS_USER))
    assert result[2] == f"{t('cli.error', lang)}: {t('cli.refused.who', lang, user=OS_USER)}\n"
    assert (history(partner_db), audit(partner_db), snapshot(partner_db)) == (imports, log, rows)


@pytest.mark.parametrize("command", [("import",), ("aliases", "add"), ("aliases", "remove")])
def test_the_help_offers_as_and_no_longer_who(capsys, command):
    assert cli.main([*command, "--help"]) == 0
    shown = capsys.readouterr().out
    assert "--as NAME" in shown and "--who" not in shown


def test_the_command_line_records_the_system_user_and_on_whose_behalf_it_acted(partner_db, tmp_path, capsys):
    first = next_import_id(partner_db)
    already = len(audit(partner_db))
    assert main(capsys, "import", str(tirane_march(tmp_path)), "--as", "alba", db=partner_db)[0] == 0
    assert main(capsys, "import", str(tirane_activities(tmp_path)), db=partner_db)[0] == 0
    assert main(capsys, "aliases", "add", "status", "Realizuar", "partially", "--as", "alba", db=partner_db) == (
        0, "Saved mapping #1: 'Realizuar' (status) → 'partially'. Every later import reads it so.\n", "")
    assert main(capsys, "aliases", "add", "status", "Bërë", "fully", db=partner_db)[0] == 0
    assert main(capsys, "aliases", "remove", "1", "--as", "ana", db=partner_db) == (
        0, "Mapping #1 removed: later imports no longer use it.\n", "")

    assert [(row["id"], row["imported_by"]) for row in history(partner_db)[:2]] == [(first + 1, OS_USER),
                                                                                   (first, "alba")]
    with Database(partner_db).reading() as con:
        logged = store.audit_rows(con).iloc[::-1].iloc[already:]
        mappings = con.execute("SELECT id, added_by, removed_by FROM aliases ORDER BY id").fetchall()
    assert [(r.who, None if pd.isna(r.address) else r.address, r.action, r.target) for r in logged.itertuples()] == [
        ("alba", VIA_CLI, "import", str(first)),
        (OS_USER, None, "import", str(first + 1)),
        ("alba", VIA_CLI, "mapping_add", "1"),
        (OS_USER, None, "mapping_add", "2"),
        ("ana", VIA_CLI, "mapping_remove", "1"),
    ]
    assert mappings == [(1, "alba", "ana"), (2, OS_USER, None)]


@pytest.mark.parametrize(("args", "stderr"), [
    (("aliases", "add", "status", "Realizuar", "partially", "--as", "dona"),
     "Error: dona (donor) may not save mappings.\n"),
    (("aliases", "remove", "1", "--as", "dona"), "Error: dona (donor) may not save mappings.\n"),
    (("aliases", "add", "status", "Realizuar", "partially", "--as", "nobody"),
     "Error: There is no user 'nobody'. See 'users list'.\n"),
], ids=["donor adds", "donor removes", "unknown user"])
def test_a_mapping_on_behalf_of_someone_who_may_not_save_one_is_refused(partner_db, capsys, args, stderr):
    log = audit(partner_db)
    assert main(capsys, *args, db=partner_db) == (1, "", stderr)
    assert audit(partner_db) == log


# ── the role and the municipalities before the duplicate check ─────────────────────────────

@pytest.fixture
def durres_partner(partner_db: Path) -> Path:
    """partner_db with a partner for Durrës (drini) too."""
    accounts.add(Database(partner_db), "drini", "partner", ["Durrës"], PASSWORD, by=cli_viewer())
    return partner_db


def test_a_partner_sending_another_partners_stored_file_learns_nothing_about_it(durres_partner, tmp_path, capsys):
    path = durres_english(tmp_path)
    unseen = {dry: main(capsys, "import", str(path), "--as", "alba", *dry, db=durres_partner)
              for dry in ((), ("--dry-run",))}
    assert unseen[()][0] == 1
    assert unseen[()][1].splitlines()[:2] == [
        f"✖ {path}: refused, nothing stored (2 problems)",
        "  ✖ sheet 'durres_activities.csv', row 2: "
        + t("problem.not_your_municipality", "en", value="Durrës", yours="Tiranë")]
    assert main(capsys, "import", str(path), "--as", "drini", db=durres_partner)[0] == 0
    imports, log = history(durres_partner), audit(durres_partner)

    for dry, before in unseen.items():  # word for word what it was told before the file was stored
        assert main(capsys, "import", str(path), "--as", "alba", *dry, db=durres_partner) == before
    assert (history(durres_partner), audit(durres_partner)) == (imports, log)


@pytest.mark.parametrize("acting", [("--as", "drini"), ("--as", "ana"), ()],
                         ids=["the partner who sent it", "a coordinator", "the system user"])
def test_the_same_file_again_from_its_partner_or_a_coordinator_is_already_stored(durres_partner, tmp_path, capsys,
                                                                                acting):
    path = durres_english(tmp_path)
    import_id = next_import_id(durres_partner)
    assert main(capsys, "import", str(path), "--as", "drini", db=durres_partner)[0] == 0
    assert main(capsys, "import", str(path), *acting, db=durres_partner) == (
        0, f"= {path}: already stored as import #{import_id}; nothing new stored\n", "")


@pytest.mark.parametrize("dry_run", [(), ("--dry-run",)], ids=["import", "dry run"])
def test_a_donors_import_is_refused_by_role_even_for_a_file_already_stored(partner_db, tmp_path, capsys, dry_run):
    path = tirane_march(tmp_path)
    assert main(capsys, "import", str(path), db=partner_db)[0] == 0
    imports, log = history(partner_db), audit(partner_db)
    assert main(capsys, "import", str(path), "--as", "dona", *dry_run, db=partner_db) == (
        1, "", "Error: dona (donor) may not store files. Ask a coordinator.\n")
    assert (history(partner_db), audit(partner_db)) == (imports, log)
