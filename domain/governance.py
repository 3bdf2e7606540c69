"""Governance items: documents each partner agency approves through its own governance
before the board signs them off. Approvals are bound to a document version."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain import clock
from domain.base import TrailAggregate
from domain.errors import Conflict, DomainError, InvalidInput


def item_id(plan_id: UUID, key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"actiontrail:governance:{plan_id}:{key.strip()}")


class Decision:
    """An agency's approval or rejection of one version."""

    def __init__(self, data: dict[str, Any], approved: bool) -> None:
        self.agency: str = data["agency"]
        self.body: str = data["body"]
        self.minute_ref: str | None = data["minute_ref"]
        self.decided_on: date = data["effective_on"]
        self.version: int = data["version"]
        self.reason: str | None = data.get("reason")
        self.actor: str = data["actor"]
        self.approved = approved


class AgencyDecision(TrailAggregate.Event):
    """What an agency's approval and its rejection both record, in this order; applied
    alike, as the agency's decision on the item, approving or not by its class."""

    approved: ClassVar[bool]

    agency: str
    body: str
    minute_ref: str | None
    effective_on: date
    version: int
    reason: str | None
    actor: str

    def apply(self, aggregate: Any) -> None:
        aggregate.decisions[self.agency] = Decision(vars(self), approved=self.approved)


