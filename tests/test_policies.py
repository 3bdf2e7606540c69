"""Per-plan RAG and reminder policies: who changes them, the rules on their settings,
the plan file's policy keys, and that a change applies at once to what is shown and
reminded. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.errors import DomainError, InvalidInput, PermissionDenied
from domain.plan import Plan, PolicyRefused
from domain.reminders import Rule
from domain.spec import PlanSpec
from domain.values import RagPolicy, ReminderPolicy
from domain.working_days import working_days_before
from engine.reminders.gather import reminders_for_day
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, LEAD, World, action_spec, people
from tests.test_cli import Cli
from tests.test_plans import plan_file_refusal


def policy_events(rt: Runtime) -> list[dict[str, Any]]:
    rows = queries.history_rows(rt.engine, queries.plan(rt.engine, "plan"), queries.HistoryFilter())
    return [r for r in rows if r["kind"] == "Plan.PoliciesChanged"]


# Who changes policies, and how it is recorded


def test_an_admin_changes_policies_recorded_with_actor_and_reason(world: World) -> None:
    world.rt.app.change_policies(
        ADMIN, "plan", "  board wants earlier warning ", rag={"amber_days_before_finish": 21}
    )
    plan = world.rt.app.plan("plan")
    assert plan.rag_policy == RagPolicy(amber_days_before_finish=21)
    assert plan.reminder_policy == ReminderPolicy()
    [event] = policy_events(world.rt)
    assert (event["actor"], event["reason"]) == (ADMIN, "board wants earlier warning")
    assert queries.plan(world.rt.engine, "plan")["rag_policy"]["amber_days_before_finish"] == 21


def test_only_an_admin_changes_policies(world: World) -> None:
    with pytest.raises(PermissionDenied, match="change plan policies"):
        world.rt.app.change_policies(LEAD, "plan", "why", rag={"display": "reported"})
    assert policy_events(world.rt) == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_policy_change_needs_a_reason(world: World, reason: str) -> None:
    with pytest.raises(InvalidInput, match="changing the policies of plan 'plan' needs a reason"):
        world.rt.app.change_policies(ADMIN, "plan", reason, rag={"display": "reported"})
    assert policy_events(world.rt) == []


def test_a_change_to_the_policies_in_force_is_refused(world: World) -> None:
    with pytest.raises(DomainError, match="already has these policies: nothing to change"):
        world.rt.app.change_policies(ADMIN, "plan", "why", reminders={"overdue_every_days": 7})


def test_each_change_keeps_the_settings_it_does_not_name(world: World) -> None:
    app = world.rt.app
    app.change_policies(ADMIN, "plan", "first", rag={"milestone_tolerance_days": 10})
    app.change_policies(ADMIN, "plan", "second", reminders={"lead_times_working_days": [5, 0]})
    plan = app.plan("plan")
    assert plan.rag_policy.milestone_tolerance_days == 10
    assert plan.reminder_policy.lead_times_working_days == [5, 0]


def test_an_unknown_setting_is_refused_by_name(world: World) -> None:
    with pytest.raises(PolicyRefused, match="colour 7 is not a policy setting"):
        world.rt.app.change_policies(ADMIN, "plan", "why", rag={"colour": 7})


# The rules on each setting


def a_plan() -> Plan:
    return Plan.register("p", "Plan", actor=ADMIN)


@pytest.mark.parametrize(
    ("rag", "reminders", "message"),
    [
        ({"display": "best"}, {}, "display best is not one of worse, reported"),
        ({"amber_days_before_finish": -1}, {}, "amber_days_before_finish -1 cannot be negative"),
        ({"milestone_tolerance_days": 731}, {}, "731 is more than 730 days"),
        ({"milestone_tolerance_days": 2.5}, {}, "2.5 is not a whole number"),
        ({"indicator_tolerance_pct": 100.5}, {}, "100.5 is more than 100%"),
        ({"indicator_tolerance_pct": float("nan")}, {}, "nan is not a number"),
        ({}, {"lead_times_working_days": []}, "has no lead time"),
        ({}, {"lead_times_working_days": [14, -3]}, "14,-3 has a lead time that cannot be"),
        ({}, {"lead_times_working_days": [600]}, "600 has a lead time that is more than 520"),
        ({}, {"lead_times_working_days": [14, 3, 3]}, "14,3,3 repeats a lead time"),
        ({}, {"lead_times_working_days": [3, 14, 0]}, "3,14,0 is not in descending order"),
        ({}, {"lead_times_working_days": "14,3"}, "is not a list of working days"),
        ({}, {"overdue_every_days": -7}, "overdue_every_days -7 cannot be negative"),
        ({}, {"escalate_after_days": 1000}, "escalate_after_days 1000 is more than 730"),
        ({}, {"period_request_working_days": -1}, "period_request_working_days -1 cannot"),
        ({}, {"governance_chase_every_days": True}, "True is not a whole number"),
    ],
)
def test_a_setting_out_of_its_range_is_refused_naming_it_and_its_value(
    rag: dict[str, Any], reminders: dict[str, Any], message: str
) -> None:
    plan = a_plan()
    new_rag, new_reminders = plan.policies_with(rag, reminders)
    with pytest.raises(PolicyRefused, match=message.replace("+", r"\+")):
        plan.change_policies(ADMIN, new_rag, new_reminders, reason="why")
    assert plan.rag_policy == RagPolicy() and plan.reminder_policy == ReminderPolicy()


def test_zero_is_allowed_everywhere_it_turns_a_rule_off_or_means_the_day_itself() -> None:
    plan = a_plan()
    rag, reminders = plan.policies_with(
        {"amber_days_before_finish": 0, "milestone_tolerance_days": 0},
        {"lead_times_working_days": [0], "overdue_every_days": 0, "governance_chase_every_days": 0},
    )
    plan.change_policies(ADMIN, rag, reminders, reason="quiet plan")
    assert plan.reminder_policy.lead_times_working_days == [0]


# A change applies at once


def test_a_change_of_amber_days_changes_the_computed_rag_shown_at_once(world: World) -> None:
    app, engine = world.rt.app, world.rt.engine
    app.add_action(
        ADMIN, "plan", action_spec("1.3", plan_finish=date(2009, 6, 20), success_criteria=[])
    )
    today = date(2009, 6, 1)  # 19 days before the plan finish

    def computed() -> str:
        doc = queries.document(engine, queries.plan(engine, "plan"), today)
        return next(a["computed_rag"] for a in doc["actions"] if a["ref"] == "1.3")

    assert computed() == "green"
    app.change_policies(
        ADMIN, "plan", "warn three weeks ahead", rag={"amber_days_before_finish": 21}
    )
    assert computed() == "amber"
    app.change_policies(ADMIN, "plan", "back to two weeks", rag={"amber_days_before_finish": 14})
    assert computed() == "green"


def test_a_change_of_lead_times_changes_the_reminders_at_once(world: World) -> None:
    app = world.rt.app
    due = date(2009, 6, 30)
    app.add_action(ADMIN, "plan", action_spec("1.3", plan_finish=due, success_criteria=[]))

    def reminded_on(n: int) -> bool:
        day = working_days_before(due, n)
        found = reminders_for_day(world.rt.engine, day).reminders
        return any(r.rule is Rule.LEAD_TIME and r.subject.ref == "1.3" for r in found)

    assert (reminded_on(5), reminded_on(3)) == (False, True)
    app.change_policies(
        ADMIN, "plan", "five days' notice", reminders={"lead_times_working_days": [10, 5, 0]}
    )
    assert (reminded_on(5), reminded_on(3)) == (True, False)


# The plan file's policy keys


def test_policies_in_a_plan_file_repeating_the_defaults_record_no_change(rt: Runtime) -> None:
    people(rt)
    spec = PlanSpec(slug="plan", title="Plan")
    rt.app.load_plan(ADMIN, spec, rag_policy={"display": "worse"}, reminder_policy={})
    assert policy_events(rt) == []


POLICY_FILE = """\
slug: f
title: From file
rag_policy:
  display: reported
  amber_days_before_finish: 7
