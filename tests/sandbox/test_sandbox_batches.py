"""create / update (validated first, all-or-nothing), duplicate and delete."""

from __future__ import annotations

import uuid

from .sandbox_support import ADMIN, Api, unique


def test_create_results_and_headers(api: Api) -> None:
    names = [unique("c"), unique("c")]
    response = api.post("create", {"models": [{"name": n} for n in names]})
    assert response.status_code == 200 and response.headers["x-invalidate-tags"] == "models"
    results = response.json()["results"]
    assert [r["message"] for r in results] == ["Model created successfully"] * 2
    assert all(r["success"] and r["errors"] is None for r in results)
    assert len({r["model_id"] for r in results}) == 2
    for name, result in zip(names, results, strict=False):
        assert api.search_ids(name) == [result["model_id"]]


def test_create_needs_name_or_name_id(api: Api) -> None:
    existing_name_id = api.ok("get", {"model_id": api.search_ids("gpt-5-nano")[0]})["names"]["resource"]["id"]
    body = api.ok("create", {"models": [{"name_id": existing_name_id}]})
    (ok,) = body["results"]
    assert ok["success"] and api.ok("get", {"model_id": ok["model_id"]})["names"]["resource"]["name"] == "gpt-5-nano"


def test_one_invalid_item_writes_nothing(api: Api) -> None:
    names = [unique("batch"), unique("batch")]
    before = api.ok("search", {})["total_count"]
    body = api.ok(
        "create",
        {
            "models": [
                {"name": names[0]},
                {"description": "no name"},
                {"name": names[1], "departments": ["Organization", "Nowhere", "Mars"]},
            ]
        },
    )
    assert body["results"] == [
        {"success": True, "model_id": None, "message": "Validated", "errors": None},
        {
            "success": False,
            "model_id": None,
            "message": "Item 1: Validation errors",
            "errors": [{"field": "name", "message": "Name is required"}],
        },
        {
            "success": False,
            "model_id": None,
            "message": "Item 2: Validation errors",
            "errors": [
                {"field": "departments", "message": 'Department "Nowhere" not found'},
                {"field": "departments", "message": 'Department "Mars" not found'},
            ],
        },
    ]
    assert api.ok("search", {})["total_count"] == before
    assert api.search_ids(names[0]) == [] and api.search_ids(names[1]) == []


def test_departments_by_name_case_insensitive(api: Api) -> None:
    model_id = api.create(departments=["organization", "UNIVERSITY"])
    current = api.ok("get", {"model_id": model_id})["departments"]["current"]
    assert sorted(d["name"] for d in current) == ["Organization", "University"]


def test_unknown_resource_id_is_a_database_error(api: Api) -> None:
    name = unique("dberr")
    response = api.post("create", {"models": [{"name": name, "provider_ids": [str(uuid.uuid4())]}]})
    assert response.status_code == 500
    assert response.json() == {
        "detail": 'Database error: insert or update on table "model_providers_junction" violates '
        'foreign key constraint "model_providers_junction_provider_id_fkey"'
    }
    assert api.search_ids(name) == []
    # items are written one by one, as upstream: the items before the failing one stay written
    first, second = unique("partial"), unique("partial")
    response = api.post("create", {"models": [{"name": first}, {"name": second, "voice_ids": [str(uuid.uuid4())]}]})
    assert response.status_code == 500 and "model_voices_junction" in response.json()["detail"]
    assert len(api.search_ids(first)) == 1 and api.search_ids(second) == []
    # a client-chosen id that exists already
    existing = api.create()
    response = api.post("create", {"models": [{"id": existing, "name": "dup"}]})
    assert response.status_code == 500
    assert response.json() == {
        "detail": 'Database error: duplicate key value violates unique constraint "model_artifact_pkey"'
    }


def test_create_with_a_chosen_id(api: Api) -> None:
    chosen = str(uuid.uuid4())
    assert api.create(id=chosen) == chosen


def test_update_null_is_unchanged_and_empty_list_clears(api: Api) -> None:
    modalities = api.ids("modalities", 2)
    voices = api.ids("voices", 2)
    name = unique("upd")
    model_id = api.create(name=name, description="first", modality_ids=modalities, voice_ids=voices)
    response = api.post(
        "update",
        {
            "models": [
                {
                    "model_id": model_id,
                    "description": "second",
                    "modality_ids": [],
                    "voice_ids": None,
                    "qualities": "ignored unknown field",
                }
            ]
        },
    )
    assert response.status_code == 200 and response.headers["x-invalidate-tags"] == "models"
    assert response.json() == {
        "results": [{"success": True, "model_id": model_id, "message": "Model updated successfully", "errors": None}]
    }
    body = api.ok("get", {"model_id": model_id})
    assert body["names"]["resource"]["name"] == name  # name not given: unchanged
    assert body["descriptions"]["resource"]["name"] == "second"
    assert body["modalities"]["current"] is None  # [] cleared
    assert [v["id"] for v in body["voices"]["current"]] == voices  # null: unchanged
    api.ok("update", {"models": [{"model_id": model_id, "name": f"{name}-renamed", "voice_ids": voices[1:]}]})
    body = api.ok("get", {"model_id": model_id})
    assert body["names"]["resource"]["name"] == f"{name}-renamed"
    assert [v["id"] for v in body["voices"]["current"]] == voices[1:]


