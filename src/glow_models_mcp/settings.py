"""Configuration from environment variables (and, through ``cli.py``, command-line flags).

Every setting has an environment variable; the CLI flags of ``glow-models-mcp`` override them.
Secrets are :class:`pydantic.SecretStr`: their ``repr`` and ``str`` print ``**********``, so a
logged or printed :class:`Settings` never shows a credential.
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

Transport = Literal["stdio", "sse", "http"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

#: What a secret is replaced by wherever it could otherwise be shown (logs, errors, results).
REDACTED = "**********"

#: Shortest secret that is scrubbed from texts (shorter ones would redact ordinary words).
MIN_SCRUBBED_SECRET = 4


def instance_url_problem(url: str) -> tuple[str, str] | None:
    """What is wrong with ``url`` as ``GLOW_INSTANCE_URL``, as ``(problem, fix)``, or ``None``.

    The root URL of the Glow API server: http(s), a host, no user-info, no query or fragment, and
    not ``/api/v5`` (the server adds it). ``serve`` refuses to start on a problem; ``doctor``
    reports it.
    """
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        return f"not a valid URL ({exc})", "set it to e.g. https://glow.example.org"
    shown = redact_url(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{shown}: needs http:// or https:// and a host name", "set it to e.g. https://glow.example.org"
    if parts.username is not None or parts.password is not None:
        return (
            f"{shown}: contains user-info (user:password@), which this server does not use",
            "remove the user-info; the server authenticates with GLOW_API_KEY and GLOW_TOKEN",
        )
    if parts.query or parts.fragment:
        return f"{shown}: has a query or fragment", f"set it to {parts.scheme}://{parts.netloc}{parts.path}"
    path = parts.path.rstrip("/")
    marker = path.find("/api/v5")
    if marker != -1:
        return (
            f"{shown}: includes /api/v5, which the server adds itself",
            f"set GLOW_INSTANCE_URL to {parts.scheme}://{parts.netloc}{path[:marker]}",
        )
    return None


def redact_url(url: str) -> str:
    """``url`` without user-info, query or fragment (they may hold credentials)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class _GlowEnvSource(EnvSettingsSource):
    """Environment source that reads only ``GLOW_*`` variables.

    ``populate_by_name`` (so code can say ``Settings(port=...)``) would otherwise make the plain
    field names count as variables too: a platform's ``PORT`` or a stray ``TOKEN`` would be read.
    """

    def _load_env_vars(self):  # type: ignore[no-untyped-def,unused-ignore]
        return {k: v for k, v in super()._load_env_vars().items() if k.lower().startswith("glow_")}


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """All configuration of the server.

    Upstream (the Glow instance): ``GLOW_INSTANCE_URL``, ``GLOW_API_KEY``, ``GLOW_TOKEN`` and the
    timeouts (seconds). MCP side: ``GLOW_MCP_*`` (transport, bind address, exposure, logging).

    Raises:
        pydantic.ValidationError: on a malformed value (e.g. a non-numeric timeout); the message
            names the variable and never echoes a secret.
    """

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True, hide_input_in_errors=True)

    # --- upstream -----------------------------------------------------------------------
    instance_url: str | None = Field(
        default=None,
        validation_alias="GLOW_INSTANCE_URL",
        description=(
            "Root URL of the Glow API server, e.g. https://glow.example.org (no /api/v5). Required unless "
            "GLOW_MCP_SANDBOX is true."
        ),
    )
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias="GLOW_API_KEY",
        description="Sent as X-Api-Key.",
    )
    token: SecretStr | None = Field(
        default=None,
        validation_alias="GLOW_TOKEN",
        description="Bearer JWT, sent as Authorization: Bearer <token>.",
    )
    connect_timeout: float = Field(
        default=5.0,
        allow_inf_nan=False,
        gt=0,
        validation_alias="GLOW_CONNECT_TIMEOUT",
        description="Seconds to open a connection.",
    )
    read_timeout: float = Field(
        default=20.0,
        allow_inf_nan=False,
        gt=0,
        validation_alias="GLOW_READ_TIMEOUT",
        description="Seconds to wait for response data.",
    )
    total_timeout: float = Field(
        default=30.0,
        allow_inf_nan=False,
        gt=0,
        le=55,
        validation_alias="GLOW_TIMEOUT",
        description="Seconds for a whole operation, retries included (at most 55, under the 60 s MCP clients wait).",
    )
    max_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        validation_alias="GLOW_MAX_RETRIES",
        description="Extra attempts for read-only operations on connection errors and 502/503/504.",
    )
    max_response_bytes: int = Field(
        default=10 * 1024 * 1024,
        gt=0,
        validation_alias="GLOW_MAX_RESPONSE_BYTES",
        description="Upstream bodies above this size are refused (memory stays bounded).",
    )

    # --- MCP side -----------------------------------------------------------------------
    transport: Transport = Field(
        default="stdio",
        validation_alias="GLOW_MCP_TRANSPORT",
        description="stdio, sse or http (streamable HTTP, stateless).",
    )
    host: str = Field(
        default="127.0.0.1", validation_alias="GLOW_MCP_HOST", description="Bind address of the HTTP transports."
    )
    port: int = Field(
        default=8765, ge=0, le=65535, validation_alias="GLOW_MCP_PORT", description="Port of the HTTP transports."
    )
    http_token: SecretStr | None = Field(
        default=None,
        validation_alias="GLOW_MCP_HTTP_TOKEN",
        description="If set, HTTP transports require Authorization: Bearer <this>.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="GLOW_MCP_ALLOWED_HOSTS",
        description="Extra allowed Host values (comma-separated); required for a non-loopback bind.",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="GLOW_MCP_ALLOWED_ORIGINS",
        description="Extra allowed Origin values (comma-separated).",
    )
    unsafe_allow_unauthenticated_remote: bool = Field(
        default=False,
        validation_alias="GLOW_MCP_UNSAFE_ALLOW_UNAUTHENTICATED_REMOTE",
        description="Allow a non-loopback HTTP bind without GLOW_MCP_HTTP_TOKEN (unsafe).",
    )
    max_request_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        validation_alias="GLOW_MCP_MAX_REQUEST_BYTES",
        description="HTTP request bodies above this size get 413.",
    )
    root_path: str = Field(
        default="",
        validation_alias="GLOW_MCP_ROOT_PATH",
        description="Path prefix a reverse proxy serves the HTTP transports under, e.g. /glow (empty: none).",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        validation_alias="GLOW_MCP_WORKERS",
        description="Worker processes for streamable HTTP (stateless: any worker answers any request); 1 for stdio and sse.",
    )
    read_only: bool = Field(
        default=False, validation_alias="GLOW_MCP_READ_ONLY", description="Register only the read-only tools."
    )
    tools: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="GLOW_MCP_TOOLS",
        description="Comma-separated tool names to register (default: all).",
    )
    exclude_tools: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="GLOW_MCP_EXCLUDE_TOOLS",
        description="Comma-separated tool names to leave out (wins over GLOW_MCP_TOOLS).",
    )
    max_result_tokens: int = Field(
        default=25_000,
        gt=0,
        validation_alias="GLOW_MCP_MAX_RESULT_TOKENS",
        description="Larger results are replaced by a hint to narrow the query.",
    )
    lookup_cache_seconds: float = Field(
        default=60.0,
        allow_inf_nan=False,
        ge=0,
        le=3600,
        validation_alias="GLOW_MCP_LOOKUP_CACHE_SECONDS",
        description="How long option lists used to resolve labels are reused (dropped on every write; 0: never).",
    )
    max_resource_bytes: int = Field(
        default=4 * 1024 * 1024,
        gt=0,
        validation_alias="GLOW_MCP_MAX_RESOURCE_BYTES",
        description="Largest export CSV served as a resource; a larger file is refused while streaming.",
    )
    log_level: LogLevel = Field(
        default="WARNING",
        validation_alias="GLOW_MCP_LOG_LEVEL",
        description="DEBUG, INFO, WARNING, ERROR or CRITICAL (logs go to stderr).",
    )
    log_json: bool = Field(
        default=False,
        validation_alias="GLOW_MCP_LOG_JSON",
        description="JSON log lines with tool, upstream_status and duration_ms.",
    )
    slow_call_seconds: float = Field(
        default=5.0,
        allow_inf_nan=False,
        gt=0,
        validation_alias="GLOW_MCP_SLOW_CALL_SECONDS",
        description="An upstream request slower than this (seconds) is reported to the MCP client as a warning.",
    )
    sandbox: bool = Field(
        default=False,
        validation_alias="GLOW_MCP_SANDBOX",
        description="Serve against an embedded local reference API (no credentials needed).",
    )
    sandbox_db: str | None = Field(
        default=None,
        validation_alias="GLOW_MCP_SANDBOX_DB",
        description=(
            "SQLite file of the --sandbox reference API (created and seeded when new; kept across runs and shared "
            "by concurrent processes). Unset: in memory, gone when the process ends."
        ),
    )
    resource_links: Literal["auto", "on", "off"] = Field(
        default="auto",
        validation_alias="GLOW_MCP_RESOURCE_LINKS",
        description=(
            "Whether tool results carry resource_link blocks (an export's link to its CSV): auto (only for clients "
            "known to handle them: VS Code, Claude Code, MCP Inspector), on or off. The text always names the URI."
        ),
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments (the CLI's flags) first, then ``GLOW_*`` environment variables only."""
        return (init_settings, _GlowEnvSource(settings_cls))

    @field_validator("allowed_hosts", "allowed_origins", "tools", "exclude_tools", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("api_key", "token", "http_token", mode="before")
    @classmethod
    def _secret(cls, value: object) -> object:
        """Empty means unset; otherwise printable ASCII without surrounding whitespace (a header value).

        The error never repeats the value.
        """
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            return value
        if raw != raw.strip():
            raise ValueError("has leading or trailing whitespace (a copy-paste slip?); remove it")
        if not raw.isascii() or not raw.isprintable():
            raise ValueError("must be printable ASCII (it is sent as an HTTP header)")
        if raw.lower().startswith("bearer "):
            raise ValueError("give the token alone, without the 'Bearer ' prefix")
        return value

    @field_validator("resource_links", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("sandbox_db")
    @classmethod
    def _sandbox_db(cls, value: str | None) -> str | None:
        return os.path.expanduser(value.strip()) if value is not None and value.strip() else None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("root_path")
    @classmethod
    def _root_path(cls, value: str) -> str:
        if not re.fullmatch(r"(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*", value):
            raise ValueError(
                "must be empty or a path like /glow: a leading /, no trailing / or //, and only ASCII letters, "
                "digits and -._~!$&'()*+,;=:@ (no %-escapes)"
            )
        return value

    @field_validator("instance_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("GLOW_INSTANCE_URL must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.total_timeout < self.connect_timeout:
            raise ValueError("GLOW_TIMEOUT must be at least GLOW_CONNECT_TIMEOUT")
        if self.sandbox_db and not self.sandbox:
            raise ValueError("GLOW_MCP_SANDBOX_DB (--sandbox-db) is the database of --sandbox: add --sandbox")
        return self

    @property
    def display_url(self) -> str:
        """The instance URL as it may be shown: no user-info, query or fragment."""
        return redact_url(self.instance_url) if self.instance_url else "(no GLOW_INSTANCE_URL)"

    def secret_values(self) -> list[str]:
        """Every configured secret (``GLOW_API_KEY``, ``GLOW_TOKEN``, ``GLOW_MCP_HTTP_TOKEN``) long
        enough to be scrubbed, longest first: the one list that logs, errors and results are
        scrubbed of."""
        values = {v.get_secret_value() for v in (self.api_key, self.token, self.http_token) if v is not None}
        return sorted((v for v in values if len(v) >= MIN_SCRUBBED_SECRET), key=len, reverse=True)

    @property
    def is_loopback(self) -> bool:
        """Whether the HTTP bind address is a loopback address (``localhost`` or a loopback IP)."""
        if self.host in LOOPBACK_HOSTS:
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False
