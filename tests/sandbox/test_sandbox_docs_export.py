"""docs, export + download, refresh, cache headers."""

from __future__ import annotations

import csv
import io
import re
import uuid

import httpx2
import pytest

from .sandbox_support import MEMBER, ZERO_UUID, Api, unique

COLUMNS = [
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


def _download(api: Api, upload_id: str) -> httpx2.Response:
    with api.bare() as client:  # the download route takes no credentials
        return client.get(f"/uploads/{upload_id}/download")


def test_docs_composed_description(api: Api) -> None:
    response = api.post("docs", {})
    assert response.status_code == 200
    docs = response.json()
    assert docs["name"] == "model" and docs["type"] == "artifact" and "junction tables" in docs["description"]
    tables = {t["name"] for t in docs["artifact"]["tables"]}
    assert {"model_artifact", "model_providers_junction", "model_voices_junction"} <= tables
    assert all({"name", "type", "nullable"} == set(c) for t in docs["artifact"]["tables"] for c in t["columns"])
    (drafts,) = docs["entries"]
    assert drafts["materialized_view"]["name"] == "model_drafts_mv" and drafts["materialized_view"]["columns"]
    assert len(docs["resources"]) == 12 and {r["name"] for r in docs["resources"]} >= {
        "providers",
        "temperature_levels",
    }
    assert [p["name"] for p in docs["permissions"]] == [
        "has_access",
        "compute_can_edit",
        "compute_can_delete",
        "compute_can_duplicate",
        "compute_can_create",
        "compute_can_draft",
    ]
    edit = docs["permissions"][1]
    assert [(p["name"], p["required"]) for p in edit["params"]] == [
        ("user_role", True),
        ("model_department_ids", True),
        ("active_agent_count", True),
        ("user_department_ids", False),
    ]
    operations = {o["name"]: o for o in docs["api_operations"]}
    assert list(operations) == [
        "get_model",
        "search_model",
        "create_model",
        "update_model",
        "duplicate_model",
        "delete_model",
        "patch_model_draft",
        "export_models",
    ]
    search_params = {p["name"]: p for p in operations["search_model"]["params"]}
    assert search_params["page_size"] == {"name": "page_size", "type": "int | None", "required": False, "default": 12}
    assert {p["name"]: p["required"] for p in operations["delete_model"]["params"]} == {"model_ids": True}
    assert docs["page_metadata"] == {
        "list": {"title": "Models", "description": "Manage AI model configurations."},
        "detail": {"title": "— Model", "description": "View and edit model configuration and linked resources."},
        "new": {"title": "New Model", "description": "Create a new model."},
    }


def test_docs_detail_title_uses_the_model_name(api: Api) -> None:
    gpt5 = api.search_ids("gpt-5")[0]
    docs = api.ok("docs", {"entity_id": gpt5}, token=MEMBER)
    assert docs["page_metadata"]["detail"]["title"] == "gpt-5 — Model"
    assert api.ok("docs", {"entity_id": str(uuid.uuid4())})["page_metadata"]["detail"]["title"] == "— Model"


def test_export_and_download(fresh_api: Api) -> None:
    api = fresh_api
    org, uni = api.department("Organization"), api.department("University")
    voices = api.ids("voices", 2)
    name = unique("export")
    model_id = api.create(name=name, description="with, comma", department_ids=[org, uni], voice_ids=voices)
    response = api.post("export", {})
    assert response.status_code == 200
    export = response.json()
    assert set(export) == {"upload_id", "file_name", "row_count"}
    assert re.fullmatch(r"models_export_\d{4}-\d{2}-\d{2}_\d{6}\.csv", export["file_name"])
    assert export["row_count"] == 26
    download = _download(api, export["upload_id"])
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert export["file_name"] in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == COLUMNS and len(rows) - 1 == export["row_count"]
    by_name = {r[1]: dict(zip(COLUMNS, r, strict=False)) for r in rows[1:]}
    mine = by_name[name]
    assert mine["model_id"] == model_id and mine["description"] == "with, comma" and mine["active"] == "Yes"
    assert mine["departments"] == "Organization|University"
    voice_names = {r["id"]: r["name"] for r in api.options()["voices"]["resources"]}
    assert mine["voices"] == "|".join(voice_names[v] for v in voices)
    gpt5 = by_name["gpt-5"]
    assert (gpt5["value"], gpt5["provider"], gpt5["temperature_levels"]) == ("gpt-5", "openai", "1.0")
    assert gpt5["reasoning_levels"] == "none|minimal|low|medium|high"
    assert by_name["gpt-4.1"]["temperature_levels"].split("|")[70] == "0.699999988079071"  # float32, as Postgres real
    # one model
    one = api.ok("export", {"model_id": model_id})
    assert one["row_count"] == 1 and one["upload_id"] != export["upload_id"]
    one_rows = list(csv.DictReader(io.StringIO(_download(api, one["upload_id"]).text)))
    assert [r["name"] for r in one_rows] == [name]
    # inactive models are exported too
    api.server.app.state.database.set_active(model_id, False)
    again = list(
        csv.DictReader(io.StringIO(_download(api, api.ok("export", {"model_id": model_id})["upload_id"]).text))
    )
    assert again[0]["active"] == "No"
    # an unknown model: a file with the header only
    nothing = api.ok("export", {"model_id": str(uuid.uuid4())})
    assert nothing["row_count"] == 0 and nothing["upload_id"] != ZERO_UUID
    assert list(csv.reader(io.StringIO(_download(api, nothing["upload_id"]).text))) == [COLUMNS]


def test_unknown_upload_is_404(api: Api) -> None:
    response = _download(api, str(uuid.uuid4()))
    assert response.status_code == 404 and response.json() == {"detail": "Upload not found"}


def test_export_with_no_models_at_all(fresh_api: Api) -> None:
    api = fresh_api
    everything = [m["model_id"] for m in api.ok("search", {"page_size": 1000})["models"]]
    assert len(everything) == 25
    assert len(api.ok("delete", {"model_ids": everything})["results"]) == 25
    assert api.ok("export", {}) == {"upload_id": ZERO_UUID, "file_name": "", "row_count": 0}
    assert _download(api, ZERO_UUID).status_code == 404


def test_refresh_payload(api: Api) -> None:
    response = api.post("refresh")
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "refreshed_views": ["model_drafts_mv"],
        "invalidated_tags": ["models", "artifacts"],
    }
    assert response.headers["x-invalidate-tags"] == "models,artifacts"


