"""`python -m services.workers`: run a worker process with the settings of its environment."""

import asyncio

from services.workers.bootstrap import main
from services.workers.settings import WorkerSettings

asyncio.run(main(WorkerSettings()))
