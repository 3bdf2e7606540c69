"""The application service: one method per use case, each checking who may do it.

Every interface (CLI, web, importer) goes through these methods, so the rules and the
role checks hold whatever the edge.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoding

from domain import clock, permissions
from domain.action import Action
from domain.chain_adoption import ChainAdoption
from domain.dispatch import Attempt, Dispatch, NotClaimable, RetryPolicy
from domain.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from domain.governance import GovernanceItem, item_id
from domain.ids import action_id, plan_id
from domain.periods import Period
from domain.plan import Plan
from domain.spec import ActionSpec, PlanSpec
from domain.users import Role, User, normalise_email, parse_roles, user_id
from domain.values import Cadence, Person, Rag, Recurrence, Status
from engine.service import recorded
from engine.service.cached_reads import ReadScope, cached_reads, current_scope
from projections.freshness import FreshAggregates, StaleReads
from projections.lists import lists_for


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ReadModelFeed(Protocol):
    fresh: FreshAggregates

    def record(
        self,
        save: Callable[..., Sequence[Recording[UUID]]],
        *,
        read_at: int | None = None,
        saved: Callable[[int], None] | None = None,
    ) -> Sequence[Any]:
        """Record by calling ``save``, and bring the read models up to date with it."""

    def catch_up(self) -> int:
        """Bring the read models up to the event log's head."""

    def settled(self) -> int | None:
        """The position the fresh aggregates are current at, when known."""


# How deeply the current thread or task is inside deferred_projection(): per context, so
# one request deferring does not stop another's reads from following its writes.
_deferring: ContextVar[int] = ContextVar("actiontrail_deferring", default=0)


