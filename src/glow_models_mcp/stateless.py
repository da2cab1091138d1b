"""Answer one stateless streamable-HTTP request in its own ASGI task, through the SDK's request kernel.

For every handshake-era request (protocol 2025-11-25 and older, or no ``MCP-Protocol-Version``
header) the SDK's stateless path builds a whole connection: a transport with memory streams, a
JSON-RPC dispatcher, a task in the session manager's task group, a message router; then tears it
all down, to run one request through ``ServerRunner.on_request`` and write its answer. That was the
largest share of a call's cost over HTTP (BENCHMARKS.md, issue 13). A 2026-07-28 request already
runs in its own task, but behind Starlette's routing, a second ``Host`` check, a second parse of
the body, and a model dump of the whole result before ``json.dumps``.

:class:`DirectAnswer` runs the same request through the same kernel (``mcp.server.runner.serve_one``:
the server's middleware, the protocol-version surface checks, the handler, the result's wire
serialization) with the connection the SDK makes for it, and writes the answer the SDK writes:

* **handshake era**: a born-ready ``Connection`` without client info; HTTP 200 for results and
  errors alike; the JSON-RPC message serialized as the SDK's transport does (``by_alias=True,
  exclude_unset=True``); an exception mapped as the SDK's dispatcher maps it (``MCPError`` to its
  error, a pydantic ``ValidationError`` to -32602, anything else logged and answered with code 0
  and its text); notifications dropped (a JSON answer carries only the response), a
  server-to-client request refused with ``NoBackChannelError``;
* **2026-07-28**: the SDK's single-exchange steps with its own functions (duplicated routing
  headers, the envelope classifier, the ``Mcp-Param-*`` check, the envelope's connection, the
  error-to-HTTP-status table); the result's body is what the SDK's ``_write`` makes of it
  (``json.dumps``' bytes, written by orjson where they are the same:
  :func:`~glow_models_mcp.results.ascii_json`). The ``Mcp-Param-*`` check is skipped for a tool
  whose input schema declares no ``x-mcp-header`` (none of ours does), where it compares nothing
  but walks the whole schema twice per call.

It takes only the plain case and leaves everything else to the SDK, unchanged: ``initialize``, a
request that gets an event stream (:func:`~glow_models_mcp.http_app.wants_stream`), an ``Accept``
header without JSON (the SDK answers 406), ``subscriptions/listen``, a protocol version nobody
serves, and any request while the session manager is not running. ``tests/test_stateless.py``
sends the same requests, in every protocol era, through both paths and compares status, headers
and body byte for byte.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pydantic_core
from mcp.server import _streamable_http_modern as modern
from mcp.server.connection import Connection
from mcp.server.runner import modern_error_data, serve_one
from mcp.server.streamable_http import check_accept_headers
from mcp.shared.inbound import (
    MCP_PROTOCOL_VERSION_HEADER,
    InboundLadderRejection,
    classify_inbound_request,
    find_duplicated_routing_header,
    x_mcp_header_map,
)
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data, progress_token_from_params
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import (
    DEFAULT_NEGOTIATED_VERSION,
    HEADER_MISMATCH,
    INTERNAL_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCRequest,
    JSONRPCResponse,
)
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.types import Scope, Send

from .results import ascii_json
from .server import GlowServer

logger = logging.getLogger("glow_models_mcp.stateless")

_VERSION_HEADER = MCP_PROTOCOL_VERSION_HEADER.lower().encode("ascii")

#: The transport the SDK's stateless path describes to handlers (no headers, no back channel).
_TRANSPORT = TransportContext(kind="streamable-http", can_send_request=False)


class DirectAnswer:
    """Answers a plain stateless request POSTed to ``/mcp`` (handshake era or 2026-07-28) in its
    own task (see the module docstring for what is plain and what the SDK keeps).

    ``server``: the built :class:`~glow_models_mcp.server.GlowServer` whose streamable HTTP app is
    served (its session manager supplies the lifespan state and says whether it is running).
    """

    def __init__(self, server: GlowServer) -> None:
        self.server = server
        #: tool name -> (its input schema, whether it declares ``x-mcp-header`` annotations)
        self._declares_headers: dict[str, tuple[object, bool]] = {}

    def _may_reject_params(self, message: JSONRPCRequest) -> bool:
        """Whether the SDK's ``Mcp-Param-*`` check could reject ``message``: ``False`` only for a
        ``tools/call`` of a known tool whose input schema declares no ``x-mcp-header``, where the
        check compares nothing (it walks the schema twice per call to find that out). The answer
        is kept per tool while the tool keeps the same schema object; unknown names are not kept."""
        lookup = self.server._lowlevel_server.get_tool_input_schema
        name = (message.params or {}).get("name")
        if message.method != "tools/call" or lookup is None or not isinstance(name, str):
            return True
        kept = self._declares_headers.get(name)
        schema = lookup(name)
        if kept is None or kept[0] is not schema:
            if schema is None:
                return True
            kept = (schema, bool(x_mcp_header_map(schema)))
            self._declares_headers[name] = kept
        return kept[1]

    def version(self, scope: Scope) -> str | None:
        """The ``MCP-Protocol-Version`` header of a request (the first one, as the SDK reads it),
        or the spec's default version where there is none."""
        value = next((v for k, v in scope["headers"] if k == _VERSION_HEADER), None)
        return DEFAULT_NEGOTIATED_VERSION if value is None else value.decode("latin-1")

    async def __call__(self, scope: Scope, request: Request, message: Any, text: str, send: Send) -> bool:
        """Answer ``message`` (one validated JSON-RPC message, ``text`` its JSON) if it is a plain
        request; return whether it was answered (``False``: nothing was sent, pass the request to
        the SDK)."""
        if not isinstance(message, JSONRPCRequest) or message.method == "initialize":
            return False
        manager = self.server.session_manager
        if manager._task_group is None:  # not running: the SDK answers (and says why)
            return False
        if not check_accept_headers(request)[0]:  # no JSON: the SDK answers 406
            return False
        version = self.version(scope)
        if version in HANDSHAKE_PROTOCOL_VERSIONS:
            await self._handshake_era(request, message, version, manager._lifespan_state, send)
            return True
        if version in MODERN_PROTOCOL_VERSIONS and message.method != "subscriptions/listen":
            await self._modern(scope, request, message, text, manager._lifespan_state, send)
            return True
        return False  # a version nobody serves: the SDK's classifier says so

    async def _handshake_era(
        self, request: Request, message: JSONRPCRequest, version: str, lifespan_state: Any, send: Send
    ) -> None:
        """The SDK's stateless handshake-era answer: a born-ready connection without client
        info, HTTP 200 for results and errors alike, ``exclude_unset`` serialization, and the
        dispatcher's exception mapping (code 0 for an unexpected exception); an answer that cannot
        be written (a lone surrogate in a string) gets the transport's 500 with -32603."""
        request_id = message.id
        try:
            result = await serve_one(
                self.server._lowlevel_server,
                # The SDK's own single-exchange context without a stream: notifications and
                # progress dropped (a JSON answer carries only the response), requests refused.
                modern._SingleExchangeDispatchContext(
                    transport=_TRANSPORT,
                    request_id=request_id,
                    message_metadata=ServerMessageMetadata(request_context=request, can_send_request=False),
                ),
                message.method,
                message.params,
                connection=Connection.from_envelope(version, None, None),
                lifespan_state=lifespan_state,
            )
        except Exception as exc:
            error = handler_exception_to_error_data(exc)
            if error is None:
                logger.exception("handler for %r raised", message.method)
                error = ErrorData(code=0, message=str(exc))
            write = JSONRPCError(jsonrpc="2.0", id=request_id, error=error).model_dump_json
            try:
                body = write(by_alias=True, exclude_unset=True).encode()
            except pydantic_core.PydanticSerializationError:
                await _unwritable(send)
                return
            await _answer(send, 200, body)
            return
        # inf_nan_mode="null": a NaN or infinite float (a JSON-mode dump keeps them in fields typed
        # ``float``) is written ``null``, as the SDK's dump of the response's ``dict[str, Any]`` writes it.
        response = {"jsonrpc": "2.0", "id": request_id, "result": result}
        try:
            body = pydantic_core.to_json(response, inf_nan_mode="null")
        except pydantic_core.PydanticSerializationError:
            await _unwritable(send)
            return
        await _answer(send, 200, body)

    async def _modern(
        self, scope: Scope, request: Request, message: JSONRPCRequest, text: str, lifespan_state: Any, send: Send
    ) -> None:
        """The SDK's 2026-07-28 single-exchange answer (``handle_modern_request`` in JSON mode),
        step by step with its own functions: duplicated routing headers, the envelope classifier,
        the ``Mcp-Param-*`` check, then the request with the envelope's connection; a rejection or
        an error with its table-mapped HTTP status."""
        receive = request.receive
        duplicated = find_duplicated_routing_header(request.headers.items())
        if duplicated is not None:
            rejection = InboundLadderRejection(
                code=HEADER_MISMATCH, message=f"{duplicated} header appears more than once"
            )
            await modern._write_rejection(rejection, message.id, scope, receive, send)
            return
        verdict = classify_inbound_request(json.loads(text), headers=dict(request.headers))
        if isinstance(verdict, InboundLadderRejection):
            await modern._write_rejection(verdict, message.id, scope, receive, send)
            return
        app = self.server._lowlevel_server
        param_rejection = (
            await modern._mcp_param_rejection(app, request, message, verdict, lifespan_state)
            if self._may_reject_params(message)
            else None
        )
        if param_rejection is not None:
            await modern._write_rejection(param_rejection, message.id, scope, receive, send)
            return
        dctx = modern._SingleExchangeDispatchContext(
            transport=TransportContext(kind="streamable-http", can_send_request=False, headers=request.headers),
            request_id=message.id,
            message_metadata=ServerMessageMetadata(request_context=request),
            progress_token=progress_token_from_params(message.params),
        )
        connection = Connection.from_envelope(
            verdict.protocol_version, verdict.client_info, verdict.client_capabilities
        )
        try:
            result = await serve_one(
                app, dctx, message.method, message.params, connection=connection, lifespan_state=lifespan_state
            )
        except Exception as exc:
            error = JSONRPCError(jsonrpc="2.0", id=message.id, error=modern_error_data(exc))
            await modern._write(error, scope, receive, send)
            return
        # What the SDK's ``_write`` makes of the response (``model_dump`` leaves the result dict,
        # a JSON-mode dump, as it is), without building and dumping the response model.
        try:
            body = ascii_json({"jsonrpc": "2.0", "id": message.id, "result": result})
        except TypeError:  # a value that is not JSON (a middleware's datetime, say): the SDK renders it
            await modern._write(JSONRPCResponse(jsonrpc="2.0", id=message.id, result=result), scope, receive, send)
            return
        await _answer(send, 200, body)


#: What the SDK's handshake-era transport answers when it cannot write a message (a lone surrogate
#: in a string, which UTF-8 cannot carry): its catch-all error response.
_UNWRITABLE = (
    JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=INTERNAL_ERROR, message="Error handling POST request"))
    .model_dump_json(by_alias=True, exclude_unset=True)
    .encode()
)


async def _unwritable(send: Send) -> None:
    """Answer as the SDK's transport does when the answer cannot be serialized (500, -32603)."""
    logger.exception("Error handling POST request")
    await _answer(send, 500, _UNWRITABLE)


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
