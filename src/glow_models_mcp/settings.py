"""Configuration from environment variables (and, through ``cli.py``, command-line flags).

Every setting has an environment variable; the CLI flags of ``glow-models-mcp`` override them.
Secrets are :class:`pydantic.SecretStr`: their ``repr`` and ``str`` print ``**********``, so a
logged or printed :class:`Settings` never shows a credential.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

Transport = Literal["stdio", "sse", "http"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


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

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    # --- upstream -----------------------------------------------------------------------
    instance_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("GLOW_INSTANCE_URL", "instance_url"),
        description="Root URL of the Glow API server, e.g. https://glow.example.org (no /api/v5).",
    )
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("GLOW_API_KEY", "api_key"),
        description="Sent as X-Api-Key.",
    )
    token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("GLOW_TOKEN", "token"),
        description="Bearer JWT, sent as Authorization: Bearer <token>.",
    )
    connect_timeout: float = Field(
        default=5.0, gt=0, validation_alias=AliasChoices("GLOW_CONNECT_TIMEOUT", "connect_timeout")
    )
    read_timeout: float = Field(default=20.0, gt=0, validation_alias=AliasChoices("GLOW_READ_TIMEOUT", "read_timeout"))
    total_timeout: float = Field(
        default=30.0,
        gt=0,
        le=55,
        validation_alias=AliasChoices("GLOW_TIMEOUT", "total_timeout"),
        description="Whole operation, retries included; stays under the 60 s MCP clients wait.",
    )
    max_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        validation_alias=AliasChoices("GLOW_MAX_RETRIES", "max_retries"),
        description="Extra attempts for read-only operations on connection errors and 502/503/504.",
    )
    max_response_bytes: int = Field(
        default=10 * 1024 * 1024,
        gt=0,
        validation_alias=AliasChoices("GLOW_MAX_RESPONSE_BYTES", "max_response_bytes"),
        description="Upstream bodies above this size are refused (memory stays bounded).",
    )

    # --- MCP side -----------------------------------------------------------------------
    transport: Transport = Field(default="stdio", validation_alias=AliasChoices("GLOW_MCP_TRANSPORT", "transport"))
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("GLOW_MCP_HOST", "host"))
    port: int = Field(default=8765, ge=0, le=65535, validation_alias=AliasChoices("GLOW_MCP_PORT", "port"))
    http_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("GLOW_MCP_HTTP_TOKEN", "http_token"),
        description="If set, HTTP transports require Authorization: Bearer <this>.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("GLOW_MCP_ALLOWED_HOSTS", "allowed_hosts")
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("GLOW_MCP_ALLOWED_ORIGINS", "allowed_origins")
    )
    unsafe_allow_unauthenticated_remote: bool = Field(
        default=False,
        validation_alias=AliasChoices("GLOW_MCP_UNSAFE_ALLOW_UNAUTHENTICATED_REMOTE", "unsafe_allow_unauthenticated_remote"),
    )
    max_request_bytes: int = Field(
        default=1024 * 1024, gt=0, validation_alias=AliasChoices("GLOW_MCP_MAX_REQUEST_BYTES", "max_request_bytes")
    )
    read_only: bool = Field(default=False, validation_alias=AliasChoices("GLOW_MCP_READ_ONLY", "read_only"))
    tools: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("GLOW_MCP_TOOLS", "tools")
    )
    exclude_tools: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("GLOW_MCP_EXCLUDE_TOOLS", "exclude_tools")
    )
    max_result_tokens: int = Field(
        default=25_000, gt=0, validation_alias=AliasChoices("GLOW_MCP_MAX_RESULT_TOKENS", "max_result_tokens")
    )
    log_level: LogLevel = Field(default="WARNING", validation_alias=AliasChoices("GLOW_MCP_LOG_LEVEL", "log_level"))
    log_json: bool = Field(default=False, validation_alias=AliasChoices("GLOW_MCP_LOG_JSON", "log_json"))
    sandbox: bool = Field(default=False, validation_alias=AliasChoices("GLOW_MCP_SANDBOX", "sandbox"))

    @field_validator("allowed_hosts", "allowed_origins", "tools", "exclude_tools", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

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
        return self

    @property
    def is_loopback(self) -> bool:
        """Whether the HTTP bind address is a loopback address."""
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")
