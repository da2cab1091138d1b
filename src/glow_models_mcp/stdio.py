"""Serve MCP over stdio: every line answered, no worker-thread hop per message where avoidable.

The SDK's ``stdio_server()`` reads stdin and writes stdout through ``anyio.wrap_file``, which runs
every ``readline``, ``write`` and ``flush`` in a worker thread: three thread hand-offs per
request/answer pair. On a 2-core machine that was most of a tool call's transport cost (a no-op
tool: 0.78 ms of server CPU per call through the threads, 0.32 ms without; see BENCHMARKS.md).

:func:`run_stdio` hands the SDK's ``stdio_server()`` its own stdin/stdout objects, so the framing,
JSON-RPC parsing and serialization stay exactly the SDK's, on one of two I/O paths:

* the **event-loop path**: non-blocking pipes on the asyncio event loop, no threads. Taken only
  where it is safe: POSIX, an asyncio event loop, stdin and stdout being pipes or sockets, and
  stdout not shared with stderr (non-blocking mode is set on the open file, and a shared stderr
  would then fail on a full pipe);
* the **threaded path** for everything else (a terminal, a regular file, stdout shared with
  stderr, Windows, trio, or ``GLOW_MCP_STDIO_THREADS=1``): a daemon thread reads stdin, writes go
  through a worker thread. The reader being a daemon, a signal stops the server even while stdin
  is idle (the SDK's own threaded reader cannot be cancelled and kept the process alive until the
  next line).

Both paths first take fd 0 and fd 1 away from the rest of the process, like the SDK (fd 0 then
reads the null device and fd 1 writes to stderr, so a stray ``print`` cannot corrupt the protocol
stream), and put them back on exit.

Both paths share one line handler, :class:`_Lines`. Each line is parsed once with the SDK's own
message adapter before the SDK parses it: a line the SDK would drop silently, leaving the client
waiting until its timeout, is answered with a JSON-RPC error instead (see
:func:`invalid_line_replies`: not JSON, a lone surrogate, nesting too deep, a JSON-RPC batch...),
and the parsed message feeds the in-flight bookkeeping that lets requests read just before EOF be
answered.
"""

from __future__ import annotations

import json
import os
import queue
import stat
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

import anyio

#: Largest single message line read from stdin (far above any request the tools accept and above
#: the HTTP transports' body cap). A longer line is answered with -32700 and skipped.
MAX_LINE_BYTES = 256 * 1024 * 1024

#: Longest wait at stdin EOF for requests already read to be answered (above the 55 s cap on
#: an upstream operation, so each tool ends by its own timeout first).
EOF_GRACE_SECONDS = 60.0


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
    """Whether :func:`run_stdio` can serve stdin/stdout on the event loop directly (no threads)."""
    if sys.platform == "win32" or os.environ.get("GLOW_MCP_STDIO_THREADS"):
        return False
    try:
        import asyncio

        asyncio.get_running_loop()
    except RuntimeError:  # not on asyncio (e.g. trio)
        return False
    if not (_is_pipe_or_socket(0) and _is_pipe_or_socket(1)):
        return False
    if _same_file(1, 2):
        return False
    return sys.stdin is not None and sys.stdout is not None


# ------------------------------------------------------------------------------------------------
# Answers for the lines the SDK cannot take
# ------------------------------------------------------------------------------------------------

#: A batch with more requests than this gets one error (id null) instead of one per request.
MAX_BATCH_ANSWERS = 100

_PARSE_ERROR = {"code": -32700, "message": "Parse error"}
_TOO_LONG = {"code": -32700, "message": "Parse error: line too long"}
_NOT_UTF8 = {"code": -32700, "message": "Parse error: not valid UTF-8 (RFC 8259 §8.1)"}
_INVALID = {"code": -32600, "message": "Invalid Request: not a valid JSON-RPC 2.0 message"}
_BATCH = {
    "code": -32600,
    "message": "Invalid Request: JSON-RPC batches are not supported (MCP removed them in 2025-06-18); "
    "send each message by itself (one per line on stdio, one per request over HTTP)",
}


def _error(rid: Any, error: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "error": error}


def _reply_id(item: Any) -> tuple[bool, Any]:
    """``(answer?, id)`` for one JSON value that is not a valid message.

    A notification (an object with a string ``method`` and no ``id``) and a response (no
    ``method``; a ``result`` or an ``error``) are never answered, as JSON-RPC 2.0 requires.
    Anything else is: with its ``id`` when that is a valid one (a string or an integer), else
    with ``id`` null.
    """
    if not isinstance(item, dict):
        return True, None
    if "id" not in item and isinstance(item.get("method"), str):
        return False, None
    if "method" not in item and ("result" in item or "error" in item):
        return False, None
    rid = item.get("id")
    valid = isinstance(rid, (str, int)) and not isinstance(rid, bool)
    return True, rid if valid else None


