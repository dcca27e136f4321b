"""The committed trading-day seed (`domain/calendars/cn_a_share.txt`), read from disk once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from domain.trade_calendar import SEED_FILE
from domain.trade_calendar import TradeCalendar
from domain.trade_calendar import parse_calendar

SEED_PATH = Path(__file__).resolve().parents[1] / "domain" / "calendars" / SEED_FILE


@cache
def seed_calendar() -> TradeCalendar:
    """The SSE/SZSE calendar a fresh install knows (no network, no market library)."""
    return parse_calendar(SEED_PATH.read_text(encoding="utf-8"))
