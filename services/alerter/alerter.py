"""The alerter.

Folds the events it receives into its state, publishes the alert events they call for and hands the notices to
the channels.

Its state comes from events only: at start `rebuild` folds the event store (alert events included), then
the bus brings the rest; a redelivered event changes nothing (the fold is idempotent and alert events have
deterministic ids). Besides events, each evaluation reads the projector's reported state from the store
(its lag and the events it dead-lettered): the projector publishes no event about itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import KW_ONLY
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from typing import Protocol

from contracts.alert_events import ALERT_EVENT_TYPES
from contracts.alert_events import AlertChannelTestRequested
from contracts.alert_events import AlertNotified
from contracts.alert_events import AlertRaised
from contracts.alert_events import AlertResolved
from contracts.alert_events import NoticeKind
from contracts.codec import MessageRejected
from contracts.codec import from_document
from contracts.envelope import Event
from contracts.envelope import Message
from contracts.envelope import utc_now
from contracts.topology import ALERTER
from domain.alert_decisions import Observations
from domain.alert_decisions import decide
from domain.alert_decisions import evaluate
from domain.alert_decisions import reminders_due
from domain.alert_rules import SEVERITY
from domain.alert_rules import AlertRules
from domain.alert_state import AlertState
from domain.alert_state import Incident
from infrastructure.background import Repeating
from infrastructure.background import every
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.store.port import EventLog
from infrastructure.store.port import ProjectorStates
from services.alerter.channels import ChannelDelivery
from services.alerter.channels import Outbound
from services.alerter.metrics import AlerterMetrics
from services.alerter.notifier import Notifier
from services.alerter.operator_feed import OPERATOR_TYPES
from services.alerter.operator_feed import OperatorFeed
from services.alerter.operator_feed import operator_event

logger = logging.getLogger(__name__)

PUBLISH_ATTEMPTS = 30
# A channel test asked for this recently and not answered is still sent by an alerter that starts.
FRESH_TEST_S = 60.0
# The event types a rebuild folds: what the alerter's queue binds, its own and the operators' events. Not
# the heartbeats, most of the log: the next one comes within seconds (until then "no leader" counts from
# the start).
FOLDED_TYPES = frozenset(
    {*ALERTER.binding_keys, *OPERATOR_TYPES, "AlertRaised", "AlertResolved", "AlertNotified"}
    - {"SchedulerHeartbeat", "AlertChannelTestRequested"}
)


class AlerterStore(EventLog, ProjectorStates, Protocol):
    """What the alerter does with the store: fold the event log, read the projectors' reported state."""


