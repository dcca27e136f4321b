"""Run metrics as a pure fold over the event stream: counts by job and status, fire lag, cancel-to-stop times.

The projector feeds it the events it applies; its collector turns the result into Prometheus metrics. Nothing
here knows Prometheus: `RunMetrics` holds plain counts and the observations not yet handed to a histogram.

Labels come from closed sets only:
- the job label is a catalogue id or a job the event log registered (`JobRegistered`), at most
  `max_jobs` distinct values; any other id, or any past the cap, is `other`;
- the status label is one of the final statuses (`contracts.events.FinalStatus`).

Redeliveries and replays count once: each execution's start, skip/miss and end are counted the first time
they are seen, keyed by execution id in a bounded memory of the `memory` most recently seen executions (far
more than the runs in flight; a redelivery of an execution forgotten since would be counted again).

The two histograms keep bucket counts and a sum (fixed buckets), so memory stays bounded however long nobody
scrapes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import get_args

from contracts.envelope import Event
from contracts.events import CancelRequested
from contracts.events import ExecutionMarkedFailed
from contracts.events import FinalStatus
from contracts.events import JobFinished
from contracts.events import JobMissed
from contracts.events import JobRegistered
from contracts.events import JobSkipped
from contracts.events import JobStarted
from contracts.events import QueuedRunCancelled
from domain.catalogue import CATALOGUE

OTHER_JOB = "other"
FINAL_STATUSES: tuple[str, ...] = get_args(FinalStatus)
DEFAULT_MAX_JOBS = 500
DEFAULT_MEMORY = 100_000


FIRE_LAG_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
CANCEL_TO_STOP_BUCKETS_S = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass
class Histogram:
    """Observations in fixed buckets.

    `counts[i]` is how many were <= `bounds[i]` but above the bound before (not cumulative); the last count is
    those above every bound.
    """

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        """Count one observation (a duration in seconds) in its bucket and in the total."""
        index = next((i for i, bound in enumerate(self.bounds) if value <= bound), len(self.bounds))
        self.counts[index] += 1
        self.total += value

    @property
    def count(self) -> int:
        """How many observations were made, all buckets together."""
        return sum(self.counts)

    def cumulative(self) -> list[tuple[str, int]]:
        """Prometheus' buckets: (upper bound as text, observations at or below it), ending with `+Inf`."""
        running = 0
        buckets: list[tuple[str, int]] = []
        for bound, count in zip((*map(str, self.bounds), "+Inf"), self.counts, strict=True):
            running += count
            buckets.append((bound, running))
        return buckets


@dataclass
class _Seen:
    """What has already been counted for one execution."""

    started: bool = False
    ended: bool = False
    not_run: bool = False
    cancel_requested_at: datetime | None = None


@dataclass
class RunMetrics:
    """Counts and histograms since this process started."""

    max_jobs: int = DEFAULT_MAX_JOBS
    memory: int = DEFAULT_MEMORY
    runs_finished: dict[tuple[str, str], int] = field(default_factory=dict)  # (job, status) -> count
    fires_skipped: dict[str, int] = field(default_factory=dict)
    fires_missed: dict[str, int] = field(default_factory=dict)
    fire_lag_s: Histogram = field(default_factory=lambda: Histogram(FIRE_LAG_BUCKETS_S))
    cancel_to_stop_s: Histogram = field(default_factory=lambda: Histogram(CANCEL_TO_STOP_BUCKETS_S))
    _known_jobs: set[str] = field(default_factory=lambda: set(CATALOGUE))
    _seen: OrderedDict[str, _Seen] = field(default_factory=OrderedDict)

    def job_label(self, job_id: str) -> str:
        """The job's label: its id when known (catalogue or registered within the cap), else `other`."""
        return job_id if job_id in self._known_jobs else OTHER_JOB

    def apply(self, events: Iterable[Event]) -> None:
        """Fold events into the counts; an execution seen before (redelivery, replay) counts once."""
        for event in events:
            self._apply(event)

    # --- the fold --------------------------------------------------------------------------------------
    def _apply(self, event: Event) -> None:
        match event:
            case JobRegistered():
                self._register(event.job_id)
            case JobStarted() if not event.is_manual:
                self._started(event)
            case JobSkipped() | JobMissed():
                self._not_run(event)
            case CancelRequested():
                self._cancel_requested(event)
            case JobFinished():
                self._ended(event, event.status, event.finished_at)
            case ExecutionMarkedFailed():
                self._ended(event, "failed", event.occurred_at)
            case QueuedRunCancelled():
                self._ended(event, "cancelled", event.occurred_at)

    def _started(self, event: JobStarted) -> None:
        """A scheduled run's first start: its fire lag."""
        seen = self._execution(event.execution_id)
        if not seen.started:
            seen.started = True
            lag = (event.started_at - event.scheduled_time).total_seconds()
            self.fire_lag_s.observe(max(lag, 0.0))

    def _not_run(self, event: JobSkipped | JobMissed) -> None:
        seen = self._execution(event.execution_id)
        if not seen.not_run:
            seen.not_run = True
            counts = self.fires_skipped if isinstance(event, JobSkipped) else self.fires_missed
            label = self.job_label(event.job_id)
            counts[label] = counts.get(label, 0) + 1

    def _cancel_requested(self, event: CancelRequested) -> None:
        """The first request by time is the one measured from (requests may arrive out of order)."""
        seen = self._execution(event.execution_id)
        if seen.ended:
            return
        if seen.cancel_requested_at is None or event.occurred_at < seen.cancel_requested_at:
            seen.cancel_requested_at = event.occurred_at

    def _ended(
        self, event: JobFinished | ExecutionMarkedFailed | QueuedRunCancelled, status: str, at: datetime
    ) -> None:
        seen = self._execution(event.execution_id)
        if seen.ended:
            return
        seen.ended = True
        key = (self.job_label(event.job_id), status)
        self.runs_finished[key] = self.runs_finished.get(key, 0) + 1
        if seen.cancel_requested_at is not None:
            self.cancel_to_stop_s.observe(max((at - seen.cancel_requested_at).total_seconds(), 0.0))

    def _register(self, job_id: str) -> None:
        """A job the event log created becomes a label of its own while there is room (`max_jobs`)."""
        if job_id in self._known_jobs or len(self._known_jobs) >= self.max_jobs:
            return
        self._known_jobs.add(job_id)

    def _execution(self, execution_id: str) -> _Seen:
        seen = self._seen.get(execution_id)
        if seen is None:
            seen = self._seen[execution_id] = _Seen()
            while len(self._seen) > self.memory:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(execution_id)
        return seen
