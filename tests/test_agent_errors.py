"""Errors an agent can act on, result sizes, the export resource, completion and prompts, all
against the reference API (in process, through ``httpx2.ASGITransport``)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from mcp import Client
from mcp.types import PromptReference, ResourceTemplateReference
from support import ReferenceAPI

pytestmark = pytest.mark.anyio


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def _call(api: ReferenceAPI, tool: str, args: dict[str, Any], **settings: Any) -> Any:
    async with Client(api.server(**settings), mode="legacy") as client:
        return await client.call_tool(tool, args)


async def test_401_names_the_variables_to_set(reference_api: ReferenceAPI) -> None:
    result = await _call(reference_api, "search_models", {}, token="not-a-known-token")
    text = _text(result)
    assert result.is_error and "search_models failed" in text and "HTTP 401" in text
    assert "GLOW_API_KEY" in text and "GLOW_TOKEN" in text
    assert "not-a-known-token" not in text


async def test_403_names_the_role_needed(reference_api: ReferenceAPI) -> None:
    result = await _call(reference_api, "create_models", {"models": [{"name": "x"}]}, token="sandbox-member")
    text = _text(result)
    assert result.is_error and "HTTP 403" in text
    assert "You don't have permission to create models." in text
    assert "needs an admin role" in text


async def test_404_suggests_search(mcp_client: Any) -> None:
    missing = uuid.uuid4()
    result = await mcp_client.call_tool("get_model", {"model_id": str(missing)})
    text = _text(result)
    assert result.is_error and "HTTP 404" in text and f"Model {missing} not found" in text
    assert "search_models" in text


async def test_database_error_says_an_id_does_not_exist(mcp_client: Any) -> None:
    name = f"dberr-{uuid.uuid4().hex[:6]}"
    result = await mcp_client.call_tool(
        "create_models", {"models": [{"name": name, "provider_ids": [str(uuid.uuid4())]}]}
    )
    text = _text(result)
    assert result.is_error and "HTTP 500" in text and "Database error" in text
    assert "an id in the request does not exist" in text and "get_model without model_id" in text
    found = await mcp_client.call_tool("search_models", {"search": name})
    assert found.structured_content["total_count"] == 0


async def test_failed_batch_says_nothing_was_written(mcp_client: Any) -> None:
    name = f"batch-{uuid.uuid4().hex[:6]}"
    result = await mcp_client.call_tool("create_models", {"models": [{"name": name}, {"description": "no name"}]})
    text = _text(result)
    assert result.is_error
    assert "nothing was written" in text and "item 1: Item 1: Validation errors" in text
    results = result.structured_content["results"]
    assert results[0]["success"] is True and results[0]["message"] == "Validated" and "model_id" not in results[0]
    assert results[1]["success"] is False and results[1]["errors"]
    field_line = f"    {results[1]['errors'][0]['field']}: {results[1]['errors'][0]['message']}"
    assert field_line in text
    found = await mcp_client.call_tool("search_models", {"search": name})
    assert found.structured_content["total_count"] == 0


async def test_large_answers_stay_under_the_client_limit(mcp_client: Any) -> None:
    for tool, args in (("search_models", {"page_size": 100}), ("get_model", {})):
        result = await mcp_client.call_tool(tool, args)
        assert not result.is_error
        size = len(_text(result).encode()) + len(json.dumps(result.structured_content).encode())
        print(f"\n{tool}{args}: {size} bytes, ~{size // 4} tokens")
        assert size // 4 < 25_000


async def test_over_limit_result_says_how_to_narrow(reference_api: ReferenceAPI) -> None:
    result = await _call(reference_api, "search_models", {"page_size": 50}, max_result_tokens=200)
    text = _text(result)
    assert result.is_error and "over the 200-token limit" in text and "page_size" in text


async def test_export_of_nothing_says_so(fresh_reference_api: ReferenceAPI) -> None:
    async with Client(fresh_reference_api.server(), mode="legacy") as client:
        page = (await client.call_tool("search_models", {"page_size": 1000})).structured_content
        ids = [m["model_id"] for m in page["models"]]
        assert len(ids) == page["total_count"] == 25
        assert not (await client.call_tool("delete_models", {"model_ids": ids})).is_error
        result = await client.call_tool("export_models", {})
        assert not result.is_error
        assert result.structured_content == {"upload_id": str(uuid.UUID(int=0)), "file_name": "", "row_count": 0}
        assert _text(result).startswith("Nothing to export")
        assert not [c for c in result.content if getattr(c, "type", "") == "resource_link"]


async def test_model_id_completion_answers_through_search(mcp_client: Any) -> None:
    ref = ResourceTemplateReference(type="ref/resource", uri="glow://models/{model_id}/docs")
    result = await mcp_client.complete(ref, {"name": "model_id", "value": "gemini-2.5"})
    page = (await mcp_client.call_tool("search_models", {"search": "gemini-2.5", "page_size": 100})).structured_content
    names = [m["name"] for m in page["models"]]
    ids = [m["model_id"] for m in page["models"]]
    # Names first (those starting with what was typed), then ids: either works as model_id.
    assert result.completion.values == names + ids
    assert len(names) >= 2 and all(n.startswith("gemini-2.5") for n in names)
    prefix = ids[0][:8]
    by_prefix = await mcp_client.complete(ref, {"name": "model_id", "value": prefix})
    assert ids[0] in by_prefix.completion.values
    assert all(v.startswith(prefix) for v in by_prefix.completion.values)
    prompt = PromptReference(type="ref/prompt", name="change_model_safely")
    for_prompt = await mcp_client.complete(prompt, {"name": "model", "value": "gpt-5"})
    assert for_prompt.completion.values[0].startswith("gpt-5") and "gpt-5-mini" in for_prompt.completion.values


async def test_completion_of_a_value_with_a_control_character_asks_nothing(reference_api: ReferenceAPI) -> None:
    """A NUL reached the Glow API, which answers 500 to it (and the client got an error log)."""
    ref = ResourceTemplateReference(type="ref/resource", uri="glow://models/{model_id}/docs")
    async with Client(reference_api.server(), mode="legacy") as client:
        before = len(reference_api.request_log)
        for value in ("gem\x00ini", "gem\nini", "\x7f"):
            result = await client.complete(ref, {"name": "model_id", "value": value})
            assert result.completion.values == []
        assert len(reference_api.request_log) == before
        assert (await client.complete(ref, {"name": "model_id", "value": "gemini"})).completion.values


async def test_workflow_prompts(mcp_client: Any) -> None:
    prompts = {p.name: p for p in (await mcp_client.list_prompts()).prompts}
    assert set(prompts) == {"add_model", "change_model_safely"}
    add = await mcp_client.get_prompt("add_model", {"name": "gpt-9"})
    text = add.messages[0].content.text
    assert "get_model with no arguments" in text and "create_models" in text and "search_models" in text
    change = await mcp_client.get_prompt("change_model_safely", {"model": "gpt-5", "change": "add voice alloy"})
    text = change.messages[0].content.text
    assert text.index("patch_model_draft") < text.index("update_models")


async def test_database_error_mid_batch_warns_that_earlier_items_may_be_saved(mcp_client: Any) -> None:
    name = f"midbatch-{uuid.uuid4().hex[:6]}"
    result = await mcp_client.call_tool(
        "create_models", {"models": [{"name": f"{name}-a"}, {"name": f"{name}-b", "modality_ids": [str(uuid.uuid4())]}]}
    )
    text = _text(result)
    assert result.is_error and "Database error" in text
    assert "may already be saved" in text and "resend only the unsaved items" in text
    found = (await mcp_client.call_tool("search_models", {"search": name})).structured_content
    # The reference API writes item by item, as upstream does: the first item is there.
    assert [m["name"] for m in found.get("models", [])] == [f"{name}-a"]
    await mcp_client.call_tool("delete_models", {"model_ids": [m["model_id"] for m in found["models"]]})


async def test_empty_batches_are_refused_before_the_upstream(mcp_client: Any) -> None:
    for tool in ("create_models", "update_models"):
        result = await mcp_client.call_tool(tool, {"models": []})
        assert result.is_error and "- models:" in _text(result)
