"""Where a server spends its CPU per call: py-spy sampling of ours or the peer under the benchmark's load.

``uv run --group bench python -m bench.profile [--system ours|peer] [--transport stdio|http|http26]
[--tool search_models|get_model|both] [--calls N] [--focus FRAME]``

Starts the reference API, spawns the server, warms it up, attaches ``py-spy record`` to the
server's pid, makes the calls, and prints the inclusive share of the busiest frames (main thread,
idle time left out), the biggest self times, and with ``--focus`` the callees of one frame. It also
prints the server's CPU time per call (psutil). py-spy is not a dependency of the project:
``uv pip install py-spy`` first (it must be allowed to ptrace the server; root or a permissive
``kernel.yama.ptrace_scope``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .runner import (
    REPO,
    Background,
    Config,
    cpu_s,
    first_model_id,
    ours_argv,
    peer_argv,
    server_env,
    start_http_server,
    start_reference_api,
    tool_calls,
)
from .wire import MODERN_VERSION, PROTOCOL_VERSION, McpHttp, StdioServer, free_port


def _short(frame: str) -> str:
    if " (" not in frame:
        return frame
    name, loc = frame.split(" (", 1)
    path = loc.rstrip(")").split(":")[0]
    return f"{name} ({'/'.join(path.split('/')[-2:])})"


def _package(frame: str) -> str:
    """The package a py-spy frame's file belongs to (``asyncio``, ``pydantic``, ``glow_models_mcp``...)."""
    if " (" not in frame:
        return frame
    path = frame.split(" (", 1)[1].rstrip(")").split(":")[0]
    parts = path.replace("\\", "/").split("/")
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    if "glow_models_mcp" in parts:
        return "glow_models_mcp"
    for i, part in enumerate(parts):  # the standard library: python3.X/<module>
        if part.startswith("python3") and i + 1 < len(parts):
            return parts[i + 1].removesuffix(".py")
    # py-spy shortens paths below sys.path: "asyncio/tasks.py", "pydantic/main.py", "json/decoder.py"
    return parts[0] if len(parts) > 1 else parts[-1].removesuffix(".py")


def aggregate(raw: Path, top: int, focus: str | None) -> str:
    """Inclusive and self shares from py-spy's raw (collapsed) output, main thread, idle left out."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    callees: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not frames or "Thread" in frames[0][:40] or "select" in frames[-1].split(" (")[0]:
            continue  # worker threads (waiting) and the event loop's idle select
        n = int(count)
        total += n
        names = [_short(f) for f in frames]
        for name in set(names):
            inclusive[name] += n
        own[names[-1]] += n
        packages[_package(frames[-1])] += n
        if focus:
            hits = [i for i, name in enumerate(names) if name.startswith(focus)]
            if hits:
                i = hits[0]
                callees[names[i + 1] if i + 1 < len(names) else "<self>"] += n
    if not total:
        return "no samples (is py-spy allowed to attach?)"
    out = [f"{total} samples on the main thread (idle left out)", "", "inclusive:"]
    out += [f"{100 * n / total:6.1f}%  {name}" for name, n in inclusive.most_common(top)]
    out += ["", "self, by package (where the CPU is spent, callees not included):"]
    out += [f"{100 * n / total:6.1f}%  {name}" for name, n in packages.most_common(20)]
    out += ["", "self:"]
    out += [f"{100 * n / total:6.1f}%  {name}" for name, n in own.most_common(20)]
    if focus:
        out += ["", f"callees of {focus}:"]
        out += [f"{100 * n / total:6.1f}%  {name}" for name, n in callees.most_common(20)]
    return "\n".join(out)


async def main(args: argparse.Namespace) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: uv pip install py-spy")
    cfg = Config(verbose=True)
    api, upstream = await start_reference_api(cfg)
    raw = Path(tempfile.mkdtemp(prefix="glow-profile-")) / "profile.raw"
    try:
        model_id = await first_model_id(upstream)
        calls = tool_calls(model_id, view=args.view)
        if args.tool != "both":
            calls = [c for c in calls if c[0] == args.tool]
        env = server_env(upstream)
        server: Any
        background: Background | None = None
        if args.transport == "stdio":
            argv = ours_argv() if args.system == "ours" else peer_argv(upstream)
            server = StdioServer(argv, env, REPO, cfg.logs / "profiled.log")
            await server.__aenter__()
            await server.start_and_list_tools()
            pid = server.pid
        else:
            port = free_port()
            argv = (
                ours_argv("--transport", "http", "--port", str(port))
                if args.system == "ours"
                else peer_argv(upstream, "--transport", "http", "--port", str(port))
            )
            background, url = await start_http_server(cfg, "profiled", argv, env, port)
            server = McpHttp(url, MODERN_VERSION if args.transport == "http26" else PROTOCOL_VERSION)
            await server.__aenter__()
            pid = background.pid
        try:
            for i in range(100):
                await server.call(*calls[i % len(calls)])
            recorder = subprocess.Popen(
                [spy, "record", "-r", str(args.rate), "-f", "raw", "-o", str(raw), "--pid", str(pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            await asyncio.sleep(1.0)
            cpu0, started = cpu_s(pid), time.perf_counter()
            for i in range(args.calls):
                await server.call(*calls[i % len(calls)])
            cpu, wall = cpu_s(pid) - cpu0, time.perf_counter() - started
            recorder.send_signal(signal.SIGINT)
            recorder.wait(60)
        finally:
            if isinstance(server, StdioServer):
                await server.close()
            else:
                await server.__aexit__(None, None, None)
            if background is not None:
                await background.stop()
    finally:
        await api.stop()
    print(
        f"{args.system} over {args.transport}, {args.tool}: {args.calls} calls, {wall / args.calls * 1000:.2f} ms per "
        f"call (slowed by the sampler), server CPU {cpu / args.calls * 1000:.2f} ms per call\n"
    )
    print(aggregate(raw, args.top, args.focus))


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--system", choices=["ours", "peer"], default="ours")
    parser.add_argument("--transport", choices=["stdio", "http", "http26"], default="stdio")
    parser.add_argument("--tool", choices=["search_models", "get_model", "both"], default="both")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--view", choices=["full"], help="ours' view argument (default: each server's default answer)")
    parser.add_argument("--rate", type=int, default=500, help="samples per second (default 500)")
    parser.add_argument("--top", type=int, default=45, help="inclusive frames to list (default 45)")
    parser.add_argument("--focus", help="also list the callees of the frame starting with this text, e.g. run_tool")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
