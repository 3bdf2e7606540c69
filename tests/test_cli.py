"""The command line as a user runs it: exit statuses, messages and the JSON contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import BIN, Cli  # noqa: F401  (BIN for the tests below)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    c = Cli(tmp_path, f"sqlite:///{tmp_path / 'at.db'}")
    c.ok("users", "add", "admin@c.example", "--name", "Ada", "--role", "admin")
    c.ok(
        "users", "add", "lead@c.example", "--name", "Lee", "--role", "lead", user="admin@c.example"
    )
    c.ok(
        "plan",
        "create",
        "p",
        "--title",
        "Plan",
        "--organisation",
        "Council",
        "--agencies",
        "Council,NHS",
        user="admin@c.example",
    )
    c.ok("group", "add", "p", "1", "--title", "Recommendation 1", user="admin@c.example")
    c.ok(
        "action",
        "add",
        "p",
        "1.1",
        "--group",
        "1",
        "--title",
        "Audit",
        "--lead",
        "Lee <lead@c.example>",
        "--start",
        "2009-01-01",
        "--finish",
        "2009-06-30",
        user="admin@c.example",
    )
    return c


def test_plans_and_show_json_contract(cli: Cli) -> None:
    plans = cli.json("plans")
    assert plans == [
        {
            "slug": "p",
            "title": "Plan",
            "organisation": "Council",
            "source": None,
            "actions": 1,
            "demo": False,
        }
    ]
    doc = cli.json("show", "p")
    assert {"slug", "title", "groups", "actions", "summary"} <= set(doc)  # type: ignore[arg-type]
    action = doc["actions"][0]  # type: ignore[index]
    for key in (
        "ref",
        "group",
        "title",
        "status",
        "rag",
        "leads",
        "accountable",
        "plan_start",
        "plan_finish",
        "actual_finish",
        "reported_rag",
        "computed_rag",
        "rag_reasons",
        "direction",
    ):
        assert key in action
    assert action["plan_finish"] == "2009-06-30"


def test_an_update_is_visible_to_the_next_command(cli: Cli) -> None:
    cli.ok("action", "rag", "p", "1.1", "amber", "--reason", "late", user="lead@c.example")
    action = cli.json("show", "p")["actions"][0]  # type: ignore[index]
    assert action["reported_rag"] == "amber"


def test_history_json_contract(cli: Cli) -> None:
    cli.ok("action", "complete", "p", "1.1", "--on", "2009-06-30", user="lead@c.example")
    rows = cli.json("history", "p", "--action", "1.1")
    assert isinstance(rows, list)
    last = rows[-1]
    assert set(last) >= {
        "seq",
        "recorded_at",
        "effective_on",
        "actor",
        "kind",
        "subject",
        "data",
        "reason",
    }
    assert (last["kind"], last["effective_on"], last["actor"]) == (
        "Action.StatusChanged",
        "2009-06-30",
        "lead@c.example",
    )


def test_refused_command_exits_1_naming_the_rule(cli: Cli) -> None:
    r = cli("action", "rag", "p", "1.1", "red", user="lead@c.example")
    assert r.returncode == 1
    assert "rating action 1.1 red needs a reason" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "nope"), "no plan 'nope'"),
        (("action", "start", "p", "9.9"), "plan 'p' has no action 9.9"),
        (("action", "add", "p", "1.1", "--title", "Again"), "already has an action 1.1"),
        (
            (
                "action",
                "add",
                "p",
                "1.2",
                "--title",
                "X",
                "--start",
                "2009-05-01",
                "--finish",
                "2009-04-01",
            ),
            "before plan start",
        ),
        (("evidence", "add", "p", "1.1", "--file", "missing.pdf"), "does not exist"),
    ],
)
def test_bad_input_changes_nothing(cli: Cli, args: tuple[str, ...], message: str) -> None:
    before = cli.json("history", "p")
    r = cli(
        *args,
        user="admin@c.example" if args[0] == "action" and args[1] == "add" else "lead@c.example",
    )
    assert r.returncode == 1, r.stdout
    assert message in r.stderr
    assert cli.json("history", "p") == before


def test_a_date_that_is_not_a_date_is_a_usage_error(cli: Cli) -> None:
    r = cli("action", "complete", "p", "1.1", "--on", "30/06/2009", user="lead@c.example")
    assert r.returncode == 2
    assert "'30/06/2009' is not a date" in r.stderr + r.stdout


def test_commands_that_change_things_need_a_user(cli: Cli) -> None:
    r = cli("action", "start", "p", "1.1")
    assert r.returncode == 2
    assert "--as EMAIL or ACTIONTRAIL_USER" in r.stderr + r.stdout


def test_user_without_the_role_is_refused(cli: Cli) -> None:
    r = cli("plan", "create", "q", "--title", "Q", user="lead@c.example")
    assert r.returncode == 1
    assert "may not create plans" in r.stderr


def test_users_list(cli: Cli) -> None:
    users = cli.json("users", "list")
    assert [u["email"] for u in users] == ["admin@c.example", "lead@c.example"]  # type: ignore[union-attr]


def test_plan_file_loads_whole_or_not_at_all(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "plan.yaml"
    good.write_text(
        "slug: f\ntitle: From file\nagencies: [Council]\ngroups:\n  - {ref: '1', title: Area}\n"
        "actions:\n  - {ref: '1.1', title: A, group: '1', plan_finish: 2010-03-31,"
        " leads: [{name: Lee, email: lead@c.example}]}\n"
    )
    cli.ok("plan", "load", str(good), user="admin@c.example")
    assert cli.json("show", "f")["actions"][0]["plan_finish"] == "2010-03-31"  # type: ignore[index]
    bad = tmp_path / "bad.yaml"
    bad.write_text("slug: g\ntitle: Bad\nactions:\n  - {ref: '1', title: A, plan_finish: soon}\n")
    r = cli("plan", "load", str(bad), user="admin@c.example")
    assert r.returncode == 1
    assert "actions[1]: 'plan_finish' value 'soon' is not a date" in r.stderr
    assert [p["slug"] for p in cli.json("plans")] == ["f", "p"]  # type: ignore[index]


def test_demo_loads_and_shows_the_leeds_plan(tmp_path: Path) -> None:
    c = Cli(tmp_path, f"sqlite:///{tmp_path / 'demo.db'}")
    out = c.ok("demo")
    assert "leeds-iwc" in out
    doc = c.json("show", "leeds-iwc")
    assert doc["demo"] is True  # type: ignore[index]
    refs = {a["ref"] for a in doc["actions"]}  # type: ignore[index]
    assert {"1.1", "2.3", "3.1", "4.2 (b)"} <= refs
    periods = c.json("period", "list", "leeds-iwc")
    assert [p["period"] for p in periods][0] == "2008-09"  # type: ignore[index]
    assert [p["period"] for p in periods][-1] == "2009-08"  # type: ignore[index]