def _has_id(line: str) -> bool:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "id" in data


_BOM = "\ufeff".encode()


@dataclass(frozen=True)
class Checked:
    """A received JSON-RPC text, checked the way stdio and the HTTP endpoints both check it.

    ``message`` is the SDK's message when the text is one it takes (``text``, without a BOM, is
    then what to hand on). Otherwise ``message`` is None and ``replies`` are the error answers to
    send (possibly none); ``batch`` says they answer a JSON-RPC batch (over HTTP, one array).
    """

    text: str
    message: Any = None
    replies: list[dict[str, Any]] = field(default_factory=list)
    batch: bool = False


def check_message(raw: bytes) -> Checked:
    """Check one received line or body: UTF-8 (a BOM is ignored, RFC 8259 §8.1), then the SDK's
    JSON-RPC parser, then :func:`invalid_line_replies` for whatever it refuses or would take for
    a notification although it carries an ``id`` (null, or not a string or an integer: the SDK
    would never answer it)."""
    from mcp import types

    try:
        text = raw.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError:  # not run with replacement characters: a write would store them
        rid = _top_level_id(raw.decode("utf-8", errors="replace"))
        return Checked("", replies=[_error(None if "\ufffd" in str(rid) else rid, _NOT_UTF8)])
    try:
        message = types.jsonrpc_message_adapter.validate_json(text, by_name=False)
    except Exception:
        message = None
    if message is not None and not (isinstance(message, types.JSONRPCNotification) and _has_id(text)):
        return Checked(text, message)
    return Checked(text, replies=invalid_line_replies(text), batch=_is_array(text))


def _is_array(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list)
    except (ValueError, RecursionError):
        return False


def invalid_line_replies(line: str) -> list[dict[str, Any]]:
    """The JSON-RPC error answers for a stdin line the SDK's message adapter rejected.

    The SDK's stdio reader drops such a line silently, leaving the client waiting until its
    timeout (the HTTP transports answer it). Here every such line is answered, one error object
    per line of output:

    * text that is not JSON: -32700, ``id`` null;
    * a JSON-RPC **batch** (a JSON array; batches were removed from MCP in 2025-06-18, so none is
      run, not even partly): an empty array gets one -32600 with ``id`` null, as JSON-RPC 2.0
      says; a batch of more than :data:`MAX_BATCH_ANSWERS` requests gets one too; otherwise each
      element that is a request gets its own -32600 carrying its ``id``
      (an element that is not an object, or whose ``id`` is not a string or an integer, gets
      one with ``id`` null), so a client waiting on each id is answered on each. Notifications
      and responses inside the batch get nothing; a batch of only those gets no answer at all;
    * any other JSON that is not a valid message (a lone surrogate, nesting deeper than the
      parser allows, a wrong ``jsonrpc``, a scalar, a request whose ``id`` is null or not a
      string or an integer, which the SDK would take for a notification...): -32600 with the
      request's ``id`` (null when it has no valid one). A malformed notification or response
      gets no answer.

    Returns the error objects to write, in order (possibly none).
    """
    try:
        data = json.loads(line)
    except ValueError:
        return [_error(None, _PARSE_ERROR)]
    except RecursionError:  # JSON, but nested deeper than the parser goes: answer its id if it has one
        rid = _top_level_id(line)
        return [_error(rid, _INVALID)] if rid is not None else [_error(None, _PARSE_ERROR)]
    if isinstance(data, list):
        if not data:
            return [_error(None, _BATCH)]
        replies = [_error(rid, _BATCH) for answer, rid in map(_reply_id, data) if answer]
        if len(replies) > MAX_BATCH_ANSWERS:  # one answer, not megabytes of them
            many = {**_BATCH, "message": f"{_BATCH['message']} ({len(replies)} requests in this batch; none was run)"}
            return [_error(None, many)]
        return replies
    answer, rid = _reply_id(data)
    return [_error(rid, _INVALID)] if answer else []


_DECODE = json.JSONDecoder().raw_decode


