"""Generate the README's tool table (from ``TOOL_SPECS``) and configuration table (from ``Settings``).

    uv run python -m scripts.readme            # rewrite the tables in README.md
    uv run python -m scripts.readme --check    # exit 1 if README.md is stale (what the test checks)

Each table sits between HTML comment markers (``<!-- tools-table:start -->`` ...
``<!-- tools-table:end -->``, ``<!-- config-table:start -->`` ... ``<!-- config-table:end -->``);
the text around them is left alone. The facts come from where they are defined:

* tools: name, the upstream method and path (``ToolSpec.operation``), the hints (annotations) and
  the first sentence of the description;
* configuration: the environment variable (``validation_alias``), the command-line flag (the
  option of ``cli.build_parser()`` whose ``dest`` is the field), the default, and the field's
  description (``(secret)`` added for ``SecretStr`` fields).

A developer script: not shipped in the wheel or the sdist.
"""

from __future__ import annotations

import argparse
import re
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_core import PydanticUndefined

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
COMMAND = "uv run python -m scripts.readme"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is not up to date")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        if fresh != current:
            print(f"README.md is stale: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        README.write_text(fresh, encoding="utf-8")
        print("README.md updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
