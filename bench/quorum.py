"""(11) What quorum queues cost: runs/s and events/s on quorum queues beside classic ones, one node and three.

Four set-ups: classic and quorum durable queues (`SCHEDULER_RABBITMQ_QUEUE_TYPE`) on one node (the
machine's broker, a throw-away virtual host) and on a cluster of three private nodes on loopback (started
for this measurement and stopped by PID afterwards, as the cluster tests do; needs `rabbitmq-server` and
the `rabbitmq` user). In each:

- *events/s*: the same encoded events published with `RabbitMQBus.publish` (100 in flight, confirmed) to
  `python -m services.projector` → SQLite, from the first publish until the last is in `scheduler_events`;
- *runs/s*: zero-duration `pipeline_canary` runs (`TriggerJob` published on the bus, 100 in flight) through
  scheduler, one worker (capacity 4) and projector, until all are ended in `scheduler_executions`.

On the cluster every process gets the three nodes' URLs (each starting elsewhere); a quorum queue confirms
once a majority of its three members wrote the message, a classic one once its single node did.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.environment import BenchError
from bench.environment import distributed_env
from bench.environment import fresh_dir
from bench.environment import processes
from bench.environment import throwaway_vhost
from bench.environment import wait_for
from bench.plan import BenchRun
from bench.publishing import IN_FLIGHT
from bench.publishing import publish_window
from bench.services import WARM_UP_RUNS
from bench.services import runs_batch
from bench.throughput import stored_event_count
from bench.workload import execution_events
from contracts.topology import PROJECTOR
from infrastructure.bus.rabbitmq_bus import RabbitMQBus

GROUP = "11 quorum vs classic queues"
QUEUE_TYPES = ("classic", "quorum")
EVENTS = 5_000  # per repetition (at most the plan's throughput size)
RUNS = 300  # per repetition (at most the plan's batch size)
WORKER_CAPACITY = 4


def _key(kind: str, queue_type: str, nodes: int) -> str:
    return f"quorum.{kind}.{queue_type}.n{nodes}.per_s"


def declare_figures(run: BenchRun) -> None:
    for kind, unit, what in (
        ("events", "events/s", "bus → projector → SQLite"),
        ("runs", "runs/s", "trigger → success, 1 worker"),
    ):
        for nodes in (1, 3):
            for queue_type in QUEUE_TYPES:
                baseline = None if (queue_type, nodes) == ("classic", 1) else _key(kind, "classic", 1)
                run.results.figure(
                    _key(kind, queue_type, nodes),
                    GROUP,
                    f"{kind}: {queue_type} queues, {nodes} node{'s' if nodes > 1 else ''} ({what})",
                    unit,
                    baseline=baseline,
                )
    run.results.figures[_key("events", "classic", 1)].note = (
        f"{EVENTS} events / {RUNS} zero-duration runs per repetition; ratio: to classic queues on one node. "
        "3 nodes: private nodes on loopback (one machine: the cost of replication, not of a network)"
    )


async def events_once(run: BenchRun, urls: list[str], queue_type: str, label: str) -> float:
    events = execution_events(min(EVENTS, run.plan.throughput_events), run.plan.seed)
    data_dir = fresh_dir(run.work_dir, f"quorum-events-{label}")
    database = data_dir / "scheduler.sqlite3"
    env = _env(data_dir, urls, queue_type, first=1)
    with processes(data_dir) as group:
        projector = group.start("services.projector", env, "projector")
        await projector.wait_for_log(f"consuming {PROJECTOR.name}")
        bus = RabbitMQBus(urls, connection_name="bench:quorum", quorum=queue_type == "quorum")
        await bus.start()
        try:
            started = time.time()
            await publish_window(bus.publish, list(events), IN_FLIGHT)

            async def all_stored() -> bool:
                projector.check_alive()
                return await asyncio.to_thread(stored_event_count, database) >= len(events)

            finished = await wait_for(all_stored, timeout=600, interval=0.01, what="the projector")
        finally:
            await bus.close()
    return len(events) / (finished - started)


async def runs_session(run: BenchRun, urls: list[str], queue_type: str, label: str) -> list[float]:
    data_dir = fresh_dir(run.work_dir, f"quorum-runs-{label}")
    database = data_dir / "scheduler.sqlite3"
    with processes(data_dir) as group:
        projector = group.start("services.projector", _env(data_dir, urls, queue_type, first=0), "projector")
        await projector.wait_for_log(f"consuming {PROJECTOR.name}")
        scheduler = group.start("services.scheduler", _env(data_dir, urls, queue_type, first=1), "scheduler")
        worker = group.start("services.workers", _env(data_dir, urls, queue_type, first=2), "worker")
        await scheduler.wait_for_log(" leads: ", timeout=120)
        await worker.wait_for_log("ready (capacity", timeout=120)
        bus = RabbitMQBus(urls, connection_name="bench:quorum", quorum=queue_type == "quorum")
        await bus.start()
        rates: list[float] = []
        try:
            await runs_batch(bus, database, WARM_UP_RUNS, f"q{label}warm")  # not measured
            for repetition in range(run.plan.repetitions):
                count = min(RUNS, run.plan.runs_per_batch)
                rate, failed = await runs_batch(bus, database, count, f"q{label}r{repetition}")
                if failed:
                    run.note(f"quorum {label} #{repetition + 1}: {failed} runs did not end in success")
                rates.append(rate)
        finally:
            await bus.close()
    return rates


def _env(data_dir: Path, urls: list[str], queue_type: str, *, first: int) -> dict[str, str]:
    ordered = urls[first % len(urls) :] + urls[: first % len(urls)]
    return distributed_env(
        data_dir,
        ",".join(ordered),
        SCHEDULER_RABBITMQ_QUEUE_TYPE=queue_type,
        SCHEDULER_WORKER_CAPACITY=str(WORKER_CAPACITY),
    )


async def measure_setup(run: BenchRun, urls: list[str], queue_type: str, nodes: int) -> None:
    label = f"{queue_type}-n{nodes}"
    for repetition in range(run.plan.repetitions):
        rate = await events_once(run, urls, queue_type, f"{label}-{repetition}")
        run.results.add(_key("events", queue_type, nodes), rate)
        run.log(f"{label} events #{repetition + 1}: {rate:,.0f} events/s")
    for repetition, rate in enumerate(await runs_session(run, urls, queue_type, label)):
        run.results.add(_key("runs", queue_type, nodes), rate)
        run.log(f"{label} runs #{repetition + 1}: {rate:,.1f} runs/s")


@contextmanager
def three_nodes() -> Iterator[object]:
    """A private cluster of three nodes (the tests' own helper), stopped by PID whatever happens."""
    try:
        from tests.rabbitmq_nodes import form_cluster
        from tests.rabbitmq_nodes import stop_by_pid
    except ImportError as error:  # the tests' helpers are not shipped everywhere the bench runs
        raise BenchError(f"cannot start private RabbitMQ nodes: {error}") from error
    directory = Path(tempfile.mkdtemp(prefix="bench-rabbitmq-cluster-"))
    try:
        yield form_cluster(directory)
    finally:
        stop_by_pid(directory)
        shutil.rmtree(directory, ignore_errors=True)


async def measure_quorum(run: BenchRun) -> None:
    declare_figures(run)
    for queue_type in QUEUE_TYPES:
        with throwaway_vhost(f"quorum-{queue_type}") as url:
            await measure_setup(run, [url], queue_type, 1)
    try:
        with three_nodes() as cluster:
            from tests.rabbitmq_nodes import BrokerCluster

            assert isinstance(cluster, BrokerCluster)
            for queue_type in QUEUE_TYPES:
                vhost = f"bench-{queue_type}"
                cluster.ctl("add_vhost", vhost)
                cluster.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
                await measure_setup(run, cluster.urls(vhost), queue_type, 3)
    except (BenchError, OSError, RuntimeError) as error:
        run.note(f"quorum vs classic on 3 nodes not measured: {error}")
        raise
