"""Property-based conformance of the reference API with the upstream contract (schemathesis).

Requests are generated from ``models_openapi.json`` for every operation, valid ones
(positive mode) and invalid ones (negative mode), sent to the reference API's ASGI app in process
(schemathesis' ASGI transport, no socket) with the superadmin's credentials, and every response
is checked:

* ``response_schema_conformance``: a documented status (200, 422) must carry a body valid against
  the contract's schema for that status;
* ``content_type_conformance``: a documented status must use the documented media type;
* ``_status_allowed_by_upstream`` (ours, instead of ``status_code_conformance``): the contract
  declares only 200 and 422, yet the real server also answers 400/401/403/404/500 (BEHAVIOUR.md:
  unknown ids are 404 or a 500 ``Database error``, a negative ``page_offset`` is a 500, roles give
  403...). A generated request with random UUIDs meets those answers all the time, so the plain
  status check would fail on the real server too. Instead each undocumented status must be one
  that BEHAVIOUR.md gives for that operation, with the upstream's error body: JSON
  ``{"detail": "<text>"}`` (or the plain-text ``Internal Server Error`` of docs/export/refresh),
  and a 500 must be one of the upstream's texts; a probe with an undeclared method must get
  FastAPI's 405 ``{"detail": "Method Not Allowed"}``;
* ``negative_data_rejection``: a request that violates the contract must not succeed, except where
  FastAPI itself accepts it (lax coercion such as ``"7"`` for an integer), which ``_lax_accepts``
  re-checks with the same pydantic validation the real server runs.

Not used: ``positive_data_acceptance`` (valid requests with random ids are 404s upstream as well),
``not_a_server_error`` (the upstream's 500s are part of the behaviour being reproduced), the
stateful phase (the contract has no links). Bounded by ``max_examples`` to stay fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.resources import as_file, files
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CheckContext
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)
from starlette.applications import Starlette

from glow_models_mcp.sandbox import create_app

from .sandbox_support import CONTRACT, auth_headers

BASE = "/api/v5/artifacts/models"
MAX_EXAMPLES = 15  # per operation and generation mode

#: Statuses the upstream gives beyond the contract's 200/422 (BEHAVIOUR.md), per operation: what
#: the real server answers is a fact to look up, not to derive, so a new operation needs its row
#: here (CONTRIBUTING.md, "Adding an operation", the reference API step);
#: ``test_every_contract_operation_has_its_upstream_statuses`` fails until it has one.
UPSTREAM_STATUSES: dict[tuple[str, str], set[int]] = {
    ("POST", f"{BASE}/get"): {400, 401, 403, 404},
    ("POST", f"{BASE}/search"): {400, 401, 500},
    ("POST", f"{BASE}/create"): {400, 401, 403, 500},
    ("POST", f"{BASE}/update"): {400, 401, 403, 404, 500},
    ("POST", f"{BASE}/duplicate"): {400, 401, 403, 404},
    ("POST", f"{BASE}/delete"): {400, 401, 403, 404},
    ("PATCH", f"{BASE}/draft"): {400, 401, 403, 500},
    ("POST", f"{BASE}/drafts"): {401},
    ("POST", f"{BASE}/docs"): {400, 401, 500},
    ("POST", f"{BASE}/export"): {400, 401, 500},
    ("POST", f"{BASE}/refresh"): {401, 500},
    ("GET", "/uploads/{upload_id}/download"): {404},
}
#: The operations whose unexpected failures are a plain-text 500 upstream (no JSON error handler);
#: every other operation answers a JSON ``{"detail": ...}`` 500.
PLAIN_500 = {f"{BASE}/docs", f"{BASE}/export", f"{BASE}/refresh"}
UPSTREAM_500_PREFIXES = ("Database error: ", "invalid input for query argument ")


@pytest.fixture(scope="module")
def conformance_app() -> Iterator[Starlette]:
    """The reference API's ASGI app (in-memory SQLite, seeded), shared by the generated cases."""
    app = create_app()
    yield app
    app.state.database.close()


with as_file(files("glow_models_mcp.sandbox").joinpath("models_openapi.json")) as _path:
    # Loaded at import time: schemathesis' ``from_fixture`` does not work with this pytest version
    # (it reads a private attribute pytest no longer has), so the app and the credentials are given
    # to each call instead.
    schema = schemathesis.openapi.from_path(_path)
schema.config.generation.update(max_examples=MAX_EXAMPLES)


