"""Error texts an agent can act on.

Each text names the tool (and so the operation), the HTTP status when there is one, the upstream's
own message (FastAPI 422 lists rendered as ``field: message`` lines) and ONE next step. No text
built here contains a credential: the base URL is shown without user-info, and headers are never
echoed.
"""

from __future__ import annotations

import pydantic

from .exceptions import (
    ConfigurationError,
    GlowError,
    UpstreamHTTPError,
    UpstreamResponseError,
    UpstreamUnavailable,
    detail_text,
)

_ROLE_HINT = {
    "create_models": "Creating models needs an admin role.",
    "update_models": "Updating needs an admin role; a default model (no departments) needs a superadmin.",
    "delete_models": "Deleting needs an admin role; a default model (no departments) needs a superadmin.",
    "duplicate_model": "Duplicating needs an admin role.",
    "patch_model_draft": "Saving drafts needs an admin role.",
    "get_model": "You can only read models of your departments; ask a superadmin or use search_models to see what is visible.",
}

_WRITE_TOOLS = (
    "create_models",
    "update_models",
    "delete_models",
    "duplicate_model",
    "patch_model_draft",
    "export_models",
)

_DB_ERROR_TOOLS = ("patch_model_draft", "duplicate_model")  # create/update have their own hint


def next_step(tool: str, error: UpstreamHTTPError) -> str:
    """The one next step for an upstream HTTP error of ``tool``."""
    status, detail = error.status, detail_text(error.detail)
    if status == 401:
        return (
            "Next step: set GLOW_API_KEY (sent as X-Api-Key) and GLOW_TOKEN (a bearer JWT) in the MCP server's "
            "environment, then restart it."
        )
    if status == 403:
        return "Next step: " + _ROLE_HINT.get(tool, "this needs a role your token does not have; ask a Glow admin.")
    if 300 <= status < 400:
        return (
            "Next step: the Glow server redirects this request (e.g. http to https); set GLOW_INSTANCE_URL to the "
            "final address and restart the MCP server."
        )
    if status == 404 and tool.startswith("glow://exports/"):
        return "Next step: this upload does not exist (any more); call export_models again and read its new link."
    if status == 404:
        return "Next step: find the model's current id with search_models (it may have been deleted)."
    if status == 422:
        return "Next step: fix the fields listed above and call again."
    if (
        status == 500
        and detail.startswith("Database error")
        and ("duplicate key" in detail or "already exists" in detail)
    ):
        return (
            "Next step: an id you gave for a new record already exists; leave `id` out (the server assigns one) "
            "or check with search_models whether the model is already there."
        )
    if status == 500 and detail.startswith("Database error") and tool in ("create_models", "update_models"):
        return (
            "Next step: an id in the request does not exist. Items are written one by one, so items before the "
            "failing one may already be saved: check with search_models, then resend only the unsaved items with "
            "valid ids (list them with get_model called without model_id: each section's resources[].id)."
        )
    if status == 500 and detail.startswith("Database error") and tool in _DB_ERROR_TOOLS:
        return (
            "Next step: an id in the request does not exist. List valid ids with get_model called without "
            "model_id (each section's resources[].id) and send the request again."
        )
    if status == 500 and tool == "search_models":
        return (
            "Next step: the server failed on these search arguments; simplify the search text and keep "
            "page_offset and page_size small non-negative numbers, then retry."
        )
    if status in (502, 503, 504):
        if error.retry_after:
            return f"Next step: the Glow server is temporarily unavailable and asks to retry after {error.retry_after:.0f} s."
        return "Next step: the Glow server is temporarily unavailable; wait a moment and retry."
    if status >= 500:
        return "Next step: the Glow server failed; retry once, and if it fails again report it to the Glow admins."
    return "Next step: check the arguments against the tool's input schema."


def render_error(tool: str, error: GlowError | ConfigurationError, base_url: str) -> str:
    """Text of the tool error for an upstream failure of ``tool``."""
    if isinstance(error, ConfigurationError):
        return f"{tool}: the MCP server has no Glow instance configured ({error}). Set GLOW_INSTANCE_URL and restart."
    op = error.operation
    if isinstance(error, UpstreamHTTPError):
        message = detail_text(error.detail)
        sep = "\n" if "\n" in message or isinstance(error.detail, list) else " "
        return f"{tool} failed: upstream operation '{op}' answered HTTP {error.status}:{sep}{message}\n{next_step(tool, error)}"
    if isinstance(error, UpstreamUnavailable):
        if tool in _WRITE_TOOLS and error.may_have_reached:
            return (
                f"{tool} failed: the Glow API at {base_url} did not answer in time ({error.reason}). The request "
                "had been sent, so the change MAY HAVE BEEN APPLIED. Next step: check with search_models (or "
                "get_model) before trying again; it is not retried automatically."
            )
        return (
            f"{tool} failed: the Glow API at {base_url} did not answer ({error.reason}). "
            "Next step: check that GLOW_INSTANCE_URL points at a running Glow server and retry; "
            "the MCP server keeps serving."
        )
    if isinstance(error, UpstreamResponseError):
        return (
            f"{tool} failed: the Glow API at {base_url} sent an unusable answer to '{op}': {error.message}. "
            "Next step: retry once; if it persists the server's version may not match this MCP server."
        )
    return f"{tool} failed: {error}"


def render_validation_error(tool: str, exc: pydantic.ValidationError) -> str:
    """Text of the tool error for invalid arguments: one ``field: message`` line per error.

    Values are not echoed (they may be large or sensitive), and pydantic's documentation URLs are
    left out.
    """
    lines = [f"{tool}: invalid arguments, nothing was sent to the Glow API:"]
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
