"""How the SQLite store lists backfills (`scheduler_backfills`: a key and its JSON document)."""

from __future__ import annotations

from infrastructure.store.port import BackfillQuery

BACKFILLS_NEWEST_FIRST = "json_extract(document, '$.requested_at') DESC, backfill_id DESC"
_ACTIVE = "(json_extract(document, '$.status') IN ('running', 'cancelling')) = ?"


def backfill_filters(query: BackfillQuery) -> list[tuple[str, object | None]]:
    """(condition with one `?`, value) pairs; a None value is no filter."""
    active = None if query.active is None else int(query.active)
    return [(_ACTIVE, active), ("json_extract(document, '$.job_id') = ?", query.job_id)]
