"""Secrets: ``GLOW_API_KEY``, ``GLOW_TOKEN`` and ``GLOW_MCP_HTTP_TOKEN`` never appear in logs (any
level), tool results, error texts, exception traces or ``repr`` of settings.

Each secret is a unique sentinel. Every tool runs under every fault mode of the fault server,
including a careless upstream that echoes the credentials it received back in its error bodies,
while everything is captured: all log records at DEBUG (raw records through ``caplog``, before
the redacting handler filter, so the code itself must not log secrets), every tool result and
resource text, every exception (``str``, ``repr``, formatted traceback, the whole
``__context__``/``__cause__`` chain), ``repr``/``str``/JSON of the settings. Then the same through
the real process (stdio and streamable HTTP at DEBUG, plain and JSON logs) and ``doctor``. The
only place the secrets may show up is where they belong: the upstream's request headers.
"""

from __future__ import annotations

import itertools
import json
import logging
import signal
import subprocess
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from rel_support import MODES, VALID_ARGS, FaultServer
from support import TOOL_OPERATION, clean_env, free_port, server_command, serving, text_of, wait_listening

from glow_models_mcp.exceptions import GlowError
from glow_models_mcp.server import build_server
from glow_models_mcp.settings import Settings
from glow_models_mcp.upstream import OPERATIONS, GlowClient

API_KEY = f"SENTINEL-apikey-{uuid.uuid4().hex}"
TOKEN = f"SENTINEL-token-{uuid.uuid4().hex}"
HTTP_TOKEN = f"SENTINEL-http-{uuid.uuid4().hex}"
SECRETS = (API_KEY, TOKEN, HTTP_TOKEN)
# Fragments too: a secret cut in half (e.g. by an excerpt limit) still counts as leaked.
NEEDLES = [*SECRETS, *(s[-20:] for s in SECRETS)]

TIMEOUTS = {"connect_timeout": 0.2, "read_timeout": 0.3, "total_timeout": 0.7, "max_retries": 1}
FAULT_MODES = [m for m in MODES if m != "ok"]


def _assert_clean(where: str, text: str) -> None:
    for needle in NEEDLES:
        assert needle not in text, (
            f"a secret leaked into {where}: ...{text[max(0, text.find(needle) - 200) : text.find(needle) + 100]}..."
        )


def _settings(url: str) -> Settings:
    return Settings(instance_url=url, api_key=API_KEY, token=TOKEN, http_token=HTTP_TOKEN, **TIMEOUTS)


def _exception_texts(exc: BaseException) -> list[str]:
    texts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), repr(vars(current)) if hasattr(current, "__dict__") else ""]
        texts.append("".join(traceback.format_exception(type(current), current, current.__traceback__, chain=False)))
        current = current.__cause__ or current.__context__
    return texts


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    with FaultServer(trickle_interval=0.1, retry_after="0") as fs:
        yield fs


def test_settings_never_show_secrets() -> None:
    settings = _settings("https://glow.example.org")
    texts = [repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump()), f"{settings}"]
    texts += [repr(getattr(settings, name)) for name in ("api_key", "token", "http_token")]
    texts += [repr(GlowClient(settings)), repr(build_server(settings).state)]  # type: ignore[attr-defined]
    for text in texts:
        _assert_clean("settings", text)
    assert settings.api_key is not None and settings.api_key.get_secret_value() == API_KEY  # still usable


