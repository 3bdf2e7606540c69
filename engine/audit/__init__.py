"""Auditing a plan's record: the plan as of a moment, what changed between two moments,
export and restore, and tamper evidence (a hash chain over every stored event)."""
