"""Exceptions of this package (a leaf: it imports nothing from the package).

The tree::

    Exception
    ├── GlowError                  an upstream call failed (``operation`` names the upstream operation)
    │   ├── UpstreamHTTPError      non-2xx answer: ``status``, ``detail``, ``retry_after``
    │   ├── UpstreamUnavailable    no answer: connection refused, timeouts (``may_have_reached``)
    │   └── UpstreamResponseError  a 2xx answer that cannot be used (too large, not JSON, off-schema)
    │       └── ResponseTooLarge   a body over its byte cap (``size``, ``cap``, ``setting``)
    ├── ConfigurationError         the server cannot reach an instance (e.g. no ``GLOW_INSTANCE_URL``)
    │   └── TLSSetupError          CA certificates (SSL_CERT_FILE, SSL_CERT_DIR) that cannot be read
    └── LookupFailed               labels or names given where ids go matched nothing, or several things
                                   (``problems``: one :class:`LookupProblem` each); nothing was sent

No message built by these classes contains a credential: texts from upstream bodies are scrubbed
by the client before an exception is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Most entries of a 422 list, and most characters, that an upstream ``detail`` is rendered with
#: (an error an agent reads stays small whatever the upstream sends).
MAX_DETAIL_ITEMS = 20
MAX_DETAIL_CHARS = 2000


def detail_text(detail: str | list[Any] | Any) -> str:
    """Render an upstream ``detail`` as text: FastAPI's 422 list becomes ``field: message`` lines
    (at most :data:`MAX_DETAIL_ITEMS`), and the whole is cut at :data:`MAX_DETAIL_CHARS`."""
    if isinstance(detail, list):
        lines = []
        for item in detail[:MAX_DETAIL_ITEMS]:
            if isinstance(item, dict):
                loc = [str(p) for p in item.get("loc", []) if p != "body"]
                lines.append(f"{'.'.join(loc)[:200] or '(body)'}: {str(item.get('msg', item))[:300]}")
            else:
                lines.append(str(item)[:300])
        if len(detail) > MAX_DETAIL_ITEMS:
            lines.append(f"... and {len(detail) - MAX_DETAIL_ITEMS} more")
        text = "\n".join(lines)
    else:
        text = str(detail)
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 3] + "..."


class GlowError(Exception):
    """Base of every failure of an upstream call. ``operation`` is the upstream's short name."""

    def __init__(self, operation: str, message: str) -> None:
        super().__init__(message)
        self.operation = operation
        self.message = message


class UpstreamHTTPError(GlowError):
    """The upstream answered with a non-2xx status.

    Attributes:
        status: the HTTP status code.
        detail: the upstream ``detail``: a string, FastAPI's 422 list of
            ``{"loc", "msg", "type", ...}`` dicts, or a short excerpt of a plain-text/HTML body.
        retry_after: seconds from a ``Retry-After`` header, if any.
    """

    def __init__(self, operation: str, status: int, detail: str | list[Any], retry_after: float | None = None) -> None:
        self.status = status
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(operation, f"{operation}: HTTP {status}: {detail_text(detail)}")


class UpstreamUnavailable(GlowError):
    """The upstream could not be reached, or did not answer within the timeouts.

    Attributes:
        base_url: the configured instance URL (user-info removed).
        reason: a short description (``connection refused``, ``read timeout after 20 s``...).
        may_have_reached: whether the request may have reached the server (``False`` only when
            the connection could not even be opened).
    """

    def __init__(self, operation: str, base_url: str, reason: str, *, may_have_reached: bool = True) -> None:
        self.base_url = base_url
        self.reason = reason
        self.may_have_reached = may_have_reached
        super().__init__(operation, f"{operation}: could not get an answer from {base_url}: {reason}")


class UpstreamResponseError(GlowError):
    """A 2xx answer that cannot be used: too large, not JSON, or not matching the schema."""


class ResponseTooLarge(UpstreamResponseError):
    """A body over its byte cap, refused while streaming (so memory stays bounded).

    Attributes:
        size: the declared ``Content-Length``, or ``None`` when the stream passed the cap.
        cap: the cap in bytes.
        setting: the environment variable that sets the cap.
    """

    def __init__(self, operation: str, message: str, *, size: int | None, cap: int, setting: str) -> None:
        super().__init__(operation, message)
        self.size = size
        self.cap = cap
        self.setting = setting


class ConfigurationError(Exception):
    """The server is not configured to reach an instance (e.g. no ``GLOW_INSTANCE_URL``)."""


class TLSSetupError(ConfigurationError):
    """The upstream client's TLS context cannot be built (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` name
    CA certificates that cannot be read); the message says which error."""


@dataclass(frozen=True)
class LookupProblem:
    """One reference that could not be resolved: at ``path`` in the arguments, ``value`` matched
    no option or model, or several; ``candidates`` are ``(label, id)`` pairs to choose from."""

    path: str
    value: str
    reason: str
    candidates: list[tuple[str, str]]


class LookupFailed(Exception):
    """Labels or model names given where ids go could not be resolved (raised before any write).

    Attributes:
        problems: one :class:`LookupProblem` per unresolved reference.
        where: where the agent finds the full lists of labels, names and ids.
    """

    def __init__(self, problems: list[LookupProblem], where: str) -> None:
        super().__init__("; ".join(f"{p.path}: {p.reason}" for p in problems))
        self.problems = problems
        self.where = where
