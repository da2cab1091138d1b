"""The export CSV resource is capped by ``GLOW_MCP_MAX_RESOURCE_BYTES`` (default **4 MiB**): a 50 MB
download, declared or chunked, is refused while streaming (memory stays bounded), with JSON-RPC
-32603 and a message that gives the size (or "more than" the cap), the cap, the setting and how
to narrow the export.

Setup as in ``test_rel_faults.py``: our server behind ``Client(server, mode="legacy")``, the
fault-injecting upstream :class:`rel_support.FaultServer` serving the download route.
"""

from __future__ import annotations

import tracemalloc
import uuid
from collections.abc import Iterator

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from rel_support import HUGE_BYTES, FaultServer, fast_settings

from glow_models_mcp.server import build_server

# Every test here uses loopback sockets or subprocesses.
pytestmark = [pytest.mark.anyio, pytest.mark.process]

CAP = 4 * 1024 * 1024


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    with FaultServer() as fs:
        yield fs


@pytest.mark.parametrize(
    ("mode", "size"), [("huge_declared", f"{HUGE_BYTES} bytes"), ("huge_chunked", f"more than {CAP} bytes")]
)
async def test_50_mb_export_is_refused_at_the_cap_with_bounded_memory(fault: FaultServer, mode: str, size: str) -> None:
    upload = uuid.uuid4()
    fault.reset(**{f"/uploads/{upload}/download": mode})
    uri = f"glow://exports/{upload}"
    async with Client(build_server(fast_settings(fault.url)), mode="legacy") as client:
        await client.call_tool("get_model_docs", {})  # warm up the connection pool and imports
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            with pytest.raises(MCPError) as caught:
                await client.read_resource(uri)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.error.code == -32603
    assert caught.value.error.message == (
        f"{uri}: the file is {size}, over this server's limit of {CAP} bytes (GLOW_MCP_MAX_RESOURCE_BYTES), so it "
        "was not read. Next step: export less (export_models with model_id exports one model), or raise "
        "GLOW_MCP_MAX_RESOURCE_BYTES and restart the MCP server."
    )
    grown = peak - base
    print(f"{mode}: peak traced memory growth {grown / 2**20:.1f} MiB for a 50 MiB download (cap 4 MiB)")
    assert grown < CAP + 6 * 2**20, grown
    (seen,) = fault.of(f"/uploads/{upload}/download")
    assert seen.bytes_sent < HUGE_BYTES  # the client stopped reading early