def _top_level_id(text: str) -> str | int | None:
    """The ``id`` member of the JSON object in ``text``, found by scanning it without recursion (for
    a message nested too deeply to parse), or ``None``."""
    i, n, depth, at_key = 0, len(text), 0, False
    while i < n:
        c = text[i]
        if c == '"':
            try:
                value, end = _DECODE(text, i)
            except ValueError:
                return None
            if depth == 1 and at_key:
                colon = end
                while colon < n and text[colon] in " \t\r\n":
                    colon += 1
                if value == "id" and colon < n and text[colon] == ":":
                    start = colon + 1
                    while start < n and text[start] in " \t\r\n":
                        start += 1
                    try:
                        rid, _ = _DECODE(text, start)
                    except (ValueError, RecursionError):
                        return None
                    return rid if isinstance(rid, str | int) and not isinstance(rid, bool) else None
            at_key = False
            i = end
            continue
        if c in "{[":
            depth += 1
            at_key = c == "{" and depth == 1
        elif c in "}]":
            depth -= 1
        elif c == "," and depth == 1:
            at_key = True
        i += 1
    return None


# ------------------------------------------------------------------------------------------------
# In-flight bookkeeping and the shared line handler
# ------------------------------------------------------------------------------------------------


class _InFlight:
    """Ids of the requests read from stdin and not answered yet.

    At EOF the SDK's dispatcher cancels every request still running, unanswered. The line
    handler holds EOF back until the requests already read are answered (or cancelled by the
    client), at most :data:`EOF_GRACE_SECONDS`, so ``printf '<request>' | server`` gets its answer.
    """

    def __init__(self) -> None:
        self.ids: set[Any] = set()
        self._idle = anyio.Event()
        self._idle.set()

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
        """Note a line written to stdout; an answer (result or error) settles its request's id."""
        # The SDK serializes answers as {"jsonrpc":"2.0","id":<id>,"result"|"error":...}.
        if not self.ids or not text.startswith(_ANSWER_PREFIX):
            return
        try:
            rid, end = _DECODER.raw_decode(text, len(_ANSWER_PREFIX))
        except ValueError:
            return
        if text.startswith((',"result"', ',"error"'), end):
            self._discard(rid)

    async def drained(self, timeout: float) -> None:
        """Return once every request read has been answered, or after ``timeout`` seconds."""
        with anyio.move_on_after(timeout):
            await self._idle.wait()

    def _add(self, rid: Any) -> None:
        if isinstance(rid, (str, int)) and not isinstance(rid, bool):
            self.ids.add(rid)
            if self._idle.is_set():
                self._idle = anyio.Event()

    def _discard(self, rid: Any) -> None:
        if isinstance(rid, (str, int)):
            self.ids.discard(rid)
        if not self.ids:
            self._idle.set()


_ANSWER_PREFIX = '{"jsonrpc":"2.0","id":'
_DECODER = json.JSONDecoder()


class _LineTooLong(Exception):
    """Raised by a line source for a line over :data:`MAX_LINE_BYTES` (already skipped)."""


class _Out(Protocol):
    async def write(self, text: str) -> None: ...

    async def flush(self) -> None: ...


class _Lines:
    """``async for line in lines``: the message lines the SDK's ``stdio_server()`` reads, on both paths.

    ``source()`` returns the next raw line (bytes; ``b""`` at EOF, :class:`_LineTooLong` for a
    line over the cap). Blank lines are skipped; a line the SDK would reject is answered here
    through ``out`` (see :func:`invalid_line_replies`) and not passed on; at EOF the requests
    already read are given time to be answered first (:class:`_InFlight`).
    """

    def __init__(self, source: Callable[[], Awaitable[bytes]], in_flight: _InFlight, out: _Out) -> None:
        self._source = source
        self._in_flight = in_flight
        self._out = out

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        while True:
            try:
                line = await self._source()
            except _LineTooLong:
                await self._reply([_error(None, _TOO_LONG)])
                continue
            if not line:
                await self._in_flight.drained(EOF_GRACE_SECONDS)
                raise StopAsyncIteration
            if not line.removeprefix(_BOM).strip():
                continue
            checked = check_message(line)
            if checked.message is None:
                await self._reply(checked.replies)
                continue
            self._in_flight.read(checked.message)
            return checked.text

    async def _reply(self, replies: list[dict[str, Any]]) -> None:
        if not replies:
            return
        text = "".join(json.dumps(reply, separators=(",", ":")) + "\n" for reply in replies)
        with suppress(OSError):
            await self._out.write(text)
            await self._out.flush()


# ------------------------------------------------------------------------------------------------
# The event-loop path: non-blocking pipes
# ------------------------------------------------------------------------------------------------


