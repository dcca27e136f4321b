"""One page of a list as the API answers it: each record's view, the total matching, the page's bounds.

The executions, the history and the backfills answer their pages alike; only the page model, the name of
its rows field, the view of one record and the message differ.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import Generic
from typing import TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from services.api.commands import done
from services.api.dependencies import ApiContext
from services.api.messages import text
from services.api.schemas import Envelope

Record = TypeVar("Record")
Page = TypeVar("Page", bound=BaseModel)


@dataclass(frozen=True)
class Listing(Generic[Record, Page]):
    """How one list answers a page: its model, the field holding its rows, a row's view, its message key."""

    page: type[Page]
    rows_field: str
    view: Callable[[Record, ZoneInfo], Any]
    message_key: str

    def answer(
        self, context: ApiContext, listed: tuple[Sequence[Record], int], limit: int, offset: int
    ) -> Envelope[Page]:
        """The page of `listed` (the records and how many match in all) the route answers."""
        records, total = listed
        rows = [self.view(record, context.zone) for record in records]
        page = self.page.model_validate(
            {self.rows_field: rows, "total": total, "limit": limit, "offset": offset}
        )
        return done(context, text(self.message_key, count=total), page)
