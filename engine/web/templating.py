"""Jinja2 pages, autoescaped, with the few filters the templates share."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import HTMLResponse

from domain.clock import london
from domain.safe_text import escape_hidden
from domain.values import with_tentative_mark
from engine.web.security import CSRF_FIELD

TEMPLATES = Path(__file__).parent / "templates"

STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "completed": "Completed",
    "verified": "Verified",
    "deferred": "Deferred",
    "cancelled": "Cancelled",
}
DIRECTION_SIGNS = {"up": "▲", "down": "▼", "same": "▬", "new": "•"}


def day(value: Any) -> str:
    """'31 Aug 2009' from a date or an ISO string."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {value:%b %Y}"


def moment(value: Any) -> str:
    """A recorded time as London reads it."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(london())
    return f"{value.day} {value:%b %Y %H:%M}"


def status_label(value: str | None) -> str:
    return STATUS_LABELS.get(value or "", (value or "").replace("_", " "))


def sentence(value: Any) -> str:
    """A refusal as a sentence: the engine's messages start in lower case, to read
    after 'refused:' on the command line."""
    text = str(value or "").strip()
    return text[:1].upper() + text[1:]


def names(people: list[dict[str, Any]] | None) -> str:
    return "; ".join(p.get("name") or p.get("email") or "" for p in people or [])


def action_url(slug: str, ref: str, suffix: str = "") -> str:
    return f"/plans/{quote(slug, safe='')}/actions/{quote(ref, safe='')}{suffix}"


def plan_url(slug: str, suffix: str = "") -> str:
    return f"/plans/{quote(slug, safe='')}{suffix}"


def link(value: str | None) -> str:
    """Only web addresses become links: a 'javascript:' one would run in the page."""
    text = (value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else "#"


def size(value: int | None) -> str:
    if value is None:
        return ""
    if value < 1024:
        return f"{value} bytes"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value / (1024 * 1024):.1f} MB"


# Line breaks and tabs lay out multi-line text; every other invisible character is shown.
_KEEP = "\n\r\t"


def visible(value: Any) -> Any:
    """Every value a template writes, made to read as it is stored: bidirectional
    overrides, zero-width and other invisible characters are shown as \\uXXXX escapes
    (as the JSON output writes them), so text cannot be made to look like something else.
    Markup was built by these templates, so its text has been through here already; only
    stray invisible characters in it are shown, which no HTML syntax uses."""
    if not isinstance(value, str) or _printable(value):
        return value
    if isinstance(value, Markup):
        return Markup(escape_hidden(str(value), keep=_KEEP))
    return escape_hidden(value, keep=_KEEP)


def _printable(text: str) -> bool:
    # str.isprintable runs in C: a whole cached dashboard is checked in well under a
    # millisecond, and nearly every value is printable.
    return text.replace("\n", "").replace("\r", "").replace("\t", "").isprintable()


def build() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    # Applied to the output of every {{ ... }} in every template, so none can forget it.
    env.finalize = visible
    env.filters.update(
        day=day,
        tentative=with_tentative_mark,
        moment=moment,
        status=status_label,
        sentence=sentence,
        names=names,
        size=size,
        link=link,
        urlencode=lambda d: urlencode({k: v for k, v in d.items() if v}),
    )
    env.globals.update(
        action_url=action_url,
        plan_url=plan_url,
        directions=DIRECTION_SIGNS,
        csrf_field=CSRF_FIELD,
    )
    return templates


_templates: Jinja2Templates | None = None


def templates() -> Jinja2Templates:
    global _templates
    if _templates is None:
        _templates = build()
    return _templates


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    response = templates().TemplateResponse(request, name, context, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return response


def fragment(name: str, context: dict[str, Any]) -> Markup:
    """Part of a page rendered once and cached: it must not depend on who is viewing."""
    return Markup(templates().get_template(name).render(context))
