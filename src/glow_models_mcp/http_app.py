"""HTTP transports: streamable HTTP (stateless, JSON responses, ``/mcp``) and SSE (``/sse`` +
``/messages/``) as ASGI apps, with DNS-rebinding protection, a request-body cap, an optional bearer
token, cancellation on client disconnect, an optional root path (a reverse proxy's path prefix),
case-insensitive media types and header names, health endpoints for load balancers and probes
(``/healthz``, ``/readyz``), and the uvicorn runner (one process, or ``--workers N`` processes for
streamable HTTP).
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import json
import logging
import math
import os
import signal
import socket
import sys
import threading
import time
from contextvars import ContextVar
from typing import Any

import anyio
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .exceptions import ConfigurationError
from .logs import clip_request_logs
from .server import GlowServer
from .settings import Settings
from .state import AppState
from .stateless import DirectAnswer
from .stdio import check_message

logger = logging.getLogger("glow_models_mcp.http")

# ------------------------------------------------------------------------------------------------

#: Where the transports are served (under the root path, if one is set).
MCP_PATH = "/mcp"
SSE_PATH = "/sse"
MESSAGES_PATH = "/messages/"
#: Health endpoints (under the root path, if one is set), outside the MCP paths.
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"

_LOOPBACK_HOSTS = ["127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*"]
_LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection for every bind: a foreign ``Host`` gets 421, a foreign ``Origin`` 403.

    Loopback binds allow the loopback names (with or without a port) plus any configured extras;
    other binds allow exactly ``GLOW_MCP_ALLOWED_HOSTS`` / ``GLOW_MCP_ALLOWED_ORIGINS`` (an allowed
    host given without a port matches with any port too). Both are
    compared in lower case (host names and schemes are case-insensitive; :class:`NormalizeHeaders`
    lowers the request's ``Host`` and ``Origin`` to match).
    """
    hosts = [host.lower() for host in settings.allowed_hosts]
    hosts += [f"{host}:*" for host in hosts if _without_port(host)]  # a Host header may carry the port
    origins = [origin.lower() for origin in settings.allowed_origins]
    if settings.is_loopback:
        hosts += _LOOPBACK_HOSTS
        origins += _LOOPBACK_ORIGINS
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def _without_port(host: str) -> bool:
    """Whether an allowed host (``name``, ``[v6]``, ``name:port``, ``name:*``) names no port."""
    if host.startswith("["):
        return host.endswith("]")
    return ":" not in host


class BearerTokenMiddleware:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>`` (the scheme
    in any case, as RFC 9110 allows).

    The comparison runs in constant time (:func:`hmac.compare_digest`). A missing or wrong token
    gets 401 with ``WWW-Authenticate: Bearer``; the token is never logged.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = b""
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                given = value
                break
        scheme, _, credentials = given.strip().partition(b" ")
        # The scheme is case-insensitive (RFC 9110); the token is compared in constant time.
        ok = hmac.compare_digest(credentials.strip(), self._expected) and scheme.lower() == b"bearer"
        if not ok:
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="glow-models-mcp"'),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"error":"missing or invalid bearer token"}'})
            return
        await self.app(scope, receive, send)


class InFlight:
    """The HTTP requests being handled, so that a shutdown can cancel them (and their upstream calls)."""

    def __init__(self) -> None:
        self.scopes: set[anyio.CancelScope] = set()
        self.shutting_down = False

    def cancel_all(self) -> None:
        """Cancel every request in flight; each is answered 503 (or its stream is ended)."""
        self.shutting_down = True
        for scope in list(self.scopes):
            scope.cancel()


#: A call cut off by a shutdown may already have reached the Glow API: a write may have been made,
#: so the client is told to check before it sends the call again.
_SHUTTING_DOWN = (
    b'{"error":"the MCP server shut down during this call; its outcome is unknown (a write may already '
    b'have been made): read the catalog before sending it again to a running instance"}'
)


