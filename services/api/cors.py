"""CORS for a web client on another origin.

Origins in `SCHEDULER_CORS_ORIGINS`: the headers the platform's client sends on every call are allowed, and
`X-Request-ID` is readable by its scripts.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "Cache-Control",
    "Pragma",
    "X-Request-ID",
]
EXPOSED_HEADERS = ["X-Request-ID"]
PREFLIGHT_CACHE_S = 600


def add_cors(app: FastAPI, origins: list[str]) -> None:
    """Nothing without configured origins (same-origin use needs no CORS)."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_CACHE_S,
    )
