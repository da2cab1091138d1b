"""The official TypeScript SDK client (tests/foreign, pinned 1.32.2) at every handshake-era
protocol version (issue 12, item 3).

``tests/foreign/versions.mjs`` rewrites the version its client offers in ``initialize``, so our
server negotiates the older version; the client lists tools, calls export_models and reads the
export through the URI the result gives (a ``resource_link`` where the version has it, else the
text block that replaces it). Over stdio for each version, over streamable HTTP for 2025-03-26.

(TypeScript SDK 1.11, whose client speaks at most 2025-03-26, threw a ZodError on the
``resource_link`` block that our server sent before results were shaped per version.)

Skipped, with the reason, when ``node`` or ``tests/foreign/node_modules`` is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rawrpc import HANDSHAKE_VERSIONS, env_for, http_server, server_command

FOREIGN = Path(__file__).resolve().parent / "foreign"
NODE = shutil.which("node")

if NODE is None:
    pytest.skip("Node.js is not installed: foreign-client version checks skipped", allow_module_level=True)
if not (FOREIGN / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
    pytest.skip("tests/foreign/node_modules is missing: run `npm ci --prefix tests/foreign`", allow_module_level=True)

#: The export's resource_link is part of what is shaped per version, so every client gets it here
#: (by default only clients known to handle one do: tests/test_frameworks.py).
LINKS_ON = {"GLOW_MCP_RESOURCE_LINKS": "on"}
TITLED = ("2025-06-18", "2025-11-25")


def _run(version: str, *target: str, env: dict[str, str]) -> dict[str, Any]:
    assert NODE is not None
    proc = subprocess.run(
        [NODE, "versions.mjs", version, *target], cwd=FOREIGN, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check(version: str, summary: dict[str, Any]) -> None:
    assert summary["negotiated"] == version
    assert summary["csv_header"].startswith("model_id,name,")
    if version in TITLED:
        assert summary["content_types"] == ["text", "resource_link"] and summary["structured"] is True
        assert {"title", "outputSchema"} <= set(summary["tool_keys"])
    else:
        assert (
            summary["content_types"] == ["text", "text", "text"] and summary["structured"] is False
        )  # summary, link as text, data as JSON
        assert not {"title", "outputSchema"} & set(summary["tool_keys"])
        assert ("annotations" in summary["tool_keys"]) == (version == "2025-03-26")
        assert summary["server_info_keys"] == ["name", "version"]


@pytest.mark.parametrize("version", HANDSHAKE_VERSIONS)
def test_typescript_client_over_stdio(sandbox: Any, version: str) -> None:
    _check(version, _run(version, "stdio", *server_command(), env=env_for(sandbox.url, **LINKS_ON)))


def test_typescript_client_over_http(sandbox: Any) -> None:
    with http_server(env_for(sandbox.url, **LINKS_ON)) as url:
        _check("2025-03-26", _run("2025-03-26", "http", url, env=env_for(sandbox.url, **LINKS_ON)))
