"""Medians, spreads and percentiles of timed samples."""
from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least q % of samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def timed(function: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


@dataclass
class Figure:
    """One printed line: what was measured, its samples, and the target it is held to."""

    key: str
    label: str
    unit: str  # "s", "ms", "MB", "x"
    samples: list[float]
    target: str = ""  # e.g. "<= 2.5 s"
    passed: bool | None = None
    percentiles: bool = False  # report p50/p95 rather than median and spread
    notes: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    def summary(self) -> str:
        fmt = (lambda v: f"{v:,.0f}") if self.unit in ("ms", "MB") else (lambda v: f"{v:.2f}")
        if len(self.samples) == 1:
            value = f"{fmt(self.samples[0])} {self.unit}"
        elif self.percentiles:
            value = (f"p50 {fmt(self.median)} {self.unit}, p95 {fmt(self.p95)} {self.unit} "
                     f"(max {fmt(max(self.samples))}, n={len(self.samples)})")
        else:
            value = (f"median {fmt(self.median)} {self.unit} (min {fmt(min(self.samples))}, "
                     f"max {fmt(max(self.samples))}, n={len(self.samples)})")
        return value

    def line(self) -> str:
        verdict = "" if self.passed is None else ("  OK" if self.passed else "  MISSED")
        target = f"  [target {self.target}]" if self.target else ""
        notes = f"  ({'; '.join(self.notes)})" if self.notes else ""
        return f"{self.label:<48} {self.summary()}{target}{verdict}{notes}"

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "unit": self.unit, "samples": self.samples,
                "median": self.median, "p95": self.p95, "target": self.target, "passed": self.passed,
                "percentiles": self.percentiles, "summary": self.summary(), "notes": self.notes}
