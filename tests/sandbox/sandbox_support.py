"""Helpers of the reference API's tests (a module of its own: ``conftest`` names clash)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx2

from glow_models_mcp.sandbox import SANDBOX_API_KEY, SandboxServer

BASE = "/api/v5/artifacts/models"
SUPERADMIN, ADMIN, MEMBER = "sandbox-superadmin", "sandbox-admin", "sandbox-member"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def auth_headers(token: str = SUPERADMIN, **extra: str) -> dict[str, str]:
    return {"X-Api-Key": SANDBOX_API_KEY, "Authorization": f"Bearer {token}", **extra}


def unique(prefix: str = "m") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Api:
    """A thin client of one running reference API, one httpx2 client per token."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url
        self._clients: dict[str, httpx2.Client] = {}

    def client(self, token: str = SUPERADMIN) -> httpx2.Client:
        if token not in self._clients:
            self._clients[token] = httpx2.Client(base_url=self.url, headers=auth_headers(token), timeout=30)
        return self._clients[token]

    def post(self, op: str, body: Any = None, *, token: str = SUPERADMIN, **kwargs: Any) -> httpx2.Response:
        if body is not None:
            kwargs["json"] = body
        return self.client(token).post(f"{BASE}/{op}", **kwargs)

    def ok(self, op: str, body: Any = None, *, token: str = SUPERADMIN) -> Any:
        response = self.post(op, body, token=token)
        assert response.status_code == 200, response.text
        return response.json()

    def draft(self, body: Any, *, token: str = SUPERADMIN, **kwargs: Any) -> httpx2.Response:
        return self.client(token).patch(f"{BASE}/draft", json=body, **kwargs)

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
            c.close()
