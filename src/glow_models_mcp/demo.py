"""``glow-models-mcp demo``: a realistic agent session, printed step by step.

Starts the local reference API on a free loopback port, launches our server as a stdio
subprocess pointed at it (exactly as Claude Desktop would), connects the mcp SDK's client and
walks: list tools, read the docs resource, list the selectable options with their labels, compare
the gemini models' prices in one call, create a model by labels, read it back by name, save a draft
from it and see what it changes, update, duplicate, export and show the CSV's rows, delete by name,
an agent's ambiguous label, refresh. Returns 0 when every step succeeded, 1 otherwise.
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

    async def call(
        self, tool: str, args: dict[str, Any], *, expect_error: bool = False, lines: int = 1
    ) -> dict[str, Any]:
        """Call ``tool``; print the call, its time, its text size and the first ``lines`` of its text."""
        started = time.perf_counter()
        result = await self.client.call_tool(tool, args)
        ms = (time.perf_counter() - started) * 1000
        text = result.content[0].text if result.content else ""
        _print(f"   → {tool}({_shorten(json.dumps(args), 150)})   [{ms:.0f} ms, {len(text.encode())} B of text]")
        shown = text.split("\n")[: max(lines, 2 if expect_error else 1)]
        _print(textwrap.indent("\n".join(_shorten(line, 160) for line in shown), "   ← "))
        if bool(result.is_error) != expect_error:
            raise DemoFailed(f"{tool} returned is_error={result.is_error}: {text[:500]}")
        return result.structured_content or {}


async def walk(client: Any) -> None:
    """The scripted session; raises :class:`DemoFailed` on the first unexpected answer."""
    from .tools import TOOL_NAMES

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
    if [t.name for t in tools] != list(TOOL_NAMES):
        raise DemoFailed(f"expected the tools {', '.join(TOOL_NAMES)}, got {', '.join(t.name for t in tools)}")

    s.heading("Read the docs resource glow://models/docs")
    docs = json.loads((await client.read_resource("glow://models/docs")).contents[0].text)
    _print(
        f"   ← {docs['name']}: {len(docs.get('api_operations', []))} operations, "
        f"{len(docs.get('permissions', []))} permissions"
    )

    s.heading("List the selectable options: each has a label that works where its id goes")
    listing = await s.call("get_model", {"sections": ["providers", "modalities", "departments"]}, lines=4)
    if "openai" not in {i["label"] for i in listing["options"]["providers"]["items"]}:
        raise DemoFailed("the option listing has no provider labelled openai")

    s.heading("Compare many models in one call: the gemini models and their prices")
    page = await s.call("search_models", {"search": "gemini", "sections": ["pricing"]}, lines=5)
    if not page.get("models") or not all("selections" in m for m in page["models"]):
        raise DemoFailed("search with sections did not give each model's pricing")

    s.heading(f"Create the model '{name}' by labels, no ids")
    created = await s.call(
        "create_models",
        {
            "models": [
                {
                    "name": name,
                    "description": f"Demo model {marker} created through MCP",
                    "provider_ids": ["openai"],
                    "modality_ids": ["text (input)", "text (output)"],
                    "temperature_level_ids": ["0.7"],
                    "pricing_ids": ["input: 0.25 per million_text"],
                    "department_ids": ["Organization"],
                }
            ]
        },
    )
    model_id = created["results"][0]["model_id"]

    s.heading("Read it back by its name (compact: its own selections, label = id)")
    read = await s.call("get_model", {"model_id": name}, lines=12)
    if read.get("model_id") != model_id:
        raise DemoFailed(f"reading {name} by name gave another model")

    s.heading("Save a draft from it that changes only the modalities, and see what it changes")
    draft = await s.call(
        "patch_model_draft", {"base_model_id": name, "modality_ids": ["text (input)", "image (input)"]}
    )
    changed = await s.call("get_model", {"model_id": name, "draft_id": draft["draft_id"]}, lines=3)
    if list(changed.get("changes", {})) != ["modalities"]:
        raise DemoFailed(f"the draft should change only the modalities: {changed.get('changes')}")

    s.heading("Apply it: update the modalities and the description")
    await s.call(
        "update_models",
        {
            "models": [
                {
                    "model_id": name,
                    "modality_ids": ["text (input)", "image (input)"],
                    "description": f"Updated demo model {marker}",
                }
            ]
        },
    )
    again = await s.call("search_models", {"search": f"Updated demo model {marker}"})
    if again.get("total_count") != 1:
        raise DemoFailed("the updated description is not searchable")

    s.heading("Duplicate it")
    copy = await s.call("duplicate_model", {"model_id": name})

    s.heading("Export the catalog and read the CSV resource")
    export = await s.call("export_models", {})
    csv_text = (await client.read_resource(f"glow://exports/{export['upload_id']}")).contents[0].text
    rows = csv_text.strip().splitlines()
    _print(f"   CSV: {len(rows) - 1} data rows (row_count {export['row_count']}); header: {_shorten(rows[0], 90)}")
    for row in [r for r in rows if marker in r][:2]:
        _print(f"     {_shorten(row, 96)}")
    if len(rows) - 1 != export["row_count"]:
        raise DemoFailed("CSV rows differ from row_count")

    s.heading("Delete the model and its copy by name (permanent)")
    await s.call("delete_models", {"model_ids": [name, copy.get("name") or copy["model_id"]]})
    gone = await s.call("search_models", {"search": marker})
    if gone.get("total_count", 0) != 0:
        raise DemoFailed("deleted models are still found")

    s.heading("An agent mistake: a label that matches two options lists the candidates; nothing is written")
    await s.call("create_models", {"models": [{"name": name, "modality_ids": ["text"]}]}, expect_error=True, lines=5)

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
