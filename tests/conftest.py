"""Session-wide test settings shared by every suite."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which MongoDB the store suite runs against (the URL is not printed: it may hold credentials)."""
    if os.environ.get("MONGODB_TEST_URL"):
        return ["store suite: MongoDB adapter against a real server (MONGODB_TEST_URL), ids 'mongodb-real'"]
    return [
        "store suite: MONGODB_TEST_URL not set, MongoDB adapter against the in-process emulation "
        "(pymongo-async-mock), ids 'mongodb-emulated'"
    ]


# RabbitMQ virtual hosts for every suite that needs a broker (see tests/rabbitmq.py).
from tests.rabbitmq import fresh_rabbitmq_vhost  # noqa: E402
from tests.rabbitmq import rabbitmq_vhost  # noqa: E402

__all__ = ["fresh_rabbitmq_vhost", "rabbitmq_vhost"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item (`rep_setup`, `rep_call`) for fixtures to read."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
