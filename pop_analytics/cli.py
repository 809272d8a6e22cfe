"""Command line: python -m pop_analytics import|kpis|report|publish|history|show|undo|approve|reject|users|
tokens|audit|aliases|demo|template|backup|restore|copy-db|migrate|schedule|reporting|notify.

The command line is the machine owner's tool and acts as a coordinator under the system user's
name (import and aliases take --as to act for a user, with that user's role and municipalities; the
system user is recorded with it). Text from files and the database is printed escaped (escaped()).
Read commands open the database read-only and
never migrate it; write commands wait (bounded) for the one write lock that every process shares
(pop_analytics.database)."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import accounts, aliases, approval, demo, filters, importing, kpis, present, review, store, template
from .access import Viewer, cli_viewer, require
from .aliases import AliasRefused
from .database import Database
from .errors import (
    DatabaseProblem,
    PopError,
    Problem,
    Refusal,
    ReportRefused,
    ReviewRefused,
    UndoRefused,
    UnknownFilterValue,
    UserRefused,
)
from .i18n import t
from .report_content import FORMATS
from .scope import DONOR_SIGHT, EVERYTHING
from .settings import DB_ENV_VAR, LANGUAGES
from .stores import open_database

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

# A command: what it does with the parsed arguments, and its exit code.
Command = Callable[[argparse.Namespace], int]

# What a terminal acts on or hides instead of showing: control characters (C0, DEL, C1), format
# marks (bidi overrides such as U+202E, zero-width ones) and line or paragraph separators.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _spelled_out(text: str, spell: Callable[[str], str]) -> str:
    """text with each hidden character replaced by spell(character)."""
    if text.isprintable():
        return text
    return text.translate({ord(c): spell(c) for c in set(text) if unicodedata.category(c) in _HIDDEN})


def escaped(text: str) -> str:
    """Text from a file or the database as the terminal should show it: every hidden character
    written out as Python writes it (ESC as \\x1b, a tab as \\t, U+202E as \\u202e), so a file name
    cannot clear the screen, move the cursor or reverse what follows it."""
    return _spelled_out(text, lambda c: repr(c)[1:-1])


def _json_escape(c: str) -> str:
    """A character as a JSON \\u escape (a surrogate pair beyond the first plane)."""
    if ord(c) < 0x10000:
        return f"\\u{ord(c):04x}"
    high, low = divmod(ord(c) - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


def _say(text: str) -> None:
    """Every line the command line prints goes through here (the catalogue's own sentences hold no
    hidden characters, so escaping the whole line escapes exactly the values in it)."""
    print(escaped(text))


def _print_json(value: object) -> None:
    """JSON escapes the control characters below U+0020 itself; DEL, C1 and format marks would pass
    raw with ensure_ascii=False, so they are written as \\u escapes too (the same text once parsed)."""
    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    print(_spelled_out(text, lambda c: _json_escape(c) if ord(c) >= 0x7F else c))


def _located(p: Problem, lang: str) -> str:
    parts = [f"{t('cli.sheet', lang)} '{p.sheet}'" if p.sheet else "", f"{t('cli.row', lang)} {p.row}" if p.row else "",
             f"{t('cli.column', lang)} '{p.column}'" if p.column else ""]
    where = ", ".join(w for w in parts if w)
    return f"{where}: {p.message(lang)}" if where else p.message(lang)


def _print_report(report: importing.ImportReport, lang: str) -> None:
    kinds = " + ".join(t(f"kind.{kind}", lang) for kind in report.kind.split("+")) if report.kind else ""
    _say(t(f"cli.import.{report.status}", lang, file=report.file, kind=kinds,
           rows=present.rows_phrase(report.rows, lang), import_id=report.import_id or "",
           problems=present.problems_phrase(report.problem_count, lang)))
    if report.review == "submitted":
        _say(t("cli.import.submitted", lang, import_id=report.import_id))
    for p in report.errors:
        _say("  ✖ " + _located(p, lang))
    for p in report.warnings:
        _say("  ! " + _located(p, lang))


def cmd_import(args: argparse.Namespace) -> int:
    # the database is made (even if no file gets in), or brought forward, unless a dry run reads one
    db, by = _writer(args, make=not args.dry_run or not open_database(args.db).exists())
    mode = store.ADD_MODE if args.add else store.REPLACE_MODE
    reports = [importing.import_path(db, path, dry_run=args.dry_run, by=by, mode=mode) for path in args.files]
    # A dry run says what storing would take out of view, found by the rule that stores.
    leaving = [importing.leaving(db, r, mode) if args.dry_run and r.status == "valid" else {} for r in reports]
    if args.json:
        _print_json([{**r.as_dict(args.lang), **({"leaving": _leaving_records(gone)} if args.dry_run else {})}
                     for r, gone in zip(reports, leaving)])
    else:
        for found, gone in zip(reports, leaving):
            _print_report(found, args.lang)
            _print_leaving(found, gone, args)
    return 1 if any(r.status == "refused" for r in reports) else 0


def _print_leaving(report: importing.ImportReport, leaving: dict, args: argparse.Namespace) -> None:
    if report.status == "imported" and report.mode == store.ADD_MODE:
        _say(t("cli.import.added", args.lang))
    if not args.dry_run or report.status != "valid":
        return
    lines = review.leaving_lines(leaving, args.lang)
    _say(t("cli.import.leaves" if lines else "cli.import.leaves_none", args.lang))
    for line in lines:
        _say("    − " + line)


def _leaving_records(leaving: dict) -> list[dict]:
    """The rows that would leave view, one JSON object each, its table named."""
    return [{"table": name, **row} for name, frame in leaving.items() for row in _records(frame)]


class CommandRefused(Refusal):
    """A command line that is not accepted as given: reason names the sentence (cli.refused.<reason>)."""

    prefix = "cli.refused"


def _no_free_name(args: argparse.Namespace) -> None:
    """--who once recorded any name one typed; the command line now records who runs it."""
    if args.who is not None:
        raise CommandRefused("who", user=cli_viewer().name)


def _writer(args: argparse.Namespace, make: bool, may: str | None = None) -> tuple[Database, Viewer]:
    """The database a write acting for someone (--as) goes to, made or brought forward when make
    says so, and who it acts as, refused unless they may do what the command does."""
    _no_free_name(args)
    db = open_database(args.db)
    if make:
        db.ensure()
    by = _acting_for(db, args.as_user)
    if may is not None:
        require(by, may)
    return db, by


def _acting_for(db: Database, name: str | None) -> Viewer:
    """Who a write acts as: the system user (a coordinator), or with --as NAME that user, whose role
    and municipalities apply as if they uploaded it (the system user is recorded with it)."""
    if name is None:
        return cli_viewer()
    with db.reading() as con:
        found = store.user(con, name)
    if found is None:
        raise UserRefused("unknown", name=name)
    return cli_viewer(found)


def cmd_kpis(args: argparse.Namespace) -> int:
    chosen = _chosen(args)
    with open_database(args.db).reading(sight=DONOR_SIGHT if args.approved_only else EVERYTHING) as con:
        result = kpis.with_cycles(con, chosen)  # a share of priorities is one cycle's (kpis.cycle_views)
    if args.json:
        _print_json(result)
        return 0
    cycles = result["priorities_by_cycle"]

    def shown(value: object) -> object:
        return "–" if value is None else value
    for part in cycles:
        _say(t("cli.kpis.priorities_cycle", args.lang, cycle=part["cycle"],
               **{k: shown(v) for k, v in part["priorities"].items()}))
    if not cycles:
        _say(t("cli.kpis.no_priorities", args.lang))
    a = result["activities"]
    _say(t("cli.kpis.activities", args.lang, **{k: shown(v) for k, v in a.items() if k != "by_type"}))
    per_cycle = [{m["municipality"]: m for m in part["by_municipality"]} for part in cycles]
    for row in result["by_municipality"]:  # then, per cycle in the order above: priorities and addressed %
        line = f"  {row['municipality']:<16} {row['events']:>6} {row['participants']:>8}"
        for found in (mine.get(row["municipality"], {}) for mine in per_cycle):
            line += f" {found.get('priorities', 0):>5} {shown(found.get('addressed_pct')):>6}"
        _say(line)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The KPI report for the filters, as a PDF or a workbook, approved data only unless asked."""
    open_database(args.db).refuse_as_output(args.out)
    chosen = _chosen(args)
    if args.out.is_dir():
        raise ReportRefused("not_a_file", path=str(args.out))
    fmt = args.format or args.out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ReportRefused("format", value=fmt or args.out.name)
    lang = args.report_lang or args.lang
    from . import report  # its charts import Altair: only this command pays for it
    with open_database(args.db).reading(sight=EVERYTHING if args.include_submitted else DONOR_SIGHT) as con:
        built = report.build(con, chosen, lang, generated_by=cli_viewer().name)
    written = report.write(built, fmt, args.out)
    print(t("cli.report.done", args.lang, path=args.out, size=present.number(written, args.lang)))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """The open data package of what donors see (pop_analytics.open_data) into the folder args.out."""
    from . import open_data
    with open_database(args.db).reading(sight=DONOR_SIGHT) as con:
        package = open_data.build(con)
    open_data.write(package, args.out)
    rows = sum(len(resource.rows) for resource in package.resources)
    print(t("cli.publish.done", args.lang, path=args.out, count=len(package.resources),
            rows=present.number(rows, args.lang)))
    return 0


