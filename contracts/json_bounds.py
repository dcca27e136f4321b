"""Limits on JSON that comes from outside.

Nesting depth, items per container, string length, total size, no NaN or Infinity, no control characters in
strings.

Pure functions, no I/O: the API checks every body with them before anything is parsed by the framework,
the message codec checks every body a bus delivers, and the commands and events that carry free-form
values (a run's `kwargs`) check them again when they are built. Each refusal is a `JsonOutOfBounds` whose
message names the limit that was passed.

The depth of raw text is measured without parsing it (`raw_depth`), so a body nested 10,000 levels deep is
refused before any recursive parser sees it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Annotated
from typing import Any

from pydantic import AfterValidator

# Control characters other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A JSON string (escapes included); what is left once they are removed is only structure and scalars.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


class JsonOutOfBounds(ValueError):
    """JSON past one of the limits; the message names the limit and where it was passed."""


@dataclass(frozen=True)
class JsonLimits:
    """The bounds one JSON document must stay within (sizes in characters, items and bytes)."""

    max_depth: int = 32
    max_items: int = 1000  # keys of one object or items of one array
    max_string: int = 4096  # characters of one string (keys included)
    max_total_items: int = 10_000  # values in the whole document
    max_bytes: int = 64 * 1024
    control_characters: bool = False  # allowed in strings (tab, line feed and carriage return always are)


# What an operator can send in a body or a run's kwargs.
INPUT_LIMITS = JsonLimits()
# What a bus may deliver: a message wraps input in an envelope and a few levels of its own fields.
# Only size and depth are checked on every delivery (`check_text`: cheap); tracebacks may hold any character.
MESSAGE_LIMITS = JsonLimits(max_depth=48, max_items=100_000, max_string=1_000_000, max_total_items=1_000_000,
                            max_bytes=4 * 1024 * 1024, control_characters=True)  # fmt: skip


def raw_depth(text: bytes | str) -> int:
    """The deepest nesting of arrays and objects in JSON text, without parsing it (strings ignored)."""
    data = text.encode() if isinstance(text, str) else text
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub(b"", data)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_text(text: bytes | str, limits: JsonLimits = INPUT_LIMITS) -> None:
    """Size and depth of JSON text, before it is parsed."""
    data = text.encode() if isinstance(text, str) else text
    size = len(data)
    if size > limits.max_bytes:
        raise JsonOutOfBounds(f"JSON larger than {limits.max_bytes} bytes ({size})")
    if data.count(b"[") + data.count(b"{") <= limits.max_depth:
        return  # no deeper than its opening brackets (those in strings counted too): nearly every message
    depth = raw_depth(data)
    if depth > limits.max_depth:
        raise JsonOutOfBounds(f"JSON nested deeper than {limits.max_depth} levels ({depth})")


def _refuse_constant(name: str) -> Any:
    raise JsonOutOfBounds(f"{name} is not allowed in JSON")


def loads(text: bytes | str, limits: JsonLimits = INPUT_LIMITS, *, where: str = "") -> Any:
    """Parse JSON text within the limits (size and depth first, then every value)."""
    check_text(text, limits)
    value = json.loads(text, parse_constant=_refuse_constant)
    check_value(value, limits, where=where)
    return value


def check_value(value: Any, limits: JsonLimits = INPUT_LIMITS, *, where: str = "") -> None:
    """Every limit on an already parsed value (iteratively: no recursion however deep it is)."""
    total = 0
    pending: list[tuple[Any, str, int]] = [(value, where, 1)]
    while pending:
        item, path, depth = pending.pop()
        total += 1
        if total > limits.max_total_items:
            raise JsonOutOfBounds(f"more than {limits.max_total_items} values in all")
        pending.extend(_children(item, path or "<root>", depth, limits))


def _children(item: Any, path: str, depth: int, limits: JsonLimits) -> list[tuple[Any, str, int]]:
    if isinstance(item, dict | list | tuple):
        if depth > limits.max_depth:
            raise JsonOutOfBounds(f"{path}: nested deeper than {limits.max_depth} levels")
        if len(item) > limits.max_items:
            raise JsonOutOfBounds(f"{path}: more than {limits.max_items} items ({len(item)})")
        if isinstance(item, dict):
            for key in item:
                _check_string(str(key), f"{path} key", limits)
            return [(child, f"{path}.{key}", depth + 1) for key, child in item.items()]
        return [(child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item)]
    if isinstance(item, str):
        _check_string(item, path, limits)
    elif isinstance(item, float) and not math.isfinite(item):
        raise JsonOutOfBounds(f"{path}: NaN and Infinity are not allowed")
    return []


def _check_string(text: str, path: str, limits: JsonLimits) -> None:
    if len(text) > limits.max_string:
        raise JsonOutOfBounds(f"{path}: string longer than {limits.max_string} characters ({len(text)})")
    if not limits.control_characters and _CONTROL.search(text):
        raise JsonOutOfBounds(f"{path}: control characters are not allowed in strings")


def _bounded_kwargs(value: dict[str, Any]) -> dict[str, Any]:
    check_value(value, INPUT_LIMITS, where="kwargs")
    return value


# A run's kwargs in a message: refused (a validation error naming the limit) when past `INPUT_LIMITS`.
BoundedKwargs = Annotated[dict[str, Any], AfterValidator(_bounded_kwargs)]
