"""Load over streamable HTTP: many concurrent MCP clients, mixed reads and writes, against the
reference API, through our server as users run it (``glow-models-mcp --transport http`` and
``glow-models-mcp sandbox``, each its own process on loopback).

Each client owns a unique marker and runs ``CALLS`` calls in rounds of four: create a model named
``<marker>-<k>``, search for that name, read the model, update its description. Checked:

* zero errors (no tool error, no exception, no JSON-RPC error);
* no cross-talk: every answer carries its own call's marker and no other client's (the search
  finds exactly the model this call created, get_model names it, update answers its id);
* no write lost: afterwards each client's models are found, exactly the ones created, with the
  updated descriptions, and the run's total equals clients x creates.

p50/p99 latency and throughput are printed (run with ``-s`` to see them), never asserted.
Default size: 50 concurrent clients x 16 calls (four rounds each: every client creates, searches,
reads and updates while all the others do); the checks are per call, so more rounds add time more
than coverage. Larger runs: ``GLOW_LOAD_CALLS=40`` (the former default),
``GLOW_LOAD_CLIENTS=200 GLOW_LOAD_CALLS=100``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client
from support import SUPERADMIN_TOKEN, clean_env, free_port, server_command, text_of, wait_listening

# Every test here uses loopback sockets or subprocesses.
pytestmark = [pytest.mark.anyio, pytest.mark.process]

CLIENTS = int(os.environ.get("GLOW_LOAD_CLIENTS", "50"))
CALLS = int(os.environ.get("GLOW_LOAD_CALLS", "16"))
ROUNDS = max(1, CALLS // 4)
MARKER_RE = re.compile(r"ld[0-9a-f]{8}c\d{4}-\d{3}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reference API and our HTTP server, each in its own process; yields the MCP URL.

    Their stderr goes to files (an undrained pipe would fill up with access logs and stall them)."""
    from glow_models_mcp.sandbox import SANDBOX_API_KEY

    logs = tmp_path_factory.mktemp("load-logs")
    api_port, mcp_port = free_port(), free_port()
    procs: list[tuple[subprocess.Popen[bytes], Any]] = []
    try:
        api_log = open(logs / "sandbox.log", "wb")  # noqa: SIM115 - closed in finally
        api = subprocess.Popen(
            server_command("sandbox", "--port", str(api_port)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=api_log,
            env=clean_env(),
        )
        procs.append((api, api_log))
        wait_listening(api_port, api)
        env = clean_env(
            GLOW_INSTANCE_URL=f"http://127.0.0.1:{api_port}", GLOW_API_KEY=SANDBOX_API_KEY, GLOW_TOKEN=SUPERADMIN_TOKEN
        )
        mcp_log = open(logs / "mcp.log", "wb")  # noqa: SIM115
        mcp = subprocess.Popen(
            server_command("--transport", "http", "--port", str(mcp_port)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=mcp_log,
            env=env,
        )
        procs.append((mcp, mcp_log))
        wait_listening(mcp_port, mcp)
        yield f"http://127.0.0.1:{mcp_port}/mcp"
    finally:
        for name, (proc, _) in zip(("reference API", "MCP server"), procs, strict=False):
            print(f"  {name} process CPU: {_cpu_seconds(proc.pid):.1f} s")
        for proc, _ in reversed(procs):
            proc.terminate()
        for proc, log in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
            err = open(log.name, "rb").read()  # noqa: SIM115
            assert b"Traceback" not in err, err.decode()[-3000:]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (Linux; 0 elsewhere)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def test_concurrent_clients_mixed_reads_and_writes(stack: str) -> None:
    run = uuid.uuid4().hex[:8]
    latencies: dict[str, list[float]] = {"create_models": [], "search_models": [], "get_model": [], "update_models": []}
    errors: list[str] = []
    created: dict[int, dict[str, str]] = {}  # client -> {name: model_id}

    def foreign_markers(text: str, own: str) -> set[str]:
        return {m for m in MARKER_RE.findall(text) if not m.startswith(own)}

    async def call(client: Any, tool: str, args: dict[str, Any]) -> Any:
        started = time.perf_counter()
        result = await client.call_tool(tool, args)
        latencies[tool].append(time.perf_counter() - started)
        if result.is_error:
            raise AssertionError(f"{tool} {args}: {text_of(result)[:500]}")
        return result

    async def one_client(i: int) -> None:
        marker = f"ld{run}c{i:04d}"
        mine: dict[str, str] = {}
        created[i] = mine
        try:
            async with Client(stack, mode="legacy" if i % 2 else "auto") as client:
                for k in range(ROUNDS):
                    name = f"{marker}-{k:03d}"
                    result = await call(client, "create_models", {"models": [{"name": name}]})
                    model_id = result.structured_content["results"][0]["model_id"]
                    mine[name] = model_id
                    assert not foreign_markers(text_of(result), marker)

                    found = await call(client, "search_models", {"search": name})
                    models = found.structured_content["models"]
                    assert [(m["name"], m["model_id"]) for m in models] == [(name, model_id)], models
                    assert not foreign_markers(text_of(found), marker)

                    model = await call(client, "get_model", {"model_id": model_id})
                    text = text_of(model)
                    assert f"Model {name} (id " in text and not foreign_markers(text, marker), text[:300]

                    updated = await call(
                        client, "update_models", {"models": [{"model_id": model_id, "description": f"{name}-desc"}]}
                    )
                    assert updated.structured_content["results"][0]["model_id"] == model_id
                    assert not foreign_markers(text_of(updated), marker)
        except Exception as exc:
            while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
                exc = exc.exceptions[0]
            errors.append(f"client {i}: {type(exc).__name__}: {str(exc)[:500]}")

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for i in range(CLIENTS):
            tg.start_soon(one_client, i)
    elapsed = time.perf_counter() - started

    all_latencies = [x for values in latencies.values() for x in values]
    print(
        f"\nload: {CLIENTS} clients x {ROUNDS * 4} calls = {len(all_latencies)} calls in {elapsed:.1f} s "
        f"({len(all_latencies) / elapsed:.0f} calls/s); "
        f"p50 {_pct(all_latencies, 0.5) * 1000:.1f} ms, p99 {_pct(all_latencies, 0.99) * 1000:.1f} ms"
    )
    for tool, values in latencies.items():
        if values:
            print(
                f"  {tool:14s} n={len(values):5d} p50 {_pct(values, 0.5) * 1000:7.1f} ms  "
                f"p99 {_pct(values, 0.99) * 1000:7.1f} ms  mean {statistics.mean(values) * 1000:7.1f} ms"
            )
    assert not errors, "\n".join(errors[:10])
    assert len(all_latencies) == CLIENTS * ROUNDS * 4

    # No write lost: every client's models, exactly, with the updated descriptions.
    async with Client(stack, mode="legacy") as client:
        for i, mine in created.items():
            found = await client.call_tool("search_models", {"search": f"ld{run}c{i:04d}-", "page_size": ROUNDS + 10})
            models = found.structured_content["models"]
            assert {m["name"]: m["model_id"] for m in models} == mine
            assert all(m.get("description") == f"{m['name']}-desc" for m in models)
        total = await client.call_tool("search_models", {"search": f"ld{run}", "page_size": 1})
        assert total.structured_content["total_count"] == CLIENTS * ROUNDS