def _print_rows(frame: pd.DataFrame, args: argparse.Namespace, empty_key: str, hidden: tuple[str, ...] = ()) -> int:
    """A listing: JSON records, or a plain table (a sentence when it is empty)."""
    if args.json:  # a missing value is null, never NaN or NaT, which JSON has no word for
        _print_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))
    elif frame.empty:
        _say(t(empty_key, args.lang))
    else:  # each cell escaped before the table is laid out: a tab or newline in a value cannot break a row
        shown = frame.drop(columns=list(hidden)).map(lambda v: escaped(v) if isinstance(v, str) else v)
        print(shown.to_string(index=False))
    return 0


def _listing(read: Callable[[duckdb.DuckDBPyConnection], pd.DataFrame], empty_key: str,
             hidden: tuple[str, ...] = ()) -> Command:
    """A command that lists what read returns (history, audit log, mappings)."""
    def run(args: argparse.Namespace) -> int:
        with open_database(args.db).reading() as con:
            frame = read(con)
        return _print_rows(frame, args, empty_key, hidden)
    return run


def cmd_show(args: argparse.Namespace) -> int:
    """What one import holds, as a coordinator reviews it: where and when, totals per activity type,
    the warnings its check found, what approving it takes out of donors' view, and its rows."""
    with open_database(args.db).reading() as con:
        held = review.held(con, args.import_id)
    if held is None:
        raise ReviewRefused("unknown", args.import_id)
    if args.json:
        _print_json({"import": held.record,
                     "totals": _records(review.type_totals(held.rows.get("activities"))),
                     "warnings": [w.as_dict(args.lang) for w in held.warnings],
                     "leaving_donors_view": _leaving_records(held.leaving),
                     "rows": {name: _records(frame) for name, frame in held.rows.items()}})
        return 0
    lang = args.lang
    _say(review.summary_line(held, lang))
    _say(f"{t('col.import_status', lang)}: {t('import_status.' + held.record['status'], lang)}")
    if "activities" in held.rows:
        _say(t("review.totals", lang) + ":")
        _print_table(review.totals_table(held, lang), lang)
    _say(t("review.warnings", lang, count=len(held.warnings)) + ":")
    for warning in held.warnings:
        _say("  ! " + _located(warning, lang))
    if held.record["status"] == "submitted":
        _say(t("review.leaves_heading", lang) + ":")
        lines = review.leaving_lines(held.leaving, lang)
        for line in lines or [t(f"review.leaves_none.{held.record['mode']}", lang)]:
            _say("    − " + line)
    for name in held.rows:
        frame = review.rows_table(held, name, lang)
        rows = t(f"count.replaced.{name}", lang, count=len(frame))
        _say(t("review.rows_held", lang, rows=rows))
        _print_table(frame, lang)
    return 0


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON objects: a missing value null, a date as ISO writes it (2025-11-03)."""
    frame = frame.assign(**{c: frame[c].dt.strftime("%Y-%m-%d") for c in frame.columns
                            if frame[c].dtype.kind == "M"})
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _print_table(frame: pd.DataFrame, lang: str) -> None:
    """A table headed and dated as the reader's language writes it, each cell escaped first, so a
    value cannot break a row."""
    shown = present.written(frame, lang)
    shown = shown.astype(object).where(shown.notna(), present.DASH)
    print(shown.map(lambda v: escaped(v) if isinstance(v, str) else v).to_string(index=False))


def cmd_undo(args: argparse.Namespace) -> int:
    removed = approval.undo(open_database(args.db), args.import_id, cli_viewer())
    _say(t("cli.undo.done", args.lang, import_id=args.import_id,
           removed=present.removed_phrase(sum(removed.values()), args.lang)))
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    approval.approve(open_database(args.db), args.import_id, cli_viewer(), args.comment)
    _say(t("cli.approve.done", args.lang, import_id=args.import_id))
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    removed = approval.reject(open_database(args.db), args.import_id, cli_viewer(), args.comment)
    _say(t("cli.reject.done", args.lang, import_id=args.import_id,
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


def cmd_users_add(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    db.ensure()
    name = accounts.add(db, args.name, args.role, args.municipality, _new_password(args.lang), cli_viewer())
    _say(t("cli.users.added", args.lang, name=name, role=t(f"role.{args.role.strip().lower()}", args.lang)))
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    frame = accounts.listed(open_database(args.db))
    frame["municipalities"] = [", ".join(m) for m in frame["municipalities"]]
    return _print_rows(frame, args, "cli.users.none")


def cmd_users_passwd(args: argparse.Namespace) -> int:
    accounts.change_password(open_database(args.db), args.name, _new_password(args.lang), cli_viewer())
    _say(t("cli.users.password_changed", args.lang, name=args.name))
    return 0


def cmd_users_remove(args: argparse.Namespace) -> int:
    accounts.remove(open_database(args.db), args.name, cli_viewer())
    _say(t("cli.users.removed", args.lang, name=args.name))
    return 0


def cmd_tokens_add(args: argparse.Namespace) -> int:
    """The token alone on standard output (for a script to keep); the sentence on standard error."""
    from . import api_tokens
    token = api_tokens.create(open_database(args.db), args.name, args.label, cli_viewer())
    print(token)
    print(t("cli.tokens.added", args.lang, name=args.name, label=args.label), file=sys.stderr)
    return 0


def cmd_tokens_list(args: argparse.Namespace) -> int:
    from . import api_tokens
    frame = api_tokens.listed(open_database(args.db), cli_viewer(), everyone=True)
    if args.name:
        frame = frame[frame["name"] == args.name]
    return _print_rows(frame, args, "cli.tokens.none")


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    from . import api_tokens
    api_tokens.revoke(open_database(args.db), args.token_id, cli_viewer())
    _say(t("cli.tokens.revoked", args.lang, token=args.token_id))
    return 0


def cmd_aliases_add(args: argparse.Namespace) -> int:
    db, by = _writer(args, make=True, may="save_mapping")
    with db.writing() as con:
        saved = aliases.add(con, args.vocabulary, args.value, args.key, who=by.name, why=args.why, address=by.address)
    _say(t("aliases.added", args.lang, id=saved.id, value=saved.value, vocabulary=saved.vocabulary, term=saved.key))
    return 0


def cmd_aliases_remove(args: argparse.Namespace) -> int:
    db, by = _writer(args, make=False, may="save_mapping")
    with db.writing() as con:
        aliases.remove(con, args.alias_id, who=by.name, address=by.address)
    _say(t("aliases.removed", args.lang, id=args.alias_id))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    reports = demo.load(open_database(args.db))
    for loaded in reports:
        _print_report(loaded, args.lang)
    return 1 if any(r.status == "refused" for r in reports) else 0


def cmd_backup(args: argparse.Namespace) -> int:
    summary = open_database(args.db).backup(args.out)
    print(t("cli.backup.done", args.lang, path=args.out, **summary))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    summary, aside = open_database(args.db).restore(args.backup, who=cli_viewer().name)
    print(t("cli.restore.done", args.lang, path=args.backup, **summary))
    if aside is not None:
        print(t("cli.restore.kept", args.lang, path=aside))
    print(t("cli.restore.log_unread", args.lang) if summary["carried"] is None
          else t("cli.restore.carried", args.lang, count=summary["carried"]))
    return 0


def cmd_copy_db(args: argparse.Namespace) -> int:
    from .copying import copy_database  # psycopg is loaded only where PostgreSQL is used
    print(t("cli.copy_db.done", args.lang, **copy_database(args.source, args.target)))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    db.ensure()
    print(t("cli.migrate.done", args.lang, name=db.name, version=store.SCHEMA_VERSION))
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    open_database(args.db).refuse_as_output(args.out)
    template.write(args.out)
    print(t("cli.template.done", args.lang, path=args.out))
    return 0


def cmd_users_mail(args: argparse.Namespace) -> int:
    """A user's e-mail address, language and how often each kind of message comes."""
    from . import preferences
    cadences = dict(_pair(item, args.lang) for item in args.set)
    found = preferences.set_contact(open_database(args.db), args.name, cli_viewer(), email=args.email,
                                    language=args.language, cadences=cadences, clear_email=args.no_email)
    if args.json:
        _print_json({"name": found.name, "email": found.email, "language": found.language,
                     "cadences": found.cadences})
        return 0
    _say(t("cli.mail.contact", args.lang, name=found.name, email=found.email or t("cli.mail.no_email", args.lang),
           language=t(f"lang.{found.language}", args.lang)))
    for kind, cadence in found.cadences.items():
        print(f"  {kind}: {cadence}")
    return 0