reminder_policy:
  lead_times_working_days: [10, 5, 0]
  governance_chase_every_days: 14
"""


@pytest.mark.parametrize(
    ("policies", "message"),
    [
        (
            "rag_policy:\n  amber_days_before_finish: -2\n",
            "rag_policy: 'amber_days_before_finish' value '-2' cannot be negative",
        ),
        (
            "reminder_policy:\n  lead_times_working_days: [3, 14]\n",
            "reminder_policy: 'lead_times_working_days' value '3,14' is not in descending order",
        ),
        (
            "reminder_policy:\n  overdue_every_days: weekly\n",
            "reminder_policy: 'overdue_every_days' value 'weekly' is not a whole number",
        ),
        (
            "rag_policy:\n  colour: red\n",
            "rag_policy: 'colour' is not a rag_policy setting (known: display, amber_days",
        ),
        (
            "reminder_policy:\n  digest_hour: 9\n",
            "reminder_policy: 'digest_hour' is not a reminder_policy setting",
        ),
        ("rag_policy: [7]\n", "rag_policy: 'rag_policy' must be a mapping, not '[7]'"),
    ],
)
@pytest.mark.persistence
def test_a_bad_policy_in_a_plan_file_names_the_file_the_setting_and_the_value(
    tmp_path: Path, policies: str, message: str
) -> None:
    path, refused = plan_file_refusal(tmp_path, "slug: f\ntitle: F\n" + policies)
    assert refused.startswith(f"{path}: ")
    assert message in refused


# The command line


def cli_with_plan(tmp_path: Path, db_url: str, finish: date | None = None) -> Cli:
    c = Cli(tmp_path, db_url)
    c.ok("users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    c.ok("plan", "create", "p", "--title", "Plan", user=ADMIN)
    if finish is not None:
        start = (finish - timedelta(days=60)).isoformat()
        c.ok(
            "action", "add", "p", "1.1", "--title", "Audit", "--lead", f"Lee <{LEAD}>",
            "--start", start, "--finish", finish.isoformat(), user=ADMIN,
        )  # fmt: skip
    return c


@pytest.mark.persistence
def test_plan_policy_shows_then_changes_and_show_follows(tmp_path: Path, db_url: str) -> None:
    # The command line runs on the system clock: an action finishing ten days from now.
    c = cli_with_plan(tmp_path, db_url, finish=date.today() + timedelta(days=10))
    table = c.ok("plan", "policy", "p")
    assert "Amber days before plan finish" in table and "--amber-days" in table
    assert c.json("plan", "policy", "p") == {
        "plan": "p",
        "rag_policy": {
            "amber_days_before_finish": 14,
            "milestone_tolerance_days": 30,
            "indicator_tolerance_pct": 10.0,
            "display": "worse",
        },
        "reminder_policy": {
            "lead_times_working_days": [14, 3, 0],
            "overdue_every_days": 7,
            "escalate_after_days": 14,
            "period_request_working_days": 5,
            "governance_chase_every_days": 7,
        },
    }
    assert c.json("show", "p")["actions"][0]["computed_rag"] == "amber"  # type: ignore[index]

    out = c.ok(
        "plan", "policy", "p", "--amber-days", "7", "--lead-times", "10,5,0",
        "--reason", "one week's warning", user=ADMIN,
    )  # fmt: skip
    assert "policies of p changed: --amber-days 14 -> 7; --lead-times 14,3,0 -> 10,5,0" in out
    shown = c.json("plan", "policy", "p")
    assert shown["rag_policy"]["amber_days_before_finish"] == 7  # type: ignore[index]
    assert shown["reminder_policy"]["lead_times_working_days"] == [10, 5, 0]  # type: ignore[index]
    assert c.json("show", "p")["actions"][0]["computed_rag"] == "green"  # type: ignore[index]
    [changed] = [e for e in c.json("history", "p") if e["kind"] == "Plan.PoliciesChanged"]  # type: ignore[union-attr]
    assert (changed["actor"], changed["reason"]) == (ADMIN, "one week's warning")


@pytest.mark.persistence
def test_plan_policy_refusals_and_usage_errors_change_nothing(tmp_path: Path, db_url: str) -> None:
    c = cli_with_plan(tmp_path, db_url)
    before = c.json("history", "p")
    refused = [
        (("--amber-days", "-1", "--reason", "x"), "--amber-days -1 cannot be negative"),
        (("--lead-times", "3,14,0", "--reason", "x"), "--lead-times 3,14,0 is not in descending"),
        (("--chase-every", "9999", "--reason", "x"), "--chase-every 9999 is more than 730 days"),
        (("--display", "reported"), "changing the policies of plan 'p' needs a reason"),
        (("--overdue-every", "7", "--reason", "x"), "nothing to change"),
    ]
    for args, message in refused:
        r = c("plan", "policy", "p", *args, user=ADMIN)
        assert (r.returncode, "Traceback" in r.stderr) == (1, False), r.stderr
        assert message in r.stderr, r.stderr
    lead = c("plan", "policy", "p", "--display", "reported", "--reason", "x", user=LEAD)
    assert lead.returncode == 1
    for args, message in [
        (("--lead-times", "14,x"), "'14,x' is not a list of working days like 14,3,0"),
        (("--display", "best"), "'best' is not one of"),
        (("--reason", "x"), "give a policy option to change"),
    ]:
        r = c("plan", "policy", "p", *args, user=ADMIN)
        assert r.returncode == 2, r.stderr
        assert message in " ".join((r.stderr + r.stdout).split()), r.stderr
    assert c.json("history", "p") == before


@pytest.mark.persistence
def test_plan_load_records_the_files_policies_with_the_plan(tmp_path: Path, db_url: str) -> None:
    c = Cli(tmp_path, db_url)
    c.ok("users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    path = tmp_path / "plan.yaml"
    path.write_text(POLICY_FILE)
    c.ok("plan", "load", str(path), user=ADMIN)
    shown = c.json("plan", "policy", "f")
    assert shown["rag_policy"]["display"] == "reported"  # type: ignore[index]
    assert shown["rag_policy"]["amber_days_before_finish"] == 7  # type: ignore[index]
    assert shown["reminder_policy"]["lead_times_working_days"] == [10, 5, 0]  # type: ignore[index]
    assert shown["reminder_policy"]["governance_chase_every_days"] == 14  # type: ignore[index]
    [changed] = [e for e in c.json("history", "f") if e["kind"] == "Plan.PoliciesChanged"]  # type: ignore[union-attr]
    assert changed["reason"] == "set in plan file plan.yaml"

    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY_FILE.replace("slug: f", "slug: g").replace("[10, 5, 0]", "[5, 10]"))
    r = c("plan", "load", str(bad), user=ADMIN)
    assert r.returncode == 1
    assert f"{bad}: reminder_policy: 'lead_times_working_days' value '5,10'" in r.stderr
    assert [p["slug"] for p in c.json("plans")] == ["f"]  # type: ignore[index]
