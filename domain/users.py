"""People who use actiontrail, and what each may do."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import TrailAggregate
from domain.errors import DomainError, InvalidInput


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    ACCOUNTABLE = "accountable"
    APPROVER = "approver"  # for one agency: User.agency
    SECRETARY = "secretary"  # board secretary
    AUDITOR = "auditor"  # read only


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise InvalidInput(f"'{email}' is not an email address")
    return value


def parse_roles(values: list[str]) -> list[Role]:
    roles = []
    for value in values:
        try:
            roles.append(Role(value.strip().lower()))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise InvalidInput(f"unknown role '{value}' (known roles: {known})") from None
    return roles


class User(TrailAggregate):
    # The events, declared so that readers (the read models) dispatch on them with types.
    # A stored event is a contract: see docs/events.md before changing one.
    class Registered(TrailAggregate.Created):
        class_version = 1
        email: str
        name: str
        agency: str | None
        roles: list[str]
        actor: str

    class RolesChanged(TrailAggregate.Event):
        class_version = 1
        roles: list[str]
        agency: str | None
        actor: str

    @staticmethod
    def create_id(email: str, **_: object) -> UUID:
        return user_id(email)

    @event(Registered)
    def __init__(
        self, email: str, name: str, agency: str | None, roles: list[str], actor: str
    ) -> None:
        self.email = email
        self.name = name
        self.agency = agency
        self.roles = [Role(r) for r in roles]

    @classmethod
    def register(
        cls, email: str, name: str, agency: str | None, roles: list[Role], actor: str
    ) -> User:
        if not name.strip():
            raise InvalidInput("a user needs a name")
        if Role.APPROVER in roles and not agency:
            raise InvalidInput(f"approver '{email}' needs an agency to approve for")
        return cls(
            email=normalise_email(email),
            name=name.strip(),
            agency=agency,
            roles=sorted({r.value for r in roles}),
            actor=actor,
        )

    @event(RolesChanged)
    def change_roles(self, roles: list[str], agency: str | None, actor: str) -> None:
        self.roles = [Role(r) for r in roles]
        self.agency = agency

    def has(self, role: Role) -> bool:
        return role in self.roles

    # ---- Deactivation: a person who has left stops signing in; their events remain ----

    active: bool = True  # users registered before deactivation existed are active

    class Deactivated(TrailAggregate.Event):

        class_version = 1
        reason: str
        actor: str

    class Reactivated(TrailAggregate.Event):

        class_version = 1
        reason: str | None
        actor: str

    def deactivate(self, reason: str, actor: str) -> None:
        if not self.active:
            raise DomainError(f"user '{self.email}' is already deactivated")
        if not reason.strip():
            raise InvalidInput(f"deactivating '{self.email}' needs a reason")
        self._deactivate(reason=reason.strip(), actor=actor)

    @event(Deactivated)
    def _deactivate(self, reason: str, actor: str) -> None:
        self.active = False

    def reactivate(self, actor: str, reason: str | None = None) -> None:
        if self.active:
            raise DomainError(f"user '{self.email}' is already active")
        self._reactivate(reason=(reason or "").strip() or None, actor=actor)

    @event(Reactivated)
    def _reactivate(self, reason: str | None, actor: str) -> None:
        self.active = True


@lru_cache(maxsize=4096)  # worked out for every command, as a SHA-1
def user_id(email: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"actiontrail:user:{email.strip().lower()}")
