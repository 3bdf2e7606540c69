from __future__ import annotations

from datetime import date

import pytest

from domain.rag_rules import (
    ARROWS,
    ActionFacts,
    MilestoneFact,
    ReadingFact,
    compute_rag,
    direction,
    displayed_rag,
    exception_reason,
    format_date,
    indicator_rag,
)
from domain.values import Direction, Indicator, Rag, RagPolicy, Status

POLICY = RagPolicy()  # 14 amber days, 30 days milestone tolerance, 10% indicator tolerance
FINISH = date(2009, 6, 30)
START = date(2009, 2, 1)

REVIEWS = Indicator("reviews on time", target=75.0)
COMPLAINTS = Indicator("complaints", target=5.0, direction=Direction.LOWER)
REVIEWS_60 = Indicator("reviews", target=75.0, red_threshold=60.0)
WAITS = Indicator("waits", target=5.0, direction=Direction.LOWER, red_threshold=8.0)


def facts(**changes: object) -> ActionFacts:
    values: dict[str, object] = {
        "status": Status.IN_PROGRESS,
        "plan_start": START,
        "plan_finish": FINISH,
    }
    values.update(changes)
    return ActionFacts(**values)  # type: ignore[arg-type]


def rag_on(day: date, policy: RagPolicy = POLICY, **changes: object) -> Rag | None:
    return compute_rag(facts(**changes), day, policy).computed


# Excluded, completed and verified actions


@pytest.mark.parametrize("status", [Status.DEFERRED, Status.CANCELLED])
def test_deferred_and_cancelled_have_no_rag(status: Status) -> None:
    result = compute_rag(facts(status=status), date(2009, 8, 1), POLICY)
    assert result.excluded
    assert result.computed is None
    assert result.reasons == [status.value]


def test_open_actions_are_not_excluded() -> None:
    assert not compute_rag(facts(), date(2009, 3, 1), POLICY).excluded


def test_verified_is_blue_even_after_plan_finish() -> None:
    result = compute_rag(facts(status=Status.VERIFIED), date(2009, 8, 1), POLICY)
    assert result.computed is Rag.BLUE
    assert result.reasons == ["verified: completed and success criteria met"]


def test_completed_with_evidence_accepted_is_blue() -> None:
    assert rag_on(date(2009, 8, 1), status=Status.COMPLETED, evidence_accepted=True) is Rag.BLUE


def test_completed_awaiting_verification_is_complete_even_after_plan_finish() -> None:
    result = compute_rag(
        facts(status=Status.COMPLETED, actual_finish=date(2009, 7, 3)), date(2009, 8, 1), POLICY
    )
    assert result.computed is Rag.COMPLETE
    assert result.reasons == ["completed 3 Jul 2009, awaiting verification"]


def test_completed_without_a_finish_date_is_still_complete() -> None:
    result = compute_rag(facts(status=Status.COMPLETED), date(2009, 8, 1), POLICY)
    assert result.computed is Rag.COMPLETE
    assert result.reasons == ["completed, awaiting verification"]


# Grey: not due to commence


def test_grey_the_day_before_plan_start_when_not_started() -> None:
    result = compute_rag(facts(status=Status.NOT_STARTED), date(2009, 1, 31), POLICY)
    assert result.computed is Rag.GREY
    assert result.reasons == ["not due to commence until 1 Feb 2009"]


def test_green_on_the_day_of_plan_start() -> None:
    assert rag_on(START, status=Status.NOT_STARTED) is Rag.GREEN


def test_started_early_is_not_grey() -> None:
    assert rag_on(date(2009, 1, 31), status=Status.IN_PROGRESS) is Rag.GREEN


def test_without_plan_start_an_action_is_never_grey() -> None:
    assert rag_on(date(2009, 1, 31), status=Status.NOT_STARTED, plan_start=None) is Rag.GREEN


