"""How digests leave: the transport the settings name, and the message for a dispatch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from config.logging import get_logger
from config.settings import Settings
from domain.dispatch import Dispatch
from domain.errors import InvalidInput
from domain.reminders import Reminder
from domain.safe_text import escape_hidden
from engine.links import make_action_link
from engine.reminders.items import digest_from
from notifiers.messages import LinkMaker, render_digest
from notifiers.outbox_dir import DirectoryTransport
from notifiers.smtp import SmtpConfigError, SmtpSettings, SmtpTransport
from notifiers.transport import KEY_HEADER, Transport

log = get_logger(__name__)


def make_transport(settings: Settings) -> Transport:
    """SMTP when ACTIONTRAIL_SMTP_URL is set; otherwise .eml files in the outbox folder,
    so that a fresh install runs with nothing else configured."""
    if settings.smtp_url:
        return SmtpTransport(smtp_settings(settings.smtp_url))
    return DirectoryTransport(settings.outbox_dir)


def smtp_settings(url: str) -> SmtpSettings:
    try:
        return SmtpSettings.from_url(url)
    except SmtpConfigError as exc:
        # A setting to correct, not a fault: reported like any refused command.
        raise InvalidInput(f"ACTIONTRAIL_SMTP_URL: {exc}") from None


def describe_transport(settings: Settings) -> str:
    if settings.smtp_url:
        return smtp_settings(settings.smtp_url).describe()
    return f"outbox folder {settings.outbox_dir}"


def action_links(settings: Settings) -> LinkMaker:
    """Each action's link for its recipient: the web application's signed link, which
    signs them in to that one action (``engine.links.make_action_link``). Reminders about
    anything else (an approval, a reporting period) keep the plain address.

    An action's finish and its criteria in one digest share one link, made once. Use a
    new link maker for each message: a link is valid for a week from when it was made.
    """
    made: dict[tuple[str, str, str], str] = {}

    def link(r: Reminder) -> str | None:
        ref = r.subject.action_ref
        if ref is None or not r.recipient.email:
            return None
        key = (r.recipient.email, r.subject.plan_slug, ref)
        found = made.get(key)
        if found is None:
            found = made[key] = make_action_link(settings, *key)
        return found

    return link


@dataclass(frozen=True)
class Rendered:
    message: EmailMessage
    # The reminders that could not be rendered and were left out: "ref (why)".
    left_out: list[str] = field(default_factory=list)


class Renderer:
    """Renders a queued dispatch as its email, at sending time, so links are fresh."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, dispatch: Dispatch, now: datetime) -> EmailMessage:
        return self._render(dispatch, dispatch.items, now)

    def digest(self, dispatch: Dispatch, now: datetime) -> Rendered:
        """The dispatch's email; a reminder in it that cannot be rendered (stored by a
        version that knew other values, say) is left out and named, and the rest goes.
        Raises only when nothing in it can be rendered."""
        try:
            return Rendered(self._render(dispatch, dispatch.items, now))
        except Exception:  # noqa: BLE001  (found item by item below)
            pass
        kept, left_out = [], []
        for item in dispatch.items:
            try:
                self._render(dispatch, [item], now)
            except Exception as exc:  # noqa: BLE001  (whatever it is, it is this item's)
                ref = item.get("ref") if isinstance(item, dict) else None
                left_out.append(f"{escape_hidden(str(ref or '?'))} ({type(exc).__name__}: {exc})")
                continue
            kept.append(item)
        if not kept:
            raise InvalidInput(f"no reminder in {dispatch.key} could be rendered: {left_out[0]}")
        return Rendered(self._render(dispatch, kept, now), left_out)

    def _render(
        self, dispatch: Dispatch, items: list[dict[str, Any]], now: datetime
    ) -> EmailMessage:
        digest = digest_from(dispatch.recipient, dispatch.day, items)
        message = render_digest(
            digest,
            base_url=self.settings.base_url,
            sender=self.settings.mail_from,
            now=now,
            link=action_links(self.settings),
        )
        if digest.key != dispatch.key:
            # The dispatch's own key is what every copy must carry: a digest with an
            # item left out is still that dispatch.
            domain = str(message["Message-ID"]).rpartition("@")[2].rstrip(">")
            message.replace_header("Message-ID", f"<{dispatch.key}@{domain}>")
            message.replace_header(KEY_HEADER, dispatch.key)
        return message
