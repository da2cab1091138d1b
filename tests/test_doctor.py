"""``glow-models-mcp doctor``: configuration, reachability and credential checks against the reference API.

Each case checks the exit code, the failing line and its fix, and that no secret reaches the output.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from support import SANDBOX_API_KEY, SUPERADMIN_TOKEN, clean_env, closed_port_url, server_command

from glow_models_mcp.doctor import run_doctor

# The doctor's checks are about the network (reachability, redirects, credentials over HTTP).
pytestmark = pytest.mark.process

BAD_TOKEN = "not-a-valid-token-7f3a9c21e8"


def _doctor(settings: Any) -> tuple[int, str]:
    out = io.StringIO()
    code = run_doctor(settings, out=out)
    return code, out.getvalue()


def _line(output: str, label: str) -> str:
    """The report line of check ``label`` plus its fix line, if any."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line[6:].startswith(label):
            follow = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("      ") else ""
            return f"{line}\n{follow}"
    raise AssertionError(f"no line for {label!r} in:\n{output}")


def _assert_no_secret(output: str, *secrets: str) -> None:
    """No secret in ``output``; for the random secrets made here, not even their last 10 characters."""
    for secret in secrets:
        assert secret not in output
        if secret == BAD_TOKEN or "." in secret or "padded" in secret:
            assert secret[-10:] not in output, f"part of a secret leaked: {secret[-10:]!r}"


def _api_key() -> str:
    return SANDBOX_API_KEY


def _jwt(exp: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': 'someone', 'exp': int(exp)})}.c2lnbmF0dXJlLXBhcnQ"


def test_all_checks_pass_with_good_credentials(sandbox: Any, make_settings: Callable[..., Any]) -> None:
    code, output = _doctor(make_settings(sandbox.url))
    assert code == 0, output
    for label in ("GLOW_INSTANCE_URL", "GLOW_API_KEY", "GLOW_TOKEN", "server options", "reach instance", "credentials"):
        assert _line(output, label).startswith("PASS"), output
    assert "FAIL" not in output and "SKIP" not in output
    assert f"set ({len(_api_key())} chars)" in _line(output, "GLOW_API_KEY")
    assert f"set ({len(SUPERADMIN_TOKEN)} chars)" in _line(output, "GLOW_TOKEN")
    assert "search_models" in _line(output, "credentials")
    assert "checks passed" in output.splitlines()[-1]
    _assert_no_secret(output, _api_key(), SUPERADMIN_TOKEN)


def test_bad_token_fails_with_401_and_a_fix(sandbox: Any, make_settings: Callable[..., Any]) -> None:
    code, output = _doctor(make_settings(sandbox.url, token=BAD_TOKEN))
    assert code == 1, output
    assert _line(output, "reach instance").startswith("PASS")
    line = _line(output, "credentials")
    assert line.startswith("FAIL"), output
    assert "HTTP 401" in line
    assert "GLOW_TOKEN" in line and "fix:" in line
    _assert_no_secret(output, _api_key(), BAD_TOKEN)
    assert "refused GLOW_TOKEN" in line


def test_member_token_passes(sandbox: Any, make_settings: Callable[..., Any]) -> None:
    # Any role may search: the credential check is read-only and needs no admin rights.
    code, output = _doctor(make_settings(sandbox.url, token="sandbox-member"))
    assert code == 0, output
    assert "Sandbox Member" in _line(output, "credentials")


def test_unreachable_url_fails_fast_and_skips_credentials(make_settings: Callable[..., Any]) -> None:
    url = closed_port_url()
    started = time.monotonic()
    code, output = _doctor(make_settings(url))
    assert time.monotonic() - started < 10
    assert code == 1, output
    line = _line(output, "reach instance")
    assert line.startswith("FAIL") and url in line and "connection failed" in line, output
    assert "fix:" in line and "GLOW_INSTANCE_URL" in line
    assert _line(output, "credentials").startswith("SKIP")
    _assert_no_secret(output, _api_key(), SUPERADMIN_TOKEN)


def test_no_url_fails_and_points_at_sandbox(make_settings: Callable[..., Any]) -> None:
    code, output = _doctor(make_settings(None))
    assert code == 1, output
    line = _line(output, "GLOW_INSTANCE_URL")
    assert line.startswith("FAIL") and "not set" in line, output
    assert "--sandbox" in line
    assert _line(output, "reach instance").startswith("SKIP")
    assert _line(output, "credentials").startswith("SKIP")
    _assert_no_secret(output, _api_key(), SUPERADMIN_TOKEN)


def test_missing_credentials_are_named(sandbox: Any, make_settings: Callable[..., Any]) -> None:
    code, output = _doctor(make_settings(sandbox.url, api_key=None, token=None))
    assert code == 1, output
    assert _line(output, "GLOW_API_KEY").startswith("FAIL  GLOW_API_KEY       not set")
    assert _line(output, "GLOW_TOKEN").startswith("FAIL  GLOW_TOKEN         not set")
    assert _line(output, "reach instance").startswith("PASS")
    assert _line(output, "credentials").startswith("SKIP")


def test_url_with_api_prefix_gets_the_root_as_fix(sandbox: Any, make_settings: Callable[..., Any]) -> None:
    code, output = _doctor(make_settings(sandbox.url + "/api/v5"))
    assert code == 1, output
    line = _line(output, "GLOW_INSTANCE_URL")
    assert line.startswith("FAIL") and f"set GLOW_INSTANCE_URL to {sandbox.url}" in line, output


def test_url_of_something_else_fails_with_no_models_api(sandbox: Any, make_settings: Callable[..., Any]) -> None:
    code, output = _doctor(make_settings(sandbox.url + "/not-the-api"))
    assert code == 1, output
    line = _line(output, "credentials")
    assert line.startswith("FAIL") and "HTTP 404" in line and "no Models API" in line, output


def test_token_with_bearer_prefix_and_expired_jwt(sandbox: Any, make_settings: Callable[..., Any]) -> None:
    expired = _jwt(time.time() - 3600)
    code, output = _doctor(make_settings(sandbox.url, token=expired))
    assert code == 1
    assert "expired" in _line(output, "GLOW_TOKEN")
    _assert_no_secret(output, expired)

    valid = _jwt(time.time() + 3600)
    _, output = _doctor(make_settings(sandbox.url, token=valid))
    line = _line(output, "GLOW_TOKEN")
    assert line.startswith("PASS") and "valid until" in line
    _assert_no_secret(output, valid)


def test_unknown_tool_name_fails_server_options(sandbox: Any, make_settings: Callable[..., Any]) -> None:
    code, output = _doctor(make_settings(sandbox.url, tools=["serch_models"]))
    assert code == 1
    line = _line(output, "server options")
    assert line.startswith("FAIL") and "serch_models" in line and "GLOW_MCP_TOOLS" in line


def test_sandbox_mode_checks_the_embedded_reference_api() -> None:
    from glow_models_mcp.settings import Settings

    code, output = _doctor(Settings(sandbox=True, instance_url=None, api_key=None, token=None))
    assert code == 0, output
    assert "sandbox mode" in output
    assert _line(output, "credentials").startswith("PASS")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("  padded-secret-token-0b1c2d  ", "whitespace"),
        ("padded-secret-token-0b1c2d\n", "whitespace"),
        ("Bearer padded-secret-token-0b1c2d", "'Bearer ' prefix"),
        ("padded-secret-tokén-0b1c2d", "printable ASCII"),
    ],
)
def test_malformed_token_is_a_configuration_error_naming_the_variable(sandbox: Any, token: str, reason: str) -> None:
    # Refused when the settings load (before any request could carry it), for serve and doctor alike.
    env = clean_env(GLOW_INSTANCE_URL=sandbox.url, GLOW_API_KEY=_api_key(), GLOW_TOKEN=token)
    for args in (("doctor",), ()):
        proc = subprocess.run(server_command(*args), capture_output=True, text=True, env=env, timeout=60, input="")
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "GLOW_TOKEN" in proc.stderr and reason in proc.stderr
        _assert_no_secret(proc.stdout + proc.stderr, token.strip(), "padded-secret")


