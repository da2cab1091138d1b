"""The peer: fastmcp's generic OpenAPI-to-MCP conversion of the same contract, for the benchmark.

``python -m bench.peer_server --upstream URL [--transport stdio|http] [--port N]``

It builds ``FastMCP.from_openapi`` from the vendored contract
(``src/glow_models_mcp/sandbox/models_openapi.json``, identical to ``shared/upstream/models-openapi.json``)
with one keep-alive ``httpx2.AsyncClient`` whose base URL is the reference API and whose default
headers carry the same credentials ours sends (``X-Api-Key``, ``Authorization: Bearer``,
``X-MCP: true``). Conditions match ours: log level WARNING, no access log, and over HTTP
stateless streamable HTTP with JSON responses at ``/mcp`` on loopback.

The only deviation from fastmcp's defaults: ``mcp_names`` gives the operations our tools' short
names (``get_model``, ``search_models``..., derived from ``TOOL_SPECS``) instead of FastAPI's long
operation ids, so both servers are called the same way and the peer's ``tools/list`` is not
inflated by long names.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent.parent / "src" / "glow_models_mcp" / "sandbox" / "models_openapi.json"


def mcp_names(spec: dict[str, Any]) -> dict[str, str]:
    """operationId in the contract -> the tool name ours uses, for every operation that is one of
    our tools (derived from ``TOOL_SPECS``: matched by HTTP method and path)."""
    from glow_models_mcp.tools import TOOL_SPECS

    by_route = {(s.operation.method.upper(), s.operation.path): s.name for s in TOOL_SPECS}
    names = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            tool = by_route.get((method.upper(), path))
            if tool is not None:
                names[operation["operationId"]] = tool
    missing = set(by_route.values()) - set(names.values())
    if missing:
        raise ValueError(f"the contract has no operation for the tool(s) {sorted(missing)}")
    return names


def build(upstream: str, api_key: str, token: str, names: dict[str, str] | None = None):
    import httpx2
    from fastmcp import FastMCP

    spec = json.loads(SPEC_PATH.read_text())
    client = httpx2.AsyncClient(
        base_url=upstream,
        headers={"X-Api-Key": api_key, "Authorization": f"Bearer {token}", "X-MCP": "true"},
        timeout=30.0,
    )
    return FastMCP.from_openapi(spec, client=client, name="glow-models-peer", mcp_names=names or mcp_names(spec))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", default=os.environ.get("GLOW_INSTANCE_URL"), required=False)
    parser.add_argument("--api-key", default=os.environ.get("GLOW_API_KEY", "sandbox-api-key"))
    parser.add_argument("--token", default=os.environ.get("GLOW_TOKEN", "sandbox-superadmin"))
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--mcp-names",
        help="JSON of mcp_names() computed by the caller (the benchmark passes it, so that importing "
        "glow_models_mcp.tools does not count in the peer's cold start); derived here when absent",
    )
    args = parser.parse_args()
    if not args.upstream:
        parser.error("--upstream (or GLOW_INSTANCE_URL) is required")
    server = build(args.upstream, args.api_key, args.token, json.loads(args.mcp_names) if args.mcp_names else None)
    if args.transport == "stdio":
        server.run("stdio", show_banner=False, log_level="WARNING")
    else:
        server.run(
            "http",
            show_banner=False,
            host=args.host,
            port=args.port,
            path="/mcp",
            log_level="WARNING",
            stateless_http=True,
            json_response=True,
            uvicorn_config={"access_log": False},
        )


if __name__ == "__main__":
    main()
