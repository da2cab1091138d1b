"""Smoke run of the benchmark (``python -m bench --quick``): it runs end to end and prints the table.

No timing is asserted: the figures of a tiny run on a shared CI machine mean nothing. The full
benchmark is not part of the test command; see BENCHMARKS.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, TOOL_NAMES

pytestmark = pytest.mark.process

pytest.importorskip("fastmcp", reason="the benchmark's peer needs the bench dependency group")
pytest.importorskip("psutil", reason="the benchmark needs the bench dependency group")


def test_quick_benchmark_prints_the_table(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    md_before = (REPO / "BENCHMARKS.md").read_bytes() if (REPO / "BENCHMARKS.md").exists() else None
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-write", "--quiet", "--json", str(figures)],
        cwd=REPO,
        capture_output=True,
        timeout=180,
    )
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, err[-3000:]

    assert "| Figure | ours | floor | peer | ours/floor | ours/peer |" in out
    for row in (
        "Cold start: spawn → first `tools/list` answer, stdio",
        "`tools/list` answer, bytes (stdio JSON-RPC message)",
        "`tools/list` answer, estimated tokens",
        "`search_models` latency p50, stdio",
        "`get_model` latency p99, HTTP 2025-11-25",
        "`get_model` latency p99, HTTP 2026-07-28",
        "`search_models` overhead above floor, p50, stdio",
        "Throughput, HTTP 2025-11-25, 8 client(s)",
        "Throughput, HTTP 2026-07-28, 32 client(s)",
        "RSS after start (MiB)",
        "RSS after 30 calls (MiB)",
    ):
        assert row in out, row
    assert "| Target | limit | measured | |" in out
    assert out.count("**met**") + out.count("**not met**") == 5
    assert "Machine:" in out and "Command: `uv run --group bench python -m bench --quick" in out

    data = json.loads(figures.read_text())
    for metric in (
        "cold_start_ms",
        "lat.stdio.search_models.p50",
        "lat.http26.get_model.p99",
        "tp.http.8",
        "rss_after_mb",
    ):
        for system in ("ours", "floor", "peer"):
            assert data["figures"][metric][system]["runs"], (metric, system)
    assert data["info"]["tools_list.ours"]["tools"] == len(TOOL_NAMES)

    # A smoke run never overwrites the recorded full run.
    after = (REPO / "BENCHMARKS.md").read_bytes() if (REPO / "BENCHMARKS.md").exists() else None
    assert after == md_before
