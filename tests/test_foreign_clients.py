"""Proof with clients we did not write: the official TypeScript SDK client and the MCP Inspector CLI.

``tests/foreign/client.mjs`` (TypeScript SDK ``Client``) connects to our server over stdio, SSE and
streamable HTTP in turn; it lists tools, resources and templates, calls every read-only tool,
creates a model, finds it, deletes it and checks it is gone, and reads the docs resource. The SDK
client validates each ``structuredContent`` against the tool's ``outputSchema`` itself (the script
proves the validation ran). The Inspector's ``--cli`` mode lists our tools and calls one.

Every server runs with ``--sandbox`` (the embedded reference API), so no credentials are needed.

Needs Node.js and the npm packages of ``tests/foreign`` (installed by ``npm ci --prefix tests/foreign``;
``.ci/run`` does this). Skipped, with the reason, when ``node``/``npx`` or ``tests/foreign/node_modules``
are missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import (
    READ_ONLY_TOOL_NAMES,
    TOOL_NAMES,
    clean_env,
    free_port,
    minimal_arguments,
    server_command,
    wait_listening,
)

from glow_models_mcp.tools import TOOL_SPECS

pytestmark = pytest.mark.process

FOREIGN = Path(__file__).resolve().parent / "foreign"
CLIENT = FOREIGN / "client.mjs"
NODE_MODULES = FOREIGN / "node_modules"
NODE = shutil.which("node")
NPX = shutil.which("npx")

TOOLS = sorted(TOOL_NAMES)
READ_ONLY = sorted(READ_ONLY_TOOL_NAMES)
#: Read-only tool -> the smallest arguments its schema accepts; client.mjs calls each, with a real
#: model id for "<model_id>" (derived from TOOL_SPECS, so a new read-only tool is called too).
READ_ONLY_CALLS = {
    spec.name: minimal_arguments(spec.input_schema, "<model_id>") for spec in TOOL_SPECS if spec.read_only
}

if NODE is None or NPX is None:
    pytest.skip("Node.js (node and npx) is not installed: foreign-client checks skipped", allow_module_level=True)
if (
    not (NODE_MODULES / "@modelcontextprotocol" / "sdk").is_dir()
    or not (NODE_MODULES / "@modelcontextprotocol" / "inspector").is_dir()
):
    pytest.skip(
        "tests/foreign/node_modules is missing: run `npm ci --prefix tests/foreign` to enable the foreign-client checks",
        allow_module_level=True,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def http_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Our server with ``--sandbox`` over ``request.param`` (``sse`` or ``http``) on a free port; its URL."""
    transport = request.param
    port = free_port()
    log = tmp_path / f"server-{transport}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            server_command("--sandbox", "--transport", transport, "--port", str(port)),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_env(),
        )
    try:
        wait_listening(port, proc, log=log)
        yield f"http://127.0.0.1:{port}" + ("/sse" if transport == "sse" else "/mcp")
    finally:
        _stop(proc)


def _run(cmd: list[str], *, timeout: float = 60, cwd: Path = FOREIGN) -> subprocess.CompletedProcess[str]:
    # client.mjs takes the expected tool names from here (TOOL_SPECS), not from a copy of its own.
    env = clean_env(
        EXPECTED_TOOLS=",".join(TOOLS),
        EXPECTED_READ_ONLY_TOOLS=",".join(READ_ONLY),
        READ_ONLY_CALLS=json.dumps(READ_ONLY_CALLS),
    )
    try:
        return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"timed out after {timeout} s: {cmd}\nstderr:\n{exc.stderr}") from None


def _run_client(transport: str, *target: str) -> dict[str, Any]:
    proc = _run([NODE or "node", str(CLIENT), transport, *target])
    assert proc.returncode == 0, f"client.mjs over {transport} failed ({proc.returncode}):\n{proc.stderr[-6000:]}"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, f"client.mjs printed no summary; stderr:\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1])