def test_cache_headers(api: Api) -> None:
    model_id = api.create()
    expect = {
        ("get", "{}"): ("x-cache-tags", "models"),
        ("drafts", None): ("x-cache-tags", "models,drafts"),
        ("search", "{}"): ("x-invalidate-tags", "models"),
        ("refresh", None): ("x-invalidate-tags", "models,artifacts"),
    }
    for (op, body), (header, value) in expect.items():
        response = api.post(
            op,
            content=body.encode() if body else None,
            headers={"Content-Type": "application/json", "X-Bypass-Cache": "1"},
        )
        assert response.status_code == 200 and response.headers[header] == value, op
    assert api.draft({}).headers["x-invalidate-tags"] == "models,drafts"
    for op, body in (("update", {"models": [{"model_id": model_id}]}), ("duplicate", {"model_id": model_id})):
        assert api.post(op, body).headers["x-invalidate-tags"] == "models"
    for op in ("docs", "export"):
        response = api.post(op, {})
        assert "x-cache-tags" not in response.headers and "x-invalidate-tags" not in response.headers
    # errors carry no cache headers
    assert "x-cache-tags" not in api.post("get", {"model_id": str(uuid.uuid4())}).headers


@pytest.mark.parametrize("op", ["docs", "export", "refresh"])
def test_unhandled_failures_in_docs_export_refresh_are_plain_text(
    fresh_api: Api, monkeypatch: pytest.MonkeyPatch, op: str
) -> None:
    app = fresh_api.server.app
    import glow_models_mcp.sandbox.app as app_module

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.state.service, "export", boom)
    monkeypatch.setattr(app_module.docs_module, "compose", boom)
    if op == "refresh":
        monkeypatch.setattr(app_module, "_json", boom)
    response = fresh_api.post(op, {})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/plain") and response.text == "Internal Server Error"


def test_unhandled_failures_elsewhere_are_json(fresh_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("connection pool exhausted")

    monkeypatch.setattr(fresh_api.server.app.state.service, "search", boom)
    response = fresh_api.post("search", {})
    assert response.status_code == 500 and response.json() == {"detail": "connection pool exhausted"}
