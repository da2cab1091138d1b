"""Transport and process edges, on the wire (issue 12, items 4 and 5).

* stdio: every line that is or may be a request gets an answer, on both I/O paths (the event-loop
  one and the threaded one): JSON-RPC batches (one -32600 per request, with its id), the empty
  batch, scalars, objects that are not messages; notifications and responses get none.
* stateless streamable HTTP: any method but POST is answered 405 with ``Allow: POST`` at once
  (``GET`` used to open a stream that never carried a message and never ended).
* ``GLOW_MCP_ROOT_PATH`` / ``--root-path``: a real nginx on loopback serves the server under
  ``/glow/`` (prefix stripped, and prefix passed on) and a real MCP session runs through it over
  SSE and streamable HTTP.
* media types, charset parameters, header names and host names are case-insensitive.
* a port in use: one stderr line naming the port and the setting, exit code 3.

SIGTERM's exit code (143) and the request sent just before EOF on both stdio paths are in
``tests/reliability/test_rel_signals.py``.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from support import clean_env, free_port, nginx_binary, server_command, wait_listening

from glow_models_mcp.settings import Settings
from glow_models_mcp.tools import TOOL_SPECS

# Transport and process edges: every test here uses loopback sockets or subprocesses.
pytestmark = pytest.mark.process

INIT = {
    "jsonrpc": "2.0",
    "id": "init",
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}

BATCH = (
    "Invalid Request: JSON-RPC batches are not supported (MCP removed them in 2025-06-18); "
    "send each message by itself (one per line on stdio, one per request over HTTP)"
)
INVALID = "Invalid Request: not a valid JSON-RPC 2.0 message"


def _error(rid: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message}}


def _upstream_env(sandbox: Any, **extra: str) -> dict[str, str]:
    return clean_env(
        GLOW_INSTANCE_URL=sandbox.url, GLOW_API_KEY="sandbox-api-key", GLOW_TOKEN="sandbox-superadmin", **extra
    )


# ------------------------------------------------------------------------------------------------
# stdio: every line gets an answer
# ------------------------------------------------------------------------------------------------


class _Stdio:
    """The server over stdio, one line at a time: ``send(line)``, ``answer()``."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            server_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        self._buffer = b""

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def answer(self, timeout: float = 20) -> dict[str, Any]:
        """The next stdout line, parsed; fails (rather than hangs) if none comes within ``timeout``."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise AssertionError("no answer: the client would wait until its timeout")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError("stdout closed")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> tuple[int, str]:
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        code = self.proc.wait(30)
        return code, self.proc.stderr.read().decode()


@contextmanager
def _initialized(sandbox: Any, path: str) -> Iterator[_Stdio]:
    """An initialized session over stdio on ``path`` ("event-loop" or "threads"). On leaving, stdin
    is closed and the server must end cleanly (exit 0, no traceback)."""
    session = _Stdio(_upstream_env(sandbox, **({"GLOW_MCP_STDIO_THREADS": "1"} if path == "threads" else {})))
    try:
        session.send(json.dumps(INIT))
        assert session.answer()["id"] == "init"
        session.send(json.dumps(INITIALIZED))
        yield session
        code, err = session.close()
    finally:
        if session.proc.poll() is None:
            session.proc.kill()
    assert code == 0 and "Traceback" not in err, err[-2000:]


_GET_MODEL = '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get_model","arguments":{}}}'

#: (line, the exact answers it gets, in order). After each, a ping proves nothing else was written.
STDIO_LINES: list[tuple[str, list[dict[str, Any]]]] = [
    # The sample: a batch of two requests gets one error each, with its id.
    (
        '[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"ping"}]',
        [_error(2, -32600, BATCH), _error(3, -32600, BATCH)],
    ),
    # A batch of one; string ids; whitespace around the array.
    ('  [ {"jsonrpc":"2.0","id":"b-1","method":"tools/list"} ]  ', [_error("b-1", -32600, BATCH)]),
    # Notifications and responses inside a batch get nothing; the requests still get theirs.
    (
        '[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":"b-2","method":"ping"},'
        '{"jsonrpc":"2.0","id":77,"result":{}}]',
        [_error("b-2", -32600, BATCH)],
    ),
    # Elements that are not requests (no valid id) get id null; a valid request among them its id.
    (f'[1, "x", {{"id": true}}, [], {_GET_MODEL}]', [_error(None, -32600, BATCH)] * 4 + [_error(4, -32600, BATCH)]),
    # The empty batch: one error, id null (JSON-RPC 2.0).
    ("[]", [_error(None, -32600, BATCH)]),
    # A batch of notifications only: no answer at all.
    ('[{"jsonrpc":"2.0","method":"notifications/initialized"}]', []),
    # Scalars and objects that are not messages: -32600, id null (or the request's id).
    ("42", [_error(None, -32600, INVALID)]),
    ('"ping"', [_error(None, -32600, INVALID)]),
    ("null", [_error(None, -32600, INVALID)]),
    ("true", [_error(None, -32600, INVALID)]),
    ("{}", [_error(None, -32600, INVALID)]),
    ('{"jsonrpc":"2.0","id":5}', [_error(5, -32600, INVALID)]),
    ('{"jsonrpc":"1.0","id":6,"method":"ping"}', [_error(6, -32600, INVALID)]),
    # Requests whose id is not a string or an integer (the SDK took them for notifications).
    ('{"jsonrpc":"2.0","id":1.5,"method":"ping"}', [_error(None, -32600, INVALID)]),
    ('{"jsonrpc":"2.0","id":null,"method":"ping"}', [_error(None, -32600, INVALID)]),
    ('{"jsonrpc":"2.0","id":true,"method":"tools/list"}', [_error(None, -32600, INVALID)]),
    ('{"jsonrpc":"2.0","id":5,"method":"ping","params":[]}', [_error(5, -32600, INVALID)]),
    ('{"jsonrpc":"2.0","method":7}', [_error(None, -32600, INVALID)]),
    # A malformed notification or response is not answered (JSON-RPC never answers those).
    ('{"jsonrpc":"2.0","method":"notifications/initialized","params":5}', []),
    ('{"jsonrpc":"2.0","id":88,"result":5}', []),
    # Not JSON: -32700.
    ("not json", [_error(None, -32700, "Parse error")]),
    ('{"jsonrpc":"2.0","id":9,"method":"ping"', [_error(None, -32700, "Parse error")]),
]


@pytest.mark.parametrize("path", ["event-loop", "threads"])
def test_stdio_answers_every_line_that_may_be_a_request(sandbox: Any, path: str) -> None:
    """Each line is answered exactly as listed and nothing more (a ping after each proves it), on
    both stdio paths; the server keeps serving and ends cleanly."""
    with _initialized(sandbox, path) as session:
        for n, (line, expected) in enumerate(STDIO_LINES):
            session.send(line)
            got = [session.answer() for _ in expected]
            assert got == expected, line
            session.send(json.dumps({"jsonrpc": "2.0", "id": f"ping-{n}", "method": "ping"}))
            assert session.answer() == {"jsonrpc": "2.0", "id": f"ping-{n}", "result": {}}, line


@pytest.mark.parametrize("path", ["event-loop", "threads"])
def test_stdio_takes_a_bom_and_refuses_bytes_that_are_not_utf8(sandbox: Any, path: str) -> None:
    """RFC 8259 §8.1: JSON is UTF-8, and a BOM may be ignored. Invalid bytes are a parse error
    answered with the request's id, not run with replacement characters (which a write would store)."""
    with _initialized(sandbox, path) as session:
        assert session.proc.stdin is not None
        session.proc.stdin.write(b'\xef\xbb\xbf{"jsonrpc":"2.0","id":"bom","method":"ping"}\n')
        session.proc.stdin.write(b'{"jsonrpc":"2.0","id":"latin1","method":"ping","params":{"x":"caf\xe9"}}\n')
        session.proc.stdin.flush()
        answers = {a["id"]: a for a in (session.answer(), session.answer())}  # in either order
        assert answers["bom"] == {"jsonrpc": "2.0", "id": "bom", "result": {}}
        bad = answers["latin1"]
        assert bad["error"]["code"] == -32700 and "UTF-8" in bad["error"]["message"]


