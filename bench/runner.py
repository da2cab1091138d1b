"""The benchmark: ours vs the floor vs the peer, against one reference API on loopback.

See ``BENCHMARKS.md`` for what each figure means. Entry point: ``python -m bench`` (``bench/__main__.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .wire import (
    MODERN_VERSION,
    PROTOCOL_VERSION,
    McpHttp,
    RawHttp,
    RpcError,
    StdioServer,
    clean_env,
    free_port,
    http_message,
    wait_http,
)

REPO = Path(__file__).resolve().parent.parent
MD_PATH = REPO / "BENCHMARKS.md"
MD_START, MD_END = "<!-- bench:latest:start -->", "<!-- bench:latest:end -->"

API_KEY = "sandbox-api-key"
TOKEN = "sandbox-superadmin"
UPSTREAM_BASE = "/api/v5/artifacts/models"
SEARCH_ARGS: dict[str, Any] = {"search": "gpt", "page_size": 12}
BYTES_PER_TOKEN = 4
SYSTEMS = ("ours", "floor", "peer")
#: transports measured: stdio (2025-11-25 handshake) and streamable HTTP in both protocol eras.
HTTP_ERAS = {"http": PROTOCOL_VERSION, "http26": MODERN_VERSION}
TRANSPORT_LABEL = {"stdio": "stdio", "http": f"HTTP {PROTOCOL_VERSION}", "http26": f"HTTP {MODERN_VERSION}"}


# ------------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------------


@dataclass
class Config:
    rounds: int = 3  # repeated runs for latency, memory and throughput
    cold_runs: int = 10  # spawns per system for cold start
    cold_warmup: int = 1  # unmeasured spawns per system first (write bytecode caches, warm the file cache)
    calls: int = 1000  # calls per stdio run (alternating search_models / get_model); also the memory figure
    http_calls: int = 400  # calls per HTTP latency run (each system, each protocol era)
    warmup: int = 50  # first calls of each run left out of the latency figures
    tp_clients: tuple[int, ...] = (1, 8, 32)
    tp_seconds: float = 1.5
    write_md: bool = True
    json_path: Path | None = None
    upstream: str | None = None
    verbose: bool = True
    keep_logs: bool = False
    tasks: bool = True  # the agent-tasks section (bench/tasks.py)
    full_view: bool = True  # a second set of ours' latency rows with view "full" (the peer's bytes)
    soak_calls: int = 20000  # the soak figure: RSS after this many stdio calls minus RSS after `calls`
    soak_window: int = 16  # soak requests in flight at once (pipelined over stdio)
    deps: bool = True  # the with/without rows of the optional speed dependencies
    dep_calls: int = 300  # calls per run of those rows
    dep_cold_runs: int = 3  # spawns per variant for their cold start
    command: str = "uv run --group bench python -m bench"
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="glow-bench-")))

    def log(self, message: str) -> None:
        if self.verbose:
            print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark glow-models-mcp (ours) against the floor (direct httpx2) and the peer "
        "(fastmcp from_openapi), all against one local reference API.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny counts for a smoke run (~20 s); does not write BENCHMARKS.md"
    )
    parser.add_argument("--rounds", type=int, help="repeated runs of latency/memory/throughput (default 3; quick 1)")
    parser.add_argument("--cold-runs", type=int, help="process spawns per system for cold start (default 10; quick 1)")
    parser.add_argument(
        "--calls", type=int, help="calls per stdio run, also the memory figure (default 1000; quick 30)"
    )
    parser.add_argument("--http-calls", type=int, help="calls per HTTP latency run (default 400; quick 30)")
    parser.add_argument("--warmup", type=int, help="calls per run left out of latency figures (default 50; quick 4)")
    parser.add_argument("--clients", help="comma-separated concurrency levels for throughput (default 1,8,32)")
    parser.add_argument("--seconds", type=float, help="seconds per throughput measurement (default 1.5; quick 0.3)")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md even with --quick")
    parser.add_argument("--upstream", help="use this already-running reference API instead of starting one")
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON to this path")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs after a successful run")
    parser.add_argument("--no-tasks", action="store_true", help="leave out the agent-tasks section (bench/tasks.py)")
    parser.add_argument("--no-full-view", action="store_true", help='leave out the view "full" rows')
    parser.add_argument("--soak-calls", type=int, help="stdio calls for the soak figure (default 20000; quick 300)")
    parser.add_argument("--no-deps", action="store_true", help="leave out the optional-dependency rows")
    parser.add_argument("--dep-calls", type=int, help="calls per run of the dependency rows (default 300; quick 30)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)

    cfg = Config()
    if args.quick:
        cfg.rounds, cfg.cold_runs, cfg.cold_warmup, cfg.calls, cfg.http_calls, cfg.warmup, cfg.tp_seconds = (
            1,
            1,
            0,
            30,
            30,
            4,
            0.3,
        )
        cfg.write_md = False
        cfg.soak_calls, cfg.dep_calls, cfg.dep_cold_runs = 300, 30, 1
    for name in ("rounds", "cold_runs", "calls", "http_calls", "warmup", "soak_calls", "dep_calls"):
        value = getattr(args, name)
        if value is not None:
            setattr(cfg, name, value)
    if args.clients:
        cfg.tp_clients = tuple(int(c) for c in args.clients.split(",") if c.strip())
    if args.seconds is not None:
        cfg.tp_seconds = args.seconds
    if args.no_write:
        cfg.write_md = False
    if args.write:
        cfg.write_md = True
    cfg.json_path = args.json
    cfg.upstream = args.upstream
    cfg.verbose = not args.quiet
    cfg.keep_logs = args.keep_logs
    cfg.tasks = not args.no_tasks
    cfg.full_view = not args.no_full_view
    cfg.deps = not args.no_deps
    cfg.command = "uv run --group bench python -m bench"
    raw = sys.argv[1:] if argv is None else argv
    if raw:
        cfg.command += " " + " ".join(raw)
    if min(cfg.calls, cfg.http_calls, cfg.dep_calls) <= cfg.warmup + 1:
        parser.error("--calls, --http-calls and --dep-calls must be larger than --warmup + 1")
    if cfg.soak_calls <= cfg.calls:
        parser.error("--soak-calls must be larger than --calls")
    return cfg


# ------------------------------------------------------------------------------------------------
# statistics
# ------------------------------------------------------------------------------------------------


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Stat:
    """Median with min and max over repeated runs."""

    values: list[float]

    @property
    def med(self) -> float:
        return statistics.median(self.values)

    @property
    def lo(self) -> float:
        return min(self.values)

    @property
    def hi(self) -> float:
        return max(self.values)

    def as_dict(self) -> dict[str, Any]:
        return {"median": self.med, "min": self.lo, "max": self.hi, "runs": self.values}


class Results:
    """``results[metric][system] -> list of per-run values``."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, list[float]]] = {}
        self.info: dict[str, Any] = {}

    def add(self, metric: str, system: str, value: float) -> None:
        self.data.setdefault(metric, {}).setdefault(system, []).append(value)

    def stat(self, metric: str, system: str) -> Stat | None:
        values = self.data.get(metric, {}).get(system)
        return Stat(values) if values else None


