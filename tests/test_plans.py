"""Plans, groupings and actions: creation rules, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from domain.spec import GovernanceSpec, GroupSpec, PlanSpec
from engine.plans.planfile import read_plan_file
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, AUDITOR, LEAD, World, action_spec, people
from tests.test_cli import Cli


def test_plan_and_actions_are_visible_after_each_command(world: World) -> None:
    plan = queries.plan(world.rt.engine, "plan")
    refs = [a["ref"] for a in queries.actions(world.rt.engine, plan)]
    assert refs == ["1.1", "1.2"]
    assert plan["agencies"] == ["Council", "NHS Trust", "Police"]


def test_duplicate_plan_slug_is_refused(world: World) -> None:
    with pytest.raises(DomainError, match="plan 'plan' already exists"):
        world.rt.app.create_plan(ADMIN, "plan", "Again")


def test_slug_must_be_short_and_simple(rt: Runtime) -> None:
    people(rt)
    with pytest.raises(InvalidInput, match="slug 'Bad Slug'"):
        rt.app.create_plan(ADMIN, "Bad Slug", "Title")


def test_duplicate_action_reference_is_refused(world: World) -> None:
    with pytest.raises(DomainError, match="already has an action 1.1"):
        world.rt.app.add_action(ADMIN, "plan", action_spec("1.1"))


def test_action_in_unknown_group_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput, match="has no group '9'"):
        world.rt.app.add_action(ADMIN, "plan", action_spec("9.1", group="9"))


def test_finish_before_start_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput, match="plan finish 2009-01-01 is before plan start"):
        world.rt.app.add_action(
            ADMIN,
            "plan",
            action_spec("1.3", plan_start=date(2009, 2, 1), plan_finish=date(2009, 1, 1)),
        )


def test_unknown_plan_and_action_are_named(world: World) -> None:
    with pytest.raises(NotFound, match="no plan 'nope'"):
        world.rt.app.action("nope", "1.1")
    with pytest.raises(NotFound, match="plan 'plan' has no action 7.7"):
        world.rt.app.action("plan", "7.7")


def test_only_admins_create_plans(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.rt.app.create_plan(LEAD, "other", "Other")
    with pytest.raises(PermissionDenied):
        world.rt.app.add_action(AUDITOR, "plan", action_spec("1.9"))


def test_groups_nest_two_levels_at_most(world: World) -> None:
    app = world.rt.app
    app.add_group(ADMIN, "plan", "S", "Safeguarding")
    app.add_group(ADMIN, "plan", "S1", "Area 1", parent="S")
    with pytest.raises(InvalidInput, match="at most two levels"):
        app.add_group(ADMIN, "plan", "S1a", "Too deep", parent="S1")


def test_duplicate_group_is_refused(world: World) -> None:
    with pytest.raises(DomainError, match="already has a group '1'"):
        world.rt.app.add_group(ADMIN, "plan", "1", "Again")


def _spec(actions: list) -> PlanSpec:  # type: ignore[type-arg]
    return PlanSpec(
        slug="whole",
        title="Whole plan",
        agencies=["Council", "Police"],
        groups=[GroupSpec("1", "Area 1")],
        actions=actions,
        governance=[GovernanceSpec("proc", "Procedures", "text", ["Council", "Police"])],
    )


def test_load_plan_records_everything_at_once(rt: Runtime) -> None:
    people(rt)
    before = rt.app.recorder.max_notification_id()
    rt.app.load_plan(ADMIN, _spec([action_spec("1.1"), action_spec("1.2")]))
    plan = queries.plan(rt.engine, "whole")
    assert len(queries.actions(rt.engine, plan)) == 2
    assert len(queries.items(rt.engine, plan)) == 1
    assert rt.app.recorder.max_notification_id() > before


def test_a_bad_row_in_a_plan_leaves_no_partial_plan(rt: Runtime) -> None:
    people(rt)
    before = rt.app.recorder.max_notification_id()
    bad = action_spec("1.2", plan_start=date(2009, 5, 1), plan_finish=date(2009, 4, 1))
    with pytest.raises(InvalidInput):
        rt.app.load_plan(ADMIN, _spec([action_spec("1.1"), bad]))
    assert rt.app.recorder.max_notification_id() == before
    with pytest.raises(NotFound):
        rt.app.plan("whole")


def test_plan_listing_the_same_action_twice_is_refused(rt: Runtime) -> None:
    people(rt)
    with pytest.raises(DomainError, match="lists action 1.1 twice"):
        rt.app.load_plan(ADMIN, _spec([action_spec("1.1"), action_spec("1.1")]))


def test_first_user_must_be_admin(rt: Runtime) -> None:
    with pytest.raises(InvalidInput, match="first user must be an admin"):
        rt.app.add_user(None, "x@example.org", "X", ["lead"])


def test_later_users_need_an_admin(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.rt.app.add_user(LEAD, "new@example.org", "New", ["lead"])
    with pytest.raises(PermissionDenied):
        world.rt.app.add_user(None, "new@example.org", "New", ["lead"])


def test_approver_needs_an_agency(world: World) -> None:
    with pytest.raises(InvalidInput, match="needs an agency"):
        world.rt.app.add_user(ADMIN, "a@example.org", "A", ["approver"])


def test_unknown_role_is_named(world: World) -> None:
    with pytest.raises(InvalidInput, match="unknown role 'boss'"):
        world.rt.app.add_user(ADMIN, "a@example.org", "A", ["boss"])


BAD_FILES = [
    (
        "actions:\n  - {ref: '1.1', title: A, plan_start: 2026-02-30}\n",
        "actions[1]: 'plan_start' value '2026-02-30' is not a date (YYYY-MM-DD)",
    ),
    (
        "actions:\n  - ref: '1.1'\n    title: A\n    success_criteria:\n"
        "      - {text: Audit, due: 2026-04-31}\n",
        "actions[1].success_criteria[1]: 'due' value '2026-04-31' is not a date",
    ),
    (
        "actions:\n  - ref: '1.1'\n    title: A\n    indicators:\n"
        "      - {name: Reviews, target: 75, baseline: about half}\n",
        "actions[1].indicators[1]: 'baseline' value 'about half' is not a number",
    ),
    (
        "actions:\n  - ref: '1.1'\n    title: A\n    indicators:\n"
        "      - {name: Reviews, target: 75, red_threshold: [60]}\n",
        "actions[1].indicators[1]: 'red_threshold' value '[60]' is not a number",
    ),
    (
        "actions:\n  - ref: '1.1'\n    title: A\n    indicators:\n"
        "      - {name: Reviews, target: lots}\n",
        "actions[1].indicators[1]: 'target' value 'lots' is not a number",
    ),
    (
        "actions:\n  - ref: '1.1'\n    title: A\n    indicators: [Reviews]\n",
        "actions[1].indicators[1]: each indicator must be a mapping, not 'Reviews'",
    ),
    (
        'governance: ["x"]\n',
        "governance[1]: each governance item must be a mapping, not 'x'",
    ),
]


def plan_file_refusal(tmp_path: Path, text: str) -> tuple[Path, str]:
    """A plan file of that text, which reading must refuse: its path and why."""
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as refused:
        read_plan_file(path)
    return path, str(refused.value)


@pytest.mark.parametrize(("body", "message"), BAD_FILES)
def test_a_plan_file_entry_that_cannot_be_read_names_the_file_entry_and_value(
    tmp_path: Path, body: str, message: str
) -> None:
    path, refused = plan_file_refusal(tmp_path, "slug: f\ntitle: F\nagencies: [Council]\n" + body)
    assert refused.startswith(f"{path}: {message}")


def test_a_date_that_is_no_date_in_a_text_field_is_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("slug: f\ntitle: 2026-02-30\n")
    assert read_plan_file(path).spec.title == "2026-02-30"


@pytest.mark.parametrize(
    ("body", "message"), [BAD_FILES[0], BAD_FILES[2], BAD_FILES[-1]], ids=["date", "number", "gov"]
)
def test_plan_load_of_an_unreadable_entry_exits_1_and_records_nothing(
    tmp_path: Path, db_url: str, body: str, message: str
) -> None:
    c = Cli(tmp_path, db_url)
    c.ok("users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    path = tmp_path / "plan.yaml"
    path.write_text("slug: f\ntitle: F\nagencies: [Council]\n" + body)
    r = c("plan", "load", str(path), user=ADMIN)
    assert r.returncode == 1, r.stderr
    assert f"{path}: {message}" in " ".join(r.stderr.split())
    assert "Traceback" not in r.stderr
    assert c.json("plans") == []
