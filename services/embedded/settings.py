"""Settings of the embedded mode: those of every service, with development defaults."""

from __future__ import annotations

from services.alerter.settings import AlerterSettings
from services.api.settings import ApiSettings
from services.scheduler.settings import SchedulerSettings
from services.workers.settings import WorkerSettings


class EmbeddedSettings(ApiSettings, AlerterSettings, SchedulerSettings, WorkerSettings):
    """`make run`: no external services; a random JWT key and a generated admin password are allowed."""

    dev_mode: bool = True