def test_red_rule_wins_over_grey() -> None:
    early = MilestoneFact("Scoping agreed", due=date(2008, 11, 30))
    result = compute_rag(
        facts(status=Status.NOT_STARTED, milestones=[early]), date(2009, 1, 31), POLICY
    )
    assert result.computed is Rag.RED
    assert result.reasons == [
        "milestone 'Scoping agreed' due 30 Nov 2008 missed by 62 days",
        "not due to commence until 1 Feb 2009",
    ]


# Plan finish: amber window and red once passed


@pytest.mark.parametrize(
    ("today", "rag", "reason"),
    [
        pytest.param(
            date(2009, 6, 15), Rag.GREEN, "on track", id="green-the-day-before-the-amber-window"
        ),
        pytest.param(
            date(2009, 6, 16),
            Rag.AMBER,
            "plan finish 30 Jun 2009 in 14 days, not complete",
            id="amber-on-the-first-day-of-the-amber-window",
        ),
        pytest.param(
            FINISH,
            Rag.AMBER,
            "plan finish 30 Jun 2009 is today, not complete",
            id="amber-on-the-day-of-plan-finish",
        ),
        pytest.param(
            date(2009, 7, 1),
            Rag.RED,
            "plan finish 30 Jun 2009 passed, not complete",
            id="red-the-day-after-plan-finish",
        ),
    ],
)
def test_the_plan_finish_rule_by_day(today: date, rag: Rag, reason: str) -> None:
    result = compute_rag(facts(), today, POLICY)
    assert result.computed is rag
    assert result.reasons == [reason]


def test_amber_window_follows_the_policy() -> None:
    policy = RagPolicy(amber_days_before_finish=0)
    assert rag_on(date(2009, 6, 29), policy) is Rag.GREEN
    assert rag_on(FINISH, policy) is Rag.AMBER


def test_not_started_past_plan_finish_is_red() -> None:
    assert rag_on(date(2009, 7, 1), status=Status.NOT_STARTED) is Rag.RED


@pytest.mark.parametrize("recurrence", ["ongoing", "quarterly"])
def test_recurring_work_is_never_overdue_by_finish(recurrence: str) -> None:
    assert rag_on(date(2009, 7, 1), recurrence=recurrence) is Rag.GREEN
    assert rag_on(FINISH, recurrence=recurrence) is Rag.GREEN


def test_no_plan_finish_means_no_finish_rule() -> None:
    assert rag_on(date(2012, 1, 1), plan_finish=None) is Rag.GREEN


# Milestones

AUDIT_DUE = date(2009, 3, 31)


def milestone_rag(day: date, achieved_on: date | None = None) -> Rag | None:
    audit = MilestoneFact("Audit completed", due=AUDIT_DUE, achieved_on=achieved_on)
    return rag_on(day, milestones=[audit])


def test_milestone_on_its_due_day_is_not_missed() -> None:
    assert milestone_rag(AUDIT_DUE) is Rag.GREEN


def test_milestone_missed_by_a_day_is_amber() -> None:
    result = compute_rag(
        facts(milestones=[MilestoneFact("Audit completed", due=AUDIT_DUE)]),
        date(2009, 4, 1),
        POLICY,
    )
    assert result.computed is Rag.AMBER
    assert result.reasons == ["milestone 'Audit completed' due 31 Mar 2009 missed by 1 day"]


def test_milestone_missed_by_exactly_the_tolerance_is_amber() -> None:
    assert milestone_rag(date(2009, 4, 30)) is Rag.AMBER


def test_milestone_missed_beyond_the_tolerance_is_red() -> None:
    assert milestone_rag(date(2009, 5, 1)) is Rag.RED


def test_milestone_red_reason_counts_the_days() -> None:
    result = compute_rag(
        facts(milestones=[MilestoneFact("Audit completed", due=AUDIT_DUE)]),
        date(2009, 5, 15),
        POLICY,
    )
    assert result.reasons == ["milestone 'Audit completed' due 31 Mar 2009 missed by 45 days"]