class CancelOnDisconnect:
    """ASGI middleware: cancel a request's handling, and with it the upstream call, when the HTTP
    client goes away before its answer is sent or when the server shuts down.

    In stateless JSON-response mode the SDK never listens for ``http.disconnect``, so a client
    that closes its request (how a 2026-07-28 client cancels a call over HTTP) would otherwise
    leave the upstream request running until its own timeout, and uvicorn's shutdown would wait
    for it, then kill it with a traceback and a 500. Once the request body has been read, this
    middleware owns ``receive``: it watches for the disconnect and hands the app a
    ``http.disconnect`` when it happens. A request cancelled by :meth:`InFlight.cancel_all` is
    answered 503 (or, if its response had started, its body is ended).
    """

    def __init__(self, app: ASGIApp, in_flight: InFlight | None = None) -> None:
        self.app = app
        self.in_flight = in_flight or InFlight()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # One cancel scope and, once the body is read, one plain asyncio task watching for the
        # disconnect: a task group cost about a third of a small request's handling.
        body_read = False
        disconnected = asyncio.Event()
        started = answered = False
        handling = anyio.CancelScope()
        watcher: asyncio.Task[None] | None = None

        async def watch() -> None:
            try:
                while (await receive())["type"] != "http.disconnect":
                    pass
            except Exception as exc:  # the server's receive failed: nobody left to answer
                logger.debug("disconnect watch ended: %s", type(exc).__name__)
            disconnected.set()
            if not answered:
                handling.cancel()

        async def app_receive() -> Message:
            nonlocal body_read, watcher
            if body_read:
                await disconnected.wait()
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected.set()
            elif not message.get("more_body", False):
                body_read = True
                watcher = asyncio.get_running_loop().create_task(watch())
            return message

        async def app_send(message: Message) -> None:
            nonlocal started, answered
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True
            await send(message)

        self.in_flight.scopes.add(handling)
        try:
            with handling:
                await self.app(scope, app_receive, app_send)
        finally:
            self.in_flight.scopes.discard(handling)
            if watcher is not None:
                watcher.cancel()
        if answered or disconnected.is_set() or not self.in_flight.shutting_down:
            return
        if not started:
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
                }
            )
            await send({"type": "http.response.body", "body": _SHUTTING_DOWN})
        else:
            await send({"type": "http.response.body", "body": b""})


def _media_type(value: bytes) -> bytes:
    """``value`` (a ``Content-Type``) with its case-insensitive parts in lower case: the type and
    subtype, the parameter names and the ``charset`` value (RFC 9110 §8.3.1, §8.3.2)."""
    media, _, params = value.partition(b";")
    parts = [media.strip().lower()]
    for param in params.split(b";") if params else []:
        name, eq, param_value = param.strip().partition(b"=")
        name = name.strip().lower()
        if name == b"charset":
            param_value = param_value.strip().lower()
        if name:
            parts.append(name + eq + param_value)
    return b"; ".join(parts)


