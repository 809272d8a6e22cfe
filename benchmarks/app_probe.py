"""Run in a child process by the benchmark: the dashboard through AppTest on $POP_DB.

Prints one JSON line: per page the first run and the reruns in ms, and the process's peak RSS
(VmHWM from /proc/self/status) after every page has run, the large database loaded. A page's
reruns stop at --reruns, or once they have taken --budget-s (three at least), so that a slow
page cannot hold `make bench` past its time.
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--budget-s", type=float, default=30.0, help="stop a page's reruns after this (3 at least)")
    parser.add_argument("pages", nargs="*")
    args = parser.parse_args()
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    results, exceptions = [], []
    for page in args.pages or [None]:
        started = time.perf_counter()
        if page is not None:
            app.switch_page(page)
        app.run()
        first = (time.perf_counter() - started) * 1000
        reruns = []
        spent = 0.0
        while len(reruns) < args.reruns and (len(reruns) < 3 or spent < args.budget_s):
            started = time.perf_counter()
            app.run()
            reruns.append((time.perf_counter() - started) * 1000)
            spent += reruns[-1] / 1000
        exceptions += [f"{page}: {e.value}" for e in app.exception]
        results.append({"page": page or "dashboard.py", "first_ms": first, "reruns_ms": reruns})
    print(json.dumps({"pages": results, "peak_rss_mb": _peak_rss_mb(), "exceptions": exceptions}))


if __name__ == "__main__":
    main()
