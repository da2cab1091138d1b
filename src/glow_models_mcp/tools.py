"""The MCP tools: one :class:`ToolSpec` per upstream operation, and how a call becomes a result.

Data flows one way: tool arguments -> argument model (:mod:`.arguments`: validated here; bad input
never reaches the upstream) -> labels and names resolved to ids (:mod:`.lookup`) -> request model
-> :class:`~glow_models_mcp.upstream.GlowClient` -> response model -> presentation (compact views
from :mod:`.views`, or the whole answer) -> tool result (:mod:`.results`). Every failure becomes a
tool error (``isError: true``) whose text names the tool, the upstream operation, the HTTP status,
the upstream's message and one next step (:mod:`.errors`).

Everything special about a tool lives on its spec: its error hints, whether it is a batch with
per-item failures, the resource links it adds, which written models get a duplicate-name check,
its extra arguments and output shapes, and (for the reads with views) its handler. The shared code
below reads the spec and names no tool. :data:`TOOL_SPECS` is the only list of tools.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from typing import Any, Generic, TypeVar
from uuid import UUID

import anyio
import pydantic
from mcp.server.mcpserver.tools import Tool
from mcp.types import ResourceLink, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from . import schemas as s
from . import telemetry, views
from .arguments import NameStr, RefStr, ToolArguments, arguments_model, is_ref_field, sections_field, view_field
from .errors import ErrorHints, Where, render_error, render_lookup_error, render_validation_error
from .exceptions import ConfigurationError, GlowError, LookupFailed
from .lookup import NAMES_BY_SEARCH, LookupWhere, Ref, gather_limited, models_by_name, resolve
from .results import Presented, build_result, dump_result, error_result
from .sections import (
    FIELD_STEM,
    SECTIONS,
    SINGLE_SELECT,
    fix_float32,
    fix_model_float32,
    item_id,
    norm,
    ref_section,
    selected,
    visible,
)
from .shaping import fold_repeats, merge_schemas, shape_schema
from .state import AppState
from .upstream import (
    CREATE,
    DELETE,
    DOCS,
    DRAFT,
    DRAFTS,
    DUPLICATE,
    EXPORT,
    GET,
    REFRESH,
    SEARCH,
    UPDATE,
    ZERO_UUID,
    Operation,
)
from .uris import DOCS_URI, export_uri

logger = logging.getLogger("glow_models_mcp.tools")

ReqT = TypeVar("ReqT", bound=BaseModel)
ResT = TypeVar("ResT", bound=BaseModel)
ResT2 = TypeVar("ResT2", bound=BaseModel)

#: Where an agent looks things up: named here, once, for the error texts (errors.py names no tool).
WHERE = Where(models="search_models", model="get_model", options="get_model without model_id")

#: What every lookup error ends with: where the full lists of labels, names and ids are.
LOOKUP_WHERE = LookupWhere(
    options=f"Option labels and ids come from {WHERE.options} (the Glow API offers at most 20 options per section "
    "besides the selected ones; labels of options that any model has selected are accepted too). Options are "
    "predefined: these tools select existing ones and cannot create one (such as a new price); a new name or "
    "description goes in name or description.",
    models=f"Model names and ids come from {WHERE.models} (only active models are found by name).",
)

#: Most failed batch items whose errors a tool error's text lists.
MAX_LISTED_FAILURES = 20

#: A tool's handler: given the call, produce its answer (the default forwards to the operation).
Handler = Callable[["Call[Any, Any]"], Awaitable[Presented]]


class Warnings(BaseModel):
    """What a write tool adds to its result when there is something to warn about."""

    warnings: list[str] | None = Field(default=None, description="E.g. another active model has the same name.")


@dataclass(frozen=True)
class ToolSpec(Generic[ReqT, ResT]):
    """How one upstream operation is exposed as an MCP tool.

    Attributes:
        name, title, description, annotations: as listed in ``tools/list``.
        operation: the upstream operation (its request and response models type the rest).
        summarize: the one-line summary that starts the text of the full answer.
        narrow: the hint given when a result is too large for the client.
        hints: what this tool's failures mean (403 role, 500s, may a timeout have applied it).
        batch: the response carries per-item ``results``; failed items make a tool error.
        links: resource links to add to a successful result, where the client gets them (see
            :func:`sends_links`); the summary must name their URIs too.
        written: the models a successful write created or renamed, as ``(name or None, id)``:
            each gets a duplicate-name check (a warning; the write has happened).
        summary_only: the summary says everything the structured content does, so the text is the
            summary alone (no JSON repeat of the same facts).
        arguments: tool-only arguments beside the contract's (``view``, ``sections``...).
        outputs: compact shapes whose schemas join the response model's in the output schema.
        handler: how a call is answered; ``None`` forwards it to ``operation`` (see :func:`forward`).
    """

    name: str
    operation: Operation[ReqT, ResT]
    title: str
    description: str
    annotations: ToolAnnotations
    summarize: Callable[[ReqT, ResT], str]
    narrow: str = "Ask for less at once."
    hints: ErrorHints = field(default_factory=lambda: ErrorHints(WHERE))
    batch: bool = False
    links: Callable[[ResT], list[ResourceLink]] | None = None
    written: Callable[[ReqT, ResT], list[tuple[str | None, UUID]]] | None = None
    summary_only: bool = False
    arguments: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    outputs: tuple[type[BaseModel], ...] = ()
    handler: Handler | None = None

    @property
    def read_only(self) -> bool:
        """Whether the tool only reads (its annotations say so)."""
        return bool(self.annotations.read_only_hint)

    @property
    def error_hints(self) -> ErrorHints:
        """``hints``, with ``may_apply`` from the annotations: a write whose repetition is not
        harmless (destructive, or not idempotent) may have been applied by a request that timed out."""
        ann = self.annotations
        return replace(
            self.hints, may_apply=not self.read_only and bool(ann.destructive_hint or not ann.idempotent_hint)
        )

    @cached_property
    def argument_model(self) -> type[ToolArguments]:
        """The model that validates this tool's arguments (derived from the request model)."""
        return arguments_model(self.operation.request_model, dict(self.arguments))

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        """The advertised input schema (flat, client-safe)."""
        return shape_schema(self.argument_model.model_json_schema(), for_input=True)

    @cached_property
    def output_schema(self) -> dict[str, Any]:
        """The advertised output schema: :attr:`written_out_schema` with each repeated shape
        written once (:func:`~glow_models_mcp.shaping.fold_repeats`; the same instances valid)."""
        return fold_repeats(self.written_out_schema)

    @cached_property
    def written_out_schema(self) -> dict[str, Any]:
        """The output schema with every property under ``properties``: the response model's,
        joined by the compact shapes' (and ``warnings`` for a tool that creates or renames)."""
        extra = (*self.outputs, *((Warnings,) if self.written else ()))
        schemas = [self.operation.response_model.model_json_schema(), *(m.model_json_schema() for m in extra)]
        return merge_schemas([shape_schema(schema, for_input=False) for schema in schemas])


