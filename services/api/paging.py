"""The page of a list over every job, or over one job's rows: the query parameters such lists share.

No `from __future__ import annotations` here: a list that extends `JobsPage` with filters of its own is a
dataclass in its own module, where FastAPI reads the inherited fields' types; they must be the types
themselves, not names that module does not know.
"""

from dataclasses import dataclass

from services.api.dependencies import JobIdFilter
from services.api.dependencies import Offset
from services.api.dependencies import PageSize


@dataclass(frozen=True)
class JobsPage:
    """Page size, rows skipped, and only this job's rows (a dependency: `Annotated[..., Depends()]`).

    Declared once, documented on each list in this order; a list with filters of its own extends it, its
    filters after these.
    """

    limit: PageSize = 50
    offset: Offset = 0
    job_id: JobIdFilter = None
