"""Hostile input: arguments generated from every tool's own advertised ``inputSchema`` (from
``tools/list``) plus hostile variants, sent by a real MCP client over streamable HTTP (JSON on the
wire, both protocol eras) to our server, whose upstream is a counting fake that answers every
operation with a schema-conforming body.

Properties, for every tool:

* zero crashes and zero JSON-RPC errors: every call returns a ``CallToolResult``;
* schema-conforming arguments, and the hostile-but-valid ones (1 MB strings, odd unicode, the
  string "null" or JSON-looking text in string fields, lists/objects sent as JSON strings, explicit
  nulls for optional fields), succeed, and the tool's operation reaches the upstream once (a write
  exactly once; a read may take several reads, and a write may be followed by reads, e.g. the
  duplicate-name check). Fields that take ids get ids here: labels and names in their place are
  looked up first, which tests/test_agent_views.py covers;
* every invalid call (wrong types, 1 MB or "null" strings where a UUID/number/list is expected,
  deep nesting, unknown fields, missing required fields) is a tool error that names the field,
  and NO invalid call reaches the upstream (the fake counts its requests).

Size: the CI profile runs in well under a minute. For a release check run
``GLOW_HYPOTHESIS_PROFILE=release uv run pytest tests/reliability/test_rel_hostile_input.py``
(about 20x the examples). The transport's own JSON limits (nesting deeper than ~200 levels, lone
surrogate escapes) are covered separately at the end: the SDK refuses those bodies with a JSON-RPC
parse error before any tool runs, which the tests pin down.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio.from_thread
import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from mcp import Client
from pydantic import TypeAdapter
from rel_support import FaultServer, fast_settings
from support import TOOL_OPERATION, serving, text_of

from glow_models_mcp.arguments import is_ref_field
from glow_models_mcp.sections import section_alias
from glow_models_mcp.server import build_server
from glow_models_mcp.tools import TOOL_NAMES, TOOL_SPECS


def _patch_hypothesis_jsonschema() -> None:
    """hypothesis-jsonschema 0.23.1 (its latest release) drives Hypothesis' private ``many()`` with
    the old ``while elements.more()`` protocol, which Hypothesis 6.15x+ replaced by
    ``with many(...) as e: for _ in e``; every object schema then fails with AttributeError. Give
    hypothesis-jsonschema (only its own module-level reference) an adapter with the old protocol."""
    from hypothesis.internal.conjecture import utils as cu
    from hypothesis_jsonschema import _from_schema

    if hasattr(cu.many, "more"):
        return

    class _OldProtocolMany:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._many = cu.many(*args, **kwargs)
            self._many.__enter__()
            self._steps = iter(self._many)

        def more(self) -> bool:
            try:
                next(self._steps)
            except StopIteration:
                self._many.__exit__(None, None, None)
                return False
            return True

        def reject(self, why: str | None = None) -> None:
            self._many.reject(why)

    class _Utils:
        def __getattr__(self, name: str) -> Any:
            return _OldProtocolMany if name == "many" else getattr(cu, name)

    _from_schema.cu = _Utils()  # type: ignore[assignment]


_patch_hypothesis_jsonschema()

PROFILE = os.environ.get("GLOW_HYPOTHESIS_PROFILE", "ci")
SCALE = {"ci": 1, "release": 20}[PROFILE]
_COMMON: dict[str, Any] = dict(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.function_scoped_fixture,
    ],
)
VALID = settings(max_examples=12 * SCALE, **_COMMON)
HOSTILE = settings(max_examples=30 * SCALE, **_COMMON)

ONE_MB = 1_000_000
MAX_DEPTH = 150  # the JSON parser of the transport stops at ~200 levels (see the end of the file)
ODD_UNICODE = [
    "\u202eevil\u202c",  # right-to-left override
    "zero\u200bwidth\ufeff",
    "nul\x00byte",
    "e\u0301\u0301\u0301",  # stacked combining marks
    "\U0001f600\U0001f9ec\U0010fffd",  # astral plane, private use
    "\x1b[31mansi\x1b[0m",
    "line\r\nbreak\u2028sep",
    "\ufffd\ufffe",
]

_UUID = TypeAdapter(uuid.UUID)
_INTEGRAL_TEXT = re.compile(r"^\s*[+-]?\d+(\.0*)?\s*$")  # read as an integer, by design
_INT = TypeAdapter(int)


def _accepted(adapter: TypeAdapter[Any], value: Any) -> bool:
    try:
        adapter.validate_python(value)
    except Exception:
        return False
    return True


# ------------------------------------------------------------------------------------------------
# The rig: fake upstream + our server over streamable HTTP + one MCP client per era, in a portal
# ------------------------------------------------------------------------------------------------


@dataclass
class Rig:
    fault: FaultServer
    portal: Any
    clients: dict[str, Any]
    schemas: dict[str, dict[str, Any]]  # as advertised, UUID-only fields marked (UUID_FIELDS)
    id_schemas: dict[str, dict[str, Any]]  # fields that take ids (or labels) marked as UUIDs

    def call(self, era: str, tool: str, arguments: dict[str, Any]) -> Any:
        # An MCPError (a JSON-RPC error) or any other exception fails the test as is.
        return self.portal.call(self.clients[era].call_tool, tool, arguments)

    def upstream_requests(self) -> int:
        return self.fault.count()

    def assert_sent_once(self, tool: str, before: int) -> Any:
        """A write's operation reached the upstream exactly once; anything else sent was a read (a
        read tool may be answered from the option cache). Returns the operation's last request."""
        op = TOOL_OPERATION[tool]
        new = list(self.fault.seen)[before:]
        ops = [s.op for s in new]
        if op not in ("get", "search"):
            assert ops.count(op) == 1, ops
        assert set(ops) <= {op, "get", "search", *FOLLOW_UPS.get(tool, ())}, ops
        mine = [s for s in new if s.op == op]
        return mine[-1] if mine else None


