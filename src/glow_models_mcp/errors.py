"""Error texts an agent can act on (formatting only: it names no tool or resource).

Each text names the subject (the tool, or the resource URI), the upstream operation and HTTP status
when there is one, the upstream's own message (FastAPI 422 lists rendered as ``field: message``
lines) and ONE next step. What differs between tools (who may do it, what a 500 means for it,
whether a timeout may have left a write applied) comes from the :class:`ErrorHints` the caller
passes: each tool's hints live on its ``ToolSpec``, each resource's beside it.

No text built here contains a credential: the base URL is shown without user-info, headers are
never echoed, and upstream bodies were scrubbed by the client.
"""

from __future__ import annotations

from dataclasses import dataclass

import pydantic

from .exceptions import (
    MAX_DETAIL_ITEMS,
    ConfigurationError,
    GlowError,
    LookupFailed,
    ResponseTooLarge,
    TLSSetupError,
    UpstreamHTTPError,
    UpstreamResponseError,
    UpstreamUnavailable,
    detail_text,
)

#: Most unresolved labels or names a lookup error lists (the rest are counted), and the candidates
#: each gets when more than two failed (up to ``MAX_DETAIL_ITEMS`` otherwise).
MAX_LOOKUP_PROBLEMS = 20
FEW_CANDIDATES = 5


@dataclass(frozen=True)
class Where:
    """Where an agent looks things up, as the tool layer names it (so this module names no tool).

    Attributes:
        models: how to find models and their ids (e.g. ``"search_models"``).
        model: how to read one model (e.g. ``"get_model"``).
        options: where option labels and ids are listed (e.g. ``"get_model without model_id"``).
    """

    models: str
    model: str
    options: str

    @property
    def ids(self) -> str:
        """Where option and model ids come from, as one clause."""
        return f"option labels and ids come from {self.options}, model names and ids from {self.models}"


@dataclass(frozen=True)
class ErrorHints:
    """What a subject's failures mean, beyond the shared rules.

    Attributes:
        where: where the agent looks things up (named in next steps).
        forbidden: the next step after a 403 (who may do this).
        not_found: the next step after a 404 (``None``: find the model's current id).
        server_error: the next step after a 500 that is not a database error (``None``: the
            generic "retry once, then report").
        database_error: the next step after a 500 ``Database error: ...`` (``None``: generic).
        may_apply: whether the request changes something, so that a timeout after it was sent
            may have left the change applied.
    """

    where: Where
    forbidden: str = "this needs a role your token does not have; ask a Glow admin."
    not_found: str | None = None
    server_error: str | None = None
    database_error: str | None = None
    may_apply: bool = False


def next_step(error: UpstreamHTTPError, hints: ErrorHints) -> str:
    """The one next step for an upstream HTTP error, given the subject's ``hints``."""
    status, detail = error.status, detail_text(error.detail)
    if status == 401:
        return (
            "Next step: set GLOW_API_KEY (sent as X-Api-Key) and GLOW_TOKEN (a bearer JWT) in the MCP server's "
            "environment, then restart it."
        )
    if status == 403:
        return "Next step: " + hints.forbidden
    if 300 <= status < 400:
        return (
            "Next step: the Glow server redirects this request (e.g. http to https); set GLOW_INSTANCE_URL to the "
            "final address and restart the MCP server."
        )
    if status == 404 and "not found" not in detail:
        # Not the API's "<what> not found" ("Model <id> not found", "Item <i>: Model <id> not found.",
        # "Upload not found"): FastAPI's "Not Found" for a route it does not have, or a page from
        # something that is not the Glow API.
        return (
            "Next step: the Glow server has no such route; check that GLOW_INSTANCE_URL is the server's root URL "
            "(without /api/v5) and restart the MCP server."
        )
    if status == 404:
        return "Next step: " + (
            hints.not_found or f"find the model's current id with {hints.where.models} (it may have been deleted)."
        )
    if status == 422:
        return "Next step: fix the fields listed above and call again."
    database = status == 500 and detail.startswith("Database error")
    if database and ("duplicate key" in detail or "already exists" in detail):
        return (
            "Next step: an id you gave for a new record already exists; leave `id` out (the server assigns one) "
            f"or check with {hints.where.models} whether the model is already there."
        )
    if database and hints.database_error:
        return "Next step: " + hints.database_error
    if status == 500 and not database and hints.server_error:
        return "Next step: " + hints.server_error
    if status in (502, 503, 504):
        if error.retry_after:
            return f"Next step: the Glow server is temporarily unavailable and asks to retry after {error.retry_after:.0f} s."
        return "Next step: the Glow server is temporarily unavailable; wait a moment and retry."
    if status >= 500:
        return "Next step: the Glow server failed; retry once, and if it fails again report it to the Glow admins."
    return "Next step: check the arguments against the tool's input schema."