class NormalizeHeaders:
    """ASGI middleware: header names in lower case, and the case-insensitive header values in the
    case the SDK compares them in.

    RFC 9110 makes header names, media types (``Application/JSON``), their parameter names and the
    ``charset`` value (``charset=UTF-8``), and host names and URI schemes case-insensitive. ASGI
    servers lower header names already; the SDK compares ``Content-Type`` case-sensitively on
    the streamable HTTP path (``Application/JSON`` got 415) and ``Host`` / ``Origin`` exactly
    (``Host: LOCALHOST:8765`` got 421). This middleware lowers header names, the media type of
    ``Content-Type``, and the ``Host`` and ``Origin`` values before the SDK sees them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = []
            for name, value in scope.get("headers", []):
                name = name.lower()
                if name == b"content-type":
                    value = _media_type(value)
                elif name in (b"host", b"origin"):
                    value = value.lower()
                headers.append((name, value))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


class RootPath:
    """ASGI middleware: serve the app under ``root_path`` (``GLOW_MCP_ROOT_PATH``, e.g. ``/glow``),
    the path prefix a reverse proxy serves it under.

    A request reaches the app with or without the prefix (a proxy may strip it, as nginx's
    ``proxy_pass http://upstream/;`` does, or pass the path unchanged): both ``/glow/mcp`` and
    ``/mcp`` are served. The ASGI ``root_path`` is set and ``path`` always carries the prefix, so
    that URLs the app builds point through the proxy: the SSE transport's ``endpoint`` event
    names ``/glow/messages/?session_id=...``.
    """

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.root_path:
            root = self.root_path
            path = scope["path"]
            scope = {**scope, "root_path": root}
            if not (path == root or path.startswith(root + "/")):  # the proxy stripped the prefix
                scope["path"] = root + path
                if "raw_path" in scope and scope["raw_path"] is not None:
                    scope["raw_path"] = root.encode() + scope["raw_path"]
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The request's path below its ASGI ``root_path``."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _refused(security: TransportSecurityMiddleware, scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer a request that fails the ``Host``/``Origin`` checks (421/403); True if it did."""
    refused = await security.validate_request(Request(scope, receive), is_post=False)
    if refused is not None:
        await refused(scope, receive, send)
    return refused is not None


class PostOnly:
    """ASGI middleware for the stateless streamable HTTP endpoint: any method but POST gets 405
    with ``Allow: POST``.

    Stateless, the server has no stream to offer on ``GET`` (the SDK opened one that never
    carried a message and never ended) and no session to ``DELETE`` (the SDK's 405 had no
    ``Allow``, which RFC 9110 requires). A request failing the ``Host``/``Origin`` checks still
    gets 421/403 first.
    """

    def __init__(self, app: ASGIApp, security: TransportSecuritySettings, path: str = MCP_PATH) -> None:
        self.app = app
        self.path = path
        self._security = TransportSecurityMiddleware(security)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "POST" or _route_path(scope) != self.path:
            await self.app(scope, receive, send)
            return
        if await _refused(self._security, scope, receive, send):
            return
        await send(
            {
                "type": "http.response.start",
                "status": 405,
                "headers": [(b"content-type", b"application/json"), (b"allow", b"POST")],
            }
        )
        await send({"type": "http.response.body", "body": _POST_ONLY if scope["method"] != "HEAD" else b""})


_POST_ONLY = (
    b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Method Not Allowed: this stateless '
    b'server takes POST only (no GET stream, no session to DELETE)"}}'
)


class MessageShape:
    """ASGI middleware for the POST endpoints (``/mcp``, ``/messages/``): a body that is not one
    JSON-RPC message gets the JSON-RPC answer stdio gives it, not the SDK's.

    * a ``Content-Type`` other than ``application/json`` (or none): 415, as RFC 9110 §15.5.16 says
      (the SDK answered 400 with plain text for most types);
    * a JSON-RPC batch (a JSON array; MCP removed batches in 2025-06-18, and none is run, not even
      partly): 400 with an array holding one -32600 per request, with its id (one error with id
      null for ``[]``); a batch of notifications only: 202;
    * JSON that is not a message (a scalar, a wrong ``jsonrpc``, a request whose ``id`` is null or
      not a string or an integer, which the SDK took for a notification and dropped): 400 with
      one -32600 carrying the request's id (null when it has none); a malformed notification or
      response: 202;
    * a body that is not JSON, or not UTF-8: 400 with -32700 (the SDK's SSE path answered in plain
      text); a UTF-8 BOM is ignored (RFC 8259 §8.1);
    * a body over ``max_bytes``: 413, a body that does not arrive whole within
      :data:`BODY_READ_SECONDS`: 408, both with a JSON-RPC error; a client gone mid-body: nothing
      (the SDK logged a traceback).

    The checks are stdio's (:func:`~glow_models_mcp.stdio.check_message`). A valid message is passed
    on, whole, to the SDK, or answered by ``direct`` (:class:`~glow_models_mcp.stateless.DirectAnswer`,
    streamable HTTP only) when it is a plain stateless request. ``Host``/``Origin`` checks come first.
    """

    def __init__(
        self,
        app: ASGIApp,
        security: TransportSecuritySettings,
        paths: tuple[str, ...],
        max_bytes: int,
        direct: DirectAnswer | None = None,
    ) -> None:
        self.app = app
        self.paths = paths
        self.max_bytes = max_bytes
        self.direct = direct
        self._security = TransportSecurityMiddleware(security)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or _route_path(scope) not in self.paths:
            await self.app(scope, receive, send)
            return
        if await _refused(self._security, scope, receive, send):
            return
        request = Request(scope, receive)
        media, _, params = request.headers.get("content-type", "").partition(";")
        charset = next((v for k, _, v in (p.strip().partition("=") for p in params.split(";")) if k == "charset"), "")
        if media.strip().lower() != "application/json" or charset.strip('"').lower() not in ("", "utf-8", "utf8"):
            await _answer(send, 415, _UNSUPPORTED_MEDIA_TYPE)
            return
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _answer(send, 413, _too_large(self.max_bytes))
            return
        read: list[Message] = []
        size = 0
        with anyio.move_on_after(BODY_READ_SECONDS) as reading:
            while size <= self.max_bytes:
                message = await receive()
                if message["type"] == "http.disconnect":  # the client is gone: nobody to answer
                    return
                read.append(message)
                size += len(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        if reading.cancelled_caught:
            await _answer(send, 408, _BODY_TIMEOUT)
            return
        if size > self.max_bytes:
            await _answer(send, 413, _too_large(self.max_bytes))
            return
        checked = check_message(b"".join(m.get("body", b"") for m in read))
        if checked.message is not None:  # one message: to the SDK, whole (without a BOM)
            body = checked.text.encode()
            replayed = _replay([{"type": "http.request", "body": body, "more_body": False}], receive)
            stream = wants_stream(checked.message, request.headers.get("accept", ""))
            if (
                not stream
                and self.direct is not None
                and await self.direct(scope, Request(scope, replayed), checked.message, checked.text, send)
            ):
                return
            streamed = _STREAM_ANSWER.set(stream)
            try:
                await self.app(scope, replayed, send)
            finally:
                _STREAM_ANSWER.reset(streamed)
        elif not checked.replies:  # notifications and responses only: nothing to answer
            await _answer(send, 202, b"")
        else:
            answer = checked.replies if checked.batch else checked.replies[0]
            await _answer(send, 400, json.dumps(answer, separators=(",", ":")).encode())


#: Meta keys of a request that asks for messages before its result: a progress token, and the
#: 2026-07-28 per-request log level (SEP-2577). Only an event stream can carry those messages.
STREAM_META_KEYS = ("progressToken", "io.modelcontextprotocol/logLevel")

_STREAM_ANSWER: ContextVar[bool] = ContextVar("glow_stream_answer", default=False)


def wants_stream(message: Any, accept: str) -> bool:
    """Whether a request POSTed to ``/mcp`` gets its answer as an event stream rather than one
    JSON body: it carries one of :data:`STREAM_META_KEYS` in ``params._meta`` and its ``Accept``
    header names ``text/event-stream``. Every other request gets plain JSON (the cheaper answer),
    where the SDK would drop log and progress notifications.
    """
    params = getattr(message, "params", None)
    meta = params.get("_meta") if isinstance(params, dict) else None
    if not isinstance(meta, dict) or not any(key in meta for key in STREAM_META_KEYS):
        return False
    return any(part.split(";")[0].strip().lower() == "text/event-stream" for part in accept.split(","))


class _AnswerModePerRequest:
    """Mixin for the SDK's streamable HTTP session manager: ``json_response`` is read per request
    (the manager reads it when it makes each request's transport) and is False only for a request
    :func:`wants_stream` chose in :class:`MessageShape`."""

    @property
    def json_response(self) -> bool:
        return not _STREAM_ANSWER.get()

    @json_response.setter
    def json_response(self, value: bool) -> None:  # the SDK's __init__ sets it; the property decides
        pass


def _answer_mode_per_request(server: GlowServer) -> None:
    """Make the streamable HTTP app's session manager choose JSON or an event stream per request."""
    manager = server.session_manager
    manager.__class__ = type("PerRequestAnswerMode", (_AnswerModePerRequest, type(manager)), {})


#: Longest wait for a request body to arrive whole (a client sending it byte by byte is cut off).
BODY_READ_SECONDS = 30.0

_BODY_TIMEOUT = (
    b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Request Timeout: the body did not arrive within '
    + str(int(BODY_READ_SECONDS)).encode()
    + b' s"}}'
)


def _too_large(max_bytes: int) -> bytes:
    setting = Settings.model_fields["max_request_bytes"].validation_alias
    message = f"Payload Too Large: the body is over {max_bytes} bytes ({setting})"
    return json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}).encode()


