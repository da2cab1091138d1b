"""Agent-efficient answers (issue 10) through a real MCP client (JSON-RPC on the wire) against the
reference API: compact reads and listings, labels and names where ids go, details of many models
in one call, drafts from a model, duplicate-name warnings, paging hints and float32 rendering."""

from __future__ import annotations

import csv
import io
import json
import statistics
import struct
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import jsonschema
import pytest
from mcp import Client
from support import ReferenceAPI

from glow_models_mcp import schemas as s
from glow_models_mcp.results import dump_result
from glow_models_mcp.sections import SECTIONS, fix_float32
from glow_models_mcp.upstream import GET, GlowClient

pytestmark = pytest.mark.anyio

KB = 1024


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


class Agent:
    """An MCP client session that checks every structured result against the tool's output schema."""

    def __init__(self, client: Any, tools: dict[str, Any]) -> None:
        self.client = client
        self.tools = tools

    async def call(self, tool: str, args: dict[str, Any]) -> Any:
        result = await self.client.call_tool(tool, args)
        if result.structured_content is not None:
            jsonschema.validate(result.structured_content, self.tools[tool].output_schema)
        return result

    async def ok(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        result = await self.call(tool, args)
        assert not result.is_error, _text(result)
        return result.structured_content

    async def error(self, tool: str, args: dict[str, Any]) -> str:
        result = await self.call(tool, args)
        assert result.is_error, _text(result)
        return _text(result)


@pytest.fixture
async def agent(fresh_reference_api: ReferenceAPI) -> AsyncIterator[Agent]:
    async with Client(fresh_reference_api.server(), mode="legacy") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        yield Agent(client, tools)


@pytest.fixture
def upstream_gets(fresh_reference_api: ReferenceAPI) -> Callable[[], int]:
    """How many upstream ``get`` calls the reference API has received so far."""
    log = fresh_reference_api.request_log
    return lambda: sum(1 for r in log if r.path == GET.path)


async def _upstream(api: ReferenceAPI, model_id: str | None) -> Any:
    """The reference API's own answer to ``get`` (no MCP in between)."""
    async with GlowClient(api.settings(), transport=api.transport()) as client:
        return (await client.request(GET, s.GetModelApiRequest(model_id=model_id)))[1]


async def _model_id(agent: Agent, name: str) -> str:
    page = await agent.ok("search_models", {"search": name, "page_size": 100})
    (match,) = [m for m in page["models"] if m["name"] == name]
    return str(match["model_id"])


# ------------------------------------------------------------------------------------------------
# compact reads and listings
# ------------------------------------------------------------------------------------------------


async def test_compact_read_gives_the_models_own_selections(agent: Agent, fresh_reference_api: ReferenceAPI) -> None:
    model_id = await _model_id(agent, "gemini-2.5-flash")
    read = await agent.ok("get_model", {"model_id": model_id})
    upstream = await _upstream(fresh_reference_api, model_id)
    assert read["model_id"] == model_id and read["name"] == "gemini-2.5-flash" and read["can_edit"] is True
    assert list(read["selections"]) == list(SECTIONS)
    for section in SECTIONS:
        sec = getattr(upstream, section)
        chosen = [sec.resource] if section in ("names", "descriptions", "values", "providers") else sec.current
        want = {str(i["id"] if isinstance(i, dict) else i.id) for i in chosen or [] if i}
        assert {i["id"] for i in read["selections"][section]} == want, section
    labels = {i["label"] for i in read["selections"]["modalities"]}
    assert {"text (input)", "text (output)", "image (input)"} <= labels
    pricing = read["selections"]["pricing"]
    assert {(p["type"], p["price"], p["unit"]) for p in pricing} == {
        ("input", 0.3, "million_text"),
        ("output", 2.5, "million_text"),
    }
    assert all(p["label"] == f"{p['type']}: {p['price']:g} per {p['unit']}" for p in pricing)
    assert read["selections"]["providers"][0]["label"] == "gemini"
    assert read["selections"]["departments"] == []


async def test_full_view_is_the_upstream_answer_with_float32_numbers_rendered(
    agent: Agent, fresh_reference_api: ReferenceAPI
) -> None:
    model_id = await _model_id(agent, "gpt-4.1")
    full = await agent.ok("get_model", {"model_id": model_id, "view": "full"})
    upstream = await _upstream(fresh_reference_api, model_id)
    assert full == fix_float32(dump_result(upstream))
    listing = await agent.ok("get_model", {"view": "full"})
    assert listing == fix_float32(dump_result(await _upstream(fresh_reference_api, None)))
    only = await agent.ok("get_model", {"model_id": model_id, "view": "full", "sections": ["pricing"]})
    assert "pricing" in only and not any(k in only for k in SECTIONS if k != "pricing")


async def test_float32_numbers_are_the_shortest_decimal_that_reads_back(agent: Agent) -> None:
    model_id = await _model_id(agent, "gpt-4.1")
    read = await agent.ok("get_model", {"model_id": model_id, "sections": ["temperature_levels"]})
    temps = [i["label"] for i in read["selections"]["temperature_levels"]]
    assert temps[:3] == ["0", "0.01", "0.02"] and temps[-1] == "1" and len(temps) == 101
    full = await agent.ok("get_model", {"model_id": model_id, "view": "full", "sections": ["temperature_levels"]})
    values = [i["temperature"] for i in full["temperature_levels"]["current"]]
    assert 0.01 in values and 0.07 in values  # not 0.009999999776482582 / 0.07000000029802322
    for shown, label in zip(values, temps, strict=True):
        assert _f32(shown) == _f32(float(label))  # reads back to the same float32
        assert len(repr(shown)) <= 4  # 0.07, 0.5, 1.0
    result = await agent.call("get_model", {"model_id": model_id, "view": "full"})
    assert "0.009999999776482582" not in _text(result) and "0.01" in _text(result)


async def test_compact_option_listing_says_how_many_were_offered(agent: Agent) -> None:
    result = await agent.call("get_model", {})
    listing = result.structured_content
    assert list(listing["options"]) == list(SECTIONS)
    assert listing["options"]["providers"]["offered"] == 2
    assert {i["label"] for i in listing["options"]["providers"]["items"]} == {"openai", "gemini"}
    assert listing["options"]["temperature_levels"]["offered"] == 20
    assert "at most 20" in listing["note"] and "at most 20" in _text(result)
    for section, entry in listing["options"].items():
        labels = [i["label"].casefold() for i in entry["items"]]
        assert len(labels) == len(set(labels)) == entry["offered"], section
        assert f"{section} ({entry['offered']} offered)" in _text(result)
    modality_labels = {i["label"] for i in listing["options"]["modalities"]["items"]}
    assert {"image (input)", "image (output)"} <= modality_labels
    only = await agent.ok("get_model", {"sections": ["providers", "voices"]})
    assert list(only["options"]) == ["providers", "voices"]


async def test_sizes_on_the_seeded_catalog(agent: Agent) -> None:
    page = await agent.ok("search_models", {"page_size": 100})
    sizes = []
    for model in page["models"]:
        result = await agent.call("get_model", {"model_id": model["model_id"]})
        assert not result.is_error
        sizes.append(len(_text(result).encode()))
    listing = len(_text(await agent.call("get_model", {})).encode())
    print(f"\ncompact get_model text: max {max(sizes)} B, median {statistics.median(sizes)} B; listing {listing} B")
    assert len(sizes) == 25
    assert max(sizes) <= 8 * KB and statistics.median(sizes) <= 4 * KB
    assert listing <= 8 * KB


# ------------------------------------------------------------------------------------------------
# labels and names where ids go
# ------------------------------------------------------------------------------------------------

LABELS = {
    "provider_ids": ["OpenAI"],
    "value_ids": ["gpt-5-mini"],
    "modality_ids": ["text (input)", "Text (Output)"],
    "temperature_level_ids": ["0.7", "1.0"],
    "pricing_ids": ["input: 0.25 per million_text"],
    "reasoning_level_ids": ["high"],
    "quality_ids": ["low"],
    "voice_ids": ["verse"],
    "flag_ids": ["active"],
    "department_ids": ["organization"],
}


async def test_every_label_form_resolves_to_the_right_id(agent: Agent, fresh_reference_api: ReferenceAPI) -> None:
    name = f"labelled-{uuid.uuid4().hex[:6]}"
    created = await agent.ok("create_models", {"models": [{"name": name, **LABELS}]})
    model_id = created["results"][0]["model_id"]
    read = await agent.ok("get_model", {"model_id": name})  # a name where model_id goes
    assert read["model_id"] == model_id
    got = {section: [i["label"] for i in items] for section, items in read["selections"].items()}
    assert got["providers"] == ["openai"]
    assert got["values"] == ["gpt-5-mini"]
    assert sorted(got["modalities"]) == ["text (input)", "text (output)"]
    assert sorted(got["temperature_levels"]) == ["0.7", "1"]
    assert got["pricing"] == ["input: 0.25 per million_text"]
    assert got["reasoning_levels"] == ["high"] and got["qualities"] == ["low"] and got["voices"] == ["verse"]
    assert got["flags"] == ["active"] and got["departments"] == ["Organization"]
    # The ids are those the upstream lists for the labels (not merely some id).
    upstream = await _upstream(fresh_reference_api, model_id)
    assert [str(r.get("id")) for r in upstream.pricing.current] == [i["id"] for i in read["selections"]["pricing"]]
    # Ids keep working, mixed with labels; filters take labels too.
    org = read["selections"]["departments"][0]["id"]
    page = await agent.ok(
        "search_models", {"search": name, "filter_provider_ids": ["openai"], "filter_department_ids": [org]}
    )
    assert [m["model_id"] for m in page["models"]] == [model_id]
    assert (await agent.ok("search_models", {"search": name, "filter_provider_ids": ["gemini"]}))["total_count"] == 0
    await agent.ok("delete_models", {"model_ids": [name]})
    assert (await agent.ok("search_models", {"search": name}))["total_count"] == 0


async def test_unknown_or_ambiguous_labels_list_candidates_and_write_nothing(
    agent: Agent, fresh_reference_api: ReferenceAPI
) -> None:
    log = fresh_reference_api.request_log
    name = f"never-{uuid.uuid4().hex[:6]}"
    before = len(log)
    text = await agent.error(
        "create_models",
        {
            "models": [
                {"name": name, "provider_ids": ["opnai"], "modality_ids": ["text"], "temperature_level_ids": ["9"]}
            ]
        },
    )
    assert "nothing was sent or written" in text
    assert "models.0.provider_ids.0: no providers option is labelled 'opnai'" in text
    assert "openai = " in text and "gemini = " in text
    assert "models.0.modality_ids.0: 2 modalities options match 'text'" in text
    assert "text (input) = " in text and "text (output) = " in text
    assert "temperature_level_ids.0" in text
    assert "get_model without model_id" in text  # where the full lists come from
    candidate_lines = [line for line in text.splitlines() if line.startswith("    ")]
    assert all(uuid.UUID(line.rsplit(" = ", 1)[1]) for line in candidate_lines)
    assert not any(r.path.endswith("/create") for r in log[before:])
    assert (await agent.ok("search_models", {"search": name}))["total_count"] == 0
    text = await agent.error("update_models", {"models": [{"model_id": "no-such-model-xyz", "name": "x"}]})
    assert "models.0.model_id: no active model is named 'no-such-model-xyz'" in text
    assert not any(r.path.endswith("/update") for r in log[before:])


async def test_an_ambiguous_model_name_lists_the_models(agent: Agent) -> None:
    name = f"twin-{uuid.uuid4().hex[:6]}"
    first = await agent.ok("create_models", {"models": [{"name": name}]})
    second = await agent.ok("create_models", {"models": [{"name": name}]})
    ids = {first["results"][0]["model_id"], second["results"][0]["model_id"]}
    text = await agent.error("delete_models", {"model_ids": [name]})
    assert f"2 active models are named {name!r}" in text
    assert {line.rsplit(" = ", 1)[1] for line in text.splitlines() if line.startswith("    ")} == ids
    await agent.ok("delete_models", {"model_ids": sorted(ids)})


async def test_lookups_reuse_one_cached_listing_dropped_on_writes(agent: Agent, upstream_gets: Any) -> None:
    name = f"cached-{uuid.uuid4().hex[:6]}"
    start = upstream_gets()
    await agent.ok("search_models", {"search": "gpt", "filter_provider_ids": ["openai"]})
    assert upstream_gets() == start + 1  # the listing, read once
    await agent.ok("search_models", {"search": "gem", "filter_provider_ids": ["gemini"]})
    await agent.ok("get_model", {"sections": ["providers"]})
    assert upstream_gets() == start + 1  # reused
    await agent.ok("create_models", {"models": [{"name": name, "provider_ids": ["openai"]}]})
    assert upstream_gets() == start + 1
    await agent.ok("search_models", {"search": name, "filter_provider_ids": ["openai"]})
    assert upstream_gets() == start + 2  # the write dropped it
    await agent.ok("refresh_models", {})
    await agent.ok("get_model", {"sections": ["providers"]})
    assert upstream_gets() == start + 3  # refresh_models dropped it too
    await agent.ok("delete_models", {"model_ids": [name]})


# ------------------------------------------------------------------------------------------------
# details of many models, paging, drafts, warnings
# ------------------------------------------------------------------------------------------------


async def test_search_with_sections_gives_each_models_selections_in_one_call(agent: Agent) -> None:
    result = await agent.call("search_models", {"search": "gemini", "sections": ["pricing"]})
    page = result.structured_content
    assert page["total_count"] == len(page["models"]) > 5
    for row in page["models"]:
        assert list(row["selections"]) == ["pricing"]
        read = await agent.ok("get_model", {"model_id": row["model_id"], "sections": ["pricing"]})
        assert row["selections"]["pricing"] == read["selections"]["pricing"], row["name"]
        assert set(row) == {"model_id", "name", "selections"}  # what was asked for, nothing else
    lines = _text(result).splitlines()
    assert lines[1].startswith("name = model_id | pricing")
    flash = next(line for line in lines if line.startswith("gemini-2.5-flash = "))
    assert flash.endswith("| input: 0.3 per million_text; output: 2.5 per million_text")
    # Counting the models that lack a section is one call too.
    everything = await agent.ok("search_models", {"page_size": 100, "sections": ["reasoning_levels"]})
    lacking = [m["name"] for m in everything["models"] if not m["selections"]["reasoning_levels"]]
    assert len(everything["models"]) == 25 and "gpt-4.1" in lacking and "gpt-5" not in lacking


async def test_the_next_page_offset_pages_correctly(agent: Agent) -> None:
    whole = await agent.ok("search_models", {"page_size": 100})
    names = [m["name"] for m in whole["models"]]
    assert "next_page_offset" not in whole
    seen: list[str] = []
    args: dict[str, Any] = {"page_size": 7}
    while True:
        result = await agent.call("search_models", args)
        page = result.structured_content
        seen += [m["name"] for m in page["models"]]
        if "next_page_offset" not in page:
            assert "this is the last page" in _text(result)
            break
        assert f"next page: page_offset {page['next_page_offset']}" in _text(result)
        args = {"page_size": 7, "page_offset": page["next_page_offset"]}
    assert seen == names


async def test_a_draft_from_a_model_keeps_its_other_selections_and_shows_the_changes(agent: Agent) -> None:
    model_id = await _model_id(agent, "gpt-realtime")
    before = await agent.ok("get_model", {"model_id": model_id})
    draft = await agent.ok(
        "patch_model_draft", {"base_model_id": "gpt-realtime", "modality_ids": ["text (input)", "image (output)"]}
    )
    assert "form_state" not in draft
    drafts = await agent.ok("list_model_drafts", {})
    newest = next(d for d in drafts["entries"] if d["id"] == draft["draft_id"])
    for section in ("pricing", "temperature_levels", "providers", "values", "flags"):
        field = {"pricing": "pricing_ids", "temperature_levels": "temperature_level_ids"}.get(
            section, section.removesuffix("s") + "_ids"
        )
        assert sorted(newest[field]) == sorted(i["id"] for i in before["selections"][section]), section
    assert newest["name_ids"] == [before["selections"]["names"][0]["id"]]
    view = await agent.call("get_model", {"model_id": "gpt-realtime", "draft_id": draft["draft_id"]})
    changes = view.structured_content["changes"]
    assert list(changes) == ["modalities"]
    assert [i["label"] for i in changes["modalities"]["added"]] == ["image (output)"]
    removed = {i["label"] for i in changes["modalities"]["removed"]}
    assert "text (input)" not in removed and "audio (input)" in removed
    assert "draft changes modalities: +image (output)" in _text(view)
    # The model itself did not change.
    assert (await agent.ok("get_model", {"model_id": model_id})) == before


async def test_duplicate_names_are_warned_about_but_written(agent: Agent) -> None:
    result = await agent.call("create_models", {"models": [{"name": "gpt-5-mini"}]})
    assert not result.is_error
    new_id = result.structured_content["results"][0]["model_id"]
    (warning,) = result.structured_content["warnings"]
    assert "another active model is also named 'gpt-5-mini'" in warning and new_id not in warning
    assert "Warning: another active model is also named 'gpt-5-mini'" in _text(result)
    name = f"solo-{uuid.uuid4().hex[:6]}"
    solo = await agent.ok("create_models", {"models": [{"name": name}]})
    assert "warnings" not in solo
    renamed = await agent.ok("update_models", {"models": [{"model_id": name, "name": "gpt-4.1"}]})
    assert "'gpt-4.1'" in renamed["warnings"][0]
    first = await agent.ok("duplicate_model", {"model_id": "gpt-5-nano"})
    assert first["name"] == "gpt-5-nano Copy" and "warnings" not in first
    second = await agent.ok("duplicate_model", {"model_id": "gpt-5-nano"})
    assert "'gpt-5-nano Copy'" in second["warnings"][0]
    ids = [new_id, solo["results"][0]["model_id"], first["model_id"], second["model_id"]]
    await agent.ok("delete_models", {"model_ids": ids})


async def test_a_copy_for_a_department_is_one_call(agent: Agent, fresh_reference_api: ReferenceAPI) -> None:
    name = f"copy-{uuid.uuid4().hex[:6]}"
    result = await agent.call(
        "duplicate_model", {"model_id": "gpt-5-mini", "name": name, "department_ids": ["University"]}
    )
    assert not result.is_error, _text(result)
    copy = result.structured_content
    assert (
        copy["name"] == name
        and _text(result) == f"Copied into new model {name!r} (id {copy['model_id']}) in the departments given."
    )
    read = await agent.ok("get_model", {"model_id": name})
    original = await agent.ok("get_model", {"model_id": "gpt-5-mini"})
    assert read["model_id"] == copy["model_id"]
    assert [d["label"] for d in read["selections"]["departments"]] == ["University"]
    assert read["selections"]["pricing"] == original["selections"]["pricing"]
    # An unknown department label is refused before anything is copied.
    log = fresh_reference_api.request_log
    before = len(log)
    text = await agent.error("duplicate_model", {"model_id": "gpt-5-mini", "department_ids": ["Nowhere"]})
    assert "department_ids.0: no departments option is labelled 'Nowhere'" in text
    assert not any(r.path.endswith(("/duplicate", "/update")) for r in log[before:])
    await agent.ok("delete_models", {"model_ids": [name]})


async def test_write_results_are_one_line_that_says_everything(agent: Agent) -> None:
    name = f"terse-{uuid.uuid4().hex[:6]}"
    created = await agent.call("create_models", {"models": [{"name": name}]})
    model_id = created.structured_content["results"][0]["model_id"]
    assert _text(created) == f"Created 1 model(s): {model_id}."
    updated = await agent.call("update_models", {"models": [{"model_id": name, "description": "d"}]})
    assert _text(updated) == f"Updated 1 model(s): {model_id}."
    deleted = await agent.call("delete_models", {"model_ids": [name]})
    assert _text(deleted) == f"Deleted 1 of 1 model(s): '{name}' ({model_id})."  # the name, as the upstream gave it


# ------------------------------------------------------------------------------------------------
# forgiving scalars (issue 12, item 1)
# ------------------------------------------------------------------------------------------------


async def test_scalars_as_llm_clients_send_them(agent: Agent) -> None:
    page = await agent.ok("search_models", {"page_size": "5", "page_offset": 1.0})
    assert len(page["models"]) == 5 and page["next_page_offset"] == 6
    assert "options" in await agent.ok("get_model", {"model_id": ""})  # "" is "not given"
    assert len((await agent.ok("search_models", {"search": "", "page_size": "3"}))["models"]) == 3
    name = f"json-{uuid.uuid4().hex[:6]}"
    item = json.dumps({"name": name, "modality_ids": json.dumps(["text (input)"])})
    created = await agent.ok("create_models", {"models": json.dumps([item])})
    read = await agent.ok("get_model", {"model_id": created["results"][0]["model_id"], "sections": ["modalities"]})
    assert [i["label"] for i in read["selections"]["modalities"]] == ["text (input)"]
    await agent.ok("delete_models", {"model_ids": json.dumps([name])})
    for bad, field in (
        ({"page_size": True}, "page_size"),
        ({"page_size": 5.5}, "page_size"),
        ({"page_size": "-1"}, "page_size"),
        ({"page_size": "2000"}, "page_size"),
        ({"page_offset": "1e3"}, "page_offset"),
        ({"sections": ["nope"]}, "sections.0"),
    ):
        text = await agent.error("search_models", bad)
        assert f"- {field}: " in text and "nothing was sent" in text, bad


async def test_the_export_csv_shows_float32_values_shortest(agent: Agent, fresh_reference_api: ReferenceAPI) -> None:
    """The CSV resource: temperature levels read back to the same float32 values as the upstream's
    file, in fewer bytes; every other cell is the upstream's."""
    exported = await agent.ok("export_models", {})
    read = await agent.client.read_resource(f"glow://exports/{exported['upload_id']}")
    ours = list(csv.DictReader(io.StringIO(read.contents[0].text)))
    async with GlowClient(fresh_reference_api.settings(), transport=fresh_reference_api.transport()) as glow:
        raw = await glow.download_upload(uuid.UUID(str(exported["upload_id"])))
    theirs = list(csv.DictReader(io.StringIO(raw)))
    assert len(ours) == len(theirs) == exported["row_count"] > 0
    shortened = 0
    for mine, upstream in zip(ours, theirs, strict=True):
        assert {k: v for k, v in mine.items() if k != "temperature_levels"} == {
            k: v for k, v in upstream.items() if k != "temperature_levels"
        }
        a, b = mine["temperature_levels"], upstream["temperature_levels"]
        assert [_f32(float(x)) for x in a.split("|") if x] == [_f32(float(x)) for x in b.split("|") if x]
        shortened += a != b
    assert shortened and "0.009999999776482582" in raw and "0.009999999776482582" not in read.contents[0].text
    print(f"\nexport CSV of {len(ours)} models: {len(read.contents[0].text):,} B (upstream's file {len(raw):,} B)")
    assert len(read.contents[0].text) < len(raw) * 0.8
