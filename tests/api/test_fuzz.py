"""Generated requests from the app's own OpenAPI document (schemathesis, in-process ASGI): no 5xx, and
every answer matches what the document says (status codes, content types, response schemas)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from collections.abc import Iterator
from contextlib import asynccontextmanager
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CheckFunction
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.python import asgi
from schemathesis.schemas import APIOperation
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from infrastructure.store.sqlite_run_logs import SQLiteRunLogs
from infrastructure.store.sqlite_store import SQLiteStore
from infrastructure.store.sqlite_users import SQLiteUserStore
from services.api.app import create_app
from services.api.dependencies import EXECUTION_ID_EXAMPLE
from services.api.dependencies import JOB_ID_EXAMPLE
from services.api.settings import ApiSettings
from tests.api import seed
from tests.api.conftest import ADMIN
from tests.api.conftest import ONE_DAY
from tests.api.conftest import SECRET
from tests.api.conftest import access_token
from tests.api.conftest import family_of
from tests.api.fakes import RecordingBus
from tests.store_writes import put_execution
from tests.store_writes import put_job

# More with API_FUZZ_EXAMPLES=500 (a longer hunt); 30 keeps the suite quick.
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "30"))


def _fuzz_app(data_dir: Path, accounts: list[object]) -> FastAPI:
    """The app with its resources opened by its own lifespan: schemathesis runs it on its own loop."""
    # Nothing projects the recording bus: commands answer 202 after this short wait.
    api_settings = ApiSettings(data_dir=data_dir, jwt_secret=SECRET, command_wait_s=0.01, _env_file=None)
    store, users = SQLiteStore(api_settings.sqlite_file), SQLiteUserStore(api_settings.sqlite_file)
    run_log_store = SQLiteRunLogs(api_settings.sqlite_file)
    app = create_app(
        settings=api_settings, store=store, bus=RecordingBus(), users=users, run_log_store=run_log_store
    )
    api_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def with_resources(application: FastAPI) -> AsyncIterator[None]:
        await store.open()
        await users.open()
        await run_log_store.open()
        for account in accounts:
            await users.put_user(account)  # type: ignore[arg-type]
        await users.start_family(family_of(ADMIN), ADMIN, datetime.now(UTC) + ONE_DAY)
        await seed.catalogue(store)
        await put_job(store, seed.job(JOB_ID_EXAMPLE))
        await put_execution(store, seed.execution(EXECUTION_ID_EXAMPLE, JOB_ID_EXAMPLE, status="running"))
        try:
            async with api_lifespan(application):
                yield
        finally:
            await run_log_store.close()
            await users.close()
            await store.close()

    app.router.lifespan_context = with_resources
    return app


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory, accounts: list[object]) -> Iterator[BaseSchema]:
    app = _fuzz_app(tmp_path_factory.mktemp("fuzz"), accounts)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # The live streams (events, a running run's log) do not end: they are exercised by their own tests.
    # Logout would revoke the token every other generated call uses: it has its own tests.
    yield (
        schema.exclude(path="/api/scheduler/stream")
        .exclude(path="/api/scheduler/executions/{execution_id}/logs/stream")
        .exclude(path="/api/auth/logout")
    )
    asgi.shutdown_lifespans()


# A trigger's kwargs are checked against the job's own parameters (`GET /jobs/{id}/parameters`), which one
# schema for every job cannot state: a schema-valid trigger may be refused 422 (every other check holds).
# A trigger text's grammar (and its frequency floor) is more than a JSON schema states: a schema-valid text
# may be refused 422 naming the problem (every other check holds).
_JOB_DEPENDENT_BODY = {
    "POST /api/scheduler/jobs/{job_id}/trigger",
    "POST /api/scheduler/triggers/preview",
    # jobs as data: a schema-valid definition may name an unknown kind, a trigger that does not parse, kwargs
    # the kind refuses, or a job that cannot be deleted or reset (refused with the reason)
    "POST /api/scheduler/jobs",
    "PATCH /api/scheduler/jobs/{job_id}",
    "DELETE /api/scheduler/jobs/{job_id}",
    "POST /api/scheduler/jobs/{job_id}/reset",
    # a backfill: its range's order, length and trading days, the kind's parameters and the settings' limit
    # of `max_parallel` are rules no schema states (refused 422 naming the field)
    "POST /api/scheduler/jobs/{job_id}/backfill",
}
# The execution lists refuse (422) a `since` after `until`: a rule between two parameters that no schema
# states, so a schema-valid pair may be refused (every other check holds).
_RELATED_PARAMETERS = {
    "GET /api/scheduler/executions",
    "GET /api/scheduler/jobs/{job_id}/executions",
    # exactly one of `execution_ids` and `filter`, a filter's `since` not after its `until`
    "POST /api/scheduler/executions/bulk",
    "POST /api/scheduler/jobs/{job_id}/executions/retention",
}


def _fuzz(operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode) -> None:
    token = access_token(ADMIN)
    excluded: list[CheckFunction] = (
        [positive_data_acceptance] if operation.label in _JOB_DEPENDENT_BODY | _RELATED_PARAMETERS else []
    )

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def call(case: Case[Any]) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded)

    call()


# Every operation in one test: its time grows with the routes (57 now), past the suite's 120 s per test on a
# loaded machine, where the timeout cut a Hypothesis run short and was reported as a flaky strategy.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests(api_schema: BaseSchema, mode: GenerationMode) -> None:
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) == 57  # with the 4 backfill routes
    for operation in operations:
        try:
            _fuzz(operation, mode)
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing to get wrong on a route without input
        except Exception as failure:  # every operation runs; all failures are reported together
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