def _pair(item: str, lang: str) -> tuple[str, str]:
    kind, _, cadence = item.partition("=")
    if not cadence:
        raise UserRefused("bad_setting", value=item)
    return kind.strip(), cadence.strip()


def cmd_schedule(args: argparse.Namespace) -> int:
    """Show the reporting schedule, or set one kind's frequency and deadline."""
    from . import reporting
    db = open_database(args.db)
    if args.kind is not None:
        db.ensure()
        current = _read(db, reporting.schedules)[args.kind] if args.kind in reporting.KINDS else None
        reporting.set_schedule(db, cli_viewer(), args.kind, args.every or (current.frequency if current else ""),
                               args.deadline_days if args.deadline_days is not None else
                               (current.deadline_days if current else 0))
    found = _read(db, reporting.schedules)
    if args.json:
        _print_json([{"kind": s.kind, "frequency": s.frequency, "deadline_days": s.deadline_days, "set_by": s.set_by,
                      "set_at": s.set_at.isoformat() if s.set_at else None} for s in found.values()])
        return 0
    for s in found.values():
        _say(t("cli.schedule.line", args.lang, kind=t(f"reporting.kind.{s.kind}", args.lang),
               frequency=t(f"reporting.frequency.{s.frequency}", args.lang), days=s.deadline_days))
    return 0


