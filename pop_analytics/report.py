"""The KPI report a donor forwards: what it holds, in the reader's language, for the filters.

This module gathers the content (report_content's Report: numbers stay numbers, each cell with the
kind that says how to write it); report_pdf typesets it and report_xlsx writes it as a workbook, so
both forms hold the same figures. Every number comes from the same queries as the pages and `kpis --json`.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from . import charts, formats, kpis, present, queries, reporting, targets
from .errors import ReportRefused
from .filters import Filters
from .i18n import t
from .report_content import FORMATS as FORMATS  # the report's forms, kept here for its callers
from .report_content import Cell, Chart, Report, Table


def _col(key: str, lang: str) -> str:
    return t(f"col.{key}", lang)


def _label(vocabulary: str, key: object, lang: str) -> str:
    """A term as a table cell shows it: its label, beginning with a capital ('Focus group')."""
    return present.capital(present.label(vocabulary, key, lang))


# ── headline ─────────────────────────────────────────────────────────────────────────────────

def _change_heading(part: dict, lang: str, partial: bool = False) -> str:
    """'Change from 2022'; with partial, a year under way set against the same months:
    'Change from 2025 (to 6 Dec 2025)'."""
    if not part["previous"]:
        return t("report.change", lang)
    period = present.years_text(part["previous_years"], lang)
    if partial and part.get("partial"):
        return t("report.change_partial", lang, period=period,
                 previous_to=formats.date(part["partial"]["previous_to"], lang))
    return t("report.change_from", lang, period=period)


def _priority_table(part: dict, lang: str, cycle: str | None) -> Table:
    now, before = part["current"]["priorities"], (part["previous"] or {}).get("priorities") or {}
    had = bool(before.get("total"))

    def share(name: str, pct: str, statuses: tuple[str, ...]) -> list[Cell]:
        count = sum(now[s] for s in statuses)
        moved = kpis.points(count, now["total"], sum(before[s] for s in statuses), before["total"]) if had else None
        return [Cell(t(f"kpi.{name}", lang)), Cell(now[pct], "percent"), Cell(count, "count"), Cell(moved, "points")]

    rows = [
        [Cell(t("kpi.priorities", lang)), Cell(now["total"], "count"), Cell(None, "count"),
         Cell(now["total"] - before["total"] if had else None, "change")],
        share("addressed", "addressed_pct", ("fully", "partially")),
        share("fully", "fully_pct", ("fully",)),
        share("partially", "partially_pct", ("partially",)),
        share("not_addressed", "not_addressed_pct", ("not_addressed",)),
    ]
    title = t("report.section.priorities", lang)
    if cycle:
        title += " · " + t("overview.cycle_heading", lang, cycle=cycle)
    return Table("priorities", title,
                 [t("report.col.kpi", lang), t("report.col.value", lang), t("report.col.priorities", lang),
                  _change_heading(part, lang)], rows, cycle=cycle)


def _activity_table(result: dict, lang: str) -> Table:
    now = result["current"]
    before = result["previous"]
    a, pa = now["activities"], (before or {}).get("activities", {})

    def counted(name: str, value: int, earlier: int | None) -> list[Cell]:
        return [Cell(t(f"kpi.{name}", lang)), Cell(value, "count"), Cell(None, "count"),
                Cell(None if earlier is None else value - earlier, "change")]

    rows = [
        counted("events", a["events"], pa.get("events") if before else None),
        counted("participants", a["participants"], pa.get("participants") if before else None),
        [Cell(t("kpi.women_pct", lang)), Cell(a["women_pct"], "percent"), Cell(a["women"], "count"),
         Cell(present.change(a["women_pct"], pa.get("women_pct")) if before else None, "points")],
        counted("municipalities_covered", now["municipalities_covered"],
                before["municipalities_covered"] if before else None),
    ]
    note = t("report.activities_note", lang, years=present.years_text(result["years"], lang))
    return Table("activities", t("report.section.activities", lang),
                 [t("report.col.kpi", lang), t("report.col.value", lang), t("report.col.women", lang),
                  _change_heading(result, lang, partial=True)], rows,
                 note=f"{note} {present.partial_note(result, lang)}".strip())


def _by_type(result: dict, lang: str) -> Table:
    by_type = result["current"]["activities"]["by_type"]
    rows = [[Cell(_label("activity_types", key, lang)), Cell(v["events"], "count"), Cell(v["participants"], "count")]
            for key, v in by_type.items() if v["events"] or v["participants"]]
    return Table("by_type", t("report.section.by_type", lang),
                 [_col("type", lang), _col("events", lang), _col("participants", lang)], rows,
                 note=t("report.by_type_note", lang))


def _reported(con: duckdb.DuckDBPyConnection, filters: Filters, lang: str) -> Table:
    heads = [_col("year", lang), _col("indicator", lang), _col("municipality", lang), _col("value", lang),
             _col("source", lang)]
    if filters.theme:
        return Table("reported", t("report.section.reported", lang), heads, [],
                     note=t("overview.reported_by_theme", lang))
    found = queries.reported_figures(con, filters)
    rows = [[Cell(r.year, "year"), Cell(_label("indicators", r.indicator, lang)),
             Cell(r.municipality if isinstance(r.municipality, str) else t("common.whole_network", lang)),
             Cell(float(r.value), "count"), Cell(r.note if isinstance(r.note, str) and r.note else r.source)]
            for r in found.itertuples()]
    return Table("reported", t("report.section.reported", lang), heads, rows,
                 note=t("report.reported_note" if rows else "report.reported_none", lang))


def headline(con: duckdb.DuckDBPyConnection, filters: Filters, lang: str, today: dt.date | None = None) -> list[Table]:
    """Priorities fully / partially / not addressed and addressed, one table per contract cycle in
    view (kpis.cycle_views), the activities, events by type, and the totals reported rather than
    itemised."""
    result = queries.overview(con, filters, today)
    priority_tables = [_priority_table(part, lang, part.get("cycle")) for part in queries.priority_parts(result)]
    return [*priority_tables, _activity_table(result, lang), _by_type(result, lang), _reported(con, filters, lang)]


# ── the tables after the charts ──────────────────────────────────────────────────────────────

def by_municipality(con: duckdb.DuckDBPyConnection, filters: Filters, lang: str) -> Table:
    """Per municipality: events and participants, and each cycle's priorities and share addressed."""
    everything = kpis.kpis(con, filters)
    views = kpis.cycle_views(con, filters)
    cycles = [cycle for cycle, _ in views]
    per_cycle = {c: {m["municipality"]: m for m in kpis.kpis(con, view)["by_municipality"]} for c, view in views}
    heads = [_col("municipality", lang), _col("events", lang), _col("participants", lang)]
    for cycle in cycles:
        heads += [t("report.col.priorities_in", lang, cycle=cycle), t("report.col.addressed_in", lang, cycle=cycle)]
    rows = []
    for m in everything["by_municipality"]:
        row = [Cell(m["municipality"]), Cell(m["events"], "count"), Cell(m["participants"], "count")]
        for cycle in cycles:
            found = per_cycle[cycle].get(m["municipality"])
            row += [Cell(found["priorities"] if found else 0, "count"),
                    Cell(found["addressed_pct"] if found else None, "percent")]
        rows.append(row)
    return Table("municipalities", t("report.section.municipalities", lang), heads, rows)


