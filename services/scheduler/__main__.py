"""`python -m services.scheduler`: run a scheduler process with the settings of its environment."""

import asyncio

from services.scheduler.bootstrap import main
from services.scheduler.settings import SchedulerSettings

asyncio.run(main(SchedulerSettings()))
