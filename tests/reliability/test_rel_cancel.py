"""Cancellation: when the MCP client gives up on a call, the upstream request is cancelled too.

The fault server hangs on ``search`` and records when the client side closes the connection.
Upstream timeouts are long here (read 20 s, total 30 s), so a closed connection within a second
of the cancel can only come from the cancellation, never from a timeout.

Covered: in-process client with JSON-RPC framing (cancel scope and client timeout, both send
``notifications/cancelled``), a stdio subprocess, and streamable HTTP where the client closes its
POST (the 2026-07-28 cancel signal over HTTP; both envelopes). Server shutdown cancelling the
upstream request is in ``test_rel_signals.py``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from rel_support import FaultServer, fast_settings
from support import clean_env, serving, text_of

from glow_models_mcp.server import build_server

# Every test here uses loopback sockets or subprocesses.
pytestmark = [pytest.mark.anyio, pytest.mark.process]

CANCEL_AFTER = 0.5
CLOSE_WITHIN = 1.5


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    with FaultServer(modes={"search": "hang"}) as fs:
        yield fs


def _slow_settings(url: str) -> Any:
    return fast_settings(url, read_timeout=20, total_timeout=30)


async def _assert_upstream_closed(fault: FaultServer, cancelled_at: float) -> None:
    assert await fault.until(lambda: fault.count("search") == 1 and fault.of("search")[0].closed is not None, 5), (
        "the upstream request was not cancelled"
    )
    closed = fault.of("search")[0].closed
    assert closed is not None and closed - cancelled_at < CLOSE_WITHIN, closed - cancelled_at


async def test_cancel_scope_cancels_the_upstream_request(fault: FaultServer) -> None:
    async with Client(build_server(_slow_settings(fault.url)), mode="legacy") as client:
        with anyio.move_on_after(CANCEL_AFTER) as scope:
            await client.call_tool("search_models", {})
        assert scope.cancelled_caught
        await _assert_upstream_closed(fault, time.monotonic())
        # The server keeps serving after the cancellation.
        result = await client.call_tool("get_model_docs", {})
        assert not result.is_error, text_of(result)


async def test_client_timeout_cancels_the_upstream_request(fault: FaultServer) -> None:
    async with Client(build_server(_slow_settings(fault.url)), mode="legacy") as client:
        with pytest.raises(MCPError, match="timed out"):
            await client.call_tool("search_models", {}, read_timeout_seconds=CANCEL_AFTER)
        await _assert_upstream_closed(fault, time.monotonic())
        assert not (await client.call_tool("get_model_docs", {})).is_error


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_cancel_over_stdio_cancels_the_upstream_request(fault: FaultServer, mode: str) -> None:
    env = clean_env(
        GLOW_INSTANCE_URL=fault.url, GLOW_API_KEY="k", GLOW_TOKEN="t", GLOW_READ_TIMEOUT="20", GLOW_TIMEOUT="30"
    )
    params = StdioServerParameters(command=sys.executable, args=["-m", "glow_models_mcp"], env=env)
    async with Client(params, mode=mode) as client:
        with anyio.move_on_after(CANCEL_AFTER + 1.0):  # + process start-up
            await client.call_tool("search_models", {})
        await _assert_upstream_closed(fault, time.monotonic())
        assert not (await client.call_tool("get_model_docs", {})).is_error


def _raw_call(envelope: str) -> tuple[dict[str, str], dict[str, Any]]:
    body: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "search_models", "arguments": {}},
    }
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": envelope}
    if envelope == "2026-07-28":
        headers |= {"Mcp-Method": "tools/call", "Mcp-Name": "search_models"}
        body["params"]["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": envelope,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    return headers, body


@pytest.mark.parametrize("envelope", ["2025-11-25", "2026-07-28"])
async def test_http_client_closing_its_request_cancels_the_upstream_request(fault: FaultServer, envelope: str) -> None:
    """Over streamable HTTP the server notices the closed POST and cancels the tool call (the
    stateless JSON mode of the SDK alone would let the upstream request run to its timeout)."""
    settings = _slow_settings(fault.url)
    server = build_server(settings)
    headers, body = _raw_call(envelope)
    with serving(server, settings, "http") as running:
        async with httpx2.AsyncClient(timeout=10) as http:
            # Sanity: the same envelope works for a healthy call.
            ok_headers, ok_body = _raw_call(envelope)
            ok_body["params"]["name"] = "get_model_docs"
            if "Mcp-Name" in ok_headers:
                ok_headers["Mcp-Name"] = "get_model_docs"
            ok = await http.post(f"{running.url}/mcp", json=ok_body, headers=ok_headers)
            assert ok.status_code == 200 and ok.json()["result"]["isError"] is False, ok.text

            with anyio.move_on_after(CANCEL_AFTER):
                await http.post(f"{running.url}/mcp", json=body, headers=headers)
            await _assert_upstream_closed(fault, time.monotonic())

            ok = await http.post(f"{running.url}/mcp", json=ok_body, headers=ok_headers)
            assert ok.status_code == 200 and ok.json()["result"]["isError"] is False
