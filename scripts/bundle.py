"""Build the MCP Bundle ``dist/glow-models-mcp-<version>.mcpb`` for Claude Desktop and other MCPB hosts.

    uv run python -m scripts.bundle                 # -> dist/glow-models-mcp-<version>.mcpb
    uv run python -m scripts.bundle --out-dir DIR   # -> DIR/glow-models-mcp-<version>.mcpb

The official ``mcpb`` CLI (``@anthropic-ai/mcpb``, pinned in ``tests/foreign/package.json``; install it
with ``npm ci --prefix tests/foreign``) validates ``manifest.json`` and packs the repository root,
leaving out what ``.mcpbignore`` says: the bundle holds ``manifest.json``, ``pyproject.toml``,
``uv.lock``, ``README.md``, ``LICENSE`` and ``src/`` (the ``uv`` server type: the host installs the
dependencies with uv). The name and version come from ``pyproject.toml``. ``manifest.json`` must be
current (``uv run python -m scripts.readme``) or nothing is built.

A developer script: not shipped in the wheel or the sdist.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from scripts.readme import COMMAND as README_COMMAND
from scripts.readme import MANIFEST_JSON, PYPROJECT, REPO, render_manifest

FOREIGN = REPO / "tests" / "foreign"
#: The pinned CLI's entry script, run with ``node`` (portable; no ``.bin`` shim needed).
MCPB_CLI = FOREIGN / "node_modules" / "@anthropic-ai" / "mcpb" / "dist" / "cli" / "cli.js"
COMMAND = "uv run python -m scripts.bundle"


class BundleError(Exception):
    """The bundle cannot be built (a missing tool, a stale manifest, or the CLI failed); the message says why."""


def bundle_name() -> str:
    """``glow-models-mcp-<version>.mcpb``, from ``pyproject.toml``'s name and version."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return f"{project['name']}-{project['version']}.mcpb"


def mcpb_command(*args: str) -> list[str]:
    """The command line that runs the pinned ``mcpb`` CLI with ``args``.

    Raises:
        BundleError: when ``node`` or the CLI (``npm ci --prefix tests/foreign``) is missing.
    """
    node = shutil.which("node")
    if node is None:
        raise BundleError("Node.js (node) is not installed; the mcpb CLI needs it")
    if not MCPB_CLI.is_file():
        raise BundleError(f"the mcpb CLI is not installed: run `npm ci --prefix {FOREIGN.relative_to(REPO)}`")
    return [node, str(MCPB_CLI), *args]


def build(out_dir: Path) -> Path:
    """Validate ``manifest.json`` and pack the bundle into ``out_dir``; the bundle's path.

    Raises:
        BundleError: when ``manifest.json`` is stale, the CLI is missing, or validation or packing fails
            (the message carries the CLI's output).
    """
    current = MANIFEST_JSON.read_text(encoding="utf-8")
    if render_manifest(current) != current:
        raise BundleError(f"manifest.json is stale: run `{README_COMMAND}`")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir.resolve() / bundle_name()
    for args in (("validate", str(MANIFEST_JSON)), ("pack", str(REPO), str(target))):
        proc = subprocess.run(mcpb_command(*args), cwd=REPO, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise BundleError(f"mcpb {args[0]} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out-dir", type=Path, default=REPO / "dist", help="where to write the bundle (default: dist/)"
    )
    args = parser.parse_args(argv)
    try:
        path = build(args.out_dir)
    except BundleError as exc:
        print(f"{COMMAND}: {exc}", file=sys.stderr)
        return 1
    print(f"{path} ({path.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
