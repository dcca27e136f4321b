"""Display names and descriptions of the job catalogue (`domain/catalogue.py`), seeded once.

`python -m services.api.presets` publishes an `UpdateJobMetadata` command (actor `presets`) for each job
that exists in `scheduler_jobs` and has no metadata yet: the API never writes read models itself, and an
operator's own edits are never overwritten. Running it again changes nothing once the projector has applied
the first run. It needs no credentials beyond the configured bus and store.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from contracts.commands import UpdateJobMetadata
from domain.catalogue import CATALOGUE
from infrastructure.adapters import make_bus
from infrastructure.adapters import make_store
from infrastructure.bus.port import Bus
from infrastructure.bus.retry import connect_with_retry
from infrastructure.process import configure_logging
from infrastructure.settings import CommonSettings
from infrastructure.store.port import JobsReadModel

logger = logging.getLogger(__name__)

ACTOR = "presets"
# job id -> (display name ≤ 50, description ≤ 200), from the catalogue (`domain/catalogue.py`)
PRESETS: dict[str, tuple[str, str]] = {
    entry.job_id: (entry.name, entry.description) for entry in CATALOGUE.values() if entry.description
}


async def seed_presets(store: JobsReadModel, bus: Bus, *, producer: str = "api.presets") -> list[str]:
    """Publish the preset metadata of every existing job that has none; returns the job ids sent."""
    commands = [
        UpdateJobMetadata(
            job_id=view.job.job_id,
            display_name=PRESETS[view.job.job_id][0],
            description=PRESETS[view.job.job_id][1],
            actor=ACTOR,
            producer=producer,
        )
        for view in await store.list_jobs()
        if view.metadata is None and view.job.job_id in PRESETS
    ]
    if commands:
        await bus.publish_many(commands)
    return [command.job_id for command in commands]


async def _main(settings: CommonSettings) -> list[str]:
    store = make_store(settings)
    bus = make_bus(settings, connection_name="api-presets")
    await store.open()
    try:
        await connect_with_retry(bus, attempts=5)
        try:
            return await seed_presets(store, bus)
        finally:
            await bus.close()
    finally:
        await store.close()


def main() -> int:
    """Publish the catalogue's display names and descriptions for jobs that have none; the exit status."""
    settings = CommonSettings()
    if settings.bus == "memory":
        print(
            "error: the in-memory bus lives inside one process; run the presets inside the embedded "
            "system (seed_presets) or configure SCHEDULER_BUS=rabbitmq",
            file=sys.stderr,
        )
        return 1
    configure_logging(settings.log_level, service="api.presets")
    sent = asyncio.run(_main(settings))
    print(f"metadata presets sent for {len(sent)} job(s): {', '.join(sent) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
