"""The docs operation: a composed description of the model artifact.

Shaped like the upstream's ``ComposedDocsResponse``: the artifact with its tables, the drafts
entry with its materialized view, the twelve resources, the permission functions and the API
operations with their parameters, and the page titles. Tables and columns are read from the
sandbox's own SQLite schema; permission parameters are introspected from
:mod:`glow_models_mcp.sandbox.permissions`; operation parameters come from the contract's request
schemas.
"""

from __future__ import annotations

import inspect
import json
import sqlite3
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import Any

from . import permissions as perms
from . import store as db
from .store import KINDS

DESCRIPTION = (
    "Models define AI model configurations. Each model links to resources (names, descriptions, departments, "
    "flags, modalities, pricing, providers, qualities, reasoning_levels, temperature_levels, values, voices) "
    "via junction tables."
)

PAGE_METADATA = {
    "list": ("Models", "Manage AI model configurations."),
    "detail": ("— Model", "View and edit model configuration and linked resources."),
    "new": ("New Model", "Create a new model."),
}

_BASE = "/api/v5/artifacts/models"

#: (handler name, method, path, description) of the API operations the upstream lists.
API_OPERATIONS = [
    ("get_model", "POST", f"{_BASE}/get", "POST /get — Get a single model by ID with hydrated resources."),
    ("search_model", "POST", f"{_BASE}/search", "POST /search — Paginated model search with filters."),
    ("create_model", "POST", f"{_BASE}/create", "POST /create — Create a new model artifact."),
    ("update_model", "POST", f"{_BASE}/update", "POST /update — Update an existing model's resource links."),
    ("duplicate_model", "POST", f"{_BASE}/duplicate", "POST /duplicate — Duplicate an existing model."),
    ("delete_model", "POST", f"{_BASE}/delete", "POST /delete — Delete a model."),
    ("patch_model_draft", "PATCH", f"{_BASE}/draft", "PATCH /draft — Create or patch a model draft (autosave)."),
    ("export_models", "POST", f"{_BASE}/export", "POST /export — Export models as denormalized CSV."),
]

PERMISSIONS: list[tuple[Callable[..., Any], str]] = [
    (perms.has_access, "View access — user shares ANY department with the model."),
    (perms.compute_can_edit, "Unified edit permission for UI and save enforcement."),
    (perms.compute_can_delete, "Delete permission — same as edit + usage check."),
    (perms.compute_can_duplicate, "Duplicate — role-only check."),
    (perms.compute_can_create, "Create new artifact — role + department check."),
    (perms.compute_can_draft, "Draft — role-only check."),
]

RESOURCE_DESCRIPTIONS = {
    "names": "Display names of artifacts; created on the fly from a model's name.",
    "descriptions": "Free-text descriptions; created on the fly from a model's description.",
    "departments": "Departments that own artifacts; a model without departments is a default model.",
    "flags": "Boolean flags; model_active controls whether agents may select the model.",
    "modalities": "Input and output modalities (text, image, audio, video, call).",
    "pricing": "Price entries: type (input, output, cached), price and unit.",
    "providers": "AI providers (openai, gemini).",
    "qualities": "Output quality levels (low, medium, high).",
    "reasoning_levels": "Reasoning effort levels (none to high).",
    "temperature_levels": "Sampling temperatures, stored as float32 (real).",
    "values": "Provider-side model identifiers sent to the provider's API.",
    "voices": "Voices of audio and realtime models.",
}


@cache
def _contract() -> dict[str, Any]:
    text = files("glow_models_mcp.sandbox").joinpath("models_openapi.json").read_text(encoding="utf-8")
    return json.loads(text)


def _type_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type_name(s) for s in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array":
        return f"list[{_type_name(schema.get('items', {}))}]"
    if kind == "string" and schema.get("format") == "uuid":
        return "UUID"
    return {"string": "str", "integer": "int", "boolean": "bool", "number": "float", "null": "None"}.get(
        kind or "", "Any"
    )


def _request_params(method: str, path: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    op = _contract()["paths"][path][method.lower()]
    schemas = _contract()["components"]["schemas"]
    params: list[dict[str, Any]] = []
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body:
        component = schemas[body["$ref"].rsplit("/", 1)[-1]]
        required = set(component.get("required", []))
        for name, prop in component.get("properties", {}).items():
            params.append(
                {"name": name, "type": _type_name(prop), "required": name in required, "default": prop.get("default")}
            )
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]
    return params, {"type": _type_name(ok), "status": 200}


def _function_info(func: Callable[..., Any], description: str) -> dict[str, Any]:
    params = []
    for p in inspect.signature(func).parameters.values():
        annotation = (
            p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", str(p.annotation))
        )
        has_default = p.default is not inspect.Parameter.empty
        params.append(
            {
                "name": p.name,
                "type": annotation,
                "required": not has_default,
                "default": p.default if has_default else None,
            }
        )
    returns = inspect.signature(func).return_annotation
    return {
        "name": func.__name__,
        "description": description,
        "params": params,
        "returns": {"type": returns if isinstance(returns, str) else str(returns)},
    }


