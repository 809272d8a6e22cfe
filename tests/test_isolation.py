"""The child process a workbook is parsed in holds the reader only, and a command line that imports a
workbook starts the fork server those children come from before it loads the rest."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from conftest import ROOT, run_cli_process, tirane_activities, write_csv, write_xlsx

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


# A fresh interpreter, as `python -m pop_analytics` starts: whether start_early said it started the
# fork server, and whether one is running (the pytest worker's own may be running already).
_STARTED = ("import json, sys\nfrom multiprocessing import forkserver\nfrom pop_analytics import isolation\n"
            "said = isolation.start_early(sys.argv[1:])\n"
            "print(json.dumps([said, forkserver._forkserver._forkserver_pid is not None]))")


@pytest.mark.parametrize("argv, started", [
    (["import", "{xlsx}"], True),
    (["--db", "pop.duckdb", "import", "--dry-run", "{xlsx_named_csv}"], True),  # its bytes say what it is
    (["import", "{csv}"], False),
    (["import", "{missing}"], False),
    (["import", "{folder}"], False),
    (["show", "{xlsx}"], False),
    (["import", "{pipe}"], False),
], ids=["a workbook", "a workbook named .csv", "a CSV", "no such file", "a folder", "not an import", "a pipe"])
def test_an_import_of_a_workbook_starts_the_fork_server_before_the_command_line_loads(tmp_path: Path, argv, started):
    """The fork server then loads the reader while the command line loads the rest of the package
    (0.16 s of a 3.3 s import of the 100k-row workbook); nothing else starts it."""
    workbook = write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet": [["Data", "Bashkia"], ["01.02.2025", "Tiranë"]]})
    names = {"xlsx": workbook, "xlsx_named_csv": shutil.copy(workbook, tmp_path / "b.csv"),
             "csv": write_csv(tmp_path / "c.csv", [["Data", "Bashkia"], ["01.02.2025", "Tiranë"]]),
             "missing": tmp_path / "missing.xlsx", "folder": tmp_path, "pipe": tmp_path / "pipe.xlsx"}
    os.mkfifo(names["pipe"])  # never opened here: opening a pipe without a writer would wait
    args = [arg.format(**names) for arg in argv]
    done = subprocess.run([sys.executable, "-c", _STARTED, *args], cwd=ROOT, capture_output=True, text=True,
                          check=True, timeout=60)
    assert json.loads(done.stdout) == [started, started]


def test_a_workbook_imported_by_the_command_line_process_is_stored(tmp_path: Path):
    """The whole process, as cron or a coordinator runs it, with the fork server started early."""
    done = run_cli_process("import", tirane_activities(tmp_path), db=tmp_path / "pop.duckdb")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported as #1" in done.stdout
