"""`domain.same_fields.copied`: a value built from another's fields of the same names."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

import pytest
from pydantic import BaseModel

from domain.same_fields import copied
from domain.same_fields import field_names


@dataclass(frozen=True)
class Source:
    job_id: str
    attempt: int
    note: str = "from the source"


@dataclass(frozen=True)
class Target:
    job_id: str
    attempt: int
    label: str = "default"
    computed: int = field(init=False, default=0)


@dataclass(frozen=True)
class Partial:
    job_id: str


class Model(BaseModel):
    job_id: str
    attempt: int
    label: str = "default"


def test_the_fields_both_have_are_copied_and_the_others_keep_their_defaults() -> None:
    assert copied(Target, Source("a", 2)) == Target("a", 2)
    assert copied(Model, Source("a", 2)) == Model(job_id="a", attempt=2)


def test_changes_replace_the_copied_values() -> None:
    assert copied(Target, Source("a", 2), attempt=3, label="changed") == Target("a", 3, "changed")
    assert copied(Source, Model(job_id="b", attempt=1), note="n") == Source("b", 1, "n")


def test_a_change_that_names_no_field_is_refused() -> None:
    with pytest.raises(TypeError, match="Model has no field atempt"):
        copied(Model, Source("a", 2), atempt=3)


def test_a_required_field_the_source_lacks_is_reported_missing() -> None:
    with pytest.raises(TypeError):
        copied(Target, Partial("a"))


def test_properties_and_slots_of_the_source_are_read_too() -> None:
    @dataclass(frozen=True, slots=True)
    class Slotted:
        job_id: str

        @property
        def attempt(self) -> int:
            return 7

    assert copied(Target, Slotted("s")) == Target("s", 7)
    assert copied(Model, Slotted("t"), label="x") == Model(job_id="t", attempt=7, label="x")


def test_an_object_that_is_no_model_is_read_as_it_is_each_time() -> None:
    class Service:
        def __init__(self) -> None:
            self.job_id = "first"

    service = Service()
    assert copied(Target, service, attempt=1) == Target("first", 1)
    service.attempt = 2  # type: ignore[attr-defined]
    assert copied(Target, service) == Target("first", 2)


def test_fields_not_taken_by_the_constructor_are_left_out() -> None:
    assert field_names(Target) == ("job_id", "attempt", "label")
    with pytest.raises(TypeError, match="neither"):
        field_names(int)
