"""Broker names: exchanges, queues and routing keys live here and nowhere else.

API ─commands─▶ [scheduler.commands] ─▶ scheduler ─RunJob─▶ [workers.runs] ─▶ worker × N
                                           │                                    │
                                           └───────events──▶ (scheduler.events) ◀┘
                                               │              │               │
                                  [projector.events]  [scheduler.lifecycle]  per-process queues
                                   [alerter.events]   [scheduler.definitions]
worker ─RunLogBatch─▶ (scheduler.logs) ─▶ [projector.run-logs] ─▶ run-log store
                                                                            (API stream, worker cancels)
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from contracts.envelope import Message

COMMANDS_EXCHANGE = "scheduler.commands"
RUNS_EXCHANGE = "scheduler.runs"
EVENTS_EXCHANGE = "scheduler.events"
DEAD_LETTER_EXCHANGE = "scheduler.dead-letter"
# Run logs (`contracts.run_logs`): beside the events, never mixed with them.
LOGS_EXCHANGE = "scheduler.logs"

COMMANDS_QUEUE = "scheduler.commands"
RUNS_QUEUE = "workers.runs"
PROJECTOR_QUEUE = "projector.events"
DEAD_LETTER_QUEUE = "scheduler.dead-letter"

REJECTION_REASON_HEADER = "x-rejection-reason"
ORIGINAL_QUEUE_HEADER = "x-original-queue"

EXCHANGE_FOR_KIND = {
    "command": COMMANDS_EXCHANGE,
    "run": RUNS_EXCHANGE,
    "event": EVENTS_EXCHANGE,
    "log": LOGS_EXCHANGE,
}


# How many times the broker hands a message of a durable queue out before it dead-letters it itself (the
# backstop for a message that kills its consumer: our own code dead-letters, with its reason, whatever it
# can reject). Every return counts: a consumer's crash, a lost connection, a worker giving its prefetched
# deliveries back while it pauses; 20 leaves room for those and still ends a crash loop.
DELIVERY_LIMIT = 20


@dataclass(frozen=True)
class QueueSpec:
    """A queue and what it is bound to.

    Durable queues survive a broker restart and are quorum queues (replicated on a cluster); exclusive ones
    live and die with the consuming connection (per-process fan-out, e.g. cancel notices and the live stream)
    and stay classic (quorum queues cannot be exclusive).
    """

    name: str
    exchange: str
    binding_keys: tuple[str, ...] = ("#",)
    durable: bool = True
    exclusive: bool = False
    single_active_consumer: bool = False
    delivery_limit: int = DELIVERY_LIMIT
    # Keys an earlier version bound this queue to: unbound when the queue is declared, so a broker that
    # kept the queue (durable) stops routing those messages to it.
    retired_keys: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def quorum(self) -> bool:
        """Replicated (Raft) on a RabbitMQ cluster: every durable, shared queue."""
        return self.durable and not self.exclusive


def routing_key(message: Message) -> str:
    """The routing key of a message.

    Routing key of a message: its type (e.g. `JobStarted`), so queues can bind to what they need; a run
    request adds its worker pool (`RunJob.default`, `RunJob.history`).
    """
    pool = getattr(message, "pool", None)
    return f"{message.type}.{pool}" if pool else message.type


def exchange_for(message: Message) -> str:
    """The exchange a message is published to, chosen by its kind (command, run, event or log)."""
    return EXCHANGE_FOR_KIND[message.kind]


DEFAULT_POOL = "default"

COMMANDS = QueueSpec(COMMANDS_QUEUE, COMMANDS_EXCHANGE, single_active_consumer=True)
RUNS = QueueSpec(RUNS_QUEUE, RUNS_EXCHANGE, binding_keys=(f"RunJob.{DEFAULT_POOL}",))
PROJECTOR = QueueSpec(PROJECTOR_QUEUE, EVENTS_EXCHANGE, single_active_consumer=True)
# What the active scheduler follows of the runs (overlap, retries, lost runs). Not `Progress`: a running
# run is heard of by its start, its worker's heartbeats (every few seconds, well within the run heartbeat
# timeout) and its end; a progress report per step cost a delivery, a decode and an ack (issue 18).
LIFECYCLE = QueueSpec(
    "scheduler.lifecycle",
    EVENTS_EXCHANGE,
    binding_keys=(
        "RunQueued", "JobStarted", "JobFinished", "AttemptFailed", "JobMissed", "JobSkipped",
        "ExecutionMarkedFailed", "ExecutionDeleted", "WorkerHeartbeat", "QueuedRunCancelled",
        "RunScheduled", "RunWaiting", "BackfillRequested", "BackfillCancelled", "BackfillFinished",
    ),
    single_active_consumer=True,
    retired_keys=("Progress",),
)  # fmt: skip
# The job definitions' events, for the leader that takes over (`services/scheduler/definition_feed.py`):
# each is acknowledged only once the jobs read model has it, so an edit the projector has not written yet
# when a leader dies is still here for the next. Its own `JobRegistered`s tell a new leader it has
# received everything before them.
DEFINITIONS = QueueSpec(
    "scheduler.definitions",
    EVENTS_EXCHANGE,
    binding_keys=("JobCreated", "JobChanged", "JobDeleted", "JobRegistered"),
    single_active_consumer=True,
)
ALERTER_QUEUE = "alerter.events"
# What the alerter follows: the runs' outcomes, the catalogue (names, pauses), the scheduler leader's
# heartbeats, refused (dead-lettered) commands. (The operators' alert events come from the event log:
# `services/alerter/operator_feed.py`.)
ALERTER = QueueSpec(
    ALERTER_QUEUE,
    EVENTS_EXCHANGE,
    binding_keys=(
        "JobRegistered", "JobPaused", "JobResumed", "JobMetadataUpdated", "JobStarted", "JobFinished",
        "JobMissed", "ExecutionMarkedFailed", "QueuedRunCancelled", "SchedulerHeartbeat", "CommandRejected",
        "AlertSilenced",
    ),
    single_active_consumer=True,
)  # fmt: skip
# The lines jobs log (`RunLogBatch`), written to the run-log store by the projector process.
RUN_LOGS = QueueSpec("projector.run-logs", LOGS_EXCHANGE, binding_keys=("RunLogBatch",))
# Declared by every bus at start, so that nothing published before its consumer first starts is dropped.
# Not the alerter's: a deployment without an alerter would fill it for ever; the alerter declares it itself
# before it rebuilds its state from the event store, which holds whatever came before.
STANDING_QUEUES = (COMMANDS, RUNS, PROJECTOR, LIFECYCLE, DEFINITIONS, RUN_LOGS)


# Exclusive, per-process queues (the adapters add a unique suffix to the stream's) and the leader lock.
API_STREAM_QUEUE = "api.stream"
WORKER_CONTROL_QUEUE = "workers.control"
LEADER_LOCK_QUEUE = "scheduler.leader"
# Every API process gets its own copy of every event (the live stream).
API_STREAM = QueueSpec(API_STREAM_QUEUE, EVENTS_EXCHANGE, ("#",), durable=False, exclusive=True)


def worker_control_queue(worker_id: str) -> QueueSpec:
    """A worker's own queue of control events, fanned out to every worker."""
    return QueueSpec(
        f"{WORKER_CONTROL_QUEUE}.{worker_id}",
        EVENTS_EXCHANGE,
        binding_keys=("CancelRequested", "ExecutionMarkedFailed", "AttemptFailed"),
        durable=False,
        exclusive=True,
    )


def runs_queue(pool: str) -> QueueSpec:
    """The run queue of a worker pool (`default`: every job kind not given a pool of its own)."""
    if pool == DEFAULT_POOL:
        return RUNS
    return QueueSpec(f"{RUNS_QUEUE}.{pool}", RUNS_EXCHANGE, binding_keys=(f"RunJob.{pool}",))