def overdue_table(con: duckdb.DuckDBPyConnection, filters: Filters, lang: str, today: dt.date) -> Table:
    """The priorities in view overdue on today (queries.deadlines: kpis.overdue's rule), the longest
    overdue first, and under them how many of how many."""
    found = queries.deadlines(con, filters, today)
    late = found[found["overdue"]] if len(found) else found
    rows = [[Cell(r.municipality), Cell(r.code), Cell(r.title), Cell(r.cycle), Cell(_label("statuses", r.status, lang)),
             Cell(r.deadline, "date"), Cell(-int(r.days_left), "count")] for r in late.itertuples()]
    day = formats.date(today, lang)
    note = (t("report.overdue_note", lang, count=len(rows), total=present.number(len(found), lang), today=day)
            if rows else t("report.overdue_none", lang, today=day))
    return Table("overdue", t("report.section.overdue", lang),
                 [_col("municipality", lang), _col("code", lang), _col("title", lang), _col("cycle", lang),
                  _col("status", lang), _col("deadline", lang), t("report.col.days_overdue", lang)], rows, note=note)


def reporting_table(con: duckdb.DuckDBPyConnection, filters: Filters, lang: str, today: dt.date) -> Table:
    """Who reported their activities, and on time, per municipality (reporting.rates over the periods
    the Reporting page shows for the filters), the network's rates in the note."""
    found = reporting.view(con, filters, reporting.SUMMARY_KIND, today)
    rows = [[Cell(r.municipality), Cell(int(r.expected), "count"), Cell(int(r.reported), "count"),
             Cell(float(r.reporting_rate), "percent"), Cell(int(r.on_time), "count"),
             Cell(float(r.on_time_rate), "percent")] for r in found.by_municipality.itertuples()]
    schedule = found.schedule
    if rows:
        overall = found.overall.iloc[0]
        labels = reporting.period_labels(schedule.frequency, sorted(found.cells["period"].unique()), lang)
        note = t("report.reporting_note", lang, rate=present.percent(float(overall["reporting_rate"]), lang),
                 on_time=present.percent(float(overall["on_time_rate"]), lang), first=next(iter(labels.values())),
                 last=list(labels.values())[-1], frequency=t(f"reporting.frequency.{schedule.frequency}", lang),
                 count=schedule.deadline_days)
    else:
        note = t("report.reporting_none", lang)
    return Table("reporting", t("report.section.reporting", lang),
                 [_col("municipality", lang), _col("expected", lang), _col("reported", lang),
                  _col("reporting_rate", lang), _col("on_time", lang), _col("on_time_rate", lang)], rows, note=note)


