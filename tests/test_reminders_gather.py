"""Reading a day's reminders from the read models: the same answer as running the rules
over every deadline, and a queued digest that renders back to the same message."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from config.settings import Settings
from domain.clock import FixedClock
from domain.reminders import (
    Deadline,
    OpenPeriod,
    PendingApproval,
    ReadyForSignoff,
    build_digests,
    compute_reminders,
    due_dates_reminded,
    period_closings_requested,
    reminders_due,
)
from domain.spec import ActionSpec, PlanSpec
from domain.values import Criterion, Person, Rag, ReminderPolicy, Status
from engine.reminders.delivery import Renderer
from engine.reminders.gather import reminders_for_day
from engine.reminders.items import digest_from, digest_items
from engine.runtime import Runtime
from notifiers.messages import render_digest
from notifiers.transport import KEY_HEADER
from tests.conftest import ADMIN, OFFICER, people
from tests.test_reminders_support import at, bodies, calendar_of, days

LEAD = Person("Lee Lead", "lee@council.example")
POLICIES = [
    ReminderPolicy(),
    ReminderPolicy(overdue_every_days=1),
    ReminderPolicy(overdue_every_days=3, lead_times_working_days=[20, 1]),
    ReminderPolicy(overdue_every_days=0),
]


@pytest.mark.parametrize("policy", POLICIES, ids=["default", "daily", "odd", "no-overdue"])
def test_the_due_dates_to_read_are_exactly_those_the_rules_remind_of(
    policy: ReminderPolicy,
) -> None:
    start = date(2008, 11, 1)
    dues = days(start, date(2010, 3, 1))
    deadlines = [
        Deadline("p", "P", "action", d.isoformat(), "t", d, [LEAD], None, Status.IN_PROGRESS,
                 None, "/")
        for d in dues
    ]  # fmt: skip
    # Around Easter and the late May bank holiday, a plain week, and Christmas.
    for day in [*days(date(2009, 4, 8), date(2009, 4, 16)), date(2009, 5, 26),
                date(2009, 6, 3), date(2009, 12, 29), date(2010, 1, 4)]:  # fmt: skip
        reminded = {r.subject.due for r in compute_reminders(day, deadlines, [], [], [], policy)
                    .reminders}  # fmt: skip
        assert due_dates_reminded(day, policy, start) == reminded, day


def test_period_closings_requested_follow_the_policy() -> None:
    assert period_closings_requested(date(2009, 6, 23), ReminderPolicy()) == {date(2009, 6, 30)}
    # 5 working days after Fri 22 May is Mon 1 Jun: the weekend before it counts too.
    assert period_closings_requested(date(2009, 5, 22), ReminderPolicy()) == {date(2009, 6, 1)}
    assert period_closings_requested(date(2009, 5, 21), ReminderPolicy()) == {
        date(2009, 5, 29),
        date(2009, 5, 30),
        date(2009, 5, 31),
    }
    assert period_closings_requested(date(2009, 5, 23), ReminderPolicy()) == set()


def random_plan(seed: int) -> tuple[PlanSpec, list[Deadline]]:
    rng = random.Random(seed)
    cast = [Person(f"Lead {i}", f"lead{i}@council.example") for i in range(5)]
    officer = Person("Olu Officer", OFFICER)
    specs, expected = [], []
    for n in range(1, 81):
        finish = date(2009, 5, 1) + timedelta(days=rng.randrange(120))
        criteria = [
            Criterion(f"Step {k}", date(2009, 5, 1) + timedelta(days=rng.randrange(120)))
            for k in range(rng.randrange(3))
        ]
        leads = rng.sample(cast, rng.randrange(1, 3))
        status = rng.choice([Status.IN_PROGRESS] * 4 + [Status.COMPLETED, Status.CANCELLED])
        ref = f"{n // 10 + 1}.{n % 10}"
        specs.append(
            ActionSpec(ref=ref, title=f"Action {ref}", group="1", leads=leads,
                       accountable=officer, plan_finish=finish, success_criteria=criteria,
                       status=status)
        )  # fmt: skip
        for number, (due, title) in enumerate(
            [(finish, f"Action {ref}"), *[(c.due, c.text) for c in criteria]]
        ):
            expected.append(
                Deadline("plan", "Plan", "action" if number == 0 else "criterion",
                         ref if number == 0 else f"{ref} criterion {number}", title, due,
                         leads, officer, status, None, "/", ref)
            )  # fmt: skip
    from domain.spec import GroupSpec

    spec = PlanSpec(slug="plan", title="Plan", groups=[GroupSpec("1", "Area")], actions=specs)
    return spec, expected


def test_the_read_models_give_what_the_rules_give_over_every_deadline(
    rt: Runtime, clock: FixedClock
) -> None:
    spec, deadlines = random_plan(7)
    clock.set(at(date(2009, 4, 1)))
    people(rt)
    rt.app.load_plan(ADMIN, spec)
    for a in spec.actions:
        if a.status in (Status.COMPLETED, Status.CANCELLED):
            rt.app.change_status(OFFICER, "plan", a.ref, a.status, reason="done")
    # Periods are another rule's business: keep them out of the comparison.
    no_periods = ReminderPolicy(period_request_working_days=400)
    plan = rt.app.plan("plan")
    plan.change_policies(ADMIN, reminders=no_periods)
    rt.app.record(plan)
    rt.runner.catch_up()

    def shape(reminders: list) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
        return sorted(
            (r.recipient.email, r.rule.value, r.subject.ref, str(r.subject.due)) for r in reminders
        )

    compared = 0
    for day in days(date(2009, 5, 1), date(2009, 9, 30)):
        got = reminders_for_day(rt.engine, day).reminders
        want = compute_reminders(day, deadlines, [], [], [], no_periods).reminders
        assert shape(got) == shape(want), day
        compared += len(want)
    assert compared > 200


def sample_digests() -> list:  # type: ignore[type-arg]
    day = date(2009, 6, 30)
    deadline = Deadline("cyps", "Children's plan", "criterion", "2.1 criterion 1", "Audit",
                        day, [LEAD], None, Status.IN_PROGRESS, Rag.RED,
                        "/plans/cyps/actions/2.1", "2.1")  # fmt: skip
    approval = PendingApproval("cyps", "terms", "Terms", 2, "NHS", [LEAD], date(2009, 6, 23),
                               "/plans/cyps/governance/terms", "Children's plan")  # fmt: skip
    ready = ReadyForSignoff("cyps", "policy", "Policy", 1, day, [LEAD],
                            "/plans/cyps/governance/policy", "Children's plan")  # fmt: skip
    period = OpenPeriod("cyps", "Children's plan", "2009-07", date(2009, 7, 7), [LEAD], "/p")
    found = reminders_due(day, [deadline], [approval], [ready], [], ReminderPolicy())
    found += reminders_due(date(2009, 6, 30), [], [], [], [period], ReminderPolicy())
    return build_digests(found)


def test_a_queued_digest_rebuilds_to_the_same_digest_and_key() -> None:
    (digest,) = sample_digests()
    assert {s.section.value for s in digest.sections} == {
        "due", "approval", "signoff", "update",
    }  # fmt: skip
    rebuilt = digest_from(digest.recipient, digest.day, digest_items(digest))
    assert [s.section for s in rebuilt.sections] == [s.section for s in digest.sections]
    assert digest_items(rebuilt) == digest_items(digest)
    assert [r.key for r in rebuilt.reminders] == [r.key for r in digest.reminders]
    assert rebuilt.key == digest.key


def test_links_come_from_the_link_maker_and_the_calendar_keeps_the_plain_address() -> None:
    (digest,) = sample_digests()
    msg = render_digest(
        digest,
        base_url="https://plans.example",
        sender="plans@example.gov.uk",
        link=lambda r: (
            f"https://plans.example/link/{r.subject.action_ref}" if r.subject.action_ref else None
        ),
    )
    text, html = bodies(msg)
    assert "https://plans.example/link/2.1" in text and "https://plans.example/link/2.1" in html
    assert "https://plans.example/plans/cyps/governance/terms" in text  # no link: plain
    cal = calendar_of(msg)
    assert cal is not None
    urls = {str(e.get("url")) for e in cal.walk("VEVENT")}
    assert "https://plans.example/plans/cyps/actions/2.1" in urls


def test_the_rendered_message_carries_the_dispatch_key(tmp_path: Path) -> None:
    from domain.dispatch import Dispatch

    (digest,) = sample_digests()
    d = Dispatch.queue(digest.key, digest.recipient, digest.day, [], digest_items(digest))
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'links.db'}",
        base_url="https://plans.example",
        mail_from="p@example.gov.uk",
    )
    msg = Renderer(settings)(d, at(digest.day))
    assert msg[KEY_HEADER] == digest.key
    assert msg["Message-ID"] == f"<{digest.key}@example.gov.uk>"
