"""Auth: both headers, the upstream's 401 texts, auth before body validation, X-MCP recording."""

from __future__ import annotations

import json

import httpx2
import pytest

from glow_models_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_TOKENS
from glow_models_mcp.upstream import OPERATIONS

from .sandbox_support import ADMIN, AUTH_OPERATIONS, BASE, CONTRACT, MEMBER, SUPERADMIN, Api, auth_headers, path_of

MISSING_KEY = {"detail": "Missing X-Api-Key header"}
MISSING_BEARER = {"detail": "Missing Authorization: Bearer <token> header"}
BAD_TOKEN = {"detail": "Token verification failed: Error decoding token headers."}


def _raw(
    api: Api, method: str, op: str, headers: dict[str, str], body: object = None, **kwargs: object
) -> httpx2.Response:
    with api.bare() as client:
        if body is not None:
            kwargs["json"] = body
        return client.request(method, path_of(op), headers=headers, **kwargs)


def test_tokens_and_profiles() -> None:
    assert SANDBOX_API_KEY == "sandbox-api-key"
    roles = {t: (p.role, p.departments, p.all_departments) for t, p in SANDBOX_TOKENS.items()}
    assert roles[SUPERADMIN] == ("superadmin", ("Organization", "University"), True)
    assert roles[ADMIN] == ("admin", ("Organization",), False)
    assert roles[MEMBER] == ("member", ("Organization",), False)


def test_the_operations_with_credentials_are_the_clients_operations() -> None:
    """The auth cases below come from the contract: every operation of ``upstream.OPERATIONS``."""
    assert set(AUTH_OPERATIONS) == {(op.method, op.path) for op in OPERATIONS.values()}


@pytest.mark.parametrize(("method", "op"), AUTH_OPERATIONS)
def test_every_operation_needs_both_headers(api: Api, method: str, op: str) -> None:
    key_only = {"X-Api-Key": SANDBOX_API_KEY}
    bearer_only = {"Authorization": f"Bearer {SUPERADMIN}"}
    for headers, expected in ((bearer_only, MISSING_KEY), (key_only, MISSING_BEARER), ({}, MISSING_KEY)):
        response = _raw(api, method, op, headers, {})
        assert response.status_code == 401, (op, headers, response.text)
        assert response.json() == expected
        assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Api-Key": "", "Authorization": f"Bearer {SUPERADMIN}"}, MISSING_KEY),
        ({"X-Api-Key": "k", "Authorization": SUPERADMIN}, MISSING_BEARER),
        ({"X-Api-Key": "k", "Authorization": f"Basic {SUPERADMIN}"}, MISSING_BEARER),
        ({"X-Api-Key": "k", "Authorization": "Bearer"}, MISSING_BEARER),
        ({"X-Api-Key": "k", "Authorization": "Bearer not-a-known-token"}, BAD_TOKEN),
        ({"X-Api-Key": "k", "Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig"}, BAD_TOKEN),
    ],
)
def test_401_texts(api: Api, headers: dict[str, str], expected: dict[str, str]) -> None:
    response = _raw(api, "POST", "search", headers, {})
    assert response.status_code == 401
    assert response.json() == expected


def test_any_non_empty_api_key_and_case_insensitive_scheme(api: Api) -> None:
    for key in ("anything", SANDBOX_API_KEY, "x"):
        for scheme in ("Bearer", "bearer", "BEARER"):
            response = _raw(api, "POST", "refresh", {"X-Api-Key": key, "Authorization": f"{scheme} {MEMBER}"})
            assert response.status_code == 200, (key, scheme, response.text)


def test_auth_runs_before_body_validation(api: Api) -> None:
    bad_bodies = [{"models": "not a list"}, {"model_id": "not-a-uuid"}, {}]
    for op, body in (("create", bad_bodies[0]), ("duplicate", bad_bodies[1]), ("delete", bad_bodies[2])):
        response = _raw(api, "POST", op, {"X-Api-Key": SANDBOX_API_KEY}, body)
        assert response.status_code == 401 and response.json() == MISSING_BEARER, response.text
        # with credentials the same body is a 422
        assert _raw(api, "POST", op, auth_headers(), body).status_code == 422
    # no body at all: still 401 first
    response = _raw(api, "POST", "get", {})
    assert response.status_code == 401 and response.json() == MISSING_KEY


def test_malformed_json_is_422_even_without_auth(api: Api) -> None:
    # FastAPI parses the JSON body before it runs the auth dependency.
    response = _raw(api, "POST", "search", {"Content-Type": "application/json"}, content=b'{"search": ')
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "json_invalid",
                "loc": ["body", 11],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": "Expecting value"},
            }
        ]
    }


def test_no_body_operations_ignore_the_body(api: Api) -> None:
    for op in ("drafts", "refresh"):
        with api.bare() as client:
            response = client.post(
                f"{BASE}/{op}", headers={**auth_headers(), "Content-Type": "application/json"}, content=b"{not json"
            )
        assert response.status_code == 200, (op, response.text)


def test_x_mcp_is_recorded_for_every_request(fresh_api: Api) -> None:
    log = fresh_api.server.app.state.request_log
    start = len(log)
    values = ["true", "1", "yes", "TRUE", "Yes", "false", "0", "no", "on", None]
    for value in values:
        extra = {} if value is None else {"X-MCP": value}
        _raw(fresh_api, "POST", "refresh", auth_headers(**extra))
    records = log[start:]
    assert [(m, p) for m, p, _ in records] == [("POST", f"{BASE}/refresh")] * len(values)
    assert [r.mcp for r in records] == [True, True, True, True, True, False, False, False, False, False]
    assert records[0].headers["x-mcp"] == "true" and records[0].headers["authorization"] == f"Bearer {SUPERADMIN}"
    assert all(k == k.lower() for r in records for k in r.headers)
    # also unauthenticated and unknown-route requests are recorded
    _raw(fresh_api, "POST", "get", {"X-MCP": "1"})
    with fresh_api.bare() as client:
        client.get("/no/such/route")
    assert [(r.method, r.path, r.mcp) for r in log[-2:]] == [
        ("POST", f"{BASE}/get", True),
        ("GET", "/no/such/route", False),
    ]


def test_draft_rows_record_x_mcp(fresh_api: Api) -> None:
    yes = fresh_api.draft({"name": "a"}, headers={"X-MCP": "Yes"}).json()["draft_id"]
    no = fresh_api.draft({"name": "b"}).json()["draft_id"]
    entries = {e["id"]: e for e in fresh_api.ok("drafts")["entries"]}
    assert entries[yes]["mcp"] is True and entries[no]["mcp"] is False


def test_health_openapi_and_unknown_routes_need_no_auth(api: Api) -> None:
    with api.bare() as client:
        assert client.get("/healthz").json() == {"ok": True}
        contract = client.get("/openapi.json")
        assert contract.status_code == 200 and contract.headers["content-type"].startswith("application/json")
        assert contract.json() == CONTRACT  # the contract file as it is
        missing = client.get("/api/v5/artifacts/models/nothing")
        assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}
        wrong = client.get(f"{BASE}/get")
        assert wrong.status_code == 405 and wrong.json() == {"detail": "Method Not Allowed"}
        assert json.loads(client.post(f"{BASE}/draft", headers=auth_headers()).text) == {"detail": "Method Not Allowed"}
