"""The real akshare and baostock libraries with no route to their servers: the runs must fail at once with
a clear network error, never hang. And a call that would hang is cut by the provider timeout.

"No route" is made here, the same on every machine (with network access or without): name resolution and
every connection fail as they do when the network is down (`no_route`); nothing leaves this machine."""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.market.sqlite_market import SQLiteMarketStore
from services.workers.catalogue import basics
from services.workers.catalogue import history
from services.workers.catalogue import status
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.environment import Libraries
from services.workers.catalogue.loop import SyncFailed
from services.workers.providers.errors import TransientNetworkError

from .conftest import settings_for
from .fakes import FakeClock
from .fakes import FakeContext
from .fakes import shanghai

WALL_CLOCK_BUDGET_S = 20.0  # importing akshare alone takes about a second


def real_environment(tmp_path: Path, clock: FakeClock, **overrides: object) -> JobEnvironment:
    settings = settings_for(tmp_path, tushare_token=None, **overrides)
    return JobEnvironment.from_settings(
        settings, clock=clock, store=SQLiteMarketStore(tmp_path / "market.sqlite3")
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(shanghai(2024, 10, 11, 17, 0))


@pytest.fixture
def no_route(monkeypatch: pytest.MonkeyPatch) -> None:
    """The network down: names do not resolve and connections fail, as the operating system says so."""

    def unresolvable(*_: object, **__: object) -> None:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    def unreachable(*_: object, **__: object) -> None:
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)
    monkeypatch.setattr(socket.socket, "connect", unreachable)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda *_: errno.ENETUNREACH)


@pytest.mark.usefixtures("no_route")
async def test_akshare_offline_fails_fast_with_a_network_error(tmp_path: Path, clock: FakeClock) -> None:
    environment = real_environment(tmp_path, clock, max_consecutive_network_failures=2)
    context = FakeContext("akshare_historical_sync", {"symbols": ["600000", "000001", "300750"]})
    started = time.monotonic()
    try:
        with pytest.raises(SyncFailed) as failure:
            await history.akshare_historical_sync(environment, context)
    finally:
        await environment.aclose()
    assert time.monotonic() - started < WALL_CLOCK_BUDGET_S
    message = str(failure.value)
    assert "provider unreachable" in message and "network error" in message
    assert "gave up after 4 attempts" in message
    assert clock.sleeps  # backoff went through the injected clock, not real time


@pytest.mark.usefixtures("no_route")
async def test_akshare_status_check_offline(tmp_path: Path, clock: FakeClock) -> None:
    environment = real_environment(tmp_path, clock, retry_attempts=2)
    try:
        with pytest.raises(SyncFailed, match=r"akshare unreachable: .*network error"):
            await status.akshare_status_check(environment, FakeContext("akshare_status_check"))
    finally:
        await environment.aclose()


@pytest.mark.usefixtures("no_route")
async def test_baostock_offline_login_fails_fast_with_its_network_code(
    tmp_path: Path, clock: FakeClock
) -> None:
    environment = real_environment(tmp_path, clock, retry_attempts=3)
    started = time.monotonic()
    try:
        with pytest.raises(TransientNetworkError, match=r"baostock\.login: error 10002007 .*gave up after 3"):
            await basics.baostock_basic_info_sync(environment, FakeContext("baostock_basic_info_sync"))
    finally:
        await environment.aclose()
    assert time.monotonic() - started < WALL_CLOCK_BUDGET_S


class _HangingAkshare:
    """An akshare whose calls never return (a network that drops packets) until released."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __getattr__(self, name: str) -> object:
        def hang(**_: object) -> None:
            self.release.wait(10)

        return hang


@pytest.fixture
def hanging() -> Iterator[_HangingAkshare]:
    library = _HangingAkshare()
    yield library
    library.release.set()  # let the abandoned worker threads end


async def test_a_call_that_hangs_is_cut_by_the_timeout(
    tmp_path: Path, clock: FakeClock, hanging: _HangingAkshare
) -> None:
    settings = settings_for(tmp_path, tushare_token=None, provider_timeout_s=0.2, retry_attempts=2)
    environment = JobEnvironment.from_settings(
        settings,
        clock=clock,
        store=SQLiteMarketStore(tmp_path / "market.sqlite3"),
        libraries=Libraries(akshare=lambda: hanging),
    )
    started = time.monotonic()
    try:
        with pytest.raises(SyncFailed, match=r"no answer within 0\.2 s"):
            await basics.basics_sync_service(environment, FakeContext("basics_sync_service"))
    finally:
        hanging.release.set()  # let the abandoned threads end before the loop joins its executor
        await environment.aclose()
    assert time.monotonic() - started < 5.0
