"""The projector process, and the replay of the read models.

`python -m services.projector [run]`: the projector process; `python -m services.projector replay
[--verify]`: rebuild (or check) every read model from the event store.
"""

from __future__ import annotations

import argparse
import sys

from infrastructure.event_loop import run
from infrastructure.process import configure_logging
from services.projector.bootstrap import ProjectorSettings
from services.projector.bootstrap import main
from services.projector.replay import BATCH_SIZE
from services.projector.replay import run_replay


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The projector's command line: `run` (the default) or `replay` with its options."""
    parser = argparse.ArgumentParser(prog="python -m services.projector", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="project events from the bus into the read models (the default)")
    replay = commands.add_parser(
        "replay",
        help="rebuild every read model from the event store and swap it in",
        description="Rebuild every read model from the event store into fresh tables/collections and swap "
        "them in; with --verify, compare them with the live ones instead (exit status 1 if they differ). "
        "Exit status 2: another replay is running.",
    )
    replay.add_argument(
        "--verify", action="store_true", help="compare with the live read models, change nothing"
    )
    replay.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="events per batch")
    replay.add_argument("--show", type=int, default=50, help="differences printed in full (--verify)")
    return parser.parse_args(argv)


def entry(argv: list[str]) -> int:
    """Run the projector or a replay as the command line says; the process's exit status."""
    arguments = parse_arguments(argv)
    settings = ProjectorSettings()
    if arguments.command == "replay":
        configure_logging(settings.log_level, service="projector-replay")
        return run(
            run_replay(
                settings,
                verify=arguments.verify,
                batch_size=arguments.batch_size,
                show=arguments.show,
                out=sys.stdout,
            ),
            settings.event_loop,
        )
    run(main(settings), settings.event_loop)
    return 0


sys.exit(entry(sys.argv[1:]))