def test_stdio_from_a_regular_file_answers_a_batch(sandbox: Any, tmp_path: Path) -> None:
    """Stdin that is a file (not a pipe) takes the threaded path for real; EOF comes at once and
    every line is still answered."""
    lines = [
        json.dumps(INIT),
        json.dumps(INITIALIZED),
        '[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"ping"}]',
        '{"jsonrpc":"2.0","id":4,"method":"tools/list"}',
    ]
    requests = tmp_path / "requests.jsonl"
    requests.write_text("\n".join(lines) + "\n")
    with requests.open("rb") as stdin:
        proc = subprocess.run(
            server_command(), stdin=stdin, capture_output=True, env=_upstream_env(sandbox), timeout=60
        )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    answers = {a["id"]: a for a in map(json.loads, proc.stdout.decode().splitlines())}
    assert set(answers) == {"init", 2, 3, 4}
    assert answers[2] == _error(2, -32600, BATCH) and answers[3] == _error(3, -32600, BATCH)
    assert len(answers[4]["result"]["tools"]) == len(TOOL_SPECS)


# ------------------------------------------------------------------------------------------------
# HTTP servers (subprocesses against the session's reference API)
# ------------------------------------------------------------------------------------------------


@contextmanager
def _serving(sandbox: Any, transport: str, *args: str, **env: str) -> Iterator[str]:
    """Our server over ``transport`` on a free loopback port; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        server_command("--transport", transport, "--port", str(port), *args),
        env=_upstream_env(sandbox, **env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
        assert b"Traceback" not in err, err.decode()[-3000:]


@pytest.fixture(scope="module")
def http_url(sandbox: Any) -> Iterator[str]:
    with _serving(sandbox, "http") as url:
        yield url


@pytest.fixture(scope="module")
def sse_url(sandbox: Any) -> Iterator[str]:
    with _serving(sandbox, "sse") as url:
        yield url


def _tools_list(era: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of a raw ``tools/list`` POST in protocol era ``era``."""
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": era}
    if era == "2026-07-28":
        headers["Mcp-Method"] = "tools/list"
        body["params"] = {
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": era,
                "io.modelcontextprotocol/clientCapabilities": {},
            }
        }
    return headers, json.dumps(body).encode()


