"""What the dashboard's AppTests share: opening the app on a page, reading what it shows, files to upload."""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import openpyxl
from streamlit.testing.v1 import AppTest

from pop_analytics import settings
from pop_analytics.app import PAGES, style

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = str(ROOT / "dashboard.py")
PAGE_FILES = {name: path for name, path, _ in PAGES}
PAGE_NAMES = tuple(PAGE_FILES)
TIMEOUT = 60


def open_app(page: str = "overview", query: dict | None = None) -> AppTest:
    """The dashboard as a browser would open it: a URL with query parameters, then a page."""
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    at.run()
    if page != "overview":
        at.switch_page(PAGE_FILES[page]).run()
    return at


def opened(at: AppTest, key: str) -> AppTest:
    """The page with its section shown on demand (app.on_demand) opened, as a reader's click does."""
    at.session_state[key] = True
    return at.run()


def assert_clean(at: AppTest, errors_shown: bool = False) -> None:
    """No exception; and no error box unless the page is expected to show one."""
    assert not at.exception, [e.value for e in at.exception]
    if not errors_shown:
        assert not at.error, [e.value for e in at.error]


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    """Tile label → (value, delta) as shown."""
    return {m.label: (m.value, m.delta) for m in at.metric}


def number(shown: str) -> float:
    """A number as the dashboard shows it, in either language ('1,157', '1 157', '74,5%') → float."""
    text = shown.replace("\u00a0", "").replace("%", "").strip()
    if re.search(r",\d$", text) or ("," in text and "." not in text and re.search(r",\d{1,2}$", text)):
        text = text.replace(".", "").replace(",", ".")
    return float(text.replace(",", ""))


def texts(at: AppTest) -> list[str]:
    """Every piece of text an element of the page shows (values, labels, help, placeholders, options)."""
    return _walk(at, ("value", "label", "help", "placeholder", "body"), ("body", "label", "help", "delta"),
                 options=True)


def markdown_texts(at: AppTest) -> list[str]:
    """Every text of the page that Streamlit renders as Markdown: bodies of markdown, captions,
    titles and alerts; labels and help of widgets, tiles, expanders and tabs; dialog titles. Not
    the options and values of select boxes and inputs, nor table cells: those show plain text."""
    return _walk(at, (), ("body", "label", "help", "title"))


APP_STYLESHEETS = frozenset(style.stylesheet(lang) for lang in settings.LANGUAGES)


def _walk(at: AppTest, attributes: tuple[str, ...], proto_attributes: tuple[str, ...],
          options: bool = False) -> list[str]:
    """The text of these attributes of every element (and of its protobuf message), in page order."""
    found: list[str] = []

    def walk(node) -> None:
        for attribute in attributes:
            try:
                value = getattr(node, attribute, None)
            except Exception:  # noqa: BLE001 - some widgets have no value outside a run, each failing its own way
                value = None
            if isinstance(value, str):
                found.append(value)
        if options:
            found.extend(str(option) for option in getattr(node, "options", None) or [])
        proto = getattr(node, "proto", None)
        if getattr(proto, "body", None) in APP_STYLESHEETS:
            return  # the app's own stylesheet: HTML written in the code, holding nothing from outside
        for attribute in proto_attributes:
            value = getattr(proto, attribute, None) if proto is not None else None
            if isinstance(value, str):
                found.append(value)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def frame_with_column(at: AppTest, column: str):
    """The first table on the page with this column heading, each cell as a reader reads it: a
    status the grid draws as a tag (app.table's status_colours) reads as its label."""
    return as_read(next(d.value for d in at.dataframe if column in d.value.columns))


def as_read(frame):
    """The table with each cell of tags read as their labels, as the grid writes them."""
    read = frame.copy()
    for name in read.columns:
        cells = read[name].tolist()
        if any(isinstance(cell, list | np.ndarray) for cell in cells):
            read[name] = [", ".join(cell) if isinstance(cell, list | np.ndarray) else cell for cell in cells]
    return read


def xlsx(rows: list[list], sheet: str = "Aktivitetet") -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = sheet
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ACTIVITY_HEADER = ["Data", "Bashkia", "Lloji i aktivitetit", "Numri i aktiviteteve", "Pjesëmarrës gjithsej", "Gra",
                   "Burra", "Tema"]
