"""What each service may do on the broker.

Derived from `contracts.topology`: one RabbitMQ user per service, with `configure`, `write` and `read`
permissions (regular expressions on exchange and queue names, as RabbitMQ takes them) covering what that
service declares, publishes to and consumes, and nothing else. Also which standing queues a service declares
at start (those it publishes into or consumes: a queue exists before anything is routed to it).

RabbitMQ checks: declaring an exchange or a queue needs `configure` on it; binding a queue needs `write`
on the queue and `read` on the exchange; publishing needs `write` on the exchange; consuming needs
`read` on the queue. Pure names: no I/O, importable anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from contracts.topology import ALERTER
from contracts.topology import API_STREAM_QUEUE
from contracts.topology import COMMANDS
from contracts.topology import COMMANDS_EXCHANGE
from contracts.topology import DEAD_LETTER_EXCHANGE
from contracts.topology import DEAD_LETTER_QUEUE
from contracts.topology import DEFINITIONS
from contracts.topology import EVENTS_EXCHANGE
from contracts.topology import LEADER_LOCK_QUEUE
from contracts.topology import LIFECYCLE
from contracts.topology import LOGS_EXCHANGE
from contracts.topology import PROJECTOR
from contracts.topology import RUN_LOGS
from contracts.topology import RUNS
from contracts.topology import RUNS_EXCHANGE
from contracts.topology import RUNS_QUEUE
from contracts.topology import WORKER_CONTROL_QUEUE
from contracts.topology import QueueSpec

Role = Literal["api", "scheduler", "projector", "worker", "alerter"]
ROLES: tuple[Role, ...] = ("api", "scheduler", "projector", "worker", "alerter")
# Every service declares (idempotent) the exchanges it uses and the dead-letter queue; all dead-letter.
_EVERYONE = (COMMANDS_EXCHANGE, RUNS_EXCHANGE, EVENTS_EXCHANGE, LOGS_EXCHANGE, DEAD_LETTER_EXCHANGE)


@dataclass(frozen=True)
class Access:
    """What one service may do on the broker.

    One service's standing queues and the names (exact, or a prefix for per-process queues) it may
    configure, write and read.
    """

    exchanges: tuple[str, ...]  # it declares (its queues are bound to them)
    publishes: tuple[str, ...]  # it publishes to, declared or not
    standing_queues: tuple[QueueSpec, ...]
    configure: tuple[str, ...]
    write: tuple[str, ...]
    read: tuple[str, ...]
    prefixes: tuple[str, ...] = ()  # names that get any suffix (`api.stream.<random>`)

    def pattern(self, permission: Literal["configure", "write", "read"]) -> str:
        """The RabbitMQ permission regex: exactly these names, the prefixed ones with any suffix."""
        names: tuple[str, ...] = getattr(self, permission)
        parts = [
            re.escape(name) + (r"(\..+)?" if name in self.prefixes else "") for name in sorted(set(names))
        ]
        return "^(" + "|".join(parts) + ")$" if parts else "^$"


def _access(
    standing: tuple[QueueSpec, ...],
    *,
    publishes: tuple[str, ...],
    consumes: tuple[str, ...],
    own: tuple[tuple[str, str | None], ...] = (),
    prefixes: tuple[str, ...] = (),
) -> Access:
    """`own`: the service's other queues, each with the exchange it is bound to (None: not bound)."""
    queues = (
        *((spec.name, spec.exchange) for spec in standing),
        (DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE),
        *own,
    )
    # The exchanges its queues are bound to: declared (configure), the others only published to.
    bound = {exchange for _, exchange in queues if exchange is not None}
    exchanges = tuple(name for name in _EVERYONE if name in bound)
    return Access(
        exchanges=exchanges,
        publishes=(*publishes, DEAD_LETTER_EXCHANGE),
        standing_queues=standing,
        configure=(*exchanges, *(name for name, _ in queues)),
        # Binding a queue needs write on the queue and read on its exchange.
        write=(*publishes, DEAD_LETTER_EXCHANGE, *(name for name, _ in queues)),
        read=(*consumes, *(exchange for _, exchange in queues if exchange is not None)),
        prefixes=prefixes,
    )


ACCESS: dict[Role, Access] = {
    # Not the commands queue: its name is the commands exchange's, and reading or configuring that name
    # would let the API take or delete the scheduler's commands (the scheduler declares it; compose's
    # broker definitions have it before any service starts).
    "api": _access(
        (), publishes=(COMMANDS_EXCHANGE,), consumes=(API_STREAM_QUEUE,),
        own=((API_STREAM_QUEUE, EVENTS_EXCHANGE),), prefixes=(API_STREAM_QUEUE,),
    ),
    "scheduler": _access(
        (COMMANDS, RUNS, PROJECTOR, LIFECYCLE, DEFINITIONS), publishes=(RUNS_EXCHANGE, EVENTS_EXCHANGE),
        consumes=(COMMANDS.name, LIFECYCLE.name, DEFINITIONS.name), own=((LEADER_LOCK_QUEUE, None),),
    ),
    "projector": _access((PROJECTOR, RUN_LOGS), publishes=(), consumes=(PROJECTOR.name, RUN_LOGS.name)),
    "worker": _access(
        (RUNS, PROJECTOR, LIFECYCLE, RUN_LOGS), publishes=(EVENTS_EXCHANGE, LOGS_EXCHANGE),
        consumes=(RUNS_QUEUE, WORKER_CONTROL_QUEUE),
        own=((RUNS_QUEUE, RUNS_EXCHANGE), (WORKER_CONTROL_QUEUE, EVENTS_EXCHANGE)),
        prefixes=(RUNS_QUEUE, WORKER_CONTROL_QUEUE),
    ),
    # Follows its own queue and publishes its alert events; the operators' ones it reads from the store.
    "alerter": _access((ALERTER,), publishes=(EVENTS_EXCHANGE,), consumes=(ALERTER.name,)),
}  # fmt: skip
