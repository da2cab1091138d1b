"""Shared state of one server: its settings and the upstream client (a leaf: tools, resources and
the server import it; it imports nothing of theirs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from .exceptions import ConfigurationError
from .lookup import LookupCache
from .settings import Settings
from .upstream import GlowClient

if TYPE_CHECKING:
    import httpx2


class AppState:
    """Shared state of one server: settings, the upstream client and the lookup cache.

    ``client`` is opened by the server's lifespan (entered once per stdio process or HTTP app, once
    per in-memory client connection; nested entries share one client) and closed when the last
    entry exits.

    ``transport`` (tests): an ``httpx2`` transport for the upstream client instead of the network,
    e.g. ``httpx2.ASGITransport(app=create_app())`` to serve the reference API in process.
    """

    def __init__(self, settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport
        self.display_url = settings.display_url
        self.lookups = LookupCache(settings.lookup_cache_seconds)
        self._client: GlowClient | None = None
        self._users = 0

    @property
    def client(self) -> GlowClient:
        """The open upstream client.

        Raises:
            ConfigurationError: when no lifespan has opened it (e.g. a tool called outside a server run).
        """
        if self._client is None:
            raise ConfigurationError("the upstream client is not open (server lifespan not running)")
        return self._client

    @asynccontextmanager
    async def open(self) -> AsyncIterator[AppState]:
        """Open the upstream client for the duration of the block (reference-counted)."""
        if self._users == 0:
            self._client = GlowClient(self.settings, transport=self.transport)
            await self._client.__aenter__()
        self._users += 1
        try:
            yield self
        finally:
            self._users -= 1
            if self._users == 0 and self._client is not None:
                client, self._client = self._client, None
                await client.aclose()

    def __repr__(self) -> str:
        return f"AppState(instance={self.display_url!r})"
