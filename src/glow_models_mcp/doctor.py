"""``glow-models-mcp doctor``: check the configuration, the instance and the credentials.

The report goes to stdout, one line per check (``PASS``, ``FAIL``, ``WARN`` or ``SKIP``), each
failure followed by the fix. Checks, in order:

1. ``GLOW_INSTANCE_URL`` is set and well formed (http(s), a host, no ``/api/v5``, no query);
2. ``GLOW_API_KEY`` and ``GLOW_TOKEN`` are set (shown only as ``set (N chars)``; a JWT's expiry
   is checked without printing the token);
3. the MCP-side options (tool selection, HTTP exposure) are ones the server will start with;
4. the instance answers HTTP at all (any status counts: this is about the network): a ``GET`` of
   its root without credentials, :meth:`~glow_models_mcp.upstream.GlowClient.probe`;
5. the credentials work: a read-only ``search_models`` call with ``page_size`` 1 through
   :class:`~glow_models_mcp.upstream.GlowClient`, exactly as the tools call it.

With ``--sandbox`` (``GLOW_MCP_SANDBOX``) the checks run against the embedded reference API the
server would start instead. The exit code is 0 only when every check passes (``WARN`` lines do not
fail the run; ``SKIP`` lines, checks that could not run because an earlier one failed, do).

No line printed here contains a secret: secrets are only ever described by their length, and
every line is scrubbed of the configured secret values before it is written, as a second guard.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import urlsplit

from . import __version__
from .settings import LOOPBACK_HOSTS, REDACTED, Settings, instance_url_problem, redact_url

EXIT_OK, EXIT_FAIL = 0, 1

PASS, FAIL, WARN, SKIP = "PASS", "FAIL", "WARN", "SKIP"


@dataclass
class Check:
    """One line of the report: the check's label, its status, what was found, and the fix."""

    label: str
    status: str
    detail: str
    fix: str | None = None


@dataclass
class _Probe:
    """What the reachability check learned: whether anything answered, and a redirect target."""

    reachable: bool = False
    location: str | None = None


def run_doctor(settings: Settings, *, out: TextIO | None = None) -> int:
    """Run every check against ``settings``, print the report to ``out`` (stdout), return the exit code.

    Returns:
        0 when all checks pass, 1 otherwise.
    """
    out = out if out is not None else sys.stdout
    printer = _Printer(out, settings.secret_values())
    printer.line(f"glow-models-mcp {__version__} doctor")

    sandbox = None
    try:
        if settings.sandbox:
            settings, sandbox, note = _start_sandbox(settings)
            printer.line(note)
            if sandbox is None:
                printer.line("")
                printer.check(Check("sandbox", FAIL, "the embedded reference API did not start", note))
                printer.line("")
                printer.line("The embedded reference API could not start; see the message above.")
                return EXIT_FAIL
        printer.line("")
        checks = _run_checks(settings, printer, sandbox=sandbox is not None)
    finally:
        if sandbox is not None:
            sandbox.__exit__(None, None, None)

    failed = sum(1 for c in checks if c.status == FAIL)
    skipped = sum(1 for c in checks if c.status == SKIP)
    printer.line("")
    if failed or skipped:
        parts = [f"{failed} of {len(checks)} checks failed"]
        if skipped:
            parts.append(f"{skipped} could not run")
        printer.line(", ".join(parts) + ". Apply the fixes above, then run `glow-models-mcp doctor` again.")
        return EXIT_FAIL
    warned = sum(1 for c in checks if c.status == WARN)
    tail = f" ({warned} warning{'s' if warned != 1 else ''})" if warned else ""
    printer.line(f"All {len(checks)} checks passed{tail}: the server is ready to use this instance.")
    return EXIT_OK


# ------------------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------------------