class ActionTrail(Application[UUID]):
    name = "ActionTrail"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "2000"}

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        # Keeps the read models up to date with each save, so that readers see their
        # own writes (projections.runner.ProjectionRunner).
        self.read_models: ReadModelFeed | None = None

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # Persistence helpers

    def record(self, *aggregates: Any) -> list[Recording[UUID]]:
        """Save aggregates in one transaction; a stale write becomes a Conflict. Returns
        the recordings, which ``engine.service.recorded.collecting`` also gathers for interfaces
        that tell their user what was recorded."""
        read_models = self.read_models if _deferring.get() == 0 else None
        scope = current_scope(self)
        read_at = scope.at if scope is not None else None
        try:
            if read_models is None:
                recordings = list(self.save(*aggregates))
            else:
                saved = None
                if scope is not None:
                    saved = partial(self._saved, scope, aggregates, read_models.fresh.epoch)
                recordings = list(
                    read_models.record(
                        partial(self.save, *aggregates), read_at=read_at, saved=saved
                    )
                )
        except IntegrityError as e:
            if read_at is not None:
                # Read from a cache the store had moved past: read again, not a conflict.
                raise StaleReads(str(e)) from e
            names = ", ".join(_describe(a) for a in aggregates)
            raise Conflict(
                f"{names} changed since it was read (someone else updated it a moment ago); "
                "reload and try again"
            ) from e
        if scope is not None:
            scope.recorded = True
        recorded.note({a.id: _describe(a) for a in aggregates}, recordings)
        return recordings

    def _saved(
        self, scope: ReadScope, aggregates: Sequence[Any], epoch: int, position: int
    ) -> None:
        """A command's aggregates, just committed with their read models: current at
        ``position``, so they are cached as saved and need not be read back."""
        scope.recorded = True
        assert self.read_models is not None and self.repository.cache is not None
        for aggregate in aggregates:
            self.repository.cache.put(aggregate.id, aggregate)
        self.read_models.fresh.add((a.id for a in aggregates), epoch)

    def log_head(self) -> int:
        return int(self.recorder.max_notification_id() or 0)

    @contextmanager
    def deferred_projection(self) -> Iterator[None]:
        """Run several commands and bring the read models up to date once, at the end."""
        token = _deferring.set(_deferring.get() + 1)
        try:
            yield
        finally:
            _deferring.reset(token)
            # Catch up even when the block failed: what it did record must be visible.
            if self.read_models is not None and _deferring.get() == 0:
                self.read_models.catch_up()

    def _read(self, aggregate_id: UUID, copy: bool = True) -> Any:
        """An aggregate as stored now. In a ``@cached_reads`` command, one this process
        knows to be current comes from the cache without asking the store (the command's
        record then checks nothing was recorded since); one read from the store is then
        known to be current."""
        scope = current_scope(self)
        feed = self.read_models if _deferring.get() == 0 else None
        cache = self.repository.cache
        if scope is None or feed is None or cache is None:
            return self.repository.get(aggregate_id, deepcopy_from_cache=copy)
        # The epoch before the position: if the runner loses its place after this, the
        # aggregate read below is not taken to be current.
        epoch = feed.fresh.epoch
        at = feed.settled()
        trusted = at is not None and scope.cached and scope.at in (None, at)
        if trusted and aggregate_id in feed.fresh:
            try:
                cached = cache.get(aggregate_id)
            except KeyError:
                pass
            else:
                scope.at = at
                return deepcopy(cached) if copy else cached
        aggregate: Any = self.repository.get(aggregate_id, deepcopy_from_cache=copy)
        if at is not None:
            feed.fresh.add((aggregate_id,), epoch)
        return aggregate

    def _get(self, aggregate_id: UUID, missing: str) -> Any:
        try:
            return self._read(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(missing) from None

    def _of_plan(self, slug: str, aggregate_id: UUID, missing: str) -> Any:
        """An action or item of a plan. Whether the plan exists is asked only when the
        aggregate is missing, to say which: commands on existing ones need no extra read."""
        try:
            return self._read(aggregate_id)
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
            user: User = self._read(user_id(key), copy=False)
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
        """Change the named settings of a plan's RAG and reminder policies (admins and the
        plan's owners). The settings are applied to the plan as recorded, so a change made
        a moment earlier by someone else is kept, not overwritten."""
        acting = self.user(actor)
        plan = self.plan(slug)
        permissions.require_plan_manager(acting, plan, "change plan policies")
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

    @cached_reads
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
        acting = self.user(actor)
        action = self.action(slug, ref)
        # The plan is read only for someone who is neither a lead nor the accountable officer.
        own = action.is_lead(acting.email) or action.is_accountable(acting.email)
        permissions.require_action_amender(
            acting, None if own else self.plan(slug), action, "amend"
        )
        _check_version(action, f"action {ref}", expected_version)
        if field == "group" and value is not None:
            self.plan(slug).check_group_exists(value)
        action.amend(field, value, reason, actor=acting.email, effective_on=effective_on)
        self.record(action)

    @cached_reads
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

    @cached_reads
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

    @cached_reads
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

    @cached_reads
    def achieve_milestone(
        self, actor: str, slug: str, ref: str, number: int, achieved_on: date
    ) -> None:
        acting, action = self._updatable(actor, slug, ref, "record milestones of", None)
        action.achieve_milestone(number, achieved_on, actor=acting.email)
        self.record(action)

    @cached_reads
    def measure_indicator(
        self, actor: str, slug: str, ref: str, name: str, value: float, measured_on: date
    ) -> None:
        acting, action = self._updatable(actor, slug, ref, "measure indicators of", None)
        action.measure_indicator(name, value, measured_on, actor=acting.email)
        self.record(action)

    @cached_reads
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

    @cached_reads
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

    @cached_reads
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
        plan = self.plan(slug)
        # A plan's owners open its items, as admins and board secretaries do.
        if not permissions.is_plan_manager(acting, plan):
            permissions.require_role(acting, "open governance items", Role.ADMIN, Role.SECRETARY)
        item = self._new_item(
            plan, key, title, agencies, document_name, document_sha256, acting.email
        )
        self.record(item)
        return item

    @cached_reads
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

    @cached_reads
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

    @cached_reads
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

    @cached_reads
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

    @cached_reads
    def reopen_period(self, actor: str, slug: str, period: str, reason: str | None) -> None:
        """Plan owners (or, for a plan with none, secretaries) and admins reopen."""
        acting = self.user(actor)
        plan = self.plan(slug)
        permissions.require_plan_manager(acting, plan, f"reopen period {period}")
        plan.reopen(period, reason, actor=acting.email)
        self.record(plan)

    @cached_reads
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
        permissions.require_plan_manager(acting, plan, "write the period's narrative")
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

    # Single sign-on

    def enrol_signed_in(self, email: str, name: str, agency: str | None) -> User:
        """A person their organisation's sign-in vouched for, from an email domain the
        store allows: added with no roles (so they can see nothing yet), on their own
        word as verified by the provider, for an administrator to give roles to."""
        if not self.has_users():
            raise PermissionDenied("the first user must be added as an admin first")
        key = normalise_email(email)
        if self._exists(user_id(key)):
            raise DomainError(f"user '{key}' already exists")
        user = User.register(key, name, agency, [], actor=key)
        self.record(user)
        return user

    # Reminder dispatches. These are the engine's own writes (the sender and the
    # scheduler), made for no person, so there is no role to check: what is sent was
    # decided by the plans' reminder rules.

    def queue_dispatches(self, dispatches: list[Dispatch]) -> int:
        """Record new dispatches together; one already queued by someone else (the same
        digest, so the same id) is skipped. Returns how many were recorded."""
        try:
            self.record(*dispatches)
            return len(dispatches)
        except Conflict:
            pass
        recorded = 0
        for d in dispatches:
            fresh = Dispatch.queue(d.key, d.recipient, d.day, d.plan_ids, d.items)
            try:
                self.record(fresh)
                recorded += 1
            except Conflict:
                continue
        return recorded

    def dispatch(self, dispatch_id: UUID) -> Dispatch | None:
        try:
            found: Dispatch = self.repository.get(dispatch_id)
        except AggregateNotFoundError:
            return None
        return found

    def claim_dispatches(
        self,
        ids: list[UUID],
        by: str,
        now: datetime,
        lease: timedelta,
        reclaim: Collection[UUID] = (),
    ) -> list[Dispatch]:
        """Claim what can be claimed of these dispatches for the sender ``by``, which
        takes back its own earlier claims on ``reclaim`` (see Dispatch.claim). Claims
        are recorded before anything is sent, so a rival sender's claim on the same
        version fails and it moves on."""
        batch = []
        for i in ids:
            d = self.dispatch(i)
            if d is None:
                continue
            try:
                d.claim(by, now, lease, reclaim=i in reclaim)
            except NotClaimable:
                continue
            batch.append(d)
        if not batch:
            return []
        try:
            self.record(*batch)
            return batch
        except Conflict:
            pass
        # Another sender claimed some of these since they were read: take the rest.
        claimed = []
        for d in batch:
            again = self.dispatch(d.id)
            if again is None:
                continue
            try:
                again.claim(by, now, lease, reclaim=d.id in reclaim)
                self.record(again)
            except (NotClaimable, Conflict):
                continue
            claimed.append(again)
        return claimed

    def record_attempt(
        self, dispatch: Dispatch, by: str, attempt: Attempt, now: datetime, retry: RetryPolicy
    ) -> bool:
        """Record what became of one attempt to send a claimed dispatch, at once, so
        that a sender killed a moment later has sent nothing it has not recorded
        (beyond the few messages in flight). False when it could not be recorded."""
        try:
            dispatch.record_attempt(by, attempt, now, retry)
            self.record(dispatch)
            return True
        except (DomainError, Conflict):
            pass
        # A lease ran out mid-send and another sender took it over: record ours against
        # what is stored now (a message that went is recorded as sent whoever holds it).
        current = self.dispatch(dispatch.id)
        if current is None:
            return False
        try:
            current.record_attempt(by, attempt, now, retry)
            self.record(current)
        except (DomainError, Conflict):
            return False
        return True

    # The hash chain

    def adopt_unchained_events(self, actor: str, reason: str) -> ChainAdoption:
        """Adopt, as they stand, the stored events that no hash chain covers (its tables
        were dropped, or the store predates them): until then the store accepts no
        write. Admins only; recorded, with the count and the reason, as the event that
        seals them (engine.audit: ADOPTION_TOPIC)."""
        acting = self.user(actor)
        permissions.require_admin(acting, "adopt events no hash chain covers")
        recorder: Any = self.recorder
        unchained = int(recorder.unchained_events())
        if not unchained:
            raise DomainError("the hash chain covers every stored event: nothing to adopt")
        adoption = ChainAdoption.adopt(
            unchained, int(recorder.max_notification_id()), reason, actor=acting.email
        )
        self.record(adoption)
        return adoption

    # ---- Plan owners: running a plan after it is registered ----

    def _managed(self, actor: str, slug: str, doing: str) -> tuple[User, Plan]:
        acting = self.user(actor)
        plan = self.plan(slug)
        permissions.require_plan_manager(acting, plan, doing)
        return acting, plan

    def add_plan_owner(self, actor: str, slug: str, email: str, reason: str | None = None) -> None:
        """An admin or an existing owner makes a registered person an owner of the plan."""
        acting, plan = self._managed(actor, slug, "add owners")
        owner = self.user(email)
        if not owner.active:
            raise DomainError(f"user '{owner.email}' is deactivated and cannot own a plan")
        if not any(r is not Role.AUDITOR for r in owner.roles):
            raise InvalidInput(
                f"user '{owner.email}' changes nothing (auditor or no roles): "
                "give them a role before making them an owner"
            )
        plan.add_owner(owner.email, actor=acting.email, reason=reason)
        self.record(plan)

    def remove_plan_owner(
        self, actor: str, slug: str, email: str, reason: str | None = None
    ) -> None:
        acting, plan = self._managed(actor, slug, "remove owners")
        try:
            key = normalise_email(email)
        except InvalidInput:
            raise NotFound(f"'{email}' is not an owner of plan '{slug}'") from None
        plan.remove_owner(key, actor=acting.email, reason=reason)
        self.record(plan)

    def add_agency(self, actor: str, slug: str, name: str, reason: str) -> None:
        acting, plan = self._managed(actor, slug, "add agencies")
        plan.add_agency(name, reason, actor=acting.email)
        self.record(plan)

    def rename_agency(self, actor: str, slug: str, name: str, new_name: str, reason: str) -> None:
        acting, plan = self._managed(actor, slug, "rename agencies")
        plan.rename_agency(name, new_name, reason, actor=acting.email)
        self.record(plan)

    def retire_agency(self, actor: str, slug: str, name: str, reason: str) -> None:
        acting, plan = self._managed(actor, slug, "retire agencies")
        plan.retire_agency(name, reason, actor=acting.email)
        self.record(plan)

    def amend_plan(self, actor: str, slug: str, field: str, value: Any, reason: str) -> None:
        """The plan's title, organisation, source, boards or cadence, with a reason."""
        acting, plan = self._managed(actor, slug, f"amend the {field}")
        plan.amend(field, value, reason, actor=acting.email)
        self.record(plan)

    def rebaseline_actions(
        self,
        actor: str,
        slug: str,
        reason: str,
        dates: Mapping[str, tuple[date | None, date | None]] | None = None,
        shift: str | None = None,
        refs: list[str] | None = None,
    ) -> list[str]:
        """New planned dates for several actions, recorded as one unit with one reason:
        either ``shift`` ("3m", "-2w") applied to ``refs``, or explicit ``dates`` by ref
        (None keeps the date the action has). Each action's change is its own event.
        Returns the refs re-baselined."""
        from domain.action import parse_shift, shifted

        acting, plan = self._managed(actor, slug, "re-baseline actions")
        if not (reason and reason.strip()):
            raise InvalidInput(f"re-baselining actions of plan '{slug}' needs a reason")
        if (shift is None) == (dates is None):
            raise InvalidInput("re-baseline with either a shift and refs, or a file of dates")
        changes: dict[str, tuple[date | None, date | None] | None] = {}
        if shift is not None:
            amount, unit = parse_shift(shift)
            if not refs:
                raise InvalidInput("a shift needs the actions it moves (--refs 1.1,1.2)")
            changes = {r.strip(): None for r in refs if r.strip()}
        else:
            changes = {r.strip(): d for r, d in (dates or {}).items()}
        if not changes:
            raise InvalidInput(f"no actions of plan '{slug}' to re-baseline")
        actions = []
        for ref, new in changes.items():
            action = self.action(slug, ref)
            if new is None:
                new = (
                    shifted(action.plan_start, amount, unit),
                    shifted(action.plan_finish, amount, unit),
                )
                if new == (None, None):
                    raise InvalidInput(f"action {ref} has no planned dates to shift")
            # A date not given keeps the one the action has.
            start = new[0] if new[0] is not None else action.plan_start
            finish = new[1] if new[1] is not None else action.plan_finish
            action.rebaseline(start, finish, reason, actor=acting.email)
            actions.append(action)
        self.record(*actions)
        return list(changes)

    def set_up_action(
        self,
        actor: str,
        slug: str,
        ref: str,
        reason: str,
        leads: list[Person] | None = None,
        accountable: Person | None = None,
        plan_finish: date | None = None,
        recurrence: Recurrence | None = None,
        expected_version: int | None = None,
    ) -> list[str]:
        """Give an action what it lacks (leads, accountable officer, a finish or a
        recurrence) as one unit: an amendment event for each part given, one reason.
        Returns the fields amended."""
        acting = self.user(actor)
        action = self.action(slug, ref)
        own = action.is_lead(acting.email) or action.is_accountable(acting.email)
        permissions.require_action_amender(
            acting, None if own else self.plan(slug), action, "set up"
        )
        _check_version(action, f"action {ref}", expected_version)
        changes: list[tuple[str, Any]] = []
        if leads is not None and leads != action.leads:
            changes.append(("leads", leads))
        if accountable is not None and accountable != action.accountable:
            changes.append(("accountable", accountable))
        if plan_finish is not None and plan_finish != action.plan_finish:
            changes.append(("plan_finish", plan_finish))
        if recurrence is not None and recurrence != action.recurrence:
            changes.append(("recurrence", recurrence))
        if not changes:
            raise InvalidInput(f"nothing to change for action {ref}")
        for field, value in changes:
            action.amend(field, value, reason, actor=acting.email)
        self.record(action)
        return [f for f, _ in changes]

    def add_plan_person(
        self,
        actor: str,
        slug: str,
        email: str,
        name: str,
        roles: list[str],
        agency: str,
    ) -> User:
        """A plan's owner registers a lead or accountable officer of one of the plan's
        agencies (an admin may add anyone, with any role, through add_user)."""
        acting = self.user(actor)
        plan = self.plan(slug)
        permissions.require_plan_manager(acting, plan, "add people")
        parsed = parse_roles(roles)
        if not parsed:
            raise InvalidInput(f"'{email}' needs a role (lead or accountable)")
        allowed = {Role.LEAD, Role.ACCOUNTABLE}
        if not acting.has(Role.ADMIN) and not set(parsed) <= allowed:
            raise PermissionDenied(
                f"{acting.email} may not give the role "
                f"{', '.join(r.value for r in parsed if r not in allowed)}: "
                "a plan's owner adds leads and accountable officers; an admin adds the rest"
            )
        plan.check_agency(agency)
        if self._exists(user_id(email)):
            raise DomainError(f"user '{email}' already exists")
        user = User.register(email, name, agency, parsed, actor=acting.email)
        self.record(user)
        return user

    # ---- Users leaving and coming back ----

    def deactivate_user(self, actor: str, email: str, reason: str) -> None:
        """A deactivated person cannot sign in or act; everything they did remains."""
        acting = self.user(actor)
        permissions.require_admin(acting, "deactivate users")
        user: User = self._get(user_id(self.user(email).email), f"no user '{email}'")
        if user.email == acting.email:
            raise DomainError("an admin cannot deactivate themselves")
        user.deactivate(reason, actor=acting.email)
        self.record(user)

    def reactivate_user(self, actor: str, email: str, reason: str | None = None) -> None:
        acting = self.user(actor)
        permissions.require_admin(acting, "reactivate users")
        user: User = self._get(user_id(self.user(email).email), f"no user '{email}'")
        user.reactivate(actor=acting.email, reason=reason)
        self.record(user)

    # Spreadsheet imports

    def importer(self, actor: str, slug: str) -> User:
        """Who an import into ``slug`` is made by: an admin creates a new plan; an admin
        or one of its owners imports into an existing one. The importer asks this before
        reading the file, so a refused user learns it at once."""
        acting = self.user(actor)
        if self._exists(plan_id(slug)):
            permissions.require_plan_manager(acting, self.plan(slug), "import a sheet")
        else:
            permissions.require_admin(acting, "import plans")
        return acting

    def apply_import(self, actor: str, slug: str, aggregates: list[Any]) -> None:
        """Record what an import built (a new plan with its actions, the changes to one,
        the people it adds) as one transaction: every event or none. Adding people is an
        admin's, whoever imports the plan."""
        acting = self.importer(actor, slug)
        if any(isinstance(a, User) for a in aggregates):
            permissions.require_admin(acting, "add people with an import")
        for aggregate in aggregates:
            if not isinstance(aggregate, Plan | Action | User):
                raise DomainError(f"an import cannot record {type(aggregate).__name__}")
        self.record(*aggregates)


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
