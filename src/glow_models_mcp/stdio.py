"""Serve MCP over stdio without a worker-thread hop per message.

The SDK's ``stdio_server()`` reads stdin and writes stdout through ``anyio.wrap_file``, which runs
every ``readline``, ``write`` and ``flush`` in a worker thread: three thread hand-offs per
request/answer pair. On a 2-core machine that was most of a tool call's transport cost (a no-op
tool: 0.78 ms of server CPU per call through the threads, 0.32 ms without; see BENCHMARKS.md).

:func:`run_stdio` gives the SDK's ``stdio_server()`` asyncio-native stdin/stdout objects instead
(non-blocking pipes on the event loop), so the framing, JSON-RPC parsing and serialization stay
exactly the SDK's. Like the SDK it first takes fd 0 and fd 1 away from the rest of the process
(fd 0 then reads the null device and fd 1 writes to stderr, so a stray ``print`` cannot corrupt
the protocol stream) and puts them back on exit.

The fast path is taken only where it is safe: POSIX, an asyncio event loop, stdin and stdout
being pipes or sockets, and stdout not shared with stderr (non-blocking mode is set on the open
file, and a shared stderr would then fail on a full pipe). Anything else (a terminal, a regular
file, Windows) falls back to ``MCPServer.run_stdio_async()`` unchanged.

Each line is parsed once here with the SDK's own message adapter before the SDK parses it: a line
the SDK would drop silently (not JSON, a lone surrogate, nesting too deep) is answered with a
JSON-RPC error instead of leaving the client waiting, and the parsed message feeds the in-flight
bookkeeping.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from contextlib import suppress
from typing import Any

#: Largest single message line read from stdin (the SDK path has no limit; this one is far above
#: any request the tools accept and above the HTTP transports' body cap).
MAX_LINE_BYTES = 256 * 1024 * 1024


def _is_pipe_or_socket(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _same_file(fd_a: int, fd_b: int) -> bool:
    try:
        a, b = os.fstat(fd_a), os.fstat(fd_b)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def fast_path_available() -> bool:
    """Whether :func:`run_stdio` can serve stdin/stdout on the event loop directly."""
    if sys.platform == "win32" or os.environ.get("GLOW_MCP_STDIO_THREADS"):
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # not on asyncio (e.g. trio)
        return False
    if not (_is_pipe_or_socket(0) and _is_pipe_or_socket(1)):
        return False
    if _same_file(1, 2):
        return False
    return sys.stdin is not None and sys.stdout is not None


class _InFlight:
    """Ids of the requests read from stdin and not answered yet.

    At EOF the SDK's dispatcher cancels every request still running. Its threaded reader noticed
    EOF late enough that requests written just before it were in practice answered; this reader
    sees EOF at once, so it holds EOF back until the requests already read are answered (or
    cancelled by the client), at most :data:`EOF_GRACE_SECONDS`.
    """

    def __init__(self) -> None:
        self.ids: set[Any] = set()
        self.idle = asyncio.Event()
        self.idle.set()

    def read(self, message: Any) -> None:
        """Note a message the SDK accepted (already parsed: a JSON-RPC request, notification...)."""
        method = getattr(message, "method", None)
        if method is None:
            return
        if hasattr(message, "id"):
            self._add(message.id)
        elif method == "notifications/cancelled" and isinstance(message.params, dict):
            self._discard(message.params.get("requestId"))

    def written(self, text: str) -> None:
        # The SDK serializes answers as {"jsonrpc":"2.0","id":<id>,"result"|"error":...}.
        if not self.ids or not text.startswith(_ANSWER_PREFIX):
            return
        try:
            rid, end = _DECODER.raw_decode(text, len(_ANSWER_PREFIX))
        except ValueError:
            return
        if text.startswith((',"result"', ',"error"'), end):
            self._discard(rid)

    def _add(self, rid: Any) -> None:
        if isinstance(rid, (str, int)) and not isinstance(rid, bool):
            self.ids.add(rid)
            self.idle.clear()

    def _discard(self, rid: Any) -> None:
        if isinstance(rid, (str, int)):
            self.ids.discard(rid)
        if not self.ids:
            self.idle.set()


_ANSWER_PREFIX = '{"jsonrpc":"2.0","id":'
_DECODER = json.JSONDecoder()

#: Longest wait at stdin EOF for requests already read to be answered (above the 55 s cap on
#: an upstream operation, so each tool ends by its own timeout first).
EOF_GRACE_SECONDS = 60.0


def _error_reply(line: str) -> str | None:
    """The JSON-RPC error answer for a line the SDK cannot parse, or ``None`` (a notification).

    The SDK's stdio reader drops such a line silently, leaving the client waiting; the HTTP
    transports answer it. Here it is answered too: -32700 (id null) for text that is not JSON,
    -32600 with the request's id for JSON that is not a valid message (a lone surrogate, nesting
    deeper than the parser allows, a wrong ``jsonrpc``...).
    """
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}) + "\n"
    if not isinstance(data, dict) or "id" not in data:
        return None
    rid = data["id"] if isinstance(data["id"], (str, int)) and not isinstance(data["id"], bool) else None
    error = {"code": -32600, "message": "Invalid Request: not a valid JSON-RPC 2.0 message"}
    return json.dumps({"jsonrpc": "2.0", "id": rid, "error": error}) + "\n"


class _LineReader:
    """``async for line in reader``: decoded lines, as ``anyio.wrap_file(TextIOWrapper)`` yields them.

    Lines the SDK would reject are answered with a JSON-RPC error here and not passed on.
    """

    def __init__(self, reader: asyncio.StreamReader, in_flight: _InFlight, writer: _Writer) -> None:
        self._reader = reader
        self._in_flight = in_flight
        self._writer = writer

    def __aiter__(self) -> _LineReader:
        return self

    async def __anext__(self) -> str:
        from mcp import types

        while True:
            try:
                line = await self._reader.readline()
            except ValueError:  # a line over MAX_LINE_BYTES: asyncio drops it
                await self._reply(
                    '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: line too long"}}\n'
                )
                continue
            if not line:
                if not self._in_flight.idle.is_set():
                    with suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._in_flight.idle.wait(), EOF_GRACE_SECONDS)
                raise StopAsyncIteration
            text = line.decode("utf-8", errors="replace")
            if not text.strip():
                continue
            try:
                message = types.jsonrpc_message_adapter.validate_json(text, by_name=False)
            except Exception:
                reply = _error_reply(text)
                if reply is not None:
                    await self._reply(reply)
                continue
            self._in_flight.read(message)
            return text

    async def _reply(self, text: str) -> None:
        with suppress(OSError):
            await self._writer.write(text)
            await self._writer.flush()


class _Writer:
    """``await write(text)`` / ``await flush()`` on a non-blocking pipe (UTF-8, like the SDK's)."""

    def __init__(self, writer: asyncio.StreamWriter, in_flight: _InFlight) -> None:
        self._writer = writer
        self._in_flight = in_flight

    async def write(self, text: str) -> None:
        if self._writer.transport.is_closing():
            raise BrokenPipeError("stdout was closed by the client")
        self._writer.write(text.encode("utf-8"))
        self._in_flight.written(text)

    async def flush(self) -> None:
        # The transport's high-water mark is 0, so this returns once the bytes are in the pipe,
        # as the SDK's blocking flush does.
        try:
            await self._writer.drain()
        except ConnectionResetError as exc:
            raise BrokenPipeError(str(exc)) from None


class _ClaimedFd:
    """Move ``fd`` onto a private descriptor and point ``fd`` at ``diversion`` until released."""

    def __init__(self, fd: int, diversion: int) -> None:
        import fcntl

        self.fd = fd
        self.private = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
        try:
            os.dup2(diversion, fd)
        except OSError:
            os.close(self.private)
            raise
        finally:
            os.close(diversion)

    def release(self) -> None:
        with suppress(OSError):
            os.set_blocking(self.private, True)
        with suppress(OSError):
            os.dup2(self.private, self.fd)


async def run_stdio(server: Any) -> None:
    """Run ``server`` (an ``MCPServer``) over stdio until stdin closes."""
    lowlevel = getattr(server, "_lowlevel_server", None)
    if lowlevel is None or not fast_path_available():
        await server.run_stdio_async()
        return

    from mcp.server.stdio import stdio_server

    sys.stdout.flush()
    claims: list[_ClaimedFd] = []
    transports: list[asyncio.BaseTransport] = []
    try:
        stdin_claim = _ClaimedFd(0, os.open(os.devnull, os.O_RDONLY))
        claims.append(stdin_claim)
        stdout_claim = _ClaimedFd(1, os.dup(2))
        claims.append(stdout_claim)

        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader),
            os.fdopen(stdin_claim.private, "rb", buffering=0, closefd=False),
        )
        transports.append(read_transport)
        write_transport, write_protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(stdout_claim.private, "wb", buffering=0, closefd=False)
        )
        transports.append(write_transport)
        write_transport.set_write_buffer_limits(high=0)
        writer = asyncio.StreamWriter(write_transport, write_protocol, None, loop)

        in_flight = _InFlight()
        out = _Writer(writer, in_flight)
        async with stdio_server(stdin=_LineReader(reader, in_flight, out), stdout=out) as (  # type: ignore[arg-type]
            read_stream,
            write_stream,
        ):
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
    finally:
        for transport in transports:
            transport.close()
        for claim in reversed(claims):
            claim.release()
            with suppress(OSError):
                os.close(claim.private)