# ------------------------------------------------------------------------------------------------
# processes
# ------------------------------------------------------------------------------------------------


def server_env(upstream: str) -> dict[str, str]:
    return clean_env(
        GLOW_INSTANCE_URL=upstream,
        GLOW_API_KEY=API_KEY,
        GLOW_TOKEN=TOKEN,
        PYTHONUNBUFFERED="1",
    )


#: The optional speed dependencies of ours (pyproject.toml), each measured with and without.
SPEED_DEPS = ("uvloop", "httptools", "orjson")


def ours_argv(*extra: str, without: tuple[str, ...] = ()) -> list[str]:
    """Ours as a program; ``without``: optional modules made unimportable (``bench/without.py``)."""
    if without:
        return [sys.executable, "-m", "bench.without", ",".join(without), "glow_models_mcp", *extra]
    return [sys.executable, "-m", "glow_models_mcp", *extra]


def peer_argv(upstream: str, *extra: str) -> list[str]:
    """The peer as a program, as installed on its own: fastmcp depends on uvicorn without its
    ``standard`` extra, so it runs without uvloop and httptools (and orjson), which ours' install
    brings into the benchmark's environment."""
    from .peer_server import SPEC_PATH, mcp_names  # the tool names from TOOL_SPECS, computed here

    names = json.dumps(mcp_names(json.loads(SPEC_PATH.read_text())))
    program = ["bench.peer_server", "--upstream", upstream, "--mcp-names", names, *extra]
    return [sys.executable, "-m", "bench.without", ",".join(SPEED_DEPS), *program]


def floor_argv(upstream: str, model_id: str) -> list[str]:
    return [sys.executable, "-m", "bench.floor_proc", upstream, model_id]


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / (1024 * 1024)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid``."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


class Background:
    """A long-running subprocess (reference API, HTTP servers), stopped with SIGINT then SIGKILL."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.log_path = logs / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self) -> asyncio.subprocess.Process:
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            env=self.env,
            cwd=str(REPO),
        )
        return self.proc

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.returncode is None:
            import signal

            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 8)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        self._log.close()

    def tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


async def start_reference_api(cfg: Config) -> tuple[Background, str]:
    """The reference API (``glow-models-mcp sandbox``) on a free loopback port, in its own process."""
    port = free_port()
    api = Background(
        "reference-api", ours_argv("sandbox", "--host", "127.0.0.1", "--port", str(port)), clean_env(), cfg.logs
    )
    proc = await api.start()
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_http(url + "/", 60, proc)
    except RuntimeError as exc:
        raise RuntimeError(f"reference API did not start: {exc}\n{api.tail()}") from None
    return api, url


async def start_http_server(
    cfg: Config, name: str, argv: list[str], env: dict[str, str], port: int
) -> tuple[Background, str]:
    server = Background(name, argv, env, cfg.logs)
    proc = await server.start()
    url = f"http://127.0.0.1:{port}/mcp"
    started = time.perf_counter()
    async with McpHttp(url) as client:
        while True:
            if proc.returncode is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}:\n{server.tail()}")
            try:
                await client.list_tools()
                break
            except Exception:
                if time.perf_counter() - started > 60:
                    raise RuntimeError(f"{name} did not answer on {url} within 60 s:\n{server.tail()}") from None
                await asyncio.sleep(0.05)
    return server, url


# ------------------------------------------------------------------------------------------------
# the floor, in process
# ------------------------------------------------------------------------------------------------


def upstream_headers() -> dict[str, str]:
    return {
        "X-Api-Key": API_KEY,
        "Authorization": f"Bearer {TOKEN}",
        "X-MCP": "true",
        "Content-Type": "application/json",
    }


def tool_calls(model_id: str, view: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The measured calls, alternating: (tool name, arguments). ``view``: ours' ``view`` argument
    (``None``: each server's default answer; ours' is compact, the peer has only one)."""
    extra = {"view": view} if view else {}
    return [("search_models", {**SEARCH_ARGS, **extra}), ("get_model", {"model_id": model_id, **extra})]


UPSTREAM_PATH = {"search_models": f"{UPSTREAM_BASE}/search", "get_model": f"{UPSTREAM_BASE}/get"}


class Floor:
    """The same upstream requests made directly with one keep-alive httpx2 client."""

    def __init__(self, upstream: str) -> None:
        import httpx2

        self.http = httpx2.AsyncClient(base_url=upstream, headers=upstream_headers(), timeout=60.0)

    async def call(self, tool: str, arguments: dict[str, Any]) -> Any:
        response = await self.http.post(UPSTREAM_PATH[tool], content=json.dumps(arguments, separators=(",", ":")))
        if response.status_code != 200:
            raise RpcError(f"floor {tool}: HTTP {response.status_code}: {response.text[:300]}")
        return response.json()

    async def aclose(self) -> None:
        await self.http.aclose()


# ------------------------------------------------------------------------------------------------
# measurements
# ------------------------------------------------------------------------------------------------


async def timed_calls(
    call: Callable[[str, dict[str, Any]], Any], calls: list[tuple[str, dict[str, Any]]], n: int, warmup: int
) -> dict[str, list[float]]:
    """``n`` sequential calls cycling through ``calls``; latencies (ms) per tool after ``warmup``."""
    out: dict[str, list[float]] = {}
    perf = time.perf_counter
    for i in range(n):
        tool, arguments = calls[i % len(calls)]
        t0 = perf()
        await call(tool, arguments)
        dt = (perf() - t0) * 1000
        if i >= warmup:
            out.setdefault(tool, []).append(dt)
    return out


#: Metric prefix of ours' rows with view "full" (the default answers' rows have none).
FULL = "full."


