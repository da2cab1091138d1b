"""Process lifecycle: SIGTERM, SIGINT and the end of stdin stop ``python -m glow_models_mcp``
promptly and cleanly (no traceback, documented exit code), cancelling the upstream request still
in flight; over stdio, stdout carries only JSON-RPC lines.

The upstream is :class:`rel_support.FaultServer` hanging on ``search`` with a 20 s read timeout,
so a prompt close of the upstream connection can only come from the shutdown.
Exit codes (see ``cli.py``): 0 when stdin ends, 143 on SIGTERM, 130 on SIGINT (128 + the signal).
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from rel_support import FaultServer
from support import clean_env, free_port, server_command, wait_listening

# Every test here uses loopback sockets or subprocesses.
pytestmark = pytest.mark.process

EXIT_WITHIN = 5.0
UPSTREAM_CLOSED_WITHIN = 3.0
EXIT_CODE = {"SIGTERM": 143, "SIGINT": 130, "eof": 0}

INIT = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]
HANGING_CALL = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "search_models", "arguments": {}}}


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    with FaultServer(modes={"search": "hang"}) as fs:
        yield fs


def _env(fault: FaultServer, **extra: str) -> dict[str, str]:
    return clean_env(
        GLOW_INSTANCE_URL=fault.url,
        GLOW_API_KEY="k",
        GLOW_TOKEN="t",
        GLOW_READ_TIMEOUT="20",
        GLOW_TIMEOUT="30",
        GLOW_MCP_LOG_LEVEL="DEBUG",
        **extra,
    )


def _stop(proc: subprocess.Popen[bytes], how: str) -> tuple[int, float]:
    started = time.monotonic()
    if how == "eof":
        assert proc.stdin is not None
        proc.stdin.close()
    else:
        proc.send_signal(getattr(signal, how))
    try:
        code = proc.wait(EXIT_WITHIN + 10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"the server did not exit after {how}") from None
    return code, time.monotonic() - started


def _assert_upstream_cancelled(fault: FaultServer, stopped_at: float) -> None:
    assert fault.wait_for(lambda: fault.count("search") == 1 and fault.of("search")[0].closed is not None, 5)
    closed = fault.of("search")[0].closed
    assert closed is not None and closed - stopped_at < UPSTREAM_CLOSED_WITHIN


@pytest.mark.parametrize("path", ["event-loop", "threads"])
@pytest.mark.parametrize("in_flight", [True, False], ids=["call-in-flight", "idle"])
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "eof"])
def test_stdio_stops_cleanly(fault: FaultServer, how: str, in_flight: bool, path: str) -> None:
    """A signal cancels the call in flight at once, on both stdio paths (the threaded one used to
    wait for a next stdin line that never came). At the end of stdin the server first answers
    the requests it already read (so ``echo request | server`` gets its answer), which for a hanging
    upstream means after the total timeout (here 3 s), then exits: every request read is answered."""
    env = _env(fault, **({"GLOW_MCP_STDIO_THREADS": "1"} if path == "threads" else {}))
    if how == "eof":
        env |= {"GLOW_CONNECT_TIMEOUT": "0.5", "GLOW_READ_TIMEOUT": "1", "GLOW_TIMEOUT": "3"}
    proc = subprocess.Popen(
        server_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        for message in INIT + ([HANGING_CALL] if in_flight else []):
            proc.stdin.write((json.dumps(message) + "\n").encode())
        proc.stdin.flush()
        # Wait for the tools/list answer (the server is up), and for the hanging call to arrive upstream.
        assert json.loads(proc.stdout.readline())["id"] == 1
        assert json.loads(proc.stdout.readline())["id"] == 2
        if in_flight:
            assert fault.wait_for(lambda: fault.count("search") == 1, 10)
        stopped_at = time.monotonic()
        code, elapsed = _stop(proc, how)
    finally:
        if proc.poll() is None:
            proc.kill()
    rest, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    assert code == EXIT_CODE[how], err[-2000:]
    assert "Traceback" not in err, err[-4000:]
    answered = set()
    for line in rest.splitlines():  # whatever else came out on stdout is JSON-RPC
        message = json.loads(line)
        assert message["jsonrpc"] == "2.0" and ("id" in message or "method" in message)
        answered.add(message.get("id"))
    if how == "eof" and in_flight:
        assert elapsed < 3 + EXIT_WITHIN, elapsed
        assert 3 in answered, rest  # the request read before EOF got its answer
        assert all(s.closed is not None for s in fault.of("search"))
    else:
        assert elapsed < EXIT_WITHIN, elapsed
        if in_flight:
            _assert_upstream_cancelled(fault, stopped_at)


MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


@pytest.mark.parametrize("newline", [True, False], ids=["newline", "no-final-newline"])
@pytest.mark.parametrize("era", ["2025-11-25", "2026-07-28"])
@pytest.mark.parametrize("path", ["event-loop", "threads"])
def test_stdio_answers_a_request_sent_just_before_eof(path: str, era: str, newline: bool) -> None:
    """The last request before EOF gets its real answer on both stdio paths; the SDK's threaded
    reader answered it ``-32000 Connection closed`` instead. The upstream takes 0.5 s."""
    with FaultServer(modes={"search": "slow"}, slow_delay=0.5) as slow:
        env = _env(slow, **({"GLOW_MCP_STDIO_THREADS": "1"} if path == "threads" else {}))
        call: dict[str, Any] = {**HANGING_CALL, "params": {"name": "search_models", "arguments": {}}}
        messages: list[dict[str, Any]] = INIT[:2] if era == "2025-11-25" else []
        if era == "2026-07-28":
            call["params"]["_meta"] = MODERN_META
        stdin = "\n".join(json.dumps(m) for m in [*messages, call]) + ("\n" if newline else "")
        proc = subprocess.run(server_command(), input=stdin.encode(), capture_output=True, env=env, timeout=60)
        assert slow.count("search") == 1
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr.decode()[-2000:]
    answers = {m["id"]: m for m in map(json.loads, proc.stdout.decode().splitlines()) if "id" in m}
    assert answers[3].get("result", {}).get("isError") is False, answers[3]
    assert answers[3]["result"]["structuredContent"]["models"] == []


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_streamable_http_stops_cleanly_cancelling_calls_in_flight(fault: FaultServer, how: str) -> None:
    """The call in flight is cancelled at once (upstream too) and answered 503, instead of uvicorn
    waiting out its graceful-shutdown timeout and then killing it with a traceback and a 500."""
    port = free_port()
    proc = subprocess.Popen(
        server_command("--transport", "http", "--port", str(port)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(fault),
    )
    answer: dict[str, Any] = {}

    def call() -> None:
        try:
            answer["response"] = httpx2.post(
                f"http://127.0.0.1:{port}/mcp",
                json=HANGING_CALL,
                headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"},
                timeout=30,
            )
        except httpx2.HTTPError as exc:
            answer["error"] = exc

    caller = threading.Thread(target=call)
    try:
        wait_listening(port, proc)
        caller.start()
        assert fault.wait_for(lambda: fault.count("search") == 1, 10)
        stopped_at = time.monotonic()
        code, elapsed = _stop(proc, how)
    finally:
        if proc.poll() is None:
            proc.kill()
        caller.join(30)
    out, err = proc.communicate()
    assert code == EXIT_CODE[how] and elapsed < EXIT_WITHIN, (code, elapsed, err[-2000:])
    assert b"Traceback" not in err, err.decode()[-4000:]
    assert out == b""
    _assert_upstream_cancelled(fault, stopped_at)
    assert "response" in answer and answer["response"].status_code == 503, answer


@pytest.mark.anyio
async def test_sse_stops_cleanly_with_a_session_and_a_call_in_flight(fault: FaultServer, anyio_backend: str) -> None:
    port = free_port()
    proc = subprocess.Popen(
        server_command("--transport", "sse", "--port", str(port)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(fault),
    )
    try:
        await anyio.to_thread.run_sync(wait_listening, port, proc)
        with anyio.move_on_after(EXIT_WITHIN + 5):
            async with Client(sse_client(f"http://127.0.0.1:{port}/sse"), mode="legacy") as client:
                async with anyio.create_task_group() as tg:

                    async def hanging() -> None:
                        try:
                            await client.call_tool("search_models", {})
                        except Exception:  # the session ends under it: any error is fine here
                            pass

                    tg.start_soon(hanging)
                    assert await fault.until(lambda: fault.count("search") == 1, 10)
                    stopped_at = time.monotonic()
                    code, elapsed = await anyio.to_thread.run_sync(_stop, proc, "SIGTERM")
                    tg.cancel_scope.cancel()
    except* Exception:
        pass  # the client may complain about the stream ending; the server's behaviour is what counts
    finally:
        if proc.poll() is None:
            proc.kill()
    _out, err = proc.communicate()
    assert code == EXIT_CODE["SIGTERM"] and elapsed < EXIT_WITHIN, (code, elapsed, err[-2000:])
    assert b"Traceback" not in err, err.decode()[-4000:]
    _assert_upstream_cancelled(fault, stopped_at)
