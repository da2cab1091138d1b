"""Shape pydantic JSON schemas into tool schemas that every MCP client and model API accepts.

Pydantic's default output breaks real clients in known ways, and agent frameworks rewrite a tool's
input schema before a model sees it (OpenAI strict mode makes every property required; Gemini's
``Schema`` keeps a subset). :func:`shape_schema` removes each cause by construction:

* ``$ref``/``$defs`` (some clients strip ``$defs`` and leave dangling references): inlined;
* optional fields of an input: ``anyOf: [T, {"type": "null"}]``, with the field's description and
  constraints inside ``T`` (google-genai keeps only the branch it unwraps), out of ``required``. A
  strict converter then makes the field required but nullable, which keeps its meaning, and the
  Gemini converters turn it into ``nullable: true``; the tools take an explicit ``null`` as "not
  given" (``arguments.ToolArguments``). In output schemas a nullable ``anyOf`` is the plain ``T``;
* every input object has ``required`` (``[]`` when nothing is) and ``additionalProperties: false``,
  matching the argument models' ``extra="forbid"``; output objects stay open, since response models
  keep unknown fields;
* input schemas carry no ``default`` (strict deployments reject it; the description says it) and no
  ``format`` (google-genai passes it to Gemini's ``parameters``, which has refused string formats
  other than ``enum`` and ``date-time``); ``default: null``, per-property ``title``, ``$schema`` and
  the model docstrings (written for developers) are dropped everywhere;
* output schemas carry no ``default`` and no ``description``: they serve the validators and code
  that read ``structuredContent``, a default changes no validation, and what a result means is the
  tool description's job. ``format`` stays (the TypeScript SDK's client checks it).

The result has no ``anyOf``/``oneOf``/``allOf`` at its top level and is always
``{"type": "object", "properties": {...}}`` (empty ``properties`` for a no-argument tool).

An output schema repeats itself where a response has many fields of one shape (the twelve
sections of a model, thirteen id lists of a draft): :func:`fold_repeats` writes each such shape
once, under ``patternProperties``, without changing which instances are valid.
"""

from __future__ import annotations

import json
import re
from typing import Any

_DROP_KEYS = frozenset({"title", "$schema", "$defs", "definitions"})
#: Dropped from input schemas only (see the module docstring).
_INPUT_DROP_KEYS = frozenset({"default", "format"})
#: Dropped from output schemas only (see the module docstring).
_OUTPUT_DROP_KEYS = frozenset({"default", "description"})
#: The branch that makes an optional input field nullable.
NULL_BRANCH = {"type": "null"}


