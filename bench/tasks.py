"""Agent tasks: realistic requests played as fixed call plans against ours and against the peer.

``uv run --group bench python -m bench.tasks [--json PATH] [-q]`` prints the section on its own; the
main benchmark (``python -m bench``) prints it too and records it in BENCHMARKS.md.

Each task is what a user would ask an agent, in names and labels ("which gemini models do we have
and what do they cost?"), and, per system, a fixed plan: an ``async`` function that makes one tool
call at a time through an :class:`Agent` and decides the next call from the previous results, the
way a careful agent would (read ids from the structured content, page until ``total_count``, pick
the exact name among substring hits). No ids are carried from one task to the next: every task
starts from what the user said, so each one is measured on its own.

* **ours** is planned against the API of issue 10 (labels where ids go, compact answers,
  ``sections`` on search and get, ``base_model_id`` on drafts).
* **the peer** (``bench/peer_server.py``, fastmcp's ``FromOpenAPI`` of the same contract) takes the
  contract's raw arguments: ids only, full answers. Its plans learn ids where the contract offers
  them most cheaply: provider and department ids from the facets of a search, model ids from
  search rows, option ids from a model's full answer (its selections plus 20 other options per
  section) or from ``get_model`` without ``model_id`` (which lists only each section's first 20
  options: temperature 0.7 and most prices are not among them). Where the CSV export has the column
  asked about, it reads the export instead of every model's full answer.

Both systems run against their own fresh, seeded reference API (in this process, on a loopback
port) and see the same catalog. The tasks run in order in one MCP session per system over stdio
(the SDK's ``mcp.Client``); the last one deletes what the earlier ones created, and the catalog's
models are compared before and after. After each task the state of the models the tasks touch is
read straight from the reference API (not counted) so that the two systems' outcomes can be
compared: "answers agree" means both plans returned the same answer and left the same state.

Per task and system: the calls, the bytes of text content (UTF-8 of every text block of every
result: what a client that shows text to the model pays) and the bytes of the whole results
(``CallToolResult.model_dump_json(by_alias=True, exclude_none=True)``: text plus structured
content plus ``_meta``, as on the wire). A plan whose call fails (``isError`` where success was
needed, or an exception) makes the task "not possible" for that system.

Size figures (ours): the text of ``get_model`` for every seeded model and of the option listing
(``get_model`` without ``model_id``), compact (the default) and ``view: "full"``; the peer's same
reads for context.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

REPO = Path(__file__).resolve().parent.parent
API_KEY = "sandbox-api-key"
TOKEN = "sandbox-superadmin"
UPSTREAM_BASE = "/api/v5/artifacts/models"
SYSTEMS = ("ours", "peer")

#: Targets of issue 10 (text bytes; 1 KB = 1,000 bytes here, the stricter reading).
TASK_RATIO_LIMIT = 0.1
COMPACT_GET_MAX = 8_000
COMPACT_GET_MEDIAN = 4_000
COMPACT_OPTIONS_MAX = 8_000

#: Everything the tasks create is named with this prefix (and deleted by the last task).
PREFIX = "agent-task-model"
NEW = PREFIX
RENAMED = f"{PREFIX}-v2"
COPY = f"{PREFIX}-v2 (University)"
PAGE = 100  # page_size a careful agent asks for when it wants "all" models

#: Task 2's model, as the user describes it (labels, as shown in Glow's editor).
NEW_MODEL: dict[str, Any] = {
    "name": NEW,
    "description": "Created by the benchmark's agent tasks.",
    "providers": ["gemini"],
    "values": ["gemini-2.5-flash"],
    "modalities": ["text (input)", "image (input)", "text (output)"],
    "temperature_levels": ["0.7", "1"],
    "pricing": ["input: 0.3 per million_text", "output: 2.5 per million_text"],
    "reasoning_levels": ["high"],
    "flags": ["active"],
    "departments": ["Organization"],
}
#: section -> the create/update/draft argument that takes its ids.
ARG_OF = {
    "providers": "provider_ids",
    "values": "value_ids",
    "modalities": "modality_ids",
    "temperature_levels": "temperature_level_ids",
    "pricing": "pricing_ids",
    "reasoning_levels": "reasoning_level_ids",
    "qualities": "quality_ids",
    "voices": "voice_ids",
    "flags": "flag_ids",
    "departments": "department_ids",
}
DROP_MODALITY = "image (input)"
COUNT_SECTION = "reasoning_levels"
DRAFT_MODEL, DRAFT_ADD = "gemini-2.5-flash", "minimal"


# ------------------------------------------------------------------------------------------------
# measuring agent
# ------------------------------------------------------------------------------------------------


class TaskFailed(RuntimeError):
    """A call of a plan failed where success was needed (``isError``, or an exception)."""


@dataclass
class Call:
    """One tool call as measured: bytes of its text blocks and of the whole result."""

    tool: str
    arguments: dict[str, Any]
    text_bytes: int
    result_bytes: int
    is_error: bool


def text_bytes(result: Any) -> int:
    """UTF-8 bytes of every text content block of a ``CallToolResult``."""
    return sum(len(block.text.encode()) for block in result.content if getattr(block, "type", None) == "text")


def result_bytes(result: Any) -> int:
    """UTF-8 bytes of the whole ``CallToolResult`` as serialized on the wire."""
    return len(result.model_dump_json(by_alias=True, exclude_none=True).encode())


def result_text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", None) == "text")


class Agent:
    """Makes a plan's tool calls through one MCP client session and records each one."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[Call] = []

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Call ``tool``; return its structured content (or the JSON of its text). A tool error raises
        :class:`TaskFailed` naming the call and the error's first lines."""
        return structured(await self._call(tool, arguments))

    async def call_text(self, tool: str, arguments: dict[str, Any]) -> str:
        """Call ``tool``; return the text of its result (e.g. a CSV). Errors as :meth:`call`."""
        return result_text(await self._call(tool, arguments))

    async def _call(self, tool: str, arguments: dict[str, Any]) -> Any:
        try:
            result = await self.client.call_tool(tool, arguments, read_timeout_seconds=120)
        except Exception as exc:
            self.calls.append(Call(tool, arguments, 0, 0, True))
            raise TaskFailed(f"{tool}: {type(exc).__name__}: {exc}") from None
        self.calls.append(Call(tool, arguments, text_bytes(result), result_bytes(result), bool(result.is_error)))
        if result.is_error:
            first = " ".join(result_text(result).split())[:300]
            raise TaskFailed(f"{tool}: tool error: {first}")
        return result


