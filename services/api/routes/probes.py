"""For orchestrators and Prometheus: liveness, readiness (no token), metrics (a token when one is set)."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter
from fastapi import Header
from fastapi import Response
from fastapi.responses import JSONResponse

from services.api.dependencies import Context
from services.api.schemas import ErrorResponse
from services.api.schemas import Liveness
from services.api.schemas import Readiness

logger = logging.getLogger(__name__)
router = APIRouter(tags=["probes"])
METRICS_TOKEN_REQUIRED = "需要指标令牌（Authorization: Bearer <metrics token>）"


@router.get("/healthz", summary="Liveness: the process answers", response_model=Liveness)
async def healthz() -> Liveness:
    """Liveness: the process answers."""
    return Liveness()


@router.get(
    "/readyz",
    summary="Readiness: the store answers and the message bus is connected",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "store or bus not available"}},
)
async def readyz(context: Context) -> Response:
    """Readiness: 200 when the store answers and the bus is connected, else 503."""
    try:
        store_ok = await context.store.ping()
    except Exception:  # any failure of the ping means "not ready", never a 500
        logger.warning("store ping failed", exc_info=True)
        store_ok = False
    bus_ok = context.bus.connected
    ready = store_ok and bus_ok
    body = Readiness(status="ready" if ready else "not ready", store=store_ok, bus=bus_ok)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics of this API process",
    description="Needs `Authorization: Bearer <SCHEDULER_METRICS_TOKEN>` when that setting is set.",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
        401: {"model": ErrorResponse, "description": "metrics token required and missing or wrong"},
    },
)
async def metrics(context: Context, authorization: Annotated[str | None, Header()] = None) -> Response:
    """The API process's Prometheus metrics; 401 without the metrics token when one is set."""
    expected = context.settings.metrics_token
    if expected is not None and not _bearer_matches(authorization, expected.get_secret_value()):
        return JSONResponse(
            {"detail": "需要指标令牌（Authorization: Bearer <metrics token>）"}, status_code=401
        )
    # Rendered on a worker thread: the event loop keeps answering requests meanwhile.
    body = await anyio.to_thread.run_sync(context.metrics.render)
    return Response(body, media_type=context.metrics.content_type)


def _bearer_matches(authorization: str | None, token: str) -> bool:
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