class _PipeWriter:
    """``await write(text)`` / ``await flush()`` on a non-blocking pipe (UTF-8, like the SDK's)."""

    def __init__(self, writer: Any, in_flight: _InFlight) -> None:
        self._writer = writer  # an asyncio.StreamWriter
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


@asynccontextmanager
async def _event_loop_io(stdin_fd: int, stdout_fd: int, in_flight: _InFlight) -> AsyncIterator[tuple[Any, _Out]]:
    import asyncio

    loop = asyncio.get_running_loop()
    transports: list[asyncio.BaseTransport] = []
    try:
        reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(stdin_fd, "rb", buffering=0, closefd=False)
        )
        transports.append(read_transport)
        write_transport, write_protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(stdout_fd, "wb", buffering=0, closefd=False)
        )
        transports.append(write_transport)
        write_transport.set_write_buffer_limits(high=0)
        writer = asyncio.StreamWriter(write_transport, write_protocol, None, loop)

        async def source() -> bytes:
            try:
                return await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:  # EOF: the last line without its newline, or b""
                return exc.partial
            except asyncio.LimitOverrunError as exc:  # a line over MAX_LINE_BYTES, still in the buffer
                await _skip_line(reader, exc.consumed)
                raise _LineTooLong from None

        yield source, _PipeWriter(writer, in_flight)
    finally:
        for transport in transports:
            transport.close()


async def _skip_line(reader: Any, consumed: int) -> None:
    """Discard the rest of an overlong line, through its newline (or to EOF), ``consumed`` bytes
    of it being in ``reader``'s buffer. (``StreamReader.readline`` drops only what it has
    buffered, so the tail of the line would arrive as a line of its own and be run.)"""
    import asyncio

    while True:
        await reader.readexactly(consumed)
        try:
            await reader.readuntil(b"\n")
            return
        except asyncio.IncompleteReadError:
            return
        except asyncio.LimitOverrunError as exc:
            consumed = exc.consumed


# ------------------------------------------------------------------------------------------------
# The threaded path: a daemon reader thread, writes in a worker thread
# ------------------------------------------------------------------------------------------------

_OVERLONG = object()


class _ThreadedSource:
    """Read lines from a blocking binary file in a daemon thread; ``await source()`` gets the next.

    The wait for the next line is abandoned on cancellation, and the thread blocked in ``read``
    is a daemon, so neither keeps a stopping process alive; :meth:`close` wakes the abandoned
    wait.
    """

    def __init__(self, binary: BinaryIO) -> None:
        self._lines: queue.SimpleQueue[Any] = queue.SimpleQueue()
        thread = threading.Thread(target=self._read_all, args=(binary,), name="glow-mcp-stdin", daemon=True)
        thread.start()

    def _read_all(self, binary: BinaryIO) -> None:
        try:
            while True:
                line = binary.readline(MAX_LINE_BYTES + 1)
                if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                    rest = line
                    while rest and not rest.endswith(b"\n"):  # skip the rest of the overlong line
                        rest = binary.readline(MAX_LINE_BYTES)
                    self._lines.put(_OVERLONG)
                    if not rest:
                        self._lines.put(b"")
                        return
                    continue
                self._lines.put(line)
                if not line:
                    return
        except (OSError, ValueError):
            self._lines.put(b"")

    async def __call__(self) -> bytes:
        line = await anyio.to_thread.run_sync(self._lines.get, abandon_on_cancel=True)
        if line is _OVERLONG:
            raise _LineTooLong
        return line

    def close(self) -> None:
        """Wake a wait abandoned on cancellation (it then reads EOF), so its worker thread ends."""
        self._lines.put(b"")


class _ThreadedWriter:
    """``await write(text)`` (written and flushed in a worker thread, one line at a time) /
    ``await flush()`` (nothing left to do)."""

    def __init__(self, binary: BinaryIO, in_flight: _InFlight) -> None:
        self._binary = binary
        self._in_flight = in_flight
        self._lock = anyio.Lock()

    def _write(self, data: bytes) -> None:
        self._binary.write(data)
        self._binary.flush()

    async def write(self, text: str) -> None:
        async with self._lock:  # one writer at a time: lines never interleave
            await anyio.to_thread.run_sync(self._write, text.encode("utf-8"))
        self._in_flight.written(text)

    async def flush(self) -> None:
        return None


@asynccontextmanager
async def _threaded_io(
    stdin: BinaryIO, stdout: BinaryIO, in_flight: _InFlight
) -> AsyncIterator[tuple[Callable[[], Awaitable[bytes]], _Out]]:
    source = _ThreadedSource(stdin)
    try:
        yield source, _ThreadedWriter(stdout, in_flight)
    finally:
        source.close()


