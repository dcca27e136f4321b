"""One run attempt's log lines on their way to the bus: numbered, cut, counted and bounded.

Lines past the attempt's limits (`RunLogSettings.max_lines`, `max_bytes`) are counted, not kept; when the
attempt ends one last line says how many were dropped. A line longer than `max_line_bytes` is cut and says
how long it was. Thread-safe: a job may log from a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import UTC
from datetime import datetime

from contracts.run_log_settings import RunLogSettings
from contracts.run_logs import LogLevel
from contracts.run_logs import LogLine

CUT_MARKER = " … [line cut: {size:,} characters in all]"


def cut(text: str, max_bytes: int) -> str:
    """`text` within `max_bytes` of UTF-8 (on a character boundary), saying it was cut if it was."""
    if len(text) * 4 <= max_bytes:  # short enough whatever its characters
        return text
    head = text[:max_bytes].encode()
    if len(head) <= max_bytes and len(text) <= max_bytes:
        return text
    return head[:max_bytes].decode(errors="ignore") + CUT_MARKER.format(size=len(text))


class RunLogBuffer:
    """One run attempt's log lines waiting to be shipped: numbered, cut and bounded."""

    def __init__(self, *, job_id: str, execution_id: str, attempt: int, level: int, settings: RunLogSettings):
        self.job_id = job_id
        self.execution_id = execution_id
        self.attempt = attempt
        self.level = level
        self._settings = settings
        self._lock = threading.Lock()
        self._pending: deque[LogLine] = deque()
        self._sequence = 0
        self._kept_bytes = 0
        self.dropped_lines = 0
        self.dropped_bytes = 0
        self.closed = False

    @property
    def pending(self) -> int:
        """How many lines wait to be shipped."""
        return len(self._pending)

    @property
    def full(self) -> bool:
        """Whether the attempt reached its line or byte limit (later lines are only counted)."""
        return self._sequence >= self._settings.max_lines or self._kept_bytes >= self._settings.max_bytes

    def count_dropped(self, record: logging.LogRecord) -> None:
        """A line over the limits: counted (its template's length stands for its size)."""
        with self._lock:
            self.dropped_lines += 1
            self.dropped_bytes += len(str(record.msg))

    def add(self, level: LogLevel, logger: str, message: str, logged_at: datetime) -> None:
        """Keep one line (cut if long), or count it when the attempt's limits are reached."""
        with self._lock:
            if self.closed:
                return
            if self.full:
                self.dropped_lines += 1
                self.dropped_bytes += len(message)
                return
            text = cut(message, self._settings.max_line_bytes)
            self._kept_bytes += len(text.encode())
            self._append(level, logger, text, logged_at)

    def _append(self, level: LogLevel, logger: str, text: str, logged_at: datetime) -> None:
        self._sequence += 1
        self._pending.append(
            LogLine(
                sequence=self._sequence, logged_at=logged_at, level=level, logger=logger[:200], message=text
            )
        )

    def close(self) -> None:
        """No more lines; the last one says how many were dropped, if any were."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            if self.dropped_lines:
                limits = self._settings
                self._append(
                    "WARNING",
                    "run_log",
                    f"{self.dropped_lines:,} more line(s) (about {self.dropped_bytes:,} characters) "
                    f"not kept: over this run's log limit "
                    f"({limits.max_lines:,} lines, {limits.max_bytes:,} bytes)",
                    datetime.now(UTC),
                )

    def take(self, max_lines: int, max_bytes: int) -> list[LogLine]:
        """The oldest pending lines, up to `max_lines` and about `max_bytes` of text (at least one)."""
        taken: list[LogLine] = []
        size = 0
        with self._lock:
            while self._pending and len(taken) < max_lines:
                line = self._pending[0]
                size += len(line.message) + 200
                if taken and size > max_bytes:
                    break
                taken.append(self._pending.popleft())
        return taken

    def give_back(self, lines: list[LogLine]) -> None:
        """Lines whose publishing failed: first in line again."""
        with self._lock:
            self._pending.extendleft(reversed(lines))
