"""Running the reference API: in a background thread (:class:`SandboxServer`) or in the
foreground (:func:`run_sandbox`). Nothing is ever written to stdout: the MCP stdio server may run
in the same process, and stdout belongs to its protocol messages."""

from __future__ import annotations

import socket
import sys
import threading
import time
from types import TracebackType
from typing import Any

import anyio.to_thread
import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .auth import SANDBOX_API_KEY, SANDBOX_TOKENS

#: The bearer token that ``--sandbox``, ``doctor --sandbox`` and the demo use (full rights).
DEFAULT_TOKEN = "sandbox-superadmin"

STARTUP_TIMEOUT = 10.0


def stderr_log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging config with every handler on stderr (the default sends access logs to stdout)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(levelprefix)s %(message)s",
                "use_colors": None,
            },
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
                "use_colors": None,
            },
        },
        "handlers": {
            "default": {"formatter": "default", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
            "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["access"], "level": level.upper(), "propagate": False},
        },
    }


class SandboxServer:
    """The reference API served by uvicorn in a background thread on a loopback port.

    ``port=0`` picks a free port. Use as ``with SandboxServer() as api: ... api.url`` (or
    ``async with``). Leaving closes the database; entering again reopens it (a file database
    keeps its data, an in-memory one starts over). uvicorn writes nothing to stdout: its loggers propagate to the root logger
    (stderr) at ``log_level``, and access logs are off.
    """

    def __init__(
        self,
        db_path: str = ":memory:",
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        *,
        seed: bool = True,
    ) -> None:
        self.db_path = db_path
        self.host = host
        self.log_level = log_level
        self.app: Starlette = create_app(db_path, seed=seed)
        self._sock: socket.socket | None = None
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    def client_settings(self, settings: Any) -> Any:
        """``settings`` (a :class:`glow_models_mcp.settings.Settings`) pointed at this server, with the
        sandbox API key and the superadmin token, as ``--sandbox`` uses them."""
        from pydantic import SecretStr

        return settings.model_copy(
            update={
                "instance_url": self.url,
                "api_key": SecretStr(SANDBOX_API_KEY),
                "token": SecretStr(DEFAULT_TOKEN),
            }
        )

    def start(self) -> SandboxServer:
        if self._thread is not None:
            return self
        self.app.state.database.open()  # after a stop() the database was closed
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP so that asyncio sets TCP_NODELAY on accepted connections (with proto 0
        # it does not, and every keep-alive response waits ~40 ms for a delayed ACK).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self._port))
        sock.listen(128)
        sock.set_inheritable(True)
        self._sock = sock
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level=self.log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)

        def serve() -> None:
            try:
                assert self._server is not None
                self._server.run(sockets=[sock])
            except BaseException as exc:
                self._error = exc

        self._thread = threading.Thread(target=serve, name=f"glow-sandbox-{self._port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the reference API did not start on {self.url}: {self._error!r}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
        self._thread = None
        self._server = None
        self._sock = None
        self.app.state.database.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> SandboxServer:
        return await anyio.to_thread.run_sync(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await anyio.to_thread.run_sync(self.stop)


def describe_credentials(url: str) -> str:
    """What ``glow-models-mcp sandbox`` prints at start: URL, API key, tokens with roles."""
    lines = [
        f"Glow Models reference API (sandbox) at {url}",
        f"  API key (X-Api-Key):  {SANDBOX_API_KEY}   (any non-empty key is accepted, like the real server)",
        "  Bearer tokens (Authorization: Bearer <token>):",
    ]
    for token, profile in SANDBOX_TOKENS.items():
        lines.append(f"    {token:<20} role {profile.role:<10} departments: {profile.departments_label}")
    lines.append(f"  Contract: {url}/openapi.json   Health: {url}/healthz")
    return "\n".join(lines)


def run_sandbox(host: str = "127.0.0.1", port: int = 8000, db_path: str = ":memory:") -> None:
    """Serve the reference API in the foreground until interrupted (logs on stderr)."""
    app = create_app(db_path)
    shown = f"[{host}]" if ":" in host else host
    print(describe_credentials(f"http://{shown}:{port}"), file=sys.stderr, flush=True)
    if db_path != ":memory:":
        print(f"  Database: {db_path}", file=sys.stderr, flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_config=stderr_log_config("info"), log_level="info")
    finally:
        app.state.database.close()
