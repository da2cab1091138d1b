"""HTTP exposure: loopback by default, DNS-rebinding protection on every bind (foreign Host 421,
foreign Origin 403, both transports), non-loopback binds refused without a token unless the
unsafe flag is given, the bearer token enforced (constant-time comparison), the MCP client's own
credentials never forwarded upstream, and request bodies over the cap refused with 413.

The apps are the ones ``serve_http`` runs (``build_http_app``), served by uvicorn on loopback; the
start-up rules run the real CLI in a subprocess. The upstream is a ``FaultServer`` answering ``ok``
and recording the headers it receives.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from rel_support import FaultServer, fast_settings
from support import clean_env, free_port, server_command, serving, text_of, wait_listening

from glow_models_mcp import http_app as server_module
from glow_models_mcp.http_app import check_http_exposure
from glow_models_mcp.server import build_server
from glow_models_mcp.settings import Settings

API_KEY, TOKEN, HTTP_TOKEN = "configured-api-key", "configured-glow-token", "mcp-endpoint-token"
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
LEGACY = {"MCP-Protocol-Version": "2025-11-25"}


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    with FaultServer() as fs:
        yield fs


def _settings(url: str, **overrides: Any) -> Settings:
    return fast_settings(url, api_key=API_KEY, token=TOKEN, **overrides)


def _post(url: str, headers: dict[str, str] | None = None, body: Any = LIST_TOOLS, **kw: Any) -> httpx2.Response:
    return httpx2.post(url, json=body, headers={**ACCEPT, **LEGACY, **(headers or {})}, timeout=10, **kw)


def _sse_status(url: str, headers: dict[str, str] | None = None) -> int:
    with httpx2.stream("GET", url, headers={"Accept": "text/event-stream", **(headers or {})}, timeout=10) as response:
        return response.status_code


# ------------------------------------------------------------------------------------------------
# Bind address and start-up rules
# ------------------------------------------------------------------------------------------------


def test_default_bind_is_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    from glow_models_mcp.cli import build_parser, load_settings

    for name in [k for k in os.environ if k.startswith("GLOW_")]:
        monkeypatch.delenv(name)
    assert Settings().host == "127.0.0.1"
    assert load_settings(build_parser().parse_args(["--transport", "http"])).host == "127.0.0.1"


def _listening_addresses(port: int) -> set[str]:
    """Local addresses LISTENing on ``port`` (Linux /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                found.add(address)
    return found


@pytest.mark.process
@pytest.mark.parametrize("transport", ["http", "sse"])
def test_cli_http_transports_listen_on_loopback_only(fault: FaultServer, transport: str) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux /proc/net/tcp")
    port = free_port()
    env = clean_env(GLOW_INSTANCE_URL=fault.url)
    proc = subprocess.Popen(
        server_command("--transport", transport, "--port", str(port)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        wait_listening(port, proc)
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


@pytest.mark.process
def test_non_loopback_bind_without_token_is_refused_at_start(fault: FaultServer) -> None:
    with pytest.raises(ValueError, match="GLOW_MCP_HTTP_TOKEN") as refused:
        check_http_exposure(Settings(host="0.0.0.0", instance_url=fault.url))
    assert "--unsafe-allow-unauthenticated-remote" in str(refused.value)
    # With a token, the allowed Host names must still be explicit.
    with pytest.raises(ValueError, match="GLOW_MCP_ALLOWED_HOSTS"):
        check_http_exposure(Settings(host="0.0.0.0", instance_url=fault.url, http_token="t"))
    check_http_exposure(
        Settings(host="0.0.0.0", instance_url=fault.url, http_token="t", allowed_hosts="mcp.example.org")
    )
    check_http_exposure(
        Settings(host="0.0.0.0", instance_url=fault.url, unsafe_allow_unauthenticated_remote=True, allowed_hosts="x")
    )

    port = free_port()
    proc = subprocess.run(
        server_command("--transport", "http", "--host", "0.0.0.0", "--port", str(port)),
        capture_output=True,
        env=clean_env(GLOW_INSTANCE_URL=fault.url, GLOW_MCP_ALLOWED_HOSTS="127.0.0.1:*"),
        timeout=30,
    )
    assert proc.returncode == 2, proc.stderr
    assert b"refusing to bind 0.0.0.0 without GLOW_MCP_HTTP_TOKEN" in proc.stderr
    assert b"Traceback" not in proc.stderr and proc.stdout == b""


@pytest.mark.process
def test_unsafe_flag_allows_an_unauthenticated_remote_bind(fault: FaultServer) -> None:
    port = free_port()
    env = clean_env(GLOW_INSTANCE_URL=fault.url, GLOW_MCP_ALLOWED_HOSTS=f"127.0.0.1:{port}")
    proc = subprocess.Popen(
        server_command(
            "--transport", "http", "--host", "0.0.0.0", "--port", str(port), "--unsafe-allow-unauthenticated-remote"
        ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        wait_listening(port, proc)
        assert _post(f"http://127.0.0.1:{port}/mcp").status_code == 200
        # The explicit allow-list is all there is on a non-loopback bind: other names get 421.
        assert _post(f"http://127.0.0.1:{port}/mcp", {"Host": f"localhost:{port}"}).status_code == 421
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


# ------------------------------------------------------------------------------------------------
# DNS-rebinding protection
# ------------------------------------------------------------------------------------------------


@pytest.mark.process
@pytest.mark.parametrize("transport", ["http", "sse"])
def test_foreign_host_and_origin_are_refused_on_loopback(fault: FaultServer, transport: str) -> None:
    cfg = _settings(fault.url)
    with serving(build_server(cfg), cfg, transport) as running:
        port = running.port
        if transport == "http":
            url = f"{running.url}/mcp"
            assert _post(url).status_code == 200
            assert _post(url, {"Host": f"evil.example:{port}"}).status_code == 421
            assert _post(url, {"Host": "evil.example"}).status_code == 421
            assert _post(url, {"Origin": "http://evil.example"}).status_code == 403
            assert _post(url, {"Origin": f"http://evil.example:{port}"}).status_code == 403
            assert _post(url, {"Origin": f"http://127.0.0.1:{port}"}).status_code == 200
            assert _post(url, {"Host": f"localhost:{port}"}).status_code == 200
        else:
            sse = f"{running.url}/sse"
            assert _sse_status(sse) == 200
            assert _sse_status(sse, {"Host": f"evil.example:{port}"}) == 421
            assert _sse_status(sse, {"Origin": "http://evil.example"}) == 403
            messages = f"{running.url}/messages/?session_id=00000000000000000000000000000000"
            assert _post(messages, {"Host": f"evil.example:{port}"}).status_code == 421
            assert _post(messages, {"Origin": "http://evil.example"}).status_code == 403
    assert fault.count() == 0


@pytest.mark.process
def test_non_loopback_bind_allows_exactly_the_configured_hosts_and_origins(fault: FaultServer) -> None:
    cfg = _settings(
        fault.url,
        host="0.0.0.0",
        http_token=HTTP_TOKEN,
        allowed_hosts="mcp.example.org,mcp.example.org:*",
        allowed_origins="https://app.example.org",
    )
    auth = {"Authorization": f"Bearer {HTTP_TOKEN}"}
    with serving(build_server(cfg), cfg, "http") as running:
        url = f"{running.url}/mcp"
        assert _post(url, {**auth, "Host": "mcp.example.org"}).status_code == 200
        assert _post(url, {**auth, "Host": "mcp.example.org", "Origin": "https://app.example.org"}).status_code == 200
        assert _post(url, {**auth}).status_code == 421  # 127.0.0.1:port is not configured
        assert _post(url, {**auth, "Host": "evil.example"}).status_code == 421
        assert _post(url, {**auth, "Host": "mcp.example.org", "Origin": "https://evil.example"}).status_code == 403


# ------------------------------------------------------------------------------------------------
# Bearer token
# ------------------------------------------------------------------------------------------------


@pytest.mark.process
@pytest.mark.parametrize("transport", ["http", "sse"])
def test_bearer_token_is_required_when_configured(fault: FaultServer, transport: str) -> None:
    cfg = _settings(fault.url, http_token=HTTP_TOKEN)
    wrong = [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": HTTP_TOKEN},
        {"Authorization": f"Basic {HTTP_TOKEN}"},
        {"Authorization": f"Bearer {HTTP_TOKEN}x"},
        {"Authorization": f"Bearer {HTTP_TOKEN[:-1]}"},
        {"Authorization": f"Bearer{HTTP_TOKEN}"},
    ]
    with serving(build_server(cfg), cfg, transport) as running:
        if transport == "http":
            url = f"{running.url}/mcp"
            for headers in wrong:
                response = _post(url, headers)
                assert response.status_code == 401, headers
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert HTTP_TOKEN not in response.text
            assert _post(url, {"Authorization": f"Bearer {HTTP_TOKEN}"}).status_code == 200
            # The scheme is case-insensitive and may be followed by several spaces (RFC 9110).
            assert _post(url, {"Authorization": f"bearer  {HTTP_TOKEN}"}).status_code == 200
        else:
            for headers in wrong:
                assert _sse_status(f"{running.url}/sse", headers) == 401, headers
            assert _sse_status(f"{running.url}/sse", {"Authorization": f"Bearer {HTTP_TOKEN}"}) == 200
            messages = f"{running.url}/messages/?session_id=00000000000000000000000000000000"
            assert _post(messages).status_code == 401
    assert fault.count() == 0


@pytest.mark.process
def test_token_comparison_is_constant_time(fault: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check goes through ``hmac.compare_digest`` (no early-exit ``==``) for every request."""
    calls: list[tuple[bytes, bytes]] = []
    real = server_module.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(server_module.hmac, "compare_digest", spy)
    cfg = _settings(fault.url, http_token=HTTP_TOKEN)
    with serving(build_server(cfg), cfg, "http") as running:
        assert _post(f"{running.url}/mcp", {"Authorization": "Bearer nope"}).status_code == 401
        assert _post(f"{running.url}/mcp").status_code == 401
        assert _post(f"{running.url}/mcp", {"Authorization": f"Bearer {HTTP_TOKEN}"}).status_code == 200
    assert len(calls) == 3 and {b for _, b in calls} == {HTTP_TOKEN.encode()}


# ------------------------------------------------------------------------------------------------
# The MCP client's credentials never reach the upstream
# ------------------------------------------------------------------------------------------------


@pytest.mark.process
@pytest.mark.anyio
@pytest.mark.parametrize("configured", ["token-and-key", "nothing"])
async def test_client_credentials_are_never_forwarded_upstream(
    fault: FaultServer, configured: str, anyio_backend: str
) -> None:
    """The upstream sees exactly the configured credentials, whatever the MCP client sends."""
    if configured == "token-and-key":
        cfg = _settings(fault.url, http_token=HTTP_TOKEN)
        client_headers = {
            "Authorization": f"Bearer {HTTP_TOKEN}",
            "X-Api-Key": "client-api-key",
            "Cookie": "session=client",
        }
    else:
        cfg = fast_settings(fault.url, api_key=None, token=None)
        client_headers = {
            "Authorization": "Bearer client-bearer",
            "X-Api-Key": "client-api-key",
            "Cookie": "session=client",
        }
    server = build_server(cfg)
    with serving(server, cfg, "http") as running:
        for mode in ("legacy", "auto"):
            async with httpx2.AsyncClient(headers=client_headers, timeout=10) as http:
                async with Client(streamable_http_client(f"{running.url}/mcp", http_client=http), mode=mode) as client:
                    result = await client.call_tool("search_models", {"search": "x"})
                    assert not result.is_error, text_of(result)
                    await client.read_resource("glow://models/docs")
    assert fault.count() == 4
    for seen in fault.seen:
        sent = " ".join(f"{k}: {v}" for k, v in seen.headers.items())
        for leaked in ("client-api-key", "client-bearer", "session=client", HTTP_TOKEN):
            assert leaked not in sent, (leaked, seen.headers)
        assert "cookie" not in seen.headers
        if configured == "token-and-key":
            assert seen.headers["x-api-key"] == API_KEY
            assert seen.headers["authorization"] == f"Bearer {TOKEN}"
        else:
            assert "authorization" not in seen.headers and "x-api-key" not in seen.headers
        assert seen.headers["x-mcp"] == "true"


# ------------------------------------------------------------------------------------------------
# Request body cap
# ------------------------------------------------------------------------------------------------


@pytest.mark.process
@pytest.mark.parametrize("transport", ["http", "sse"])
def test_request_bodies_over_the_cap_get_413(fault: FaultServer, transport: str) -> None:
    """Default cap: ``GLOW_MCP_MAX_REQUEST_BYTES`` = 1 MiB."""
    cfg = _settings(fault.url)
    assert cfg.max_request_bytes == 1024 * 1024
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "search_models", "arguments": {}}}
    over = {**call, "params": {"name": "search_models", "arguments": {"search": "z" * (1024 * 1024 + 1)}}}
    under = {**call, "params": {"name": "search_models", "arguments": {"provider_search": "z" * 1_000_000}}}
    with serving(build_server(cfg), cfg, transport) as running:
        if transport == "http":
            url = f"{running.url}/mcp"
            assert _post(url, body=over).status_code == 413
            # The same without a Content-Length (chunked upload) is cut off too.
            chunks = [
                b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_models","arguments":{"search":"'
            ]
            chunks += [b"z" * 65536] * 20 + [b'"}}}']
            chunked = httpx2.post(url, content=iter(chunks), headers={**ACCEPT, **LEGACY}, timeout=10)
            assert chunked.status_code == 413
            ok = _post(url, body=under)
            assert ok.status_code == 200 and ok.json()["result"]["isError"] is False
            assert fault.count() == 1
        else:
            messages = f"{running.url}/messages/?session_id=00000000000000000000000000000000"
            assert _post(messages, body=over).status_code == 413
            assert fault.count() == 0


@pytest.mark.process
def test_a_smaller_configured_cap_applies(fault: FaultServer) -> None:
    cfg = _settings(fault.url, max_request_bytes=4096)
    with serving(build_server(cfg), cfg, "http") as running:
        url = f"{running.url}/mcp"
        big = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "search_models", "arguments": {"search": "z" * 5000}},
        }
        assert _post(url, body=big).status_code == 413
        assert _post(url).status_code == 200


@pytest.mark.process
@pytest.mark.anyio
async def test_the_server_keeps_serving_after_refusals(fault: FaultServer, anyio_backend: str) -> None:
    """421/403/401/413 refusals leave the server healthy for the next legitimate client."""
    cfg = _settings(fault.url, http_token=HTTP_TOKEN, max_request_bytes=4096)
    with serving(build_server(cfg), cfg, "http") as running:
        url = f"{running.url}/mcp"
        auth = {"Authorization": f"Bearer {HTTP_TOKEN}"}
        async with httpx2.AsyncClient(timeout=10) as http:

            async def refused(headers: dict[str, str], body: Any = LIST_TOOLS) -> int:
                response = await http.post(url, json=body, headers={**ACCEPT, **LEGACY, **headers})
                return response.status_code

            big = {"jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": {"_meta": {"x": "z" * 5000}}}
            codes: list[int] = []
            async with anyio.create_task_group() as tg:
                for headers, body in (
                    ({}, LIST_TOOLS),
                    ({**auth, "Host": "evil.example"}, LIST_TOOLS),
                    ({**auth, "Origin": "http://evil.example"}, LIST_TOOLS),
                    (auth, big),
                ) * 10:
                    tg.start_soon(lambda h=headers, b=body: _append(codes, refused(h, b)))
            assert sorted(set(codes)) == [401, 403, 413, 421]
        async with httpx2.AsyncClient(headers=auth, timeout=10) as http:
            async with Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
                assert not (await client.call_tool("get_model_docs", {})).is_error


async def _append(out: list[int], awaitable: Any) -> None:
    out.append(await awaitable)
