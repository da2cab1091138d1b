"""The editor sections of a model and the compact form of their options (a leaf: pure functions).

Glow's ``get`` operation answers with one *section* per kind of option (providers, modalities,
pricing...). Each section offers selectable items (``resources``) and holds the model's selection
(``resource`` in single-select sections, ``current`` in multi-select ones). This module knows:

* :data:`SECTIONS`, which request field takes which section's ids (:func:`ref_section`);
* the **label** of an option: a short text unique within its section that an agent can write
  where an id goes (``"openai"``, ``"text (input)"``, ``"0.7"``, ``"input: 0.3 per million_text"``);
* the **compact item** of an option: ``{"id", "label"}`` plus, for pricing, ``type``, ``price``
  and ``unit``;
* :func:`f32`: numbers the upstream stores as float32 (temperatures) rendered as the shortest
  decimal that reads back to the same float32 (``0.01``, not ``0.009999999776482582``).
"""

from __future__ import annotations

import struct
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, get_args

#: A section of ``GetModelApiResponse`` (the editor's order).
SectionName = Literal[
    "names",
    "descriptions",
    "values",
    "providers",
    "flags",
    "departments",
    "modalities",
    "temperature_levels",
    "pricing",
    "reasoning_levels",
    "qualities",
    "voices",
]

#: Every section, in the editor's order.
SECTIONS: tuple[str, ...] = get_args(SectionName)

#: Sections whose selection is one item (``resource``); the others select a list (``current``).
SINGLE_SELECT = frozenset({"names", "descriptions", "values", "providers"})

#: The request-field stem of each section: ``<stem>_id`` / ``<stem>_ids`` take its option ids.
FIELD_STEM: dict[str, str] = {
    "names": "name",
    "descriptions": "description",
    "values": "value",
    "providers": "provider",
    "flags": "flag",
    "departments": "department",
    "modalities": "modality",
    "temperature_levels": "temperature_level",
    "pricing": "pricing",
    "reasoning_levels": "reasoning_level",
    "qualities": "quality",
    "voices": "voice",
}

_BY_FIELD: dict[str, str] = {
    f"{stem}_{suffix}": section for section, stem in FIELD_STEM.items() for suffix in ("id", "ids")
}

#: Request fields that take a model id (and so accept a model's exact name).
MODEL_REF_FIELDS = frozenset({"model_id", "model_ids", "base_model_id", "entity_id"})

#: Keys of option items whose numbers the upstream stores as float32.
FLOAT32_KEYS = frozenset({"temperature"})

#: Longest label shown for a free-text option (descriptions); the full text is accepted too.
MAX_LABEL_CHARS = 24


def ref_section(field_name: str) -> str | None:
    """The section whose option ids request field ``field_name`` takes (``provider_ids`` ->
    ``"providers"``, ``filter_department_ids`` -> ``"departments"``), or ``None``."""
    return _BY_FIELD.get(field_name.removeprefix("filter_"))


def section_alias(text: str) -> str | None:
    """The section meant by ``text``: a section name or its field stem, any case (``"Pricing"``,
    ``"modality"``, ``"temperature level"``), or ``None``."""
    key = "_".join(text.strip().lower().replace("-", " ").split())
    if key in FIELD_STEM:
        return key
    for section, stem in FIELD_STEM.items():
        if key in (stem, f"{stem}s", f"{stem}_ids", f"{stem}_id"):
            return section
    return None


@lru_cache(maxsize=4096)
def f32(value: float) -> float:
    """``value`` as a float32 reads it, written with the fewest significant digits that read back
    to the same float32 (``0.009999999776482582`` -> ``0.01``). Cached: a catalog has few distinct
    values, and every full read of a model renders each of them."""
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        shortest = float(f"{single:.{digits}g}")
        if struct.unpack("f", struct.pack("f", shortest))[0] == single:
            return shortest
    return single


def _number(value: float) -> str:
    text = f"{value:g}" if abs(value) < 1e15 else repr(value)
    return text


