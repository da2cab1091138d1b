"""The README's generated tables (tools from ``TOOL_SPECS``, configuration from ``Settings``) are
up to date, and the generator really draws on those sources."""

from __future__ import annotations

import pytest
from support import REPO

from glow_models_mcp.settings import Settings
from glow_models_mcp.tools import TOOL_SPECS
from scripts import readme


def test_readme_tables_are_up_to_date() -> None:
    current = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.render(current) == current, f"README.md tables are stale: run `{readme.COMMAND}` and commit"


def test_the_tool_table_has_one_row_per_tool_spec_in_order() -> None:
    rows = readme.tools_table().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == [spec.name for spec in TOOL_SPECS]
    for row, spec in zip(rows, TOOL_SPECS, strict=True):
        assert f"`{spec.operation.method} …/{spec.operation.path.rsplit('/', 1)[1]}`" in row
        assert ("| read-only |" in row) is bool(spec.annotations.read_only_hint)


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
