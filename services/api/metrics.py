"""Prometheus metrics of the API process: requests, latency, commands published, live-stream clients.

Each app gets its own registry (several apps can live in one process: tests, the embedded mode).
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import Histogram
from prometheus_client import generate_latest
from starlette.types import ASGIApp
from starlette.types import Message
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from services.api.http_middleware import HttpMiddleware

UNMATCHED_ROUTE = "<unmatched>"
# Label values come from closed sets: any other method is `other`, any other status its class (`5xx`).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
KNOWN_STATUSES = frozenset({200, 201, 202, 204, 301, 302, 304, 307, 308, 400, 401, 403, 404, 405, 409, 413,
                            415, 422, 429, 500, 502, 503, 504})  # fmt: skip


def method_label(method: str) -> str:
    """The metric label of an HTTP method: itself if known, else `other`."""
    return method if method in KNOWN_METHODS else OTHER_METHOD


def status_label(status: int) -> str:
    """The metric label of a status code: itself if common, else its class (`4xx`), else `other`."""
    if status in KNOWN_STATUSES:
        return str(status)
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


def route_label(scope: Scope) -> str:
    """The matched route's template (`/api/scheduler/jobs/{job_id}`), never the raw path."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    """The API process's Prometheus metrics (requests, latency, streams), in a registry of their own."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "scheduler_api_requests_total",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "scheduler_api_request_duration_seconds",
            "Time to answer an HTTP request (a stream counts until it closes)",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.commands_published = Counter(
            "scheduler_api_commands_published_total",
            "Commands confirmed by the bus",
            ["type"],
            registry=self.registry,
        )
        self.command_failures = Counter(
            "scheduler_api_command_publish_failures_total",
            "Commands the bus could not take (answered 503)",
            ["type"],
            registry=self.registry,
        )
        self.stream_clients = Gauge(
            "scheduler_api_stream_clients",
            "Clients connected to the live event stream",
            registry=self.registry,
        )
        self.stream_events = Counter(
            "scheduler_api_stream_events_total",
            "Events received for the live stream",
            registry=self.registry,
        )
        self.stream_clients_dropped = Counter(
            "scheduler_api_stream_clients_dropped_total",
            "Live-stream clients disconnected because they fell too far behind",
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The metrics in Prometheus text format."""
        return generate_latest(self.registry)


class MetricsMiddleware(HttpMiddleware):
    """Counts and times every HTTP request by its route template (bounded label values)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting it and timing it by route, method and status."""
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route, method = route_label(scope), method_label(scope["method"])
            self.metrics.requests.labels(method, route, status_label(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
