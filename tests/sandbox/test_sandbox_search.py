"""search: substring on name or description, active only, ordered by name, paging, facets."""

from __future__ import annotations

import uuid

from .sandbox_support import MEMBER, Api, unique

LIST_MODEL_KEYS = {
    "model_id",
    "name",
    "description",
    "provider_id",
    "provider_name",
    "base_url",
    "department_ids",
    "is_inactive",
    "active",
    "image_model",
    "can_edit",
    "can_duplicate",
    "can_delete",
    "updated_at",
}


def test_case_insensitive_substring_on_name_or_description(api: Api) -> None:
    tag = uuid.uuid4().hex[:8]
    by_name = api.create(name=f"Alpha-{tag}-Model")
    by_description = api.create(name=unique("zz"), description=f"Contains {tag.upper()} in text")
    api.create(name=unique("unrelated"))
    response = api.post("search", {"search": tag.upper()})
    assert response.status_code == 200 and response.headers["x-invalidate-tags"] == "models"
    body = response.json()
    assert [m["model_id"] for m in body["models"]] == [by_name, by_description]
    assert body["total_count"] == 2 and body["actor_name"] == "Sandbox Superadmin"
    assert set(body["models"][0]) == LIST_MODEL_KEYS
    assert api.search_ids(tag.lower()) == [by_name, by_description]


def test_seeded_catalog_ordered_by_name(api: Api) -> None:
    body = api.ok("search", {"search": "gemini-2.5", "page_size": 50})
    names = [m["name"] for m in body["models"]]
    assert names == ["gemini-2.5-flash", "gemini-2.5-flash-image", "gemini-2.5-flash-lite", "gemini-2.5-pro"]
    first = body["models"][0]
    assert first["provider_name"] == "gemini" and first["base_url"] == "" and first["department_ids"] == []
    assert first["active"] is True and first["is_inactive"] is False and first["image_model"] is None
    assert (first["can_edit"], first["can_duplicate"], first["can_delete"]) == (True, True, True)
    member = api.ok("search", {"search": "gemini-2.5-pro"}, token=MEMBER)["models"][0]
    assert (member["can_edit"], member["can_duplicate"], member["can_delete"]) == (False, False, False)


def test_only_active_models(fresh_api: Api) -> None:
    name = unique("inactive")
    model_id = fresh_api.create(name=name)
    assert fresh_api.search_ids(name) == [model_id]
    fresh_api.server.app.state.database.set_active(model_id, False)
    body = fresh_api.ok("search", {"search": name})
    assert body == {
        "actor_name": "Sandbox Superadmin",
        "models": [],
        "provider_filter": None,
        "department_filter": None,
        "agent_filter": None,
        "total_count": 0,
    }
    # still there for get and export
    assert fresh_api.ok("get", {"model_id": model_id})["model_exists"] is True


def test_page_size_null_or_zero_means_12_and_has_no_maximum(api: Api) -> None:
    for size in (None, 0):
        body = api.ok("search", {"page_size": size})
        assert len(body["models"]) == 12, size
        assert body["total_count"] >= 25
    assert len(api.ok("search", {})["models"]) == 12
    total = api.ok("search", {})["total_count"]
    assert len(api.ok("search", {"page_size": 10_000})["models"]) == total


def test_paging_and_total_count(api: Api) -> None:
    total = api.ok("search", {})["total_count"]
    all_ids = [m["model_id"] for m in api.ok("search", {"page_size": total})["models"]]
    pages = []
    for offset in range(0, total, 10):
        body = api.ok("search", {"page_size": 10, "page_offset": offset})
        assert body["total_count"] == total
        pages.extend(m["model_id"] for m in body["models"])
    assert pages == all_ids
    assert api.ok("search", {"page_offset": None})["models"][0]["model_id"] == all_ids[0]
    # past the end: no models and total_count 0 (as upstream)
    past = api.ok("search", {"page_offset": total})
    assert past["models"] == [] and past["total_count"] == 0 and past["provider_filter"] is None


def test_negative_offset_is_a_500(api: Api) -> None:
    response = api.post("search", {"page_offset": -1})
    assert response.status_code == 500
    assert response.json() == {"detail": "Database error: OFFSET must not be negative"}
    response = api.post("search", {"page_size": -5})
    assert response.status_code == 500
    assert response.json() == {"detail": "Database error: LIMIT must not be negative"}


def test_facets(api: Api) -> None:
    body = api.ok("search", {"search": "gpt"})
    providers = body["provider_filter"]
    assert {o["name"] for o in providers["options"]} == {"openai", "gemini"}
    assert all(set(o) >= {"id", "name", "count"} and o["count"] == 0 for o in providers["options"])
    assert providers["selected_ids"] is None and providers["search"] is None
    assert {o["name"] for o in body["department_filter"]["options"]} == {"Organization", "University"}
    assert body["agent_filter"]["options"] == []
    narrowed = api.ok("search", {"search": "gpt", "provider_search": "OPEN", "department_search": "uni"})
    assert [o["name"] for o in narrowed["provider_filter"]["options"]] == ["openai"]
    assert narrowed["provider_filter"]["search"] == "OPEN"
    assert [o["name"] for o in narrowed["department_filter"]["options"]] == ["University"]


def test_filters(fresh_api: Api) -> None:
    api = fresh_api
    gemini = api.ids("providers", where=lambda r: r["name"] == "gemini")[0]
    body = api.ok("search", {"filter_provider_ids": [gemini], "page_size": 100})
    assert len(body["models"]) == body["total_count"] == 11
    assert {m["provider_name"] for m in body["models"]} == {"gemini"}
    assert body["provider_filter"]["selected_ids"] == [gemini]

    org = api.department("Organization")
    in_org = api.create(name=unique("org"), department_ids=[org])
    by_dept = api.ok("search", {"filter_department_ids": [org]})
    assert [m["model_id"] for m in by_dept["models"]] == [in_org]
    assert by_dept["models"][0]["department_ids"] == [org]

    agent = api.server.app.state.database.add_agent("Grader", [in_org])
    by_agent = api.ok("search", {"filter_agent_ids": [agent]})
    assert [m["model_id"] for m in by_agent["models"]] == [in_org]
    assert [o["name"] for o in by_agent["agent_filter"]["options"]] == ["Grader"]
    nobody = api.ok("search", {"filter_agent_ids": [str(uuid.uuid4())]})
    assert nobody["models"] == [] and nobody["total_count"] == 0 and nobody["agent_filter"] is None
