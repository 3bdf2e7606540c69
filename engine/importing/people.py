"""The people a sheet names, linked to users: by name against the store's users (case
and spacing aside), and from a people file (CSV: name, email, agency, optional role)
that adds those the store lacks, so reminders can reach them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path

from domain.spec import PlanSpec
from domain.users import Role
from domain.values import Person
from engine.importing.checks import control_character, malformed_emails
from engine.importing.errors import ImportFileError


@dataclass(frozen=True)
class Listed:
    """One person of a people file, with the row that names them."""

    row: int
    name: str
    email: str
    agency: str | None
    role: Role


def name_key(name: str) -> str:
    return " ".join(name.lower().split())


def read_people(path: Path) -> list[Listed]:
    """A people file: a heading row with name and email (agency and role optional)."""
    if not path.is_file():
        raise ImportFileError(path, "no such file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = f"the people file is not UTF-8 text (byte {exc.start})"
        raise ImportFileError(path, problem) from exc
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise ImportFileError(path, "the people file is empty")
    headings = [h.strip().lower() for h in rows[0]]
    for needed in ("name", "email"):
        if needed not in headings:
            problem = f"row 1: the people file needs a '{needed}' column (name, email, ...)"
            raise ImportFileError(path, problem)
    at = {h: i for i, h in enumerate(headings)}
    listed: list[Listed] = []
    seen: dict[str, Listed] = {}
    for number, record in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in record):
            continue

        def cell(name: str, record: list[str] = record) -> str:
            index = at.get(name)
            return record[index].strip() if index is not None and index < len(record) else ""

        person = _listed(path, number, cell("name"), cell("email"), cell("agency"), cell("role"))
        earlier = seen.get(name_key(person.name))
        if earlier is not None and earlier.email != person.email:
            raise ImportFileError(
                path,
                f"row {number}: {person.name} is listed again with another email "
                f"({earlier.email} at row {earlier.row})",
            )
        seen[name_key(person.name)] = person
        listed.append(person)
    return listed


def _listed(path: Path, row: int, name: str, email: str, agency: str, role: str) -> Listed:
    def refuse(column: str, problem: str) -> ImportFileError:
        return ImportFileError(path, f"row {row}, column {column}: {problem}")

    if not name:
        raise refuse("name", "no name")
    control = control_character(name) or (control_character(agency) if agency else None)
    if control:
        raise refuse("name", f"the name holds a control character ({control})")
    if not email or malformed_emails(email) or "@" not in email or " " in email:
        raise refuse("email", f"{email!r} is not an email address")
    try:
        parsed = Role((role or "lead").strip().lower())
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise refuse("role", f"unknown role {role!r} (known roles: {known})") from None
    if parsed is Role.APPROVER and not agency:
        raise refuse("agency", f"approver {email} needs an agency to approve for")
    return Listed(row, " ".join(name.split()), email.lower(), agency or None, parsed)


def link(spec: PlanSpec, directory: dict[str, Person], keep: frozenset[str] = frozenset()) -> None:
    """Give each person the sheet names without an email the details of the user of the
    same name (case and spacing aside). The actions ``keep`` names are left as they are:
    an exported file's record gives their people exactly as the plan holds them."""

    def linked(person: Person) -> Person:
        if person.email:
            return person
        known = directory.get(name_key(person.name))
        if known is None and person.title:
            # "Olu Officer" read as Olu, titled Officer, is the user Olu Officer.
            known = directory.get(name_key(f"{person.name} {person.title}"))
            if known is not None:
                person = replace(person, name=known.name, title=None)
        if known is None:
            return person
        return replace(person, email=known.email, agency=person.agency or known.agency)

    for action in spec.actions:
        if action.ref in keep:
            continue
        action.leads = list({p.key: p for p in map(linked, action.leads)}.values())
        if action.accountable is not None:
            action.accountable = linked(action.accountable)


def not_linked(spec: PlanSpec) -> list[str]:
    names: dict[str, str] = {}
    for action in spec.actions:
        for person in [*action.leads, *([action.accountable] if action.accountable else [])]:
            if person.email is None:
                names.setdefault(name_key(person.name), person.name)
    return list(names.values())
