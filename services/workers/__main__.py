import asyncio

from services.workers.bootstrap import main
from services.workers.settings import WorkerSettings

asyncio.run(main(WorkerSettings()))
