"""Validation errors in FastAPI's 422 shape; unknown fields ignored as FastAPI does."""

from __future__ import annotations

import uuid

import httpx2

from .sandbox_support import BASE, Api, auth_headers


def _detail(response: httpx2.Response) -> list[dict]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert list(body) == ["detail"]
    for err in body["detail"]:
        assert {"type", "loc", "msg", "input"} <= set(err) <= {"type", "loc", "msg", "input", "ctx"}
        assert err["loc"][0] in ("body", "path")
    return body["detail"]


def test_bad_uuid(api: Api) -> None:
    (err,) = _detail(api.post("get", {"model_id": "not-a-uuid"}))
    # the inner text is pydantic-core's, so it follows the installed version, as on the real server
    assert err == {
        "type": "uuid_parsing",
        "loc": ["body", "model_id"],
        "msg": f"Input should be a valid UUID, {err['ctx']['error']}",
        "input": "not-a-uuid",
        "ctx": {"error": err["ctx"]["error"]},
    }
    assert err["ctx"]["error"].startswith("invalid character")
    nested = _detail(api.post("create", {"models": [{"name": "x", "provider_ids": ["nope"]}]}))
    assert [(e["type"], e["loc"], e["input"]) for e in nested] == [
        ("uuid_parsing", ["body", "models", 0, "provider_ids", 0], "nope")
    ]


def test_wrong_types(api: Api) -> None:
    assert _detail(api.post("search", {"page_size": "many"})) == [
        {
            "type": "int_parsing",
            "loc": ["body", "page_size"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "many",
        }
    ]
    assert _detail(api.post("delete", {"model_ids": "all"})) == [
        {"type": "list_type", "loc": ["body", "model_ids"], "msg": "Input should be a valid list", "input": "all"}
    ]
    assert _detail(api.draft({"expected_version": None})) == [
        {
            "type": "int_type",
            "loc": ["body", "expected_version"],
            "msg": "Input should be a valid integer",
            "input": None,
        }
    ]
    assert _detail(api.post("duplicate", {"model_id": 42})) == [
        {
            "type": "uuid_type",
            "loc": ["body", "model_id"],
            "msg": "UUID input should be a string, bytes or UUID object",
            "input": 42,
        }
    ]


def test_missing_required_fields(api: Api) -> None:
    assert _detail(api.post("delete", {})) == [
        {"type": "missing", "loc": ["body", "model_ids"], "msg": "Field required", "input": {}}
    ]
    assert _detail(api.post("update", {"models": [{"description": "no id"}]})) == [
        {
            "type": "missing",
            "loc": ["body", "models", 0, "model_id"],
            "msg": "Field required",
            "input": {"description": "no id"},
        }
    ]
    # every error of the body is reported at once
    errors = _detail(api.post("update", {"models": [{}, {"model_id": "x"}]}))
    assert [e["loc"] for e in errors] == [["body", "models", 0, "model_id"], ["body", "models", 1, "model_id"]]


def test_missing_or_non_object_body(api: Api) -> None:
    missing = [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
    assert _detail(api.post("get")) == missing
    assert _detail(api.post("get", content=b"null", headers={"Content-Type": "application/json"})) == missing
    assert _detail(api.post("get", [])) == [
        {
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": [],
        }
    ]
    # a body that is not declared as JSON is validated as raw text, as FastAPI does
    raw = api.post("get", content=b"{}", headers={"Content-Type": "text/plain"})
    assert _detail(raw) == [
        {
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": "{}",
        }
    ]


def test_unknown_fields_are_ignored(api: Api) -> None:
    # FastAPI's default: extra fields are dropped silently (our MCP server is the strict one).
    assert api.post("get", {"modle_id": str(uuid.uuid4())}).status_code == 200
    assert api.post("search", {"serach": "gpt", "page_size": 1}).json()["total_count"] == 25
    assert api.post("refresh", {"anything": 1}).status_code == 200


def test_undecodable_body_is_400(api: Api) -> None:
    # not UTF-8: FastAPI's generic body-parsing failure
    response = api.post("get", content=b'{"model_id": "\xff"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"detail": "There was an error parsing the body"}


def test_download_path_must_be_a_uuid(api: Api) -> None:
    with api.bare() as client:
        errors = _detail(client.get("/uploads/not-a-uuid/download"))
    assert [(e["type"], e["loc"], e["input"]) for e in errors] == [
        ("uuid_parsing", ["path", "upload_id"], "not-a-uuid")
    ]


def test_validation_errors_need_auth_first(api: Api) -> None:
    with api.bare() as client:
        response = client.post(f"{BASE}/get", json={"model_id": 1}, headers={"Authorization": "Bearer sandbox-member"})
    assert response.status_code == 401
    with api.bare(**auth_headers("sandbox-member")) as client:
        assert client.post(f"{BASE}/get", json={"model_id": 1}).status_code == 422


def test_request_models_mirror_the_contract() -> None:
    """The sandbox's request models have exactly the contract's fields, types, required sets and
    defaults (FastAPI leaves ``default: null`` out of its OpenAPI), so validating with them is
    validating as the real server does."""
    import json
    from importlib.resources import files

    from glow_models_mcp.sandbox import validation

    contract = json.loads(files("glow_models_mcp.sandbox").joinpath("models_openapi.json").read_text())["components"][
        "schemas"
    ]

    def normal(node: object) -> object:
        if isinstance(node, dict):
            return {
                k: normal(v)
                for k, v in node.items()
                if k not in ("title", "description") and not (k == "default" and v is None)
            }
        if isinstance(node, list):
            return [normal(v) for v in node]
        return node

    names = [
        "GetModelApiRequest",
        "SearchModelApiRequest",
        "CreateModelItem",
        "CreateModelApiRequest",
        "UpdateModelItem",
        "UpdateModelApiRequest",
        "DuplicateModelApiRequest",
        "DeleteModelApiRequest",
        "PatchModelDraftApiRequest",
        "DocsApiRequest",
        "ExportModelApiRequest",
    ]
    for name in names:
        mine = getattr(validation, name).model_json_schema(ref_template="#/components/schemas/{model}")
        mine.pop("$defs", None)
        assert normal(mine) == normal(contract[name]), name
