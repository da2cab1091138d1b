"""Helpers of the reliability tests only (imported as ``rel_support``; not a test module). The
helpers every test directory shares (processes, ports, ``serving``, ``text_of``...) are in
``tests/support.py``.

* :class:`FaultServer`: a fault-injecting Glow upstream on loopback. A raw asyncio socket server
  in its own thread, speaking just enough HTTP/1.1 (one request per connection,
  ``Connection: close``) to misbehave at every layer: it can hang, trickle, cut a body, answer
  garbage, or stream 50 MB. Each operation path has a mode (default ``ok``: a minimal answer that
  conforms to the operation's response schema), and every request is recorded with its headers,
  body, arrival time and the time the client closed the connection, so tests can count attempts
  and observe cancellations.
* ``fast_settings``: short timeouts for the fault tests; ``VALID_ARGS``: one valid call per tool;
  ``ok_body``: a valid answer per operation (both derived from the schemas).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from support import minimal_answer, minimal_arguments

from glow_models_mcp.settings import Settings
from glow_models_mcp.tools import TOOL_SPECS
from glow_models_mcp.upstream import OPERATIONS

# ------------------------------------------------------------------------------------------------
# Settings
# ------------------------------------------------------------------------------------------------


#: Timeouts used by the fault tests: every fault must end within TOTAL_TIMEOUT (+ a little slack).
CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
TOTAL_TIMEOUT = 3.0
MAX_RETRIES = 2


def fast_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "instance_url": url,
        "api_key": "fault-api-key",
        "token": "fault-token",
        "connect_timeout": CONNECT_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "total_timeout": TOTAL_TIMEOUT,
        "max_retries": MAX_RETRIES,
    }
    values.update(overrides)
    return Settings(**values)


# ------------------------------------------------------------------------------------------------
# Schema-conforming answers for every operation
# ------------------------------------------------------------------------------------------------

_ID = "11111111-2222-4333-8444-555555555555"


def ok_body(op: str) -> dict[str, Any]:
    """A minimal body that conforms to the response schema of ``op`` (derived from its response
    model by ``support.minimal_answer``: one item per list, like the one-item batches of
    ``VALID_ARGS``)."""
    return minimal_answer(OPERATIONS[op], _ID)


#: One valid argument set per tool: the smallest call its input schema accepts (derived).
VALID_ARGS: dict[str, dict[str, Any]] = {spec.name: minimal_arguments(spec.input_schema, _ID) for spec in TOOL_SPECS}

_PATH_TO_OP = {op.path: name for name, op in OPERATIONS.items()}


# ------------------------------------------------------------------------------------------------
# The fault server
# ------------------------------------------------------------------------------------------------

MODES = (
    "ok",  # a schema-conforming 200
    "hang",  # read the request, never answer
    "slow",  # answer correctly after ``slow_delay`` seconds
    "trickle",  # 200 headers at once, then one body byte every ``trickle_interval`` s (never ends in time)
    "close_mid_body",  # 200 with Content-Length 4096, send 100 bytes, close
    "disconnect",  # read the request, close without a byte of answer
    "500_text",  # 500 text/plain
    "502_html",  # 502 with an nginx-style HTML page
    "503_retry_after",  # 503 with Retry-After: ``retry_after`` (seconds)
    "504",  # 504 JSON detail
    "invalid_json",  # 200 application/json that is not JSON
    "schema_mismatch",  # 200 JSON of the wrong shape
    "huge_declared",  # 200 with Content-Length: 50 MB, streamed
    "huge_chunked",  # 200 chunked, 50 MB, no declared length
    "echo_401",  # 401 whose detail echoes the credentials it received (a careless upstream)
    "echo_invalid",  # 200 non-JSON body echoing the credentials
    "echo_html",  # 502 HTML page echoing the credentials
)

HUGE_BYTES = 50 * 1024 * 1024
_CHUNK = b"x" * 65536


@dataclass
class Seen:
    """One request as the fault server received it."""

    op: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    mode: str
    arrived: float
    closed: float | None = None  # when the client closed the connection (hang mode only)
    bytes_sent: int = 0

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass
class FaultServer:
    """A misbehaving Glow upstream on ``127.0.0.1`` (see the module docstring).

    ``modes`` maps an operation short name (``search``, ``create``...) to a mode; unset
    operations answer ``ok``. Thread-safe enough for tests: the lists are only appended to.
    """

    modes: dict[str, str] = field(default_factory=dict)
    slow_delay: float = 0.4
    trickle_interval: float = 0.3
    retry_after: str = "1"
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.base_events.Server | None = None
    _thread: threading.Thread | None = None
    port: int = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FaultServer:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def start() -> None:
                self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=2**22)
                self.port = self._server.sockets[0].getsockname()[1]
                ready.set()

            loop.run_until_complete(start())
            loop.run_forever()
            # shutdown: cancel leftovers quietly
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

        self._thread = threading.Thread(target=run, name="fault-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fault server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        loop = self._loop
        if loop is None:
            return

        async def stop() -> None:
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- inspection --------------------------------------------------------------------------

    def count(self, op: str | None = None) -> int:
        return sum(1 for s in list(self.seen) if op is None or s.op == op)

    def of(self, op: str) -> list[Seen]:
        return [s for s in list(self.seen) if s.op == op]

    def reset(self, **modes: str) -> None:
        self.seen.clear()
        self.modes = dict(modes)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    async def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Like :meth:`wait_for`, without blocking the caller's event loop."""
        import anyio

        with anyio.move_on_after(timeout):
            while not predicate():
                await anyio.sleep(0.01)
        return predicate()

    # -- protocol ----------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = ([*lines[0].split(" ", 2), "", ""])[:3]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(length) if length else b""
        path = target.split("?", 1)[0]
        op = _PATH_TO_OP.get(path, path)
        mode = self.modes.get(op, "ok")
        seen = Seen(op, method, path, headers, body, mode, time.monotonic())
        self.seen.append(seen)
        try:
            await self._answer(seen, reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _send(self, writer: asyncio.StreamWriter, status: str, ctype: str, body: bytes, extra: str = "") -> None:
        writer.write(
            (
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                f"{extra}Connection: close\r\n\r\n"
            ).encode()
            + body
        )
        await writer.drain()

    async def _answer(self, seen: Seen, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode, op = seen.mode, seen.op
        ok = json.dumps(ok_body(op) if op in OPERATIONS else {}).encode()
        if mode == "ok":
            await self._send(writer, "200 OK", "application/json", ok)
        elif mode == "slow":
            await asyncio.sleep(self.slow_delay)
            await self._send(writer, "200 OK", "application/json", ok)
        elif mode == "hang":
            # Never answer; note when the client gives up and closes the connection.
            while await reader.read(65536):
                pass
            seen.closed = time.monotonic()
        elif mode == "trickle":
            writer.write(
                f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(ok) + 10000}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            await writer.drain()
            for _ in range(10000):
                await asyncio.sleep(self.trickle_interval)
                writer.write(b" ")
                await writer.drain()
                seen.bytes_sent += 1
        elif mode == "close_mid_body":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n"
                b"Connection: close\r\n\r\n" + b'{"models": [' + b" " * 88
            )
            await writer.drain()
        elif mode == "disconnect":
            pass
        elif mode == "500_text":
            await self._send(writer, "500 Internal Server Error", "text/plain", b"Internal Server Error: boom")
        elif mode == "502_html":
            page = (
                b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
                b"</body>\r\n</html>\r\n" + b"<!-- padding -->\r\n" * 50
            )
            await self._send(writer, "502 Bad Gateway", "text/html", page)
        elif mode == "503_retry_after":
            await self._send(
                writer,
                "503 Service Unavailable",
                "application/json",
                b'{"detail":"maintenance"}',
                extra=f"Retry-After: {self.retry_after}\r\n",
            )
        elif mode == "504":
            await self._send(writer, "504 Gateway Timeout", "application/json", b'{"detail":"upstream timed out"}')
        elif mode == "invalid_json":
            await self._send(writer, "200 OK", "application/json", b'{"models": [1, 2,, oops')
        elif mode == "schema_mismatch":
            wrong = {"results": "not-a-list", "models": {"a": 1}, "entries": 7, "success": "maybe", "name": 5}
            await self._send(writer, "200 OK", "application/json", json.dumps(wrong).encode())
        elif mode == "huge_declared":
            writer.write(
                f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUGE_BYTES}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            await self._stream_huge(seen, writer, chunked=False)
        elif mode == "huge_chunked":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                b"Connection: close\r\n\r\n"
            )
            await self._stream_huge(seen, writer, chunked=True)
        elif mode.startswith("echo_"):
            creds = f"X-Api-Key={seen.headers.get('x-api-key')} Authorization={seen.headers.get('authorization')}"
            if mode == "echo_401":
                await self._send(
                    writer, "401 Unauthorized", "application/json", json.dumps({"detail": f"rejected {creds}"}).encode()
                )
            elif mode == "echo_invalid":
                await self._send(writer, "200 OK", "application/json", f"oops {creds}".encode())
            else:
                page = f"<html><head><title>Bad gateway for {creds}</title></head><body>{creds}</body></html>"
                await self._send(writer, "502 Bad Gateway", "text/html", page.encode())
        else:  # pragma: no cover
            raise ValueError(mode)

    async def _stream_huge(self, seen: Seen, writer: asyncio.StreamWriter, *, chunked: bool) -> None:
        # Generated on the fly (never 50 MB in memory here); drain() keeps the socket buffer bounded.
        frame = (b"%x\r\n" % len(_CHUNK)) + _CHUNK + b"\r\n" if chunked else _CHUNK
        while seen.bytes_sent < HUGE_BYTES:
            writer.write(frame)
            await writer.drain()
            seen.bytes_sent += len(_CHUNK)
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
