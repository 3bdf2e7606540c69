"""A report as rows and typed columns: what the CSV and spreadsheet outputs are made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

Cell = str | int | float | date | None


class ColumnKind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"  # narratives: wrapped in a wide column
    DATE = "date"
    RAG = "rag"  # a RAG value: coloured in the spreadsheet
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    title: str
    kind: ColumnKind = ColumnKind.TEXT


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)

    def add(self, *cells: Cell) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(list(cells))