# ------------------------------------------------------------------------------------------------
# A call in progress
# ------------------------------------------------------------------------------------------------


class Call(Generic[ReqT, ResT]):
    """One tool call: its spec, the server state and the validated arguments.

    ``status`` is the HTTP status of the last upstream answer (for the log line).
    """

    def __init__(self, spec: ToolSpec[ReqT, ResT], state: AppState, args: ToolArguments, *, links: bool = True) -> None:
        self.spec = spec
        self.state = state
        self.args = args
        self.links = links
        self.status: int | None = None
        self.started = time.monotonic()

    def remaining(self) -> float:
        """Seconds left of the call's budget (``GLOW_TIMEOUT``), for the work after its operation."""
        return max(0.0, self.state.settings.total_timeout - (time.monotonic() - self.started))

    async def send(self, op: Operation[Any, ResT2], body: BaseModel) -> ResT2:
        """Run upstream operation ``op`` with ``body``; raises :class:`GlowError`."""
        status, response = await self.state.client.request(op, body)
        self.status = status
        return response

    async def request(self, fill: Mapping[str, Any] | None = None) -> ReqT:
        """The upstream request: the arguments the caller set (tool-only ones left out), then
        ``fill`` for fields the caller did not set, with every label or name resolved to its id.

        Raises:
            LookupFailed: a label or name matched nothing, or several things.
        """
        data = self.args.model_dump(exclude_unset=True, exclude=set(self.spec.arguments))
        for key, value in (fill or {}).items():
            data.setdefault(key, value)
        await self.resolve(data)
        return self.spec.operation.request_model.model_validate(data)

    async def resolve(self, data: dict[str, Any]) -> None:
        """Replace, in place, every label or model name in ``data`` (dumped arguments) by its id."""
        found = list(_refs(data, ()))
        if not found:
            return
        refs = {path: Ref(".".join(map(str, path)), section, value) for path, section, value in found}
        ids = await resolve(refs.values(), self.state.client, self.state.lookups, LOOKUP_WHERE)
        for path, ref in refs.items():
            _set(data, path, ids[ref])

    async def model_id(self, value: str | None, path: str) -> UUID | None:
        """A model reference (id or exact name) of a tool-only argument, resolved."""
        if value is None:
            return None
        ref = Ref(path, None, value)
        return (await resolve([ref], self.state.client, self.state.lookups, LOOKUP_WHERE))[ref]


