"""Downloads of the plan's reports (summary, exception, governance) for a period."""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from domain.errors import InvalidInput
from engine.web import reads
from engine.web.context import SignedIn, web
from engine.web.pages import page

router = APIRouter()

FORMATS = {
    "html": ("text/html; charset=utf-8", "html"),
    "md": ("text/markdown; charset=utf-8", "md"),
}


def report_modules() -> tuple[ModuleType, ModuleType] | None:
    """The reports package, where this installation has it."""
    try:
        build = importlib.import_module("engine.reports.build")
        documents = importlib.import_module("engine.reports.documents")
    except ImportError:
        return None
    needed = (hasattr(build, "build_report"), hasattr(build, "ReportKind"))
    if not all(needed) or not hasattr(documents, "render_html"):
        return None
    return build, documents


@router.get("/plans/{slug}/reports", include_in_schema=False)
async def reports(request: Request, slug: str, viewer: SignedIn) -> Response:
    state = web(request)
    doc = await run_in_threadpool(reads.document, state.cache, slug)
    modules = report_modules()
    kinds: list[tuple[str, str]] = []
    if modules:
        build, _ = modules
        titles: dict[Any, str] = getattr(build, "TITLES", {})
        kinds = [(k.value, titles.get(k, k.value.title())) for k in build.ReportKind]
    periods = list(reversed(doc["closed_periods"]))
    return page(
        request,
        viewer,
        "reports.html",
        {
            "doc": doc,
            "slug": slug,
            "available": modules is not None,
            "kinds": kinds,
            "periods": [(p, reads.period_label(p)) for p in periods],
            "current": doc["period"],
        },
    )


def render_report(request: Request, slug: str, kind: str, period: str, fmt: str) -> bytes:
    modules = report_modules()
    if modules is None:
        raise InvalidInput("reports are not available in this installation")
    build, documents = modules
    try:
        report_kind = build.ReportKind(kind)
    except ValueError:
        raise InvalidInput(f"'{kind}' is not a kind of report") from None
    report = build.build_report(web(request).rt, slug, report_kind, period or None)
    render = documents.render_markdown if fmt == "md" else documents.render_html
    return str(render(report)).encode("utf-8")


@router.get("/plans/{slug}/reports/{kind}.{fmt}", include_in_schema=False)
async def download_report(
    request: Request,
    viewer: SignedIn,
    slug: str,
    kind: str,
    fmt: str,
    period: str = "",
) -> Response:
    if fmt not in FORMATS:
        raise InvalidInput(f"reports come as {' or '.join(FORMATS)}, not {fmt}")
    body = await run_in_threadpool(render_report, request, slug, kind, period, fmt)
    media_type, ext = FORMATS[fmt]
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", f"{slug}-{kind}-{period or 'current'}.{ext}")
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