def shape_schema(schema: dict[str, Any], *, for_input: bool) -> dict[str, Any]:
    """Return a flat, client-safe copy of a pydantic ``model_json_schema()`` output.

    Args:
        schema: a JSON Schema dict as produced by pydantic (may hold ``$defs``).
        for_input: ``True`` for a tool input schema (objects closed with
            ``additionalProperties: false``), ``False`` for an output schema (objects left open).

    Raises:
        ValueError: on a ``$ref`` that does not point into the schema's own ``$defs``.
    """
    defs = schema.get("$defs", {})
    shaped = _walk(schema, defs, for_input, ())
    shaped.pop("description", None)  # the tool description says it better
    shaped.setdefault("type", "object")
    shaped.setdefault("properties", {})
    if for_input:
        shaped.setdefault("required", [])
        shaped["additionalProperties"] = False
    return shaped


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` that also accepts ``null``: ``{"anyOf": [schema, {"type": "null"}]}`` (a union
    gets the null branch added), with every keyword, description included, inside the branch."""
    if NULL_BRANCH in schema.get("anyOf", []):
        return schema
    if set(schema) == {"anyOf"}:
        return {"anyOf": [*schema["anyOf"], dict(NULL_BRANCH)]}
    return {"anyOf": [schema, dict(NULL_BRANCH)]}


def _walk(node: Any, defs: dict[str, Any], for_input: bool, seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_walk(item, defs, for_input, seen) for item in node]
    if not isinstance(node, dict):
        return node

    if "$ref" in node:
        ref = node["$ref"]
        prefix = "#/$defs/"
        if not ref.startswith(prefix) or ref[len(prefix) :] not in defs:
            raise ValueError(f"unresolvable $ref {ref!r}")
        name = ref[len(prefix) :]
        if name in seen:
            raise ValueError(f"recursive $ref {ref!r} cannot be inlined")
        target = dict(defs[name])
        # A model's docstring is for developers ("Mirrors X"); the field's own description stays.
        target.pop("description", None)
        # Sibling keywords (e.g. a field description) win over the referenced schema's.
        target.update({k: v for k, v in node.items() if k != "$ref"})
        return _walk(target, defs, for_input, (*seen, name))

    node = dict(node)
    any_of = node.get("anyOf")
    if isinstance(any_of, list):
        non_null = [branch for branch in any_of if branch != {"type": "null"}]
        if len(non_null) < len(any_of):
            node.pop("anyOf")
            if node.get("default", 0) is None:
                node.pop("default")
            if len(non_null) == 1:
                branch = _walk(non_null[0], defs, for_input, seen)
                merged = dict(branch)
                merged.update({k: v for k, v in node.items() if k not in _DROP_KEYS})
                node = merged
            elif non_null:
                node["anyOf"] = non_null
    if node.get("default", 0) is None:
        node.pop("default")

    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP_KEYS or (key == "additionalProperties" and value is True):
            continue
        if key in (_INPUT_DROP_KEYS if for_input else _OUTPUT_DROP_KEYS):
            continue
        if key == "properties" and isinstance(value, dict):
            # Keys here are property names (a property may well be called "title").
            required = node.get("required", [])
            out[key] = {
                name: _walk(sub, defs, for_input, seen)
                if not for_input or name in required
                else nullable(_walk(sub, defs, for_input, seen))
                for name, sub in value.items()
            }
        elif key in ("items", "additionalProperties", "not", "anyOf", "oneOf", "allOf", "prefixItems"):
            out[key] = _walk(value, defs, for_input, seen)
        else:
            out[key] = value
    if for_input and out.get("type") == "object" and "properties" in out:
        out.setdefault("required", [])
        out.setdefault("additionalProperties", False)
    return out


def merge_schemas(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    """One object schema that every instance of any of ``schemas`` satisfies (for an output schema
    that covers several views of one tool).

    Properties are united (an object property present in several is merged the same way, arrays
    merge their items); ``required`` keeps only what every schema requires. The first schema wins
    for anything else.
    """
    merged = dict(schemas[0])
    for other in schemas[1:]:
        merged = _merge(merged, other)
    return merged


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    if a.get("type") == "array" and b.get("type") == "array" and isinstance(a.get("items"), dict):
        return {**a, "items": _merge(a["items"], b.get("items") or {})}
    if a.get("type") != "object" or b.get("type") != "object":
        return a
    out = dict(a)
    props = dict(a.get("properties", {}))
    for name, schema in b.get("properties", {}).items():
        props[name] = _merge(props[name], schema) if name in props else schema
    out["properties"] = props
    required = [r for r in a.get("required", []) if r in b.get("required", [])]
    if required:
        out["required"] = required
    else:
        out.pop("required", None)
    return out


def fold_repeats(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (an output schema) with the properties of an object that share one identical
    sub-schema written once, at every depth: ``"patternProperties": {"^(a|b|c)$": <sub-schema>}``
    in place of ``a``, ``b`` and ``c`` under ``properties``.

    The pattern is anchored and lists the names themselves, so it matches exactly those names: an
    instance is valid against the result exactly when it is valid against ``schema``, and the
    object stays open to other names (``required`` is kept; it does not need ``properties``). No
    name is under both ``properties`` and a pattern (Ajv's strict mode refuses that overlap), and
    no ``$ref`` is introduced (clients that do not resolve one read the result as written). A group
    is folded only where that makes the schema shorter; the top-level ``properties`` is kept even
    when it ends up empty.

    Validators (the Python SDK's ``jsonschema``, the TypeScript SDK's Ajv) read patterns as written.
    A client that builds types from ``properties`` alone does not see the folded names: FastMCP's
    client (2.x ``json_schema_to_type``) leaves them out of ``CallToolResult.data``, while its
    ``structured_content`` keeps everything.
    """
    folded = _fold(schema)
    folded.setdefault("properties", {})
    return folded


#: Property names that :func:`fold_repeats` writes into a pattern as they are (no regex escaping).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")


def _compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def _fold(node: Any) -> Any:
    if isinstance(node, list):
        return [_fold(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: {name: _fold(sub) for name, sub in value.items()}
        if key in ("properties", "patternProperties") and isinstance(value, dict)
        else _fold(value)
        for key, value in node.items()
    }
    props = out.get("properties")
    if not isinstance(props, dict):
        return out
    groups: dict[str, list[str]] = {}
    for name, sub in props.items():
        if _PLAIN_NAME.fullmatch(name):
            groups.setdefault(json.dumps(sub, sort_keys=True), []).append(name)
    # Largest saving first; each group is folded only if the whole node gets shorter.
    for names in sorted((g for g in groups.values() if len(g) > 1), key=lambda g: -len(g) * _compact(props[g[0]])):
        trial = _with_pattern(out, names)
        if _compact(trial) < _compact(out):
            out = trial
    return out


def _with_pattern(node: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """``node`` with the properties ``names`` (one shared schema) moved to one pattern."""
    shared = node["properties"][names[0]]
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            kept = {name: sub for name, sub in value.items() if name not in names}
            if kept:
                out[key] = kept
            out["patternProperties"] = {**node.get("patternProperties", {}), f"^({'|'.join(names)})$": shared}
        elif key != "patternProperties":
            out[key] = value
    return out
