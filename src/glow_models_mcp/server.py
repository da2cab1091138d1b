"""Assemble the MCP server: ``build_server(settings) -> GlowServer``.

The server holds one :class:`~glow_models_mcp.state.AppState`; its lifespan opens the shared
:class:`~glow_models_mcp.upstream.GlowClient` (one pooled ``httpx2.AsyncClient``) and closes it on
shutdown. Tools, resources and prompts read the client from that state. The HTTP and SSE apps are
built in :mod:`.http_app`, stdio is served by :mod:`.stdio`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import MCPServer

from . import __version__, client_log, protocol
from .resources import register_prompts, register_resources
from .settings import Settings
from .state import AppState
from .tools import build_tool, select_tools

if TYPE_CHECKING:
    import httpx2


def instructions(*, writes: bool) -> str:
    """The server's instructions to agents (what ``initialize`` carries), for a server that
    offers write tools or only reads."""
    text = (
        "Manage the AI-model catalog of a Glow instance. Find models with search_models (sections, e.g. "
        "['pricing'], adds each model's details in the same call); read one with get_model(model_id), where a "
        "model's exact name works as its id. Options (providers, modalities, pricing, levels, voices, flags, "
        "departments) are given by label, e.g. 'openai' or 'text (input)'; get_model with no arguments lists them."
    )
    if writes:
        return text + (
            " create_models and update_models validate every item before writing any, but an id that does not "
            "exist fails mid-batch after earlier items are written (labels are checked first); delete_models is "
            "permanent; "
            "patch_model_draft with base_model_id drafts a change to review before update_models."
        )
    return text + " This server is read-only."


@contextmanager
def _sdk_logging_setup_skipped() -> Iterator[None]:
    """Skip ``MCPServer()``'s logging setup when the root logger already has handlers.

    ``MCPServer.__init__`` calls ``logging.basicConfig()`` with a ``rich`` handler, importing
    ``rich`` first (about 20 ms of a cold start, and ``rich`` is installed wherever fastmcp is).
    With handlers already on the root logger (the CLI configures logging before building the
    server) ``basicConfig()`` does nothing, so skipping the call changes nothing but the import.
    """
    import logging

    from mcp.server.mcpserver import server as sdk_server

    original = getattr(sdk_server, "configure_logging", None)
    if original is None or not logging.getLogger().handlers:
        yield
        return
    sdk_server.configure_logging = lambda *args, **kwargs: None
    try:
        yield
    finally:
        sdk_server.configure_logging = original


class GlowServer(MCPServer[AppState]):
    """The ``MCPServer`` of this package, with its :class:`AppState` as ``state``."""

    def __init__(self, state: AppState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state


def build_server(settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None) -> GlowServer:
    """Build the MCP server for ``settings``: the selected tools, resources, templates, prompts.

    ``transport`` (tests): the ``httpx2`` transport of the upstream client, e.g.
    ``httpx2.ASGITransport(app=glow_models_mcp.sandbox.create_app())`` for the reference API in
    process, without a socket; ``None`` (the default) talks to ``settings.instance_url`` over the network.

    Raises:
        ValueError: when ``settings.tools`` / ``settings.exclude_tools`` name an unknown tool.
    """
    specs = select_tools(read_only=settings.read_only, include=settings.tools, exclude=settings.exclude_tools)
    state = AppState(settings, transport=transport)

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        async with state.open():
            yield state

    tools = [build_tool(spec, state) for spec in specs]
    writes = any(not spec.read_only for spec in specs)
    with _sdk_logging_setup_skipped():
        server = GlowServer(
            state,
            name="glow-models-mcp",
            title="Glow Models",
            description="Manage the AI-model catalog of a Glow instance.",
            instructions=instructions(writes=writes),
            version=__version__,
            lifespan=lifespan,
            log_level=settings.log_level,
            tools=tools,
        )
    register_resources(server, state)
    register_prompts(server, read_only=not writes)
    protocol.install(server)
    client_log.install(server, settings.secret_values())
    return server
