"""``--sandbox --sandbox-db PATH`` (``GLOW_MCP_SANDBOX_DB``): the sandbox's data in a file, for
clients that start one server process per call (issue 15, item 4).

Over stdio, each server a subprocess: a model created by one process is found by the next; two
processes started at once on a new file seed it once and both write to it; a file that is not a
sandbox database stops the server with a configuration error. In process: the setting's rules.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from rawrpc import StdioSession
from support import clean_env, server_command, unique

from glow_models_mcp.cli import EXIT_CONFIG, build_parser, load_settings
from glow_models_mcp.sandbox.store import Database, load_seed_catalog
from glow_models_mcp.settings import Settings

SEEDED_MODELS = len(load_seed_catalog()["models"])


def _args(db: Path) -> tuple[str, ...]:
    return ("--sandbox", "--sandbox-db", str(db))


def _tool(session: StdioSession, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    answer = session.call("tools/call", {"name": name, "arguments": arguments})
    result = answer["result"]
    assert result["isError"] is False, result["content"][0]["text"]
    return result["structuredContent"]  # type: ignore[no-any-return]


def _create(session: StdioSession, name: str) -> str:
    item = {"name": name, "provider_ids": ["openai"], "modality_ids": ["text (input)", "text (output)"]}
    created = _tool(session, "create_models", {"models": [item]})
    return created["results"][0]["model_id"]  # type: ignore[no-any-return]


def _models(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:  # read apart from the servers, after they have exited
        return [r[0] for r in conn.execute("SELECT id FROM model_artifact")]


@pytest.mark.process
def test_a_model_created_in_one_process_is_found_by_the_next(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    name = unique("kept")
    with StdioSession(clean_env(), args=_args(db)) as first:
        model_id = _create(first, name)
        stderr = first.close()
    assert f"(database {db})" in stderr
    with StdioSession(clean_env(), args=_args(db)) as second:
        found = _tool(second, "search_models", {"search": name})
        second.close()
    assert [m["model_id"] for m in found["models"]] == [model_id]
    assert len(_models(db)) == SEEDED_MODELS + 1  # seeded once, by the first process


@pytest.mark.process
def test_processes_started_together_on_a_new_file_seed_it_once_and_share_it(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite3"
    sessions: list[StdioSession] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            sessions.append(StdioSession(clean_env(GLOW_MCP_SANDBOX="true", GLOW_MCP_SANDBOX_DB=str(db))))
        except BaseException as exc:
            errors.append(exc)

    starters = [threading.Thread(target=start) for _ in range(3)]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join(timeout=120)
    try:
        assert not errors and len(sessions) == 3
        names = [unique("shared") for _ in sessions]
        writers = [threading.Thread(target=_create, args=(s, n)) for s, n in zip(sessions, names, strict=True)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join(timeout=120)
        for session, name in zip(sessions, names, strict=True):  # each process sees every other's model
            for other in names:
                assert len(_tool(session, "search_models", {"search": other})["models"]) == 1, (name, other)
    finally:
        for session in sessions:
            session.close()
    assert len(_models(db)) == SEEDED_MODELS + len(names)


@pytest.mark.process
def test_a_file_that_is_not_a_sandbox_database_is_a_configuration_error(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    proc = subprocess.run(server_command(*_args(other)), input=b"", capture_output=True, env=clean_env(), timeout=60)
    assert proc.returncode == EXIT_CONFIG and proc.stdout == b""
    assert f"GLOW_MCP_SANDBOX_DB {other}: an SQLite database of something else" in proc.stderr.decode()
    with sqlite3.connect(other) as conn:  # left as it was
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_the_flag_and_the_variable_set_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "a.sqlite3"
    settings = load_settings(build_parser().parse_args(["--sandbox", "--sandbox-db", str(db)]))
    assert settings.sandbox and settings.sandbox_db == str(db)
    monkeypatch.setenv("GLOW_MCP_SANDBOX", "true")
    monkeypatch.setenv("GLOW_MCP_SANDBOX_DB", "~/glow.sqlite3")
    assert Settings().sandbox_db == str(Path.home() / "glow.sqlite3")
    monkeypatch.setenv("GLOW_MCP_SANDBOX_DB", " ")
    assert Settings().sandbox_db is None


def test_a_file_without_sandbox_is_refused_naming_both_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOW_MCP_SANDBOX_DB", "/tmp/x.sqlite3")
    with pytest.raises(ValueError, match=r"GLOW_MCP_SANDBOX_DB \(--sandbox-db\) is the database of --sandbox"):
        Settings()


def test_a_reopened_file_keeps_its_data_and_is_not_seeded_again(tmp_path: Path) -> None:
    db = tmp_path / "reopen.sqlite3"
    first = Database(str(db))
    first.conn.execute("DELETE FROM model_artifact WHERE id = (SELECT id FROM model_artifact LIMIT 1)")
    first.close()
    second = Database(str(db))
    try:
        assert second.conn.execute("SELECT count(*) FROM model_artifact").fetchone()[0] == SEEDED_MODELS - 1
        assert second.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        second.close()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_text(json.dumps({"not": "a database"}) * 100)
    with pytest.raises(sqlite3.DatabaseError):
        Database(str(junk))
