"""Exceptions the reference API turns into the upstream's error answers."""

from __future__ import annotations

from typing import Any


class HTTPError(Exception):
    """An answer ``{"detail": detail}`` with ``status`` (FastAPI's ``HTTPException``)."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.headers = headers


class RequestValidationError(Exception):
    """A 422 in FastAPI's shape: ``{"detail": [{"type", "loc", "msg", "input", "ctx"?}]}``."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


class DatabaseError(Exception):
    """A database failure; the routes that catch errors answer 500 ``Database error: <message>``."""
