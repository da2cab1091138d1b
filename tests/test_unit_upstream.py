"""``GlowClient`` in process: retries, ``Retry-After``, the body cap, unusable bodies, error details.

The upstream is either the reference API itself (its ASGI app through ``httpx2.ASGITransport``) or,
where a misbehaviour is needed that the reference API never shows (a 503, a dropped connection, a
50 MB body), a scripted upstream on ``httpx2.MockTransport`` that counts the attempts it receives.
Both replace only the network: the client, its retry policy and its parsing are the real ones. The
same behaviours over real sockets (timeouts, cut connections) are in
``tests/reliability/test_rel_faults.py``.
"""

from __future__ import annotations

import email.utils
import json
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx2
import pydantic
import pytest
import tenacity
from support import SANDBOX_API_KEY, SUPERADMIN_TOKEN, ReferenceAPI, minimal_answer, minimal_request

from glow_models_mcp import schemas as s
from glow_models_mcp import upstream
from glow_models_mcp.exceptions import (
    ConfigurationError,
    UpstreamHTTPError,
    UpstreamResponseError,
    UpstreamUnavailable,
)
from glow_models_mcp.settings import REDACTED, Settings
from glow_models_mcp.upstream import CREATE, DRAFTS, GET, OPERATIONS, REFRESH, SEARCH, GlowClient

pytestmark = pytest.mark.anyio

API_KEY = "unit-api-key-5f1c"
TOKEN = "unit-token-9b7e"
READ_OPS = [op for op in OPERATIONS.values() if op.read_only]
WRITE_OPS = [op for op in OPERATIONS.values() if not op.read_only]


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "instance_url": "http://glow.test",
        "api_key": API_KEY,
        "token": TOKEN,
        "max_retries": 2,
        "connect_timeout": 1,
        "total_timeout": 10,
    }
    values.update(overrides)
    return Settings(**values)


