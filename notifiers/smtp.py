"""Sending batches of email over SMTP, reusing a few connections.

A daily run sends one digest per person, often hundreds; opening a connection per
message is slow and trips relay rate limits, so a small pool of connections (4 by
default) each send their share of the batch one message after another.

Every message gets one result:

* sent: the server accepted it (for at least one recipient);
* temporary: nothing was delivered and trying again later may work: the server could
  not be reached, refused the login, replied 4xx, timed out or dropped the
  connection twice (a refused login is a configuration problem, not the message's);
* permanent: the server replied 5xx for this message (unknown recipient, rejected
  content); sending it again will get the same answer.

A connection that drops while a message is in flight is reopened and that message is
sent once more. The server may already have accepted it before dropping, in which
case the recipient gets it twice; the stable Message-ID lets mail clients fold the
copies, and a duplicate reminder does less harm than a lost one.

A connection that cannot be opened, or that times out, is given up for the rest of
the batch: the other connections carry on with the queue, and whatever is left when
none remain is reported as a temporary failure without waiting on a dead or hung
server once per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from enum import Enum
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from config.logging import get_logger
from notifiers.transport import Outcome, ResultHook, SendResult, message_key

log = get_logger(__name__)

Security = Literal["none", "starttls", "tls"]

_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}
USER_ENV = "ACTIONTRAIL_SMTP_USER"
PASSWORD_ENV = "ACTIONTRAIL_SMTP_PASSWORD"
CAFILE_ENV = "ACTIONTRAIL_SMTP_CAFILE"
_OPTIONS = ("timeout", "pool_size", "cafile")


class SmtpConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    pool_size: int = 4
    # PEM certificates to trust instead of the system's (a relay with a certificate of
    # its own, or signed by an in-house authority). The host name is checked either way.
    cafile: str | None = None

    @classmethod
    def from_url(cls, url: str, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """Settings from ``smtp://``, ``smtp+starttls://`` or ``smtps://`` URLs.

        ``smtp://user:pass@host:587`` carries its own credentials (percent-encode
        special characters); otherwise ACTIONTRAIL_SMTP_USER and
        ACTIONTRAIL_SMTP_PASSWORD from ``env`` (the process environment by default)
        are used. ``?timeout=SECONDS&pool_size=N`` tune the transport.
        ``?cafile=PATH`` (or ACTIONTRAIL_SMTP_CAFILE) names PEM certificates to trust
        for ``smtp+starttls://`` and ``smtps://``, for a server whose certificate the
        system does not know. Plain ``smtp://`` never upgrades to TLS: it is meant for
        a relay on a trusted network, and a relay with a self-signed certificate would
        otherwise fail.
        """
        env = os.environ if env is None else env
        shown = _redacted(url)
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise SmtpConfigError(f"invalid SMTP URL {shown}: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            raise SmtpConfigError(
                f"unsupported scheme {scheme!r} in SMTP URL {shown}: "
                "use smtp://, smtp+starttls:// or smtps://"
            )
        if not parts.hostname:
            raise SmtpConfigError(f"SMTP URL {shown} has no host")
        security, default_port = _SCHEMES[scheme]
        username = unquote(parts.username) if parts.username else env.get(USER_ENV) or None
        if parts.password is not None:
            password: str | None = unquote(parts.password)
        else:
            password = env.get(PASSWORD_ENV) or None
        settings = cls(
            host=parts.hostname,
            port=port or default_port,
            security=security,
            username=username,
            password=password,
            cafile=env.get(CAFILE_ENV) or None,
        )
        settings = _with_query(settings, parts.query, shown)
        if settings.cafile is not None:
            _check_cafile(settings, shown)
        return settings

    def describe(self) -> str:
        trusting = f", trusting {self.cafile}" if self.cafile else ""
        how = {"starttls": " with STARTTLS", "tls": " over TLS"}.get(self.security, "")
        return f"SMTP at {self.host}:{self.port}{how}{trusting}"


def _check_cafile(settings: SmtpSettings, shown: str) -> None:
    cafile = settings.cafile
    if settings.security == "none":
        raise SmtpConfigError(
            f"SMTP URL {shown} names a cafile but plain smtp:// never uses TLS: "
            "use smtp+starttls:// or smtps://"
        )
    if not os.path.isfile(str(cafile)):
        raise SmtpConfigError(f"cafile {cafile!r} for SMTP URL {shown} does not exist")
    try:
        ssl.create_default_context(cafile=cafile)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise SmtpConfigError(
            f"cafile {cafile!r} for SMTP URL {shown} holds no usable PEM certificate: {exc}"
        ) from None


def _redacted(url: str) -> str:
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()
    except ValueError:
        return "<unparseable URL>"


def _with_query(settings: SmtpSettings, query: str, shown: str) -> SmtpSettings:
    options = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise SmtpConfigError(
            f"unknown option {unknown[0]!r} in SMTP URL {shown}: use timeout, pool_size or cafile"
        )
    if "cafile" in options:
        settings = replace(settings, cafile=options["cafile"][-1] or None)
    timeout, pool_size = settings.timeout, settings.pool_size
    try:
        if "timeout" in options:
            timeout = float(options["timeout"][-1])
        if "pool_size" in options:
            pool_size = max(1, int(options["pool_size"][-1]))
    except ValueError:
        raise SmtpConfigError(
            f"timeout and pool_size in SMTP URL {shown} must be numbers"
        ) from None
    return replace(settings, timeout=timeout, pool_size=pool_size)


class SmtpTransport:
    def __init__(
        self,
        settings: SmtpSettings,
        *,
        pool_size: int | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.settings = settings
        self.pool_size = max(1, pool_size or settings.pool_size)
        self.local_hostname = local_hostname

    async def send_batch(
        self, messages: list[EmailMessage], on_result: ResultHook | None = None
    ) -> list[SendResult]:
        batch = _Batch(messages, on_result)
        workers = min(self.pool_size, len(messages))
        await asyncio.gather(*(self._work(batch) for _ in range(workers)))
        results = batch.finish()
        log.info(
            "smtp batch delivered",
            server=self.settings.describe(),
            connections=batch.connections,
            **{o.value: sum(r.outcome is o for r in results) for o in Outcome},
        )
        return results

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            timeout=s.timeout,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",
            cert_bundle=s.cafile if s.security != "none" else None,
            local_hostname=self.local_hostname,
        )

    async def _connect(self) -> aiosmtplib.SMTP:
        client = self._client()
        try:
            await client.connect()
        except BaseException:
            _close(client)  # a refused login leaves the socket open
            raise
        return client

    async def _work(self, batch: _Batch) -> None:
        """Send from the shared queue over one connection, reopening it after a drop.

        A worker that cannot open a connection hands its message back and stops, so a
        server that allows fewer connections than the pool still gets the whole batch.
        """
        client: aiosmtplib.SMTP | None = None
        try:
            while batch.queue:
                index = batch.queue.popleft()
                if client is None:
                    try:
                        client = await self._connect()
                        batch.connections += 1
                    except (aiosmtplib.SMTPException, OSError) as exc:
                        batch.queue.appendleft(index)
                        batch.stop_reason = _describe(exc)
                        log.warning(
                            "smtp connect failed",
                            server=self.settings.describe(),
                            error=batch.stop_reason,
                        )
                        return
                result, after = await _send_one(client, batch.messages[index])
                if after is _After.KEEP:
                    batch.settle(index, result)
                    continue
                _close(client)
                client = None
                batch.drops[index] += 1
                if after is _After.REOPEN and batch.drops[index] == 1:
                    batch.queue.appendleft(index)  # once more, on a fresh connection
                    continue
                batch.settle(index, result)
                if after is _After.GIVE_UP:
                    # A server this slow is unlikely to answer the next message any
                    # faster, and each try would cost another full timeout.
                    batch.stop_reason = result.detail
                    return
        finally:
            if client is not None:
                await _quit(client)


class _Batch:
    def __init__(self, messages: list[EmailMessage], on_result: ResultHook | None) -> None:
        self.messages = messages
        self.on_result = on_result
        self.queue: deque[int] = deque(range(len(messages)))
        self.results: list[SendResult | None] = [None] * len(messages)
        self.drops = [0] * len(messages)
        self.stop_reason: str | None = None
        self.connections = 0

    def settle(self, index: int, result: SendResult) -> None:
        """The message's result is final: keep it and tell the caller at once (which
        records it before this worker sends another)."""
        self.results[index] = result
        if self.on_result is not None:
            self.on_result(index, result)

    def finish(self) -> list[SendResult]:
        reason = self.stop_reason or "not attempted"
        for index, (r, m) in enumerate(zip(self.results, self.messages, strict=True)):
            if r is None:
                self.settle(
                    index, SendResult(message_key(m), Outcome.TEMPORARY, f"not sent: {reason}")
                )
        return [r for r in self.results if r is not None]


class _After(Enum):
    """What a send outcome means for the connection it was sent on."""

    KEEP = "keep"  # still good for the next message
    REOPEN = "reopen"  # gone: open another and try this message once more
    GIVE_UP = "give_up"  # timed out: this worker stops


async def _send_one(client: aiosmtplib.SMTP, message: EmailMessage) -> tuple[SendResult, _After]:
    key = message_key(message)
    try:
        refused, reply = await client.send_message(message)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        outcome = Outcome.PERMANENT if all(c >= 500 for c in codes) else Outcome.TEMPORARY
        return SendResult(key, outcome, detail, min(codes, default=None)), _After.KEEP
    except aiosmtplib.SMTPTimeoutError as exc:
        return SendResult(key, Outcome.TEMPORARY, _describe(exc)), _After.GIVE_UP
    except aiosmtplib.SMTPResponseException as exc:
        outcome = Outcome.PERMANENT if exc.code >= 500 else Outcome.TEMPORARY
        # 421: the server is closing the connection, possibly for a restart.
        lost = exc.code == 421 or not client.is_connected
        return SendResult(key, outcome, exc.message, exc.code), (
            _After.REOPEN if lost else _After.KEEP
        )
    except (aiosmtplib.SMTPServerDisconnected, ConnectionError, OSError) as exc:
        return SendResult(key, Outcome.TEMPORARY, _describe(exc)), _After.REOPEN
    except (ValueError, aiosmtplib.SMTPNotSupported) as exc:
        # An address that cannot be put in an envelope: it will never go.
        return SendResult(key, Outcome.PERMANENT, _describe(exc)), _After.KEEP
    refused_detail = {addr: f"{r.code} {r.message}" for addr, r in refused.items()}
    return SendResult(key, Outcome.SENT, reply, refused=refused_detail), _After.KEEP


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def _close(client: aiosmtplib.SMTP) -> None:
    # An already broken connection may fail to close; it is being dropped either way.
    with contextlib.suppress(Exception):
        client.close()


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        _close(client)
