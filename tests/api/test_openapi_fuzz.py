"""Schemathesis against the served OpenAPI description: no input yields a 500.

Every operation gets schema-conforming and schema-violating requests (bounded, derandomised so
the run is repeatable and stays well under a minute). The app runs on schemathesis' own event
loop thread with an engine of its own; the worker keeps running on the test's loop, so an ATS
event the fuzzer manages to make valid is really enrolled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.schemas import APIOperation
from sqlalchemy import func, select

from api.app import create_app
from store.schema import ApplicationRow
from tests.api.conftest import Stack, StackFactory
from tests.keys import ADMIN_HEADERS

pytestmark = pytest.mark.devserver


@pytest.fixture
def api_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


AnyCase = schemathesis.Case[Any]

EXAMPLES_PER_OPERATION = 25
SIGNED_OPERATIONS = {
    "POST /ats/events",
    "POST /webhooks/candidate-progress",
    "POST /webhooks/interviewer-availability",
}

Check = Callable[[AnyCase, schemathesis.Response], None]


#: Probes whose 503 is their answer, not a failure: a dependency did not answer their health
#: check in time (it happens on a loaded machine).
PROBES = {"/healthz", "/readyz"}


def no_server_error(case: AnyCase, response: schemathesis.Response) -> None:
    if case.path in PROBES and response.status_code == 503:
        return
    case.validate_response(response, checks=[not_a_server_error])


def refused_as_unsigned(case: AnyCase, response: schemathesis.Response) -> None:
    assert response.status_code == 401, (case.as_curl_command(), response.text)
    assert response.json()["error"]["code"] == "invalid_signature"


def fuzz(operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode, check: Check) -> None:
    """Send ``EXAMPLES_PER_OPERATION`` generated requests and ``check`` each response."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def each_case(case: AnyCase) -> None:
        check(case, case.call(headers=ADMIN_HEADERS))

    try:
        each_case()
    except Unsatisfiable:
        # Only negative generation gets here: nothing in the operation can be made invalid.
        if mode is GenerationMode.POSITIVE:
            raise


def fuzz_operations(
    schema: schemathesis.BaseSchema, check: Check, only: set[str] | None = None
) -> list[str]:
    tried = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        if only is not None and operation.label not in only:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, check)
        tried.append(operation.label)
    return tried


async def fuzz_app(stack: Stack, check: Check, only: set[str] | None = None) -> list[str]:
    """Fuzz a fresh app on ``stack``'s settings, database and worker."""
    app = create_app(stack.settings, stack.env.client)
    try:
        schema = await asyncio.to_thread(schemathesis.openapi.from_asgi, "/openapi.json", app)
        return await asyncio.wait_for(
            asyncio.to_thread(fuzz_operations, schema, check, only), timeout=120
        )
    finally:
        await asyncio.to_thread(shutdown_lifespans)


async def test_no_generated_request_is_a_server_error(stack: Stack) -> None:
    tried = await fuzz_app(stack, no_server_error)

    assert set(tried) >= SIGNED_OPERATIONS
    assert {"POST /webhooks/twilio/status", "PUT /jobs/{job_id}", "GET /healthz"} <= set(tried)


async def test_unsigned_requests_are_refused_whatever_they_carry(
    open_stack: StackFactory,
) -> None:
    async with open_stack(webhook_secret="whsec_c2VjcmV0") as stack:
        tried = await fuzz_app(stack, refused_as_unsigned, only=SIGNED_OPERATIONS)
        async with stack.engine.connect() as connection:
            applications = await connection.scalar(select(func.count()).select_from(ApplicationRow))

    assert set(tried) == SIGNED_OPERATIONS
    assert applications == 0
