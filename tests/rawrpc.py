"""Raw JSON-RPC on the wire, for the protocol tests (imported as ``rawrpc``; not a test module; processes
and ports come from ``support``).

* :func:`stdio_exchange`: start our server as a stdio subprocess, write ``initialize`` (at a given
  protocol version), ``notifications/initialized`` and a batch of request lines, and return the
  answers by id together with stderr.
* :class:`StdioSession`: the same, one request at a time (when a request needs an earlier answer,
  e.g. the upload id of an export).
* :func:`http_message` / :func:`http_server`: plain HTTP POSTs to our streamable HTTP transport in
  either era (handshake era: stateless, the version in the ``MCP-Protocol-Version`` header;
  2026-07-28: the per-request envelope in ``params._meta`` plus the ``Mcp-Method``/``Mcp-Name``
  headers).
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from support import SANDBOX_API_KEY, SUPERADMIN_TOKEN, clean_env, free_port, server_command, wait_listening

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
MODERN_VERSION = "2026-07-28"


def env_for(url: str, **extra: str) -> dict[str, str]:
    """The environment of a server against the reference API at ``url`` (superadmin), no other GLOW_*."""
    env = clean_env(GLOW_INSTANCE_URL=url, GLOW_API_KEY=SANDBOX_API_KEY, GLOW_TOKEN=SUPERADMIN_TOKEN)
    env.update(extra)
    return env


def initialize(version: str, rid: int = 0) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": rid,
        "method": "initialize",
        "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
    }


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def request(rid: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        message["params"] = params
    return message


def stdio_exchange(
    requests: list[dict[str, Any]], env: dict[str, str], version: str = "2025-11-25", args: tuple[str, ...] = ()
) -> tuple[dict[Any, dict[str, Any]], str]:
    """Answers by id (``initialize`` is id 0) and stderr of one stdio server process."""
    lines = [initialize(version), INITIALIZED, *requests]
    stdin = "".join(json.dumps(m) + "\n" for m in lines).encode()
    proc = subprocess.run(server_command(*args), input=stdin, capture_output=True, env=env, timeout=90)
    assert proc.returncode == 0, proc.stderr.decode()
    answers = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    return {a["id"]: a for a in answers if "id" in a}, proc.stderr.decode()


class StdioSession:
    """One stdio server process, one request at a time (``with StdioSession(env, version) as s``)."""

    def __init__(self, env: dict[str, str], version: str = "2025-11-25", args: tuple[str, ...] = ()) -> None:
        self.proc = subprocess.Popen(
            server_command(*args), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._stderr: list[bytes] = []
        self._readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self._next = 1
        #: Every line read that was not the answer waited for, in order (notifications...).
        self.others: list[dict[str, Any]] = []
        self.initialized = self._call(initialize(version))
        self._write(INITIALIZED)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    def _write(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def _call(self, message: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        self._write(message)
        deadline = time.monotonic() + timeout
        while True:
            answer = json.loads(self._lines.get(timeout=max(0.1, deadline - time.monotonic())))
            if answer.get("id") == message["id"]:
                return answer
            self.others.append(answer)  # notifications (e.g. notifications/message) and stray lines

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole JSON-RPC answer (``result`` or ``error``) to one request."""
        rid, self._next = self._next, self._next + 1
        return self._call(request(rid, method, params))

    def close(self) -> str:
        """End the process (stdin EOF) and return its stderr."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        for reader in self._readers:  # both pipes are at EOF once the process has exited
            reader.join(timeout=10)
        return b"".join(self._stderr).decode()

    def __enter__(self) -> StdioSession:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.close()


def http_message(
    rid: int, method: str, params: dict[str, Any] | None, version: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """Headers and body of one JSON-RPC request to the streamable HTTP transport at ``version``."""
    headers = {
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": version,
    }
    params = dict(params or {})
    if version == MODERN_VERSION:
        headers["Mcp-Method"] = method
        name = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}.get(method)
        if name and isinstance(params.get(name), str):
            headers["Mcp-Name"] = params[name]
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    return headers, request(rid, method, params or None)


@contextmanager
def http_server(env: dict[str, str], transport: str = "http") -> Iterator[str]:
    """Our server as a streamable HTTP subprocess; yields the URL of its ``/mcp`` endpoint."""
    port = free_port()
    proc = subprocess.Popen(
        server_command("--transport", transport, "--port", str(port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
        assert b"Traceback" not in err, err.decode()[-3000:]