def structured(result: Any) -> dict[str, Any]:
    """A result's structured content, else the JSON object in its text (after any summary line)."""
    if isinstance(result.structured_content, dict):
        return result.structured_content
    text = result_text(result)
    for start in (0, text.find("{")):
        try:
            value = json.loads(text[start:])
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise TaskFailed("the result has no structured content and its text is not a JSON object")


# ------------------------------------------------------------------------------------------------
# shared helpers of the plans (how an agent reads the answers)
# ------------------------------------------------------------------------------------------------


def one(items: list[Any], what: str) -> Any:
    if len(items) != 1:
        raise TaskFailed(f"expected exactly one {what}, found {len(items)}")
    return items[0]


def price_of(item: dict[str, Any]) -> tuple[str, float, str]:
    """A pricing item as (type, price, unit), from ours' compact item or the contract's item."""
    return (
        str(item.get("type", item.get("pricing_type"))),
        float(item["price"]),
        str(item.get("unit", item.get("unit_name"))),
    )


def contract_label(section: str, item: dict[str, Any]) -> str:
    """The label of an option item of the contract's full answer, as the editor shows it."""
    if section == "modalities":
        return f"{item.get('modality') or item.get('name')} ({'input' if item.get('is_input') else 'output'})"
    if section == "flags":
        return str(item.get("key") or item.get("name"))
    if section == "values":
        return str(item.get("value") or item.get("name"))
    return str(item.get("name"))


