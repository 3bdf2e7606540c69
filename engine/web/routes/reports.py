"""Downloads of the plan's reports (summary, exception, governance) for a period, in the
formats the reports package renders."""

from __future__ import annotations

import importlib
import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from domain.errors import InvalidInput
from engine.reports.build import TITLES, ReportKind, build_report
from engine.web import reads
from engine.web.context import SignedIn, web
from engine.web.pages import page

router = APIRouter()

# Extension: (module of engine.reports, function, media type, label).
FORMATS = {
    "html": ("documents", "render_html", "text/html; charset=utf-8", "HTML"),
    "md": ("documents", "render_markdown", "text/markdown; charset=utf-8", "Markdown"),
    "csv": ("sheets", "render_csv", "text/csv; charset=utf-8", "CSV"),
    "xlsx": (
        "sheets",
        "render_xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel",
    ),
}


@router.get("/plans/{slug}/reports", include_in_schema=False)
async def reports(request: Request, slug: str, viewer: SignedIn) -> Response:
    state = web(request)
    doc = await run_in_threadpool(reads.document, state.cache, slug)
    periods = [(p, reads.period_label(p)) for p in reversed(doc["closed_periods"])]
    return page(
        request,
        viewer,
        "reports.html",
        {
            "doc": doc,
            "slug": slug,
            "kinds": [(k.value, TITLES[k]) for k in ReportKind],
            "formats": [(ext, f[3]) for ext, f in FORMATS.items()],
            "periods": periods,
            # The open period, unless it has been closed already.
            "current": None
            if doc["period"] in doc["closed_periods"]
            else (doc["period"], reads.period_label(doc["period"])),
        },
    )


def render_report(request: Request, slug: str, kind: str, period: str, fmt: str) -> bytes:
    try:
        report_kind = ReportKind(kind)
    except ValueError:
        raise InvalidInput(f"'{kind}' is not a kind of report") from None
    module, function, _, _ = FORMATS[fmt]
    render: Any = getattr(importlib.import_module(f"engine.reports.{module}"), function)
    output = render(build_report(web(request).rt, slug, report_kind, period or None))
    return output if isinstance(output, bytes) else str(output).encode("utf-8")


@router.get("/plans/{slug}/reports/{kind}.{fmt}", include_in_schema=False)
async def download_report(
    request: Request, viewer: SignedIn, slug: str, kind: str, fmt: str, period: str = ""
) -> Response:
    if fmt not in FORMATS:
        raise InvalidInput(f"reports come as {', '.join(FORMATS)}, not {fmt}")
    body = await run_in_threadpool(render_report, request, slug, kind, period, fmt)
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", f"{slug}-{kind}-{period or 'current'}.{fmt}")
    return Response(
        body,
        media_type=FORMATS[fmt][2],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
