"""The conversion matrix: every tool's input schema through every agent framework's converter.

Agent frameworks rewrite an MCP tool's ``inputSchema`` before a model sees it: OpenAI strict mode
makes every property required (so an optional field must be nullable to stay optional), Gemini's
``Schema`` keeps a subset of JSON Schema (``nullable``, no ``$ref``, a description only inside the
branch it unwraps). For every tool (from ``TOOL_SPECS``) and every converter below, run offline
with the frameworks' own code (the ``frameworks`` dependency group; no API key, no network):

* the conversion succeeds (openai-agents falls back to a non-strict tool when it fails: a failure);
* every field survives: required fields stay required and not nullable, optional fields stay
  optional or become nullable, nested item fields too, and descriptions survive where the
  converter keeps descriptions at all;
* the call a strict model builds (every optional field an explicit ``null``, required fields with
  real values) is valid under the converted schema;

and, once per tool, that call gets a non-error answer from the reference API through our server
in process, with no ``null`` sent upstream (``null`` means "not given").

Converters: openai-agents ``ensure_strict_json_schema`` (as ``MCPUtil.to_function_tool`` calls
it); LangChain ``convert_to_openai_tool`` and langchain-anthropic ``convert_to_anthropic_tool``,
strict and not, on a ``StructuredTool`` whose ``args_schema`` is the JSON schema (as
langchain-mcp-adapters builds it); pydantic-ai's OpenAI transformer (the one ``OpenAIProvider``
picks) strict and not, its Gemini transformer (``GoogleProvider``'s, for ``parametersJsonSchema``)
and its OpenAPI-subset Gemini transformer validated as ``google.genai.types.Schema``; google-genai's
own MCP path (``_mcp_utils.mcp_to_gemini_tool``: ``Schema.from_json_schema``); and
langchain-google-genai's ``convert_to_genai_function_declarations``.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx2
import jsonschema
import pytest
from agents.strict_schema import ensure_strict_json_schema
from google.genai import _mcp_utils
from google.genai import types as genai_types
from langchain_anthropic import convert_to_anthropic_tool
from langchain_core.tools import StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_google_genai._function_utils import convert_to_genai_function_declarations
from mcp import Client
from pydantic_ai.profiles.google import GoogleOpenAPISchemaTransformer
from pydantic_ai.providers.google import GoogleProvider
from pydantic_ai.providers.openai import OpenAIProvider
from support import ReferenceAPI, text_of, unique

from glow_models_mcp.server import build_server
from glow_models_mcp.tools import TOOL_NAMES, TOOL_SPECS

# google-genai logs a long note on its first Schema.from_json_schema call; langchain-google-genai
# warns about every keyword it drops (minLength, pattern...). Neither is what these tests check.
logging.getLogger("google_genai").setLevel(logging.ERROR)
logging.getLogger("langchain_google_genai").setLevel(logging.ERROR)

SCHEMAS: dict[str, dict[str, Any]] = {spec.name: spec.input_schema for spec in TOOL_SPECS}
DESCRIPTIONS: dict[str, str] = {spec.name: spec.description for spec in TOOL_SPECS}

# --- the converters -----------------------------------------------------------------------------


def _lc_tool(name: str) -> StructuredTool:
    """The LangChain tool langchain-mcp-adapters builds: the MCP ``inputSchema`` as ``args_schema``."""
    return StructuredTool(
        name=name,
        description=DESCRIPTIONS[name],
        args_schema=copy.deepcopy(SCHEMAS[name]),
        func=lambda **_: "",
    )


def _openai_agents_strict(name: str) -> dict[str, Any]:
    # As MCPUtil.to_function_tool(convert_schemas_to_strict=True): on an exception it falls back to
    # a non-strict tool, which is a failure here.
    return ensure_strict_json_schema(copy.deepcopy(SCHEMAS[name]), _reject_open_objects=True)


def _langchain_openai(strict: bool | None) -> Callable[[str], dict[str, Any]]:
    def convert(name: str) -> dict[str, Any]:
        function = convert_to_openai_tool(_lc_tool(name), strict=strict)["function"]
        assert function.get("strict") is strict or (strict is None and "strict" not in function)
        return dict(function["parameters"])

    return convert


def _langchain_anthropic(strict: bool | None) -> Callable[[str], dict[str, Any]]:
    def convert(name: str) -> dict[str, Any]:
        return dict(convert_to_anthropic_tool(_lc_tool(name), strict=strict)["input_schema"])

    return convert


def _pydantic_ai_openai(strict: bool | None) -> Callable[[str], dict[str, Any]]:
    transformer = OpenAIProvider.model_profile("gpt-5")["json_schema_transformer"]  # type: ignore[index]

    def convert(name: str) -> dict[str, Any]:
        return dict(transformer(copy.deepcopy(SCHEMAS[name]), strict=strict).walk())

    return convert


def _pydantic_ai_gemini(name: str) -> dict[str, Any]:
    transformer = GoogleProvider.model_profile("gemini-2.5-flash")["json_schema_transformer"]  # type: ignore[index]
    return dict(transformer(copy.deepcopy(SCHEMAS[name])).walk())


def _pydantic_ai_gemini_openapi(name: str) -> dict[str, Any]:
    walked = GoogleOpenAPISchemaTransformer(copy.deepcopy(SCHEMAS[name])).walk()
    return _gemini_as_json(genai_types.Schema.model_validate(walked))


def _google_genai_mcp(name: str) -> dict[str, Any]:
    tool = SimpleNamespace(name=name, description=DESCRIPTIONS[name], inputSchema=copy.deepcopy(SCHEMAS[name]))
    (declaration,) = _mcp_utils.mcp_to_gemini_tool(tool).function_declarations or []  # type: ignore[arg-type]
    assert declaration.parameters is not None
    return _gemini_as_json(declaration.parameters)


def _google_genai_schema(name: str) -> dict[str, Any]:
    # What mcp_to_gemini_tool does after its keyword filter (which fails on additionalProperties: false).
    json_schema = genai_types.JSONSchema.model_validate(copy.deepcopy(SCHEMAS[name]))
    return _gemini_as_json(genai_types.Schema.from_json_schema(json_schema=json_schema))


def _google_genai_json_schema(name: str) -> dict[str, Any]:
    # The README's way around the MCP adapter's failure: the JSON schema as is, in parameters_json_schema.
    declaration = genai_types.FunctionDeclaration(
        name=name, description=DESCRIPTIONS[name], parameters_json_schema=copy.deepcopy(SCHEMAS[name])
    )
    declaration = genai_types.FunctionDeclaration.model_validate(declaration.model_dump(mode="json"))
    assert isinstance(declaration.parameters_json_schema, dict)
    return declaration.parameters_json_schema


def _langchain_google_genai(name: str) -> dict[str, Any]:
    (tool,) = convert_to_genai_function_declarations([_lc_tool(name)])
    (declaration,) = tool.function_declarations or []
    assert declaration.parameters is not None
    return _gemini_as_json(declaration.parameters)


@dataclass(frozen=True)
class Converter:
    """One framework's conversion of an input schema into what its model API gets (as JSON Schema).

    ``strict``: the model must send every property (so the call checked is the strict one, every
    optional field ``null``; otherwise the call that leaves optional fields out).
    ``descriptions``: whether it keeps property descriptions at all (checked when it does).
    ``broken``: why the converter fails on every closed schema (a framework bug: the cell is an
    expected failure, which fails once the framework is fixed, so that this entry goes).
    """

    convert: Callable[[str], dict[str, Any]]
    strict: bool = False
    descriptions: bool = True
    broken: str = ""


CONVERTERS: dict[str, Converter] = {
    "openai-agents strict": Converter(_openai_agents_strict, strict=True),
    "langchain openai strict": Converter(_langchain_openai(True), strict=True),
    "langchain openai": Converter(_langchain_openai(None)),
    "langchain anthropic strict": Converter(_langchain_anthropic(True), strict=True),
    "langchain anthropic": Converter(_langchain_anthropic(None)),
    "pydantic-ai openai strict": Converter(_pydantic_ai_openai(True), strict=True),
    "pydantic-ai openai": Converter(_pydantic_ai_openai(None)),
    "pydantic-ai gemini": Converter(_pydantic_ai_gemini),
    "pydantic-ai gemini openapi": Converter(_pydantic_ai_gemini_openapi),
    "google-genai schema": Converter(_google_genai_schema),
    "google-genai mcp": Converter(
        _google_genai_mcp,
        broken="google-genai 3.6 MCP adapter fails on additionalProperties: false (googleapis/python-genai#2393)",
    ),
    "google-genai json schema": Converter(_google_genai_json_schema),
    "langchain google-genai": Converter(_langchain_google_genai),
}

# --- reading a schema, ours or converted ----------------------------------------------------------


def _gemini_as_json(schema: genai_types.Schema) -> dict[str, Any]:
    """A Gemini ``Schema`` as the JSON Schema it means (``nullable`` as a null type), for checking."""

    def walk(node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "type" in node:
            out["type"] = str(node["type"]).lower()
        for key in ("description", "enum", "required", "format"):
            if key in node:
                out[key] = node[key]
        if "properties" in node:
            out["properties"] = {k: walk(v) for k, v in node["properties"].items()}
        if "items" in node:
            out["items"] = walk(node["items"])
        if "any_of" in node:
            out["anyOf"] = [walk(b) for b in node["any_of"]]
        if node.get("nullable"):
            if "anyOf" in out:
                out["anyOf"].append({"type": "null"})
            elif "type" in out:
                out["type"] = [out["type"], "null"]
        return out

    return walk(schema.model_dump(mode="json", exclude_none=True))


def _is_null(node: Any) -> bool:
    return isinstance(node, dict) and (node.get("type") == "null" or node == {"nullable": True})


def _nullable(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return (
        node.get("nullable") is True
        or (isinstance(kind, list) and "null" in kind)
        or any(_is_null(b) for b in node.get("anyOf", []))
    )


def _branch(node: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of a nullable ``anyOf`` (the node itself otherwise)."""
    branches = [b for b in node.get("anyOf", []) if not _is_null(b)]
    return branches[0] if len(branches) == 1 else node


