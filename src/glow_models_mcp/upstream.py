"""Async client of the Glow Models API v5: one method per operation, typed errors.

Every request carries ``X-MCP: true``, a ``User-Agent`` naming this package and its version, and
the credentials from :class:`~glow_models_mcp.settings.Settings` (``X-Api-Key`` and
``Authorization: Bearer``). One :class:`httpx2.AsyncClient` is shared by all calls (connection
pooling); :class:`GlowClient` owns it.

Failure handling, in order:

* the whole operation, retries included, is bounded by ``total_timeout`` seconds;
* read-only operations (``get``, ``search``, ``drafts``, ``docs``) are retried with exponential
  backoff and jitter on connection errors and on 502/503/504, honouring ``Retry-After``, at most
  ``max_retries`` extra attempts (tenacity). Other operations are retried only when the
  connection could not be opened at all, so a write that may have reached the server is never
  sent twice;
* response bodies are read as a stream and refused above ``max_response_bytes``;
* a non-2xx answer raises :class:`UpstreamHTTPError` with the upstream ``detail`` (a string, or
  FastAPI's 422 list; plain-text and HTML bodies are reduced to a short text excerpt);
* a 2xx body that is not JSON, or does not match the response schema, raises
  :class:`UpstreamResponseError`.

No exception message, log line or ``repr`` produced here contains a credential.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import anyio
import httpx2
import pydantic
from pydantic import BaseModel
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from . import __version__
from . import schemas as s
from .settings import Settings

logger = logging.getLogger("glow_models_mcp.upstream")

ReqT = TypeVar("ReqT", bound=BaseModel)
ResT = TypeVar("ResT", bound=BaseModel)

USER_AGENT = f"glow-models-mcp/{__version__}"
ZERO_UUID = UUID(int=0)
#: Backoff between retries: 0.2 s, 0.4 s, 0.8 s ... capped at 2 s, plus up to 0.3 s of jitter.
_BACKOFF = wait_exponential_jitter(multiplier=0.2, max=2.0, jitter=0.3)


@dataclass(frozen=True)
class Operation(Generic[ReqT, ResT]):
    """One operation of the Models API: HTTP method, path, request and response schema.

    ``request_model`` is ``None`` for the two operations without a body (``drafts``,
    ``refresh``). ``read_only`` operations are the ones retried after a failure that may have
    reached the server.
    """

    name: str
    method: str
    path: str
    request_model: type[ReqT] | None
    response_model: type[ResT]
    read_only: bool


_BASE = "/api/v5/artifacts/models"

#: The 11 operations, by the upstream's short name.
OPERATIONS: dict[str, Operation[Any, Any]] = {
    op.name: op
    for op in (
        Operation("get", "POST", f"{_BASE}/get", s.GetModelApiRequest, s.GetModelApiResponse, True),
        Operation("search", "POST", f"{_BASE}/search", s.SearchModelApiRequest, s.ListModelApiResponse, True),
        Operation("create", "POST", f"{_BASE}/create", s.CreateModelApiRequest, s.CreateModelApiResponse, False),
        Operation("update", "POST", f"{_BASE}/update", s.UpdateModelApiRequest, s.UpdateModelApiResponse, False),
        Operation(
            "duplicate", "POST", f"{_BASE}/duplicate", s.DuplicateModelApiRequest, s.DuplicateModelApiResponse, False
        ),
        Operation("delete", "POST", f"{_BASE}/delete", s.DeleteModelApiRequest, s.DeleteModelApiResponse, False),
        Operation("draft", "PATCH", f"{_BASE}/draft", s.PatchModelDraftApiRequest, s.PatchModelDraftApiResponse, False),
        Operation("drafts", "POST", f"{_BASE}/drafts", None, s.GetModelDraftsApiResponse, True),
        Operation("docs", "POST", f"{_BASE}/docs", s.DocsApiRequest, s.ComposedDocsResponse, True),
        Operation("export", "POST", f"{_BASE}/export", s.ExportModelApiRequest, s.ExportModelApiResponse, False),
        Operation("refresh", "POST", f"{_BASE}/refresh", None, s.RefreshResponse, False),
    )
}


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


class GlowError(Exception):
    """Base of every failure of an upstream call. ``operation`` is the upstream's short name."""

    def __init__(self, operation: str, message: str) -> None:
        super().__init__(message)
        self.operation = operation
        self.message = message


class UpstreamHTTPError(GlowError):
    """The upstream answered with a non-2xx status.

    Attributes:
        status: the HTTP status code.
        detail: the upstream ``detail``: a string, FastAPI's 422 list of
            ``{"loc", "msg", "type", ...}`` dicts, or a short excerpt of a plain-text/HTML body.
        retry_after: seconds from a ``Retry-After`` header, if any.
    """

    def __init__(self, operation: str, status: int, detail: str | list[Any], retry_after: float | None = None) -> None:
        self.status = status
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(operation, f"{operation}: HTTP {status}: {detail_text(detail)}")


class UpstreamUnavailable(GlowError):
    """The upstream could not be reached, or did not answer within the timeouts.

    Attributes:
        base_url: the configured instance URL (user-info removed).
        reason: a short description (``connection refused``, ``read timeout after 20 s``...).
        may_have_reached: whether the request may have reached the server (``False`` only when
            the connection could not even be opened).
    """

    def __init__(self, operation: str, base_url: str, reason: str, *, may_have_reached: bool = True) -> None:
        self.base_url = base_url
        self.reason = reason
        self.may_have_reached = may_have_reached
        super().__init__(operation, f"{operation}: could not get an answer from {base_url}: {reason}")


class UpstreamResponseError(GlowError):
    """A 2xx answer that cannot be used: too large, not JSON, or not matching the schema."""


class ConfigurationError(Exception):
    """The server is not configured to reach an instance (e.g. no ``GLOW_INSTANCE_URL``)."""


def detail_text(detail: str | list[Any] | Any) -> str:
    """Render an upstream ``detail`` as text; FastAPI's 422 list becomes ``field: message`` lines."""
    if isinstance(detail, list):
        lines = []
        for item in detail:
            if isinstance(item, dict):
                loc = [str(p) for p in item.get("loc", []) if p != "body"]
                lines.append(f"{'.'.join(loc) or '(body)'}: {item.get('msg', item)}")
            else:
                lines.append(str(item))
        return "\n".join(lines)
    return str(detail)


