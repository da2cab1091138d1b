"""Roles, default models, department visibility and agent usage, with the upstream's 403 texts."""

from __future__ import annotations

import uuid

from .sandbox_support import ADMIN, MEMBER, SUPERADMIN, Api, unique


def _detail(response) -> tuple[int, object]:
    return response.status_code, response.json()


def test_member_cannot_write(api: Api) -> None:
    model_id = api.create(department_ids=[api.department("Organization")])
    assert _detail(api.post("create", {"models": [{"name": "x"}]}, token=MEMBER)) == (
        403,
        {"detail": "You don't have permission to create models."},
    )
    assert _detail(api.post("update", {"models": [{"model_id": model_id, "description": "x"}]}, token=MEMBER)) == (
        403,
        {"detail": "Item 0: You don't have permission to update this model."},
    )
    assert _detail(api.post("delete", {"model_ids": [model_id]}, token=MEMBER)) == (
        403,
        {"detail": "Item 0: You don't have permission to delete this model."},
    )
    assert _detail(api.post("duplicate", {"model_id": model_id}, token=MEMBER)) == (
        403,
        {"detail": "You don't have permission to duplicate this model."},
    )
    response = api.draft({"name": "x"}, token=MEMBER)
    assert _detail(response) == (403, {"detail": "You don't have permission to create or edit model drafts."})
    # the role check comes before the existence check
    assert _detail(api.post("duplicate", {"model_id": str(uuid.uuid4())}, token=MEMBER))[0] == 403
    # reads are open to any authenticated profile
    for op in ("search", "docs", "export", "drafts", "refresh"):
        assert api.post(op, {}, token=MEMBER).status_code == 200, op
    got = api.ok("get", {"model_id": model_id}, token=MEMBER)
    assert got["can_edit"] is False
    assert got["disabled_reason"] == "This model cannot be edited. You can view the details but cannot make changes."


def test_default_models_only_superadmin(api: Api) -> None:
    gpt5 = api.search_ids("gpt-5")[0]  # seeded: no departments, a default model
    admin_view = api.ok("get", {"model_id": gpt5}, token=ADMIN)
    assert admin_view["can_edit"] is False
    assert admin_view["disabled_reason"] == (
        "This is a default model that cannot be edited. You can view the details but cannot make changes."
    )
    assert _detail(api.post("update", {"models": [{"model_id": gpt5, "description": "x"}]}, token=ADMIN)) == (
        403,
        {"detail": "Item 0: You don't have permission to update this model."},
    )
    assert _detail(api.post("delete", {"model_ids": [gpt5]}, token=ADMIN)) == (
        403,
        {"detail": "Item 0: You don't have permission to delete this model."},
    )
    # an admin may still duplicate it (role-only check) and the copy keeps "no departments"
    copy = api.ok("duplicate", {"model_id": gpt5}, token=ADMIN)
    assert copy["success"] is True
    # the superadmin may edit and delete default models
    assert api.ok("get", {"model_id": gpt5})["can_edit"] is True
    assert api.ok("update", {"models": [{"model_id": copy["model_id"], "description": "by superadmin"}]})["results"][0][
        "success"
    ]
    assert api.ok("delete", {"model_ids": [copy["model_id"]]})["results"][0]["success"]
    # an admin may create a model without departments... and then not edit it
    own_default = api.create(token=ADMIN)
    assert (
        api.post("update", {"models": [{"model_id": own_default, "description": "x"}]}, token=ADMIN).status_code == 403
    )


def test_department_visibility_in_get(api: Api) -> None:
    university = api.create(department_ids=[api.department("University")])
    for token in (ADMIN, MEMBER):
        assert _detail(api.post("get", {"model_id": university}, token=token)) == (
            403,
            {"detail": "You don't have access to this model. It may be restricted to other departments."},
        )
    assert api.ok("get", {"model_id": university})["model_exists"] is True
    # sharing ANY department is enough to see a model
    both = api.create(department_ids=[api.department("University"), api.department("Organization")])
    seen = api.ok("get", {"model_id": both}, token=MEMBER)
    assert seen["model_exists"] is True and seen["can_edit"] is False
    # ...but editing needs ALL of them (the admin belongs to Organization only)
    assert api.ok("get", {"model_id": both}, token=ADMIN)["can_edit"] is False
    assert _detail(api.post("update", {"models": [{"model_id": both, "name": "x"}]}, token=ADMIN)) == (
        403,
        {"detail": "Item 0: You don't have permission to update this model."},
    )
    # deletion has no department check upstream: the admin may delete it
    assert api.ok("delete", {"model_ids": [both]}, token=ADMIN)["results"][0]["success"] is True


def test_admin_edits_models_of_own_department(api: Api) -> None:
    org = api.department("Organization")
    name = unique("admin")
    model_id = api.create(token=ADMIN, name=name, department_ids=[org])
    view = api.ok("get", {"model_id": model_id}, token=ADMIN)
    assert view["can_edit"] is True and view["disabled_reason"] is None
    result = api.ok("update", {"models": [{"model_id": model_id, "description": "edited"}]}, token=ADMIN)["results"]
    assert result == [{"success": True, "model_id": model_id, "message": "Model updated successfully", "errors": None}]
    assert (
        api.ok("delete", {"model_ids": [model_id]}, token=ADMIN)["results"][0]["message"]
        == f"Model '{name}' deleted successfully"
    )


def test_model_used_by_an_active_agent_cannot_be_edited_or_deleted(fresh_api: Api) -> None:
    org = fresh_api.department("Organization")
    model_id = fresh_api.create(department_ids=[org])
    fresh_api.server.app.state.database.add_agent("Tutor", [model_id])
    view = fresh_api.ok("get", {"model_id": model_id})
    assert view["can_edit"] is False
    assert view["disabled_reason"] == (
        "This model is currently in use by agents and cannot be edited. You can view the details but cannot make changes."
    )
    for token in (SUPERADMIN, ADMIN):
        assert _detail(fresh_api.post("update", {"models": [{"model_id": model_id, "name": "x"}]}, token=token)) == (
            403,
            {"detail": "Item 0: You don't have permission to update this model."},
        )
        assert _detail(fresh_api.post("delete", {"model_ids": [model_id]}, token=token)) == (
            403,
            {"detail": "Item 0: You don't have permission to delete this model."},
        )
    # an inactive agent does not block
    other = fresh_api.create(department_ids=[org])
    fresh_api.server.app.state.database.add_agent("Retired", [other], active=False)
    assert fresh_api.ok("delete", {"model_ids": [other]})["results"][0]["success"] is True
