"""Daylight saving time as a per-job policy: what a wall-clock trigger does in a repeated or skipped hour.

- repeated hour (autumn, clocks go back): `first` (default) fires a wall time once, at its first
  occurrence; `every` fires it at each occurrence (an hourly job then runs every real hour).
- skipped hour (spring, clocks go forward): `shift` (default) fires once at the first valid instant (the
  moment of the change) when one or more wall times of the trigger fell into the gap; `skip` does not fire.

Interval triggers are arithmetic on instants and never meet either case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Repeated = Literal["first", "every"]
Skipped = Literal["shift", "skip"]


@dataclass(frozen=True)
class DstPolicy:
    """What a wall-clock trigger does in a repeated hour and in a skipped one (see the module)."""

    repeated: Repeated = "first"
    skipped: Skipped = "shift"


DEFAULT_DST_POLICY = DstPolicy()
