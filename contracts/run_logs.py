"""Run logs on the bus: the lines a job logged while it ran, shipped by its worker in batches.

Not events: they are kept beside the event log (their own table, their own retention), never in it, and
travel on an exchange of their own (`contracts.topology.LOGS_EXCHANGE`) so that the event consumers never
see them.
"""

from __future__ import annotations

from typing import ClassVar
from typing import Literal

from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from contracts.envelope import ExecutionIdStr
from contracts.envelope import JobIdStr
from contracts.envelope import Message

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOG_LEVELS: tuple[LogLevel, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# A line's text is cut to this many bytes (UTF-8) by the worker; the wire accepts a little more for the
# marker saying how much was cut.
MAX_LINE_CHARS = 4096 + 64
MAX_LINES_PER_BATCH = 500


class LogLine(BaseModel):
    """One line of a run's log: `sequence` numbers the lines of one attempt from 1, in the order logged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sequence: int = Field(ge=1)
    logged_at: AwareDatetime
    level: LogLevel
    logger: str = Field(max_length=200)
    message: str = Field(max_length=MAX_LINE_CHARS)


class RunLogBatch(Message):
    """Lines one attempt of one execution logged since the previous batch.

    Emitted by the worker running it (every fraction of a second while lines come, and once more when the
    attempt ends); consumed by the run-log writer (`services.projector.run_logs`), which stores each line once
    per (execution, attempt, sequence): a batch delivered twice is stored once.
    """

    kind: ClassVar[str] = "log"

    type: Literal["RunLogBatch"] = "RunLogBatch"
    job_id: JobIdStr
    execution_id: ExecutionIdStr
    attempt: int = Field(default=1, ge=1)
    lines: tuple[LogLine, ...] = Field(min_length=1, max_length=MAX_LINES_PER_BATCH)
