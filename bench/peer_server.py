"""The peer: fastmcp's generic OpenAPI-to-MCP conversion of the same contract, for the benchmark.

``python -m bench.peer_server --upstream URL [--transport stdio|http] [--port N]``

It builds ``FastMCP.from_openapi`` from the vendored contract
(``src/glow_models_mcp/sandbox/models_openapi.json``, identical to ``shared/upstream/models-openapi.json``)
with one keep-alive ``httpx2.AsyncClient`` whose base URL is the reference API and whose default
headers carry the same credentials ours sends (``X-Api-Key``, ``Authorization: Bearer``,
``X-MCP: true``). Conditions match ours: log level WARNING, no access log, and over HTTP
stateless streamable HTTP with JSON responses at ``/mcp`` on loopback.

The only deviation from fastmcp's defaults: ``mcp_names`` gives the 11 tools our short names
(``get_model``, ``search_models``...) instead of FastAPI's long operation ids, so both servers are
called the same way and the peer's ``tools/list`` is not inflated by long names.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

SPEC_PATH = Path(__file__).resolve().parent.parent / "src" / "glow_models_mcp" / "sandbox" / "models_openapi.json"

#: operationId in the contract -> the tool name ours uses.
MCP_NAMES = {
    "get_model_api_v5_artifacts_models_get_post": "get_model",
    "search_model_api_v5_artifacts_models_search_post": "search_models",
    "create_model_api_v5_artifacts_models_create_post": "create_models",
    "update_model_api_v5_artifacts_models_update_post": "update_models",
    "duplicate_model_api_v5_artifacts_models_duplicate_post": "duplicate_model",
    "delete_model_api_v5_artifacts_models_delete_post": "delete_models",
    "patch_model_draft_api_v5_artifacts_models_draft_patch": "patch_model_draft",
    "get_model_drafts_api_v5_artifacts_models_drafts_post": "list_model_drafts",
    "get_model_docs_endpoint_api_v5_artifacts_models_docs_post": "get_model_docs",
    "export_models_api_v5_artifacts_models_export_post": "export_models",
    "model_refresh_api_v5_artifacts_models_refresh_post": "refresh_models",
}


def build(upstream: str, api_key: str, token: str):
    import httpx2
    from fastmcp import FastMCP

    spec = json.loads(SPEC_PATH.read_text())
    client = httpx2.AsyncClient(
        base_url=upstream,
        headers={"X-Api-Key": api_key, "Authorization": f"Bearer {token}", "X-MCP": "true"},
        timeout=30.0,
    )
    return FastMCP.from_openapi(spec, client=client, name="glow-models-peer", mcp_names=MCP_NAMES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", default=os.environ.get("GLOW_INSTANCE_URL"), required=False)
    parser.add_argument("--api-key", default=os.environ.get("GLOW_API_KEY", "sandbox-api-key"))
    parser.add_argument("--token", default=os.environ.get("GLOW_TOKEN", "sandbox-superadmin"))
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if not args.upstream:
        parser.error("--upstream (or GLOW_INSTANCE_URL) is required")
    server = build(args.upstream, args.api_key, args.token)
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
