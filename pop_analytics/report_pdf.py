"""The report as a PDF, typeset offline by Typst (the `typst` package: one wheel, no system
libraries, fonts of its own embedded in the file, Albanian hyphenation).

Typst was chosen over WeasyPrint (needs Pango and system fonts, so a machine without them prints
boxes) and ReportLab (tables that repeat their heading and keep it with its first row must be
built by hand): Typst repeats a table's header on every page and never leaves a heading or a
header row alone at the foot of a page. The layout is data/report/report.typ; this module writes
every word and number into a JSON file beside it, so no text from a sheet is read as markup.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from . import settings
from .i18n import t
from .report_content import Report, Table, cell_text

# Kinds written right-aligned, as numbers are.
_NUMBERS = frozenset({"count", "decimal", "percent", "points", "change", "year"})
# A text column no longer than this (a municipality, a year's label) is as wide as its longest cell.
_SHORT_TEXT = 24


# A run of characters this long without a space (a file name, a pasted link) may break after any of
# them: Typst breaks lines at spaces and hyphenation points only, and would run off the page.
_LONG_RUN = re.compile(r"(\S{24})(?=\S)")


def _breakable(text: str) -> str:
    return _LONG_RUN.sub("\\1\u200b", text)


def _section(table: Table, lang: str) -> dict:
    kinds = [next((row[i].kind for row in table.rows), "text") for i in range(len(table.headings))]
    rows = [[_breakable(cell_text(cell, lang)) for cell in row] for row in table.rows]
    longest = [max((len(row[i]) for row in rows), default=0) for i in range(len(kinds))]
    return {
        "title": table.title,
        "headings": table.headings,
        "rows": rows,
        "right": [kind in _NUMBERS for kind in kinds],
        # long texts share the width left; numbers, dates and names take what they need
        "widths": ["1fr" if kind == "text" and size > _SHORT_TEXT else "auto" for kind, size in zip(kinds, longest)],
        "note": table.note,
    }


def content(report: Report, chart_files: list[str]) -> dict:
    """What report.typ reads: every text already written in the report's language."""
    lang = report.lang
    return {
        "lang": lang,
        "title": report.title,
        "network": t("report.network", lang),
        "facts": [list(fact) for fact in report.facts],
        "approval": report.approval,
        "source": report.source,
        "footer": f"{report.title} · {report.filters_line}",
        "labels": {key: t(f"report.part.{key}", lang) for key in ("headline", "charts", "tables", "definitions")},
        "headline": [_section(table, lang) for table in report.headline],
        "tables": [_section(table, lang) for table in report.tables],
        "charts": [{"title": chart.title, "file": name} for chart, name in zip(report.charts, chart_files)],
        "definitions": [list(pair) for pair in report.definitions],
    }


def render(report: Report) -> bytes:
    """The PDF's bytes. Typst reads only the folder it is given: the layout, the JSON, the charts."""
    import typst

    with tempfile.TemporaryDirectory(prefix="pop-report-") as folder:
        root = Path(folder)
        main = root / "report.typ"
        shutil.copyfile(settings.REPORT_LAYOUT, main)
        names = []
        for number, chart in enumerate(report.charts, start=1):
            name = f"chart-{number}.png"
            (root / name).write_bytes(chart.png)
            names.append(name)
        (root / "report.json").write_text(json.dumps(content(report, names), ensure_ascii=False), encoding="utf-8")
        return bytes(typst.compile(str(main), root=str(root), format="pdf", ignore_system_fonts=True))
