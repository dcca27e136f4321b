import asyncio

from services.projector.bootstrap import ProjectorSettings, main

asyncio.run(main(ProjectorSettings()))