def record_latency(
    res: Results, transport: str, system: str, samples: dict[str, list[float]], prefix: str = ""
) -> None:
    for tool, values in samples.items():
        res.add(f"{prefix}lat.{transport}.{tool}.p50", system, percentile(values, 50))
        res.add(f"{prefix}lat.{transport}.{tool}.p99", system, percentile(values, 99))


def tools_list_facts(answer: dict[str, Any], size: int) -> dict[str, Any]:
    tools = answer["result"]["tools"]
    tools_bytes = len(json.dumps(tools, separators=(",", ":"), ensure_ascii=False).encode())

    def descriptions(node: Any) -> tuple[int, int]:
        chars = count = 0
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "description" and isinstance(value, str):
                    chars += len(value)
                    count += 1
                else:
                    c, k = descriptions(value)
                    chars, count = chars + c, count + k
        elif isinstance(node, list):
            for item in node:
                c, k = descriptions(item)
                chars, count = chars + c, count + k
        return chars, count

    tool_desc = sum(len(t.get("description") or "") for t in tools)
    schema_chars, schema_count = descriptions([t.get("inputSchema", {}) for t in tools])
    params = sum(len(t.get("inputSchema", {}).get("properties", {})) for t in tools)
    # What a client puts in the model's context: names, titles, descriptions and input schemas.
    visible = [{k: t[k] for k in ("name", "title", "description", "inputSchema") if k in t} for t in tools]
    return {
        "tools": len(tools),
        "message_bytes": size,
        "model_visible_bytes": len(json.dumps(visible, separators=(",", ":"), ensure_ascii=False).encode()),
        "tools_bytes": tools_bytes,
        "tool_description_chars": tool_desc,
        "input_description_chars": schema_chars,
        "input_descriptions": schema_count,
        "top_level_params": params,
        "names": sorted(t["name"] for t in tools),
    }


async def measure_cold_start(cfg: Config, res: Results, upstream: str, model_id: str) -> None:
    env = server_env(upstream)
    cfg.log(f"cold start: {cfg.cold_runs} spawn(s) per system (after {cfg.cold_warmup} unmeasured each)")
    for i in range(cfg.cold_warmup + cfg.cold_runs):
        for system in SYSTEMS if i % 2 == 0 else tuple(reversed(SYSTEMS)):
            if system == "floor":
                elapsed = await floor_cold_start(cfg, upstream, model_id)
            else:
                argv = ours_argv() if system == "ours" else peer_argv(upstream)
                async with StdioServer(argv, env, REPO, cfg.logs / f"{system}-stdio.log") as server:
                    answer, size, elapsed = await server.start_and_list_tools()
                res.info[f"tools_list.{system}"] = tools_list_facts(answer, size)
            if i >= cfg.cold_warmup:
                res.add("cold_start_ms", system, elapsed * 1000)


async def floor_cold_start(cfg: Config, upstream: str, model_id: str) -> float:
    async with StdioServer(floor_argv(upstream, model_id), server_env(upstream), REPO, cfg.logs / "floor.log") as proc:
        assert proc.proc is not None and proc.proc.stdout is not None
        line = await asyncio.wait_for(proc.proc.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"floor process said {line!r}")
        return time.perf_counter() - proc.spawned_at


async def measure_stdio_round(
    cfg: Config, res: Results, upstream: str, model_id: str, order: tuple[str, ...], *, soak: bool = False
) -> None:
    """One round over stdio: a fresh process per system; RSS after start, latencies, RSS after the
    calls; with ``soak``, ours then goes on to ``cfg.soak_calls`` calls (pipelined) for the soak
    figure. With ``cfg.full_view``, ours once more with view "full" (latency and CPU only)."""
    env = server_env(upstream)
    calls = tool_calls(model_id)
    if cfg.full_view:
        order = (*order, "ours-full")
    for system in order:
        if system == "ours-full":
            async with StdioServer(ours_argv(), env, REPO, cfg.logs / "ours-stdio.log") as server:
                await server.start_and_list_tools()
                cpu0 = cpu_s(server.pid)
                samples = await timed_calls(server.call, tool_calls(model_id, "full"), cfg.calls, cfg.warmup)
                res.add(f"{FULL}cpu.stdio", "ours", (cpu_s(server.pid) - cpu0) / cfg.calls * 1000)
            record_latency(res, "stdio", "ours", samples, FULL)
            continue
        if system == "floor":
            async with StdioServer(floor_argv(upstream, model_id), env, REPO, cfg.logs / "floor.log") as proc:
                assert proc.proc is not None and proc.proc.stdout is not None and proc.proc.stdin is not None
                line = await asyncio.wait_for(proc.proc.stdout.readline(), 60)
                assert line.strip() == b"ready", line
                res.add("rss_start_mb", "floor", rss_mb(proc.pid))
                proc.proc.stdin.write(f"{cfg.calls}\n".encode())
                await proc.proc.stdin.drain()
                line = await asyncio.wait_for(proc.proc.stdout.readline(), 600)
                assert line.strip() == f"done {cfg.calls}".encode(), line
                res.add("rss_after_mb", "floor", rss_mb(proc.pid))
            continue
        argv = ours_argv() if system == "ours" else peer_argv(upstream)
        async with StdioServer(argv, env, REPO, cfg.logs / f"{system}-stdio.log") as server:
            await server.start_and_list_tools()
            res.add("rss_start_mb", system, rss_mb(server.pid))
            cpu0 = cpu_s(server.pid)
            samples = await timed_calls(server.call, calls, cfg.calls, cfg.warmup)
            res.add("cpu.stdio", system, (cpu_s(server.pid) - cpu0) / cfg.calls * 1000)
            after = rss_mb(server.pid)
            res.add("rss_after_mb", system, after)
            if soak and system == "ours":
                cfg.log(f"soak: ours on to {cfg.soak_calls:,} calls ({cfg.soak_window} in flight)")
                await server.pipeline(calls, cfg.soak_calls - cfg.calls, cfg.soak_window)
                res.add("rss_soak_mb", system, rss_mb(server.pid))
                res.add("soak_growth_mb", system, rss_mb(server.pid) - after)
        record_latency(res, "stdio", system, samples)


async def measure_floor_latency(
    cfg: Config, res: Results, upstream: str, model_id: str, transport: str, calls: int
) -> None:
    """The floor has no transport of its own; it is measured again in each stdio and each HTTP round
    and filed under that transport, so each overhead pairs runs made minutes apart at most."""
    floor = Floor(upstream)
    try:
        samples = await timed_calls(floor.call, tool_calls(model_id), calls, cfg.warmup)
    finally:
        await floor.aclose()
    record_latency(res, transport, "floor", samples)


