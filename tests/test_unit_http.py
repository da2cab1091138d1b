"""The HTTP message endpoints' own answers, in process (ASGI calls, no socket): what reaches the
SDK is one JSON-RPC message, whole, in UTF-8 JSON; anything else is answered here in JSON-RPC."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from glow_models_mcp import http_app
from glow_models_mcp.server import build_server
from glow_models_mcp.settings import Settings

pytestmark = pytest.mark.anyio

PATHS = {"http": "/mcp", "sse": "/messages/"}


async def _post(
    transport: str,
    chunks: list[bytes | None],
    content_type: str = "application/json",
    *,
    length: int | None = None,
    stall: bool = False,
) -> tuple[int | None, bytes]:
    """POST ``chunks`` (``None``: the client disconnects there; ``stall``: more is announced, none comes)."""
    settings = Settings(instance_url="http://127.0.0.1:9", max_request_bytes=1000)
    app = http_app.build_http_app(build_server(settings), settings, transport)
    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", content_type.encode())]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http", "method": "POST", "path": PATHS[transport], "raw_path": PATHS[transport].encode(),
        "root_path": "", "query_string": b"session_id=0" if transport == "sse" else b"", "headers": headers,
        "scheme": "http", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5000), "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }  # fmt: skip
    queue = list(chunks)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not queue:
            await anyio.sleep_forever()
        chunk = queue.pop(0)
        if chunk is None:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunk, "more_body": stall or bool(queue)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with anyio.fail_after(10):
        await app(scope, receive, send)
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), None)
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.mark.parametrize("transport", PATHS)
async def test_a_body_that_stalls_is_cut_off_with_408(transport: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_app, "BODY_READ_SECONDS", 0.2)
    status, body = await _post(transport, [b'{"jsonrpc":"2.0",', b'"id":1,'], stall=True)
    assert status == 408 and json.loads(body)["error"]["code"] == -32600


@pytest.mark.parametrize("transport", PATHS)
async def test_a_client_gone_mid_body_gets_nothing_and_breaks_nothing(transport: str) -> None:
    assert await _post(transport, [b'{"jsonrpc"', None]) == (None, b"")


@pytest.mark.parametrize("transport", PATHS)
async def test_bytes_that_are_not_utf8_are_a_jsonrpc_parse_error(transport: str) -> None:
    status, body = await _post(transport, [b'{"jsonrpc":"2.0","id":7,"method":"ping","params":{"x":"\xff"}}'])
    error = {"code": -32700, "message": "Parse error: not valid UTF-8 (RFC 8259 §8.1)"}
    assert status == 400 and json.loads(body) == {"jsonrpc": "2.0", "id": 7, "error": error}  # as on stdio


@pytest.mark.parametrize("transport", PATHS)
@pytest.mark.parametrize("charset", ["latin-1", "utf-16", '"iso-8859-1"'])
async def test_a_charset_other_than_utf8_is_415(transport: str, charset: str) -> None:
    status, _ = await _post(transport, [b"{}"], f"application/json; charset={charset}")
    assert status == 415


@pytest.mark.parametrize("transport", PATHS)
@pytest.mark.parametrize("declared", [True, False])
async def test_a_body_over_the_cap_is_413_in_jsonrpc_naming_the_setting(transport: str, declared: bool) -> None:
    chunks: list[bytes | None] = [b"[" + b"1," * 300, b"1," * 300 + b"1]"]
    length = sum(len(c or b"") for c in chunks) if declared else None
    status, body = await _post(transport, chunks, length=length)
    error = json.loads(body)["error"]
    assert status == 413 and "over 1000 bytes (GLOW_MCP_MAX_REQUEST_BYTES)" in error["message"]
