"""The names of the read models a replay rebuilds, shared by both stores (SQLite tables, MongoDB collections).

`scheduler_state` (the scheduler's liveness) and the projector's state are not among them: no stored event
makes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import fields
from dataclasses import replace


@dataclass(frozen=True)
class ReadModelNames:
    """The table or collection names of the read models (the live ones, or a rebuild's)."""

    executions: str = "scheduler_executions"
    tombstones: str = "scheduler_execution_tombstones"
    jobs: str = "scheduler_jobs"
    metadata: str = "scheduler_metadata"
    history: str = "scheduler_history"
    backfills: str = "scheduler_backfills"

    def names(self) -> list[str]:
        """Every name, in field order."""
        return [getattr(self, item.name) for item in fields(self)]

    def suffixed(self, suffix: str) -> ReadModelNames:
        """The same names with `suffix` appended (a rebuild's tables beside the live ones)."""
        return replace(self, **{item.name: getattr(self, item.name) + suffix for item in fields(self)})


LIVE = ReadModelNames()
REBUILD = LIVE.suffixed("_rebuild")  # a replay's fresh read models, beside the live ones
