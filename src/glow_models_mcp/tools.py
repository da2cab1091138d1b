"""The 11 MCP tools: names, descriptions, annotations, schemas, and how a call becomes a result.

Data flows one way: tool arguments -> request model (validated here; bad input never reaches the
upstream) -> :class:`~glow_models_mcp.upstream.GlowClient` -> response model -> tool result with
structured content (nulls and defaults left out) and a text block (a one-line summary, then
compact JSON). Every failure becomes a tool error (``isError: true``) whose text names the
operation, the HTTP status, the upstream's message and one next step (see :mod:`.errors`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import UnionType
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

import pydantic
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, ResourceLink, TextContent, ToolAnnotations
from pydantic import BaseModel

from . import schemas as s
from .errors import render_error, render_validation_error
from .exceptions import GlowError
from .shaping import shape_schema
from .upstream import OPERATIONS, ZERO_UUID, Operation

if TYPE_CHECKING:
    from .state import AppState

logger = logging.getLogger("glow_models_mcp.tools")

#: Approximate bytes per token used for the result-size guard and the benchmark's estimate.
BYTES_PER_TOKEN = 4


@dataclass(frozen=True)
class ToolSpec:
    """How one upstream operation is exposed as an MCP tool.

    ``summarize(request, response)`` gives the one-line summary that starts the text content;
    ``narrow`` is the hint given when a result is too large for the client.
    """

    name: str
    operation: Operation[Any, Any]
    title: str
    description: str
    annotations: ToolAnnotations
    summarize: Callable[[BaseModel, Any], str]
    narrow: str = "Ask for less at once."

    @property
    def request_model(self) -> type[BaseModel]:
        return self.operation.request_model or s.EmptyRequest

    @property
    def read_only(self) -> bool:
        return bool(self.annotations.read_only_hint)


def _ann(*, read_only: bool, destructive: bool = False, idempotent: bool) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


def _count(items: list[Any] | None) -> int:
    return len(items or [])


def _batch_summary(verb: str) -> Callable[[BaseModel, Any], str]:
    def summary(_req: BaseModel, res: Any) -> str:
        results = res.results
        ok = sum(1 for r in results if r.success and r.model_id is not None)
        if all(r.success for r in results) and ok == len(results):
            ids = ", ".join(str(r.model_id) for r in results[:20])
            more = f" (+{ok - 20} more)" if ok > 20 else ""
            return f"{verb} {ok} model(s): {ids}{more}."
        failed = [r for r in results if not r.success]
        return f"Nothing was written: {len(failed)} of {len(results)} item(s) failed validation."

    return summary


def _get_summary(req: Any, res: s.GetModelApiResponse) -> str:
    if req.model_id is None:
        sections = [
            f"{name} {_count(getattr(res, name).resources)}"
            for name in s.GetModelApiResponse.model_fields
            if isinstance(getattr(res, name), s._Section) and getattr(res, name).resources is not None
        ]
        return "Selectable options (section: count): " + ", ".join(sections) + "."
    name = res.names.resource if res.names else None
    label = name.get("name") if isinstance(name, dict) else name
    draft = f", with draft version {res.draft_version}" if req.draft_id and res.draft_version is not None else ""
    return f"Model {label or req.model_id}{draft}."


def _search_summary(req: Any, res: s.ListModelApiResponse) -> str:
    models = res.models or []
    if not models:
        return f"No models on this page (total_count {res.total_count if res.total_count is not None else '?'})."
    names = ", ".join(m.name or str(m.model_id) for m in models[:10])
    more = f" (+{len(models) - 10} more on this page)" if len(models) > 10 else ""
    return f"{len(models)} of {res.total_count if res.total_count is not None else '?'} model(s): {names}{more}."


def _delete_summary(_req: Any, res: s.DeleteModelApiResponse) -> str:
    ok = sum(1 for r in res.results if r.success)
    return f"Deleted {ok} of {len(res.results)} model(s)."


def _export_summary(_req: Any, res: s.ExportModelApiResponse) -> str:
    if res.upload_id == ZERO_UUID:
        return "Nothing to export: there are no models."
    return f"Exported {res.row_count} row(s) to {res.file_name}; read glow://exports/{res.upload_id} for the CSV."


WORKFLOW = (
    "Ids of providers, values, modalities, pricing, qualities, reasoning and temperature levels, voices, flags "
    "and departments come only from get_model called without model_id: each section's resources[].id "
    "(e.g. modality_ids from modalities.resources)."
)

TOOL_SPECS: tuple[ToolSpec, ...] = (
    ToolSpec(
        name="get_model",
        operation=OPERATIONS["get"],
        title="Get a model, or the selectable options",
        description=(
            "Read one model's editor sections (single selections in `resource`, multi in `current`), or, "
            "called WITHOUT model_id, list every section's selectable options with their ids: the only way to "
            "learn the ids that create_models, update_models and patch_model_draft take. Pass draft_id too to "
            "see a draft's selections over the model's (an unknown draft_id is ignored)."
        ),
        annotations=_ann(read_only=True, idempotent=True),
        summarize=_get_summary,
    ),
    ToolSpec(
        name="search_models",
        operation=OPERATIONS["search"],
        title="Search models",
        description=(
            "Find active models by a case-insensitive substring of name or description, ordered by name, one "
            "page at a time (page_size, default 12; page_offset). Returns model ids, provider, permissions "
            "and total_count, plus provider/department/agent facets. Use it to find a model's id."
        ),
        annotations=_ann(read_only=True, idempotent=True),
        summarize=_search_summary,
        narrow="Use a smaller page_size, a more specific search, or filter_provider_ids/filter_department_ids.",
    ),
    ToolSpec(
        name="create_models",
        operation=OPERATIONS["create"],
        title="Create models",
        description=(
            "Create one or more models. Each item needs name (or name_id); link options by id. " + WORKFLOW + " "
            "All-or-nothing validation: if any item fails validation, NOTHING is written and each item's "
            "field errors are listed (a 'Database error' for an unknown id can leave earlier items written). Needs an admin role; a model with no departments is a default model."
        ),
        annotations=_ann(read_only=False, idempotent=False),
        summarize=_batch_summary("Created"),
    ),
    ToolSpec(
        name="update_models",
        operation=OPERATIONS["update"],
        title="Update models",
        description=(
            "Change one or more models by model_id. Only the fields you give change: a list field omitted or "
            "null stays as it is, [] clears it. " + WORKFLOW + " All-or-nothing: one failing item (validation, "
            "unknown model_id, no permission) means nothing is written. Needs an admin role; default models "
            "(no departments) need a superadmin."
        ),
        annotations=_ann(read_only=False, destructive=True, idempotent=True),
        summarize=_batch_summary("Updated"),
    ),
    ToolSpec(
        name="duplicate_model",
        operation=OPERATIONS["duplicate"],
        title="Duplicate a model",
        description=(
            "Copy a model with all its selections; the copy is named '<name> Copy' and the result's model_id "
            "is the NEW model's id. Needs an admin role."
        ),
        annotations=_ann(read_only=False, idempotent=False),
        summarize=lambda _req, res: f"Copied into new model {res.model_id}: {res.message}",
    ),
    ToolSpec(
        name="delete_models",
        operation=OPERATIONS["delete"],
        title="Delete models permanently",
        description=(
            "Permanently delete models by id (no undo). Every id is checked first; an unknown id or a model you "
            "may not delete aborts the whole request. Needs an admin role (superadmin for default models). "
            "Confirm with the user before calling."
        ),
        annotations=_ann(read_only=False, destructive=True, idempotent=True),
        summarize=_delete_summary,
    ),
    ToolSpec(
        name="patch_model_draft",
        operation=OPERATIONS["draft"],
        title="Save a model draft",
        description=(
            "Save an editor draft: send the FULL form state each time (omitted lists are saved as empty). "
            "Append-only: every call stores a NEW draft with a new draft_id and version expected_version + 1; "
            "nothing changes on the model. A draft is not tied to a model: review it with "
            "get_model(model_id, draft_id), then apply it with update_models. Needs an admin role."
        ),
        annotations=_ann(read_only=False, idempotent=False),
        summarize=lambda _req, res: f"Saved draft {res.draft_id} as version {res.new_version}.",
    ),
    ToolSpec(
        name="list_model_drafts",
        operation=OPERATIONS["drafts"],
        title="List my model drafts",
        description="List your 20 newest model drafts, newest first, with their selections and versions.",
        annotations=_ann(read_only=True, idempotent=True),
        summarize=lambda _req, res: f"{_count(res.entries)} draft(s).",
    ),
    ToolSpec(
        name="get_model_docs",
        operation=OPERATIONS["docs"],
        title="Get the models documentation",
        description=(
            "Documentation of the models artifact: tables and columns, operations with their parameters, "
            "permissions and page titles. Pass entity_id (a model id) for that model's page titles. "
            "Also readable as resource glow://models/docs."
        ),
        annotations=_ann(read_only=True, idempotent=True),
        summarize=lambda _req, res: (
            f"Docs of {res.name}: {_count(res.api_operations)} operation(s), {_count(res.permissions)} permission(s)."
        ),
    ),
    ToolSpec(
        name="export_models",
        operation=OPERATIONS["export"],
        title="Export models as CSV",
        description=(
            "Export all models (or one, with model_id) to a CSV upload and return its upload_id, file_name and "
            "row_count, plus a link to resource glow://exports/{upload_id} that serves the CSV rows. An all-zero "
            "upload_id means there was nothing to export."
        ),
        annotations=_ann(read_only=False, idempotent=False),
        summarize=_export_summary,
    ),
    ToolSpec(
        name="refresh_models",
        operation=OPERATIONS["refresh"],
        title="Refresh model views and caches",
        description=(
            "Refresh the models' materialized views and invalidate their caches. Use it when search or "
            "list_model_drafts look stale after a change."
        ),
        annotations=_ann(read_only=False, idempotent=True),
        summarize=lambda _req, res: (
            f"Refreshed {', '.join(res.refreshed_views)}; invalidated {', '.join(res.invalidated_tags)}."
        ),
    ),
)

TOOL_NAMES: tuple[str, ...] = tuple(spec.name for spec in TOOL_SPECS)
READ_ONLY_TOOL_NAMES: tuple[str, ...] = tuple(spec.name for spec in TOOL_SPECS if spec.read_only)


def select_tools(*, read_only: bool, include: list[str], exclude: list[str]) -> list[ToolSpec]:
    """The tool specs to register: ``include`` (all when empty) minus ``exclude`` (exclude wins),
    read-only ones only when ``read_only``.

    Raises:
        ValueError: naming any unknown tool name and listing the valid ones.
    """
    unknown = sorted({n for n in [*include, *exclude] if n not in TOOL_NAMES})
    if unknown:
        raise ValueError(f"unknown tool name(s): {', '.join(unknown)}; valid names: {', '.join(TOOL_NAMES)}")
    chosen = [
        spec
        for spec in TOOL_SPECS
        if (not include or spec.name in include) and spec.name not in exclude and (spec.read_only or not read_only)
    ]
    return chosen


# ------------------------------------------------------------------------------------------------
# Call path
# ------------------------------------------------------------------------------------------------


def dump_result(model: BaseModel) -> dict[str, Any]:
    """Structured content of a response model: JSON mode, nulls and defaults left out."""
    return model.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


#: One encoder for every result. ``check_circular=False``: the data comes from ``model_dump()`` and
#: cannot be circular, so the per-container bookkeeping is skipped (about 13% of this encode on a
#: 47 KB get_model result; the output is the same).
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)


def compact_json(data: Any) -> str:
    """JSON with no whitespace and unicode kept as is (fewest tokens)."""
    return _COMPACT.encode(data)


def error_result(text: str, structured: dict[str, Any] | None = None) -> CallToolResult:
    """A tool error (``isError: true``) with ``text`` as its only content."""
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured, is_error=True)


def _accepts_str(annotation: Any) -> bool:
    """Whether a field typed ``annotation`` takes a plain string (``str``, ``str | None``...)."""
    return annotation is str or (get_origin(annotation) in (Union, UnionType) and str in get_args(annotation))


def _coerce_json_strings(model: type[BaseModel], arguments: dict[str, Any]) -> dict[str, Any]:
    """Parse list/object arguments that a client sent as JSON strings (a known client habit).

    Only for fields that do not take a string: a name or description that happens to look like
    JSON (``'{"temperature": 0.2}'``) stays the string it is.
    """
    out = dict(arguments)
    for name, value in arguments.items():
        field = model.model_fields.get(name)
        if field is None or not isinstance(value, str) or value[:1] not in ("[", "{") or _accepts_str(field.annotation):
            continue
        try:
            parsed = json.loads(value)
        except ValueError:
            continue
        if isinstance(parsed, (list, dict)):
            out[name] = parsed
    return out


async def run_tool(spec: ToolSpec, state: AppState, arguments: dict[str, Any]) -> CallToolResult:
    """Validate ``arguments``, call the upstream, and build the tool result. Never raises
    (except for cancellation): every failure is a tool error."""
    started = time.perf_counter()
    status: int | None = None
    outcome = "error"
    try:
        try:
            request = spec.request_model.model_validate(_coerce_json_strings(spec.request_model, arguments))
        except pydantic.ValidationError as exc:
            outcome = "invalid_arguments"
            return error_result(render_validation_error(spec.name, exc))
        try:
            client = state.client
            status, response = await client.request(spec.operation, request if spec.operation.request_model else None)
        except GlowError as exc:
            status = getattr(exc, "status", None)
            return error_result(render_error(spec.name, exc, state.display_url))
        structured = dump_result(response)
        result = _success(spec, request, response, structured, state)
        outcome = "error" if result.is_error else "ok"
        return result
    except Exception:  # a bug of ours: log it, tell the agent without internals
        logger.exception("tool %s failed unexpectedly", spec.name)
        return error_result(
            f"{spec.name} failed inside the MCP server (a bug, logged on the server). Retrying will not help."
        )
    finally:
        logger.info(
            "tool %s -> %s (upstream %s) in %.1f ms",
            spec.name,
            outcome,
            status,
            (time.perf_counter() - started) * 1000,
            extra={
                "tool": spec.name,
                "outcome": outcome,
                "upstream_status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )


def _success(
    spec: ToolSpec, request: BaseModel, response: Any, structured: dict[str, Any], state: AppState
) -> CallToolResult:
    body = compact_json(structured)
    limit = state.settings.max_result_tokens
    tokens = len(body.encode()) // BYTES_PER_TOKEN
    if tokens > limit:
        if spec.read_only:
            return error_result(
                f"{spec.name}: the result is about {tokens} tokens, over the {limit}-token limit of MCP clients, "
                f"so it was not returned. {spec.narrow}"
            )
        # A write has happened: never report it as a failure (the agent would redo it). Keep the
        # summary, leave the per-item JSON out of the text; structured content stays complete.
        body = (
            f"(The write was applied. Its per-item JSON, about {tokens} tokens, is left out of this text "
            "to stay within the client's limit; it is in the structured content.)"
        )
    summary = spec.summarize(request, response)
    content: list[Any] = [TextContent(type="text", text=f"{summary}\n{body}")]
    is_error = False
    if spec.name in ("create_models", "update_models"):
        failed = [(i, r) for i, r in enumerate(response.results) if not r.success]
        if failed:
            is_error = True
            lines = [f"{spec.name}: nothing was written, because {len(failed)} item(s) failed:"]
            for i, r in failed:
                lines.append(f"- item {i}: {r.message}")
                lines.extend(f"    {e.field}: {e.message}" for e in r.errors or [])
            lines.append("Fix those items and send the whole batch again; ids come from get_model without model_id.")
            content = [TextContent(type="text", text="\n".join(lines) + "\n" + body)]
    if spec.name == "export_models" and response.upload_id != ZERO_UUID:
        content.append(
            ResourceLink(
                type="resource_link",
                uri=f"glow://exports/{response.upload_id}",
                name=response.file_name or str(response.upload_id),
                description=f"Exported models CSV, {response.row_count} row(s)",
                mime_type="text/csv",
            )
        )
    return CallToolResult(content=content, structured_content=structured, is_error=is_error)


class GlowTool(Tool):
    """An MCP tool bound to one :class:`ToolSpec`.

    It keeps ``MCPServer``'s registration and listing but replaces the call path: arguments are
    validated against the operation's request model (unknown fields rejected), and the result is
    built by :func:`run_tool`. ``parameters`` and ``output_schema`` are the shaped schemas.
    """

    spec: Any = pydantic.Field(exclude=True)
    state: Any = pydantic.Field(exclude=True)
    shaped_output_schema: dict[str, Any] = pydantic.Field(exclude=True)

    @property
    def output_schema(self) -> dict[str, Any] | None:
        return self.shaped_output_schema

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await run_tool(self.spec, self.state, arguments)


async def _never_called() -> None:
    """Placeholder for ``Tool``'s required function metadata; GlowTool.run replaces the call path."""


_PLACEHOLDER: Tool | None = None


def build_tool(spec: ToolSpec, state: AppState) -> GlowTool:
    """Create the registered tool for ``spec``, with shaped input and output schemas."""
    global _PLACEHOLDER
    if _PLACEHOLDER is None:
        _PLACEHOLDER = Tool.from_function(_never_called, name="placeholder", structured_output=False)
    base = _PLACEHOLDER
    return GlowTool(
        fn=base.fn,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=shape_schema(spec.request_model.model_json_schema(), for_input=True),
        fn_metadata=base.fn_metadata,
        is_async=True,
        context_kwarg=None,
        annotations=spec.annotations,
        spec=spec,
        state=state,
        shaped_output_schema=shape_schema(spec.operation.response_model.model_json_schema(), for_input=False),
    )
