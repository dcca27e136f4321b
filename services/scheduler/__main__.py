"""`python -m services.scheduler`: run a scheduler process with the settings of its environment."""

from infrastructure.event_loop import run
from services.scheduler.bootstrap import main
from services.scheduler.settings import SchedulerSettings

settings = SchedulerSettings()
run(main(settings), settings.event_loop)
