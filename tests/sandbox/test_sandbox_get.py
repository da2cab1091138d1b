"""get: new-model mode, selections in resource/current, draft overrides, 404."""

from __future__ import annotations

import uuid

from .sandbox_support import ADMIN, MEMBER, Api, unique

SINGLE = ("names", "descriptions", "values", "providers")
MULTI = (
    "flags",
    "departments",
    "modalities",
    "temperature_levels",
    "pricing",
    "reasoning_levels",
    "qualities",
    "voices",
)
TOP = {
    "actor_name",
    "model_exists",
    "can_edit",
    "disabled_reason",
    "draft_version",
    "group_id",
    "basic_show_ai_generate",
    "provider_show_ai_generate",
    "features_show_ai_generate",
    *SINGLE,
    *MULTI,
}


def test_new_model_mode_lists_every_section_with_ids(api: Api) -> None:
    response = api.post("get", {})
    assert response.status_code == 200
    assert response.headers["x-cache-tags"] == "models"
    body = response.json()
    assert set(body) == TOP
    assert (
        body["model_exists"] is False and body["draft_version"] is None and body["actor_name"] == "Sandbox Superadmin"
    )
    for section in (*SINGLE, *MULTI):
        resources = body[section]["resources"]
        assert resources, section
        for item in resources:
            uuid.UUID(item["id"])
            assert isinstance(item["name"], str)
    for section in SINGLE:
        assert "resource" in body[section] and body[section]["resource"] is None and "current" not in body[section]
    for section in MULTI:
        assert "current" in body[section] and body[section]["current"] is None and "resource" not in body[section]
    names = {s: {r["name"] for r in body[s]["resources"]} for s in ("providers", "departments", "qualities", "voices")}
    assert names["providers"] == {"openai", "gemini"}
    assert names["departments"] == {"Organization", "University"}
    assert names["qualities"] == {"low", "medium", "high"}
    assert len(names["voices"]) == 8
    modality = body["modalities"]["resources"][0]
    assert set(modality) >= {"id", "name", "modality", "is_input"}
    price = body["pricing"]["resources"][0]
    assert set(price) >= {"id", "name", "price", "pricing_type", "unit_name"}
    assert set(body["temperature_levels"]["resources"][0]) >= {"id", "name", "temperature"}
    flag = body["flags"]["resources"][0]
    assert flag["key"] == "active" and flag["label"] == "Active" and flag["flag_option_id"] == flag["id"]
    assert flag["name"] == "model_active" and flag["icon_id"] == "Power"
    # the upstream's resource searches are bounded: at most 20 suggestions per section
    assert len(body["temperature_levels"]["resources"]) == 20 and len(body["pricing"]["resources"]) == 20
    assert body["temperature_levels"]["suggestions"] == [r["id"] for r in body["temperature_levels"]["resources"]]
    assert body["providers"]["suggestions"] == [] and body["flags"]["suggestions"] == []
    # show / required as upstream (names and values are shown only when an AI tool is configured)
    assert (body["names"]["show"], body["names"]["required"]) == (False, True)
    assert (body["values"]["show"], body["values"]["required"]) == (False, True)
    assert (body["providers"]["show"], body["providers"]["required"]) == (True, True)
    assert (body["modalities"]["show"], body["modalities"]["required"]) == (True, False)


def test_new_model_mode_departments_follow_the_profile(api: Api) -> None:
    admin = api.ok("get", {}, token=ADMIN)
    assert [d["name"] for d in admin["departments"]["resources"]] == ["Organization"]
    assert admin["can_edit"] is False  # nothing selected yet counts as a default model for non-superadmins
    assert api.ok("get", {})["can_edit"] is True


def test_selected_items_in_resource_and_current(api: Api) -> None:
    openai = api.ids("providers", where=lambda r: r["name"] == "openai")[0]
    modalities = api.ids("modalities", 2)
    org = api.department("Organization")
    name = unique("get")
    model_id = api.create(
        name=name, description="described", provider_ids=[openai], modality_ids=modalities, department_ids=[org]
    )
    body = api.ok("get", {"model_id": model_id})
    assert body["model_exists"] is True
    assert body["names"]["resource"]["name"] == name
    assert body["descriptions"]["resource"]["name"] == "described"
    assert body["providers"]["resource"]["id"] == openai and body["providers"]["resource"]["name"] == "openai"
    assert [m["id"] for m in body["modalities"]["current"]] == modalities
    assert [d["id"] for d in body["departments"]["current"]] == [org]
    assert body["values"]["resource"] is None and body["voices"]["current"] is None
    # the selected items are among the resources, first, and not repeated
    ids = [m["id"] for m in body["modalities"]["resources"]]
    assert ids[:2] == modalities and len(ids) == len(set(ids)) == 10
    assert modalities[0] not in body["modalities"]["suggestions"]


def test_seeded_model_has_its_catalog(api: Api) -> None:
    gpt5 = api.search_ids("gpt-5")[0]
    body = api.ok("get", {"model_id": gpt5})
    assert body["names"]["resource"]["name"] == "gpt-5"
    assert body["values"]["resource"]["name"] == "gpt-5"  # filled-in value = the model's name
    assert body["providers"]["resource"]["name"] == "openai"
    assert [t["temperature"] for t in body["temperature_levels"]["current"]] == [1.0]
    assert [r["name"] for r in body["reasoning_levels"]["current"]] == ["none", "minimal", "low", "medium", "high"]
    assert [f["key"] for f in body["flags"]["current"]] == ["active"]
    assert body["departments"]["current"] is None


def test_draft_overrides_and_unknown_draft_is_ignored(api: Api) -> None:
    modalities = api.ids("modalities", 3)
    voices = api.ids("voices", 1)
    model_id = api.create(modality_ids=modalities[:2], voice_ids=voices)
    draft = api.draft(
        {"expected_version": 2, "name": "draft name", "modality_ids": modalities[2:], "voice_ids": []}
    ).json()
    with_draft = api.ok("get", {"model_id": model_id, "draft_id": draft["draft_id"]})
    assert with_draft["draft_version"] == 3
    assert with_draft["names"]["resource"]["name"] == "draft name"
    assert [m["id"] for m in with_draft["modalities"]["current"]] == modalities[2:]
    # an empty list in the draft does not override (upstream merges non-empty lists only)
    assert [v["id"] for v in with_draft["voices"]["current"]] == voices
    unknown = api.ok("get", {"model_id": model_id, "draft_id": str(uuid.uuid4())})
    assert unknown["draft_version"] is None
    assert [m["id"] for m in unknown["modalities"]["current"]] == modalities[:2]
    # a draft alone fills the new-model form
    alone = api.ok("get", {"draft_id": draft["draft_id"]})
    assert alone["model_exists"] is False and alone["draft_version"] == 3
    assert [m["id"] for m in alone["modalities"]["current"]] == modalities[2:]


def test_unknown_model_is_404(api: Api) -> None:
    missing = uuid.uuid4()
    for token in ("sandbox-superadmin", MEMBER):
        response = api.post("get", {"model_id": str(missing)}, token=token)
        assert response.status_code == 404
        assert response.json() == {"detail": f"Model {missing} not found"}
        assert "x-cache-tags" not in response.headers


def test_no_departments_in_new_model_mode_is_400() -> None:
    # With an empty database there is no department to offer: the upstream refuses new-model mode.
    client = Api(seed=False)
    response = client.post("get", {})
    assert response.status_code == 400
    assert response.json() == {"detail": "No accessible departments found for user"}
    client.close()
