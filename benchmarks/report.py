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


ROOT = Path(__file__).resolve().parent.parent
README_PATH = ROOT / "README.md"
# The hand-written part of the README's Performance section: how each figure is measured, where the
# time goes. The rest of the section is written from the run's record.
NARRATIVE_PATH = Path(__file__).resolve().parent / "PERFORMANCE.md"
HEADING = "## Performance"


def _intro(choices: tuple[str, ...]) -> str:
    return (
        "`make bench` runs `benchmarks/` (not part of `make test`). On its first run it generates, with a fixed "
        "seed, 1,000,000 activity rows and 100,000 priority-status observations over 61 municipalities and 10 "
        "years (2016–2025), a 100,000-row activities workbook and a 1,000,000-row activities CSV, and for the 10M "
        "figures ten yearly files of 1,000,000 activity rows each (one per year, so that none replaces another's "
        "rows), under `benchmarks/.cache/` (git-ignored, reused afterwards), and loads a 1M and a 10M database "
        "through the normal importer; the 100M database is the 10M one's activities ten times over, written in "
        "SQL. It prints one line per figure with its median and spread (or p50/p95) over several runs, each "
        "beside its target and, where one exists, its floor measured in the same run (python-calamine's parse for "
        "an import, a one-line Streamlit app in Chromium for a page, the KPI object at 1M rows for 100M), and "
        "exits 1 if a target is missed. `python -m benchmarks --help` lists the options (`--only`/`--skip` "
        f"{' '.join(choices)}, run counts); `python -m benchmarks --readme` also writes this section from the "
        "run it made.")


def _measured(record: dict) -> str:
    info = record["machine"]
    libraries = ", ".join(f"{k} {v}" for k, v in info["libraries"].items())
    load = record["load_average"]
    built = (f" including what it had to build first ({'; '.join(record['generated'])})" if record.get("generated")
             else " with the generated data already cached")
    return (f"Every figure below comes from one run of `python -m benchmarks` with all its figures, on {info['date']}, "
            f"on {info['cores']} cores ({info['cpu']}), {info['ram_gib']} GiB RAM, {info['os']}, Python "
            f"{info['python']}; {libraries}. It took {record['elapsed_s'] / 60:.1f} min{built}. Load average "
            f"(1 min) {load['start_1min']:.1f} at the start and {load['end_1min']:.1f} at the end: the run loads "
            "the machine's two cores itself (Chromium, servers, child processes), which slows every figure.")


def _missed(record: dict) -> str:
    missed = [f for f in record["figures"] if f["passed"] is False]
    if not missed:
        return "Every target was met in this run."
    lines = [f"{len(missed)} of {sum(1 for f in record['figures'] if f['passed'] is not None)} targets were missed "
             "in this run:"]
    lines += [f"- {f['label']}: {f['summary']}, target {f['target']}"
              + (f" ({f['notes'][0].split(';')[0]})" if f["notes"] else "") for f in missed]
    return "\n".join(lines)


def _table(record: dict) -> list[str]:
    rows = ["| figure | result | target | met |", "|---|---|---|---|"]
    for f in record["figures"]:
        met = "" if f["passed"] is None else ("yes" if f["passed"] else "**no**")
        notes = "; ".join(n if len(n) <= 240 else n[:237] + "…" for n in f["notes"])
        notes = f" ({notes})" if notes else ""
        rows.append(f"| {f['label']} | {f['summary']}{notes} | {f['target'] or '–'} | {met} |")
    return rows


def section(record: dict, choices: tuple[str, ...]) -> str:
    """The README's Performance section: what `make bench` does, the run's machine and load, every
    figure of the run, what it missed, and the hand-written account of benchmarks/PERFORMANCE.md."""
    narrative = NARRATIVE_PATH.read_text(encoding="utf-8").strip()
    return "\n".join([HEADING, "", _intro(choices), "", _measured(record), "", *_table(record), "",
                      _missed(record), "", narrative, ""])


def write_section(record: dict, choices: tuple[str, ...]) -> Path:
    """Replace the README's Performance section (to the next section or the end) with section()."""
    text = README_PATH.read_text(encoding="utf-8")
    start = text.index(f"\n{HEADING}\n") + 1
    after = text.find("\n## ", start + len(HEADING))
    rest = "" if after == -1 else text[after + 1:]
    README_PATH.write_text(text[:start] + section(record, choices) + ("\n" + rest if rest else ""), encoding="utf-8")
    return README_PATH
