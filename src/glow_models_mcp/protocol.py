"""What goes on the wire, per negotiated protocol version, and which JSON-RPC code each failure gets.

:func:`install` adds one middleware (:class:`ProtocolPolicy`) to an ``MCPServer``. It runs for
every request on every transport (stdio, SSE, streamable HTTP stateless or not, the in-process
``Client``), inside the SDK's own middleware, and does two things. It names no tool, resource or
prompt of this package: everything it checks comes from the server's own listings.

**1. Results carry only what the negotiated version defines.** The SDK validates every result
against its 2025-11-25 wire surface for all four handshake-era versions, so a 2025-03-26 client
is sent ``resource_link`` blocks, ``structuredContent``, ``outputSchema`` and ``title`` fields
that its schema does not have (the TypeScript SDK 1.11 client throws on the unknown content
type). :func:`shape_result` sieves results for 2024-11-05, 2025-03-26 and 2025-06-18 with the
field lists of each version's ``schema.json``/``schema.ts`` (in :data:`_FIELDS`); 2025-11-25 and
2026-07-28 results are left as the SDK serialized them (its surfaces for those are exact).

* A content block type the version does not define becomes a text block that says what it was:
  a ``resource_link`` says its URI and to read it with ``resources/read``.
* ``structuredContent`` is dropped where undefined; if no text block already holds its JSON, a
  text block with the JSON is added, so the text still says everything.
* ``title`` (Tool, Resource, ResourceTemplate, Prompt, PromptArgument, Implementation),
  ``outputSchema``, ``_meta`` on definitions and content, tool ``annotations`` (before
  2025-03-26), ``annotations.lastModified`` and the ``completions`` capability (before
  2025-03-26) are dropped where undefined; on 2025-03-26 a tool's ``title`` moves to
  ``annotations.title``, which that version defines.

The negotiated version is ``ctx.protocol_version`` (the connection's, or the request's
``params._meta`` version in the 2026-07-28 era, or the ``MCP-Protocol-Version`` header on
stateless HTTP); for ``initialize`` it is the ``protocolVersion`` of the result itself.

**2. Every failure gets the spec's JSON-RPC code** (checked before the handler runs, from the
server's own listings):

===========================================================  ==========================================
request                                                      answer
===========================================================  ==========================================
unknown method                                               -32601 (SDK)
malformed params (wrong type, missing ``name``/``uri``)      -32602, naming the field(s)
``cursor`` on any ``*/list`` (this server never issues one)  -32602
``tools/call`` of an unknown tool                            -32602 ``Unknown tool: X``
``tools/call`` with invalid arguments, upstream failures     result with ``isError: true`` (SEP-1303)
``prompts/get`` unknown prompt / missing, unknown or         -32602
non-string argument
``completion/complete`` for an unknown prompt or template,   -32602
or an argument the prompt/template does not have
``resources/read`` of a URI no resource or template         -32602 (SEP-2164), ``data.uri``
matches, a malformed id, an upload that does not exist
``resources/read`` that fails upstream or is over a limit    -32603 with the actionable text, ``data.uri``
any unexpected exception (a bug)                             -32603, generic text; traceback logged at ERROR
===========================================================  ==========================================

Before this middleware, the SDK answered prompt failures with code ``0`` and the exception text,
logging a traceback even for a client's typo; it answered an unknown tool with an ``isError``
result, while every spec version lists unknown tools under protocol errors (-32602).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pydantic
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS
from mcp_types.version import is_version_at_least

logger = logging.getLogger("glow_models_mcp.protocol")

V2024_11_05 = "2024-11-05"
V2025_03_26 = "2025-03-26"
V2025_06_18 = "2025-06-18"

#: Versions whose results are sieved here: older than the SDK's oldest own wire surface (2025-11-25).
SHAPED_VERSIONS: tuple[str, ...] = (V2024_11_05, V2025_03_26, V2025_06_18)

#: The fields each object kind has, as (first version, fields added then) steps, from the spec's
#: schema files (schema/2024-11-05/schema.json, schema/2025-03-26/schema.json,
#: schema/2025-06-18/schema.ts). A kind absent before its first step is not defined there.
_FIELDS: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "Tool": (
        (V2024_11_05, frozenset({"name", "description", "inputSchema"})),
        (V2025_03_26, frozenset({"annotations"})),
        (V2025_06_18, frozenset({"title", "outputSchema", "_meta"})),
    ),
    "ToolAnnotations": (
        (V2025_03_26, frozenset({"title", "readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"})),
    ),
    "Resource": (
        (V2024_11_05, frozenset({"uri", "name", "description", "mimeType", "size", "annotations"})),
        (V2025_06_18, frozenset({"title", "_meta"})),
    ),
    "ResourceTemplate": (
        (V2024_11_05, frozenset({"uriTemplate", "name", "description", "mimeType", "annotations"})),
        (V2025_06_18, frozenset({"title", "_meta"})),
    ),
    "ResourceContents": (
        (V2024_11_05, frozenset({"uri", "mimeType", "text", "blob"})),
        (V2025_06_18, frozenset({"_meta"})),
    ),
    "Prompt": (
        (V2024_11_05, frozenset({"name", "description", "arguments"})),
        (V2025_06_18, frozenset({"title", "_meta"})),
    ),
    "PromptArgument": (
        (V2024_11_05, frozenset({"name", "description", "required"})),
        (V2025_06_18, frozenset({"title"})),
    ),
    "Implementation": (
        (V2024_11_05, frozenset({"name", "version"})),
        (V2025_06_18, frozenset({"title"})),
    ),
    "ServerCapabilities": (
        (V2024_11_05, frozenset({"experimental", "logging", "prompts", "resources", "tools"})),
        (V2025_03_26, frozenset({"completions"})),
    ),
    "Annotations": (
        (V2024_11_05, frozenset({"audience", "priority"})),
        (V2025_06_18, frozenset({"lastModified"})),
    ),
    "CallToolResult": (
        (V2024_11_05, frozenset({"content", "isError", "_meta"})),
        (V2025_06_18, frozenset({"structuredContent"})),
    ),
    "TextContent": (
        (V2024_11_05, frozenset({"type", "text", "annotations"})),
        (V2025_06_18, frozenset({"_meta"})),
    ),
    "ImageContent": (
        (V2024_11_05, frozenset({"type", "data", "mimeType", "annotations"})),
        (V2025_06_18, frozenset({"_meta"})),
    ),
    "AudioContent": (
        (V2025_03_26, frozenset({"type", "data", "mimeType", "annotations"})),
        (V2025_06_18, frozenset({"_meta"})),
    ),
    "EmbeddedResource": (
        (V2024_11_05, frozenset({"type", "resource", "annotations"})),
        (V2025_06_18, frozenset({"_meta"})),
    ),
    "ResourceLink": (
        (
            V2025_06_18,
            frozenset({"type", "uri", "name", "title", "description", "mimeType", "size", "annotations", "_meta"}),
        ),
    ),
}

_CONTENT_KINDS = {
    "text": "TextContent",
    "image": "ImageContent",
    "audio": "AudioContent",
    "resource": "EmbeddedResource",
    "resource_link": "ResourceLink",
}


def _build_allowed() -> dict[tuple[str, str], frozenset[str] | None]:
    table: dict[tuple[str, str], frozenset[str] | None] = {}
    for kind, steps in _FIELDS.items():
        for version in SHAPED_VERSIONS:
            keys: frozenset[str] | None = None
            for since, added in steps:
                if is_version_at_least(version, since):
                    keys = (keys or frozenset()) | added
            table[kind, version] = keys
    return table


#: ``(kind, version) -> fields``, or ``None`` where the version does not define the kind.
_ALLOWED = _build_allowed()


def defines(kind: str, version: str) -> frozenset[str] | None:
    """The fields object ``kind`` (e.g. ``"Tool"``) has in ``version``; ``None`` if the version
    does not define it. Only for :data:`SHAPED_VERSIONS`."""
    return _ALLOWED[kind, version]


# ------------------------------------------------------------------------------------------------
# Results per version
# ------------------------------------------------------------------------------------------------


def _pick(obj: Any, kind: str, version: str) -> Any:
    if not isinstance(obj, dict):
        return obj
    keys = _ALLOWED[kind, version] or frozenset()
    return {k: v for k, v in obj.items() if k in keys}


def _annotated(obj: dict[str, Any], version: str) -> dict[str, Any]:
    if isinstance(obj.get("annotations"), dict):
        obj["annotations"] = _pick(obj["annotations"], "Annotations", version)
    return obj


def _link_text(block: Mapping[str, Any]) -> str:
    uri = block.get("uri", "")
    details = [
        str(v)
        for v in (block.get("title") or block.get("name"), block.get("mimeType"), block.get("description"))
        if v and v != uri
    ]
    about = f" ({'; '.join(details)})" if details else ""
    return f"Linked resource {uri}{about}. Read it with resources/read and this URI."


def _content(block: Any, version: str) -> Any:
    """One content block as ``version`` defines it, or a text block describing it."""
    if not isinstance(block, dict):
        return block
    kind = _CONTENT_KINDS.get(str(block.get("type")))
    if kind is None or _ALLOWED[kind, version] is None:
        if block.get("type") == "resource_link":
            text = _link_text(block)
        else:
            mime = f" ({block['mimeType']})" if block.get("mimeType") else ""
            text = f"[{block.get('type')} content{mime} left out: protocol version {version} does not define it]"
        return {"type": "text", "text": text}
    out = _annotated(_pick(block, kind, version), version)
    if kind == "EmbeddedResource" and isinstance(out.get("resource"), dict):
        out["resource"] = _pick(out["resource"], "ResourceContents", version)
    return out


def _carries(content: Iterable[Any], data: Any) -> bool:
    """Whether a text block of ``content`` already holds ``data`` as JSON (compact or indented)."""
    forms = {
        json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        json.dumps(data, indent=2, ensure_ascii=False),
    }
    texts = [b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"]
    return any(form in text for form in forms for text in texts)


def _call_tool_result(result: dict[str, Any], version: str) -> dict[str, Any]:
    out = _pick(result, "CallToolResult", version)
    content = [_content(b, version) for b in result.get("content") or []]
    structured = result.get("structuredContent")
    if "structuredContent" not in out and structured is not None and not _carries(content, structured):
        content.append({"type": "text", "text": json.dumps(structured, separators=(",", ":"), ensure_ascii=False)})
    out["content"] = content
    return out


def _tool(tool: Any, version: str) -> Any:
    if not isinstance(tool, dict):
        return tool
    out = _pick(tool, "Tool", version)
    if isinstance(out.get("annotations"), dict):
        out["annotations"] = _pick(out["annotations"], "ToolAnnotations", version)
    if tool.get("title") and "title" not in out and _ALLOWED["ToolAnnotations", version] is not None:
        # 2025-03-26 has no Tool.title but has annotations.title (a display name of lower precedence).
        annotations = dict(out.get("annotations") or {})
        annotations.setdefault("title", tool["title"])
        out["annotations"] = annotations
    return out


def _prompt(prompt: Any, version: str) -> Any:
    out = _pick(prompt, "Prompt", version)
    if isinstance(out, dict) and isinstance(out.get("arguments"), list):
        out["arguments"] = [_pick(a, "PromptArgument", version) for a in out["arguments"]]
    return out


def _map(result: dict[str, Any], key: str, fn: Any) -> dict[str, Any]:
    if isinstance(result.get(key), list):
        result = dict(result)
        result[key] = [fn(item) for item in result[key]]
    return result


def shape_result(method: str, version: str, result: dict[str, Any]) -> dict[str, Any]:
    """``result`` (the wire dict of ``method``) with only what protocol ``version`` defines.

    Results of versions outside :data:`SHAPED_VERSIONS` (2025-11-25, 2026-07-28) are returned
    unchanged; so are results of methods whose shape no shaped version changes (completion,
    ping, empty results). For ``initialize`` the version is the result's ``protocolVersion``.
    """
    if method == "initialize":
        version = str(result.get("protocolVersion", version))
    if version not in SHAPED_VERSIONS:
        return result
    if method == "initialize":
        out = dict(result)
        if isinstance(out.get("serverInfo"), dict):
            out["serverInfo"] = _pick(out["serverInfo"], "Implementation", version)
        if isinstance(out.get("capabilities"), dict):
            out["capabilities"] = _pick(out["capabilities"], "ServerCapabilities", version)
        return out
    if method == "tools/list":
        return _map(result, "tools", lambda t: _tool(t, version))
    if method == "tools/call":
        return _call_tool_result(result, version)
    if method == "resources/list":
        return _map(result, "resources", lambda r: _annotated(_pick(r, "Resource", version), version))
    if method == "resources/templates/list":
        return _map(result, "resourceTemplates", lambda r: _annotated(_pick(r, "ResourceTemplate", version), version))
    if method == "resources/read":
        return _map(result, "contents", lambda c: _pick(c, "ResourceContents", version))
    if method == "prompts/list":
        return _map(result, "prompts", lambda p: _prompt(p, version))
    if method == "prompts/get":
        return _map(
            result,
            "messages",
            lambda m: {**m, "content": _content(m.get("content"), version)} if isinstance(m, dict) else m,
        )
    return result


# ------------------------------------------------------------------------------------------------
# Error codes
# ------------------------------------------------------------------------------------------------

_LIST_METHODS = frozenset({"tools/list", "resources/list", "resources/templates/list", "prompts/list"})
_TEMPLATE_VAR = re.compile(r"\{[+#./;?&]?([^}]*)\}")


def invalid_params(message: str, **data: Any) -> MCPError:
    """A JSON-RPC -32602 (Invalid params) error with ``message`` and ``data`` (if any)."""
    return MCPError(code=INVALID_PARAMS, message=message, data=data or None)


def template_variables(uri_template: str) -> list[str]:
    """The variable names of an RFC 6570 template (``{a}``, ``{?b,c}``, ``{+d*}``, ``{e:3}``)."""
    names: list[str] = []
    for group in _TEMPLATE_VAR.findall(uri_template):
        for part in group.split(","):
            name = part.strip().rstrip("*").split(":", 1)[0]
            if name:
                names.append(name)
    return names


def _params_error(method: str, exc: pydantic.ValidationError) -> MCPError:
    fields = []
    for err in exc.errors(include_url=False, include_input=False)[:10]:
        loc = ".".join(str(p)[:60] for p in err["loc"]) or "(params)"
        fields.append(f"{loc}: {err['msg']}")
    return invalid_params(f"Invalid params for {method}: {'; '.join(fields)}", fields=fields)


def _names(items: Iterable[Any]) -> list[str]:
    return sorted(str(getattr(i, "name", "")) for i in items)


class ProtocolPolicy:
    """The middleware :func:`install` adds: request checks with the spec's error codes, results
    shaped for the negotiated version, and no exception text or code ``0`` on the wire."""

    def __init__(self, server: MCPServer[Any]) -> None:
        self.server = server
        self._tool_names: frozenset[str] = frozenset()

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.request_id is None:  # a notification: nothing to answer
            return await call_next(ctx)
        method = ctx.method
        try:
            await self.check(method, ctx.params if isinstance(ctx.params, Mapping) else {})
            result = await call_next(ctx)
        except MCPError:
            raise
        except pydantic.ValidationError as exc:  # the SDK's params validation
            raise _params_error(method, exc) from None
        except Exception:
            logger.exception("%s failed inside the server", method)
            raise MCPError(
                code=INTERNAL_ERROR, message=f"{method} failed inside the MCP server (a bug, logged on the server)"
            ) from None
        if isinstance(result, dict):
            return shape_result(method, ctx.protocol_version, result)
        return result

    async def check(self, method: str, params: Mapping[str, Any]) -> None:
        """Raise the spec's JSON-RPC error for a request the handler cannot serve.

        Raises:
            MCPError: -32602 for a cursor (none is ever issued), an unknown tool or prompt, a
                prompt argument that is missing, unknown or not a string, and a completion of
                an unknown prompt/template or argument.
        """
        if method in _LIST_METHODS and params.get("cursor") is not None:
            raise invalid_params(
                "Invalid cursor: this server returns every item in the first page and issues no cursors",
                cursor=str(params["cursor"])[:100],
            )
        if method == "tools/call" and isinstance(params.get("name"), str):
            await self._check_tool(params["name"])
        elif method == "prompts/get" and isinstance(params.get("name"), str):
            await self._check_prompt(params["name"], params.get("arguments"))
        elif method == "completion/complete":
            await self._check_completion(params.get("ref"), params.get("argument"))

    async def _check_tool(self, name: str) -> None:
        if name in self._tool_names:
            return
        # Listed again on a miss only, so a tool added after start is found (about 40 us).
        self._tool_names = frozenset(_names(await self.server.list_tools()))
        if name not in self._tool_names:
            raise invalid_params(f"Unknown tool: {name[:100]}", name=name[:100], available=sorted(self._tool_names))

    async def _prompt_arguments(self, name: str) -> dict[str, bool]:
        prompts = await self.server.list_prompts()
        for prompt in prompts:
            if prompt.name == name:
                return {a.name: bool(a.required) for a in prompt.arguments or []}
        raise invalid_params(f"Unknown prompt: {name[:100]}", name=name[:100], available=_names(prompts))

    async def _check_prompt(self, name: str, arguments: Any) -> None:
        declared = await self._prompt_arguments(name)
        if arguments is not None and not isinstance(arguments, Mapping):
            return  # the SDK's params validation answers it (-32602)
        given = dict(arguments or {})
        unknown = sorted(a for a in given if a not in declared)
        if unknown:
            raise invalid_params(
                f"Unknown argument(s) for prompt {name}: {', '.join(a[:60] for a in unknown[:10])}; "
                f"it takes: {', '.join(declared) or 'no arguments'}",
                unknown=unknown[:10],
                arguments=list(declared),
            )
        not_text = sorted(a for a, v in given.items() if not isinstance(v, str))
        if not_text:
            raise invalid_params(
                f"Argument(s) of prompt {name} must be strings: {', '.join(not_text)}", arguments=not_text
            )
        missing = [a for a, required in declared.items() if required and a not in given]
        if missing:
            raise invalid_params(
                f"Missing required argument(s) for prompt {name}: {', '.join(missing)}", missing=missing
            )

    async def _check_completion(self, ref: Any, argument: Any) -> None:
        if not isinstance(ref, Mapping) or not isinstance(argument, Mapping):
            return  # malformed: the SDK's params validation answers it (-32602)
        arg = argument.get("name")
        if ref.get("type") == "ref/prompt" and isinstance(ref.get("name"), str):
            declared = list(await self._prompt_arguments(ref["name"]))
            what = f"prompt {ref['name']}"
        elif ref.get("type") == "ref/resource" and isinstance(ref.get("uri"), str):
            uri = ref["uri"]
            templates = {t.uri_template: t for t in await self.server.list_resource_templates()}
            statics = {str(r.uri) for r in await self.server.list_resources()}
            if uri in templates:
                declared = template_variables(uri)
            elif uri in statics:
                declared = []
            else:
                raise invalid_params(
                    f"Unknown resource template: {uri[:200]}", uri=uri[:200], available=sorted(templates)
                )
            what = f"resource template {uri}"
        else:
            return
        if isinstance(arg, str) and arg not in declared:
            raise invalid_params(
                f"{what} has no argument {arg[:60]!r}; it has: {', '.join(declared) or 'none'}",
                argument=arg[:60],
                arguments=declared,
            )


def install(server: MCPServer[Any]) -> ProtocolPolicy:
    """Add the :class:`ProtocolPolicy` middleware to ``server`` (innermost, after the SDK's own)."""
    policy = ProtocolPolicy(server)
    server.middleware.append(policy)
    return policy
