"""Helpers shared by every test directory (imported as ``support``; not a test module).

``tests/`` is on ``sys.path`` through ``pythonpath = ["tests"]`` in ``pyproject.toml``, so
``import support`` works from ``tests/``, ``tests/reliability/`` and the ``tests.sandbox``
package alike (``from conftest import`` did not: several directories have a ``conftest.py``).

* tool facts, derived from :data:`glow_models_mcp.tools.TOOL_SPECS` (never copied): ``TOOL_NAMES``,
  ``READ_ONLY_TOOL_NAMES``, ``TOOL_OPERATION``;
* values derived from a schema: :func:`minimal_instance` (any JSON schema), :func:`minimal_arguments`
  (a tool's input), :func:`minimal_request` and :func:`minimal_answer` (an operation's request model
  and successful upstream answer);
* :class:`ReferenceAPI`: the reference Glow API (``glow_models_mcp.sandbox``) in this process, reached
  through ``httpx2.ASGITransport``: no socket, no thread, no uvicorn;
* :func:`reference_settings`: settings with the sandbox credentials for a reference API URL;
* processes and ports: :func:`server_command`, :func:`clean_env`, :func:`free_port`,
  :func:`closed_port_url`, :func:`wait_listening`;
* :class:`UvicornThread` and :func:`serving`: our HTTP/SSE apps on a loopback port in a thread;
* :func:`text_of`, :func:`unique`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2

from glow_models_mcp.sandbox import SANDBOX_API_KEY, RequestRecord, create_app
from glow_models_mcp.sandbox.server import DEFAULT_TOKEN
from glow_models_mcp.settings import Settings
from glow_models_mcp.tools import READ_ONLY_TOOL_NAMES, TOOL_NAMES, TOOL_SPECS
from glow_models_mcp.upstream import Operation

__all__ = [
    "READ_ONLY_TOOL_NAMES",
    "REPO",
    "SANDBOX_API_KEY",
    "SUPERADMIN_TOKEN",
    "TOOL_NAMES",
    "TOOL_OPERATION",
    "WRITE_TOOL_NAMES",
    "ReferenceAPI",
    "UvicornThread",
    "clean_env",
    "closed_port_url",
    "free_port",
    "minimal_answer",
    "minimal_arguments",
    "minimal_instance",
    "minimal_request",
    "reference_settings",
    "server_command",
    "serving",
    "text_of",
    "unique",
    "wait_listening",
]

REPO = Path(__file__).resolve().parent.parent

#: The reference API's full-rights bearer token (the one ``--sandbox`` uses).
SUPERADMIN_TOKEN = DEFAULT_TOKEN

# --- tool facts (from TOOL_SPECS: the one list of tools) ---------------------------------------

#: Tool name -> the upstream operation's short name (``get_model`` -> ``get``).
TOOL_OPERATION: dict[str, str] = {spec.name: spec.operation.name for spec in TOOL_SPECS}


def minimal_instance(
    schema: dict[str, Any],
    placeholder_id: str,
    name: str = "",
    *,
    truth: bool = False,
    defs: dict[str, Any] | None = None,
) -> Any:
    """The smallest value a JSON ``schema`` accepts: only required properties, each the simplest
    value of its type, lists of exactly one item (``minItems`` when larger), ``placeholder_id``
    where an id goes (a ``uuid`` string or an id field, see ``is_ref_field``), the first non-null
    branch of a union, the lower bound of a number, ``truth`` for a boolean. With ``truth`` (an
    answer rather than a call) optional id fields are filled too: an answer names what it is about.
    ``$ref`` into ``$defs`` (pydantic's ``model_json_schema``) or into ``defs`` (e.g. the
    contract's ``components.schemas``) is followed. Derived from the schema, so a new operation or
    tool needs no hand-written entry."""
    from glow_models_mcp.arguments import is_ref_field

    defs = schema.get("$defs", {}) if defs is None else defs

    def is_id(node: dict[str, Any]) -> bool:
        return any(b.get("format") == "uuid" for b in [node, *node.get("anyOf", [])])

    def walk(node: dict[str, Any], field: str) -> Any:
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[1]], field)
        if "const" in node:
            return node["const"]
        if "enum" in node:
            return node["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            if key in node:
                branches = [b for b in node[key] if b.get("type") != "null"] or node[key]
                return walk(branches[0], field)
        kind = node.get("type")
        if kind == "object":
            props = node.get("properties", {})
            keys = [k for k in props if k in node.get("required", []) or (truth and is_id(props[k]))]
            return {k: walk(props[k], k) for k in keys}
        if kind == "array":
            return [walk(node.get("items", {}), field) for _ in range(max(1, node.get("minItems", 1)))]
        if kind == "string":
            if is_ref_field(field) or node.get("format") == "uuid":
                return placeholder_id
            if node.get("format") == "date-time":
                return "2000-01-01T00:00:00Z"
            return "x" * max(1, node.get("minLength", 1))
        if kind in ("integer", "number"):
            if "minimum" in node:
                return node["minimum"]
            return node["exclusiveMinimum"] + 1 if "exclusiveMinimum" in node else 0
        if kind == "boolean":
            return truth
        return None

    return walk(schema, name)


def minimal_arguments(schema: dict[str, Any], placeholder_id: str) -> Any:
    """The smallest call a tool's advertised input ``schema`` accepts (:func:`minimal_instance`;
    booleans ``false``). Derived, so a new tool needs no hand-written entry."""
    return minimal_instance(schema, placeholder_id)


def minimal_request(op: Operation[Any, Any], placeholder_id: str) -> Any:
    """The smallest valid request model of ``op`` (derived from ``op.request_model``)."""
    return op.request_model.model_validate(minimal_instance(op.request_model.model_json_schema(), placeholder_id))


def minimal_answer(op: Operation[Any, Any], placeholder_id: str) -> dict[str, Any]:
    """The smallest successful upstream answer of ``op``, as JSON: derived from
    ``op.response_model`` (booleans ``true``: ``success`` and the like; ids given; a list holds one
    item, which matches a batch of one, as :func:`minimal_arguments` sends)."""
    body: dict[str, Any] = minimal_instance(op.response_model.model_json_schema(), placeholder_id, truth=True)
    return body


#: The tools whose operation may change data (everything not read-only).
WRITE_TOOL_NAMES: tuple[str, ...] = tuple(n for n in TOOL_NAMES if n not in READ_ONLY_TOOL_NAMES)


# --- the reference API in process ---------------------------------------------------------------


class ReferenceAPI:
    """The reference Glow API as an ASGI app in this process (fresh in-memory SQLite, seeded).

    Our upstream client reaches it through :meth:`transport` (``httpx2.ASGITransport``): real
    requests and responses, the reference API's own validation, auth and quirks, but no socket, so
    the fast tier needs neither a port nor a server thread. What only the wire shows (timeouts,
    connection errors, headers as sent over TCP) is tested against ``SandboxServer`` on loopback.

    ``url`` is a placeholder base URL (nothing resolves or connects to it); ``request_log`` lists
    every request the app received, as ``SandboxServer().app.state.request_log`` does.
    """

    url = "http://reference-api.test"

    def __init__(self, *, seed: bool = True) -> None:
        self.app = create_app(":memory:", seed=seed)

    @property
    def request_log(self) -> list[RequestRecord]:
        return self.app.state.request_log  # type: ignore[no-any-return]

    def transport(self) -> httpx2.ASGITransport:
        """A new ASGI transport to this app (one per upstream client)."""
        return httpx2.ASGITransport(app=self.app)

    def settings(self, **overrides: Any) -> Settings:
        """Settings for this API with the sandbox API key and superadmin token, plus ``overrides``."""
        return reference_settings(self.url, **overrides)

    def server(self, **overrides: Any) -> Any:
        """Our MCP server (``build_server``) talking to this API in process."""
        from glow_models_mcp.server import build_server

        return build_server(self.settings(**overrides), transport=self.transport())

    def close(self) -> None:
        self.app.state.database.close()


def reference_settings(url: str, **overrides: Any) -> Settings:
    """Settings pointing at a reference API at ``url`` with the superadmin sandbox credentials."""
    values: dict[str, Any] = {"instance_url": url, "api_key": SANDBOX_API_KEY, "token": SUPERADMIN_TOKEN}
    values.update(overrides)
    return Settings(**values)


# --- processes and ports --------------------------------------------------------------------------


def server_command(*args: str) -> list[str]:
    """The command that starts our server in a subprocess (this venv's interpreter)."""
    return [sys.executable, "-m", "glow_models_mcp", *args]


def clean_env(*, drop: tuple[str, ...] = ("GLOW_",), **extra: str) -> dict[str, str]:
    """The current environment without variables whose name starts with one of ``drop`` (by
    default every ``GLOW_*``), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connections are refused)."""
    return f"http://127.0.0.1:{free_port()}"


def wait_listening(port: int, proc: subprocess.Popen[Any], timeout: float = 30, *, log: Path | None = None) -> None:
    """Wait until something accepts connections on loopback ``port``.

    Raises:
        AssertionError: when ``proc`` exits first or ``timeout`` seconds pass; the message carries
            the end of ``log`` (a file the process writes to), or of its stderr pipe once it exited.
    """

    def output() -> str:
        if log is not None:
            try:
                return log.read_text(errors="replace")[-4000:]
            except OSError:
                return ""
        if proc.poll() is not None and proc.stderr is not None:
            data = proc.stderr.read()
            return (data.decode(errors="replace") if isinstance(data, bytes) else str(data))[-4000:]
        return ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode} before listening:\n{output()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after {timeout:g} s:\n{output()}")


# --- our HTTP apps in a thread ----------------------------------------------------------------------


class UvicornThread:
    """Serve ``app`` with uvicorn on ``host:port`` (default: a free loopback port) in a thread."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None, lifespan: str = "auto") -> None:
        import uvicorn

        self.host = host
        self.port = port or free_port()
        config = uvicorn.Config(
            app,
            host=host,
            port=self.port,
            log_config=None,
            access_log=False,
            lifespan=lifespan,
            timeout_graceful_shutdown=2,
            limit_concurrency=None,
            backlog=2048,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)

    def __enter__(self) -> UvicornThread:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serving(server: Any, settings: Settings, transport: str = "http") -> Iterator[UvicornThread]:
    """Serve our MCP ``server`` over ``transport`` (``http`` or ``sse``) on loopback, as
    ``serve_http`` does (minus the signals)."""
    from glow_models_mcp.http_app import build_http_app

    app = build_http_app(server, settings, transport)
    if transport == "sse":
        # The SSE app has no lifespan: open the upstream client around it, as serve_http does.
        import anyio.from_thread

        with anyio.from_thread.start_blocking_portal() as portal:
            cm = portal.wrap_async_context_manager(server.state.open())
            with cm, UvicornThread(app) as running:
                yield running
    else:
        with UvicornThread(app) as running:
            yield running


# --- small things ------------------------------------------------------------------------------------


def text_of(result: Any) -> str:
    """The text blocks of a tool result, joined by newlines."""
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def unique(prefix: str = "m") -> str:
    """``prefix`` plus a random suffix (names that do not collide across tests)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def nginx_binary() -> str | None:
    """The nginx executable (on PATH, or Debian's ``/usr/sbin/nginx``), or ``None`` where it is missing."""
    import shutil

    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
