"""Command line: python -m pop_analytics import|kpis|report|history|undo|approve|reject|users|audit|aliases|
demo|template|backup|restore|migrate.

The command line is the machine owner's tool and acts as a coordinator (import --as acts for a
user, with that user's role and municipalities). Read commands open the database read-only and
never migrate it; write commands wait (bounded) for the one write lock that every process shares
(pop_analytics.database)."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import accounts, aliases, approval, demo, filters, importing, kpis, present, report, store, template
from .access import Viewer, cli_viewer
from .aliases import AliasRefused
from .database import Database
from .errors import DatabaseProblem, PopError, Refusal, ReportRefused, UndoRefused, UnknownFilterValue, UserRefused
from .i18n import t
from .reference import cycles
from .scope import DONOR_SIGHT, EVERYTHING
from .settings import DB_ENV_VAR, LANGUAGES


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _located(p, lang: str) -> str:
    parts = [f"{t('cli.sheet', lang)} '{p.sheet}'" if p.sheet else "", f"{t('cli.row', lang)} {p.row}" if p.row else "",
             f"{t('cli.column', lang)} '{p.column}'" if p.column else ""]
    where = ", ".join(w for w in parts if w)
    return f"{where}: {p.message(lang)}" if where else p.message(lang)


def _print_report(report: importing.ImportReport, lang: str) -> None:
    kinds = " + ".join(t(f"kind.{kind}", lang) for kind in report.kind.split("+")) if report.kind else ""
    print(t(f"cli.import.{report.status}", lang, file=report.file, kind=kinds,
            rows=present.rows_phrase(report.rows, lang), import_id=report.import_id or "",
            problems=present.problems_phrase(report.problem_count, lang)))
    if report.review == "submitted":
        print(t("cli.import.submitted", lang, import_id=report.import_id))
    for p in report.errors:
        print("  ✖ " + _located(p, lang))
    for p in report.warnings:
        print("  ! " + _located(p, lang))


def cmd_import(args) -> int:
    db = Database(args.db)
    if not db.path.exists() or not args.dry_run:  # made (even if no file gets in), or brought forward
        db.ensure()
    by = _acting_for(db, args.as_user) if args.as_user else None
    reports = [importing.import_path(db, path, who=args.who, dry_run=args.dry_run, by=by) for path in args.files]
    if args.json:
        _print_json([r.as_dict(args.lang) for r in reports])
    else:
        for found in reports:
            _print_report(found, args.lang)
    return 1 if any(r.status == "refused" for r in reports) else 0


def _acting_for(db: Database, name: str) -> Viewer:
    """import --as NAME: the user's role and municipalities apply, as if they uploaded it."""
    with db.reading() as con:
        found = store.user(con, name)
    if found is None:
        raise UserRefused("unknown", name=name)
    municipalities = tuple(found["municipalities"]) if found["role"] == "partner" else None
    return Viewer(name=found["name"], role=found["role"], municipalities=municipalities, how="cli")


def cmd_kpis(args) -> int:
    chosen = filters.resolve(municipality=args.municipality, year=args.year, theme=args.theme, cycle=args.cycle)
    with Database(args.db).reading(sight=DONOR_SIGHT if args.approved_only else EVERYTHING) as con:
        result = kpis.kpis(con, chosen)
    if args.json:
        _print_json(result)
        return 0
    p, a = result["priorities"], result["activities"]
    print(t("cli.kpis.priorities", args.lang, **{k: ("–" if v is None else v) for k, v in p.items()}))
    print(t("cli.kpis.activities", args.lang, **{k: ("–" if v is None else v) for k, v in a.items() if k != "by_type"}))
    for row in result["by_municipality"]:
        print(f"  {row['municipality']:<16} {row['events']:>6} {row['participants']:>8} {row['priorities']:>5} "
              f"{'–' if row['addressed_pct'] is None else row['addressed_pct']:>6}")
    return 0


