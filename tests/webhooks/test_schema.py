"""Schemathesis over the /api/v1/webhooks operations, as the managers who may use them.

The suite-wide run (tests/api/test_schema.py) calls them as an operator member and an agent,
who are refused; this one reaches the success paths: no server error, only documented status
codes, content types and shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
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
from esoutien.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import AdministratorFactory, file_ticket
from tests.support import wsgi_app
from tests.webhooks.conftest import register

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _runner(strategy: Any, headers: dict[str, str]) -> Callable[[], None]:
    @given(case=strategy)
    @hypothesis_settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run  # type: ignore[no-any-return]


def _valid_registration(case: Any) -> Any:
    """Generated registrations made acceptable, so they reach the success path too."""
    if isinstance(case.body, dict):
        case.body.update(url="https://oss.operateur.example/hooks", operator="ALFA")
    return case


def test_webhook_operations_conform_to_the_schema(
    settings: Any, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    settings.ESOUTIEN_API_RATE_LIMIT = "1000000/m"
    endpoint, _ = register(manon, "https://oss.operateur.example/hooks")
    file_ticket(alice, alfa, esav)
    delivery = WebhookDelivery.objects.get()
    own = {"endpoint_id": endpoint.pk, "delivery_id": str(delivery.delivery_id)}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app())
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/api/v1/webhooks")
    ]
    assert len(operations) == 7
    failures = []
    for who, user in (("manager", manon), ("administrator", AdministratorFactory())):
        headers = {"Authorization": f"Bearer {create_token(user, 'schemathesis')[1]}"}
        for operation in operations:
            strategies = [operation.as_strategy()]
            params = {p.name for p in operation.path_parameters}
            if params:
                fixed = {name: own[name] for name in params}
                strategies.append(operation.as_strategy(path_parameters=fixed))
            if operation.method.upper() in ("POST", "PATCH"):
                strategies.append(operation.as_strategy().map(_valid_registration))

            try:
                _runner(st.one_of(strategies), headers)()
            except Exception as exc:
                failures.append(f"--- {operation.label} as {who}:\n{exc}")
    assert not failures, "\n".join(failures)
    assert WebhookEndpoint.objects.exclude(pk=endpoint.pk).exists(), "some registrations passed"
