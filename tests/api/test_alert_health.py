"""Health reports an alert channel whose latest message finally failed (from the event log)."""

from __future__ import annotations

import httpx

from contracts.alert_events import AlertNotified
from contracts.codec import to_document
from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.envelope import ok
from tests.store_writes import put_scheduler_state


def notified(channel_type: str, outcome: str) -> dict[str, object]:
    return to_document(
        AlertNotified(producer="alerter:a", incident_ids=("i1",), notice="raised", channel_type=channel_type,
                      outcome=outcome, attempts=5 if outcome == "failed" else 1)
    )  # fmt: skip


async def test_a_failing_alert_channel_degrades_health_until_it_delivers_again(
    client: httpx.AsyncClient, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    await seed.catalogue(store)
    await put_scheduler_state(store, seed.heartbeat(age_s=1))
    await store.append_events(
        [notified("json", "sent"), notified("dingtalk", "failed"), notified("json", "sent")]
    )
    health = ok(await client.get("/api/scheduler/health", headers=viewer))
    assert health["status"] == "degraded"
    assert health["alert_channels_failing"] == ["dingtalk"]
    assert health["reasons"] == ["告警通道发送失败：dingtalk"]
    await store.append_events([notified("dingtalk", "sent")])
    health = ok(await client.get("/api/scheduler/health", headers=viewer))
    assert health["status"] == "healthy" and health["alert_channels_failing"] == []
