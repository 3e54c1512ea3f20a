"""schemathesis over the live API's OpenAPI schema, as an operator: generated requests (data that fits the
schema and data that does not) to every operation but the never-ending event stream get no 5xx, and every
response conforms to the schema: a documented status, content type and body. Bounded: a few examples per
operation and mode.

This drives schemathesis' Python API (an operation's Hypothesis strategy of cases) rather than its pytest
plugin: the schema comes from a server started by a fixture, and the plugin's fixture-loaded schemas do not
run under this pytest (they read a private attribute pytest 9 removed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marketjobs.store.migrate import upgrade
from tests.conftest import reset_database
from tests.interfaces.api.conftest import API_DATABASES, OPERATOR_TOKEN, LiveApi, running_api
from tests.servers import require_service

AUTH = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: Examples per operation and generation mode.
EXAMPLES = 8


@pytest.fixture(params=API_DATABASES)
def fuzzed_api(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[LiveApi]:
    """A live API on each database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'api.db'}"
    else:
        url = require_service(request.param)
        reset_database(url)
    upgrade(url)
    with running_api(url) as api:
        yield api


def _fuzz(operation: Any, mode: GenerationMode, base_url: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base_url, headers=AUTH, checks=CHECKS)

    run()


@pytest.mark.timeout(900)
def test_no_server_error_and_every_response_conforms(fuzzed_api: LiveApi) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_api.url}/openapi.json", headers=AUTH)
    results = list(schema.exclude(path="/api/events").get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) >= 30
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, fuzzed_api.url)
            except Unsatisfiable:  # nothing to get wrong: no parameters, or only unconstrained strings
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # every operation is fuzzed; all failures are reported together
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)


def test_the_schema_documents_an_error_body_for_every_api_operation(fuzzed_api: LiveApi) -> None:
    paths = fuzzed_api.viewer.get("/openapi.json").json()["paths"]
    for path, item in paths.items():
        if path.startswith("/api/"):
            for operation in item.values():
                assert "default" in operation["responses"], path
