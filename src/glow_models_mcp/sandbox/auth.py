"""Credentials of the reference API: the API key, the bearer tokens and the profiles behind them.

The real server validates a license key (``X-Api-Key``) and a Keycloak JWT
(``Authorization: Bearer``) on every ``/api/v5`` call, before the body is validated. Here any
non-empty API key is accepted (as a license check that always passes) and the bearer token must
be one of :data:`SANDBOX_TOKENS`. The 401 texts are the upstream's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import HTTPError

#: The API key we document; any non-empty ``X-Api-Key`` is accepted, like the real server does.
SANDBOX_API_KEY = "sandbox-api-key"

#: The upstream's 401 texts.
MISSING_API_KEY = "Missing X-Api-Key header"
MISSING_BEARER = "Missing Authorization: Bearer <token> header"
#: What the real server answers for a bearer token that is not a JWT it can decode.
INVALID_TOKEN = "Token verification failed: Error decoding token headers."

_NS = uuid.UUID("0b7c1d7e-5f0a-4c55-9a51-6a1f3c7d9e20")


@dataclass(frozen=True)
class Profile:
    """The profile a bearer token resolves to.

    ``departments`` are department names. ``all_departments`` (the superadmin) means every
    department in the database, whatever ``departments`` lists (the seeded ones).
    ``profile_id``, ``group_id`` and ``session_id`` are stable across restarts.
    """

    token: str
    name: str
    role: str
    departments: tuple[str, ...]
    all_departments: bool
    profile_id: uuid.UUID
    group_id: uuid.UUID
    session_id: uuid.UUID

    @property
    def department_names(self) -> tuple[str, ...] | None:
        """The names to resolve, or ``None`` for every department."""
        return None if self.all_departments else self.departments

    @property
    def departments_label(self) -> str:
        if self.all_departments:
            return f"all departments ({', '.join(self.departments)})"
        return ", ".join(self.departments) or "no department"


def _profile(
    token: str, name: str, role: str, departments: tuple[str, ...], *, all_departments: bool = False
) -> Profile:
    return Profile(
        token=token,
        name=name,
        role=role,
        departments=departments,
        all_departments=all_departments,
        profile_id=uuid.uuid5(_NS, f"profile:{token}"),
        group_id=uuid.uuid5(_NS, f"group:{token}"),
        session_id=uuid.uuid5(_NS, f"session:{token}"),
    )


#: Bearer token -> profile. A token not in this map is rejected with 401, as upstream.
SANDBOX_TOKENS: dict[str, Profile] = {
    p.token: p
    for p in (
        _profile(
            "sandbox-superadmin",
            "Sandbox Superadmin",
            "superadmin",
            ("Organization", "University"),
            all_departments=True,
        ),
        _profile("sandbox-admin", "Sandbox Admin", "admin", ("Organization",)),
        _profile("sandbox-member", "Sandbox Member", "member", ("Organization",)),
    )
}


def extract_api_key(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip()


def extract_bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    parts = authorization.split(" ", 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1].strip()


def authenticate(headers: Mapping[str, str], tokens: Mapping[str, Profile] | None = None) -> Profile:
    """The profile of a request, or :class:`HTTPError` 401 with the upstream's text."""
    if not extract_api_key(headers.get("x-api-key")):
        raise HTTPError(401, MISSING_API_KEY)
    token = extract_bearer_token(headers.get("authorization"))
    if not token:
        raise HTTPError(401, MISSING_BEARER)
    profile = (tokens if tokens is not None else SANDBOX_TOKENS).get(token)
    if profile is None:
        raise HTTPError(401, INVALID_TOKEN)
    return profile


def is_truthy_flag(value: str | None) -> bool:
    """How the server reads ``X-MCP``: ``true``, ``1`` or ``yes``, case-insensitive."""
    return value is not None and value.strip().lower() in {"true", "1", "yes"}
