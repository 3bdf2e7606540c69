from collections.abc import Sequence
from datetime import date, timedelta

import pytest

from domain.reminders import (
    Deadline,
    OpenPeriod,
    PendingApproval,
    ReadyForSignoff,
    Reminder,
    Rule,
    Section,
    build_digests,
    compute_reminders,
    is_overdue_day,
    reminders_due,
)
from domain.values import Person, Rag, ReminderPolicy, Status
from domain.working_days import next_working_day_on_or_after, working_days_before

LEAD = Person("Lesley Lead", "lesley.lead@council.gov.uk", agency="Council")
CO_LEAD = Person("Colin Colead", "colin@pct.nhs.uk", agency="PCT")
OFFICER = Person("Dana Director", "dana.director@council.gov.uk", title="Director")
NO_EMAIL = Person("Norma Noemail")
POLICY = ReminderPolicy()


def deadline(
    due: date | None,
    *,
    ref: str = "2.1",
    status: Status = Status.IN_PROGRESS,
    leads: Sequence[Person] = (LEAD,),
    accountable: Person | None = OFFICER,
    kind: str = "action",
    plan: str = "cyps",
) -> Deadline:
    return Deadline(
        plan_slug=plan,
        plan_title="Children's Services Improvement Plan",
        subject_kind=kind,
        subject_ref=ref,
        subject_title=f"Action {ref}",
        due=due,
        leads=list(leads),
        accountable=accountable,
        status=status,
        rag=Rag.AMBER,
        url_path=f"/plans/{plan}/actions/{ref}",
    )


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def scan(
    start: date,
    end: date,
    deadlines: Sequence[Deadline] = (),
    approvals: Sequence[PendingApproval] = (),
    ready: Sequence[ReadyForSignoff] = (),
    periods: Sequence[OpenPeriod] = (),
    policy: ReminderPolicy = POLICY,
) -> list[Reminder]:
    """Everything due on each day from start to end, as a daily scheduler would get it."""
    found = []
    for day in days(start, end):
        found += reminders_due(day, deadlines, approvals, ready, periods, policy)
    return found


def when(reminders: list[Reminder], rule: Rule, person: Person = LEAD) -> list[date]:
    return [r.day for r in reminders if r.rule is rule and r.recipient == person]


# --- the ladder before a deadline -------------------------------------------------


def test_ladder_fires_14_and_3_working_days_before_and_on_the_day_around_easter() -> None:
    found = scan(date(2009, 3, 1), date(2009, 4, 30), [deadline(date(2009, 4, 14))])
    due = [r for r in found if r.rule is Rule.LEAD_TIME]
    # 3 working days before Tue 14 Apr skips Easter Monday and Good Friday.
    assert [(r.day, r.working_days_left) for r in due] == [
        (date(2009, 3, 23), 14),
        (date(2009, 4, 7), 3),
        (date(2009, 4, 14), 0),
    ]
    assert {r.section for r in due} == {Section.DUE}
    assert {r.recipient for r in due} == {LEAD}


def test_a_deadline_on_a_bank_holiday_is_reminded_on_the_working_day_before() -> None:
    found = scan(date(2009, 4, 1), date(2009, 5, 31), [deadline(date(2009, 5, 25))])
    assert when(found, Rule.LEAD_TIME) == [date(2009, 5, 1), date(2009, 5, 19), date(2009, 5, 22)]


def test_ladder_rung_before_the_august_bank_holiday() -> None:
    found = scan(date(2009, 8, 1), date(2009, 9, 30), [deadline(date(2009, 9, 1))])
    assert date(2009, 8, 26) in when(found, Rule.LEAD_TIME)


def test_the_plan_policy_sets_the_ladder() -> None:
    policy = ReminderPolicy(lead_times_working_days=[5])
    found = scan(date(2009, 5, 1), date(2009, 6, 30), [deadline(date(2009, 6, 30))], policy=policy)
    assert when(found, Rule.LEAD_TIME) == [date(2009, 6, 23)]