async def measure_http_latency(
    cfg: Config,
    res: Results,
    system: str,
    url: str,
    pid: int,
    model_id: str,
    transport: str,
    view: str | None = None,
    calls: int | None = None,
) -> None:
    calls = calls or cfg.http_calls
    prefix = FULL if view == "full" else ""
    async with McpHttp(url, HTTP_ERAS[transport]) as client:
        cpu0 = cpu_s(pid)
        samples = await timed_calls(client.call, tool_calls(model_id, view), calls, cfg.warmup)
        res.add(f"{prefix}cpu.{transport}", system, (cpu_s(pid) - cpu0) / calls * 1000)
    record_latency(res, transport, system, samples, prefix)


async def measure_ping(cfg: Config, res: Results, system: str, url: str) -> None:
    """``ping`` p50 over streamable HTTP 2025-11-25 (the floor: :mod:`bench.noop_app`, the hop alone)."""
    async with McpHttp(url, PROTOCOL_VERSION) as client:
        samples = []
        for i in range(cfg.http_calls):
            t0 = time.perf_counter()
            answer, _ = await client.rpc("ping")
            if "result" not in answer:
                raise RpcError(f"{system} ping: {answer}")
            if i >= cfg.warmup:
                samples.append((time.perf_counter() - t0) * 1000)
    res.add("lat.http.ping.p50", system, percentile(samples, 50))
    # The same ping with the load generator's raw HTTP/1.1 client (pre-built request, no httpx2): what
    # is left of the hop without an HTTP client library's own CPU on the sending side.
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    headers, body = http_message(0, "ping", None, PROTOCOL_VERSION)
    request = RawHttp.build(host, port, parts.path, json.dumps(body, separators=(",", ":")).encode(), headers)
    raw = RawHttp(host, port)
    await raw.connect()
    try:
        samples = []
        for i in range(cfg.http_calls):
            t0 = time.perf_counter()
            status, answer = await raw.send(request)
            if status != 200 or b'"result"' not in answer:
                raise RpcError(f"{system} raw ping: HTTP {status} {answer[:200]!r}")
            if i >= cfg.warmup:
                samples.append((time.perf_counter() - t0) * 1000)
    finally:
        await raw.close()
    res.add("lat.http.ping_raw.p50", system, percentile(samples, 50))


def mcp_requests(url: str, model_id: str, era: str) -> list[bytes]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    out = []
    for i, (tool, arguments) in enumerate(tool_calls(model_id)):
        headers, body = http_message(i + 1, "tools/call", {"name": tool, "arguments": arguments}, era)
        raw = json.dumps(body, separators=(",", ":")).encode()
        out.append(RawHttp.build(parts.hostname or "127.0.0.1", parts.port or 80, parts.path, raw, headers))
    return out


def floor_requests(upstream: str, model_id: str) -> list[bytes]:
    from urllib.parse import urlsplit

    parts = urlsplit(upstream)
    return [
        RawHttp.build(
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            UPSTREAM_PATH[tool],
            json.dumps(arguments, separators=(",", ":")).encode(),
            upstream_headers(),
        )
        for tool, arguments in tool_calls(model_id)
    ]


def ok_mcp(status: int, body: bytes) -> bool:
    return status == 200 and b'"result"' in body and b'"isError":true' not in body


def ok_floor(status: int, body: bytes) -> bool:
    return status == 200


async def throughput(
    url: str, requests: list[bytes], clients: int, seconds: float, ok: Callable[[int, bytes], bool]
) -> tuple[float, int]:
    """Calls per second with ``clients`` keep-alive connections each sending back to back; and errors."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conns = [RawHttp(parts.hostname or "127.0.0.1", parts.port or 80) for _ in range(clients)]
    await asyncio.gather(*(c.connect() for c in conns))
    errors = 0
    try:
        for c in conns:  # one warm-up exchange per connection
            for request in requests:
                status, body = await c.send(request)
                if not ok(status, body):
                    raise RpcError(f"warm-up call failed: HTTP {status}: {body[:300]!r}")
        stop = False
        counts = [0] * clients

        async def worker(i: int) -> None:
            nonlocal errors
            conn, j, n = conns[i], i, len(requests)
            while not stop:
                status, body = await conn.send(requests[j % n])
                j += 1
                counts[i] += 1
                if not ok(status, body):
                    errors += 1

        started = time.perf_counter()
        tasks = [asyncio.create_task(worker(i)) for i in range(clients)]
        await asyncio.sleep(seconds)
        stop = True
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.close() for c in conns))
    return sum(counts) / elapsed, errors


def dep_variants(cfg: Config) -> dict[str, tuple[str, ...]]:
    """The dependency rows' variants of ours: name -> the modules it runs without."""
    if cfg.dep_cold_runs <= 1:  # --quick: as installed and without all three only
        return {"as installed": (), "without all three": SPEED_DEPS}
    return {
        "as installed": (),
        **{f"without {dep}": (dep,) for dep in SPEED_DEPS},
        "without all three": SPEED_DEPS,
    }


