"""Structured plan files (YAML or JSON) read whole into a PlanSpec and the plan's policy
settings.

Every error names the file and the place in it, so nothing is recorded from a file
that cannot be read completely.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from domain.errors import InvalidInput
from domain.plan import (
    RAG_SETTINGS,
    REMINDER_SETTINGS,
    PolicyRefused,
    check_rag_policy,
    check_reminder_policy,
    revised_policy,
    shown_setting,
)
from domain.spec import ActionSpec, GovernanceSpec, GroupSpec, PlanSpec
from domain.values import (
    Cadence,
    Criterion,
    Direction,
    Indicator,
    Person,
    Rag,
    RagPolicy,
    Recurrence,
    ReminderPolicy,
)


@dataclass
class PlanFile:
    """What a plan file holds: the plan, and the policy settings it changes by name."""

    spec: PlanSpec
    rag_policy: dict[str, Any] = field(default_factory=dict)
    reminder_policy: dict[str, Any] = field(default_factory=dict)


class _PlanLoader(yaml.SafeLoader):
    """YAML as safe_load reads it, except that an unquoted date which is no real date
    (2026-02-30) is read as its text, so the entry holding it can be named."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_PlanLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> InvalidInput:
        return InvalidInput(f"{self.path}: {where}: {message}")

    def text(
        self, data: dict[str, Any], key: str, where: str, required: bool = False
    ) -> str | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(where, f"'{key}' is required")
            return None
        if not isinstance(value, str | int | float):
            raise self.fail(where, f"'{key}' must be text, not {type(value).__name__}")
        return str(value)

    def day(self, data: dict[str, Any], key: str, where: str) -> date | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(where, f"'{key}' value '{value}' is not a date (YYYY-MM-DD)") from None

    def required_number(self, data: dict[str, Any], key: str, where: str) -> float:
        number = self.number(data, key, where)
        if number is None:
            raise self.fail(where, f"'{key}' is required (a number)")
        return number

    def number(self, data: dict[str, Any], key: str, where: str) -> float | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        try:
            if isinstance(value, bool):
                raise ValueError(value)
            number = float(value)
        except (TypeError, ValueError):
            raise self.fail(where, f"'{key}' value '{value}' is not a number") from None
        if not math.isfinite(number):
            raise self.fail(where, f"'{key}' value '{value}' is not a finite number")
        return number

    def mapping(self, value: Any, where: str, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"{what} must be a mapping, not '{value}'")
        return value

    def items(self, data: dict[str, Any], key: str, where: str) -> list[Any]:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(where, f"'{key}' must be a list")
        return value

    def person(self, value: Any, where: str) -> Person:
        if isinstance(value, str):
            return Person(name=value, email=value.lower() if "@" in value else None)
        if not isinstance(value, dict) or not value.get("name"):
            raise self.fail(where, "a person needs at least a 'name'")
        email = value.get("email")
        return Person(
            name=str(value["name"]),
            email=str(email).lower() if email else None,
            agency=value.get("agency"),
            title=value.get("title"),
        )

    def enum(self, cls: Any, value: Any, where: str, key: str) -> Any:
        if value is None or value == "":
            return None
        try:
            return cls(str(value).lower())
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise self.fail(where, f"'{key}' value '{value}' is not one of {allowed}") from None


def read_plan_file(path: Path) -> PlanFile:
    if not path.is_file():
        raise InvalidInput(f"plan file '{path}' does not exist")
    raw = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            data = yaml.load(raw, Loader=_PlanLoader)  # a SafeLoader: no arbitrary objects
    except (json.JSONDecodeError, yaml.YAMLError, ValueError) as e:
        raise InvalidInput(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {e}"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: a plan file holds one plan (a mapping at the top)")
    r = _Reader(path)
    return PlanFile(
        spec=spec_from_dict(data, r),
        rag_policy=_policy(data, "rag_policy", r),
        reminder_policy=_policy(data, "reminder_policy", r),
    )


def _policy(data: dict[str, Any], key: str, r: _Reader) -> dict[str, Any]:
    """The policy settings the file changes, checked as the plan will check them."""
    value = data.get(key)
    if value is None:
        return {}
    settings: Mapping[str, Any] = RAG_SETTINGS if key == "rag_policy" else REMINDER_SETTINGS
    given = r.mapping(value, key, f"'{key}'")
    for name in given:
        if name not in settings:
            raise r.fail(key, f"'{name}' is not a {key} setting (known: {', '.join(settings)})")
    try:
        if key == "rag_policy":
            check_rag_policy(revised_policy(RagPolicy(), given, settings))
        else:
            check_reminder_policy(revised_policy(ReminderPolicy(), given, settings))
    except PolicyRefused as e:
        raise r.fail(key, f"'{e.setting}' value '{shown_setting(e.value)}' {e.problem}") from None
    return dict(given)


