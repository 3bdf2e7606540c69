"""What the reminder tests share: a plan on a simulated clock, a real SMTP server on a
loopback port, and a way to live through a run of days."""

from __future__ import annotations

import asyncio
import email
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import icalendar
from aiosmtpd.controller import Controller

from domain.clock import FixedClock, london
from domain.values import Person
from engine.reminders.dispatcher import DispatchConfig, Dispatcher
from engine.runtime import Runtime
from notifiers.smtp import SmtpSettings, SmtpTransport
from tests.conftest import ADMIN, AGENCIES, action_spec, people
from tests.test_smtp_delivery import free_port

SLUG = "plan"


class Inbox:
    """An aiosmtpd handler that keeps every message, and refuses or stalls on request."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refuse: dict[str, str] = {}  # recipient -> SMTP reply
        self.hang_at: int | None = None  # never answer the DATA with this number
        self.hanging = threading.Event()
        self.data_count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_count += 1
            count = self.data_count
        if self.hang_at is not None and count == self.hang_at:
            self.hanging.set()
            await asyncio.sleep(3600)  # until the server is stopped under us
        msg = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        return [r for rcpts, _ in self.received for r in rcpts]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.received if address in rcpts]


class MailServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def transport(self, **changes: Any) -> SmtpTransport:
        settings = SmtpSettings(host="127.0.0.1", port=self.port, **{"timeout": 10.0, **changes})
        return SmtpTransport(settings)


def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


def at(day: date, hour: int = 8) -> datetime:
    """A London time on ``day``, as the clock gives it (UTC)."""
    return datetime.combine(day, time(hour), tzinfo=london()).astimezone(UTC)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def setup_plan(rt: Runtime, *specs: Any, agencies: list[str] | None = None) -> None:
    """The usual cast of users and a plan whose actions are ``specs``."""
    people(rt)
    rt.app.create_plan(ADMIN, SLUG, "Safeguarding plan", agencies=agencies or AGENCIES)
    rt.app.add_group(ADMIN, SLUG, "1", "Recommendation 1")
    for spec in specs:
        rt.app.add_action(ADMIN, SLUG, spec)


def simple_action(ref: str, finish: date, **kw: Any) -> Any:
    """An action with a finish date and no dated criteria, so only the finish reminds."""
    return action_spec(ref, plan_finish=finish, success_criteria=[], **kw)


@dataclass
class Days:
    """Lives through days one at a time: at the digest hour, queue and send."""

    rt: Runtime
    clock: FixedClock
    dispatcher: Dispatcher
    received: dict[date, list[tuple[str, EmailMessage]]] = field(default_factory=dict)

    @classmethod
    def over(cls, rt: Runtime, clock: FixedClock, server: MailServer, **config: Any) -> Days:
        return cls(rt, clock, Dispatcher(rt, server.transport(), config=DispatchConfig(**config)))

    def live(self, day: date, server: MailServer) -> list[tuple[str, EmailMessage]]:
        self.clock.set(at(day))
        before = len(server.inbox.received)
        self.dispatcher.run(day)
        new = [(r, m) for rcpts, m in server.inbox.received[before:] for r in rcpts]
        self.received[day] = new
        return new

    def through(self, start: date, end: date, server: MailServer) -> None:
        for day in days(start, end):
            self.live(day, server)

    def days_for(self, address: str, about: str | None = None) -> list[date]:
        """The days ``address`` got a digest; with ``about``, one whose subject names it
        ("due soon", "overdue", "progress updates requested", ...)."""
        return [
            d
            for d, got in self.received.items()
            for r, m in got
            if r == address and (about is None or about in str(m["Subject"]))
        ]


def person(name: str, email_address: str) -> Person:
    return Person(name, email_address, "Council")


def calendar_of(msg: EmailMessage) -> icalendar.Calendar | None:
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(parts[0].get_content()) if parts else None


def bodies(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())
