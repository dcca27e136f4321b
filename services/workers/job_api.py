"""What a job function sees: the run's arguments, progress reporting and cancellation.

A job kind is an `async def job(context: JobContext) -> result` registered in the worker's catalogue. It
reports progress at sensible points (per batch or per symbol); each report is also a cancellation check
point: when the operator cancelled the run, `progress()` and `check_cancelled()` raise `RunCancelled`, which
the worker turns into a `cancelled` end. The result must be JSON-serialisable; a job that fails raises.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import Protocol
from typing import TypedDict
from typing import Unpack


class RunCancelled(Exception):
    """The operator cancelled this run; raised at the job's next check point."""

    def __init__(self, actor: str | None) -> None:
        super().__init__(f"cancelled by {actor or 'operator'}")
        self.actor = actor


class ProgressItems(TypedDict, total=False):
    """What a progress report may say besides its percent and message: the item at hand, items done."""

    current_item: str | None
    total_items: int | None
    processed_items: int | None


class JobContext(Protocol):
    """What a job function sees of its run: ids, kwargs, cancellation, and where it reports progress.

    `kwargs` are the run's parameters (the job's own copy); `force` is the manual trigger's switch (e.g.
    skip the trading-time check), for this run only; `is_manual` says whether an operator triggered it.
    """

    execution_id: str
    job_id: str
    kwargs: dict[str, Any]
    force: bool
    is_manual: bool

    @property
    def cancel_requested(self) -> bool:
        """Whether a cancel of the run was asked for (the job should stop soon)."""

    def check_cancelled(self) -> None:
        """Raise `RunCancelled` if the operator asked to cancel this run."""

    async def progress(
        self, percent: float, message: str | None = None, **items: Unpack[ProgressItems]
    ) -> None:
        """Report progress (0-100) and check for cancellation (raises `RunCancelled`)."""


JobFunction = Callable[[JobContext], Awaitable[Any]]


@dataclass(frozen=True)
class PartialResult:
    """What a job returns when it did only part of its work.

    Some rows refused, a page missing, no data on a day that should have had some: the run ends `partial`,
    with `result` (what was done) and `reason` (what was not) in its outcome. A job that did everything
    returns its result as is.
    """

    result: Any
    reason: str
