"""Settings of the API service (`SCHEDULER_` prefix, environment or `.env`), loaded once per process."""

from __future__ import annotations

from typing import Literal
from typing import Self

from pydantic import Field
from pydantic import SecretStr
from pydantic import model_validator

from infrastructure.job_limit_settings import JobLimitSettings
from services.api.secret_file import MIN_SECRET_BYTES
from services.api.secret_file import dev_secret

KIB = 1024


class ApiSettings(JobLimitSettings):
    """The API process's settings: address, sign-in (local or platform), limits, streams, metrics."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    dev_mode: bool = Field(
        default=False,
        description="embedded development mode: a random JWT secret and a generated admin password "
        "are allowed (never in production)",
    )
    jwt_secret: SecretStr | None = Field(
        default=None, description="HS256 key (at least 32 bytes); required outside dev mode and platform mode"
    )
    jwt_expire_minutes: int = Field(default=15, ge=1, le=24 * 60, description="access token lifetime")
    refresh_expire_days: int = Field(default=7, ge=1, le=90, description="refresh token lifetime")
    auth_mode: Literal["local", "platform"] = Field(
        default="local",
        description="local: our accounts and login; platform: the platform's tokens and users collection",
    )
    platform_jwt_secret: SecretStr | None = Field(default=None, description="the platform's JWT_SECRET")
    platform_jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    platform_mongodb_url: SecretStr = SecretStr("mongodb://127.0.0.1:27017/")
    platform_mongodb_database: str = "tradingagents"
    platform_users_cache_s: float = Field(default=3.0, ge=0, le=5)
    login_attempts_per_username: int = Field(default=5, ge=1, le=1000, description="per minute")
    login_attempts_per_address: int = Field(default=20, ge=1, le=10000, description="per minute")
    password_hash_workers: int = Field(default=2, ge=1, le=32)
    password_hash_queue: int = Field(default=8, ge=0, le=1000, description="hashes waiting for a worker")
    stream_max_clients: int = Field(default=200, ge=1, le=100_000)
    stream_max_clients_per_user: int = Field(default=5, ge=1, le=1000)
    stream_auth_check_s: float = Field(default=2.0, gt=0, le=60)
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
    metrics_token: SecretStr | None = Field(
        default=None, description="when set, `/metrics` answers only `Authorization: Bearer <this>`"
    )
    # Read your writes: how long a command's answer waits for the read models to show its effect before
    # it answers 202 "accepted, not yet applied" instead.
    command_wait_s: float = Field(default=2.0, ge=0, le=30)

    @model_validator(mode="after")
    def _secrets(self) -> Self:
        if self.auth_mode == "platform":
            if self.platform_jwt_secret is None:
                raise ValueError(
                    "SCHEDULER_PLATFORM_JWT_SECRET is required when SCHEDULER_AUTH_MODE=platform"
                )
            _long_enough("SCHEDULER_PLATFORM_JWT_SECRET", self.platform_jwt_secret)
        if self.jwt_secret is None:
            if self.dev_mode:
                # Kept in the data directory (0600): tokens survive a restart of the dev server.
                self.jwt_secret = SecretStr(dev_secret(self.data_dir))
            elif self.auth_mode == "platform":
                self.jwt_secret = self.platform_jwt_secret  # never used to sign: our login is off
            else:
                raise ValueError(
                    "SCHEDULER_JWT_SECRET is required outside dev mode (SCHEDULER_DEV_MODE=true)"
                )
        _long_enough("SCHEDULER_JWT_SECRET", self.jwt_key_secret)
        return self

    @property
    def jwt_key_secret(self) -> SecretStr:
        """The secret that signs our tokens (set by the validator, generated in dev mode)."""
        assert self.jwt_secret is not None  # set by the validator
        return self.jwt_secret

    @property
    def jwt_key(self) -> str:
        """The secret that signs our tokens, as text."""
        assert self.jwt_secret is not None  # set by the validator
        return self.jwt_secret.get_secret_value()

    @property
    def platform_key(self) -> str:
        """The secret that verifies the platform's tokens (platform mode only)."""
        assert self.platform_jwt_secret is not None  # checked by the validator in platform mode
        return self.platform_jwt_secret.get_secret_value()


def _long_enough(name: str, secret: SecretStr) -> None:
    if len(secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{name} must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)")
