"""Permission rules of the Glow Models API, as the real server computes them.

Same names, arguments and decisions as the upstream's model permission helpers; the docs
operation introspects these functions to describe the permissions.
"""

from __future__ import annotations

from collections.abc import Sequence

ADMIN_ROLES = ("admin", "superadmin")


def has_access(
    user_role: str | None,
    user_department_ids: Sequence[str] | None,
    model_department_ids: Sequence[str] | None,
) -> bool:
    """View access: a superadmin sees everything, a default model (no departments) is visible to
    everyone, otherwise the user must share at least one department with the model."""
    if user_role == "superadmin":
        return True
    if not model_department_ids:
        return True
    if not user_department_ids:
        return False
    return bool({str(d) for d in user_department_ids} & {str(d) for d in model_department_ids})


def compute_can_edit(
    user_role: str | None,
    model_department_ids: Sequence[str] | None,
    active_agent_count: int,
    user_department_ids: Sequence[str] | None = None,
) -> bool:
    """Edit permission: default models only by a superadmin; never while an active agent uses the
    model; admin role needed; a non-superadmin must belong to ALL of the model's departments."""
    if not model_department_ids and user_role != "superadmin":
        return False
    if active_agent_count > 0:
        return False
    if user_role not in ADMIN_ROLES:
        return False
    return not (
        user_department_ids is not None
        and user_role != "superadmin"
        and model_department_ids
        and not {str(d) for d in model_department_ids} <= {str(d) for d in user_department_ids}
    )


def compute_disabled_reason(
    user_role: str | None,
    model_department_ids: Sequence[str] | None,
    active_agent_count: int,
) -> str | None:
    """Why editing is disabled, if it is."""
    if not model_department_ids and user_role != "superadmin":
        return "This is a default model that cannot be edited. You can view the details but cannot make changes."
    if active_agent_count > 0:
        return (
            "This model is currently in use by agents and cannot be edited. "
            "You can view the details but cannot make changes."
        )
    if user_role not in ADMIN_ROLES:
        return "This model cannot be edited. You can view the details but cannot make changes."
    return None


def compute_can_delete(
    user_role: str | None,
    model_department_ids: Sequence[str] | None,
    active_agent_count: int,
) -> bool:
    """Delete permission: default models only by a superadmin; never while an active agent uses
    the model; admin role needed (no department check, as upstream)."""
    if not model_department_ids and user_role != "superadmin":
        return False
    if active_agent_count > 0:
        return False
    return user_role in ADMIN_ROLES


def compute_can_duplicate(user_role: str | None) -> bool:
    """Duplicate permission: role only."""
    return user_role in ADMIN_ROLES


def compute_can_create(user_role: str | None, department_ids: Sequence[str] | None) -> bool:
    """Create permission: admin role; a non-superadmin must belong to at least one department."""
    if user_role not in ADMIN_ROLES:
        return False
    return not (user_role != "superadmin" and not department_ids)


def compute_can_draft(user_role: str | None) -> bool:
    """Draft permission: role only."""
    return user_role in ADMIN_ROLES