ERAS = ["2025-11-25", "2026-07-28"]

# ------------------------------------------------------------------------------------------------
# Stateless streamable HTTP: POST only
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, *ERAS])
@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"])
def test_stateless_http_answers_any_method_but_post_405_with_allow(http_url: str, method: str, version: str) -> None:
    """``GET /mcp`` with ``Accept: text/event-stream`` used to open a stream that never ended; now
    it, like every other method, gets 405 with ``Allow: POST`` at once (a hang fails on the
    client's 10 s timeout)."""
    headers = {"Accept": "text/event-stream"}
    if version:
        headers["MCP-Protocol-Version"] = version
    response = httpx2.request(method, f"{http_url}/mcp", headers=headers, timeout=10)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"
    if method != "HEAD":
        assert response.json()["error"]["code"] == -32600


def test_stateless_http_get_keeps_the_host_and_origin_checks_first(http_url: str) -> None:
    port = http_url.rsplit(":", 1)[1]
    evil_host = httpx2.get(f"{http_url}/mcp", headers={"Host": f"evil.example:{port}"}, timeout=10)
    evil_origin = httpx2.get(f"{http_url}/mcp", headers={"Origin": "http://evil.example"}, timeout=10)
    assert (evil_host.status_code, evil_origin.status_code) == (421, 403)


