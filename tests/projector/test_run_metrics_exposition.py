"""The run metrics on the projector's `/metrics`: the text Prometheus scrapes, redeliveries counted once."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from domain.catalogue import CANARY_JOB_ID
from infrastructure.store.sqlite_store import SQLiteStore
from services.projector.projector import Projector
from services.projector.stats import metrics_registry
from tests.domain.test_run_metrics import finished
from tests.domain.test_run_metrics import registered
from tests.domain.test_run_metrics import started


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_run_metrics_are_exposed_and_redeliveries_count_once(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "scheduler.sqlite3")
    await store.open()
    projector = Projector(store, projector_id="projector:p1")
    try:
        batch = [
            registered("log_job"),
            started("e1", 0.2),
            finished("e1"),
            finished("e2", "failed", job_id="log_job"),
            finished("e3", job_id="no_such_job"),
        ]
        await projector.on_events(batch)
        await projector.on_events(batch)  # redelivered after a lost acknowledgement
        await projector.on_events(batch[2:3])
        assert projector.stats.duplicates == len(batch) + 1

        text = generate_latest(metrics_registry(projector.stats)).decode()
        found = samples(text)
        finished_total = "scheduler_runs_finished_total"
        assert found[(finished_total, (("job", CANARY_JOB_ID), ("status", "success")))] == 1
        assert found[(finished_total, (("job", "log_job"), ("status", "failed")))] == 1
        assert found[(finished_total, (("job", "other"), ("status", "success")))] == 1
        assert found[("scheduler_fire_lag_seconds_count", ())] == 1
        assert found[("scheduler_fire_lag_seconds_bucket", (("le", "0.25"),))] == 1
        assert found[("scheduler_fire_lag_seconds_bucket", (("le", "0.1"),))] == 0
        assert found[("scheduler_cancel_to_stop_seconds_count", ())] == 0
        assert "# TYPE scheduler_fires_skipped_total counter" in text
        assert "# TYPE scheduler_fires_missed_total counter" in text
        assert "# TYPE scheduler_fire_lag_seconds histogram" in text
    finally:
        await store.close()
