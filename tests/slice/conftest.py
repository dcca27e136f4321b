from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.embedded.system import EmbeddedSystem
from tests.jobs import embedded_settings


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[EmbeddedSystem]:
    """Projector, worker and scheduler in this process: in-memory bus, SQLite file in tmp_path."""
    settings = embedded_settings(
        data_dir=tmp_path,
        bus="memory",
        store="sqlite",
        heartbeat_interval_s=0.2,
        worker_capacity=2,
    )
    running = EmbeddedSystem(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
