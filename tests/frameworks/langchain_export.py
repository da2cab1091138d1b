"""LangChain through langchain-mcp-adapters: call export_models on our server, then build the
request payloads that langchain-openai (Chat Completions) and langchain-google-genai would send
with that tool result in the history. Offline: no model is called, the API keys are dummies.

Run in tests/frameworks' environment (mcp below 2) by tests/test_frameworks.py:
``python langchain_export.py <server command...>``; the server gets this process's environment.
Prints one JSON line: the ToolMessage's content blocks and, per formatter, ``"ok"`` or the
exception (type and message).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_google_genai import ChatGoogleGenerativeAI
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools
from langchain_openai import ChatOpenAI


def _outcome(build: Any) -> str:
    try:
        build()
    except Exception as exc:  # what the formatter raises is the finding
        return f"{type(exc).__name__}: {exc}"
    return "ok"


async def main(command: list[str]) -> None:
    client = MultiServerMCPClient(
        {"glow": {"transport": "stdio", "command": command[0], "args": command[1:], "env": dict(os.environ)}}
    )
    async with client.session("glow") as session:
        tools = {t.name: t for t in await load_mcp_tools(session)}
        call = {"type": "tool_call", "id": "call_1", "name": "export_models", "args": {}}
        message = await tools["export_models"].ainvoke(call)
    assert isinstance(message, ToolMessage), type(message)
    history = [
        HumanMessage("Export the models."),
        AIMessage("", tool_calls=[{"id": "call_1", "name": "export_models", "args": {}}]),
        message,
    ]
    openai = ChatOpenAI(model="gpt-4o-mini", api_key="offline-test")
    gemini = ChatGoogleGenerativeAI(model="gemini-2.5-flash", google_api_key="offline-test")
    content = message.content if isinstance(message.content, list) else [message.content]
    print(
        json.dumps(
            {
                "tools": sorted(tools),
                "content": content,
                "openai": _outcome(lambda: openai._get_request_payload(history)),
                "gemini": _outcome(lambda: gemini._prepare_request(history)),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
