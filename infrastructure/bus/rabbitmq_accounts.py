"""The compose stack's broker set-up step.

Run as `python -m infrastructure.bus.rabbitmq_accounts`, once before the services start, as the broker's
administrator.

1. Declares the whole topology (exchanges, standing queues, bindings), so that a service allowed to
   publish but not to declare finds its exchange, and nothing published is dropped as unroutable.
2. Creates (or updates) one user per service, `scheduler-<role>`, with the password from
   `RABBITMQ_<ROLE>_PASSWORD` and exactly the permissions of `contracts.broker_access` on the virtual host,
   through the management HTTP API.

Environment: `RABBITMQ_ADMIN_URL` (amqp, with the admin user), `RABBITMQ_MANAGEMENT_URL`
(http://rabbitmq:15672), and the four passwords. Exits non-zero, naming what failed, if anything does.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import sys
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlsplit

from contracts.broker_access import ACCESS
from contracts.broker_access import ROLES
from contracts.broker_access import Role
from infrastructure.bus.rabbitmq_bus import RabbitMQBus

logger = logging.getLogger(__name__)
HTTP_TIMEOUT_S = 10


@dataclass(frozen=True)
class HttpRequest:
    """One call to RabbitMQ's management HTTP API (a user or its permissions)."""

    method: str
    path: str
    body: dict[str, str]


def user_name(role: Role) -> str:
    """The broker user of a service role (`scheduler-<role>`)."""
    return f"scheduler-{role}"


def password_variable(role: Role) -> str:
    """The environment variable that holds a role's broker password."""
    return f"RABBITMQ_{role.upper()}_PASSWORD"


def account_requests(vhost: str, passwords: dict[Role, str]) -> list[HttpRequest]:
    """The management API calls that create each service's user and set its permissions on `vhost`."""
    requests: list[HttpRequest] = []
    for role in ROLES:
        name, access = quote(user_name(role), safe=""), ACCESS[role]
        requests.append(HttpRequest("PUT", f"/api/users/{name}", {"password": passwords[role], "tags": ""}))
        permissions = {
            permission: access.pattern(permission) for permission in ("configure", "write", "read")
        }
        requests.append(HttpRequest("PUT", f"/api/permissions/{quote(vhost, safe='')}/{name}", permissions))
    return requests


def _send(management_url: str, user: str, password: str, request: HttpRequest) -> None:
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
    http = urllib.request.Request(
        management_url.rstrip("/") + request.path,
        data=json.dumps(request.body).encode(),
        method=request.method,
        headers={"Content-Type": "application/json", "Authorization": f"Basic {credentials}"},
    )
    with urllib.request.urlopen(http, timeout=HTTP_TIMEOUT_S) as answer:
        answer.read()


async def set_up(admin_url: str, management_url: str, passwords: dict[Role, str]) -> None:
    """Declare the whole topology as the administrator, then create each role's user and permissions."""
    topology = RabbitMQBus(admin_url, connection_name="broker set-up")
    await topology.start()  # declares everything (no `access`: the administrator may)
    await topology.close()
    parts = urlsplit(admin_url)
    vhost = unquote(parts.path[1:]) or "/"
    for request in account_requests(vhost, passwords):
        await asyncio.to_thread(
            _send, management_url, unquote(parts.username or ""), unquote(parts.password or ""), request
        )
        logger.info("%s %s done", request.method, request.path)


def main() -> int:
    """The set-up step of the compose stack, configured by environment; 2 if a variable is missing."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s broker-setup: %(message)s")
    missing = [name for name in ("RABBITMQ_ADMIN_URL", "RABBITMQ_MANAGEMENT_URL") if not os.environ.get(name)]
    missing += [password_variable(role) for role in ROLES if not os.environ.get(password_variable(role))]
    if missing:
        logger.error("missing environment variables: %s", ", ".join(missing))
        return 2
    passwords = {role: os.environ[password_variable(role)] for role in ROLES}
    try:
        asyncio.run(
            set_up(os.environ["RABBITMQ_ADMIN_URL"], os.environ["RABBITMQ_MANAGEMENT_URL"], passwords)
        )
    except Exception as error:  # one line naming the failure, for `docker compose logs`
        logger.error("broker set-up failed: %s: %s", type(error).__name__, error)
        return 1
    logger.info("topology declared; users %s ready", ", ".join(user_name(role) for role in ROLES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
