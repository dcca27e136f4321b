"""The test session's network guard for the service processes a test starts (loaded through PYTHONPATH).

pytest-socket guards the test process only; `tests/e2e/harness.base_env` puts this directory first on a
service's PYTHONPATH, so Python runs this at start-up: a connection to anything but this machine fails at
once with `OSError` naming the address, and the attempt is written to stderr (the service's log).
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    import _socket  # typeshed declares `connect` on `_socket.socket`

    from _typeshed import ReadableBuffer

    Address = tuple[Any, ...] | str | ReadableBuffer

_LOCAL_NAMES = {"localhost"}
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths: this machine
        return True
    host = str(address[0]).split("%", 1)[0]
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(address: Any) -> OSError:
    message = f"network guard (tests): connection to {address!r} refused, only this machine is allowed"
    print(message, file=sys.stderr, flush=True)
    return ConnectionRefusedError(message)


def _guarded_connect(self: _socket.socket, address: Address) -> None:
    if not _is_local(address):
        raise _refuse(address)
    _connect(self, address)


def _guarded_connect_ex(self: _socket.socket, address: Address) -> int:
    if not _is_local(address):
        raise _refuse(address)
    return _connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]  # the guard replaces the method
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