def contract_selected(answer: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """The items selected in ``section`` of a full ``get_model`` answer (``resource`` or ``current``)."""
    sec = answer.get(section) or {}
    if sec.get("resource") is not None:
        return [sec["resource"]]
    return list(sec.get("current") or [])


def contract_option_ids(answer: dict[str, Any], section: str, labels: list[str]) -> list[str]:
    """Ids of the options of ``section`` whose labels are ``labels`` (a full answer's ``resources``)."""
    by_label: dict[str, list[str]] = {}
    for item in (answer.get(section) or {}).get("resources") or []:
        by_label.setdefault(contract_label(section, item).lower(), []).append(str(item["id"]))
    ids = []
    for label in labels:
        found = by_label.get(label.lower(), [])
        ids.append(one(found, f"{section} option labelled {label!r}"))
    return ids


async def peer_search_all(agent: Caller, **arguments: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every row of a peer search, page by page until ``total_count``; and the first page."""
    rows: list[dict[str, Any]] = []
    first: dict[str, Any] | None = None
    while True:
        page = await agent.call("search_models", {**arguments, "page_size": PAGE, "page_offset": len(rows)})
        first = first or page
        models = page.get("models") or []
        rows += models
        if not models or len(rows) >= (page.get("total_count") or 0):
            return rows, first


async def ours_search_all(agent: Caller, **arguments: Any) -> list[dict[str, Any]]:
    """Every row of one of our searches, following ``next_page_offset``."""
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = await agent.call("search_models", {**arguments, "page_size": PAGE, "page_offset": offset})
        rows += page.get("models") or []
        if page.get("next_page_offset") is None:
            return rows
        offset = page["next_page_offset"]


async def peer_find(agent: Caller, name: str) -> tuple[str, dict[str, Any]]:
    """The id of the active model named exactly ``name`` (a substring search, then the exact name)."""
    rows, page = await peer_search_all(agent, search=name)
    row = one([r for r in rows if r.get("name") == name], f"model named {name!r}")
    return str(row["model_id"]), page


def ours_labels(answer: dict[str, Any], section: str) -> list[str]:
    return [str(item["label"]) for item in (answer.get("selections") or {}).get(section) or []]


def check_written(answer: dict[str, Any], what: str) -> list[str]:
    """The model ids of a create/update/delete answer whose every item succeeded."""
    results = answer.get("results") or []
    if not results or not all(r.get("success") for r in results):
        raise TaskFailed(f"{what} did not succeed: {json.dumps(results)[:300]}")
    return [str(r.get("model_id")) for r in results]


# ------------------------------------------------------------------------------------------------
# the tasks
# ------------------------------------------------------------------------------------------------


class Caller(Protocol):
    """What a plan calls: :class:`Agent` (measured, through MCP) or :class:`Upstream` (uncounted)."""

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]: ...

    async def call_text(self, tool: str, arguments: dict[str, Any]) -> str: ...


Plan = Callable[[Caller], Awaitable[Any]]


# 1. the models of one provider with their prices ------------------------------------------------


async def ours_prices(agent: Caller) -> Any:
    rows = await ours_search_all(agent, filter_provider_ids=["gemini"], sections=["pricing"])
    return {r["name"]: sorted(price_of(p) for p in r["selections"]["pricing"]) for r in rows}


async def peer_prices(agent: Caller) -> Any:
    # Search rows carry provider_name but no pricing: every gemini model needs its full answer.
    rows, _ = await peer_search_all(agent)
    out = {}
    for row in [r for r in rows if r.get("provider_name") == "gemini"]:
        model = await agent.call("get_model", {"model_id": row["model_id"]})
        out[row["name"]] = sorted(price_of(p) for p in contract_selected(model, "pricing"))
    return out


# 2. add a model by labels -------------------------------------------------------------------------


async def ours_create(agent: Caller) -> Any:
    item: dict[str, Any] = {"name": NEW_MODEL["name"], "description": NEW_MODEL["description"]}
    for section, arg in ARG_OF.items():
        if section in NEW_MODEL:
            item[arg] = NEW_MODEL[section]
    check_written(await agent.call("create_models", {"models": [item]}), "create_models")
    return "created"


async def peer_create(agent: Caller) -> Any:
    # The option listing (get_model without model_id) holds each section's first 20 options only
    # (temperature 0.7 and most prices are not among them). The model the user names as the value
    # has every one of these options, and its full answer lists its selections with their ids plus
    # 20 other options per section (the departments among them): the cheapest source of the ids.
    template_id, _ = await peer_find(agent, NEW_MODEL["values"][0])
    template = await agent.call("get_model", {"model_id": template_id})
    item: dict[str, Any] = {"name": NEW_MODEL["name"], "description": NEW_MODEL["description"]}
    options: dict[str, Any] | None = None
    for section, arg in ARG_OF.items():
        if section in NEW_MODEL:
            try:
                item[arg] = contract_option_ids(template, section, NEW_MODEL[section])
            except TaskFailed:
                options = options or await agent.call("get_model", {})
                item[arg] = contract_option_ids(options, section, NEW_MODEL[section])
    check_written(await agent.call("create_models", {"models": [item]}), "create_models")
    return "created"


# 3. rename it and drop a modality -----------------------------------------------------------------


async def ours_rename(agent: Caller) -> Any:
    model = await agent.call("get_model", {"model_id": NEW, "sections": ["modalities"]})
    keep = [label for label in ours_labels(model, "modalities") if label != DROP_MODALITY]
    item = {"model_id": model["model_id"], "name": RENAMED, "modality_ids": keep}
    check_written(await agent.call("update_models", {"models": [item]}), "update_models")
    return "renamed"


async def peer_rename(agent: Caller) -> Any:
    model_id, _ = await peer_find(agent, NEW)
    model = await agent.call("get_model", {"model_id": model_id})
    keep = [
        str(m["id"]) for m in contract_selected(model, "modalities") if contract_label("modalities", m) != DROP_MODALITY
    ]
    item = {"model_id": model_id, "name": RENAMED, "modality_ids": keep}
    check_written(await agent.call("update_models", {"models": [item]}), "update_models")
    return "renamed"


# 4. copy a model for a department -----------------------------------------------------------------


async def ours_copy(agent: Caller) -> Any:
    # duplicate_model names the copy and sets its departments in the same call.
    copy = await agent.call("duplicate_model", {"model_id": RENAMED, "name": COPY, "department_ids": ["University"]})
    if copy.get("warnings") or copy.get("name") != COPY:
        raise TaskFailed(f"the copy was not named or placed as asked: {copy}")
    return "copied"


async def peer_copy(agent: Caller) -> Any:
    model_id, page = await peer_find(agent, RENAMED)
    # The search's department facet names every department with its id.
    departments = (page.get("department_filter") or {}).get("options") or []
    university = one([str(d["id"]) for d in departments if d.get("name") == "University"], "department University")
    copy = await agent.call("duplicate_model", {"model_id": model_id})
    item = {"model_id": copy["model_id"], "name": COPY, "department_ids": [university]}
    check_written(await agent.call("update_models", {"models": [item]}), "update_models")
    return "copied"


# 5. count the models lacking a section ------------------------------------------------------------


async def ours_count(agent: Caller) -> Any:
    rows = await ours_search_all(agent, sections=[COUNT_SECTION])
    return sum(1 for r in rows if not r["selections"][COUNT_SECTION])


async def peer_count(agent: Caller) -> Any:
    # Search rows carry no sections, and a full get_model per model costs ~1 MB; the CSV export has a
    # reasoning_levels column: export, then read the CSV through the peer's download tool.
    export = await agent.call("export_models", {})
    text = await agent.call_text("download_upload_uploads", {"upload_id": export["upload_id"]})
    rows = list(csv.DictReader(io.StringIO(text)))
    if len(rows) != export.get("row_count"):
        raise TaskFailed(f"the CSV has {len(rows)} rows, the export said {export.get('row_count')}")
    return sum(1 for row in rows if row["active"] == "Yes" and not row[COUNT_SECTION])


# 6. draft a change and review it ------------------------------------------------------------------


async def ours_draft(agent: Caller) -> Any:
    model = await agent.call("get_model", {"model_id": DRAFT_MODEL, "sections": [COUNT_SECTION]})
    levels = [*ours_labels(model, COUNT_SECTION), DRAFT_ADD]
    draft = await agent.call("patch_model_draft", {"base_model_id": model["model_id"], ARG_OF[COUNT_SECTION]: levels})
    review = await agent.call(
        "get_model", {"model_id": model["model_id"], "draft_id": draft["draft_id"], "sections": [COUNT_SECTION]}
    )
    changes = (review.get("changes") or {}).get(COUNT_SECTION) or {}
    return {
        "added": sorted(str(i["label"]) for i in changes.get("added") or []),
        "removed": sorted(str(i["label"]) for i in changes.get("removed") or []),
    }


async def peer_draft(agent: Caller) -> Any:
    model_id, _ = await peer_find(agent, DRAFT_MODEL)
    model = await agent.call("get_model", {"model_id": model_id})
    # A draft holds the FULL form state: every section's selected ids, plus the new level.
    state: dict[str, Any] = {"expected_version": 0}
    for single in ("names", "descriptions"):
        chosen = contract_selected(model, single)
        if chosen:
            state[f"{single[:-1]}_id"] = str(chosen[0]["id"])
    for section, arg in ARG_OF.items():
        state[arg] = [str(i["id"]) for i in contract_selected(model, section)]
    state[ARG_OF[COUNT_SECTION]] += contract_option_ids(model, COUNT_SECTION, [DRAFT_ADD])
    draft = await agent.call("patch_model_draft", state)
    review = await agent.call("get_model", {"model_id": model_id, "draft_id": draft["draft_id"]})
    before = {contract_label(COUNT_SECTION, i) for i in contract_selected(model, COUNT_SECTION)}
    after = {contract_label(COUNT_SECTION, i) for i in contract_selected(review, COUNT_SECTION)}
    return {"added": sorted(after - before), "removed": sorted(before - after)}


# 7. delete what was created -----------------------------------------------------------------------


async def ours_delete(agent: Caller) -> Any:
    deleted = check_written(await agent.call("delete_models", {"model_ids": [RENAMED, COPY]}), "delete_models")
    return len(deleted)


async def peer_delete(agent: Caller) -> Any:
    rows, _ = await peer_search_all(agent, search=PREFIX)
    ids = [str(r["model_id"]) for r in rows if r.get("name") in (RENAMED, COPY)]
    if len(ids) != 2:
        raise TaskFailed(f"expected the 2 created models, found {len(ids)}")
    deleted = check_written(await agent.call("delete_models", {"model_ids": ids}), "delete_models")
    return len(deleted)


@dataclass(frozen=True)
class Task:
    """One request of a user, and each system's plan for it."""

    key: str
    ask: str
    ours: Plan
    peer: Plan
    #: whether the task changes models (the tasks after it then build on its outcome)
    writes: bool = False


TASKS: tuple[Task, ...] = (
    Task("prices", "Which gemini models do we have, and what do they cost?", ours_prices, peer_prices),
    Task(
        "create",
        f"Add a gemini model {NEW!r} (value gemini-2.5-flash; text and image in, text out; temperatures 0.7 and 1; "
        "input 0.3 / output 2.5 per million text tokens; reasoning high; active; Organization).",
        ours_create,
        peer_create,
        writes=True,
    ),
    Task("rename", f"Rename {NEW!r} to {RENAMED!r} and drop its image input.", ours_rename, peer_rename, writes=True),
    Task("copy", f"Copy {RENAMED!r} for the University department as {COPY!r}.", ours_copy, peer_copy, writes=True),
    Task("count", "How many models have no reasoning levels?", ours_count, peer_count),
    Task(
        "draft",
        f"Draft (not apply) adding reasoning level {DRAFT_ADD!r} to {DRAFT_MODEL}, and show what would change.",
        ours_draft,
        peer_draft,
    ),
    Task("delete", f"Delete {RENAMED!r} and {COPY!r}.", ours_delete, peer_delete, writes=True),
)


# ------------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------------


@dataclass
class TaskRun:
    """One task on one system: its calls, whether it was possible, its answer and the state it left."""

    key: str
    calls: list[Call] = field(default_factory=list)
    possible: bool = True
    error: str | None = None
    answer: Any = None
    state: Any = None
    #: the plan failed and its outcome was made directly on the reference API for the tasks after it
    repaired: bool = False

    @property
    def text_bytes(self) -> int:
        return sum(c.text_bytes for c in self.calls)

    @property
    def result_bytes(self) -> int:
        return sum(c.result_bytes for c in self.calls)

    def figures(self) -> dict[str, Any]:
        return {
            "possible": self.possible,
            "calls": len(self.calls),
            "text_bytes": self.text_bytes,
            "result_bytes": self.result_bytes,
            "error": self.error,
            "answer": self.answer,
            "tools": [c.tool for c in self.calls],
            "repaired": self.repaired,
        }


@dataclass
class SystemRun:
    system: str
    tasks: list[TaskRun] = field(default_factory=list)
    #: read -> list of text bytes (one per seeded model for the get_model reads); None: not available.
    sizes: dict[str, list[int] | None] = field(default_factory=dict)
    size_notes: dict[str, str] = field(default_factory=dict)
    catalog_restored: bool | None = None


def _upstream_ops() -> dict[str, str]:
    """Tool name -> the upstream operation it mirrors (for :meth:`Upstream.call`), from TOOL_SPECS."""
    from glow_models_mcp.tools import TOOL_SPECS

    return {spec.name: spec.operation.name for spec in TOOL_SPECS}


UPSTREAM_OPS = _upstream_ops()


class Upstream:
    """Direct, uncounted reads of the reference API (the catalog before/after, each task's outcome)."""

    def __init__(self, url: str) -> None:
        import httpx2

        self.http = httpx2.AsyncClient(
            base_url=url,
            headers={"X-Api-Key": API_KEY, "Authorization": f"Bearer {TOKEN}", "X-MCP": "true"},
            timeout=60.0,
        )

    async def post(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(f"{UPSTREAM_BASE}/{op}", json=body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    async def models(self) -> list[tuple[str, str]]:
        """(model_id, name) of every active model, sorted."""
        answer = await self.post("search", {"page_size": 10_000})
        return sorted((str(m["model_id"]), str(m["name"])) for m in answer.get("models") or [])

    async def state(self) -> dict[str, Any]:
        """The selections (as labels) of every model the tasks create, by name; ids left out."""
        out: dict[str, Any] = {}
        for model_id, name in await self.models():
            if name.startswith(PREFIX):
                model = await self.post("get", {"model_id": model_id})
                out[name] = {
                    section: sorted(contract_label(section, i) for i in contract_selected(model, section))
                    for section in ("descriptions", *ARG_OF)
                }
        return out

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """A tool call made straight on the reference API with the contract's arguments (what the
        peer's tools take), uncounted: used to set up a failed write's outcome."""
        op = UPSTREAM_OPS[tool]
        response = await self.http.request(
            "PATCH" if op == "draft" else "POST", f"{UPSTREAM_BASE}/{op}", json=arguments
        )
        if response.status_code != 200:
            raise TaskFailed(f"{op}: HTTP {response.status_code}: {response.text[:300]}")
        data: dict[str, Any] = response.json()
        return data

    async def call_text(self, tool: str, arguments: dict[str, Any]) -> str:
        """The peer's CSV download tool, straight on the reference API (uncounted)."""
        if tool != "download_upload_uploads":
            raise TaskFailed(f"{tool}: no direct equivalent")
        response = await self.http.get(f"/uploads/{arguments['upload_id']}/download")
        if response.status_code != 200:
            raise TaskFailed(f"download: HTTP {response.status_code}")
        return response.text

    async def aclose(self) -> None:
        await self.http.aclose()


def server_params(system: str, upstream: str, log: Any) -> Any:
    from mcp.client.stdio import StdioServerParameters, stdio_client

    from .wire import clean_env

    env = clean_env(GLOW_INSTANCE_URL=upstream, GLOW_API_KEY=API_KEY, GLOW_TOKEN=TOKEN, PYTHONUNBUFFERED="1")
    args = ["-m", "glow_models_mcp"] if system == "ours" else ["-m", "bench.peer_server", "--upstream", upstream]
    params = StdioServerParameters(command=sys.executable, args=args, env=env, cwd=str(REPO))
    return stdio_client(params, errlog=log)


async def run_system(system: str, logs: Path, say: Callable[[str], None]) -> SystemRun:
    """Every task, then the size reads, on ``system`` against its own fresh reference API."""
    from mcp import Client

    from glow_models_mcp.sandbox import SandboxServer

    run = SystemRun(system)
    async with SandboxServer() as api:
        upstream = Upstream(api.url)
        try:
            before = await upstream.models()
            with open(logs / f"tasks-{system}.log", "a") as log:
                async with Client(server_params(system, api.url, log)) as client:
                    agent = Agent(client)
                    for task in TASKS:
                        say(f"agent tasks, {system}: {task.key}")
                        agent.calls = []
                        tr = TaskRun(task.key, calls=agent.calls)
                        before_task = await upstream.models()
                        try:
                            tr.answer = await (task.ours if system == "ours" else task.peer)(agent)
                        except TaskFailed as exc:
                            tr.possible, tr.error = False, str(exc)
                            if task.writes and await upstream.models() == before_task:
                                # So that the tasks after it still run on what they expect, the outcome
                                # is made straight on the reference API (the peer's plan, uncounted).
                                try:
                                    await task.peer(upstream)
                                    tr.repaired = True
                                except TaskFailed as repair:
                                    tr.error += f" (and setting up its outcome directly failed: {repair})"
                        tr.state = await upstream.state()
                        run.tasks.append(tr)
                    say(f"agent tasks, {system}: size reads")
                    await measure_sizes(client, system, before, run)
            run.catalog_restored = await upstream.models() == before
        finally:
            await upstream.aclose()
    return run


async def measure_sizes(client: Any, system: str, seeded: list[tuple[str, str]], run: SystemRun) -> None:
    """Text bytes of ``get_model`` for every seeded model and of the option listing, per view."""
    views = {"compact": {}, "full": {"view": "full"}} if system == "ours" else {"full": {}}
    for view, extra in views.items():
        for what, calls in (
            ("get_model", [{"model_id": model_id, **extra} for model_id, _ in seeded]),
            ("options", [dict(extra)]),
        ):
            sizes: list[int] = []
            for arguments in calls:
                result = await client.call_tool("get_model", arguments, read_timeout_seconds=120)
                data = result.structured_content if isinstance(result.structured_content, dict) else {}
                compact_shape = "selections" in data if what == "get_model" else "options" in data
                if result.is_error or (view == "compact" and not compact_shape):
                    why = "tool error" if result.is_error else "the answer is not in the compact shape"
                    run.sizes[f"{what}.{view}"] = None
                    run.size_notes[f"{what}.{view}"] = f"{why}: {' '.join(result_text(result).split())[:160]}"
                    break
                sizes.append(text_bytes(result))
            else:
                run.sizes[f"{what}.{view}"] = sizes


async def run_all(say: Callable[[str], None], logs: Path | None = None) -> dict[str, SystemRun]:
    """Both systems, one after the other, each against its own fresh reference API."""
    logs = logs or Path(tempfile.mkdtemp(prefix="glow-bench-tasks-"))
    return {system: await run_system(system, logs, say) for system in SYSTEMS}


# ------------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------------


def _n(x: int | None) -> str:
    return "–" if x is None else f"{x:,}"


def _ratio(a: float, b: float) -> str:
    return "–" if not b else f"{a / b:.3f}×"


def verdict(met: bool | None) -> str:
    return {True: "**met**", False: "**not met**", None: "–"}[met]


def figures(runs: dict[str, SystemRun]) -> dict[str, Any]:
    """The section's figures as plain data (for ``--json`` and for the targets)."""
    ours, peer = runs["ours"], runs["peer"]
    tasks = []
    for task, o, p in zip(TASKS, ours.tasks, peer.tasks, strict=True):
        tasks.append(
            {
                "task": o.key,
                "ask": task.ask,
                "ours": o.figures(),
                "peer": p.figures(),
                "ratio_text": (o.text_bytes / p.text_bytes) if o.possible and p.possible and p.text_bytes else None,
                "agree": o.possible and p.possible and o.answer == p.answer and o.state == p.state,
            }
        )
    return {
        "tasks": tasks,
        "sizes": {s: runs[s].sizes for s in SYSTEMS},
        "size_notes": {s: runs[s].size_notes for s in SYSTEMS},
        "catalog_restored": {s: runs[s].catalog_restored for s in SYSTEMS},
    }


def report(data: dict[str, Any]) -> tuple[str, list[tuple[str, str, str, bool | None]]]:
    """The markdown section from :func:`figures`, and its targets ``(name, limit, measured, met)``."""
    rows = [
        "| Agent task | ours: calls | ours: text bytes | ours: result bytes | peer: calls | peer: text bytes "
        "| peer: result bytes | ours/peer, text bytes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for i, (task, t) in enumerate(zip(TASKS, data["tasks"], strict=True), 1):
        cells = []
        for system in SYSTEMS:
            s = t[system]
            if s["possible"]:
                cells += [str(s["calls"]), _n(s["text_bytes"]), _n(s["result_bytes"])]
            else:
                cells += [f"not possible ({s['calls']} call(s))", "–", "–"]
                repaired = (
                    "; its outcome was then made directly on the reference API (uncounted) for the tasks after it"
                    if s["repaired"]
                    else ""
                )
                notes.append(f"Task {i}, {system}: {s['error']}{repaired}")
        ratio = "–" if t["ratio_text"] is None else f"{t['ratio_text']:.3f}×"
        rows.append(f"| {i}. {task.ask} | {' | '.join(cells)} | {ratio} |")
    totals = {
        s: (
            sum(t[s]["calls"] for t in data["tasks"]),
            sum(t[s]["text_bytes"] for t in data["tasks"]),
            sum(t[s]["result_bytes"] for t in data["tasks"]),
        )
        for s in SYSTEMS
    }
    all_possible = all(t["ours"]["possible"] and t["peer"]["possible"] for t in data["tasks"])
    rows.append(
        f"| All tasks | {totals['ours'][0]} | {_n(totals['ours'][1])} | {_n(totals['ours'][2])} | "
        f"{totals['peer'][0]} | {_n(totals['peer'][1])} | {_n(totals['peer'][2])} | "
        f"{_ratio(totals['ours'][1], totals['peer'][1]) if all_possible else '–'} |"
    )
    agree = sum(1 for t in data["tasks"] if t["agree"])
    restored = ", ".join(
        f"{s} {'as found' if ok else 'CHANGED' if ok is False else 'not checked'}"
        for s, ok in data["catalog_restored"].items()
    )

    def sz(system: str, key: str, how: str) -> str:
        values = data["sizes"][system].get(key)
        if not values:
            return "–"
        if how == "max":
            return _n(max(values))
        if how == "median":
            return _n(int(statistics.median(values)))
        return _n(values[0])

    n_models = len(data["sizes"]["peer"].get("get_model.full") or [])
    size_rows = [
        '| Size of one read, text bytes | ours, compact (default) | ours, `view: "full"` | peer |',
        "|---|---|---|---|",
        f"| `get_model` of a seeded model, max of {n_models} | {sz('ours', 'get_model.compact', 'max')} | "
        f"{sz('ours', 'get_model.full', 'max')} | {sz('peer', 'get_model.full', 'max')} |",
        f"| `get_model` of a seeded model, median of {n_models} | {sz('ours', 'get_model.compact', 'median')} | "
        f"{sz('ours', 'get_model.full', 'median')} | {sz('peer', 'get_model.full', 'median')} |",
        f"| Option listing (`get_model` without `model_id`) | {sz('ours', 'options.compact', 'one')} | "
        f"{sz('ours', 'options.full', 'one')} | {sz('peer', 'options.full', 'one')} |",
    ]
    for key, note in data["size_notes"]["ours"].items():
        notes.append(f"Size read `{key}`, ours: {note}")

    ratios = [(t["ratio_text"], t["task"]) for t in data["tasks"] if t["ratio_text"] is not None]
    worst = max(ratios) if ratios else None
    over = sorted((r for r in ratios if r[0] > TASK_RATIO_LIMIT), reverse=True)
    within = len(ratios) - len(over)
    possible_ours = sum(1 for t in data["tasks"] if t["ours"]["possible"])
    compact = data["sizes"]["ours"].get("get_model.compact")
    options = data["sizes"]["ours"].get("options.compact")
    targets: list[tuple[str, str, str, bool | None]] = [
        (
            "Agent tasks possible with ours",
            f"all {len(TASKS)}",
            f"{possible_ours} of {len(TASKS)}",
            possible_ours == len(TASKS),
        ),
        (
            "Agent task text bytes, ours/peer, every task",
            f"≤ {TASK_RATIO_LIMIT:g}× each",
            "–"
            if worst is None
            else f"{within} of {len(TASKS)} within; over: {', '.join(f'{k} {r:.3f}×' for r, k in over)}"
            if over
            else f"{within} of {len(TASKS)} within; worst {worst[1]} {worst[0]:.3f}×",
            None if worst is None or possible_ours < len(TASKS) else worst[0] <= TASK_RATIO_LIMIT,
        ),
        (
            "Compact `get_model` text, max over the seeded models",
            f"≤ {COMPACT_GET_MAX:,} B",
            "–" if not compact else f"{max(compact):,} B",
            None if not compact else max(compact) <= COMPACT_GET_MAX,
        ),
        (
            "Compact `get_model` text, median over the seeded models",
            f"≤ {COMPACT_GET_MEDIAN:,} B",
            "–" if not compact else f"{int(statistics.median(compact)):,} B",
            None if not compact else statistics.median(compact) <= COMPACT_GET_MEDIAN,
        ),
        (
            "Compact option listing text",
            f"≤ {COMPACT_OPTIONS_MAX:,} B",
            "–" if not options else f"{options[0]:,} B",
            None if not options else options[0] <= COMPACT_OPTIONS_MAX,
        ),
    ]
    lines = [
        "### Agent tasks",
        "",
        *rows,
        "",
        f"Answers (and the state each write left) agree between ours and the peer on {agree} of {len(TASKS)} "
        f"tasks. Catalog after the last task: {restored}.",
        "",
        *size_rows,
        "",
        "| Agent-task target | limit | measured | |",
        "|---|---|---|---|",
        *(f"| {name} | {limit} | {measured} | {verdict(met)} |" for name, limit, measured, met in targets),
    ]
    if notes:
        lines += ["", *(f"- {n}" for n in notes)]
    return "\n".join(lines), targets


# ------------------------------------------------------------------------------------------------
# standalone entry point
# ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.tasks", description="Agent tasks: ours vs the peer, calls and bytes per task."
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this path")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        if not args.quiet:
            print(f"[tasks {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    data = figures(asyncio.run(run_all(say)))
    table, _ = report(data)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
