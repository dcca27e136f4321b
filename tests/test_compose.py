"""compose.yaml cannot run here (no Docker engine): check it by reading, offline."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import yaml

from services.api.settings import ApiSettings
from services.scheduler.settings import SchedulerSettings
from services.workers.catalogue.settings import CatalogueSettings
from services.workers.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {"api", "scheduler", "projector", "workers"}


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


def known_variables() -> set[str]:
    fields: set[str] = set()
    for settings in (ApiSettings, SchedulerSettings, WorkerSettings, CatalogueSettings):
        fields |= {f"SCHEDULER_{name.upper()}" for name in settings.model_fields}
    return fields


def test_the_stack_has_the_broker_the_database_and_the_four_services() -> None:
    services = compose()["services"]
    assert set(services) == SERVICES | {"rabbitmq", "mongodb"}
    assert "--replSet" in services["mongodb"]["command"], "MongoDB runs as a single-node replica set"
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"


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
        assert set(service["depends_on"]) == {"rabbitmq", "mongodb"}


def test_workers_can_be_scaled_and_no_secret_is_written_in_the_file() -> None:
    workers = compose()["services"]["workers"]
    assert "container_name" not in workers and "ports" not in workers, "--scale workers=3 must work"
    text = (ROOT / "compose.yaml").read_text()
    for secret in ("RABBITMQ_PASSWORD", "SCHEDULER_JWT_SECRET", "SCHEDULER_ADMIN_PASSWORD"):
        assert f"${{{secret}:?" in text, f"{secret} must come from the environment, required"


def test_mongodb_is_healthy_only_as_a_writable_primary() -> None:
    """`mongosh --eval` exits 0 whatever it evaluates to: the check must exit non-zero itself."""
    check = " ".join(compose()["services"]["mongodb"]["healthcheck"]["test"])
    assert "quit(db.hello().isWritablePrimary ? 0 : 1)" in check
    assert "rs.initiate(" in check, "the single-node replica set is initiated on first start"
