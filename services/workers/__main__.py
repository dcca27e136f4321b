"""`python -m services.workers`: run a worker process with the settings of its environment."""

from infrastructure.event_loop import run
from services.workers.bootstrap import main
from services.workers.settings import WorkerSettings

settings = WorkerSettings()
run(main(settings), settings.event_loop)