def test_milestone_tolerance_follows_the_policy() -> None:
    audit = MilestoneFact("Audit completed", due=AUDIT_DUE)
    policy = RagPolicy(milestone_tolerance_days=5)
    assert rag_on(date(2009, 4, 5), policy, milestones=[audit]) is Rag.AMBER
    assert rag_on(date(2009, 4, 6), policy, milestones=[audit]) is Rag.RED


def test_achieved_milestone_is_not_missed_even_if_late() -> None:
    assert milestone_rag(date(2009, 5, 15), achieved_on=date(2009, 5, 10)) is Rag.GREEN


def test_milestone_achieved_after_today_does_not_count_yet() -> None:
    assert milestone_rag(date(2009, 5, 15), achieved_on=date(2009, 5, 16)) is Rag.RED


def test_milestone_without_a_date_is_not_assessed() -> None:
    assert rag_on(date(2009, 5, 15), milestones=[MilestoneFact("Audit completed")]) is Rag.GREEN


# Indicators


@pytest.mark.parametrize(
    ("indicator", "value", "expected"),
    [
        # higher is better, target 75, 10% tolerance: red below 67.5
        (REVIEWS, 80.0, Rag.GREEN),
        (REVIEWS, 75.0, Rag.GREEN),
        (REVIEWS, 74.9, Rag.AMBER),
        (REVIEWS, 67.5, Rag.AMBER),
        (REVIEWS, 67.4, Rag.RED),
        # lower is better, target 5, 10% tolerance: red above 5.5
        (COMPLAINTS, 4.0, Rag.GREEN),
        (COMPLAINTS, 5.0, Rag.GREEN),
        (COMPLAINTS, 5.1, Rag.AMBER),
        (COMPLAINTS, 5.5, Rag.AMBER),
        (COMPLAINTS, 5.6, Rag.RED),
        # an indicator's own red threshold: red below 60, and for waits above 8
        (REVIEWS_60, 75.0, Rag.GREEN),
        (REVIEWS_60, 61.0, Rag.AMBER),
        (REVIEWS_60, 60.0, Rag.AMBER),
        (REVIEWS_60, 59.9, Rag.RED),
        (WAITS, 5.0, Rag.GREEN),
        (WAITS, 8.0, Rag.AMBER),
        (WAITS, 8.1, Rag.RED),
    ],
)
def test_indicator_rag_with_policy_tolerance_or_its_own_red_threshold(
    indicator: Indicator, value: float, expected: Rag
) -> None:
    assert indicator_rag(indicator, value, POLICY) is expected


def test_indicator_red_threshold_overrides_policy_tolerance() -> None:
    # 66 is beyond 10% of 75 but within the indicator's own threshold of 60.
    assert indicator_rag(REVIEWS, 66.0, POLICY) is Rag.RED
    assert indicator_rag(Indicator("r", 75.0, red_threshold=60.0), 66.0, POLICY) is Rag.AMBER


def test_indicator_tolerance_follows_the_policy() -> None:
    policy = RagPolicy(indicator_tolerance_pct=20.0)
    assert indicator_rag(REVIEWS, 60.0, policy) is Rag.AMBER
    assert indicator_rag(REVIEWS, 59.9, policy) is Rag.RED


def test_indicator_exactly_at_a_fractional_limit_is_amber() -> None:
    small = Indicator("error rate", target=0.3, direction=Direction.LOWER)
    assert indicator_rag(small, 0.33, POLICY) is Rag.AMBER
    assert indicator_rag(small, 0.331, POLICY) is Rag.RED


def test_zero_target_has_no_tolerance() -> None:
    zero = Indicator("missed visits", target=0.0, unit="", direction=Direction.LOWER)
    assert indicator_rag(zero, 0.0, POLICY) is Rag.GREEN
    assert indicator_rag(zero, 1.0, POLICY) is Rag.RED


def reading(indicator: Indicator, value: float, day: date) -> ReadingFact:
    return ReadingFact(indicator=indicator, value=value, measured_on=day)


