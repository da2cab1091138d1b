"""Configuration: GLOW_* variables only, flags over variables, secrets never shown."""

from __future__ import annotations

import pytest

from glow_models_mcp.settings import Settings


def test_only_glow_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"PORT": "9999", "TOKEN": "stray", "TRANSPORT": "sse", "HOST": "0.0.0.0", "TOOLS": "x"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GLOW_TOKEN", "the-real-token")
    settings = Settings()
    assert settings.port == 8765 and settings.transport == "stdio" and settings.host == "127.0.0.1"
    assert settings.tools == []
    assert settings.token is not None and settings.token.get_secret_value() == "the-real-token"


def test_flags_override_variables_and_lists_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOW_MCP_PORT", "7000")
    monkeypatch.setenv("GLOW_MCP_EXCLUDE_TOOLS", "delete_models, update_models")
    monkeypatch.setenv("GLOW_INSTANCE_URL", "https://glow.example.org/")
    settings = Settings(port=7100)
    assert settings.port == 7100
    assert settings.exclude_tools == ["delete_models", "update_models"]
    assert settings.instance_url == "https://glow.example.org"


def test_secrets_are_hidden_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOW_API_KEY", "key-sentinel-123")
    monkeypatch.setenv("GLOW_MCP_HTTP_TOKEN", "http-sentinel-456")
    settings = Settings(token="tok-sentinel-789")
    for text in (repr(settings), str(settings), str(settings.model_dump())):
        assert "sentinel" not in text


@pytest.mark.parametrize(
    ("field", "value"),
    [("instance_url", "glow.example.org"), ("total_timeout", 90), ("port", 70000), ("log_level", "loud")],
)
def test_invalid_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError):
        Settings(**{field: value})
