"""Upstream faults: every fault class yields a clear tool error within the timeout, memory stays
bounded, other calls keep being answered meanwhile, and retries happen only where they are safe.

Setup: our server (``build_server``) behind a real MCP client with JSON-RPC framing
(``Client(server, mode="legacy")``), talking to :class:`rel_support.FaultServer` over loopback
with short timeouts (connect 0.5 s, read 1 s, total 3 s, 2 retries). The fault server counts the
requests it receives, so retry behaviour is observed from the outside.

Body cap: upstream bodies are refused above ``max_response_bytes``, default **10 MiB**
(``GLOW_MAX_RESPONSE_BYTES``); the 50 MB tests use that default and measure peak memory.
"""

from __future__ import annotations

import itertools
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from mcp import Client
from rel_support import MAX_RETRIES, TOTAL_TIMEOUT, VALID_ARGS, FaultServer, fast_settings
from support import TOOL_OPERATION, closed_port_url, text_of

from glow_models_mcp import upstream
from glow_models_mcp.server import build_server

# Every test here uses loopback sockets or subprocesses.
pytestmark = [pytest.mark.anyio, pytest.mark.process]

#: Tool -> upstream operation, for the read-only operations (retried) and the others (never re-sent
#: once the request may have reached the server; refresh_models invalidates caches, so it is one).
READ_TOOLS = {name: op for name, op in TOOL_OPERATION.items() if upstream.OPERATIONS[op].read_only}
WRITE_TOOLS = {name: op for name, op in TOOL_OPERATION.items() if not upstream.OPERATIONS[op].read_only}
ATTEMPTS = MAX_RETRIES + 1
#: The fault classes a read-only operation is retried on: gateway errors and broken connections.
RETRIED_FAULTS = ("502_html", "503_retry_after", "504", "disconnect", "close_mid_body")
# Scheduling slack on top of the total timeout: generous, because a loaded 2-core machine (tests run on
# two workers) can delay the answer by seconds. Which deadline fired is proven by the error text
# ("total timeout of 3 s", "read timeout after 1 s"); the wall-clock bound only catches a hang.
SLACK = TOTAL_TIMEOUT
# A healthy call during a fault takes milliseconds; one blocked behind the fault would take the
# fault's seconds. The bound sits between, with room for a loaded machine.
HEALTHY_WITHIN = 2.0
DEFAULT_CAP = 10 * 1024 * 1024


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    with FaultServer() as fs:
        yield fs


@pytest.fixture
async def client(fault: FaultServer) -> AsyncIterator[Any]:
    async with Client(build_server(fast_settings(fault.url)), mode="legacy") as c:
        yield c


async def _healthy_round(client: Any, *, upstream_ok: bool) -> list[float]:
    """Calls that must keep being answered during a fault: a tool whose route is healthy, an
    invalid-argument call (answered without the upstream) and tools/list. Returns latencies."""
    latencies = []
    if upstream_ok:
        t = time.monotonic()
        r = await client.call_tool("get_model_docs", {})
        latencies.append(time.monotonic() - t)
        assert not r.is_error, text_of(r)
    t = time.monotonic()
    r = await client.call_tool("get_model", {"draft_id": "not-a-uuid"})
    latencies.append(time.monotonic() - t)
    assert r.is_error and "draft_id" in text_of(r)
    t = time.monotonic()
    tools = await client.list_tools()
    latencies.append(time.monotonic() - t)
    assert [t.name for t in tools.tools] == list(TOOL_OPERATION)
    return latencies


async def _call_during_fault(
    client: Any, tool: str, *, seen: Any = None, upstream_ok: bool = True
) -> tuple[Any, float, list[float], int]:
    """Run ``tool`` (hitting the fault) while healthy calls keep going.

    Returns the fault call's result, its duration, the healthy latencies, and how many healthy
    rounds completed while the fault call was still pending."""
    out: dict[str, Any] = {}
    started = time.monotonic()

    async def faulty() -> None:
        out["result"] = await client.call_tool(tool, VALID_ARGS[tool])
        out["elapsed"] = time.monotonic() - started

    latencies: list[float] = []
    rounds_during = 0
    async with anyio.create_task_group() as tg:
        tg.start_soon(faulty)
        # Wait until the faulty request is in flight (seen by the fault server).
        with anyio.move_on_after(2):
            while seen is not None and not seen():
                await anyio.sleep(0.01)
        while True:
            pending = "result" not in out
            latencies += await _healthy_round(client, upstream_ok=upstream_ok)
            if pending and "result" not in out:
                rounds_during += 1
            if "result" in out:
                break
            await anyio.sleep(0.05)
    return out["result"], out["elapsed"], latencies, rounds_during


