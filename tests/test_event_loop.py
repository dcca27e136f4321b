"""The services' event loop: uvloop by default, the standard one when asked for or when uvloop is missing."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest
import uvloop

from infrastructure.event_loop import run
from infrastructure.settings import CommonSettings


async def loop_type() -> type[asyncio.AbstractEventLoop]:
    return type(asyncio.get_running_loop())


def test_uvloop_runs_the_coroutine_to_its_result() -> None:
    assert run(loop_type(), "uvloop") is uvloop.Loop


def test_the_standard_loop_when_asked_for() -> None:
    kind = run(loop_type(), "asyncio")
    assert not issubclass(kind, uvloop.Loop)
    assert issubclass(kind, asyncio.BaseEventLoop)


def test_the_standard_loop_and_a_warning_where_uvloop_is_not_installed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError
    with caplog.at_level(logging.WARNING, logger="infrastructure.event_loop"):
        kind = run(loop_type(), "uvloop")
    assert not issubclass(kind, uvloop.Loop)
    assert "uvloop is not installed" in caplog.text


def test_the_setting_defaults_to_uvloop_and_refuses_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    assert CommonSettings().event_loop == "uvloop"
    monkeypatch.setenv("SCHEDULER_EVENT_LOOP", "trio")
    with pytest.raises(ValueError, match="event_loop"):
        CommonSettings()
