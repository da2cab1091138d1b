"""The export result through agent frameworks (issue 15, item 3), and the README's framework
snippets (item 5).

``export_models`` adds a ``resource_link`` to ``glow://exports/{upload_id}`` only where it is safe
(``GLOW_MCP_RESOURCE_LINKS``: ``auto`` sends it to clients known to handle one, by
``clientInfo.name``); its text always names the URI. Checked here:

* in process, for each setting, era and client name: whether the link is sent, and that the text
  names the URI;
* through LangChain (langchain-mcp-adapters 0.3.2 over stdio, in ``tests/frameworks``' own
  environment because it needs mcp below 2): the ToolMessage, then the request payloads that
  langchain-openai (Chat Completions) and langchain-google-genai build from it, offline. With the
  default the payloads build; with the link forced on, the OpenAI formatter refuses the file URL
  and the Gemini one tries to download ``glow://`` (why the default leaves it out);
* the README's LangChain, openai-agents and pydantic-ai snippets, connection, listing and one call
  (no model), against ``--sandbox``.

The LangChain environment is created from ``tests/frameworks/uv.lock`` (``uv sync --locked``);
the LangChain tests are skipped, saying why, where ``uv`` is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import REPO, clean_env, server_command

from glow_models_mcp.tools import LINK_CLIENTS, TOOL_NAMES, sends_links

FRAMEWORKS = REPO / "tests" / "frameworks"
EXPORT_URI = re.compile(r"glow://exports/([0-9a-f-]{36})")


# --- the setting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "name", "sent"),
    [
        ("auto", "Visual Studio Code", True),
        ("auto", "Visual Studio Code - Insiders", True),
        ("auto", "claude-code", True),
        ("auto", "mcp-inspector", True),
        ("auto", "mcp", False),  # the Python SDK's default: langchain-mcp-adapters, openai-agents, llama-index
        ("auto", "fastmcp", False),  # pydantic-ai
        ("auto", "claude-ai", False),  # Claude Desktop ignores links (the text says it all)
        ("auto", None, False),  # no clientInfo (e.g. a stateless HTTP request)
        ("auto", "", False),
        ("on", None, True),
        ("on", "mcp", True),
        ("off", "Visual Studio Code", False),
    ],
)
def test_which_clients_get_the_link(setting: str, name: str | None, sent: bool) -> None:
    assert sends_links(setting, name) is sent
    assert all(prefix == prefix.lower() for prefix in LINK_CLIENTS)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "auto"])  # initialize (2025-11-25) / per-request _meta (2026-07-28)
@pytest.mark.parametrize(
    ("setting", "name", "sent"),
    [("auto", "Visual Studio Code", True), ("auto", "mcp", False), ("on", "mcp", True), ("off", "claude-code", False)],
)
async def test_the_link_follows_the_setting_and_the_client(
    reference_api: Any, mode: str, setting: str, name: str, sent: bool
) -> None:
    from mcp import Client
    from mcp.types import Implementation

    server = reference_api.server(resource_links=setting)
    async with Client(server, mode=mode, client_info=Implementation(name=name, version="1.0")) as client:
        result = await client.call_tool("export_models", {})
    assert result.is_error is False
    upload_id = result.structured_content["upload_id"]
    assert f"glow://exports/{upload_id}" in result.content[0].text
    links = [c for c in result.content if c.type == "resource_link"]
    assert [str(link.uri) for link in links] == ([f"glow://exports/{upload_id}"] if sent else [])


# --- LangChain through langchain-mcp-adapters ---------------------------------------------------------


@pytest.fixture(scope="module")
def langchain_python() -> Path:
    """The interpreter of ``tests/frameworks``' environment, synced from its lock file."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed: the LangChain checks need tests/frameworks' environment (mcp below 2)")
    env = clean_env(drop=("GLOW_", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"))
    proc = subprocess.run(
        [uv, "sync", "--locked", "--quiet", "--project", str(FRAMEWORKS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    bindir = "Scripts" if os.name == "nt" else "bin"
    return FRAMEWORKS / ".venv" / bindir / ("python.exe" if os.name == "nt" else "python")


def _langchain_export(python: Path, **env: str) -> dict[str, Any]:
    proc = subprocess.run(
        [str(python), str(FRAMEWORKS / "langchain_export.py"), *server_command("--sandbox")],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.process
def test_langchain_export_result_builds_openai_and_gemini_requests(langchain_python: Path) -> None:
    out = _langchain_export(langchain_python)
    assert "export_models" in out["tools"]
    assert [block["type"] for block in out["content"]] == ["text"]
    assert EXPORT_URI.search(out["content"][0]["text"]), out["content"][0]["text"]
    assert out["openai"] == "ok"
    assert out["gemini"] == "ok"


@pytest.mark.process
def test_langchain_with_the_link_forced_on_breaks_both_formatters(langchain_python: Path) -> None:
    """Why ``auto`` leaves langchain-mcp-adapters (clientInfo ``mcp``) out: the link becomes a file
    block with the ``glow://`` URL, which neither formatter can send."""
    out = _langchain_export(langchain_python, GLOW_MCP_RESOURCE_LINKS="on")
    text, file_block = out["content"]
    found = EXPORT_URI.search(text["text"])
    assert found and file_block["type"] == "file" and file_block["url"] == found.group(0)
    assert file_block["mime_type"] == "text/csv"
    assert "does not support file URLs" in out["openai"]
    assert out["gemini"] != "ok" and "glow://exports/" in out["gemini"]


# --- the README's snippets ------------------------------------------------------------------------------


def readme_snippet(marker: str) -> str:
    """The README's Python code block that follows ``<!-- snippet: marker -->``."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- snippet: {re.escape(marker)} -->\s*```python\n(.*?)```", readme, re.DOTALL)
    assert found, f"README.md has no snippet {marker!r}"
    return found.group(1)


def _run_snippet(python: Path | str, marker: str, cwd: Path) -> str:
    """Run the README snippet ``marker`` without its lines marked ``# calls the model``, with
    ``uvx glow-models-mcp`` replaced by this checkout's server; return its stdout."""
    lines = [line for line in readme_snippet(marker).splitlines() if not line.endswith("# calls the model")]
    command, *args = server_command()
    code = "\n".join(lines).replace('"uvx"', json.dumps(command)).replace('["glow-models-mcp", ', f"[*{args!r}, ")
    assert json.dumps(command) in code and repr(args) in code, "the snippet no longer starts uvx glow-models-mcp"
    proc = subprocess.run(
        [str(python), "-c", code],
        env=clean_env(OPENAI_API_KEY="offline-test"),  # the agents are built, never run
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _check_snippet_output(stdout: str) -> None:
    count, rest = stdout.strip().split(" tools;", 1)
    assert int(count) == len(TOOL_NAMES)
    assert "gpt" in rest.lower(), rest


@pytest.mark.process
def test_readme_langchain_snippet_connects_lists_and_calls(langchain_python: Path, tmp_path: Path) -> None:
    _check_snippet_output(_run_snippet(langchain_python, "langchain", tmp_path))
    assert (tmp_path / "glow-sandbox.sqlite3").is_file()  # --sandbox-db: kept between its server processes


@pytest.mark.process
def test_readme_openai_agents_snippet_connects_lists_and_calls(tmp_path: Path) -> None:
    pytest.importorskip("agents", reason="the frameworks group (uv sync --all-groups) is not installed")
    _check_snippet_output(_run_snippet(sys.executable, "openai-agents", tmp_path))


@pytest.mark.process
def test_readme_pydantic_ai_snippet_connects_lists_and_calls(tmp_path: Path) -> None:
    pytest.importorskip("pydantic_ai", reason="the frameworks group (uv sync --all-groups) is not installed")
    _check_snippet_output(_run_snippet(sys.executable, "pydantic-ai", tmp_path))
