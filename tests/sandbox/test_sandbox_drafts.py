"""draft (append-only) and drafts (the caller's 20 newest)."""

from __future__ import annotations

import uuid

from .sandbox_support import ADMIN, SUPERADMIN, Api

DRAFT_KEYS = {
    "id",
    "version",
    "created_at",
    "generated",
    "mcp",
    "active",
    "group_id",
    "session_id",
    "department_ids",
    "description_ids",
    "flag_ids",
    "modality_ids",
    "name_ids",
    "pricing_ids",
    "profile_ids",
    "provider_ids",
    "quality_ids",
    "reasoning_level_ids",
    "temperature_level_ids",
    "value_ids",
    "voice_ids",
}
LISTS = (
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


def test_each_draft_is_a_new_row_with_version_plus_one(fresh_api: Api) -> None:
    api = fresh_api
    modalities = api.ids("modalities", 2)
    response = api.draft({"expected_version": 4, "name": "first", "modality_ids": modalities})
    assert response.status_code == 200 and response.headers["x-invalidate-tags"] == "models,drafts"
    first = response.json()
    assert set(first) == {"success", "draft_id", "new_version", "message", "form_state"}
    assert first["success"] is True and first["new_version"] == 5 and first["message"] == "Draft created successfully"
    state = first["form_state"]
    assert state["modality_ids"] == modalities
    assert all(state[k] == [] for k in LISTS if k != "modality_ids")  # omitted lists come back []
    assert uuid.UUID(state["name_id"]) and state["description_id"] is None
    # expected_version is not checked: the same (stale) version again is accepted, as a new row
    second = api.draft({"expected_version": 4, "input_draft_id": first["draft_id"], "name_id": state["name_id"]}).json()
    assert second["draft_id"] != first["draft_id"] and second["new_version"] == 5
    assert second["form_state"]["name_id"] == state["name_id"] and second["form_state"]["modality_ids"] == []
    default = api.draft({}).json()
    assert default["new_version"] == 1 and default["form_state"]["name_id"] is None


def test_drafts_lists_the_callers_newest_first(fresh_api: Api) -> None:
    api = fresh_api
    made = [api.draft({"expected_version": v, "description": f"d{v}"}).json()["draft_id"] for v in range(23)]
    other = api.draft({"name": "someone else's"}, token=ADMIN).json()["draft_id"]
    response = api.post("drafts")
    assert response.status_code == 200 and response.headers["x-cache-tags"] == "models,drafts"
    entries = response.json()["entries"]
    assert [e["id"] for e in entries] == list(reversed(made))[:20]
    assert [e["version"] for e in entries] == list(range(23, 3, -1))
    assert other not in [e["id"] for e in entries]
    newest = entries[0]
    assert set(newest) == DRAFT_KEYS
    assert newest["active"] is True and newest["generated"] is False
    assert len(newest["description_ids"]) == 1 and newest["name_ids"] == []
    assert newest["profile_ids"] == [str(api.server.app.state.tokens[SUPERADMIN].profile_id)]
    admin_entries = api.ok("drafts", token=ADMIN)["entries"]
    assert [e["id"] for e in admin_entries] == [other]


def test_draft_versions_beyond_a_postgres_integer_fail_as_upstream(api: Api) -> None:
    response = api.draft({"expected_version": 2**31 - 1})
    assert response.status_code == 500
    assert response.json() == {"detail": "invalid input for query argument $4: 2147483648 (value out of int32 range)"}
