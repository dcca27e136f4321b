"""One process, one `/metrics`: the embedded mode adds the projector's and the alerter's metrics to the
API's."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import httpx
from prometheus_client.parser import text_string_to_metric_families

from infrastructure.store.sqlite_store import SQLiteStore
from infrastructure.store.sqlite_users import SQLiteUserStore
from services.alerter.metrics import AlerterMetrics
from services.api.app import create_app
from services.api.settings import ApiSettings
from services.projector.stats import ProjectionStats
from services.projector.stats import ProjectorCollector
from tests.api.fakes import RecordingBus
from tests.domain.test_run_metrics import finished


async def test_the_api_exposes_the_collectors_it_is_given(
    settings: ApiSettings, store: SQLiteStore, users: SQLiteUserStore
) -> None:
    stats = ProjectionStats(started_at=datetime(2026, 3, 2, tzinfo=UTC))
    stats.runs.apply([finished("e1", "partial")])
    alerter = AlerterMetrics()
    alerter.incidents_open.labels("run_failed").set(3)
    app = create_app(
        settings=settings,
        store=store,
        bus=RecordingBus(),
        users=users,
        metrics_collectors=(ProjectorCollector(stats), alerter.registry),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.get("/healthz")
        answer = await client.get("/metrics")
    assert answer.status_code == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }
    labels = (("job", "pipeline_canary"), ("status", "partial"))
    assert samples[("scheduler_runs_finished_total", labels)] == 1
    assert samples[("scheduler_alert_incidents_open", (("rule", "run_failed"),))] == 3
    assert ("scheduler_projector_lag_seconds", ()) in samples
    assert any(name == "scheduler_api_requests_total" for name, _ in samples)