def _run_checks(settings: Settings, printer: _Printer, *, sandbox: bool) -> list[Check]:
    checks: list[Check] = []

    def record(check: Check) -> Check:
        checks.append(check)
        printer.check(check)
        return check

    url_check = record(_check_url(settings.instance_url, sandbox=sandbox))
    key_check = _check_secret("GLOW_API_KEY", settings.api_key, _API_KEY_FIX)
    token_check = _check_token(settings.token)
    if sandbox:
        key_check.detail = key_check.detail.replace("set (", "set (the reference API's, ", 1)
        token_check.detail = token_check.detail.replace("set (", "set (the reference API's, ", 1)
    record(key_check)
    record(token_check)
    record(_check_server_options(settings))

    url_ok = url_check.status in (PASS, WARN)
    if url_ok:
        reach_check, probe = _check_reach(settings)
    else:
        reach_check, probe = (
            Check("reach instance", SKIP, "not tried: GLOW_INSTANCE_URL is unusable", "fix GLOW_INSTANCE_URL first"),
            _Probe(),
        )
    record(reach_check)

    if not url_ok or not probe.reachable:
        record(Check("credentials", SKIP, "not verified: the instance was not reached", "fix the checks above first"))
    elif key_check.status == FAIL or token_check.status == FAIL:
        record(
            Check(
                "credentials",
                SKIP,
                "not verified: GLOW_API_KEY and GLOW_TOKEN must both be usable first",
                "fix GLOW_API_KEY / GLOW_TOKEN as shown above",
            )
        )
    else:
        record(_check_credentials(settings, probe))
    return checks


def _check_url(url: str | None, *, sandbox: bool) -> Check:
    label = "GLOW_INSTANCE_URL"
    if not url:
        return Check(
            label,
            FAIL,
            "not set",
            "set GLOW_INSTANCE_URL to the root URL of your Glow API server, e.g. https://glow.example.org "
            "(without /api/v5); or pass --sandbox to try the server against a local reference API",
        )
    problem = instance_url_problem(url)
    if problem is not None:
        return Check(label, FAIL, *problem)
    parts = urlsplit(url)
    shown = redact_url(url)
    where = " (embedded reference API)" if sandbox else ""
    host = parts.hostname or ""
    if parts.scheme == "http" and not (host in LOOPBACK_HOSTS or host.startswith("127.")):
        return Check(
            label,
            WARN,
            f"{shown}{where}: plain http to a remote host sends the credentials unencrypted",
            "use https:// if the instance supports it",
        )
    return Check(label, PASS, f"{shown}{where}")


_API_KEY_FIX = (
    "set GLOW_API_KEY to your Glow API key (sent as X-Api-Key) in the MCP server's environment; "
    "the Glow API answers 401 without it"
)
_TOKEN_FIX = (
    "set GLOW_TOKEN to your Glow bearer token (a JWT, sent as Authorization: Bearer) in the MCP server's "
    "environment; the Glow API answers 401 without it"
)


def _check_secret(label: str, value: Any, fix: str) -> Check:
    secret = value.get_secret_value() if value is not None else ""
    if not secret:
        return Check(label, FAIL, "not set", fix)
    if secret != secret.strip():
        return Check(
            label,
            FAIL,
            f"set ({len(secret)} chars) but with leading or trailing whitespace",
            f"remove the whitespace around the value of {label} (a copy-paste slip?)",
        )
    if any(ch.isspace() or ord(ch) < 32 for ch in secret):
        return Check(
            label,
            FAIL,
            f"set ({len(secret)} chars) but contains whitespace or control characters",
            f"check the value of {label}; it must be a single token",
        )
    return Check(label, PASS, f"set ({len(secret)} chars)")


def _check_token(value: Any) -> Check:
    label = "GLOW_TOKEN"
    secret = value.get_secret_value() if value is not None else ""
    if secret.lower().startswith("bearer "):
        return Check(
            label,
            FAIL,
            f"set ({len(secret)} chars) but starts with 'Bearer '",
            "set GLOW_TOKEN to the token alone; the server adds the 'Bearer ' prefix itself",
        )
    check = _check_secret(label, value, _TOKEN_FIX)
    if check.status != PASS:
        return check
    expiry = _jwt_expiry(secret)
    if expiry is None:
        return check
    when = expiry.strftime("%Y-%m-%d %H:%M UTC")
    if expiry <= datetime.now(UTC):
        return Check(
            label,
            FAIL,
            f"set ({len(secret)} chars), a JWT that expired on {when}",
            "get a fresh token from your Glow instance and set GLOW_TOKEN to it",
        )
    return Check(label, PASS, f"set ({len(secret)} chars), a JWT valid until {when}")


def _jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT (not verified; only read to give a better hint), else ``None``."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
        exp = claims.get("exp") if isinstance(claims, dict) else None
        if isinstance(exp, bool) or not isinstance(exp, (int, float)):
            return None
        return datetime.fromtimestamp(exp, tz=UTC)
    except (ValueError, UnicodeError, OverflowError, OSError):
        return None