async def measure_deps(cfg: Config, res: Results, upstream: str, model_id: str) -> None:
    """Ours with and without each optional speed dependency (``bench/without.py``): cold start,
    server CPU per call and overhead above the floor over stdio (default answers, and CPU with view
    "full") and over HTTP 2025-11-25. One process per variant and transport, all started first; the
    calls then go to the variants in turns of :data:`DEP_TURN` calls, in an order that rotates, so a
    change in the machine's load during the run, or a variant's place in the order (the one that runs
    twice in a row at a turn's end is favoured by warm caches), falls on every variant alike."""
    variants = dep_variants(cfg)
    env = server_env(upstream)
    cfg.log(
        f"optional dependencies: {len(variants)} variants x ({cfg.dep_cold_runs} spawn(s) + {cfg.dep_calls} calls "
        "over stdio, default and full + HTTP), interleaved"
    )
    floor = Floor(upstream)
    try:
        samples = await timed_calls(floor.call, tool_calls(model_id), cfg.dep_calls, cfg.warmup)
    finally:
        await floor.aclose()
    floor_p50 = {tool: percentile(values, 50) for tool, values in samples.items()}
    for i in range(cfg.dep_cold_runs):
        for name, without in variants.items() if i % 2 == 0 else reversed(variants.items()):
            async with StdioServer(ours_argv(without=without), env, REPO, cfg.logs / "deps.log") as server:
                _, _, elapsed = await server.start_and_list_tools()
            res.add("dep.cold_start_ms", name, elapsed * 1000)

    async def interleaved(clients: dict[str, Any], pids: dict[str, int], calls: list[Any], metric: str) -> None:
        """``cfg.dep_calls`` calls per variant in turns; CPU per call and p50 overheads recorded."""
        for client in clients.values():  # warm-up, unmeasured
            await timed_calls(client.call, calls, cfg.warmup, cfg.warmup)
        cpu = dict.fromkeys(clients, 0.0)
        lat: dict[str, dict[str, list[float]]] = {name: {} for name in clients}
        turns = max(1, cfg.dep_calls // DEP_TURN)
        names = list(clients)
        for turn in range(turns):  # the order rotates: each variant takes each place equally often
            for name in names[turn % len(names) :] + names[: turn % len(names)]:
                cpu0 = cpu_s(pids[name])
                got = await timed_calls(clients[name].call, calls, DEP_TURN, 0)
                cpu[name] += cpu_s(pids[name]) - cpu0
                for tool, values in got.items():
                    lat[name].setdefault(tool, []).extend(values)
        for name in clients:
            res.add(f"dep.cpu.{metric}", name, cpu[name] / (turns * DEP_TURN) * 1000)
            if metric != "stdio_full":
                for tool, values in lat[name].items():
                    res.add(f"dep.overhead.{metric}.{tool}", name, percentile(values, 50) - floor_p50[tool])

    stdio = {name: StdioServer(ours_argv(without=w), env, REPO, cfg.logs / "deps.log") for name, w in variants.items()}
    try:
        for server in stdio.values():
            await server.__aenter__()
            await server.start_and_list_tools()
        pids = {name: server.pid for name, server in stdio.items()}
        await interleaved(stdio, pids, tool_calls(model_id), "stdio")
        await interleaved(stdio, pids, tool_calls(model_id, "full"), "stdio_full")
    finally:
        for server in stdio.values():
            await server.close()
    started: dict[str, Background] = {}
    http: dict[str, McpHttp] = {}
    try:
        for name, without in variants.items():
            port = free_port()
            argv = ours_argv("--transport", "http", "--port", str(port), without=without)
            started[name], url = await start_http_server(cfg, f"deps-http-{len(started)}", argv, env, port)
            http[name] = McpHttp(url, PROTOCOL_VERSION)
            await http[name].__aenter__()
        await interleaved(http, {name: bg.pid for name, bg in started.items()}, tool_calls(model_id), "http")
    finally:
        for client in http.values():
            await client.__aexit__(None, None, None)
        for bg in started.values():
            await bg.stop()


#: Calls a dependency variant gets in one turn (see :func:`measure_deps`).
DEP_TURN = 20


# ------------------------------------------------------------------------------------------------
# orchestration
# ------------------------------------------------------------------------------------------------


async def first_model_id(upstream: str) -> str:
    floor = Floor(upstream)
    try:
        page = await floor.call("search_models", SEARCH_ARGS)
    finally:
        await floor.aclose()
    models = page.get("models") or []
    if not models:
        raise RuntimeError(f"the reference API found no model for {SEARCH_ARGS}: {str(page)[:300]}")
    return str(models[0]["model_id"])


async def run(cfg: Config) -> Results:
    res = Results()
    started = time.perf_counter()
    res.info["load_start"] = _loadavg()
    cfg.log(f"logs in {cfg.logs}")
    if cfg.upstream:
        api, upstream = None, cfg.upstream.rstrip("/")
    else:
        api, upstream = await start_reference_api(cfg)
    cfg.log(f"reference API at {upstream}")
    servers: list[Background] = []
    try:
        model_id = await first_model_id(upstream)
        res.info["model_id"] = model_id

        await measure_cold_start(cfg, res, upstream, model_id)

        cfg.log(f"stdio latency + memory: {cfg.rounds} round(s) x {cfg.calls} calls per system")
        for r in range(cfg.rounds):
            await measure_floor_latency(cfg, res, upstream, model_id, "stdio", cfg.http_calls)
            await measure_stdio_round(
                cfg, res, upstream, model_id, SYSTEMS if r % 2 == 0 else tuple(reversed(SYSTEMS)), soak=r == 0
            )

        cfg.log("starting the HTTP servers")
        env = server_env(upstream)
        ours_port, peer_port = free_port(), free_port()
        ours_srv, ours_url = await start_http_server(
            cfg, "ours-http", ours_argv("--transport", "http", "--port", str(ours_port)), env, ours_port
        )
        servers.append(ours_srv)
        peer_srv, peer_url = await start_http_server(
            cfg, "peer-http", peer_argv(upstream, "--transport", "http", "--port", str(peer_port)), env, peer_port
        )
        servers.append(peer_srv)
        noop_port = free_port()
        noop_srv, noop_url = await start_http_server(
            cfg, "noop-http", [sys.executable, "-m", "bench.noop_app", str(noop_port)], clean_env(), noop_port
        )
        servers.append(noop_srv)
        urls = {"ours": ours_url, "peer": peer_url}
        pids = {"ours": ours_srv.pid, "peer": peer_srv.pid}
        for system, url in urls.items():
            for transport, era in HTTP_ERAS.items():
                async with McpHttp(url, era) as client:
                    answer, size = await client.list_tools()
                res.info[f"tools_list.{transport}.{system}"] = tools_list_facts(answer, size)

        cfg.log(f"HTTP latency: {cfg.rounds} round(s) x {cfg.http_calls} calls per system and protocol era")
        for r in range(cfg.rounds):
            await measure_floor_latency(cfg, res, upstream, model_id, "http", cfg.http_calls)
            for key in [k for k in res.data if k.startswith("lat.http.")]:  # one HTTP floor for both eras
                res.data.setdefault(key.replace("lat.http.", "lat.http26.", 1), {})["floor"] = res.data[key]["floor"]
            for system, url in (("floor", noop_url), *urls.items()):  # the HTTP hop, and each stack's share
                await measure_ping(cfg, res, system, url)
            for transport in HTTP_ERAS if r % 2 == 0 else tuple(reversed(HTTP_ERAS)):
                for system in ("ours", "peer") if r % 2 == 0 else ("peer", "ours"):
                    await measure_http_latency(cfg, res, system, urls[system], pids[system], model_id, transport)
                if cfg.full_view:
                    await measure_http_latency(
                        cfg, res, "ours", urls["ours"], pids["ours"], model_id, transport, view="full"
                    )

        cfg.log(
            f"HTTP throughput: {cfg.rounds} round(s) x clients {cfg.tp_clients} x {cfg.tp_seconds:g} s "
            f"x (floor + 2 systems x 2 eras)"
        )
        loads: dict[str, tuple[str, list[bytes], Callable[[int, bytes], bool], list[str]]] = {
            "floor": (upstream, floor_requests(upstream, model_id), ok_floor, [f"tp.{t}" for t in HTTP_ERAS]),
        }
        for system, url in urls.items():
            for transport, era in HTTP_ERAS.items():
                loads[f"{system}.{transport}"] = (url, mcp_requests(url, model_id, era), ok_mcp, [f"tp.{transport}"])
        for r in range(cfg.rounds):
            for clients in cfg.tp_clients:
                for key in loads if r % 2 == 0 else tuple(reversed(loads)):
                    url, reqs, ok, metrics = loads[key]
                    rate, errors = await throughput(url, reqs, clients, cfg.tp_seconds, ok)
                    if errors:
                        raise RpcError(f"{key}: {errors} failed call(s) during the throughput run")
                    for metric in metrics:
                        res.add(f"{metric}.{clients}", key.split(".")[0], rate)
        for server in servers:
            await server.stop()
        servers.clear()
        if cfg.deps:
            await measure_deps(cfg, res, upstream, model_id)
    finally:
        for server in servers:
            await server.stop()
        if api is not None:
            await api.stop()
    if cfg.tasks:
        from . import tasks

        cfg.log("agent tasks: ours and the peer, each against its own fresh reference API (in this process)")
        res.info["agent_tasks"] = tasks.figures(await tasks.run_all(cfg.log, cfg.logs))
    res.info["duration_s"] = time.perf_counter() - started
    res.info["load_end"] = _loadavg()
    return res


def _loadavg() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# ------------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except Exception:
        ram = "?"
    from importlib.metadata import version

    def v(name: str) -> str:
        try:
            return version(name)
        except Exception:
            return "?"

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "packages": f"glow-models-mcp {v('glow-models-mcp')}, mcp {v('mcp')}, fastmcp {v('fastmcp')}, "
        f"httpx2 {v('httpx2')}, pydantic {v('pydantic')}",
    }


