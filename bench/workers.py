"""Streamable HTTP throughput of our server with 2 worker processes (``--workers 2``) against 1.

``worker_ratio(cfg, upstream, model_id)`` is for ``bench.runner`` to call (it starts each server,
measures ``throughput`` at each concurrency level of ``cfg.tp_clients`` and returns the calls per
second and the 2-to-1 ratio); ``uv run --group bench python -m bench.workers [--seconds S]
[--clients 8,32]`` runs it alone against a fresh reference API and prints the figures.

The upstream (the reference API, one process) is shared by both runs: on a machine with few cores
it competes with the workers for CPU, so the ratio shows what a second worker adds *there*, not
what it would add with the upstream elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from .runner import (
    Background,
    Config,
    first_model_id,
    free_port,
    mcp_requests,
    ok_mcp,
    ours_argv,
    server_env,
    start_http_server,
    start_reference_api,
    throughput,
)
from .wire import PROTOCOL_VERSION, RpcError


async def worker_ratio(cfg: Config, upstream: str, model_id: str, workers: int = 2) -> dict[str, Any]:
    """Calls per second of ``--workers 1`` and ``--workers {workers}`` at each of ``cfg.tp_clients``
    (``cfg.rounds`` rounds, the best kept), and their ratio: ``{"clients": {n: {"1": rate, "2":
    rate, "ratio": r}}}``.

    Raises:
        RpcError: a call failed during a measurement.
    """
    rates: dict[int, dict[str, float]] = {}
    for count in (1, workers):
        port = free_port()
        argv = ours_argv("--transport", "http", "--port", str(port), "--workers", str(count))
        server: Background
        server, url = await start_http_server(cfg, f"ours-http-{count}w", argv, server_env(upstream), port)
        try:
            requests = mcp_requests(url, model_id, PROTOCOL_VERSION)
            for clients in cfg.tp_clients:
                best = 0.0
                for _ in range(max(1, cfg.rounds)):
                    rate, errors = await throughput(url, requests, clients, cfg.tp_seconds, ok_mcp)
                    if errors:
                        raise RpcError(f"--workers {count}: {errors} failed call(s) at {clients} clients")
                    best = max(best, rate)
                rates.setdefault(clients, {})[str(count)] = best
        finally:
            await server.stop()
    return {
        "clients": {
            n: {**r, "ratio": r[str(workers)] / r["1"] if r.get("1") else float("nan")} for n, r in rates.items()
        }
    }


async def _main(cfg: Config) -> None:
    api, upstream = await start_reference_api(cfg)
    try:
        figures = await worker_ratio(cfg, upstream, await first_model_id(upstream))
    finally:
        await api.stop()
    print(f"streamable HTTP throughput, calls/s (best of {cfg.rounds} x {cfg.tp_seconds:g} s)")
    print("| clients | 1 worker | 2 workers | 2 / 1 |")
    print("|---:|---:|---:|---:|")
    for clients, row in figures["clients"].items():
        print(f"| {clients} | {row['1']:.0f} | {row['2']:.0f} | {row['ratio']:.2f}x |")


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.workers``: print the 2-worker vs 1-worker throughput table."""
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement (default 3)")
    parser.add_argument("--clients", default="8,32", help="comma-separated concurrency levels (default 8,32)")
    parser.add_argument("--rounds", type=int, default=2, help="measurements per level, the best kept (default 2)")
    args = parser.parse_args(argv)
    cfg = Config(
        tp_seconds=args.seconds,
        tp_clients=tuple(int(c) for c in args.clients.split(",")),
        rounds=args.rounds,
        verbose=False,
    )
    asyncio.run(_main(cfg))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
