"""`python -m services.alerter`: the alerter process."""

from __future__ import annotations

import asyncio

from services.alerter.bootstrap import main
from services.alerter.settings import AlerterSettings

asyncio.run(main(AlerterSettings()))
