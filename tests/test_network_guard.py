"""The test session refuses outbound connections except to this machine (pytest-socket, see pyproject)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_socket import SocketConnectBlockedError

from tests.e2e.harness import base_env

# TEST-NET-1 (RFC 5737): documentation addresses, never routed; the guard refuses before any packet.
OUTSIDE = ("192.0.2.1", 443)


def test_a_connection_outside_this_machine_fails_loudly() -> None:
    with socket.socket() as client, pytest.raises(SocketConnectBlockedError):
        client.connect(OUTSIDE)


async def test_an_asyncio_connection_outside_fails_too() -> None:
    with pytest.raises(SocketConnectBlockedError):
        await asyncio.open_connection(*OUTSIDE)


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            accepted, _ = server.accept()
            accepted.close()
            assert client.getpeername() == server.getsockname()


def test_a_service_process_started_by_the_harness_is_guarded_too(tmp_path: Path) -> None:
    probe = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.1', 443), timeout=5)\n"
        "except ConnectionRefusedError as error:\n"
        "    print('refused:', error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=base_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert "refused: network guard (tests)" in done.stdout, done.stdout + done.stderr