_UNSUPPORTED_MEDIA_TYPE = (
    b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Unsupported Media Type: Content-Type must be '
    b'application/json"}}'
)


def _replay(read: list[Message], receive: Receive) -> Receive:
    """``receive`` that gives the messages already ``read`` first, then the rest."""
    pending = list(read)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")] if body else []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


#: The upstream counts as ready for this many seconds after it last answered (a tool call's
#: upstream request or a readiness probe), unless a request to it failed since.
READY_WINDOW_SECONDS = 30.0
#: Longest wait for the readiness probe (``GET`` of the instance root) when the last answer is stale.
READY_PROBE_SECONDS = 2.0
#: A failed probe's answer stands for this many seconds: ``/readyz`` asked again within them (by
#: a balancer, or by several at once) gets it without another probe of an upstream that is down.
READY_RECHECK_SECONDS = 5.0


class Readiness:
    """Whether the upstream answered recently: what ``/readyz`` reports.

    Ready when the upstream answered (an HTTP status below 500, to a tool call or to a probe)
    within :data:`READY_WINDOW_SECONDS` and no request to it failed since (no connection, a
    timeout, a 5xx). Otherwise one cheap probe is sent (:meth:`GlowClient.probe`: ``GET /`` of the
    instance without credentials, at most :data:`READY_PROBE_SECONDS`). Checks that arrive while a
    probe runs wait for it and share its answer; a failed probe's answer is reused for
    :data:`READY_RECHECK_SECONDS`. A busy server therefore never probes; an idle one probes at most
    once per window, a failing one at most once per recheck interval.
    """

    def __init__(self, state: AppState) -> None:
        self.state = state
        self._probed_at = -math.inf
        #: When the last probe ended (``time.monotonic()``) and why it failed (``None``: it did not).
        self._last_probe: tuple[float, str | None] = (-math.inf, None)
        self._lock: anyio.Lock | None = None

    def _fresh(self, answered_at: float, failed_at: float) -> bool:
        last = max(answered_at, self._probed_at)
        return time.monotonic() - last <= READY_WINDOW_SECONDS and failed_at < last

    async def check(self) -> str | None:
        """``None`` when ready, else why not (one line, no URL, no credential)."""
        try:
            client = self.state.client
        except ConfigurationError:
            return "the server is starting or stopping (no upstream client is open)"
        if self._fresh(client.answered_at, client.failed_at):
            return None
        asked = time.monotonic()
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if self._fresh(client.answered_at, client.failed_at):  # a concurrent check probed already
                return None
            ended, reason = self._last_probe
            if reason is not None and (ended >= asked or time.monotonic() - ended < READY_RECHECK_SECONDS):
                return reason  # a probe failed while this check waited, or just before it
            reason = await self._probe(client)
            self._last_probe = (time.monotonic(), reason)
            if reason is None:
                self._probed_at = self._last_probe[0]
            return reason

    @staticmethod
    async def _probe(client: Any) -> str | None:
        """One probe of the upstream: ``None`` when it answered below 500, else why not."""
        status: int | None = None
        with anyio.move_on_after(READY_PROBE_SECONDS):
            try:
                status = (await client.probe()).status
            except Exception as exc:  # httpx2's connect/read errors, a refused connection...
                return f"the upstream did not answer ({type(exc).__name__})"
        if status is None:
            return f"the upstream did not answer within {READY_PROBE_SECONDS:g} s"
        if status >= 500:
            return f"the upstream answered HTTP {status}"
        return None


