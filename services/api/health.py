"""How the scheduler service is doing, judged from its projected heartbeats (never from the API process)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from domain.records import SchedulerStateRecord

# Hook for "degraded when the projector lags": seconds the read models are behind the event log, or None
# when unknown. The composition root passes one to `create_app` once the projector exposes its position.
ProjectorLagProbe = Callable[[], Awaitable[float | None]]
HealthStatus = Literal["healthy", "degraded", "stopped"]
STOPPED: Final = 0
RUNNING: Final = 1
PAUSED: Final = 2


@dataclass(frozen=True)
class SchedulerStatus:
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
    status: HealthStatus
    reasons: list[str] = field(default_factory=list)


def scheduler_status(
    states: Sequence[SchedulerStateRecord], now: datetime, tolerance: float
) -> SchedulerStatus:
    """The live scheduler's state: a replica counts when its last heartbeat is within `tolerance` of its
    own intervals; among live replicas the active one (the leader) wins, then a running one, then the
    freshest."""
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
    if broker_unreachable_since is not None:
        # Nothing crosses the broker now: the scheduler's silence says nothing of it (degraded, not stopped).
        since = broker_unreachable_since.isoformat(timespec="seconds")
        away = [f"消息总线不可达（broker unreachable since {since}）"]
        if status.state == STOPPED:
            away.append("调度器心跳暂时无法送达")
        return Health("degraded", away)
    if status.state == STOPPED:
        if status.live:
            reason = "调度器已停止"
        elif status.last_heartbeat is None:
            reason = "调度器服务从未上报心跳"
        else:
            reason = "调度器服务无心跳（已停止或失联）"
        return Health("stopped", [reason])
    reasons: list[str] = []
    if not status.active:
        reasons.append("仅有备用调度器实例在线（没有主实例）")
    if status.state == PAUSED:
        reasons.append("调度器已暂停")
    if not bus_connected:
        reasons.append("消息总线未连接")
    if projector_lag_s is not None and projector_lag_s > lag_limit_s:
        reasons.append(f"读模型投影落后 {projector_lag_s:.0f} 秒")
    return Health("degraded" if reasons else "healthy", reasons)


def health_message(health: Health) -> str:
    if health.status == "healthy":
        return "调度器运行正常"
    label = "调度器未运行" if health.status == "stopped" else "调度器运行降级"
    return f"{label}：{'；'.join(health.reasons)}"