def _read(db: Database, query: Callable[[duckdb.DuckDBPyConnection], object]) -> Any:
    with db.reading() as con:
        return query(con)


def cmd_reporting(args: argparse.Namespace) -> int:
    """Reporting rate and reporting rate on time, per municipality (or per period), and each cell with --cells."""
    import datetime as dt

    from . import reporting
    with open_database(args.db).reading() as con:
        chosen = filters.resolve(municipality=args.municipality, year=args.year)
        cells = reporting.cells(con, chosen, args.kind, dt.date.today())
    frame = cells if args.cells else reporting.rates(cells, by=args.by)
    return _print_rows(frame, args, "cli.reporting.none")


def cmd_notify(args: argparse.Namespace) -> int:
    """Send what is due by e-mail; the count, and why any message waits."""
    from . import notify
    outcome = notify.run(open_database(args.db))
    if args.json:
        _print_json({"queued": outcome.queued, "sent": outcome.sent, "waiting": outcome.waiting,
                     "problems": [p.message("en") for p in outcome.problems]})
    else:
        _say(t("cli.notify.done", args.lang, queued=outcome.queued, sent=outcome.sent, waiting=outcome.waiting))
        for problem in outcome.problems:
            print(f"{t('cli.error', args.lang)}: {problem.message(args.lang)}", file=sys.stderr)
    return 1 if outcome.problems else 0


