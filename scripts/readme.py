"""Generate the README's tool table (from ``TOOL_SPECS``) and configuration table (from ``Settings``),
the tool names in ``server.json`` (from ``TOOL_SPECS``) and the derived fields of ``manifest.json``.

    uv run python -m scripts.readme            # rewrite the tables in README.md, server.json, manifest.json
    uv run python -m scripts.readme --check    # exit 1 if any is stale (what the tests check)

Each table sits between HTML comment markers (``<!-- tools-table:start -->`` ...
``<!-- tools-table:end -->``, ``<!-- config-table:start -->`` ... ``<!-- config-table:end -->``);
the text around them is left alone. The facts come from where they are defined:

* tools: name, the upstream method and path (``ToolSpec.operation``), the hints (annotations) and
  the first sentence of the description;
* configuration: the environment variable (``validation_alias``), the command-line flag (the
  option of ``cli.build_parser()`` whose ``dest`` is the field), the default, and the field's
  description (``(secret)`` added for ``SecretStr`` fields);
* ``server.json``: the sentence ``Valid names: ...`` in the description of ``GLOW_MCP_TOOLS`` lists
  every tool name in ``TOOL_SPECS`` order (the rest of the file is written by hand, and checked by
  ``tests/test_packaging.py``);
* ``manifest.json`` (the MCP Bundle's manifest, see :func:`render_manifest`): the tools and prompts,
  the version and the other package facts from ``pyproject.toml``, and the environment that each
  ``user_config`` field fills in (from ``Settings``). Titles, descriptions and the command stay
  hand-written (checked by ``tests/test_bundle.py``).

A developer script: not shipped in the wheel or the sdist.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
import typing
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_core import PydanticUndefined

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SERVER_JSON = REPO / "server.json"
MANIFEST_JSON = REPO / "manifest.json"
PYPROJECT = REPO / "pyproject.toml"
COMMAND = "uv run python -m scripts.readme"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_VALID_NAMES = re.compile(r"Valid names: [^.]*\.")


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (no pipes, no HTML tags, one line)."""
    text = " ".join(text.split())
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (up to the first ``.``/``!``/``?`` followed by a capital)."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def _hints(annotations: Any) -> str:
    if annotations.read_only_hint:
        return "read-only"
    hints = [
        name
        for name, on in (("destructive", annotations.destructive_hint), ("idempotent", annotations.idempotent_hint))
        if on
    ]
    return ", ".join(hints) or "write"


def tools_table() -> str:
    """The Markdown table of every tool in ``TOOL_SPECS``, in their order."""
    from glow_models_mcp.tools import TOOL_SPECS

    rows = ["| Tool | Upstream | Hints | What it does |", "|---|---|---|---|"]
    for spec in TOOL_SPECS:
        op = spec.operation
        route = re.sub(r"^/api/v5/artifacts/models", "…", op.path)
        rows.append(
            f"| `{spec.name}` | `{op.method} {route}` | {_hints(spec.annotations)} | {_cell(first_sentence(spec.description))} |"
        )
    return "\n".join(rows)


def _flags() -> dict[str, str]:
    """Settings field name -> its long command-line option (serve options of the main parser)."""
    from glow_models_mcp.cli import build_parser

    flags = {}
    for action in build_parser()._actions:
        longs = [o for o in action.option_strings if o.startswith("--")]
        if longs and action.dest not in ("help", "version"):
            flags[action.dest] = longs[0]
    return flags


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in typing.get_args(annotation)