def _plain(prop: dict[str, Any]) -> dict[str, Any]:
    """An optional field's schema without its null branch (``anyOf: [T, {"type": "null"}]`` -> ``T``)."""
    branches = [b for b in prop.get("anyOf", []) if b != {"type": "null"}]
    return branches[0] if len(branches) == 1 and len(prop["anyOf"]) == 2 else prop


def _uuid_fields(node: Any, name: str = "") -> set[str]:
    """Names of the fields an argument model's JSON schema types as UUIDs (``format: uuid``)."""
    found: set[str] = set()
    if isinstance(node, dict):
        if node.get("format") == "uuid" and name:
            found.add(name)
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for sub_name, sub in value.items():
                    found |= _uuid_fields(sub, sub_name)
            else:
                found |= _uuid_fields(value, "" if key == "$defs" else name)
    elif isinstance(node, list):
        for item in node:
            found |= _uuid_fields(item, name)
    return found


#: Fields that take a UUID and nothing else (no label): the advertised schemas leave ``format`` out
#: (Gemini refuses it), the argument models check it; the strategies below need to know.
UUID_FIELDS = set().union(*(_uuid_fields(spec.argument_model.model_json_schema()) for spec in TOOL_SPECS))


def _marked(schema: Any, mark: Callable[[str], bool], name: str = "") -> Any:
    """``schema`` with the string fields whose name ``mark`` picks marked ``format: uuid``."""
    if isinstance(schema, list):
        return [_marked(item, mark, name) for item in schema]
    if isinstance(schema, dict):
        out = {k: _marked(v, mark, name) for k, v in schema.items() if k not in ("properties", "items")}
        if "properties" in schema:
            out["properties"] = {k: _marked(v, mark, k) for k, v in schema["properties"].items()}
        if "items" in schema:
            out["items"] = _marked(schema["items"], mark, name)
        if schema.get("type") == "string" and mark(name):
            out["format"] = "uuid"
            out.pop("minLength", None)
        return out
    return schema


def _with_uuids(schema: Any) -> Any:
    """``schema`` with the UUID-only fields marked ``format: uuid`` (as the argument models check)."""
    return _marked(schema, lambda name: name in UUID_FIELDS)