class HealthEndpoints:
    """ASGI middleware: ``GET``/``HEAD`` ``/healthz`` and ``/readyz`` for load balancers and
    Kubernetes probes, outside the MCP paths (under the root path if one is set, with or without
    the prefix, as every path).

    * ``/healthz``: 200 ``{"status":"ok"}`` while the process serves (liveness);
    * ``/readyz``: 200 ``{"status":"ready"}`` when the upstream answered recently (see
      :class:`Readiness`), else 503 ``{"status":"not ready","reason":...}``; also 503 once the
      server is shutting down, so that a balancer stops sending to it.

    They need no bearer token (this middleware sits outside :class:`BearerTokenMiddleware`), but
    obey the same ``Host``/``Origin`` rules (421/403); other methods get 405. The answers carry no
    URL, credential or version.

    Every other path that no endpoint of the transport claims (``/mcp/``, ``/messages``, ``/nope``)
    gets the ``Host``/``Origin`` checks here too, before the router's 307 redirect or 404: a
    foreign ``Host`` is refused on every path (the endpoints check it themselves).
    """

    def __init__(
        self,
        app: ASGIApp,
        security: TransportSecuritySettings,
        state: AppState,
        in_flight: InFlight,
        endpoints: tuple[str, ...] = (MCP_PATH,),
    ) -> None:
        self.app = app
        #: The transport's own paths, whose endpoints check ``Host``/``Origin`` themselves.
        self.endpoints = frozenset(endpoints)
        self.readiness = Readiness(state)
        self.in_flight = in_flight
        self._security = TransportSecurityMiddleware(security)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = _route_path(scope) if scope["type"] == "http" else ""
        if path not in (HEALTH_PATH, READY_PATH):
            if path and path not in self.endpoints and await _refused(self._security, scope, receive, send):
                return
            await self.app(scope, receive, send)
            return
        if await _refused(self._security, scope, receive, send):
            return
        if scope["method"] not in ("GET", "HEAD"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 405,
                    "headers": [(b"content-type", b"application/json"), (b"allow", b"GET, HEAD")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"error":"use GET or HEAD"}'})
            return
        answer: dict[str, str] = {"status": "ok"}
        if path == READY_PATH:
            reason = "the server is shutting down" if self.in_flight.shutting_down else await self.readiness.check()
            answer = {"status": "ready"} if reason is None else {"status": "not ready", "reason": reason}
        body = json.dumps(answer).encode()
        status = 503 if answer["status"] == "not ready" else 200
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})


