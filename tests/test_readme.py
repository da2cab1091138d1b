"""The README's generated tables (tools from ``TOOL_SPECS``, configuration from ``Settings``), the
tool names in ``server.json`` and the derived fields of ``manifest.json`` are up to date, and the
generator really draws on those sources (the manifest's in ``tests/test_bundle.py``)."""

from __future__ import annotations

import json

import pytest
from support import REPO

from glow_models_mcp.settings import Settings
from glow_models_mcp.tools import TOOL_NAMES, TOOL_SPECS
from scripts import readme

MODELS_BASE = "/api/v5/artifacts/models"


def test_readme_tables_are_up_to_date() -> None:
    current = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.render(current) == current, f"README.md tables are stale: run `{readme.COMMAND}` and commit"


def test_the_tool_table_has_one_row_per_tool_spec_in_order() -> None:
    rows = readme.tools_table().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == [spec.name for spec in TOOL_SPECS]
    for row, spec in zip(rows, TOOL_SPECS, strict=True):
        path = spec.operation.path  # under the models base shortened to "…/<name>", elsewhere in full
        route = path.replace(MODELS_BASE, "…", 1) if path.startswith(MODELS_BASE + "/") else path
        assert f"`{spec.operation.method} {route}`" in row
        assert ("| read-only |" in row) is bool(spec.annotations.read_only_hint)


def test_server_json_tool_names_are_up_to_date() -> None:
    current = (REPO / "server.json").read_text(encoding="utf-8")
    assert readme.render_server_json(current) == current, f"server.json is stale: run `{readme.COMMAND}` and commit"


def test_manifest_json_is_up_to_date() -> None:
    current = (REPO / "manifest.json").read_text(encoding="utf-8")
    assert readme.render_manifest(current) == current, f"manifest.json is stale: run `{readme.COMMAND}` and commit"


def test_server_json_names_every_tool_in_order() -> None:
    (package,) = json.loads(readme.render_server_json((REPO / "server.json").read_text(encoding="utf-8")))["packages"]
    (tools,) = [v for v in package["environmentVariables"] if v["name"] == "GLOW_MCP_TOOLS"]
    names = tools["description"].split("Valid names: ", 1)[1].split(".", 1)[0]
    assert names.split(", ") == list(TOOL_NAMES)
    stale = (REPO / "server.json").read_text(encoding="utf-8").replace("Valid names: ", "Valid names: old_tool, ", 1)
    assert "old_tool" not in readme.render_server_json(stale)
    with pytest.raises(ValueError, match="GLOW_MCP_TOOLS"):
        readme.render_server_json('{"packages": []}')


def test_the_configuration_table_has_one_row_per_setting_with_its_flag_and_default() -> None:
    rows = {row.split("`")[1]: row for row in readme.config_table().splitlines()[2:]}
    assert list(rows) == [f.validation_alias for f in Settings.model_fields.values()]
    assert "| `--timeout` | `30` |" in rows["GLOW_TIMEOUT"]
    assert "| `--read-only` | `false` |" in rows["GLOW_MCP_READ_ONLY"]
    assert "(secret)" in rows["GLOW_TOKEN"] and "(secret)" not in rows["GLOW_INSTANCE_URL"]


def test_a_stale_table_is_rewritten_and_the_text_around_it_kept() -> None:
    stale = "intro\n<!-- tools-table:start -->\n| old |\n<!-- tools-table:end -->\nmiddle\n"
    stale += "<!-- config-table:start --><!-- config-table:end -->\nend\n"
    fresh = readme.render(stale)
    assert fresh.startswith("intro\n<!-- tools-table:start -->\n") and fresh.endswith("-->\nend\n")
    assert "| old |" not in fresh and readme.tools_table() in fresh and readme.config_table() in fresh
    assert readme.render(fresh) == fresh


def test_missing_markers_are_an_error() -> None:
    with pytest.raises(ValueError, match="tools-table"):
        readme.render("no markers here")


def test_first_sentence() -> None:
    assert readme.first_sentence("Create models. Each item needs a name.") == "Create models."
    assert readme.first_sentence("Copy it (e.g. twice). Then stop.") == "Copy it (e.g. twice)."
    assert readme.first_sentence("One line only") == "One line only"