def _default(field: Any) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
    elif field.default is PydanticUndefined:
        return ""
    else:
        value = field.default
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def config_table() -> str:
    """The Markdown table of every ``Settings`` field, in declaration order."""
    from glow_models_mcp.settings import Settings

    flags = _flags()
    rows = ["| Environment variable | Flag | Default | Meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        env = field.validation_alias
        if not isinstance(env, str):
            raise ValueError(f"Settings.{name} has no environment variable (validation_alias)")
        if not field.description:
            raise ValueError(f"Settings.{name} ({env}) has no description: add one in settings.py")
        meaning = field.description
        if _is_secret(field.annotation):
            meaning = meaning[:-1] + " (secret)." if meaning.endswith(".") else meaning + " (secret)"
        flag = f"`{flags[name]}`" if name in flags else ""
        rows.append(f"| `{env}` | {flag} | {_default(field)} | {_cell(meaning)} |")
    return "\n".join(rows)


TABLES = {"tools-table": tools_table, "config-table": config_table}


def render(readme: str) -> str:
    """``readme`` with every marked table regenerated.

    Raises:
        ValueError: when a table's start/end markers are missing or out of order.
    """
    for marker, build in TABLES.items():
        start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
        i, j = readme.find(start), readme.find(end)
        if i < 0 or j < i:
            raise ValueError(f"README.md lacks the markers {start} ... {end}")
        note = f"<!-- generated by `{COMMAND}` from the source; edit the source, not this table -->"
        readme = readme[: i + len(start)] + f"\n{note}\n\n{build()}\n\n" + readme[j:]
    return readme


def render_server_json(text: str) -> str:
    """``server.json`` (its ``text``) with the ``Valid names: ...`` sentence of ``GLOW_MCP_TOOLS``
    listing every tool of ``TOOL_SPECS``, written as the file is (2-space JSON, a final newline).

    Raises:
        ValueError: when no package variable ``GLOW_MCP_TOOLS`` has that sentence.
    """
    from glow_models_mcp.tools import TOOL_NAMES

    doc = json.loads(text)
    found = False
    for package in doc.get("packages", []):
        for var in package.get("environmentVariables", []):
            if var.get("name") == "GLOW_MCP_TOOLS" and _VALID_NAMES.search(var.get("description", "")):
                var["description"] = _VALID_NAMES.sub(f"Valid names: {', '.join(TOOL_NAMES)}.", var["description"])
                found = True
    if not found:
        raise ValueError("server.json: no GLOW_MCP_TOOLS variable whose description says 'Valid names: ...'")
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


#: ``Settings`` annotations -> the ``user_config`` type of the manifest.
_USER_CONFIG_TYPES = {bool: "boolean", int: "number", float: "number"}
_USER_CONFIG_PLACEHOLDER = re.compile(r"^\$\{user_config\.([^}]+)\}$")


def manifest_tools() -> list[dict[str, str]]:
    """The manifest's ``tools``: every tool of ``TOOL_SPECS`` with the first sentence of its description."""
    from glow_models_mcp.tools import TOOL_SPECS

    return [{"name": spec.name, "description": first_sentence(spec.description)} for spec in TOOL_SPECS]


def manifest_prompts() -> list[dict[str, Any]]:
    """The manifest's ``prompts``: every prompt the server registers with all tools on, as the server
    renders it with each argument given as the manifest's placeholder ``${arguments.<name>}``.

    The prompts are registered on a bare ``MCPServer`` (no state, no I/O) and rendered by the SDK.
    """
    import anyio
    from mcp.server.mcpserver import MCPServer
    from mcp.types import TextContent

    from glow_models_mcp.resources import register_prompts

    server: MCPServer[Any] = MCPServer(name="manifest")
    register_prompts(server, read_only=False)

    async def collect() -> list[dict[str, Any]]:
        entries = []
        for prompt in await server.list_prompts():
            names = [arg.name for arg in prompt.arguments or []]
            result = await server.get_prompt(prompt.name, {n: f"${{arguments.{n}}}" for n in names})
            texts = [m.content.text for m in getattr(result, "messages", []) if isinstance(m.content, TextContent)]
            entries.append({"name": prompt.name, "description": prompt.description or "", "arguments": names})
            entries[-1]["text"] = "\n\n".join(texts)
        return entries

    return anyio.run(collect)


def _user_config_env(doc: dict[str, Any]) -> dict[str, str]:
    """``mcp_config.env`` of ``doc``: its fixed entries, then ``<GLOW_* variable>: ${user_config.<field>}``
    for every ``user_config`` field (a ``Settings`` field name), with each field's type, sensitivity and
    default set from ``Settings`` in ``doc`` on the way.

    Every field is optional (``required: false``): with the sandbox on none is needed, and a host
    does not start a bundle whose required field is empty. A field without a default would reach
    the server as the literal text ``${user_config.<field>}`` when left empty (the host substitutes
    given values and defaults only), so each gets its ``Settings`` default, ``""`` for ``None``,
    which ``Settings`` reads as unset.

    Raises:
        ValueError: when a ``user_config`` key is not a ``Settings`` field.
    """
    from glow_models_mcp.settings import Settings

    env = {
        k: v
        for k, v in doc["server"]["mcp_config"].get("env", {}).items()
        if not _USER_CONFIG_PLACEHOLDER.match(str(v))
    }
    for key, option in doc.get("user_config", {}).items():
        field = Settings.model_fields.get(key)
        if field is None or not isinstance(field.validation_alias, str):
            raise ValueError(f"manifest.json: user_config.{key} is not a Settings field")
        args = [a for a in typing.get_args(field.annotation) if a is not type(None)] or [field.annotation]
        option["type"] = _USER_CONFIG_TYPES.get(args[0], "string")
        if _is_secret(field.annotation):
            option["sensitive"] = True
        else:
            option.pop("sensitive", None)
        option["required"] = False
        default = field.get_default(call_default_factory=True)
        option["default"] = "" if default is None else default
        env[field.validation_alias] = f"${{user_config.{key}}}"
    return env


def render_manifest(text: str) -> str:
    """``manifest.json`` (its ``text``) with its derived fields regenerated, written as the file is
    (2-space JSON, a final newline):

    * from ``pyproject.toml``: ``name``, ``version``, ``description``, ``author``, ``license``,
      ``keywords``, ``homepage``/``repository``/``support``/``documentation`` (the project URLs) and
      ``compatibility.runtimes.python`` (``requires-python``);
    * ``display_name``: the ``title`` of ``server.json``;
    * ``tools`` (:func:`manifest_tools`) and ``prompts`` (:func:`manifest_prompts`);
    * ``server.mcp_config.env`` and the type, sensitivity and default of each ``user_config`` field
      (``_user_config_env``).

    Raises:
        ValueError: when a ``user_config`` key is not a ``Settings`` field.
    """
    doc = json.loads(text)
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    urls = project["urls"]
    doc["name"] = project["name"]
    doc["display_name"] = json.loads(SERVER_JSON.read_text(encoding="utf-8"))["title"]
    doc["version"] = project["version"]
    doc["description"] = project["description"]
    doc["author"] = {"name": project["authors"][0]["name"]}
    doc["repository"] = {"type": "git", "url": urls["Repository"]}
    doc["homepage"] = urls["Homepage"]
    doc["documentation"] = f"{urls['Repository']}#readme"
    doc["support"] = urls["Issues"]
    doc["license"] = project["license"]
    doc["keywords"] = project["keywords"]
    doc["tools"] = manifest_tools()
    doc["prompts"] = manifest_prompts()
    doc.setdefault("compatibility", {}).setdefault("runtimes", {})["python"] = project["requires-python"]
    doc["server"]["mcp_config"]["env"] = _user_config_env(doc)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if README.md, server.json or manifest.json is not up to date"
    )
    args = parser.parse_args(argv)
    stale = 0
    for path, build in ((README, render), (SERVER_JSON, render_server_json), (MANIFEST_JSON, render_manifest)):
        current = path.read_text(encoding="utf-8")
        fresh = build(current)
        if fresh == current:
            continue
        if args.check:
            print(f"{path.name} is stale: run `{COMMAND}`", file=sys.stderr)
            stale = 1
        else:
            path.write_text(fresh, encoding="utf-8")
            print(f"{path.name} updated", file=sys.stderr)
    return stale


if __name__ == "__main__":
    sys.exit(main())