@dataclass(eq=False, repr=False)
class Alerter:
    """The alerter service's core: folds events into its state, raises and resolves incidents, notifies."""

    bus: Bus
    rules: AlertRules
    notifier: Notifier
    _: KW_ONLY
    producer: str
    reminder_interval_s: float
    operator_poll_s: float
    clock: Callable[[], datetime] = utc_now
    metrics: AlerterMetrics = field(default_factory=AlerterMetrics)
    # Folded from events; the store and the operators' feed come with `rebuild`.
    state: AlertState = field(init=False, default_factory=AlertState)
    started_at: datetime = field(init=False)
    store: AlerterStore | None = field(init=False, default=None)
    feed: OperatorFeed | None = field(init=False, default=None)
    _dead_letters_seen: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        """The alerter's start, from which "no leader" and the like count until the first heartbeats."""
        self.started_at = self.clock()

    async def rebuild(self, store: AlerterStore) -> int:
        """Fold every stored event (no alert is decided for the past).

        Returns how many were folded. The store is kept to read the projector's state at each evaluation and
        the operators' alert events appended after this (`OperatorFeed`). Channel tests asked for in the last
        `FRESH_TEST_S` and not answered (e.g. while this alerter was starting) are sent now; older ones are
        not.
        """
        self.store = store
        self.feed = OperatorFeed(store, self.on_event)
        unanswered: dict[str, AlertChannelTestRequested] = {}
        folded = 0
        async for batch in store.iter_events():
            for stored in batch:
                operator = operator_event(stored)
                self.feed.seen(stored, operator)  # handled here: not handed over again
                message = operator or self._foldable(stored.document)
                if isinstance(message, AlertChannelTestRequested):
                    unanswered[message.test_id] = message
                elif isinstance(message, AlertNotified) and message.test_id is not None:
                    unanswered.pop(message.test_id, None)
                if message is not None and message.type in FOLDED_TYPES:
                    self.state.apply(message)
                    folded += 1
        self._count_open()
        for request in unanswered.values():
            if (self.clock() - request.occurred_at).total_seconds() < FRESH_TEST_S:
                await self._test_channel(request)
        return folded

    @staticmethod
    def _foldable(document: dict[str, Any]) -> Event | None:
        if document.get("type") not in FOLDED_TYPES:
            return None  # progress reports and heartbeats, most of the log, change nothing here
        try:
            message = from_document(document)
        except MessageRejected:
            return None
        return message if isinstance(message, Event) else None

    async def on_event(self, message: Message) -> None:
        """Fold an event into the state and publish the alert events it causes (a channel test: answer it)."""
        if not isinstance(message, Event):
            return
        self.state.apply(message)
        if isinstance(message, AlertChannelTestRequested):
            await self._test_channel(message)
        elif not isinstance(message, ALERT_EVENT_TYPES):
            await self._emit(decide(self.state, message, self.rules, self.producer, self.clock()))

    async def tick(self) -> None:
        """What time calls for: stale jobs, slow runs, the system's health, reminders of open incidents."""
        observed = await self._observe()
        now = self.clock()
        await self._emit(evaluate(self.state, now, self.rules, self.producer, observed))
        for incident in reminders_due(self.state, now, self.reminder_interval_s):
            incident.last_notified_at = now  # until its AlertNotified comes back: no second reminder
            self._notify("reminder", incident, now)

    async def _test_channel(self, request: AlertChannelTestRequested) -> None:
        """A test message to the channel asked for; its delivery is reported like any other.

        No such channel: answered at once with a failed `AlertNotified`.
        """
        if self.notifier.test(request.channel, request.test_id):
            return
        count = len(self.notifier.channels)
        answer = AlertNotified(
            producer=self.producer, occurred_at=self.clock(), **request.caused(), incident_ids=(),
            notice="test", channel_type="none", outcome="failed", attempts=1, test_id=request.test_id,
            error=f"no channel number {request.channel}: {count} configured",
        )  # fmt: skip
        await self._publish([answer])

    async def _observe(self) -> Observations:
        """The projector's lag and the events it dead-lettered since the previous evaluation.

        The first reading is the baseline.
        """
        if self.store is None:
            return Observations(started_at=self.started_at)
        lag = await self.store.projector_lag_s()
        dead = sum(state.dead_lettered for state in await self.store.list_projector_states())
        new = 0 if self._dead_letters_seen is None else max(0, dead - self._dead_letters_seen)
        self._dead_letters_seen = dead
        return Observations(started_at=self.started_at, projector_lag_s=lag, new_dead_letters=new)

    async def run_periodically(self, interval_s: float) -> None:
        """Evaluate every `interval_s`, and follow the operators' events in the log (after a rebuild)."""
        loops = [self._evaluate_every(interval_s)]
        if self.feed is not None:
            loops.append(self.feed.run(self.operator_poll_s))
        await asyncio.gather(*loops)

    async def _evaluate_every(self, interval_s: float) -> None:
        failure = f"alert evaluation failed; next try in {interval_s:g} s"
        await Repeating(self.tick, every(interval_s), failure, pause_first=True, logger=logger).forever()

    async def _emit(self, alerts: Sequence[Event]) -> None:
        if not alerts:
            return
        await self._publish(alerts)
        now = self.clock()
        for alert in alerts:
            incident = self.state.incident(alert.incident_id) if isinstance(alert, AlertResolved) else None
            self.state.apply(alert)
            if isinstance(alert, AlertRaised):
                incident = self.state.incident(alert.incident_id)
                if incident is not None:
                    incident.last_notified_at = now
                    self._notify("raised", incident, now)
            elif incident is not None:
                self._notify("resolved", incident, now)
        self._count_open()

    def _notify(self, kind: NoticeKind, incident: Incident, now: datetime) -> None:
        if self.state.silenced(incident, now):
            logger.info("incident %s silenced: not sent", incident.incident_id)
            return
        self.notifier.notify(kind, incident)

    async def _publish(self, alerts: Sequence[Event]) -> None:
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                await self.bus.publish_many(alerts)
                return
            except BusUnavailable:
                if attempt == PUBLISH_ATTEMPTS:
                    raise
                await asyncio.sleep(min(0.1 * 2**attempt, 5.0))

    async def report_delivery(
        self, channel: ChannelDelivery, outbound: Outbound, sent: bool, attempts: int, error: str | None
    ) -> None:
        """A channel's final outcome for one message: counted, and recorded as an `AlertNotified`."""
        outcome = "sent" if sent else "failed"
        self.metrics.notifications.labels(channel.kind, outcome).inc()
        self.metrics.channel_failing.labels(channel.kind).set(channel.consecutive_failures)
        if not sent:
            logger.error("alert channel %s failed %d time(s): %s", channel.kind, attempts, error)
        event = AlertNotified(
            producer=self.producer,
            occurred_at=self.clock(),
            incident_ids=outbound.incident_ids,
            notice=outbound.notice_kind,
            channel_type=channel.kind,
            outcome=outcome,
            attempts=attempts,
            error=error,
            test_id=outbound.test_id,
        )
        await self._publish([event])
        self.state.apply(event)

    def health(self) -> dict[str, object]:
        """The alerter's state at a glance: open incidents, each channel's failures, last error and drops."""
        return {
            "incidents_open": len(self.state.open),
            "channels": [
                {"type": channel.kind, "consecutive_failures": channel.consecutive_failures,
                 "last_error": channel.last_error, "dropped": channel.dropped}
                for channel in self.notifier.channels
            ],
        }  # fmt: skip

    def _count_open(self) -> None:
        for rule in SEVERITY:
            count = sum(1 for (open_rule, _) in self.state.open if open_rule == rule)
            self.metrics.incidents_open.labels(rule).set(count)
