"""The one error an import raises: the file as a whole cannot be read."""

from __future__ import annotations

from pathlib import Path

from domain.errors import DomainError


class ImportFileError(DomainError):
    """The file cannot be imported at all (empty, not a spreadsheet, no table found).

    Problems with single rows are not raised: they are listed in the ImportReport.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path.name}: {problem}")
