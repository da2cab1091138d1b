"""Limits (issue 12, item 6): the export CSV resource has a size cap, and credentials the upstream
echoes in a successful answer are scrubbed like those in error bodies.

On the wire (raw JSON-RPC over a stdio subprocess) against the reference API:

* ``GLOW_MCP_MAX_RESOURCE_BYTES`` (default 4 MiB): a larger export CSV is refused with JSON-RPC
  -32603 whose message gives the file's size, the cap, the setting that raises it and how to
  narrow the export (``export_models`` with ``model_id``); the narrowed export is served.
* A model whose name and description hold the configured credentials (``GLOW_TOKEN``,
  ``GLOW_API_KEY`` and a ``GLOW_MCP_HTTP_TOKEN`` with ``"`` and ``\\``, which JSON escapes) comes
  back from search_models, get_model and the export CSV with ``**********`` in their place, in
  the text and in the structured content.

The chunked (no ``Content-Length``) download of a 50 MB body and its bounded memory are in
``tests/reliability/test_rel_resource_cap.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from rawrpc import StdioSession, env_for

from glow_models_mcp.settings import REDACTED, Settings
from glow_models_mcp.upstream import scrub_secrets

CAP = 3000  # the sandbox exports 25 models in about 23 KB; one model takes 0.25 to 2.4 KB


def _json_tail(result: dict[str, Any]) -> Any:
    """The result's data: its structured content (the session negotiates a version that has it)."""
    return result["structuredContent"]


def _download_size(sandbox: Any, upload_id: str) -> int:
    response = httpx2.get(
        f"{sandbox.url}/uploads/{upload_id}/download",
        headers={"X-Api-Key": "sandbox-api-key", "Authorization": "Bearer sandbox-superadmin"},
    )
    assert response.status_code == 200
    return len(response.content)


def test_export_over_the_cap_is_refused_with_its_size_and_how_to_narrow_it(sandbox: Any) -> None:
    with StdioSession(env_for(sandbox.url, GLOW_MCP_MAX_RESOURCE_BYTES=str(CAP))) as session:
        everything = _json_tail(session.call("tools/call", {"name": "export_models", "arguments": {}})["result"])
        uri = f"glow://exports/{everything['upload_id']}"
        size = _download_size(sandbox, everything["upload_id"])
        assert size > CAP
        answer = session.call("resources/read", {"uri": uri})
        assert answer["error"] == {
            "code": -32603,
            "message": (
                f"{uri}: the file is {size} bytes, over this server's limit of {CAP} bytes "
                "(GLOW_MCP_MAX_RESOURCE_BYTES), so it was not read. Next step: export less (export_models "
                "with model_id exports one model), or raise GLOW_MCP_MAX_RESOURCE_BYTES and restart the MCP server."
            ),
            "data": {"uri": uri},
        }
        # Narrowed as the message says: one model's export is under the cap and is served.
        search = session.call("tools/call", {"name": "search_models", "arguments": {"page_size": 1}})
        model_id = search["result"]["structuredContent"]["models"][0]["model_id"]
        one = _json_tail(
            session.call("tools/call", {"name": "export_models", "arguments": {"model_id": model_id}})["result"]
        )
        read = session.call("resources/read", {"uri": f"glow://exports/{one['upload_id']}"})
        csv = read["result"]["contents"][0]["text"]
        assert csv.splitlines()[0].startswith("model_id,name,") and len(csv.splitlines()) == 2
        assert csv.splitlines()[1].startswith(model_id)
        stderr = session.close()
    assert "Traceback" not in stderr


def test_resource_cap_setting() -> None:
    assert Settings().max_resource_bytes == 4 * 1024 * 1024
    assert Settings(GLOW_MCP_MAX_RESOURCE_BYTES="1234").max_resource_bytes == 1234
    with pytest.raises(ValueError, match="GLOW_MCP_MAX_RESOURCE_BYTES"):
        Settings(GLOW_MCP_MAX_RESOURCE_BYTES="0")


# ------------------------------------------------------------------------------------------------
# Secrets echoed in successful answers
# ------------------------------------------------------------------------------------------------

API_KEY = "sandbox-api-key"
TOKEN = "sandbox-superadmin"
HTTP_TOKEN = 'qu"ote\\back-' + uuid.uuid4().hex[:12]  # JSON sends it as qu\"ote\\back-...; CSV as qu""ote...
SECRETS = (API_KEY, TOKEN, HTTP_TOKEN)


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _assert_scrubbed(answer: dict[str, Any], at_least: int) -> None:
    texts = list(_strings(answer))
    assert not [t for t in texts if any(secret in t for secret in SECRETS)], answer
    assert sum(t.count(REDACTED) for t in texts) >= at_least, answer


def test_secrets_echoed_in_successful_answers_are_scrubbed(fresh_sandbox: Any) -> None:
    marker = f"scrub-{uuid.uuid4().hex[:8]}"
    env = env_for(fresh_sandbox.url, GLOW_MCP_HTTP_TOKEN=HTTP_TOKEN, GLOW_MCP_LOG_LEVEL="INFO")
    plain = {"name": f"{marker} {TOKEN}", "description": f"key {API_KEY}."}
    # Alone in its answers, so that the only trace of a secret there is JSON-escaped (qu\"ote\\back).
    escaped = {"name": f"{marker}-escaped", "description": f"http token {HTTP_TOKEN}."}
    with StdioSession(env) as session:
        created = session.call("tools/call", {"name": "create_models", "arguments": {"models": [plain, escaped]}})
        assert created["result"]["isError"] is False, created
        plain_id, escaped_id = (r["model_id"] for r in created["result"]["structuredContent"]["results"])

        found = session.call("tools/call", {"name": "search_models", "arguments": {"search": f"{marker} "}})
        (model,) = found["result"]["structuredContent"]["models"]
        assert (model["name"], model["description"]) == (f"{marker} {REDACTED}", f"key {REDACTED}.")
        assert f"{marker} {REDACTED}" in found["result"]["content"][0]["text"]  # the summary line too
        _assert_scrubbed(found, 4)  # name and description, in the text and in the structured content

        found = session.call("tools/call", {"name": "search_models", "arguments": {"search": f"{marker}-escaped"}})
        (model,) = found["result"]["structuredContent"]["models"]
        assert model["description"] == f"http token {REDACTED}."
        _assert_scrubbed(found, 2)

        for model_id in (plain_id, escaped_id):
            got = session.call("tools/call", {"name": "get_model", "arguments": {"model_id": model_id}})
            _assert_scrubbed(got, 1)

        export = _json_tail(session.call("tools/call", {"name": "export_models", "arguments": {}})["result"])
        read = session.call("resources/read", {"uri": f"glow://exports/{export['upload_id']}"})
        csv = read["result"]["contents"][0]["text"]  # the quoted form: "http token qu""ote\\back-..."
        assert f"{marker} {REDACTED}" in csv and f"key {REDACTED}." in csv and f"http token {REDACTED}." in csv
        _assert_scrubbed(read, 3)
        stderr = session.close()
    assert not [s for s in SECRETS if s in stderr]


def test_scrub_secrets_reaches_keys_and_nested_values() -> None:
    data = {"a tok-1": ["x tok-1 y", {"n": 3, "s": "tok-1tok-1"}], "b": None, "c": True}
    assert scrub_secrets(data, ["tok-1"]) == {
        f"a {REDACTED}": [f"x {REDACTED} y", {"n": 3, "s": REDACTED * 2}],
        "b": None,
        "c": True,
    }
