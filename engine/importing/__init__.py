"""Importing the improvement-plan spreadsheets councils already keep (CSV, TSV, XLSX).

``parse_file`` reads a file into a ``domain.spec.PlanSpec`` and an ``ImportReport``
listing, row by row, what could not be read and was kept as text instead.
"""

from engine.importing.errors import ImportFileError
from engine.importing.layouts import FIELDS
from engine.importing.parse import parse_file
from engine.importing.report import ColumnReport, ImportReport, Issue, Severity

__all__ = [
    "FIELDS",
    "ColumnReport",
    "ImportFileError",
    "ImportReport",
    "Issue",
    "Severity",
    "parse_file",
]