class Upstream:
    """A scripted upstream: ``answer(request, attempt)`` gives each response (or raises an
    ``httpx2`` transport error); every request is kept with its arrival time."""

    def __init__(self, answer: Callable[[httpx2.Request, int], httpx2.Response]) -> None:
        self.answer = answer
        self.requests: list[httpx2.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        return self.answer(request, len(self.requests))

    @property
    def attempts(self) -> int:
        return len(self.requests)


def _ok_body(op: upstream.Operation[Any, Any]) -> dict[str, Any]:
    """A minimal valid answer of ``op``, derived from its response model."""
    return minimal_answer(op, str(uuid.uuid4()))


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry at once (the backoff itself is not what these tests are about)."""
    monkeypatch.setattr(upstream, "_BACKOFF", tenacity.wait_none())


async def _request(up: Upstream, op: upstream.Operation[Any, Any], body: Any = None, **settings: Any) -> Any:
    async with GlowClient(_settings(**settings), transport=httpx2.MockTransport(up)) as client:
        return await client.request(op, body)


def _body(op: upstream.Operation[Any, Any]) -> Any:
    """A minimal valid request of ``op``, derived from its request model."""
    return minimal_request(op, str(uuid.uuid4()))


@pytest.mark.parametrize("op", OPERATIONS.values(), ids=lambda op: op.name)
def test_the_derived_bodies_are_valid(op: upstream.Operation[Any, Any]) -> None:
    """The derived request and answer of every operation pass its models (what the retry and
    fault tests send and answer), and an answer lacking a required field would not."""
    assert isinstance(_body(op), op.request_model)
    answer = _ok_body(op)
    assert op.response_model.model_validate(answer).model_dump(mode="json", exclude_unset=True) == answer
    for field in answer:
        if op.response_model.model_fields[field].is_required():
            with pytest.raises(pydantic.ValidationError):
                op.response_model.model_validate({k: v for k, v in answer.items() if k != field})


# --- against the reference API in process --------------------------------------------------------------


@pytest.fixture(scope="module")
def api() -> Iterator[ReferenceAPI]:
    ref = ReferenceAPI()
    yield ref
    ref.close()


async def test_answers_of_the_reference_api_are_parsed_into_the_response_models(api: ReferenceAPI) -> None:
    settings = _settings(api_key=SANDBOX_API_KEY, token=SUPERADMIN_TOKEN)
    async with GlowClient(settings, transport=api.transport()) as client:
        status, page = await client.request(SEARCH, s.SearchModelApiRequest(search="gemini", page_size=3))
        assert status == 200 and isinstance(page, s.ListModelApiResponse)
        assert page.total_count is not None and page.total_count >= 3 and len(page.models or []) == 3
        assert all("gemini" in (m.name or "").lower() for m in page.models or [])
        status, drafts = await client.request(DRAFTS)
        assert status == 200 and isinstance(drafts, s.GetModelDraftsApiResponse)
    sent = api.request_log[-2:]
    assert [(r.method, r.path) for r in sent] == [("POST", SEARCH.path), ("POST", DRAFTS.path)]
    for record in sent:
        assert record.headers["x-mcp"] == "true" and record.headers["user-agent"] == upstream.USER_AGENT
        assert record.headers["x-api-key"] == SANDBOX_API_KEY
        assert record.headers["authorization"] == f"Bearer {SUPERADMIN_TOKEN}"


async def test_only_the_fields_set_are_sent(api: ReferenceAPI) -> None:
    up = Upstream(lambda request, n: httpx2.Response(200, json={"models": [], "total_count": 0}))
    await _request(up, SEARCH, s.SearchModelApiRequest(search=None, page_size=5))
    assert json.loads(up.requests[0].content) == {"search": None, "page_size": 5}
    await _request(up, DRAFTS, None)
    assert up.requests[1].content == b"{}"


async def test_a_422_list_of_the_reference_api_keeps_its_fields(api: ReferenceAPI) -> None:
    settings = _settings(api_key=SANDBOX_API_KEY, token=SUPERADMIN_TOKEN)
    # Built without validation: what our tools would refuse, to see the upstream's own 422.
    bad = s.SearchModelApiRequest.model_construct(page_size="many", filter_provider_ids=["not-a-uuid"])
    async with GlowClient(settings, transport=api.transport()) as client:
        with pytest.raises(UpstreamHTTPError) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydantic warns that it serializes the wrong types as given
            await client.request(SEARCH, bad)
    error = info.value
    assert error.status == 422 and error.operation == "search"
    assert {tuple(item["loc"]) for item in error.detail} == {("body", "page_size"), ("body", "filter_provider_ids", 0)}
    assert isinstance(error.detail, list) and error.detail
    assert all({"loc", "msg", "type"} <= set(item) for item in error.detail)
    # detail_text renders each item as "field: message", without the "body" prefix.
    first = error.detail[0]
    field = ".".join(str(p) for p in first["loc"] if p != "body")
    assert f"{field}: {first['msg']}" in str(error)


async def test_a_404_of_the_reference_api_carries_its_detail(api: ReferenceAPI) -> None:
    missing = uuid.uuid4()
    settings = _settings(api_key=SANDBOX_API_KEY, token=SUPERADMIN_TOKEN)
    async with GlowClient(settings, transport=api.transport()) as client:
        with pytest.raises(UpstreamHTTPError) as info:
            await client.request(GET, s.GetModelApiRequest(model_id=missing))
    assert info.value.status == 404 and info.value.detail == f"Model {missing} not found"
    assert info.value.retry_after is None


# --- retries -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
@pytest.mark.parametrize("op", READ_OPS, ids=lambda op: op.name)
async def test_read_only_operations_are_retried_on_gateway_errors(
    op: upstream.Operation[Any, Any], status: int, no_backoff: None
) -> None:
    up = Upstream(lambda request, n: httpx2.Response(status if n < 3 else 200, json=_ok_body(op)))
    code, _ = await _request(up, op, _body(op))
    assert code == 200 and up.attempts == 3  # two failures, then the answer


@pytest.mark.parametrize("op", READ_OPS, ids=lambda op: op.name)
async def test_read_only_retries_are_bounded_by_max_retries(op: upstream.Operation[Any, Any], no_backoff: None) -> None:
    up = Upstream(lambda request, n: httpx2.Response(503, json={"detail": "maintenance"}))
    with pytest.raises(UpstreamHTTPError) as info:
        await _request(up, op, _body(op), max_retries=3)
    assert up.attempts == 4 and info.value.status == 503 and info.value.detail == "maintenance"


@pytest.mark.parametrize("op", WRITE_OPS, ids=lambda op: op.name)
async def test_writes_are_never_resent_after_reaching_the_server(
    op: upstream.Operation[Any, Any], no_backoff: None
) -> None:
    up = Upstream(lambda request, n: httpx2.Response(503, json={"detail": "busy"}))
    with pytest.raises(UpstreamHTTPError):
        await _request(up, op, _body(op))
    assert up.attempts == 1

    def cut(request: httpx2.Request, n: int) -> httpx2.Response:
        raise httpx2.RemoteProtocolError("peer closed connection without sending complete message body")

    up = Upstream(cut)
    with pytest.raises(UpstreamUnavailable) as info:
        await _request(up, op, _body(op))
    assert up.attempts == 1 and info.value.may_have_reached is True

    def slow(request: httpx2.Request, n: int) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out")

    up = Upstream(slow)
    with pytest.raises(UpstreamUnavailable) as timed_out:
        await _request(up, op, _body(op))
    assert up.attempts == 1 and "read timeout" in timed_out.value.reason


@pytest.mark.parametrize("op", [SEARCH, CREATE, REFRESH], ids=lambda op: op.name)
async def test_connection_errors_are_retried_for_every_operation(
    op: upstream.Operation[Any, Any], no_backoff: None
) -> None:
    def refuse_then_answer(request: httpx2.Request, n: int) -> httpx2.Response:
        if n < 3:
            raise httpx2.ConnectError("[Errno 111] Connection refused")
        return httpx2.Response(200, json=_ok_body(op))

    up = Upstream(refuse_then_answer)
    code, _ = await _request(up, op, _body(op))
    assert code == 200 and up.attempts == 3  # nothing had been sent: a write may be tried again


async def test_refused_connections_give_up_after_max_retries(no_backoff: None) -> None:
    def refuse(request: httpx2.Request, n: int) -> httpx2.Response:
        raise httpx2.ConnectError("[Errno 111] Connection refused")

    up = Upstream(refuse)
    with pytest.raises(UpstreamUnavailable) as info:
        await _request(up, CREATE, _body(CREATE), max_retries=1)
    assert up.attempts == 2
    assert info.value.may_have_reached is False and "connection failed" in info.value.reason
    assert info.value.base_url == "http://glow.test"


async def test_read_only_operations_are_retried_after_a_broken_connection(no_backoff: None) -> None:
    def broken_once(request: httpx2.Request, n: int) -> httpx2.Response:
        if n == 1:
            raise httpx2.ReadError("connection reset by peer")
        return httpx2.Response(200, json={"models": [], "total_count": 0})

    up = Upstream(broken_once)
    code, page = await _request(up, SEARCH, _body(SEARCH))
    assert code == 200 and page.total_count == 0 and up.attempts == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500])
async def test_other_statuses_are_not_retried(status: int, no_backoff: None) -> None:
    up = Upstream(lambda request, n: httpx2.Response(status, json={"detail": "no"}))
    with pytest.raises(UpstreamHTTPError) as info:
        await _request(up, SEARCH, _body(SEARCH))
    assert up.attempts == 1 and info.value.status == status


async def test_retry_after_is_honoured() -> None:
    # 0.7 s is longer than any backoff of a first retry (0.2 s + up to 0.3 s of jitter), so the gap
    # shows which one was used. Only a lower bound is asserted: sleeping never ends early.
    up = Upstream(
        lambda request, n: (
            httpx2.Response(503, headers={"Retry-After": "0.7"}, json={})
            if n == 1
            else httpx2.Response(200, json={"models": [], "total_count": 0})
        )
    )
    code, _ = await _request(up, SEARCH, _body(SEARCH))
    assert code == 200 and up.attempts == 2
    assert up.times[1] - up.times[0] >= 0.7


async def test_retry_after_as_an_http_date_in_the_past_means_now(no_backoff: None) -> None:
    past = email.utils.format_datetime(email.utils.localtime().replace(year=2000), usegmt=False)
    up = Upstream(
        lambda request, n: (
            httpx2.Response(503, headers={"Retry-After": past}, json={})
            if n == 1
            else httpx2.Response(200, json={"models": [], "total_count": 0})
        )
    )
    code, _ = await _request(up, SEARCH, _body(SEARCH))
    assert code == 200 and up.attempts == 2


async def test_a_retry_after_beyond_the_budget_is_answered_at_once() -> None:
    up = Upstream(lambda request, n: httpx2.Response(503, headers={"Retry-After": "120"}, json={"detail": "later"}))
    with pytest.raises(UpstreamHTTPError) as info:
        await _request(up, SEARCH, _body(SEARCH), total_timeout=5)
    assert up.attempts == 1 and info.value.retry_after == 120.0 and info.value.detail == "later"


async def test_a_hanging_upstream_ends_at_the_total_timeout() -> None:
    import anyio

    async def hang(request: httpx2.Request) -> httpx2.Response:
        await anyio.sleep(30)
        raise AssertionError("not reached")

    settings = _settings(total_timeout=0.3, connect_timeout=0.3)
    async with GlowClient(settings, transport=httpx2.MockTransport(hang)) as client:
        with pytest.raises(UpstreamUnavailable) as info:
            await client.request(SEARCH, _body(SEARCH))
    assert "total timeout of 0.3 s" in info.value.reason


# --- bodies ----------------------------------------------------------------------------------------------


async def test_a_declared_body_over_the_cap_is_refused_before_reading() -> None:
    up = Upstream(lambda request, n: httpx2.Response(200, headers={"Content-Length": "5000"}, content=b"x" * 5000))
    with pytest.raises(UpstreamResponseError) as info:
        await _request(up, SEARCH, _body(SEARCH), max_response_bytes=1000)
    assert "body of 5000 bytes, over the 1000-byte cap" in str(info.value)


async def test_a_streamed_body_over_the_cap_is_refused_while_reading() -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            sent.append(1)
            yield b"y" * 100

    up = Upstream(lambda request, n: httpx2.Response(200, content=chunks()))  # chunked: no length declared
    with pytest.raises(UpstreamResponseError) as info:
        await _request(up, SEARCH, _body(SEARCH), max_response_bytes=1000)
    assert "over the 1000-byte cap; refused" in str(info.value)
    assert len(sent) < 100  # it stopped reading


async def test_a_body_at_the_cap_is_accepted() -> None:
    body = json.dumps({"models": [], "total_count": 0, "actor_name": ""}).encode()
    up = Upstream(lambda request, n: httpx2.Response(200, content=body))
    code, _ = await _request(up, SEARCH, _body(SEARCH), max_response_bytes=len(body))
    assert code == 200


async def test_a_2xx_body_that_is_not_json_is_an_unusable_answer() -> None:
    up = Upstream(lambda request, n: httpx2.Response(200, content=b"<html><title>Login</title></html>"))
    with pytest.raises(UpstreamResponseError) as info:
        await _request(up, SEARCH, _body(SEARCH))
    assert (
        info.value.operation == "search"
        and "HTTP 200 but the body is not JSON (or nested too deeply to read): Login" in str(info.value)
    )
    assert info.value.__context__ is None and info.value.__cause__ is None


async def test_a_2xx_body_of_the_wrong_shape_names_the_fields() -> None:
    up = Upstream(lambda request, n: httpx2.Response(200, json={"models": "nope", "total_count": "many"}))
    with pytest.raises(UpstreamResponseError) as info:
        await _request(up, SEARCH, _body(SEARCH))
    text = str(info.value)
    assert "does not match ListModelApiResponse" in text and "models:" in text and "total_count:" in text


async def test_error_pages_are_reduced_to_their_title_or_text() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1>" + b"<p>x</p>" * 500
    up = Upstream(lambda request, n: httpx2.Response(500, content=page))
    with pytest.raises(UpstreamHTTPError) as info:
        await _request(up, CREATE, _body(CREATE))
    assert info.value.detail == "502 Bad Gateway"
    up = Upstream(lambda request, n: httpx2.Response(500, content=b"Internal Server Error"))
    with pytest.raises(UpstreamHTTPError) as info:
        await _request(up, CREATE, _body(CREATE))
    assert info.value.detail == "Internal Server Error"
    up = Upstream(lambda request, n: httpx2.Response(500, content=b""))
    with pytest.raises(UpstreamHTTPError) as info:
        await _request(up, CREATE, _body(CREATE))
    assert info.value.detail == "(empty body)"


async def test_echoed_credentials_are_scrubbed_from_errors() -> None:
    def echo(request: httpx2.Request, n: int) -> httpx2.Response:
        creds = f"{request.headers['x-api-key']} {request.headers['authorization']}"
        return httpx2.Response(401, json={"detail": f"rejected {creds}"})

    up = Upstream(echo)
    with pytest.raises(UpstreamHTTPError) as info:
        await _request(up, SEARCH, _body(SEARCH))
    assert info.value.detail == f"rejected {REDACTED} Bearer {REDACTED}"
    assert API_KEY not in str(info.value) and TOKEN not in str(info.value)
    up = Upstream(lambda request, n: httpx2.Response(200, content=f"oops {API_KEY}".encode()))
    with pytest.raises(UpstreamResponseError) as bad:
        await _request(up, SEARCH, _body(SEARCH))
    assert API_KEY not in str(bad.value) and REDACTED in str(bad.value)


async def test_without_an_instance_url_nothing_is_sent() -> None:
    up = Upstream(lambda request, n: httpx2.Response(200, json={}))
    with pytest.raises(ConfigurationError, match="GLOW_INSTANCE_URL"):
        await _request(up, SEARCH, _body(SEARCH), instance_url=None)
    assert up.attempts == 0


class _ClosingTransport(httpx2.MockTransport):
    """A scripted upstream that records being closed."""

    closed = False

    async def aclose(self) -> None:
        self.closed = True


async def test_the_pool_is_closed_on_exit_and_a_closed_client_sends_nothing() -> None:
    """The connection pool is made by the first request (not on entry); leaving the client closes
    it (or the transport given, without a request), and a closed client refuses requests instead
    of opening a new pool."""
    for first in (True, False):
        up = Upstream(lambda request, n: httpx2.Response(200, json=_ok_body(SEARCH)))
        transport = _ClosingTransport(up)
        async with GlowClient(_settings(), transport=transport) as client:
            if first:
                await client.request(SEARCH, _body(SEARCH))
        assert transport.closed
        with pytest.raises(RuntimeError, match="closed"):
            await client.request(SEARCH, _body(SEARCH))
        assert up.attempts == (1 if first else 0)


async def test_unreadable_ca_certificates_are_a_tool_error_naming_the_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The TLS context is built by the first request (not at start): CA certificates that cannot be
    read make that request's tool error say so and name the variables, not "a bug"."""
    from mcp import Client
    from support import reference_settings

    from glow_models_mcp.server import build_server

    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing-bundle.pem"))
    async with Client(build_server(reference_settings("https://glow.invalid")), mode="legacy") as client:
        assert (await client.list_tools()).tools  # the server started and lists its tools
        result = await client.call_tool("get_model", {"model_id": "gpt-5"})
    text = result.content[0].text
    assert result.is_error
    assert "cannot make HTTPS requests" in text and "SSL_CERT_FILE" in text, text
    assert "bug" not in text
