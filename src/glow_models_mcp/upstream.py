"""Async client of the Glow Models API v5: one method per operation, typed errors.

Every request carries ``X-MCP: true``, a ``User-Agent`` naming this package and its version, and
the credentials from :class:`~glow_models_mcp.settings.Settings` (``X-Api-Key`` and
``Authorization: Bearer``). One :class:`httpx2.AsyncClient` is shared by all calls (connection
pooling); :class:`GlowClient` owns it.

Failure handling, in order:

* the whole operation, retries included, is bounded by ``total_timeout`` seconds;
* read-only operations (``Operation.read_only``: ``get``, ``search``...) are retried with exponential
  backoff and jitter on connection errors and on 502/503/504, honouring ``Retry-After``, at most
  ``max_retries`` extra attempts (tenacity). Other operations are retried only when the
  connection could not be opened at all, so a write that may have reached the server is never
  sent twice;
* response bodies are read as a stream and refused above ``max_response_bytes`` (the CSV
  download above ``max_resource_bytes``) with :class:`ResponseTooLarge`;
* a non-2xx answer raises :class:`UpstreamHTTPError` with the upstream ``detail`` (a string, or
  FastAPI's 422 list; plain-text and HTML bodies are reduced to a short text excerpt);
* a 2xx body that is not JSON, or does not match the response schema, raises
  :class:`UpstreamResponseError`.

Observed: each HTTP attempt is a span when OpenTelemetry is on (:mod:`.telemetry`); retries,
failures and slow answers are told to the MCP client of the call as log messages (:mod:`.client_log`).

No exception message, log line, ``repr`` or parsed answer produced here contains a credential: a
configured secret that the upstream echoes (in an error body, or in a successful answer, e.g. a
model named after the token) is replaced by ``REDACTED`` in the text or in every parsed string.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

import anyio
import httpx2
import pydantic
from mcp.types import LoggingLevel
from pydantic import BaseModel
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from . import __version__, client_log, telemetry
from . import schemas as s
from .exceptions import (
    ConfigurationError,
    GlowError,
    ResponseTooLarge,
    TLSSetupError,
    UpstreamHTTPError,
    UpstreamResponseError,
    UpstreamUnavailable,
)
from .settings import REDACTED, Settings, redact_url

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

    ``body`` is ``False`` for the two operations that take no body (``drafts``, ``refresh``; their
    ``request_model`` is :class:`~glow_models_mcp.schemas.EmptyRequest`). ``read_only``
    operations are the ones retried after a failure that may have reached the server.
    """

    name: str
    method: str
    path: str
    request_model: type[ReqT]
    response_model: type[ResT]
    read_only: bool
    body: bool = True


_BASE = "/api/v5/artifacts/models"

# The operations of the Models API, one typed constant each (``ToolSpec`` is generic over them).
GET = Operation("get", "POST", f"{_BASE}/get", s.GetModelApiRequest, s.GetModelApiResponse, True)
SEARCH = Operation("search", "POST", f"{_BASE}/search", s.SearchModelApiRequest, s.ListModelApiResponse, True)
CREATE = Operation("create", "POST", f"{_BASE}/create", s.CreateModelApiRequest, s.CreateModelApiResponse, False)
UPDATE = Operation("update", "POST", f"{_BASE}/update", s.UpdateModelApiRequest, s.UpdateModelApiResponse, False)
DUPLICATE = Operation(
    "duplicate", "POST", f"{_BASE}/duplicate", s.DuplicateModelApiRequest, s.DuplicateModelApiResponse, False
)
DELETE = Operation("delete", "POST", f"{_BASE}/delete", s.DeleteModelApiRequest, s.DeleteModelApiResponse, False)
DRAFT = Operation("draft", "PATCH", f"{_BASE}/draft", s.PatchModelDraftApiRequest, s.PatchModelDraftApiResponse, False)
DRAFTS = Operation("drafts", "POST", f"{_BASE}/drafts", s.EmptyRequest, s.GetModelDraftsApiResponse, True, body=False)
DOCS = Operation("docs", "POST", f"{_BASE}/docs", s.DocsApiRequest, s.ComposedDocsResponse, True)
EXPORT = Operation("export", "POST", f"{_BASE}/export", s.ExportModelApiRequest, s.ExportModelApiResponse, False)
REFRESH = Operation("refresh", "POST", f"{_BASE}/refresh", s.EmptyRequest, s.RefreshResponse, False, body=False)

