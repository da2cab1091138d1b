"""Shared fixtures: a local reference API over real HTTP on loopback, and MCP clients of our server.

* ``sandbox``: one reference API (fresh in-memory SQLite, seeded) for the whole session, served
  by uvicorn on a free loopback port. Tests that need a pristine catalog use ``fresh_sandbox``.
* ``make_settings(url, **overrides)``: settings pointing at a reference API with the superadmin
  sandbox credentials.
* ``mcp_client``: an MCP client connected to our server with JSON-RPC serialization on the wire
  (``Client(server, mode="legacy")``), against ``sandbox``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SUPERADMIN_TOKEN = "sandbox-superadmin"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    from glow_models_mcp.sandbox import SandboxServer

    with SandboxServer() as server:
        yield server


@pytest.fixture
def fresh_sandbox() -> Iterator[Any]:
    from glow_models_mcp.sandbox import SandboxServer

    with SandboxServer() as server:
        yield server


@pytest.fixture
def make_settings() -> Callable[..., Any]:
    from glow_models_mcp.sandbox import SANDBOX_API_KEY
    from glow_models_mcp.settings import Settings

    def make(url: str, **overrides: Any) -> Settings:
        values: dict[str, Any] = {"instance_url": url, "api_key": SANDBOX_API_KEY, "token": SUPERADMIN_TOKEN}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
async def mcp_client(sandbox: Any, make_settings: Callable[..., Any]) -> AsyncIterator[Any]:
    from mcp import Client

    from glow_models_mcp.server import build_server

    server = build_server(make_settings(sandbox.url))
    async with Client(server, mode="legacy") as client:
        yield client


def server_command(*args: str) -> list[str]:
    """The command that starts our server in a subprocess (the venv's interpreter)."""
    return [sys.executable, "-m", "glow_models_mcp", *args]


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without any GLOW_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOW_")}
    env.update(extra)
    return env
