import asyncio

from services.scheduler.bootstrap import main
from services.scheduler.settings import SchedulerSettings

asyncio.run(main(SchedulerSettings()))
