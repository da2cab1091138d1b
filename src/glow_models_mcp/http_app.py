"""HTTP transports: streamable HTTP (stateless, JSON responses, ``/mcp``) and SSE (``/sse`` +
``/messages/``) as ASGI apps, with DNS-rebinding protection, a request-body cap, an optional bearer
token, cancellation on client disconnect, and the uvicorn runner.
"""

from __future__ import annotations

import hmac
from typing import Any

import anyio
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .server import GlowServer
from .settings import Settings

# ------------------------------------------------------------------------------------------------

_LOOPBACK_HOSTS = ["127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*"]
_LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection for every bind: a foreign ``Host`` gets 421, a foreign ``Origin`` 403.

    Loopback binds allow the loopback names (with or without a port) plus any configured extras;
    other binds allow exactly ``GLOW_MCP_ALLOWED_HOSTS`` / ``GLOW_MCP_ALLOWED_ORIGINS``.
    """
    hosts = list(settings.allowed_hosts)
    origins = list(settings.allowed_origins)
    if settings.is_loopback:
        hosts += _LOOPBACK_HOSTS
        origins += _LOOPBACK_ORIGINS
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


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
            if name == b"authorization":
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


_SHUTTING_DOWN = b'{"error":"the MCP server is shutting down; retry against a running instance"}'


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
        body_read = anyio.Event()
        disconnected = anyio.Event()
        started = answered = False

        async def app_receive() -> Message:
            if body_read.is_set():
                await disconnected.wait()
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected.set()
            elif not message.get("more_body", False):
                body_read.set()
            return message

        async def app_send(message: Message) -> None:
            nonlocal started, answered
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True
            await send(message)

        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                await body_read.wait()
                while (await receive())["type"] != "http.disconnect":
                    pass
                disconnected.set()
                if not answered:
                    tg.cancel_scope.cancel()

            self.in_flight.scopes.add(tg.cancel_scope)
            try:
                tg.start_soon(watch)
                await self.app(scope, app_receive, app_send)
                tg.cancel_scope.cancel()
            finally:
                self.in_flight.scopes.discard(tg.cancel_scope)
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
    """The ASGI app for ``transport`` ``"http"`` (streamable HTTP, stateless, JSON responses, at
    ``/mcp``) or ``"sse"`` (``GET /sse`` + ``POST /messages/``), with DNS-rebinding protection, the
    request-body cap (413 above ``max_request_bytes``) and the optional bearer token.
    """
    security = transport_security(settings)
    if transport == "sse":
        app: Any = server.sse_app(
            transport_security=security, max_request_body_size=settings.max_request_bytes, host=settings.host
        )
    else:
        app = server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            transport_security=security,
            max_request_body_size=settings.max_request_bytes,
            host=settings.host,
        )
    app = CancelOnDisconnect(app, in_flight)
    if settings.http_token is not None:  # never empty: Settings turns "" into None
        app = BearerTokenMiddleware(app, settings.http_token.get_secret_value())
    return app


async def serve_http(server: GlowServer, settings: Settings, transport: str) -> None:
    """Serve ``transport`` over uvicorn until SIGINT/SIGTERM. Logs go to stderr, never stdout.

    On shutdown the calls still in flight are cancelled at once (their upstream requests too) and
    answered 503, rather than waited for and then killed.
    """
    import uvicorn

    check_http_exposure(settings)
    in_flight = InFlight()
    app = build_http_app(server, settings, transport, in_flight)
    if transport == "sse":
        # The SSE app has no lifespan of its own: run the server's lifespan around uvicorn.
        async with server.state.open():
            await _uvicorn(uvicorn, app, settings, in_flight, "/sse")
    else:
        await _uvicorn(uvicorn, app, settings, in_flight, "/mcp")


async def _uvicorn(uvicorn: Any, app: Any, settings: Settings, in_flight: InFlight, path: str) -> None:
    import sys

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
    await _Server(config).serve()
