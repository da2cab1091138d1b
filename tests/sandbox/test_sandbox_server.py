"""SandboxServer, storage (concurrency, persistence) and the command line: a running server on
loopback, so every test here is marked ``process``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import httpx2
import pytest
from support import clean_env, free_port, wait_listening

from glow_models_mcp.sandbox import SANDBOX_API_KEY, SandboxServer, create_app

from .sandbox_support import BASE, Api, auth_headers, unique

pytestmark = pytest.mark.process


@pytest.mark.anyio
async def test_fifty_concurrent_creates_lose_no_write() -> None:
    async with SandboxServer() as server:
        names = [unique("conc") for _ in range(50)]
        results: dict[str, str] = {}
        limits = httpx2.Limits(max_connections=50)
        async with httpx2.AsyncClient(base_url=server.url, headers=auth_headers(), limits=limits, timeout=60) as client:
            gate = anyio.Event()

            async def create(name: str) -> None:
                await gate.wait()
                response = await client.post(
                    f"{BASE}/create", json={"models": [{"name": name, "description": "concurrent"}]}
                )
                assert response.status_code == 200, response.text
                results[name] = response.json()["results"][0]["model_id"]

            async with anyio.create_task_group() as tg:
                for name in names:
                    tg.start_soon(create, name)
                await anyio.sleep(0.05)
                gate.set()

            assert len(set(results.values())) == 50
            found = (await client.post(f"{BASE}/search", json={"search": "conc-", "page_size": 100})).json()
            assert found["total_count"] == 50
            assert {m["model_id"] for m in found["models"]} == set(results.values())

            # 50 concurrent updates of distinct models and 50 drafts at once: every write lands
            async def update(name: str) -> None:
                r = await client.post(
                    f"{BASE}/update", json={"models": [{"model_id": results[name], "description": f"upd {name}"}]}
                )
                assert r.status_code == 200, r.text

            async def draft(i: int) -> None:
                r = await client.patch(f"{BASE}/draft", json={"expected_version": i})
                assert r.status_code == 200, r.text

            async with anyio.create_task_group() as tg:
                for i, name in enumerate(names):
                    tg.start_soon(update, name)
                    tg.start_soon(draft, i)
            updated = (await client.post(f"{BASE}/search", json={"search": "upd conc-", "page_size": 100})).json()
            assert updated["total_count"] == 50
            assert len((await client.post(f"{BASE}/drafts")).json()["entries"]) == 20
        assert server.app.state.database.count_models() == 75


def test_file_database_survives_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.sqlite3")
    name = unique("persist")
    with SandboxServer(db_path=path) as first:
        api = Api(first)
        model_id = api.create(name=name, department_ids=[api.department("University")])
        draft_id = api.draft({"name": name}).json()["draft_id"]
        upload_id = api.ok("export", {"model_id": model_id})["upload_id"]
        gpt5 = api.search_ids("gpt-5")[0]
        api.ok("delete", {"model_ids": [gpt5]})
        api.close()
    with SandboxServer(db_path=path) as second:
        api = Api(second)
        assert api.search_ids(name) == [model_id]
        got = api.ok("get", {"model_id": model_id, "draft_id": draft_id})
        assert got["names"]["resource"]["name"] == name and got["draft_version"] == 1
        assert [d["name"] for d in got["departments"]["current"]] == ["University"]
        assert gpt5 not in api.search_ids("gpt-5")  # not re-seeded
        assert api.ok("search", {})["total_count"] == 25  # 25 seeded - 1 deleted + 1 created
        with httpx2.Client(base_url=second.url) as client:
            assert name in client.get(f"/uploads/{upload_id}/download").text
        api.close()


def test_in_memory_databases_are_separate_and_ids_are_stable() -> None:
    with SandboxServer() as a, SandboxServer() as b:
        api_a, api_b = Api(a), Api(b)
        assert a.url != b.url
        name = unique("only-a")
        api_a.create(name=name)
        assert api_b.search_ids(name) == []
        # seeded ids are the same in every database
        assert api_a.search_ids("gpt-5") == api_b.search_ids("gpt-5")
        assert api_a.ids("providers", 2) == api_b.ids("providers", 2)
        api_a.close()
        api_b.close()


def test_server_interface() -> None:
    server = SandboxServer(db_path=":memory:", host="127.0.0.1", port=0, log_level="warning")
    assert server.app is not None
    with server as running:
        assert running is server
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
        with httpx2.Client() as client:
            assert client.get(f"{server.url}/healthz").json() == {"ok": True}
    with pytest.raises(httpx2.TransportError):
        httpx2.get(f"{server.url}/healthz", timeout=2)
    # create_app alone is an ASGI app with the request log and the database on its state
    app = create_app(seed=False)
    assert app.state.request_log == [] and app.state.database.count_models() == 0


def test_python_m_sandbox_prints_credentials_to_stderr_only(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "cli.sqlite3"
    env = clean_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "glow_models_mcp.sandbox", "--port", str(port), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        wait_listening(port, proc)
        assert httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"ok": True}
        response = httpx2.post(f"http://127.0.0.1:{port}{BASE}/refresh", headers=auth_headers("sandbox-member"))
        assert response.status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert out == ""
    assert f"http://127.0.0.1:{port}" in err and SANDBOX_API_KEY in err
    for token, role, departments in (
        ("sandbox-superadmin", "superadmin", "all departments"),
        ("sandbox-admin", "admin", "Organization"),
        ("sandbox-member", "member", "Organization"),
    ):
        line = next(line for line in err.splitlines() if token in line)
        assert role in line and departments in line
    assert db.exists()


def test_same_server_can_restart_on_a_file(tmp_path: Path) -> None:
    server = SandboxServer(db_path=str(tmp_path / "again.sqlite3"))
    name = unique("again")
    with server:
        Api(server).create(name=name)
    with server:
        assert len(Api(server).search_ids(name)) == 1