@pytest.mark.parametrize("good", [True, False], ids=["good-credentials", "bad-token"])
def test_cli_exit_code_and_no_secret_on_any_stream(sandbox: Any, good: bool) -> None:
    token = SUPERADMIN_TOKEN if good else BAD_TOKEN
    env = clean_env(GLOW_INSTANCE_URL=sandbox.url, GLOW_API_KEY=_api_key(), GLOW_TOKEN=token)
    proc = subprocess.run(server_command("doctor"), capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == (0 if good else 1), proc.stdout + proc.stderr
    assert ("PASS  credentials" if good else "FAIL  credentials") in proc.stdout
    _assert_no_secret(proc.stdout + proc.stderr, _api_key(), token)


def test_redirecting_instance_names_the_target_without_its_query(make_settings: Callable[..., Any]) -> None:
    # An instance that redirects everything (a web front, http -> https): the probe reports the target,
    # without the query (which may hold anything), and the credentials check explains the redirect.
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def _redirect(self) -> None:
            self.send_response(301)
            self.send_header("Location", "/elsewhere/?session=abc123")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _redirect

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code, output = _doctor(make_settings(url))
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1, output
    reach = _line(output, "reach instance")
    assert reach.startswith("PASS") and f"answered HTTP 301 (a redirect to {url}/elsewhere/)" in reach, output
    assert "abc123" not in output
    credentials = _line(output, "credentials")
    assert credentials.startswith("FAIL") and "HTTP 301" in credentials, output
    assert f"its root redirects to {url}/elsewhere/" in credentials and "does not follow redirects" in credentials
