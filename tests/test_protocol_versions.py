"""Results carry only what the negotiated protocol version defines (issue 12, item 3).

Every supported version, on the wire: the four handshake-era versions over a stdio subprocess
(raw JSON-RPC lines after ``initialize``), over stateless streamable HTTP (version in the
``MCP-Protocol-Version`` header, no ``initialize``) and over SSE (a stateful connection that
negotiates in ``initialize``), and 2026-07-28 over HTTP (version in each request's ``_meta``).

What each version defines (from the spec's schema files):

* 2024-11-05: no tool ``annotations``, no ``title`` anywhere, no ``outputSchema``, no
  ``structuredContent``, no ``resource_link`` or audio content, no ``completions`` capability;
* 2025-03-26: adds tool annotations (with ``annotations.title``), audio, ``completions``;
* 2025-06-18: adds ``title``, ``outputSchema``, ``structuredContent``, ``resource_link``;
* 2025-11-25: adds ``serverInfo.description`` (and icons, unused here).

Where a version lacks a field, the text still says everything: a ``resource_link`` becomes a
text block with its URI and how to read it, and the JSON of the structured content is in the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from rawrpc import (
    HANDSHAKE_VERSIONS,
    MODERN_VERSION,
    env_for,
    http_message,
    http_server,
    initialize,
    request,
    stdio_exchange,
)

from glow_models_mcp import protocol
from glow_models_mcp.tools import TOOL_SPECS

NEW = ("2025-06-18", "2025-11-25", MODERN_VERSION)  # versions with title, outputSchema, structured content, links
SERVER_INFO = {
    "2024-11-05": {"name", "version"},
    "2025-03-26": {"name", "version"},
    "2025-06-18": {"name", "version", "title"},
    "2025-11-25": {"name", "version", "title", "description"},
}
TOOL_KEYS = {
    "2024-11-05": {"name", "description", "inputSchema"},
    "2025-03-26": {"name", "description", "inputSchema", "annotations"},
    "2025-06-18": {"name", "title", "description", "inputSchema", "outputSchema", "annotations"},
}
HINTS = {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}
TITLES = {spec.name: spec.title for spec in TOOL_SPECS}
#: The export's resource_link is part of what is shaped per version, so every client gets it here
#: (by default only clients known to handle one do: tests/test_frameworks.py).
LINKS_ON = {"GLOW_MCP_RESOURCE_LINKS": "on"}
LINK = re.compile(r"^Linked resource (glow://exports/[0-9a-f-]{36}) \(.*text/csv.*\)\. Read it with resources/read")

REQUESTS = [
    request(1, "tools/list"),
    request(2, "tools/call", {"name": "export_models", "arguments": {}}),
    request(3, "tools/call", {"name": "search_models", "arguments": {"search": "gpt", "page_size": 3}}),
    request(4, "resources/list"),
    request(5, "resources/templates/list"),
    request(6, "prompts/list"),
    request(7, "prompts/get", {"name": "add_model", "arguments": {"name": "Nova"}}),
]


def _tool_keys(version: str) -> set[str]:
    return TOOL_KEYS.get(version, TOOL_KEYS["2025-06-18"])


def check_tools(version: str, tools: list[dict[str, Any]]) -> None:
    assert {t["name"] for t in tools} == set(TITLES)
    for tool in tools:
        assert set(tool) == _tool_keys(version), (version, tool["name"], sorted(tool))
        if version == "2025-03-26":  # the title moves to annotations.title, which 2025-03-26 defines
            assert set(tool["annotations"]) == HINTS | {"title"}
            assert tool["annotations"]["title"] == TITLES[tool["name"]]
        elif version != "2024-11-05":
            assert set(tool["annotations"]) == HINTS and tool["title"] == TITLES[tool["name"]]


def check_export(version: str, result: dict[str, Any]) -> str:
    """Check the export_models result; return the export's resource URI.

    Its text is a one-line summary. Where structured content is defined it carries the data; where
    it is not, a text block with the same JSON is added (the text still says everything)."""
    summary = result["content"][0]["text"]
    assert result["isError"] is False and summary.startswith("Exported ")
    if version in NEW:
        envelope = {"_meta", "resultType"} if version == MODERN_VERSION else set()  # the 2026-07-28 result envelope
        assert set(result) == {"content", "isError", "structuredContent"} | envelope
        data = result["structuredContent"]
        uri = f"glow://exports/{data['upload_id']}"
        assert [c["type"] for c in result["content"]] == ["text", "resource_link"]
        assert result["content"][1]["uri"] == uri and result["content"][1]["mimeType"] == "text/csv"
    else:
        assert set(result) == {"content", "isError"}
        assert [c["type"] for c in result["content"]] == ["text", "text", "text"]
        assert all(set(c) == {"type", "text"} for c in result["content"])
        data = json.loads(result["content"][2]["text"])
        uri = f"glow://exports/{data['upload_id']}"
        match = LINK.match(result["content"][1]["text"])
        assert match and match.group(1) == uri, result["content"][1]
    assert data["row_count"] >= 1 and uri in summary
    return uri


def check_listings(version: str, answers: dict[Any, dict[str, Any]]) -> None:
    titled = version in NEW
    (resource,) = answers[4]["result"]["resources"]
    assert set(resource) == {"uri", "name", "description", "mimeType"} | ({"title"} if titled else set())
    for template in answers[5]["result"]["resourceTemplates"]:
        assert set(template) == {"uriTemplate", "name", "description", "mimeType"} | ({"title"} if titled else set())
    for prompt in answers[6]["result"]["prompts"]:
        assert set(prompt) <= {"name", "description", "arguments", "title"} and ("title" in prompt) == titled
        for argument in prompt["arguments"]:
            assert set(argument) <= {"name", "description", "required"} | ({"title"} if titled else set())
    for message in answers[7]["result"]["messages"]:
        assert message["content"]["type"] in {"text", "image", "resource"} | (
            {"audio"} if version != "2024-11-05" else set()
        ) | ({"resource_link"} if titled else set())


@pytest.fixture(scope="module")
def stdio_runs(sandbox: Any) -> dict[str, dict[Any, dict[str, Any]]]:
    """The answers to :data:`REQUESTS` of one stdio server process per handshake-era version."""
    return {v: stdio_exchange(REQUESTS, env_for(sandbox.url, **LINKS_ON), v)[0] for v in HANDSHAKE_VERSIONS}


@pytest.mark.parametrize("version", HANDSHAKE_VERSIONS)
def test_stdio_results_carry_only_what_the_version_defines(
    stdio_runs: dict[str, dict[Any, dict[str, Any]]], version: str
) -> None:
    answers = stdio_runs[version]
    init = answers[0]["result"]
    assert init["protocolVersion"] == version
    assert set(init["serverInfo"]) == SERVER_INFO[version]
    assert ("completions" in init["capabilities"]) == (version != "2024-11-05")
    check_tools(version, answers[1]["result"]["tools"])
    check_export(version, answers[2]["result"])
    check_listings(version, answers)


def test_the_text_says_everything_where_structured_content_is_left_out(
    stdio_runs: dict[str, dict[Any, dict[str, Any]]],
) -> None:
    structured = stdio_runs["2025-11-25"][3]["result"]["structuredContent"]
    assert structured["models"]
    compact = stdio_runs["2025-11-25"][3]["result"]["content"]
    assert len(compact) == 1 and not compact[0]["text"].split("\n", 1)[1].startswith("{")  # label = id lines
    for version in ("2024-11-05", "2025-03-26"):
        result = stdio_runs[version][3]["result"]
        assert "structuredContent" not in result and len(result["content"]) == 2
        assert result["content"][0] == compact[0]  # the same compact text, then its data as JSON
        assert json.loads(result["content"][1]["text"]) == structured


# ------------------------------------------------------------------------------------------------
# HTTP: stateless handshake era (header) and the 2026-07-28 envelope
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http_url(sandbox: Any) -> Iterator[str]:
    with http_server(env_for(sandbox.url, **LINKS_ON)) as url:
        yield url


def _post(
    http: httpx2.Client, url: str, rid: int, method: str, params: dict[str, Any] | None, version: str | None
) -> Any:
    headers, body = http_message(rid, method, params, version or "")
    if version is None:
        del headers["MCP-Protocol-Version"]
    response = http.post(url, headers=headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()["result"]


@pytest.mark.parametrize("version", [*HANDSHAKE_VERSIONS, MODERN_VERSION, None])
def test_http_results_carry_only_what_the_version_defines(http_url: str, version: str | None) -> None:
    """``None``: no ``MCP-Protocol-Version`` header, which the spec says means 2025-03-26."""
    effective = version or "2025-03-26"
    with httpx2.Client(timeout=30) as http:
        check_tools(effective, _post(http, http_url, 1, "tools/list", None, version)["tools"])
        result = _post(http, http_url, 2, "tools/call", {"name": "export_models", "arguments": {}}, version)
        uri = check_export(effective, result)
        read = _post(http, http_url, 3, "resources/read", {"uri": uri}, version)
        assert read["contents"][0]["text"].startswith("model_id,name,")  # the link's text says how to read it


# ------------------------------------------------------------------------------------------------
# SSE: a stateful connection, the version negotiated by initialize
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sse_url(sandbox: Any) -> Iterator[str]:
    with http_server(env_for(sandbox.url, **LINKS_ON), transport="sse") as url:
        yield url.removesuffix("/mcp")


@pytest.mark.anyio
@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18"])
async def test_sse_connection_gets_results_of_its_negotiated_version(sse_url: str, version: str) -> None:
    answers: dict[int, Any] = {}
    messages = [
        initialize(version),
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        request(1, "tools/list"),
        request(2, "tools/call", {"name": "export_models", "arguments": {}}),
    ]
    async with httpx2.AsyncClient(base_url=sse_url, timeout=30) as http:
        async with http.stream("GET", "/sse") as events:
            lines = events.aiter_lines()
            endpoint = None
            async for line in lines:
                if line.startswith("data: "):
                    endpoint = line.removeprefix("data: ")
                    break
            assert endpoint
            for message in messages:
                if message.get("id") == 1:  # requests after the handshake answer
                    with anyio.fail_after(30):
                        while 0 not in answers:
                            answers.update(_sse_answers([await anext(lines)]))
                response = await http.post(endpoint, json=message)
                assert response.status_code == 202
            with anyio.fail_after(60):
                while not {1, 2} <= set(answers):
                    answers.update(_sse_answers([await anext(lines)]))
    assert answers[0]["protocolVersion"] == version
    check_tools(version, answers[1]["tools"])
    check_export(version, answers[2])


def _sse_answers(lines: list[str]) -> dict[int, Any]:
    out = {}
    for line in lines:
        if line.startswith("data: {"):
            message = json.loads(line.removeprefix("data: "))
            if "id" in message and "result" in message:
                out[message["id"]] = message["result"]
    return out


# ------------------------------------------------------------------------------------------------
# The policy itself, on shapes this server does not produce (audio, images, embedded resources)
# ------------------------------------------------------------------------------------------------


def test_content_blocks_per_version() -> None:
    ann = {"audience": ["user"], "priority": 0.5, "lastModified": "2025-01-12T15:00:58Z"}
    result = {
        "content": [
            {"type": "text", "text": "t", "annotations": ann, "_meta": {"k": 1}},
            {"type": "image", "data": "aW1n", "mimeType": "image/png"},
            {"type": "audio", "data": "YXVk", "mimeType": "audio/wav"},
            {
                "type": "resource",
                "resource": {"uri": "glow://x", "mimeType": "text/plain", "text": "x", "_meta": {"k": 1}},
                "_meta": {"k": 1},
            },
            {"type": "resource_link", "uri": "glow://y", "name": "y", "title": "Why"},
        ],
        "structuredContent": {"a": 1},
        "isError": False,
    }
    old = protocol.shape_result("tools/call", "2024-11-05", result)
    assert [b["type"] for b in old["content"]] == ["text", "image", "text", "resource", "text", "text"]
    assert old["content"][0] == {"type": "text", "text": "t", "annotations": {"audience": ["user"], "priority": 0.5}}
    assert (
        old["content"][2]["text"]
        == "[audio content (audio/wav) left out: protocol version 2024-11-05 does not define it]"
    )
    assert old["content"][3] == {
        "type": "resource",
        "resource": {"uri": "glow://x", "mimeType": "text/plain", "text": "x"},
    }
    assert old["content"][4]["text"] == "Linked resource glow://y (Why). Read it with resources/read and this URI."
    assert old["content"][5]["text"] == '{"a":1}'  # no text block held the structured content
    march = protocol.shape_result("tools/call", "2025-03-26", result)
    assert [b["type"] for b in march["content"]] == ["text", "image", "audio", "resource", "text", "text"]
    june = protocol.shape_result("tools/call", "2025-06-18", result)
    assert june == result  # 2025-06-18 defines every field used here
    assert protocol.shape_result("tools/call", "2025-11-25", result) is result
    assert protocol.shape_result("tools/call", MODERN_VERSION, result) is result
