"""Compact views: what an agent needs from the upstream's large answers, as data and as text.

The upstream's ``get`` answers with every editor section, each carrying up to 20 selectable
options besides the model's own selections (25-48 KB of JSON per model). The compact views keep:

* :func:`compact_model`: a model's own selections per section, as compact items (``id``,
  ``label``; pricing adds ``type``, ``price``, ``unit``), plus ``can_edit``, ``disabled_reason`` and
  the draft fields; with a draft, ``changes`` against the model (added and removed per section);
* :func:`option_listing`: the options offered per section, with how many were offered;
* :func:`compact_search`: one short row per model of a search page, optionally with selections.

Each view has a pydantic model (:class:`CompactModel`, :class:`OptionListing`,
:class:`CompactSearch`) whose schema joins the tool's output schema, and a text rendering
(``label = id`` lists, one line per section) that says everything the structured content says,
in fewer tokens than its JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from . import schemas as s
from .sections import SECTIONS, compact_items, f32, offered, render_items, selected, visible

#: Longest description shown in a compact search row (the full view has it whole).
MAX_ROW_DESCRIPTION = 120

#: What the option listing says about its limits (in the text and in ``note``).
LISTING_NOTE = (
    "The Glow API offers at most 20 options per section besides the selected ones; labels of options any model "
    "has selected work too."
)


class OptionItem(BaseModel):
    """An option in compact form; ``label`` is unique within its section and accepted where its id goes."""

    id: str
    label: str
    type: str | None = None  # pricing only: the pricing type, price and unit name
    price: float | None = None
    unit: str | None = None


class SectionChange(BaseModel):
    """What a draft changes in one section, against the model."""

    added: list[OptionItem] = Field(default_factory=list)
    removed: list[OptionItem] = Field(default_factory=list)


class CompactModel(BaseModel):
    """A model's own selections (the compact ``get_model`` read)."""

    model_id: str | None = None
    name: str | None = None
    description: str | None = None
    selections: dict[str, list[OptionItem]] | None = None
    draft_id: str | None = None
    changes: dict[str, SectionChange] | None = None


class OfferedOptions(BaseModel):
    """The options the Glow API offered for one section."""

    offered: int
    items: list[OptionItem]


class OptionListing(BaseModel):
    """The compact option listing (``get_model`` without ``model_id``)."""

    options: dict[str, OfferedOptions] | None = None
    note: str | None = None


class CompactRow(BaseModel):
    """One model of a compact search page."""

    model_id: str | None = None
    name: str | None = None
    provider: str | None = None
    description: str | None = None
    selections: dict[str, list[OptionItem]] | None = None
    error: str | None = None


class CompactSearch(BaseModel):
    """A compact search page."""

    total_count: int | None = None
    next_page_offset: int | None = None
    models: list[CompactRow] | None = None


def _sections(wanted: Sequence[str] | None) -> list[str]:
    return [s for s in SECTIONS if not wanted or s in wanted]


