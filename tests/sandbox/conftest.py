"""Fixtures of the reference API's own tests: real HTTP on loopback against SandboxServer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from glow_models_mcp.sandbox import SandboxServer

from .sandbox_support import Api


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    """One seeded in-memory reference API per test module."""
    with SandboxServer() as server:
        client = Api(server)
        yield client
        client.close()


@pytest.fixture
def fresh_api() -> Iterator[Api]:
    """A pristine seeded reference API for one test."""
    with SandboxServer() as server:
        client = Api(server)
        yield client
        client.close()
