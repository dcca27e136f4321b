"""Our own trigger arithmetic: crontab's dialect, intervals, daylight saving time as a policy, catch-up spans.

Pure: instants in, instants out (aware UTC datetimes), no scheduler library, no I/O.
"""

from domain.triggers.catch_up import Instants
from domain.triggers.catch_up import instants_between
from domain.triggers.cron import CronTrigger
from domain.triggers.description import describe
from domain.triggers.dst import DEFAULT_DST_POLICY
from domain.triggers.dst import DstPolicy
from domain.triggers.errors import TriggerError
from domain.triggers.interval import IntervalTrigger
from domain.triggers.legacy_text import legacy_text
from domain.triggers.legacy_text import spec_from_legacy_text
from domain.triggers.protocol import Trigger
from domain.triggers.spec import TriggerSpec
from domain.triggers.spec import parse_trigger

__all__ = [
    "DEFAULT_DST_POLICY",
    "CronTrigger",
    "DstPolicy",
    "Instants",
    "IntervalTrigger",
    "Trigger",
    "TriggerError",
    "TriggerSpec",
    "describe",
    "instants_between",
    "legacy_text",
    "parse_trigger",
    "spec_from_legacy_text",
]