def _check_server_options(settings: Settings) -> Check:
    label = "server options"
    from .tools import TOOL_NAMES, select_tools

    try:
        specs = select_tools(read_only=settings.read_only, include=settings.tools, exclude=settings.exclude_tools)
    except ValueError as exc:
        return Check(
            label, FAIL, str(exc), "fix GLOW_MCP_TOOLS / GLOW_MCP_EXCLUDE_TOOLS (or --tools / --exclude-tools)"
        )
    if not specs:
        return Check(
            label,
            FAIL,
            "the tool selection leaves no tool to register",
            "relax GLOW_MCP_TOOLS / GLOW_MCP_EXCLUDE_TOOLS / GLOW_MCP_READ_ONLY",
        )
    transport = {"stdio": "stdio", "sse": "SSE", "http": "streamable HTTP"}[settings.transport]
    if settings.transport != "stdio":
        from .http_app import check_http_exposure

        try:
            check_http_exposure(settings)
        except ValueError as exc:
            return Check(
                label, FAIL, f"{transport} on {settings.host}:{settings.port}: {exc}", "see the message for the fix"
            )
        transport += f" on {settings.host}:{settings.port}"
    mode = ", read-only" if settings.read_only else ""
    return Check(label, PASS, f"{transport}, {len(specs)} of {len(TOOL_NAMES)} tools{mode}")


def _check_reach(settings: Settings) -> tuple[Check, _Probe]:
    """Can we get any HTTP answer from the instance? No credentials are sent here (``GlowClient.probe``)."""
    import anyio
    import httpx2

    from .upstream import GlowClient, Probe

    label = "reach instance"
    shown = settings.display_url
    started = time.perf_counter()
    fix = (
        "check that GLOW_INSTANCE_URL is right, that the Glow API server is running, and that this machine "
        "can reach it (VPN, firewall, proxy settings)"
    )

    async def probe() -> Probe:
        async with GlowClient(settings) as client:
            return await client.probe()

    try:
        answer = anyio.run(probe)
    except httpx2.ConnectTimeout:
        return Check(
            label, FAIL, f"{shown}: no connection within {settings.connect_timeout:g} s (GLOW_CONNECT_TIMEOUT)", fix
        ), _Probe()
    except httpx2.TimeoutException:
        return Check(
            label, FAIL, f"{shown}: connected but no answer within {settings.read_timeout:g} s (GLOW_READ_TIMEOUT)", fix
        ), _Probe()
    except httpx2.ConnectError as exc:
        reason = _short(exc)
        lowered = reason.lower()
        if any(
            m in lowered
            for m in (
                "name or service not known",
                "nodename nor servname",
                "getaddrinfo",
                "name resolution",
                "no address associated",
            )
        ):
            fix = (
                "the host name does not resolve: check its spelling in GLOW_INSTANCE_URL, and the DNS or VPN "
                "this machine needs to see the instance"
            )
        elif "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
            fix = (
                "the TLS handshake failed: check the URL's host name, or install the CA of the instance "
                "(SSL_CERT_FILE) if it uses a private certificate"
            )
        return Check(label, FAIL, f"{shown}: connection failed ({reason})", fix), _Probe()
    except httpx2.HTTPError as exc:
        return Check(label, FAIL, f"{shown}: {type(exc).__name__} ({_short(exc)})", fix), _Probe()
    elapsed = (time.perf_counter() - started) * 1000
    redirect = f" (a redirect to {answer.location})" if answer.location else ""
    check = Check(label, PASS, f"{shown} answered HTTP {answer.status}{redirect} in {elapsed:.0f} ms")
    return check, _Probe(reachable=True, location=answer.location)


