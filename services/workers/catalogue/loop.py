"""Shared machinery of the sync jobs: counting, batched writes with progress, the per-symbol loop.

Progress goes through `JobContext.progress` once per batch (of symbols or of written rows), never per row;
each report is a cancellation check point, and the symbol loop also checks for cancellation before every
symbol. A symbol whose provider call fails for good is counted as failed and the loop goes on; the run
fails only when more than `failure_ratio` of its symbols failed, or when the provider looks down
(`max_consecutive_network_failures` network failures in a row), so an offline run ends quickly. An answer
whose columns we cannot read (a column renamed by a library upgrade) fails the run at once, naming it.

A run that did only part of its work (rows refused by an invariant or as bad provider values, symbols that
failed, no data where some was due) returns `PartialResult(result, reason)`: it ends `partial`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from infrastructure.market.port import MarketStore
from infrastructure.market.port import WriteResult
from services.workers.job_api import JobContext
from services.workers.job_api import PartialResult
from services.workers.providers.errors import DataShapeError
from services.workers.providers.errors import ProviderError
from services.workers.providers.errors import TransientNetworkError
from services.workers.providers.pacing import Clock
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import Row

MAX_LISTED_FAILURES = 20
MAX_LISTED_NO_DATA = 20
JobResult = dict[str, Any] | PartialResult


class SyncFailed(RuntimeError):
    """The run failed as a whole; the message carries the counts and the first errors."""


@dataclass
class SyncTally:
    """What a sync did (rows processed, written, skipped, refused, failed), its run's result."""

    job_id: str
    source: str
    total: int = 0
    processed: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    skipped_reasons: Counter[str] = field(default_factory=Counter)
    refused_reasons: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, str]] = field(default_factory=list)
    no_data: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def refused(self) -> int:
        """How many rows the invariants refused, all reasons together."""
        return sum(self.refused_reasons.values())

    def refuse(self, reasons: Counter[str]) -> None:
        """Rows that broke an invariant (see `invariants`): not written, counted."""
        self.refused_reasons.update(reasons)

    def missing(self, item: str) -> None:
        """An item that should have had data and had none."""
        self.no_data.append(item)

    def add_parsed(self, parsed: ParsedRows) -> None:
        """Count the rows a parse skipped, by reason."""
        self.skipped += parsed.skipped
        self.skipped_reasons.update(parsed.skipped_reasons)

    def add_written(self, written: WriteResult) -> None:
        """Count what a write inserted and updated (and left alone as stale)."""
        self.inserted += written.inserted
        self.updated += written.updated
        if written.stale:
            self.notes["stale"] = self.notes.get("stale", 0) + written.stale

    def add_failure(self, item: str, error: Exception) -> None:
        """Count one failed item (a symbol); the first few are listed in the result."""
        self.failed += 1
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append({"item": item, "error": str(error)})

    def summary(self) -> str:
        """The tally in one line, for the run's log and result."""
        return (
            f"{self.job_id} ({self.source}): {self.processed}/{self.total} processed, "
            f"{self.inserted} inserted, {self.updated} updated, {self.skipped} rows skipped, "
            f"{self.refused} rows refused, {self.failed} failed"
        )

    def finish(self, failure_ratio: float) -> JobResult:
        """The run's JSON result.

        A `PartialResult` when some of the work was not done; `SyncFailed` when most of its items failed.
        """
        if self.total and self.failed > self.total * failure_ratio:
            first = "; ".join(f"{f['item']}: {f['error']}" for f in self.failures[:3])
            raise SyncFailed(f"{self.summary()}; first errors: {first}")
        reason = self.partial_reason()
        if reason:
            status = "partial"
        elif self.inserted + self.updated == 0:
            status = "empty"
        else:
            status = "success"
        result = {
            "status": status,
            "job_id": self.job_id,
            "source": self.source,
            "total": self.total,
            "processed": self.processed,
            "inserted": self.inserted,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "refused": self.refused,
            "skipped_reasons": dict(self.skipped_reasons),
            "refused_reasons": dict(self.refused_reasons),
            "failures": self.failures,
            "no_data": self.no_data[:MAX_LISTED_NO_DATA],
            **self.notes,
            "message": self.summary(),
        }
        return PartialResult(result, reason) if reason else result

    def partial_reason(self) -> str:
        """What was not done, or "" when everything was."""
        parts = []
        if self.refused:
            reasons = ", ".join(f"{name}: {count}" for name, count in self.refused_reasons.items())
            parts.append(f"{self.refused} rows refused ({reasons})")
        if self.skipped:
            reasons = ", ".join(f"{name}: {count}" for name, count in self.skipped_reasons.items())
            parts.append(f"{self.skipped} provider rows unusable ({reasons})")
        if self.failed:
            parts.append(f"{self.failed} of {self.total} items failed")
        if self.no_data:
            shown = ", ".join(self.no_data[:5]) + (" ..." if len(self.no_data) > 5 else "")
            parts.append(f"{len(self.no_data)} items had no data where some was due ({shown})")
        return "; ".join(parts)


