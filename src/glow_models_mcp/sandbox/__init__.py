"""The local reference Glow Models API ("sandbox").

A Starlette app on SQLite that implements every Models operation and the CSV download with
the real paths, shapes, auth headers, error texts and quirks of the Glow v5 server, seeded with the
platform's model catalog. It is a stand-in for trying and testing, never a replacement.

* :func:`create_app` - the ASGI app;
* :class:`SandboxServer` - the app under uvicorn in a background thread on a loopback port;
* :func:`run_sandbox` - serve in the foreground (``glow-models-mcp sandbox``,
  ``python -m glow_models_mcp.sandbox``);
* :data:`SANDBOX_API_KEY`, :data:`SANDBOX_TOKENS` - the credentials.
"""

from __future__ import annotations

from .app import RequestRecord, create_app
from .auth import SANDBOX_API_KEY, SANDBOX_TOKENS, Profile
from .server import SandboxServer, describe_credentials, run_sandbox

__all__ = [
    "SANDBOX_API_KEY",
    "SANDBOX_TOKENS",
    "Profile",
    "RequestRecord",
    "SandboxServer",
    "create_app",
    "describe_credentials",
    "run_sandbox",
]
