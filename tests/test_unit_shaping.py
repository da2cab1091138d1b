"""``shaping.shape_schema`` on small hand-written schemas: each rule it promises, one at a time.

(The real tool schemas are checked against the same rules in ``test_tool_surface.py``.)
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from glow_models_mcp.shaping import fold_repeats, shape_schema


def test_refs_are_inlined_and_defs_dropped() -> None:
    schema = {
        "$defs": {"Item": {"type": "object", "properties": {"id": {"type": "string", "title": "Id"}}}},
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}}},
    }
    shaped = shape_schema(schema, for_input=False)
    assert shaped == {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}}}}
        },
    }


def test_ref_siblings_win_and_the_model_docstring_is_dropped() -> None:
    schema = {
        "$defs": {"Sub": {"type": "object", "description": "Mirrors Sub (for developers).", "properties": {}}},
        "type": "object",
        "required": ["sub"],
        "properties": {"sub": {"$ref": "#/$defs/Sub", "description": "What the agent should know."}},
    }
    sub = shape_schema(schema, for_input=True)["properties"]["sub"]
    assert sub["description"] == "What the agent should know."
    assert "$ref" not in sub


def test_nested_refs_are_inlined_at_every_depth() -> None:
    schema = {
        "$defs": {
            "Leaf": {"type": "string", "format": "uuid"},
            "Mid": {"type": "object", "properties": {"leaf": {"$ref": "#/$defs/Leaf"}}},
        },
        "type": "object",
        "properties": {"mid": {"$ref": "#/$defs/Mid"}},
    }
    shaped = shape_schema(schema, for_input=False)
    assert shaped["properties"]["mid"] == {
        "type": "object",
        "properties": {"leaf": {"type": "string", "format": "uuid"}},
    }


def test_a_ref_used_twice_is_not_mistaken_for_recursion() -> None:
    schema = {
        "$defs": {"Id": {"type": "string"}},
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/Id"}, "b": {"$ref": "#/$defs/Id"}},
    }
    assert shape_schema(schema, for_input=False)["properties"] == {"a": {"type": "string"}, "b": {"type": "string"}}


def test_recursive_ref_is_an_error() -> None:
    schema = {
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
    }
    with pytest.raises(ValueError, match=r"recursive \$ref '#/\$defs/Node'"):
        shape_schema(schema, for_input=False)


@pytest.mark.parametrize("ref", ["#/$defs/Missing", "#/definitions/Item", "https://example.org/item.json"])
def test_unresolvable_ref_is_an_error(ref: str) -> None:
    schema = {"$defs": {"Item": {"type": "string"}}, "type": "object", "properties": {"x": {"$ref": ref}}}
    with pytest.raises(ValueError, match="unresolvable"):
        shape_schema(schema, for_input=False)


_NULLABLE_FIELDS = {
    "type": "object",
    "properties": {
        "name": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}], "default": None, "title": "N"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "kept"},
    },
}


def test_output_nullable_anyof_collapses_to_the_plain_type() -> None:
    props = shape_schema(_NULLABLE_FIELDS, for_input=False)["properties"]
    assert props["name"] == {"type": "string", "maxLength": 5}
    assert props["note"] == {"type": "string"}  # output schemas carry no descriptions


def test_optional_input_fields_are_nullable_with_everything_inside_the_branch() -> None:
    """google-genai keeps only the branch it unwraps: the description goes inside it, said once."""
    props = shape_schema(_NULLABLE_FIELDS, for_input=True)["properties"]
    assert props["name"] == {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]}
    assert props["note"] == {"anyOf": [{"type": "string", "description": "kept"}, {"type": "null"}]}


def test_optional_input_fields_are_nullable_whatever_their_type_and_required_ones_are_not() -> None:
    schema = {
        "type": "object",
        "required": ["must"],
        "properties": {
            "must": {"type": "string"},
            "count": {"type": "integer", "default": 3, "description": "How many (default 3)."},
            "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
    }
    shaped = shape_schema(schema, for_input=True)
    assert shaped["required"] == ["must"]
    assert shaped["properties"] == {
        "must": {"type": "string"},
        "count": {"anyOf": [{"type": "integer", "description": "How many (default 3)."}, {"type": "null"}]},
        "either": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
    }


def test_defaults_are_dropped_everywhere_and_formats_from_input_schemas_only() -> None:
    schema = {
        "type": "object",
        "required": ["id", "view"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "view": {"type": "string", "default": "compact"},
            "format": {"type": "string"},
            "default": {"type": "integer"},
        },
    }
    assert shape_schema(schema, for_input=True)["properties"] == {
        "id": {"type": "string"},
        "view": {"type": "string"},
        "format": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "default": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    }
    assert shape_schema(schema, for_input=False)["properties"] == {
        "id": {"type": "string", "format": "uuid"},
        "view": {"type": "string"},
        "format": {"type": "string"},
        "default": {"type": "integer"},
    }


def test_nullable_anyof_of_a_ref_is_inlined_and_collapsed() -> None:
    schema = {
        "$defs": {"Obj": {"type": "object", "properties": {"v": {"type": "integer"}}}},
        "type": "object",
        "properties": {"o": {"anyOf": [{"$ref": "#/$defs/Obj"}, {"type": "null"}], "default": None}},
    }
    assert shape_schema(schema, for_input=False)["properties"]["o"] == {
        "type": "object",
        "properties": {"v": {"type": "integer"}},
    }
    assert shape_schema(schema, for_input=True)["properties"]["o"] == {
        "anyOf": [
            {
                "type": "object",
                "properties": {"v": {"anyOf": [{"type": "integer"}, {"type": "null"}]}},
                "required": [],
                "additionalProperties": False,
            },
            {"type": "null"},
        ]
    }


def test_anyof_with_several_non_null_branches_keeps_them_without_null() -> None:
    schema = {
        "type": "object",
        "properties": {"v": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}], "default": None}},
    }
    assert shape_schema(schema, for_input=False)["properties"]["v"] == {
        "anyOf": [{"type": "string"}, {"type": "integer"}]
    }


def test_anyof_without_null_is_untouched() -> None:
    branches = [{"type": "string"}, {"type": "integer"}]
    schema = {"type": "object", "properties": {"v": {"anyOf": branches, "default": 3}}}
    assert shape_schema(schema, for_input=False)["properties"]["v"] == {"anyOf": branches}


def test_additional_properties_false_and_required_on_input_objects_only() -> None:
    schema = {
        "type": "object",
        "required": ["inner"],
        "properties": {"inner": {"type": "object", "properties": {"a": {"type": "string"}}}},
    }
    shaped_in = shape_schema(schema, for_input=True)
    shaped_out = shape_schema(schema, for_input=False)
    assert shaped_in["additionalProperties"] is False and shaped_in["required"] == ["inner"]
    assert shaped_in["properties"]["inner"]["additionalProperties"] is False
    assert shaped_in["properties"]["inner"]["required"] == []
    assert "additionalProperties" not in shaped_out
    assert "additionalProperties" not in shaped_out["properties"]["inner"]
    assert "required" not in shaped_out["properties"]["inner"]


def test_additional_properties_true_is_dropped_and_a_map_schema_kept() -> None:
    schema = {
        "type": "object",
        "additionalProperties": True,
        "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string", "title": "V"}}},
    }
    shaped = shape_schema(schema, for_input=False)
    assert "additionalProperties" not in shaped
    assert shaped["properties"]["labels"] == {"type": "object", "additionalProperties": {"type": "string"}}


def test_titles_schema_and_top_description_are_dropped_but_a_property_called_title_stays() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Request",
        "description": "Mirrors Request (for developers).",
        "type": "object",
        "properties": {"title": {"type": "string", "title": "Title", "description": "the page title"}},
    }
    assert shape_schema(schema, for_input=False) == {"type": "object", "properties": {"title": {"type": "string"}}}
    assert shape_schema({**schema, "required": ["title"]}, for_input=True) == {
        "type": "object",
        "properties": {"title": {"type": "string", "description": "the page title"}},
        "required": ["title"],
        "additionalProperties": False,
    }


def test_output_schemas_carry_no_defaults_and_no_descriptions_but_keep_such_property_names() -> None:
    schema = {
        "type": "object",
        "required": ["description"],
        "properties": {
            "a": {"type": "integer", "default": None, "description": "A."},
            "b": {"type": "integer", "default": 12},
            "description": {"type": "string", "description": "The text."},
            "default": {"type": "object", "properties": {"description": {"type": "string", "default": "x"}}},
        },
    }
    assert shape_schema(schema, for_input=False) == {
        "type": "object",
        "required": ["description"],
        "properties": {
            "a": {"type": "integer"},
            "b": {"type": "integer"},
            "description": {"type": "string"},
            "default": {"type": "object", "properties": {"description": {"type": "string"}}},
        },
    }


@pytest.mark.parametrize("for_input", [True, False])
def test_an_empty_schema_becomes_an_object_with_no_properties(for_input: bool) -> None:
    shaped = shape_schema({}, for_input=for_input)
    expected: dict[str, Any] = {"type": "object", "properties": {}}
    if for_input:
        expected.update(required=[], additionalProperties=False)
    assert shaped == expected


def test_the_input_schema_is_not_modified() -> None:
    schema = {
        "$defs": {"Id": {"type": "string", "title": "Id"}},
        "type": "object",
        "properties": {"a": {"anyOf": [{"$ref": "#/$defs/Id"}, {"type": "null"}], "default": None}},
    }
    before = repr(schema)
    shape_schema(schema, for_input=True)
    assert repr(schema) == before


class _Inner(BaseModel):
    """Developer docstring of the inner model."""

    model_config = ConfigDict(extra="forbid")
    value: int = Field(ge=0, description="a count")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inner: _Inner | None = None
    items: list[_Inner] = []
    name: str | None = Field(default=None, max_length=10)


def test_a_pydantic_model_shapes_to_a_flat_closed_schema() -> None:
    shaped = shape_schema(_Request.model_json_schema(), for_input=True)
    inner = {
        "type": "object",
        "properties": {"value": {"type": "integer", "minimum": 0, "description": "a count"}},
        "required": ["value"],
        "additionalProperties": False,
    }
    assert shaped == {
        "type": "object",
        "properties": {
            "inner": {"anyOf": [inner, {"type": "null"}]},
            "items": {"anyOf": [{"type": "array", "items": inner}, {"type": "null"}]},
            "name": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "null"}]},
        },
        "required": [],
        "additionalProperties": False,
    }
    # The shaped schema still describes what the model accepts.
    _Request.model_validate({"inner": {"value": 1}, "items": [], "name": "x"})


# ------------------------------------------------------------------------------------------------
# fold_repeats: a repeated output shape written once
# ------------------------------------------------------------------------------------------------

_SECTION = {"type": "object", "properties": {"show": {"type": "boolean"}, "ids": {"type": "array", "items": {}}}}


def test_identical_siblings_are_folded_into_one_anchored_pattern_at_every_depth() -> None:
    schema = {
        "type": "object",
        "required": ["names", "id"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "names": _SECTION,
            "voices": _SECTION,
            "flags": {"type": "object", "properties": {"a": _SECTION, "b": _SECTION}},
        },
    }
    assert fold_repeats(schema) == {
        "type": "object",
        "required": ["names", "id"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "flags": {"type": "object", "patternProperties": {"^(a|b)$": _SECTION}},
        },
        "patternProperties": {"^(names|voices)$": _SECTION},
    }


def test_folding_keeps_the_valid_instances_and_leaves_objects_open() -> None:
    import jsonschema

    schema = {"type": "object", "properties": {"names": _SECTION, "voices": _SECTION, "n": {"type": "integer"}}}
    folded = fold_repeats(schema)
    for instance, valid in [
        ({"names": {"show": True}, "voices": {"ids": [1]}, "n": 1}, True),
        ({"names": {"show": "yes"}}, False),
        ({"voices": []}, False),
        ({"names2": "anything", "xnames": 1, "namesvoices": 2}, True),  # anchored: not a prefix or a part
        ({"n": "1"}, False),
    ]:
        assert jsonschema.Draft202012Validator(schema).is_valid(instance) is valid, instance
        assert jsonschema.Draft202012Validator(folded).is_valid(instance) is valid, instance


def test_a_group_is_folded_only_where_that_is_shorter() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "long_name_one": {"type": "null"}, "long_name_two": {"type": "null"}},
    }
    assert fold_repeats(schema) == schema  # "a" is alone; two tiny schemas cost more as a pattern


def test_names_that_are_not_plain_are_never_put_in_a_pattern() -> None:
    schema = {"type": "object", "properties": {"a.b": _SECTION, "a*": _SECTION, "$c": _SECTION}}
    assert fold_repeats(schema) == schema


def test_the_top_level_keeps_properties_and_existing_patterns_are_kept() -> None:
    schema = {
        "type": "object",
        "patternProperties": {"^x_": {"type": "integer"}},
        "properties": {"first": _SECTION, "second": _SECTION},
    }
    folded = fold_repeats(schema)
    assert folded["properties"] == {}
    assert folded["patternProperties"] == {"^x_": {"type": "integer"}, "^(first|second)$": _SECTION}


def test_no_property_is_under_both_properties_and_a_pattern_that_matches_it() -> None:
    """Ajv's strict mode refuses such an overlap (``allowMatchingProperties``)."""
    import re

    schema = {"type": "object", "properties": {n: _SECTION for n in ("names", "voices", "name", "voice")}}
    schema["properties"]["name"] = {"type": "string"}
    folded = fold_repeats(schema)
    for pattern in folded["patternProperties"]:
        assert not [n for n in folded["properties"] if re.search(pattern, n)], pattern


def test_a_property_called_properties_is_a_name_not_a_map() -> None:
    """Its schema's keywords are not property names, even where two of them hold the same schema."""
    word = {"type": "string", "minLength": 1}
    schema = {
        "type": "object",
        "properties": {
            "properties": {"type": "object", "additionalProperties": word, "propertyNames": word},
            "patternProperties": {"type": "object", "additionalProperties": word, "propertyNames": word},
        },
    }
    shared = schema["properties"]["properties"]
    assert fold_repeats(schema) == {
        "type": "object",
        "properties": {},
        "patternProperties": {"^(properties|patternProperties)$": shared},
    }