def test_indicator_amber_reading_makes_the_action_amber_with_reason() -> None:
    result = compute_rag(
        facts(readings=[reading(REVIEWS, 70.0, date(2009, 4, 30))]), date(2009, 5, 1), POLICY
    )
    assert result.computed is Rag.AMBER
    assert result.reasons == ["indicator 'reviews on time' 70% against target 75%"]


def test_indicator_red_reading_makes_the_action_red() -> None:
    assert rag_on(date(2009, 5, 1), readings=[reading(REVIEWS, 60.0, date(2009, 4, 30))]) is Rag.RED


def test_indicator_reason_names_other_units() -> None:
    waits = Indicator("average wait", target=10.0, unit="days", direction=Direction.LOWER)
    result = compute_rag(
        facts(readings=[reading(waits, 10.5, date(2009, 4, 30))]), date(2009, 5, 1), POLICY
    )
    assert result.reasons == ["indicator 'average wait' 10.5 days against target 10 days"]


def test_only_the_latest_reading_counts() -> None:
    improved = [
        reading(REVIEWS, 50.0, date(2009, 3, 31)),
        reading(REVIEWS, 76.0, date(2009, 4, 30)),
    ]
    worsened = [
        reading(REVIEWS, 76.0, date(2009, 3, 31)),
        reading(REVIEWS, 50.0, date(2009, 4, 30)),
    ]
    assert rag_on(date(2009, 5, 1), readings=improved) is Rag.GREEN
    assert rag_on(date(2009, 5, 1), readings=worsened) is Rag.RED


def test_latest_reading_is_chosen_by_date_not_list_order() -> None:
    readings = [
        reading(REVIEWS, 76.0, date(2009, 4, 30)),
        reading(REVIEWS, 50.0, date(2009, 3, 31)),
    ]
    assert rag_on(date(2009, 5, 1), readings=readings) is Rag.GREEN


def test_reading_measured_after_today_does_not_count_yet() -> None:
    readings = [reading(REVIEWS, 76.0, date(2009, 4, 30)), reading(REVIEWS, 50.0, date(2009, 5, 2))]
    assert rag_on(date(2009, 5, 1), readings=readings) is Rag.GREEN


def test_each_indicator_is_rated_separately() -> None:
    readings = [
        reading(REVIEWS, 76.0, date(2009, 4, 30)),
        reading(COMPLAINTS, 9.0, date(2009, 4, 1)),
    ]
    result = compute_rag(facts(readings=readings), date(2009, 5, 1), POLICY)
    assert result.computed is Rag.RED
    assert result.reasons == ["indicator 'complaints' 9% against target 5%"]


# Worst rule wins, every rule gives a reason


def test_worst_rule_wins_and_every_rule_gives_a_reason_worst_first() -> None:
    result = compute_rag(
        facts(
            milestones=[MilestoneFact("Audit completed", due=date(2009, 5, 1))],
            readings=[reading(REVIEWS, 70.0, date(2009, 6, 1))],
        ),
        date(2009, 6, 20),
        POLICY,
    )
    assert result.computed is Rag.RED
    assert result.reasons == [
        "milestone 'Audit completed' due 1 May 2009 missed by 50 days",
        "plan finish 30 Jun 2009 in 10 days, not complete",
        "indicator 'reviews on time' 70% against target 75%",
    ]


def test_red_finish_is_not_softened_by_green_indicators() -> None:
    readings = [reading(REVIEWS, 90.0, date(2009, 7, 1))]
    assert rag_on(date(2009, 7, 2), readings=readings) is Rag.RED


# Displayed RAG


@pytest.mark.parametrize(
    ("reported", "computed", "shown"),
    [
        (Rag.GREEN, Rag.RED, Rag.RED),
        (Rag.RED, Rag.GREEN, Rag.RED),
        (Rag.AMBER, Rag.RED, Rag.RED),
        (Rag.AMBER, Rag.GREEN, Rag.AMBER),
        (Rag.GREEN, Rag.GREEN, Rag.GREEN),
        (None, Rag.AMBER, Rag.AMBER),
        (Rag.AMBER, None, Rag.AMBER),
        (None, None, None),
        (Rag.GREEN, Rag.GREY, Rag.GREEN),
        (Rag.RED, Rag.GREY, Rag.RED),
        (None, Rag.GREY, Rag.GREY),
        (Rag.RED, Rag.COMPLETE, Rag.COMPLETE),
        (Rag.AMBER, Rag.BLUE, Rag.BLUE),
    ],
)
def test_displayed_rag_worse_of(
    reported: Rag | None, computed: Rag | None, shown: Rag | None
) -> None:
    assert displayed_rag(reported, computed, RagPolicy(display="worse")) is shown


