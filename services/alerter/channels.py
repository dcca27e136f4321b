"""Delivery to one channel through Apprise, in the background, with retries and backoff.

Each channel has its own bounded queue and task: a channel that fails or hangs delays only itself (every
attempt is bounded by a timeout), never the alerter or the other channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

import apprise
from pydantic import SecretStr

from contracts.alert_events import NoticeKind
from infrastructure.background import BackgroundLoop
from infrastructure.background import Repeating
from infrastructure.background import every
from services.alerter.messages import Notice

logger = logging.getLogger(__name__)

# Channel types used as metric labels and in `AlertNotified`: a closed set, anything else is "other".
CHANNEL_TYPES = frozenset(
    {"dingtalk", "wecombot", "feishu", "lark", "mailto", "mailtos", "json", "jsons", "form", "forms", "xml",
     "xmls", "slack", "tgram", "ntfy", "ntfys", "gotify", "gotifys", "bark", "barks", "workflows", "msteams"}
)  # fmt: skip
QUEUE_LIMIT = 100


def channel_type(url: str) -> str:
    """The metric label of a channel URL: its scheme if a known channel type, else `other`."""
    scheme = url.split("://", 1)[0].lower()
    return scheme if scheme in CHANNEL_TYPES else "other"


@dataclass(frozen=True)
class Outbound:
    """One message to send, and the incidents it is about."""

    notice_kind: NoticeKind
    incident_ids: tuple[str, ...]
    notice: Notice
    test_id: str | None = None


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard a channel tries one message: attempts, backoff between them, timeout of each (seconds)."""

    attempts: int = 5
    backoff_s: float = 2.0
    timeout_s: float = 30.0


Reporter = Callable[["ChannelDelivery", Outbound, bool, int, str | None], Awaitable[None]]


@dataclass
class ChannelDelivery:
    """One alert channel (an apprise URL) with its own queue, sender task and failure counts."""

    url: SecretStr
    policy: DeliveryPolicy
    report: Reporter
    kind: str = field(init=False)
    consecutive_failures: int = field(init=False, default=0)
    last_error: str | None = field(init=False, default=None)
    dropped: int = field(init=False, default=0)
    _queue: asyncio.Queue[Outbound] = field(init=False)
    _loop: BackgroundLoop = field(init=False)

    def __post_init__(self) -> None:
        self.kind = channel_type(self.url.get_secret_value())
        self._queue = asyncio.Queue(maxsize=QUEUE_LIMIT)
        failure = f"alert channel {self.kind}: delivery failed"
        # No pause between rounds: each round waits for the next message.
        rounds = Repeating(self._deliver_next, every(0.0), failure, logger=logger)
        self._loop = BackgroundLoop(f"alert-channel-{self.kind}", rounds)

    def start(self) -> None:
        """Start delivering the queued messages, one at a time."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop delivering (what is still queued is not sent)."""
        await self._loop.stop()

    def submit(self, outbound: Outbound) -> None:
        """Queue a message; when the channel is this far behind, the oldest waiting one is dropped."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(outbound)

    async def _deliver_next(self) -> None:
        outbound = await self._queue.get()
        sent, attempts, error = await self._deliver(outbound)
        self.consecutive_failures = 0 if sent else self.consecutive_failures + 1
        self.last_error = error
        with contextlib.suppress(Exception):
            await self.report(self, outbound, sent, attempts, error)

    async def _deliver(self, outbound: Outbound) -> tuple[bool, int, str | None]:
        error: str | None = None
        for attempt in range(1, self.policy.attempts + 1):
            try:
                sent = await asyncio.wait_for(
                    asyncio.to_thread(self._send, outbound.notice), self.policy.timeout_s
                )
                error = None if sent else "the channel refused the message"
            except TimeoutError:
                sent, error = False, f"no answer within {self.policy.timeout_s:g} s"
            except Exception as failure:  # a plugin bug must not stop the channel's task
                sent, error = False, type(failure).__name__
            if sent:
                return True, attempt, None
            logger.warning("alert channel %s: attempt %d failed (%s)", self.kind, attempt, error)
            if attempt < self.policy.attempts:
                await asyncio.sleep(self.policy.backoff_s * 2 ** (attempt - 1))
        return False, self.policy.attempts, error

    def _send(self, notice: Notice) -> bool:
        client = apprise.Apprise()
        client.add(self.url.get_secret_value())
        return bool(client.notify(title=notice.title, body=notice.body))
