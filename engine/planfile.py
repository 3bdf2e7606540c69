"""Structured plan files (YAML or JSON) read whole into a PlanSpec.

Every error names the file and the place in it, so nothing is recorded from a file
that cannot be read completely.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from domain.errors import InvalidInput
from domain.spec import ActionSpec, GovernanceSpec, GroupSpec, PlanSpec
from domain.values import Cadence, Criterion, Direction, Indicator, Person, Rag, Recurrence


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


def read_plan_file(path: Path) -> PlanSpec:
    if not path.is_file():
        raise InvalidInput(f"plan file '{path}' does not exist")
    raw = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else yaml.safe_load(raw)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise InvalidInput(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {e}"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: a plan file holds one plan (a mapping at the top)")
    return spec_from_dict(data, _Reader(path))


def spec_from_dict(data: dict[str, Any], r: _Reader) -> PlanSpec:
    where = "plan"
    groups = []
    for i, g in enumerate(r.items(data, "groups", where), 1):
        w = f"groups[{i}]"
        if not isinstance(g, dict):
            raise r.fail(w, "each group is a mapping")
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
    if not isinstance(a, dict):
        raise r.fail(w, "each action is a mapping")
    criteria = []
    for j, c in enumerate(r.items(a, "success_criteria", w), 1):
        cw = f"{w}.success_criteria[{j}]"
        if isinstance(c, str):
            criteria.append(Criterion(c))
        else:
            criteria.append(
                Criterion(str(r.text(c, "text", cw, required=True)), r.day(c, "due", cw))
            )
    indicators = []
    for j, ind in enumerate(r.items(a, "indicators", w), 1):
        iw = f"{w}.indicators[{j}]"
        try:
            target = float(ind["target"])
        except (KeyError, TypeError, ValueError):
            raise r.fail(iw, "an indicator needs a numeric 'target'") from None
        indicators.append(
            Indicator(
                name=str(r.text(ind, "name", iw, required=True)),
                target=target,
                unit=str(ind.get("unit", "%")),
                direction=r.enum(Direction, ind.get("direction"), iw, "direction")
                or Direction.HIGHER,
                baseline=float(ind["baseline"]) if ind.get("baseline") is not None else None,
                red_threshold=float(ind["red_threshold"])
                if ind.get("red_threshold") is not None
                else None,
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
