"""The leader's state reconciled with the read model: unfinished executions it does not hold are adopted.

A publish that times out waiting for its confirm may still have reached the broker. The leader then forgets
the run it had decided (`forgotten`), so that the redelivered command decides afresh; but the read model
lists the run, and the redelivered command finds it recorded and leaves it. Nothing watched such a run
until the next take-over: if its `RunJob` was the message lost, it stayed `queued` for ever. The same holds
for a one-off run (`scheduled`) and for a run a worker took (`running`: no heartbeat watch).

The leader's watch therefore reads the store's unfinished executions now and then and adopts those its state
does not hold, exactly as a new leader adopts them (`loaded`), so the queued-run redispatch, the heartbeat
watch and the one-off timer cover them again. Adopting twice is harmless: a second `RunJob` of one attempt
is dropped by the workers' run claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace

from domain.records import ExecutionRecord
from domain.scheduling.fire import Now
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import loaded

RECONCILED_STATUSES: tuple[str, ...] = ("queued", "running", "scheduled")
"""The unfinished statuses a leader can lose track of (it forgets runs and one-off runs it cannot publish).

A fire waiting for its upstream jobs (`waiting`) is kept by the state even when its publish fails.
"""


@dataclass(frozen=True)
class Reconciliation:
    """The state after a reconciliation, and the execution ids it adopted (oldest record first)."""

    state: SchedulerState
    adopted: tuple[str, ...] = ()


def strays(
    state: SchedulerState, records: Iterable[ExecutionRecord], now: Now, *, grace_s: float
) -> list[ExecutionRecord]:
    """The records of unfinished executions the state knows nothing of, unchanged for `grace_s` or more.

    An execution the state knows (in flight, planned, waiting, or ended: its outcome remembered) is never
    adopted: the state is the newer of the two. The grace leaves alone a record whose latest events may still
    be on their way to the leader (their echo folds them in as adoption would).
    """
    found: dict[str, ExecutionRecord] = {}
    for record in records:
        if record.status not in RECONCILED_STATUSES or state.outcome(record.execution_id) is not None:
            continue
        if (now.wall - record.updated_at).total_seconds() >= grace_s:
            found[record.execution_id] = record
    return sorted(found.values(), key=lambda record: record.updated_at)


def reconciled(
    state: SchedulerState, records: Iterable[ExecutionRecord], now: Now, *, grace_s: float
) -> Reconciliation:
    """`state` with the `strays` among `records` adopted the way a new leader adopts them (`loaded`).

    Adopted runs are heard of and sent `now`: the redispatch and heartbeat timeouts start from here.
    """
    found = strays(state, records, now, grace_s=grace_s)
    if not found:
        return Reconciliation(state)
    adopted = loaded(found, (), now)
    # `loaded` makes runs and one-off runs of these statuses; waiting fires are never strays.
    state = replace(state, runs={**state.runs, **adopted.runs}, planned={**state.planned, **adopted.planned})
    return Reconciliation(state, tuple(record.execution_id for record in found))