#: Every operation, by the upstream's short name: the constants above, in their order (a new
#: constant is all a new operation needs here; ``tests/test_schemas.py`` checks them against the contract).
OPERATIONS: dict[str, Operation[Any, Any]] = {
    op.name: op for op in list(globals().values()) if isinstance(op, Operation)
}


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


def _env_name(field: str) -> str:
    return str(Settings.model_fields[field].validation_alias)


def scrub_secrets(data: Any, secrets: list[str]) -> Any:
    """``data`` (parsed JSON) with every ``secrets`` value replaced by ``REDACTED`` in every string,
    keys included. Scrubbing parsed strings, not raw bytes, also catches a secret the JSON encoding
    escaped (a ``"`` or ``\\`` in it, or ``\\uXXXX`` escapes)."""
    if isinstance(data, str):
        for secret in secrets:
            if secret in data:
                data = data.replace(secret, REDACTED)
        return data
    if isinstance(data, list):
        return [scrub_secrets(item, secrets) for item in data]
    if isinstance(data, dict):
        return {scrub_secrets(k, secrets): scrub_secrets(v, secrets) for k, v in data.items()}
    return data


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


class _StopWhen(stop_base):
    """A tenacity stop condition from a plain predicate (typed, unlike a bare callable)."""

    def __init__(self, predicate: Callable[[RetryCallState], bool]) -> None:
        self.predicate = predicate

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.predicate(retry_state)