# ------------------------------------------------------------------------------------------------
# Taking fd 0 and fd 1 away from the rest of the process
# ------------------------------------------------------------------------------------------------


def _dup_above_std(fd: int) -> int:
    if sys.platform == "win32":  # pragma: no cover - POSIX CI
        duplicate = os.dup(fd)  # not inheritable
        if duplicate <= 2:
            os.close(duplicate)
            raise OSError(f"duplicate of fd {fd} landed in the standard range")
        return duplicate
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)


def _point_std_handle(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - POSIX CI
        from mcp.os.win32.utilities import rebind_std_handle_to_fd

        with suppress(OSError):
            rebind_std_handle_to_fd(fd)


class _ClaimedFd:
    """Move ``fd`` onto a private descriptor and point ``fd`` at ``diversion`` until released.

    Raises:
        OSError: the descriptor could not be duplicated or diverted (``fd`` is left as it was).
    """

    def __init__(self, fd: int, diversion: int) -> None:
        self.fd = fd
        try:
            self.private = _dup_above_std(fd)
        except OSError:
            os.close(diversion)
            raise
        try:
            os.dup2(diversion, fd)
        except OSError:
            with suppress(OSError):
                os.dup2(self.private, fd)  # a failed dup2 may have closed its target
            os.close(self.private)
            raise
        finally:
            os.close(diversion)
        _point_std_handle(fd)

    def release(self, *, close: bool = True) -> None:
        """Point ``fd`` back at the wire; close the private descriptor unless ``close`` is false."""
        with suppress(OSError):
            os.set_blocking(self.private, True)
        with suppress(OSError):
            os.dup2(self.private, self.fd)
        _point_std_handle(self.fd)
        if close:
            with suppress(OSError):
                os.close(self.private)


def _claim(fd: int, stream: Any, open_diversion: Callable[[], int]) -> _ClaimedFd | None:
    """Claim ``fd`` if ``stream`` (``sys.stdin``/``sys.stdout``) is backed by it; ``None`` means
    serve ``stream`` in place (it is not, or the descriptor could not be claimed)."""
    try:
        if stream.buffer.fileno() != fd:
            return None
        return _ClaimedFd(fd, open_diversion())
    except (AttributeError, OSError, ValueError):
        return None


def _stdout_diversion() -> int:
    try:
        return os.dup(2)
    except OSError:
        return os.open(os.devnull, os.O_WRONLY)


# ------------------------------------------------------------------------------------------------


async def run_stdio(server: Any) -> None:
    """Run ``server`` (an ``MCPServer``) over stdio until stdin closes (or the task is cancelled).

    Every stdin line that is, or may be, a request gets an answer: the SDK's for a valid message,
    a JSON-RPC error from :func:`invalid_line_replies` otherwise. Requests read before EOF are
    answered before the server stops (at most :data:`EOF_GRACE_SECONDS`).
    """
    lowlevel = getattr(server, "_lowlevel_server", None)
    if lowlevel is None or sys.stdin is None or sys.stdout is None:
        await server.run_stdio_async()
        return

    from mcp.server.stdio import stdio_server

    sys.stdout.flush()
    fast = fast_path_available()
    in_flight = _InFlight()
    stdin_claim = _claim(0, sys.stdin, lambda: os.open(os.devnull, os.O_RDONLY))
    stdout_claim = _claim(1, sys.stdout, _stdout_diversion)
    threaded = not (fast and stdin_claim is not None and stdout_claim is not None)
    try:
        if not threaded:
            assert stdin_claim is not None and stdout_claim is not None
            io = _event_loop_io(stdin_claim.private, stdout_claim.private, in_flight)
        else:
            stdin = os.fdopen(stdin_claim.private, "rb", closefd=False) if stdin_claim else sys.stdin.buffer
            stdout = os.fdopen(stdout_claim.private, "wb", closefd=False) if stdout_claim else sys.stdout.buffer
            io = _threaded_io(stdin, stdout, in_flight)
        async with io as (source, out):
            lines = _Lines(source, in_flight, out)
            async with stdio_server(stdin=lines, stdout=out) as (read_stream, write_stream):  # type: ignore[arg-type]
                await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
    finally:
        if stdout_claim is not None:
            stdout_claim.release()
        if stdin_claim is not None:
            # On the threaded path a daemon thread may still be blocked reading the private
            # descriptor: it is left open rather than closed (and recycled) under that thread.
            stdin_claim.release(close=not threaded)