def test_worse_is_the_default_display() -> None:
    assert displayed_rag(Rag.GREEN, Rag.RED, RagPolicy()) is Rag.RED


@pytest.mark.parametrize(
    ("reported", "computed", "shown"),
    [
        (Rag.GREEN, Rag.RED, Rag.GREEN),
        (Rag.RED, Rag.GREEN, Rag.RED),
        (None, Rag.AMBER, Rag.AMBER),
        (Rag.GREEN, Rag.GREY, Rag.GREEN),
        (Rag.RED, Rag.COMPLETE, Rag.COMPLETE),
        (Rag.RED, Rag.BLUE, Rag.BLUE),
    ],
)
def test_displayed_rag_reported(reported: Rag | None, computed: Rag | None, shown: Rag) -> None:
    assert displayed_rag(reported, computed, RagPolicy(display="reported")) is shown


def test_unknown_display_is_refused() -> None:
    with pytest.raises(ValueError, match="display"):
        displayed_rag(Rag.GREEN, Rag.RED, RagPolicy(display="computed"))


# Exceptions


def test_reported_better_than_computed_is_an_exception() -> None:
    reasons = compute_rag(facts(), date(2009, 7, 1), POLICY).reasons
    assert (
        exception_reason(Rag.GREEN, Rag.RED, reasons)
        == "reported Green; computed Red: plan finish 30 Jun 2009 passed, not complete"
    )


def test_exception_joins_every_reason() -> None:
    assert (
        exception_reason(Rag.GREEN, Rag.RED, ["first", "second"])
        == "reported Green; computed Red: first; second"
    )


def test_amber_reported_against_red_computed_is_an_exception() -> None:
    assert exception_reason(Rag.AMBER, Rag.RED, []) == "reported Amber; computed Red"


@pytest.mark.parametrize(
    ("reported", "computed"),
    [
        (Rag.RED, Rag.GREEN),
        (Rag.AMBER, Rag.AMBER),
        (Rag.GREEN, Rag.COMPLETE),
        (Rag.GREEN, Rag.GREY),
        (None, Rag.RED),
        (Rag.GREEN, None),
    ],
)
def test_not_an_exception(reported: Rag | None, computed: Rag | None) -> None:
    assert exception_reason(reported, computed, ["plan finish passed"]) is None


# Direction of travel


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (Rag.AMBER, Rag.RED, "up"),
        (Rag.GREEN, Rag.AMBER, "up"),
        (Rag.BLUE, Rag.GREEN, "up"),
        (Rag.RED, Rag.AMBER, "down"),
        (Rag.AMBER, Rag.GREEN, "down"),
        (Rag.AMBER, Rag.AMBER, "same"),
        (Rag.COMPLETE, Rag.GREEN, "same"),
        (Rag.GREEN, Rag.COMPLETE, "same"),
        (Rag.GREEN, None, None),
        (None, Rag.GREEN, None),
        (Rag.GREEN, Rag.GREY, None),
        (Rag.GREY, Rag.RED, None),
    ],
)
def test_direction_of_travel(
    current: Rag | None, previous: Rag | None, expected: str | None
) -> None:
    assert direction(current, previous) == expected


def test_arrows() -> None:
    assert ARROWS == {"up": "↑", "down": "↓", "same": "↔"}


def test_dates_are_written_day_month_year() -> None:
    assert format_date(date(2009, 6, 30)) == "30 Jun 2009"
    assert format_date(date(2009, 9, 1)) == "1 Sep 2009"
