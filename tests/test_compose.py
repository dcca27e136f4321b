"""compose.yaml cannot run here (no Docker engine): check it by reading, offline."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import yaml

from contracts.broker_access import ACCESS
from contracts.broker_access import ROLES
from infrastructure.bus.rabbitmq_accounts import account_requests
from infrastructure.bus.rabbitmq_accounts import password_variable
from infrastructure.bus.rabbitmq_accounts import user_name
from services.alerter.settings import AlerterSettings
from services.alerter.settings import AlertSettings
from services.api.settings import ApiSettings
from services.projector.bootstrap import ProjectorSettings
from services.scheduler.settings import SchedulerSettings
from services.workers.catalogue.settings import CatalogueSettings
from services.workers.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {"api", "scheduler", "projector", "workers", "alerter"}
# scheme://user:password@rest, where user and password may be `${VARIABLE...}` references.
_URL = re.compile(
    r"(?P<scheme>\w+)://(?P<user>\$\{[^}]+\}|[^:@]+):(?P<password>\$\{[^}]+\}|[^@]+)@(?P<rest>.+)"
)
ROLE_OF = {
    "api": "api",
    "scheduler": "scheduler",
    "projector": "projector",
    "workers": "worker",
    "alerter": "alerter",
}
SECRETS = (
    "RABBITMQ_PASSWORD", *(password_variable(role) for role in ROLES), "SCHEDULER_JWT_SECRET",
    "SCHEDULER_ADMIN_PASSWORD", "MONGODB_ROOT_PASSWORD", "MONGODB_APP_PASSWORD", "MONGODB_REPLICA_KEY",
)  # fmt: skip


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


def known_variables() -> set[str]:
    fields: set[str] = set()
    for settings in (
        ApiSettings,
        SchedulerSettings,
        WorkerSettings,
        CatalogueSettings,
        AlerterSettings,
        ProjectorSettings,
    ):
        fields |= {f"SCHEDULER_{name.upper()}" for name in settings.model_fields}
    return fields | {f"SCHEDULER_ALERTS__{name.upper()}" for name in AlertSettings.model_fields}


def test_the_stack_has_the_broker_the_database_and_the_five_services() -> None:
    services = compose()["services"]
    assert set(services) == SERVICES | {"rabbitmq", "rabbitmq-2", "rabbitmq-3", "mongodb", "broker-setup"}
    assert "--replSet rs0" in " ".join(services["mongodb"]["entrypoint"]), "MongoDB runs as a replica set"
    for name, service in services.items():
        assert "healthcheck" in service or name == "broker-setup", f"{name} has no healthcheck"


def test_each_service_runs_an_existing_module_against_rabbitmq_and_mongodb() -> None:
    services = compose()["services"]
    variables = known_variables()
    for name in SERVICES:
        service = services[name]
        module = service["command"][-1]
        assert service["command"][:2] == ["python", "-m"]
        assert importlib.util.find_spec(f"{module}.__main__") is not None, module
        environment = service["environment"]
        assert environment["SCHEDULER_BUS"] == "rabbitmq"
        assert environment["SCHEDULER_STORE"] == "mongodb"
        unknown = {key for key in environment if key.startswith("SCHEDULER_")} - variables
        assert not unknown, f"{name} sets variables no settings class reads: {unknown}"
        assert service["depends_on"] == {
            "broker-setup": {"condition": "service_completed_successfully"},
            "mongodb": {"condition": "service_healthy"},
        }


def test_workers_can_be_scaled_and_no_secret_is_written_in_the_file() -> None:
    workers = compose()["services"]["workers"]
    assert "container_name" not in workers and "ports" not in workers, "--scale workers=3 must work"
    text = (ROOT / "compose.yaml").read_text()
    for secret in SECRETS:
        assert f"${{{secret}:?" in text, f"{secret} must come from the environment, required"


def test_mongodb_is_healthy_only_as_a_writable_primary() -> None:
    """`mongosh --eval` exits 0 whatever it evaluates to: the check must exit non-zero itself."""
    check = " ".join(compose()["services"]["mongodb"]["healthcheck"]["test"])
    assert "quit(db.hello().isWritablePrimary ? 0 : 1)" in check
    assert "rs.initiate(" in check, "the single-node replica set is initiated on first start"


def test_each_service_connects_to_rabbitmq_as_its_own_user() -> None:
    services = compose()["services"]
    for name, role in ROLE_OF.items():
        environment = services[name]["environment"]
        assert environment["SCHEDULER_BROKER_ROLE"] == role and role in ACCESS
        url = _URL.fullmatch(environment["SCHEDULER_RABBITMQ_URL"])
        assert url is not None and url["user"] == user_name(role), name
        assert url["password"] == f"${{{password_variable(role)}:?set {password_variable(role)}}}", name
    admin = "${RABBITMQ_PASSWORD"
    users = [service for service in services.values() if admin in str(service.get("environment"))]
    assert users == [services["rabbitmq"], services["broker-setup"]], "only the set-up uses the administrator"


def test_broker_setup_creates_the_users_before_any_service_starts() -> None:
    setup = compose()["services"]["broker-setup"]
    assert setup["command"] == ["python", "-m", "infrastructure.bus.rabbitmq_accounts"]
    assert importlib.util.find_spec("infrastructure.bus.rabbitmq_accounts") is not None
    assert {password_variable(role) for role in ROLES} <= set(setup["environment"])
    assert setup["depends_on"] == {"rabbitmq": {"condition": "service_healthy"}}


def test_mongodb_needs_authentication_and_the_services_use_the_application_user() -> None:
    services = compose()["services"]
    mongodb = services["mongodb"]
    assert "--keyFile" in " ".join(mongodb["entrypoint"]), "a replica set with authentication needs a key"
    assert {"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"} <= set(mongodb["environment"])
    script = "./deploy/mongodb/create-app-user.js"
    assert f"{script}:/docker-entrypoint-initdb.d/create-app-user.js:ro" in mongodb["volumes"]
    assert "role: 'readWrite', db: database" in (ROOT / script).read_text()
    assert "-u" in mongodb["healthcheck"]["test"][1], "the healthcheck authenticates"
    for name in SERVICES:
        url = _URL.fullmatch(services[name]["environment"]["SCHEDULER_MONGODB_URL"])
        assert url is not None and url["user"] == "${MONGODB_APP_USER:-scheduler}", name
        assert url["rest"] == "mongodb:27017/?replicaSet=rs0&authSource=admin"


def test_broker_setup_gives_each_user_exactly_its_permissions() -> None:
    passwords = {role: f"password-of-{role}" for role in ROLES}
    requests = account_requests("/", passwords)
    for role in ROLES:
        user = next(r for r in requests if r.path == f"/api/users/{user_name(role)}")
        assert user.method == "PUT" and user.body == {"password": passwords[role], "tags": ""}
        permissions = next(r for r in requests if r.path == f"/api/permissions/%2F/{user_name(role)}")
        assert permissions.body == {
            kind: ACCESS[role].pattern(kind) for kind in ("configure", "write", "read")
        }
    assert len(requests) == 2 * len(ROLES)


def test_the_cluster_profile_adds_two_rabbitmq_nodes_sharing_a_cookie_and_every_service_knows_the_three() -> (
    None
):
    services = compose()["services"]
    nodes = ["rabbitmq", "rabbitmq-2", "rabbitmq-3"]
    assert "profiles" not in services["rabbitmq"], "the single-node stack stays the default"
    config = "./deploy/rabbitmq/cluster.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro"
    text = (ROOT / "deploy/rabbitmq/cluster.conf").read_text()
    assert "cluster_partition_handling = pause_minority" in text
    for number, name in enumerate(nodes, start=1):
        node = services[name]
        assert node["hostname"] == name and f"nodes.{number} = rabbit@{name}" in text
        assert node.get("profiles", ["cluster"]) == ["cluster"]
        assert node["environment"]["RABBITMQ_COOKIE"] == "${RABBITMQ_ERLANG_COOKIE:-}"
        assert config in node["volumes"]
        assert ".erlang.cookie" in " ".join(node["entrypoint"])
    for name in SERVICES:
        urls = services[name]["environment"]["SCHEDULER_RABBITMQ_URL"].split(",")
        assert [url.rsplit("@", 1)[1] for url in urls] == [f"{node}:5672/" for node in nodes], name
