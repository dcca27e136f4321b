"""Build a value from another that has fields of the same names, naming only what differs.

Records, events and states are often made from one another: a `BackfillRecord` from its
`BackfillRequested`, a `RunJob` from the run in flight. Written out, each is a column of
`name=source.name` lines in which the few fields that differ are hard to see. `copied` takes every
field of the target that the source has, and the changes given by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from typing import TypeVar

from pydantic import BaseModel

Target = TypeVar("Target")


def field_names(target: type[Any]) -> tuple[str, ...]:
    """The names `target`'s constructor takes: a pydantic model's fields or a dataclass's init fields."""
    names = _FIELD_NAMES.get(target)
    if names is None:
        names = _FIELD_NAMES[target] = _constructor_fields(target)
    return names


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _constructor_fields(target: type[Any]) -> tuple[str, ...]:
    if isinstance(target, type) and issubclass(target, BaseModel):
        return tuple(target.model_fields)
    if dataclasses.is_dataclass(target):
        return tuple(field.name for field in dataclasses.fields(target) if field.init)
    raise TypeError(f"{target.__name__} is neither a pydantic model nor a dataclass")


def copied(target: type[Target], source: object, /, **changes: Any) -> Target:
    """A `target` with `source`'s values for the fields both have, and `changes` in their place.

    A field the source lacks and no change names keeps the target's default (or the constructor says it
    is missing). A change that names no field of the target is refused: a misspelt name never passes
    unseen, as pydantic models that ignore unknown fields would let it.
    """
    if changes and not _FIELD_SETS.get(target, frozenset()).issuperset(changes):
        unknown = changes.keys() - set(field_names(target))
        if unknown:
            raise TypeError(f"{target.__name__} has no field {', '.join(sorted(unknown))}")
    attributes: dict[str, Any] = getattr(source, "__dict__", {})
    values = {
        name: attributes[name] if kept else getattr(source, name)
        for name, kept in _shared(type(source), target, attributes)
        if name not in changes
    }
    return target(**values, **changes)


# Which of a target's fields a source type has, and whether each is in the instance's `__dict__` (pydantic
# models and plain dataclasses keep their fields there) or behind a class descriptor (property, slot): found
# once per pair of types (when the source is a model or a dataclass, whose instances all have the same
# fields), since asking a pydantic model for an attribute it lacks costs an exception.
_SHARED: dict[tuple[type[Any], type[Any]], tuple[tuple[str, bool], ...]] = {}
_FIELD_SETS: dict[type[Any], frozenset[str]] = {}


def _shared(kind: type[Any], target: type[Any], attributes: dict[str, Any]) -> tuple[tuple[str, bool], ...]:
    found = _SHARED.get((kind, target))
    if found is None:
        names = field_names(target)
        _FIELD_SETS[target] = frozenset(names)
        found = tuple(
            (name, name in attributes) for name in names if name in attributes or hasattr(kind, name)
        )
        if issubclass(kind, BaseModel) or dataclasses.is_dataclass(kind):
            _SHARED[(kind, target)] = found  # every instance has the same fields; other objects may not
    return found