def _refs(data: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str | None, str]]:
    """``(path, section or None for a model, value)`` of every reference in dumped arguments."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and is_ref_field(key) and value is not None:
                section = ref_section(key)
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        if isinstance(item, str):
                            yield (*path, key, i), section, item
                elif isinstance(value, str):
                    yield (*path, key), section, value
            else:
                yield from _refs(value, (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _refs(item, (*path, i))


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


# ------------------------------------------------------------------------------------------------
# Handlers
# ------------------------------------------------------------------------------------------------


def _full(response: BaseModel) -> dict[str, Any]:
    """The whole answer as structured content (float32 numbers rendered shortest)."""
    if isinstance(response, s.GetModelApiResponse):  # the large one: its sections' items only
        return fix_model_float32(dump_result(response))
    return fix_float32(dump_result(response))


async def forward(call: Call[Any, Any]) -> Presented:
    """The default handler: send the request, present the whole answer, then the spec's extras
    (batch failures, links, duplicate-name warnings)."""
    spec = call.spec
    request = await call.request()
    response = await call.send(spec.operation, request)
    presented = Presented(
        spec.summarize(request, response),
        _full(response),
        "" if spec.summary_only else None,
        wrote=not spec.read_only,
    )
    if spec.batch:
        presented.failure = _batch_failure(spec.name, response)
        presented.wrote = presented.failure is None
    if spec.links is not None and call.links:
        presented.links = spec.links(response)
    if spec.written is not None and presented.failure is None:
        presented.warnings = await _name_warnings(call, spec.written(request, response))
    return presented


def _batch_failure(tool: str, response: Any) -> str | None:
    failed = [(i, r) for i, r in enumerate(response.results) if not r.success]
    if not failed:
        return None
    lines = [f"{tool}: nothing was written, because {len(failed)} item(s) failed:"]
    for i, r in failed[:MAX_LISTED_FAILURES]:
        lines.append(f"- item {i}: {r.message}")
        lines.extend(f"    {e.field}: {e.message}" for e in r.errors or [])
    if len(failed) > MAX_LISTED_FAILURES:
        lines.append(
            f"- ... and {len(failed) - MAX_LISTED_FAILURES} more (each item's errors are in the structured content)"
        )
    lines.append(f"Fix those items and send the whole batch again ({WHERE.ids}).")
    return "\n".join(lines)


async def _model_name(call: Call[Any, Any], model_id: UUID) -> str | None:
    response = await call.send(GET, s.GetModelApiRequest(model_id=model_id))
    return views.compact_model(model_id, response, ["names"]).get("name")


async def _name_warnings(call: Call[Any, Any], written: Sequence[tuple[str | None, UUID]]) -> list[str]:
    """A warning for each written model whose name another active model has too.

    Bounded: a few names are searched one by one, more are matched against one listing of the
    active models (:func:`~glow_models_mcp.lookup.models_by_name`); a written model whose name was
    not in the request is read back only for a few models; the whole check stops at the call's
    time budget. Never raises: the write has happened, so a failed check only says so.
    """
    named: list[tuple[str | None, UUID]] = []
    found: dict[str, list[tuple[str, UUID]]] = {}
    with anyio.move_on_after(call.remaining()) as budget:
        try:
            unknown = [mid for name, mid in written if not name][:NAMES_BY_SEARCH]
            names_read = dict(zip(unknown, [await _model_name(call, mid) for mid in unknown], strict=True))
            named = [(name or names_read.get(mid), mid) for name, mid in written]
            found = await models_by_name(call.state.client, [n for n, _ in named if n])
        except GlowError as exc:
            return [f"could not check whether other models have the same name ({exc.operation} failed)"]
    if budget.cancelled_caught:
        return ["could not check whether other models have the same name within the time limit"]
    warnings = []
    for name, mid in named:
        if not name:
            continue
        twins = [(other_name, other) for other_name, other in found.get(name, []) if other != mid]
        same = [str(other) for other_name, other in twins if other_name == name.strip()]
        cased = [f"{n!r} {other}" for n, other in twins if n != name.strip() and norm(n) == norm(name)]
        if same or cased:
            others = ", ".join((same + cased)[:5])
            how = "also named" if same else "named, but for case or Unicode form,"
            warnings.append(
                f"another active model is {how} {name!r} ({others}); model names are how agents and "
                "people tell models apart, and a name given where an id goes must match one model, so consider "
                "renaming one"
            )
    return warnings


async def _get_model(call: Call[s.GetModelApiRequest, s.GetModelApiResponse]) -> Presented:
    """get_model: the compact read, the draft's changes, the compact option listing, or the full answer."""
    args = call.args
    wanted: list[str] | None = getattr(args, "sections", None)
    request = await call.request()
    if getattr(args, "view", "compact") == "full":
        response = await call.send(GET, request)
        full = _full(response)
        if wanted:
            full = {k: v for k, v in full.items() if k not in SECTIONS or k in wanted}
        return Presented(_get_summary(request, response), full)
    if request.model_id is None and request.draft_id is None:
        listing = views.option_listing(await call.state.lookups.listing(call.state.client), wanted)
        return Presented(views.listing_summary(listing), listing, views.listing_text(listing))
    response = await call.send(GET, request)
    draft_id, base, warnings = request.draft_id, None, []
    if draft_id is not None and response.draft_version is None:
        # The Glow API ignores a draft_id it does not know: say so rather than show "no changes".
        warnings.append(f"no draft {draft_id} was found (the Glow API ignores an unknown draft_id); shown without it")
        draft_id = None
    elif draft_id is not None and request.model_id is not None:
        base = await call.send(GET, s.GetModelApiRequest(model_id=request.model_id))
    read = views.compact_model(request.model_id, response, wanted, draft_id=draft_id, base=base)
    return Presented(views.model_summary(read), read, views.model_text(read), warnings=warnings)


