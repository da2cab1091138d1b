"""JSON-RPC error codes on the wire, for every error path (issue 12, item 2).

The codes follow the MCP specification (tools, prompts, resources, completion and pagination
pages; SEP-2164 for a resource that does not exist) and are set in one place,
:mod:`glow_models_mcp.protocol`:

* -32602 (Invalid params): malformed params, a cursor (this server never issues one), an unknown
  tool, an unknown prompt or a prompt argument that is missing, unknown or not a string, a
  completion of an unknown prompt/template/argument, a resource URI that matches nothing, a
  malformed id in a resource URI, an upload the upstream does not have (404);
* -32601 (Method not found): a method this server does not serve;
* -32603 (Internal error): a resource read the upstream fails, and any bug (generic text; the
  traceback goes to the log at ERROR, never for a client's mistake);
* tool argument errors and upstream failures stay tool results with ``isError: true``.

Raw JSON-RPC lines over a stdio subprocess, plain HTTP POSTs to the streamable HTTP transport in
both eras, and the SDK's in-process client (both modes), all against the reference API.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import ERROR_CODE_HTTP_STATUS
from rawrpc import MODERN_VERSION, env_for, http_message, http_server, request, stdio_exchange

from glow_models_mcp.server import build_server
from glow_models_mcp.tools import TOOL_NAMES

INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603

MISSING_UPLOAD = "00000000-0000-0000-0000-0000000000aa"
DOCS_TEMPLATE = "glow://models/{model_id}/docs"
EXPORT_TEMPLATE = "glow://exports/{upload_id}"

#: (request, expected code, words the error message must contain, expected ``data`` subset)
CASES: dict[str, tuple[tuple[str, dict[str, Any] | None], int, list[str], dict[str, Any]]] = {
    # prompts
    "prompt missing argument": (
        ("prompts/get", {"name": "add_model", "arguments": {}}),
        INVALID_PARAMS,
        ["Missing required argument", "add_model", "name"],
        {"missing": ["name"]},
    ),
    "prompt missing second argument": (
        ("prompts/get", {"name": "change_model_safely", "arguments": {"model": "gpt-4o"}}),
        INVALID_PARAMS,
        ["Missing required argument", "change_model_safely", "change"],
        {"missing": ["change"]},
    ),
    "prompt without arguments": (
        ("prompts/get", {"name": "change_model_safely"}),
        INVALID_PARAMS,
        ["Missing required argument", "model, change"],
        {"missing": ["model", "change"]},
    ),
    "unknown prompt": (
        ("prompts/get", {"name": "delete_everything", "arguments": {}}),
        INVALID_PARAMS,
        ["Unknown prompt: delete_everything"],
        {"name": "delete_everything", "available": ["add_model", "change_model_safely"]},
    ),
    "prompt unknown argument": (
        ("prompts/get", {"name": "add_model", "arguments": {"name": "x", "colour": "red"}}),
        INVALID_PARAMS,
        ["Unknown argument", "colour", "add_model"],
        {"unknown": ["colour"]},
    ),
    "prompt argument not a string": (
        ("prompts/get", {"name": "add_model", "arguments": {"name": 5}}),
        INVALID_PARAMS,
        ["must be strings", "name"],
        {"arguments": ["name"]},
    ),
    "prompt arguments not an object": (
        ("prompts/get", {"name": "add_model", "arguments": ["x"]}),
        INVALID_PARAMS,
        ["Invalid params for prompts/get", "arguments"],
        {},
    ),
    "prompt without name": (
        ("prompts/get", {"arguments": {}}),
        INVALID_PARAMS,
        ["Invalid params for prompts/get", "name"],
        {},
    ),
    # resources
    "resource URI nothing matches": (
        ("resources/read", {"uri": "glow://nothing/here"}),
        INVALID_PARAMS,
        ["Unknown resource", "glow://nothing/here"],
        {"uri": "glow://nothing/here"},
    ),
    "resource of another scheme": (
        ("resources/read", {"uri": "file:///etc/passwd"}),
        INVALID_PARAMS,
        ["Unknown resource"],
        {"uri": "file:///etc/passwd"},
    ),
    "docs of an unknown model name": (
        ("resources/read", {"uri": "glow://models/not-a-uuid/docs"}),
        INVALID_PARAMS,
        ["no active model is named 'not-a-uuid'"],
        {"uri": "glow://models/not-a-uuid/docs"},
    ),
    "export of a malformed upload id": (
        ("resources/read", {"uri": "glow://exports/12"}),
        INVALID_PARAMS,
        ["upload_id must be a UUID"],
        {"uri": "glow://exports/12"},
    ),
    "export of the all-zero upload id": (
        ("resources/read", {"uri": f"glow://exports/{uuid.UUID(int=0)}"}),
        INVALID_PARAMS,
        ["nothing to export"],
        {"uri": f"glow://exports/{uuid.UUID(int=0)}"},
    ),
    "export the upstream does not have (404)": (
        ("resources/read", {"uri": f"glow://exports/{MISSING_UPLOAD}"}),
        INVALID_PARAMS,
        ["HTTP 404", "call export_models again"],
        {"uri": f"glow://exports/{MISSING_UPLOAD}"},
    ),
    "resource read without uri": (
        ("resources/read", {}),
        INVALID_PARAMS,
        ["Invalid params for resources/read", "uri"],
        {},
    ),
    # completion
    "completion of an unknown prompt": (
        (
            "completion/complete",
            {"ref": {"type": "ref/prompt", "name": "nope"}, "argument": {"name": "a", "value": ""}},
        ),
        INVALID_PARAMS,
        ["Unknown prompt: nope"],
        {"name": "nope"},
    ),
    "completion of an unknown prompt argument": (
        (
            "completion/complete",
            {"ref": {"type": "ref/prompt", "name": "add_model"}, "argument": {"name": "colour", "value": ""}},
        ),
        INVALID_PARAMS,
        ["prompt add_model has no argument 'colour'"],
        {"argument": "colour", "arguments": ["name", "provider", "description"]},
    ),
    "completion of an unknown template": (
        (
            "completion/complete",
            {
                "ref": {"type": "ref/resource", "uri": "glow://teams/{team_id}"},
                "argument": {"name": "team_id", "value": ""},
            },
        ),
        INVALID_PARAMS,
        ["Unknown resource template: glow://teams/{team_id}"],
        {"available": [EXPORT_TEMPLATE, DOCS_TEMPLATE]},
    ),
    "completion of an unknown template argument": (
        (
            "completion/complete",
            {"ref": {"type": "ref/resource", "uri": DOCS_TEMPLATE}, "argument": {"name": "upload_id", "value": ""}},
        ),
        INVALID_PARAMS,
        ["has no argument 'upload_id'"],
        {"arguments": ["model_id"]},
    ),
    "completion of a static resource": (
        (
            "completion/complete",
            {"ref": {"type": "ref/resource", "uri": "glow://models/docs"}, "argument": {"name": "x", "value": ""}},
        ),
        INVALID_PARAMS,
        ["has no argument 'x'"],
        {"arguments": []},
    ),
    "completion of an unknown reference type": (
        ("completion/complete", {"ref": {"type": "ref/tool", "name": "x"}, "argument": {"name": "a", "value": ""}}),
        INVALID_PARAMS,
        ["Invalid params for completion/complete", "ref"],
        {},
    ),
    # pagination
    "tools/list cursor": (
        ("tools/list", {"cursor": "bogus"}),
        INVALID_PARAMS,
        ["Invalid cursor"],
        {"cursor": "bogus"},
    ),
    "prompts/list cursor": (("prompts/list", {"cursor": "2"}), INVALID_PARAMS, ["Invalid cursor"], {"cursor": "2"}),
    "resources/list cursor": (("resources/list", {"cursor": "x"}), INVALID_PARAMS, ["Invalid cursor"], {}),
    "resources/templates/list cursor": (
        ("resources/templates/list", {"cursor": "eyJwYWdlIjogMn0="}),
        INVALID_PARAMS,
        ["Invalid cursor"],
        {},
    ),
    "cursor of the wrong type": (("tools/list", {"cursor": 7}), INVALID_PARAMS, ["Invalid cursor"], {"cursor": "7"}),
    # tools/call
    "unknown tool": (
        ("tools/call", {"name": "drop_database", "arguments": {}}),
        INVALID_PARAMS,
        ["Unknown tool: drop_database"],
        {"name": "drop_database", "available": sorted(TOOL_NAMES)},
    ),
    "tool name of another case": (
        ("tools/call", {"name": "Search_Models", "arguments": {}}),
        INVALID_PARAMS,
        ["Unknown tool: Search_Models"],
        {},
    ),
    "tools/call without name": (
        ("tools/call", {"arguments": {}}),
        INVALID_PARAMS,
        ["Invalid params for tools/call", "name"],
        {},
    ),
    "tools/call arguments not an object": (
        ("tools/call", {"name": "search_models", "arguments": "gpt"}),
        INVALID_PARAMS,
        ["Invalid params for tools/call", "arguments"],
        {},
    ),
    # methods
    "unknown method": (("models/drop", {}), METHOD_NOT_FOUND, ["Method not found"], {}),
    "resources/subscribe (not offered)": (
        ("resources/subscribe", {"uri": "glow://models/docs"}),
        METHOD_NOT_FOUND,
        ["Method not found"],
        {},
    ),
}


@pytest.fixture(scope="module")
def stdio_answers(sandbox: Any) -> tuple[dict[Any, dict[str, Any]], str]:
    """Every case, plus a few valid requests, in one stdio server process (INFO logs on stderr)."""
    requests = [request(i, method, params) for i, (method, params) in enumerate((c[0] for c in CASES.values()), 1)]
    base = len(requests) + 1
    requests += [
        request(base, "tools/call", {"name": "search_models", "arguments": {"page_size": "many"}}),
        request(base + 1, "tools/call", {"name": "get_model", "arguments": {"model_id": str(uuid.uuid4())}}),
        request(base + 2, "prompts/get", {"name": "add_model", "arguments": {"name": "Nova"}}),
        request(
            base + 3,
            "completion/complete",
            {"ref": {"type": "ref/resource", "uri": DOCS_TEMPLATE}, "argument": {"name": "model_id", "value": ""}},
        ),
        request(base + 4, "tools/list", {"cursor": None}),
    ]
    return stdio_exchange(requests, env_for(sandbox.url, GLOW_MCP_LOG_LEVEL="INFO"))


@pytest.mark.parametrize("case", list(CASES))
def test_stdio_error_code(stdio_answers: tuple[dict[Any, dict[str, Any]], str], case: str) -> None:
    answers, _ = stdio_answers
    _, code, words, data = CASES[case]
    answer = answers[list(CASES).index(case) + 1]
    assert "error" in answer, answer
    error = answer["error"]
    assert error["code"] == code, error
    for word in words:
        assert word in error["message"], error
    for key, value in data.items():
        assert error["data"][key] == value, error


def test_stdio_tool_failures_stay_tool_results_and_valid_requests_are_answered(
    stdio_answers: tuple[dict[Any, dict[str, Any]], str],
) -> None:
    answers, stderr = stdio_answers
    base = len(CASES) + 1
    invalid, missing, prompt, completion, null_cursor = (answers[base + i] for i in range(5))
    # Invalid arguments and upstream failures are the tool's own errors (SEP-1303), for the model to read.
    assert invalid["result"]["isError"] is True and "page_size" in invalid["result"]["content"][0]["text"]
    assert missing["result"]["isError"] is True and "HTTP 404" in missing["result"]["content"][0]["text"]
    assert prompt["result"]["messages"][0]["role"] == "user"
    assert isinstance(completion["result"]["completion"]["values"], list)
    assert {t["name"] for t in null_cursor["result"]["tools"]} == set(TOOL_NAMES)  # a null cursor is no cursor
    # A client's mistake is logged without a traceback; nothing failed inside the server.
    assert "Traceback" not in stderr and " failed inside the server" not in stderr


# ------------------------------------------------------------------------------------------------
# Plain HTTP, both eras
# ------------------------------------------------------------------------------------------------

HTTP_CASES = [
    "prompt missing argument",
    "unknown prompt",
    "prompt unknown argument",
    "export the upstream does not have (404)",
    "resource URI nothing matches",
    "completion of an unknown template",
    "tools/list cursor",
    "unknown tool",
    "unknown method",
]


@pytest.fixture(scope="module")
def http_url(sandbox: Any) -> Iterator[str]:
    with http_server(env_for(sandbox.url)) as url:
        yield url


@pytest.mark.parametrize("version", ["2025-03-26", "2025-11-25", MODERN_VERSION])
def test_http_error_codes(http_url: str, version: str) -> None:
    with httpx2.Client(timeout=30) as http:
        for rid, case in enumerate(HTTP_CASES, 1):
            (method, params), code, words, data = CASES[case]
            headers, body = http_message(rid, method, params, version)
            response = http.post(http_url, headers=headers, json=body)
            # The 2026-07-28 transport also maps the code to an HTTP status (the spec's 400/404).
            status = ERROR_CODE_HTTP_STATUS.get(code, 200) if version == MODERN_VERSION else 200
            assert response.status_code == status, (case, response.text)
            error = response.json()["error"]
            assert error["code"] == code, (version, case, error)
            assert all(word in error["message"] for word in words), (version, case, error)
            assert all(error["data"][k] == v for k, v in data.items()), (version, case, error)


# ------------------------------------------------------------------------------------------------
# In-process client, both modes; what a bug looks like
# ------------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_in_process_client_gets_the_same_codes(
    sandbox: Any, make_settings: Callable[..., Any], mode: str
) -> None:
    server = build_server(make_settings(sandbox.url, read_only=True))
    async with Client(server, mode=mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("create_models", {"models": [{"name": "x"}]})  # not registered read-only
        assert caught.value.error.code == INVALID_PARAMS
        assert caught.value.error.message == "Unknown tool: create_models"
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("add_model", {"name": "x"})  # a write workflow: not offered read-only
        assert (caught.value.error.code, caught.value.error.message) == (INVALID_PARAMS, "Unknown prompt: add_model")
        with pytest.raises(MCPError) as caught:
            await client.read_resource(f"glow://exports/{MISSING_UPLOAD}")
        assert caught.value.error.code == INVALID_PARAMS and "HTTP 404" in caught.value.error.message


@pytest.mark.anyio
async def test_a_bug_is_an_internal_error_with_a_generic_message_and_a_logged_traceback(
    sandbox: Any, make_settings: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    server = build_server(make_settings(sandbox.url))

    @server.prompt(name="broken")
    def broken(topic: str) -> str:
        raise RuntimeError(f"secret internals of {topic}")

    caplog.set_level(logging.INFO)
    async with Client(server, mode="legacy") as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("broken", {"topic": "x"})
        assert caught.value.error.code == INTERNAL_ERROR
        assert caught.value.error.message == "prompts/get failed inside the MCP server (a bug, logged on the server)"
        bug_records = [r for r in caplog.records if r.exc_info]
        caplog.clear()
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("broken", {"topic": "x", "extra": "y"})  # a client's mistake
        assert caught.value.error.code == INVALID_PARAMS
        assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
    assert [(r.name, r.levelname) for r in bug_records] == [("glow_models_mcp.protocol", "ERROR")]
    chain, exc = [], bug_records[0].exc_info[1]
    while exc is not None:
        chain.append(str(exc))
        exc = exc.__cause__
    assert "secret internals of x" in chain  # in the log, not on the wire
