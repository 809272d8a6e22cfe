"""The machine the figures were measured on, and the README's performance section."""
from __future__ import annotations

import datetime as dt
import os
import platform
from importlib import metadata
from pathlib import Path

LIBRARIES = ("duckdb", "pandas", "pyarrow", "numpy", "python-calamine", "openpyxl", "streamlit")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def machine() -> dict:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"cores": os.cpu_count(), "cpu": _cpu_model(), "ram_gib": round(_ram_gib(), 1),
            "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}",
            "libraries": versions, "date": dt.date.today().isoformat()}


def machine_line(info: dict | None = None) -> str:
    info = info or machine()
    return f"{info['cores']} cores, {info['cpu']}, {info['ram_gib']} GiB RAM, Python {info['python']}"


SECTION_PATH = Path(__file__).resolve().parent / "README_SECTION.md"
CHANGES_PATH = Path(__file__).resolve().parent / "CHANGES.md"


def write_section(record: dict) -> Path:
    """benchmarks/README_SECTION.md: the last figures as a table, the machine, and what was changed
    (the hand-written text of benchmarks/CHANGES.md)."""
    info = record["machine"]
    libraries = ", ".join(f"{k} {v}" for k, v in info["libraries"].items())
    rows = ["| figure | result | target | met |", "|---|---|---|---|"]
    for f in record["figures"]:
        met = "" if f["passed"] is None else ("yes" if f["passed"] else "**no**")
        notes = "; ".join(n if len(n) <= 240 else n[:237] + "…" for n in f["notes"])
        notes = f" ({notes})" if notes else ""
        rows.append(f"| {f['label']} | {f['summary']}{notes} | {f['target'] or '–'} | {met} |")
    changes = CHANGES_PATH.read_text(encoding="utf-8").strip() if CHANGES_PATH.exists() else ""
    text = "\n".join([
        "## Performance",
        "",
        ("`make bench` runs `benchmarks/` (not part of `make test`). On its first run it generates, with a fixed seed, "
         "1,000,000 activity rows and 100,000 priority-status observations over 61 municipalities and 10 years "
         "(2016–2025), a 100,000-row activities workbook and a 1,000,000-row activities CSV, and for the 10M figures "
         "ten yearly files of 1,000,000 activity rows each (one per year, so that none replaces another's rows), "
         "under `benchmarks/.cache/` (git-ignored, reused afterwards), and loads a 1M and a 10M database through "
         "the normal importer. Imports are timed through `importing.import_path(Database(...))`, the path the CLI "
         "and the app share; the dashboard figures run AppTest in child processes on `POP_DB`: page reruns, "
         "a CLI import (a separate `python -m pop_analytics import` process) seen by an open page's next rerun, "
         "two app processes at once, and filter changes no query of which is cached yet. It prints one line per "
         "figure with its median and spread (or p50/p95) over several runs, and exits 1 if a target is missed. "
         "`python -m benchmarks --help` lists the options (`--only`/`--skip` xlsx fuzzy csv kpi api report app cli "
         "two filters browser big, run counts)."),
        "",
        f"Last figures, measured {info['date']} on {info['cores']} cores ({info['cpu']}), {info['ram_gib']} GiB RAM, "
        f"{info['os']}, Python {info['python']}; {libraries}. That run of `python -m benchmarks` took "
        f"{record['elapsed_s'] / 60:.1f} min"
        + (f" including what it had to build first ({'; '.join(record['generated'])})" if record.get("generated")
           else " with the generated data already cached")
        + ". Load average (1 min) "
        f"{record['load_average']['start_1min']:.1f} at the start and {record['load_average']['end_1min']:.1f} at the "
        "end: the machine (2 cores) was shared with other work, which slows every figure.",
        "",
        *rows,
        "",
        changes,
        "",
    ])
    SECTION_PATH.write_text(text, encoding="utf-8")
    return SECTION_PATH
