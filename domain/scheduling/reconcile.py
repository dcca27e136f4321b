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

A fire waiting for its upstream jobs is kept instead, waiting again (`rewaited`, `unconfirmed`), when its
run or skip is not confirmed. Its record is read before it is decided again (`reconciled_waits`): released
or ended there, what got through stands (its run is adopted, or its end remembered); otherwise it is decided
again like any waiting fire. Before, it was decided again blindly: a skip that got through was followed by
a run, a run that got through was skipped while it ran (its record ended `skipped`).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace

from contracts.events import TERMINAL_STATUSES
from domain.records import ExecutionRecord
from domain.scheduling.fire import Now
from domain.scheduling.progress import ran
from domain.scheduling.progress import record_run
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import ended
from domain.scheduling.state import loaded
from domain.scheduling.state import unwaited
from domain.scheduling.state import waits

RECONCILED_STATUSES: tuple[str, ...] = ("queued", "running", "scheduled")
"""The unfinished statuses a leader can lose track of (it forgets runs and one-off runs it cannot publish).

A fire waiting for its upstream jobs (`waiting`) is kept by the state even when its publish fails.
"""


@dataclass(frozen=True)
class Reconciliation:
    """The state after a reconciliation, and the execution ids it took from the read model."""

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
    return Reconciliation(_adopted(state, found, now), tuple(record.execution_id for record in found))


def _adopted(state: SchedulerState, records: Iterable[ExecutionRecord], now: Now) -> SchedulerState:
    """`state` with the unfinished `records` adopted as a new leader adopts them (`loaded`).

    `loaded` makes runs and one-off runs of the reconciled statuses; waiting fires are never adopted.
    """
    adopted = loaded(records, (), now)
    return replace(state, runs={**state.runs, **adopted.runs}, planned={**state.planned, **adopted.planned})


def put_back(state: SchedulerState) -> list[str]:
    """The waiting fires whose run or skip was not confirmed (`rewaited`): their records are read first."""
    return [run.execution_id for run in state.waiting.values() if run.unconfirmed]


def reconciled_waits(
    state: SchedulerState, records: Mapping[str, ExecutionRecord], now: Now
) -> Reconciliation:
    """`state` with the fires `put_back` as `records` (the read model, by execution id) has them.

    A fire whose record is released or ended (its run or skip got through) waits no longer: an ended one is
    remembered ended, a run in flight is adopted (`loaded`), and its run counts as its job's (`record_run`;
    its `RunJob` was never confirmed). The others are decided again like any waiting fire (their run or skip
    did not get through: no record, or still `waiting`). `adopted`: the fires whose record stands.
    """
    found: list[ExecutionRecord] = []
    for execution_id in put_back(state):
        record = records.get(execution_id)
        if record is None or record.status == "waiting":
            state = waits(state, replace(state.waiting[execution_id], unconfirmed=False))
        else:
            found.append(record)
    if not found:
        return Reconciliation(state)
    progress = state.progress
    for record in found:
        state = unwaited(state, record.execution_id)
        if record.status in TERMINAL_STATUSES:
            state = ended(state, record.execution_id, record.status)
        at = record_run(record)
        progress = ran(progress, record.job_id, at) if at is not None else progress
    state = _adopted(replace(state, progress=progress), found, now)
    return Reconciliation(state, tuple(record.execution_id for record in found))
