"""`GET /api/health`: the web client's start-up probe (no token; any 2xx means "connected")."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from services.api.commands import done
from services.api.dependencies import Context
from services.api.schemas import Envelope

router = APIRouter(tags=["probes"])


class ClientHealth(BaseModel):
    """The web client's probe answer: the service answers."""

    status: Literal["ok"] = "ok"


@router.get(
    "/api/health",
    summary="The web client's connectivity probe (nothing secret)",
    response_model=Envelope[ClientHealth],
)
async def health(context: Context) -> Envelope[ClientHealth]:
    """Whether the service answers (the web client's probe; nothing secret)."""
    return done(context, "服务正常", ClientHealth())
