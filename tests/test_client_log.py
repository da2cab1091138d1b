"""MCP logging (``glow_models_mcp.client_log``): the ``logging`` capability, ``logging/setLevel``,
and the upstream's retries, slow answers and failures as ``notifications/message``.

In process: an MCP client with JSON-RPC framing (``mode="legacy"``, 2025-11-25) and the SDK's
default client (2026-07-28, per-request ``_meta`` log level), against the reference API; a 503 is
put in front of it where one is needed (the reference API never answers 503), answering with the
credentials it received echoed back. Over the wire: raw JSON-RPC lines to a stdio server process,
the SSE transport over loopback HTTP, and streamable HTTP at 2026-07-28 (SSE response mode carries
the messages; our JSON ``/mcp`` endpoint cannot). Every credential is a unique sentinel, absent from every
message; the server itself must emit no ``MCPDeprecationWarning`` (the deprecated ``ctx.log``
helpers are not used).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import LoggingMessageNotificationParams
from rawrpc import StdioSession, env_for
from support import SUPERADMIN_TOKEN, ReferenceAPI, clean_env, closed_port_url, reference_settings, serving, unique

from glow_models_mcp import client_log
from glow_models_mcp.server import build_server
from glow_models_mcp.settings import REDACTED
from glow_models_mcp.upstream import SEARCH

API_KEY = unique("log-key-sentinel")
TOKEN = unique("log-token-sentinel")
HTTP_TOKEN = unique("log-http-sentinel")
SENTINELS = (API_KEY, TOKEN, HTTP_TOKEN)
UNKNOWN_ID = "00000000-0000-4000-8000-00000000beef"


class Unavailable(httpx2.AsyncBaseTransport):
    """An upstream that answers every ``path`` request 503, echoing the credentials it got; the
    reference API answers the rest."""

    def __init__(self, api: ReferenceAPI, path: str) -> None:
        self.inner = api.transport()
        self.path = path
        self.attempts = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path == self.path:
            self.attempts += 1
            echo = f"maintenance; key {request.headers.get('x-api-key')}, {request.headers.get('authorization')}"
            return httpx2.Response(503, json={"detail": echo})
        return await self.inner.handle_async_request(request)


class Log:
    """The ``notifications/message`` a client received."""

    def __init__(self) -> None:
        self.messages: list[LoggingMessageNotificationParams] = []

    async def __call__(self, params: LoggingMessageNotificationParams) -> None:
        self.messages.append(params)

    @property
    def levels(self) -> list[str]:
        return [m.level for m in self.messages]

    def take(self) -> list[LoggingMessageNotificationParams]:
        taken, self.messages = self.messages, []
        return taken


def _no_secret(text: str) -> None:
    for secret in SENTINELS:
        assert secret not in text, f"{secret!r} leaked into a log message"


@contextmanager
def _no_server_deprecation() -> Iterator[None]:
    """Fail on an MCPDeprecationWarning from our package; the SDK client's own
    ``set_logging_level`` warns by design and is let through."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    ours = [w for w in caught if issubclass(w.category, MCPDeprecationWarning) and "glow_models_mcp" in w.filename]
    assert not ours, [str(w.message) for w in ours]


async def _set_level(client: Client, level: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)  # the client API is deprecated (SEP-2577)
        await client.set_logging_level(level)  # type: ignore[arg-type]


def _settings(api: ReferenceAPI, **overrides: Any) -> Any:
    values: dict[str, Any] = {"api_key": API_KEY, "http_token": HTTP_TOKEN, "token": SUPERADMIN_TOKEN}
    values.update(overrides)
    return api.settings(**values)


# --- in process, handshake era ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_capability_and_default_level(reference_api: ReferenceAPI) -> None:
    """The server declares ``logging``; a client that never sets a level gets the retry
    (warning) and the failure (error) of a failing call, but neither the info line of a
    successful call nor the notice of a 404."""
    log = Log()
    transport = Unavailable(reference_api, SEARCH.path)
    server = build_server(_settings(reference_api, max_retries=1, token=TOKEN), transport=transport)
    with _no_server_deprecation():
        async with Client(server, mode="legacy", logging_callback=log) as client:
            assert client.server_capabilities.logging is not None
            result = await client.call_tool("search_models", {})
            assert result.is_error and transport.attempts == 2
            retry, failure = log.take()
            await client.call_tool("get_model", {"model_id": UNKNOWN_ID})  # 401 with the sentinel token...
    assert (retry.level, failure.level) == ("warning", "error")
    assert retry.logger == failure.logger == client_log.LOGGER
    assert retry.data["message"].startswith("search: HTTP 503: maintenance")
    assert "retry 1 of 1 in" in retry.data["message"]
    assert retry.data | {"message": None} == {
        "message": None,
        "operation": "search",
        "status": 503,
        "retry": 1,
        "tool": "search_models",
    }
    assert (
        failure.data["message"].startswith("search: HTTP 503: maintenance")
        and "after 1 retry" in (failure.data["message"])
    )
    assert failure.data["status"] == 503 and failure.data["tool"] == "search_models"
    assert REDACTED in retry.data["message"]  # the echoed credentials, scrubbed
    [refused] = log.take()  # ...is an error (the credentials are refused): sent at the default level
    assert refused.level == "error" and refused.data["status"] == 401
    _no_secret(json.dumps([m.model_dump() for m in (retry, failure, refused)]))


