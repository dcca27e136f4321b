"""How a job's ending becomes the attempt's last event.

Finished (success, partial, failed, cancelled) or, when the retry policy allows another attempt,
`AttemptFailed`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from typing import Literal

from contracts.runs import RunJob
from domain.run_policy import RunPolicy
from domain.run_policy import retry_delay_s
from services.workers.job_api import PartialResult

FailureReason = Literal["error", "timeout", "handed_back"]


@dataclass(frozen=True)
class Outcome:
    """How a run attempt ended: its status, result or error, and who cancelled it."""

    status: Literal["success", "partial", "failed", "cancelled"]
    return_value: Any = None
    error_message: str | None = None
    traceback: str | None = None
    cancelled_by: str | None = None
    failure_reason: FailureReason = "error"

    def retry_in_s(self, run: RunJob) -> float | None:
        """Seconds until the next attempt, or None when this attempt's end is the execution's end."""
        if self.failure_reason == "handed_back":
            return 0.0  # not the job's failure: another worker takes it at once
        if self.status != "failed" or run.attempt >= run.max_attempts:
            return None
        policy = RunPolicy(
            max_attempts=run.max_attempts,
            retry_backoff_s=run.retry_backoff_s,
            retry_backoff_max_s=run.retry_backoff_max_s,
        )
        return retry_delay_s(policy, run.attempt)


def succeeded(result: Any) -> Outcome:
    """The outcome of a job's return.

    A job's return: `success`, or `partial` when it returned a `PartialResult` (what was done is the
    return value, what was not is the message). A partial run is not retried: its work is kept.
    """
    if isinstance(result, PartialResult):
        return Outcome("partial", return_value=jsonable(result.result), error_message=str(result.reason))
    return Outcome("success", return_value=jsonable(result))


def failed(message: str, trace: str | None = None, reason: FailureReason = "error") -> Outcome:
    """A failed outcome with its message, traceback and reason."""
    return Outcome("failed", error_message=message, traceback=trace, failure_reason=reason)


def handed_back(worker_id: str) -> Outcome:
    """The outcome of a run the worker gave back at shutdown (the scheduler may run it again)."""
    return failed(f"handed back: worker {worker_id} shut down before the run ended", reason="handed_back")


def cancelled(actor: str | None) -> Outcome:
    """The outcome of a run cancelled by `actor` (an operator when None)."""
    return Outcome("cancelled", cancelled_by=actor, error_message=f"cancelled by {actor or 'operator'}")


def jsonable(value: Any) -> Any:
    """The job's result as JSON; anything else is kept as its text (never fails the run)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value