def _description(node: dict[str, Any]) -> str:
    return str(node.get("description") or _branch(node).get("description") or "")


@dataclass(frozen=True)
class Field:
    """One field of an input schema, nested ones named by path (``models[].name``)."""

    path: str
    required: bool
    nullable: bool
    description: str


def _fields(schema: dict[str, Any], prefix: str = "") -> Iterator[Field]:
    required = set(schema.get("required", []))
    for name, node in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield Field(path, name in required, _nullable(node), _description(node))
        items = _branch(node).get("items")
        if isinstance(items, dict) and "properties" in _branch(items):
            yield from _fields(_branch(items), f"{path}[].")


def _problems(ours: dict[str, Any], theirs: dict[str, Any], converter: Converter) -> list[str]:
    """What the conversion lost: one line per field whose meaning changed."""
    found = {f.path: f for f in _fields(theirs)}
    problems = []
    for field in _fields(ours):
        other = found.get(field.path)
        if other is None:
            problems.append(f"{field.path}: dropped")
            continue
        if field.required and (not other.required or other.nullable):
            problems.append(f"{field.path}: required, became {'nullable' if other.nullable else 'optional'}")
        if not field.required and other.required and not other.nullable:
            problems.append(f"{field.path}: optional, became required and not nullable")
        if converter.descriptions and field.description and field.description not in other.description:
            problems.append(f"{field.path}: description lost ({other.description!r})")
    return problems


