"""Scale-out (issue 13, items 3 and 4): ``/healthz`` and ``/readyz``, ``--workers N``, and two
replicas behind a real load balancer (nginx on loopback, configured by
``deploy/nginx-load-balancer.conf``, the file the README shows).

In process (ASGI, the reference API in this process): the health endpoints' answers, readiness
(fresh answer, probe, upstream answering 503), Host/Origin refusal, no token needed, no secret
shown. Process tier: the workers (refused for stdio and SSE; two workers sharing one ``--sandbox``;
SIGTERM/SIGINT stop them all; no secret in a worker's command line or environment), readiness
over the wire (upstream down), and the balancer test (one client's calls answered by both
replicas, no error, no lost write).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from support import ReferenceAPI, clean_env, closed_port_url, free_port, nginx_binary, server_command, wait_listening

from glow_models_mcp import http_app
from glow_models_mcp.server import build_server
from glow_models_mcp.settings import Settings
from glow_models_mcp.tools import TOOL_SPECS

REPO = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = REPO / "deploy" / "nginx-load-balancer.conf"

HTTP_TOKEN = "mcp-token-" + uuid.uuid4().hex
API_KEY = "api-key-" + uuid.uuid4().hex


# ------------------------------------------------------------------------------------------------
# Health endpoints, in process
# ------------------------------------------------------------------------------------------------


@contextmanager
def _app(api: ReferenceAPI | None = None, upstream: Any = None, **overrides: Any) -> Iterator[httpx2.AsyncClient]:
    """An HTTP client of our streamable HTTP app (bearer token set), whose upstream is ``api`` (or
    the ASGI app ``upstream``), in process. The upstream client is opened by the caller
    (``_open``)."""
    values: dict[str, Any] = {"instance_url": "http://glow.internal", "api_key": API_KEY, "token": "sandbox-superadmin"}
    values.update(http_token=HTTP_TOKEN, **overrides)
    settings = Settings(**values)
    transport = api.transport() if api is not None else httpx2.ASGITransport(app=upstream)
    server = build_server(settings, transport=transport)
    app = http_app.build_http_app(server, settings, "http")
    client = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1:8765")
    client.server = server  # type: ignore[attr-defined]
    yield client


def _no_secret(response: httpx2.Response) -> None:
    shown = response.text + json.dumps(dict(response.headers))
    for secret in (HTTP_TOKEN, API_KEY, "glow.internal"):
        assert secret not in shown, response.text


@pytest.mark.anyio
async def test_healthz_answers_without_the_token_and_shows_nothing(fresh_reference_api: ReferenceAPI) -> None:
    with _app(fresh_reference_api) as http:
        for path in ("/healthz", "/readyz"):
            response = await http.get(path)
            assert response.status_code == 503 if path == "/readyz" else 200, response.text
            _no_secret(response)
        async with http.server.state.open():  # type: ignore[attr-defined]
            for path, body in (("/healthz", {"status": "ok"}), ("/readyz", {"status": "ready"})):
                response = await http.get(path)
                assert (response.status_code, response.json()) == (200, body)
                assert response.headers["cache-control"] == "no-store"
                _no_secret(response)
                head = await http.head(path)
                assert head.status_code == 200 and head.content == b""
                posted = await http.post(path, json={})
                assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"
            # The MCP path still needs the token.
            assert (await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})).status_code == 401


@pytest.mark.anyio
async def test_readyz_before_the_upstream_client_is_open(fresh_reference_api: ReferenceAPI) -> None:
    with _app(fresh_reference_api) as http:
        response = await http.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "not ready",
            "reason": "the server is starting or stopping (no upstream client is open)",
        }


@pytest.mark.anyio
async def test_health_endpoints_obey_the_host_and_origin_rules(fresh_reference_api: ReferenceAPI) -> None:
    with _app(fresh_reference_api) as http:
        async with http.server.state.open():  # type: ignore[attr-defined]
            for path in ("/healthz", "/readyz"):
                assert (await http.get(path, headers={"Host": "evil.example"})).status_code == 421
                assert (await http.get(path, headers={"Origin": "http://evil.example"})).status_code == 403
                assert (await http.get(path, headers={"Host": "LOCALHOST:8765"})).status_code == 200


@pytest.mark.anyio
async def test_health_endpoints_under_the_root_path(fresh_reference_api: ReferenceAPI) -> None:
    with _app(fresh_reference_api, root_path="/glow") as http:
        async with http.server.state.open():  # type: ignore[attr-defined]
            for path in ("/glow/healthz", "/healthz", "/glow/readyz", "/readyz"):
                assert (await http.get(path)).status_code == 200, path
            token = {"Authorization": f"Bearer {HTTP_TOKEN}"}  # other paths need the token, then are 404
            assert (await http.get("/glow/mcp/healthz", headers=token)).status_code == 404
            assert (await http.get("/glowing/healthz", headers=token)).status_code == 404


@pytest.mark.anyio
async def test_readyz_uses_a_recent_answer_else_probes(
    fresh_reference_api: ReferenceAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tool call's upstream answer makes the server ready without a probe; once that answer is
    older than the window, ``/readyz`` probes ``GET /`` (without credentials)."""
    api = fresh_reference_api
    with _app(api) as http:
        server = http.server  # type: ignore[attr-defined]
        async with server.state.open(), Client(server, mode="legacy") as mcp:
            assert not (await mcp.call_tool("search_models", {"search": "gpt", "page_size": 1})).is_error
            before = len(api.request_log)
            assert (await http.get("/readyz")).json() == {"status": "ready"}
            assert len(api.request_log) == before  # no probe: the search answered just now
            monkeypatch.setattr(http_app, "READY_WINDOW_SECONDS", 0.0)
            assert (await http.get("/readyz")).json() == {"status": "ready"}
            probe = api.request_log[before:]
            assert [(r.method, r.path) for r in probe] == [("GET", "/")], probe


