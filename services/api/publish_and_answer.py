"""The last step of a command route on one job or one execution: publish, then answer.

The answer says the command is done once the reads show it (`done_key`), or that it is accepted and not yet
applied (`what_key`, and the `Location` to look at); both texts name the command's subject the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Response

from contracts.envelope import Command
from services.api.commands import answer
from services.api.commands import publish
from services.api.dependencies import ApiContext
from services.api.messages import text
from services.api.read_your_writes import Applied
from services.api.schemas import Envelope


@dataclass(frozen=True)
class Subject:
    """What a command acts on: the values its texts name it by, and where its effect shows."""

    names: dict[str, str]
    location: str

    def said(self, key: str) -> str:
        """The text `key`, naming the subject, in the caller's language."""
        # `language` by name (None: the request's), so that no name of the subject can be taken for it.
        return text(key, language=None, **self.names)


async def publish_and_answer(
    context: ApiContext,
    response: Response,
    wait: bool,
    command: Command,
    applied: Applied,
    subject: Subject,
    done_key: str,
    what_key: str,
) -> Envelope[None]:
    """Publish `command`; answer `done_key` once `applied`, else 202 with `what_key` and where to look."""
    await publish(context, command)
    return await answer(
        context,
        response,
        wait=wait,
        applied=applied,
        message=subject.said(done_key),
        what=subject.said(what_key),
        location=subject.location,
        data=None,
    )