# --- the call a strict model builds -------------------------------------------------------------

#: What a model gives for the required fields of a tool (the rest it sends as null), by tool name;
#: ``model`` is the id of an existing model. A tool with required fields needs an entry.
GIVEN: dict[str, Callable[[str], dict[str, Any]]] = {
    "create_models": lambda model: {"models": [{"name": unique("strict")}]},
    "update_models": lambda model: {"models": [{"model_id": model}]},
    "duplicate_model": lambda model: {"model_id": model},
    "delete_models": lambda model: {"model_ids": [model]},
}


def _with_nulls(schema: dict[str, Any], given: Any) -> Any:
    """``given`` with every property of ``schema`` it leaves out set to ``None``, item objects too."""
    if not isinstance(given, dict):
        return given
    out = {}
    for name, node in schema.get("properties", {}).items():
        value = given.get(name)
        items = _branch(_branch(node).get("items") or {})
        if isinstance(value, list) and "properties" in items:
            value = [_with_nulls(items, v) for v in value]
        out[name] = value
    return out


def strict_call(tool: str, model_id: str) -> dict[str, Any]:
    """The arguments a strict model sends: ``GIVEN`` plus an explicit null for every other field."""
    return _with_nulls(SCHEMAS[tool], GIVEN[tool](model_id) if tool in GIVEN else {})


