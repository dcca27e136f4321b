"""A job's editable definition is declared twice, on purpose: as the domain's value and as the wire's fact.

`Definition` (`domain/scheduling/definitions.py`) is a frozen dataclass of mappings that the scheduler
copies with `dataclasses.replace`; `JobCreated` is a pydantic event. The event is built from
`Definition.fields()` and projected back by `EDITABLE_FIELDS`: both must name the same fields, with the
same defaults.
"""

from __future__ import annotations

from dataclasses import MISSING
from dataclasses import fields

from pydantic_core import PydanticUndefined

from contracts.events import JobCreated
from domain.scheduling.definitions import EDITABLE_FIELDS
from domain.scheduling.definitions import Definition


def test_job_created_carries_every_editable_field_with_the_definitions_default() -> None:
    event_fields = JobCreated.model_fields
    definition_fields = {field.name: field for field in fields(Definition)}
    for name in ("job_kind", *EDITABLE_FIELDS):
        declared = definition_fields[name]
        default = declared.default_factory() if declared.default_factory is not MISSING else declared.default
        expected = PydanticUndefined if default is MISSING else default
        assert event_fields[name].get_default(call_default_factory=True) == expected, name
