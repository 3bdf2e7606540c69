"""Who may do what. The engine calls these before every command, whatever the interface."""

from __future__ import annotations

from domain.action import Action
from domain.errors import PermissionDenied
from domain.plan import Plan
from domain.users import Role, User


def _deny(user: User, doing: str) -> PermissionDenied:
    roles = ", ".join(r.value for r in user.roles) or "no roles"
    return PermissionDenied(f"{user.email} ({roles}) may not {doing}")


def require_role(user: User, doing: str, *roles: Role) -> None:
    require_active(user)
    if not any(user.has(r) for r in roles):
        raise _deny(user, doing)


def require_admin(user: User, doing: str) -> None:
    require_role(user, doing, Role.ADMIN)


def require_writer(user: User, doing: str) -> None:
    """An auditor, or a user with no roles, changes nothing."""
    require_active(user)
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
    require_active(user)
    if user.has(Role.APPROVER) and user.agency == agency:
        return
    raise _deny(user, f"record a decision for {agency}")


def require_secretary(user: User, doing: str) -> None:
    require_role(user, doing, Role.SECRETARY)


def require_active(user: User) -> None:
    """A deactivated person does nothing, whatever their roles were."""
    if not user.active:
        raise PermissionDenied(f"{user.email} is deactivated and may not act")


def is_plan_manager(user: User, plan: Plan) -> bool:
    """An admin, or an owner of this plan who may write at all."""
    if not user.active:
        return False
    if user.has(Role.ADMIN):
        return True
    return plan.is_owner(user.email) and any(r is not Role.AUDITOR for r in user.roles)


def require_plan_manager(user: User, plan: Plan, doing: str) -> None:
    """Admins and the plan's owners run a plan: its owners, agencies, people and dates."""
    require_active(user)
    if not is_plan_manager(user, plan):
        raise _deny(user, f"{doing} for plan '{plan.slug}': only an admin or its owners may")


def require_action_amender(user: User, plan: Plan | None, action: Action, doing: str) -> None:
    """A lead or accountable officer amends their action; an admin or the plan's owner
    amends any action of the plan. ``plan`` is read only when the first does not hold."""
    require_writer(user, f"{doing} action {action.ref}")
    if action.is_lead(user.email) or action.is_accountable(user.email):
        return
    if plan is not None and is_plan_manager(user, plan):
        return
    raise _deny(
        user,
        f"{doing} action {action.ref}: only its leads and accountable officer, "
        "the plan's owners or an admin may",
    )
