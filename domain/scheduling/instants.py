"""Which scheduled instants a downtime or a stall left, and what each becomes (as fires to decide).

Every instant gets exactly one fire: within the grace time a `scheduled` one (it runs, or the overlap
policy skips it), beyond it a `downtime` one (recorded missed) or, for the newest with the `latest`
catch-up policy, a `catch_up` one (it runs). A downtime longer than the cap keeps the NEWEST instants and
counts the older ones in one `FiresDropped` event. A stall that delivers several instants at once
coalesces them (the newest stands for the others) when the job coalesces.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from contracts.events import FiresDropped
from domain.scheduling.fire import Fire
from domain.scheduling.fire import Now
from domain.scheduling.fire import incarnation_of
from domain.scheduling.job import JobRules
from domain.scheduling.job import Trigger

SCAN_LIMIT = 1_000_000
"""At most this many instants of one downtime are enumerated (the older ones are counted as dropped)."""
RECENT_LIMIT = 10_000
"""At most this many instants within the grace time are run or skipped after a downtime."""
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Instants:
    """The newest instants of a range (oldest first) and what was dropped before them."""

    kept: tuple[datetime, ...]
    dropped: int = 0
    first_dropped: datetime | None = None
    last_dropped: datetime | None = None


def instants_between(trigger: Trigger, first: datetime, until: datetime, *, keep: int) -> Instants:
    """The trigger's instants in [first, until): the newest `keep` of them, and how many older ones."""
    ring: deque[datetime] = deque()
    dropped, first_dropped, last_dropped = 0, None, None
    current = trigger.next_after(first - _TICK)
    scanned = 0
    while current is not None and current < until and scanned < SCAN_LIMIT:
        ring.append(current)
        if len(ring) > keep:
            old = ring.popleft()
            dropped += 1
            first_dropped = first_dropped or old
            last_dropped = old
        scanned += 1
        current = trigger.next_after(current)
    return Instants(tuple(ring), dropped, first_dropped, last_dropped)


@dataclass(frozen=True)
class DowntimePlan:
    """The fires of a downtime's instants (oldest first), and the event counting the dropped ones."""

    fires: tuple[Fire, ...]
    dropped: FiresDropped | None


def downtime_fires(
    job: JobRules, trigger: Trigger, expected: datetime, now: Now, *, producer: str
) -> DowntimePlan:
    """The instants from `expected` (the first instant no scheduler decided) up to now, as fires."""
    grace_start = now.wall - timedelta(seconds=job.misfire_grace_time)
    cap = job.policy.max_catch_up_records
    late = instants_between(trigger, expected, min(grace_start, now.wall), keep=cap + 1)
    recent = instants_between(trigger, max(expected, grace_start), now.wall, keep=RECENT_LIMIT)
    late_times = list(late.kept)
    caught_up: list[Fire] = []
    if late_times and not recent.kept and job.policy.catch_up == "latest":
        caught_up = [Fire.at(job.job_id, late_times.pop(), "catch_up", incarnation_of(job))]
    extra = max(0, len(late_times) - cap)
    missed = late_times[extra:]
    fires = (
        [Fire.at(job.job_id, t, "downtime", incarnation_of(job)) for t in missed]
        + caught_up
        + [Fire.at(job.job_id, t, incarnation=incarnation_of(job)) for t in recent.kept]
    )
    dropped_count = late.dropped + extra + recent.dropped
    ends = [
        late.first_dropped,
        late.last_dropped,
        *late_times[:extra],
        recent.first_dropped,
        recent.last_dropped,
    ]
    known = [moment for moment in ends if moment is not None]
    dropped = None
    if dropped_count and known:
        dropped = FiresDropped(
            producer=producer,
            occurred_at=now.wall,
            job_id=job.job_id,
            count=dropped_count,
            first=min(known),
            last=max(known),
            reason=(
                f"{dropped_count} older instant(s) of a downtime beyond the catch-up cap "
                f"({cap} records) are not recorded one by one"
            ),
        )
    return DowntimePlan(tuple(fires), dropped)


def stalled_fires(job: JobRules, instants: Sequence[datetime]) -> tuple[Fire, ...]:
    """The fires of instants the clock delivered together (a stalled loop, a suspended host)."""
    times = sorted(instants)
    if job.coalesce and len(times) > 1:
        coalesced = [Fire.at(job.job_id, t, "coalesced", incarnation_of(job)) for t in times[:-1]]
        return (*coalesced, Fire.at(job.job_id, times[-1], incarnation=incarnation_of(job)))
    return tuple(Fire.at(job.job_id, t, incarnation=incarnation_of(job)) for t in times)
