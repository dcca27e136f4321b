"""A trigger text from the settings or an operator, parsed, with an error that names the value and the field.

The scheduler builds its clock's triggers from it (`services/scheduler/triggers.py`), the job catalogue
checks the settings' triggers with it, and the alerter reads each job's expected period from it.
"""

from __future__ import annotations

from domain.triggers import TriggerError
from domain.triggers import TriggerSpec
from domain.triggers import parse_trigger

_KIND_OF_FIELD = {
    "time of day": "invalid time of day",
    "interval": "invalid interval",
    "trigger": "invalid trigger",
    "after": "invalid dependency trigger",
}


class TriggerSpecError(ValueError):
    """A trigger setting that cannot be understood; the message names the value, the field and why."""


def parse_trigger_setting(spec: str, *, min_interval_s: float | None = None) -> TriggerSpec:
    """The parsed trigger of a setting; `min_interval_s` refuses one that fires more often (operators' input).

    Raises TriggerSpecError, e.g. `invalid interval 'interval:0': interval 0 is outside 1-31622400 seconds`.
    """
    try:
        return parse_trigger(spec, min_interval_s=min_interval_s)
    except TriggerError as error:
        kind = _KIND_OF_FIELD.get(error.field, "invalid cron expression")
        raise TriggerSpecError(f"{kind} {spec[:100]!r}: {error}") from None