def _ids_only(schema: Any) -> Any:
    """``schema`` with every field that takes ids (or labels, or names) marked ``format: uuid``."""
    return _marked(schema, lambda name: name in UUID_FIELDS or is_ref_field(name))


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    with FaultServer() as fault:
        cfg = fast_settings(fault.url)
        server = build_server(cfg)
        with serving(server, cfg, "http") as running, anyio.from_thread.start_blocking_portal() as portal:
            clients = {}
            managers = []
            for era, mode in (("2025-11-25", "legacy"), ("2026-07-28", "auto")):
                cm = portal.wrap_async_context_manager(Client(f"{running.url}/mcp", mode=mode))
                clients[era] = cm.__enter__()
                managers.append(cm)
            try:
                listed = portal.call(clients["2025-11-25"].list_tools)
                schemas = {t.name: _with_uuids(t.input_schema) for t in listed.tools}
                assert set(schemas) == set(TOOL_NAMES)
                yield Rig(fault, portal, clients, schemas, {n: _ids_only(s) for n, s in schemas.items()})
            finally:
                for cm in reversed(managers):
                    cm.__exit__(None, None, None)


ERAS = st.sampled_from(["2025-11-25", "2026-07-28"])
_STRATEGY_CACHE: dict[str, st.SearchStrategy[Any]] = {}


def _valid_strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    key = json.dumps(schema, sort_keys=True)
    if key not in _STRATEGY_CACHE:
        _STRATEGY_CACHE[key] = from_schema(schema, custom_formats={"uuid": st.uuids().map(str)})
    return _STRATEGY_CACHE[key]


# ------------------------------------------------------------------------------------------------
# Hostile values, by the schema of the property they replace
# ------------------------------------------------------------------------------------------------

_json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20)
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=10,
)


def _deep(depth: int, leaf: Any = "x", as_dict: bool = False) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"k": value} if as_dict else [value]
    return value


