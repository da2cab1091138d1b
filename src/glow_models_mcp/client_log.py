"""MCP logging: what the server tells the MCP client about its upstream calls (``notifications/message``).

:func:`install` declares the ``logging`` capability (by handling ``logging/setLevel``) and adds a
middleware that gives every request a :class:`ClientLog`; :func:`emit` (called from
:mod:`.upstream`) sends an event to the client of the request in progress, if its level is
wanted. Events (logger ``glow_models_mcp.upstream``, ``data`` an object with a ``message``):

========================================================  =====================================
event                                                     level
========================================================  =====================================
an upstream request answered (operation, status, time)    ``info``
a retry (the reason, the wait, the retry number)          ``warning``
a slow request (over ``GLOW_MCP_SLOW_CALL_SECONDS``)      ``warning``
a failure: 5xx, 401/403, no answer, unusable answer       ``error``
a failure: 429                                            ``warning``
a failure: any other 4xx (the tool error says it all)     ``notice``
========================================================  =====================================

**Who receives what.**

* Handshake era (2024-11-05 ... 2025-11-25): the level the connection set with
  ``logging/setLevel`` and above; **``warning`` and above** until it sets one. The level lives as
  long as the connection: the stdio process, an SSE (``/sse``) session. On stateless streamable
  HTTP every POST is a new connection, so a ``logging/setLevel`` there is answered and forgotten.
* 2026-07-28: ``logging/setLevel`` no longer exists; a request opts in with ``_meta``
  ``io.modelcontextprotocol/logLevel`` (the SDK client's ``log_level=``) and gets that level and
  above; without it the spec forbids sending any (nothing is sent).

**Which transports carry them.** A notification rides the stream of the request it belongs to:
stdio, the SSE transport's event stream, and streamable HTTP only in SSE response mode. Our
``/mcp`` endpoint answers with plain JSON, where the SDK drops notifications, except for a request
that opted in to log messages (2026-07-28 ``_meta`` log level) or carries a progress token and
accepts ``text/event-stream``: that one gets an event stream
(:func:`glow_models_mcp.http_app.wants_stream`). A handshake-era client over that stateless
endpoint cannot keep a level (no session) and gets messages only with a progress token; stdio and
the SSE transport (``--transport sse``) carry them for every client.

Sent without the SDK's deprecated helpers (``ctx.info``, ``ctx.log``, ``session.send_log_message``
emit ``MCPDeprecationWarning`` under SEP-2577): the notification goes through
``ServerSession.send_notification`` with the request's id, and the SDK's own per-request gate
(:func:`mcp.server.connection.allowed_log_levels`) decides the 2026-07-28 case.

No secret is ever sent: every string in an event is scrubbed of ``Settings.secret_values()``
(the texts are already built without credentials; this is the second line of defence).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, get_args

from mcp.server.connection import allowed_log_levels
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import (
    EmptyResult,
    LoggingLevel,
    LoggingMessageNotification,
    LoggingMessageNotificationParams,
    SetLevelRequestParams,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from .settings import REDACTED

logger = logging.getLogger("glow_models_mcp.client_log")

#: The levels, least severe first (the order of the spec's ``LoggingLevel``: RFC 5424).
LEVELS: tuple[LoggingLevel, ...] = get_args(LoggingLevel)
#: What a handshake-era client that never sent ``logging/setLevel`` receives: this and above.
DEFAULT_LEVEL: LoggingLevel = "warning"
#: The ``logger`` field of every notification.
LOGGER = "glow_models_mcp.upstream"
#: Where a connection's level is kept (``Connection.state``: per-connection scratch state).
_STATE_KEY = "glow_models_mcp.log_level"


def _at_least(level: LoggingLevel) -> frozenset[LoggingLevel]:
    return frozenset(LEVELS[LEVELS.index(level) :])


def _connection_state(ctx: ServerRequestContext[Any, Any]) -> dict[str, Any] | None:
    # The SDK keeps per-connection state on ``Connection.state`` but hands handlers only the
    # per-request ``ServerSession`` proxy, whose connection attribute is private (mcp 2.3).
    connection = getattr(ctx.session, "_connection", None)
    state = getattr(connection, "state", None)
    return state if isinstance(state, dict) else None


def wanted_levels(ctx: ServerRequestContext[Any, Any]) -> frozenset[LoggingLevel]:
    """The levels the client of request ``ctx`` receives (see the module docstring)."""
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        return allowed_log_levels(ctx.protocol_version, ctx.meta)
    state = _connection_state(ctx) or {}
    level = state.get(_STATE_KEY, DEFAULT_LEVEL)
    return _at_least(level if level in LEVELS else DEFAULT_LEVEL)


@dataclass(frozen=True)
class ClientLog:
    """Where the events of one request go: its session and id, the levels its client wants, and
    the secrets to scrub."""

    ctx: ServerRequestContext[Any, Any]
    levels: frozenset[LoggingLevel]
    secrets: tuple[str, ...]

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self.secrets:
                value = value.replace(secret, REDACTED)
        return value

    async def send(self, level: LoggingLevel, message: str, fields: dict[str, Any]) -> None:
        """Send one ``notifications/message`` if ``level`` is wanted; never raises (a client that
        went away loses the message, not the call)."""
        if level not in self.levels:
            return
        data = {"message": self._scrub(message), **{k: self._scrub(v) for k, v in fields.items()}}
        name = (self.ctx.params or {}).get("name") if self.ctx.method == "tools/call" else None
        if isinstance(name, str):
            data["tool"] = self._scrub(name)
        notification = LoggingMessageNotification(
            params=LoggingMessageNotificationParams(level=level, logger=LOGGER, data=data)
        )
        try:
            await self.ctx.session.send_notification(notification, related_request_id=self.ctx.request_id)
        except Exception as exc:  # a closed stream, a client gone: the call goes on
            logger.debug("notifications/message not sent: %s", type(exc).__name__)


_current: ContextVar[ClientLog | None] = ContextVar("glow_models_mcp_client_log", default=None)


async def emit(level: LoggingLevel, message: str, **fields: Any) -> None:
    """Tell the client of the request in progress (if any, and if it wants ``level``) ``message``
    with ``fields`` (JSON values, e.g. ``operation="get"``, ``status=503``)."""
    log = _current.get()
    if log is not None and level in log.levels:
        await log.send(level, message, fields)


class ClientLogMiddleware:
    """Server middleware: each request's handler runs with its :class:`ClientLog` current."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = tuple(secrets)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.request_id is None:  # a notification: no response stream to carry a message
            return await call_next(ctx)
        token = _current.set(ClientLog(ctx, wanted_levels(ctx), self.secrets))
        try:
            return await call_next(ctx)
        finally:
            _current.reset(token)


async def set_level(ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams) -> EmptyResult:
    """``logging/setLevel``: keep the level for the rest of the connection (handshake era)."""
    state = _connection_state(ctx)
    if state is not None:
        state[_STATE_KEY] = params.level
    return EmptyResult()


def install(server: Any, secrets: list[str]) -> None:
    """Declare the ``logging`` capability on ``server`` (an ``MCPServer``), handle
    ``logging/setLevel``, and route :func:`emit` to each request's client."""
    # MCPServer has no public way to add a spec request handler; the SDK's docs point to the
    # low-level Server.add_request_handler for logging/setLevel (mcp/server/extension.py).
    server._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)
    server.middleware.append(ClientLogMiddleware(secrets))
