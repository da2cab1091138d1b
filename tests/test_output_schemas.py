"""Every tool's output schema against what the tool really returns (the reference API, through a
real MCP client): each tool, each ``view``, the listing and the model read, a draft, warnings.

The advertised schema writes each repeated shape once (``shaping.fold_repeats``); the written-out
schema (``ToolSpec.written_out_schema``) lists every property. Both must accept every real answer,
and both must give the same verdict on answers changed one field at a time, so the folding changes
no validation (a folded field of the wrong type is refused, an unknown field is still allowed).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from mcp import Client
from support import ReferenceAPI

from glow_models_mcp.tools import TOOL_NAMES, TOOL_SPECS

pytestmark = pytest.mark.anyio

SPECS = {spec.name: spec for spec in TOOL_SPECS}


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _views(tool: str) -> list[str]:
    """The values of a tool's ``view`` argument (none for a tool without one)."""
    view = SPECS[tool].input_schema["properties"].get("view")
    return list(view["anyOf"][0]["enum"]) if view else []


def _folded_names(schema: Any) -> set[str]:
    """Every property name that a ``patternProperties`` pattern of ``schema`` lists."""
    names: set[str] = set()
    if isinstance(schema, dict):
        for pattern in schema.get("patternProperties", {}):
            names.update(re.fullmatch(r"\^\((.*)\)\$", pattern).group(1).split("|"))  # type: ignore[union-attr]
        for value in schema.values():
            names |= _folded_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names |= _folded_names(item)
    return names


def _trimmed(data: Any) -> Any:
    """``data`` with every list cut to its first two items (the shapes stay; validation is quick)."""
    if isinstance(data, dict):
        return {k: _trimmed(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_trimmed(v) for v in data[:2]]
    return data


def _wrong(value: Any) -> Any:
    """A value of another JSON type than ``value``."""
    if isinstance(value, (dict, list)):
        return "not-an-object-or-array"
    if isinstance(value, str):
        return 12345
    return {"not": "a scalar"}


def _mutations(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """``(path, key)`` of every object member in ``data``."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield path, key
            yield from _mutations(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _mutations(value, (*path, i))


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


async def _answers(api: ReferenceAPI) -> list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """``(tool, arguments, structured content, advertised output schema)`` of one call per tool,
    view and answer shape, in an order that creates what the later calls need."""
    answers: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    async with Client(api.server(), mode="legacy") as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}

        async def call(tool: str, args: dict[str, Any]) -> dict[str, Any]:
            result = await client.call_tool(tool, args)
            assert not result.is_error, (tool, args, result.content)
            assert result.structured_content is not None, tool
            answers.append((tool, args, result.structured_content, listed[tool].output_schema or {}))
            return result.structured_content

        for view in _views("get_model"):
            await call("get_model", {"view": view})
        for view in _views("search_models"):
            await call("search_models", {"search": "gpt", "view": view, "page_size": 3})
        await call("search_models", {"search": "gpt", "sections": ["pricing", "providers"], "page_size": 3})
        # "gpt-4.1" exists and is active: creating another one warns about the name.
        created = await call("create_models", {"models": [{"name": "gpt-4.1", "provider_ids": ["openai"]}]})
        assert created.get("warnings"), created
        model_id = created["results"][0]["model_id"]
        for view in _views("get_model"):
            await call("get_model", {"model_id": model_id, "view": view})
            await call("get_model", {"model_id": model_id, "view": view, "sections": ["flags", "names", "pricing"]})
        draft = await call("patch_model_draft", {"base_model_id": model_id, "expected_version": 0, "name": "o-draft"})
        await call("get_model", {"model_id": model_id, "draft_id": draft["draft_id"]})
        await call("list_model_drafts", {})
        await call("update_models", {"models": [{"model_id": model_id, "name": "o-schema", "description": "x"}]})
        copy_ = await call("duplicate_model", {"model_id": model_id, "name": "gpt-4.1"})
        await call("get_model_docs", {})
        await call("get_model_docs", {"entity_id": model_id})
        await call("export_models", {"model_id": model_id})
        await call("export_models", {})
        await call("refresh_models", {})
        await call("delete_models", {"model_ids": [model_id, copy_["model_id"]]})
    return answers


async def test_every_answer_is_valid_against_the_advertised_and_the_written_out_schema(
    fresh_reference_api: ReferenceAPI,
) -> None:
    answers = await _answers(fresh_reference_api)
    assert {tool for tool, *_ in answers} == set(TOOL_NAMES)
    for tool in TOOL_NAMES:  # every view of every tool that has one
        used = {args.get("view", "compact") for name, args, *_ in answers if name == tool}
        assert set(_views(tool)) <= used, tool
    folded_somewhere = False
    for tool, args, content, advertised in answers:
        spec = SPECS[tool]
        assert advertised == spec.output_schema, tool  # what the client got is what the spec builds
        folded_somewhere |= bool(_folded_names(advertised))
        for schema in (advertised, spec.written_out_schema):
            errors = [e.message for e in _validator(schema).iter_errors(content)]
            assert not errors, (tool, args, errors[:3])
    assert folded_somewhere  # the folding is exercised, not vacuous


async def test_folding_gives_the_same_verdict_field_by_field(fresh_reference_api: ReferenceAPI) -> None:
    """Each object member of each real answer, in turn, gets a value of another JSON type, and an
    unknown member is added beside it: the advertised and the written-out schema agree every time,
    the folded members of the wrong type are refused (the patterns constrain them) and objects
    stay open to unknown members (only a map's ``additionalProperties`` constrains them)."""
    refused_folded = kept_open = checked = 0
    for tool, _args, content, advertised in await _answers(fresh_reference_api):
        folded = _folded_names(advertised)
        short, full = _validator(advertised), _validator(SPECS[tool].written_out_schema)
        data = _trimmed(content)
        for path, key in _mutations(data):
            wrong = copy.deepcopy(data)
            _at(wrong, path)[key] = _wrong(_at(data, path)[key])
            verdict = short.is_valid(wrong)
            assert verdict is full.is_valid(wrong), (tool, path, key)
            refused_folded += key in folded and not verdict
            extra = copy.deepcopy(data)
            _at(extra, path)["zz_not_in_any_schema"] = [1, "two"]
            still_valid = short.is_valid(extra)
            assert still_valid is full.is_valid(extra), (tool, path, "unknown member")
            kept_open += still_valid
            checked += 1
    assert checked > 200 and refused_folded > 50 and kept_open > 100, (checked, refused_folded, kept_open)
