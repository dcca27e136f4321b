"""`python -m services.alerter`: the alerter process."""

from __future__ import annotations

from infrastructure.event_loop import run
from services.alerter.bootstrap import main
from services.alerter.settings import AlerterSettings

settings = AlerterSettings()
run(main(settings), settings.event_loop)