def fmt(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def cell(s: Stat | None, digits: int = 1) -> str:
    if s is None:
        return "–"
    if len(s.values) == 1 or s.lo == s.hi:
        return fmt(s.med, digits)
    return f"{fmt(s.med, digits)} ({fmt(s.lo, digits)}–{fmt(s.hi, digits)})"


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def rfmt(r: float | None) -> str:
    return "–" if r is None else f"{r:.2f}×"


def overhead(res: Results, transport: str, tool: str, system: str, prefix: str = "") -> Stat | None:
    """Per-round p50 above the floor's p50 of the same round (ms). Both HTTP eras share the HTTP floor.
    ``prefix``: :data:`FULL` for ours' rows with view "full"."""
    mine = res.data.get(f"{prefix}lat.{transport}.{tool}.p50", {}).get(system)
    floor = res.data.get(f"lat.{transport}.{tool}.p50", {}).get("floor")
    if not mine or not floor:
        return None
    return Stat([m - f for m, f in zip(mine, floor, strict=False)])


@dataclass
class Target:
    name: str
    measured: float | None
    limit: float
    at_most: bool
    unit: str = "×"  # a ratio; otherwise the unit of an absolute figure (" MiB")

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        return self.measured <= self.limit if self.at_most else self.measured >= self.limit

    def row(self) -> str:
        sign = "≤" if self.at_most else "≥"
        verdict = {True: "**met**", False: "**not met**", None: "–"}[self.met]
        if self.unit == "×":
            measured = rfmt(self.measured)
        else:
            measured = "–" if self.measured is None else f"{self.measured:.1f}{self.unit}"
        return f"| {self.name} | {sign} {self.limit:g}{self.unit} | {measured} | {verdict} |"


TOOLS = ("search_models", "get_model")
TRANSPORTS = ("stdio", *HTTP_ERAS)


def report(cfg: Config, res: Results) -> tuple[str, list[Target]]:
    rows: list[str] = [
        "| Figure | ours | floor | peer | ours/floor | ours/peer |",
        "|---|---|---|---|---|---|",
    ]

    def add(label: str, metric: str, digits: int = 1, *, floor: bool = True) -> None:
        o, f, p = (res.stat(metric, s) for s in SYSTEMS)
        rows.append(
            f"| {label} | {cell(o, digits)} | {cell(f, digits) if floor else 'n/a'} | {cell(p, digits)} | "
            f"{rfmt(ratio(o and o.med, f and f.med)) if floor else 'n/a'} | {rfmt(ratio(o and o.med, p and p.med))} |"
        )

    def med(metric: str, system: str) -> float | None:
        s = res.stat(metric, system)
        return s.med if s else None

    add("Cold start: spawn → first `tools/list` answer, stdio (ms) ¹", "cold_start_ms", 0)
    tl = {s: res.info.get(f"tools_list.{s}") for s in ("ours", "peer")}
    tl_ratio = None
    if tl["ours"] and tl["peer"]:
        o, p = tl["ours"], tl["peer"]
        tl_ratio = ratio(o["message_bytes"], p["message_bytes"])
        rows.append(
            f"| `tools/list` answer, bytes (stdio JSON-RPC message) | {o['message_bytes']:,} | n/a | "
            f"{p['message_bytes']:,} | n/a | {rfmt(tl_ratio)} |"
        )
        rows.append(
            f"| `tools/list` answer, estimated tokens (bytes / {BYTES_PER_TOKEN}) | {o['message_bytes'] // BYTES_PER_TOKEN:,} | n/a | "
            f"{p['message_bytes'] // BYTES_PER_TOKEN:,} | n/a | {rfmt(tl_ratio)} |"
        )
        mv_ratio = ratio(o["model_visible_bytes"], p["model_visible_bytes"])
        rows.append(
            f"| `tools/list` model-visible bytes (names, titles, descriptions, input schemas) ⁵ | "
            f"{o['model_visible_bytes']:,} | n/a | {p['model_visible_bytes']:,} | n/a | {rfmt(mv_ratio)} |"
        )
        for transport in HTTP_ERAS:
            oh, ph = res.info.get(f"tools_list.{transport}.ours"), res.info.get(f"tools_list.{transport}.peer")
            if oh and ph:
                rows.append(
                    f"| `tools/list` answer, bytes ({TRANSPORT_LABEL[transport]} body) | {oh['message_bytes']:,} | n/a | "
                    f"{ph['message_bytes']:,} | n/a | {rfmt(ratio(oh['message_bytes'], ph['message_bytes']))} |"
                )
        od = o["tool_description_chars"] + o["input_description_chars"]
        pd = p["tool_description_chars"] + p["input_description_chars"]
        rows.append(
            f"| Tools; described input fields; description characters (tools + inputs) | {o['tools']}; "
            f"{o['input_descriptions']}; {od:,} | n/a | {p['tools']}; {p['input_descriptions']}; {pd:,} | n/a | "
            f"{rfmt(ratio(od, pd))} |"
        )

    def add_full(label: str, metric: str, digits: int = 1, *, floor: bool = True) -> None:
        """A row of ours with view "full" beside the peer's (one answer) and the floor."""
        o, f, p = res.stat(FULL + metric, "ours"), res.stat(metric, "floor"), res.stat(metric, "peer")
        if o is None:
            return
        rows.append(
            f"| {label} | {cell(o, digits)} | {cell(f, digits) if floor else 'n/a'} | {cell(p, digits)} | "
            f"{rfmt(ratio(o.med, f and f.med)) if floor else 'n/a'} | {rfmt(ratio(o.med, p and p.med))} |"
        )

    views = ("", FULL) if cfg.full_view else ("",)
    full_label = ', view "full"'
    for prefix in views:
        for transport in TRANSPORTS:
            for tool in TOOLS:
                for q in ("p50", "p99"):
                    label = f"`{tool}` latency {q}, {TRANSPORT_LABEL[transport]}{full_label if prefix else ''} (ms)"
                    (add_full if prefix else add)(label, f"lat.{transport}.{tool}.{q}", 2)
    add(f"`ping` latency p50, HTTP {PROTOCOL_VERSION} (ms) ⁷", "lat.http.ping.p50", 2)
    add(f"`ping` latency p50, HTTP {PROTOCOL_VERSION}, raw HTTP/1.1 client (ms) ⁷", "lat.http.ping_raw.p50", 2)
    overhead_ratios: dict[str, dict[str, float | None]] = {"": {}, FULL: {}}
    for prefix in views:
        for transport in TRANSPORTS:
            for tool in TOOLS:
                o, p = overhead(res, transport, tool, "ours", prefix), overhead(res, transport, tool, "peer")
                r = ratio(o and o.med, p and p.med)
                overhead_ratios[prefix][f"{tool}, {TRANSPORT_LABEL[transport]}"] = r
                rows.append(
                    f"| `{tool}` overhead above floor, p50, {TRANSPORT_LABEL[transport]}"
                    f"{full_label if prefix else ''} (ms) | {cell(o, 2)} | 0 | {cell(p, 2)} | n/a | {rfmt(r)} |"
                )
    for prefix in views:
        for transport in TRANSPORTS:
            label = f"Server CPU per call, {TRANSPORT_LABEL[transport]}{full_label if prefix else ''} (ms) ²"
            (add_full if prefix else add)(label, f"cpu.{transport}", 2, floor=False)
    for transport in HTTP_ERAS:
        for clients in cfg.tp_clients:
            add(
                f"Throughput, {TRANSPORT_LABEL[transport]}, {clients} client(s) (calls/s) ³",
                f"tp.{transport}.{clients}",
                0,
            )
    add("RSS after start (MiB) ⁴", "rss_start_mb", 1)
    add(f"RSS after {cfg.calls:,} calls (MiB) ⁴", "rss_after_mb", 1)
    soak = res.stat("soak_growth_mb", "ours")
    if soak is not None:
        rows.append(
            f"| RSS after {cfg.soak_calls:,} calls (MiB) ⁶ | {cell(res.stat('rss_soak_mb', 'ours'), 1)} | n/a | n/a "
            "| n/a | n/a |"
        )
        rows.append(
            f"| Soak: RSS after {cfg.soak_calls:,} calls minus after {cfg.calls:,} (MiB) ⁶ | {cell(soak, 1)} | n/a "
            "| n/a | n/a | n/a |"
        )

    targets = [
        Target("Cold start, ours/peer", ratio(med("cold_start_ms", "ours"), med("cold_start_ms", "peer")), 0.6, True)
    ]
    for prefix, limit, what in (("", 0.5, "default answers"), (FULL, 0.8, 'ours with view "full"')):
        measured = {k: v for k, v in overhead_ratios[prefix].items() if v is not None}
        if prefix and not measured:
            continue
        worst_key = max(measured, key=lambda k: measured[k]) if measured else None
        targets.append(
            Target(
                f"Per-call overhead above floor, {what}, ours/peer (worst of the {len(overhead_ratios[prefix])} p50 "
                f"rows: {worst_key})",
                measured[worst_key] if worst_key else None,
                limit,
                True,
            )
        )
    targets.append(Target("`tools/list` bytes, ours/peer", tl_ratio, 0.6, True))
    for clients in (8, 32):
        if clients not in cfg.tp_clients:
            continue
        for transport in HTTP_ERAS:
            targets.append(
                Target(
                    f"Throughput at {clients} clients, {TRANSPORT_LABEL[transport]}, one worker each, ours/peer",
                    ratio(med(f"tp.{transport}.{clients}", "ours"), med(f"tp.{transport}.{clients}", "peer")),
                    1.5,
                    False,
                )
            )
    if soak is not None:
        targets.append(
            Target(f"Soak: RSS growth from {cfg.calls:,} to {cfg.soak_calls:,} calls", soak.med, 5, True, unit=" MiB")
        )
    m = machine()
    counts = (
        f"{cfg.rounds} round(s); cold start {cfg.cold_runs} spawn(s) per system; {cfg.calls:,} calls per stdio run, "
        f"{cfg.http_calls:,} per HTTP latency run (first {cfg.warmup} left out); throughput {cfg.tp_seconds:g} s per "
        "measurement"
    )
    notes = [
        "Each cell: median (min–max) over the repeated runs; ratios are of the medians. Latency percentiles "
        "are computed per run, then median/min/max over runs. Overhead above floor: the system's p50 minus "
        "the floor's p50 measured in the same round (the HTTP floor serves both eras).",
        "¹ Ours and peer: spawn → `initialize` + `notifications/initialized` + `tools/list` written at once → "
        "the `tools/list` answer. Floor: spawn → `import httpx2` → first upstream answer (no MCP).",
        "² User + system CPU time of the server process (psutil) during the latency run, divided by the calls.",
        "³ Load generator: one raw HTTP/1.1 keep-alive connection per client replaying pre-built requests "
        "(alternating `search_models` / `get_model`), on the same 2 cores as the servers and the reference API. "
        "Floor: the same requests straight to the reference API.",
        f"⁴ psutil RSS of the stdio server process after the first `tools/list` and after {cfg.calls:,} calls "
        "(floor: the `bench/floor_proc.py` process making the same upstream requests with httpx2).",
        "⁵ What a client puts in the model's context: each tool's `name`, `title`, `description` and "
        "`inputSchema`, as compact JSON (output schemas and annotations left out).",
        f"⁶ The stdio server of the first round goes on from {cfg.calls:,} to {cfg.soak_calls:,} calls (the same "
        f"alternating calls, {cfg.soak_window} in flight at once), then its RSS is read again.",
        "⁷ `ping` over streamable HTTP: the transport and dispatch of each stack without a tool behind it. Floor: "
        "`bench/noop_app.py`, a no-op ASGI app on uvicorn with uvloop and httptools (ours' HTTP stack) answering "
        "the same POST with an empty result: one HTTP hop, client included. Every HTTP overhead above the floor "
        "contains one such hop (the floor of those rows makes one hop, the servers two: the second is each "
        "server's own request to the upstream, through httpx2 as the floor's client). The first row's client "
        "is the benchmark's httpx2 client, the second the load generator's raw HTTP/1.1 client replaying a "
        "pre-built request: their difference in the floor column is what httpx2's client costs per request.",
        "View \"full\": ours answers with the upstream's whole answer (the same bytes as the peer's); the peer "
        "has only that answer, so its cells are its default rows. Default answers: ours compact (issue 10).",
        "The peer runs as installed on its own (`pip install fastmcp`: uvicorn without its `standard` extra), "
        "so without uvloop, httptools and orjson, which ours depends on (see the dependency table).",
        f"Protocol: stdio speaks {PROTOCOL_VERSION} (handshake). Streamable HTTP (stateless, JSON responses) is "
        f"measured in both eras: {PROTOCOL_VERSION} (stateless handshake era) and {MODERN_VERSION} (per-request "
        "envelope, what the SDK's own client negotiates). `tools/list` tokens are estimated as bytes / 4.",
    ]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; {m['python']} on {m['os']}. "
        f"Load average (1, 5, 15 min) at start {res.info.get('load_start', '?')}, at end {res.info.get('load_end', '?')} "
        "(other work on the machine shows here).",
        f"Versions: {m['packages']}.",
        f"Command: `{cfg.command}` ({counts}); the run took {res.info.get('duration_s', 0):.0f} s, "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}.",
        "",
        *rows,
        "",
        "| Target | limit | measured | |",
        "|---|---|---|---|",
        *(t.row() for t in targets),
        "",
        *(f"- {n}" for n in notes),
    ]
    lines += dep_report(cfg, res)
    if "agent_tasks" in res.info:
        from . import tasks

        lines += ["", tasks.report(res.info["agent_tasks"])[0]]
    return "\n".join(lines), targets


