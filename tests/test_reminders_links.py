"""A reminder's link into an action is the web application's signed sign-in link: sent
through a real SMTP server, it opens that one action and nothing else."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from urllib.parse import urlsplit

import httpx
import pytest

from domain.clock import FixedClock
from domain.values import Person
from engine.reminders.dispatcher import Dispatcher
from engine.runtime import Runtime
from engine.service.accounts import Accounts
from engine.web.app import create_app
from engine.web.security import LinkScope, Signer
from tests.conftest import LEAD, LEAD2
from tests.test_reminders_support import (
    SLUG,
    MailServer,
    at,
    bodies,
    calendar_of,
    setup_plan,
    simple_action,
)

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

DAY = date(2009, 6, 30)  # a Tuesday


def links_in(body: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", body)


def test_a_sent_reminder_links_to_its_action_with_a_signed_sign_in_link(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(
        rt,
        simple_action("1.1", DAY),
        simple_action("1.2", DAY, leads=[Person("Liz Lead", LEAD2)]),
    )
    clock.set(at(DAY))
    Dispatcher(rt, server.transport()).run(DAY)

    (msg,) = server.inbox.to(LEAD)
    text, html = bodies(msg)
    base = rt.settings.base_url.rstrip("/")
    (link,) = [u for u in links_in(text) if "/link/" in u]
    assert link.startswith(f"{base}/link/")
    assert f'href="{link}"' in html
    assert f"{base}/plans/{SLUG}/actions/1.1" not in text  # the signed link replaces it

    token = link.rsplit("/", 1)[1]
    signer = Signer(Accounts(rt.engine).secret_key(rt.settings.secret_key))
    assert signer.load_link(token) == (LEAD, LinkScope(SLUG, "1.1"), 0)

    # The calendar entry outlives any sign-in link: it keeps the plain address.
    cal = calendar_of(msg)
    assert cal is not None
    assert [str(e["URL"]) for e in cal.walk("VEVENT")] == [f"{base}/plans/{SLUG}/actions/1.1"]

    # Followed in the web application, the link opens 1.1 and only 1.1.
    assert asyncio.run(follow(rt, urlsplit(link).path)) == (
        f"/plans/{SLUG}/actions/1.1",
        200,
        403,
    )


async def follow(rt: Runtime, path: str) -> tuple[str, int, int]:
    """Where the link leads, and what its session may then open: its action, another."""
    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url=rt.settings.base_url) as browser:
        opened = await browser.get(path)
        assert opened.status_code == 303
        own = await browser.get(opened.headers["location"])
        other = await browser.get(f"/plans/{SLUG}/actions/1.2")
        return opened.headers["location"], own.status_code, other.status_code
