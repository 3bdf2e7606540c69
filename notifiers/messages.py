"""A digest rendered as an email: plain text, HTML and a calendar of its deadlines."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy, Policy
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

import icalendar
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from domain.clock import london
from domain.rag_rules import rag_label
from domain.reminders import Digest, Reminder, Rule, Section, Subject
from domain.safe_text import one_line, shown_text
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
    rag_reported: str  # "reported Green" when the lead's own rating differs from the shown
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
    sent_on = now.astimezone(london()).date()
    context = {
        "subject": subject,
        "recipient_name": digest.recipient.name,
        "day": day,
        # A digest sent after its day (the scheduler was down, the server unreachable)
        # says so: its "due today" was about that day.
        "sent_late_on": format_day(sent_on) if sent_on > digest.day else "",
        "sections": [
            _SectionView(s.heading, [_item(r, base_url, link) for r in s.reminders])
            for s in digest.sections
        ],
    }
    text_template, html_template = _templates()
    text = text_template.render(context)
    html = html_template.render(context)
    calendar = _calendar(digest, base_url, now)

    msg = EmailMessage(policy=POLICY)
    # Addresses only through the standard library's Address, which refuses a line
    # break; a name is put on one line first (its breaks escaped, as shown_text would
    # show them), so a name holding CR/LF can neither inject a header nor fail the digest.
    msg["From"] = str(sender_address(sender))
    msg["To"] = Address(
        display_name=one_line(digest.recipient.name), addr_spec=digest.recipient.email or ""
    )
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<{digest.key}@{_domain_of(sender)}>"
    msg[KEY_HEADER] = digest.key
    msg.set_content(text)
    bodies = (text, html, calendar or "")
    msg.make_alternative(boundary=_boundary(digest.key, "alternative", bodies))
    msg.add_alternative(html, subtype="html")
    if calendar is not None:
        msg.make_mixed(boundary=_boundary(digest.key, "mixed", bodies))
        msg.add_attachment(
            calendar,
            subtype="calendar",
            filename="deadlines.ics",
            params={"method": "PUBLISH"},
        )
    return msg


def sender_address(sender: str) -> Address:
    """The From address a setting such as 'Plans <plans@council.example>' names."""
    name, address = parseaddr(sender)
    return Address(display_name=one_line(name), addr_spec=address or sender.strip())


def _boundary(key: str, kind: str, bodies: tuple[str, ...]) -> str | None:
    """A boundary named after the digest, so that the same digest gives the same bytes
    (and no boundary has to be made, and searched for, when it is sent). None, for a
    random one, in the unlikely case a body holds it."""
    boundary = f"==at-{kind[:3]}-{key[:16]}=="
    return None if any(boundary in b for b in bodies) else boundary


# --- a policy that parses each repeated header once ------------------------------------
#
# The standard policy parses every header as it is set and again as it is written out,
# which was most of the time spent rendering a digest, though the MIME headers of each
# part (Content-Type, Content-Transfer-Encoding, ...) are the same in every message.
# This policy keeps one parsed header per repeated value, folds each header once per
# way of writing it, and keeps short ASCII values as given. The message written is the
# standard policy's, except that a name already encoded by formataddr stays encoded the
# way formataddr encoded it.

_REPEATED = frozenset(
    {"content-type", "content-transfer-encoding", "content-disposition", "mime-version",
     "from"}
)  # fmt: skip
_MEMO_LIMIT = 4096


class _FoldedOnce(BaseHeader):
    """A header that remembers how it was folded, for each way of folding."""

    def fold(self, *, policy: Policy) -> str:
        key = (policy.linesep, policy.max_line_length, getattr(policy, "utf8", False))
        cache: dict[tuple[Any, ...], str] = self.__dict__.setdefault("_folded", {})
        folded = cache.get(key)
        if folded is None:
            folded = cache[key] = super().fold(policy=policy)
        return folded


class _Headers(HeaderRegistry):
    def __init__(self) -> None:
        super().__init__(base_class=_FoldedOnce)
        self._memo: dict[tuple[str, str], Any] = {}
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        # The standard registry makes a new class for every header it parses.
        lower = name.lower()
        cls = self._classes.get(lower)
        if cls is None:
            cls = self._classes[lower] = super().__getitem__(lower)
        return cls

    def __call__(self, name: str, value: str) -> Any:
        lower = name.lower()
        if lower not in _REPEATED:
            return super().__call__(name, value)
        key = (lower, value)
        header = self._memo.get(key)
        if header is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            header = self._memo[key] = super().__call__(name, value)
        return header


class _Policy(EmailPolicy):
    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        # A short single-line ASCII value is written out exactly as given, so it is kept
        # as text and parsed only if it is read back (as a message parsed from bytes
        # keeps its headers). The MIME headers, which writing a message reads, and
        # anything else are parsed, validated and folded as usual.
        if (
            type(value) is str
            and not name.lower().startswith(("content-", "mime-"))
            and value.isascii()
            and len(name) + len(value) + 2 <= (self.max_line_length or 78)
            and "\r" not in value
            and "\n" not in value
        ):
            return (name, value)
        stored: tuple[str, Any] = super().header_store_parse(name, value)
        return stored


# Messages are built with it; they are written out with SMTP's line endings.
POLICY = _Policy(header_factory=_Headers())


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
        rag_reported=(
            f"reported {rag_label(s.reported_rag)}"
            if s.reported_rag is not None and s.rag is not None and s.reported_rag != s.rag
            else ""
        ),
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
        # Told once a week with the whole list, so each item says how long it has been
        # overdue: in days, and in whole weeks once it is a week or more.
        days = r.days_overdue or 0
        weeks = days // 7
        note = f"{days} day{'s' if days != 1 else ''} overdue"
        if weeks:
            note += f" ({weeks} week{'s' if weeks != 1 else ''})"
        if r.rule is Rule.ESCALATION:
            leads = ", ".join(p.name for p in s.leads) or "no lead named"
            if r.fallback:
                note += (
                    "; escalated to you as the plan's owner or an admin: the action names "
                    f"no accountable officer (lead: {leads})"
                )
            else:
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
    """One all-day event per dated subject. The same deadline is in the digests of each
    of its leads, of its accountable officer and of every rung of its ladder, so each
    event is serialised once and kept; only its DTSTAMP changes from one batch to the
    next."""
    subjects: dict[str, Subject] = {}
    for r in digest.reminders:
        if r.subject.due is not None:
            subjects.setdefault(r.subject.identity, r.subject)
    if not subjects:
        return None
    stamp = _dtstamp_line(now)
    parts = [_CALENDAR_HEAD]
    for identity, s in subjects.items():
        assert s.due is not None
        url = _url(base_url, s.url_path)
        description = f"{s.plan_title or s.plan_slug}: {_what(s)} {s.ref} due"
        before, after = _event_lines(
            identity,
            s.due,
            shown_text(f"{s.ref} {s.title}"),
            shown_text(f"{description}\n{url}" if url else description),
            url,
        )
        parts += ("BEGIN:VEVENT\r\n", before, stamp, after, "END:VEVENT\r\n")
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)


def _component_lines(component: icalendar.cal.component.Component) -> str:
    """A component's content lines, without its BEGIN and END lines."""
    text: str = component.to_ical().decode("utf-8")
    lines = text.split("\r\n", 1)[1]
    return lines[: lines.rindex("END:")]