def dep_report(cfg: Config, res: Results) -> list[str]:
    """The optional-dependency table: ours as installed and without each of them."""
    variants = [v for v in dep_variants(cfg) if res.stat("dep.cpu.stdio", v) is not None]
    if not variants:
        return []
    figures = [
        ("Cold start, stdio (ms)", "dep.cold_start_ms", 0),
        ("Server CPU per call, stdio (ms)", "dep.cpu.stdio", 2),
        ("`search_models` overhead above floor, p50, stdio (ms)", "dep.overhead.stdio.search_models", 2),
        ("`get_model` overhead above floor, p50, stdio (ms)", "dep.overhead.stdio.get_model", 2),
        ('Server CPU per call, stdio, view "full" (ms)', "dep.cpu.stdio_full", 2),
        (f"Server CPU per call, HTTP {PROTOCOL_VERSION} (ms)", "dep.cpu.http", 2),
        (
            f"`search_models` overhead above floor, p50, HTTP {PROTOCOL_VERSION} (ms)",
            "dep.overhead.http.search_models",
            2,
        ),
        (f"`get_model` overhead above floor, p50, HTTP {PROTOCOL_VERSION} (ms)", "dep.overhead.http.get_model", 2),
    ]
    out = [
        "",
        "### Optional speed dependencies",
        "",
        f"Ours as installed (uvloop, httptools and orjson are dependencies; uvloop not on Windows), and with each made "
        f"unimportable (`bench/without.py`): {cfg.dep_cold_runs} spawn(s) per variant, and {cfg.dep_calls:,} calls per "
        f"variant and transport, one process each, all started first and called in turns of {DEP_TURN} calls (so a "
        "change in the machine's load falls on every variant alike). "
        "Without one, ours takes the standard fallback: asyncio's own event loop, uvicorn's h11 parser, the "
        "standard json encoder.",
        "",
        "| Figure | " + " | ".join(variants) + " |",
        "|---|" + "---|" * len(variants),
    ]
    for label, metric, digits in figures:
        cells = [cell(res.stat(metric, v), digits) for v in variants]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return out