def targets_table(con: duckdb.DuckDBPyConnection, filters: Filters, lang: str) -> Table:
    found = targets.progress(con, filters)
    heads = [t("report.col.objective", lang), _col("indicator", lang), _col("year", lang), _col("municipality", lang),
             t("report.col.target", lang), t("report.col.achieved", lang), t("report.col.reached", lang)]
    rows = [[Cell(r.objective), Cell(_label("target_indicators", r.indicator, lang)), Cell(r.year, "year"),
             Cell(r.municipality if isinstance(r.municipality, str) else t("common.whole_network", lang)),
             Cell(float(r.target), "decimal" if float(r.target) % 1 else "count"),
             Cell(None if pd.isna(r.achieved) else float(r.achieved),
                  "decimal" if not pd.isna(r.achieved) and float(r.achieved) % 1 else "count"),
             Cell(None if pd.isna(r.reached_pct) else float(r.reached_pct), "percent")]
            for r in found.itertuples()]
    note = t("report.targets_note" if rows else "report.targets_none", lang)
    if rows and (filters.theme or filters.cycle):
        note += " " + t("report.targets_unfiltered", lang)
    return Table("targets", t("report.section.targets", lang), heads, rows, note=note)


def quality_tables(con: duckdb.DuckDBPyConnection, filters: Filters, lang: str) -> list[Table]:
    """Reported totals against the itemised rows they cover, and who sent no report for the period."""
    totals = queries.reported_vs_itemised(con, filters)
    rows = [[Cell(_label("indicators", r.indicator, lang)), Cell(r.date_from, "date"), Cell(r.date_to, "date"),
             Cell(r.municipality if isinstance(r.municipality, str) else t("common.whole_network", lang)),
             Cell(float(r.reported), "count"), Cell(int(r.itemised), "count"), Cell(float(r.difference), "change")]
            for r in totals.itertuples()]
    compared = Table("quality_totals", t("report.section.quality_totals", lang),
                     [_col("indicator", lang), _col("date_from", lang), _col("date_to", lang),
                      _col("municipality", lang), _col("reported", lang), _col("itemised", lang),
                      _col("difference", lang)], rows, note=t("quality.totals_help", lang))
    missing = queries.missing_reports(con, filters)
    gaps = [[Cell(r.year, "year"), Cell(r.municipality), Cell(int(r.priorities_monitored), "count"),
             Cell(int(r.activities), "count")] for r in missing.itertuples()]
    absent = Table("quality_missing", t("report.section.quality_missing", lang),
                   [_col("year", lang), _col("municipality", lang), _col("priorities_monitored", lang),
                    _col("activities", lang)], gaps,
                   note=t("report.missing_note" if gaps else "quality.missing_none", lang))
    return [compared, absent]


def sources_table(con: duckdb.DuckDBPyConnection, lang: str) -> Table:
    """The imports whose rows this report counts: the files the figures come from."""
    found = queries.imports_counted(con)
    rows = [[Cell(r.id, "year"), Cell(r.file_name), Cell(" + ".join(t(f"kind.{k}", lang) for k in r.kind.split("+"))),
             Cell(r.rows, "count"), Cell(r.imported_at, "date")] for r in found.itertuples()]
    return Table("sources", t("report.section.sources", lang),
                 [_col("id", lang), _col("file_name", lang), _col("kind", lang), _col("rows", lang),
                  _col("imported_at", lang)], rows)


