"""The application service: one method per use case, each checking who may do it.

Every interface (CLI, web, importer) goes through these methods, so the rules and the
role checks hold whatever the edge.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, ClassVar, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoding

from domain import clock, permissions
from domain.action import Action, action_id
from domain.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from domain.governance import GovernanceItem, item_id
from domain.periods import Period
from domain.plan import Plan, plan_id
from domain.spec import ActionSpec, PlanSpec
from domain.users import Role, User, normalise_email, parse_roles, user_id
from domain.values import Cadence, Rag, Status
from projections.lists import lists_for


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


# How deeply the current thread or task is inside deferred_projection(): per context, so
# one request deferring does not stop another's reads from following its writes.
_deferring: ContextVar[int] = ContextVar("actiontrail_deferring", default=0)


class ActionTrail(Application[UUID]):
    name = "ActionTrail"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "2000"}

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        # Called with what each save recorded, so that readers see their own writes.
        self.after_save: Callable[[list[Recording[UUID]]], object] | None = None

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # Persistence helpers

    def record(self, *aggregates: Any) -> None:
        """Save aggregates in one transaction; a stale write becomes a Conflict."""
        try:
            recordings = self.save(*aggregates)
        except IntegrityError as e:
            names = ", ".join(_describe(a) for a in aggregates)
            raise Conflict(
                f"{names} changed since it was read (someone else updated it a moment ago); "
                "reload and try again"
            ) from e
        if self.after_save is not None and _deferring.get() == 0:
            self.after_save(recordings)

    @contextmanager
    def deferred_projection(self) -> Iterator[None]:
        """Run several commands and bring the read models up to date once, at the end."""
        token = _deferring.set(_deferring.get() + 1)
        try:
            yield
        finally:
            _deferring.reset(token)
            # Catch up even when the block failed: what it did record must be visible.
            if self.after_save is not None and _deferring.get() == 0:
                self.after_save([])

    def _get(self, aggregate_id: UUID, missing: str) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(missing) from None

    def _of_plan(self, slug: str, aggregate_id: UUID, missing: str) -> Any:
        """An action or item of a plan. Whether the plan exists is asked only when the
        aggregate is missing, to say which: commands on existing ones need no extra read."""
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            if not self._exists(plan_id(slug)):
                raise NotFound(f"no plan '{slug}'") from None
            raise NotFound(missing) from None

    def _exists(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self.repository

    # Users

    def user(self, email: str) -> User:
        try:
            key = normalise_email(email)
        except InvalidInput:
            raise NotFound(f"no user '{email}'") from None
        try:
            # Users are only read here, so the cached copy need not be copied.
            user: User = self.repository.get(user_id(key), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            raise NotFound(f"no user '{email}'") from None
        return user

    def has_users(self) -> bool:
        """The first event of any store registers its first admin."""
        return bool(self.recorder.max_notification_id())

    def add_user(
        self,
        actor: str | None,
        email: str,
        name: str,
        roles: list[str],
        agency: str | None = None,
    ) -> User:
        """The first user may be added by anyone and must be an admin; later, admins add."""
        parsed = parse_roles(roles)
        if not self.has_users():
            if Role.ADMIN not in parsed:
                raise InvalidInput("the first user must be an admin (add --role admin)")
            actor_email = normalise_email(actor or email)
        else:
            if actor is None:
                raise PermissionDenied("adding a user needs an acting admin (--as EMAIL)")
            acting = self.user(actor)
            permissions.require_admin(acting, "add users")
            actor_email = acting.email
        if self._exists(user_id(email)):
            raise DomainError(f"user '{email}' already exists")
        user = User.register(email, name, agency, parsed, actor=actor_email)
        self.record(user)
        return user

    def change_roles(
        self, actor: str, email: str, roles: list[str], agency: str | None = None
    ) -> None:
        acting = self.user(actor)
        permissions.require_admin(acting, "change roles")
        user: User = self._get(user_id(normalise_email(email)), f"no user '{email}'")
        parsed = parse_roles(roles)
        if Role.APPROVER in parsed and not (agency or user.agency):
            raise InvalidInput(f"approver '{email}' needs an agency to approve for")
        user.change_roles(
            sorted({r.value for r in parsed}), agency or user.agency, actor=acting.email
        )
        self.record(user)

    # Plans

    def plan(self, slug: str) -> Plan:
        plan: Plan = self._get(plan_id(slug), f"no plan '{slug}'")
        return plan

    def create_plan(
        self,
        actor: str,
        slug: str,
        title: str,
        organisation: str | None = None,
        source: str | None = None,
        cadence: Cadence = Cadence.MONTHLY,
        boards: list[str] | None = None,
        agencies: list[str] | None = None,
    ) -> Plan:
        acting = self.user(actor)
        permissions.require_admin(acting, "create plans")
        self.check_new_plan(slug)
        plan = Plan.register(
            slug,
            title,
            actor=acting.email,
            organisation=organisation,
            source=source,
            cadence=cadence,
            boards=boards,
            agencies=agencies,
        )
        self.record(plan)
        return plan

    def check_new_plan(self, slug: str) -> None:
        if self._exists(plan_id(slug)):
            raise DomainError(f"plan '{slug}' already exists")

    def add_group(
        self,
        actor: str,
        slug: str,
        ref: str,
        title: str,
        parent: str | None = None,
        page: str | None = None,
        evidence_expected: list[str] | None = None,
    ) -> None:
        acting = self.user(actor)
        permissions.require_admin(acting, "add groups")
        plan = self.plan(slug)
        plan.add_group(
            ref,
            title,
            actor=acting.email,
            parent=parent,
            page=page,
            evidence_expected=evidence_expected,
        )
        self.record(plan)

    def add_action(self, actor: str, slug: str, spec: ActionSpec) -> Action:
        acting = self.user(actor)
        permissions.require_admin(acting, "add actions")
        plan = self.plan(slug)
        action = self._new_action(plan, spec, acting.email)
        self.record(action)
        return action

    def _new_action(self, plan: Plan, spec: ActionSpec, actor: str) -> Action:
        if spec.group is not None:
            plan.check_group_exists(spec.group)
        if self._exists(action_id(plan.id, spec.ref)):
            raise DomainError(f"plan '{plan.slug}' already has an action {spec.ref.strip()}")
        return Action.from_spec(plan.id, spec, actor)

    def load_plan(
        self,
        actor: str,
        spec: PlanSpec,
        demo: bool = False,
        rag_policy: Mapping[str, Any] | None = None,
        reminder_policy: Mapping[str, Any] | None = None,
        policy_reason: str = "set when the plan was loaded",
    ) -> Plan:
        """Record a whole plan as one unit: every event or none. Policy settings given
        (by name) replace the defaults."""
        acting = self.user(actor)
        permissions.require_admin(acting, "load plans")
        self.check_new_plan(spec.slug)
        plan = Plan.from_spec(spec, acting.email, demo=demo)
        for g in spec.groups:
            plan.add_group(
                g.ref,
                g.title,
                actor=acting.email,
                parent=g.parent,
                page=g.page,
                evidence_expected=g.evidence_expected,
            )
        actions: dict[str, Action] = {}
        for a in spec.actions:
            if a.ref.strip() in actions:
                raise DomainError(f"plan '{spec.slug}' lists action {a.ref.strip()} twice")
            actions[a.ref.strip()] = self._new_action(plan, a, acting.email)
        items = [
            self._new_item(plan, g.key, g.title, g.agencies, g.key, _sha(g.document), acting.email)
            for g in spec.governance
        ]
        if rag_policy or reminder_policy:
            rag, reminders = plan.policies_with(rag_policy, reminder_policy)
            if (rag, reminders) != (plan.rag_policy, plan.reminder_policy):
                plan.change_policies(acting.email, rag, reminders, reason=policy_reason)
        self.record(plan, *actions.values(), *items)
        return plan

    # Plan policies

    def change_policies(
        self,
        actor: str,
        slug: str,
        reason: str,
        rag: Mapping[str, Any] | None = None,
        reminders: Mapping[str, Any] | None = None,
    ) -> Plan:
        """Change the named settings of a plan's RAG and reminder policies (admins). The
        settings are applied to the plan as recorded, so a change made a moment earlier
        by someone else is kept, not overwritten."""
        acting = self.user(actor)
        permissions.require_admin(acting, "change plan policies")
        plan = self.plan(slug)
        plan.check_policy_reason(reason)
        new_rag, new_reminders = plan.policies_with(rag, reminders)
        plan.change_policies(acting.email, new_rag, new_reminders, reason=reason.strip())
        self.record(plan)
        return plan

    # Actions

    def action(self, slug: str, ref: str) -> Action:
        action: Action = self._of_plan(
            slug, action_id(plan_id(slug), ref), f"plan '{slug}' has no action {ref}"
        )
        return action

    def _updatable(
        self, actor: str, slug: str, ref: str, doing: str, expected_version: int | None
    ) -> tuple[User, Action]:
        acting = self.user(actor)
        action = self.action(slug, ref)
        permissions.require_action_updater(acting, action, doing)
        _check_version(action, f"action {ref}", expected_version)
        return acting, action

    def amend_action(
        self,
        actor: str,
        slug: str,
        ref: str,
        field: str,
        value: Any,
        reason: str,
        effective_on: date | None = None,
        expected_version: int | None = None,
    ) -> None:
        acting, action = self._updatable(actor, slug, ref, "amend", expected_version)
        if field == "group" and value is not None:
            self.plan(slug).check_group_exists(value)
        action.amend(field, value, reason, actor=acting.email, effective_on=effective_on)
        self.record(action)

    def change_status(
        self,
        actor: str,
        slug: str,
        ref: str,
        status: Status,
        reason: str | None = None,
        effective_on: date | None = None,
        expected_version: int | None = None,
    ) -> None:
        if status is Status.VERIFIED:
            acting = self.user(actor)
            action = self.action(slug, ref)
            permissions.require_accountable(acting, action, "verify")
            _check_version(action, f"action {ref}", expected_version)
        else:
            acting, action = self._updatable(
                actor, slug, ref, f"mark {status.value}", expected_version
            )
        action.change_status(status, actor=acting.email, reason=reason, effective_on=effective_on)
        self.record(action)

    def report_progress(
        self,
        actor: str,
        slug: str,
        ref: str,
        period: str,
        narrative: str,
        risk: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        acting, action = self._updatable(actor, slug, ref, "report progress on", expected_version)
        action.report_progress(period, narrative, actor=acting.email, risk=risk)
        self.record(action)

    def assess_rag(
        self,
        actor: str,
        slug: str,
        ref: str,
        rag: Rag,
        reason: str | None = None,
        effective_on: date | None = None,
        expected_version: int | None = None,
    ) -> None:
        acting, action = self._updatable(actor, slug, ref, "rate", expected_version)
        action.assess_rag(rag, actor=acting.email, reason=reason, effective_on=effective_on)
        self.record(action)

    def achieve_milestone(
        self, actor: str, slug: str, ref: str, number: int, achieved_on: date
    ) -> None:
        acting, action = self._updatable(actor, slug, ref, "record milestones of", None)
        action.achieve_milestone(number, achieved_on, actor=acting.email)
        self.record(action)

    def measure_indicator(
        self, actor: str, slug: str, ref: str, name: str, value: float, measured_on: date
    ) -> None:
        acting, action = self._updatable(actor, slug, ref, "measure indicators of", None)
        action.measure_indicator(name, value, measured_on, actor=acting.email)
        self.record(action)

    def submit_evidence(
        self,
        actor: str,
        slug: str,
        ref: str,
        name: str,
        sha256: str | None = None,
        size: int | None = None,
        media_type: str | None = None,
        url: str | None = None,
        criterion: int | None = None,
        note: str | None = None,
    ) -> str:
        acting, action = self._updatable(actor, slug, ref, "submit evidence for", None)
        evidence_id = action.submit_evidence(
            name,
            actor=acting.email,
            sha256=sha256,
            size=size,
            media_type=media_type,
            url=url,
            criterion=criterion,
            note=note,
        )
        self.record(action)
        return evidence_id

    def decide_evidence(
        self,
        actor: str,
        slug: str,
        ref: str,
        evidence_id: str,
        accept: bool,
        reason: str | None = None,
    ) -> None:
        acting = self.user(actor)
        action = self.action(slug, ref)
        permissions.require_accountable(acting, action, "accept or reject evidence")
        action.decide_evidence(evidence_id, accept, actor=acting.email, reason=reason)
        self.record(action)

    # Several changes to one action at once

    def update_action(
        self,
        actor: str,
        slug: str,
        ref: str,
        *,
        rag: Rag | None = None,
        rag_reason: str | None = None,
        period: str | None = None,
        narrative: str | None = None,
        risk: str | None = None,
        status: Status | None = None,
        status_reason: str | None = None,
        evidence: dict[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> list[str]:
        """A rating, a progress report for the period, a status change and an evidence
        submission (the keyword arguments of submit_evidence) for one action, in that
        order, recorded as one unit. Each part is checked as its own command checks it;
        either every part's event is recorded or none is. Returns the parts recorded."""
        acting = self.user(actor)
        action = self.action(slug, ref)
        if rag is not None:
            permissions.require_action_updater(acting, action, "rate")
        if narrative is not None:
            permissions.require_action_updater(acting, action, "report progress on")
        if status is Status.VERIFIED:
            permissions.require_accountable(acting, action, "verify")
        elif status is not None:
            permissions.require_action_updater(acting, action, f"mark {status.value}")
        if evidence is not None:
            permissions.require_action_updater(acting, action, "submit evidence for")
        _check_version(action, f"action {ref}", expected_version)
        parts: list[str] = []
        if rag is not None:
            action.assess_rag(rag, actor=acting.email, reason=rag_reason)
            parts.append("RAG")
        if narrative is not None:
            if not period:
                raise InvalidInput(f"progress on action {ref} needs the period it is for")
            action.report_progress(period, narrative, actor=acting.email, risk=risk)
            parts.append("progress")
        if status is not None:
            action.change_status(status, actor=acting.email, reason=status_reason)
            parts.append("status")
        if evidence is not None:
            action.submit_evidence(actor=acting.email, **evidence)
            parts.append("evidence")
        if not parts:
            raise InvalidInput(f"nothing to record for action {ref}")
        self.record(action)
        return parts

    # Governance

    def item(self, slug: str, key: str) -> GovernanceItem:
        item: GovernanceItem = self._of_plan(
            slug, item_id(plan_id(slug), key), f"plan '{slug}' has no governance item '{key}'"
        )
        return item

    def _new_item(
        self,
        plan: Plan,
        key: str,
        title: str,
        agencies: list[str],
        document_name: str,
        document_sha256: str,
        actor: str,
    ) -> GovernanceItem:
        if self._exists(item_id(plan.id, key)):
            raise DomainError(f"plan '{plan.slug}' already has a governance item '{key}'")
        return GovernanceItem.open(
            plan.id,
            key,
            title,
            agencies,
            document_name,
            document_sha256,
            actor=actor,
            plan_agencies=plan.agencies,
        )

    def open_item(
        self,
        actor: str,
        slug: str,
        key: str,
        title: str,
        agencies: list[str],
        document_name: str,
        document_sha256: str,
    ) -> GovernanceItem:
        acting = self.user(actor)
        permissions.require_role(acting, "open governance items", Role.ADMIN, Role.SECRETARY)
        plan = self.plan(slug)
        item = self._new_item(
            plan, key, title, agencies, document_name, document_sha256, acting.email
        )
        self.record(item)
        return item

    def revise_item(
        self,
        actor: str,
        slug: str,
        key: str,
        document_name: str,
        document_sha256: str,
        reason: str,
    ) -> int:
        acting = self.user(actor)
        permissions.require_role(acting, "revise governance items", Role.ADMIN, Role.SECRETARY)
        item = self.item(slug, key)
        item.revise(document_name, document_sha256, reason, actor=acting.email)
        self.record(item)
        return item.current_version

    def decide_item(
        self,
        actor: str,
        slug: str,
        key: str,
        agency: str,
        approve: bool,
        body: str,
        decided_on: date,
        minute_ref: str | None = None,
        version: int | None = None,
        reason: str | None = None,
    ) -> None:
        acting = self.user(actor)
        permissions.require_approver_for(acting, agency)
        item = self.item(slug, key)
        item.decide(
            agency,
            approve,
            body,
            minute_ref,
            decided_on,
            actor=acting.email,
            version=version,
            reason=reason,
        )
        self.record(item)

    def sign_off(
        self,
        actor: str,
        slug: str,
        key: str,
        board: str,
        decided_on: date,
        minute_ref: str | None = None,
        version: int | None = None,
    ) -> None:
        acting = self.user(actor)
        permissions.require_secretary(acting, "sign off governance items")
        item = self.item(slug, key)
        item.sign_off(board, minute_ref, decided_on, actor=acting.email, version=version)
        self.record(item)

    def revoke_sign_off(self, actor: str, slug: str, key: str, reason: str) -> None:
        acting = self.user(actor)
        permissions.require_secretary(acting, "revoke sign-offs")
        item = self.item(slug, key)
        item.revoke(reason, actor=acting.email)
        self.record(item)

    # Reporting periods: one door for closing, reopening and the period's narrative

    def close_reporting_period(
        self,
        actor: str,
        slug: str,
        period: str,
        record: PlanRecord,
        *,
        early: bool = False,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Close a period with what the record holds for its last day (or for today, when
        closing early): each action's RAG, status and narrative, and the period's lists,
        worked out from the events as of that day, not from the read models of today."""
        acting = self.user(actor)
        permissions.require_role(acting, "close reporting periods", Role.ADMIN, Role.SECRETARY)
        plan = self.plan(slug)
        plan.check_closable(period, early, reason)
        as_of = min(Period.parse(period).end, clock.today())
        doc, views = record.at_day(slug, as_of)
        frozen = [{k: a[k] for k in FROZEN_FIELDS} for a in doc["actions"]]
        lists = lists_for(views, Period.parse(period))
        reclose = period in plan.reopened_periods
        plan.close(
            period, frozen, lists, doc["summary"], as_of, acting.email, early=early, reason=reason
        )
        self.record(plan)
        return {
            "plan": slug,
            "period": period,
            "actions": len(frozen),
            "as_of": as_of.isoformat(),
            "early": early,
            "closed_again": reclose,
            "lists": lists,
        }

    def reopen_period(self, actor: str, slug: str, period: str, reason: str | None) -> None:
        """Plan owners (or, for a plan with none, secretaries) and admins reopen."""
        acting = self.user(actor)
        plan = self.plan(slug)
        _require_plan_owner(acting, plan, f"reopen period {period} of plan '{slug}'")
        plan.reopen(period, reason, actor=acting.email)
        self.record(plan)

    def record_narrative(
        self,
        actor: str,
        slug: str,
        period: str,
        overview: str | None = None,
        risks: str | None = None,
        issues: str | None = None,
    ) -> None:
        """The period's overview and plan-level risks and issues, until it closes."""
        acting = self.user(actor)
        plan = self.plan(slug)
        _require_plan_owner(acting, plan, f"write the narrative of plan '{slug}'")
        plan.record_narrative(period, acting.email, overview=overview, risks=risks, issues=issues)
        self.record(plan)

    def open_period(self, slug: str, day: date | None = None) -> Period:
        """The period what is recorded on the day (today by default) belongs to."""
        return self.plan(slug).open_period_on(day or clock.today())

    def report_progress_for_open_period(
        self,
        actor: str,
        slug: str,
        ref: str,
        narrative: str,
        period: str | None = None,
        risk: str | None = None,
        expected_version: int | None = None,
    ) -> str:
        """Progress for the period named, which must be open, or by default for the open
        period of today. Returns the period it was recorded for."""
        plan = self.plan(slug)
        key = period or plan.open_period_on(clock.today()).key
        plan.check_period_takes_updates(key)
        self.report_progress(
            actor, slug, ref, key, narrative, risk=risk, expected_version=expected_version
        )
        return key


class PlanRecord(Protocol):
    """Reads a plan from the event record as of a day, for closing a period."""

    def at_day(self, slug: str, day: date) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The plan's document (RAG computed for the day) and its action views."""
        ...


# What a closed period keeps of each action, as the board saw it.
FROZEN_FIELDS = (
    "ref",
    "group",
    "title",
    "status",
    "rag",
    "reported_rag",
    "computed_rag",
    "rag_reasons",
    "exception",
    "direction",
    "previous_rag",
    "progress",
    "risk",
    "plan_start",
    "plan_finish",
    "actual_finish",
    "leads",
    "accountable",
)


def _require_plan_owner(user: User, plan: Plan, doing: str) -> None:
    """Admins, and the plan's owners where it names them; a plan without owners is
    looked after by the secretaries."""
    if user.has(Role.ADMIN):
        return
    owners = getattr(plan, "owners", None)
    if owners:
        emails = {o if isinstance(o, str) else getattr(o, "email", None) for o in owners}
        if user.email in {normalise_email(e) for e in emails if e}:
            return
        raise PermissionDenied(f"{user.email} may not {doing}: only its owners and admins may")
    permissions.require_role(user, doing, Role.SECRETARY)


def _check_version(aggregate: Any, label: str, expected: int | None) -> None:
    if expected is not None and aggregate.version != expected:
        raise Conflict(
            f"{label} was updated by someone else a moment ago "
            f"(version {aggregate.version}, you had {expected}); review it and try again"
        )


def _describe(aggregate: Any) -> str:
    for attr, prefix in (("ref", "action "), ("slug", "plan "), ("key", "item "), ("email", "")):
        if hasattr(aggregate, attr):
            return f"{prefix}{getattr(aggregate, attr)}"
    return str(aggregate.id)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