async def _search_models(call: Call[s.SearchModelApiRequest, s.ListModelApiResponse]) -> Presented:
    """search_models: a page of models, compact or whole, with each model's sections if asked."""
    args = call.args
    wanted: list[str] | None = getattr(args, "sections", None)
    request = await call.request()
    response = await call.send(SEARCH, request)
    details = (
        await _details(call, [m.model_id for m in response.models or [] if m.model_id], wanted) if wanted else None
    )
    offset, shown = request.page_offset or 0, len(response.models or [])
    if getattr(args, "view", "compact") == "full":
        full = _full(response)
        for row in full.get("models", []):
            row.update((details or {}).get(row.get("model_id", ""), {}))
        page = {"total_count": response.total_count, "next_page_offset": views.next_offset(request, response)}
        return Presented(views.search_summary(page, shown, offset), full)
    page = views.compact_search(request, response, details)
    text = views.search_text(page, list(dict.fromkeys(wanted)) if wanted else None)
    return Presented(views.search_summary(page, shown, offset), page, text)


async def _details(call: Call[Any, Any], model_ids: list[UUID], wanted: list[str]) -> dict[str, dict[str, Any]]:
    """Each model's selections in ``wanted`` sections, read concurrently (a bounded number at once)
    within the call's time budget; a model that cannot be read (or not in time) gets
    ``{"error": ...}`` instead."""
    deadline = anyio.current_time() + call.remaining()

    async def read(model_id: UUID) -> dict[str, Any]:
        with anyio.move_on_at(deadline):
            try:
                _, response = await call.state.client.request(GET, s.GetModelApiRequest(model_id=model_id))
            except GlowError as exc:
                return {"error": str(exc).splitlines()[0][:200]}
            return {"selections": views.selections(response, wanted)}
        return {"error": "not read within the time limit (GLOW_TIMEOUT); ask for fewer models (page_size)"}

    results = await gather_limited([partial(read, m) for m in model_ids])
    return {str(m): r for m, r in zip(model_ids, results, strict=True)}


def _draft_fill(base: s.GetModelApiResponse, given: set[str]) -> dict[str, Any]:
    """The draft fields the caller did not give, taken from ``base``'s current selections."""
    fill: dict[str, Any] = {}
    fields = s.PatchModelDraftApiRequest.model_fields
    for section in SECTIONS:
        stem = FIELD_STEM[section]
        ids = [i for i in (item_id(x) for x in selected(base, section)) if i]
        single, multi = f"{stem}_id", f"{stem}_ids"
        if section in ("names", "descriptions"):
            if single in fields and single not in given and stem not in given and ids:
                fill[single] = ids[0]
        elif multi in fields and multi not in given:
            fill[multi] = ids[:1] if section in SINGLE_SELECT else ids
    return fill


async def _patch_model_draft(call: Call[s.PatchModelDraftApiRequest, s.PatchModelDraftApiResponse]) -> Presented:
    """patch_model_draft: with base_model_id, fields not given are copied from that model."""
    base_id = await call.model_id(getattr(call.args, "base_model_id", None), "base_model_id")
    fill = None
    if base_id is not None:
        base = await call.send(GET, s.GetModelApiRequest(model_id=base_id))
        fill = _draft_fill(base, set(call.args.model_fields_set))
    request = await call.request(fill)
    response = await call.send(DRAFT, request)
    summary = f"Saved draft {response.draft_id} as version {response.new_version}."
    if base_id is not None:
        summary += (
            f" Fields not given were copied from model {base_id}. See what it changes with "
            f"get_model(model_id={base_id}, draft_id={response.draft_id}); apply it with update_models."
        )
    else:
        summary += " Review it with get_model(model_id=<the model>, draft_id=...); apply it with update_models."
    structured = _full(response)
    structured.pop("form_state", None)  # the ids just sent; list_model_drafts and view "full" show them
    return Presented(summary, structured, "", wrote=True)


async def _duplicate_model(call: Call[s.DuplicateModelApiRequest, s.DuplicateModelApiResponse]) -> Presented:
    """duplicate_model: the copy, then (one update) the name and departments given for it.

    Department labels are resolved before anything is written. If the update fails, the copy
    stays made: the result says so as a warning (never as a failure, which an agent would retry).
    """
    changes = {k: v for k, v in call.args.model_dump(exclude_unset=True).items() if k in COPY_CHANGES}
    await call.resolve(changes)
    response = await call.send(DUPLICATE, await call.request())
    copy_id = response.model_id
    structured = _full(response)
    warnings: list[str] = []
    if changes:
        update = s.UpdateModelApiRequest.model_validate({"models": [{"model_id": copy_id, **changes}]})
        what = " and ".join(sorted(changes))
        try:
            failure = _batch_failure("update_models", await call.send(UPDATE, update))
        except GlowError as exc:
            # duplicate_model's own hints: an admin role, and a 'Database error' is an unknown id (a department)
            failure = render_error("update_models", exc, call.state.display_url, call.spec.error_hints)
        if failure:
            warnings.append(
                f"the copy {copy_id} was made, but setting its {what} failed; fix it with update_models "
                f"(model_id {copy_id}): {failure}"
            )
    name = changes.get("name") if "name" in changes and not warnings else None
    if name is None:
        try:
            name = await _model_name(call, copy_id)
        except GlowError:
            name = None
    if name:
        structured["name"] = name
    warnings += await _name_warnings(call, [(name, copy_id)]) if name else []
    departments = ""
    if "department_ids" in changes and not warnings:
        departments = (
            " in the departments given"
            if changes["department_ids"]
            else " with no departments: a default model, which only a superadmin may edit or delete"
        )
    label = f" {name!r}" if name else ""
    summary = f"Copied into new model{label} (id {copy_id}){departments}."
    return Presented(summary, structured, "", warnings=warnings, wrote=True)


