"""MCP resources, resource templates, argument completion and prompts.

* ``glow://models/docs`` (resource) and ``glow://models/{model_id}/docs`` (resource template): the
  ``docs`` operation as ``application/json``; ``model_id`` (an id or a model's exact name) is the
  operation's ``entity_id``.
* ``glow://exports/{upload_id}`` (resource template): the CSV of an ``export_models`` call, fetched
  through ``GET /uploads/{upload_id}/download``, as ``text/csv``.
* Completion of the docs template's ``model_id`` and the ``change_model_safely`` prompt's ``model``:
  model names, then ids, answered through ``search``.
* Prompts for the two common workflows: adding a model by option labels, and changing one safely
  through a draft made from it (``base_model_id``).

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
from . import views
from .arguments import MAX_REF_CHARS, has_control
from .errors import ErrorHints, render_error, render_lookup_error
from .exceptions import ConfigurationError, GlowError, LookupFailed, ResponseTooLarge, UpstreamHTTPError
from .lookup import Ref, resolve
from .results import compact_json, dump_result
from .tools import LOOKUP_WHERE, WHERE
from .upstream import DOCS, SEARCH, ZERO_UUID
from .uris import DOCS_TEMPLATE, DOCS_URI, EXPORT_TEMPLATE, export_uri, model_docs_uri

if TYPE_CHECKING:
    from .state import AppState

#: What a resource's failures mean by default.
DEFAULT_HINTS = ErrorHints(WHERE)

#: What the export resource's failures mean (a 404: the upload is gone).
EXPORT_HINTS = ErrorHints(
    WHERE, not_found="this upload does not exist (any more); call export_models again and read its new link."
)

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


def resource_error(
    uri: str,
    exc: GlowError | ConfigurationError,
    state: AppState,
    hints: ErrorHints = DEFAULT_HINTS,
    narrow: str = "",
) -> ResourceError:
    """The error of a failed read of ``uri``: :class:`ResourceNotFoundError` (JSON-RPC -32602, as
    SEP-2164 says) when the upstream answered 404, else :class:`ResourceError` (-32603); the
    message is the actionable text of :func:`.errors.render_error`, or of :func:`too_large_text`
    (with ``narrow``, how to ask for less) for a body over its cap."""
    if isinstance(exc, ResponseTooLarge):
        return ResourceError(too_large_text(uri, exc, narrow))
    text = render_error(uri, exc, state.display_url, hints)
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
        description="The models docs with page titles for one model (model_id: its id or exact name).",
        mime_type="application/json",
    )
    async def model_docs(model_id: str) -> str:
        uri = model_docs_uri(model_id[:80])
        if len(model_id) > MAX_REF_CHARS:  # as for a model_id argument: no name is longer
            raise ResourceNotFoundError(f"{uri}: a model id or name has at most {MAX_REF_CHARS} characters")
        ref = Ref("model_id", None, model_id)
        try:
            ident = (await resolve([ref], state.client, state.lookups, LOOKUP_WHERE))[ref]
        except LookupFailed as exc:
            raise ResourceNotFoundError(render_lookup_error(uri, exc)) from None
        except (GlowError, ConfigurationError) as exc:
            raise resource_error(uri, exc, state) from None
        return await _docs(state, uri, ident)

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
            return views.csv_with_short_floats(await state.client.download_upload(uid))
        except (GlowError, ConfigurationError) as exc:
            narrow = "export less (export_models with model_id exports one model)"
            raise resource_error(export_uri(uid), exc, state, EXPORT_HINTS, narrow) from None

    @server.completion()
    async def complete(
        ref: ResourceTemplateReference | PromptReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        if (
            isinstance(ref, ResourceTemplateReference) and ref.uri == DOCS_TEMPLATE and argument.name == "model_id"
        ) or (isinstance(ref, PromptReference) and ref.name == "change_model_safely" and argument.name == "model"):
            return await complete_model_ref(state, argument.value)
        return None


async def complete_model_ref(state: AppState, partial: str) -> Completion:
    """Completions of a model reference: the names of active models that start with (then contain)
    ``partial``, then their ids; for a hex ``partial``, the ids that start with it.

    Answers with no values (never an error) when the upstream cannot be reached, and without asking
    it for a ``partial`` with a control character (no name holds one; Glow answers 500 to a NUL).
    """
    partial = partial.strip()[:200]
    if has_control(partial):
        return Completion(values=[], total=0, has_more=False)
    by_id = bool(partial) and bool(_HEX.match(partial)) and len(partial) >= 8
    request = s.SearchModelApiRequest(search=None if by_id else (partial or None), page_size=100)
    try:
        _, page = await state.client.request(SEARCH, request)
    except (GlowError, ConfigurationError):
        return Completion(values=[], total=0, has_more=False)
    models = [m for m in page.models or [] if m.model_id is not None]
    ids = [str(m.model_id) for m in models]
    if by_id:
        values = [i for i in ids if i.startswith(partial.lower())]
    else:
        names = list(dict.fromkeys(m.name for m in models if m.name))
        key = partial.casefold()
        names.sort(key=lambda n: not n.casefold().startswith(key))
        values = names + ids
    more = (page.total_count or 0) > len(models)
    return Completion(values=values[:100], total=len(values), has_more=more or len(values) > 100)


def register_prompts(server: MCPServer[Any], *, read_only: bool) -> None:
    """Add the workflow prompts (only the read-only-safe one when ``read_only``)."""

    if not read_only:

        @server.prompt(
            name="add_model",
            title="Add a model to the catalog",
            description="List the options, create the model by their labels, then verify it by search.",
        )
        def add_model(name: str, provider: str = "", description: str = "") -> str:
            extra = "".join(
                f"\n- {label}: {value}"
                for label, value in (("provider", provider), ("description", description))
                if value
            )
            example = provider or "openai"
            return (
                f"Add the AI model '{name}' to the Glow catalog.{extra}\n"
                "1. If you do not know which options exist, call get_model with no arguments (each section's "
                "options as label = id); a label works wherever an id goes.\n"
                f"2. Call create_models with one item: name '{name}' and the options that fit, by label (e.g. "
                f"provider_ids ['{example}'], modality_ids ['text (input)', 'text (output)']). An unknown label is an "
                "error listing candidates, and nothing is written: pick from them and call again. If the result lists "
                "validation errors, nothing was written either: fix those fields and call again.\n"
                f"3. Call search_models with search '{name}' and confirm the model is there; report its model_id."
            )

    @server.prompt(
        name="change_model_safely",
        title="Change a model safely",
        description="Read the model, save a draft from it, review what it changes, and only then update the model.",
    )
    def change_model_safely(model: str, change: str) -> str:
        steps = (
            f"Change the Glow model '{model}' as follows: {change}\n"
            f"1. Call get_model with model_id '{model}' (its id or exact name) to read its current selections as "
            "label = id; get_model with no arguments lists the other options.\n"
        )
        if read_only:
            return steps + "2. This server is read-only: describe the exact update_models call to make, do not make it."
        return steps + (
            f"2. Call patch_model_draft with base_model_id '{model}' and only the fields that change, by label "
            "(a list field takes its whole new list); everything else is copied from the model.\n"
            f"3. Call get_model with model_id '{model}' and the draft_id from step 2: it shows what the draft "
            "changes. Show the user.\n"
            f"4. Only after the user agrees, call update_models with model_id '{model}' and the changed fields "
            "(omit unchanged lists; [] clears a list). Then get_model again to confirm."
        )
