"""Benchmark of glow-models-mcp against the floor (direct httpx2) and the peer (fastmcp from_openapi).

Run ``uv run --group bench python -m bench`` (see BENCHMARKS.md). Kept import-free so that
``python -m bench.peer_server`` and ``python -m bench.floor_proc`` start without extra cost.
"""
