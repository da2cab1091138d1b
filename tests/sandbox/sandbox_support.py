"""Helpers of the reference API's own tests (shared helpers of every test directory are in
``tests/support.py``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

import httpx2
from starlette.applications import Starlette
from starlette.testclient import TestClient
from support import SANDBOX_API_KEY, SUPERADMIN_TOKEN

from glow_models_mcp.sandbox import SandboxServer, create_app
from glow_models_mcp.upstream import OPERATIONS

BASE = "/api/v5/artifacts/models"
#: The upstream contract the reference API implements and serves (``models_openapi.json``).
CONTRACT: dict[str, Any] = json.loads(
    files("glow_models_mcp.sandbox").joinpath("models_openapi.json").read_text(encoding="utf-8")
)
#: ``(METHOD, path)`` of every contract operation that takes the credentials (all but the CSV download).
AUTH_OPERATIONS: list[tuple[str, str]] = [
    (method.upper(), path)
    for path, methods in CONTRACT["paths"].items()
    for method, operation in methods.items()
    if any(p["name"] == "X-Api-Key" and p["in"] == "header" for p in operation.get("parameters", []))
]
SUPERADMIN, ADMIN, MEMBER = SUPERADMIN_TOKEN, "sandbox-admin", "sandbox-member"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def auth_headers(token: str = SUPERADMIN, **extra: str) -> dict[str, str]:
    return {"X-Api-Key": SANDBOX_API_KEY, "Authorization": f"Bearer {token}", **extra}


def path_of(op: str) -> str:
    """The path of ``op``: a short operation name of ``upstream.OPERATIONS`` (``get``, ``search``...),
    or a path (starting with ``/``) as it is."""
    return op if op.startswith("/") else OPERATIONS[op].path


def unique(prefix: str = "m") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class _InProcess:
    """The reference API's ASGI app without a server (what :class:`Api` needs of a SandboxServer)."""

    url = "http://testserver"

    def __init__(self, *, seed: bool = True) -> None:
        self.app: Starlette = create_app(seed=seed)


class Api:
    """A thin client of one reference API, one httpx2 client per token.

    ``Api()`` serves the app in process (Starlette's ``TestClient``: the ASGI app driven from a
    portal thread, no socket); ``Api(SandboxServer)`` talks to a running server over loopback HTTP.
    ``server.app`` is the app either way (``app.state`` holds the database and the request log).
    Server errors come back as responses, as over the wire (``raise_server_exceptions=False``).
    """

    def __init__(self, server: SandboxServer | None = None, *, seed: bool = True) -> None:
        self.server: SandboxServer | _InProcess = server if server is not None else _InProcess(seed=seed)
        self.url = self.server.url
        self._clients: dict[str, httpx2.Client] = {}

    def client(self, token: str = SUPERADMIN) -> httpx2.Client:
        if token not in self._clients:
            self._clients[token] = self._new_client(auth_headers(token))
        return self._clients[token]

    @contextmanager
    def bare(self, **headers: str) -> Iterator[httpx2.Client]:
        """A client of this API sending only ``headers`` (no credentials unless given)."""
        client = self._new_client(headers)
        try:
            yield client
        finally:
            _close(client)

    def _new_client(self, headers: dict[str, str]) -> httpx2.Client:
        if isinstance(self.server, _InProcess):
            client = TestClient(self.server.app, base_url=self.url, headers=headers, raise_server_exceptions=False)
            client.__enter__()  # one portal for every request of this client
            return client
        return httpx2.Client(base_url=self.url, headers=headers, timeout=30)

    def post(self, op: str, body: Any = None, *, token: str = SUPERADMIN, **kwargs: Any) -> httpx2.Response:
        """POST ``body`` to ``op`` (a short operation name or a path, see :func:`path_of`)."""
        if body is not None:
            kwargs["json"] = body
        return self.client(token).post(path_of(op), **kwargs)

    def ok(self, op: str, body: Any = None, *, token: str = SUPERADMIN) -> Any:
        response = self.post(op, body, token=token)
        assert response.status_code == 200, response.text
        return response.json()

    def draft(self, body: Any, *, token: str = SUPERADMIN, **kwargs: Any) -> httpx2.Response:
        return self.client(token).patch(path_of("draft"), json=body, **kwargs)

    # -- shortcuts ------------------------------------------------------------------------

    def options(self, token: str = SUPERADMIN) -> dict[str, Any]:
        return self.ok("get", {}, token=token)

    def ids(self, section: str, n: int = 1, *, where: Callable[[dict[str, Any]], bool] = lambda r: True) -> list[str]:
        found = [r["id"] for r in self.options()[section]["resources"] if where(r)]
        assert len(found) >= n, (section, found)
        return found[:n]

    def department(self, name: str) -> str:
        return self.ids("departments", where=lambda r: r["name"] == name)[0]

    def create(self, *, token: str = SUPERADMIN, **fields: Any) -> str:
        fields.setdefault("name", f"test-model-{uuid.uuid4().hex[:8]}")
        body = self.ok("create", {"models": [fields]}, token=token)
        (item,) = body["results"]
        assert item["success"] and item["message"] == "Model created successfully", item
        return item["model_id"]

    def search_ids(self, text: str, **body: Any) -> list[str]:
        return [m["model_id"] for m in self.ok("search", {"search": text, "page_size": 100, **body})["models"]]

    def close(self) -> None:
        for c in self._clients.values():
            _close(c)
        if isinstance(self.server, _InProcess):
            self.server.app.state.database.close()


def _close(client: httpx2.Client) -> None:
    if isinstance(client, TestClient):
        client.__exit__(None, None, None)  # stops its portal
    client.close()
