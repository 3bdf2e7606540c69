"""Downloads of the plan's reports (summary, exception, governance) for a period, in the
formats the reports package renders, as `actiontrail report` writes them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from engine.reports.build import TITLES, ReportKind
from engine.web import auditing, reads
from engine.web.auditing import REPORT_FORMATS
from engine.web.context import SignedIn, web
from engine.web.pages import page

router = APIRouter()


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
            "formats": [(f.value, label) for f, (_, label) in REPORT_FORMATS.items()],
            "periods": periods,
            # The open period, unless it has been closed already.
            "current": None
            if doc["period"] in doc["closed_periods"]
            else (doc["period"], reads.period_label(doc["period"])),
        },
    )


@router.get("/plans/{slug}/reports/{kind}.{fmt}", include_in_schema=False)
async def download_report(
    request: Request, viewer: SignedIn, slug: str, kind: str, fmt: str, period: str = ""
) -> Response:
    chosen = auditing.report_format(fmt)
    body = await run_in_threadpool(auditing.report, web(request).rt, slug, kind, fmt, period)
    return Response(
        body,
        media_type=REPORT_FORMATS[chosen][0],
        headers=auditing.attachment(
            auditing.download_name(slug, kind, f"{period or 'current'}.{fmt}")
        ),
    )
