"""The scheduler suites' embedded system: projector and worker running, its own scheduler stopped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.embedded.system import EmbeddedSystem
from tests.jobs import embedded_settings


@pytest.fixture
async def pipeline(tmp_path: Path) -> AsyncIterator[EmbeddedSystem]:
    """Projector and worker running, data-sync jobs paused.

    Each test starts its own schedulers on the same bus and store.
    """
    system = EmbeddedSystem(embedded_settings(data_dir=tmp_path))
    await system.start()
    await system.scheduler.stop()
    try:
        yield system
    finally:
        await system.stop()
