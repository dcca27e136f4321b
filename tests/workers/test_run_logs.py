"""Each run's own log, on the worker's side: captured with the run's identity (two concurrent runs in one
worker never mix, lines from threads included), redacted, at the run's level, bounded (a flood of lines and
a 10 MB line are cut and counted, the other run unaffected), shipped in batches."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest

from contracts.envelope import Message
from contracts.envelope import utc_now
from contracts.run_log_settings import RunLogSettings
from contracts.run_logs import LogLine
from contracts.run_logs import RunLogBatch
from contracts.runs import RunJob
from contracts.topology import RUN_LOGS
from infrastructure.bus.memory_bus import InMemoryBus
from infrastructure.store.claims_port import LocalRunClaims
from infrastructure.store.run_logs_port import MemoryRunLogs
from infrastructure.store.run_logs_port import RunLogQuery
from services.projector.run_logs import RunLogWriter
from services.workers.job_api import JobContext
from services.workers.run_log_capture import RunLogHandler
from services.workers.worker import Worker
from tests.api.fakes import RecordingBus
from tests.waiting import wait_until

AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
job_logger = logging.getLogger("tests.workers.a_job")
SECRET = "tushare-secret-0123456789"


def run_request(execution_id: str, job_kind: str, **kwargs: Any) -> RunJob:
    return RunJob(
        producer="scheduler:s",
        execution_id=execution_id,
        job_id=f"job-{job_kind}",
        job_name="job",
        job_kind=job_kind,
        scheduled_time=AT,
        kwargs=kwargs,
    )


def batches(published: list[Message], execution_id: str) -> list[RunLogBatch]:
    return [m for m in published if isinstance(m, RunLogBatch) and m.execution_id == execution_id]


def lines(published: list[Message], execution_id: str) -> list[LogLine]:
    found = [line for batch in batches(published, execution_id) for line in batch.lines]
    assert [line.sequence for line in found] == list(range(1, len(found) + 1)), "numbered, in order"
    return found


def messages(published: list[Message], execution_id: str) -> list[str]:
    return [line.message for line in lines(published, execution_id)]


async def chatty(context: JobContext) -> str:
    """Logs its own id at every step, from the job, a task it starts and a worker thread."""
    name = context.execution_id
    for step in range(5):
        job_logger.info("%s step %d", name, step)
        await asyncio.sleep(0.005)
    await asyncio.create_task(_in_task(name))
    await asyncio.to_thread(job_logger.warning, "%s from a thread", name)
    job_logger.debug("%s debug detail", name)
    return name


async def _in_task(name: str) -> None:
    logging.getLogger("services.workers.providers.fake").info("%s from a provider adapter", name)


def worker_on(bus: Any, **settings: Any) -> Worker:
    kinds = {"chatty": chatty, "secretive": secretive, "flood": flood, "huge": huge, "warns": warns}
    return Worker(
        bus,
        kinds,
        worker_id="w1",
        claims=LocalRunClaims(),
        capacity=4,
        run_logs=RunLogSettings(**settings),
        secrets=[SECRET],
    )


async def test_two_concurrent_runs_in_one_worker_never_mix() -> None:
    bus = RecordingBus()
    worker = worker_on(bus)
    await asyncio.gather(
        worker.on_run(run_request("run-a", "chatty")), worker.on_run(run_request("run-b", "chatty"))
    )
    for mine, other in (("run-a", "run-b"), ("run-b", "run-a")):
        texts = messages(bus.published, mine)
        assert [t for t in texts if t.startswith(mine)] == [
            *(f"{mine} step {step}" for step in range(5)),
            f"{mine} from a provider adapter",
            f"{mine} from a thread",
        ]
        assert not any(other in text for text in texts)
    levels = {line.message: line.level for line in lines(bus.published, "run-a")}
    assert levels["run-a from a thread"] == "WARNING"
    assert not any("debug detail" in text for text in messages(bus.published, "run-a")), "INFO by default"


async def test_a_run_asks_for_debug_lines_and_gets_them_alone() -> None:
    bus = RecordingBus()
    worker = worker_on(bus)
    root = logging.getLogger()
    level_before = root.level
    await asyncio.gather(
        worker.on_run(run_request("verbose", "chatty", log_level="DEBUG")),
        worker.on_run(run_request("plain", "chatty")),
    )
    assert "verbose debug detail" in messages(bus.published, "verbose")
    assert not any("debug" in text for text in messages(bus.published, "plain"))
    assert root.level == level_before, "the process's level is back"


async def secretive(context: JobContext) -> None:
    job_logger.info("GET https://api.example.test/daily?token=abc123def&ts_code=600000.SH")
    job_logger.info("connecting to amqp://scheduler:hunter2@broker:5672/")
    job_logger.info("provider token %s accepted", SECRET)
    job_logger.info('request body {"password": "p4ssw0rd", "user": "me"}')


async def test_tokens_passwords_and_credentials_in_urls_are_redacted() -> None:
    bus = RecordingBus()
    await worker_on(bus).on_run(run_request("r1", "secretive"))
    texts = messages(bus.published, "r1")
    joined = "\n".join(texts)
    for secret in ("abc123def", "hunter2", SECRET, "p4ssw0rd"):
        assert secret not in joined
    assert "ts_code=600000.SH" in texts[0] and "token=***" in texts[0]
    assert "amqp://scheduler:***@broker:5672/" in texts[1]


async def flood(context: JobContext) -> None:
    for number in range(100_000):
        job_logger.info("line %d", number)


async def huge(context: JobContext) -> None:
    job_logger.info("x" * (10 * 1024 * 1024))
    job_logger.info("after the huge line")


@pytest.fixture
def process_logs_quiet() -> Iterator[None]:
    """The root logger's other handlers (pytest's capture) off: what a worker logging at WARNING does;
    the flood costs the run-log capture alone."""
    root = logging.getLogger()
    others = [handler for handler in root.handlers if not isinstance(handler, RunLogHandler)]
    for handler in others:
        root.removeHandler(handler)
    try:
        yield
    finally:
        for handler in others:
            root.addHandler(handler)


@pytest.mark.usefixtures("process_logs_quiet")
async def test_a_flood_of_lines_and_a_huge_line_are_cut_and_counted_the_other_run_unaffected() -> None:
    bus = RecordingBus()
    worker = worker_on(bus)
    runs = asyncio.gather(
        worker.on_run(run_request("flood", "flood")),
        worker.on_run(run_request("huge", "huge")),
        worker.on_run(run_request("calm", "chatty")),
    )
    try:  # about half a second on a quiet machine; the deadline only tells a stuck run from a slow one
        await asyncio.wait_for(runs, timeout=60)
    except TimeoutError:
        pytest.fail("the flood, huge-line and calm runs did not all end within 60 s: one is stuck")
    flooded = lines(bus.published, "flood")
    assert len(flooded) == 5000 + 1
    assert flooded[4999].message == "line 4999"
    assert flooded[-1].level == "WARNING"
    assert flooded[-1].message.startswith("95,000 more line(s)")
    assert "5,000 lines" in flooded[-1].message
    assert len(batches(bus.published, "flood")) <= 5000 // 500 + 1, "shipped in batches"
    cut, after = lines(bus.published, "huge")
    assert len(cut.message.encode()) <= 4096 + 64
    assert cut.message.startswith("x" * 4000) and cut.message.endswith(
        "[line cut: 10,485,760 characters in all]"
    )
    assert after.message == "after the huge line"
    assert "calm step 4" in messages(bus.published, "calm")


async def test_the_bytes_limit_cuts_too() -> None:
    bus = RecordingBus()
    await worker_on(bus, max_bytes=64 * 1024).on_run(run_request("f", "flood"))
    kept = lines(bus.published, "f")
    assert sum(len(line.message) for line in kept[:-1]) <= 64 * 1024 + 16
    assert "more line(s)" in kept[-1].message


async def warns(context: JobContext) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        # pytest records warnings itself in each test: route them through `logging` again, as the worker
        # process does once at start (`install_capture`).
        logging.captureWarnings(False)
        logging.captureWarnings(True)
        warnings.warn("a provider library is deprecated", DeprecationWarning, stacklevel=1)


async def test_warnings_are_lines_of_the_run() -> None:
    bus = RecordingBus()
    await worker_on(bus).on_run(run_request("w", "warns"))
    [line] = lines(bus.published, "w")
    assert line.level == "WARNING" and "a provider library is deprecated" in line.message


async def test_the_canary_logs_one_line_per_step_and_its_batches_come_before_its_end() -> None:
    from services.workers.canary import CANARY_JOB_ID
    from services.workers.canary import pipeline_canary

    bus = RecordingBus()
    worker = Worker(bus, {CANARY_JOB_ID: pipeline_canary}, worker_id="w1", claims=LocalRunClaims())
    await worker.on_run(run_request("c", CANARY_JOB_ID, duration_s=0, steps=3))
    assert messages(bus.published, "c") == ["canary step 1/3", "canary step 2/3", "canary step 3/3"]
    types = [message.type for message in bus.published]
    assert types.index("RunLogBatch") < types.index("JobFinished")


async def test_lines_reach_the_run_log_store_through_the_bus_and_age_out() -> None:
    bus = InMemoryBus()
    await bus.start()
    store = MemoryRunLogs()
    writer = RunLogWriter(
        store, RunLogSettings(retention_days=1), clock=lambda: utc_now() + timedelta(days=2)
    )
    subscription = await bus.consume_batches(RUN_LOGS, writer.on_batches)
    worker = worker_on(bus)
    try:
        await worker.start()
        await worker.on_run(run_request("r1", "chatty"))

        async def stored() -> bool:
            return (await store.page(RunLogQuery("r1")))[1] == 7

        await wait_until(stored)
        items, _ = await store.page(RunLogQuery("r1"))
        assert items[0].message == "r1 step 0" and items[0].job_id == "job-chatty"
        assert await writer.purge_once() == 7, "two days old, kept one"
    finally:
        await worker.stop()
        await subscription.cancel()
        await bus.close()
