"""Structured plan files (YAML or JSON) read whole into a PlanSpec and the plan's policy
settings.

Every error names the file and the place in it, so nothing is recorded from a file
that cannot be read completely.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from domain.errors import InvalidInput
from domain.person_text import parse_person
from domain.plan import (
    RAG_SETTINGS,
    REMINDER_SETTINGS,
    PolicyRefused,
    check_rag_policy,
    check_reminder_policy,
    revised_policy,
    shown_setting,
)
from domain.safe_text import escape_hidden
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
from engine.adapters.files import existing_size


@dataclass
class PlanFile:
    """What a plan file holds: the plan, and the policy settings it changes by name."""

    spec: PlanSpec
    rag_policy: dict[str, Any] = field(default_factory=dict)
    reminder_policy: dict[str, Any] = field(default_factory=dict)


# Limits on what a plan file may be, checked before or while it is parsed, so that a
# hostile file (a billion laughs of aliases, a megabyte of brackets) costs nothing. The
# largest real plans (Sefton's 53 actions, Leeds's) are a few hundred kilobytes.
MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 20

SCHEMA_PATH = Path(__file__).with_name("planfile.schema.json")


class _Refused(Exception):
    """The file breaks a limit; the message says which, at which line."""


class _PlanLoader(yaml.SafeLoader):
    """YAML as safe_load reads it, except that an unquoted date which is no real date
    (2026-02-30) is read as its text, so the entry holding it can be named; and that
    anchors and aliases are refused (a plan has no use for them, and nested aliases
    expand exponentially), as is nesting deeper than MAX_DEPTH."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(f"line {line}: anchors and aliases (& and *) are not allowed")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"line {line}: nested more than {MAX_DEPTH} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


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

    def flag(self, data: dict[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(where, f"'{key}' must be true or false, not {value!r}")
        return value

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

    def entries(
        self, data: dict[str, Any], key: str, where: str, what: str
    ) -> Iterator[tuple[dict[str, Any], str]]:
        """Each entry of the list under `key`, with where it stands ("groups[2]"); one
        that is not a mapping is refused when it is reached."""
        for i, value in enumerate(self.items(data, key, where), 1):
            place = f"{key}[{i}]"
            yield self.mapping(value, place, what), place

    def person(self, value: Any, where: str) -> Person:
        if isinstance(value, str):
            try:
                found = parse_person(value)
            except InvalidInput as e:
                raise self.fail(where, str(e)) from None
        else:
            if not isinstance(value, dict) or not value.get("name"):
                raise self.fail(where, "a person needs at least a 'name'")
            email = value.get("email")
            found = Person(
                name=str(value["name"]),
                email=str(email).lower() if email else None,
                agency=value.get("agency"),
                title=value.get("title"),
            )
        for part in (found.name, found.email, found.agency, found.title):
            # A line break in a name would end a mail header early.
            if part is not None and not str(part).isprintable():
                raise self.fail(where, f"'{escape_hidden(str(part))}' holds a control character")
        return found

    def enum(self, cls: Any, value: Any, where: str, key: str) -> Any:
        if value is None or value == "":
            return None
        try:
            return cls(str(value).lower())
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise self.fail(where, f"'{key}' value '{value}' is not one of {allowed}") from None


def read_plan_file(path: Path) -> PlanFile:
    """The plan a file holds, or InvalidInput naming the file and what is wrong with it
    (and where), in one line."""
    data = _parse(path)
    r = _Reader(path)
    errors = _schema_errors(data)
    # A key the schema does not know is named first: it is the likeliest mistake
    # (a misspelling), and the entry it was meant for may look incomplete without it.
    unknown = [e for e in errors if e.validator == "additionalProperties"]
    if unknown:
        raise _unknown_key(path, unknown[0])
    plan = PlanFile(
        spec=spec_from_dict(data, r),
        rag_policy=_policy(data, "rag_policy", r),
        reminder_policy=_policy(data, "reminder_policy", r),
    )
    if errors:
        raise _schema_failure(path, errors[0])
    return plan


def _parse(path: Path) -> dict[str, Any]:
    size = existing_size(path, "plan file")
    if size > MAX_BYTES:
        raise InvalidInput(
            f"{path}: {size:,} bytes is more than a plan file may hold ({MAX_BYTES:,})"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InvalidInput(
            f"{path}: line {line}: not UTF-8 text (byte 0x{raw[e.start]:02x} at offset "
            f"{e.start}); save the file as UTF-8"
        ) from None
    is_json = path.suffix.lower() == ".json"
    try:
        data = json.loads(text) if is_json else yaml.load(text, Loader=_PlanLoader)  # noqa: S506
    except _Refused as e:
        raise InvalidInput(f"{path}: {e}") from None
    except json.JSONDecodeError as e:
        raise InvalidInput(f"{path}: line {e.lineno}: not valid JSON: {e.msg}") from None
    except yaml.YAMLError as e:
        raise InvalidInput(f"{path}: {_yaml_problem(e)}") from None
    except RecursionError:
        raise InvalidInput(f"{path}: nested more than {MAX_DEPTH} levels deep") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: a plan file holds one plan (a mapping at the top)")
    if is_json and _depth(data) > MAX_DEPTH:
        raise InvalidInput(f"{path}: nested more than {MAX_DEPTH} levels deep")
    return data


def _yaml_problem(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return " ".join(f"{where}not valid YAML: {problem}".split())


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@lru_cache(maxsize=1)
def plan_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _schema_errors(data: dict[str, Any]) -> list[Any]:
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(plan_schema(), format_checker=FormatChecker())
    errors = list(validator.iter_errors(_as_json(data)))
    return sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])


def _as_json(value: Any) -> Any:
    """The data as JSON would hold it: YAML's dates as their ISO text."""
    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _where(path: Any) -> str:
    """A path in the file as the reader names entries: actions[2].leads[1] (from 1)."""
    out = "plan"
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out = part if out == "plan" else f"{out}.{part}"
    return out


def _unknown_key(path: Path, error: Any) -> InvalidInput:
    known = list(error.schema.get("properties", {}))
    extra = sorted(str(k) for k in error.instance if k not in known)
    name = extra[0]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
    return InvalidInput(f"{path}: {_where(error.absolute_path)}: unknown key '{name}'{hint}")


def _schema_failure(path: Path, error: Any) -> InvalidInput:
    where = _where(error.absolute_path)
    if error.validator == "format" and error.validator_value == "date":
        return InvalidInput(f"{path}: {where}: '{error.instance}' is not a real date (YYYY-MM-DD)")
    return InvalidInput(f"{path}: {where}: {' '.join(error.message.split())}")


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
    groups = [
        GroupSpec(
            ref=str(r.text(g, "ref", w, required=True)),
            title=str(r.text(g, "title", w, required=True)),
            parent=r.text(g, "parent", w),
            page=r.text(g, "page", w),
            evidence_expected=[str(x) for x in r.items(g, "evidence_expected", w)],
        )
        for g, w in r.entries(data, "groups", where, "each group")
    ]
    actions = [
        _action(a, r, f"actions[{i}]") for i, a in enumerate(r.items(data, "actions", where), 1)
    ]
    governance = [
        GovernanceSpec(
            key=str(r.text(g, "key", w, required=True)),
            title=str(r.text(g, "title", w, required=True)),
            document=str(r.text(g, "document", w, required=True)),
            agencies=[str(x) for x in r.items(g, "agencies", w)],
        )
        for g, w in r.entries(data, "governance", where, "each governance item")
    ]
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
        plan_finish_tentative=r.flag(a, "plan_finish_tentative", w),
        recurrence=r.enum(Recurrence, a.get("recurrence"), w, "recurrence"),
        timescale=r.text(a, "timescale", w),
        success_criteria=criteria,
        indicators=indicators,
        evidence_expected=[str(x) for x in r.items(a, "evidence_expected", w)],
        cross_refs=[str(x) for x in r.items(a, "cross_refs", w)],
        rag=r.enum(Rag, a.get("rag"), w, "rag"),
        notes=[str(x) for x in r.items(a, "notes", w)],
    )