def check_http_exposure(settings: Settings) -> None:
    """Refuse unsafe HTTP exposure at start.

    Raises:
        ValueError: a non-loopback bind without ``GLOW_MCP_HTTP_TOKEN`` (unless
            ``--unsafe-allow-unauthenticated-remote``), or without explicit allowed hosts.
    """
    if settings.is_loopback:
        return
    if settings.http_token is None and not settings.unsafe_allow_unauthenticated_remote:
        raise ValueError(
            f"refusing to bind {settings.host} without GLOW_MCP_HTTP_TOKEN: anyone who can reach it could use "
            "your Glow credentials. Set GLOW_MCP_HTTP_TOKEN, bind 127.0.0.1, or pass "
            "--unsafe-allow-unauthenticated-remote."
        )
    if not settings.allowed_hosts:
        raise ValueError(
            f"binding {settings.host} needs the Host names clients will use: set GLOW_MCP_ALLOWED_HOSTS "
            "(e.g. 'mcp.example.org,mcp.example.org:*') and GLOW_MCP_ALLOWED_ORIGINS if browsers connect."
        )


def build_http_app(server: GlowServer, settings: Settings, transport: str, in_flight: InFlight | None = None) -> Any:
    """The ASGI app for ``transport`` ``"http"`` (streamable HTTP, stateless, at ``/mcp``; JSON
    responses, or an event stream for a request that asks for progress or log messages
    (:func:`wants_stream`); any other method than POST gets 405) or ``"sse"`` (``GET /sse`` + ``POST
    /messages/``), under ``settings.root_path`` if set, with DNS-rebinding protection, the
    request-body cap (413 above ``max_request_bytes``), the optional bearer token,
    case-insensitive header names and media types, and ``/healthz`` / ``/readyz``
    (:class:`HealthEndpoints`, answered without the token).
    """
    security = transport_security(settings)
    in_flight = in_flight or InFlight()
    clip_request_logs()  # the SDK's Host/Origin warnings quote the header: clipped
    if transport == "sse":
        app: Any = server.sse_app(
            sse_path=SSE_PATH,
            message_path=MESSAGES_PATH,
            transport_security=security,
            max_request_body_size=settings.max_request_bytes,
            host=settings.host,
        )
        app = MessageShape(app, security, (MESSAGES_PATH,), settings.max_request_bytes)
    else:
        app = server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            stateless_http=True,
            json_response=True,
            transport_security=security,
            max_request_body_size=settings.max_request_bytes,
            host=settings.host,
        )
        _answer_mode_per_request(server)
        app = MessageShape(app, security, (MCP_PATH,), settings.max_request_bytes, DirectAnswer(server))
        app = PostOnly(app, security, MCP_PATH)
    app = CancelOnDisconnect(app, in_flight)
    if settings.http_token is not None:  # never empty: Settings turns "" into None
        app = BearerTokenMiddleware(app, settings.http_token.get_secret_value())
    endpoints = (SSE_PATH, MESSAGES_PATH) if transport == "sse" else (MCP_PATH,)
    app = HealthEndpoints(app, security, server.state, in_flight, endpoints)  # outside the token check
    app = RootPath(app, settings.root_path)
    return NormalizeHeaders(app)


class WorkerStartError(Exception):
    """A worker process could not start (``--workers``); its error was logged on stderr."""


class PortInUseError(Exception):
    """The HTTP port is taken by another process. The message names the port, the address, and
    the variable and flag that change it."""


def bind_sockets(
    host: str,
    port: int,
    *,
    port_hint: str = "set GLOW_MCP_PORT or pass --port",
    host_hint: str = "GLOW_MCP_HOST or --host",
) -> list[socket.socket]:
    """Listening TCP sockets for ``host``:``port``, one per address ``host`` resolves to, bound
    the way asyncio's ``create_server`` binds them (what uvicorn does itself otherwise), so that
    a bind failure can be reported before anything starts.

    Raises:
        PortInUseError: the port is already in use (the message ends with ``port_hint``).
        ValueError: any other failure (the host does not resolve or is not an address of this
            machine, no permission for the port...), in one line naming the setting to change
            (``host_hint``, ``port_hint``).
    """
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise ValueError(f"cannot listen on {where}: {exc.strerror or exc}; check {host_hint}") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if os.name == "posix" and sys.platform != "cygwin":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.setblocking(False)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        if exc.errno == errno.EADDRINUSE or getattr(exc, "winerror", None) == 10048:
            raise PortInUseError(f"port {port} on {host} is already in use; {port_hint}") from None
        raise ValueError(
            f"cannot listen on {where}: {exc.strerror or exc}; check {host_hint}, or {port_hint}"
        ) from None
    return sockets


