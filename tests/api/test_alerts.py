"""The alert routes on a real SQLite store: incidents folded from the log (filters, paging, detail with its
notifications), acknowledgements, silences, rule overrides and channel tests recorded as events in the log;
bad input answered 422 naming the field, viewers refused every change."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import httpx
import pytest

from contracts.alert_events import AlertNotified
from contracts.alert_events import AlertRaised
from contracts.alert_events import AlertResolved
from contracts.codec import to_document
from infrastructure.store.port import EventQuery
from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.envelope import accepted
from tests.api.envelope import error
from tests.api.envelope import ok

BASE = "/api/scheduler/alerts"
NOW = datetime.now(UTC)


def raised(job_id: str, rule: str = "run_failed", minutes: int = 0, severity: str = "error") -> AlertRaised:
    return AlertRaised(
        producer="alerter:a", occurred_at=NOW - timedelta(minutes=60 - minutes), rule=rule, severity=severity,
        incident_id=f"{rule}:{job_id}:{minutes}", job_id=job_id, job_name=f"任务 {job_id}",
        summary="failed: boom",
        since=NOW - timedelta(minutes=61 - minutes), execution_id="e-failed",
    )  # fmt: skip


@pytest.fixture
async def incidents(store: SQLiteStore) -> list[AlertRaised]:
    await seed.catalogue(store)
    opened = [raised("quotes"), raised("news", "stale", 1, "critical"), raised("basics", "run_missed", 2)]
    notified = AlertNotified(
        producer="alerter:a", occurred_at=NOW - timedelta(minutes=50), incident_ids=(opened[0].incident_id,),
        notice="raised", channel_type="dingtalk", outcome="sent", attempts=1,
    )  # fmt: skip
    resolved = AlertResolved(
        producer="alerter:a", occurred_at=NOW - timedelta(minutes=40), incident_id=opened[2].incident_id,
        rule="run_missed", job_id="basics", reason="succeeded",
    )  # fmt: skip
    await store.append_events([to_document(event) for event in (*opened, notified, resolved)])
    return opened


async def test_incidents_listed_newest_first_with_filters_paging_and_the_open_count(
    client: httpx.AsyncClient, viewer: dict[str, str], incidents: list[AlertRaised]
) -> None:
    page = ok(await client.get(f"{BASE}/incidents", headers=viewer))
    assert [item["job_id"] for item in page["items"]] == ["basics", "news", "quotes"]
    assert (page["total"], page["open"]) == (3, 2)
    assert page["items"][0]["status"] == "resolved" and page["items"][0]["resolution"] == "succeeded"
    assert page["items"][2]["notifications"] == 1 and page["items"][2]["since"].endswith("+08:00")
    open_page = ok(
        await client.get(f"{BASE}/incidents", params={"status": "open", "limit": 1}, headers=viewer)
    )
    assert [item["job_id"] for item in open_page["items"]] == ["news"] and open_page["total"] == 2
    second = ok(await client.get(f"{BASE}/incidents", params={"status": "open", "limit": 1, "offset": 1},
                                 headers=viewer))  # fmt: skip
    assert [item["job_id"] for item in second["items"]] == ["quotes"]
    critical = ok(await client.get(f"{BASE}/incidents", params={"severity": "critical"}, headers=viewer))
    assert [item["rule"] for item in critical["items"]] == ["stale"]
    assert "status" in error(
        await client.get(f"{BASE}/incidents", params={"status": "nope"}, headers=viewer), 422
    )


async def test_incident_detail_lists_its_notifications(
    client: httpx.AsyncClient, viewer: dict[str, str], incidents: list[AlertRaised]
) -> None:
    detail = ok(await client.get(f"{BASE}/incidents/{incidents[0].incident_id}", headers=viewer))
    assert detail["job_name"] == "任务 quotes"
    [notification] = detail["notification_log"]
    assert (notification["channel_type"], notification["outcome"], notification["notice"]) == (
        "dingtalk", "sent", "raised",
    )  # fmt: skip
    error(await client.get(f"{BASE}/incidents/nope", headers=viewer), 404)


async def test_acknowledging_records_an_event_once(
    client: httpx.AsyncClient, admin: dict[str, str], incidents: list[AlertRaised], store: SQLiteStore
) -> None:
    path = f"{BASE}/incidents/{incidents[0].incident_id}/acknowledge"
    detail = ok(await client.post(path, json={"note": "looking into it"}, headers=admin))
    assert (detail["acknowledged_by"], detail["acknowledgement_note"]) == ("alice", "looking into it")
    ok(await client.post(path, headers=admin))  # again: nothing more recorded
    events, total = await store.list_events(EventQuery(type="IncidentAcknowledged"))
    assert total == 1 and events[0]["actor"] == "alice"
    resolved = f"{BASE}/incidents/{incidents[2].incident_id}/acknowledge"
    error(await client.post(resolved, headers=admin), 409)


async def test_silences_created_listed_shown_on_incidents_and_ended(
    client: httpx.AsyncClient, admin: dict[str, str], incidents: list[AlertRaised], store: SQLiteStore
) -> None:
    silence = ok(
        await client.post(
            f"{BASE}/silences",
            json={"job_id": "quotes", "duration_s": 3600, "reason": "维护窗口"},
            headers=admin,
        )
    )
    assert (silence["job_id"], silence["rule"], silence["actor"]) == ("quotes", None, "alice")
    assert [s["silence_id"] for s in ok(await client.get(f"{BASE}/silences", headers=admin))] == [
        silence["silence_id"]
    ]
    quotes = ok(await client.get(f"{BASE}/incidents/{incidents[0].incident_id}", headers=admin))
    assert quotes["silenced"] is True and quotes["status"] == "open", "silenced, still listed"
    news = ok(await client.get(f"{BASE}/incidents/{incidents[1].incident_id}", headers=admin))
    assert news["silenced"] is False
    ok(await client.delete(f"{BASE}/silences/{silence['silence_id']}", headers=admin))
    assert ok(await client.get(f"{BASE}/silences", headers=admin)) == []
    error(await client.delete(f"{BASE}/silences/{silence['silence_id']}", headers=admin), 404)
    _, silenced = await store.list_events(EventQuery(type="AlertSilenced"))
    _, ended = await store.list_events(EventQuery(type="AlertUnsilenced"))
    assert (silenced, ended) == (1, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"job_id": "quotes", "duration_s": 0, "reason": "x"}, "duration_s"),
        ({"job_id": "quotes", "duration_s": 31 * 86400, "reason": "x"}, "duration_s"),
        ({"job_id": "quotes", "duration_s": 60, "reason": "  "}, "reason"),
        ({"rule": "nope", "duration_s": 60, "reason": "x"}, "rule"),
        ({"job_id": "quotes", "duration_s": 60, "reason": "x", "extra": 1}, "extra"),
    ],
)
async def test_an_invalid_silence_is_422_naming_the_field(
    client: httpx.AsyncClient, admin: dict[str, str], incidents: list[AlertRaised], body: dict[str, object],
    field: str,
) -> None:  # fmt: skip
    assert field in error(await client.post(f"{BASE}/silences", json=body, headers=admin), 422)


async def test_a_silence_needs_a_target_and_a_known_job(
    client: httpx.AsyncClient, admin: dict[str, str], incidents: list[AlertRaised]
) -> None:
    assert "job_id" in error(
        await client.post(f"{BASE}/silences", json={"duration_s": 60, "reason": "x"}, headers=admin), 422
    )
    error(await client.post(f"{BASE}/silences", json={"job_id": "nope", "duration_s": 60, "reason": "x"},
                            headers=admin), 404)  # fmt: skip
    system = {"job_id": "scheduler", "rule": "no_leader", "duration_s": 60, "reason": "upgrade"}
    assert ok(await client.post(f"{BASE}/silences", json=system, headers=admin))["rule"] == "no_leader"


async def test_rules_set_for_every_job_and_for_one_as_events(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str], incidents: list[AlertRaised],
    store: SQLiteStore,
) -> None:  # fmt: skip
    assert ok(await client.get(f"{BASE}/rules", headers=viewer)) == {"default": None, "jobs": []}
    ok(await client.put(f"{BASE}/rules", json={"consecutive_failures": 5}, headers=admin))
    rules = ok(await client.put(f"{BASE}/rules/quotes", json={"run_failed": False, "slow_factor": 0},
                                headers=admin))  # fmt: skip
    assert rules["default"]["rules"]["consecutive_failures"] == 5
    assert [(j["job_id"], j["rules"]["run_failed"], j["actor"]) for j in rules["jobs"]] == [
        ("quotes", False, "alice")
    ]
    assert "consecutive_failures" in error(
        await client.put(f"{BASE}/rules", json={"consecutive_failures": -1}, headers=admin), 422
    )
    error(await client.put(f"{BASE}/rules/nope", json={}, headers=admin), 404)
    assert ok(await client.get(f"{BASE}/rules", headers=viewer)) == rules, "kept after a refused change"
    _, total = await store.list_events(EventQuery(type="AlertRulesUpdated"))
    assert total == 2


async def test_a_channel_test_without_an_alerter_answers_202_and_stays_pending(
    client: httpx.AsyncClient, admin: dict[str, str], store: SQLiteStore
) -> None:
    response = await client.post(f"{BASE}/channels/test", json={"channel": 0}, headers=admin)
    data = accepted(response)
    assert data["status"] == "pending"
    assert ok(await client.get(response.headers["location"], headers=admin))["status"] == "pending"
    [requested], _ = await store.list_events(EventQuery(type="AlertChannelTestRequested"))
    assert (requested["test_id"], requested["channel"], requested["actor"]) == (data["test_id"], 0, "alice")
    answer = AlertNotified(
        producer="alerter:a", incident_ids=(), notice="test", channel_type="json", outcome="failed",
        attempts=3, error="the channel refused the message", test_id=data["test_id"],
    )  # fmt: skip
    await store.append_event(to_document(answer))
    outcome = ok(await client.get(response.headers["location"], headers=admin))
    assert (outcome["status"], outcome["channel_type"], outcome["attempts"]) == ("failed", "json", 3)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", f"{BASE}/incidents/run_failed:quotes:0/acknowledge", None),
        ("POST", f"{BASE}/silences", {"job_id": "quotes", "duration_s": 60, "reason": "x"}),
        ("DELETE", f"{BASE}/silences/s1", None),
        ("PUT", f"{BASE}/rules", {}),
        ("PUT", f"{BASE}/rules/quotes", {}),
        ("POST", f"{BASE}/channels/test", {}),
    ],
)
async def test_viewers_change_nothing(
    client: httpx.AsyncClient, viewer: dict[str, str], incidents: list[AlertRaised], store: SQLiteStore,
    method: str, path: str, body: dict[str, object] | None,
) -> None:  # fmt: skip
    before = await store.count_events()
    assert error(await client.request(method, path, json=body, headers=viewer), 403) == "需要管理员权限"
    assert await store.count_events() == before