def write_markdown(table: str, path: Path = MD_PATH) -> None:
    block = f"{MD_START}\n{table}\n{MD_END}"
    if path.exists():
        text = path.read_text()
        if MD_START in text and MD_END in text:
            text = re.sub(re.escape(MD_START) + r".*?" + re.escape(MD_END), lambda _m: block, text, flags=re.S)
        else:
            text = text.rstrip() + "\n\n## Latest run\n\n" + block + "\n"
    else:
        text = "# Benchmarks\n\n## Latest run\n\n" + block + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    try:
        res = asyncio.run(run(cfg))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print(f"benchmark failed: {type(exc).__name__}: {exc}\nserver logs: {cfg.logs}", file=sys.stderr)
        return 1
    table, targets = report(cfg, res)
    print(table)
    if cfg.json_path:
        payload = {
            "config": {k: str(v) for k, v in vars(cfg).items()},
            "machine": machine(),
            "info": res.info,
            "figures": {m: {s: Stat(v).as_dict() for s, v in by.items()} for m, by in res.data.items()},
            "targets": [{"name": t.name, "measured": t.measured, "limit": t.limit, "met": t.met} for t in targets],
        }
        cfg.json_path.write_text(json.dumps(payload, indent=2))
    if cfg.write_md:
        write_markdown(table)
        cfg.log(f"wrote the table into {MD_PATH}")
    if not cfg.keep_logs:
        import shutil

        shutil.rmtree(cfg.logs, ignore_errors=True)
    return 0
