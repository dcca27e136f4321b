"""The one error of trigger parsing: it names the field and what is wrong with it."""

from __future__ import annotations


class TriggerError(ValueError):
    """A trigger text that cannot be used, e.g. `minute 61 is outside 0-59`.

    `field` names the part at fault (`minute`, `hour`, `day-of-month`, `month`, `day-of-week`, `interval`,
    `trigger` for the whole text), so an API can point at it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
