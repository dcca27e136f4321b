"""What the projector counts and measures, as its state record (read by the API) and Prometheus metrics.

Lag is the time from an event's `occurred_at` to the moment it was applied to the read models. The state's
`lag_s` is the current one: while a batch is being applied, the age of its oldest event; right after a
batch, that batch's lag; once nothing has arrived for a whole reporting interval, 0 (caught up).
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

from contracts.envelope import Event
from domain.records import ProjectorStateRecord
from domain.run_metrics import Histogram
from domain.run_metrics import RunMetrics
from domain.same_fields import copied


@dataclass
class ProjectionStats:
    """Counters since this process started (not shared between an active projector and its standby)."""

    started_at: datetime
    applied: int = 0  # events applied to the read models
    stored: int = 0  # events new to the event store
    duplicates: int = 0  # events the event store already had (redeliveries)
    not_stored: int = 0  # heartbeats: applied, never stored
    batches: int = 0
    store_retries: int = 0  # batches tried again because the store was unavailable
    dead_lettered: int = 0  # messages of the projector's queue sent to the dead-letter queue
    last_occurred_at: datetime | None = None
    last_applied_at: datetime | None = None
    last_batch_lag_s: float = 0.0
    max_lag_s: float = 0.0
    in_flight_since: datetime | None = None  # oldest `occurred_at` of the batch being applied
    applied_since_report: bool = field(default=False, repr=False)
    runs: RunMetrics = field(default_factory=RunMetrics, repr=False)  # run metrics of the applied events

    def batch_started(self, events: Sequence[Event]) -> None:
        """Note a batch being applied: the lag is its oldest event's age until it is done."""
        self.in_flight_since = min((event.occurred_at for event in events), default=None)

    def batch_applied(self, events: Sequence[Event], applied_at: datetime) -> None:
        """Count a batch applied at `applied_at` and measure its lag."""
        self.in_flight_since = None
        if not events:
            return
        last = events[-1].occurred_at
        oldest = min(event.occurred_at for event in events)
        self.applied += len(events)
        self.batches += 1
        self.last_occurred_at = last
        self.last_applied_at = applied_at
        self.last_batch_lag_s = max((applied_at - last).total_seconds(), 0.0)
        self.max_lag_s = max(self.max_lag_s, (applied_at - oldest).total_seconds())
        self.applied_since_report = True

    def current_lag_s(self, now: datetime) -> float:
        """Seconds the read models are behind now; 0 once nothing has arrived for a while."""
        if self.in_flight_since is not None:
            return max((now - self.in_flight_since).total_seconds(), 0.0)
        return self.last_batch_lag_s if self.applied_since_report else 0.0

    def state(self, projector_id: str, now: datetime, interval_s: float) -> ProjectorStateRecord:
        """The projector's state record at `now`, as the store keeps it and the API shows it."""
        # The counters and instants as they are, the lags rounded to the millisecond.
        return copied(
            ProjectorStateRecord,
            self,
            projector_id=projector_id,
            updated_at=now,
            interval_s=interval_s,
            lag_s=round(self.current_lag_s(now), 3),
            last_batch_lag_s=round(self.last_batch_lag_s, 3),
            max_lag_s=round(self.max_lag_s, 3),
        )


class ProjectorCollector(Collector):
    """Reads the stats when Prometheus scrapes (nothing to update on the hot path)."""

    def __init__(self, stats: ProjectionStats, clock: type[datetime] = datetime) -> None:
        self._stats = stats
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        """The projector's metric families, read from the stats when Prometheus scrapes."""
        stats = self._stats
        now = self._clock.now(stats.started_at.tzinfo)
        yield GaugeMetricFamily(
            "scheduler_projector_lag_seconds",
            "How far behind the event log the read models are (occurred_at to applied)",
            value=stats.current_lag_s(now),
        )
        yield GaugeMetricFamily(
            "scheduler_projector_max_lag_seconds", "Largest lag seen since start", value=stats.max_lag_s
        )
        for name, documentation, value in (
            ("events_applied", "Events applied to the read models", stats.applied),
            ("events_stored", "Events new to the event store", stats.stored),
            ("events_duplicate", "Redelivered events the event store already had", stats.duplicates),
            ("events_dead_lettered", "Messages sent to the dead-letter queue", stats.dead_lettered),
            ("store_retries", "Batches tried again because the store was unavailable", stats.store_retries),
        ):
            yield CounterMetricFamily(f"scheduler_projector_{name}", documentation, value=value)
        yield from run_metric_families(stats.runs)


def run_metric_families(runs: RunMetrics) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
    """The run metrics (`domain.run_metrics`) as Prometheus families, labels from closed sets only."""
    finished = CounterMetricFamily(
        "scheduler_runs_finished", "Runs ended, by job and final status", labels=["job", "status"]
    )
    for (job, status), count in sorted(runs.runs_finished.items()):
        finished.add_metric([job, status], count)
    yield finished
    for name, documentation, counts in (
        ("fires_skipped", "Fires skipped (not run by policy or state), by job", runs.fires_skipped),
        ("fires_missed", "Fires missed (past their grace time), by job", runs.fires_missed),
    ):
        family = CounterMetricFamily(f"scheduler_{name}", documentation, labels=["job"])
        for job, count in sorted(counts.items()):
            family.add_metric([job], count)
        yield family
    yield _histogram(
        "scheduler_fire_lag_seconds",
        "Scheduled runs: time from the scheduled time to the worker's start",
        runs.fire_lag_s,
    )
    yield _histogram(
        "scheduler_cancel_to_stop_seconds",
        "Time from a run's first cancel request to its end",
        runs.cancel_to_stop_s,
    )


def _histogram(name: str, documentation: str, histogram: Histogram) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation)
    family.add_metric([], histogram.cumulative(), sum_value=histogram.total)
    return family


def metrics_registry(stats: ProjectionStats) -> CollectorRegistry:
    """A registry that serves the projector's metrics from `stats`."""
    registry = CollectorRegistry()
    registry.register(ProjectorCollector(stats))
    return registry
