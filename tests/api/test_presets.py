"""Metadata presets: commands only for jobs that exist and have no metadata; within the limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.commands import DESCRIPTION_MAX
from contracts.commands import DISPLAY_NAME_MAX
from contracts.commands import UpdateJobMetadata
from domain.records import MetadataRecord
from infrastructure.bus.port import BusUnavailable
from infrastructure.store.sqlite_store import SQLiteStore
from services.api import presets
from services.api.presets import PRESETS
from services.api.presets import seed_presets
from tests.api import seed
from tests.api.fakes import DownBus
from tests.api.fakes import RecordingBus
from tests.store_writes import put_job
from tests.store_writes import put_metadata
from tests.workers.test_catalogue_registry import SPEC_TABLE


def test_presets_fit_the_contract_limits() -> None:
    for job_id, (display_name, description) in PRESETS.items():
        assert 0 < len(display_name) <= DISPLAY_NAME_MAX, job_id
        assert 0 < len(description) <= DESCRIPTION_MAX, job_id


def test_presets_are_the_catalogue_of_the_spec() -> None:
    """The names of the spec's table (copied in SPEC_TABLE), one preset per data-sync job."""
    assert {job_id: name for job_id, (name, _) in SPEC_TABLE.items()} == {
        job_id: display_name for job_id, (display_name, _) in PRESETS.items()
    }


async def test_only_existing_jobs_without_metadata(store: SQLiteStore) -> None:
    await put_job(store, seed.job("news_sync"))
    await put_job(store, seed.job("tushare_quotes_sync"))
    await put_job(store, seed.job("not_in_the_presets"))
    await put_metadata(
        store, MetadataRecord(job_id="tushare_quotes_sync", display_name="mine", updated_at=seed.T0)
    )
    bus = RecordingBus()
    assert await seed_presets(store, bus) == ["news_sync"]
    [command] = bus.published
    assert isinstance(command, UpdateJobMetadata)
    assert (command.job_id, command.actor) == ("news_sync", "presets")
    assert command.display_name == "新闻数据同步（AKShare）"


async def test_nothing_to_do_publishes_nothing(store: SQLiteStore) -> None:
    bus = RecordingBus()
    assert await seed_presets(store, bus) == []
    assert bus.published == []
    await put_job(store, seed.job("news_sync"))
    with pytest.raises(BusUnavailable):
        await seed_presets(store, DownBus())


def test_the_command_refuses_the_in_memory_bus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCHEDULER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SCHEDULER_BUS", "memory")
    assert presets.main() == 1
    assert "in-memory bus" in capsys.readouterr().err
