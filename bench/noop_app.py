"""A no-op MCP endpoint: the HTTP hop without a server behind it, for the benchmark's ``ping`` row.

``python -m bench.noop_app PORT`` serves, on uvicorn with uvloop and httptools (ours' HTTP
stack), an ASGI app that reads each POST body and answers ``{"jsonrpc":"2.0","id":<id>,"result":{}}``:
what any Python MCP server on uvicorn pays for one request over loopback, before its own work.
"""

from __future__ import annotations

import json
import sys
from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    answer = json.dumps({"jsonrpc": "2.0", "id": json.loads(body).get("id"), "result": {}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )
