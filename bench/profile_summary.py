"""Where each service's CPU goes, by layer and by function, from the CPU profiles of a bench run.

`BENCH_CPROFILE=<dir>` runs every `services.*` process under `bench/cprofiled.py` (cProfile timed in CPU
seconds); this module reads the `<dir>/<process>.pstats` files and writes one Markdown section: per
process, the share of its own CPU (cProfile's `tottime`, time spent in a function itself) that each layer
takes — the event loop, the AMQP client, pydantic, SQLite, JSON, our own code, start-up — and the
functions that take the most. The bench appends it to the run's summary when `BENCH_CPROFILE` is set, so
the profile that explains a figure is committed beside it.

`python -m bench.profile_summary <dir> [--top N]` prints the same section for a directory of profiles.

Caveats (also printed): cProfile inflates code made of many small calls several times over, and outside
the measured batches of (3) and (15) it counts the whole process life, so the shares say where, not how
much; aiosqlite
runs SQLite in a thread whose CPU lands on whatever the main thread was doing, mostly the event loop's wait
(`select`), which is therefore counted as "event loop wait (+ SQLite thread)".
"""

from __future__ import annotations

import argparse
import pstats
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.environment import ROOT

TOP = 12
FunctionKey = tuple[str, int, str]

# (layer, words any of which in the function's file or built-in name puts it there); first match wins.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("start-up (imports, compiling)", ("<frozen importlib", "<module>", "builtins.compile", "builtins.exec")),
    ("event loop wait (+ SQLite thread)", ("'select.epoll'", "'poll' of", "selectors.py")),
    ("asyncio event loop and tasks", ("/asyncio/", "_asyncio.", "'_contextvars")),
    ("AMQP client (aio-pika, aiormq, pamqp)", ("/aio_pika/", "/aiormq/", "/pamqp/")),
    ("pydantic (validation, models)", ("/pydantic/", "pydantic_core")),
    ("SQLite (aiosqlite, sqlite3)", ("/aiosqlite/", "sqlite3")),
    ("JSON", ("/json/", "'_json", "orjson")),
    ("sockets and OS calls", ("'_socket", "socket.py", "'posix.", "ssl")),
    ("logging", ("/logging/",)),
    ("our code", ("/contracts/", "/domain/", "/infrastructure/", "/services/")),
)
OTHER = "other (standard library, other libraries)"


def layer_of(key: FunctionKey) -> str:
    """The layer a profiled function belongs to, from its file and name."""
    file, _, name = key
    text = f"{file}:{name}"
    for layer, words in LAYERS:
        if any(word in text for word in words):
            return layer
    return OTHER


def where(key: FunctionKey) -> str:
    """A profiled function as `path:line(name)`, the path relative to the repo or site-packages."""
    file, line, name = key
    if file == "~":
        return name
    for prefix in (f"{ROOT}/", "site-packages/", "/lib/python3.11/"):
        if prefix in file:
            file = file.split(prefix, 1)[1]
            break
    return f"{file}:{line}({name})"


def own_times(stats: pstats.Stats) -> dict[FunctionKey, float]:
    """Each function's own CPU seconds (cProfile's tottime)."""
    return {key: values[2] for key, values in _table(stats).items()}


def layer_times(stats: pstats.Stats) -> dict[str, float]:
    """Own CPU seconds per layer; a built-in no layer names (`isinstance`, `dict.get`) counts for its callers.

    A built-in's time is shared among the functions that called it in proportion to the time each call
    edge took, so `isinstance` called by pydantic counts as pydantic's.
    """
    layers: dict[str, float] = defaultdict(float)
    for key, (_, _, own, _, callers) in _table(stats).items():
        layer = layer_of(key)
        if key[0] != "~" or layer != OTHER or not callers:
            layers[layer] += own
            continue
        edges = {caller: edge[2] for caller, edge in callers.items()}
        spent = sum(edges.values())
        for caller, seconds in edges.items():
            share = seconds / spent if spent > 0 else 1 / len(edges)
            layers[layer_of(caller)] += own * share
    return dict(layers)


def _table(stats: pstats.Stats) -> dict[FunctionKey, tuple[int, int, float, float, dict[FunctionKey, Any]]]:
    return stats.stats  # type: ignore[attr-defined,no-any-return]


def process_section(name: str, stats: pstats.Stats, top: int) -> list[str]:
    """One process's layer shares and top functions, as Markdown lines."""
    times = own_times(stats)
    total = sum(times.values()) or 1e-9
    layers = layer_times(stats)
    lines = [f"#### {name}: {total:.1f} CPU s profiled", "", "| layer | CPU s | share |", "|---|---|---|"]
    for layer, seconds in sorted(layers.items(), key=lambda item: -item[1]):
        lines.append(f"| {layer} | {seconds:.2f} | {100 * seconds / total:.0f} % |")
    lines += ["", f"| top {top} functions by own CPU | layer | CPU s | share |", "|---|---|---|---|"]
    for key, seconds in sorted(times.items(), key=lambda item: -item[1])[:top]:
        cell = where(key).replace("|", "\\|")
        lines.append(f"| `{cell}` | {layer_of(key)} | {seconds:.2f} | {100 * seconds / total:.1f} % |")
    return [*lines, ""]


def render(directory: Path, top: int = TOP) -> str:
    """The Markdown section for every `<process>.pstats` in `directory` (empty when there is none)."""
    files = sorted(directory.glob("*.pstats"))
    if not files:
        return ""
    lines = [
        "### CPU profile by process and layer",
        "",
        f"From `BENCH_CPROFILE={directory}` (`bench/profile_summary.py`). In (3) and (15) the measured"
        " batches only, elsewhere each process's whole life. cProfile inflates code made of many small"
        " calls (the event loop, the AMQP client) several times over: shares say where the CPU goes, not"
        " how much. SQLite's thread lands in the event loop's wait; a built-in no layer names counts for"
        " its callers.",
        "",
    ]
    for path in files:
        lines += process_section(path.stem, pstats.Stats(str(path)), top)
    return "\n".join(lines)


def parse_arguments(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path, help="where the <process>.pstats files are")
    parser.add_argument("--top", type=int, default=TOP, help="functions listed per process")
    return parser.parse_args(None if argv is None else list(argv))


def main() -> None:
    arguments = parse_arguments()
    print(
        render(arguments.directory, max(1, min(arguments.top, 100))) or f"no .pstats in {arguments.directory}"
    )


if __name__ == "__main__":
    main()
