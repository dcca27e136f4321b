"""The broker URL setting: one AMQP URL, or one per node of a RabbitMQ cluster, comma-separated.

Read by every process's settings at start-up (no AMQP client imported here): a malformed entry stops the
process with an error naming the entry's position and what is wrong with it, never its password.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_NODES = 16
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


class BrokerUrlsInvalid(ValueError):
    """The broker URL setting cannot be used (says which entry and why, never its password)."""


def redacted(url: object) -> str:
    """`url` without its password, for logs and errors."""
    return _PASSWORD.sub(r"\1******@", str(url))


def parse_broker_urls(text: str) -> tuple[str, ...]:
    """The AMQP URLs of `text`.

    Comma-separated (blanks around entries ignored); `BrokerUrlsInvalid` when it is empty, has more than
    `MAX_NODES` entries, or an entry is not an `amqp://`/`amqps://` URL with a host and a valid port.
    """
    entries = [entry.strip() for entry in text.split(",")]
    if not any(entries):
        raise BrokerUrlsInvalid("no broker URL given")
    if len(entries) > MAX_NODES:
        raise BrokerUrlsInvalid(f"{len(entries)} broker URLs given, at most {MAX_NODES}")
    urls: list[str] = []
    for position, entry in enumerate(entries, start=1):
        if not entry:
            raise BrokerUrlsInvalid(f"broker URL #{position} is empty (a stray comma?)")
        parts = urlsplit(entry)
        shown = f"broker URL #{position} ({parts.scheme or '?'}://{parts.hostname or '?'})"
        if parts.scheme not in ("amqp", "amqps"):
            raise BrokerUrlsInvalid(f"{shown}: the scheme must be amqp or amqps")
        try:
            port = parts.port
        except ValueError:
            raise BrokerUrlsInvalid(f"{shown}: the port is not a number from 1 to 65535") from None
        if not parts.hostname:
            raise BrokerUrlsInvalid(f"{shown}: no host")
        if port == 0:
            raise BrokerUrlsInvalid(f"{shown}: port 0")
        urls.append(entry)
    return tuple(urls)
