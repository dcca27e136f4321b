"""Record helpers the projections lean on for speed: each gives exactly what the plain way gives."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.records import ExecutionRecord
from domain.records import JobRecord
from domain.records import as_utc_key
from domain.records import updated

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def execution() -> ExecutionRecord:
    return ExecutionRecord(
        execution_id="e1", job_id="job-a", job_name="Job A", status="queued", timestamp=T0, updated_at=T0
    )


@pytest.mark.parametrize(
    "update",
    [{}, {"status": "running", "last_sequence": 2}, {"kwargs": {"a": 1}, "updated_at": T0 + timedelta(1)}],
)
def test_updated_is_model_copy(update: dict[str, object]) -> None:
    record = execution()
    fast, plain = updated(record, update), record.model_copy(update=update)
    assert fast == plain and fast is not record
    assert fast.model_dump_json() == plain.model_dump_json()
    assert fast.model_fields_set == plain.model_fields_set
    assert (fast.__pydantic_extra__, fast.__pydantic_private__) == (None, None)
    assert record == execution(), "the original is left as it was"


def test_updated_keeps_the_type() -> None:
    job = JobRecord(
        job_id="job-a", name="A", job_kind="a", trigger="t", paused=False, registered_at=T0, updated_at=T0
    )
    assert type(updated(job, {"paused": True})) is JobRecord


@given(
    st.datetimes(
        min_value=datetime(1, 1, 1, 14, 0), max_value=datetime(9999, 12, 31, 9, 0), timezones=st.just(UTC)
    ),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_utc_keys_are_the_fixed_width_format_whatever_the_zone(moment: datetime, minutes: int) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=minutes)))
    assert as_utc_key(local) == moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
