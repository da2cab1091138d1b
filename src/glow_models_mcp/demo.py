"""``glow-models-mcp demo``: a realistic agent session, printed step by step.

Starts the local reference API on a free loopback port, launches our server as a stdio
subprocess pointed at it (exactly as Claude Desktop would), connects the mcp SDK's client and
walks: list tools, read the docs resource, list the selectable options, create a model, find it
by search, save a draft and read the model with it, update, duplicate, export and show the CSV's
rows, delete, refresh. Returns 0 when every step succeeded, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
import textwrap
import time
import uuid
from typing import Any

import anyio

STEP_WIDTH = 100


class DemoFailed(Exception):
    """A demo step did not give the expected answer."""


def _print(text: str = "") -> None:
    print(text, flush=True)


def _shorten(text: str, width: int = 400) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class Session:
    """Numbered, readable steps over one MCP client."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.step = 0

    def heading(self, title: str) -> None:
        self.step += 1
        _print()
        _print(f"── {self.step:>2}. {title} " + "─" * max(0, STEP_WIDTH - len(title) - 8))

    async def call(self, tool: str, args: dict[str, Any], *, expect_error: bool = False) -> dict[str, Any]:
        started = time.perf_counter()
        result = await self.client.call_tool(tool, args)
        ms = (time.perf_counter() - started) * 1000
        _print(f"   → {tool}({_shorten(json.dumps(args), 160)})   [{ms:.0f} ms]")
        text = result.content[0].text if result.content else ""
        summary = "\n".join(text.split("\n")[: 2 if expect_error else 1])
        _print(textwrap.indent(_shorten(summary, 300), "   ← "))
        if bool(result.is_error) != expect_error:
            raise DemoFailed(f"{tool} returned is_error={result.is_error}: {text[:500]}")
        return result.structured_content or {}


async def walk(client: Any) -> None:
    """The scripted session; raises :class:`DemoFailed` on the first unexpected answer."""
    s = Session(client)
    marker = uuid.uuid4().hex[:6]
    name = f"demo-gpt-{marker}"

    s.heading("List the tools the server offers")
    tools = (await client.list_tools()).tools
    for tool in tools:
        hints = tool.annotations
        kind = (
            "read-only"
            if hints and hints.read_only_hint
            else ("destructive" if hints and hints.destructive_hint else "write")
        )
        _print(f"   • {tool.name:<18} {kind:<11} {_shorten(tool.description or '', 70)}")
    from .tools import TOOL_SPECS

    expected = [spec.name for spec in TOOL_SPECS]  # the server runs without GLOW_* selection: every tool
    if [tool.name for tool in tools] != expected:
        raise DemoFailed(f"expected the tools {expected}, got {[tool.name for tool in tools]}")

    s.heading("Read the docs resource glow://models/docs")
    docs = json.loads((await client.read_resource("glow://models/docs")).contents[0].text)
    _print(
        f"   ← {docs['name']}: {len(docs.get('api_operations', []))} operations, {len(docs.get('permissions', []))} permissions"
    )
    for op in docs.get("api_operations", [])[:11]:
        _print(f"     - {op['name']}: {_shorten(op['description'], 80)}")

    s.heading("List the selectable options (get_model without ids)")
    options = await s.call("get_model", {})

    def first(section: str, pred: Any = lambda r: True) -> str:
        for item in options.get(section, {}).get("resources", []):
            if pred(item):
                return item["id"]
        raise DemoFailed(f"no option in section {section}")

    provider = first("providers", lambda r: r.get("name") == "openai")
    modalities = [r["id"] for r in options["modalities"]["resources"] if r.get("name") in ("text", "image")][:2]
    pricing = [options["pricing"]["resources"][0]["id"]]
    _print(f"   provider openai = {provider}; {len(modalities)} modalities; 1 pricing entry")

    s.heading(f"Create the model '{name}'")
    created = await s.call(
        "create_models",
        {
            "models": [
                {
                    "name": name,
                    "description": f"Demo model {marker} created through MCP",
                    "provider_ids": [provider],
                    "modality_ids": modalities,
                    "pricing_ids": pricing,
                }
            ]
        },
    )
    model_id = created["results"][0]["model_id"]

    s.heading("Find it by search")
    found = await s.call("search_models", {"search": name})
    if [m["model_id"] for m in found.get("models", [])] != [model_id]:
        raise DemoFailed(f"search for {name} did not return exactly the new model")

    s.heading("Save a draft, then read the model with it")
    draft = await s.call(
        "patch_model_draft",
        {"expected_version": 0, "name": name, "provider_ids": [provider], "modality_ids": modalities[:1]},
    )
    _print(f"   draft {draft['draft_id']} is version {draft['new_version']}")
    await s.call("get_model", {"model_id": model_id, "draft_id": draft["draft_id"]})

    s.heading("Update the description")
    await s.call("update_models", {"models": [{"model_id": model_id, "description": f"Updated demo model {marker}"}]})
    again = await s.call("search_models", {"search": f"Updated demo model {marker}"})
    if again.get("total_count") != 1:
        raise DemoFailed("the updated description is not searchable")

    s.heading("Duplicate it")
    copy = await s.call("duplicate_model", {"model_id": model_id})

    s.heading("Export the catalog and read the CSV resource")
    export = await s.call("export_models", {})
    csv_text = (await client.read_resource(f"glow://exports/{export['upload_id']}")).contents[0].text
    rows = csv_text.strip().splitlines()
    _print(f"   CSV: {len(rows) - 1} data rows (row_count {export['row_count']}); header: {_shorten(rows[0], 90)}")
    for row in [r for r in rows if marker in r][:2]:
        _print(f"     {_shorten(row, 96)}")
    if len(rows) - 1 != export["row_count"]:
        raise DemoFailed("CSV rows differ from row_count")

    s.heading("Delete the model and its copy (permanent)")
    await s.call("delete_models", {"model_ids": [model_id, copy["model_id"]]})
    gone = await s.call("search_models", {"search": marker})
    if gone.get("total_count", 0) != 0:
        raise DemoFailed("deleted models are still found")

    s.heading("An agent mistake: a typo in a field name")
    await s.call("get_model", {"modle_id": model_id}, expect_error=True)

    s.heading("Refresh the views and caches")
    await s.call("refresh_models", {})


async def _run() -> None:
    import os

    from mcp import Client, StdioServerParameters

    from .sandbox import SANDBOX_API_KEY, SandboxServer
    from .sandbox.server import DEFAULT_TOKEN

    with SandboxServer() as api:
        _print(f"Local reference Glow API at {api.url} (25 seeded models).")
        _print("Starting glow-models-mcp over stdio and connecting an MCP client...")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GLOW_")}
        env.update(GLOW_INSTANCE_URL=api.url, GLOW_API_KEY=SANDBOX_API_KEY, GLOW_TOKEN=DEFAULT_TOKEN)
        params = StdioServerParameters(command=sys.executable, args=["-m", "glow_models_mcp"], env=env)
        async with Client(params, mode="legacy") as client:
            info = client.server_info
            _print(
                f"Connected to {info.name if info else '?'} {info.version if info else ''} (protocol {client.protocol_version})."
            )
            await walk(client)


def run_demo() -> int:
    """Run the demo; 0 when every step succeeded."""
    try:
        anyio.run(_run)
    except DemoFailed as exc:
        _print(f"\nDEMO FAILED: {exc}")
        return 1
    _print("\nDemo finished: every step succeeded.")
    return 0
