"""The direct answer of plain stateless requests (``stateless.DirectAnswer``) against the SDK's own
stateless paths: the same requests sent to ``/mcp`` with the direct answer on and off get the same
HTTP status, the same headers and the same body, byte for byte, in every protocol era.

Both apps serve a server of their own over the same in-process reference API (read-only calls and
refused calls only, so that both see the same catalog).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from support import ReferenceAPI

from glow_models_mcp.http_app import MessageShape, build_http_app
from glow_models_mcp.logs import REQUEST_LOG_CHARS
from glow_models_mcp.server import build_server
from glow_models_mcp.stateless import DirectAnswer
from glow_models_mcp.uris import DOCS_URI

pytestmark = pytest.mark.anyio

MODERN = MODERN_PROTOCOL_VERSIONS[-1]
META_PREFIX = "io.modelcontextprotocol/"


class Counted:
    """A :class:`DirectAnswer` that counts the requests it answered itself."""

    def __init__(self, inner: DirectAnswer) -> None:
        self.inner = inner
        self.answered = 0

    async def __call__(self, *args: Any) -> bool:
        answered = await self.inner(*args)
        self.answered += answered
        return answered


def _message_shape(app: Any) -> MessageShape:
    while not isinstance(app, MessageShape):
        app = app.app
    return app


async def post(
    app: Any, body: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """POST ``body`` to ``/mcp`` of the ASGI ``app``; the status, the headers and the body."""
    sent: list[dict[str, Any]] = []
    delivered = False
    done = anyio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/mcp",
        "raw_path": b"/mcp",
        "query_string": b"",
        "root_path": "",
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    with anyio.fail_after(30):
        await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], start.get("headers", []), content


def request(
    era: str | None, method: str, params: dict[str, Any] | None = None, *, rid: Any = 1, accept: str | None = None
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """A JSON-RPC request as a client of ``era`` sends it (``None``: no version header at all)."""
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"content-type", b"application/json"),
        (b"accept", (accept or "application/json, text/event-stream").encode()),
    ]
    params = dict(params or {})
    if era is not None:
        headers.append((b"mcp-protocol-version", era.encode()))
    if era in MODERN_PROTOCOL_VERSIONS:
        headers.append((b"mcp-method", method.encode()))
        if method == "tools/call" and isinstance(params.get("name"), str):
            headers.append((b"mcp-name", params["name"].encode()))
        params.setdefault(
            "_meta",
            {
                f"{META_PREFIX}protocolVersion": era,
                f"{META_PREFIX}clientCapabilities": {},
                f"{META_PREFIX}clientInfo": {"name": "differential-test", "version": "1"},
            },
        )
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params:
        message["params"] = params
    return json.dumps(message, ensure_ascii=False).encode(), headers


@pytest.fixture
async def servers(reference_api: ReferenceAPI) -> AsyncIterator[list[tuple[Any, Any]]]:
    """[(direct app, its server), (sdk app, its server)]: the streamable HTTP app with the direct
    answer, and one without it."""
    async with AsyncExitStack() as stack:
        built = []
        for direct in (True, False):
            settings = reference_api.settings()
            server = build_server(settings, transport=reference_api.transport())
            app = build_http_app(server, settings, "http")
            shape = _message_shape(app)
            assert isinstance(shape.direct, DirectAnswer)  # on by default
            shape.direct = Counted(shape.direct) if direct else None
            await stack.enter_async_context(server.session_manager.run())
            built.append((app, server))
        yield built


@pytest.fixture
def apps(servers: list[tuple[Any, Any]]) -> tuple[Any, Any]:
    """(direct, sdk): the streamable HTTP app with the direct answer, and one without it."""
    return servers[0][0], servers[1][0]


def _calls(era: str | None) -> list[tuple[str, dict[str, Any] | None]]:
    return [
        ("ping", None),
        ("tools/list", None),
        ("tools/call", {"name": "search_models", "arguments": {"search": "gpt", "page_size": 3}}),
        ("tools/call", {"name": "search_models", "arguments": {"search": "café ☕ 𝄞", "page_size": 2}}),
        ("tools/call", {"name": "get_model", "arguments": {"model_id": "gpt-4.1"}}),
        ("tools/call", {"name": "get_model", "arguments": {"model_id": "gpt-4.1", "view": "full"}}),
        ("tools/call", {"name": "get_model", "arguments": {}}),
        ("tools/call", {"name": "search_models", "arguments": {"page_size": "many"}}),  # invalid: isError
        ("tools/call", {"name": "get_model", "arguments": {"model_id": "no-such-model-name"}}),
        ("tools/call", {"name": "no_such_tool", "arguments": {}}),  # -32602
        ("tools/call", {"arguments": {}}),  # no name: -32602
        ("tools/call", {"name": "get_model", "arguments": "not an object"}),
        ("resources/list", None),
        ("resources/templates/list", None),
        ("resources/read", {"uri": DOCS_URI}),
        ("resources/read", {"uri": "glow://nothing/here"}),
        ("prompts/list", None),
        ("prompts/get", {"name": "no-such-prompt"}),
        (
            "completion/complete",
            {
                "ref": {"type": "ref/resource", "uri": "glow://models/{model_id}/docs"},
                "argument": {"name": "model_id", "value": "gpt"},
            },
        ),
        ("logging/setLevel", {"level": "debug"}),
        ("tools/list", {"cursor": "abc"}),
        ("no/such/method", None),
    ]


ERAS = [None, *HANDSHAKE_PROTOCOL_VERSIONS, MODERN]


@pytest.mark.parametrize("era", ERAS, ids=lambda e: e or "no-version-header")
async def test_direct_answers_are_the_sdks_byte_for_byte(apps: tuple[Any, Any], era: str | None) -> None:
    direct, sdk = apps
    calls = _calls(era)
    for index, (method, params) in enumerate(_calls(era)):
        rid: Any = index if index % 2 else f"req-{index}"
        body, headers = request(era, method, params, rid=rid)
        got = await post(direct, body, headers)
        want = await post(sdk, body, headers)
        label = f"{era} {method} {json.dumps(params)[:80]}"
        assert got[0] == want[0], label
        assert sorted(got[1]) == sorted(want[1]), label
        assert got[2] == want[2], f"{label}\n direct: {got[2][:300]!r}\n sdk:    {want[2][:300]!r}"
        answer = json.loads(got[2])
        assert answer["id"] == rid, label
    assert _message_shape(direct).direct.answered == len(calls)  # every one answered directly


async def test_real_answers_come_back(apps: tuple[Any, Any]) -> None:
    """The compared answers are real ones: a search finds the seeded models by name."""
    direct, _ = apps
    for era in (HANDSHAKE_PROTOCOL_VERSIONS[-1], MODERN):
        body, headers = request(era, "tools/call", {"name": "search_models", "arguments": {"search": "gpt-4.1"}})
        status, _, content = await post(direct, body, headers)
        assert status == 200
        result = json.loads(content)["result"]
        assert result.get("isError") is not True
        assert "gpt-4.1" in result["content"][0]["text"]


@pytest.mark.parametrize(
    "case",
    [
        "accept-sse-only",
        "accept-any",
        "modern-without-envelope",
        "modern-method-header-mismatch",
        "modern-duplicated-routing-header",
        "modern-name-header-mismatch",
        "unknown-version",
        "initialize",
        "modern-undeclared-param-header",
    ],
)
async def test_edge_requests_get_the_sdks_answer(apps: tuple[Any, Any], case: str) -> None:
    """Requests the direct answer leaves to the SDK, or checks with the SDK's own functions."""
    direct, sdk = apps
    call = {"name": "get_model", "arguments": {"model_id": "gpt-4.1"}}
    if case == "accept-sse-only":
        body, headers = request(HANDSHAKE_PROTOCOL_VERSIONS[-1], "tools/list", accept="text/event-stream")
    elif case == "accept-any":
        body, headers = request(MODERN, "tools/call", call, accept="*/*")
    elif case == "modern-without-envelope":
        body, headers = request(MODERN, "tools/list", {"_meta": {}})
    elif case == "modern-method-header-mismatch":
        body, headers = request(MODERN, "tools/list")
        headers = [(k, b"tools/call" if k == b"mcp-method" else v) for k, v in headers]
    elif case == "modern-duplicated-routing-header":
        body, headers = request(MODERN, "tools/call", call)
        headers = [*headers, (b"mcp-name", b"get_model")]
    elif case == "modern-name-header-mismatch":
        body, headers = request(MODERN, "tools/call", call)
        headers = [(k, b"search_models" if k == b"mcp-name" else v) for k, v in headers]
    elif case == "unknown-version":
        body, headers = request("2099-01-01", "tools/list")
    elif case == "modern-undeclared-param-header":  # no tool declares x-mcp-header: nothing to compare
        body, headers = request(MODERN, "tools/call", call)
        headers = [*headers, (b"mcp-param-model-id", b"something-else")]
    else:
        params = {
            "protocolVersion": HANDSHAKE_PROTOCOL_VERSIONS[-1],
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        }
        body, headers = request(None, "initialize", params)
    got = await post(direct, body, headers)
    want = await post(sdk, body, headers)
    assert (got[0], sorted(got[1]), got[2]) == (want[0], sorted(want[1]), want[2])
    left_to_the_sdk = case in ("accept-sse-only", "unknown-version", "initialize")
    assert _message_shape(direct).direct.answered == (0 if left_to_the_sdk else 1)
    if case in ("modern-method-header-mismatch", "modern-duplicated-routing-header", "modern-name-header-mismatch"):
        assert got[0] == 400 and b'"error"' in got[2]  # refused, as the SDK refuses it


