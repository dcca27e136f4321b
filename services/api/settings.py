"""Settings of the API service (`SCHEDULER_` prefix, environment or `.env`), loaded once per process."""

from __future__ import annotations

import secrets
from typing import Self

from pydantic import Field, SecretStr, model_validator

from infrastructure.settings import CommonSettings

KIB = 1024


class ApiSettings(CommonSettings):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    dev_mode: bool = Field(
        default=False,
        description="embedded development mode: a random JWT secret and a generated admin password "
        "are allowed (never in production)",
    )
    jwt_secret: SecretStr | None = Field(default=None, description="HS256 key; required outside dev")
    jwt_expire_minutes: int = Field(default=480, ge=1, le=60 * 24 * 30)
    admin_username: str = Field(default="admin", pattern=r"^[A-Za-z0-9_.@-]{1,64}$")
    admin_password: SecretStr | None = None
    max_body_bytes: int = Field(default=64 * KIB, ge=1 * KIB, le=16 * 1024 * KIB)
    cors_origins: list[str] = Field(default_factory=list)
    # A scheduler is "stopped" when it sent no heartbeat for this many of its own intervals.
    heartbeat_tolerance: float = Field(default=3.0, ge=1.0)
    # Health says "degraded" when the projector is behind the event log by more than this.
    projector_lag_degraded_s: float = Field(default=30.0, gt=0)
    stream_client_buffer: int = Field(default=1000, ge=10)
    graceful_shutdown_s: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _secrets_outside_dev(self) -> Self:
        if self.jwt_secret is None:
            if not self.dev_mode:
                raise ValueError(
                    "SCHEDULER_JWT_SECRET is required outside dev mode (SCHEDULER_DEV_MODE=true)"
                )
            # A fresh key per process: tokens do not survive a restart, which is fine for dev.
            self.jwt_secret = SecretStr(secrets.token_urlsafe(32))
        elif len(self.jwt_secret.get_secret_value()) < 32 and not self.dev_mode:
            raise ValueError("SCHEDULER_JWT_SECRET must be at least 32 characters")
        return self

    @property
    def jwt_key(self) -> str:
        assert self.jwt_secret is not None  # set by the validator
        return self.jwt_secret.get_secret_value()
