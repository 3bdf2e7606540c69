"""Pages about the service itself: the accessibility statement, open to anyone."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from engine.web.context import viewer_if_signed_in, web
from engine.web.pages import page

router = APIRouter()

# Shown when no contact is configured: someone every organisation running it has.
DEFAULT_CONTACT = "the administrator of actiontrail in your organisation"


def contact_link(contact: str) -> str | None:
    """A mailto: or web address for the contact, when it is one; text otherwise."""
    value = contact.strip()
    if value.lower().startswith(("https://", "http://")):
        return value
    if "@" in value and " " not in value:
        return f"mailto:{value}"
    return None


@router.get("/accessibility", include_in_schema=False)
async def accessibility(request: Request) -> Response:
    """Readable signed out: the Regulations ask for a statement anyone can find."""
    viewer = await run_in_threadpool(viewer_if_signed_in, request)
    contact = web(request).rt.settings.accessibility_contact or DEFAULT_CONTACT
    return page(
        request,
        viewer,
        "accessibility.html",
        {"contact": contact, "contact_href": contact_link(contact), "active": "accessibility"},
    )