def _filter_options(p: argparse.ArgumentParser) -> None:
    """The filters of kpis and report, read by _chosen."""
    p.add_argument("--municipality", action="append", default=[], help="any spelling; repeatable or comma-separated")
    p.add_argument("--year", action="append", default=[], help="monitoring / calendar year; repeatable")
    p.add_argument("--theme", action="append", default=[], help="theme key or label; repeatable")
    p.add_argument("--cycle", default=None, help="contract cycle, e.g. 2019-2023")


def _chosen(args: argparse.Namespace) -> filters.Filters:
    return filters.resolve(municipality=args.municipality, year=args.year, theme=args.theme, cycle=args.cycle)


def _acting_options(p: argparse.ArgumentParser, as_help: str) -> None:
    """--as NAME for a write that may act for a user; the system user who runs it is recorded
    either way. --who is kept, unlisted, only to refuse it with a sentence instead of a usage error."""
    p.add_argument("--as", dest="as_user", default=None, metavar="NAME", help=as_help)
    p.add_argument("--who", default=None, help=argparse.SUPPRESS)


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help=f"database file (default: ${DB_ENV_VAR} or data/pop.duckdb)")
    common.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS,
                        help="language of messages (default en)")
    main = argparse.ArgumentParser(prog="python -m pop_analytics", parents=[common],
                                   description="POP Analytics: import partners' sheets, compute KPIs.")
    commands = main.add_subparsers(dest="command", required=True)

    p = commands.add_parser("import", parents=[common], help="validate and store .xlsx/.csv files")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--dry-run", action="store_true",
                   help="validate only; store nothing, and say what storing would take out of view")
    p.add_argument("--add", action="store_true",
                   help="add the activity rows beside the stored rows of their months (default: replace those months)")
    p.add_argument("--json", action="store_true", help="print one JSON object per file")
    _acting_options(p, "import on behalf of a user: their role and municipalities apply "
                       "(a partner's arrives submitted)")
    p.set_defaults(run=cmd_import)

    p = commands.add_parser("kpis", parents=[common], help="print the KPI object for the filters")
    _filter_options(p)
    p.add_argument("--approved-only", action="store_true", help="count approved imports only, as donors see them")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_kpis)

    p = commands.add_parser("report", parents=[common], help="write the KPI report (PDF or Excel) for the filters")
    _filter_options(p)
    p.add_argument("--format", choices=FORMATS, default=None, help="pdf or xlsx (default: from OUT's extension)")
    p.add_argument("--report-lang", choices=LANGUAGES, default=None, dest="report_lang",
                   help="language of the report (default: --lang)")
    p.add_argument("--include-submitted", action="store_true",
                   help="count imports awaiting review too (the report says so on its first page)")
    p.add_argument("out", type=Path)
    p.set_defaults(run=cmd_report)

    p = commands.add_parser("publish", parents=[common],
                            help="write the approved data as an open data package (datapackage.json and CSV files)")
    p.add_argument("out", type=Path, help="a folder that does not exist yet, or an empty one")
    p.set_defaults(run=cmd_publish)

    p = commands.add_parser("history", parents=[common], help="list imports")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_listing(store.history, "cli.history.empty", hidden=("sha256",)))

    p = commands.add_parser("show", parents=[common],
                            help="what one import holds, its warnings, and what approving it takes out of donors' view")
    p.add_argument("import_id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_show)

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

    a = actions.add_parser("mail", parents=[common],
                           help="a user's e-mail address, language and how often each kind of message comes")
    a.add_argument("name")
    a.add_argument("--email", default=None, help="the address messages go to")
    a.add_argument("--no-email", action="store_true", help="send this user no e-mail")
    a.add_argument("--language", choices=LANGUAGES, default=None, help="the language of their messages")
    a.add_argument("--set", action="append", default=[], metavar="KIND=CADENCE",
                   help="e.g. rejected=immediately, review_waiting=daily (immediately, daily, weekly, never)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(run=cmd_users_mail)

    p = commands.add_parser("schedule", parents=[common],
                            help="how often partners report each kind of sheet and when it is due")
    p.add_argument("kind", nargs="?", default=None, help="activities or priorities (none: show the schedule)")
    p.add_argument("--every", default=None, help="monthly, quarterly, yearly or off")
    p.add_argument("--deadline-days", type=int, default=None, help="days after a period ends that its report is due")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_schedule)

    p = commands.add_parser("reporting", parents=[common],
                            help="reporting rate and reporting rate on time (who reported which period)")
    p.add_argument("--municipality", action="append", default=[], help="any spelling; repeatable or comma-separated")
    p.add_argument("--year", action="append", default=[], help="the periods of these years; repeatable")
    p.add_argument("--kind", default="activities", choices=("activities", "priorities"))
    p.add_argument("--by", default="municipality", choices=("municipality", "period"))
    p.add_argument("--cells", action="store_true", help="every municipality and period with its status")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_reporting)

    p = commands.add_parser("notify", parents=[common],
                            help="e-mail what is due (run it every few minutes from cron or a systemd timer)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_notify)

    p = commands.add_parser("tokens", parents=[common], help="API tokens: each reads the API as its user")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("add", parents=[common], help="create a token for a user; printed once")
    a.add_argument("name")
    a.add_argument("label", help="where it is used, e.g. 'the network's website'")
    a.set_defaults(run=cmd_tokens_add)
    a = actions.add_parser("list", parents=[common], help="list the tokens (never the tokens themselves)")
    a.add_argument("name", nargs="?", default=None)
    a.add_argument("--json", action="store_true")
    a.set_defaults(run=cmd_tokens_list)
    a = actions.add_parser("revoke", parents=[common], help="a token stops working at once")
    a.add_argument("token_id", type=int)
    a.set_defaults(run=cmd_tokens_revoke)

    p = commands.add_parser("audit", parents=[common], help="print the audit log, newest first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_listing(store.audit_rows, "cli.audit.empty"))

    p = commands.add_parser("aliases", parents=[common], help="saved mappings of spellings to terms and columns")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("add", parents=[common], help="read VALUE as KEY in every later import")
    a.add_argument("vocabulary", help="municipality, theme, activity_type, status, indicator, cycle or column.<kind>")
    a.add_argument("value", help="the spelling as partners write it")
    a.add_argument("key", help="the term's key (or label), or the column's field name")
    a.add_argument("--why", default=None, help="reason recorded with the mapping")
    _acting_options(a, "save the mapping on behalf of a user (recorded as theirs)")
    a.set_defaults(run=cmd_aliases_add)
    a = actions.add_parser("list", parents=[common], help="list the mappings in use")
    a.add_argument("--json", action="store_true")
    a.set_defaults(run=_listing(aliases.listed, "aliases.none"))
    a = actions.add_parser("remove", parents=[common], help="stop using a mapping (it stays on record)")
    a.add_argument("alias_id", type=int, metavar="ID")
    _acting_options(a, "remove the mapping on behalf of a user (recorded as theirs)")
    a.set_defaults(run=cmd_aliases_remove)

    p = commands.add_parser("demo", parents=[common], help="load the demo data set")
    p.set_defaults(run=cmd_demo)

    p = commands.add_parser("backup", parents=[common],
                            help="write a consistent copy of the database (safe while the app runs)")
    p.add_argument("out", type=Path)
    p.set_defaults(run=cmd_backup)

    p = commands.add_parser("restore", parents=[common],
                            help="replace the database by a backup; the replaced file is kept aside")
    p.add_argument("backup", type=Path)
    p.set_defaults(run=cmd_restore)

    p = commands.add_parser("copy-db", parents=[common],
                            help="copy a database into an empty one (a DuckDB file into PostgreSQL, or back)")
    p.add_argument("source", help="a DuckDB file or a postgresql:// address")
    p.add_argument("target", help="an empty PostgreSQL database or a new file")
    p.set_defaults(run=cmd_copy_db)

    p = commands.add_parser("migrate", parents=[common], help="create the database or bring an older one forward")
    p.set_defaults(run=cmd_migrate)

    p = commands.add_parser("template", parents=[common], help="write the partners' Excel template")
    p.add_argument("out", type=Path)
    p.set_defaults(run=cmd_template)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; its exit code. It prints to sys.stdout and sys.stderr as they are at the
    call and keeps nothing between calls, so tests run it in process as `python -m pop_analytics`
    runs it (a usage error or --help is argparse's exit code, returned, not raised)."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 1
    args.db = getattr(args, "db", None)
    args.lang = getattr(args, "lang", "en")
    try:
        return int(args.run(args))
    except BrokenPipeError:  # the reader of the output went away (`| head`): nothing more to say
        _silence_stdout()
        return 1
    except UnknownFilterValue as unknown:
        print(f"{t('cli.error', args.lang)}: {filters.unknown_sentence(unknown, args.lang)}", file=sys.stderr)
        return 1
    except (UndoRefused, DatabaseProblem, AliasRefused, Refusal) as refused:  # TokenRefused is a Refusal
        print(f"{t('cli.error', args.lang)}: {refused.message(args.lang)}", file=sys.stderr)
        return 1
    except PopError as error:
        print(f"{t('cli.error', args.lang)}: {error}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing what is left at exit raises no second
    BrokenPipeError; an output with no file descriptor (a test's buffer) is left as it is."""
    with suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
