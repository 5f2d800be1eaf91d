"""Schemathesis over the whole /api/v1 schema, in the test suite.

Every operation of ``/api/v1/openapi.json`` gets generated requests (bounded: a few examples
each, derandomized, so the run is fast and repeatable), sent to the Django WSGI application
with the bearer token of an operator member and of an agent. Each answer must be:

* no server error (5xx);
* a status code the schema documents for that operation;
* of a documented content type, with documented headers;
* valid against the documented response schema.

Requests go either to generated references (mostly missing tickets) or to real ones of the
caller, so the success paths are exercised too. Everything runs in the test's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from esoutien.api.tokens import create_token
from esoutien.tickets import services, workflow
from tests.factories import file_ticket, set_status
from tests.support import wsgi_app

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 10


@pytest.fixture(autouse=True)
def _hypothesis_home(settings: Any) -> Iterator[None]:
    # Hypothesis keeps caches in ./.hypothesis; keep them with the test data instead.
    from hypothesis import configuration

    previous = getattr(configuration, "__hypothesis_home_directory", None)
    configuration.set_hypothesis_home_dir(Path(settings.DATA_DIR) / "hypothesis")
    yield
    configuration.set_hypothesis_home_dir(previous)


@pytest.fixture
def schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app())


@pytest.fixture
def callers(
    alice: Any, alfa: Any, esav: Any, ftte: Any, agent: Any, bob: Any, brav: Any, fake_pdf: bytes
) -> list[tuple[str, str, dict[str, Any]]]:
    """(who, token, fixed path parameters of one of its tickets) per caller."""

    def upload(name: str) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, b"ping timeout", content_type="text/plain")

    open_ticket = file_ticket(alice, alfa, esav, files=[upload("trace.txt")])
    services.comment_add(agent, open_ticket, "Note", internal=True)
    resolved = set_status(file_ticket(alice, alfa, ftte), "in_progress")
    workflow.resolve(resolved, agent, cause="c", actions_taken="a", summary="s")
    file_ticket(bob, brav, esav)
    attachment = open_ticket.attachments.get().pk
    report = resolved.reports.get().pdf.pk
    return [
        (
            "alice",
            create_token(alice, "schemathesis")[1],
            {"reference": open_ticket.reference, "attachment_id": attachment},
        ),
        (
            "agent",
            create_token(agent, "schemathesis")[1],
            {"reference": resolved.reference, "attachment_id": report},
        ),
    ]


def _fileable(case: Any) -> Any:
    """A generated filing made acceptable (e-service, e-mail, operator), so that random
    subjects, descriptions and contacts reach the success path, not only the 422s."""
    if isinstance(case.body, dict):
        case.body.update(eservice="esav", contact_email="noc@alfa.example", operator="ALFA")
        case.body.pop("line_reference", None)
    return case


def _runner(strategy: Any, headers: dict[str, str]) -> Callable[[], None]:
    @given(case=strategy)
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run  # type: ignore[no-any-return]


def test_api_conforms_to_its_schema(
    schema: Any, callers: list[tuple[str, str, dict[str, Any]]], settings: Any
) -> None:
    settings.ESOUTIEN_API_RATE_LIMIT = "1000000/m"
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for who, token, own in callers:
        headers = {"Authorization": f"Bearer {token}"}
        for operation in operations:
            strategies = [operation.as_strategy()]
            if operation.label == "POST /api/v1/tickets":
                strategies.append(operation.as_strategy().map(_fileable))
            params = {p.name for p in operation.path_parameters}
            if params and params <= set(own):
                fixed = {name: own[name] for name in params}
                strategies.append(operation.as_strategy(path_parameters=fixed))
            try:
                _runner(st.one_of(strategies), headers)()
            except Exception as exc:  # every operation is tried; all failures reported
                failures.append(f"--- {operation.label} as {who}:\n{exc}")
    assert not failures, "\n".join(failures)