def cmd_report(args) -> int:
    """The KPI report for the filters, as a PDF or a workbook, approved data only unless asked."""
    chosen = filters.resolve(municipality=args.municipality, year=args.year, theme=args.theme, cycle=args.cycle)
    if args.out.is_dir():
        raise ReportRefused("not_a_file", path=str(args.out))
    fmt = args.format or args.out.suffix.lower().lstrip(".")
    if fmt not in report.FORMATS:
        raise ReportRefused("format", value=fmt or args.out.name)
    lang = args.report_lang or args.lang
    with Database(args.db).reading(sight=EVERYTHING if args.include_submitted else DONOR_SIGHT) as con:
        built = report.build(con, chosen, lang, generated_by=cli_viewer().name)
    written = report.write(built, fmt, args.out)
    print(t("cli.report.done", args.lang, path=args.out, size=present.number(written, args.lang)))
    return 0


def _print_rows(frame, args, empty_key: str, hidden: tuple[str, ...] = ()) -> int:
    """A listing: JSON records, or a plain table (a sentence when it is empty)."""
    if args.json:  # a missing value is null, never NaN or NaT, which JSON has no word for
        _print_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))
    elif frame.empty:
        print(t(empty_key, args.lang))
    else:
        print(frame.drop(columns=list(hidden)).to_string(index=False))
    return 0


def cmd_history(args) -> int:
    with Database(args.db).reading() as con:
        frame = store.history(con)
    return _print_rows(frame, args, "cli.history.empty", hidden=("sha256",))


def cmd_undo(args) -> int:
    removed = approval.undo(Database(args.db), args.import_id, cli_viewer())
    print(t("cli.undo.done", args.lang, import_id=args.import_id,
            removed=present.removed_phrase(sum(removed.values()), args.lang)))
    return 0


def cmd_approve(args) -> int:
    approval.approve(Database(args.db), args.import_id, cli_viewer(), args.comment)
    print(t("cli.approve.done", args.lang, import_id=args.import_id))
    return 0


def cmd_reject(args) -> int:
    removed = approval.reject(Database(args.db), args.import_id, cli_viewer(), args.comment)
    print(t("cli.reject.done", args.lang, import_id=args.import_id,
            removed=present.removed_phrase(sum(removed.values()), args.lang)))
    return 0


