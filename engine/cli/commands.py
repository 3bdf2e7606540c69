"""Imports every command module so that each registers itself on the app."""

from engine.cli import actions, admin, audit, governance, plans, reminders, reports  # noqa: F401
from engine.cli import web  # noqa: F401  (serve and web credentials)
