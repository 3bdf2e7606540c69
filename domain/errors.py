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


class MalformedValue(InvalidInput):
    """A value that is not of its kind at all (no date, no reporting period). Typed as an
    option on the command line it is bad usage (exit status 2), and ``option`` names it;
    everywhere else it is bad input like any other."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option
