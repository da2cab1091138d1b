"""Logging to stderr (never stdout: in stdio mode stdout carries only protocol messages).

Plain text by default; with ``--log-json`` one JSON object per line (python-json-logger), carrying
the ``tool``, ``upstream_status`` and ``duration_ms`` fields that the tool layer attaches. A filter
replaces every configured secret with ``**********`` in each record, as a second line of defence
behind the code never logging credentials in the first place.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from .settings import MIN_SCRUBBED_SECRET, REDACTED


class RedactSecrets(logging.Filter):
    """Replace each secret value by ``**********`` in a record's rendered message and extras."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= MIN_SCRUBBED_SECRET}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self._clean(text) != text:
                record.exc_info, record.exc_text = None, self._clean(text)
        for key, value in list(vars(record).items()):
            if isinstance(value, str) and key not in ("msg", "exc_text") and self._clean(value) != value:
                setattr(record, key, self._clean(value))
        return True


class ClipMessage(logging.Filter):
    """Cut a record's rendered message to ``max_chars`` characters, saying how many were left out.

    For loggers that write request data before any authentication: the SDK's ``Host``/``Origin``
    check logs a refused header in full, so a 60 KB ``Host`` made a 60 KB warning per request.
    """

    def __init__(self, max_chars: int) -> None:
        super().__init__()
        self.max_chars = max_chars

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > self.max_chars:
            left_out = len(message) - self.max_chars
            record.msg, record.args = f"{message[: self.max_chars]}… ({left_out} more characters)", None
        return True


#: The SDK's ``Host``/``Origin`` check (``mcp.server.transport_security``): its warnings quote the
#: refused header, clipped to this many characters.
REQUEST_LOG_CHARS = 300
_CLIP_REQUEST_DATA = ClipMessage(REQUEST_LOG_CHARS)


def clip_request_logs() -> None:
    """Clip the SDK's ``Host``/``Origin`` warnings to :data:`REQUEST_LOG_CHARS` (idempotent: the
    same filter is added once)."""
    logging.getLogger("mcp.server.transport_security").addFilter(_CLIP_REQUEST_DATA)


def configure_logging(level: str = "WARNING", *, json_lines: bool = False, secrets: Iterable[str] = ()) -> None:
    """Send all logging to stderr at ``level`` (plain or JSON lines), redacting ``secrets``.

    Replaces any handler already on the root logger, so a library's ``basicConfig`` cannot add a
    stdout handler later.
    """
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"})
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn configures its own loggers when given a log_config; we pass none, so route them here.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