# ------------------------------------------------------------------------------------------------
# Case-insensitive media types, charset parameters, header names, host names
# ------------------------------------------------------------------------------------------------

CONTENT_TYPES = [
    "application/json",
    "Application/JSON",
    "APPLICATION/JSON; CHARSET=UTF-8",
    "application/json; charset=UTF-8",
    "application/json;Charset=utf-8",
    'application/json; charset="UTF-8"',
    "application/json ; charset=utf-8",
]
ACCEPTS = [
    "application/json, text/event-stream",
    "Application/JSON",
    "TEXT/EVENT-STREAM, APPLICATION/JSON",
    "Application/*;Q=1",
    "*/*",
]


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_http_content_type_is_case_insensitive(http_url: str, era: str, content_type: str) -> None:
    headers, body = _tools_list(era)
    response = httpx2.post(f"{http_url}/mcp", content=body, headers=headers | {"Content-Type": content_type})
    assert response.status_code == 200, response.text
    assert len(response.json()["result"]["tools"]) == len(TOOL_SPECS)


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_http_accept_is_case_insensitive(http_url: str, era: str, accept: str) -> None:
    headers, body = _tools_list(era)
    headers |= {"Accept": accept, "Content-Type": "application/json"}
    response = httpx2.post(f"{http_url}/mcp", content=body, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("era", ERAS)
def test_http_wrong_media_types_are_still_refused(http_url: str, era: str) -> None:
    """The controls: a media type that is not JSON, and an Accept without JSON."""
    headers, body = _tools_list(era)
    headers["Content-Type"] = "application/json"
    text = httpx2.post(f"{http_url}/mcp", content=body, headers=headers | {"Content-Type": "Text/Plain"})
    html = httpx2.post(f"{http_url}/mcp", content=body, headers=headers | {"Accept": "Text/HTML"})
    assert (text.status_code, html.status_code) == (415, 406)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json-rpc", "multipart/form-data"])
@pytest.mark.parametrize("path", ["/mcp", "/messages/"])
def test_http_a_body_that_is_not_json_is_415(http_url: str, sse_url: str, content_type: str, path: str) -> None:
    """RFC 9110 §15.5.16: a media type the endpoint does not take is 415, with a JSON-RPC error."""
    url = (http_url if path == "/mcp" else sse_url) + path
    headers = {"Accept": "application/json, text/event-stream"}
    if content_type:
        headers["Content-Type"] = content_type
    response = httpx2.post(url, content=b'{"jsonrpc":"2.0","id":1,"method":"ping"}', headers=headers, timeout=10)
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == -32600


def test_http_takes_a_body_with_a_bom(http_url: str) -> None:
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    body = "\ufeff".encode() + b'{"jsonrpc":"2.0","id":"bom","method":"ping"}'
    response = httpx2.post(f"{http_url}/mcp", content=body, headers=headers, timeout=10)
    assert (response.status_code, response.json()) == (200, {"jsonrpc": "2.0", "id": "bom", "result": {}})


#: Every stdio line above, with the answer stdio gives it: HTTP bodies get the same.
JSON_LINES = STDIO_LINES


@pytest.mark.parametrize("path", ["/mcp", "/messages/"])
@pytest.mark.parametrize(("line", "expected"), JSON_LINES, ids=[line[:40] for line, _ in JSON_LINES])
def test_http_answers_what_is_not_one_message_as_stdio_does(
    http_url: str, sse_url: str, path: str, line: str, expected: list[dict[str, Any]]
) -> None:
    """A batch gets 400 and an array with one -32600 per request (JSON-RPC 2.0 §6: one body
    answers the batch); a scalar, a wrong ``jsonrpc`` or a request whose id is null or not a
    string or an integer gets 400 and one -32600 (the SDK answered -32602 with a pydantic dump,
    or took the request for a notification and answered nothing); what JSON-RPC never answers
    (notifications, responses) gets 202. Stateless streamable HTTP and SSE's message endpoint alike."""
    url = (http_url if path == "/mcp" else sse_url) + path
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    response = httpx2.post(url, content=line.encode(), headers=headers, timeout=10)
    if not expected:
        assert (response.status_code, response.content) == (202, b""), response.text
        return
    assert response.status_code == 400, response.text
    assert response.json() == (expected if line.strip().startswith("[") else expected[0])


@pytest.mark.parametrize("transport", ["http", "sse"])
@pytest.mark.parametrize(("method", "path"), [("POST", "/mcp/"), ("GET", "/messages"), ("GET", "/nope"), ("POST", "/")])
def test_a_foreign_host_is_refused_on_every_path(
    http_url: str, sse_url: str, transport: str, method: str, path: str
) -> None:
    """Paths no endpoint claims get the Host/Origin checks before the router answers: ``POST /mcp/``
    with a foreign Host was redirected (307 to that host's ``/mcp``) before any Host check. With
    the server's own Host the router's answer is unchanged."""
    url = http_url if transport == "http" else sse_url
    port = url.rsplit(":", 1)[1]
    evil = httpx2.request(method, url + path, headers={"Host": f"evil.example:{port}"}, timeout=10)
    assert evil.status_code == 421, (evil.status_code, evil.headers.get("location"))
    foreign_origin = httpx2.request(method, url + path, headers={"Origin": "http://evil.example"}, timeout=10)
    assert foreign_origin.status_code == 403
    own = httpx2.request(method, url + path, timeout=10)
    assert own.status_code in (307, 404, 405), own.status_code
    if own.status_code == 307:  # the redirect still points at the server's own endpoint
        assert own.headers["location"] in (f"{url}/mcp", f"{url}/messages/")


def test_http_host_and_origin_are_case_insensitive(http_url: str) -> None:
    port = http_url.rsplit(":", 1)[1]
    headers, body = _tools_list("2025-11-25")
    headers["Content-Type"] = "application/json"

    def post(**extra: str) -> int:
        return httpx2.post(f"{http_url}/mcp", content=body, headers=headers | extra).status_code

    assert post(Host=f"LOCALHOST:{port}") == 200
    assert post(Host=f"127.0.0.1:{port}", Origin=f"HTTP://LocalHost:{port}") == 200
    assert post(Host=f"Evil.Example:{port}") == 421
    assert post(Origin="HTTP://EVIL.example") == 403


@pytest.mark.parametrize("era", ERAS)
def test_http_header_names_in_any_case_on_a_raw_socket(http_url: str, era: str) -> None:
    """Upper-case header names, a mixed-case media type and charset, written byte by byte."""
    port = int(http_url.rsplit(":", 1)[1])
    headers, body = _tools_list(era)
    lines = [
        "POST /mcp HTTP/1.1",
        f"HOST: 127.0.0.1:{port}",
        "CONTENT-TYPE: Application/Json; CharSet=Utf-8",
        "ACCEPT: APPLICATION/JSON",
        f"MCP-PROTOCOL-VERSION: {era}",
        *(f"{name.upper()}: {value}" for name, value in headers.items() if name.lower().startswith("mcp-m")),
        f"CONTENT-LENGTH: {len(body)}",
        "CONNECTION: close",
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), raw[:500]
    assert len(json.loads(payload)["result"]["tools"]) == len(TOOL_SPECS)


async def _sse_events(lines: Any) -> Any:
    """``(event, data)`` pairs from an SSE line iterator."""
    event = None
    async for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            yield event, line[5:].strip()
            event = None


@pytest.mark.anyio
async def test_sse_media_types_are_case_insensitive(sse_url: str) -> None:
    """``Accept: Text/Event-Stream`` opens the stream; POSTs with mixed-case JSON media types and
    charsets are accepted (202) and answered on it; a non-JSON media type is still refused."""
    async with httpx2.AsyncClient(timeout=10) as http:
        async with http.stream("GET", f"{sse_url}/sse", headers={"Accept": "Text/Event-Stream"}) as stream:
            assert stream.status_code == 200
            events = _sse_events(stream.aiter_lines())
            kind, endpoint = await events.__anext__()
            assert kind == "endpoint" and endpoint.startswith("/messages/?session_id=")
            for n, content_type in enumerate(["Application/JSON; Charset=UTF-8", *CONTENT_TYPES]):
                message = INIT if n == 0 else {"jsonrpc": "2.0", "id": n, "method": "ping"}
                posted = await http.post(
                    f"{sse_url}{endpoint}", content=json.dumps(message), headers={"Content-Type": content_type}
                )
                assert posted.status_code == 202, (content_type, posted.text)
                kind, data = await events.__anext__()
                assert kind == "message" and json.loads(data)["id"] == message["id"], data
                if n == 0:
                    await http.post(f"{sse_url}{endpoint}", json=INITIALIZED)
            refused = await http.post(f"{sse_url}{endpoint}", content=b"{}", headers={"Content-Type": "Text/Plain"})
            assert refused.status_code == 415


# ------------------------------------------------------------------------------------------------
# Root path
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["glow", "/glow/", "/", "/a//b", "/a b", "/a?b", "/a#b", "/a%2Fb", "/glöw", " /glow"])
def test_root_path_must_be_a_clean_path(value: str) -> None:
    with pytest.raises(ValueError, match="must be empty or a path like /glow"):
        Settings(root_path=value)


