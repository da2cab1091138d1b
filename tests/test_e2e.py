"""End to end: every tool through a real MCP client (JSON-RPC serialization) against the reference
API, asserting real values. In process (``mcp_client``: the reference API through
``httpx2.ASGITransport``) except where the upstream wire is the point: the headers every request
carries over HTTP, and an unreachable instance."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import jsonschema
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from support import closed_port_url, minimal_arguments

from glow_models_mcp.server import build_server
from glow_models_mcp.tools import TOOL_NAMES, TOOL_SPECS
from glow_models_mcp.upstream import OPERATIONS

pytestmark = pytest.mark.anyio


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def _options(client: Any) -> dict[str, Any]:
    result = await client.call_tool("get_model", {})
    assert not result.is_error, _text(result)
    return result.structured_content["options"]


def _ids(options: dict[str, Any], section: str, n: int = 1) -> list[str]:
    return [r["id"] for r in options[section]["items"][:n]]


def _ids_in(data: Any) -> set[str]:
    """Every option or model id in structured content."""
    if isinstance(data, dict):
        found = {str(v) for k, v in data.items() if k in ("id", "model_id") and isinstance(v, str)}
        return found.union(*(_ids_in(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(_ids_in(v) for v in data))
    return set()


async def _create(client: Any, name: str, **fields: Any) -> str:
    result = await client.call_tool("create_models", {"models": [{"name": name, **fields}]})
    assert not result.is_error, _text(result)
    (item,) = result.structured_content["results"]
    assert item["success"] is True and item["message"] == "Model created successfully"
    return item["model_id"]


async def test_full_lifecycle_through_every_tool(mcp_client: Any) -> None:
    client = mcp_client
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert list(tools) == list(TOOL_NAMES)
    seen_outputs: dict[str, dict[str, Any]] = {}

    async def call(tool: str, args: dict[str, Any]) -> dict[str, Any]:
        result = await client.call_tool(tool, args)
        assert not result.is_error, _text(result)
        # The structured content validates against the advertised output schema.
        jsonschema.validate(result.structured_content, tools[tool].output_schema)
        # The text is a one-line summary followed by compact JSON of the same data, or (the compact
        # views) one `label = id` line per section, which names every id of the structured content.
        summary, _, body = _text(result).partition("\n")
        assert summary
        if body.startswith("{"):
            assert json.loads(body) == result.structured_content
            assert "\n" not in body and ": " not in body[:200]
        else:
            assert all(i in _text(result) for i in _ids_in(result.structured_content)), tool
        seen_outputs[tool] = result.structured_content
        return result.structured_content

    options = (await call("get_model", {}))["options"]
    for section in (
        "providers",
        "values",
        "modalities",
        "pricing",
        "temperature_levels",
        "reasoning_levels",
        "qualities",
        "voices",
        "flags",
        "departments",
    ):
        assert options[section]["items"], section
        assert all(uuid.UUID(r["id"]) for r in options[section]["items"])
    full = await call("get_model", {"view": "full"})
    assert [r["id"] for r in full["providers"]["resources"]] == _ids(options, "providers", 2)
    provider = _ids(options, "providers")
    modalities = _ids(options, "modalities", 2)

    name = f"e2e-model-{uuid.uuid4().hex[:8]}"
    created = await call(
        "create_models",
        {
            "models": [
                {"name": name, "description": "made by test_e2e", "provider_ids": provider, "modality_ids": modalities}
            ]
        },
    )
    model_id = created["results"][0]["model_id"]

    found = await call("search_models", {"search": name.upper()})
    assert [m["name"] for m in found["models"]] == [name]
    assert found["models"][0]["model_id"] == model_id and found["total_count"] == 1

    got = await call("get_model", {"model_id": model_id})
    assert got["name"] == name and [n["label"] for n in got["selections"]["names"]] == [name]
    assert sorted(m["id"] for m in got["selections"]["modalities"]) == sorted(modalities)
    whole = await call("get_model", {"model_id": model_id, "view": "full"})
    assert whole["names"]["resource"]["name"] == name
    assert sorted(m["id"] for m in whole["modalities"]["current"]) == sorted(modalities)
    assert "actor_name" not in whole or whole["actor_name"]  # nulls are left out

    draft = await call("patch_model_draft", {"expected_version": 4, "name": name, "modality_ids": modalities[:1]})
    assert draft["new_version"] == 5
    with_draft = await call("get_model", {"model_id": model_id, "draft_id": draft["draft_id"]})
    assert [m["id"] for m in with_draft["selections"]["modalities"]] == modalities[:1]
    assert [m["id"] for m in with_draft["changes"]["modalities"]["removed"]] == modalities[1:]

    drafts = await call("list_model_drafts", {})
    assert drafts["entries"][0]["id"] == draft["draft_id"] and drafts["entries"][0]["version"] == 5

    updated = await call(
        "update_models", {"models": [{"model_id": model_id, "description": "updated by test_e2e", "modality_ids": []}]}
    )
    assert updated["results"][0]["message"] == "Model updated successfully"
    after = await call("get_model", {"model_id": model_id})
    assert after["description"] == "updated by test_e2e"
    assert after["selections"]["modalities"] == []

    copy = await call("duplicate_model", {"model_id": model_id})
    assert copy["model_id"] != model_id
    copies = await call("search_models", {"search": f"{name} Copy"})
    assert [m["model_id"] for m in copies["models"]] == [copy["model_id"]]

    export = await call("export_models", {})
    result = await client.call_tool("export_models", {"model_id": model_id})
    # This client is not one known to handle a resource_link (GLOW_MCP_RESOURCE_LINKS=auto): the text names the URI.
    assert [c.type for c in result.content] == ["text"]
    one = result.structured_content
    assert one["row_count"] == 1
    uri = f"glow://exports/{one['upload_id']}"
    assert uri in result.content[0].text
    csv_text = (await client.read_resource(uri)).contents[0].text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["name"] for r in rows] == [name] and rows[0]["model_id"] == model_id
    all_rows = list(
        csv.DictReader(
            io.StringIO((await client.read_resource(f"glow://exports/{export['upload_id']}")).contents[0].text)
        )
    )
    assert len(all_rows) == export["row_count"] >= 2

    docs = await call("get_model_docs", {"entity_id": model_id})
    assert name in json.dumps(docs["page_metadata"]["detail"])

    deleted = await call("delete_models", {"model_ids": [model_id, copy["model_id"]]})
    assert [r["success"] for r in deleted["results"]] == [True, True]
    gone = await call("search_models", {"search": name})
    assert gone["total_count"] == 0 and not gone.get("models")
    missing = await client.call_tool("get_model", {"model_id": model_id})
    assert missing.is_error and "404" in _text(missing)

    refreshed = await call("refresh_models", {})
    assert refreshed == {
        "success": True,
        "refreshed_views": ["model_drafts_mv"],
        "invalidated_tags": ["models", "artifacts"],
    }
    assert set(seen_outputs) == set(TOOL_NAMES)


async def test_x_mcp_header_on_every_operation(wire_mcp_client: Any, sandbox: Any) -> None:
    """Every tool, called with the smallest arguments its schema accepts (the ids of a real model),
    sends its operation with ``X-MCP: true`` and our User-Agent, over the wire."""
    mcp_client = wire_mcp_client
    log = sandbox.app.state.request_log
    start = len(log)
    marker = f"hdr-{uuid.uuid4().hex[:6]}"
    model_id = await _create(mcp_client, marker)
    for spec in TOOL_SPECS:  # success is not the point: each call reaches its operation
        await mcp_client.call_tool(spec.name, minimal_arguments(spec.input_schema, model_id))
    requests = log[start:]
    assert {path for _, path, _ in requests} >= {op.path for op in OPERATIONS.values()}
    for _method, path, headers in requests:
        assert headers.get("x-mcp") == "true", path
        assert headers.get("user-agent", "").startswith("glow-models-mcp/"), path
    assert all(m == op.method for op in OPERATIONS.values() for m, p, _ in requests if p == op.path)
    left = (await mcp_client.call_tool("search_models", {"search": marker})).structured_content
    ids = [m["model_id"] for m in left.get("models", [])]
    if ids:
        assert not (await mcp_client.call_tool("delete_models", {"model_ids": ids})).is_error


async def test_docs_resource_and_template(mcp_client: Any) -> None:
    resources = (await mcp_client.list_resources()).resources
    assert [(str(r.uri), r.mime_type) for r in resources] == [("glow://models/docs", "application/json")]
    templates = {t.uri_template: t.mime_type for t in (await mcp_client.list_resource_templates()).resource_templates}
    assert templates == {"glow://models/{model_id}/docs": "application/json", "glow://exports/{upload_id}": "text/csv"}
    docs = json.loads((await mcp_client.read_resource("glow://models/docs")).contents[0].text)
    assert docs["api_operations"] and docs["permissions"]
    model = (await mcp_client.call_tool("search_models", {"search": "gpt-5"})).structured_content["models"][0]
    one = json.loads((await mcp_client.read_resource(f"glow://models/{model['model_id']}/docs")).contents[0].text)
    assert model["name"] in json.dumps(one["page_metadata"]["detail"])


async def test_a_model_docs_uri_with_an_over_long_model_id_is_not_looked_up(
    mcp_client: Any, reference_api: Any
) -> None:
    start = len(reference_api.request_log)
    with pytest.raises(MCPError) as raised:
        await mcp_client.read_resource(f"glow://models/{'x' * 1001}/docs")
    assert "at most 1000 characters" in str(raised.value)
    assert len(reference_api.request_log) == start  # nothing was asked of the Glow API


async def test_bad_input_never_reaches_upstream(mcp_client: Any, reference_api: Any) -> None:
    log = reference_api.request_log
    start = len(log)
    cases = [
        ("get_model", {"draft_id": "not-a-uuid"}, "draft_id"),
        ("get_model", {"model_id": ["not", "a", "string"]}, "model_id"),
        ("get_model", {"modle_id": str(uuid.uuid4())}, "modle_id"),
        ("search_models", {"page_size": "many"}, "page_size"),
        ("search_models", {"page_offset": -1}, "page_offset"),
        ("create_models", {"models": [{"name": "x", "provider_ids": [""]}]}, "models.0.provider_ids.0"),
        ("create_models", {"models": [{"nmae": "x"}]}, "models.0.nmae"),
        ("update_models", {"models": [{"description": "no id"}]}, "models.0.model_id"),
        ("delete_models", {"model_ids": "all"}, "model_ids"),
        ("delete_models", {}, "model_ids"),
        ("duplicate_model", {"model_id": 42}, "model_id"),
        ("patch_model_draft", {"expected_version": "one"}, "expected_version"),
        ("list_model_drafts", {"extra": 1}, "extra"),
        ("export_models", {"model_id": "x" * 1001}, "model_id"),
    ]
    for tool, args, field in cases:
        result = await mcp_client.call_tool(tool, args)
        assert result.is_error, (tool, args)
        text = _text(result)
        assert f"- {field}:" in text and "nothing was sent" in text, text
        assert "errors.pydantic.dev" not in text
    assert len(log) == start, "an invalid call reached the upstream"


async def test_unresolvable_labels_never_reach_the_operation(mcp_client: Any, sandbox: Any) -> None:
    """A label or name that matches nothing costs only lookup reads (get, search); the operation
    itself is never sent."""
    log = sandbox.app.state.request_log
    start = len(log)
    cases = [
        ("create_models", {"models": [{"name": "x", "provider_ids": ["nope"]}]}, "models.0.provider_ids.0"),
        ("update_models", {"models": [{"model_id": "no-such-model", "name": "y"}]}, "models.0.model_id"),
        ("delete_models", {"model_ids": ["no-such-model"]}, "model_ids.0"),
        ("duplicate_model", {"model_id": "no-such-model"}, "model_id"),
        ("patch_model_draft", {"base_model_id": "no-such-model"}, "base_model_id"),
        ("export_models", {"model_id": "null"}, "model_id"),
    ]
    for tool, args, field in cases:
        result = await mcp_client.call_tool(tool, args)
        text = _text(result)
        assert result.is_error and f"- {field}: " in text and "nothing was sent or written" in text, text
    assert {path.rsplit("/", 1)[-1] for _, path, _ in log[start:]} <= {"get", "search"}


async def test_explicit_null_and_json_string_arguments_are_accepted(mcp_client: Any) -> None:
    result = await mcp_client.call_tool(
        "search_models", {"search": None, "page_size": None, "filter_provider_ids": None}
    )
    assert not result.is_error, _text(result)
    assert len(result.structured_content["models"]) == 12
    as_string = await mcp_client.call_tool("delete_models", {"model_ids": "[]"})
    assert not as_string.is_error and as_string.structured_content == {"results": []}


@pytest.mark.process
async def test_unreachable_upstream_is_a_tool_error_and_server_keeps_serving(make_settings: Any) -> None:
    url = closed_port_url()
    settings = make_settings(url, total_timeout=3, connect_timeout=1, max_retries=1)
    async with Client(build_server(settings), mode="legacy") as client:
        for _ in range(2):
            result = await client.call_tool("search_models", {"search": "x"})
            text = _text(result)
            assert result.is_error and url in text
            assert "sandbox-superadmin" not in text and "sandbox-api-key" not in text
        assert [t.name for t in (await client.list_tools()).tools] == list(TOOL_NAMES)
