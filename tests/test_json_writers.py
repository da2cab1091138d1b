"""The JSON writers in ``results.py`` write exactly what the standard encoder writes.

``compact_json`` (tool result text) and ``ascii_json`` (2026-07-28 answer bodies) take orjson's
output when it is the standard encoder's text and fall back otherwise; these tests compare both
with ``json.dumps`` on generated JSON values and on the cases that take each branch.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glow_models_mcp.results import ascii_json, compact_json

#: JSON values: any text (lone surrogates included), integers beyond 64 bits, finite floats of every
#: magnitude. (A NaN or infinite float, which a JSON-mode dump keeps in a field typed ``float``, is
#: written ``null`` by both writers, unlike ``json.dumps``: ``tests/test_stateless_fuzz.py``.)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


def standard_ascii(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def standard_compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_generated_values_are_written_as_the_standard_encoder_writes_them(data: Any) -> None:
    assert ascii_json(data) == standard_ascii(data)
    assert compact_json(data) == standard_compact(data)


@pytest.mark.parametrize(
    "data",
    [
        {"text": "caf\u00e9 \u2014 \u2028\u2029 \ufeff end"},  # non-ASCII in the BMP: escaped
        ["\U0001f600 \U0010ffff \U0001d54f"],  # beyond the BMP: surrogate pairs
        {"del": "a\x7fb", "\x7f": 1},  # DEL: orjson writes it as is, ensure_ascii escapes it
        {"controls": '\x00\x08\t\n\x0c\r\x1f"\\/'},
        [1e-05, 2.5e-07, 1e16, -1.5e20, 0.0001, -0.0, 1e300],  # number forms that differ in orjson
        {"big": 2**70, "small": -(2**64)},  # integers orjson refuses
        {"lone": "\ud800x"},  # a lone surrogate: orjson refuses
        {"id": "deadbeef-709e-5025-0.0000"},  # number-like text inside a string
    ],
)
def test_each_branch_matches_the_standard_encoder(data: Any) -> None:
    assert ascii_json(data) == standard_ascii(data)
    assert compact_json(data) == standard_compact(data)
