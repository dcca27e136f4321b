"""A job's daylight-saving-time policy travels with its registration into the jobs read model."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from contracts.events import JobRegistered
from domain.catalogue_projection import project_job

AT = datetime(2026, 3, 1, tzinfo=UTC)


def registered(**dst: str) -> JobRegistered:
    return JobRegistered(
        producer="scheduler:a", occurred_at=AT, job_id="night", name="night", job_kind="pipeline_canary",
        trigger="cron[hour='2', minute='30']", paused=False, **dst,
    )  # fmt: skip


def test_the_registered_dst_policy_is_kept_and_the_default_is_first_and_shift() -> None:
    own = project_job(None, registered(dst_repeated="every", dst_skipped="skip"))
    assert own is not None and (own.dst_repeated, own.dst_skipped) == ("every", "skip")
    usual = project_job(None, registered())
    assert usual is not None and (usual.dst_repeated, usual.dst_skipped) == ("first", "shift")
    changed = project_job(
        usual, registered(dst_skipped="skip").model_copy(update={"occurred_at": AT.replace(day=2)})
    )
    assert changed is not None and changed.dst_skipped == "skip"
