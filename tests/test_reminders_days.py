"""Reminders as people receive them: days lived one at a time on a simulated clock, the
read models changed by ordinary commands, digests delivered to a real SMTP server."""

from __future__ import annotations

from datetime import date

import pytest

from domain.clock import FixedClock
from domain.values import Person, ReminderPolicy, Status
from domain.working_days import working_days_before
from engine.runtime import Runtime
from tests.conftest import ADMIN, AGENCIES, LEAD, LEAD2, NHS, OFFICER, POLICE, SECRETARY
from tests.test_reminders_support import (
    SLUG,
    Days,
    MailServer,
    at,
    bodies,
    calendar_of,
    setup_plan,
    simple_action,
)


def test_the_ladder_arrives_14_and_3_working_days_before_and_on_the_day_around_easter(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 3, 2)))
    setup_plan(rt, simple_action("1.1", date(2009, 4, 14)))
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 3, 2), date(2009, 4, 17), server)

    # Good Friday (10 Apr) and Easter Monday (13 Apr) are not working days, so
    # "3 working days before Tue 14 Apr" is Tue 7 Apr.
    assert lived.days_for(LEAD, "due soon") == [
        date(2009, 3, 23),
        date(2009, 4, 7),
        date(2009, 4, 14),
    ]
    # ...and the request for March's progress update, five working days before it closes.
    assert lived.days_for(LEAD) == [
        date(2009, 3, 23),
        date(2009, 3, 24),
        date(2009, 4, 7),
        date(2009, 4, 14),
    ]
    assert set(server.inbox.recipients()) == {LEAD}
    notes = [bodies(m)[0] for _, m in lived.received[date(2009, 4, 7)]]
    assert "Due in 3 working days" in notes[0]


def test_overdue_notices_weekly_on_monday_and_the_accountable_officer_from_day_14(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", date(2009, 6, 1)))
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 1), date(2009, 6, 30), server)

    assert lived.days_for(LEAD, "due soon") == [date(2009, 6, 1)]  # due today
    assert lived.days_for(LEAD, "overdue") == [
        date(2009, 6, 8),
        date(2009, 6, 15),
        date(2009, 6, 22),
        date(2009, 6, 29),
    ]
    assert lived.days_for(OFFICER) == [date(2009, 6, 15), date(2009, 6, 22), date(2009, 6, 29)]
    (officer_mail,) = [m for r, m in lived.received[date(2009, 6, 15)] if r == OFFICER]
    text, html = bodies(officer_mail)
    assert (
        "14 days overdue (2 weeks); escalated to you as accountable officer (lead: Lee Lead)"
        in text
    )
    assert "escalated to you as accountable officer" in html


def test_a_lead_gets_their_whole_overdue_list_across_plans_once_a_week_past_a_holiday(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 5, 1)))
    setup_plan(
        rt,
        simple_action("1.1", date(2009, 5, 11)),  # a Monday
        simple_action("1.2", date(2009, 5, 14)),  # a Thursday
    )
    rt.app.create_plan(ADMIN, "other", "Other plan", agencies=AGENCIES)
    rt.app.add_group(ADMIN, "other", "1", "Recommendation 1")
    rt.app.add_action(ADMIN, "other", simple_action("1.1", date(2009, 5, 20)))  # a Wednesday
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 5, 12), date(2009, 6, 9), server)

    # Three items in two plans fall overdue on three different days, and Monday 25 May
    # is the spring bank holiday: the lead hears of them once a week, that week on the
    # Tuesday, never on two days of one week.
    overdue_days = [date(2009, 5, 18), date(2009, 5, 26), date(2009, 6, 1), date(2009, 6, 8)]
    assert lived.days_for(LEAD, "overdue") == overdue_days
    assert lived.days_for(OFFICER) == overdue_days[1:]  # from 14 days overdue
    (mail,) = [m for r, m in lived.received[date(2009, 5, 26)] if r == LEAD]
    assert mail["Subject"] == "Improvement plan reminders for 26 May 2009: 3 overdue"
    text, _ = bodies(mail)
    for note in ("15 days overdue (2 weeks)", "12 days overdue (1 week)", "6 days overdue"):
        assert note in text
    assert "Other plan" in text and "Safeguarding plan" in text
    # Deadlines still ahead are reminded on their own days as before.
    assert lived.days_for(LEAD, "due soon") == [
        date(2009, 5, 14),  # 1.2 due that day
        date(2009, 5, 15),  # the other plan's 1.1, 3 working days ahead
        date(2009, 5, 20),  # and on its day
    ]


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.DEFERRED, Status.CANCELLED])
def test_nothing_once_an_action_is_closed(
    rt: Runtime, clock: FixedClock, server: MailServer, status: Status
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", date(2009, 6, 30)))
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 1), date(2009, 6, 19), server)
    rt.app.change_status(OFFICER, SLUG, "1.1", status, reason="closed for the test")
    lived.through(date(2009, 6, 20), date(2009, 7, 31), server)

    # 10 Jun is the 14-working-day rung; the 3-day rung, the day and the overdue
    # notices that would have followed never come.
    assert lived.days_for(LEAD) == [date(2009, 6, 10)]


