"""The printed table (median, min–max, ratio to baseline, goal) and the optional PNG plot."""

from __future__ import annotations

import math
from pathlib import Path

from bench.figures import Figure
from bench.figures import Results
from bench.plan import Plan


def number(value: float) -> str:
    if math.isnan(value):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _verdict(figure: Figure) -> str:
    if figure.goal is None or not figure.samples:
        return ""
    return "ok" if figure.goal.met(figure.median) else "MISSED"


def render_table(results: Results, plan: Plan, elapsed_s: float) -> str:
    header = ("measurement", "median", "min … max", "unit", "× baseline", "goal", "")
    rows: list[tuple[str, ...]] = []
    group = None
    # Grouped by measurement number; within a group, in the order the figures were first declared.
    ordered = sorted(results.figures.values(), key=lambda figure: figure.group)
    for figure in ordered:
        if figure.group != group:
            group = figure.group
            rows.append((f"[{group}]", "", "", "", "", "", ""))
        ratio = results.ratio(figure)
        rows.append(
            (
                f"  {figure.label}",
                number(figure.median),
                f"{number(figure.minimum)} … {number(figure.maximum)}",
                figure.unit,
                "" if math.isnan(ratio) else f"{ratio:.2f} ({figure.baseline})",
                "" if figure.goal is None else str(figure.goal),
                _verdict(figure),
            )
        )
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        f"Benchmark ({plan.name}, {plan.repetitions} repetitions, {elapsed_s / 60:.1f} min): "
        "median of the repetitions, min … max, ratio to a baseline measured in this run",
        "  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)),
        "  ".join("-" * width for width in widths),
    ]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    notes = [f"  - {figure.key}: {figure.note}" for figure in results.figures.values() if figure.note]
    if notes or results.notes:
        lines += ["", "Notes:", *notes, *(f"  - {note}" for note in results.notes)]
    return "\n".join(lines)


def write_plot(results: Results, path: Path) -> Path | None:
    """Latency distributions (CDF) and runs per second by worker count; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    figure, (latency_axes, runs_axes) = plt.subplots(1, 2, figsize=(13, 5))
    for key, values in sorted(results.distributions.items()):
        if not key.startswith("latency.") or not values:
            continue
        ordered = sorted(values)
        fractions = [(index + 1) / len(ordered) for index in range(len(ordered))]
        latency_axes.plot(ordered, fractions, label=key.removeprefix("latency."))
    latency_axes.set_xscale("log")
    latency_axes.set_xlabel("latency (ms, log scale)")
    latency_axes.set_ylabel("fraction of requests / runs")
    latency_axes.set_title("Latency distributions (all repetitions)")
    latency_axes.grid(True, which="both", alpha=0.3)
    if latency_axes.get_lines():
        latency_axes.legend(fontsize=7)
    _runs_bars(results, runs_axes)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _runs_bars(results: Results, axes: object) -> None:
    from matplotlib.axes import Axes

    assert isinstance(axes, Axes)
    systems = [("ours", "runs.ours"), ("Celery", "runs.celery")]
    workers = (1, 3)
    width = 0.38
    for offset, (name, prefix) in enumerate(systems):
        medians, errors_low, errors_high = [], [], []
        for count in workers:
            figure = results.figures.get(f"{prefix}.w{count}.per_s")
            median = figure.median if figure else math.nan
            medians.append(0.0 if math.isnan(median) else median)
            errors_low.append(0.0 if figure is None or math.isnan(median) else median - figure.minimum)
            errors_high.append(0.0 if figure is None or math.isnan(median) else figure.maximum - median)
        positions = [index + (offset - 0.5) * width for index in range(len(workers))]
        axes.bar(positions, medians, width, yerr=[errors_low, errors_high], capsize=4, label=name)
    axes.set_xticks(range(len(workers)), [f"{count} worker process(es)" for count in workers])
    axes.set_ylabel("runs per second (trigger → success visible)")
    axes.set_title("Runs per second by worker count (median, min–max)")
    axes.legend()
