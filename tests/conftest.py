"""Shared fixtures, the ``process`` marker and the guard that keeps the fast tier in process.

Two tiers:

* **in process** (``uv run pytest -m "not process"``, seconds): our server behind an MCP client with
  JSON-RPC serialization (``Client(server, mode="legacy")``), talking to the reference API in this
  process through ``httpx2.ASGITransport`` (:class:`support.ReferenceAPI`). An autouse guard fails
  any test without the ``process`` marker that opens an internet socket or starts a subprocess, so
  the tier cannot silently grow slow again.
* **process**: tests where the wire or the process is what is tested (loopback HTTP, stdio
  subprocesses, signals, timeouts, the foreign clients, packaging). Mark them
  ``@pytest.mark.process`` (or ``pytestmark``). Tests that use a fixture named in
  :data:`LOOPBACK_FIXTURES` are marked automatically.

Fixtures:

* ``reference_api``: one in-process reference API (seeded) for the session; ``fresh_reference_api``:
  a pristine one for one test.
* ``mcp_client``: an MCP client of our server against ``reference_api``, in process.
* ``sandbox`` / ``fresh_sandbox``: the reference API served by uvicorn on a loopback port
  (``SandboxServer``), for tests about the upstream wire; ``wire_mcp_client``: an MCP client of our
  server against ``sandbox`` over loopback HTTP.
* ``make_settings(url, **overrides)``: settings with the superadmin sandbox credentials.
"""

from __future__ import annotations

import errno
import socket
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from support import ReferenceAPI, reference_settings

#: Fixtures that serve on a loopback socket: tests using them are marked ``process`` automatically.
LOOPBACK_FIXTURES = frozenset({"sandbox", "fresh_sandbox", "wire_mcp_client"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if LOOPBACK_FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker("process"):
            item.add_marker(pytest.mark.process)


# --- the in-process guard --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _in_process_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that is not marked ``process`` but binds or connects an internet socket or
    starts a subprocess (it belongs in the process tier, or should use ``reference_api``).

    Attempts are refused (``PermissionError``) and recorded, and the test fails at teardown even if
    the code under test turned the refusal into an error result.
    """
    if request.node.get_closest_marker("process"):
        yield
        return
    attempts: list[str] = []
    inet = (socket.AF_INET, socket.AF_INET6)
    real_bind, real_connect, real_connect_ex = socket.socket.bind, socket.socket.connect, socket.socket.connect_ex

    def refuse(what: str) -> None:
        attempts.append(what)
        raise PermissionError(errno.EACCES, f"in-process test tried to {what}; mark it @pytest.mark.process")

    def bind(self: socket.socket, address: Any) -> None:
        if self.family in inet:
            refuse(f"bind {address}")
        real_bind(self, address)

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in inet:
            refuse(f"connect to {address}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in inet:
            refuse(f"connect to {address}")
        return real_connect_ex(self, address)

    def popen(self: subprocess.Popen[Any], args: Any, *a: Any, **kw: Any) -> None:
        refuse(f"start a subprocess {args!r}")

    monkeypatch.setattr(socket.socket, "bind", bind)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(subprocess.Popen, "__init__", popen)
    yield
    monkeypatch.undo()
    if attempts:
        shown = list(dict.fromkeys(attempts))[:3]
        pytest.fail(
            f"{request.node.nodeid} is not marked `process` but tried to: {'; '.join(shown)}. "
            "Mark it @pytest.mark.process, or use the in-process reference API (fixture reference_api).",
            pytrace=False,
        )


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def reference_api() -> Iterator[ReferenceAPI]:
    """One in-process reference API (in-memory SQLite, seeded) for the whole session."""
    api = ReferenceAPI()
    yield api
    api.close()


@pytest.fixture
def fresh_reference_api() -> Iterator[ReferenceAPI]:
    """A pristine in-process reference API for one test."""
    api = ReferenceAPI()
    yield api
    api.close()


@pytest.fixture
def make_settings() -> Callable[..., Any]:
    """``make_settings(url, **overrides)``: settings with the superadmin sandbox credentials."""
    return reference_settings


@pytest.fixture
async def mcp_client(reference_api: ReferenceAPI) -> AsyncIterator[Any]:
    """An MCP client (JSON-RPC serialization) of our server against the in-process reference API."""
    from mcp import Client

    async with Client(reference_api.server(), mode="legacy") as client:
        yield client


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """The reference API served by uvicorn on a loopback port, for the session."""
    from glow_models_mcp.sandbox import SandboxServer

    with SandboxServer() as server:
        yield server


@pytest.fixture
def fresh_sandbox() -> Iterator[Any]:
    """A pristine reference API on a loopback port, for one test."""
    from glow_models_mcp.sandbox import SandboxServer

    with SandboxServer() as server:
        yield server


@pytest.fixture
async def wire_mcp_client(sandbox: Any) -> AsyncIterator[Any]:
    """An MCP client of our server talking to ``sandbox`` over loopback HTTP."""
    from mcp import Client

    from glow_models_mcp.server import build_server

    async with Client(build_server(reference_settings(sandbox.url)), mode="legacy") as client:
        yield client
