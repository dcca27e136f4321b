"""The trading-day calendar as data: ranges, unknown years named (never guessed), the committed seed."""

from __future__ import annotations

import importlib.metadata
import json
from datetime import date

import pytest

from domain.trade_calendar import CalendarFormatError
from domain.trade_calendar import is_trading_day
from domain.trade_calendar import next_trading_day
from domain.trade_calendar import parse_calendar
from domain.trade_calendar import trading_days_between
from infrastructure.trade_calendar_seed import seed_calendar
from services.workers.providers.akshare_provider import offline_calendar_file
from tools.trade_calendar_seed import seed_text

SMALL = parse_calendar("# source: test\n20250102\n20250103\n20250106\n")


def test_trading_days_of_a_range_oldest_first_both_ends_included() -> None:
    span = trading_days_between(SMALL, date(2025, 1, 2), date(2025, 1, 6))
    assert span.days == (date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 6)) and span.complete
    assert SMALL.source == "test"


def test_a_year_the_calendar_does_not_know_is_named_not_guessed() -> None:
    span = trading_days_between(SMALL, date(2024, 12, 30), date(2026, 1, 5))
    assert span.missing_years == (2024, 2026) and not span.complete
    assert span.days == (date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 6))
    assert is_trading_day(SMALL, date(2026, 1, 5)) is None
    assert is_trading_day(SMALL, date(2025, 1, 4)) is False  # a known year's Saturday
    assert next_trading_day(SMALL, date(2025, 1, 3)) == date(2025, 1, 6)
    assert next_trading_day(SMALL, date(2025, 12, 31)) is None


def test_a_reversed_range_has_no_days() -> None:
    assert trading_days_between(SMALL, date(2025, 1, 6), date(2025, 1, 2)).days == ()


@pytest.mark.parametrize("line", ["2025013", "2025-01-02", "20250230"])
def test_a_bad_line_is_refused_with_its_number(line: str) -> None:
    with pytest.raises(CalendarFormatError, match="line 2"):
        parse_calendar(f"# header\n{line}\n")


def test_the_seed_knows_the_exchange_holidays() -> None:
    calendar = seed_calendar()
    assert "akshare" in calendar.source
    assert {2005, 2025, 2026} <= calendar.years
    assert len(trading_days_between(calendar, date(2024, 1, 1), date(2024, 12, 31)).days) == 242
    assert is_trading_day(calendar, date(2025, 10, 1)) is False  # National Day
    assert is_trading_day(calendar, date(2025, 1, 28)) is False  # Spring Festival eve
    assert is_trading_day(calendar, date(2025, 9, 30)) is True


def test_the_committed_seed_is_what_the_installed_akshare_file_gives() -> None:
    path = offline_calendar_file()
    assert path is not None, "akshare is a dependency (pyproject.toml): its calendar file must be there"
    expected = parse_calendar(seed_text(json.loads(path.read_text()), importlib.metadata.version("akshare")))
    assert expected.days == seed_calendar().days
