"""The operations of the Models API, one method each, with the real server's rules and texts.

Each public method runs under the database lock, so an operation never interleaves with another.
4xx answers are raised as :class:`HTTPError`, database failures as :class:`DatabaseError`.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid
from datetime import datetime
from typing import Any

from . import store as db
from .auth import Profile
from .errors import DatabaseError, HTTPError
from .permissions import (
    compute_can_create,
    compute_can_delete,
    compute_can_draft,
    compute_can_duplicate,
    compute_can_edit,
    compute_disabled_reason,
    has_access,
)
from .store import KINDS, Database
from .validation import (
    CreateModelItem,
    PatchModelDraftApiRequest,
    SearchModelApiRequest,
    UpdateModelItem,
)

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
DEFAULT_PAGE_SIZE = 12
SUGGESTION_LIMIT = 20  # the upstream's resource search tools return at most 20 suggestions
FLAG_SUGGESTION_LIMIT = 50
DRAFTS_LIMIT = 20
FACET_LIMIT = 100
MODEL_FLAG_NAMES = {
    "model_active",
    "model_modalities_enabled",
    "model_temperature_enabled",
    "model_pricing_enabled",
    "model_voices_enabled",
    "model_reasoning_levels_enabled",
    "model_qualities_enabled",
}
SINGLE_SELECT = ("names", "descriptions", "values", "providers")
MULTI_SELECT = ("departments", "modalities", "temperature_levels", "pricing", "reasoning_levels", "qualities", "voices")
SHOW = {"names": False, "values": False}  # shown only when an AI tool is configured; the sandbox has none
REQUIRED = {"names", "values", "providers"}
NO_SUGGESTION_IDS = {"providers", "flags"}
CSV_COLUMNS = [
    "model_id",
    "name",
    "description",
    "active",
    "departments",
    "value",
    "provider",
    "modalities",
    "temperature_levels",
    "reasoning_levels",
    "qualities",
    "voices",
]


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _ids(values: list[uuid.UUID] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


def _derive_flag_key_and_label(name: str | None) -> tuple[str, str]:
    if not name:
        return ("unknown", "Unknown")
    key = name.replace("model_", "")
    return key, key.replace("_", " ").title()


def _flag_config(flag: dict[str, Any]) -> dict[str, Any]:
    key, label = _derive_flag_key_and_label(flag.get("name"))
    return {
        "key": key,
        "label": label,
        "description": flag.get("description"),
        "icon_id": flag.get("icon"),
        "flag_option_id": flag["id"],
        "show": True,
        "required": False,
        "generated": flag.get("generated"),
        # Not in the upstream's ModelFlagConfig: every selectable resource carries id and name.
        "id": flag["id"],
        "name": flag.get("name"),
    }


def _dedupe(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for item in items:
        if item["id"] not in seen:
            seen.add(item["id"])
            out.append(item)
    return out


class ModelService:
    """The operations, over one :class:`~glow_models_mcp.sandbox.store.Database`."""

    def __init__(self, database: Database) -> None:
        self.db = database

    # ------------------------------------------------------------------------------------
    # get
    # ------------------------------------------------------------------------------------

    def get(self, profile: Profile, model_id: uuid.UUID | None, draft_id: uuid.UUID | None) -> dict[str, Any]:
        with self.db.read() as conn:
            user_depts = db.department_ids(conn, profile.department_names)
            artifact = None
            agents = 0
            if model_id is not None:
                artifact = db.load_model(conn, str(model_id))
                if artifact is None:
                    raise HTTPError(404, f"Model {model_id} not found")
                if not has_access(profile.role, user_depts, artifact["links"]["departments"]):
                    raise HTTPError(
                        403, "You don't have access to this model. It may be restricted to other departments."
                    )
                agents = db.active_agent_count(conn, artifact["id"])
            draft = self._draft_row(conn, str(draft_id)) if draft_id is not None else None

            merged = {s: list(artifact["links"][s]) if artifact else [] for s in KINDS}
            if draft is not None:
                for section, kind in KINDS.items():
                    ids = json.loads(draft[kind.ids_field])
                    if ids:
                        merged[section] = ids

            selected = {s: db.resources(conn, s, merged[s]) for s in KINDS}
            sugg: dict[str, list[dict[str, Any]]] = {}
            for section in KINDS:
                exclude = merged[section]
                if section == "departments":
                    sugg[section] = db.suggestions(
                        conn, section, exclude=exclude, limit=SUGGESTION_LIMIT, only=user_depts
                    )
                elif section == "flags":
                    rows = db.suggestions(conn, section, exclude=exclude, limit=FLAG_SUGGESTION_LIMIT)
                    sugg[section] = [f for f in rows if f.get("name") in MODEL_FLAG_NAMES]
                elif section in ("names", "descriptions"):
                    sugg[section] = db.suggestions(
                        conn, section, exclude=exclude, limit=SUGGESTION_LIMIT, linked_to_models=True
                    )
                else:
                    sugg[section] = db.suggestions(conn, section, exclude=exclude, limit=SUGGESTION_LIMIT)

        model_depts = artifact["links"]["departments"] if artifact else []
        all_departments = _dedupe(selected["departments"] + sugg["departments"])
        if model_id is None and not all_departments:
            raise HTTPError(400, "No accessible departments found for user")

        def section_fields(key: str) -> dict[str, Any]:
            show = SHOW.get(key, True)
            if key == "departments":
                show = len(all_departments) > 0
            return {
                "show": show,
                "required": key in REQUIRED,
                "suggestions": [] if key in NO_SUGGESTION_IDS else [r["id"] for r in sugg[key]],
                "show_ai_generate": False,
                "tool_id": None,
                "link_tool_id": None,
            }

        body: dict[str, Any] = {
            "actor_name": profile.name,
            "model_exists": artifact is not None,
            "can_edit": compute_can_edit(profile.role, model_depts, agents, user_depts),
            "disabled_reason": compute_disabled_reason(profile.role, model_depts, agents),
            "draft_version": draft["version"] if draft is not None else None,
            "group_id": str(profile.group_id),
            "basic_show_ai_generate": False,
            "provider_show_ai_generate": False,
            "features_show_ai_generate": False,
        }
        for key in SINGLE_SELECT:
            body[key] = {
                **section_fields(key),
                "resource": selected[key][0] if selected[key] else None,
                "resources": _dedupe(selected[key] + sugg[key]),
            }
        body["flags"] = {
            **section_fields("flags"),
            "current": [_flag_config(f) for f in selected["flags"]] or None,
            "resources": [_flag_config(f) for f in _dedupe(selected["flags"] + sugg["flags"])],
        }
        for key in MULTI_SELECT:
            body[key] = {
                **section_fields(key),
                "current": selected[key] or None,
                "resources": all_departments if key == "departments" else _dedupe(selected[key] + sugg[key]),
            }
        return body

    # ------------------------------------------------------------------------------------
    # search
    # ------------------------------------------------------------------------------------

    def search(self, profile: Profile, req: SearchModelApiRequest) -> dict[str, Any]:
        page_size = req.page_size or DEFAULT_PAGE_SIZE
        page_offset = req.page_offset or 0
        empty: dict[str, Any] = {
            "actor_name": profile.name,
            "models": [],
            "provider_filter": None,
            "department_filter": None,
            "agent_filter": None,
            "total_count": 0,
        }
        with self.db.read() as conn:
            user_depts = db.department_ids(conn, profile.department_names)
            restrict: set[str] | None = None
            if req.filter_agent_ids:
                ids = [str(a) for a in req.filter_agent_ids]
                rows = conn.execute(
                    f"SELECT DISTINCT model_id FROM agent_models_junction WHERE agent_id IN ({','.join('?' * len(ids))})",
                    ids,
                ).fetchall()
                restrict = {r[0] for r in rows}
                if not restrict:
                    return empty
            if page_size < 0:
                raise DatabaseError("LIMIT must not be negative")
            if page_offset < 0:
                raise DatabaseError("OFFSET must not be negative")
            candidates = self._catalog(conn, active_only=True)
            if req.search and "\x00" in req.search:
                raise DatabaseError('invalid byte sequence for encoding "UTF8": 0x00')
            needle = req.search.casefold() if req.search else None
            prov = {str(p) for p in req.filter_provider_ids} if req.filter_provider_ids else None
            dept = {str(d) for d in req.filter_department_ids} if req.filter_department_ids else None
            matches = [
                m
                for m in candidates
                if (
                    needle is None
                    or needle in (m["name"] or "").casefold()
                    or needle in (m["description"] or "").casefold()
                )
                and (prov is None or prov & set(m["links"]["providers"]))
                and (dept is None or dept & set(m["links"]["departments"]))
                and (restrict is None or m["id"] in restrict)
            ]
            page = matches[page_offset : page_offset + page_size]
            if not page:
                return empty
            providers = {p["id"]: p for p in db.all_rows(conn, "providers")}
            models = []
            for m in page:
                dept_ids = list(m["links"]["departments"])
                provider = providers.get(m["links"]["providers"][0]) if m["links"]["providers"] else None
                models.append(
                    {
                        "model_id": m["id"],
                        "name": m["name"],
                        "description": m["description"],
                        "provider_id": provider["id"] if provider else None,
                        "provider_name": provider["name"] if provider else None,
                        "base_url": (provider["endpoint"] or "") if provider else None,
                        "department_ids": dept_ids,
                        "is_inactive": not m["active"],
                        "active": m["active"],
                        "image_model": None,
                        # The list view passes no agent count (advisory; the write endpoints re-check).
                        "can_edit": compute_can_edit(profile.role, dept_ids, 0, user_depts),
                        "can_duplicate": compute_can_duplicate(profile.role),
                        "can_delete": compute_can_delete(profile.role, dept_ids, 0),
                        "updated_at": m["updated_at"],
                    }
                )

            def facet(rows: list[dict[str, Any]], text: str | None, selected: list[uuid.UUID] | None) -> dict[str, Any]:
                if text:
                    rows = [r for r in rows if text.casefold() in (r["name"] or "").casefold()]
                return {
                    "options": [
                        {"id": r["id"], "name": r["name"], "count": 0, "hex_code": None, "value": None, "type": None}
                        for r in rows[:FACET_LIMIT]
                    ],
                    "selected_ids": [str(s) for s in selected] if selected else None,
                    "search": text,
                }

            agents = [
                {"id": r["id"], "name": r["name"]}
                for r in conn.execute("SELECT id, name FROM agent_artifact ORDER BY name, rowid")
            ]
            return {
                "actor_name": profile.name,
                "models": models,
                "provider_filter": facet(db.all_rows(conn, "providers"), req.provider_search, req.filter_provider_ids),
                "department_filter": facet(
                    db.all_rows(conn, "departments"), req.department_search, req.filter_department_ids
                ),
                "agent_filter": facet(agents, req.agent_search, req.filter_agent_ids),
                "total_count": len(matches),
            }

    def _catalog(self, conn: sqlite3.Connection, *, active_only: bool) -> list[dict[str, Any]]:
        """Every model with its name, description and links, ordered by name."""
        rows = conn.execute("SELECT * FROM model_artifact" + (" WHERE active = 1" if active_only else "")).fetchall()
        names = dict(
            conn.execute(
                "SELECT j.model_id, n.name FROM model_names_junction j JOIN names_resource n ON n.id = j.name_id WHERE j.position = 0"
            ).fetchall()
        )
        descriptions = dict(
            conn.execute(
                "SELECT j.model_id, d.description FROM model_descriptions_junction j "
                "JOIN descriptions_resource d ON d.id = j.description_id WHERE j.position = 0"
            ).fetchall()
        )
        links: dict[str, dict[str, list[str]]] = {r["id"]: {s: [] for s in KINDS} for r in rows}
        for kind in KINDS.values():
            for mid, rid in conn.execute(
                f"SELECT model_id, {kind.column} FROM {kind.junction} ORDER BY model_id, position"
            ):
                if mid in links:
                    links[mid][kind.section].append(rid)
        out = [
            {
                "id": r["id"],
                "active": bool(r["active"]),
                "updated_at": r["updated_at"],
                "name": names.get(r["id"]),
                "description": descriptions.get(r["id"]),
                "links": links[r["id"]],
            }
            for r in rows
        ]
        out.sort(key=lambda m: ((m["name"] or "").casefold(), m["name"] or "", m["id"]))
        return out

    # ------------------------------------------------------------------------------------
    # create / update
    # ------------------------------------------------------------------------------------

    def _resolve(
        self, conn: sqlite3.Connection, item: CreateModelItem | UpdateModelItem, *, is_create: bool
    ) -> tuple[list[dict[str, str]], list[str] | None]:
        """Field errors of one item, and its department ids (names resolved)."""
        errors: list[dict[str, str]] = []
        department_ids = _ids(item.department_ids)
        if item.departments is not None and item.department_ids is None:
            by_name: dict[str, str] = {}
            for row in conn.execute("SELECT id, name FROM departments_resource ORDER BY rowid"):
                by_name.setdefault(row["name"].lower(), row["id"])
            resolved = []
            for name in item.departments:
                if name.lower() in by_name:
                    resolved.append(by_name[name.lower()])
                else:
                    errors.append({"field": "departments", "message": f'Department "{name}" not found'})
            if not errors:
                department_ids = resolved
        if is_create and item.name_id is None and item.name is None:
            errors.append({"field": "name", "message": "Name is required"})
        return errors, department_ids

    def _validate_batch(
        self, conn: sqlite3.Connection, items: list[Any], *, is_create: bool
    ) -> tuple[list[dict[str, Any]], bool, list[list[str] | None]]:
        results, failed, departments = [], False, []
        for idx, item in enumerate(items):
            errors, dept_ids = self._resolve(conn, item, is_create=is_create)
            departments.append(dept_ids)
            if errors:
                failed = True
                results.append(
                    {"success": False, "model_id": None, "message": f"Item {idx}: Validation errors", "errors": errors}
                )
            else:
                results.append({"success": True, "model_id": None, "message": "Validated", "errors": None})
        return results, failed, departments

    @staticmethod
    def _write_links(
        conn: sqlite3.Connection,
        model_id: str,
        item: Any,
        department_ids: list[str] | None,
        *,
        replace_only_given: bool,
    ) -> None:
        name_id = _s(item.name_id)
        if name_id is None and item.name is not None:
            name_id = db.insert_text_resource(conn, "names", item.name)
        description_id = _s(item.description_id)
        if description_id is None and item.description is not None:
            description_id = db.insert_text_resource(conn, "descriptions", item.description)
        values: dict[str, list[str] | None] = {
            "names": [name_id] if name_id else (None if replace_only_given else []),
            "descriptions": [description_id] if description_id else (None if replace_only_given else []),
            "departments": department_ids,
        }
        for section in db.WRITE_ORDER:
            ids = values[section] if section in values else _ids(getattr(item, KINDS[section].ids_field))
            if ids is None:
                if replace_only_given:
                    continue
                ids = []
            db.set_links(conn, model_id, section, ids)

    def create(self, profile: Profile, items: list[CreateModelItem]) -> dict[str, Any]:
        with self.db.read() as conn:
            user_depts = db.department_ids(conn, profile.department_names)
            if not compute_can_create(profile.role, user_depts):
                raise HTTPError(403, "You don't have permission to create models.")
            validated, failed, departments = self._validate_batch(conn, items, is_create=True)
            if failed:
                return {"results": validated}
            results = []
            # Written one by one, each in its own transaction, as upstream: a database error on
            # item k leaves items 0..k-1 written.
            for item, dept_ids in zip(items, departments, strict=False):
                with self.db.transaction() as tx:
                    mid = db.insert_model(tx, _s(item.id))
                    self._write_links(tx, mid, item, dept_ids, replace_only_given=False)
                results.append(
                    {"success": True, "model_id": mid, "message": "Model created successfully", "errors": None}
                )
            return {"results": results}

    def update(self, profile: Profile, items: list[UpdateModelItem]) -> dict[str, Any]:
        with self.db.read() as conn:
            user_depts = db.department_ids(conn, profile.department_names)
            for idx, item in enumerate(items):
                artifact = db.load_model(conn, str(item.model_id))
                if artifact is None:
                    raise HTTPError(404, f"Item {idx}: Model {item.model_id} not found.")
                agents = db.active_agent_count(conn, artifact["id"])
                if not compute_can_edit(profile.role, artifact["links"]["departments"], agents, user_depts):
                    raise HTTPError(403, f"Item {idx}: You don't have permission to update this model.")
            validated, failed, departments = self._validate_batch(conn, items, is_create=False)
            if failed:
                return {"results": validated}
            results = []
            for item, dept_ids in zip(items, departments, strict=False):
                mid = str(item.model_id)
                with self.db.transaction() as tx:
                    self._write_links(tx, mid, item, dept_ids, replace_only_given=True)
                    tx.execute("UPDATE model_artifact SET updated_at = ? WHERE id = ?", (db.now_iso(), mid))
                results.append(
                    {"success": True, "model_id": mid, "message": "Model updated successfully", "errors": None}
                )
            return {"results": results}

    # ------------------------------------------------------------------------------------
    # duplicate / delete
    # ------------------------------------------------------------------------------------

    def duplicate(self, profile: Profile, model_id: uuid.UUID) -> dict[str, Any]:
        if not compute_can_duplicate(profile.role):
            raise HTTPError(403, "You don't have permission to duplicate this model.")
        with self.db.transaction() as conn:
            original = db.load_model(conn, str(model_id))
            if original is None:
                raise HTTPError(404, f"Model {model_id} not found.")
            name = db.first_name(conn, original["id"]) or "Unknown"
            inactive = conn.execute(
                "SELECT id FROM flags_resource WHERE type = 'model_active' AND value = 0 ORDER BY rowid LIMIT 1"
            ).fetchone()
            new_id = db.insert_model(conn, None, active=inactive is None)
            links = dict(original["links"])
            links["names"] = [db.insert_text_resource(conn, "names", f"{name} Copy")]
            links["descriptions"] = links["descriptions"][:1]
            links["flags"] = [inactive[0]] if inactive is not None else []
            for section in db.WRITE_ORDER:
                db.set_links(conn, new_id, section, links[section])
        return {"success": True, "model_id": new_id, "message": f"Model '{name}' duplicated successfully"}

    def delete(self, profile: Profile, model_ids: list[uuid.UUID]) -> dict[str, Any]:
        with self.db.read() as conn:
            for idx, model_id in enumerate(model_ids):
                artifact = db.load_model(conn, str(model_id))
                if artifact is None:
                    raise HTTPError(404, f"Item {idx}: Model {model_id} not found.")
                agents = db.active_agent_count(conn, artifact["id"])
                if not compute_can_delete(profile.role, artifact["links"]["departments"], agents):
                    raise HTTPError(403, f"Item {idx}: You don't have permission to delete this model.")
            ids = list(dict.fromkeys(str(m) for m in model_ids))
            names = {mid: db.first_name(conn, mid) or "Unknown" for mid in ids}
            with self.db.transaction() as tx:
                for mid in ids:
                    tx.execute("DELETE FROM model_artifact WHERE id = ?", (mid,))
        return {
            "results": [
                {"success": True, "model_id": mid, "message": f"Model '{names[mid]}' deleted successfully"}
                for mid in ids
            ]
        }

    # ------------------------------------------------------------------------------------
    # drafts
    # ------------------------------------------------------------------------------------

    @staticmethod
    def _draft_row(conn: sqlite3.Connection, draft_id: str) -> sqlite3.Row | None:
        return conn.execute("SELECT * FROM model_drafts_entry WHERE id = ?", (draft_id,)).fetchone()

    def patch_draft(self, profile: Profile, req: PatchModelDraftApiRequest, *, mcp: bool) -> dict[str, Any]:
        if not compute_can_draft(profile.role):
            raise HTTPError(403, "You don't have permission to create or edit model drafts.")
        new_version = req.expected_version + 1
        if not -(2**31) <= new_version < 2**31:  # the version column is a Postgres integer
            raise ValueError(f"invalid input for query argument $4: {new_version} (value out of int32 range)")
        with self.db.transaction() as conn:
            name_id = _s(req.name_id)
            if name_id is None and req.name is not None:
                name_id = db.insert_text_resource(conn, "names", req.name)
            description_id = _s(req.description_id)
            if description_id is None and req.description is not None:
                description_id = db.insert_text_resource(conn, "descriptions", req.description)
            lists = {
                f: _ids(getattr(req, f)) or []
                for f in (
                    "flag_ids",
                    "department_ids",
                    "modality_ids",
                    "pricing_ids",
                    "provider_ids",
                    "quality_ids",
                    "reasoning_level_ids",
                    "temperature_level_ids",
                    "value_ids",
                    "voice_ids",
                )
            }
            row = {
                **lists,
                "name_ids": [name_id] if name_id else [],
                "description_ids": [description_id] if description_id else [],
                "profile_ids": [str(profile.profile_id)],
            }
            draft_id = str(uuid.uuid4())
            cols = [
                "id",
                "version",
                "created_at",
                "generated",
                "mcp",
                "active",
                "group_id",
                "session_id",
                "input_draft_id",
                *db.DRAFT_LIST_FIELDS,
            ]
            vals = [
                draft_id,
                new_version,
                db.now_iso(),
                0,
                int(mcp),
                1,
                str(profile.group_id),
                str(profile.session_id),
                _s(req.input_draft_id),
                *(json.dumps(row[f]) for f in db.DRAFT_LIST_FIELDS),
            ]
            conn.execute(
                f"INSERT INTO model_drafts_entry ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", vals
            )
        return {
            "success": True,
            "draft_id": draft_id,
            "new_version": new_version,
            "message": "Draft created successfully",
            "form_state": {"name_id": name_id, "description_id": description_id, **lists},
        }

    def list_drafts(self, profile: Profile) -> dict[str, Any]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM model_drafts_entry WHERE active = 1 AND profile_ids LIKE ? ORDER BY created_at DESC, seq DESC LIMIT ?",
                (f'%"{profile.profile_id}"%', DRAFTS_LIMIT),
            ).fetchall()
        return {
            "entries": [
                {
                    "id": r["id"],
                    "version": r["version"],
                    "created_at": r["created_at"],
                    "generated": bool(r["generated"]),
                    "mcp": bool(r["mcp"]),
                    "active": bool(r["active"]),
                    "group_id": r["group_id"],
                    "session_id": r["session_id"],
                    **{f: json.loads(r[f]) for f in db.DRAFT_LIST_FIELDS},
                }
                for r in rows
            ]
        }

    # ------------------------------------------------------------------------------------
    # export / uploads
    # ------------------------------------------------------------------------------------

    def export(self, profile: Profile, model_id: uuid.UUID | None) -> dict[str, Any]:
        with self.db.read() as conn:
            catalog = self._catalog(conn, active_only=False)
            if model_id is not None:
                models = [m for m in catalog if m["id"] == str(model_id)]
            else:
                if not catalog:
                    return {"upload_id": ZERO_UUID, "file_name": "", "row_count": 0}
                models = catalog
            label = {
                "departments": "name",
                "values": "value",
                "providers": "name",
                "modalities": "modality",
                "temperature_levels": "temperature",
                "reasoning_levels": "reasoning_level",
                "qualities": "quality",
                "voices": "voice",
            }
            lookup = {s: {r["id"]: r[col] for r in db.all_rows(conn, s)} for s, col in label.items()}
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(CSV_COLUMNS)

            def many(m: dict[str, Any], section: str) -> str:
                return "|".join(str(lookup[section].get(i, "")) for i in m["links"][section])

            def one(m: dict[str, Any], section: str) -> str:
                ids = m["links"][section]
                return str(lookup[section].get(ids[0], "")) if ids else ""

            for m in models:
                writer.writerow(
                    [
                        m["id"],
                        m["name"] or "",
                        m["description"] or "",
                        "Yes" if m["active"] else "No",
                        many(m, "departments"),
                        one(m, "values"),
                        one(m, "providers"),
                        many(m, "modalities"),
                        many(m, "temperature_levels"),
                        many(m, "reasoning_levels"),
                        many(m, "qualities"),
                        many(m, "voices"),
                    ]
                )
            upload_id = str(uuid.uuid4())
            file_name = f"models_export_{datetime.now().strftime('%Y-%m-%d_%H%M%S')}.csv"
            with self.db.transaction() as tx:
                tx.execute(
                    "INSERT INTO uploads_entry (id, file_name, mime_type, content, row_count, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (upload_id, file_name, "text/csv", out.getvalue(), len(models), db.now_iso()),
                )
        return {"upload_id": upload_id, "file_name": file_name, "row_count": len(models)}

    def upload(self, upload_id: uuid.UUID) -> tuple[str, str, str] | None:
        """``(file_name, mime_type, content)`` of an upload, or ``None``."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT file_name, mime_type, content FROM uploads_entry WHERE id = ?", (str(upload_id),)
            ).fetchone()
        return None if row is None else (row["file_name"], row["mime_type"], row["content"])

    # ------------------------------------------------------------------------------------
    # docs support
    # ------------------------------------------------------------------------------------

    def entity_name(self, entity_id: uuid.UUID) -> str | None:
        with self.db.read() as conn:
            return db.first_name(conn, str(entity_id))