def _without_nulls(value: Any) -> Any:
    """The call a non-strict model sends: the strict one with the ``null`` fields left out."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000001"

# --- the matrix ---------------------------------------------------------------------------------


def test_every_tool_with_required_fields_has_given_values() -> None:
    """A new tool with required fields needs its entry in ``GIVEN`` (and none names a lost tool)."""
    assert set(GIVEN) <= set(TOOL_NAMES)
    for name, schema in SCHEMAS.items():
        assert name in GIVEN or not schema.get("required"), f"{name}: add what a model gives to GIVEN"


def _cells() -> list[Any]:
    """Every (tool, converter) pair; a converter's ``broken`` cells are strict expected failures."""
    return [
        pytest.param(
            tool,
            converter,
            marks=[pytest.mark.xfail(raises=AttributeError, strict=True, reason=conv.broken)] if conv.broken else [],
            id=f"{tool}-{converter}",
        )
        for converter, conv in sorted(CONVERTERS.items())
        for tool in TOOL_NAMES
    ]


@pytest.mark.parametrize(("tool", "converter"), _cells())
def test_conversion_keeps_the_meaning(tool: str, converter: str) -> None:
    conv = CONVERTERS[converter]
    converted = conv.convert(tool)
    problems = _problems(SCHEMAS[tool], converted, conv)
    call = strict_call(tool, PLACEHOLDER_ID)
    if not conv.strict:
        call = _without_nulls(call)
    validator = jsonschema.Draft202012Validator(converted)
    what = "strict" if conv.strict else "non-strict"
    problems += [f"the {what} call is invalid: {e.json_path}: {e.message}" for e in validator.iter_errors(call)]
    assert not problems, f"{converter} on {tool}:\n" + "\n".join(problems)


def test_no_input_schema_has_a_string_format() -> None:
    """Why ``format`` is left out: google-genai's converters pass a string format on to Gemini's
    ``parameters`` (whose API has refused formats other than ``enum`` and ``date-time``, e.g.
    gemini-cli#3178), while langchain-google-genai drops it and pydantic-ai moves it into the
    description; an id's description or name says what it is."""
    probe = genai_types.JSONSchema.model_validate(
        {"type": "object", "properties": {"a": {"type": "string", "format": "uuid"}}}
    )
    assert genai_types.Schema.from_json_schema(json_schema=probe).properties["a"].format == "uuid"  # type: ignore[index]
    for name, schema in SCHEMAS.items():
        assert '"format"' not in json.dumps(schema), name


# --- the strict call against the reference API --------------------------------------------------


class RecordingTransport(httpx2.ASGITransport):
    """An ASGI transport to the reference API that keeps every request body it sends."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app)
        self.bodies: list[tuple[str, Any]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        self.bodies.append((request.url.path, json.loads(body) if body else None))
        return await super().handle_async_request(request)


def _nulls(value: Any, path: str = "") -> list[str]:
    """Paths of the ``null`` values in a JSON body."""
    if value is None:
        return [path or "(body)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return []


@pytest.mark.anyio
@pytest.mark.parametrize("tool", TOOL_NAMES)
async def test_the_strict_call_succeeds_and_sends_no_null(tool: str, fresh_reference_api: ReferenceAPI) -> None:
    transport = RecordingTransport(fresh_reference_api.app)
    server = build_server(fresh_reference_api.settings(), transport=transport)
    async with Client(server, mode="legacy") as client:
        model_id = (await client.call_tool("search_models", {"search": "gpt"})).structured_content["models"][0][
            "model_id"
        ]
        if tool == "delete_models":  # delete a model made for it
            made = await client.call_tool("create_models", {"models": [{"name": unique("doomed")}]})
            model_id = made.structured_content["results"][0]["model_id"]
        arguments = strict_call(tool, model_id)
        start = len(transport.bodies)
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}({arguments}):\n{text_of(result)}"
    sent = [(path, _nulls(body)) for path, body in transport.bodies[start:]]
    assert not [s for s in sent if s[1]], f"null sent upstream: {sent}"


def test_pydantic_ai_sends_argument_free_tools_as_strict() -> None:
    """pydantic-ai (``strict=None``, as for MCP tools) sends a tool as strict only when every property
    is required, so ``required: []`` makes the argument-free tools strict; tools with optional fields
    go non-strict, keeping them optional."""
    transformer = OpenAIProvider.model_profile("gpt-5")["json_schema_transformer"]  # type: ignore[index]
    for name, schema in SCHEMAS.items():
        walker = transformer(copy.deepcopy(schema), strict=None)
        walker.walk()
        if not schema["properties"]:
            assert walker.is_strict_compatible, name
        elif set(schema["properties"]) != set(schema["required"]):
            assert not walker.is_strict_compatible, name
