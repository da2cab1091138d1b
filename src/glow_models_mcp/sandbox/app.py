"""The Starlette app of the reference Glow Models API.

Request flow, as on the real FastAPI server:

1. every request is recorded in ``app.state.request_log`` (method, path, lower-cased headers);
2. the JSON body is parsed (malformed JSON is a 422 ``json_invalid`` even without credentials,
   because FastAPI parses the body before it runs dependencies);
3. authentication (``X-Api-Key`` and ``Authorization: Bearer``), 401 with the upstream's texts;
4. body validation, 422 in FastAPI's shape;
5. the operation. Unexpected failures become a JSON 500 (``Database error: ...`` for database
   failures), except on the routes made with ``endpoint(..., catch=False)`` (``docs``, ``export``,
   ``refresh``), which have no such handler upstream: an unexpected failure there is a plain-text
   ``Internal Server Error``.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from functools import partial
from importlib.resources import files
from typing import Any, NamedTuple

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import docs as docs_module
from .auth import SANDBOX_TOKENS, Profile, authenticate, is_truthy_flag
from .errors import DatabaseError, HTTPError, RequestValidationError
from .service import ModelService
from .store import Database
from .validation import (
    CreateModelApiRequest,
    DeleteModelApiRequest,
    DocsApiRequest,
    DuplicateModelApiRequest,
    ExportModelApiRequest,
    GetModelApiRequest,
    PatchModelDraftApiRequest,
    SearchModelApiRequest,
    UpdateModelApiRequest,
    parse_body,
    validate_body,
    validate_path_uuid,
)

BASE = "/api/v5/artifacts/models"
REQUEST_LOG_LIMIT = 100_000


class RequestRecord(NamedTuple):
    """One received request: unpacks as ``(method, path, headers)``."""

    method: str
    path: str
    headers: dict[str, str]

    @property
    def mcp(self) -> bool:
        """Whether the request said it came from an MCP client (``X-MCP`` truthy)."""
        return is_truthy_flag(self.headers.get("x-mcp"))


class _RequestLogMiddleware:
    """Pure ASGI middleware: records every HTTP request before anything else runs."""

    def __init__(self, app: Any, log: list[RequestRecord], lock: threading.Lock) -> None:
        self.app = app
        self.log = log
        self.lock = lock

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers: dict[str, str] = {}
            for raw_key, raw_value in scope.get("headers", []):
                key = raw_key.decode("latin-1").lower()
                value = raw_value.decode("latin-1")
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
            with self.lock:
                if len(self.log) >= REQUEST_LOG_LIMIT:
                    del self.log[: REQUEST_LOG_LIMIT // 2]
                self.log.append(RequestRecord(scope["method"], scope["path"], headers))
        await self.app(scope, receive, send)


Handler = Callable[[Request, Profile, Any], Awaitable[Response]]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def create_app(db_path: str = ":memory:", *, seed: bool = True) -> Starlette:
    """The reference API as an ASGI app, on SQLite at ``db_path`` (``":memory:"`` by default).

    ``seed`` loads the platform's catalog into a new database (an existing file keeps its data).
    ``app.state`` exposes ``database``, ``service``, ``tokens`` and ``request_log``.
    """
    database = Database(db_path, seed=seed)
    service = ModelService(database)
    tokens = SANDBOX_TOKENS

    async def run(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(partial(func, *args, **kwargs))

    def endpoint(
        model: type | None, handler: Handler, *, catch: bool = True
    ) -> Callable[[Request], Awaitable[Response]]:
        async def call(request: Request) -> Response:
            body = parse_body(await request.body(), request.headers.get("content-type")) if model else None
            profile = authenticate(request.headers, tokens)
            data = validate_body(model, body) if model else None
            if not catch:
                return await handler(request, profile, data)
            try:
                return await handler(request, profile, data)
            except (HTTPError, RequestValidationError):
                raise
            except DatabaseError as exc:
                raise HTTPError(500, f"Database error: {exc}") from exc
            except Exception as exc:  # the upstream's handle_route_error
                raise HTTPError(500, str(exc)) from exc

        return call

    async def get(request: Request, profile: Profile, data: GetModelApiRequest) -> Response:
        body = await run(service.get, profile, data.model_id, data.draft_id)
        return _json(body, headers={"X-Cache-Tags": "models", "X-Cache-Hit": "0"})

    async def search(request: Request, profile: Profile, data: SearchModelApiRequest) -> Response:
        return _json(await run(service.search, profile, data), headers={"X-Invalidate-Tags": "models"})

    async def create(request: Request, profile: Profile, data: CreateModelApiRequest) -> Response:
        return _json(await run(service.create, profile, data.models), headers={"X-Invalidate-Tags": "models"})

    async def update(request: Request, profile: Profile, data: UpdateModelApiRequest) -> Response:
        return _json(await run(service.update, profile, data.models), headers={"X-Invalidate-Tags": "models"})

    async def duplicate(request: Request, profile: Profile, data: DuplicateModelApiRequest) -> Response:
        return _json(await run(service.duplicate, profile, data.model_id), headers={"X-Invalidate-Tags": "models"})

    async def delete(request: Request, profile: Profile, data: DeleteModelApiRequest) -> Response:
        return _json(await run(service.delete, profile, data.model_ids), headers={"X-Invalidate-Tags": "models"})

    async def draft(request: Request, profile: Profile, data: PatchModelDraftApiRequest) -> Response:
        mcp = is_truthy_flag(request.headers.get("x-mcp"))
        body = await run(service.patch_draft, profile, data, mcp=mcp)
        return _json(body, headers={"X-Invalidate-Tags": "models,drafts"})

    async def drafts(request: Request, profile: Profile, data: None) -> Response:
        return _json(await run(service.list_drafts, profile), headers={"X-Cache-Tags": "models,drafts"})

    async def docs(request: Request, profile: Profile, data: DocsApiRequest) -> Response:
        def compose() -> dict[str, Any]:
            name = service.entity_name(data.entity_id) if data.entity_id is not None else None
            with database.read() as conn:
                return docs_module.compose(conn, name)

        return _json(await run(compose))

    async def export(request: Request, profile: Profile, data: ExportModelApiRequest) -> Response:
        return _json(await run(service.export, profile, data.model_id))

    async def refresh(request: Request, profile: Profile, data: None) -> Response:
        tags = ["models", "artifacts"]
        body = {"success": True, "refreshed_views": ["model_drafts_mv"], "invalidated_tags": tags}
        return _json(body, headers={"X-Invalidate-Tags": ",".join(tags)})

    async def download(request: Request) -> Response:
        upload_id = validate_path_uuid("upload_id", request.path_params["upload_id"])
        found = await run(service.upload, upload_id)
        if found is None:
            raise HTTPError(404, "Upload not found")
        file_name, mime_type, content = found
        return Response(
            content.encode("utf-8"),
            media_type=mime_type,
            headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
        )

    async def openapi(request: Request) -> Response:
        text = files("glow_models_mcp.sandbox").joinpath("models_openapi.json").read_text(encoding="utf-8")
        return Response(text, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return _json({"ok": True})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPError)
        return _json({"detail": exc.detail}, exc.status, exc.headers)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _json({"detail": exc.errors}, 422)

    async def starlette_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return _json({"detail": exc.detail}, exc.status_code, dict(exc.headers or {}))

    routes = [
        Route(f"{BASE}/get", endpoint(GetModelApiRequest, get), methods=["POST"]),
        Route(f"{BASE}/search", endpoint(SearchModelApiRequest, search), methods=["POST"]),
        Route(f"{BASE}/create", endpoint(CreateModelApiRequest, create), methods=["POST"]),
        Route(f"{BASE}/update", endpoint(UpdateModelApiRequest, update), methods=["POST"]),
        Route(f"{BASE}/duplicate", endpoint(DuplicateModelApiRequest, duplicate), methods=["POST"]),
        Route(f"{BASE}/delete", endpoint(DeleteModelApiRequest, delete), methods=["POST"]),
        Route(f"{BASE}/draft", endpoint(PatchModelDraftApiRequest, draft), methods=["PATCH"]),
        Route(f"{BASE}/drafts", endpoint(None, drafts), methods=["POST"]),
        Route(f"{BASE}/docs", endpoint(DocsApiRequest, docs, catch=False), methods=["POST"]),
        Route(f"{BASE}/export", endpoint(ExportModelApiRequest, export, catch=False), methods=["POST"]),
        Route(f"{BASE}/refresh", endpoint(None, refresh, catch=False), methods=["POST"]),
        Route("/uploads/{upload_id}/download", download, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPError: http_error,
            RequestValidationError: validation_error,
            StarletteHTTPException: starlette_error,
        },
    )
    request_log: list[RequestRecord] = []
    app.add_middleware(_RequestLogMiddleware, log=request_log, lock=threading.Lock())
    app.state.database = database
    app.state.service = service
    app.state.tokens = tokens
    app.state.request_log = request_log
    app.state.db_path = db_path
    return app