@pytest.mark.parametrize("value", ["", "/glow", "/a/b-c_d.e~f", "/mcp:v1"])
def test_clean_root_paths_are_kept(value: str) -> None:
    assert Settings(root_path=value).root_path == value


def test_root_path_setting_is_named_when_invalid() -> None:
    proc = subprocess.run(
        server_command(),
        input=b"",
        capture_output=True,
        env=clean_env(GLOW_INSTANCE_URL="http://127.0.0.1:9", GLOW_MCP_ROOT_PATH="/glow/"),
        timeout=30,
    )
    assert proc.returncode == 2 and b"GLOW_MCP_ROOT_PATH" in proc.stderr, proc.stderr


async def _endpoint_event(url: str, **headers: str) -> str:
    async with httpx2.AsyncClient(timeout=10) as http:
        async with http.stream("GET", url, headers=headers) as stream:
            assert stream.status_code == 200
            async for kind, data in _sse_events(stream.aiter_lines()):
                assert kind == "endpoint"
                return str(data)
    raise AssertionError("no endpoint event")


@pytest.mark.anyio
async def test_root_path_serves_with_and_without_the_prefix(sandbox: Any) -> None:
    """Set by flag or variable: the prefix is optional on the way in (a proxy may strip it or not)
    and always present on the way out (the SSE endpoint event)."""
    with _serving(sandbox, "sse", "--root-path", "/glow") as url:
        for path in ("/sse", "/glow/sse"):
            assert (await _endpoint_event(url + path)).startswith("/glow/messages/?session_id=")
        assert httpx2.get(f"{url}/glowing/sse", timeout=10).status_code == 404
    with _serving(sandbox, "http", GLOW_MCP_ROOT_PATH="/glow") as url:
        headers, body = _tools_list("2025-11-25")
        headers["Content-Type"] = "application/json"
        for path in ("/mcp", "/glow/mcp"):
            response = httpx2.post(url + path, content=body, headers=headers, timeout=10)
            assert response.status_code == 200 and len(response.json()["result"]["tools"]) == len(TOOL_SPECS)
            assert httpx2.get(url + path, timeout=10).status_code == 405
        assert httpx2.post(f"{url}/glowing/mcp", content=body, headers=headers, timeout=10).status_code == 404