def skipped_result(job_id: str, source: str, reason: str, **notes: Any) -> dict[str, Any]:
    """The result of a run that had nothing to do (outside the session, not a trading day), with why."""
    return {"status": "skipped", "job_id": job_id, "source": source, "reason": reason, **notes}


async def write_rows(
    context: JobContext,
    store: MarketStore,
    collection: str,
    rows: Sequence[Row],
    tally: SyncTally,
    *,
    batch_size: int,
    percent: tuple[float, float] = (0.0, 100.0),
    newer_than: str | None = None,
) -> None:
    """Write rows in batches, reporting progress.

    Upsert (or, with `newer_than`, replace, never over a newer row) in batches, reporting progress (and
    so checking for cancellation) after each batch; rows not written as stale are counted in `stale`.
    """
    low, high = percent
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        if newer_than is None:
            tally.add_written(await store.upsert(collection, batch))
        else:
            tally.add_written(await store.replace(collection, batch, newer_than=newer_than))
        done = start + len(batch)
        await context.progress(
            low + (high - low) * done / len(rows),
            f"{collection}: {done}/{len(rows)} rows written",
            current_item=str(batch[-1].get("code") or batch[-1].get("symbol") or ""),
            total_items=len(rows),
            processed_items=done,
        )


@dataclass(frozen=True)
class LoopOptions:
    """How a per-symbol loop runs: batch size, pause between batches (s), network failures in a row."""

    batch_size: int = 50
    batch_pause_s: float = 0.0
    max_consecutive_network_failures: int = 5


SymbolHandler = Callable[[str], Awaitable[None]]


async def for_each_symbol(
    context: JobContext,
    symbols: Sequence[str],
    handle: SymbolHandler,
    tally: SyncTally,
    *,
    label: str,
    clock: Clock,
    options: LoopOptions,
    percent: tuple[float, float] = (0.0, 100.0),
) -> None:
    """Run `handle` per symbol; provider failures are counted, anything else ends the run."""
    low, high = percent
    tally.total += len(symbols)
    await context.progress(low, f"{label}: {len(symbols)} symbols", total_items=len(symbols))
    network_streak = 0
    for index, symbol in enumerate(symbols, start=1):
        context.check_cancelled()
        try:
            await handle(symbol)
            network_streak = 0
        except DataShapeError as error:  # the library changed under us: every symbol would fail alike
            raise SyncFailed(f"{tally.summary()}; {label}: {error}") from error
        except ProviderError as error:
            tally.add_failure(symbol, error)
            network_streak = network_streak + 1 if isinstance(error, TransientNetworkError) else 0
            if network_streak >= options.max_consecutive_network_failures:
                raise SyncFailed(
                    f"{tally.summary()}; {label}: provider unreachable, "
                    f"{network_streak} network failures in a row, last: {error}"
                ) from error
        tally.processed += 1
        if index % options.batch_size == 0 or index == len(symbols):
            await context.progress(
                low + (high - low) * index / len(symbols),
                f"{label}: {index}/{len(symbols)} ({tally.failed} failed)",
                current_item=symbol,
                total_items=len(symbols),
                processed_items=index,
            )
            if options.batch_pause_s > 0 and index < len(symbols):
                await clock.sleep(options.batch_pause_s)
