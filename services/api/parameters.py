"""A manual trigger's kwargs checked against its job kind's declared parameters.

The parameters are those of `contracts.job_parameters`: unknown ones, wrong types and values out of range
answered 422 naming the problem and the accepted names.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from fastapi import status

from contracts.job_parameters import InvalidParameters
from contracts.job_parameters import check_parameters
from domain.records import JobRecord


def checked_kwargs(job: JobRecord, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The kwargs of a manual trigger, checked against the job kind's parameters; 422 if invalid."""
    try:
        check_parameters(job.job_kind, kwargs)
    except InvalidParameters as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"请求体 kwargs: {error}") from None
    return kwargs
