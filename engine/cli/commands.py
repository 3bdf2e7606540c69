"""Imports every command module so that each registers itself on the app."""

from engine.cli import actions, admin, governance, plans  # noqa: F401