@pytest.mark.process
@pytest.mark.anyio
async def test_every_tool_under_every_fault_leaks_nothing(
    fault: FaultServer, caplog: pytest.LogCaptureFixture, anyio_backend: str
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("", "glow_models_mcp", "mcp", "httpx2", "httpcore2", "uvicorn", "uvicorn.error", "starlette"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    settings = _settings(fault.url)
    server = build_server(settings)
    captured: list[tuple[str, str]] = []

    async def run_everything(client: Any, glow: GlowClient, plan: str) -> None:
        async def tool(name: str) -> None:
            try:
                result = await client.call_tool(name, VALID_ARGS[name])
                captured.append((f"{plan}/{name}", text_of(result) + json.dumps(result.structured_content)))
            except Exception as exc:
                captured.extend((f"{plan}/{name} raised", t) for t in _exception_texts(exc))

        async def resource(uri: str) -> None:
            try:
                result = await client.read_resource(uri)
                captured.append((f"{plan}/{uri}", repr(result)))
            except Exception as exc:
                captured.extend((f"{plan}/{uri} raised", t) for t in _exception_texts(exc))

        async def direct(op: str) -> None:
            model = OPERATIONS[op].request_model
            tool_name = next(t for t, o in TOOL_OPERATION.items() if o == op)
            body = model.model_validate(VALID_ARGS[tool_name]) if model else None
            try:
                await glow.request(OPERATIONS[op], body)
            except GlowError as exc:
                captured.extend((f"{plan}/{op} exception", t) for t in _exception_texts(exc))

        async with anyio.create_task_group() as tg:
            for name in VALID_ARGS:
                tg.start_soon(tool, name)
            tg.start_soon(resource, "glow://models/docs")
            tg.start_soon(resource, f"glow://exports/{uuid.uuid4()}")
            for op in OPERATIONS:
                tg.start_soon(direct, op)
        invalid = await client.call_tool("delete_models", {"model_ids": ["not-a-uuid"], "unknown": 1})
        captured.append((f"{plan}/invalid", text_of(invalid)))

    with serving(server, settings, "http") as running:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {HTTP_TOKEN}"}, timeout=30) as http:
            async with Client(streamable_http_client(f"{running.url}/mcp", http_client=http), mode="legacy") as client:
                async with GlowClient(settings) as glow:
                    for mode in ["ok", *FAULT_MODES]:
                        fault.reset(**{op: mode for op in TOOL_OPERATION.values()})
                        await run_everything(client, glow, mode)
        # Wrong and missing endpoint tokens: refused without echoing anything.
        for headers in ({}, {"Authorization": f"Bearer {HTTP_TOKEN}x"}, {"Authorization": f"Bearer {HTTP_TOKEN[:-3]}"}):
            response = httpx2.post(f"{running.url}/mcp", json={}, headers=headers)
            assert response.status_code == 401
            captured.append(("401", response.text + repr(response.headers)))

    assert len(captured) > len(VALID_ARGS) * (len(FAULT_MODES) + 1)
    for where, text in captured:
        _assert_clean(where, text)
    # Every log record, raw (message, args, extras, exception text), at every level.
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    for record in caplog.records:
        _assert_clean(f"log record {record.name}", record.getMessage())
        _assert_clean(f"log record {record.name} (fields)", repr({k: v for k, v in vars(record).items() if k != "msg"}))
    _assert_clean("log output", caplog.text)
    # The upstream did receive them: the only place they belong.
    assert any(
        s.headers.get("x-api-key") == API_KEY and s.headers.get("authorization") == f"Bearer {TOKEN}"
        for s in fault.seen
    )
    assert not any(HTTP_TOKEN in json.dumps(s.headers) for s in fault.seen)


# ------------------------------------------------------------------------------------------------
# The real process
# ------------------------------------------------------------------------------------------------

#: The faults of the process tests, given to the operations in turn (``OPERATIONS`` order, cycled
#: when there are more operations): answers that echo the credentials, an error page, a hang, a cut
#: connection, a body over the cap.
MIXED_MODES = (
    "500_text",
    "echo_html",
    "hang",
    "invalid_json",
    "close_mid_body",
    "schema_mismatch",
    "echo_401",
    "503_retry_after",
    "echo_invalid",
    "huge_declared",
    "disconnect",
)
MIXED_FAULTS = dict(zip(OPERATIONS, itertools.cycle(MIXED_MODES)))
assert set(MIXED_FAULTS.values()) == set(MIXED_MODES), "fewer operations than MIXED_MODES: some faults unused"


def _process_env(fault: FaultServer, **extra: str) -> dict[str, str]:
    return clean_env(
        GLOW_INSTANCE_URL=fault.url,
        GLOW_API_KEY=API_KEY,
        GLOW_TOKEN=TOKEN,
        GLOW_MCP_HTTP_TOKEN=HTTP_TOKEN,
        GLOW_MCP_LOG_LEVEL="DEBUG",
        GLOW_CONNECT_TIMEOUT="0.2",
        GLOW_READ_TIMEOUT="0.4",
        GLOW_TIMEOUT="1",
        GLOW_MAX_RETRIES="1",
        **extra,
    )


def _stdio_session() -> bytes:
    messages: list[dict[str, Any]] = [
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
        {"jsonrpc": "2.0", "id": 3, "method": "resources/read", "params": {"uri": "glow://models/docs"}},
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "get_model", "arguments": {"model_id": API_KEY, "x": TOKEN}},
        },
    ]
    for i, (name, args) in enumerate(VALID_ARGS.items()):
        messages.append(
            {"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call", "params": {"name": name, "arguments": args}}
        )
    return "".join(json.dumps(m) + "\n" for m in messages).encode()


