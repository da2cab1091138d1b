"""The tool surface every client accepts: schema rules, annotations, snapshots, size, selection.

Snapshots of every tool definition live in ``tests/snapshots/tools/<name>.json``. A changed
definition fails ``test_snapshots``; run with ``GLOW_UPDATE_SNAPSHOTS=1`` to rewrite them on
purpose (and review the diff). A missing snapshot (a new tool) fails when ``CI`` is set, so that
snapshots are committed with the tools they describe; elsewhere it is written and the test passes
with a warning naming the file to commit (as github-mcp-server's ``internal/toolsnaps`` does).
A snapshot of a tool that no longer exists fails everywhere.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client

from glow_models_mcp.server import build_server
from glow_models_mcp.settings import Settings
from glow_models_mcp.tools import READ_ONLY_TOOL_NAMES, TOOL_NAMES, TOOL_SPECS, select_tools

pytestmark = pytest.mark.anyio

SNAPSHOTS = Path(__file__).parent / "snapshots" / "tools"
#: The hints of the tools that change data, reviewed by hand (read-only tools follow a rule, below).
#: A new write tool needs its line here: whether it overwrites or removes existing data
#: (destructive) and whether repeating the same call changes nothing more (idempotent).
WRITE_HINTS = {
    # name: (destructive, idempotent)
    "create_models": (False, False),
    "update_models": (True, True),
    "duplicate_model": (False, False),
    "delete_models": (True, True),
    "patch_model_draft": (False, False),
    "export_models": (False, False),
    "refresh_models": (False, True),
}


async def _tools(**overrides: Any) -> list[dict[str, Any]]:
    settings = Settings(instance_url="http://127.0.0.1:9", **overrides)
    async with Client(build_server(settings), mode="legacy") as client:
        result = await client.list_tools()
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in result.tools]


def _walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every schema node with its path (property-name maps are stepped through, not visited)."""
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        out.append((path, node))
        for key, value in node.items():
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                for name, sub in value.items():
                    out.extend(_walk(sub, f"{path}.{name}"))
            elif isinstance(value, (dict, list)):
                out.extend(_walk(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out.extend(_walk(item, f"{path}[{i}]"))
    return out


async def test_every_tool_spec_is_listed_with_its_exact_name() -> None:
    tools = await _tools()
    assert [t["name"] for t in tools] == [spec.name for spec in TOOL_SPECS]
    assert len(set(TOOL_NAMES)) == len(TOOL_NAMES)
    for t in tools:
        assert re.fullmatch(r"[a-z0-9_]+", t["name"]) and len(t["name"]) <= 40


@pytest.mark.parametrize("kind", ["inputSchema", "outputSchema"])
async def test_schema_rules(kind: str) -> None:
    """The rules every client and agent framework needs (tests/test_framework_schemas.py runs the
    frameworks' converters on the input schemas)."""
    for tool in await _tools():
        schema = tool[kind]
        where = f"{tool['name']}.{kind}"
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object" and isinstance(schema["properties"], dict), where
        text = json.dumps(schema)
        assert "$ref" not in text and "$defs" not in text and "$schema" not in text, where
        for key in ("anyOf", "oneOf", "allOf"):
            assert key not in schema, f"{where}: top-level {key}"
        for path, node in _walk(schema):
            assert "title" not in node, f"{where}{path}: title"
            assert node.get("default", 0) is not None, f"{where}{path}: default null"
            assert "oneOf" not in node and "allOf" not in node, f"{where}{path}: oneOf/allOf"
            if kind == "outputSchema":
                assert {"type": "null"} not in node.get("anyOf", []), f"{where}{path}: nullable anyOf"
                # A shape written once for several names: anchored, and no name is also under
                # properties (Ajv's strict mode refuses the overlap).
                for pattern in node.get("patternProperties", {}):
                    assert re.fullmatch(r"\^\(\w+(\|\w+)+\)\$", pattern), f"{where}{path}: pattern {pattern}"
                    assert not [n for n in node.get("properties", {}) if re.search(pattern, n)], f"{where}{path}"
                continue
            # Input: strict converters make every property required, so an optional one must be
            # nullable; the only union is that one, with everything (description too) in its branch.
            assert "default" not in node and "format" not in node, f"{where}{path}: default or format"
            if "anyOf" in node:
                assert set(node) == {"anyOf"}, f"{where}{path}: keywords beside anyOf: {sorted(node)}"
                assert len(node["anyOf"]) == 2 and node["anyOf"][1] == {"type": "null"}, f"{where}{path}"
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, f"{where}{path}: open object"
                required = node.get("required")
                assert isinstance(required, list), f"{where}{path}: no required list"
                for name, sub in node["properties"].items():
                    nullable = {"type": "null"} in sub.get("anyOf", [])
                    assert nullable is (name not in required), f"{where}{path}.{name}: optional iff nullable"


async def test_no_argument_tools_advertise_empty_object() -> None:
    tools = {t["name"]: t for t in await _tools()}
    for name in ("list_model_drafts", "refresh_models"):
        assert tools[name]["inputSchema"] == {
            "type": "object",
            "properties": {},
            "required": [],
            "additionalProperties": False,
        }


async def test_arguments_are_top_level_fields_of_the_request() -> None:
    tools = {t["name"]: t for t in await _tools()}
    assert set(tools["get_model"]["inputSchema"]["properties"]) == {"model_id", "draft_id", "view", "sections"}
    assert set(tools["search_models"]["inputSchema"]["properties"]) >= {"search", "page_size", "page_offset"}
    assert set(tools["patch_model_draft"]["inputSchema"]["properties"]) >= {"expected_version", "name", "modality_ids"}
    assert tools["delete_models"]["inputSchema"]["required"] == ["model_ids"]
    assert tools["duplicate_model"]["inputSchema"]["required"] == ["model_id"]
    # Optional fields stay out of required, nullable, with their description inside the branch.
    assert tools["get_model"]["inputSchema"]["required"] == []
    assert tools["get_model"]["inputSchema"]["properties"]["model_id"] == {
        "anyOf": [
            {
                "type": "string",
                "minLength": 1,
                "description": "Model to read. Omit to list every section's selectable options and their ids.",
            },
            {"type": "null"},
        ]
    }


async def test_annotations_match_behaviour() -> None:
    read_only_ops = {spec.name: spec.operation.read_only for spec in TOOL_SPECS}
    for tool in await _tools():
        ann = tool["annotations"]
        # Read-only exactly when the upstream operation is (the one the client may retry).
        ro = read_only_ops[tool["name"]]
        assert ann["readOnlyHint"] is ro, tool["name"]
        if ro:
            destructive, idempotent = False, True
        else:
            assert tool["name"] in WRITE_HINTS, (
                f"{tool['name']} changes data: add its expected hints to WRITE_HINTS (CONTRIBUTING.md, adding an operation)"
            )
            destructive, idempotent = WRITE_HINTS[tool["name"]]
        assert ann["destructiveHint"] is destructive, tool["name"]
        assert ann["idempotentHint"] is idempotent, tool["name"]
        assert ann["openWorldHint"] is False, tool["name"]
    assert not set(WRITE_HINTS) - set(TOOL_NAMES), "WRITE_HINTS names a tool that does not exist"


async def test_descriptions_teach_the_workflow() -> None:
    tools = {t["name"]: t["description"] for t in await _tools()}
    assert "Without model_id: the selectable options" in tools["get_model"]
    for name in ("create_models", "update_models", "patch_model_draft"):
        assert "as labels" in tools[name] and "as get_model lists them" in tools[name]
    for name in ("create_models", "update_models"):
        assert "All-or-nothing" in tools[name]
    assert "Permanently" in tools["delete_models"]
    assert "NEW draft" in tools["patch_model_draft"]


def _in_ci() -> bool:
    """Whether ``CI`` is set (GitHub Actions, GitLab, ``.ci/run``... set ``CI=true``/``CI=1``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


async def test_snapshots() -> None:
    tools = await _tools()
    update = os.environ.get("GLOW_UPDATE_SNAPSHOTS") == "1"
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    written = []
    for tool in tools:
        path = SNAPSHOTS / f"{tool['name']}.json"
        text = json.dumps(tool, indent=2, sort_keys=True) + "\n"
        if update:
            path.write_text(text)
        elif not path.exists():
            assert not _in_ci(), (
                f"no snapshot {path.relative_to(SNAPSHOTS.parent.parent.parent)} for tool {tool['name']}: run "
                "`GLOW_UPDATE_SNAPSHOTS=1 uv run pytest tests/test_tool_surface.py` and commit the file"
            )
            path.write_text(text)
            written.append(path.name)
        else:
            assert path.read_text() == text, f"{tool['name']} changed; rerun with GLOW_UPDATE_SNAPSHOTS=1 if on purpose"
    if written:
        warnings.warn(f"new tool snapshot(s) written to {SNAPSHOTS}: {', '.join(written)}; commit them", stacklevel=1)
    stale = sorted({p.stem for p in SNAPSHOTS.glob("*.json")} - set(TOOL_NAMES))
    assert not stale, f"snapshots of tools that no longer exist: {stale}; delete them"


#: Issue 13's limit: the ``tools/list`` answer at most 0.6x the peer's (fastmcp 4.2.3's
#: ``from_openapi`` of the same contract: 46,329 B as the benchmark measured it) for the 11 tools
#: listed then. The budget is per tool on average, so a new tool of ordinary size fits; the nullable
#: spelling of optional inputs (issue 15) and the folded output schemas (issue 13) are inside it.
PEER_TOOLS_LIST_BYTES = 46_329
TOOLS_WHEN_MEASURED = 11
BYTES_PER_TOOL_BUDGET = PEER_TOOLS_LIST_BYTES * 0.6 / TOOLS_WHEN_MEASURED


async def test_tools_list_stays_within_its_budget() -> None:
    tools = await _tools()
    budget = int(BYTES_PER_TOOL_BUDGET * len(tools))
    message = {"jsonrpc": "2.0", "id": 2, "result": {"tools": tools}}
    size = len(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode())
    print(f"\ntools/list: {size} bytes, ~{size // 4} tokens for {len(tools)} tools (budget {budget})")
    assert size <= budget, (
        f"tools/list is {size} bytes, over its budget of {budget} ({BYTES_PER_TOOL_BUDGET:.0f} B per tool on "
        "average): shorten descriptions, or raise BYTES_PER_TOOL_BUDGET with the reason in the same commit "
        "(CONTRIBUTING.md, adding an operation, step 4)"
    )


async def test_read_only_flag_registers_only_read_only_tools() -> None:
    names = [t["name"] for t in await _tools(read_only=True)]
    assert names == list(READ_ONLY_TOOL_NAMES) == [s.name for s in TOOL_SPECS if s.operation.read_only]
    assert names and len(names) < len(TOOL_NAMES)


async def test_tools_and_exclude_tools_pick_by_name() -> None:
    names = [t["name"] for t in await _tools(tools=["get_model", "delete_models"], exclude_tools=["delete_models"])]
    assert names == ["get_model"]


def test_unknown_tool_name_lists_valid_names() -> None:
    with pytest.raises(ValueError) as info:
        select_tools(read_only=False, include=["get_modle"], exclude=[])
    assert "get_modle" in str(info.value) and "search_models" in str(info.value)
