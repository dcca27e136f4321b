"""Capture of what a job logs, per run.

The run's identity is a context variable, so concurrent runs in one worker never mix: every record of any
logger (the job's, the provider adapters', `warnings`) emitted while a run's context is current goes to that
run's buffer, at the run's level (INFO unless `kwargs.log_level`), its text redacted.

Records below the process's own level are not even made by `logging`: while runs are going the root logger
is at the lowest level one of them wants (INFO, DEBUG for a run that asked), and the process's own handlers
keep the process's level meanwhile (they are given it), so those lines reach the runs' logs only.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC
from datetime import datetime
from typing import cast

from contracts.run_logs import LOG_LEVELS
from contracts.run_logs import LogLevel
from services.workers.run_log_buffer import RunLogBuffer
from services.workers.run_log_redaction import Redactor

current_run_log: ContextVar[tuple[RunLogBuffer, Redactor] | None] = ContextVar(
    "current_run_log", default=None
)
_traceback_formatter = logging.Formatter()


_STANDARD: dict[int, LogLevel] = {logging.getLevelName(name): name for name in LOG_LEVELS}


def level_name(levelno: int) -> LogLevel:
    """The run-log level of a record's number (custom levels go to the nearest standard one below)."""
    if levelno in _STANDARD:
        return _STANDARD[levelno]
    for name in reversed(LOG_LEVELS):
        if levelno >= logging.getLevelName(name):
            return name
    return "DEBUG"


class RunLogHandler(logging.Handler):
    """On the root logger of a worker process; does nothing outside a run's context."""

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record in the current run's log buffer, redacted, if it is logged within a run."""
        current = current_run_log.get()
        if current is None:
            return
        buffer, redact = current
        if record.levelno < buffer.level or buffer.closed:
            return
        if buffer.full:  # counted only: no formatting for a line that is not kept
            buffer.count_dropped(record)
            return
        try:
            text = record.getMessage()
            if record.exc_info:
                text = f"{text}\n{_traceback_formatter.formatException(record.exc_info)}"
            buffer.add(
                level_name(record.levelno),
                record.name,
                redact(text),
                datetime.fromtimestamp(record.created, UTC),
            )
        except Exception:  # a record that cannot be formatted never fails the run
            self.handleError(record)


class _LevelGate:
    """Keeps the root logger at the lowest level a current run wants.

    INFO, or DEBUG for one that asked, whatever the process's own level; the process's handlers keep that
    level meanwhile.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._levels: Counter[int] = Counter()
        self._saved: tuple[int, list[logging.Handler]] | None = None

    def enter(self, level: int) -> None:
        with self._lock:
            self._levels[level] += 1
            self._apply()

    def leave(self, level: int) -> None:
        with self._lock:
            self._levels[level] -= 1
            if self._levels[level] <= 0:
                del self._levels[level]
            self._apply()

    def _apply(self) -> None:
        root = logging.getLogger()
        own_level = self._saved[0] if self._saved is not None else root.level
        wanted = min([own_level, *self._levels])
        if wanted < own_level:
            if self._saved is None:
                quieted = [
                    handler
                    for handler in root.handlers
                    if handler.level == logging.NOTSET and not isinstance(handler, RunLogHandler)
                ]
                for handler in quieted:
                    handler.setLevel(own_level)
                self._saved = (own_level, quieted)
            if root.level != wanted:
                root.setLevel(wanted)
        elif self._saved is not None:
            level, quieted = self._saved
            self._saved = None
            root.setLevel(level)
            for handler in quieted:
                handler.setLevel(logging.NOTSET)


_level_gate = _LevelGate()


def install_capture() -> RunLogHandler:
    """The capture handler on the root logger (once per process); `warnings` go through `logging`."""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, RunLogHandler):
            return handler
    handler = RunLogHandler()
    root.addHandler(handler)
    logging.captureWarnings(True)
    return handler


def run_level(kwargs: dict[str, object]) -> int:
    """The lowest level a run keeps: `kwargs.log_level` (declared for every job kind), else INFO."""
    name = kwargs.get("log_level")
    if isinstance(name, str) and name.upper() in LOG_LEVELS:
        return cast(int, logging.getLevelName(name.upper()))
    return logging.INFO


@contextlib.contextmanager
def capturing(buffer: RunLogBuffer, redactor: Redactor) -> Iterator[None]:
    """What is logged in this context (and the tasks and threads it starts) goes to `buffer`."""
    install_capture()
    _level_gate.enter(buffer.level)
    token = current_run_log.set((buffer, redactor))
    try:
        yield
    finally:
        current_run_log.reset(token)
        _level_gate.leave(buffer.level)