def render_error(subject: str, error: GlowError | ConfigurationError, base_url: str, hints: ErrorHints) -> str:
    """Text of the error for an upstream failure of ``subject`` (a tool name or a resource URI)."""
    if isinstance(error, TLSSetupError):
        return f"{subject}: the MCP server cannot make HTTPS requests: {error}. Then restart the MCP server."
    if isinstance(error, ConfigurationError):
        return (
            f"{subject}: the MCP server has no Glow instance configured ({error}). Set GLOW_INSTANCE_URL and restart."
        )
    op = error.operation
    if isinstance(error, UpstreamHTTPError):
        message = detail_text(error.detail)
        sep = "\n" if "\n" in message or isinstance(error.detail, list) else " "
        return (
            f"{subject} failed: upstream operation '{op}' answered HTTP {error.status}:{sep}{message}\n"
            f"{next_step(error, hints)}"
        )
    if isinstance(error, UpstreamUnavailable):
        if hints.may_apply and error.may_have_reached:
            return (
                f"{subject} failed: the Glow API at {base_url} did not answer in time ({error.reason}). The request "
                f"had been sent, so the change MAY HAVE BEEN APPLIED. Next step: check with {hints.where.models} (or "
                f"{hints.where.model}) before trying again; it is not retried automatically."
            )
        return (
            f"{subject} failed: the Glow API at {base_url} did not answer ({error.reason}). "
            "Next step: check that GLOW_INSTANCE_URL points at a running Glow server and retry; "
            "the MCP server keeps serving."
        )
    if isinstance(error, ResponseTooLarge):
        size = f"{error.size} bytes" if error.size is not None else f"more than {error.cap} bytes"
        return (
            f"{subject} failed: the Glow API sent an unusable answer to '{op}': it is {size}, over the "
            f"{error.cap}-byte cap ({error.setting}). Next step: ask for less at once (e.g. a smaller page_size), "
            f"or raise {error.setting} and restart the MCP server."
        )
    if isinstance(error, UpstreamResponseError):
        return (
            f"{subject} failed: the Glow API at {base_url} sent an unusable answer to '{op}': {error.message}. "
            "Next step: retry once; if it persists the server's version may not match this MCP server."
        )
    return f"{subject} failed: {error}"


def render_validation_error(subject: str, exc: pydantic.ValidationError) -> str:
    """Text of the error for invalid arguments: one ``field: message`` line per error.

    Values are not echoed (they may be large or sensitive), and pydantic's documentation URLs are
    left out.
    """
    lines = [f"{subject}: invalid arguments, nothing was sent to the Glow API:"]
    for err in exc.errors(include_url=False, include_input=False)[:20]:
        loc = ".".join(str(p)[:80] for p in err["loc"]) or "(arguments)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling against the input schema)"
        lines.append(f"- {loc}: {msg}")
    if exc.error_count() > 20:
        lines.append(f"- ... and {exc.error_count() - 20} more")
    lines.append("Fix these fields and call again.")
    return "\n".join(lines)


def render_lookup_error(subject: str, exc: LookupFailed) -> str:
    """Text of the error for labels or names that matched nothing, or several things: each
    reference with its reason and candidates (``label = id``), then where the full lists are."""
    count = len(exc.problems)
    lines = [f"{subject}: {count} label(s) or name(s) could not be resolved to an id; nothing was sent or written:"]
    shown = exc.problems[:MAX_LOOKUP_PROBLEMS]
    per_problem = MAX_DETAIL_ITEMS if len(shown) <= 2 else FEW_CANDIDATES  # bounded however many fail
    for problem in shown:
        lines.append(f"- {problem.path}: {problem.reason}.")
        if problem.candidates:
            lines.append("  Candidates (label = id):")
            lines.extend(f"    {label} = {ident}" for label, ident in problem.candidates[:per_problem])
            if len(problem.candidates) > per_problem:
                lines.append(f"  ... and {len(problem.candidates) - per_problem} more candidates")
    if count > len(shown):
        lines.append(f"- ... and {count - len(shown)} more label(s) or name(s) that could not be resolved")
    lines.append(exc.where)
    return "\n".join(lines)
