"""Invitation emails: a one-time link for a new person to set their first password,
sent through the transport the settings name (SMTP, or .eml files in the outbox)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from config.settings import Settings
from domain.errors import DomainError
from engine.service.accounts import INVITATION_DAYS
from engine.web.context import Viewer, web


def invitation_message(
    settings: Settings, email: str, name: str, inviter: str, token: str, plan_title: str | None
) -> EmailMessage:
    link = f"{settings.base_url.rstrip('/')}/invitation/{token}"
    message = EmailMessage()
    message["Subject"] = "You are invited to actiontrail" + (
        f": {plan_title}" if plan_title else ""
    )
    message["From"] = settings.mail_from
    message["To"] = formataddr((name, email))
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    about = f" to work on {plan_title}" if plan_title else ""
    message.set_content(
        f"Dear {name},\n\n"
        f"{inviter} has invited you to actiontrail{about}.\n\n"
        f"Choose your password here (the link works once, for {INVITATION_DAYS} days):\n"
        f"{link}\n\n"
        "Then sign in with your email address and that password.\n"
    )
    return message


async def send_invitation(settings: Settings, message: EmailMessage) -> None:
    """Hands the message to the transport now; a refusal is a clear error, not a crash."""
    from engine.reminders.delivery import make_transport
    from notifiers.transport import Outcome

    [result] = await make_transport(settings).send_batch([message])
    if result.outcome is not Outcome.SENT:
        raise DomainError(
            f"the invitation to {message['To']} could not be sent: {result.detail or 'refused'}"
        )


async def invite(
    request: Request, viewer: Viewer, email: str, name: str, plan_title: str | None
) -> None:
    """Make a one-time link for ``email`` and send it, from the person inviting."""
    state = web(request)
    token = await run_in_threadpool(state.accounts.create_invitation, email, viewer.email)
    message = invitation_message(state.rt.settings, email, name, viewer.name, token, plan_title)
    await send_invitation(state.rt.settings, message)