@pytest.mark.parametrize("header", [None, b"gpt", b"something-else", b"=?base64?Z3B0?="])
async def test_declared_param_headers_are_checked_as_the_sdk_checks_them(
    servers: list[tuple[Any, Any]], header: bytes | None
) -> None:
    """A tool whose input schema declares ``x-mcp-header`` gets the SDK's ``Mcp-Param-*`` check on
    the direct path too (the direct path skips it only for tools that declare none), and a schema
    replaced at run time is seen."""
    (direct, _), (sdk, _) = servers
    for _, server in servers:
        tool = server._tool_manager.get_tool("search_models")
        assert tool is not None
        schema = json.loads(json.dumps(tool.parameters))
        # a plain string property: the SDK checks an annotation only there (``anyOf`` is refused)
        schema["properties"]["search"] = {"type": "string", "x-mcp-header": "Search"}
        tool.parameters = schema
    body, headers = request(MODERN, "tools/call", {"name": "search_models", "arguments": {"search": "gpt"}})
    if header is not None:
        headers = [*headers, (b"mcp-param-search", header)]
    got = await post(direct, body, headers)
    want = await post(sdk, body, headers)
    assert (got[0], sorted(got[1]), got[2]) == (want[0], sorted(want[1]), want[2])
    if header in (None, b"something-else"):
        assert got[0] == 400 and b"Mcp-Param-Search" in got[2]  # missing or different: refused
    else:
        assert got[0] == 200 and b"gpt" in got[2]


async def test_a_refused_host_is_logged_clipped(apps: tuple[Any, Any], caplog: pytest.LogCaptureFixture) -> None:
    """The SDK's Host check logs the refused header; a 60 KB one made a 60 KB warning per request
    (before any authentication). It is clipped to ``REQUEST_LOG_CHARS``."""
    direct, _ = apps
    body, headers = request(MODERN, "tools/list")
    huge = b"evil-" + b"x" * 60_000 + b".example"
    headers = [(b"host", huge) if k == b"host" else (k, v) for k, v in headers]
    with caplog.at_level(logging.WARNING, logger="mcp.server.transport_security"):
        status, _, _ = await post(direct, body, headers)
    assert status == 421
    (record,) = [r for r in caplog.records if r.name == "mcp.server.transport_security"]
    message = record.getMessage()
    assert message.startswith("Invalid Host header: evil-xxx") and len(message) < REQUEST_LOG_CHARS + 40
    assert message.endswith("more characters)")