class CopyResult(Warnings):
    """What duplicate_model adds to the upstream's answer."""

    name: str | None = Field(default=None, description="The copy's name.")


#: The copy's fields duplicate_model can set in the same call (an update right after the copy).
COPY_CHANGES = {
    "name": (NameStr | None, Field(default=None, description="Name of the copy (default '<name> Copy').")),
    "department_ids": (
        list[RefStr] | None,
        Field(default=None, description="Departments of the copy, ids or labels (default: the original's)."),
    ),
}


# ------------------------------------------------------------------------------------------------
# Summaries (of the whole answers)
# ------------------------------------------------------------------------------------------------


def _count(items: list[Any] | None) -> int:
    return len(items or [])


def _batch_summary(verb: str) -> Callable[[Any, Any], str]:
    def summary(_req: Any, res: Any) -> str:
        results = res.results
        ok = sum(1 for r in results if r.success and r.model_id is not None)
        if all(r.success for r in results) and ok == len(results):
            return f"{verb} {ok} model(s): {', '.join(str(r.model_id) for r in results)}."
        failed = [r for r in results if not r.success]
        return f"Nothing was written: {len(failed)} of {len(results)} item(s) failed validation."

    return summary


def _get_summary(req: s.GetModelApiRequest, res: s.GetModelApiResponse) -> str:
    if req.model_id is None:
        counts = [f"{name} {_count(getattr(res, name).resources)}" for name in SECTIONS if getattr(res, name)]
        return "Selectable options (section: count): " + ", ".join(counts) + "."
    name = views.compact_model(req.model_id, res, ["names"]).get("name")
    draft = f", with draft version {res.draft_version}" if req.draft_id and res.draft_version is not None else ""
    return f"Model {visible(name or req.model_id)}{draft}."


_DELETED_NAME = re.compile(r"^Model '(.*)' deleted successfully\.?$", re.DOTALL)


def _deleted(result: s.DeleteModelResult) -> str:
    """``'<name>' (<id>)`` when the upstream's message names the model, else the id."""
    found = _DELETED_NAME.match(result.message or "")
    return f"{visible(found.group(1))!r} ({result.model_id})" if found else str(result.model_id)


def _delete_summary(_req: s.DeleteModelApiRequest, res: s.DeleteModelApiResponse) -> str:
    done = [_deleted(r) for r in res.results if r.success]
    failed = [f"{r.model_id} ({r.message})" for r in res.results if not r.success]
    text = f"Deleted {len(done)} of {len(res.results)} model(s)" + (f": {', '.join(done)}" if done else "")
    return text + (f"; not deleted: {', '.join(failed)}." if failed else ".")


def _export_summary(_req: s.ExportModelApiRequest, res: s.ExportModelApiResponse) -> str:
    if res.upload_id == ZERO_UUID:
        return "Nothing to export: there are no models."
    return f"Exported {res.row_count} row(s) to {res.file_name}; read {export_uri(res.upload_id)} for the CSV."


def _export_links(res: s.ExportModelApiResponse) -> list[ResourceLink]:
    if res.upload_id == ZERO_UUID:
        return []
    return [
        ResourceLink(
            type="resource_link",
            uri=export_uri(res.upload_id),
            name=res.file_name or str(res.upload_id),
            description=f"Exported models CSV, {res.row_count} row(s)",
            mime_type="text/csv",
        )
    ]


def _created(req: s.CreateModelApiRequest, res: s.CreateModelApiResponse) -> list[tuple[str | None, UUID]]:
    return [
        (item.name if "name" in item.model_fields_set else None, r.model_id)
        for item, r in zip(req.models, res.results, strict=False)
        if r.success and r.model_id is not None
    ]


def _renamed(req: s.UpdateModelApiRequest, _res: s.UpdateModelApiResponse) -> list[tuple[str | None, UUID]]:
    return [
        (item.name if "name" in item.model_fields_set else None, item.model_id)
        for item in req.models
        if {"name", "name_id"} & item.model_fields_set
    ]


# ------------------------------------------------------------------------------------------------
# The tools
# ------------------------------------------------------------------------------------------------


def _ann(*, read_only: bool, destructive: bool = False, idempotent: bool) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


LABELS = (
    "Option ids may be given as labels, any case, as get_model lists them ('openai', 'text (input)', '0.7'), model "
    "ids as exact names; an unknown or ambiguous one is an error listing candidates."
)

_DB_ERROR = (
    f"an id in the request does not exist. List valid ones with {WHERE.options} (each option's label or id) and "
    "send the request again."
)


def _batch_db_error(check_with: str) -> str:
    """A batch write's next step after a 'Database error' (an unknown id, met mid-batch)."""
    return (
        "an id in the request does not exist. Items are written one by one, so items before the failing one may "
        f"already be saved: check with {check_with}, then resend only the unsaved items with valid labels or ids "
        f"({WHERE.options} lists them)."
    )


