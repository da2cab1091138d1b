"""MCP resources, resource templates, argument completion and prompts.

* ``glow://models/docs`` (resource) and ``glow://models/{model_id}/docs`` (resource template): the
  ``docs`` operation as ``application/json``; ``model_id`` is the operation's ``entity_id``.
* ``glow://exports/{upload_id}`` (resource template): the CSV of an ``export_models`` call, fetched
  through ``GET /uploads/{upload_id}/download``, as ``text/csv``.
* Completion of ``model_id`` in the docs template, answered through ``search``.
* Prompts for the two common workflows: adding a model, and changing one safely.

Upstream failures raise :class:`ResourceError` whose message is the same actionable text as a
tool error (see :mod:`.errors`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference

from . import schemas as s
from .errors import render_error
from .exceptions import ConfigurationError, GlowError, UpstreamHTTPError
from .tools import compact_json, dump_result
from .upstream import DOCS, SEARCH, ZERO_UUID, ResponseTooLarge

if TYPE_CHECKING:
    from .state import AppState

DOCS_URI = "glow://models/docs"
DOCS_TEMPLATE = "glow://models/{model_id}/docs"
EXPORT_TEMPLATE = "glow://exports/{upload_id}"

_HEX = re.compile(r"^[0-9a-fA-F-]+$")


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ResourceNotFoundError(f"{what} must be a UUID, got {value[:80]!r}") from None


async def _docs(state: AppState, resource: str, entity_id: UUID | None) -> str:
    try:
        _, docs = await state.client.request(DOCS, s.DocsApiRequest(entity_id=entity_id))
    except (GlowError, ConfigurationError) as exc:
        raise resource_error(resource, exc, state) from None
    return compact_json(dump_result(docs))


def resource_error(uri: str, exc: GlowError | ConfigurationError, state: AppState, narrow: str = "") -> ResourceError:
    """The error of a failed read of ``uri``: :class:`ResourceNotFoundError` (JSON-RPC -32602, as
    SEP-2164 says) when the upstream answered 404, else :class:`ResourceError` (-32603); the
    message is the actionable text of :func:`.errors.render_error`, or of :func:`too_large_text`
    (with ``narrow``, how to ask for less) for a body over its cap."""
    if isinstance(exc, ResponseTooLarge):
        return ResourceError(too_large_text(uri, exc, narrow))
    text = render_error(uri, exc, state.display_url)
    if isinstance(exc, UpstreamHTTPError) and exc.status == 404:
        return ResourceNotFoundError(text)
    return ResourceError(text)


def too_large_text(uri: str, exc: ResponseTooLarge, narrow: str = "") -> str:
    """What to say when the body behind ``uri`` is over its byte cap: its size, the cap, how to
    ask for less (``narrow``) and the setting that raises the cap."""
    size = f"{exc.size} bytes" if exc.size is not None else f"more than {exc.cap} bytes"
    less = f"{narrow}, or " if narrow else ""
    return (
        f"{uri}: the file is {size}, over this server's limit of {exc.cap} bytes ({exc.setting}), "
        f"so it was not read. Next step: {less}raise {exc.setting} and restart the MCP server."
    )


def register_resources(server: MCPServer[Any], state: AppState) -> None:
    """Add the docs resource, the docs and export resource templates, and ``model_id`` completion."""

    @server.resource(
        DOCS_URI,
        name="models-docs",
        title="Glow models documentation",
        description="Composed docs of the models artifact: tables, operations with params, permissions, page titles.",
        mime_type="application/json",
    )
    async def models_docs() -> str:
        return await _docs(state, DOCS_URI, None)

    @server.resource(
        DOCS_TEMPLATE,
        name="model-docs",
        title="Glow documentation for one model",
        description="The models docs with page titles for one model (model_id from search_models).",
        mime_type="application/json",
    )
    async def model_docs(model_id: str) -> str:
        return await _docs(state, f"glow://models/{model_id[:80]}/docs", _uuid(model_id, "model_id"))

    @server.resource(
        EXPORT_TEMPLATE,
        name="models-export",
        title="Exported models CSV",
        description="The CSV written by export_models (columns model_id, name, ..., voices; lists joined with |).",
        mime_type="text/csv",
    )
    async def export_csv(upload_id: str) -> str:
        uid = _uuid(upload_id, "upload_id")
        if uid == ZERO_UUID:
            raise ResourceNotFoundError("the all-zero upload_id means there was nothing to export; no file exists")
        try:
            return await state.client.download_upload(uid)
        except (GlowError, ConfigurationError) as exc:
            narrow = "export less (export_models with model_id exports one model)"
            raise resource_error(f"glow://exports/{uid}", exc, state, narrow) from None

    @server.completion()
    async def complete(
        ref: ResourceTemplateReference | PromptReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        if not isinstance(ref, ResourceTemplateReference) or ref.uri != DOCS_TEMPLATE:
            return None
        if argument.name != "model_id":
            return None
        return await complete_model_id(state, argument.value)


async def complete_model_id(state: AppState, partial: str) -> Completion:
    """Model ids matching ``partial``: an id prefix, or a substring of the model's name or description.

    Answers with no values (never an error) when the upstream cannot be reached.
    """
    partial = partial.strip()[:200]
    by_id = bool(partial) and bool(_HEX.match(partial))
    request = s.SearchModelApiRequest(search=None if by_id else (partial or None), page_size=100)
    try:
        _, page = await state.client.request(SEARCH, request)
    except (GlowError, ConfigurationError):
        return Completion(values=[], total=0, has_more=False)
    ids = [str(m.model_id) for m in page.models or [] if m.model_id is not None]
    if by_id:
        ids = [i for i in ids if i.startswith(partial.lower())]
        total = len(ids)
    else:
        total = page.total_count if page.total_count is not None else len(ids)
    return Completion(values=ids[:100], total=total, has_more=total > len(ids[:100]))


def register_prompts(server: MCPServer[Any], *, read_only: bool) -> None:
    """Add the workflow prompts (only the read-only-safe one when ``read_only``)."""

    if not read_only:

        @server.prompt(
            name="add_model",
            title="Add a model to the catalog",
            description="List the options, create the model with their ids, then verify it by search.",
        )
        def add_model(name: str, provider: str = "", description: str = "") -> str:
            extra = "".join(
                f"\n- {label}: {value}"
                for label, value in (("provider", provider), ("description", description))
                if value
            )
            return (
                f"Add the AI model '{name}' to the Glow catalog.{extra}\n"
                "1. Call get_model with no arguments to list every section's selectable options and their ids.\n"
                "2. Pick the provider, value, modalities, pricing, temperature/reasoning levels, qualities, voices, "
                "flags and departments that fit; use only ids from step 1.\n"
                f"3. Call create_models with one item: name '{name}' and the chosen *_ids. If the result lists "
                "validation errors, nothing was written: fix those fields and call again.\n"
                f"4. Call search_models with search '{name}' and confirm the model is there; report its model_id."
            )

    @server.prompt(
        name="change_model_safely",
        title="Change a model safely",
        description="Read the model, save a draft, review it, and only then update the model.",
    )
    def change_model_safely(model: str, change: str) -> str:
        steps = (
            f"Change the Glow model '{model}' as follows: {change}\n"
            f"1. Find it with search_models (search '{model}') and note its model_id.\n"
            "2. Call get_model with that model_id to read its current selections; call get_model with no "
            "arguments to learn the ids of the options you need.\n"
        )
        if read_only:
            return steps + "3. This server is read-only: describe the exact update_models call to make, do not make it."
        return steps + (
            "3. Call patch_model_draft with the FULL new state (every list, not just the changed one).\n"
            "4. Review it with get_model(model_id, draft_id) and show the user what will change.\n"
            "5. Only after the user agrees, call update_models with the changed fields (omit unchanged lists; "
            "[] clears a list). Then get_model again to confirm."
        )
