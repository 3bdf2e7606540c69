"""Domain errors: a business rule refused a command. Messages name the rule and the thing."""


class DomainError(Exception):
    """A command was refused by a business rule (CLI exit status 1)."""


class NotFound(DomainError):
    """The plan, action, item, user or evidence named does not exist."""


class PermissionDenied(DomainError):
    """The acting user lacks the role the command needs."""


class InvalidInput(DomainError):
    """A value breaks a rule of its own (a finish before a start, red without a reason)."""


class Conflict(DomainError):
    """A stale write: the thing changed since the caller read it."""
