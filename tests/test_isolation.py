"""The child process a workbook is parsed in holds the reader only."""
from __future__ import annotations

import sys
import types
from pathlib import Path

from conftest import write_xlsx

from pop_analytics import reading


def test_a_parse_during_a_page_run_does_not_run_the_page_script_in_the_child(tmp_path: Path, monkeypatch):
    """Streamlit installs the page script as __main__ for every run; multiprocessing would have the
    child import it again (the dashboard, in a process meant for the reader, seconds per upload)."""
    marker = tmp_path / "ran.txt"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('the page script ran')\n", encoding="utf-8")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    workbook = write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet": [["Data", "Bashkia"], ["01.02.2025", "Tiranë"]]})

    result = reading.read(workbook.read_bytes(), "a.xlsx")

    assert [sheet.name for sheet in result.sheets] == ["Aktivitetet"]
    assert not marker.exists()