def selections(response: s.GetModelApiResponse, wanted: Sequence[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per section (every one, or those ``wanted``), the selected options as compact items."""
    return {section: compact_items(section, selected(response, section)) for section in _sections(wanted)}


def _name(response: s.GetModelApiResponse) -> str | None:
    names = selected(response, "names")
    return str(names[0].get("name")) if names and names[0].get("name") is not None else None


def _description(response: s.GetModelApiResponse) -> str | None:
    items = selected(response, "descriptions")
    if not items:
        return None
    text = items[0].get("description") or items[0].get("name")
    return None if text is None else str(text)


def compact_model(
    model_id: UUID | None,
    response: s.GetModelApiResponse,
    wanted: Sequence[str] | None = None,
    *,
    draft_id: UUID | None = None,
    base: s.GetModelApiResponse | None = None,
) -> dict[str, Any]:
    """The compact read of a model (structured content; ``None`` values left out).

    ``base`` is the model's own answer when ``response`` shows a draft over it: ``name`` and
    ``description`` are then the model's, and ``changes`` lists, per section, the options the draft
    adds and removes (a draft is not tied to a model: one saved from another model shows as
    renaming this one).
    """
    own = base if base is not None else response
    out: dict[str, Any] = {
        "model_id": None if model_id is None else str(model_id),
        "name": _name(own),
        "description": _description(own),
        "can_edit": response.can_edit,
        "disabled_reason": response.disabled_reason,
        "draft_id": None if draft_id is None else str(draft_id),
        "draft_version": response.draft_version,
        "selections": selections(response, wanted),
    }
    if base is not None:
        changes: dict[str, Any] = {}
        before = selections(base, wanted)
        for section, now in out["selections"].items():
            was_ids = {i["id"] for i in before.get(section, [])}
            now_ids = {i["id"] for i in now}
            added = [i for i in now if i["id"] not in was_ids]
            removed = [i for i in before.get(section, []) if i["id"] not in now_ids]
            if added or removed:
                changes[section] = {"added": added, "removed": removed}
        out["changes"] = changes
    return {k: v for k, v in out.items() if v is not None}


def model_text(view: Mapping[str, Any]) -> str:
    """The text of a compact model read: changes first (with a draft), then one line per section."""
    lines: list[str] = []
    if view.get("description"):
        lines.append(f"description: {visible(view['description'])}")
    if "changes" in view:
        changes = view["changes"]
        if not changes:
            lines.append("The draft changes nothing against the model.")
        for section, change in changes.items():
            parts = [f"+{visible(i['label'])} = {i['id']}" for i in change["added"]]
            parts += [f"-{visible(i['label'])} = {i['id']}" for i in change["removed"]]
            lines.append(f"draft changes {section}: " + "; ".join(parts))
    for section, items in view.get("selections", {}).items():
        lines.append(f"{section}: {render_items(items)}")
    return "\n".join(lines)


def model_summary(view: Mapping[str, Any]) -> str:
    """The first line of a compact model read."""
    name = visible(view.get("name") or view.get("model_id") or "(new model)")
    ident = f" (id {view['model_id']})" if view.get("model_id") else ""
    if view.get("can_edit") is False:
        edit = f"; cannot edit: {visible(view.get('disabled_reason') or 'no permission').rstrip('. ')}"
    else:
        edit = "; can edit" if view.get("can_edit") else ""
    draft = ""
    if view.get("draft_id"):
        version = view.get("draft_version")
        draft = f"; showing draft {view['draft_id']}" + (f" version {version}" if version is not None else "")
    return f"Model {name}{ident}{edit}{draft}. Selections per section as label = id:"


def option_listing(response: s.GetModelApiResponse, wanted: Sequence[str] | None = None) -> dict[str, Any]:
    """The compact option listing: per section, the options offered and how many there were."""
    options = {}
    for section in _sections(wanted):
        items = compact_items(section, offered(response, section))
        options[section] = {"offered": len(items), "items": items}
    return {"options": options, "note": LISTING_NOTE}


def listing_text(view: Mapping[str, Any]) -> str:
    """The text of the compact option listing: one line per section."""
    return "\n".join(
        f"{section} ({entry['offered']} offered): {render_items(entry['items'])}"
        for section, entry in view["options"].items()
    )


def listing_summary(view: Mapping[str, Any]) -> str:
    """The first line of the compact option listing."""
    return f"Options per section as label = id (a label works where its id goes). {view['note']}"


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def next_offset(request: s.SearchModelApiRequest, response: s.ListModelApiResponse) -> int | None:
    """The ``page_offset`` of the next page, or ``None`` on the last one."""
    shown = len(response.models or [])
    offset = (request.page_offset or 0) + shown
    total = response.total_count
    return offset if shown and total is not None and offset < total else None


def compact_search(
    request: s.SearchModelApiRequest,
    response: s.ListModelApiResponse,
    details: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A compact search page: ``total_count``, ``next_page_offset`` and one row per model.

    A row is the model's id, name, provider and (clipped) description; with ``details`` (the
    ``sections`` asked for) it is the id, the name and, per model id, ``{"selections": ...}`` or
    ``{"error": ...}`` instead: what was asked for, and nothing else.
    """
    rows = []
    for model in response.models or []:
        row: dict[str, Any] = {"model_id": None if model.model_id is None else str(model.model_id), "name": model.name}
        if details is None:
            row["provider"] = model.provider_name
            row["description"] = _clip(model.description, MAX_ROW_DESCRIPTION)
        elif row["model_id"] in details:
            row.update(details[row["model_id"]])
        rows.append({k: v for k, v in row.items() if v is not None})
    out = {"total_count": response.total_count, "next_page_offset": next_offset(request, response), "models": rows}
    return {k: v for k, v in out.items() if v is not None}


def search_summary(view: Mapping[str, Any], shown: int, offset: int) -> str:
    """The first line of a search answer (either view): counts and the next page's offset."""
    total = view.get("total_count")
    total_text = "?" if total is None else str(total)
    if not shown:
        return f"No models on this page (total_count {total_text}, page_offset {offset})."
    more = view.get("next_page_offset")
    nxt = f"; next page: page_offset {more}" if more is not None else "; this is the last page"
    return f"Models {offset + 1}-{offset + shown} of {total_text}{nxt}."


def search_text(view: Mapping[str, Any], sections: Sequence[str] | None = None) -> str:
    """The text of a compact search page: one line per model, ``name = id (provider): description``;
    with ``sections``, a table instead: a header naming the sections, then per model
    ``name = id | labels of section 1 | ...`` (labels work wherever ids go; the option ids are in
    the structured content)."""
    rows = view.get("models", [])
    if not sections:
        lines = []
        for row in rows:
            provider = f" ({visible(row['provider'])})" if row.get("provider") else ""
            description = f": {visible(row['description'])}" if row.get("description") else ""
            lines.append(f"{visible(row.get('name'))} = {row.get('model_id')}{provider}{description}")
        return "\n".join(lines)
    lines = ["name = model_id | " + " | ".join(sections) + " (option labels; (none): nothing selected)"]
    for row in rows:
        head = f"{visible(row.get('name'))} = {row.get('model_id')}"
        if row.get("error"):
            lines.append(f"{head} | (not read: {row['error']})")
            continue
        chosen = row.get("selections") or {}
        cells = ["; ".join(visible(i["label"]) for i in chosen.get(section, [])) or "(none)" for section in sections]
        lines.append(" | ".join([head, *cells]))
    return "\n".join(lines)


#: Export CSV columns whose values the upstream stores as float32 (lists joined with ``|``).
FLOAT32_CSV_COLUMNS = frozenset({"temperature_levels"})


def csv_with_short_floats(text: str) -> str:
    """The export CSV ``text`` with every value of :data:`FLOAT32_CSV_COLUMNS` written as the
    shortest decimal that reads back to the same float32 (``0.009999999776482582`` -> ``0.01``);
    other cells keep their values (quoting may be normalized). Text that does not parse as CSV
    with such a column is returned as it is."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return text
    if not rows:
        return text
    columns = [i for i, name in enumerate(rows[0]) if name in FLOAT32_CSV_COLUMNS]
    if not columns:
        return text
    for row in rows[1:]:
        for i in columns:
            if i < len(row) and row[i]:
                row[i] = "|".join(_short_float(part) for part in row[i].split("|"))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(rows)
    return out.getvalue()


def _short_float(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return str(f32(value)) if value == value and abs(value) != float("inf") else text
