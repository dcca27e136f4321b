"""For orchestrators and Prometheus: liveness, readiness, metrics (no token needed, nothing secret)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.api.dependencies import Context
from services.api.schemas import Liveness, Readiness

logger = logging.getLogger(__name__)
router = APIRouter(tags=["probes"])


@router.get("/healthz", summary="Liveness: the process answers", response_model=Liveness)
async def healthz() -> Liveness:
    return Liveness()


@router.get(
    "/readyz",
    summary="Readiness: the store answers and the message bus is connected",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "store or bus not available"}},
)
async def readyz(context: Context) -> Response:
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
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics(context: Context) -> Response:
    return Response(context.metrics.render(), media_type=context.metrics.content_type)