async def serve_http(server: GlowServer, settings: Settings, transport: str) -> None:
    """Serve ``transport`` over uvicorn until SIGINT/SIGTERM. Logs go to stderr, never stdout.

    The port is bound first: a port in use raises :class:`PortInUseError` (another bind failure
    ``ValueError``) before the server starts. On shutdown the calls still in flight are
    cancelled at once (their upstream requests too) and answered 503, rather than waited for and
    then killed.
    """
    import uvicorn

    check_http_exposure(settings)
    sockets = bind_sockets(settings.host, settings.port)
    try:
        in_flight = InFlight()
        app = build_http_app(server, settings, transport, in_flight)
        path = settings.root_path + (SSE_PATH if transport == "sse" else MCP_PATH)
        if transport == "sse":
            # The SSE app has no lifespan of its own: run the server's lifespan around uvicorn.
            async with server.state.open():
                await _uvicorn(uvicorn, app, settings, in_flight, path, sockets)
        else:
            await _uvicorn(uvicorn, app, settings, in_flight, path, sockets)
    finally:
        for sock in sockets:
            sock.close()


async def _uvicorn(
    uvicorn: Any, app: Any, settings: Settings, in_flight: InFlight, path: str, sockets: list[socket.socket]
) -> None:
    class _Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            for srv in getattr(self, "servers", []):
                for sock in srv.sockets:
                    host, port = sock.getsockname()[:2]
                    shown = f"[{host}]" if ":" in host else host
                    print(f"glow-models-mcp: listening on http://{shown}:{port}{path}", file=sys.stderr, flush=True)

        async def shutdown(self, sockets: Any = None) -> None:
            in_flight.cancel_all()
            await super().shutdown(sockets=sockets)

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=5,
    )
    await _Server(config).serve(sockets=sockets)


# ------------------------------------------------------------------------------------------------
# Several worker processes (--workers N, streamable HTTP only)
# ------------------------------------------------------------------------------------------------


def workers_problem(settings: Settings) -> str | None:
    """Why ``settings.workers`` cannot be used with ``settings.transport``, or ``None``.

    Only stateless streamable HTTP can be served by several processes: any worker answers any
    request. stdio is one process talking to one client; an SSE session (its ``GET /sse`` stream
    and the ``POST /messages/`` that feed it) lives in the memory of the process that opened it.
    """
    if settings.workers == 1 or settings.transport == "http":
        return None
    why = {
        "stdio": "a stdio server is one process serving the one client on its stdin/stdout",
        "sse": (
            "an SSE session (its GET /sse stream and the POST /messages/ that feed it) lives in the process that "
            "opened it, and another worker would answer 404 for it; run one process per replica behind a balancer "
            "with sticky sessions (see the README's deployment section), or use --transport http"
        ),
    }[settings.transport]
    return f"GLOW_MCP_WORKERS / --workers above 1 needs --transport http (streamable HTTP, stateless): {why}"


