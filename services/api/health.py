"""How the scheduler service is doing, judged from its projected heartbeats (never from the API process)."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Final
from typing import Literal

from domain.records import SchedulerStateRecord
from services.api.language import current_language
from services.api.messages import text

# Hook for "degraded when the projector lags": seconds the read models are behind the event log, or None
# when unknown. The composition root passes one to `create_app` once the projector exposes its position.
ProjectorLagProbe = Callable[[], Awaitable[float | None]]
HealthStatus = Literal["healthy", "degraded", "stopped"]
STOPPED: Final = 0
RUNNING: Final = 1
PAUSED: Final = 2


@dataclass(frozen=True)
class SchedulerStatus:
    """The scheduler service as its heartbeats show it: state, last heartbeat, liveness, leadership."""

    state: Literal[0, 1, 2]
    last_heartbeat: datetime | None
    live: bool
    active: bool = False  # a live replica holds the leadership (fires jobs, handles commands)

    @property
    def running(self) -> bool:
        """APScheduler's meaning: started, whether paused or not."""
        return self.state != STOPPED


@dataclass(frozen=True)
class Health:
    """A health verdict (healthy, degraded or stopped) and the reasons for it."""

    status: HealthStatus
    reasons: list[str] = field(default_factory=list)


def scheduler_status(
    states: Sequence[SchedulerStateRecord], now: datetime, tolerance: float
) -> SchedulerStatus:
    """The live scheduler's state.

    A replica counts when its last heartbeat is within `tolerance` of its own intervals; among live replicas
    the active one (the leader) wins, then a running one, then the freshest.
    """
    last = max((state.last_heartbeat for state in states), default=None)
    live = [
        state
        for state in states
        if (now - state.last_heartbeat).total_seconds() <= tolerance * state.interval_s
    ]
    if not live:
        return SchedulerStatus(STOPPED, last, live=False)
    best = max(live, key=lambda state: (state.active, state.state == RUNNING, state.last_heartbeat))
    return SchedulerStatus(_state(best.state), last, live=True, active=best.active)


def _state(value: int) -> Literal[0, 1, 2]:
    if value == RUNNING:
        return RUNNING
    if value == PAUSED:
        return PAUSED
    return STOPPED


def assess(
    status: SchedulerStatus,
    *,
    bus_connected: bool,
    projector_lag_s: float | None,
    lag_limit_s: float,
    broker_unreachable_since: datetime | None = None,
) -> Health:
    """The scheduler service's health from its heartbeats, the bus, the projector's lag and the broker."""
    if broker_unreachable_since is not None:
        # Nothing crosses the broker now: the scheduler's silence says nothing of it (degraded, not stopped).
        since = broker_unreachable_since.isoformat(timespec="seconds")
        away = [f"消息总线不可达（broker unreachable since {since}）"]
        if status.state == STOPPED:
            away.append("调度器心跳暂时无法送达")
        return Health("degraded", away)
    if status.state == STOPPED:
        if status.live:
            reason = text("reason_stopped")
        elif status.last_heartbeat is None:
            reason = text("reason_never_heard")
        else:
            reason = text("reason_no_heartbeat")
        return Health("stopped", [reason])
    reasons: list[str] = []
    if not status.active:
        reasons.append(text("reason_standby_only"))
    if status.state == PAUSED:
        reasons.append(text("reason_paused"))
    if not bus_connected:
        reasons.append(text("reason_bus_down"))
    if projector_lag_s is not None and projector_lag_s > lag_limit_s:
        reasons.append(text("reason_projector_lag", seconds=projector_lag_s))
    return Health("degraded" if reasons else "healthy", reasons)


def health_message(health: Health) -> str:
    """The health verdict in one line, in the caller's language."""
    if health.status == "healthy":
        return text("health_ok")
    label = text("health_stopped") if health.status == "stopped" else text("health_degraded")
    if current_language() == "en":
        return f"{label}: {'; '.join(health.reasons)}"
    return f"{label}：{'；'.join(health.reasons)}"