def test_every_lead_is_reminded_once_even_if_listed_twice() -> None:
    found = reminders_due(
        date(2009, 6, 30), [deadline(date(2009, 6, 30), leads=[LEAD, CO_LEAD, LEAD])], [], [], [],
        POLICY,
    )
    assert sorted(r.recipient.name for r in found) == ["Colin Colead", "Lesley Lead"]


def test_ladder_matches_working_days_before_for_every_due_date_in_a_year() -> None:
    dues = days(date(2009, 1, 1), date(2009, 12, 31))
    found = scan(date(2008, 12, 1), date(2009, 12, 31), [deadline(d, ref=str(d)) for d in dues])
    fired: dict[date, set[date]] = {}
    for r in found:
        if r.rule is Rule.LEAD_TIME:
            assert r.subject.due is not None
            fired.setdefault(r.subject.due, set()).add(r.day)
    for d in dues:
        assert fired[d] == {working_days_before(d, n) for n in (14, 3, 0)}, d


# --- overdue and escalation -------------------------------------------------------


def test_overdue_notices_come_weekly_on_monday_to_the_leads_not_on_the_due_day() -> None:
    # Due Wednesday 3 June 2009: told on each Monday after it, with the days overdue.
    found = scan(date(2009, 6, 1), date(2009, 7, 3), [deadline(date(2009, 6, 3))])
    assert when(found, Rule.OVERDUE) == [
        date(2009, 6, 8),
        date(2009, 6, 15),
        date(2009, 6, 22),
        date(2009, 6, 29),
    ]
    overdue = [r for r in found if r.rule is Rule.OVERDUE]
    assert [r.days_overdue for r in overdue] == [5, 12, 19, 26]
    assert {r.section for r in overdue} == {Section.OVERDUE}


def test_the_accountable_officer_is_told_from_14_days_overdue() -> None:
    # 14 days overdue on Wednesday 17 June: the officer hears on the Mondays after.
    found = scan(date(2009, 6, 1), date(2009, 7, 3), [deadline(date(2009, 6, 3))])
    assert when(found, Rule.ESCALATION, OFFICER) == [date(2009, 6, 22), date(2009, 6, 29)]
    assert all(r.section is Section.OVERDUE for r in found if r.recipient == OFFICER)
    assert when(found, Rule.OVERDUE, OFFICER) == []


def test_an_overdue_day_on_a_bank_holiday_moves_to_the_next_working_day() -> None:
    # Monday 25 May 2009 is the spring bank holiday: that week's notices come on Tuesday.
    found = scan(date(2009, 5, 18), date(2009, 6, 10), [deadline(date(2009, 5, 18))])
    assert when(found, Rule.OVERDUE) == [date(2009, 5, 26), date(2009, 6, 1), date(2009, 6, 8)]
    assert when(found, Rule.ESCALATION, OFFICER) == [date(2009, 6, 1), date(2009, 6, 8)]
    # Christmas 2009: Friday 25th and Monday 28th (Boxing Day's substitute) are holidays.
    assert is_overdue_day(date(2009, 12, 29)) and not is_overdue_day(date(2009, 12, 28))
    # Easter 2009: Monday 13 April is a holiday, so Tuesday 14th.
    assert [d for d in days(date(2009, 4, 6), date(2009, 4, 19)) if is_overdue_day(d)] == [
        date(2009, 4, 6),
        date(2009, 4, 14),
    ]


