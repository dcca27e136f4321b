"""`make run`: the whole system in one process, serving the API on SCHEDULER_HOST:SCHEDULER_PORT."""

import asyncio

from services.embedded.bootstrap import main
from services.embedded.settings import EmbeddedSettings

asyncio.run(main(EmbeddedSettings()))
