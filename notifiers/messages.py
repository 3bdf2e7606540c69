"""A digest rendered as an email: plain text, HTML and a calendar of its deadlines."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path

import icalendar
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.reminders import Digest, Reminder, Rule, Section, Subject
from domain.values import Rag
from notifiers.transport import KEY_HEADER

_TEMPLATES = Path(__file__).parent / "templates"

# A link for one reminder to its recipient (a sign-in link, say), or None for the plain
# address of the thing it is about.
LinkMaker = Callable[[Reminder], str | None]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_KIND_LABELS = {
    "action": "Action",
    "milestone": "Milestone",
    "criterion": "Success criterion",
    "governance": "Governance document",
    "period": "Progress update",
}
_RAG_LABELS = {
    Rag.GREY: "Grey (not due to start)",
    Rag.RED: "Red",
    Rag.AMBER: "Amber",
    Rag.GREEN: "Green",
    Rag.COMPLETE: "Complete (awaiting verification)",
    Rag.BLUE: "Blue (complete, criteria met)",
}
_RAG_COLOURS = {
    Rag.GREY: ("#b1b4b6", "#0b0c0c"),
    Rag.RED: ("#d4351c", "#ffffff"),
    Rag.AMBER: ("#f47738", "#0b0c0c"),
    Rag.GREEN: ("#00703c", "#ffffff"),
    Rag.COMPLETE: ("#85994b", "#0b0c0c"),
    Rag.BLUE: ("#1d70b8", "#ffffff"),
}


def format_day(d: date) -> str:
    """'30 Jun 2009', independent of the machine's locale."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


@dataclass(frozen=True)
class _Item:
    plan: str
    ref: str
    title: str
    what: str
    when: str
    rag: str
    rag_value: str
    rag_colour: str
    rag_text_colour: str
    note: str
    url: str


@dataclass(frozen=True)
class _SectionView:
    heading: str
    items: list[_Item]


def render_digest(
    digest: Digest,
    *,
    base_url: str,
    sender: str,
    now: datetime | None = None,
    link: LinkMaker | None = None,
) -> EmailMessage:
    """The digest as multipart/alternative text and HTML, with a calendar attachment.

    ``now`` sets the Date header and the calendar's timestamps; it defaults to the
    current time. ``link`` gives each item's link in the text and HTML; the calendar
    keeps the plain address, since a calendar entry outlives any sign-in link.
    Everything else depends only on the digest, so rendering the same digest twice
    gives the same Message-ID and key.
    """
    now = now or datetime.now(UTC)
    day = format_day(digest.day)
    subject = f"Improvement plan reminders for {day}: {_summary(digest)}"
    context = {
        "subject": subject,
        "recipient_name": digest.recipient.name,
        "day": day,
        "sections": [
            _SectionView(s.heading, [_item(r, base_url, link) for r in s.reminders])
            for s in digest.sections
        ],
    }
    env = _environment()
    text = env.get_template("digest.txt.j2").render(context)
    html = env.get_template("digest.html.j2").render(context)

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = formataddr((digest.recipient.name, digest.recipient.email or ""))
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<{digest.key}@{_domain_of(sender)}>"
    msg[KEY_HEADER] = digest.key
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    calendar = _calendar(digest, base_url, now)
    if calendar is not None:
        msg.add_attachment(
            calendar,
            subtype="calendar",
            filename="deadlines.ics",
            params={"method": "PUBLISH"},
        )
    return msg


def _summary(digest: Digest) -> str:
    counts = [f"{len(s.reminders)} {s.heading.lower()}" for s in digest.sections]
    return ", ".join(counts)


def _domain_of(sender: str) -> str:
    _, address = parseaddr(sender)
    return address.rpartition("@")[2] or "actiontrail.invalid"


def _url(base_url: str, path: str | None) -> str:
    if not path:
        return ""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def _item(r: Reminder, base_url: str, link: LinkMaker | None) -> _Item:
    s = r.subject
    url = (link(r) if link else None) or _url(base_url, s.url_path)
    rag_colour, rag_text = _RAG_COLOURS[s.rag] if s.rag else ("", "")
    return _Item(
        plan=s.plan_title or s.plan_slug,
        ref=s.ref,
        title=s.title,
        what=_what(s),
        when=format_day(s.due) if s.due else "",
        rag=_rag_label(s),
        rag_value=s.rag.value if s.rag else "",
        rag_colour=rag_colour,
        rag_text_colour=rag_text,
        note=why(r),
        url=url,
    )


def _rag_label(s: Subject) -> str:
    if s.rag is not None:
        return _RAG_LABELS[s.rag]
    # Only deadlines carry a status; periods and approvals have no RAG to show.
    return "Not yet rated" if s.status is not None else ""


def _what(s: Subject) -> str:
    label = _KIND_LABELS.get(s.kind, s.kind.capitalize())
    if s.version is not None:
        return f"{label}, version {s.version}"
    return label


def why(r: Reminder) -> str:
    """Why the recipient is reminded, in the words the email uses."""
    s = r.subject
    if r.section is Section.OVERDUE:
        days = r.days_overdue or 0
        note = f"{days} day{'s' if days != 1 else ''} overdue"
        if r.rule is Rule.ESCALATION:
            leads = ", ".join(p.name for p in s.leads) or "no lead named"
            note += f"; escalated to you as accountable officer (lead: {leads})"
        return note
    if r.section is Section.DUE:
        left = r.working_days_left or 0
        if left:
            return f"Due in {left} working day{'s' if left != 1 else ''}"
        if s.due == r.day:
            return "Due today"
        return "Due on a non-working day: today is the last working day before it"
    if r.section is Section.UPDATE:
        return "Please update the progress and RAG of your open actions before the period closes"
    if r.section is Section.APPROVAL:
        since = format_day(s.since) if s.since else "an earlier date"
        days = r.days_waiting or 0
        return f"Awaiting approval for {s.agency} since {since} ({days} days)"
    since = format_day(s.since) if s.since else "today"
    return f"Approved by every agency; ready for board sign-off since {since}"


def _calendar(digest: Digest, base_url: str, now: datetime) -> str | None:
    subjects: dict[str, Subject] = {}
    for r in digest.reminders:
        if r.subject.due is not None:
            subjects.setdefault(r.subject.identity, r.subject)
    if not subjects:
        return None
    cal = icalendar.Calendar()
    cal.add("prodid", "-//actiontrail//improvement plan deadlines//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    for identity, s in subjects.items():
        assert s.due is not None
        event = icalendar.Event()
        event.add("uid", event_uid(identity))
        event.add("dtstamp", now)
        event.add("dtstart", s.due)
        event.add("dtend", s.due + timedelta(days=1))
        event.add("summary", f"{s.ref} {s.title}")
        url = _url(base_url, s.url_path)
        description = f"{s.plan_title or s.plan_slug}: {_what(s)} {s.ref} due"
        event.add("description", f"{description}\n{url}" if url else description)
        if url:
            event.add("url", url)
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def event_uid(subject_identity: str) -> str:
    """Calendar UID for a subject, the same in every digest and for every recipient.

    The due date is deliberately left out so that a moved deadline updates the
    existing calendar entry rather than adding a second one.
    """
    digest = hashlib.sha256(subject_identity.encode("utf-8")).hexdigest()[:32]
    return f"{digest}@actiontrail"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
