"""Regressions from a newcomer's hostile session: each test reproduces a reported failure."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client
from support import TOOL_NAMES, ReferenceAPI, clean_env, server_command

from glow_models_mcp.cli import build_parser
from glow_models_mcp.http_app import check_http_exposure
from glow_models_mcp.server import build_server
from glow_models_mcp.settings import Settings

pytestmark = pytest.mark.anyio

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


@pytest.mark.process
def test_stdio_answers_unparseable_lines_and_keeps_serving() -> None:
    deep = (
        '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_model","arguments":{"model_id":'
        + "[" * 1000
        + "]" * 1000
        + "}}}"
    )
    surrogate = '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_models","arguments":{"search":"\\ud800"}}}'
    lines = [
        json.dumps(INIT),
        deep,
        surrogate,
        "not json at all",
        json.dumps({"jsonrpc": "2.0", "id": 4, "method": "tools/list"}),
    ]
    started = time.monotonic()
    proc = subprocess.run(
        server_command("--sandbox"),
        input=("\n".join(lines) + "\n").encode(),
        capture_output=True,
        env=clean_env(),
        timeout=60,
    )
    assert time.monotonic() - started < 20, "EOF must not wait for requests that were never accepted"
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr.decode()[-2000:]
    replies = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    errors = {r["id"]: r["error"]["code"] for r in replies if "error" in r}
    assert errors.get(3) == -32600 and errors.get(None) == -32700
    listed = next(r for r in replies if r.get("id") == 4)["result"]["tools"]
    assert [t["name"] for t in listed] == list(TOOL_NAMES)


@pytest.mark.parametrize(
    ("argv", "field", "value"),
    [
        (["--read-only", "serve", "--sandbox"], "read_only", True),
        (["--sandbox", "serve"], "sandbox", True),
        (["doctor", "--sandbox"], "sandbox", True),
        (["--sandbox", "doctor"], "sandbox", True),
        (["--port", "9100", "serve"], "port", 9100),
    ],
)
def test_flags_before_or_after_the_subcommand_both_count(argv: list[str], field: str, value: Any) -> None:
    assert getattr(build_parser().parse_args(argv), field) == value


def test_empty_http_token_does_not_disable_the_remote_bind_check() -> None:
    settings = Settings(host="0.0.0.0", http_token="", allowed_hosts=["mcp.example.org"])
    assert settings.http_token is None
    with pytest.raises(ValueError, match="GLOW_MCP_HTTP_TOKEN"):
        check_http_exposure(settings)


def test_hostname_starting_with_127_is_not_loopback() -> None:
    assert not Settings(host="127.evil.example").is_loopback
    assert Settings(host="127.0.0.2").is_loopback and Settings(host="::1").is_loopback


async def test_an_applied_write_over_the_size_limit_is_not_reported_as_a_failure(
    reference_api: ReferenceAPI,
) -> None:
    marker = uuid.uuid4().hex[:8]
    async with Client(reference_api.server(max_result_tokens=20), mode="legacy") as client:
        result = await client.call_tool("create_models", {"models": [{"name": f"big-{marker}-{i}"} for i in range(5)]})
        text = _text(result)
        assert not result.is_error, text
        assert len(text) > 20 * 4  # over the limit: the summary of an applied write still stays whole
        assert text.startswith("Created 5 model(s)") and "The write was applied" in text
        ids = [r["model_id"] for r in result.structured_content["results"]]
        await client.call_tool("delete_models", {"model_ids": ids})


async def test_a_failed_batch_over_the_size_limit_still_says_what_failed(reference_api: ReferenceAPI) -> None:
    async with Client(reference_api.server(max_result_tokens=60), mode="legacy") as client:
        result = await client.call_tool("create_models", {"models": [{}, {}, {}]})
        text = _text(result)
        assert result.is_error
        # The failure, not "ask for less": the per-item results alone are left out.
        assert text.startswith("create_models: nothing was written, because 3 item(s) failed"), text
        assert "name: Name is required" in text and "are left out" in text and "Ask for less" not in text


@pytest.fixture
def silent_upstream() -> Iterator[str]:
    """Accepts connections, reads the request, never answers; 302 for paths under /redirect."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    sock.close()


