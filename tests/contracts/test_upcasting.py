"""A real breaking change: `ExecutionMarkedFailed` v1 → v2 (the scheduler's own failures have no actor)."""

from __future__ import annotations

import json
from typing import Any

from contracts import codec
from contracts.codec import decode
from contracts.codec import upcast_document
from contracts.events import ExecutionMarkedFailed
from domain.catalogue_projection import history_entry
from tests.contracts.examples import GOLDEN_DIR

V1 = GOLDEN_DIR / "ExecutionMarkedFailed.v1.json"


def v1_document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(V1.read_text(encoding="utf-8"))
    return {**document, **changes}


def test_the_current_version_is_2_and_v1_has_an_upcaster() -> None:
    assert codec.CURRENT_VERSION["ExecutionMarkedFailed"] == 2
    assert ("ExecutionMarkedFailed", 1) in codec.UPCASTERS
    assert (
        ExecutionMarkedFailed(producer="s", job_id="j", execution_id="e", actor=None, reason="x").version == 2
    )


def test_a_v1_operator_failure_keeps_its_operator() -> None:
    event = decode(V1.read_bytes())
    assert isinstance(event, ExecutionMarkedFailed)
    assert (event.version, event.actor, event.reason) == (2, "admin", "用户手动标记为失败")
    entry = history_entry(event)
    assert entry is not None and (entry.action, entry.actor) == ("mark_failed", "admin")


def test_a_v1_scheduler_failure_is_read_as_the_scheduler_itself() -> None:
    event = codec.from_document(v1_document(actor="scheduler", reason="worker lost"))
    assert isinstance(event, ExecutionMarkedFailed)
    assert (event.version, event.actor) == (2, None)
    assert history_entry(event) is None, "not an operator action"


def test_stored_documents_are_shown_in_the_current_shape() -> None:
    assert upcast_document(v1_document(actor="scheduler")) == {**v1_document(), "version": 2, "actor": None}
    current = json.loads((GOLDEN_DIR / "ExecutionMarkedFailed.v2.json").read_text(encoding="utf-8"))
    assert upcast_document(current) == current
    unknown = {"type": "LaunchMissiles", "version": 1}
    assert upcast_document(unknown) == unknown, "left as it is: the replay reports those"
    newer = v1_document(version=7)
    assert upcast_document(newer) == newer
