"""An outage is said once when it begins and once when it ends; health reads since when."""

from __future__ import annotations

import logging
from datetime import UTC
from datetime import datetime

import pytest

from infrastructure.bus.outage import OutageWatch
from infrastructure.process import health_line

SINCE = datetime(2026, 1, 5, 1, 2, 3, tzinfo=UTC)


def test_one_line_per_outage_and_one_when_over(caplog: pytest.LogCaptureFixture) -> None:
    watch = OutageWatch(name="worker:w1", clock=lambda: SINCE)
    with caplog.at_level(logging.INFO, logger="infrastructure.bus.outage"):
        for _ in range(5):
            watch.lost("connection refused")
        assert watch.describe() == "broker unreachable since 2026-01-05T01:02:03+00:00"
        for _ in range(3):
            watch.back()
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2 and "broker unreachable since" in lines[0] and "reachable again" in lines[1]
    assert watch.unreachable_since is None and watch.describe() is None and watch.outages == 1


def test_health_line() -> None:
    assert health_line(None) == "healthy"
    assert health_line(SINCE) == "degraded: broker unreachable since 2026-01-05T01:02:03+00:00"