_SECTIONS_ARG = "Only these sections (default: all)."
_BASE_MODEL = (
    RefStr | None,
    Field(default=None, description="Start from this model (id or exact name): fields you do not give are copied."),
)


def _typed(spec: ToolSpec[ReqT, ResT]) -> ToolSpec[Any, Any]:
    """``spec`` as an element of :data:`TOOL_SPECS`. Built inside this call, a spec's ``summarize``,
    ``links`` and ``written`` are type-checked against its operation's request and response models
    (in a ``tuple[ToolSpec[Any, Any], ...]`` directly they would not be)."""
    return spec


TOOL_SPECS: tuple[ToolSpec[Any, Any], ...] = (
    _typed(
        ToolSpec(
            name="get_model",
            operation=GET,
            title="Get a model, or the selectable options",
            description=(
                "Read one model (model_id: its id or exact name): its selections per section as label = id. Without "
                "model_id: the selectable options per section, each with a label that works wherever its id goes (at "
                "most 20 per section besides the selected ones). With draft_id too: the draft's selections over the "
                "model's and what the draft changes."
            ),
            annotations=_ann(read_only=True, idempotent=True),
            summarize=_get_summary,
            narrow="Ask for fewer sections (sections), or the compact view.",
            hints=ErrorHints(
                WHERE,
                forbidden="you can only read models of your departments; use search_models to see what is visible.",
            ),
            arguments={
                "view": view_field("'full': the whole answer with option lists."),
                "sections": sections_field(_SECTIONS_ARG),
            },
            outputs=(views.CompactModel, views.OptionListing, Warnings),
            handler=_get_model,
        )
    ),
    _typed(
        ToolSpec(
            name="search_models",
            operation=SEARCH,
            title="Search models",
            description=(
                "Find active models by a case-insensitive substring of name or description, ordered by name, one page "
                "at a time (page_size, default 12; page_offset; the summary gives the next page's offset). Each row: "
                "id, name, provider, description. With sections (e.g. ['pricing']) each model's selections in those "
                "sections are added: compare many models in one call. Filters take ids or labels."
            ),
            annotations=_ann(read_only=True, idempotent=True),
            summarize=lambda _req, res: f"{_count(res.models)} of {res.total_count} model(s).",
            narrow="Use a smaller page_size, fewer sections, a more specific search, or filter_provider_ids.",
            hints=ErrorHints(
                WHERE,
                server_error="the Glow server failed on this search. If its arguments were unusual, simplify "
                "them (plain search text, small page_offset and page_size); otherwise retry once, and report it "
                "to the Glow admins if it fails again.",
            ),
            arguments={
                "sections": sections_field("Add each model's selections in these sections."),
                "view": view_field("'full': the whole answer with facets."),
            },
            outputs=(views.CompactSearch,),
            handler=_search_models,
        )
    ),
    _typed(
        ToolSpec(
            name="create_models",
            operation=CREATE,
            title="Create models",
            description=(
                "Create one or more models, each with a name (or name_id) and its options by label or id. "
                + LABELS
                + " All-or-nothing "
                "validation: if any item fails validation, NOTHING is written and each item's field errors are listed "
                "(a 'Database error' for an unknown id can leave earlier items written). The result warns when another "
                "active model has the same name. Needs an admin role; a model with no departments is a default model."
            ),
            annotations=_ann(read_only=False, idempotent=False),
            summarize=_batch_summary("Created"),
            hints=ErrorHints(
                WHERE,
                forbidden="creating models needs an admin role.",
                database_error=_batch_db_error(WHERE.models),
            ),
            batch=True,
            written=_created,
            summary_only=True,
        )
    ),
    _typed(
        ToolSpec(
            name="update_models",
            operation=UPDATE,
            title="Update models",
            description=(
                "Change one or more models by model_id (id or exact name). Only the fields you give change: a list "
                "field omitted or null stays as it is, [] clears it, a list replaces it. "
                + LABELS
                + " All-or-nothing: "
                "one failing item (validation, unknown model_id, no permission) means nothing is written (a 'Database "
                "error' for an option id that does not exist can leave earlier items written). Needs an admin role; "
                "default models (no departments) need a superadmin."
            ),
            annotations=_ann(read_only=False, destructive=True, idempotent=True),
            summarize=_batch_summary("Updated"),
            hints=ErrorHints(
                WHERE,
                forbidden="updating needs an admin role; a default model (no departments) needs a superadmin.",
                database_error=_batch_db_error(WHERE.model),
            ),
            batch=True,
            written=_renamed,
            summary_only=True,
        )
    ),
    _typed(
        ToolSpec(
            name="duplicate_model",
            operation=DUPLICATE,
            title="Duplicate a model",
            description=(
                "Copy a model (model_id: id or exact name) with its selections but not its flags (set those with "
                "update_models), named '<name> Copy' unless you give name, in the original's departments unless you "
                "give department_ids (labels work; [] makes a default model). The result's model_id is the NEW "
                "model's id. Needs an admin role."
            ),
            annotations=_ann(read_only=False, idempotent=False),
            summarize=lambda _req, res: f"Copied into new model {res.model_id}: {res.message}",
            hints=ErrorHints(WHERE, forbidden="duplicating needs an admin role.", database_error=_DB_ERROR),
            arguments=COPY_CHANGES,
            outputs=(CopyResult,),
            handler=_duplicate_model,
        )
    ),
    _typed(
        ToolSpec(
            name="delete_models",
            operation=DELETE,
            title="Delete models permanently",
            description=(
                "Permanently delete models (model_ids: ids or exact names; no undo). Every model is checked first; an "
                "unknown one or one you may not delete aborts the whole request. Needs an admin role (superadmin for "
                "default models). Confirm with the user before calling."
            ),
            annotations=_ann(read_only=False, destructive=True, idempotent=True),
            summarize=_delete_summary,
            summary_only=True,
            hints=ErrorHints(
                WHERE,
                forbidden="deleting needs an admin role; a default model (no departments) needs a superadmin.",
            ),
        )
    ),
    _typed(
        ToolSpec(
            name="patch_model_draft",
            operation=DRAFT,
            title="Save a model draft",
            description=(
                "Save an editor draft of the FULL form state. With base_model_id, every field you do not give is copied "
                "from that model, so you give only what changes; without it, omitted lists are saved as empty. "
                + LABELS
                + " Append-only: each call stores a NEW draft (version expected_version + 1); the model does not "
                "change. See what a draft changes with get_model(model_id, draft_id); apply it with update_models. Needs "
                "an admin role."
            ),
            annotations=_ann(read_only=False, idempotent=False),
            summarize=lambda _req, res: f"Saved draft {res.draft_id} as version {res.new_version}.",
            hints=ErrorHints(WHERE, forbidden="saving drafts needs an admin role.", database_error=_DB_ERROR),
            arguments={"base_model_id": _BASE_MODEL},
            handler=_patch_model_draft,
        )
    ),
    _typed(
        ToolSpec(
            name="list_model_drafts",
            operation=DRAFTS,
            title="List my model drafts",
            description="List your 20 newest model drafts, newest first, with their selections (ids) and versions.",
            annotations=_ann(read_only=True, idempotent=True),
            summarize=lambda _req, res: f"{_count(res.entries)} draft(s).",
        )
    ),
    _typed(
        ToolSpec(
            name="get_model_docs",
            operation=DOCS,
            title="Get the models documentation",
            description=(
                "Documentation of the models artifact: tables and columns, operations with their parameters, "
                "permissions and page titles. Pass entity_id (a model's id or exact name) for that model's page titles. "
                f"Also readable as resource {DOCS_URI}."
            ),
            annotations=_ann(read_only=True, idempotent=True),
            summarize=lambda _req, res: (
                f"Docs of {res.name}: {_count(res.api_operations)} operation(s), {_count(res.permissions)} permission(s)."
            ),
        )
    ),
    _typed(
        ToolSpec(
            name="export_models",
            operation=EXPORT,
            title="Export models as CSV",
            description=(
                "Export all models (or one: model_id, an id or exact name) to a CSV upload and return its upload_id, "
                "file_name and row_count; the text names resource glow://exports/{upload_id}, which serves the CSV rows. "
                "An all-zero upload_id means there was nothing to export."
            ),
            annotations=_ann(read_only=False, idempotent=False),
            summarize=_export_summary,
            links=_export_links,
            summary_only=True,
        )
    ),
    _typed(
        ToolSpec(
            name="refresh_models",
            operation=REFRESH,
            title="Refresh model views and caches",
            description=(
                "Refresh the models' materialized views and invalidate their caches (and this server's cached option "
                "lists). Use it when search or list_model_drafts look stale after a change."
            ),
            annotations=_ann(read_only=False, idempotent=True),
            summarize=lambda _req, res: (
                f"Refreshed {', '.join(res.refreshed_views)}; invalidated {', '.join(res.invalidated_tags)}."
            ),
            summary_only=True,
        )
    ),
)