def _op(name: str, description: str, params: list[tuple[str, str, bool]]) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "params": [{"name": n, "type": t, "required": r, "default": None} for n, t, r in params],
        "returns": None,
    }


def _table(conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    return {"name": name, "columns": db.table_columns(conn, name)}


def compose(conn: sqlite3.Connection, entity_name: str | None) -> dict[str, Any]:
    """The ComposedDocsResponse body (call with the database lock held)."""
    artifact = {
        "name": "model",
        "type": "artifact",
        "description": DESCRIPTION,
        "materialized_view": None,
        "tables": [_table(conn, "model_artifact"), *(_table(conn, k.junction) for k in KINDS.values())],
        "operations": [
            _op(
                "create_model",
                "Insert a model artifact and its junction rows.",
                [("id", "UUID | None", False)] + [(k.ids_field, "list[UUID] | None", False) for k in KINDS.values()],
            ),
            _op("get_models", "Fetch model artifacts with the requested junction ids.", [("ids", "list[UUID]", True)]),
            _op(
                "search_models",
                "Search model ids by name or description (active only), ordered by name.",
                [
                    ("search", "str | None", False),
                    ("department_ids", "list[UUID] | None", False),
                    ("provider_ids", "list[UUID] | None", False),
                    ("limit_count", "int", False),
                    ("offset_count", "int", False),
                ],
            ),
            _op(
                "update_model",
                "Replace the junction rows that are given (None = unchanged, [] = clear).",
                [("id", "UUID", True)] + [(k.ids_field, "list[UUID] | None", False) for k in KINDS.values()],
            ),
            _op("delete_models", "Hard-delete model artifacts and their junction rows.", [("ids", "list[UUID]", True)]),
        ],
    }
    drafts = {
        "name": "model_drafts",
        "type": "entry",
        "description": "Append-only model drafts: every save is a new row with version = expected_version + 1.",
        "materialized_view": {
            "name": "model_drafts_mv",
            "definition": db.view_definition(conn, "model_drafts_mv"),
            "columns": db.table_columns(conn, "model_drafts_mv"),
        },
        "tables": [_table(conn, "model_drafts_entry")],
        "operations": [
            _op(
                "create_model_draft",
                "Insert a draft row (a snapshot of the full form state).",
                [("version", "int", True), ("group_id", "UUID", True), ("session_id", "UUID", True)]
                + [(f, "list[UUID] | None", False) for f in db.DRAFT_LIST_FIELDS],
            ),
            _op(
                "search_model_drafts",
                "The profile's 20 newest active drafts, newest first.",
                [("profile_ids", "list[UUID]", True)],
            ),
            _op("refresh_model_drafts", "Refresh the model_drafts_mv materialized view.", []),
        ],
    }
    resources = []
    for kind in KINDS.values():
        ops = [
            _op(f"get_{kind.section}", f"Fetch {kind.section} by id.", [("ids", "list[UUID]", True)]),
            _op(
                f"search_{kind.section}",
                f"Search {kind.section} (bounded, 20 by default).",
                [
                    ("search", "str | None", False),
                    ("exclude_ids", "list[UUID] | None", False),
                    ("limit_count", "int", False),
                ],
            ),
        ]
        if kind.section in ("names", "descriptions"):
            ops.append(
                _op(
                    f"create_{kind.section[:-1]}",
                    f"Create a {kind.section[:-1]} resource from text.",
                    [("value", "str", True)],
                )
            )
        resources.append(
            {
                "name": kind.section,
                "type": "resource",
                "description": RESOURCE_DESCRIPTIONS[kind.section],
                "materialized_view": None,
                "tables": [_table(conn, kind.table)],
                "operations": ops,
            }
        )
    api_operations = []
    for name, method, path, description in API_OPERATIONS:
        params, returns = _request_params(method, path)
        api_operations.append({"name": name, "description": description, "params": params, "returns": returns})
    (lt, ld), (dt, dd), (nt, nd) = PAGE_METADATA["list"], PAGE_METADATA["detail"], PAGE_METADATA["new"]
    return {
        "name": "model",
        "type": "artifact",
        "description": DESCRIPTION,
        "artifact": artifact,
        "entries": [drafts],
        "resources": resources,
        "permissions": [_function_info(f, d) for f, d in PERMISSIONS],
        "api_operations": api_operations,
        "page_metadata": {
            "list": {"title": lt, "description": ld},
            "detail": {"title": f"{entity_name} {dt}" if entity_name else dt, "description": dd},
            "new": {"title": nt, "description": nd},
        },
    }