class GovernanceItem(TrailAggregate):
    # The events, declared so that readers (the read models) dispatch on them with types.
    # A stored event is a contract: see docs/events.md before changing one.
    class Opened(TrailAggregate.Created):
        class_version = 1
        plan_id: UUID
        key: str
        title: str
        agencies: list[str]
        document_name: str
        document_sha256: str
        actor: str

    class Revised(TrailAggregate.Event):
        class_version = 1
        version: int
        document_name: str
        document_sha256: str
        reason: str
        actor: str

    class ApprovedByAgency(AgencyDecision):
        class_version = 1
        approved = True

    class RejectedByAgency(AgencyDecision):
        class_version = 1
        approved = False

    class SignedOff(TrailAggregate.Event):
        class_version = 1
        board: str
        minute_ref: str | None
        effective_on: date
        version: int
        actor: str

    class SignOffRevoked(TrailAggregate.Event):
        class_version = 1
        version: int
        reason: str
        actor: str

    @staticmethod
    def create_id(plan_id: UUID, key: str, **_: object) -> UUID:
        return item_id(plan_id, key)

    @event(Opened)
    def __init__(
        self,
        plan_id: UUID,
        key: str,
        title: str,
        agencies: list[str],
        document_name: str,
        document_sha256: str,
        actor: str,
    ) -> None:
        self.plan_id = plan_id
        self.key = key
        self.title = title
        self.agencies = list(agencies)
        self.document_name = document_name
        self.document_sha256 = document_sha256
        self.current_version = 1
        self.versions: dict[int, str] = {1: document_sha256}
        # The latest decision of each agency, whatever version it was for.
        self.decisions: dict[str, Decision] = {}
        self.signed_off_version: int | None = None

    @classmethod
    def open(
        cls,
        plan_id: UUID,
        key: str,
        title: str,
        agencies: list[str],
        document_name: str,
        document_sha256: str,
        actor: str,
        plan_agencies: list[str],
    ) -> GovernanceItem:
        key = key.strip()
        if not key:
            raise InvalidInput("a governance item needs a key")
        if not agencies:
            raise InvalidInput(f"governance item '{key}' needs at least one approving agency")
        unknown = [a for a in agencies if a not in plan_agencies]
        if unknown:
            raise InvalidInput(
                f"governance item '{key}': {', '.join(unknown)} not among the plan's agencies "
                f"({', '.join(plan_agencies) or 'none'})"
            )
        return cls(
            plan_id=plan_id,
            key=key,
            title=title.strip() or key,
            agencies=list(dict.fromkeys(agencies)),
            document_name=document_name,
            document_sha256=document_sha256,
            actor=actor,
        )

    @property
    def label(self) -> str:
        return f"'{self.title}' v{self.current_version}"

    def pending_agencies(self) -> list[str]:
        """Agencies that have not approved the current version."""
        return [a for a in self.agencies if not self.has_approved_current(a)]

    def has_approved_current(self, agency: str) -> bool:
        d = self.decisions.get(agency)
        return bool(d and d.approved and d.version == self.current_version)

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_version == self.current_version

    # Checks

    def check_version(self, version: int | None) -> None:
        """A decision names the version it was taken on; a stale one is refused."""
        if version is not None and version != self.current_version:
            raise Conflict(f"{self.label} is the current version: the decision names v{version}")

    def check_required(self, agency: str) -> None:
        if agency not in self.agencies:
            raise InvalidInput(
                f"{agency} is not required to approve '{self.title}' "
                f"(required: {', '.join(self.agencies)})"
            )

    def check_not_after_today(self, what: str, on: date) -> None:
        """Decisions are recorded once taken: one dated after today has not happened yet."""
        today = clock.today()
        if on > today:
            raise InvalidInput(
                f"{what} of {self.label} is dated {on.isoformat()}, "
                f"after today ({today.isoformat()})"
            )

    def check_signoff_after_approvals(self, on: date) -> None:
        """The board signs off what the agencies approved, so not before the last of them."""
        approvals = [
            d
            for d in self.decisions.values()
            if d.approved and d.version == self.current_version and d.agency in self.agencies
        ]
        if not approvals:
            return
        latest = max(approvals, key=lambda d: d.decided_on)
        if on < latest.decided_on:
            raise DomainError(
                f"cannot sign off {self.label} on {on.isoformat()}: {latest.agency} approved "
                f"it on {latest.decided_on.isoformat()}, and sign-off cannot come before that"
            )

    def check_ready_for_signoff(self) -> None:
        pending = self.pending_agencies()
        if pending:
            raise DomainError(
                f"cannot sign off {self.label}: {', '.join(pending)} "
                f"{'has' if len(pending) == 1 else 'have'} not approved "
                f"v{self.current_version}"
            )

    # Commands

    def revise(self, document_name: str, document_sha256: str, reason: str, actor: str) -> None:
        if document_sha256 in self.versions.values():
            raise DomainError(f"'{self.title}': that document is already a version of this item")
        if not reason.strip():
            raise InvalidInput(f"revising '{self.title}' needs a reason")
        self._revise(
            version=self.current_version + 1,
            document_name=document_name,
            document_sha256=document_sha256,
            reason=reason,
            actor=actor,
        )

    @event(Revised)
    def _revise(
        self, version: int, document_name: str, document_sha256: str, reason: str, actor: str
    ) -> None:
        self.current_version = version
        self.versions[version] = document_sha256
        self.document_name = document_name
        self.document_sha256 = document_sha256

    def decide(
        self,
        agency: str,
        approve: bool,
        body: str,
        minute_ref: str | None,
        decided_on: date,
        actor: str,
        version: int | None = None,
        reason: str | None = None,
    ) -> None:
        self.check_required(agency)
        self.check_version(version)
        if not body.strip():
            raise InvalidInput(f"{agency}'s decision on '{self.title}' needs the governing body")
        if not approve and not (reason and reason.strip()):
            raise InvalidInput(f"{agency}'s rejection of {self.label} needs a reason")
        if approve:
            self.check_not_after_today(f"{agency}'s approval", decided_on)
        self.trigger_event(
            self.ApprovedByAgency if approve else self.RejectedByAgency,
            agency=agency,
            body=body.strip(),
            minute_ref=minute_ref,
            effective_on=decided_on,
            version=self.current_version,
            reason=reason,
            actor=actor,
        )

    def sign_off(
        self,
        board: str,
        minute_ref: str | None,
        decided_on: date,
        actor: str,
        version: int | None = None,
    ) -> None:
        self.check_version(version)
        if self.is_signed_off:
            raise DomainError(f"{self.label} is already signed off")
        self.check_ready_for_signoff()
        self.check_not_after_today(f"the sign-off by {board}", decided_on)
        self.check_signoff_after_approvals(decided_on)
        self._sign_off(
            board=board,
            minute_ref=minute_ref,
            effective_on=decided_on,
            version=self.current_version,
            actor=actor,
        )

    @event(SignedOff)
    def _sign_off(
        self, board: str, minute_ref: str | None, effective_on: date, version: int, actor: str
    ) -> None:
        self.signed_off_version = version

    def revoke(self, reason: str, actor: str) -> None:
        if self.signed_off_version is None:
            raise DomainError(f"'{self.title}' has not been signed off")
        if not reason.strip():
            raise InvalidInput(f"revoking the sign-off of '{self.title}' needs a reason")
        self._revoke(version=self.signed_off_version, reason=reason, actor=actor)

    @event(SignOffRevoked)
    def _revoke(self, version: int, reason: str, actor: str) -> None:
        self.signed_off_version = None
