"""Who may do what. The engine calls these before every command, whatever the interface."""

from __future__ import annotations

from domain.action import Action
from domain.errors import PermissionDenied
from domain.users import Role, User


def _deny(user: User, doing: str) -> PermissionDenied:
    roles = ", ".join(r.value for r in user.roles) or "no roles"
    return PermissionDenied(f"{user.email} ({roles}) may not {doing}")


def require_role(user: User, doing: str, *roles: Role) -> None:
    if not any(user.has(r) for r in roles):
        raise _deny(user, doing)


def require_admin(user: User, doing: str) -> None:
    require_role(user, doing, Role.ADMIN)


def require_writer(user: User, doing: str) -> None:
    """An auditor, or a user with no roles, changes nothing."""
    if not any(r is not Role.AUDITOR for r in user.roles):
        raise _deny(user, doing)


def require_action_updater(user: User, action: Action, doing: str) -> None:
    """Only a lead of the action or its accountable officer updates an action."""
    what = f"{doing} action {action.ref}"
    require_writer(user, what)
    if action.is_lead(user.email) or action.is_accountable(user.email):
        return
    raise _deny(user, f"{what}: only its leads and accountable officer may")


def require_accountable(user: User, action: Action, doing: str) -> None:
    """Only the accountable officer accepts evidence and verifies completion."""
    what = f"{doing} for action {action.ref}"
    require_writer(user, what)
    if action.is_accountable(user.email):
        return
    raise _deny(user, f"{what}: only its accountable officer may")


def require_approver_for(user: User, agency: str) -> None:
    """Only an approver of agency X records X's decisions."""
    if user.has(Role.APPROVER) and user.agency == agency:
        return
    raise _deny(user, f"record a decision for {agency}")


def require_secretary(user: User, doing: str) -> None:
    require_role(user, doing, Role.SECRETARY)