def _new_password(lang: str) -> str:
    """From standard input when it is not a terminal (scripts, tests): its first line. At a
    terminal: asked twice, not echoed."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(t("cli.users.password", lang))
    if getpass.getpass(t("cli.users.password_again", lang)) != first:
        raise UserRefused("passwords_differ")
    return first


def cmd_users_add(args) -> int:
    db = Database(args.db)
    db.ensure()
    name = accounts.add(db, args.name, args.role, args.municipality, _new_password(args.lang), cli_viewer())
    print(t("cli.users.added", args.lang, name=name, role=t(f"role.{args.role.strip().lower()}", args.lang)))
    return 0


def cmd_users_list(args) -> int:
    frame = accounts.listed(Database(args.db))
    frame["municipalities"] = [", ".join(m) for m in frame["municipalities"]]
    return _print_rows(frame, args, "cli.users.none")


def cmd_users_passwd(args) -> int:
    accounts.change_password(Database(args.db), args.name, _new_password(args.lang), cli_viewer())
    print(t("cli.users.password_changed", args.lang, name=args.name))
    return 0


def cmd_users_remove(args) -> int:
    accounts.remove(Database(args.db), args.name, cli_viewer())
    print(t("cli.users.removed", args.lang, name=args.name))
    return 0


def cmd_audit(args) -> int:
    with Database(args.db).reading() as con:
        frame = store.audit_rows(con)
    return _print_rows(frame, args, "cli.audit.empty")


def cmd_aliases_add(args) -> int:
    db = Database(args.db)
    db.ensure()
    with db.writing() as con:
        saved = aliases.add(con, args.vocabulary, args.value, args.key, who=args.who, why=args.why)
    print(t("aliases.added", args.lang, id=saved.id, value=saved.value, vocabulary=saved.vocabulary, term=saved.key))
    return 0


def cmd_aliases_list(args) -> int:
    with Database(args.db).reading() as con:
        frame = aliases.listed(con)
    return _print_rows(frame, args, "aliases.none")


def cmd_aliases_remove(args) -> int:
    with Database(args.db).writing() as con:
        aliases.remove(con, args.alias_id, who=args.who)
    print(t("aliases.removed", args.lang, id=args.alias_id))
    return 0


def cmd_demo(args) -> int:
    reports = demo.load(Database(args.db))
    for loaded in reports:
        _print_report(loaded, args.lang)
    return 1 if any(r.status == "refused" for r in reports) else 0


def cmd_backup(args) -> int:
    summary = Database(args.db).backup(args.out)
    print(t("cli.backup.done", args.lang, path=args.out, **summary))
    return 0


def cmd_restore(args) -> int:
    summary, aside = Database(args.db).restore(args.backup)
    print(t("cli.restore.done", args.lang, path=args.backup, **summary))
    if aside is not None:
        print(t("cli.restore.kept", args.lang, path=aside))
    return 0


def cmd_migrate(args) -> int:
    db = Database(args.db)
    db.ensure()
    print(t("cli.migrate.done", args.lang, name=db.name, version=store.SCHEMA_VERSION))
    return 0


def cmd_template(args) -> int:
    template.write(args.out)
    print(t("cli.template.done", args.lang, path=args.out))
    return 0


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=f"database file (default: ${DB_ENV_VAR} or data/pop.duckdb)")
    common.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help="language of messages (default en)")
    main = argparse.ArgumentParser(prog="python -m pop_analytics", parents=[common],
                                   description="POP Analytics: import partners' sheets, compute KPIs.")
    commands = main.add_subparsers(dest="command", required=True)

    p = commands.add_parser("import", parents=[common], help="validate and store .xlsx/.csv files")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--dry-run", action="store_true", help="validate only; store nothing")
    p.add_argument("--json", action="store_true", help="print one JSON object per file")
    p.add_argument("--who", default=None, help="name recorded with the import (default: the system user)")
    p.add_argument("--as", dest="as_user", default=None, metavar="NAME",
                   help="import on behalf of a user: their role and municipalities apply (a partner's arrives submitted)")
    p.set_defaults(run=cmd_import)

    p = commands.add_parser("kpis", parents=[common], help="print the KPI object for the filters")
    p.add_argument("--municipality", action="append", default=[], help="any spelling; repeatable or comma-separated")
    p.add_argument("--year", action="append", default=[], help="monitoring / calendar year; repeatable")
    p.add_argument("--theme", action="append", default=[], help="theme key or label; repeatable")
    p.add_argument("--cycle", default=None, help="contract cycle, e.g. 2019-2023")
    p.add_argument("--approved-only", action="store_true", help="count approved imports only, as donors see them")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_kpis)

    p = commands.add_parser("report", parents=[common], help="write the KPI report (PDF or Excel) for the filters")
    p.add_argument("--municipality", action="append", default=[], help="any spelling; repeatable or comma-separated")
    p.add_argument("--year", action="append", default=[], help="monitoring / calendar year; repeatable")
    p.add_argument("--theme", action="append", default=[], help="theme key or label; repeatable")
    p.add_argument("--cycle", default=None, help="contract cycle, e.g. 2019-2023")
    p.add_argument("--format", choices=report.FORMATS, default=None, help="pdf or xlsx (default: from OUT's extension)")
    p.add_argument("--report-lang", choices=LANGUAGES, default=None, dest="report_lang",
                   help="language of the report (default: --lang)")
    p.add_argument("--include-submitted", action="store_true",
                   help="count imports awaiting review too (the report says so on its first page)")
    p.add_argument("out", type=Path)
    p.set_defaults(run=cmd_report)

    p = commands.add_parser("history", parents=[common], help="list imports")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_history)

    p = commands.add_parser("undo", parents=[common], help="restore the state before an import")
    p.add_argument("import_id", type=int)
    p.set_defaults(run=cmd_undo)

    p = commands.add_parser("approve", parents=[common], help="approve a submitted import: donors see it from now on")
    p.add_argument("import_id", type=int, metavar="ID")
    p.add_argument("--comment", default=None)
    p.set_defaults(run=cmd_approve)

    p = commands.add_parser("reject", parents=[common], help="reject a submitted import: its rows go, as with undo")
    p.add_argument("import_id", type=int, metavar="ID")
    p.add_argument("--comment", required=True, help="what the partner should fix (they read it)")
    p.set_defaults(run=cmd_reject)

    p = commands.add_parser("users", parents=[common], help="the dashboard's users")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("add", parents=[common], help="add a user (password from standard input when piped)")
    a.add_argument("name")
    a.add_argument("--role", required=True, help="coordinator, partner or donor")
    a.add_argument("--municipality", action="append", default=[], help="a partner's municipality; repeatable")
    a.set_defaults(run=cmd_users_add)
    a = actions.add_parser("list", parents=[common], help="list the users")
    a.add_argument("--json", action="store_true")
    a.set_defaults(run=cmd_users_list)
    a = actions.add_parser("passwd", parents=[common], help="set a user's password (their sessions end)")
    a.add_argument("name")
    a.set_defaults(run=cmd_users_passwd)
    a = actions.add_parser("remove", parents=[common], help="remove a user (their sessions end)")
    a.add_argument("name")
    a.set_defaults(run=cmd_users_remove)

    p = commands.add_parser("audit", parents=[common], help="print the audit log, newest first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_audit)

    p = commands.add_parser("aliases", parents=[common], help="saved mappings of spellings to terms and columns")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("add", parents=[common], help="read VALUE as KEY in every later import")
    a.add_argument("vocabulary", help="municipality, theme, activity_type, status, indicator, cycle or column.<kind>")
    a.add_argument("value", help="the spelling as partners write it")
    a.add_argument("key", help="the term's key (or label), or the column's field name")
    a.add_argument("--why", default=None, help="reason recorded with the mapping")
    a.add_argument("--who", default=None, help="name recorded with the mapping (default: the system user)")
    a.set_defaults(run=cmd_aliases_add)
    a = actions.add_parser("list", parents=[common], help="list the mappings in use")
    a.add_argument("--json", action="store_true")
    a.set_defaults(run=cmd_aliases_list)
    a = actions.add_parser("remove", parents=[common], help="stop using a mapping (it stays on record)")
    a.add_argument("alias_id", type=int, metavar="ID")
    a.add_argument("--who", default=None, help="name recorded with the removal (default: the system user)")
    a.set_defaults(run=cmd_aliases_remove)

    p = commands.add_parser("demo", parents=[common], help="load the demo data set")
    p.set_defaults(run=cmd_demo)

    p = commands.add_parser("backup", parents=[common], help="write a consistent copy of the database (safe while the app runs)")
    p.add_argument("out", type=Path)
    p.set_defaults(run=cmd_backup)

    p = commands.add_parser("restore", parents=[common],
                            help="replace the database by a backup; the replaced file is kept aside")
    p.add_argument("backup", type=Path)
    p.set_defaults(run=cmd_restore)

    p = commands.add_parser("migrate", parents=[common], help="create the database or bring an older one forward")
    p.set_defaults(run=cmd_migrate)

    p = commands.add_parser("template", parents=[common], help="write the partners' Excel template")
    p.add_argument("out", type=Path)
    p.set_defaults(run=cmd_template)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.db = getattr(args, "db", None)
    args.lang = getattr(args, "lang", "en")
    try:
        return args.run(args)
    except BrokenPipeError:  # the reader of the output went away (`| head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except UnknownFilterValue as unknown:
        hint = t("cli.did_you_mean", args.lang, suggestion=filters.suggestion_label(unknown.kind, unknown.suggestion,
                                                                           args.lang)) if unknown.suggestion else ""
        message = t(f"cli.unknown.{unknown.kind}", args.lang, value=unknown.value, known=", ".join(cycles()))
        print(f"{t('cli.error', args.lang)}: {message}{hint}", file=sys.stderr)
        return 1
    except (UndoRefused, DatabaseProblem, AliasRefused, Refusal) as refused:
        print(f"{t('cli.error', args.lang)}: {refused.message(args.lang)}", file=sys.stderr)
        return 1
    except PopError as error:
        print(f"{t('cli.error', args.lang)}: {error}", file=sys.stderr)
        return 1