@pytest.mark.anyio
async def test_set_level_info_and_error(reference_api: ReferenceAPI) -> None:
    log = Log()
    server = build_server(_settings(reference_api), transport=reference_api.transport())
    with _no_server_deprecation():
        async with Client(server, mode="legacy", logging_callback=log) as client:
            await client.call_tool("search_models", {})
            await client.call_tool("get_model", {"model_id": UNKNOWN_ID})
            assert log.take() == []  # default: warning and above; these are info and notice

            await _set_level(client, "info")
            await client.call_tool("search_models", {})
            [answered] = log.take()
            await client.call_tool("get_model", {"model_id": UNKNOWN_ID})
            [not_found] = log.take()

            await _set_level(client, "error")
            await client.call_tool("get_model", {"model_id": UNKNOWN_ID})
            assert log.take() == []
    assert answered.level == "info" and answered.data["message"].startswith("search: HTTP 200 in ")
    assert answered.data["operation"] == "search" and answered.data["status"] == 200
    assert answered.data["duration_ms"] > 0
    assert not_found.level == "notice" and not_found.data["status"] == 404
    assert "not found" in not_found.data["message"] and not_found.data["tool"] == "get_model"


@pytest.mark.anyio
async def test_slow_answer_is_a_warning(reference_api: ReferenceAPI) -> None:
    """A threshold every request exceeds: a successful call brings the slow warning, at the default level."""
    log = Log()
    server = build_server(_settings(reference_api, slow_call_seconds=1e-9), transport=reference_api.transport())
    async with Client(server, mode="legacy", logging_callback=log) as client:
        result = await client.call_tool("search_models", {})
    assert not result.is_error
    [slow] = log.messages
    assert slow.level == "warning" and slow.data["operation"] == "search"
    assert "GLOW_MCP_SLOW_CALL_SECONDS=1e-09 s" in slow.data["message"]


# --- in process, 2026-07-28 ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_modern_era_needs_the_per_request_opt_in(reference_api: ReferenceAPI) -> None:
    """2026-07-28: nothing without the ``_meta`` log level, even for failures (the spec forbids
    it); with ``log_level="notice"`` the 404 notice comes, the info line does not."""
    transport = Unavailable(reference_api, SEARCH.path)
    silent, opted = Log(), Log()
    with _no_server_deprecation():
        server = build_server(_settings(reference_api, max_retries=1), transport=transport)
        async with Client(server, logging_callback=silent) as client:
            assert client.protocol_version == "2026-07-28"
            assert (await client.call_tool("search_models", {})).is_error
        async with Client(server, logging_callback=opted, log_level="notice") as client:
            await client.call_tool("get_model", {"model_id": UNKNOWN_ID})
            await client.call_tool("search_models", {})
    assert silent.messages == []
    assert opted.levels == ["notice", "warning", "error"]  # 404; then the retry and failure of the 503s


# --- over the wire ----------------------------------------------------------------------------------------


def _messages(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line["params"] for line in lines if line.get("method") == "notifications/message"]