def _check_credentials(settings: Settings, probe: _Probe) -> Check:
    """A read-only ``search_models`` (page_size 1) through the client the tools use."""
    import anyio

    from . import schemas as s
    from .exceptions import (
        ConfigurationError,
        UpstreamHTTPError,
        UpstreamResponseError,
        UpstreamUnavailable,
        detail_text,
    )
    from .upstream import SEARCH, GlowClient

    label = "credentials"

    async def call() -> s.ListModelApiResponse:
        async with GlowClient(settings) as client:
            return (await client.request(SEARCH, s.SearchModelApiRequest(page_size=1)))[1]

    try:
        result = anyio.run(call)
    except UpstreamHTTPError as exc:
        detail = _short(detail_text(exc.detail), 200)
        found = f"search_models answered HTTP {exc.status}: {detail}"
        if exc.status == 401:
            fix = _unauthorized_fix(detail)
        elif exc.status == 403:
            fix = "the credentials are valid but may not read models: ask a Glow admin for a role with access to models"
        elif exc.status in (404, 405):
            fix = (
                f"no Models API at {settings.display_url}{SEARCH.path}: set GLOW_INSTANCE_URL to "
                "the Glow API server's root (not the web app's URL; without /api/v5)"
            )
        elif 300 <= exc.status < 400:
            hint = f" (its root redirects to {probe.location})" if probe.location else ""
            fix = (
                f"the instance redirected the API call{hint} and the server does not follow redirects: set "
                "GLOW_INSTANCE_URL to the URL the API really lives at (often https:// instead of http://)"
            )
        elif exc.status == 422:
            fix = "the instance rejected the request's shape: its API version may not match this server; report it"
        elif exc.status >= 500:
            fix = "the Glow server failed; retry in a moment, and if it persists report it to the Glow admins"
        else:
            fix = "unexpected answer; check GLOW_INSTANCE_URL and the credentials"
        return Check(label, FAIL, found, fix)
    except UpstreamUnavailable as exc:
        return Check(
            label,
            FAIL,
            f"search_models got no answer: {exc.reason}",
            "the instance answered before but not now: retry, or raise GLOW_TIMEOUT / GLOW_READ_TIMEOUT",
        )
    except UpstreamResponseError as exc:
        return Check(
            label,
            FAIL,
            f"search_models got an unusable answer: {_short(exc.message, 200)}",
            "check that GLOW_INSTANCE_URL points at the Glow API server (not a proxy or web page)",
        )
    except ConfigurationError as exc:  # pragma: no cover - the URL check runs first
        return Check(label, FAIL, str(exc), "set GLOW_INSTANCE_URL")
    total = result.total_count if result.total_count is not None else len(result.models or [])
    who = f" as {result.actor_name}" if result.actor_name else ""
    return Check(
        label, PASS, f"search_models (read-only) succeeded{who}: {total} model{'s' if total != 1 else ''} visible"
    )


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


def _unauthorized_fix(detail: str) -> str:
    """The fix for a 401, aimed at the credential the upstream's message names."""
    text = detail.lower()
    if "api-key" in text or "api key" in text or "license" in text:
        return "the instance refused GLOW_API_KEY: check its value and that it belongs to this instance"
    if "token" in text or "bearer" in text or "jwt" in text:
        return (
            "the instance refused GLOW_TOKEN: check its value, get a fresh one if it expired, and make sure it "
            "was issued for this instance"
        )
    return (
        "GLOW_API_KEY or GLOW_TOKEN is not accepted by this instance: check both values (tokens expire; "
        "get a fresh one) and that they belong to this instance"
    )


def _start_sandbox(settings: Settings) -> tuple[Settings, Any, str]:
    """Start the embedded reference API as ``serve --sandbox`` would; return the settings pointing at it."""
    try:
        from .sandbox import SandboxServer

        server = SandboxServer()
        server.__enter__()
    except Exception as exc:
        return settings, None, f"sandbox mode: could not start the embedded reference API ({_short(exc)})"
    settings = server.client_settings(settings)
    note = (
        "sandbox mode (--sandbox / GLOW_MCP_SANDBOX): checking the embedded reference API the server starts "
        "instead of GLOW_INSTANCE_URL; GLOW_API_KEY and GLOW_TOKEN are not used."
    )
    return settings, server, note


def _short(value: object, limit: int = 160) -> str:
    text = " ".join(str(value).split()) or type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Printer:
    """Writes report lines; scrubs secret values from every line before it is written."""

    def __init__(self, out: TextIO, secrets: list[str]) -> None:
        self.out = out
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def line(self, text: str) -> None:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        try:
            self.out.write(text + "\n")
        except UnicodeEncodeError:
            encoding = getattr(self.out, "encoding", None) or "ascii"
            self.out.write(text.encode(encoding, "replace").decode(encoding) + "\n")
        self.out.flush()

    def check(self, check: Check) -> None:
        self.line(f"{check.status}  {check.label:<18} {check.detail}")
        if check.fix and check.status != PASS:
            self.line(f"      {'fix' if check.status == FAIL else 'note'}: {check.fix}")