def spec_from_dict(data: dict[str, Any], r: _Reader) -> PlanSpec:
    where = "plan"
    groups = []
    for i, g in enumerate(r.items(data, "groups", where), 1):
        w = f"groups[{i}]"
        r.mapping(g, w, "each group")
        groups.append(
            GroupSpec(
                ref=str(r.text(g, "ref", w, required=True)),
                title=str(r.text(g, "title", w, required=True)),
                parent=r.text(g, "parent", w),
                page=r.text(g, "page", w),
                evidence_expected=[str(x) for x in r.items(g, "evidence_expected", w)],
            )
        )
    actions = [
        _action(a, r, f"actions[{i}]") for i, a in enumerate(r.items(data, "actions", where), 1)
    ]
    governance = []
    for i, g in enumerate(r.items(data, "governance", where), 1):
        w = f"governance[{i}]"
        r.mapping(g, w, "each governance item")
        governance.append(
            GovernanceSpec(
                key=str(r.text(g, "key", w, required=True)),
                title=str(r.text(g, "title", w, required=True)),
                document=str(r.text(g, "document", w, required=True)),
                agencies=[str(x) for x in r.items(g, "agencies", w)],
            )
        )
    return PlanSpec(
        slug=str(r.text(data, "slug", where, required=True)),
        title=str(r.text(data, "title", where, required=True)),
        organisation=r.text(data, "organisation", where),
        source=r.text(data, "source", where),
        cadence=r.enum(Cadence, data.get("cadence"), where, "cadence") or Cadence.MONTHLY,
        boards=[str(x) for x in r.items(data, "boards", where)],
        agencies=[str(x) for x in r.items(data, "agencies", where)],
        groups=groups,
        actions=actions,
        governance=governance,
    )


def _action(a: Any, r: _Reader, w: str) -> ActionSpec:
    r.mapping(a, w, "each action")
    criteria = []
    for j, c in enumerate(r.items(a, "success_criteria", w), 1):
        cw = f"{w}.success_criteria[{j}]"
        if isinstance(c, str):
            criteria.append(Criterion(c))
        else:
            if not isinstance(c, dict):
                raise r.fail(cw, f"a success criterion is text or a mapping, not '{c}'")
            criteria.append(
                Criterion(str(r.text(c, "text", cw, required=True)), r.day(c, "due", cw))
            )
    indicators = []
    for j, ind in enumerate(r.items(a, "indicators", w), 1):
        iw = f"{w}.indicators[{j}]"
        r.mapping(ind, iw, "each indicator")
        target = r.required_number(ind, "target", iw)
        indicators.append(
            Indicator(
                name=str(r.text(ind, "name", iw, required=True)),
                target=target,
                unit=str(ind.get("unit", "%")),
                direction=r.enum(Direction, ind.get("direction"), iw, "direction")
                or Direction.HIGHER,
                baseline=r.number(ind, "baseline", iw),
                red_threshold=r.number(ind, "red_threshold", iw),
            )
        )
    accountable = a.get("accountable")
    return ActionSpec(
        ref=str(r.text(a, "ref", w, required=True)),
        title=str(r.text(a, "title", w, required=True)),
        group=r.text(a, "group", w),
        aim=r.text(a, "aim", w),
        leads=[r.person(p, f"{w}.leads") for p in r.items(a, "leads", w)],
        accountable=r.person(accountable, f"{w}.accountable") if accountable else None,
        plan_start=r.day(a, "plan_start", w),
        plan_finish=r.day(a, "plan_finish", w),
        recurrence=r.enum(Recurrence, a.get("recurrence"), w, "recurrence"),
        timescale=r.text(a, "timescale", w),
        success_criteria=criteria,
        indicators=indicators,
        evidence_expected=[str(x) for x in r.items(a, "evidence_expected", w)],
        cross_refs=[str(x) for x in r.items(a, "cross_refs", w)],
        rag=r.enum(Rag, a.get("rag"), w, "rag"),
        notes=[str(x) for x in r.items(a, "notes", w)],
    )
