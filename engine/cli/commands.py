"""Imports every command module so that each registers itself on the app."""

from engine.cli import (  # noqa: F401
    actions,
    admin,
    audit,
    governance,
    importing,
    owners,
    plans,
    reminders,
    reports,
    web,
)