TOOL_NAMES: tuple[str, ...] = tuple(spec.name for spec in TOOL_SPECS)
READ_ONLY_TOOL_NAMES: tuple[str, ...] = tuple(spec.name for spec in TOOL_SPECS if spec.read_only)


def select_tools(*, read_only: bool, include: list[str], exclude: list[str]) -> list[ToolSpec[Any, Any]]:
    """The tool specs to register: ``include`` (all when empty) minus ``exclude`` (exclude wins),
    read-only ones only when ``read_only``.

    Raises:
        ValueError: naming any unknown tool name and listing the valid ones.
    """
    unknown = sorted({n for n in [*include, *exclude] if n not in TOOL_NAMES})
    if unknown:
        raise ValueError(f"unknown tool name(s): {', '.join(unknown)}; valid names: {', '.join(TOOL_NAMES)}")
    return [
        spec
        for spec in TOOL_SPECS
        if (not include or spec.name in include) and spec.name not in exclude and (spec.read_only or not read_only)
    ]


# ------------------------------------------------------------------------------------------------
# Call path
# ------------------------------------------------------------------------------------------------


#: ``clientInfo.name`` prefixes (lower case) of the clients known to handle a ``resource_link`` in
#: a tool result, for ``GLOW_MCP_RESOURCE_LINKS=auto``: VS Code ("Visual Studio Code", also
#: "... - Insiders"; 1.105 previews a linked resource and tells the model how to read it), Claude
#: Code ("claude-code"; since 1.0.44 a link becomes a text line for the model) and the MCP
#: Inspector ("mcp-inspector"; renders links). Every other client gets the text alone, which names
#: the same URI: langchain-mcp-adapters (``clientInfo`` "mcp", the Python SDK's default, which
#: openai-agents and llama-index send too) turns a link into a file block that langchain-openai's
#: Chat Completions formatter refuses and langchain-google-genai tries to download; Kiro drops the
#: whole result; no capability announces link support.
LINK_CLIENTS: tuple[str, ...] = ("visual studio code", "claude-code", "mcp-inspector")