def test_after_a_reassignment_the_next_days_reminders_go_to_the_new_lead(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    due = date(2009, 7, 3)
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", due))
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 1), date(2009, 6, 29), server)
    rt.app.amend_action(
        OFFICER, SLUG, "1.1", "leads", [Person("Liz Lead", LEAD2, "Council")], reason="moved"
    )
    lived.through(date(2009, 6, 30), date(2009, 7, 6), server)

    assert lived.days_for(LEAD, "due soon") == [working_days_before(due, 14)]
    assert lived.days_for(LEAD2, "due soon") == [working_days_before(due, 3), due]
    assert working_days_before(due, 3) == date(2009, 6, 30)


def test_an_amended_finish_date_moves_the_reminders_at_once(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", date(2009, 6, 30)))
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 1), date(2009, 6, 19), server)
    new_finish = date(2009, 7, 31)
    rt.app.amend_action(OFFICER, SLUG, "1.1", "plan_finish", new_finish, reason="slipped")
    lived.through(date(2009, 6, 20), date(2009, 8, 10), server)

    assert lived.days_for(LEAD, "due soon") + lived.days_for(LEAD, "overdue") == [
        working_days_before(date(2009, 6, 30), 14),
        working_days_before(new_finish, 14),
        working_days_before(new_finish, 3),
        new_finish,  # Friday 31 July
        date(2009, 8, 3),  # the Monday after: 3 days overdue
        date(2009, 8, 10),  # 10 days overdue
    ]
    (mail,) = [m for _, m in lived.received[new_finish]]
    cal = calendar_of(mail)
    assert cal is not None
    (event,) = cal.walk("VEVENT")
    assert event.decoded("dtstart") == new_finish


