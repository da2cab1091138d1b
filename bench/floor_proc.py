"""The floor as a process: the same upstream requests made directly with httpx2, no MCP.

``python -m bench.floor_proc UPSTREAM_URL`` imports httpx2, opens one keep-alive client, makes
one ``search`` request and prints ``ready`` (cold start of the floor: spawn to first upstream
answer). Then each line ``N`` on stdin makes N more requests (alternating search and get, the same
bodies the tools send) and prints ``done N``; EOF ends it. The benchmark reads its RSS with psutil
between the two, exactly as it does for the MCP servers.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys


async def main(url: str, model_id: str | None) -> None:
    import httpx2

    headers = {
        "X-Api-Key": os.environ.get("GLOW_API_KEY", "sandbox-api-key"),
        "Authorization": f"Bearer {os.environ.get('GLOW_TOKEN', 'sandbox-superadmin')}",
        "X-MCP": "true",
        "Content-Type": "application/json",
    }
    search = json.dumps({"search": "gpt", "page_size": 12}).encode()
    get = json.dumps({"model_id": model_id}).encode() if model_id else search
    base = "/api/v5/artifacts/models"
    async with httpx2.AsyncClient(base_url=url, headers=headers, timeout=30.0) as client:
        response = await client.post(f"{base}/search", content=search)
        response.raise_for_status()
        response.json()
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        while True:
            line = sys.stdin.readline()  # nothing else runs on this loop meanwhile
            if not line:
                return
            n = int(line)
            for i in range(n):
                path, body = (f"{base}/search", search) if i % 2 == 0 else (f"{base}/get", get)
                response = await client.post(path, content=body)
                response.raise_for_status()
                response.json()
            sys.stdout.write(f"done {n}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