class _Retryable(Exception):
    """Internal marker: the attempt failed in a way that may be retried."""

    def __init__(self, error: GlowError, *, sent: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.sent = sent


#: The request headers that carry credentials (left off the reachability probe).
_CREDENTIAL_HEADERS = ("X-Api-Key", "Authorization")


@dataclass(frozen=True)
class Probe:
    """What :meth:`GlowClient.probe` learned: the HTTP status, and a redirect's target if any."""

    status: int
    location: str | None = None


class GlowClient:
    """Async client of the Models operations (:data:`OPERATIONS`) and the CSV download route.

    Use as ``async with GlowClient(settings) as client: ...``; the ``httpx2.AsyncClient`` is created
    by the first request and closed on exit. ``transport`` may be given for tests.

    Raises (from every method): :class:`ConfigurationError` without an instance URL,
    :class:`UpstreamHTTPError`, :class:`UpstreamUnavailable`, :class:`UpstreamResponseError`.
    """

    def __init__(self, settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.base_url = settings.instance_url or ""
        self.display_url = settings.display_url
        headers = {"X-MCP": "true", "User-Agent": USER_AGENT, "Accept": "application/json"}
        if settings.api_key is not None and settings.api_key.get_secret_value():
            headers["X-Api-Key"] = settings.api_key.get_secret_value()
        if settings.token is not None and settings.token.get_secret_value():
            headers["Authorization"] = f"Bearer {settings.token.get_secret_value()}"
        # A careless upstream may echo the credentials it received in an error page; error texts
        # built from upstream bodies are scrubbed of them (see _scrub).
        self._secret_texts = settings.secret_values()
        self._secrets = [v.encode() for v in self._secret_texts]
        self._timeout = httpx2.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.connect_timeout,
        )
        self._headers = headers
        self._transport = transport
        self._client: httpx2.AsyncClient | None = None
        self._closed = False
        #: When (``time.monotonic()``) the upstream last answered with a status below 500, and when
        #: a request to it last failed (no connection, a timeout, a 5xx); ``-inf``: never. ``/readyz``
        #: reads them (:class:`~glow_models_mcp.http_app.Readiness`).
        self.answered_at = -math.inf
        self.failed_at = -math.inf
        self._urls: dict[str, httpx2.URL] = {}

    def __repr__(self) -> str:
        return f"GlowClient(base_url={self.display_url!r})"

    def _reason(self, exc: Exception) -> str:
        """A one-line, credential-free description of a transport error (e.g. an illegal header)."""
        text = (str(exc) or type(exc).__name__).splitlines()[0][:200]
        return self._scrub(text.encode()).decode("utf-8", errors="replace")

    def _scrub(self, raw: bytes) -> bytes:
        """``raw`` with every configured credential replaced (before any excerpt cuts it)."""
        for secret in self._secrets:
            raw = raw.replace(secret, REDACTED.encode())
        return raw

    def _scrub_parsed(self, raw: bytes, data: Any) -> Any:
        """``data`` parsed from ``raw``, scrubbed of every configured credential.

        Fast path: a body without a backslash has no JSON escapes, so its strings hold a secret
        only if its bytes do.
        """
        if not self._secrets or (b"\\" not in raw and not any(secret in raw for secret in self._secrets)):
            return data
        return scrub_secrets(data, self._secret_texts)

    @property
    def _http(self) -> httpx2.AsyncClient:
        """The pooled ``httpx2.AsyncClient``, created on first use: building its TLS context (reading
        the CA certificates) is a noticeable part of a cold start that need not come before the
        first upstream request.

        Raises:
            RuntimeError: after :meth:`aclose`, as ``httpx2`` does for a closed client.
            TLSSetupError: when the TLS context cannot be built (unreadable CA certificates).
        """
        if self._client is None:
            if self._closed:
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            try:
                self._client = httpx2.AsyncClient(
                    base_url=self.base_url or "http://unconfigured.invalid",
                    headers=self._headers,
                    timeout=self._timeout,
                    limits=httpx2.Limits(max_connections=100, max_keepalive_connections=32),
                    transport=self._transport,
                    follow_redirects=False,
                )
            except OSError as exc:  # ssl.SSLError too: CA certificates that cannot be read
                raise TLSSetupError(
                    f"the TLS setup failed ({type(exc).__name__}: {exc}); check SSL_CERT_FILE and "
                    "SSL_CERT_DIR, which must name readable CA certificates, or unset them"
                ) from None
        return self._client

    async def __aenter__(self) -> GlowClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections, or the ``transport`` given if no request was made."""
        self._closed = True
        if self._client is not None:
            await self._client.aclose()
        elif self._transport is not None:
            await self._transport.aclose()

    # -- generic call -------------------------------------------------------------------------

    async def request(self, op: Operation[Any, ResT], body: BaseModel | None = None) -> tuple[int, ResT]:
        """Run ``op`` with ``body``; return ``(http_status, parsed response model)``.

        The body is sent as JSON of the fields the caller set (``exclude_unset``), so an omitted
        field stays omitted and an explicit ``null`` is sent as ``null``.
        """
        content = body.model_dump_json(exclude_unset=True).encode() if body is not None and op.body else b"{}"
        status, raw = await self._send(op.name, op.method, op.path, content, retry_all=op.read_only)
        if b"\\" not in raw and not any(secret in raw for secret in self._secrets):
            # Fast path: pydantic parses and validates the bytes at once (a 47 KB get answer in
            # 0.22 ms instead of 0.30). Without escapes, no string can hold a credential the bytes
            # do not show. A body it refuses takes the path below, for that path's error text.
            try:
                return status, op.response_model.model_validate_json(raw)
            except pydantic.ValidationError:
                pass
        # The errors are raised outside the ``except`` blocks so that they carry no ``__context__``:
        # the parser's exception holds the raw body, which may echo credentials.
        problem = ""
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            problem = f"the body is not JSON (or nested too deeply to read): {_excerpt(self._scrub(raw), 120)}"
        if not problem:
            data = self._scrub_parsed(raw, data)
            try:
                return status, op.response_model.model_validate(data)
            except pydantic.ValidationError as exc:
                fields = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:5]
                )
                problem = f"the body does not match {op.response_model.__name__}: {fields}"
        error = UpstreamResponseError(op.name, f"{op.name}: HTTP {status} but {problem}")
        await client_log.emit("error", str(error), operation=op.name, status=status)
        raise error

    async def download_upload(self, upload_id: UUID) -> str:
        """``GET /uploads/{upload_id}/download``: the exported CSV as text, scrubbed of credentials
        (also in their CSV-quoted form, ``"`` doubled).

        Raises :class:`UpstreamHTTPError` (404 for an unknown upload), :class:`ResponseTooLarge`
        above ``max_resource_bytes`` (``GLOW_MCP_MAX_RESOURCE_BYTES``), and the other errors above.
        """
        _, raw = await self._send(
            "download",
            "GET",
            f"/uploads/{upload_id}/download",
            None,
            retry_all=True,
            cap=self.settings.max_resource_bytes,
            cap_setting=_env_name("max_resource_bytes"),
            template="/uploads/{upload_id}/download",
        )
        text = raw.decode("utf-8-sig", errors="replace")
        for secret in self._secret_texts:
            for form in (secret.replace('"', '""'), secret):  # the CSV-quoted form first: it is the longer
                text = text.replace(form, REDACTED)
        return text

    # -- reachability probe (doctor) ----------------------------------------------------------

    async def probe(self) -> Probe:
        """``GET`` the instance root once: no credentials, no redirect followed, no retry.

        What ``glow-models-mcp doctor`` asks first ("does anything answer HTTP there?"), sent with
        this client's connection settings and timeouts, but without ``X-Api-Key`` and
        ``Authorization``: the root is not an API route and needs no credentials.

        Returns:
            :class:`Probe`: the HTTP status (any status counts) and, for a redirect, its target
            (absolute, user-info/query removed).

        Raises:
            ConfigurationError: without an instance URL.
            httpx2.HTTPError: as raised by httpx2 (``ConnectTimeout``, ``ReadTimeout``,
                ``ConnectError``...), so that the caller can tell the network failures apart.
        """
        if not self.base_url:
            raise ConfigurationError("GLOW_INSTANCE_URL is not set")
        request = self._http.build_request("GET", "/")
        for name in _CREDENTIAL_HEADERS:
            request.headers.pop(name, None)
        response = await self._http.send(request, stream=True, follow_redirects=False)
        await response.aclose()  # only the status line and headers matter
        location = response.headers.get("location") if response.is_redirect else None
        if location:
            try:
                location = redact_url(str(response.url.join(location)))
            except (ValueError, httpx2.InvalidURL):
                location = "(unparseable URL)"
        return Probe(response.status_code, location or None)

    # -- transport ----------------------------------------------------------------------------

    async def _send(
        self,
        op: str,
        method: str,
        path: str,
        content: bytes | None,
        *,
        retry_all: bool,
        cap: int | None = None,
        cap_setting: str | None = None,
        template: str | None = None,
    ) -> tuple[int, bytes]:
        """One operation, retries included; each attempt is observed (:mod:`.telemetry`) and the
        retries, the outcome and a slow answer are told to the MCP client (:mod:`.client_log`).
        ``template``: the path with placeholders for its values (default: ``path``)."""
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

        async def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            reason = str(exc.error) if isinstance(exc, _Retryable) else type(exc).__name__
            pause = state.next_action.sleep if state.next_action else 0.0
            await client_log.emit(
                "warning",
                f"{reason}; retry {state.attempt_number} of {settings.max_retries} in {pause:.1f} s",
                operation=op,
                status=getattr(getattr(exc, "error", None), "status", None),
                retry=state.attempt_number,
            )

        attempts = 0

        async def attempt_once() -> tuple[int, bytes]:
            nonlocal attempts
            attempts += 1
            with telemetry.upstream_attempt(op, method, template or path, self.base_url, attempts - 1) as seen:
                answer = await self._attempt(op, method, path, content, cap, cap_setting)
                seen.status = answer[0]
                return answer

        status = 0
        error: GlowError | None = None
        try:
            with anyio.fail_after(settings.total_timeout):
                replay: _Retryable | None = None
                try:  # the first attempt without tenacity's machinery (most calls need no other)
                    status, raw = await attempt_once()
                except _Retryable as first:
                    replay = first
                if replay is not None:
                    # tenacity decides as if it had made the first attempt: it sees that failure
                    # again as its attempt 1, then stops, waits or retries exactly as before.
                    retrying = AsyncRetrying(
                        stop=stop_any(
                            stop_after_attempt(settings.max_retries + 1), _StopWhen(retry_after_exceeds_budget)
                        ),
                        wait=wait,
                        retry=retry_if_exception(retryable),
                        before_sleep=before_sleep,
                        reraise=True,
                    )
                    async for attempt in retrying:
                        with attempt:
                            if replay is not None:
                                failed, replay = replay, None
                                raise failed
                            status, raw = await attempt_once()
        except TimeoutError:
            status = -1
            error = UpstreamUnavailable(
                op, self.display_url, f"no answer within the total timeout of {settings.total_timeout:g} s"
            )
        except _Retryable as exc:
            status = getattr(exc.error, "status", 0)
            error = exc.error
        except GlowError as exc:
            status = getattr(exc, "status", 0)
            error = exc
        finally:
            if 0 < status < 500:
                self.answered_at = time.monotonic()
            else:
                self.failed_at = time.monotonic()
            logger.debug(
                "upstream %s %s -> %s in %.1f ms",
                method,
                path,
                status or "error",
                (time.perf_counter() - started) * 1000,
                extra={"operation": op, "upstream_status": status or None},
            )
        await self._tell_client(op, status, error, time.perf_counter() - started, attempts)
        if error is not None:
            raise error from None
        return status, raw

    async def _tell_client(self, op: str, status: int, error: GlowError | None, elapsed: float, attempts: int) -> None:
        """The outcome of one operation (and a slow answer) as MCP log messages (:mod:`.client_log`)."""
        retries = f" after {attempts - 1} {'retry' if attempts == 2 else 'retries'}" if attempts > 1 else ""
        fields = {"operation": op, "status": status if status > 0 else None, "duration_ms": round(elapsed * 1000, 1)}
        if error is None:
            await client_log.emit("info", f"{op}: HTTP {status} in {elapsed * 1000:.0f} ms{retries}", **fields)
        else:
            await client_log.emit(_failure_level(status), f"{error}{retries}", **fields)
        slow = self.settings.slow_call_seconds
        if error is None and elapsed > slow:  # a failure's message says it already (a timeout, say)
            await client_log.emit(
                "warning",
                f"{op}: the Glow API took {elapsed:.1f} s{retries} "
                f"(more than {_env_name('slow_call_seconds')}={slow:g} s)",
                **fields,
            )

    async def _attempt(
        self, op: str, method: str, path: str, content: bytes | None, cap: int | None, cap_setting: str | None
    ) -> tuple[int, bytes]:
        cap = cap if cap is not None else self.settings.max_response_bytes
        setting = cap_setting or _env_name("max_response_bytes")
        headers = {"Content-Type": "application/json"} if content is not None else None
        url = self._urls.get(path)
        if url is None:  # joined with the base URL once per path, not parsed again on every call
            url = self._http.build_request(method, path).url
            if len(self._urls) < 64:
                self._urls[path] = url
        try:
            async with self._http.stream(method, url, content=content, headers=headers) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > cap:
                    raise ResponseTooLarge(
                        op,
                        f"{op}: HTTP {response.status_code} with a body of {int(declared)} bytes, over the {cap}-byte cap",
                        size=int(declared),
                        cap=cap,
                        setting=setting,
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise ResponseTooLarge(
                            op,
                            f"{op}: HTTP {response.status_code} with a body over the {cap}-byte cap; refused",
                            size=None,
                            cap=cap,
                            setting=setting,
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
        detail = scrub_secrets(_detail(self._scrub(raw)), self._secret_texts)  # bytes, then JSON-escaped forms
        error = UpstreamHTTPError(op, status, detail, _retry_after(response.headers.get("retry-after")))
        if status in (502, 503, 504):
            raise _Retryable(error, sent=True)
        raise error


def _failure_level(status: int) -> LoggingLevel:
    """How a failed operation is logged to the MCP client: ``error`` when the Glow API is down,
    broken or refuses the credentials (5xx, no answer, an unusable answer, 401/403); ``warning``
    for 429; ``notice`` for any other 4xx, which the tool error explains to the agent."""
    if status in (401, 403) or not 400 <= status < 500:
        return "error"
    return "warning" if status == 429 else "notice"


def _detail(raw: bytes) -> str | list[Any]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return _excerpt(raw)
    if isinstance(data, dict) and "detail" in data:
        detail = data["detail"]
        if isinstance(detail, (str, list)):
            return detail
        return json.dumps(detail)[:500]
    return _excerpt(raw)