@pytest.mark.process
async def test_a_write_that_timed_out_warns_it_may_have_been_applied(silent_upstream: str, make_settings: Any) -> None:
    settings = make_settings(silent_upstream, read_timeout=0.5, total_timeout=2, connect_timeout=0.5)
    async with Client(build_server(settings), mode="legacy") as client:
        write = await client.call_tool("create_models", {"models": [{"name": "x"}]})
        assert write.is_error and "MAY HAVE BEEN APPLIED" in _text(write) and "search_models" in _text(write)
        read = await client.call_tool("search_models", {})
        assert read.is_error and "MAY HAVE BEEN APPLIED" not in _text(read)


@pytest.mark.process
def test_malformed_upstream_url_is_named_without_the_value() -> None:
    env = clean_env(GLOW_INSTANCE_URL="glow.example.org")
    proc = subprocess.run(server_command(), input=b"", capture_output=True, env=env, timeout=30)
    assert proc.returncode == 2 and b"GLOW_INSTANCE_URL" in proc.stderr and b"Traceback" not in proc.stderr


async def test_integer_arguments_refuse_what_a_careful_reader_would(
    mcp_client: Any, reference_api: ReferenceAPI
) -> None:
    """Numeric strings and integral floats are read as integers (tests/test_agent_views.py); booleans,
    fractions and out-of-range values are refused before anything is sent."""
    log = reference_api.request_log
    start = len(log)
    for value in (True, "five", 2.5, "2.5", 1001, "1001", 2**70):
        result = await mcp_client.call_tool("search_models", {"page_size": value})
        assert result.is_error and "- page_size:" in _text(result), value
    draft = await mcp_client.call_tool("patch_model_draft", {"expected_version": -1})
    assert draft.is_error and "- expected_version:" in _text(draft)
    assert len(log) == start


@pytest.mark.process
def test_sandbox_with_an_unusable_database_file_is_a_clear_error(tmp_path: Any) -> None:
    bad = tmp_path / "garbage.db"
    bad.write_text("not a database")
    for path in (str(bad), str(tmp_path / "missing-dir" / "x.db")):
        proc = subprocess.run(server_command("sandbox", "--db", path, "--port", "0"), capture_output=True, timeout=30)
        assert proc.returncode == 2 and b"cannot use the database file" in proc.stderr
        assert b"Traceback" not in proc.stderr


@pytest.mark.process
def test_unknown_tool_name_stops_before_the_embedded_sandbox_starts() -> None:
    proc = subprocess.run(
        server_command("--sandbox", "--tools", "get_model,nope"),
        input=b"",
        capture_output=True,
        env=clean_env(),
        timeout=30,
    )
    assert proc.returncode == 2 and b"unknown tool name(s): nope" in proc.stderr
    assert b"embedded reference API" not in proc.stderr


@pytest.mark.process
def test_an_instance_url_with_the_api_path_or_a_query_stops_the_server() -> None:
    for url, fix in (
        ("http://127.0.0.1:18800/api/v5", b"set GLOW_INSTANCE_URL to http://127.0.0.1:18800"),
        ("https://glow.example.org/?tenant=1", b"has a query or fragment"),
    ):
        proc = subprocess.run(
            server_command(), input=b"", capture_output=True, env=clean_env(GLOW_INSTANCE_URL=url), timeout=30
        )
        assert proc.returncode == 2, proc.stderr
        assert fix in proc.stderr and b"Traceback" not in proc.stderr, proc.stderr


@pytest.mark.process
def test_a_selection_that_leaves_no_tool_stops_the_server() -> None:
    proc = subprocess.run(
        server_command("--sandbox", "--read-only", "--tools", "create_models"),
        input=b"",
        capture_output=True,
        env=clean_env(),
        timeout=30,
    )
    assert proc.returncode == 2 and b"no tool is left to serve" in proc.stderr, proc.stderr