# (mode, tool, expected attempts (min, max) at the fault server, fragments of the error text)
CASES = [
    ("hang", "search_models", (2, ATTEMPTS), ["search_models failed", "did not answer", "total timeout of 3 s"]),
    ("hang", "create_models", (1, 1), ["create_models failed", "read timeout after 1 s"]),
    ("trickle", "search_models", (1, 1), ["did not answer", "total timeout of 3 s"]),
    ("close_mid_body", "search_models", (ATTEMPTS, ATTEMPTS), ["did not answer", "connection broken"]),
    ("close_mid_body", "create_models", (1, 1), ["did not answer", "connection broken"]),
    ("disconnect", "search_models", (ATTEMPTS, ATTEMPTS), ["did not answer", "connection broken"]),
    ("disconnect", "create_models", (1, 1), ["did not answer", "connection broken"]),
    ("500_text", "search_models", (1, 1), ["HTTP 500", "Internal Server Error: boom", "Next step"]),
    ("500_text", "create_models", (1, 1), ["HTTP 500", "Internal Server Error: boom"]),
    ("502_html", "search_models", (ATTEMPTS, ATTEMPTS), ["HTTP 502", "502 Bad Gateway", "temporarily unavailable"]),
    ("502_html", "create_models", (1, 1), ["HTTP 502", "502 Bad Gateway"]),
    ("504", "search_models", (ATTEMPTS, ATTEMPTS), ["HTTP 504", "upstream timed out"]),
    ("invalid_json", "search_models", (1, 1), ["unusable answer", "not JSON"]),
    ("invalid_json", "create_models", (1, 1), ["unusable answer", "not JSON"]),
    ("schema_mismatch", "search_models", (1, 1), ["unusable answer", "does not match ListModelApiResponse"]),
    ("schema_mismatch", "create_models", (1, 1), ["unusable answer", "does not match CreateModelApiResponse"]),
    ("huge_declared", "search_models", (1, 1), ["unusable answer", f"over the {DEFAULT_CAP}-byte cap"]),
    ("huge_chunked", "search_models", (1, 1), ["unusable answer", f"over the {DEFAULT_CAP}-byte cap"]),
]