def _calendar_head() -> str:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//actiontrail//improvement plan deadlines//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    return "BEGIN:VCALENDAR\r\n" + _component_lines(cal)


_CALENDAR_HEAD = _calendar_head()


@lru_cache(maxsize=16)
def _dtstamp_line(now: datetime) -> str:
    event = icalendar.Event()
    event.add("dtstamp", now)
    return _component_lines(event)


@lru_cache(maxsize=20_000)
def _event_lines(
    identity: str, due: date, summary: str, description: str, url: str
) -> tuple[str, str]:
    """The event's lines before its DTSTAMP and after it, in icalendar's order."""
    before = icalendar.Event()
    before.add("summary", summary)
    before.add("dtstart", due)
    before.add("dtend", due + timedelta(days=1))
    after = icalendar.Event()
    after.add("uid", event_uid(identity))
    after.add("description", description)
    if url:
        after.add("url", url)
    after.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    return _component_lines(before), _component_lines(after)


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
        # Every value written, in both parts, as every output shows what people wrote:
        # bidirectional overrides and other invisible characters made visible.
        finalize=shown_text,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the templates ship with the code; never look at the files again
    )


@lru_cache(maxsize=1)
def _templates() -> tuple[Template, Template]:
    env = _environment()
    return env.get_template("digest.txt.j2"), env.get_template("digest.html.j2")
