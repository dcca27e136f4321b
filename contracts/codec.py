"""Encoding and decoding of messages, with a clear reason for anything rejected.

A message is UTF-8 JSON with a `type` and a `version`. Decoding picks the class registered for the type;
an older version is first brought to the current shape by the upcasters registered for it, one version at
a time (how to add a version: `contracts/README.md`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated
from typing import Any
from typing import Union

from pydantic import Field
from pydantic import TypeAdapter
from pydantic import ValidationError

from contracts.commands import COMMAND_TYPES
from contracts.envelope import Event
from contracts.envelope import Message
from contracts.events import EVENT_TYPES
from contracts.events import EVENT_UPCASTERS
from contracts.json_bounds import MESSAGE_LIMITS
from contracts.json_bounds import JsonOutOfBounds
from contracts.json_bounds import check_text
from contracts.run_logs import RunLogBatch
from contracts.runs import RunJob

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_ALL_TYPES: tuple[type[Message], ...] = (*COMMAND_TYPES, RunJob, RunLogBatch, *EVENT_TYPES)
MESSAGE_TYPES: dict[str, type[Message]] = {cls.model_fields["type"].default: cls for cls in _ALL_TYPES}
# The version each class writes: the default of its `version` field.
CURRENT_VERSION: dict[str, int] = {
    name: cls.model_fields["version"].default for name, cls in MESSAGE_TYPES.items()
}
# (type, old version) -> function returning the document at old version + 1; defined beside the classes.
UPCASTERS: dict[tuple[str, int], Upcaster] = {**EVENT_UPCASTERS}
# Every event type, told apart by `type`: JSON text to an event in one pass of pydantic's parser.
_EVENTS: TypeAdapter[Event] = TypeAdapter(
    Annotated[Union[EVENT_TYPES], Field(discriminator="type")]  # type: ignore[arg-type]  # noqa: UP007
)


class MessageRejected(ValueError):
    """A message that cannot be accepted; `reason` says why, for the dead-letter queue and the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def encode(message: Message) -> bytes:
    """The JSON body that carries `message` on the bus (the inverse of `decode`)."""
    return message.model_dump_json().encode()


def to_document(message: Message) -> dict[str, Any]:
    """JSON-compatible dict of a message (what the event store keeps)."""
    document: dict[str, Any] = message.model_dump(mode="json")
    return document


def decode(body: bytes | str) -> Message:
    """The message in a body as a bus carries it; MessageRejected, with the reason, if it is not one.

    An event at its current version (nearly every message) is decoded in one pass; anything else (commands,
    older versions to upcast, what is invalid) the general way, which gives the reason a body is refused.
    """
    try:  # bounded first: a body from elsewhere cannot reach a recursive parser however deep it is
        check_text(body, MESSAGE_LIMITS)
    except JsonOutOfBounds as error:
        raise MessageRejected(str(error)) from None
    if (event := decode_current_event(body)) is not None:
        return event
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MessageRejected(f"not valid JSON: {error}") from None
    except RecursionError:
        raise MessageRejected("JSON nested too deeply to be read") from None
    if not isinstance(document, dict):
        raise MessageRejected(f"expected a JSON object, got {type(document).__name__}")
    return from_document(document)


def from_document(document: dict[str, Any]) -> Message:
    """The message in a stored or received JSON document, upcast to its type's current version.

    Raises MessageRejected, with the reason, when the `type` is missing or unknown or the fields are
    invalid.
    """
    message_type = document.get("type")
    if not isinstance(message_type, str):
        raise MessageRejected("missing or non-string field 'type'")
    cls = MESSAGE_TYPES.get(message_type)
    if cls is None:
        raise MessageRejected(f"unknown message type {message_type!r}")
    upcast = _upcast(message_type, dict(document))
    try:
        return cls.model_validate(upcast)
    except RecursionError:
        raise MessageRejected(f"invalid {message_type}: nested too deeply to be read") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '<root>'}: {item['msg']}"
            for item in error.errors()
        )
        raise MessageRejected(f"invalid {message_type} v{upcast.get('version')}: {problems}") from None


def decode_current_event(text: str | bytes) -> Event | None:
    """The current-version event in a JSON text, decoded in one pass; None for anything else.

    The event in JSON `text` if it is an event of a known type at its current version, decoded in one
    pass with no intermediate dict (about twice as fast as `json.loads` then `from_document`: the fast path
    of `decode` and of a replay); None for anything else (an older version, a command, anything invalid),
    which the caller hands to `from_document` to be upcast or rejected with a reason. For documents the
    codec wrote (`to_document`: every event in the event store) the event is the one `from_document`
    gives.
    """
    try:
        event = _EVENTS.validate_json(text)
    except (ValidationError, RecursionError):
        return None
    if "version" not in event.model_fields_set or event.version != CURRENT_VERSION[event.type]:
        return None  # without a version a document is version 1, which may need upcasting
    return event


def upcast_document(document: dict[str, Any]) -> dict[str, Any]:
    """A stored document in its type's current shape.

    It is what a reader of the event store shows; a document that cannot be upcast (unknown type or version:
    the replay reports those) is given as it is.
    """
    message_type, version = document.get("type"), document.get("version", 1)
    if not isinstance(message_type, str) or message_type not in CURRENT_VERSION:
        return document
    if not isinstance(version, int) or version >= CURRENT_VERSION[message_type]:
        return document
    try:
        return _upcast(message_type, dict(document))
    except MessageRejected:
        return document


def _upcast(message_type: str, document: dict[str, Any]) -> dict[str, Any]:
    version = document.get("version", 1)
    current = CURRENT_VERSION[message_type]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MessageRejected(f"invalid version {version!r} of {message_type}")
    if version > current:
        raise MessageRejected(f"unknown version {version} of {message_type} (newest known: {current})")
    while version < current:
        upcaster = UPCASTERS.get((message_type, version))
        if upcaster is None:
            raise MessageRejected(f"no upcaster for {message_type} v{version}")
        document = upcaster(document)
        version += 1
        document["version"] = version
    return document
