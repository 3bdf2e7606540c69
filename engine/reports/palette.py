"""RAG colours shared by the HTML, its pictures and the spreadsheet, so they agree."""

from __future__ import annotations

# Fill and the text colour readable on it.
RAG_FILL = {
    "red": "#c62828",
    "amber": "#f5a623",
    "green": "#2e7d32",
    "complete": "#00838f",
    "blue": "#1565c0",
    "grey": "#9e9e9e",
}
RAG_INK = {
    "red": "#ffffff",
    "amber": "#000000",
    "green": "#ffffff",
    "complete": "#ffffff",
    "blue": "#ffffff",
    "grey": "#000000",
}