def test_every_overdue_item_comes_on_the_one_overdue_day_of_each_week_all_year() -> None:
    dues = days(date(2009, 1, 1), date(2009, 12, 31))
    end = date(2010, 2, 28)
    found = scan(date(2009, 1, 1), end, [deadline(d, ref=str(d)) for d in dues])
    fired: dict[date, list[date]] = {}
    for r in found:
        if r.rule is Rule.OVERDUE:
            assert r.subject.due is not None
            fired.setdefault(r.subject.due, []).append(r.day)
    # Each week's first working day (from its Monday, past any bank holidays).
    mondays = [d for d in days(date(2008, 12, 29), end) if d.weekday() == 0]
    overdue_days = [next_working_day_on_or_after(m) for m in mondays]
    for d in dues:
        assert fired[d] == [t for t in overdue_days if d < t <= end], d
    # So the lead hears of overdue work on one day a week, never two.
    by_week: dict[tuple[int, int], set[date]] = {}
    for r in found:
        if r.rule is Rule.OVERDUE:
            by_week.setdefault(r.day.isocalendar()[:2], set()).add(r.day)
    assert all(len(seen) == 1 for seen in by_week.values())


def test_an_accountable_officer_who_is_also_a_lead_gets_one_notice() -> None:
    found = reminders_due(
        date(2009, 6, 22), [deadline(date(2009, 6, 3), accountable=LEAD)], [], [], [], POLICY
    )
    assert [(r.recipient, r.rule) for r in found] == [(LEAD, Rule.OVERDUE)]


def test_overdue_notices_are_off_with_an_interval_of_0_and_weekly_otherwise() -> None:
    june, dl = (date(2009, 6, 1), date(2009, 7, 3)), [deadline(date(2009, 6, 3))]
    off = scan(*june, dl, policy=ReminderPolicy(overdue_every_days=0))
    assert when(off, Rule.OVERDUE) == [] and when(off, Rule.ESCALATION, OFFICER) == []
    other = scan(*june, dl, policy=ReminderPolicy(overdue_every_days=3))
    assert when(other, Rule.OVERDUE) == when(scan(*june, dl), Rule.OVERDUE)


def test_escalation_follows_the_policy() -> None:
    monday, due = date(2009, 6, 8), [deadline(date(2009, 6, 3))]  # 5 days overdue
    assert {r.rule for r in reminders_due(monday, due, [], [], [], POLICY)} == {Rule.OVERDUE}
    policy = ReminderPolicy(escalate_after_days=5)
    found = reminders_due(monday, due, [], [], [], policy)
    assert {r.rule for r in found} == {Rule.OVERDUE, Rule.ESCALATION}


# --- nothing for closed or undated work ------------------------------------------


@pytest.mark.parametrize(
    "status", [Status.COMPLETED, Status.VERIFIED, Status.DEFERRED, Status.CANCELLED]
)
def test_nothing_for_closed_actions(status: Status) -> None:
    dl = deadline(date(2009, 6, 3), status=status)
    assert scan(date(2009, 5, 1), date(2009, 7, 31), [dl]) == []


@pytest.mark.parametrize("status", [Status.NOT_STARTED, Status.IN_PROGRESS])
def test_open_actions_get_reminders(status: Status) -> None:
    dl = deadline(date(2009, 6, 3), status=status)
    assert {r.rule for r in scan(date(2009, 5, 1), date(2009, 7, 31), [dl])} == {
        Rule.LEAD_TIME,
        Rule.OVERDUE,
        Rule.ESCALATION,
    }


def test_nothing_for_a_deadline_without_a_date() -> None:
    assert scan(date(2009, 5, 1), date(2009, 7, 31), [deadline(None)]) == []


def test_nothing_on_non_working_days() -> None:
    dl = deadline(date(2009, 4, 13))  # Easter Monday
    for day in (date(2009, 4, 10), date(2009, 4, 11), date(2009, 4, 12), date(2009, 4, 13)):
        assert reminders_due(day, [dl], [], [], [], POLICY) == []


# --- reporting periods -----------------------------------------------------------


def period(closes_on: date, leads: Sequence[Person] = (LEAD, CO_LEAD)) -> OpenPeriod:
    return OpenPeriod("cyps", "Children's Services Improvement Plan", "2009-Q1", closes_on,
                      list(leads), url_path="/plans/cyps/periods/2009-Q1")