def _check_summary(summary: dict[str, Any], transport: str) -> None:
    assert summary["ok"] is True
    assert summary["transport"] == transport
    assert summary["sdk_version"].startswith("1.")  # the official TypeScript SDK, pinned in package-lock.json
    assert summary["server"]["name"] == "glow-models-mcp"
    assert summary["protocol_version"]  # negotiated through initialize
    assert summary["tools"] == TOOLS
    assert summary["expected_tools_checked"] is True  # client.mjs compared them itself too
    assert summary["read_only_tools"] == READ_ONLY
    # Every tool has an outputSchema, the SDK compiled a validator for each, and it validated every call.
    assert summary["tools_with_output_schema"] == len(TOOLS)
    assert summary["output_validators_cached"] == len(TOOLS)
    assert summary["structured_validations"] == summary["tool_calls"] > 0
    assert summary["validation_failures"] == 0
    # The cached validators reject wrong shapes: one probe per tool, plus two on a real search result.
    assert summary["schema_self_probes_rejected"] == len(TOOLS) + 2
    assert summary["read_only_calls_given"] is True and summary["read_only_calls"] == READ_ONLY
    assert set(READ_ONLY) <= set(summary["tools_called"])
    assert {"create_models", "delete_models"} <= set(summary["tools_called"])
    assert "glow://models/docs" in summary["resources"]
    assert summary["resource_templates"] == ["glow://exports/{upload_id}", "glow://models/{model_id}/docs"]
    assert summary["option_sections"] > 0
    assert summary["models_total"] > 0
    # The created model was found by search, then gone after delete.
    assert summary["created_name"].startswith(f"foreign-{transport}-")
    assert summary["created_id"]
    assert summary["created_found"] is True
    assert summary["deleted_gone"] is True
    assert summary["docs_resource_bytes"] > 0


def test_typescript_sdk_client_over_stdio() -> None:
    summary = _run_client("stdio", *server_command("--sandbox"))
    _check_summary(summary, "stdio")


@pytest.mark.parametrize("http_server", ["sse"], indirect=True)
def test_typescript_sdk_client_over_sse(http_server: str) -> None:
    _check_summary(_run_client("sse", http_server), "sse")


@pytest.mark.parametrize("http_server", ["http"], indirect=True)
def test_typescript_sdk_client_over_streamable_http(http_server: str) -> None:
    _check_summary(_run_client("http", http_server), "http")


def _inspector(*method_args: str) -> Any:
    """``npx @modelcontextprotocol/inspector --cli <our stdio server> <method args>``; its JSON output."""
    # No npx flags: the package resolves from tests/foreign/node_modules (cwd). Beware `npx --no`,
    # which makes npm swallow the following options (--cli included) and start the web UI instead.
    cmd = [NPX or "npx", "@modelcontextprotocol/inspector", "--cli", *server_command("--sandbox"), *method_args]
    proc = _run(cmd)
    assert proc.returncode == 0, f"Inspector CLI failed ({proc.returncode}): {cmd}\n{proc.stderr[-4000:]}"
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise AssertionError(
            f"Inspector CLI printed no JSON:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-2000:]}"
        ) from None


def test_inspector_cli_lists_tools() -> None:
    listed = _inspector("--method", "tools/list")
    tools = {t["name"]: t for t in listed["tools"]}
    assert sorted(tools) == TOOLS
    assert all(t.get("outputSchema") for t in tools.values())
    assert sorted(n for n, t in tools.items() if t.get("annotations", {}).get("readOnlyHint")) == READ_ONLY


def test_inspector_cli_calls_a_tool() -> None:
    result = _inspector("--method", "tools/call", "--tool-name", "search_models", "--tool-arg", "search=gpt")
    assert result.get("isError") is not True, result
    structured = result["structuredContent"]
    assert structured["models"], structured
    assert all("gpt" in (m.get("name", "") + m.get("description", "")).lower() for m in structured["models"])
    assert result["content"][0]["type"] == "text"
