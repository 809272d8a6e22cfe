"""The calendar's commands, run in process (conftest.run_cli): `schedule` shown, set and refused,
`reporting` with the exact rates of test_reporting's story, `users mail`, and `notify` while e-mail
is off. The story's periods are of 2024, all past their deadlines on the day the tests run."""
from __future__ import annotations

import getpass
import shutil
from pathlib import Path

import pytest
from conftest import cli_json, run_cli
from test_reporting import story_db, tell_story  # noqa: F401 (a fixture)

from pop_analytics import access
from pop_analytics.database import Database
from pop_analytics.i18n import t
from pop_analytics.stores import open_database

THREE = "Berat,Durrës,Tiranë"
MAIL_OFF = {"POP_SMTP_URL": "", "POP_BASE_URL": ""}


@pytest.fixture
def story_copy(story_db, tmp_path) -> Path:  # noqa: F811
    return Path(shutil.copy(story_db[0], tmp_path / "pop.duckdb"))


def _schedule_lines(lang: str, activities: tuple[str, int], priorities: tuple[str, int]) -> str:
    return "".join(t("cli.schedule.line", lang, kind=t(f"reporting.kind.{kind}", lang),
                     frequency=t(f"reporting.frequency.{frequency}", lang), days=days) + "\n"
                   for kind, (frequency, days) in (("activities", activities), ("priorities", priorities)))


# ── schedule ─────────────────────────────────────────────────────────────────────────────────

def test_schedule_shows_the_defaults_in_each_language(story_copy):
    english, albanian = run_cli("schedule", db=story_copy), run_cli("--lang", "sq", "schedule", db=story_copy)
    assert (english.returncode, english.stderr, albanian.returncode, albanian.stderr) == (0, "", 0, "")
    assert english.stdout == ("activities: monthly, due 10 days after each period ends.\n"
                              "priority monitoring: yearly, due 31 days after each period ends.\n")
    assert albanian.stdout == ("aktivitetet: çdo muaj, me afat 10 ditë pas mbarimit të çdo periudhe.\n"
                               "monitorimi i prioriteteve: çdo vit, me afat 31 ditë pas mbarimit të çdo periudhe.\n")


def test_schedule_sets_a_kind_keeps_what_is_not_given_and_the_audit_log_says_who(tmp_path):
    db = tmp_path / "new.duckdb"  # a database that does not exist yet is made
    first = run_cli("schedule", "activities", "--every", "quarterly", "--deadline-days", "15", db=db)
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == _schedule_lines("en", ("quarterly", 15), ("yearly", 31))
    kept = run_cli("schedule", "activities", "--deadline-days", "20", db=db)  # the frequency stays
    assert kept.stdout == _schedule_lines("en", ("quarterly", 20), ("yearly", 31))
    run_cli("schedule", "priorities", "--every", "off", db=db)  # the deadline stays
    shown = cli_json(run_cli("schedule", "--json", db=db))
    assert [{k: v for k, v in s.items() if k != "set_at"} for s in shown] == [
        {"kind": "activities", "frequency": "quarterly", "deadline_days": 20, "set_by": getpass.getuser()},
        {"kind": "priorities", "frequency": "off", "deadline_days": 31, "set_by": getpass.getuser()}]
    assert all(s["set_at"] for s in shown)
    log = [(r["who"], r["action"], r["target"], r["detail"]) for r in cli_json(run_cli("audit", "--json", db=db))
           if r["action"] == "schedule_set"]
    assert log == [
        (getpass.getuser(), "schedule_set", "priorities", '{"deadline_days": 31, "frequency": "off"}'),
        (getpass.getuser(), "schedule_set", "activities", '{"deadline_days": 20, "frequency": "quarterly"}'),
        (getpass.getuser(), "schedule_set", "activities", '{"deadline_days": 15, "frequency": "quarterly"}')]


REFUSED = {  # (arguments, en sentence, sq sentence)
    "an unknown kind": (("figures", "--every", "monthly"),
                        "'figures' is not a kind of sheet partners report. Choose one of: activities, priorities.",
                        "'figures' nuk është lloj flete që partnerët raportojnë. Zgjidhni një nga: activities, "
                        "priorities."),
    "priorities monthly": (("priorities", "--every", "monthly"),
                           "priorities cannot be reported 'monthly'. Choose one of: yearly, off.",
                           "priorities nuk mund të raportohen 'monthly'. Zgjidhni një nga: yearly, off."),
    "weekly": (("activities", "--every", "weekly"),
               "activities cannot be reported 'weekly'. Choose one of: monthly, quarterly, yearly, off.",
               "activities nuk mund të raportohen 'weekly'. Zgjidhni një nga: monthly, quarterly, yearly, off."),
    "a negative deadline": (("activities", "--deadline-days", "-1"),
                            "A deadline of -1 days cannot be set: give 0 to 366 days after the period ends.",
                            "Afati prej -1 ditësh nuk mund të vendoset: jepni nga 0 deri në 366 ditë pas mbarimit "
                            "të periudhës."),
    "more than a year": (("activities", "--every", "yearly", "--deadline-days", "367"),
                         "A deadline of 367 days cannot be set: give 0 to 366 days after the period ends.",
                         "Afati prej 367 ditësh nuk mund të vendoset: jepni nga 0 deri në 366 ditë pas mbarimit "
                         "të periudhës."),
}


