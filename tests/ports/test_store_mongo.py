"""What only the MongoDB adapter has to show: documents a server would refuse or change, appends by batch
and by two writers, transactions on a replica set, outages ridden out, indexes matched by keys.

The emulation has no sessions, elections or network; those cases run it behind thin fakes that inject what
the driver raises (`NotPrimaryError`, `ServerSelectionTimeoutError`, `AutoReconnect`) or that hand out a
session and record which writes ran in it. On a real server (`MONGODB_TEST_URL`) the whole store suite
runs as well (`conftest_store`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from bson import DBRef
from pymongo import ASCENDING
from pymongo import IndexModel
from pymongo.errors import AutoReconnect
from pymongo.errors import NotPrimaryError
from pymongo.errors import OperationFailure
from pymongo.errors import ServerSelectionTimeoutError

from infrastructure.store import mongo_client
from infrastructure.store import mongo_counts
from infrastructure.store.mongo_claims import MongoRunClaims
from infrastructure.store.mongo_documents import UnstorableDocument
from infrastructure.store.mongo_indexes import ensure_indexes
from infrastructure.store.mongo_store import MongoStore
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import HistoryQuery
from infrastructure.store.port import ReadModelChanges
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.port import StoreUnavailable
from tests.mongo_emulation import emulated_client
from tests.ports.conftest_mongo import mongodb_backend
from tests.ports.conftest_mongo import mongodb_database
from tests.ports.conftest_store import T0
from tests.ports.conftest_store import event_document
from tests.ports.conftest_store import execution_record
from tests.ports.conftest_store import history_record
from tests.store_writes import delete_execution
from tests.store_writes import put_execution
from tests.waiting import wait_until

Log = list[tuple[str, str, Any]]


async def opened(client: Any = None) -> MongoStore:
    store = MongoStore(client or emulated_client(), "test_store")
    await store.open()
    return store


# --- documents a server refuses or changes ---------------------------------------------------------------

DEEP: dict[str, Any] = {}
_level = DEEP
for _ in range(120):
    _level["d"] = {}
    _level = _level["d"]

UNSTORABLE = {
    "dbref": ({"kwargs": {"$ref": "users", "$id": 7}}, r"starts with '\$'"),
    "operator key": ({"kwargs": {"$set": 1}}, r"starts with '\$'"),
    "NUL in a key": ({"kwargs": {"a\x00b": 1}}, "NUL"),
    "2**63": ({"rows": 2**63}, "64-bit"),
    "-2**63-1": ({"rows": -(2**63) - 1}, "64-bit"),
    "too deep": ({"kwargs": DEEP}, "deeper than"),
    "over 16 MiB": ({"blob": "x" * (16 * 1024 * 1024)}, "byte limit"),
}


@pytest.mark.parametrize(("extra", "reason"), UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_an_event_the_server_would_refuse_is_refused_whole_batch_unwritten(
    extra: dict[str, Any], reason: str
) -> None:
    store = await opened()
    good = event_document("m-good")
    bad = {**event_document("m-bad"), **extra}

    with pytest.raises(UnstorableDocument, match=reason) as refused:
        await store.append_events([good, bad])

    assert "m-bad" in str(refused.value)
    assert await store.count_events() == 0, "nothing of the batch is written"
    assert await store.append_events([good]) == 1


async def test_largest_int64_and_dotted_keys_are_stored() -> None:
    store = await opened()
    document = {**event_document("m-1"), "rows": 2**63 - 1, "kwargs": {"a.b": -(2**63)}}
    assert await store.append_events([document]) == 1
    (stored,), total = await store.list_events(EventQuery())
    assert stored["rows"] == 2**63 - 1 and total == 1


async def test_a_stored_row_the_api_cannot_show_is_skipped_and_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = await opened()
    await store.apply_changes(
        ReadModelChanges(executions={f"x-{n}": execution_record(f"x-{n}", minutes=n) for n in range(3)})
    )
    # As another writer (or an older version) may have left them: a DBRef, a record missing its fields.
    executions = store._database["scheduler_executions"]
    await executions.update_one({"_id": "x-1"}, {"$set": {"kwargs": {"user": DBRef("users", 7)}}})
    await executions.insert_one({"_id": "x-broken", "status": "success", "timestamp": "yesterday"})
    await store.append_events([event_document("m-1")])
    await store._database["scheduler_events"].update_one(
        {"_id": "m-1"}, {"$set": {"document.x": DBRef("a", 1)}}
    )

    records, total = await store.list_executions(ExecutionQuery())

    assert [record.execution_id for record in records] == ["x-2", "x-0"]
    assert total == 3, "the total is the counters', which the foreign writes did not change"
    assert "x-1" in caplog.text and "DBRef" in caplog.text and "x-broken" in caplog.text
    assert await store.get_execution("x-1") is None
    assert (await store.list_events(EventQuery()))[0] == []


# --- totals from counters ------------------------------------------------------------------------------


async def test_totals_follow_updates_deletions_and_retention_without_counting_the_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = await opened()
    await store.apply_changes(
        ReadModelChanges(
            executions={
                "x-1": execution_record("x-1", status="running"),
                "x-2": execution_record("x-2", status="failed", is_manual=True),
                "x-3": execution_record("x-3", job_id="job-b"),
            },
            history={"h-1": history_record("h-1"), "h-2": history_record("h-2", status="failed")},
        )
    )
    await put_execution(store, execution_record("x-1", status="success", minutes=1))
    await delete_execution(store, "x-3")
    await store.append_events([event_document("m-1"), event_document("m-2", event_type="Progress")])

    async def no_scan(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("a list total counted the collection")

    for name in ("scheduler_executions", "scheduler_history", "scheduler_events"):
        monkeypatch.setattr(type(store._database[name]), "count_documents", no_scan)
    assert await store.count_executions() == 2
    assert await store.count_executions("success") == 1
    assert (await store.list_executions(ExecutionQuery(job_id="job-a", is_manual=False)))[1] == 1
    assert (await store.list_executions(ExecutionQuery(is_manual=True, status="failed")))[1] == 1
    assert (await store.list_executions(ExecutionQuery(job_id="job-b")))[1] == 0
    assert await store.count_events() == 2
    assert (await store.list_events(EventQuery(type="Progress")))[1] == 1


async def test_counters_are_built_once_for_collections_filled_before_them() -> None:
    client = emulated_client()
    store = await opened(client)
    await store.apply_changes(ReadModelChanges(executions={"x-1": execution_record("x-1")}))
    await store.append_events([event_document("m-1")])
    for name in ("scheduler_executions_counts", "scheduler_events_counts"):
        await store._database.drop_collection(name)  # as before this version

    again = await opened(client)

    assert await again.count_executions() == 1 and await again.count_events() == 1


# --- appends --------------------------------------------------------------------------------------------


async def test_a_batch_with_events_stored_already_stores_the_rest_in_order() -> None:
    store = await opened()
    assert await store.append_events([event_document("m-2")]) == 1
    batch = [event_document(f"m-{n}") for n in (1, 2, 3, 3, 4)]

    assert await store.append_events(batch) == 3
    assert await store.append_events(batch) == 0

    stored = [event for events in [b async for b in store.iter_events()] for event in events]
    assert [event.document["message_id"] for event in stored] == ["m-2", "m-1", "m-3", "m-4"]
    positions = [event.position for event in stored]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert await store.count_events() == 4


async def test_two_writers_interleaving_store_every_event_once_at_distinct_positions() -> None:
    client = emulated_client()
    first, second = await opened(client), await opened(client)

    async def write(store: MongoStore, name: str) -> None:
        for batch in range(20):
            documents = [event_document(f"{name}-{batch}-{n}") for n in range(5)]
            documents.append(event_document(f"shared-{batch}"))  # both write it: stored once
            await store.append_events(documents)
            await asyncio.sleep(0)

    await asyncio.gather(write(first, "a"), write(second, "b"))

    stored = [event for events in [b async for b in first.iter_events(batch_size=7)] for event in events]
    ids = [event.document["message_id"] for event in stored]
    assert len(ids) == len(set(ids)) == 2 * 20 * 5 + 20
    positions = [event.position for event in stored]
    assert positions == sorted(set(positions))
    for name in ("a", "b"):  # each writer's events in the order it wrote them
        own = [i for i in ids if i.startswith(f"{name}-")]
        assert own == sorted(own, key=lambda i: tuple(int(part) for part in i.split("-")[1:]))
    assert await first.count_events() == len(ids)


# --- transactions (a replica set), behind a thin fake ---------------------------------------------------


class RecordingCollection:
    def __init__(self, collection: Any, log: Log, fail: Callable[[str, str], None]) -> None:
        self._collection, self._log, self._fail = collection, log, fail

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._collection, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            session = kwargs.pop("session", None)
            self._log.append((self._collection.name, name, session))
            self._fail(self._collection.name, name)
            return method(*args, **kwargs)

        return call


class ReplicaSetDatabase:
    """The emulated database as a replica-set member: `hello` names a set, writes are recorded."""

    def __init__(self, database: Any, log: Log, fail: Callable[[str, str], None]) -> None:
        self._database, self._log, self._fail = database, log, fail
        self.name = database.name

    async def command(self, name: str) -> dict[str, Any]:
        return {"setName": "rs0", "isWritablePrimary": True} if name == "hello" else {"ok": 1.0}

    def __getitem__(self, name: str) -> RecordingCollection:
        return RecordingCollection(self._database[name], self._log, self._fail)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._database, name)


class FakeSession:
    """Runs a transaction's callback once and commits (the driver's retries are its own, not ours)."""

    def __init__(self, log: Log) -> None:
        self._log = log

    async def __aenter__(self) -> FakeSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def with_transaction(self, callback: Callable[[Any], Awaitable[Any]]) -> Any:
        self._log.append(("", "start", self))
        result = await callback(self)
        self._log.append(("", "commit", self))
        return result


class ReplicaSetClient:
    def __init__(self, fail: Callable[[str, str], None] = lambda collection, method: None) -> None:
        self.log: Log = []
        self._client = emulated_client()
        self._fail = fail

    def __getitem__(self, name: str) -> ReplicaSetDatabase:
        return ReplicaSetDatabase(self._client[name], self.log, self._fail)

    def start_session(self) -> FakeSession:
        return FakeSession(self.log)

    async def close(self) -> None:
        return None


WRITES = {"insert_many", "bulk_write", "find_one_and_update", "delete_many"}


def _in_one_transaction(log: Log) -> set[str]:
    """The collections written between the first start and its commit, asserting each write ran in it."""
    start = next(index for index, entry in enumerate(log) if entry[1] == "start")
    session = log[start][2]
    end = log.index(("", "commit", session))
    written = set()
    for collection, method, used in log[start + 1 : end]:
        assert used is session, f"{method} on {collection} ran outside the transaction"
        if method in WRITES:
            written.add(collection)
    return written


async def test_on_a_replica_set_a_batch_of_read_model_changes_is_one_transaction() -> None:
    client = ReplicaSetClient()
    store = await opened(client)
    assert store.transactions
    client.log.clear()

    await store.apply_changes(
        ReadModelChanges(
            executions={"x-1": execution_record("x-1")},
            history={"h-1": history_record("h-1")},
        )
    )

    assert _in_one_transaction(client.log) == {
        "scheduler_executions",
        "scheduler_history",
        "scheduler_executions_counts",
    }


async def test_on_a_replica_set_positions_and_events_are_written_in_one_transaction() -> None:
    client = ReplicaSetClient()
    store = await opened(client)
    client.log.clear()

    assert await store.append_events([event_document(f"m-{n}") for n in range(3)]) == 3

    assert _in_one_transaction(client.log) == {
        "scheduler_counters",
        "scheduler_events",
        "scheduler_events_counts",
    }
    assert [entry[1] for entry in client.log].count("insert_many") == 1, "one insert for the batch"


class StandaloneDatabase(ReplicaSetDatabase):
    """The emulated database as a standalone server: `hello` names no replica set."""

    async def command(self, name: str) -> dict[str, Any]:
        return {"isWritablePrimary": True} if name == "hello" else {"ok": 1.0}


class StandaloneClient(ReplicaSetClient):
    """A client whose server has no transactions: a session started anyway would be a bug."""

    def __getitem__(self, name: str) -> StandaloneDatabase:
        return StandaloneDatabase(self._client[name], self.log, self._fail)

    def start_session(self) -> FakeSession:
        raise AssertionError("a standalone server has no transactions: no session may be started")


async def test_on_a_standalone_server_an_execution_and_its_history_line_are_written_sessionless() -> None:
    client = StandaloneClient()
    store = await opened(client)
    assert not store.transactions
    client.log.clear()

    await store.apply_changes(
        ReadModelChanges(executions={"x-1": execution_record("x-1")}, history={"h-1": history_record("h-1")})
    )

    writes = [(collection, session) for collection, method, session in client.log if method in WRITES]
    assert {collection for collection, _ in writes} >= {"scheduler_executions", "scheduler_history"}
    assert all(session is None for _, session in writes)
    assert await store.get_execution("x-1") == execution_record("x-1")
    assert (await store.list_history(HistoryQuery()))[0] == [history_record("h-1")]


@pytest.mark.parametrize("backend", [mongodb_backend()])
async def test_an_execution_and_its_history_line_are_one_transaction_exactly_when_the_server_has_them(
    backend: str,
) -> None:
    async with mongodb_database(backend, "test_transactions") as (client, database):
        store = MongoStore(client, database)
        await store.open()
        try:
            if backend == "mongodb-real":
                hello = await client[database].command("hello")
                expected = bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"
            else:
                expected = False  # the emulation is a standalone server
            assert store.transactions == expected

            await store.apply_changes(
                ReadModelChanges(
                    executions={"x-1": execution_record("x-1")}, history={"h-1": history_record("h-1")}
                )
            )

            assert await store.get_execution("x-1") == execution_record("x-1")
            assert (await store.list_history(HistoryQuery()))[0] == [history_record("h-1")]
        finally:
            await store.close()


async def test_a_step_down_during_a_batch_is_reported_unavailable_for_the_projector_to_retry() -> None:
    stepping_down = {"on": False}

    def fail(collection: str, method: str) -> None:
        if stepping_down["on"] and collection == "scheduler_history":
            raise NotPrimaryError("not primary", {"code": 10107, "errmsg": "not primary"})

    store = await opened(ReplicaSetClient(fail))
    stepping_down["on"] = True
    with pytest.raises(StoreUnavailable, match="not primary"):
        await store.apply_changes(ReadModelChanges(history={"h-1": history_record("h-1")}))
    stepping_down["on"] = False
    await store.apply_changes(ReadModelChanges(history={"h-1": history_record("h-1")}))


# --- outages: what is transient ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        NotPrimaryError("not primary", {"code": 10107}),
        ServerSelectionTimeoutError("no primary"),
        AutoReconnect("connection reset"),
        OperationFailure("stepped down", code=189),
        OperationFailure("interrupted", code=11602),
    ],
    ids=lambda error: type(error).__name__,
)
def test_elections_and_lost_connections_are_transient(error: Exception) -> None:
    assert mongo_client.is_transient(error)


def test_a_refused_request_is_not_transient() -> None:
    assert not mongo_client.is_transient(OperationFailure("bad", code=2))
    assert not mongo_client.is_transient(ValueError("bad"))


def test_clients_have_explicit_timeouts_that_the_url_can_override() -> None:
    client = mongo_client.make_client("mongodb://db.invalid/?timeoutMS=2500", "test")
    assert client.options.timeout == 2.5
    assert client.options.server_selection_timeout == 5.0
    plain = mongo_client.make_client("mongodb://db.invalid/", "test")
    assert plain.options.timeout == 10.0


class FlakyClaims:
    """A claims collection through an election: the first `failures` inserts raise; `applied` says whether
    the server applied the insert that failed (a lost reply)."""

    def __init__(self, failures: int, error: Exception, *, applied: bool = False) -> None:
        self.failures, self.error, self.applied = failures, error, applied
        self.documents: dict[str, dict[str, Any]] = {}

    async def insert_one(self, document: dict[str, Any]) -> None:
        from pymongo.errors import DuplicateKeyError

        if self.failures:
            self.failures -= 1
            if self.applied:
                self.documents[document["_id"]] = document
            raise self.error
        if document["_id"] in self.documents:
            raise DuplicateKeyError("taken")
        self.documents[document["_id"]] = document

    async def find_one(self, query: dict[str, Any], fields: Any = None) -> dict[str, Any] | None:
        return self.documents.get(query["_id"])


def claims_over(collection: FlakyClaims, retry_s: float) -> MongoRunClaims:
    claims = MongoRunClaims({"scheduler_run_claims": collection}, retry_s=retry_s)  # type: ignore[arg-type]
    return claims


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mongo_client, "backoff_s", lambda attempt, **_: 0.001)


async def test_a_claim_rides_out_an_election() -> None:
    collection = FlakyClaims(3, NotPrimaryError("not primary", {"code": 10107}))
    claims = claims_over(collection, retry_s=5)
    assert await claims.claim_run("x-1", 1, "w1")
    assert not await claims.claim_run("x-1", 1, "w2"), "still claimed once"


async def test_a_claim_whose_reply_was_lost_is_still_won_by_its_worker() -> None:
    collection = FlakyClaims(1, AutoReconnect("reset"), applied=True)
    assert await claims_over(collection, retry_s=5).claim_run("x-1", 1, "w1")


async def test_a_claim_gives_up_after_its_window_as_store_unavailable() -> None:
    collection = FlakyClaims(10**6, ServerSelectionTimeoutError("no primary"))
    with pytest.raises(StoreUnavailable, match="unavailable for"):
        await claims_over(collection, retry_s=0.05).claim_run("x-1", 1, "w1")


# --- the platform's database ------------------------------------------------------------------------------


async def test_indexes_on_the_same_keys_under_other_names_are_used_not_duplicated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = emulated_client()
    executions = client["test_store"]["scheduler_executions"]
    await executions.create_index(
        [("job_id", ASCENDING), ("timestamp", -1), ("_id", -1)], name="platform_jobs"
    )
    caplog.set_level("INFO")

    await opened(client)
    await opened(client)  # a second start creates nothing

    indexes = await (await executions.list_indexes()).to_list()
    keys = [tuple(index["key"].items()) for index in indexes]
    assert len(keys) == len(set(keys)), "no two indexes on the same keys"
    assert "platform_jobs" in {index["name"] for index in indexes}
    assert "already exists as 'platform_jobs'" in caplog.text
    created = await ensure_indexes(executions, [IndexModel([("job_id", ASCENDING)], name="x")])
    assert created == ["x"]


# --- the replay lock ------------------------------------------------------------------------------------


async def test_the_replay_lock_is_refreshed_while_a_long_step_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from infrastructure.store import mongo_rebuild

    monkeypatch.setattr(mongo_rebuild, "REPLAY_LOCK_REFRESH_S", 0.01)
    store = await opened()
    rebuild = await store.begin_rebuild("long-one")
    locks = store._database[mongo_rebuild.SWAPS]
    taken = await locks.find_one({"_id": mongo_rebuild.LOCK})
    assert taken is not None

    async def refreshed() -> bool:
        now = await locks.find_one({"_id": mongo_rebuild.LOCK})
        return now is not None and now["refreshed_at"] > taken["refreshed_at"]

    # Nothing applied meanwhile, as during a comparison or an index build on a big collection.
    await wait_until(refreshed, message="the replay lock refreshed while the replay writes nothing")
    await rebuild.discard()
    assert await locks.find_one({"_id": mongo_rebuild.LOCK}) is None
    again = await store.begin_rebuild("next")  # released: the next replay takes it at once
    await again.discard()


async def test_retention_deletes_in_chunks_and_keeps_the_counters_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mongo_counts, "CHUNK", 2)
    store = await opened()
    old = {f"x-{n}": execution_record(f"x-{n}", minutes=n) for n in range(5)}
    await store.apply_changes(
        ReadModelChanges(executions={**old, "x-new": execution_record("x-new", minutes=100)})
    )
    await store.append_events([event_document(f"m-{n}", seconds=n) for n in range(5)])

    cutoff = execution_record("x", minutes=50).timestamp
    removed = await store.prune(RetentionCutoffs({"success": cutoff}, events=T0 + timedelta(seconds=3)))

    assert removed["executions"] == 5 and removed["events"] == 3
    assert await store.count_executions() == 1 and await store.count_events() == 2