def test_update_requests_go_to_every_lead_5_working_days_before_the_period_closes() -> None:
    # Closes Wed 15 Apr 2009: counting back skips Easter Monday and Good Friday.
    found = scan(date(2009, 3, 15), date(2009, 4, 30), periods=[period(date(2009, 4, 15))])
    assert [(r.day, r.recipient.name) for r in found] == [
        (date(2009, 4, 6), "Lesley Lead"),
        (date(2009, 4, 6), "Colin Colead"),
    ]
    assert {(r.rule, r.section) for r in found} == {(Rule.PERIOD_UPDATE, Section.UPDATE)}
    assert found[0].subject.due == date(2009, 4, 15)


def test_update_request_timing_follows_the_policy() -> None:
    policy = ReminderPolicy(period_request_working_days=2)
    found = scan(date(2009, 4, 1), date(2009, 4, 30), periods=[period(date(2009, 4, 15))],
                 policy=policy)
    assert {r.day for r in found} == {date(2009, 4, 9)}


# --- governance ------------------------------------------------------------------

APPROVER = Person("Pat Approver", "pat@police.uk", agency="Police")
SECOND_APPROVER = Person("Sam Approver", "sam@police.uk", agency="Police")
SECRETARY = Person("Bo Secretary", "board@council.gov.uk")


def pending(since: date, version: int = 2) -> PendingApproval:
    return PendingApproval("cyps", "terms-of-reference", "Board terms of reference", version,
                           "Police", [APPROVER, SECOND_APPROVER], since, "/plans/cyps/gov/tor")


def test_approvers_are_chased_every_7_days_while_their_approval_is_pending() -> None:
    found = scan(date(2009, 6, 1), date(2009, 6, 30), approvals=[pending(date(2009, 6, 3))])
    assert when(found, Rule.APPROVAL_CHASE, APPROVER) == [
        date(2009, 6, 10),
        date(2009, 6, 17),
        date(2009, 6, 24),
    ]
    assert when(found, Rule.APPROVAL_CHASE, SECOND_APPROVER) == when(
        found, Rule.APPROVAL_CHASE, APPROVER
    )
    assert {r.section for r in found} == {Section.APPROVAL}
    assert [r.days_waiting for r in found if r.recipient == APPROVER] == [7, 14, 21]


def test_the_chase_interval_follows_the_policy() -> None:
    policy = ReminderPolicy(governance_chase_every_days=5)
    found = scan(date(2009, 6, 1), date(2009, 6, 30), approvals=[pending(date(2009, 6, 3))],
                 policy=policy)
    # Day 10 is Sat 13 Jun and day 25 is Sun 28 Jun: each goes out the Monday after.
    assert when(found, Rule.APPROVAL_CHASE, APPROVER) == [
        date(2009, 6, 8),
        date(2009, 6, 15),
        date(2009, 6, 18),
        date(2009, 6, 23),
        date(2009, 6, 29),
    ]


def test_an_approval_chase_due_over_easter_goes_out_the_next_working_day() -> None:
    found = scan(date(2009, 4, 1), date(2009, 4, 30), approvals=[pending(date(2009, 4, 3))])
    assert when(found, Rule.APPROVAL_CHASE, APPROVER) == [
        date(2009, 4, 14),
        date(2009, 4, 17),
        date(2009, 4, 24),
    ]


def test_a_new_version_is_a_different_reminder() -> None:
    day = date(2009, 6, 10)
    v2 = reminders_due(day, [], [pending(date(2009, 6, 3), 2)], [], [], POLICY)
    v3 = reminders_due(day, [], [pending(date(2009, 6, 3), 3)], [], [], POLICY)
    assert {r.key for r in v2}.isdisjoint({r.key for r in v3})


def ready(since: date) -> ReadyForSignoff:
    return ReadyForSignoff("cyps", "terms-of-reference", "Board terms of reference", 2, since,
                           [SECRETARY], "/plans/cyps/gov/tor")


def test_the_board_secretary_is_told_on_the_day_an_item_is_ready_for_signoff() -> None:
    found = scan(date(2009, 6, 1), date(2009, 6, 30), ready=[ready(date(2009, 6, 10))])
    assert [(r.day, r.recipient, r.rule, r.section) for r in found] == [
        (date(2009, 6, 10), SECRETARY, Rule.READY_FOR_SIGNOFF, Section.SIGNOFF)
    ]