_deeply_nested = st.builds(_deep, st.integers(2, MAX_DEPTH), st.sampled_from(["x", 1, None]), st.booleans())
_big_strings = st.sampled_from(["z" * ONE_MB, "\u00e9" * (ONE_MB // 4), "\U0001f600" * (ONE_MB // 8)])
# "" is not here: for an optional field it means "not given" (a valid call), by design.
_non_uuid_text = st.one_of(
    st.text(min_size=1, max_size=40), st.sampled_from(["null", "None", "undefined", " ", "0", "[]", "{}", *ODD_UNICODE])
).filter(lambda s: not _accepted(_UUID, s))
_non_int_text = st.one_of(
    st.text(min_size=1, max_size=20), st.sampled_from(["null", "1.5", "1e400", "NaN", "0x10"])
).filter(lambda s: not _accepted(_INT, s) and not _INTEGRAL_TEXT.match(s))
_not_text = st.one_of(
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(_json_scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), _json_scalars, max_size=3),
    _deeply_nested,
)


def _invalid_for(prop: dict[str, Any], top: bool = True) -> st.SearchStrategy[Any]:
    """Values that the request model must reject for a property with schema ``prop``. 1 MB strings
    only at the top level (one per call), so the request stays under the 1 MiB HTTP body cap."""
    prop = _plain(prop)
    kind = prop.get("type")
    big = _big_strings if top else st.nothing()
    if kind == "string" and prop.get("format") == "uuid":
        return st.one_of(_non_uuid_text, big, _not_text)
    if kind == "string":
        return _not_text
    if kind == "integer":
        below = st.integers(max_value=prop["minimum"] - 1) if "minimum" in prop else st.nothing()
        fractional = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
        return st.one_of(
            _non_int_text,
            fractional,
            st.lists(st.integers(), max_size=3),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
            _deeply_nested,
            big,
            below,
        )
    if kind == "array":
        items = prop.get("items", {})
        item_bad = _invalid_for(items, top=False) if items else st.nothing()
        # Not "" (an optional field's "not given") and not a comma list of section names (what
        # `sections` accepts as one string).
        not_json_text = st.text(min_size=1, max_size=20).filter(
            lambda s: s[:1] not in ("[", "{") and not all(section_alias(p) for p in s.split(","))
        ) | st.just("null")
        return st.one_of(
            st.integers(),
            st.booleans(),
            st.dictionaries(st.text(max_size=5), _json_scalars, max_size=3),
            not_json_text,
            st.lists(item_bad, min_size=1, max_size=3),
            st.lists(item_bad, min_size=1, max_size=2).map(json.dumps),  # an invalid list sent as JSON text
            st.integers(2, MAX_DEPTH).map(lambda d: _deep(d, "not-a-uuid")),
        )
    if kind == "object":
        props = prop.get("properties", {})
        unknown = st.text(min_size=1, max_size=30).filter(lambda k: k not in props)
        bad_field = (
            st.sampled_from(sorted(props)).flatmap(lambda k: _invalid_for(props[k], top=False).map(lambda v: {k: v}))
            if props
            else st.nothing()
        )
        return st.one_of(
            st.integers(),
            st.text(max_size=10).filter(lambda s: s[:1] not in ("[", "{")),
            st.lists(st.integers(), min_size=1, max_size=2),
            st.builds(lambda k, v: {k: v}, unknown, _json_values),
            bad_field,
        )
    return st.nothing()


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


@dataclass
class Hostile:
    arguments: dict[str, Any]
    field: str  # the top-level field the error must name
    kind: str

    def __repr__(self) -> str:  # failing examples may hold 1 MB strings
        return f"Hostile({self.kind}, field={self.field[:80]!r}, arguments={_short(self.arguments)})"


@st.composite
def hostile_arguments(draw: st.DrawFn, schema: dict[str, Any], base_schema: dict[str, Any]) -> Hostile:
    """A call with one thing wrong, judged by the advertised ``schema``; the other arguments are
    drawn from ``base_schema`` (ids where ids or labels go), so that only that one thing is wrong."""
    base = dict(draw(_valid_strategy(base_schema)))
    props: dict[str, Any] = schema.get("properties", {})
    required = schema.get("required", [])
    kinds = ["unknown_field"] + (["wrong_value"] if props else []) + (["missing_required"] if required else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "unknown_field":
        key = draw(
            st.one_of(
                st.text(min_size=1, max_size=40),
                st.sampled_from(
                    ["__proto__", "constructor", "$ref", "model_id ", "MODEL_ID", "page-size", "\u202ename", "x" * 500]
                ),
            ).filter(lambda k: k not in props and k.strip() != "")
        )
        base[key] = draw(st.one_of(_json_values, _deeply_nested, _big_strings, st.just("null")))
        return Hostile(base, key, kind)
    if kind == "missing_required":
        name = draw(st.sampled_from(required))
        base.pop(name, None)
        return Hostile(base, name, kind)
    name = draw(st.sampled_from(sorted(props)))
    base[name] = draw(_invalid_for(props[name]))
    return Hostile(base, name, kind)


def _valid_but_hostile_value(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that look hostile but are valid: the call must succeed and reach the upstream."""
    prop = _plain(prop)
    kind = prop.get("type")
    explicit_null = st.none()  # optional fields accept an explicit null ("not given")
    if kind == "string" and prop.get("format") != "uuid":
        json_looking = st.sampled_from(['["a", "b"]', '{"k": 1}', "[]", "{}", "[not json", '{"temperature": 0.2}'])
        values = st.one_of(_big_strings, st.sampled_from([*ODD_UNICODE, "null", "None", ""]), json_looking)
        if "pattern" in prop:  # e.g. a model name: no control characters
            values = values.filter(lambda v: re.search(prop["pattern"], v) is not None)
        if "maxLength" in prop:  # e.g. the search text: at most 1000 characters
            values = values.filter(lambda v: len(v) <= prop["maxLength"])
        return st.one_of(values, explicit_null)
    if kind in ("array", "object"):
        return st.one_of(_valid_strategy(prop).map(json.dumps), explicit_null)  # a list/object sent as JSON text
    return explicit_null


@st.composite
def valid_hostile_arguments(draw: st.DrawFn, schema: dict[str, Any]) -> tuple[dict[str, Any], str]:
    base = dict(draw(_valid_strategy(schema)))
    props: dict[str, Any] = schema.get("properties", {})
    optional = [p for p in sorted(props) if p not in schema.get("required", [])]
    plain = {p: _plain(props[p]) for p in props}
    candidates = [
        p
        for p in sorted(props)
        if plain[p].get("type") in ("array", "object")
        or (plain[p].get("type") == "string" and plain[p].get("format") != "uuid" and "enum" not in plain[p])
    ]
    name = draw(st.sampled_from(candidates)) if candidates else None
    if name is None:
        return base, ""
    value = draw(_valid_but_hostile_value(props[name]))
    if value is None and name not in optional:
        value = draw(_valid_strategy(props[name]))
        value = value if isinstance(value, str) else json.dumps(value)
    base[name] = value
    return base, name


#: What the tools refuse although JSON Schema cannot say it (README "forgiving input"): a NUL in any
#: text (Glow's database cannot store it), and a field given with its alternative (name and name_id).
DOCUMENTED_REFUSALS = ("contains a NUL character", "not both (the Glow API would silently drop one)")


def _refused_for_a_documented_reason(result: Any, tool: str) -> bool:
    """Whether ``result`` refuses schema-valid arguments for one of :data:`DOCUMENTED_REFUSALS`,
    as a clear tool error that names the field (and so sent nothing)."""
    text = text_of(result)
    if not result.is_error or not any(reason in text for reason in DOCUMENTED_REFUSALS):
        return False
    assert text.startswith(f"{tool}: invalid arguments, nothing was sent to the Glow API"), text[:500]
    reasons = [line for line in text.splitlines() if line.startswith("- ")]
    assert reasons and all(any(r in line for r in DOCUMENTED_REFUSALS) for line in reasons), text[:800]
    return True


def _check_tool_error(result: Any, tool: str, field: str) -> None:
    text = text_of(result)
    assert result.is_error, f"{tool} accepted invalid arguments: {text[:500]}"
    assert text.startswith(f"{tool}: invalid arguments, nothing was sent to the Glow API"), text[:500]
    assert f"- {field[:80]}" in text, f"the error does not name {field[:80]!r}: {text[:800]}"
    assert "Traceback" not in text and "errors.pydantic.dev" not in text
    assert len(text) < 10_000  # values are not echoed back (a 1 MB input does not come back)


TOOLS_WITH_PROPS = [t for t in TOOL_NAMES if t not in ("list_model_drafts", "refresh_models")]

#: Writes a tool may send after its own operation (duplicate_model sets the copy's name/departments).
FOLLOW_UPS = {"duplicate_model": {"update"}}

#: Each tool's own arguments (view, sections, base_model_id...): validated, not sent as they are.
TOOL_ONLY = {spec.name: set(spec.arguments) for spec in TOOL_SPECS}


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------


@pytest.mark.process
@pytest.mark.parametrize("tool", TOOL_NAMES)
@VALID
@given(data=st.data())
def test_arguments_from_the_advertised_schema_are_accepted(rig: Rig, tool: str, data: st.DataObject) -> None:
    arguments = data.draw(_valid_strategy(rig.id_schemas[tool]), label="arguments")
    era = data.draw(ERAS, label="era")
    before = rig.upstream_requests()
    result = rig.call(era, tool, arguments)
    if _refused_for_a_documented_reason(result, tool):
        assert rig.upstream_requests() == before
        return
    assert not result.is_error, text_of(result)[:800]
    rig.assert_sent_once(tool, before)


@pytest.mark.process
@pytest.mark.parametrize("tool", TOOL_NAMES)
@HOSTILE
@given(data=st.data())
def test_invalid_arguments_are_a_tool_error_naming_the_field_and_never_reach_the_upstream(
    rig: Rig, tool: str, data: st.DataObject
) -> None:
    hostile = data.draw(hostile_arguments(rig.schemas[tool], rig.id_schemas[tool]), label="hostile")
    era = data.draw(ERAS, label="era")
    before = rig.upstream_requests()
    result = rig.call(era, tool, hostile.arguments)
    _check_tool_error(result, tool, hostile.field)
    assert rig.upstream_requests() == before, "an invalid call reached the upstream"


@pytest.mark.process
@pytest.mark.parametrize("tool", TOOLS_WITH_PROPS)
@VALID
@given(data=st.data())
def test_hostile_but_valid_arguments_are_accepted_and_sent_once(rig: Rig, tool: str, data: st.DataObject) -> None:
    arguments, field = data.draw(valid_hostile_arguments(rig.id_schemas[tool]), label="arguments")
    era = data.draw(ERAS, label="era")
    before = rig.upstream_requests()
    result = rig.call(era, tool, arguments)
    if _refused_for_a_documented_reason(result, tool):
        assert rig.upstream_requests() == before
        return
    assert not result.is_error, f"{field}: {text_of(result)[:800]}"
    seen = rig.assert_sent_once(tool, before)
    if field in TOOL_ONLY[tool] or seen is None:
        return  # tool-only arguments (view, sections) are not sent; a cached option listing sends nothing
    sent = seen.json()
    value = arguments.get(field)
    if value in ("", None) and field not in rig.schemas[tool].get("required", []):
        # "" or null for an optional field means "not given": not sent, or filled in as when left
        # out (patch_model_draft copies it from base_model_id), never sent as null or "".
        assert field not in sent or sent[field] not in ("", None), sent
    elif isinstance(value, str) and _plain(rig.schemas[tool]["properties"][field]).get("type") == "string":
        assert sent[field] == value  # strings reach the upstream unchanged (not parsed, not truncated)
    elif isinstance(value, str):
        # A list/object sent as JSON text is parsed once; inside it, as at the top, "" means "not given".
        expected = _without_empty(json.loads(value))
        if sent[field] != expected:
            diffs = [
                (i, k, a.get(k), b.get(k))
                for i, (a, b) in enumerate(zip(sent[field], expected, strict=False))
                if isinstance(a, dict)
                for k in set(a) | set(b)
                if a.get(k) != b.get(k)
            ]
            raise AssertionError(f"sent differs from the arguments: {diffs!r}"[:2000])


def _without_empty(value: Any) -> Any:
    """``value`` with every "" or null of an object left out (how the tools read an optional
    field's "" or null: not given, so not sent)."""
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v != "" and v is not None}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


# ------------------------------------------------------------------------------------------------
# Fixed hostile classes, each named (they also run in CI regardless of hypothesis' draws)
# ------------------------------------------------------------------------------------------------

FIXED_INVALID = [
    ("get_model", {"model_id": ["null"]}, "model_id"),
    ("get_model", {"model_id": "gpt\x00"}, "model_id"),
    ("get_model", {"model_id": "z" * ONE_MB}, "model_id"),
    ("get_model", {"model_id": 12345}, "model_id"),
    ("get_model", {"draft_id": {"$ne": None}}, "draft_id"),
    ("search_models", {"page_size": "null"}, "page_size"),
    ("search_models", {"page_size": -1}, "page_size"),
    ("search_models", {"page_offset": "1; DROP TABLE models"}, "page_offset"),
    ("search_models", {"filter_provider_ids": "null"}, "filter_provider_ids"),
    ("search_models", {"filter_provider_ids": '[""]'}, "filter_provider_ids"),
    ("search_models", {"filter_department_ids": _deep(MAX_DEPTH)}, "filter_department_ids"),
    ("search_models", {"search": {"$regex": ".*"}}, "search"),
    ("search_models", {"search": "z" * ONE_MB}, "search"),  # at most 1000 characters
    ("search_models", {"search": "gpt\x00"}, "search"),  # Glow's database cannot store a NUL
    ("search_models", {"unknown": _deep(MAX_DEPTH, as_dict=True)}, "unknown"),
    ("search_models", {"\u202epage_size": 3}, "\u202epage_size"),
    ("create_models", {"models": "null"}, "models"),
    ("create_models", {"models": [{"name": "ok", "bogus": 1}]}, "models.0.bogus"),
    ("create_models", {"models": [{"name": ["not", "a", "string"]}]}, "models.0.name"),
    ("create_models", {"models": '[{"name": 5}]'}, "models.0.name"),
    ("create_models", {}, "models"),
    ("update_models", {"models": [{"name": "no id"}]}, "models.0.model_id"),
    ("duplicate_model", {}, "model_id"),
    ("duplicate_model", {"model_id": None}, "model_id"),
    ("delete_models", {"model_ids": ["z" * ONE_MB]}, "model_ids.0"),
    ("delete_models", {"model_ids": [None]}, "model_ids.0"),
    ("patch_model_draft", {"expected_version": "one"}, "expected_version"),
    ("patch_model_draft", {"expected_version": 1.5}, "expected_version"),
    ("list_model_drafts", {"page": 1}, "page"),
    ("get_model_docs", {"entity_id": ["a"]}, "entity_id"),
    ("export_models", {"model_id": "\x00"}, "model_id"),
    ("refresh_models", {"force": True}, "force"),
]


@pytest.mark.process
@pytest.mark.parametrize(
    ("tool", "arguments", "field"), FIXED_INVALID, ids=[f"{t}-{f[:20]}" for t, _, f in FIXED_INVALID]
)
@pytest.mark.parametrize("era", ["2025-11-25", "2026-07-28"])
def test_named_hostile_classes(rig: Rig, tool: str, arguments: dict[str, Any], field: str, era: str) -> None:
    before = rig.upstream_requests()
    result = rig.call(era, tool, arguments)
    _check_tool_error(result, tool, field)
    assert rig.upstream_requests() == before


FIXED_VALID = [
    ("search_models", {"provider_search": "z" * ONE_MB}, "provider_search"),
    ("search_models", {"search": "null"}, "search"),
    ("search_models", {"search": '["gpt"]'}, "search"),
    ("search_models", {"search": "\u202egpt\u200b\U0001f600"}, "search"),
    ("search_models", {"filter_provider_ids": json.dumps([str(uuid.uuid4())])}, "filter_provider_ids"),
    ("search_models", {"page_size": None, "search": None}, "page_size"),
    ("create_models", {"models": json.dumps([{"name": "from-json-text"}])}, "models"),
    ("create_models", {"models": [{"name": "n", "description": '{"temperature": 0.2}'}]}, "models"),
    ("patch_model_draft", {"description": "[1, 2]", "name": "{}"}, "description"),
]


@pytest.mark.process
@pytest.mark.parametrize(
    ("tool", "arguments", "field"), FIXED_VALID, ids=[f"{t}-{f}-{i}" for i, (t, _, f) in enumerate(FIXED_VALID)]
)
def test_named_hostile_but_valid_classes(rig: Rig, tool: str, arguments: dict[str, Any], field: str) -> None:
    before = rig.upstream_requests()
    result = rig.call("2025-11-25", tool, arguments)
    assert not result.is_error, text_of(result)[:800]
    sent = rig.assert_sent_once(tool, before).json()
    expected = arguments[field]
    if tool == "create_models":
        expected = json.loads(expected) if isinstance(expected, str) else expected
    elif field == "filter_provider_ids":
        expected = json.loads(expected)
    if expected is None:
        assert field not in sent, sent  # null means "not given": not sent as null
    else:
        assert sent[field] == expected


# ------------------------------------------------------------------------------------------------
# Past the transport's JSON limits: a JSON-RPC parse error, nothing runs, the server keeps serving
# ------------------------------------------------------------------------------------------------


def _raw_post(url: str, body: str) -> httpx2.Response:
    return httpx2.post(
        f"{url}/mcp",
        content=body.encode("utf-8", "surrogatepass"),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-11-25",
        },
        timeout=30,
    )


@pytest.mark.process
def test_bodies_past_the_json_parser_limits_are_refused_cleanly() -> None:
    """Nesting deeper than the SDK's JSON parser allows (~200 levels) and lone-surrogate escapes are
    refused before any tool runs, as on stdio: JSON-RPC -32600 with the request's id (found without
    recursion), no crash, nothing sent upstream, and the next request is served."""
    deep = "[" * 10_000 + '"x"' + "]" * 10_000
    bodies = [
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_models","arguments":{"model_ids":'
        + deep
        + "}}}",
        '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search_models","arguments":{"search":"\\ud800"}}}',
    ]
    with FaultServer() as fault:
        cfg = fast_settings(fault.url)
        server = build_server(cfg)
        with serving(server, cfg, "http") as running:
            for rid, body in enumerate(bodies, start=1):
                response = _raw_post(running.url, body)
                assert response.status_code == 400, response.text[:300]
                assert (response.json()["id"], response.json()["error"]["code"]) == (rid, -32600)
            ok = _raw_post(
                running.url,
                '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_models","arguments":{"search":"\\ud83d\\ude00"}}}',
            )
            assert ok.status_code == 200 and ok.json()["result"]["isError"] is False
            assert fault.count() == 1 and fault.seen[0].json() == {"search": "\U0001f600"}
