"""The server as users start it: a stdio subprocess, streamable HTTP and SSE, and the CLI's rules."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from support import (
    SANDBOX_API_KEY,
    SUPERADMIN_TOKEN,
    TOOL_NAMES,
    clean_env,
    free_port,
    server_command,
    wait_listening,
)

pytestmark = [pytest.mark.anyio, pytest.mark.process]


def _env(sandbox: Any) -> dict[str, str]:
    return clean_env(GLOW_INSTANCE_URL=sandbox.url, GLOW_API_KEY=SANDBOX_API_KEY, GLOW_TOKEN=SUPERADMIN_TOKEN)


def _names(tools: list[Any]) -> list[str]:
    """Tool names of a ``tools/list`` answer (SDK objects or raw JSON dicts)."""
    return [t["name"] if isinstance(t, dict) else t.name for t in tools]


def test_stdio_stdout_carries_only_json_rpc(sandbox: Any) -> None:
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "search_models", "arguments": {"search": "gpt"}},
        },
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "get_model", "arguments": {"model_id": "bad"}},
        },
        {"jsonrpc": "2.0", "id": 5, "method": "resources/read", "params": {"uri": "glow://models/docs"}},
    ]
    stdin = "".join(json.dumps(m) + "\n" for m in messages)
    env = _env(sandbox) | {"GLOW_MCP_LOG_LEVEL": "DEBUG"}
    proc = subprocess.run(server_command(), input=stdin.encode(), capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode().splitlines()
    replies = [json.loads(line) for line in lines]  # every stdout line is JSON
    assert all(r["jsonrpc"] == "2.0" for r in replies)
    by_id = {r["id"]: r for r in replies if "id" in r}
    assert set(by_id) == {1, 2, 3, 4, 5}
    assert _names(by_id[2]["result"]["tools"]) == list(TOOL_NAMES)
    assert by_id[3]["result"]["isError"] is False and by_id[3]["result"]["structuredContent"]["models"]
    assert by_id[4]["result"]["isError"] is True
    assert json.loads(by_id[5]["result"]["contents"][0]["text"])["api_operations"]
    assert b"tool search_models" in proc.stderr  # logs went to stderr
    assert b"Traceback" not in proc.stderr


async def test_stdio_session_with_sdk_client(sandbox: Any) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "glow_models_mcp"], env=_env(sandbox))
    async with Client(params, mode="legacy") as client:
        assert _names((await client.list_tools()).tools) == list(TOOL_NAMES)
        result = await client.call_tool("search_models", {"search": "gemini"})
        assert not result.is_error
        assert all("gemini" in m["name"] for m in result.structured_content["models"])


async def test_streamable_http_session(sandbox: Any) -> None:
    port = free_port()
    cmd = server_command("--transport", "http", "--port", str(port))
    proc = subprocess.Popen(cmd, env=_env(sandbox), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_listening(port, proc)
        for mode in ("auto", "legacy"):
            async with Client(f"http://127.0.0.1:{port}/mcp", mode=mode) as client:
                assert _names((await client.list_tools()).tools) == list(TOOL_NAMES)
                result = await client.call_tool("get_model", {})
                assert not result.is_error and result.structured_content["options"]["providers"]["items"]
                docs = await client.read_resource("glow://models/docs")
                assert json.loads(docs.contents[0].text)["name"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert b"Traceback" not in err


async def test_sse_session(sandbox: Any) -> None:
    port = free_port()
    proc = subprocess.Popen(
        server_command("--transport", "sse", "--port", str(port)),
        env=_env(sandbox),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(port, proc)
        async with Client(sse_client(f"http://127.0.0.1:{port}/sse"), mode="legacy") as client:
            assert _names((await client.list_tools()).tools) == list(TOOL_NAMES)
            result = await client.call_tool("search_models", {"search": "gpt", "page_size": 2})
            assert not result.is_error and len(result.structured_content["models"]) == 2
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert b"Traceback" not in err


def test_sandbox_flag_answers_tools_list_over_stdio() -> None:
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "search_models", "arguments": {}}},
    ]
    stdin = "".join(json.dumps(m) + "\n" for m in messages).encode()
    proc = subprocess.run(server_command("--sandbox"), input=stdin, capture_output=True, env=clean_env(), timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    replies = {r["id"]: r for r in map(json.loads, proc.stdout.decode().splitlines())}
    assert _names(replies[2]["result"]["tools"]) == list(TOOL_NAMES)
    assert replies[3]["result"]["structuredContent"]["total_count"] == 25


def test_without_instance_url_the_server_stops_at_once() -> None:
    started = time.monotonic()
    proc = subprocess.run(server_command(), input=b"", capture_output=True, env=clean_env(), timeout=30)
    assert proc.returncode == 2
    assert b"GLOW_INSTANCE_URL is not set" in proc.stderr and b"--sandbox" in proc.stderr
    assert proc.stdout == b""
    assert time.monotonic() - started < 10


def test_unknown_tool_name_stops_the_server_and_lists_valid_names() -> None:
    env = clean_env(GLOW_INSTANCE_URL="http://127.0.0.1:9", GLOW_MCP_EXCLUDE_TOOLS="delete_model")
    proc = subprocess.run(server_command(), input=b"", capture_output=True, env=env, timeout=30)
    assert proc.returncode == 2
    assert b"unknown tool name(s): delete_model" in proc.stderr and b"delete_models" in proc.stderr


def test_version_flag() -> None:
    from glow_models_mcp import __version__

    proc = subprocess.run(server_command("--version"), capture_output=True, timeout=30)
    assert proc.returncode == 0 and proc.stdout.decode().strip() == f"glow-models-mcp {__version__}"


def test_json_log_lines_carry_tool_status_and_duration(sandbox: Any) -> None:
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "search_models", "arguments": {"search": "gpt"}},
        },
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "get_model", "arguments": {"model_id": "00000000-0000-0000-0000-000000000001"}},
        },
    ]
    stdin = "".join(json.dumps(m) + "\n" for m in messages).encode()
    proc = subprocess.run(
        server_command("--log-json", "--log-level", "info"),
        input=stdin,
        capture_output=True,
        env=_env(sandbox),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    records = [json.loads(line) for line in proc.stderr.decode().splitlines() if line.startswith("{")]
    calls = {r["tool"]: r for r in records if "tool" in r}
    assert calls["search_models"]["upstream_status"] == 200 and calls["search_models"]["outcome"] == "ok"
    assert calls["get_model"]["upstream_status"] == 404 and calls["get_model"]["outcome"] == "error"
    assert all(isinstance(r["duration_ms"], float) and r["level"] == "INFO" for r in calls.values())
    assert SUPERADMIN_TOKEN.encode() not in proc.stderr


@pytest.mark.process
def test_log_json_keeps_every_stderr_line_json_with_the_embedded_reference_api() -> None:
    """``--sandbox --log-json``: the line that says where the embedded reference API serves is a
    JSON object like the log lines (a plain-text line broke JSON log collectors)."""
    proc = subprocess.run(
        server_command("--sandbox", "--log-json", "--log-level", "debug"),
        input=b"",
        capture_output=True,
        env=clean_env(),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stderr.decode().splitlines()
    records = [json.loads(line) for line in lines]  # every line parses
    assert any("embedded reference API" in r["message"] and r["level"] == "INFO" for r in records), lines