class WorkerApp:
    """The app factory each worker process calls (uvicorn's ``factory=True``): the worker builds
    its own :class:`GlowServer`, upstream client, lookup cache and app from ``settings``.

    It is handed to the workers pickled, through the pipe ``multiprocessing`` opens to each (the
    ``spawn`` start method): the settings, credentials included, never pass through a command
    line or an environment variable. In the worker it also sets up logging (stderr, secrets
    redacted) and cancels the calls in flight as soon as SIGINT/SIGTERM arrives (they are
    answered 503, as in a single process).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self) -> ASGIApp:
        """Build this worker's app (called once, in the worker, inside uvicorn's event loop)."""
        import logging

        from uvicorn.config import STARTUP_FAILURE

        from .logs import configure_logging
        from .server import build_server

        settings = self.settings
        configure_logging(settings.log_level, json_lines=settings.log_json, secrets=settings.secret_values())
        try:
            in_flight = InFlight()
            _cancel_in_flight_on_exit_signals(in_flight)
            app: ASGIApp = build_http_app(build_server(settings), settings, "http", in_flight)
        except Exception:
            # uvicorn's supervisor replaces a worker that dies, except one that exits with
            # STARTUP_FAILURE: then it stops, instead of restarting a broken worker forever.
            logging.getLogger(__name__).exception("a worker could not build its app")
            raise SystemExit(STARTUP_FAILURE) from None
        return app


def _cancel_in_flight_on_exit_signals(in_flight: InFlight) -> None:
    """Chain :meth:`InFlight.cancel_all` before uvicorn's SIGINT/SIGTERM handlers (installed by
    then; uvicorn restores the previous ones when it ends)."""
    import asyncio

    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            loop.call_soon_threadsafe(in_flight.cancel_all)
            previous(signum, frame)

        signal.signal(sig, handler)


#: Environment variables that hold credentials: removed from this process's environment before
#: workers start, so that no worker's environment shows them (they get the settings pickled).
_SECRET_VARIABLES = ("GLOW_API_KEY", "GLOW_TOKEN", "GLOW_MCP_HTTP_TOKEN")


def serve_workers(settings: Settings) -> int:
    """Serve streamable HTTP with ``settings.workers`` processes until SIGINT/SIGTERM; returns the
    number of the signal that stopped it.

    The port is bound and listened on here, once (so a port in use is reported before anything
    starts, and connections wait in the backlog until a worker takes them); uvicorn's supervisor
    (``uvicorn.supervisors.Multiprocess``) starts the workers with the ``spawn`` method, passes
    them the socket, restarts a worker that dies, and on SIGINT/SIGTERM sends SIGTERM to each
    and waits for all of them. Each worker builds its own server (:class:`WorkerApp`); the
    upstream they share is ``settings.instance_url`` (with ``--sandbox``, the reference API this
    process started, so that every worker reads and writes the same data).

    Raises:
        PortInUseError: the port is taken. ValueError: another bind failure, or an unsafe exposure.
        WorkerStartError: a worker could not start (uvicorn's supervisor then stops them all).
    """
    import uvicorn

    check_http_exposure(settings)
    if problem := workers_problem(settings):
        raise ValueError(problem)
    sockets = bind_sockets(settings.host, settings.port)
    try:
        for sock in sockets:
            sock.listen(2048)
        for name in _SECRET_VARIABLES:
            os.environ.pop(name, None)
        config = uvicorn.Config(
            WorkerApp(settings),
            factory=True,
            workers=settings.workers,
            log_config=None,
            access_log=False,
            log_level=settings.log_level.lower(),
            timeout_graceful_shutdown=5,
            # A worker that does not answer the supervisor's ping within this is killed and replaced;
            # uvicorn's 5 s default killed workers still importing on a loaded machine, over and over.
            timeout_worker_healthcheck=30,
        )
        for sock in sockets:
            host, port = sock.getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            where = f"http://{shown}:{port}{settings.root_path}{MCP_PATH}"
            print(f"glow-models-mcp: listening on {where} ({settings.workers} workers)", file=sys.stderr, flush=True)
        supervisor = _supervisor_class()(config, sockets)
        supervisor.run()
        if supervisor.stopped_by is None:  # it stopped by itself: a worker failed to start
            raise WorkerStartError("a worker process failed to start (its error is above); the server stopped")
        return int(supervisor.stopped_by)
    finally:
        for sock in sockets:
            sock.close()


def _supervisor_class() -> Any:
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        """uvicorn's supervisor, remembering which signal stopped it (for the exit code)."""

        stopped_by: int | None = None

        def handle_int(self) -> None:
            self.stopped_by = self.stopped_by or signal.SIGINT
            super().handle_int()

        def handle_term(self) -> None:
            self.stopped_by = self.stopped_by or signal.SIGTERM
            super().handle_term()

        def keep_subprocess_alive(self) -> None:
            """uvicorn's check, after a wait for each worker's answer in half-second slices that
            ends at a signal: uvicorn waits for one answer in a single blocking poll of up to
            ``timeout_worker_healthcheck`` (30 s), and a Ctrl-C that arrived meanwhile, its worker
            already gone, was handled only after it (the parent hung up to 30 s)."""
            if self.should_exit.is_set() or all(self._answers(process) for process in self.processes):
                return  # every worker answered, or a signal came: the run loop handles it next
            super().keep_subprocess_alive()  # uvicorn's own: kill and replace what does not answer

        def _answers(self, process: Any) -> bool:
            if not process.process.is_alive():
                return False
            deadline = time.monotonic() + self.config.timeout_worker_healthcheck
            while time.monotonic() < deadline:
                if self.signal_queue or self.should_exit.is_set() or process.ping(timeout=0.5):
                    return True
            return False

    return Supervisor