def test_ready_for_signoff_on_a_bank_holiday_is_told_the_next_working_day() -> None:
    found = scan(date(2009, 4, 1), date(2009, 4, 30), ready=[ready(date(2009, 4, 10))])
    assert [r.day for r in found] == [date(2009, 4, 14)]


# --- recipients and identity -----------------------------------------------------


def test_recipients_without_email_are_reported_not_sent() -> None:
    result = compute_reminders(
        date(2009, 6, 30), [deadline(date(2009, 6, 30), leads=[LEAD, NO_EMAIL])], [], [], [],
        POLICY,
    )
    assert [r.recipient for r in result.reminders] == [LEAD]
    assert [r.recipient for r in result.unreachable] == [NO_EMAIL]
    assert reminders_due(
        date(2009, 6, 30), [deadline(date(2009, 6, 30), leads=[NO_EMAIL])], [], [], [], POLICY
    ) == []


def unaddressed_on(
    day: date,
    deadlines: Sequence[Deadline] = (),
    approvals: Sequence[PendingApproval] = (),
    ready_items: Sequence[ReadyForSignoff] = (),
) -> list[tuple[str, Rule, str, str]]:
    found = compute_reminders(day, deadlines, approvals, ready_items, [], POLICY)
    return [(u.role, u.rule, u.subject.ref, u.why) for u in found.unaddressed]


def test_an_agency_with_no_approver_is_reported_on_each_chase_day() -> None:
    nobody = PendingApproval("cyps", "terms-of-reference", "Board terms of reference", 2,
                             "Police", [], date(2009, 6, 3), "/plans/cyps/gov/tor")  # fmt: skip
    assert unaddressed_on(date(2009, 6, 10), approvals=[nobody]) == [
        ("approver", Rule.APPROVAL_CHASE, "terms-of-reference",
         "no user has the approver role for Police"),
    ]  # fmt: skip
    assert unaddressed_on(date(2009, 6, 11), approvals=[nobody]) == []  # not a chase day
    assert unaddressed_on(date(2009, 6, 10), approvals=[pending(date(2009, 6, 3))]) == []


def test_an_item_ready_for_signoff_with_no_secretary_is_reported() -> None:
    item = ReadyForSignoff("cyps", "terms-of-reference", "Board terms of reference", 2,
                           date(2009, 6, 10), [], "/plans/cyps/gov/tor")  # fmt: skip
    assert unaddressed_on(date(2009, 6, 10), ready_items=[item]) == [
        ("secretary", Rule.READY_FOR_SIGNOFF, "terms-of-reference",
         "no user has the secretary role"),
    ]  # fmt: skip
    assert unaddressed_on(date(2009, 6, 10), ready_items=[ready(date(2009, 6, 10))]) == []


def test_a_deadline_with_no_lead_is_reported_and_still_escalated() -> None:
    due = deadline(date(2009, 6, 30), leads=[])
    assert unaddressed_on(date(2009, 6, 30), [due]) == [
        ("lead", Rule.LEAD_TIME, "2.1", "the action names no lead")
    ]
    late = compute_reminders(date(2009, 7, 20), [due], [], [], [], POLICY)  # 20 days overdue
    assert [(u.role, u.rule) for u in late.unaddressed] == [("lead", Rule.OVERDUE)]
    assert [(r.recipient, r.rule) for r in late.reminders] == [(OFFICER, Rule.ESCALATION)]
    assert unaddressed_on(date(2009, 6, 30), [deadline(date(2009, 6, 30))]) == []


