"""`make run`: the whole system in one process, serving the API on SCHEDULER_HOST:SCHEDULER_PORT."""

from infrastructure.event_loop import run
from services.embedded.bootstrap import main
from services.embedded.settings import EmbeddedSettings

settings = EmbeddedSettings()
run(main(settings), settings.event_loop)
