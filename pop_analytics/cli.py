"""Command line: python -m pop_analytics import|kpis|history|undo|demo|template."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import demo, filters, importing, kpis, store, template
from .errors import PopError, UndoRefused, UnknownFilterValue
from .reference import cycles
from .i18n import t
from .settings import DB_ENV_VAR, LANGUAGES


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _located(p, lang: str) -> str:
    where = [f"{t('cli.sheet', lang)} '{p.sheet}'" if p.sheet else "", f"{t('cli.row', lang)} {p.row}" if p.row else "",
             f"{t('cli.column', lang)} '{p.column}'" if p.column else ""]
    where = ", ".join(w for w in where if w)
    return f"{where}: {p.message(lang)}" if where else p.message(lang)


def _print_report(report: importing.ImportReport, lang: str) -> None:
    print(t(f"cli.import.{report.status}", lang, file=report.file, kind=report.kind or "", rows=report.rows,
            import_id=report.import_id or "", count=len(report.errors)))
    for p in report.errors:
        print("  ✖ " + _located(p, lang))
    for p in report.warnings:
        print("  ! " + _located(p, lang))


def cmd_import(args) -> int:
    con = store.connect(args.db)
    reports = [importing.import_path(con, path, who=args.who, dry_run=args.dry_run) for path in args.files]
    if args.json:
        _print_json([r.as_dict(args.lang) for r in reports])
    else:
        for report in reports:
            _print_report(report, args.lang)
    return 1 if any(r.status == "refused" for r in reports) else 0


def cmd_kpis(args) -> int:
    chosen = filters.resolve(municipality=args.municipality, year=args.year, theme=args.theme, cycle=args.cycle)
    con = store.connect(args.db)
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


def cmd_history(args) -> int:
    frame = store.history(store.connect(args.db))
    if args.json:
        _print_json(frame.to_dict(orient="records"))
    elif frame.empty:
        print(t("cli.history.empty", args.lang))
    else:
        print(frame.drop(columns=["sha256"]).to_string(index=False))
    return 0


def cmd_undo(args) -> int:
    removed = store.undo(store.connect(args.db), args.import_id)
    print(t("cli.undo.done", args.lang, import_id=args.import_id, rows=sum(removed.values())))
    return 0


def cmd_demo(args) -> int:
    reports = demo.load(store.connect(args.db))
    for report in reports:
        _print_report(report, args.lang)
    return 1 if any(r.status == "refused" for r in reports) else 0


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
    p.set_defaults(run=cmd_import)

    p = commands.add_parser("kpis", parents=[common], help="print the KPI object for the filters")
    p.add_argument("--municipality", action="append", default=[], help="any spelling; repeatable or comma-separated")
    p.add_argument("--year", action="append", default=[], help="monitoring / calendar year; repeatable")
    p.add_argument("--theme", action="append", default=[], help="theme key or label; repeatable")
    p.add_argument("--cycle", default=None, help="contract cycle, e.g. 2019-2023")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_kpis)

    p = commands.add_parser("history", parents=[common], help="list imports")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_history)

    p = commands.add_parser("undo", parents=[common], help="restore the state before an import")
    p.add_argument("import_id", type=int)
    p.set_defaults(run=cmd_undo)

    p = commands.add_parser("demo", parents=[common], help="load the demo data set")
    p.set_defaults(run=cmd_demo)

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
    except UnknownFilterValue as unknown:
        hint = t("cli.did_you_mean", args.lang, suggestion=unknown.suggestion) if unknown.suggestion else ""
        message = t(f"cli.unknown.{unknown.kind}", args.lang, value=unknown.value, known=", ".join(cycles()))
        print(f"{t('cli.error', args.lang)}: {message}{hint}", file=sys.stderr)
        return 1
    except UndoRefused as refused:
        print(f"{t('cli.error', args.lang)}: {refused.message(args.lang)}", file=sys.stderr)
        return 1
    except PopError as error:
        print(f"{t('cli.error', args.lang)}: {error}", file=sys.stderr)
        return 1
