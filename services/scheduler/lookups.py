"""Store lookups of executions asked for at about the same moment, answered by one query.

Commands are handled concurrently (`Office.on_command`); each `TriggerJob` needs to know whether its
execution exists. Asked one by one, that is a read-model query (and a hop to the store's thread) per
command; here every lookup asked while none is being answered waits for the next query, which answers all
of them at once (`Store.get_executions`).
"""

from __future__ import annotations

import asyncio

from domain.records import ExecutionRecord
from infrastructure.store.port import ExecutionsReadModel


class ExecutionLookups:
    """`get(execution_id)`: the stored execution or None, from a query shared with concurrent lookups."""

    def __init__(self, store: ExecutionsReadModel) -> None:
        self._store = store
        self._waiting: dict[str, list[asyncio.Future[ExecutionRecord | None]]] = {}
        self._answering: asyncio.Task[None] | None = None

    async def get(self, execution_id: str) -> ExecutionRecord | None:
        """The execution as stored (None: not there); a store error is raised to every lookup it answered."""
        future: asyncio.Future[ExecutionRecord | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(execution_id, []).append(future)
        if self._answering is None or self._answering.done():
            self._answering = asyncio.create_task(self._answer(), name="execution-lookups")
        return await future

    async def _answer(self) -> None:
        while self._waiting:
            waiting, self._waiting = self._waiting, {}
            try:
                records = await self._store.get_executions(list(waiting))
            except Exception as error:
                for futures in waiting.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(error)
                continue
            for execution_id, futures in waiting.items():
                for future in futures:
                    if not future.done():
                        future.set_result(records.get(execution_id))
