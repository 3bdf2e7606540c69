"""Reports for boards: progress, exception and governance, for one reporting period,
as HTML, Markdown, CSV, a spreadsheet, a Word document or a PDF."""

from __future__ import annotations

from enum import StrEnum

from engine.reports.build import Report, ReportKind, build_report
from engine.reports.documents import render_html, render_markdown


class ReportFormat(StrEnum):
    HTML = "html"
    MD = "md"
    CSV = "csv"
    XLSX = "xlsx"
    DOCX = "docx"
    PDF = "pdf"


def render(report: Report, fmt: ReportFormat) -> bytes:
    # The spreadsheet library is imported only when a sheet is asked for: every
    # command of the command line would otherwise pay for loading it.
    from engine.reports.sheets import render_csv, render_xlsx

    if fmt is ReportFormat.HTML:
        return render_html(report).encode("utf-8")
    if fmt is ReportFormat.MD:
        return render_markdown(report).encode("utf-8")
    if fmt is ReportFormat.CSV:
        # With a byte order mark, so spreadsheet programs read the file as UTF-8.
        return render_csv(report).encode("utf-8-sig")
    if fmt is ReportFormat.DOCX:
        from engine.reports.word import render_docx

        return render_docx(report)
    if fmt is ReportFormat.PDF:
        from engine.reports.pdf import render_pdf

        return render_pdf(report)
    return render_xlsx(report)


__all__ = ["Report", "ReportFormat", "ReportKind", "build_report", "render"]
