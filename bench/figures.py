"""Figures: one measured quantity, its samples (one per repetition), its goal and its baseline.

A figure's summary is the median of its samples with their min and max. A figure that depends on the
machine's speed names a baseline figure measured in the same run; its ratio is median / baseline median.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

GoalOperator = Literal["<", ">="]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear-interpolation percentile (`fraction` in [0, 1]); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class Goal:
    operator: GoalOperator
    value: float

    def met(self, measured: float) -> bool:
        if math.isnan(measured):
            return False
        return measured < self.value if self.operator == "<" else measured >= self.value

    def __str__(self) -> str:
        return f"{self.operator} {self.value:g}"


@dataclass
class Figure:
    """`key` is stable (JSON, plots); `group` is the measurement number and name the table shows."""

    key: str
    group: str
    label: str
    unit: str
    samples: list[float] = field(default_factory=list)
    goal: Goal | None = None
    baseline: str | None = None  # key of the figure this one is divided by
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def minimum(self) -> float:
        return min(self.samples) if self.samples else math.nan

    @property
    def maximum(self) -> float:
        return max(self.samples) if self.samples else math.nan


class Results:
    """Every figure of one bench run, in the order measured, plus raw distributions for the plots."""

    def __init__(self) -> None:
        self.figures: dict[str, Figure] = {}
        self.distributions: dict[str, list[float]] = {}
        self.notes: list[str] = []

    def figure(
        self,
        key: str,
        group: str,
        label: str,
        unit: str,
        *,
        goal: Goal | None = None,
        baseline: str | None = None,
        note: str = "",
    ) -> Figure:
        existing = self.figures.get(key)
        if existing is None:
            existing = Figure(key, group, label, unit, goal=goal, baseline=baseline, note=note)
            self.figures[key] = existing
        return existing

    def add(self, key: str, value: float) -> None:
        self.figures[key].samples.append(value)

    def distribution(self, key: str, values: Sequence[float]) -> None:
        self.distributions.setdefault(key, []).extend(values)

    def ratio(self, figure: Figure) -> float:
        if figure.baseline is None or figure.baseline not in self.figures:
            return math.nan
        base = self.figures[figure.baseline].median
        return figure.median / base if base and not math.isnan(base) else math.nan

    def as_json(self) -> dict[str, Any]:
        return {
            "figures": [
                {
                    "key": figure.key,
                    "group": figure.group,
                    "label": figure.label,
                    "unit": figure.unit,
                    "samples": [_finite(value) for value in figure.samples],
                    "median": _finite(figure.median),
                    "min": _finite(figure.minimum),
                    "max": _finite(figure.maximum),
                    "goal": None if figure.goal is None else str(figure.goal),
                    "goal_met": None if figure.goal is None else figure.goal.met(figure.median),
                    "baseline": figure.baseline,
                    "ratio_to_baseline": _finite(self.ratio(figure)),
                    "note": figure.note,
                }
                for figure in self.figures.values()
            ],
            "notes": self.notes,
        }


def _finite(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else round(value, 4)
