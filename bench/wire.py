"""Minimal MCP/HTTP clients used as measuring instruments (no SDK client in the measured path).

* :class:`StdioServer`: spawns a server process and speaks newline-delimited JSON-RPC to it over
  its stdin/stdout (the MCP stdio transport), handshake era ``2025-11-25``.
* :class:`McpHttp`: JSON-RPC POSTs to a streamable-HTTP endpoint over one keep-alive
  ``httpx2.AsyncClient`` (stateless server, JSON responses).
* :class:`RawHttp`: a bare HTTP/1.1 keep-alive connection on asyncio streams that replays one
  pre-built request. The throughput load generator uses it so that the client's own CPU cost
  (the client shares the machine with the servers) is as small as possible and the same for every
  system.

The same instruments measure ours, the peer and the floor, so their own cost cancels out in the
ratios.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

PROTOCOL_VERSION = "2025-11-25"
CLIENT_INFO = {"name": "glow-bench", "version": "0.1.0"}


class RpcError(RuntimeError):
    """A JSON-RPC error answer, or a tool result with ``isError: true`` where success was expected."""


def initialize_request(rid: int) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": rid,
        "method": "initialize",
        "params": {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": CLIENT_INFO},
    }


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def call_request(rid: int, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}


def check_tool_result(message: dict[str, Any], tool: str) -> dict[str, Any]:
    """The ``result`` of a ``tools/call`` answer; raises :class:`RpcError` on an error of any kind."""
    if "error" in message:
        raise RpcError(f"{tool}: JSON-RPC error {message['error']}")
    result = message["result"]
    if result.get("isError"):
        text = " ".join(c.get("text", "") for c in result.get("content", []))
        raise RpcError(f"{tool}: tool error: {text[:500]}")
    return result


class StdioServer:
    """One server process driven over stdio. Use ``async with``; ``pid`` is the server's pid."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str | Path, log_path: Path | None = None) -> None:
        self.argv = argv
        self.env = env
        self.cwd = str(cwd)
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self._ids = itertools.count(1)
        self._log: Any = None
        self.spawned_at = 0.0
        self.close_timeout = 5.0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def __aenter__(self) -> StdioServer:
        self._log = open(self.log_path, "ab") if self.log_path else asyncio.subprocess.DEVNULL  # noqa: SIM115
        self.spawned_at = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            env=self.env,
            cwd=self.cwd,
            limit=64 * 1024 * 1024,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        proc = self.proc
        if proc is None:
            return
        self.proc = None
        try:
            if proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.close()
            await asyncio.wait_for(proc.wait(), self.close_timeout)
        except (TimeoutError, ProcessLookupError, BrokenPipeError, ConnectionResetError):
            try:
                proc.terminate()
                await asyncio.wait_for(proc.wait(), 5)
            except (TimeoutError, ProcessLookupError):
                proc.kill()
                await proc.wait()
        finally:
            if self._log not in (None, asyncio.subprocess.DEVNULL):
                self._log.close()

    def _write(self, *messages: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(b"".join(json.dumps(m, separators=(",", ":")).encode() + b"\n" for m in messages))

    async def _read_answer(self, rid: int, timeout: float) -> tuple[dict[str, Any], int]:
        """The answer with id ``rid`` (notifications and log lines in between are skipped) and its size."""
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            if not line:
                raise RpcError(f"server exited (code {self.proc.returncode}) before answering request {rid}")
            message = json.loads(line)
            if message.get("id") == rid and ("result" in message or "error" in message):
                return message, len(line.rstrip(b"\r\n"))

    async def start_and_list_tools(self, timeout: float = 60.0) -> tuple[dict[str, Any], int, float]:
        """Handshake + ``tools/list``, written at once right after spawn.

        Returns ``(tools/list answer, its size in bytes, seconds from spawn to that answer)``.
        """
        init_id, list_id = next(self._ids), next(self._ids)
        self._write(initialize_request(init_id), INITIALIZED, {"jsonrpc": "2.0", "id": list_id, "method": "tools/list"})
        assert self.proc is not None
        await self.proc.stdin.drain()  # type: ignore[union-attr]
        await self._read_answer(init_id, timeout)
        answer, size = await self._read_answer(list_id, timeout)
        elapsed = time.perf_counter() - self.spawned_at
        if "error" in answer:
            raise RpcError(f"tools/list failed: {answer['error']}")
        return answer, size, elapsed

    async def call(self, tool: str, arguments: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
        rid = next(self._ids)
        self._write(call_request(rid, tool, arguments))
        answer, _ = await self._read_answer(rid, timeout)
        return check_tool_result(answer, tool)

    async def pipeline(
        self, calls: list[tuple[str, dict[str, Any]]], n: int, window: int, timeout: float = 60.0
    ) -> None:
        """``n`` calls cycling through ``calls``, up to ``window`` of them in flight at once (the
        soak load: many calls quickly, not timed). Raises :class:`RpcError` on any failed call."""
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        pending: dict[int, str] = {}
        sent = done = 0
        while done < n:
            while sent < n and len(pending) < window:
                rid = next(self._ids)
                tool, arguments = calls[sent % len(calls)]
                self._write(call_request(rid, tool, arguments))
                pending[rid] = tool
                sent += 1
            await self.proc.stdin.drain()
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            if not line:
                raise RpcError(f"server exited (code {self.proc.returncode}) during the soak, after {done} calls")
            message = json.loads(line)
            rid = message.get("id")
            if rid in pending and ("result" in message or "error" in message):
                check_tool_result(message, pending.pop(rid))
                done += 1


MODERN_VERSION = "2026-07-28"


def http_message(
    rid: int, method: str, params: dict[str, Any] | None, era: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """Headers and body of one JSON-RPC request over streamable HTTP in protocol ``era``.

    ``2025-11-25`` (handshake era): served statelessly, no ``initialize`` needed.
    ``2026-07-28``: the per-request envelope (version and capabilities in ``params._meta``, mirrored
    in the ``Mcp-Method`` / ``Mcp-Name`` headers), what the SDK's own client negotiates by default.
    """
    headers = {
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": era,
    }
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
    params = dict(params or {})
    if era == MODERN_VERSION:
        headers["Mcp-Method"] = method
        if method == "tools/call":
            headers["Mcp-Name"] = params["name"]
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": era,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    if params:
        body["params"] = params
    return headers, body


class McpHttp:
    """JSON-RPC over streamable HTTP (stateless, JSON responses) with one keep-alive httpx2 client."""

    def __init__(self, url: str, era: str = PROTOCOL_VERSION) -> None:
        import httpx2

        self.url = url
        self.era = era
        self._ids = itertools.count(1)
        self.http = httpx2.AsyncClient(timeout=60.0)

    async def __aenter__(self) -> McpHttp:
        await self.http.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.__aexit__(*exc)

    async def rpc(self, method: str, params: dict[str, Any] | None = None) -> tuple[dict[str, Any], int]:
        headers, body = http_message(next(self._ids), method, params, self.era)
        response = await self.http.post(self.url, headers=headers, content=json.dumps(body, separators=(",", ":")))
        if response.status_code != 200:
            raise RpcError(f"HTTP {response.status_code}: {response.text[:300]}")
        return response.json(), len(response.content)

    async def list_tools(self) -> tuple[dict[str, Any], int]:
        answer, size = await self.rpc("tools/list")
        if "error" in answer:
            raise RpcError(f"tools/list failed: {answer['error']}")
        return answer, size

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        answer, _ = await self.rpc("tools/call", {"name": tool, "arguments": arguments})
        return check_tool_result(answer, tool)


class RawHttp:
    """One HTTP/1.1 keep-alive connection replaying pre-built requests (the load generator)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=64 * 1024 * 1024)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self.writer = None

    @staticmethod
    def build(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send one pre-built request; return ``(status, body)``."""
        assert self.reader is not None and self.writer is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length = None
        chunked = False
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if length is not None:
            body = await self.reader.readexactly(length)
        elif chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            raise RpcError("response without Content-Length or chunked encoding")
        return status, body


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_http(url: str, timeout: float, proc: asyncio.subprocess.Process | None = None) -> float:
    """Poll ``url`` until any HTTP answer arrives; return the seconds waited."""
    import httpx2

    started = time.perf_counter()
    async with httpx2.AsyncClient(timeout=2.0) as client:
        while True:
            if proc is not None and proc.returncode is not None:
                raise RuntimeError(f"process exited with code {proc.returncode} before {url} answered")
            try:
                await client.get(url)
                return time.perf_counter() - started
            except httpx2.TransportError:
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"{url} did not answer within {timeout:g} s") from None
                await asyncio.sleep(0.05)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without GLOW_*/FASTMCP_* variables, plus ``extra``.

    ``PYTHONDONTWRITEBYTECODE`` is dropped too: with it every process would compile every module
    from source again, which no installed server does after its first start (pip compiles on
    install; otherwise the first run writes ``__pycache__``). The unmeasured warm-up spawn of each
    system writes the caches.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GLOW_", "FASTMCP_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(extra)
    return env