DEFINED = ("addressed", "fully", "partially", "not_addressed", "overdue", "events", "participants", "women_pct",
           "municipalities_covered", "reported", "reached")


# ── charts ───────────────────────────────────────────────────────────────────────────────────

def chart_images(con: duckdb.DuckDBPyConnection, filters: Filters, lang: str, lines: list[str]) -> list[Chart]:
    """Addressed % by year (a line per cycle), status by theme and participants by month, from the
    pages' own chart functions, as the page's 'save chart' button draws them."""
    drawn = []
    for make, query, args in ((charts.addressed_trend, queries.addressed_by_year, ()),
                              (charts.status_by_theme, queries.status_by_theme, ()),
                              (charts.by_month, queries.activities_by_month, ("participants",))):
        frame = query(con, filters)
        if frame.empty:
            continue
        stem = present.view_stem(charts.export_name(make, *args), filters)
        chart = charts.for_export(make(frame, lang, *args), lines)
        title = chart.title.text
        drawn.append(Chart(" ".join(title) if isinstance(title, list) else str(title), stem, charts.png(chart)))
    return drawn


# ── the whole report ─────────────────────────────────────────────────────────────────────────

def build(con: duckdb.DuckDBPyConnection, filters: Filters, lang: str, generated_by: str,
          now: dt.datetime | None = None, with_charts: bool = True, reporting_rates: bool | None = None) -> Report:
    """The report for filters, in lang, as the connection's reader may see it (its sight). The
    reporting rates are in it for a reader who sees who reported (reporting_rates=True), else only
    when a coordinator shared them with donors (None: a report may be forwarded to them)."""
    now = now or dt.datetime.now()
    as_of = queries.data_as_of(con)
    source = present.source_line(as_of, lang)
    filters_line = present.filters_text(filters, lang)
    data_date = formats.date(as_of["latest"], lang) if as_of["latest"] is not None else present.DASH
    approval = (t("report.includes_submitted", lang, count=as_of["submitted"]) if as_of["submitted"]
                else t("report.approved_only", lang))
    facts = [(t("report.fact.filters", lang), filters_line),
             (t("report.fact.data_date", lang), data_date),
             (t("report.fact.generated", lang), t("report.generated", lang, who=generated_by,
                                                  when=formats.moment(now, lang)))]
    report = Report(lang=lang, filters=filters, title=t("report.title", lang), filters_line=filters_line,
                    facts=facts, approval=approval, headline=headline(con, filters, lang, now.date()),
                    source=source)
    if with_charts:
        report.charts = chart_images(con, filters, lang, [filters_line, source])
    shared = reporting.donors_see_rates(con) if reporting_rates is None else reporting_rates
    report.tables = [by_municipality(con, filters, lang), overdue_table(con, filters, lang, now.date()),
                     *([reporting_table(con, filters, lang, now.date())] if shared else []),
                     targets_table(con, filters, lang),
                     *quality_tables(con, filters, lang), sources_table(con, lang)]
    report.definitions = [(t(f"report.def.{key}.term", lang), t(f"report.def.{key}", lang)) for key in DEFINED]
    return report


def file_name(filters: Filters, lang: str, extension: str) -> str:
    """pop_kpi_report_<cycle>_<years>_<municipalities>_<lang>.<extension>."""
    return f"{present.view_stem('kpi_report', filters)}_{present.safe_name(lang)}.{present.safe_name(extension)}"


def write(report: Report, fmt: str, out: Path) -> int:
    """Write the report to out whole or not at all (a reader never opens half a file); its size.
    Only a regular file is written (a link is followed to its file, whose permissions stay): a
    folder, a device or a pipe named by mistake is refused, never replaced."""
    target = out.resolve() if out.is_symlink() else out
    if target.exists() and not target.is_file():
        raise ReportRefused("not_a_file", path=str(out))
    data = render(report, fmt)
    partial = target.with_name(f".{target.name}.part")
    try:
        partial.write_bytes(data)
        if target.exists():
            shutil.copymode(target, partial)
        os.replace(partial, target)
    except OSError as problem:
        partial.unlink(missing_ok=True)
        raise ReportRefused("unwritable", path=str(out), cause=problem.strerror or type(problem).__name__) from None
    return len(data)


def render(report: Report, fmt: str) -> bytes:
    if fmt == "pdf":
        from . import report_pdf
        return report_pdf.render(report)
    from . import report_xlsx
    return report_xlsx.render(report)

