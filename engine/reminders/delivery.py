"""How digests leave: the transport the settings name, and the message for a dispatch."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from config.logging import get_logger
from config.settings import Settings
from domain.dispatch import Dispatch
from domain.errors import InvalidInput
from domain.reminders import Reminder
from engine.reminders.items import digest_from
from engine.web import make_action_link
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
    signs them in to that one action (``engine.web.make_action_link``). Reminders about
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


class Renderer:
    """Renders a queued dispatch as its email, at sending time, so links are fresh."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, dispatch: Dispatch, now: datetime) -> EmailMessage:
        digest = digest_from(dispatch.recipient, dispatch.day, dispatch.items)
        message = render_digest(
            digest,
            base_url=self.settings.base_url,
            sender=self.settings.mail_from,
            now=now,
            link=action_links(self.settings),
        )
        if digest.key != dispatch.key:
            # Never expected; the dispatch's own key is what every copy must carry.
            log.warning("digest key differs from its dispatch", dispatch=dispatch.key)
            domain = str(message["Message-ID"]).rpartition("@")[2].rstrip(">")
            message.replace_header("Message-ID", f"<{dispatch.key}@{domain}>")
            message.replace_header(KEY_HEADER, dispatch.key)
        return message