def sends_links(setting: str, client_name: str | None) -> bool:
    """Whether a result gets its ``resource_link`` blocks: ``setting`` is ``GLOW_MCP_RESOURCE_LINKS``
    (``on``, ``off`` or ``auto``: only for a client whose ``clientInfo.name`` starts with one of
    :data:`LINK_CLIENTS`; no name, e.g. a stateless HTTP request, counts as unknown)."""
    if setting in ("on", "off"):
        return setting == "on"
    return bool(client_name) and str(client_name).strip().lower().startswith(LINK_CLIENTS)


def client_name(context: Any) -> str | None:
    """The ``clientInfo.name`` of the request's client (from ``initialize``, or from the request's
    ``_meta`` in the 2026-07-28 era), or ``None`` where the request does not carry it."""
    try:
        params = context.request_context.session.client_params
    except (AttributeError, ValueError):  # no request context (a direct call)
        return None
    info = getattr(params, "client_info", None)
    name = getattr(info, "name", None)
    return name if isinstance(name, str) else None


async def run_tool(spec: ToolSpec[Any, Any], state: AppState, arguments: dict[str, Any], *, links: bool = True) -> Any:
    """Validate ``arguments``, answer the call, and build the tool result (a ``CallToolResult``);
    ``links``: whether the result may carry the spec's resource links.

    Never raises (except for cancellation): every failure is a tool error. After a write tool
    (whatever its outcome) the cached option lists are dropped.
    """
    started = time.perf_counter()
    observed = telemetry.start_tool_call(spec.name)  # a no-op unless OpenTelemetry is on
    call: Call[Any, Any] | None = None
    outcome = "error"
    try:
        try:
            args = spec.argument_model.model_validate(arguments)
        except pydantic.ValidationError as exc:
            outcome = "invalid_arguments"
            return error_result(render_validation_error(spec.name, exc))
        call = Call(spec, state, args, links=links)
        try:
            presented = await (spec.handler or forward)(call)
        except LookupFailed as exc:
            outcome = "unresolved"
            return error_result(render_lookup_error(spec.name, exc))
        except pydantic.ValidationError as exc:  # a resolved request the contract refuses
            outcome = "invalid_arguments"
            return error_result(render_validation_error(spec.name, exc))
        except (GlowError, ConfigurationError) as exc:
            call.status = getattr(exc, "status", call.status)
            return error_result(render_error(spec.name, exc, state.display_url, spec.error_hints))
        result = build_result(
            presented, max_tokens=state.settings.max_result_tokens, narrow=spec.narrow, subject=spec.name
        )
        outcome = "error" if result.is_error else "ok"
        return result
    except Exception:  # a bug of ours: log it, tell the agent without internals
        logger.exception("tool %s failed unexpectedly", spec.name)
        return error_result(
            f"{spec.name} failed inside the MCP server (a bug, logged on the server). Retrying will not help."
        )
    finally:
        if call is not None and not spec.read_only:
            state.lookups.invalidate()
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        status = call.status if call is not None else None
        logger.info(
            "tool %s -> %s (upstream %s) in %.1f ms",
            spec.name,
            outcome,
            status,
            elapsed,
            extra={"tool": spec.name, "outcome": outcome, "upstream_status": status, "duration_ms": elapsed},
        )
        observed.end(outcome, status)


class GlowTool(Tool):
    """An MCP tool bound to one :class:`ToolSpec`.

    It keeps ``MCPServer``'s registration and listing but replaces the call path: arguments are
    validated against the spec's argument model (unknown fields rejected), and the result is built
    by :func:`run_tool`. ``parameters`` and ``output_schema`` are the spec's shaped schemas.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    spec: ToolSpec[Any, Any] = pydantic.Field(exclude=True)
    state: AppState = pydantic.Field(exclude=True)

    @property
    def output_schema(self) -> dict[str, Any] | None:
        return self.spec.output_schema

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        links = sends_links(self.state.settings.resource_links, client_name(context))
        return await run_tool(self.spec, self.state, arguments, links=links)


async def _never_called() -> None:
    """Placeholder for ``Tool``'s required function metadata; GlowTool.run replaces the call path."""


_PLACEHOLDER: Tool | None = None


def build_tool(spec: ToolSpec[Any, Any], state: AppState) -> GlowTool:
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
        parameters=spec.input_schema,
        fn_metadata=base.fn_metadata,
        is_async=True,
        context_kwarg=None,
        annotations=spec.annotations,
        spec=spec,
        state=state,
    )