def test_reminder_keys_are_stable_and_distinct() -> None:
    dls = [deadline(date(2009, 6, 30), leads=[LEAD, CO_LEAD]), deadline(date(2009, 6, 30), ref="3")]
    first = reminders_due(date(2009, 6, 30), dls, [], [], [], POLICY)
    again = reminders_due(date(2009, 6, 30), list(reversed(dls)), [], [], [], POLICY)
    assert sorted(r.key for r in first) == sorted(r.key for r in again)
    assert len({r.key for r in first}) == 3
    later = reminders_due(date(2009, 7, 6), dls, [], [], [], POLICY)  # overdue on Monday
    assert later and {r.key for r in first}.isdisjoint({r.key for r in later})


# --- digests ---------------------------------------------------------------------


def test_one_digest_per_recipient_per_day_with_sections_in_order() -> None:
    day = date(2009, 6, 15)  # a Monday: the week's overdue day
    found = reminders_due(
        day,
        [
            deadline(date(2009, 6, 17), ref="4.1"),  # 2 working days: not a rung
            deadline(date(2009, 6, 18), ref="4.2"),  # 3 working days
            deadline(date(2009, 6, 15), ref="4.3"),  # today
            deadline(date(2009, 6, 1), ref="1.2"),  # 14 days overdue
            deadline(date(2009, 6, 8), ref="1.1"),  # 7 days overdue
        ],
        [PendingApproval("cyps", "tor", "Terms", 1, "Council", [LEAD], date(2009, 6, 8), "/t")],
        [ReadyForSignoff("cyps", "strategy", "Strategy", 1, day, [LEAD], "/s")],
        [period(date(2009, 6, 22), leads=[LEAD])],
        POLICY,
    )
    digests = build_digests(found)
    assert sorted((d.recipient.name, d.day) for d in digests) == [
        ("Dana Director", day),
        ("Lesley Lead", day),
    ]
    lead_digest = next(d for d in digests if d.recipient == LEAD)
    assert [s.section for s in lead_digest.sections] == [
        Section.OVERDUE,
        Section.DUE,
        Section.UPDATE,
        Section.APPROVAL,
        Section.SIGNOFF,
    ]
    assert [r.subject.ref for r in lead_digest.sections[0].reminders] == ["1.2", "1.1"]
    assert [r.subject.ref for r in lead_digest.sections[1].reminders] == ["4.3", "4.2"]
    officer_digest = next(d for d in digests if d.recipient == OFFICER)
    assert [r.subject.ref for r in officer_digest.reminders] == ["1.2"]


def test_digests_group_by_email_ignoring_case_and_drop_duplicates() -> None:
    shouting = Person("Lesley Lead", "LESLEY.LEAD@council.gov.uk")
    day = date(2009, 6, 30)
    found = reminders_due(
        day,
        [deadline(date(2009, 6, 30), ref="1"), deadline(date(2009, 6, 30), ref="2",
                                                        leads=[shouting])],
        [], [], [], POLICY,
    )
    recomputed = reminders_due(
        day,
        [deadline(date(2009, 6, 30), ref="1"), deadline(date(2009, 6, 30), ref="2",
                                                        leads=[shouting])],
        [], [], [], POLICY,
    )
    digests = build_digests(found + recomputed)
    assert len(digests) == 1
    assert [r.subject.ref for r in digests[0].reminders] == ["1", "2"]


def test_digests_are_per_day() -> None:
    dl = deadline(date(2009, 6, 3))
    found = scan(date(2009, 6, 1), date(2009, 6, 30), [dl])
    lead_days = [d.day for d in build_digests(found) if d.recipient == LEAD]
    assert lead_days == sorted(set(lead_days)) and len(lead_days) == len(
        {r.day for r in found if r.recipient == LEAD}
    )


def test_digest_key_is_stable_and_changes_with_content() -> None:
    day = date(2009, 6, 30)
    one = build_digests(reminders_due(day, [deadline(day)], [], [], [], POLICY))[0]
    same = build_digests(reminders_due(day, [deadline(day)], [], [], [], POLICY))[0]
    more = build_digests(
        reminders_due(day, [deadline(day), deadline(day, ref="9")], [], [], [], POLICY)
    )[0]
    assert one.key == same.key
    assert one.key != more.key