@pytest.mark.process
def test_stdio_set_level_then_failing_call(sandbox: Any) -> None:
    """Raw JSON-RPC over stdio: no level set -> a successful call sends nothing, a call to an
    unreachable upstream sends its retry and failure; after ``logging/setLevel`` info the
    successful call's info line comes too."""
    env = env_for(sandbox.url, GLOW_API_KEY=API_KEY, GLOW_MCP_HTTP_TOKEN=HTTP_TOKEN)
    with StdioSession(env) as session:
        assert "logging" in session.initialized["result"]["capabilities"]
        assert session.call("tools/call", {"name": "search_models", "arguments": {}})["result"]["isError"] is False
        assert _messages(session.others) == []
        assert session.call("logging/setLevel", {"level": "info"}) == {"jsonrpc": "2.0", "id": 2, "result": {}}
        session.call("tools/call", {"name": "search_models", "arguments": {}})
        [info] = _messages(session.others)
        assert info["level"] == "info" and info["logger"] == client_log.LOGGER
        assert info["data"]["message"].startswith("search: HTTP 200 in ") and info["data"]["tool"] == "search_models"
        stdout = json.dumps(session.others)
        session.close()

    unreachable = clean_env(
        GLOW_INSTANCE_URL=closed_port_url(),
        GLOW_API_KEY=API_KEY,
        GLOW_TOKEN=TOKEN,
        GLOW_MCP_HTTP_TOKEN=HTTP_TOKEN,
        GLOW_MAX_RETRIES="1",
    )
    with StdioSession(unreachable) as session:
        answer = session.call("tools/call", {"name": "search_models", "arguments": {}})
        assert answer["result"]["isError"] is True
        retry, failure = _messages(session.others)
        stdout += json.dumps(session.others) + json.dumps(answer)
        stderr = session.close()
    assert retry["level"] == "warning" and "connection failed" in retry["data"]["message"]
    assert "retry 1 of 1" in retry["data"]["message"]
    assert failure["level"] == "error" and failure["data"]["status"] is None
    assert "could not get an answer" in failure["data"]["message"]
    _no_secret(stdout + stderr)


@pytest.mark.process
@pytest.mark.anyio
async def test_sse_transport_set_level_then_failing_call() -> None:
    """The SSE transport over loopback HTTP: after ``logging/setLevel`` warning, an unreachable
    upstream's retry and failure arrive on the event stream; no info line."""
    log = Log()
    settings = reference_settings(
        closed_port_url(),
        api_key=API_KEY,
        token=TOKEN,
        http_token=HTTP_TOKEN,
        max_retries=1,
    )
    server = build_server(settings)
    with serving(server, settings, "sse") as running:
        headers = {"Authorization": f"Bearer {HTTP_TOKEN}"}
        async with Client(sse_client(f"{running.url}/sse", headers=headers), mode="legacy", logging_callback=log) as c:
            assert c.server_capabilities.logging is not None
            await _set_level(c, "warning")
            result = await c.call_tool("search_models", {})
    assert result.is_error
    assert log.levels == ["warning", "error"]
    assert log.messages[0].data["retry"] == 1 and log.messages[1].data["operation"] == "search"
    _no_secret(json.dumps([m.model_dump() for m in log.messages]))


@pytest.mark.process
@pytest.mark.parametrize(
    ("opt_in", "accept", "streamed"),
    [
        ("info", "application/json, text/event-stream", True),
        (None, "application/json, text/event-stream", False),
        ("info", "application/json", False),
    ],
)
def test_streamable_http_2026_opt_in(opt_in: str | None, accept: str, streamed: bool) -> None:
    """2026-07-28 over our streamable HTTP endpoint (what ``--transport http`` serves): a request
    with the ``_meta`` log level that accepts an event stream gets one, the retry and failure
    messages before the result; without the opt-in, or without ``text/event-stream`` in
    ``Accept``, the answer is one JSON body (where the SDK sends no messages)."""
    from rawrpc import MODERN_VERSION, http_message
    from support import UvicornThread

    from glow_models_mcp.http_app import build_http_app

    settings = reference_settings(closed_port_url(), api_key=API_KEY, token=TOKEN, max_retries=1)
    app = build_http_app(build_server(settings), settings, "http")
    headers, body = http_message(1, "tools/call", {"name": "search_models", "arguments": {}}, MODERN_VERSION)
    headers["Accept"] = accept
    if opt_in:
        body["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = opt_in
    with UvicornThread(app) as running:
        answer = httpx2.post(f"{running.url}/mcp", headers=headers, json=body, timeout=30)
    assert answer.status_code == 200
    if streamed:
        assert answer.headers["content-type"].startswith("text/event-stream")
        messages = [json.loads(line[5:]) for line in answer.text.splitlines() if line.startswith("data:")]
    else:
        assert answer.headers["content-type"].startswith("application/json")
        messages = [answer.json()]
    logged = _messages(messages)
    assert messages[-1]["id"] == 1 and messages[-1]["result"]["isError"] is True
    assert [m["level"] for m in logged] == (["warning", "error"] if streamed else [])
    _no_secret(answer.text)
