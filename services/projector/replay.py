"""`python -m services.projector replay [--verify]`: rebuild every read model from the event store.

The events are read in store order, decoded (old versions upcast), folded in memory a batch at a time and
written into fresh tables/collections beside the live ones (`Rebuilds.begin_rebuild`). Then either they are
swapped in (atomically, after a last catch-up with the events stored meanwhile), or, with `--verify`, they
are compared with the live ones: the differences are printed, the exit status is 1 if there are any, and
the live read models are left as they were. Stored events that cannot be decoded (an unknown type, say) are
reported and skipped; a replay that fails leaves the live read models untouched.

`scheduler_state` (the scheduler's heartbeats) and the projector's own state are not rebuilt: no stored
event makes them. Run one replay at a time.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Protocol
from typing import TextIO

from infrastructure.adapters import make_store
from infrastructure.settings import CommonSettings
from infrastructure.store.port import Difference
from infrastructure.store.port import EventLog
from infrastructure.store.port import ReadModelWriter
from infrastructure.store.port import Rebuilds
from infrastructure.store.port import ReplayInProgress
from infrastructure.store.port import Retention
from services.projector.progress import ProgressBar
from services.projector.replay_fold import ReplayFolder
from services.projector.replay_fold import Skipped

logger = logging.getLogger(__name__)
BATCH_SIZE = 10_000


class ReplayStore(EventLog, Rebuilds, ReadModelWriter, Retention, Protocol):
    """What a replay does with the store.

    Read the event log into a rebuild, then (stores without a lock across the swap) fold the events stored
    meanwhile into the live read models once more.
    """


@dataclass
class ReplayResult:
    """What a replay did: events read, time taken, what was skipped, and the comparison if asked."""

    events: int = 0  # events read from the store
    seconds: float = 0.0
    skipped: Skipped = field(default_factory=Skipped)
    verified: bool = False
    differences: list[Difference] = field(default_factory=list)
    difference_total: int = 0

    @property
    def events_per_s(self) -> float:
        """The replay's rate in events per second (0 if it took no time)."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


async def replay(
    store: ReplayStore,
    *,
    verify: bool = False,
    batch_size: int = BATCH_SIZE,
    difference_limit: int = 50,
    progress: ProgressBar | None = None,
    holder: str = "replay",
) -> ReplayResult:
    """Rebuild the read models and swap them in, or compare them with the live ones.

    `verify` compares; `holder` names this replay in the store's replay lock (ReplayInProgress if another
    replay holds it).
    """
    bar = progress or ProgressBar(await store.count_events())
    started = time.perf_counter()
    rebuild = await store.begin_rebuild(holder)
    folder = ReplayFolder(rebuild, fresh=True)
    result = ReplayResult(verified=verify, skipped=folder.skipped)

    async def catch_up() -> None:
        async for batch in store.iter_events(batch_size, after=folder.position):
            await folder.fold_stored(batch)
            result.events += len(batch)
            bar.advance(len(batch))

    try:
        await catch_up()  # everything stored so far; the swap or the comparison catches up again
        if verify:
            result.differences, result.difference_total = await rebuild.compare(catch_up, difference_limit)
        else:
            await rebuild.swap_in(catch_up)
    finally:
        await rebuild.discard()  # only what is left of the fresh read models
    if not verify and rebuild.needs_live_catch_up:
        await _apply_to_live(store, folder.position, batch_size)
    result.seconds = time.perf_counter() - started
    bar.finish()
    return result


async def _apply_to_live(store: ReplayStore, after: int, batch_size: int) -> None:
    """Apply once more the events the projector may have applied to the old read models.

    Events the projector may have applied to the old read models during a swap without a lock: applied
    to the new ones once more (a second application changes nothing).
    """
    live = ReplayFolder(store, fresh=False)
    async for batch in store.iter_events(batch_size, after=after):
        await live.fold_stored(batch)


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def describe(difference: Difference) -> list[str]:
    """One difference between the live and the rebuilt read models, as lines for the operator."""
    where = f"{difference.read_model} {difference.key}"
    live, rebuilt = difference.live, difference.rebuilt
    if live is None:
        return [f"{where}: only in the rebuilt read model"]
    if rebuilt is None:
        return [f"{where}: only in the live read model"]
    lines = [f"{where}:"]
    for name in sorted(live.keys() | rebuilt.keys()):
        was, now = live.get(name, "<absent>"), rebuilt.get(name, "<absent>")
        if was != now:
            lines.append(f"    {name}: live {_shown(was)}  rebuilt {_shown(now)}")
    return lines


def report(result: ReplayResult, out: TextIO) -> None:
    """Write the replay's summary for the operator: rate, skipped events, differences."""
    out.write(
        f"replayed {result.events:,} events in {result.seconds:.1f} s ({result.events_per_s:,.0f} events/s)\n"
    )
    for event_type, count in sorted(result.skipped.by_type.items()):
        reason = result.skipped.reasons[event_type]
        out.write(f"skipped {count:,} stored event(s) of type {event_type}: {reason}\n")
    if not result.verified:
        out.write("read models rebuilt and swapped in\n")
        return
    for difference in result.differences:
        out.write("\n".join(describe(difference)) + "\n")
    if result.difference_total > len(result.differences):
        out.write(f"... and {result.difference_total - len(result.differences):,} more\n")
    verdict = "identical" if not result.difference_total else f"{result.difference_total:,} difference(s)"
    out.write(f"verify: live and rebuilt read models: {verdict} (live read models left as they were)\n")


async def run_replay(
    settings: CommonSettings, *, verify: bool, batch_size: int, show: int, out: TextIO
) -> int:
    """The command: exit status 0, 1 when `--verify` found differences, 2 when another replay is running."""
    store = make_store(settings)
    await store.open()
    holder = f"{socket.gethostname()}:{os.getpid()}"
    # A replay makes millions of short-lived objects and next to no reference cycles: the cycle collector
    # would only spend time (about 5 %) scanning them; reference counting frees them all the same.
    gc.disable()
    try:
        result = await replay(
            store, verify=verify, batch_size=batch_size, difference_limit=show, holder=holder
        )
    except ReplayInProgress as busy:
        out.write(f"not replayed: {busy}\n")
        return 2
    finally:
        gc.enable()
        await store.close()
    report(result, out)
    return 1 if result.difference_total else 0
