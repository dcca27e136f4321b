"""The leader's reconciliation with the read model: one page of unfinished executions now and then.

Every `reconcile_interval_s` one store query reads one page of one of the reconciled statuses (in turn, each
status from where its last page ended, so a long list is covered over several passes); the executions
the leader's state does not hold are adopted (`domain.scheduling.reconcile`).
"""

from __future__ import annotations

import logging

from domain.scheduling.reconcile import RECONCILED_STATUSES
from domain.scheduling.reconcile import reconciled
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import StoreUnavailable
from services.scheduler.desk import Desk

logger = logging.getLogger(__name__)


class Reconciler:
    """Where the passes are: the next status to read, each status's next page, when the last pass was."""

    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self._turn = 0
        self._offsets = dict.fromkeys(RECONCILED_STATUSES, 0)
        self._last_pass: float | None = None

    async def run_once(self) -> None:
        """One pass if one is due (the first one interval after taking office, which loaded everything)."""
        desk = self._desk
        settings = desk.settings
        mono = desk.now().mono
        if self._last_pass is None:
            self._last_pass = mono
        if mono - self._last_pass < settings.reconcile_interval_s:
            return
        self._last_pass = mono
        status = RECONCILED_STATUSES[self._turn % len(RECONCILED_STATUSES)]
        self._turn += 1
        offset = self._offsets[status]
        try:
            page, total = await desk.store.list_executions(
                ExecutionQuery(status=status, limit=settings.reconcile_page, offset=offset)
            )
        except StoreUnavailable as error:  # nothing lost: the status's next turn reads this page again
            logger.warning("%s executions not reconciled with the read model: %s", status, error)
            return
        offset += len(page)
        self._offsets[status] = offset if page and offset < total else 0  # from the newest again
        reconciliation = reconciled(desk.state, page, desk.now(), grace_s=settings.reconcile_grace_s)
        desk.state = reconciliation.state
        if reconciliation.adopted:
            logger.warning(
                "%d %s execution(s) the read model lists were not watched (a publish not confirmed in time "
                "may have reached the broker): adopted, watched again: %s",
                len(reconciliation.adopted),
                status,
                ", ".join(reconciliation.adopted),
            )