def test_update_validation_errors_write_nothing(api: Api) -> None:
    a, b = api.create(description="keep a"), api.create(description="keep b")
    body = api.ok(
        "update", {"models": [{"model_id": a, "description": "changed"}, {"model_id": b, "departments": ["Atlantis"]}]}
    )
    assert body["results"] == [
        {"success": True, "model_id": None, "message": "Validated", "errors": None},
        {
            "success": False,
            "model_id": None,
            "message": "Item 1: Validation errors",
            "errors": [{"field": "departments", "message": 'Department "Atlantis" not found'}],
        },
    ]
    assert api.ok("get", {"model_id": a})["descriptions"]["resource"]["name"] == "keep a"


def test_update_404_or_403_aborts_the_whole_request(api: Api) -> None:
    mine = api.create(token=ADMIN, description="unchanged", department_ids=[api.department("Organization")])
    missing = str(uuid.uuid4())
    response = api.post(
        "update", {"models": [{"model_id": mine, "description": "x"}, {"model_id": missing, "name": "y"}]}, token=ADMIN
    )
    assert response.status_code == 404
    assert response.json() == {"detail": f"Item 1: Model {missing} not found."}
    gpt5 = api.search_ids("gpt-5")[0]  # a default model: the admin may not edit it
    response = api.post(
        "update", {"models": [{"model_id": mine, "description": "x"}, {"model_id": gpt5, "name": "y"}]}, token=ADMIN
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Item 1: You don't have permission to update this model."}
    assert api.ok("get", {"model_id": mine})["descriptions"]["resource"]["name"] == "unchanged"
    # the existence and permission checks come before field validation
    response = api.post(
        "update", {"models": [{"model_id": mine, "departments": ["Atlantis"]}, {"model_id": missing}]}, token=ADMIN
    )
    assert response.status_code == 404


def test_duplicate_names_the_copy_and_returns_the_new_id(api: Api) -> None:
    voices = api.ids("voices", 2)
    name = unique("orig")
    model_id = api.create(name=name, description="the original", voice_ids=voices)
    response = api.post("duplicate", {"model_id": model_id})
    assert response.status_code == 200 and response.headers["x-invalidate-tags"] == "models"
    body = response.json()
    assert set(body) == {"success", "model_id", "message"}
    assert body["success"] is True and body["model_id"] != model_id
    assert body["message"] == f"Model '{name}' duplicated successfully"
    copy = api.ok("get", {"model_id": body["model_id"]})
    assert copy["names"]["resource"]["name"] == f"{name} Copy"
    assert copy["descriptions"]["resource"]["name"] == "the original"
    assert [v["id"] for v in copy["voices"]["current"]] == voices
    assert api.search_ids(f"{name} Copy") == [body["model_id"]]
    missing = uuid.uuid4()
    response = api.post("duplicate", {"model_id": str(missing)})
    assert response.status_code == 404 and response.json() == {"detail": f"Model {missing} not found."}


def test_delete_checks_every_id_first_then_removes_all(api: Api) -> None:
    names = [unique("del"), unique("del")]
    ids = [api.create(name=n) for n in names]
    missing = str(uuid.uuid4())
    response = api.post("delete", {"model_ids": [*ids, missing]})
    assert response.status_code == 404 and response.json() == {"detail": f"Item 2: Model {missing} not found."}
    assert all(api.search_ids(n) for n in names)  # nothing deleted
    response = api.post("delete", {"model_ids": ids})
    assert response.status_code == 200 and response.headers["x-invalidate-tags"] == "models"
    assert response.json() == {
        "results": [
            {"success": True, "model_id": ids[0], "message": f"Model '{names[0]}' deleted successfully"},
            {"success": True, "model_id": ids[1], "message": f"Model '{names[1]}' deleted successfully"},
        ]
    }
    assert all(api.search_ids(n) == [] for n in names)
    assert api.post("get", {"model_id": ids[0]}).status_code == 404


def test_delete_empty_list(api: Api) -> None:
    assert api.ok("delete", {"model_ids": []}) == {"results": []}