def test_one_digest_per_person_per_day_with_text_html_and_calendar(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    day = date(2009, 6, 29)  # a Monday: the week's overdue day
    clock.set(at(date(2009, 6, 1)))
    setup_plan(
        rt,
        simple_action("1.1", day),
        simple_action("1.2", date(2009, 6, 15)),  # 14 days overdue: escalated
        simple_action("1.3", date(2009, 7, 2), leads=[Person("Liz Lead", LEAD2)]),
    )
    got = Days.over(rt, clock, server).live(day, server)

    assert sorted(r for r, _ in got) == sorted([LEAD, LEAD2, OFFICER])
    (lead_mail,) = [m for r, m in got if r == LEAD]
    assert lead_mail["Subject"] == (
        "Improvement plan reminders for 29 Jun 2009: 1 overdue, 1 due soon"
    )
    text, html = bodies(lead_mail)
    assert "Dear Lee Lead" in text
    assert "1.2 Action 1.2" in text and "1.1 Action 1.1" in text
    assert "Due today" in text and "14 days overdue" in text
    # Each action's link signs Lee in to it (see test_reminders_links).
    assert text.count("Update:  http://127.0.0.1:8000/link/") == 2
    assert html.count('<a href="http://127.0.0.1:8000/link/') == 2
    cal = calendar_of(lead_mail)
    assert cal is not None
    assert sorted(str(e.get("summary")) for e in cal.walk("VEVENT")) == [
        "1.1 Action 1.1",
        "1.2 Action 1.2",
    ]
    (officer_mail,) = [m for r, m in got if r == OFFICER]
    assert "1 overdue" in officer_mail["Subject"]


def test_dated_success_criteria_are_reminded_like_finish_dates(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    from domain.values import Criterion

    day = date(2009, 6, 30)
    clock.set(at(date(2009, 6, 1)))
    spec = simple_action("1.1", date(2009, 9, 30))
    spec.success_criteria = [Criterion("Audit done", day), Criterion("Training", None)]
    setup_plan(rt, spec)
    got = Days.over(rt, clock, server).live(day, server)

    ((recipient, mail),) = got
    assert recipient == LEAD
    text, _ = bodies(mail)
    assert "1.1 criterion 1 Audit done" in text
    assert "Success criterion" in text
    assert "Update:  http://127.0.0.1:8000/link/" in text  # signed in to action 1.1
    cal = calendar_of(mail)
    assert cal is not None
    assert [str(e["URL"]) for e in cal.walk("VEVENT")] == [
        "http://127.0.0.1:8000/plans/plan/actions/1.1"
    ]


def test_approvers_are_chased_weekly_and_the_secretary_told_when_ready(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, agencies=["NHS Trust", "Police"])
    rt.app.open_item(
        SECRETARY, SLUG, "terms", "Terms of reference", ["NHS Trust", "Police"], "tor.pdf", "a" * 64
    )
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 1), date(2009, 6, 3), server)
    rt.app.decide_item(NHS, SLUG, "terms", "NHS Trust", True, "Trust board", date(2009, 6, 3))
    lived.through(date(2009, 6, 4), date(2009, 6, 16), server)
    rt.app.decide_item(POLICE, SLUG, "terms", "Police", True, "Chief officers", date(2009, 6, 16))
    lived.through(date(2009, 6, 17), date(2009, 6, 30), server)

    assert lived.days_for(POLICE) == [date(2009, 6, 8), date(2009, 6, 15)]
    assert lived.days_for(NHS) == []  # approved before the first chase
    assert lived.days_for(SECRETARY) == [date(2009, 6, 17)]
    (chase,) = [m for r, m in lived.received[date(2009, 6, 15)] if r == POLICE]
    assert "Awaiting approval for Police since 1 Jun 2009 (14 days)" in bodies(chase)[0]
    (ready,) = [m for _, m in lived.received[date(2009, 6, 17)]]
    assert "ready for board sign-off" in bodies(ready)[0]


def test_a_new_version_restarts_the_chase_for_every_agency(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, agencies=["NHS Trust", "Police"])
    rt.app.open_item(
        SECRETARY, SLUG, "terms", "Terms of reference", ["NHS Trust", "Police"], "tor.pdf", "a" * 64
    )
    rt.app.decide_item(NHS, SLUG, "terms", "NHS Trust", True, "Trust board", date(2009, 6, 1))
    clock.set(at(date(2009, 6, 10)))
    rt.app.revise_item(SECRETARY, SLUG, "terms", "tor-v2.pdf", "b" * 64, reason="comments")
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 10), date(2009, 6, 24), server)

    assert lived.days_for(NHS) == [date(2009, 6, 17), date(2009, 6, 24)]
    assert lived.days_for(POLICE) == [date(2009, 6, 17), date(2009, 6, 24)]