NGINX_CONF = """
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_buffering off;
    proxy_read_timeout 60s;
    # The prefix stripped on the way to the server ...
    server {{
        listen 127.0.0.1:{strip};
        location /glow/ {{ proxy_pass http://127.0.0.1:{upstream}/; }}
    }}
    # ... and passed on unchanged.
    server {{
        listen 127.0.0.1:{keep};
        location /glow/ {{ proxy_pass http://127.0.0.1:{upstream}; }}
    }}
}}
"""


@contextmanager
def _nginx_in_front_of(upstream: str, tmp: Path) -> Iterator[dict[str, str]]:
    """nginx on two free loopback ports proxying ``/glow/`` to ``upstream``; yields
    ``{"strip": url, "keep": url}``."""
    nginx = nginx_binary()
    assert nginx is not None
    ports = {"strip": free_port(), "keep": free_port()}
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, upstream=upstream.rsplit(":", 1)[1], **ports))
    proc = subprocess.Popen(
        [nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for port in ports.values():
            wait_listening(port, proc)
        yield {style: f"http://127.0.0.1:{port}" for style, port in ports.items()}
    finally:
        proc.terminate()
        proc.wait(15)


needs_nginx = pytest.mark.skipif(
    nginx_binary() is None, reason="nginx is not installed (Debian: apt-get install nginx-light; .ci/run installs it)"
)


@needs_nginx
@pytest.mark.anyio
async def test_sse_session_behind_nginx_under_a_path_prefix(sandbox: Any, tmp_path: Path) -> None:
    with _serving(sandbox, "sse", "--root-path", "/glow") as upstream, _nginx_in_front_of(upstream, tmp_path) as proxy:
        for style, url in proxy.items():
            assert (await _endpoint_event(f"{url}/glow/sse")).startswith("/glow/messages/?session_id="), style
            with anyio.fail_after(30):
                async with Client(sse_client(f"{url}/glow/sse"), mode="legacy") as client:
                    assert len((await client.list_tools()).tools) == len(TOOL_SPECS), style
                    result = await client.call_tool("search_models", {"search": "gpt", "page_size": 2})
                    assert not result.is_error and len(result.structured_content["models"]) == 2, style


@needs_nginx
@pytest.mark.anyio
async def test_streamable_http_session_behind_nginx_under_a_path_prefix(sandbox: Any, tmp_path: Path) -> None:
    with (
        _serving(sandbox, "http", GLOW_MCP_ROOT_PATH="/glow") as upstream,
        _nginx_in_front_of(upstream, tmp_path) as proxy,
    ):
        for style, url in proxy.items():
            for mode in ("auto", "legacy"):
                with anyio.fail_after(30):
                    async with Client(f"{url}/glow/mcp", mode=mode) as client:
                        assert len((await client.list_tools()).tools) == len(TOOL_SPECS), (style, mode)
                        result = await client.call_tool("get_model", {})
                        assert not result.is_error and result.structured_content["options"]["providers"]["items"]
            assert httpx2.get(f"{url}/glow/mcp", timeout=10).status_code == 405, style


# ------------------------------------------------------------------------------------------------
# A port in use
# ------------------------------------------------------------------------------------------------


@contextmanager
def _busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("how", "hint"),
    [
        ("http --port", "set GLOW_MCP_PORT or pass --port"),
        ("sse GLOW_MCP_PORT", "set GLOW_MCP_PORT or pass --port"),
        ("sandbox --port", "pass --port"),
    ],
)
def test_a_port_in_use_is_one_line_and_exit_code_3(how: str, hint: str) -> None:
    with _busy_port() as port:
        env = clean_env(GLOW_INSTANCE_URL="http://127.0.0.1:9", GLOW_API_KEY="k", GLOW_TOKEN="t")
        if how == "http --port":
            args = ["--transport", "http", "--port", str(port)]
        elif how == "sse GLOW_MCP_PORT":
            args, env["GLOW_MCP_PORT"], env["GLOW_MCP_TRANSPORT"] = [], str(port), "sse"
        else:
            args = ["sandbox", "--port", str(port)]
        proc = subprocess.run(server_command(*args), capture_output=True, env=env, timeout=30)
    assert proc.returncode == 3, proc.stderr.decode()
    assert proc.stderr.decode() == f"glow-models-mcp: port {port} on 127.0.0.1 is already in use; {hint}\n"
    assert proc.stdout == b""