def _status_allowed_by_upstream(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    documented = set(case.operation.responses.status_codes)
    status = response.status_code
    if case.method.upper() != case.operation.method.upper():
        # a probe with a method the path does not have: FastAPI's 405
        assert status == 405 and json.loads(response.content) == {"detail": "Method Not Allowed"}, status
        return None
    if str(status) in documented:
        return None
    allowed = UPSTREAM_STATUSES.get((case.operation.method.upper(), case.operation.path))
    assert allowed is not None, _missing_statuses(case.operation.method.upper(), case.operation.path)
    assert status in allowed, f"{case.operation.label}: HTTP {status} is neither in the contract nor in BEHAVIOUR.md"
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if status == 500 and case.operation.path in PLAIN_500 and content_type.startswith("text/plain"):
        assert response.content == b"Internal Server Error"
        return None
    assert content_type.startswith("application/json"), (status, content_type)
    body = json.loads(response.content)
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"], body
    if status == 500:
        assert body["detail"].startswith(UPSTREAM_500_PREFIXES), body
    return None


def _missing_statuses(method: str, path: str) -> str:
    return (
        f"{method} {path} has no row in UPSTREAM_STATUSES (tests/sandbox/test_sandbox_conformance.py): add "
        "the statuses the real server gives beyond 200/422 (BEHAVIOUR.md), as CONTRIBUTING.md's "
        "'Adding an operation' says"
    )


def _request_component(method: str, path: str) -> str | None:
    """The contract's request body component of an operation (``None`` when it takes no body)."""
    body = CONTRACT["paths"][path][method.lower()].get("requestBody")
    return body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1] if body else None


def _lax_accepts(case: Any) -> bool:
    """Whether FastAPI's pydantic validation accepts the (contract-invalid) body, as ours does: the
    reference API's lax model named as the operation's request component (``sandbox/validation.py``)."""
    from glow_models_mcp.sandbox import validation as v

    component = _request_component(case.operation.method, case.operation.path)
    if component is None or case.body is None or not isinstance(case.body, dict):
        return False
    model = getattr(v, component)
    try:
        model.model_validate(case.body, from_attributes=True)
    except Exception:
        return False
    return True


@pytest.mark.parametrize(("method", "path"), [(m.upper(), p) for p, ms in CONTRACT["paths"].items() for m in ms])
def test_every_contract_operation_has_its_upstream_statuses(method: str, path: str) -> None:
    assert (method, path) in UPSTREAM_STATUSES, _missing_statuses(method, path)
    component = _request_component(method, path)
    if component is not None:
        from glow_models_mcp.sandbox import validation as v

        assert hasattr(v, component), f"sandbox/validation.py has no lax request model named {component}"


def test_no_statuses_for_an_operation_the_contract_lacks() -> None:
    contract = {(m.upper(), p) for p, ms in CONTRACT["paths"].items() for m in ms}
    assert set(UPSTREAM_STATUSES) <= contract
    assert PLAIN_500.issubset(p for _, p in contract)


#: Every operation of the contract, one test each per generation mode (explicit ids: schemathesis'
#: own ``parametrize`` gives its tests one shared node id, which pytest-xdist would run only once).
#: Negative mode only where there is a body to make invalid (the others take none, or only an id in
#: the path, which schemathesis cannot make invalid and still route).
CASES = [
    pytest.param(operation, mode, id=f"{operation.label}-{mode.value}")
    for operation in (result.ok() for result in schema.get_all_operations())
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE or len(operation.body) > 0
]


@pytest.mark.parametrize(("operation", "mode"), CASES)
@given(data=st.data())
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_responses_conform_to_the_contract(
    operation: Any, mode: GenerationMode, data: st.DataObject, conformance_app: Starlette
) -> None:
    case = data.draw(operation.as_strategy(generation_mode=mode), label="case")
    response = case.call(app=conformance_app, headers=auth_headers(**{"X-MCP": "true"}))
    case.validate_response(
        response,
        checks=[response_schema_conformance, content_type_conformance, _status_allowed_by_upstream],
    )
    if response.status_code < 400 and not _lax_accepts(case):
        case.validate_response(response, checks=[negative_data_rejection])


@pytest.mark.parametrize("operation", [result.ok() for result in schema.get_all_operations()], ids=lambda o: o.label)
def test_an_undeclared_method_gets_fastapis_405(operation: Any, conformance_app: Starlette) -> None:
    """A method the path does not have: FastAPI's 405 ``{"detail": "Method Not Allowed"}``."""
    from starlette.testclient import TestClient

    method = "PUT" if operation.method.upper() != "PUT" else "DELETE"
    path = operation.path.replace("{upload_id}", "00000000-0000-0000-0000-000000000001")
    with TestClient(conformance_app) as client:
        response = client.request(method, path, headers=auth_headers())
    assert response.status_code == 405 and response.json() == {"detail": "Method Not Allowed"}