def test_leads_with_open_actions_are_asked_for_updates_before_the_period_closes(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(
        rt,
        simple_action("1.1", date(2009, 12, 31)),
        simple_action("1.2", date(2009, 12, 31), leads=[Person("Liz Lead", LEAD2)]),
    )
    rt.app.change_status(OFFICER, SLUG, "1.2", Status.COMPLETED)
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 1), date(2009, 6, 30), server)

    # June closes on Tue 30 Jun; five working days before is Tue 23 Jun.
    assert lived.days_for(LEAD) == [date(2009, 6, 23)]
    assert lived.days_for(LEAD2) == []
    (mail,) = [m for _, m in lived.received[date(2009, 6, 23)]]
    assert mail["Subject"].endswith("1 progress updates requested")
    assert "Please update the progress and RAG of your open actions" in bodies(mail)[0]


def test_the_plans_policy_sets_the_ladder(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    due = date(2009, 6, 30)
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", due))
    plan = rt.app.plan(SLUG)
    plan.change_policies(ADMIN, reminders=ReminderPolicy(lead_times_working_days=[5]))
    rt.app.record(plan)
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 1), date(2009, 7, 3), server)

    assert lived.days_for(LEAD, "due soon") == [working_days_before(due, 5)]


def test_people_without_an_email_are_left_out_and_the_rest_still_sent(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    day = date(2009, 6, 30)
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", day, leads=[Person("No Email"), Person("Lee", LEAD)]))
    lived = Days.over(rt, clock, server)
    got = lived.live(day, server)

    assert [r for r, _ in got] == [LEAD]
    preview = lived.dispatcher.preview(day)
    assert [r.recipient.name for r in preview.unreachable] == ["No Email"]


def test_an_agency_that_rejected_the_version_is_not_chased_until_it_is_revised(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, agencies=["NHS Trust", "Police"])
    rt.app.open_item(
        SECRETARY, SLUG, "terms", "Terms", ["NHS Trust", "Police"], "tor.pdf", "a" * 64
    )
    rt.app.decide_item(
        POLICE, SLUG, "terms", "Police", False, "Chief officers", date(2009, 6, 2),
        reason="scope unclear",
    )  # fmt: skip
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 1), date(2009, 6, 16), server)
    clock.set(at(date(2009, 6, 16), hour=12))
    rt.app.revise_item(SECRETARY, SLUG, "terms", "tor-v2.pdf", "b" * 64, reason="scope")
    lived.through(date(2009, 6, 17), date(2009, 6, 23), server)

    assert lived.days_for(POLICE) == [date(2009, 6, 23)]  # a week after the revision
    assert lived.days_for(NHS) == [date(2009, 6, 8), date(2009, 6, 15), date(2009, 6, 23)]


def test_a_revoked_sign_off_makes_the_item_ready_again(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1), hour=7))
    setup_plan(rt, agencies=["NHS Trust"])
    rt.app.open_item(SECRETARY, SLUG, "terms", "Terms", ["NHS Trust"], "tor.pdf", "a" * 64)
    rt.app.decide_item(NHS, SLUG, "terms", "NHS Trust", True, "Trust board", date(2009, 6, 1))
    rt.app.sign_off(SECRETARY, SLUG, "terms", "Safeguarding board", date(2009, 6, 1))
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 1), date(2009, 6, 9), server)
    clock.set(at(date(2009, 6, 9), hour=15))
    rt.app.revoke_sign_off(SECRETARY, SLUG, "terms", reason="minutes wrong")
    lived.through(date(2009, 6, 10), date(2009, 6, 12), server)

    assert lived.days_for(SECRETARY) == [date(2009, 6, 10)]


def test_no_update_requests_for_a_period_already_closed(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    from engine.plans.closing import close_period

    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", date(2009, 12, 31)))
    clock.set(at(date(2009, 6, 22)))
    close_period(rt, ADMIN, SLUG, "2009-06", early=True, reason="board meets 23 June")
    lived = Days.over(rt, clock, server)
    lived.through(date(2009, 6, 22), date(2009, 7, 31), server)

    # June was closed early; July's request still comes, 5 working days before the 31st.
    assert lived.days_for(LEAD) == [date(2009, 7, 24)]
