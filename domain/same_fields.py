"""Build a value from another that has fields of the same names, naming only what differs.

Records, events and states are often made from one another: a `BackfillRecord` from its
`BackfillRequested`, a `RunJob` from the run in flight. Written out, each is a column of
`name=source.name` lines in which the few fields that differ are hard to see. `copied` takes every
field of the target that the source has, and the changes given by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

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
    names = field_names(target)
    unknown = changes.keys() - set(names)
    if unknown:
        raise TypeError(f"{target.__name__} has no field {', '.join(sorted(unknown))}")
    values = {name: getattr(source, name) for name in names if name not in changes and hasattr(source, name)}
    return target(**values, **changes)