def fix_float32(data: Any) -> Any:
    """Render every :data:`FLOAT32_KEYS` number of JSON-like ``data`` by :func:`f32`, in place
    (``data`` is a fresh dump, e.g. ``model_dump``'s: copying 45 KB of a full model read cost
    more than the renderings); returns ``data``."""
    if isinstance(data, dict):
        _fix_dict(data)
    elif isinstance(data, list):
        _fix_list(data)
    return data


def fix_model_float32(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`fix_float32` for the dump of a model read (``GetModelApiResponse``): only the option
    items of its sections (``resources`` and ``current``), where the upstream puts its float32
    numbers, in place; returns ``data``. The same result on a model read as the whole walk
    (``tests/test_agent_views.py``) in about a tenth of the time (5 µs instead of 76 µs for a
    45 KB read), as it looks up :data:`FLOAT32_KEYS` in each item instead of visiting every value."""
    for section in data.values():
        if not isinstance(section, dict):
            continue
        for listed in ("resources", "current"):
            items = section.get(listed)
            if not isinstance(items, list):
                continue
            for item in items:
                if isinstance(item, dict):
                    for key in FLOAT32_KEYS:
                        value = item.get(key)
                        if isinstance(value, float):
                            item[key] = f32(value)
    return data


def _fix_dict(data: dict[Any, Any]) -> None:
    # Containers are descended into, other values left alone (a full model read has ~1,500
    # values, most of them scalars: no call per scalar).
    for key, value in data.items():
        if isinstance(value, float):
            if key in FLOAT32_KEYS:
                data[key] = f32(value)
        elif isinstance(value, dict):
            _fix_dict(value)
        elif isinstance(value, list):
            _fix_list(value)


def _fix_list(data: list[Any]) -> None:
    for value in data:
        if isinstance(value, dict):
            _fix_dict(value)
        elif isinstance(value, list):
            _fix_list(value)


def item_id(item: Mapping[str, Any]) -> str | None:
    """The id of an option item (flags may carry only ``flag_option_id``)."""
    value = item.get("id") or item.get("flag_option_id")
    return None if value is None else str(value)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1].rstrip() + "…"


def base_label(section: str, item: Mapping[str, Any]) -> str:
    """The label of an option before de-duplication (see :func:`label_items`)."""
    name = item.get("name")
    if section == "modalities" and item.get("modality") is not None:
        direction = "input" if item.get("is_input") else "output"
        return f"{item['modality']} ({direction})"
    if section == "temperature_levels" and isinstance(item.get("temperature"), int | float):
        return _number(f32(float(item["temperature"])))
    if section == "pricing" and item.get("pricing_type") is not None and item.get("price") is not None:
        return f"{item['pricing_type']}: {_number(float(item['price']))} per {item.get('unit_name') or 'unit'}"
    if section == "flags":
        key = item.get("key") or (str(name).removeprefix("model_") if name else None)
        if key:
            return str(key)
    if section == "descriptions":
        return _clip(str(item.get("description") or name or ""))
    for key in ("value", "reasoning_level", "quality", "voice"):
        if item.get(key) is not None and section != "names":
            return str(item[key])
    if name is not None:
        return str(name)
    return str(item.get("label") or item_id(item) or "?")


def match_keys(section: str, item: Mapping[str, Any], label: str) -> frozenset[str]:
    """Every normalized text (see :func:`norm`) that names this option: its label, its name and
    its identifying value (a bare modality name matches both directions, so it is ambiguous)."""
    keys = {label, base_label(section, item)}
    for key in ("name", "value", "modality", "reasoning_level", "quality", "voice", "key", "label", "description"):
        value = item.get(key)
        if isinstance(value, str) and value:
            keys.add(value)
    if section == "flags" and isinstance(item.get("name"), str):
        keys.add(item["name"].removeprefix("model_"))
    return frozenset(norm(k) for k in keys if k)


@lru_cache(maxsize=16384)
def norm(text: str) -> str:
    """Case-, whitespace- and Unicode-form-insensitive form of a label (NFKC, then casefolded).
    Cached: the same labels are normalized on every read of a model."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def label_items(section: str, items: Iterable[Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any]]]:
    """``(label, item)`` for each distinct item (by id), labels made unique within the list: a label
    two items share gets the first 8 characters of the id appended (``"x [1f33965c]"``)."""
    return [(label, item) for _, label, item in _labelled(section, items)]


def _labelled(section: str, items: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """``(id, label, item)`` for each distinct item: :func:`label_items` with the ids."""
    seen: set[str] = set()
    distinct: list[tuple[str, Mapping[str, Any]]] = []
    for item in items:
        ident = item_id(item)
        if ident is None or ident in seen:
            continue
        seen.add(ident)
        distinct.append((ident, item))
    labels = [base_label(section, item) for _, item in distinct]
    keys = [norm(label) for label in labels]
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    out = []
    for label, key, (ident, item) in zip(labels, keys, distinct, strict=True):
        if counts[key] > 1:
            label = f"{label} [{ident[:8]}]"
        out.append((ident, label, item))
    return out


def compact_item(section: str, label: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """The compact form of an option: ``{"id", "label"}``, plus ``type``, ``price`` and ``unit``
    for a pricing entry (the label says them too)."""
    out: dict[str, Any] = {"id": item_id(item), "label": label}
    if section == "pricing":
        for key, source in (("type", "pricing_type"), ("price", "price"), ("unit", "unit_name")):
            if item.get(source) is not None:
                out[key] = item[source]
    return out


def compact_items(section: str, items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """:func:`compact_item` of each distinct item, with labels unique within the list."""
    if section == "pricing":
        return [compact_item(section, label, item) for _, label, item in _labelled(section, items)]
    return [{"id": ident, "label": label} for ident, label, _ in _labelled(section, items)]


def as_dict(item: Any) -> dict[str, Any]:
    """An option item as a plain dict (flags are pydantic models, the others dicts)."""
    if isinstance(item, dict):
        return item
    dump = getattr(item, "model_dump", None)
    if dump is not None:
        return dict(dump(mode="json"))
    return {"id": str(item)}


def selected(response: Any, section: str) -> list[dict[str, Any]]:
    """The items a ``GetModelApiResponse`` has selected in ``section`` (``[]`` when none)."""
    sec = getattr(response, section, None)
    if sec is None:
        return []
    if section in SINGLE_SELECT:
        resource = getattr(sec, "resource", None)
        return [as_dict(resource)] if resource else []
    return [as_dict(item) for item in getattr(sec, "current", None) or []]


def offered(response: Any, section: str) -> list[dict[str, Any]]:
    """The selectable items a ``GetModelApiResponse`` lists in ``section`` (``resources``)."""
    sec = getattr(response, section, None)
    return [as_dict(item) for item in getattr(sec, "resources", None) or []] if sec is not None else []


_INVISIBLE = {c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
_INVISIBLE.update({c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)})
_INVISIBLE.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"})


def visible(text: Any) -> str:
    """``text`` safe on one line of a tool's text content: control characters and bidirectional
    overrides are written as escapes (``\\n``, ``\\u202e``), so a name cannot fake extra lines or
    reorder what an agent reads."""
    text = str(text)
    if text.isprintable():  # the usual case: every character escaped here is one that is not printable
        return text
    return text.translate(_INVISIBLE)


def render_items(items: Sequence[Mapping[str, Any]]) -> str:
    """``label = id; label = id`` (or ``(none)``): how the text content lists compact items."""
    return "; ".join(f"{visible(i['label'])} = {i['id']}" for i in items) or "(none)"


@dataclass(frozen=True)
class Option:
    """One known option of a section: its id, its label and every text that names it."""

    section: str
    id: str
    label: str
    keys: frozenset[str] = field(default_factory=frozenset)
    temperature: float | None = None