@pytest.mark.process
@pytest.mark.parametrize(("plan", "log_json"), [("ok", "false"), ("faults", "true"), ("faults", "false")])
def test_stdio_process_at_debug_leaks_nothing(fault: FaultServer, plan: str, log_json: str) -> None:
    fault.reset(**(MIXED_FAULTS if plan == "faults" else {}))
    proc = subprocess.run(
        server_command(),
        input=_stdio_session(),
        capture_output=True,
        timeout=60,
        env=_process_env(fault, GLOW_MCP_LOG_JSON=log_json),
    )
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, err[-3000:]
    answers = {m.get("id") for m in map(json.loads, out.splitlines())}
    assert set(range(10, 10 + len(VALID_ARGS))) <= answers
    assert "DEBUG" in err or '"level": "DEBUG"' in err
    _assert_clean("stdout", out)
    _assert_clean("stderr", err)
    assert fault.count() >= len(VALID_ARGS)


@pytest.mark.process
def test_http_process_at_debug_leaks_nothing(fault: FaultServer) -> None:
    fault.reset(**MIXED_FAULTS)
    port = free_port()
    proc = subprocess.Popen(
        server_command("--transport", "http", "--port", str(port)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_process_env(fault),
    )
    try:
        wait_listening(port, proc)
        url = f"http://127.0.0.1:{port}/mcp"
        headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
        texts = []
        for i, (name, args) in enumerate(VALID_ARGS.items()):
            body = {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": name, "arguments": args}}
            response = httpx2.post(
                url, json=body, headers={**headers, "Authorization": f"Bearer {HTTP_TOKEN}"}, timeout=30
            )
            assert response.status_code == 200
            texts.append(response.text)
        for wrong in (f"Bearer {HTTP_TOKEN}x", HTTP_TOKEN, f"Bearer {API_KEY}"):
            response = httpx2.post(url, json={}, headers={**headers, "Authorization": wrong}, timeout=10)
            assert response.status_code == 401
            texts.append(response.text + repr(response.headers))
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    for text in texts:
        _assert_clean("HTTP answer", text)
    _assert_clean("stdout", out.decode())
    _assert_clean("stderr", err.decode())
    assert b"DEBUG" in err


@pytest.mark.process
def test_doctor_leaks_nothing(fault: FaultServer) -> None:
    for plan in ({}, {"search": "echo_401", "get": "echo_html", "docs": "echo_invalid"}):
        fault.reset(**plan)
        proc = subprocess.run(server_command("doctor"), capture_output=True, timeout=60, env=_process_env(fault))
        _assert_clean("doctor stdout", proc.stdout.decode())
        _assert_clean("doctor stderr", proc.stderr.decode())
        # The reachability probe (GET /) carries no credentials; the credentials check does.
        (root,) = [s for s in fault.seen if s.path == "/"]
        assert root.method == "GET" and "x-api-key" not in root.headers and "authorization" not in root.headers
        (search,) = fault.of("search")
        assert search.headers["x-api-key"] == API_KEY and search.headers["authorization"] == f"Bearer {TOKEN}"
