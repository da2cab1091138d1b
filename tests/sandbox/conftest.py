"""Fixtures of the reference API's own tests: its ASGI app in process (Starlette's TestClient).

What only a running server shows (``SandboxServer`` itself, the command line, concurrency over
HTTP) is tested in ``test_sandbox_server.py``, marked ``process``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .sandbox_support import Api


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    """One seeded in-memory reference API per test module."""
    client = Api()
    yield client
    client.close()


@pytest.fixture
def fresh_api() -> Iterator[Api]:
    """A pristine seeded reference API for one test."""
    client = Api()
    yield client
    client.close()
