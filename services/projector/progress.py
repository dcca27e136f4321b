"""A tiny progress bar for long commands: done/total, rate and time left, on stderr.

On a terminal it redraws one line (at most every `min_interval_s`); otherwise (a log file, CI) it writes a
plain line every `log_interval_s`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30


class ProgressBar:
    """A progress line for a long command (a replay): done of total, rate and time left."""

    def __init__(
        self,
        total: int,
        *,
        label: str = "replay",
        unit: str = "events",
        stream: TextIO | None = None,
        min_interval_s: float = 0.2,
        log_interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = max(total, 0)
        self.done = 0
        self._label = label
        self._unit = unit
        self._stream = stream or sys.stderr
        self._interactive = self._stream.isatty()
        self._interval = min_interval_s if self._interactive else log_interval_s
        self._clock = clock
        self._started = clock()
        self._drawn = float("-inf")

    @property
    def rate(self) -> float:
        """Units per second so far."""
        elapsed = self._clock() - self._started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, count: int) -> None:
        """Count `count` more done; the line is drawn again if its interval has passed."""
        self.done += count
        if self._clock() - self._drawn >= self._interval:
            self._draw()

    def finish(self) -> None:
        """Draw the final line and end it."""
        self._draw()
        if self._interactive:
            self._stream.write("\n")
        self._stream.flush()

    def line(self) -> str:
        """The progress as one line: a bar, done of total, rate and time left."""
        total = max(self.total, self.done)  # events appended meanwhile
        fraction = self.done / total if total else 1.0
        filled = round(WIDTH * fraction)
        rate = self.rate
        left = (total - self.done) / rate if rate > 0 else 0.0
        return (
            f"{self._label} [{'#' * filled}{'.' * (WIDTH - filled)}] {fraction:4.0%}"
            f" {self.done:,}/{total:,} {self._unit}  {rate:,.0f} {self._unit}/s  {left:,.0f} s left"
        )

    def _draw(self) -> None:
        self._drawn = self._clock()
        if self._interactive:
            self._stream.write(f"\r{self.line()}\x1b[K")
        else:
            self._stream.write(self.line() + "\n")
        self._stream.flush()