@pytest.mark.parametrize("case", REFUSED)
def test_schedule_refuses_what_cannot_be_with_a_sentence_and_exit_code_1(story_copy, case):
    arguments, en, sq = REFUSED[case]
    english = run_cli("schedule", *arguments, db=story_copy)
    albanian = run_cli("--lang", "sq", "schedule", *arguments, db=story_copy)
    assert (english.returncode, english.stdout, english.stderr) == (1, "", f"Error: {en}\n")
    assert (albanian.returncode, albanian.stdout, albanian.stderr) == (1, "", f"Gabim: {sq}\n")
    assert run_cli("schedule", db=story_copy).stdout == _schedule_lines("en", ("monthly", 10), ("yearly", 31))


def test_schedule_with_a_word_argparse_does_not_know_is_a_usage_error(story_copy):
    assert run_cli("schedule", "activities", "--deadline-days", "ten", db=story_copy).returncode == 2


def test_schedule_of_a_database_that_does_not_exist_says_so(tmp_path):
    shown = run_cli("schedule", db=tmp_path / "none.duckdb")
    assert shown.returncode == 1 and shown.stderr.startswith("Error: There is no database none.duckdb yet.")


# ── reporting ────────────────────────────────────────────────────────────────────────────────

def _rates(key: str, rows: list[tuple]) -> list[dict]:
    return [dict(zip([key, "expected", "reported", "on_time", "reporting_rate", "on_time_rate"], row)) for row in rows]


# Every month of 2024 is past its deadline now: each municipality is expected twelve reports.
BY_MUNICIPALITY = _rates("municipality", [("Berat", 12, 1, 0, 8.3, 0.0), ("Durrës", 12, 1, 0, 8.3, 0.0),
                                          ("Tiranë", 12, 3, 3, 25.0, 25.0)])
BY_PERIOD = _rates("period", [("2024-01", 3, 3, 1, 100.0, 33.3), ("2024-02", 3, 1, 1, 33.3, 33.3),
                              ("2024-03", 3, 1, 1, 33.3, 33.3)]
                   + [(f"2024-{month:02d}", 3, 0, 0, 0.0, 0.0) for month in range(4, 13)])
PRIORITIES = _rates("municipality", [("Berat", 3, 1, 0, 33.3, 0.0), ("Durrës", 3, 0, 0, 0.0, 0.0),
                                     ("Tiranë", 3, 2, 1, 66.7, 33.3)])


@pytest.mark.parametrize(("arguments", "expected"), [
    ((), BY_MUNICIPALITY),
    (("--by", "period"), BY_PERIOD),
    (("--kind", "priorities", "--year", "2022-2023"), PRIORITIES),
], ids=["by municipality", "by period", "priorities"])
def test_reporting_json_gives_the_hand_worked_rates(story_db, arguments, expected):  # noqa: F811
    found = run_cli("reporting", "--json", "--year", "2024", "--municipality", THREE, *arguments, db=story_db[0])
    assert cli_json(found) == expected


def test_reporting_cells_json_names_each_import_and_when_it_came(story_db):  # noqa: F811
    path, ids = story_db
    cells = cli_json(run_cli("reporting", "--json", "--cells", "--year", "2024", "--municipality", "Berat", db=path))
    assert [(c["period"], c["due"], c["reporting_status"], c["import_id"], c["submitted_at"]) for c in cells[:5]] == [
        ("2024-01", "2024-02-10", "late", ids["berat_jan"], "2024-02-15 11:00:00"),
        ("2024-02", "2024-03-10", "awaiting_review", ids["berat_feb"], "2024-03-01 12:00:00"),
        ("2024-03", "2024-04-10", "rejected", ids["berat_mar"], "2024-04-02 12:00:00"),
        ("2024-04", "2024-05-10", "missing", None, None),
        ("2024-05", "2024-06-10", "missing", None, None)]
    assert len(cells) == 12