def _unavailable(request: Any) -> PlainTextResponse:
    return PlainTextResponse("upstream maintenance", status_code=503)


@pytest.mark.anyio
async def test_readyz_is_503_when_the_upstream_answers_503() -> None:
    """An upstream behind a proxy that answers 503 (maintenance): not ready, and the reason says
    so without naming the upstream; ``/healthz`` stays 200 (the process is alive)."""
    upstream = Starlette(routes=[Route("/{path:path}", _unavailable, methods=["GET", "POST"])])
    with _app(upstream=upstream) as http:
        async with http.server.state.open():  # type: ignore[attr-defined]
            response = await http.get("/readyz")
            assert response.status_code == 503
            assert response.json() == {"status": "not ready", "reason": "the upstream answered HTTP 503"}
            _no_secret(response)
            assert (await http.get("/healthz")).status_code == 200


@pytest.mark.anyio
async def test_readyz_probes_a_failing_upstream_once_for_concurrent_and_repeated_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Against an upstream that answers 503: five concurrent checks and two more right after send
    one probe between them, all with its reason; once the recheck interval is over, the next
    check probes again."""
    probes: list[str] = []

    def unavailable(request: Any) -> PlainTextResponse:
        probes.append(request.url.path)
        return PlainTextResponse("upstream maintenance", status_code=503)

    upstream = Starlette(routes=[Route("/{path:path}", unavailable, methods=["GET", "POST"])])
    with _app(upstream=upstream) as http:
        async with http.server.state.open():  # type: ignore[attr-defined]
            answers: list[Any] = []

            async def ready() -> None:
                answers.append(await http.get("/readyz"))

            async with anyio.create_task_group() as tg:
                for _ in range(5):
                    tg.start_soon(ready)
            answers += [await http.get("/readyz"), await http.get("/readyz")]
            assert [a.status_code for a in answers] == [503] * 7
            assert {a.json()["reason"] for a in answers} == {"the upstream answered HTTP 503"}
            assert probes == ["/"]
            monkeypatch.setattr(http_app, "READY_RECHECK_SECONDS", 0.0)
            assert (await http.get("/readyz")).status_code == 503
            assert probes == ["/", "/"]


# ------------------------------------------------------------------------------------------------
# --workers: configuration
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "65", "two"])
def test_workers_must_be_between_1_and_64(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOW_MCP_WORKERS", value)
    with pytest.raises(ValueError, match="GLOW_MCP_WORKERS"):
        Settings()


def test_workers_come_from_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOW_MCP_WORKERS", "3")
    assert Settings().workers == 3


@pytest.mark.parametrize("transport", ["stdio", "sse"])
def test_workers_problem_names_the_setting_and_the_reason(transport: str) -> None:
    problem = http_app.workers_problem(Settings(transport=transport, workers=2))
    assert problem is not None and problem.startswith("GLOW_MCP_WORKERS / --workers above 1 needs --transport http")
    assert ("stdin/stdout" if transport == "stdio" else "sticky sessions") in problem
    assert http_app.workers_problem(Settings(transport=transport)) is None
    assert http_app.workers_problem(Settings(transport="http", workers=4)) is None


# ------------------------------------------------------------------------------------------------
# Process tier
# ------------------------------------------------------------------------------------------------


@pytest.mark.process
@pytest.mark.parametrize(("transport", "why"), [("stdio", "stdin/stdout"), ("sse", "sticky sessions")])
def test_workers_are_refused_for_stdio_and_sse(transport: str, why: str) -> None:
    proc = subprocess.run(
        server_command("--sandbox", "--transport", transport, "--workers", "2", "--port", str(free_port())),
        input=b"",
        capture_output=True,
        env=clean_env(),
        timeout=30,
    )
    assert proc.returncode == 2, proc.stderr
    assert b"--workers above 1 needs --transport http" in proc.stderr and why.encode() in proc.stderr
    assert proc.stdout == b"" and b"Traceback" not in proc.stderr


def _workers(pid: int, count: int = 2) -> list[int]:
    """The ``count`` worker processes of ``pid``, once all are started (they start one after another)."""
    deadline = time.monotonic() + 30
    while len(found := _children(pid)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def _children(pid: int) -> list[int]:
    """The worker processes of ``pid`` (multiprocessing's spawned children, not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"--multiprocessing-fork" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


@contextmanager
def _server(*args: str, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Our server (``args``) on a free loopback port; yields the process and its base URL. On
    leaving, a server still running is terminated; none may leave a traceback."""
    port = free_port()
    proc = subprocess.Popen(
        server_command("--transport", "http", "--port", str(port), *args),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(port, proc)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.terminate()
        _, err = proc.communicate(timeout=30)
        assert b"Traceback" not in err, err.decode()[-3000:]


async def _create_search_update_delete(url: str, names: list[str], headers: dict[str, str] | None = None) -> None:
    """Through one MCP client: create each model by name, find it by search, update it by name,
    delete it by name; after each step every write is visible (nothing lost)."""
    with anyio.fail_after(120):
        http = httpx2.AsyncClient(headers=headers, timeout=60)
        async with http, Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="legacy") as client:
            assert len((await client.list_tools()).tools) == len(TOOL_SPECS)
            for name in names:
                created = await client.call_tool("create_models", {"models": [{"name": name}]})
                assert not created.is_error and created.structured_content["results"][0]["success"], created
            for name in names:
                found = await client.call_tool("search_models", {"search": name, "view": "full"})
                assert not found.is_error, found
                assert [m["name"] for m in found.structured_content["models"]] == [name]
            for name in names:
                updated = await client.call_tool(
                    "update_models", {"models": [{"model_id": name, "description": f"updated {name}"}]}
                )
                assert not updated.is_error and updated.structured_content["results"][0]["success"], updated
            for name in names:
                got = await client.call_tool("get_model", {"model_id": name})
                assert not got.is_error and got.structured_content["description"] == f"updated {name}", got
            deleted = await client.call_tool("delete_models", {"model_ids": names})
            assert not deleted.is_error, deleted
            assert [r["success"] for r in deleted.structured_content["results"]] == [True] * len(names)
            for name in names:
                gone = await client.call_tool("search_models", {"search": name})
                assert not gone.is_error and gone.structured_content["total_count"] == 0, gone


@pytest.mark.process
@pytest.mark.anyio
async def test_two_workers_share_one_sandbox_and_stop_together_on_sigterm() -> None:
    """``--sandbox --workers 2``: the parent starts one reference API and two workers; concurrent
    clients' writes are all found (one shared database); no worker's command line or environment
    shows a secret; SIGTERM stops every worker and the parent exits 143 without a traceback."""
    env = clean_env(GLOW_MCP_HTTP_TOKEN=HTTP_TOKEN, GLOW_API_KEY=API_KEY, GLOW_MCP_WORKERS="2")
    headers = {"Authorization": f"Bearer {HTTP_TOKEN}"}
    with _server("--sandbox", env=env) as (proc, url):
        workers = _workers(proc.pid)
        assert len(workers) == 2, workers
        for pid in workers:
            shown = Path(f"/proc/{pid}/cmdline").read_bytes() + Path(f"/proc/{pid}/environ").read_bytes()
            assert HTTP_TOKEN.encode() not in shown and API_KEY.encode() not in shown
            assert b"sandbox-superadmin" not in shown
        run = uuid.uuid4().hex[:8]
        async with anyio.create_task_group() as tg:
            for n in range(4):
                tg.start_soon(_create_search_update_delete, url, [f"w{run}-{n}-{i}" for i in range(3)], headers)
        ready = httpx2.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 128 + signal.SIGTERM
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
        err = proc.stderr.read() if proc.stderr else b""
        assert b"(2 workers)" in err and HTTP_TOKEN.encode() not in err


@pytest.mark.process
def test_sigint_stops_every_worker() -> None:
    """Ctrl-C reaches the whole process group: the parent and its workers all end, exit 130."""
    env = clean_env(GLOW_MCP_WORKERS="2")
    port = free_port()
    proc = subprocess.Popen(
        server_command("--sandbox", "--transport", "http", "--port", str(port)),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_listening(port, proc)
        assert httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        workers = _workers(proc.pid)
        assert len(workers) == 2
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
        assert proc.wait(30) == 128 + signal.SIGINT
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
    # A worker still starting when Ctrl-C comes (on a loaded machine one may be, while the other
    # answers) prints multiprocessing's KeyboardInterrupt traceback; no other traceback is allowed.
    tracebacks = err.decode().split("Traceback (most recent call last):")[1:]
    assert all(t.rstrip().splitlines()[-1].strip() == "KeyboardInterrupt" for t in tracebacks), err.decode()[-3000:]


@pytest.mark.process
def test_sigterm_cancels_a_workers_call_in_flight_and_answers_503() -> None:
    """As in one process (tests/reliability/test_rel_signals.py): the worker cancels the call in
    flight at once, the upstream request too, and answers 503, instead of waiting out uvicorn's
    graceful-shutdown timeout."""
    from reliability.rel_support import FaultServer

    answer: dict[str, Any] = {}
    with FaultServer(modes={"search": "hang"}) as fault:
        env = _upstream_env(fault.url, GLOW_READ_TIMEOUT="20", GLOW_TIMEOUT="30")
        with _server("--workers", "2", env=env) as (proc, url):

            def call() -> None:
                body = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "search_models"}}
                body["params"]["arguments"] = {}  # type: ignore[index]
                headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
                try:
                    answer["response"] = httpx2.post(f"{url}/mcp", json=body, headers=headers, timeout=30)
                except httpx2.HTTPError as exc:
                    answer["error"] = exc

            caller = threading.Thread(target=call)
            caller.start()
            try:
                assert fault.wait_for(lambda: fault.count("search") == 1, 30)
                stopped_at = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(30) == 128 + signal.SIGTERM
            finally:
                caller.join(30)
            assert fault.wait_for(lambda: fault.of("search")[0].closed is not None, 10)
            closed = fault.of("search")[0].closed
            assert closed is not None and closed - stopped_at < 5
    assert "response" in answer and answer["response"].status_code == 503, answer


def _upstream_env(url: str, **extra: str) -> dict[str, str]:
    return clean_env(GLOW_INSTANCE_URL=url, GLOW_API_KEY=API_KEY, GLOW_TOKEN="sandbox-superadmin", **extra)


@pytest.mark.process
def test_readyz_over_the_wire_when_the_upstream_is_down() -> None:
    """Nothing listens at GLOW_INSTANCE_URL: ``/readyz`` 503 with the reason (no URL, no
    credential), ``/healthz`` 200, both without the token the MCP path needs."""
    upstream = closed_port_url()
    with _server(env=_upstream_env(upstream, GLOW_MCP_HTTP_TOKEN=HTTP_TOKEN)) as (_, url):
        assert httpx2.get(f"{url}/healthz", timeout=10).status_code == 200
        response = httpx2.get(f"{url}/readyz", timeout=10)
        assert response.status_code == 503
        assert response.json() == {"status": "not ready", "reason": "the upstream did not answer (ConnectError)"}
        assert upstream.rsplit(":", 1)[1] not in response.text and HTTP_TOKEN not in response.text
        assert httpx2.post(f"{url}/mcp", json={}, timeout=10).status_code == 401


@pytest.mark.process
@pytest.mark.anyio
async def test_readyz_turns_503_when_a_call_finds_the_upstream_gone(fresh_sandbox: Any) -> None:
    with _server(env=_upstream_env(fresh_sandbox.url)) as (_, url):
        assert httpx2.get(f"{url}/readyz", timeout=10).json() == {"status": "ready"}
        fresh_sandbox.stop()
        async with Client(f"{url}/mcp", mode="legacy") as client:
            failed = await client.call_tool("search_models", {"search": "gpt"})
            assert failed.is_error
        response = httpx2.get(f"{url}/readyz", timeout=10)
        assert response.status_code == 503 and response.json()["status"] == "not ready"


# ------------------------------------------------------------------------------------------------
# Two replicas behind nginx
# ------------------------------------------------------------------------------------------------


#: What the test adds around the deployment file: a foreground nginx whose files are all in ``tmp``.
NGINX_SHELL = """
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/glow-mcp.conf;
}}
"""


@contextmanager
def _balancer(replicas: list[str], tmp: Path) -> Iterator[tuple[str, Path]]:
    """nginx on a free loopback port with ``deploy/nginx-load-balancer.conf`` in front of
    ``replicas`` (base URLs); yields its URL and its access log."""
    nginx = nginx_binary()
    assert nginx is not None
    port = free_port()
    log = tmp / "access.log"
    conf = NGINX_TEMPLATE.read_text()
    for placeholder, value in {
        "__LISTEN__": f"127.0.0.1:{port}",
        "__SERVER_NAME__": "127.0.0.1",
        "__REPLICA_1__": replicas[0].removeprefix("http://"),
        "__REPLICA_2__": replicas[1].removeprefix("http://"),
        "__ACCESS_LOG__": str(log),
    }.items():
        assert placeholder in conf
        conf = conf.replace(placeholder, value)
    assert "__" not in re.sub(r"#.*", "", conf)  # every placeholder replaced
    (tmp / "glow-mcp.conf").write_text(conf)
    (tmp / "nginx.conf").write_text(NGINX_SHELL.format(tmp=tmp))
    proc = subprocess.Popen(
        [nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}", log
    finally:
        proc.terminate()
        proc.wait(15)


needs_nginx = pytest.mark.skipif(
    nginx_binary() is None, reason="nginx is not installed (Debian: apt-get install nginx-light; .ci/run installs it)"
)


@needs_nginx
@pytest.mark.process
@pytest.mark.anyio
async def test_one_clients_calls_are_answered_by_both_replicas_behind_nginx(sandbox: Any, tmp_path: Path) -> None:
    """Two server processes, one shared upstream (the sandbox), nginx round robin in front: one
    MCP client creates, searches, updates and deletes models by name; nginx's access log shows
    both replicas answered its POSTs, every one with 200; no write is lost."""
    env = _upstream_env(sandbox.url)
    with _server(env=env) as (_, one), _server(env=env) as (_, two), _balancer([one, two], tmp_path) as (url, log):
        assert httpx2.get(f"{url}/readyz", timeout=10).json() == {"status": "ready"}
        run = uuid.uuid4().hex[:8]
        await _create_search_update_delete(url, [f"lb{run}-{i}" for i in range(3)])
        lines = [line for line in log.read_text().splitlines() if '"POST /mcp ' in line]
        replicas = {re.search(r"upstream=(\S+)", line).group(1) for line in lines}  # type: ignore[union-attr]
        assert replicas == {one.removeprefix("http://"), two.removeprefix("http://")}, lines
        assert all(re.search(r" 20[02] upstream=", line) for line in lines), lines
        assert len(lines) >= 17  # tools/list, 3 x create/search/update/get, delete, 3 searches (+ the session's own)


def test_the_readme_shows_the_balancer_configuration_the_test_runs() -> None:
    assert f"```nginx\n{NGINX_TEMPLATE.read_text()}```" in (REPO / "README.md").read_text()


@pytest.mark.anyio
async def test_an_allowed_host_without_a_port_matches_a_host_header_with_one() -> None:
    """``GLOW_MCP_ALLOWED_HOSTS=mcp.example.org`` on a public bind: ``Host: mcp.example.org:19000``
    (a client connecting to the port directly) is allowed; another name still gets 421."""
    settings = Settings(
        instance_url="http://glow.internal",
        api_key=API_KEY,
        token="t",
        host="0.0.0.0",
        http_token=HTTP_TOKEN,
        allowed_hosts=["mcp.example.org", "[2001:db8::1]", "other.example.org:8443"],
    )
    hosts = http_app.transport_security(settings).allowed_hosts
    assert {"mcp.example.org:*", "[2001:db8::1]:*"} <= set(hosts) and "other.example.org:8443:*" not in hosts
    app = http_app.build_http_app(build_server(settings), settings, "http")
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://x") as http:
        for host, status in (("mcp.example.org:19000", 200), ("mcp.example.org", 200), ("evil.example:19000", 421)):
            assert (await http.get("/healthz", headers={"Host": host})).status_code == status, host