def redact_url(url: str) -> str:
    """``url`` without user-info, query or fragment (they may hold credentials)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


_TAG_RE = re.compile(r"<[^>]+>")
_WS_RE = re.compile(r"\s+")


def _excerpt(body: bytes, limit: int = 300) -> str:
    text = body[: limit * 4].decode("utf-8", errors="replace")
    if "<" in text and ">" in text:
        # An HTML error page: keep its title or its text, not its markup.
        m = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        text = m.group(1) if m else _TAG_RE.sub(" ", text)
    text = _WS_RE.sub(" ", text).strip()
    return (text[:limit] + "...") if len(text) > limit else (text or "(empty body)")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


# ------------------------------------------------------------------------------------------------
# Client
# ------------------------------------------------------------------------------------------------


class _Retryable(Exception):
    """Internal marker: the attempt failed in a way that may be retried."""

    def __init__(self, error: GlowError, *, sent: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.sent = sent


class GlowClient:
    """Async client of the 11 Models operations and the CSV download route.

    Use as ``async with GlowClient(settings) as client: ...``; the ``httpx2.AsyncClient`` is opened
    on entry and closed on exit. ``transport`` may be given for tests.

    Raises (from every method): :class:`ConfigurationError` without an instance URL,
    :class:`UpstreamHTTPError`, :class:`UpstreamUnavailable`, :class:`UpstreamResponseError`.
    """

    def __init__(self, settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.base_url = settings.instance_url or ""
        self.display_url = redact_url(self.base_url) if self.base_url else "(no GLOW_INSTANCE_URL)"
        headers = {"X-MCP": "true", "User-Agent": USER_AGENT, "Accept": "application/json"}
        if settings.api_key is not None and settings.api_key.get_secret_value():
            headers["X-Api-Key"] = settings.api_key.get_secret_value()
        if settings.token is not None and settings.token.get_secret_value():
            headers["Authorization"] = f"Bearer {settings.token.get_secret_value()}"
        # A careless upstream may echo the credentials it received in an error page; error texts
        # built from upstream bodies are scrubbed of them (see _scrub).
        self._secrets = [
            v.get_secret_value().encode()
            for v in (settings.api_key, settings.token)
            if v is not None and len(v.get_secret_value()) >= 4
        ]
        self._timeout = httpx2.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.connect_timeout,
        )
        self._http = httpx2.AsyncClient(
            base_url=self.base_url or "http://unconfigured.invalid",
            headers=headers,
            timeout=self._timeout,
            limits=httpx2.Limits(max_connections=100, max_keepalive_connections=32),
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"GlowClient(base_url={self.display_url!r})"

    def _reason(self, exc: Exception) -> str:
        """A one-line, credential-free description of a transport error (e.g. an illegal header)."""
        text = (str(exc) or type(exc).__name__).splitlines()[0][:200]
        return self._scrub(text.encode()).decode("utf-8", errors="replace")

    def _scrub(self, raw: bytes) -> bytes:
        """``raw`` with every configured credential replaced (before any excerpt cuts it)."""
        for secret in self._secrets:
            raw = raw.replace(secret, b"**********")
        return raw

    async def __aenter__(self) -> GlowClient:
        await self._http.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.__aexit__(*exc)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    # -- generic call -------------------------------------------------------------------------

    async def request(self, op: Operation[Any, ResT], body: BaseModel | None = None) -> tuple[int, ResT]:
        """Run ``op`` with ``body``; return ``(http_status, parsed response model)``.

        The body is sent as JSON of the fields the caller set (``exclude_unset``), so an omitted
        field stays omitted and an explicit ``null`` is sent as ``null``.
        """
        content = body.model_dump_json(exclude_unset=True).encode() if body is not None else b"{}"
        status, raw = await self._send(op.name, op.method, op.path, content, retry_all=op.read_only)
        # The errors are raised outside the ``except`` blocks so that they carry no ``__context__``:
        # the parser's exception holds the raw body, which may echo credentials.
        problem = ""
        try:
            data = json.loads(raw)
        except ValueError:
            problem = f"the body is not JSON: {_excerpt(self._scrub(raw), 120)}"
        if not problem:
            try:
                return status, op.response_model.model_validate(data)
            except pydantic.ValidationError as exc:
                fields = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:5]
                )
                problem = f"the body does not match {op.response_model.__name__}: {fields}"
        raise UpstreamResponseError(op.name, f"{op.name}: HTTP {status} but {problem}")

    async def download_upload(self, upload_id: UUID) -> str:
        """``GET /uploads/{upload_id}/download``: the exported CSV as text.

        Raises :class:`UpstreamHTTPError` (404 for an unknown upload) and the other errors above.
        """
        _, raw = await self._send("download", "GET", f"/uploads/{upload_id}/download", None, retry_all=True)
        return raw.decode("utf-8-sig", errors="replace")

    # -- one method per operation -------------------------------------------------------------

    async def get_model(self, body: s.GetModelApiRequest) -> s.GetModelApiResponse:
        """``POST /api/v5/artifacts/models/get``."""
        return (await self.request(OPERATIONS["get"], body))[1]

    async def search_models(self, body: s.SearchModelApiRequest) -> s.ListModelApiResponse:
        """``POST /api/v5/artifacts/models/search``."""
        return (await self.request(OPERATIONS["search"], body))[1]

    async def create_models(self, body: s.CreateModelApiRequest) -> s.CreateModelApiResponse:
        """``POST /api/v5/artifacts/models/create`` (all-or-nothing batch)."""
        return (await self.request(OPERATIONS["create"], body))[1]

    async def update_models(self, body: s.UpdateModelApiRequest) -> s.UpdateModelApiResponse:
        """``POST /api/v5/artifacts/models/update`` (all-or-nothing batch)."""
        return (await self.request(OPERATIONS["update"], body))[1]

    async def duplicate_model(self, body: s.DuplicateModelApiRequest) -> s.DuplicateModelApiResponse:
        """``POST /api/v5/artifacts/models/duplicate``."""
        return (await self.request(OPERATIONS["duplicate"], body))[1]

    async def delete_models(self, body: s.DeleteModelApiRequest) -> s.DeleteModelApiResponse:
        """``POST /api/v5/artifacts/models/delete`` (permanent)."""
        return (await self.request(OPERATIONS["delete"], body))[1]

    async def patch_model_draft(self, body: s.PatchModelDraftApiRequest) -> s.PatchModelDraftApiResponse:
        """``PATCH /api/v5/artifacts/models/draft`` (append-only: a new draft row each call)."""
        return (await self.request(OPERATIONS["draft"], body))[1]

    async def list_model_drafts(self) -> s.GetModelDraftsApiResponse:
        """``POST /api/v5/artifacts/models/drafts`` (the caller's 20 newest drafts)."""
        return (await self.request(OPERATIONS["drafts"]))[1]

    async def get_model_docs(self, body: s.DocsApiRequest) -> s.ComposedDocsResponse:
        """``POST /api/v5/artifacts/models/docs``."""
        return (await self.request(OPERATIONS["docs"], body))[1]

    async def export_models(self, body: s.ExportModelApiRequest) -> s.ExportModelApiResponse:
        """``POST /api/v5/artifacts/models/export``; fetch the CSV with :meth:`download_upload`."""
        return (await self.request(OPERATIONS["export"], body))[1]

    async def refresh_models(self) -> s.RefreshResponse:
        """``POST /api/v5/artifacts/models/refresh``."""
        return (await self.request(OPERATIONS["refresh"]))[1]

    # -- transport ----------------------------------------------------------------------------

    async def _send(
        self, op: str, method: str, path: str, content: bytes | None, *, retry_all: bool
    ) -> tuple[int, bytes]:
        if not self.base_url:
            raise ConfigurationError("GLOW_INSTANCE_URL is not set")
        settings = self.settings
        started = time.perf_counter()

        def retryable(exc: BaseException) -> bool:
            return isinstance(exc, _Retryable) and (retry_all or not exc.sent)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            backoff = _BACKOFF(state)
            if isinstance(exc, _Retryable) and isinstance(exc.error, UpstreamHTTPError) and exc.error.retry_after:
                backoff = exc.error.retry_after
            remaining = settings.total_timeout - (time.perf_counter() - started) - 0.05
            return max(0.0, min(backoff, remaining))

        def retry_after_exceeds_budget(state: RetryCallState) -> bool:
            # The upstream asked for more time than the budget has left: answer its error now
            # instead of retrying early (ignoring Retry-After) or idling into the total timeout.
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Retryable) and isinstance(exc.error, UpstreamHTTPError) and exc.error.retry_after:
                remaining = settings.total_timeout - (time.perf_counter() - started) - 0.05
                return exc.error.retry_after > remaining
            return False

        retrying = AsyncRetrying(
            stop=stop_after_attempt(settings.max_retries + 1) | retry_after_exceeds_budget,
            wait=wait,
            retry=retry_if_exception(retryable),
            reraise=True,
        )
        status = 0
        try:
            with anyio.fail_after(settings.total_timeout):
                async for attempt in retrying:
                    with attempt:
                        status, raw = await self._attempt(op, method, path, content)
        except TimeoutError:
            status = -1
            raise UpstreamUnavailable(
                op, self.display_url, f"no answer within the total timeout of {settings.total_timeout:g} s"
            ) from None
        except _Retryable as exc:
            status = getattr(exc.error, "status", 0)
            raise exc.error from None
        except GlowError as exc:
            status = getattr(exc, "status", 0)
            raise
        finally:
            logger.debug(
                "upstream %s %s -> %s in %.1f ms",
                method,
                path,
                status or "error",
                (time.perf_counter() - started) * 1000,
                extra={"operation": op, "upstream_status": status or None},
            )
        return status, raw

    async def _attempt(self, op: str, method: str, path: str, content: bytes | None) -> tuple[int, bytes]:
        cap = self.settings.max_response_bytes
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            async with self._http.stream(method, path, content=content, headers=headers) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > cap:
                    raise UpstreamResponseError(
                        op,
                        f"{op}: HTTP {response.status_code} with a body of {int(declared)} bytes, over the {cap}-byte cap",
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise UpstreamResponseError(
                            op, f"{op}: HTTP {response.status_code} with a body over the {cap}-byte cap; refused"
                        )
                    chunks.append(chunk)
                raw = b"".join(chunks)
                status = response.status_code
        except httpx2.ConnectTimeout:
            raise _Retryable(
                UpstreamUnavailable(
                    op,
                    self.display_url,
                    f"connect timeout after {self.settings.connect_timeout:g} s",
                    may_have_reached=False,
                ),
                sent=False,
            ) from None
        except httpx2.ConnectError as exc:
            raise _Retryable(
                UpstreamUnavailable(
                    op, self.display_url, f"connection failed ({self._reason(exc)})", may_have_reached=False
                ),
                sent=False,
            ) from None
        except httpx2.TimeoutException:
            raise _Retryable(
                UpstreamUnavailable(op, self.display_url, f"read timeout after {self.settings.read_timeout:g} s"),
                sent=True,
            ) from None
        except httpx2.TransportError as exc:
            raise _Retryable(
                UpstreamUnavailable(op, self.display_url, f"connection broken ({self._reason(exc)})"), sent=True
            ) from None

        if 200 <= status < 300:
            return status, raw
        error = UpstreamHTTPError(
            op, status, _detail(self._scrub(raw)), _retry_after(response.headers.get("retry-after"))
        )
        if status in (502, 503, 504):
            raise _Retryable(error, sent=True)
        raise error


def _detail(raw: bytes) -> str | list[Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        return _excerpt(raw)
    if isinstance(data, dict) and "detail" in data:
        detail = data["detail"]
        if isinstance(detail, (str, list)):
            return detail
        return json.dumps(detail)[:500]
    return _excerpt(raw)