def test_reporting_as_a_table_and_when_nobody_is_expected(story_db):  # noqa: F811
    table = run_cli("reporting", "--year", "2024", "--municipality", "Tiranë", db=story_db[0])
    assert table.returncode == 0
    assert table.stdout.split("\n")[1].split() == ["Tiranë", "12", "3", "3", "25.0", "25.0"]
    nobody = run_cli("--lang", "sq", "reporting", "--year", "2024", "--municipality", "Mat", db=story_db[0])
    assert (nobody.returncode, nobody.stdout) == (0, "Asnjë bashki nuk pritet të raportojë në këto periudha.\n")


def test_reporting_of_an_unknown_municipality_is_a_sentence(story_db):  # noqa: F811
    found = run_cli("reporting", "--municipality", "Gotham", db=story_db[0])
    assert found.returncode == 1 and found.stderr.startswith("Error: ") and "Gotham" in found.stderr


def test_reporting_json_is_the_same_from_postgresql(tmp_path, new_postgres):
    url = new_postgres(demo=False)
    tell_story(open_database(url), tmp_path)
    assert cli_json(run_cli("reporting", "--json", "--year", "2024", "--municipality", THREE, db=url)) == (
        BY_MUNICIPALITY)
    assert cli_json(run_cli("reporting", "--json", "--year", "2024", "--municipality", THREE, "--by", "period",
                            db=url)) == BY_PERIOD


# ── users mail ───────────────────────────────────────────────────────────────────────────────

def test_users_mail_sets_an_address_a_language_and_cadences(story_copy):
    found = run_cli("users", "mail", "arta", "--email", "arta@example.org", "--language", "en",
                    "--set", "rejected=daily", "--set", " overdue = never ", db=story_copy)
    assert (found.returncode, found.stderr) == (0, "")
    assert found.stdout == ("arta: arta@example.org, messages in English.\n"
                            "  approved: immediately\n  rejected: daily\n  deadline_soon: immediately\n"
                            "  overdue: never\n")
    assert cli_json(run_cli("users", "mail", "arta", "--no-email", "--json", db=story_copy)) == {
        "name": "arta", "email": None, "language": "en",
        "cadences": {"approved": "immediately", "rejected": "daily", "deadline_soon": "immediately",
                     "overdue": "never"}}
    albanian = run_cli("--lang", "sq", "users", "mail", "donika", db=story_copy)
    assert albanian.stdout == "donika: pa e-mail, mesazhet në Shqip.\n  summary_ready: immediately\n"


@pytest.mark.parametrize(("arguments", "sentence"), [
    (("arta", "--email", "arta"), "'arta' is not an e-mail address. Write it as name@example.org."),
    (("arta", "--set", "rejected"), "'rejected' is not KIND=CADENCE (e.g. rejected=immediately)."),
    (("arta", "--set", "review_waiting=daily"), "'review_waiting' is not a kind of message this user gets. "
                                                "Choose one of: approved, rejected, deadline_soon, overdue."),
    (("besa", "--set", "partners_late=monthly"), "'monthly' is not how often a message can come. "
                                                 "Choose one of: immediately, daily, weekly, never."),
    (("nobody", "--language", "en"), "There is no user 'nobody'."),
], ids=["an address", "no cadence", "a kind not heard", "a cadence", "no such user"])
def test_users_mail_refuses_with_a_sentence(story_copy, arguments, sentence):
    found = run_cli("users", "mail", *arguments, db=story_copy)
    assert (found.returncode, found.stdout, found.stderr) == (1, "", f"Error: {sentence}\n")


# ── notify ───────────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("lang", ["en", "sq"])
def test_notify_without_a_mail_server_says_e_mail_is_off_and_queues_nothing(story_copy, lang):
    found = run_cli("--lang", lang, "notify", db=story_copy, env=MAIL_OFF)
    assert (found.returncode, found.stdout) == (1, "")
    assert found.stderr == f"{t('cli.error', lang)}: {t('mail.problem.off', lang)}\n"
    with Database(story_copy).reading() as con:
        assert con.execute("SELECT count(*) FROM messages").fetchone() == (0,)


def test_notify_with_a_password_in_the_server_address_never_prints_it(story_copy):
    found = run_cli("notify", "--json", db=story_copy,
                    env={"POP_SMTP_URL": "smtp://pop:s3cret-Pa55@mail.example.org", "POP_BASE_URL": "https://x.org"})
    assert (found.returncode, found.stdout) == (1, "")
    assert found.stderr == f"Error: {t('mail.problem.credentials_in_url', 'en')}\n"
    assert "s3cret" not in found.stderr


def test_the_command_line_acts_as_a_coordinator_who_may_set_the_schedule():
    assert access.cli_viewer().may("set_schedule")
