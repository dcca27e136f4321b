"""Settings of the run logs.

`SCHEDULER_RUN_LOGS__<FIELD>`: what a run may log, how it is shipped, how long it is kept.
"""

from __future__ import annotations

from pydantic import BaseModel
from pydantic import Field

from contracts.run_logs import MAX_LINES_PER_BATCH


class RunLogSettings(BaseModel):
    """How much one run attempt may log, how often workers ship it, and how long lines are kept."""

    max_lines: int = Field(default=5000, ge=10, le=1_000_000, description="lines kept per run attempt")
    max_bytes: int = Field(
        default=2 * 1024 * 1024, ge=4096, le=256 * 1024 * 1024, description="bytes kept per run attempt"
    )
    max_line_bytes: int = Field(default=4096, ge=256, le=4096, description="a longer line is cut")
    batch_lines: int = Field(default=MAX_LINES_PER_BATCH, ge=1, le=MAX_LINES_PER_BATCH)
    flush_interval_s: float = Field(
        default=0.25, gt=0, le=10, description="how often a worker ships what its runs logged"
    )
    retention_days: float = Field(default=30, gt=0, description="lines older than this are deleted")
    purge_interval_s: float = Field(default=3600, gt=0, description="how often old lines are deleted")
