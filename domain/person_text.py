"""A person written as text, the one way the command line and plan files both read:
'Name <email>', 'Name <email> (Agency)', 'email' or a plain name."""

from __future__ import annotations

from domain.errors import InvalidInput
from domain.values import Person


def parse_person(value: str) -> Person:
    text = value.strip()
    agency = None
    if text.endswith(")") and "(" in text:
        text, agency = text[: text.rindex("(")].strip(), text[text.rindex("(") + 1 : -1].strip()
    if "<" in text and text.endswith(">"):
        name, email = text[: text.index("<")].strip(), text[text.index("<") + 1 : -1].strip()
        return Person(name=name or email, email=email.lower(), agency=agency)
    if "@" in text:
        return Person(name=text, email=text.lower(), agency=agency)
    if not text:
        raise InvalidInput("a person needs a name or an email")
    return Person(name=text, agency=agency)
