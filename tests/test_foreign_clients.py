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
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import clean_env, server_command

FOREIGN = Path(__file__).resolve().parent / "foreign"
CLIENT = FOREIGN / "client.mjs"
NODE_MODULES = FOREIGN / "node_modules"
NODE = shutil.which("node")
NPX = shutil.which("npx")

TOOLS = sorted(
    [
        "get_model",
        "search_models",
        "create_models",
        "update_models",
        "duplicate_model",
        "delete_models",
        "patch_model_draft",
        "list_model_drafts",
        "get_model_docs",
        "export_models",
        "refresh_models",
    ]
)
READ_ONLY = sorted(["get_model", "search_models", "list_model_drafts", "get_model_docs"])

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-4000:]
    except OSError:
        return ""


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode} before listening:\n{_read(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"server did not listen on {port} within {timeout} s:\n{_read(log)}")


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
    port = _free_port()
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
        _wait_listening(port, proc, log)
        yield f"http://127.0.0.1:{port}" + ("/sse" if transport == "sse" else "/mcp")
    finally:
        _stop(proc)


def _run(cmd: list[str], *, timeout: float = 60, cwd: Path = FOREIGN) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout)
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
    assert summary["tools"] == TOOLS and len(summary["tools"]) == 11
    assert summary["read_only_tools"] == READ_ONLY
    # Every tool has an outputSchema, the SDK compiled a validator for each, and it validated every call.
    assert summary["tools_with_output_schema"] == 11
    assert summary["output_validators_cached"] == 11
    assert summary["structured_validations"] == summary["tool_calls"] > 0
    assert summary["validation_failures"] == 0
    assert summary["schema_self_probes_rejected"] >= 11  # the cached validators reject wrong shapes
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
