"""Plan files that are hostile or mistaken: each refused in one line naming the file,
exit 1 and nothing recorded; the schema and its example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from domain.errors import InvalidInput
from engine.plans import planfile
from engine.plans.planfile import SCHEMA_PATH, read_plan_file
from tests.conftest import ADMIN
from tests.test_cli import Cli
from tests.test_plans import plan_file_refusal

HEAD = 'slug: f\ntitle: F\nagencies: [Council]\nactions:\n  - ref: "1.1"\n    title: A\n'
EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "leeds-plan.yaml"

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)

HOSTILE: list[tuple[str, bytes, str]] = [
    ("aliases", (LAUGHS + "slug: f\ntitle: F\n").encode(), "line 1: anchors and aliases"),
    ("deep-yaml", b"slug: f\ntitle: F\nnotes: " + b"[" * 50 + b"]" * 50 + b"\n", "nested more"),
    ("not-utf8", HEAD.encode() + b"    aim: caf\xe9\n", "line 7: not UTF-8 text (byte 0xe9"),
    ("not-yaml", b"slug: f\ntitle: [F\n", "not valid YAML"),
    ("impossible-date", (HEAD + "    plan_finish: 2010-02-30\n").encode(), "2010-02-30"),
    ("unknown-top", b"slug: f\ntitel: F\n", "plan: unknown key 'titel' (did you mean 'title'?)"),
    (
        "unknown-action",
        (HEAD + "    plan_finsh: 2010-02-01\n").encode(),
        "actions[1]: unknown key 'plan_finsh' (did you mean 'plan_finish'?)",
    ),
    (
        "unknown-leads",
        (HEAD + "    leeds: [Dan <dan@x.example>]\n").encode(),
        "actions[1]: unknown key 'leeds' (did you mean 'leads'?)",
    ),
    (
        "control-in-name",
        (HEAD + '    leads: ["Dan\\rBcc: <dan@x.example>"]\n').encode(),
        "actions[1].leads: 'Dan\\u000dBcc:' holds a control character",
    ),
]


@pytest.mark.parametrize(("body", "message"), [(b, m) for _, b, m in HOSTILE],
                         ids=[n for n, _, _ in HOSTILE])  # fmt: skip
def test_a_hostile_or_mistaken_plan_file_is_refused_naming_the_file(
    tmp_path: Path, body: bytes, message: str
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(body)
    with pytest.raises(InvalidInput) as refused:
        read_plan_file(path)
    text = str(refused.value)
    assert text.startswith(f"{path}: ")
    assert message in text
    assert "\n" not in text


def test_nested_aliases_are_refused_before_they_expand(tmp_path: Path) -> None:
    # Nine to the ninth nodes if expanded; refused at the first anchor instead.
    path = tmp_path / "plan.yaml"
    path.write_text(LAUGHS)
    with pytest.raises(InvalidInput, match="anchors and aliases"):
        read_plan_file(path)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planfile, "MAX_BYTES", 1000)
    path = tmp_path / "plan.yaml"
    path.write_text("slug: f\ntitle: F\nnotes:\n" + "  - a note\n" * 200)
    with pytest.raises(InvalidInput, match=r"2,224 bytes is more than a plan file may hold"):
        read_plan_file(path)


def test_json_nested_too_deep_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"slug": "f", "title": "F", "notes": ' + "[" * 30 + "]" * 30 + "}")
    with pytest.raises(InvalidInput, match="nested more than 20 levels deep"):
        read_plan_file(path)
    path.write_text('{"slug": "f", "notes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InvalidInput, match="nested more than 20 levels deep"):
        read_plan_file(path)


def test_unknown_keys_deep_inside_are_named_with_their_path(tmp_path: Path) -> None:
    path, refused = plan_file_refusal(
        tmp_path, HEAD + "    indicators:\n      - {name: Reviews, target: 70, unti: '%'}\n"
    )
    assert refused == (
        f"{path}: actions[1].indicators[1]: unknown key 'unti' (did you mean 'unit'?)"
    )


def test_a_key_far_from_any_known_one_lists_the_known_keys(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("slug: f\ntitle: F\nzzz: 1\n")
    with pytest.raises(InvalidInput, match=r"plan: unknown key 'zzz' \(known: slug, title, "):
        read_plan_file(path)


def test_a_time_where_a_date_belongs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(HEAD + "    plan_finish: 2010-02-01T10:00:00\n")
    with pytest.raises(InvalidInput, match=r"actions\[1\]\.plan_finish: '2010-02-01T10:00:00'"):
        read_plan_file(path)


def test_people_are_read_as_the_command_line_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        HEAD + '    leads: ["Dan Lead <Dan@X.example> (Police)", "ann@x.example", "Bo"]\n'
        "    accountable: Chief Officer <chief@x.example>\n"
    )
    action = read_plan_file(path).spec.actions[0]
    assert [(p.name, p.email, p.agency) for p in action.leads] == [
        ("Dan Lead", "dan@x.example", "Police"),
        ("ann@x.example", "ann@x.example", None),
        ("Bo", None, None),
    ]
    assert action.accountable is not None
    accountable = (action.accountable.name, action.accountable.email)
    assert accountable == ("Chief Officer", "chief@x.example")


def test_the_schema_is_a_valid_json_schema_and_the_example_follows_it() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft202012Validator.check_schema(schema)
    spec = read_plan_file(EXAMPLE).spec
    assert spec.slug == "leeds-iwc"
    assert spec.actions[0].leads[0].email == "dennis.holmes@leeds.example"


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [h for h in HOSTILE if h[0] in ("aliases", "not-utf8", "not-yaml", "unknown-action")],
    ids=["aliases", "not-utf8", "not-yaml", "unknown-key"],
)
def test_plan_load_refuses_in_one_line_with_exit_1_and_records_nothing(
    tmp_path: Path, db_url: str, name: str, body: bytes, message: str
) -> None:
    c = Cli(tmp_path, db_url)
    c.ok("users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    path = tmp_path / "plan.yaml"
    path.write_bytes(body)
    r = c("plan", "load", str(path), user=ADMIN)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert message in r.stderr
    assert c.json("plans") == []


@pytest.mark.persistence
def test_the_example_loads_with_its_people(tmp_path: Path, db_url: str) -> None:
    c = Cli(tmp_path, db_url)
    c.ok("users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    assert "plan leeds-iwc loaded: 1 groups, 2 actions" in c.ok(
        "plan", "load", str(EXAMPLE), user=ADMIN
    )
    shown = c.json("show", "leeds-iwc")
    assert shown["actions"][0]["leads"][0]["email"] == "dennis.holmes@leeds.example"
