"""The codec decodes every golden file, and rejects malformed or unknown messages with a clear reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts import codec
from contracts.codec import MESSAGE_TYPES
from contracts.codec import MessageRejected
from contracts.codec import decode
from contracts.codec import encode
from contracts.codec import to_document
from contracts.envelope import Event
from contracts.envelope import Message
from tests.contracts.examples import GOLDEN_DIR
from tests.contracts.examples import examples
from tests.contracts.examples import golden_path

GOLDEN_FILES = sorted(GOLDEN_DIR.glob("*.json"))


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda path: path.stem)
def test_every_golden_file_still_decodes(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    message = decode(path.read_bytes())
    assert message.type == document["type"]
    if document["version"] < codec.CURRENT_VERSION[message.type]:
        return  # upcast: its shape is the current one, checked by the upcaster's own test
    decoded = to_document(message)
    assert {key: decoded[key] for key in document} == document, "every field keeps its value"
    # Fields added since the golden file was written are compatible only with their defaults.
    fields = type(message).model_fields
    added = {key: value for key, value in decoded.items() if key not in document}
    assert added == {key: fields[key].get_default(call_default_factory=True) for key in added}


def test_every_message_type_has_a_golden_file_at_its_current_version() -> None:
    covered = {path.stem for path in GOLDEN_FILES}
    expected = {f"{name}.v{version}" for name, version in codec.CURRENT_VERSION.items()}
    assert expected <= covered, f"missing golden files: {sorted(expected - covered)}"
    assert {message.type for message in examples()} == set(MESSAGE_TYPES)


@pytest.mark.parametrize("message", examples(), ids=lambda message: message.type)
def test_encode_decode_round_trip(message: Message) -> None:
    assert decode(encode(message)) == message
    assert golden_path(message).exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe not json", "not valid JSON"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object, got list"),
        (b'{"version": 1}', "missing or non-string field 'type'"),
        (b'{"type": "LaunchMissiles", "version": 1}', "unknown message type 'LaunchMissiles'"),
        (b'{"type": "PauseJob", "version": 9}', "unknown version 9 of PauseJob"),
        (b'{"type": "PauseJob", "version": "1"}', "invalid version '1' of PauseJob"),
        (b'{"type": "PauseJob", "version": 1, "producer": "api"}', "job_id: Field required"),
    ],
)
def test_malformed_messages_are_rejected_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(MessageRejected) as raised:
        decode(body)
    assert reason in raised.value.reason


def test_unknown_fields_and_naive_datetimes_are_rejected() -> None:
    document = to_document(examples()[0])
    with pytest.raises(MessageRejected, match="extra_field"):
        decode(json.dumps({**document, "extra_field": 1}))
    with pytest.raises(MessageRejected, match="occurred_at"):
        decode(json.dumps({**document, "occurred_at": "2026-11-27T08:00:00"}))


def test_an_older_version_is_upcast_on_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    """A breaking change bumps the version; the upcaster beside it keeps old stored events readable."""
    document = to_document(examples()[0])  # PauseJob v1
    monkeypatch.setitem(codec.CURRENT_VERSION, "PauseJob", 2)
    monkeypatch.setitem(codec.UPCASTERS, ("PauseJob", 1), lambda old: {**old, "job_id": old["job_id"]})
    monkeypatch.setattr(type(examples()[0]).model_fields["version"], "default", 2)
    upcast = codec.from_document(document)
    assert upcast.version == 2
    monkeypatch.delitem(codec.UPCASTERS, ("PauseJob", 1))
    with pytest.raises(MessageRejected, match="no upcaster for PauseJob v1"):
        codec.from_document(document)


@pytest.mark.parametrize("message", examples(), ids=lambda message: message.type)
def test_the_fast_event_decoding_gives_what_decode_gives_or_nothing(message: Message) -> None:
    """`decode_current_event` (a replay's fast path) decodes an event at its current version exactly as
    `decode` does, and leaves everything else (commands, runs) to `decode`."""
    fast = codec.decode_current_event(encode(message))
    if isinstance(message, Event):
        assert fast == decode(encode(message))
        assert fast is not None and to_document(fast) == to_document(message)
    else:
        assert fast is None


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe not json",
        b"[1, 2]",
        b'{"type": "LaunchMissiles", "version": 1}',
        b'{"type": "JobPaused", "version": 1, "producer": "api"}',
    ],
)
def test_the_fast_event_decoding_leaves_what_it_cannot_decode_to_decode(body: bytes) -> None:
    assert codec.decode_current_event(body) is None


def test_the_fast_event_decoding_leaves_older_versions_to_the_upcasters() -> None:
    (old,) = [path for path in GOLDEN_FILES if path.stem == "ExecutionMarkedFailed.v1"]
    assert codec.decode_current_event(old.read_bytes()) is None
    current = next(message for message in examples() if message.type == "ExecutionMarkedFailed")
    document = to_document(current)
    del document["version"]  # no version: version 1, to be upcast, not the class's default
    assert codec.decode_current_event(json.dumps(document)) is None


def test_a_partial_end_is_a_compatible_value_of_job_finished() -> None:
    """`partial` was added without a new version: the v1 golden file still means what it meant, and a
    partial end travels at version 1."""
    golden = json.loads((GOLDEN_DIR / "JobFinished.v1.json").read_text())
    assert decode(json.dumps(golden).encode()).status == golden["status"]  # type: ignore[attr-defined]
    partial = json.dumps({**golden, "status": "partial", "error_message": "2 rows refused"}).encode()
    message = decode(partial)
    assert message.version == 1 and message.status == "partial"  # type: ignore[attr-defined]
    assert decode(encode(message)) == message
    with pytest.raises(MessageRejected):
        decode(json.dumps({**golden, "status": "half"}).encode())