@pytest.mark.parametrize(("mode", "tool", "attempts", "fragments"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
async def test_fault_gives_a_clear_tool_error_in_time_while_other_calls_are_answered(
    fault: FaultServer, client: Any, mode: str, tool: str, attempts: tuple[int, int], fragments: list[str]
) -> None:
    op = upstream.OPERATIONS[{**READ_TOOLS, **WRITE_TOOLS}[tool]].name
    fault.reset(**{op: mode})
    result, elapsed, latencies, rounds_during = await _call_during_fault(
        client, tool, seen=lambda: fault.count(op) >= 1
    )
    text = text_of(result)
    assert result.is_error, text
    for fragment in fragments:
        assert fragment in text, text
    assert "Traceback" not in text and "<" not in text  # no HTML markup, no internals
    assert elapsed <= TOTAL_TIMEOUT + SLACK, elapsed
    lo, hi = attempts
    assert lo <= fault.count(op) <= hi, [(s.op, s.mode) for s in fault.seen]
    # Other calls were answered promptly, also while the fault call was still pending.
    assert max(latencies) < HEALTHY_WITHIN, latencies
    if elapsed > 0.8:
        assert rounds_during >= 1


async def test_refused_connection(client: Any) -> None:
    """Nothing listens: a clear error at once; reads AND writes are retried (the request never
    left), with bounded attempts; invalid-argument calls and tools/list stay answered."""
    settings = fast_settings(closed_port_url())
    attempts: list[str] = []
    original = upstream.GlowClient._attempt

    async def counting(self: Any, op: str, *args: Any) -> Any:
        attempts.append(op)
        return await original(self, op, *args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(upstream.GlowClient, "_attempt", counting)
        async with Client(build_server(settings), mode="legacy") as refused:
            for tool in ("search_models", "create_models"):
                attempts.clear()
                result, elapsed, latencies, _ = await _call_during_fault(refused, tool, upstream_ok=False)
                text = text_of(result)
                assert result.is_error and f"{tool} failed" in text and "connection failed" in text, text
                assert "Next step" in text and "GLOW_INSTANCE_URL" in text
                assert elapsed <= TOTAL_TIMEOUT + SLACK
                assert len(attempts) == ATTEMPTS, attempts
                assert max(latencies) < HEALTHY_WITHIN


async def test_slow_but_in_time_answers_succeed(fault: FaultServer, client: Any) -> None:
    fault.reset(search="slow", create="slow")
    for tool in ("search_models", "create_models"):
        result, elapsed, _latencies, _ = await _call_during_fault(client, tool)
        assert not result.is_error, text_of(result)
        assert fault.slow_delay <= elapsed <= TOTAL_TIMEOUT + SLACK  # success itself proves it beat the timeout
    # Each slow answer was waited for, not retried: one create, one search from search_models (plus
    # at most one from create_models' duplicate-name check after its write, when the name is known).
    assert fault.count("create") == 1 and fault.count("search") in (1, 2)


@pytest.mark.parametrize("mode", ["huge_declared", "huge_chunked"])
async def test_50_mb_body_keeps_memory_bounded(fault: FaultServer, client: Any, mode: str) -> None:
    """A 50 MB answer is refused at the 10 MiB cap; peak Python memory (all threads, the fault
    server's included) stays far below the body size."""
    fault.reset(search=mode)
    await client.call_tool("get_model_docs", {})  # warm up the connection pool and imports
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = await client.call_tool("search_models", {})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.is_error and "cap" in text_of(result)
    grown = peak - base
    print(f"{mode}: peak traced memory growth {grown / 2**20:.1f} MiB for a 50 MiB body (cap 10 MiB)")
    assert grown < DEFAULT_CAP + 6 * 2**20, grown
    sent = fault.of("search")[0].bytes_sent
    assert sent < 50 * 2**20  # the client stopped reading early


async def test_read_only_tools_retry_on_gateway_errors_and_broken_connections(fault: FaultServer, client: Any) -> None:
    # Rounds in which the read operations (derived from READ_TOOLS) take the retried fault classes
    # in turn, shifted by one each round: every operation meets at least two classes, every class is used.
    ops = sorted(set(READ_TOOLS.values()), key=list(upstream.OPERATIONS).index)
    n = len(RETRIED_FAULTS)
    rounds = [{op: RETRIED_FAULTS[(i + r) % n] for i, op in enumerate(ops)} for r in range(max(2, n - len(ops) + 1))]
    assert {mode for plan in rounds for mode in plan.values()} == set(RETRIED_FAULTS), rounds
    for plan in rounds:
        fault.reset(**plan)
        fault.retry_after = "0"
        results: dict[str, Any] = {}

        async def call(tool: str, results: dict[str, Any] = results) -> None:
            results[tool] = await client.call_tool(tool, VALID_ARGS[tool])

        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            for tool in READ_TOOLS:
                tg.start_soon(call, tool)
        assert time.monotonic() - started <= TOTAL_TIMEOUT + SLACK
        for tool, op in READ_TOOLS.items():
            assert results[tool].is_error, (plan[op], tool)
            assert fault.count(op) == ATTEMPTS, (plan[op], tool, fault.count(op))


async def test_writes_are_never_resent_once_the_request_reached_the_server(fault: FaultServer, client: Any) -> None:
    for mode in ("502_html", "503_retry_after", "504", "disconnect", "close_mid_body", "hang", "500_text"):
        fault.reset(**{op: mode for op in WRITE_TOOLS.values()})
        fault.retry_after = "0"
        results: dict[str, Any] = {}

        async def call(tool: str, results: dict[str, Any] = results) -> None:
            results[tool] = await client.call_tool(tool, VALID_ARGS[tool])

        async with anyio.create_task_group() as tg:
            for tool in WRITE_TOOLS:
                tg.start_soon(call, tool)
        for tool, op in WRITE_TOOLS.items():
            assert results[tool].is_error, (mode, tool)
            assert fault.count(op) == 1, (mode, tool, fault.count(op))


async def test_retry_after_is_honoured(fault: FaultServer, client: Any) -> None:
    """``Retry-After: 1`` spaces the attempts by at least 1 s (the own backoff is 0.2-0.5 s)."""
    fault.reset(search="503_retry_after")
    fault.retry_after = "1"
    started = time.monotonic()
    result = await client.call_tool("search_models", {})
    elapsed = time.monotonic() - started
    text = text_of(result)
    assert result.is_error and "HTTP 503" in text and "maintenance" in text, text
    times = [s.arrived for s in fault.of("search")]
    assert len(times) == ATTEMPTS, times
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(g >= 0.95 for g in gaps), gaps
    assert elapsed <= TOTAL_TIMEOUT + SLACK


async def test_retry_after_beyond_the_time_budget_fails_at_once(fault: FaultServer, client: Any) -> None:
    """When the upstream asks for more time than the budget has left, the call does not hammer it
    early nor sit until the total timeout: it answers the 503 at once, saying when to retry."""
    fault.reset(search="503_retry_after")
    fault.retry_after = "120"
    started = time.monotonic()
    result = await client.call_tool("search_models", {})
    elapsed = time.monotonic() - started
    text = text_of(result)
    assert result.is_error and "HTTP 503" in text and "maintenance" in text, text
    assert "120" in text, text
    assert fault.count("search") == 1
    assert elapsed < TOTAL_TIMEOUT, elapsed  # answered at once, not after waiting (or retrying) 120 s
