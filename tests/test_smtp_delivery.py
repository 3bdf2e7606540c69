"""Digests rendered and delivered to a real SMTP server running on a loopback port."""

from __future__ import annotations

import asyncio
import email
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from domain.reminders import Deadline, Digest, build_digests, reminders_due
from domain.values import Person, Rag, ReminderPolicy, Status
from notifiers.messages import event_uid, render_digest
from notifiers.outbox_dir import DirectoryTransport
from notifiers.smtp import SmtpConfigError, SmtpSettings, SmtpTransport
from notifiers.transport import KEY_HEADER, Outcome, SendResult

BASE_URL = "https://plans.example.gov.uk"
SENDER = "Improvement plans <plans@example.gov.uk>"
DAY = date(2009, 6, 29)  # a Monday: the week's overdue day


# --- a real SMTP server -----------------------------------------------------------


class Mailbox:
    """aiosmtpd handler that keeps what it accepts and misbehaves on request."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refuse: dict[str, str] = {}  # recipient -> reply
        self.drop_after: int | None = None  # close each connection at this message
        self.hang_at: int | None = None  # never answer the message with this number
        self.hanging = threading.Event()
        self.data_count = 0
        self._per_session: dict[int, int] = {}
        self.over_tls: list[bool] = []  # for each message accepted: did it come over TLS

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_count += 1
        if self.hang_at is not None and self.data_count == self.hang_at:
            self.hanging.set()
            await asyncio.sleep(3600)  # until the server is stopped under us
        n = self._per_session[id(session)] = self._per_session.get(id(session), 0) + 1
        if self.drop_after is not None and n == self.drop_after:
            server.transport.close()
            return "421 closing connection"
        msg = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(msg, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), msg))
        self.over_tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        return [r for rcpts, _ in self.received for r in rcpts]


@contextmanager
def stopped_at_message(number: int, box: Any, stop: Callable[[], None]) -> Iterator[None]:
    """The server (its Mailbox or Inbox and how to stop it) leaves message `number`
    unanswered and is stopped while it holds it; the block sends, and the server has
    been stopped when the block ends."""
    box.hang_at = number

    def stop_when_hanging() -> None:
        box.hanging.wait(30)
        stop()

    stopper = threading.Thread(target=stop_when_hanging)
    stopper.start()
    yield
    stopper.join()


class CountingController(Controller):
    connections = 0

    def factory(self) -> Any:
        self.connections += 1
        return super().factory()


class SmtpServer:
    def __init__(self, port: int, **smtp_kwargs: Any) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.smtp_kwargs = smtp_kwargs
        self.controller: CountingController | None = None
        self.connections = 0

    def start(self) -> None:
        self.controller = CountingController(
            self.mailbox, hostname="127.0.0.1", port=self.port, **self.smtp_kwargs
        )
        self.controller.start()
        self.controller.connections = 0  # not the start-up probe

    def stop(self) -> None:
        if self.controller is not None:
            self.connections += self.controller.connections
            self.controller.stop()
            self.controller = None

    def total_connections(self) -> int:
        return self.connections + (self.controller.connections if self.controller else 0)

    def settings(self, **changes: Any) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, **{"timeout": 10.0, **changes})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


# --- what gets sent -----------------------------------------------------------------

LEADS = [Person(f"Lead {i}", f"lead{i}@council.gov.uk") for i in range(3)]
OFFICER = Person("Dana Director", "dana@council.gov.uk")
OFFICER_EMAIL = "dana@council.gov.uk"


def plan_deadlines() -> list[Deadline]:
    def dl(ref: str, due: date, lead: Person, title: str = "", rag: Rag = Rag.AMBER) -> Deadline:
        return Deadline("cyps", "Children's Services Improvement Plan", "action", ref,
                        title or f"Action {ref}", due, [lead], OFFICER, Status.IN_PROGRESS, rag,
                        f"/plans/cyps/actions/{ref}")

    return [
        dl("2.1", DAY, LEADS[0], "Recruit & retain <qualified> social workers"),
        dl("1.4", date(2009, 6, 15), LEADS[0], rag=Rag.RED),  # 14 days overdue
        dl("3.2", DAY, LEADS[1]),
        dl("3.3", date(2009, 7, 2), LEADS[2], rag=Rag.GREEN),  # 3 working days
        dl("9.9", DAY, LEADS[2]),
    ]


def digests_for_plan() -> list[Digest]:
    found = reminders_due(DAY, plan_deadlines(), [], [], [], ReminderPolicy())
    return build_digests(found)


def render_all(digests: list[Digest]) -> list[EmailMessage]:
    now = datetime(2009, 6, 29, 7, 0, tzinfo=UTC)
    return [render_digest(d, base_url=BASE_URL, sender=SENDER, now=now) for d in digests]


def bulk_messages(n: int) -> list[EmailMessage]:
    digests = []
    for i in range(n):
        person = Person(f"Person {i}", f"person{i}@council.gov.uk")
        dl = Deadline("cyps", "Plan", "action", f"{i}", f"Action {i}", DAY, [person], None,
                      Status.IN_PROGRESS, Rag.GREEN, f"/a/{i}")
        digests += build_digests(reminders_due(DAY, [dl], [], [], [], ReminderPolicy()))
    return render_all(digests)


def send(transport: Any, messages: list[EmailMessage]) -> list[SendResult]:
    results: list[SendResult] = asyncio.run(transport.send_batch(messages))
    return results


def to(msg: EmailMessage) -> str:
    return str(msg["To"].addresses[0].addr_spec)


def parts(msg: EmailMessage) -> tuple[str, str, icalendar.Calendar | None]:
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    calendars = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    cal = icalendar.Calendar.from_ical(calendars[0].get_content()) if calendars else None
    return text.get_content(), html.get_content(), cal


# --- delivery of rendered digests ---------------------------------------------------


def test_one_digest_per_person_arrives_with_text_html_and_calendar(
    smtp_server: SmtpServer,
) -> None:
    messages = render_all(digests_for_plan())
    results = send(SmtpTransport(smtp_server.settings()), messages)

    assert [r.outcome for r in results] == [Outcome.SENT] * 4
    received = {rcpts[0]: msg for rcpts, msg in smtp_server.mailbox.received}
    assert sorted(smtp_server.mailbox.recipients()) == sorted(
        [OFFICER_EMAIL, "lead0@council.gov.uk", "lead1@council.gov.uk", "lead2@council.gov.uk"]
    )

    lead0 = received["lead0@council.gov.uk"]
    assert lead0["Subject"] == "Improvement plan reminders for 29 Jun 2009: 1 overdue, 1 due soon"
    assert lead0["From"] == SENDER
    assert lead0["To"] == "Lead 0 <lead0@council.gov.uk>"
    text, html, cal = parts(lead0)
    assert text.index("OVERDUE") < text.index("DUE SOON")
    for body in (text, html):
        assert "Children's Services Improvement Plan" in body or (
            "Children&#39;s Services Improvement Plan" in body
        )
        assert "2.1" in body and "1.4" in body
        assert "29 Jun 2009" in body and "15 Jun 2009" in body
        assert "Amber" in body and "Red" in body
        assert f"{BASE_URL}/plans/cyps/actions/2.1" in body
        assert "14 days overdue" in body
        assert "Due today" in body
    assert "Recruit & retain <qualified> social workers" in text
    assert "Recruit &amp; retain &lt;qualified&gt; social workers" in html
    assert "<qualified>" not in html

    assert cal is not None
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"2.1 Recruit & retain <qualified> social workers", "1.4 Action 1.4"}
    event = events["1.4 Action 1.4"]
    assert event.decoded("DTSTART") == date(2009, 6, 15)
    assert event.decoded("DTEND") == date(2009, 6, 16)
    assert str(event["UID"]) == event_uid("cyps/action:1.4")
    assert str(event["URL"]) == f"{BASE_URL}/plans/cyps/actions/1.4"


def test_the_accountable_officer_gets_the_escalation(smtp_server: SmtpServer) -> None:
    send(SmtpTransport(smtp_server.settings()), render_all(digests_for_plan()))
    received = {rcpts[0]: msg for rcpts, msg in smtp_server.mailbox.received}
    text, _, cal = parts(received[OFFICER_EMAIL])
    assert "1.4" in text and "escalated to you as accountable officer (lead: Lead 0)" in text
    assert "2.1" not in text  # not overdue yet, so still the leads' business
    assert cal is not None
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [event_uid("cyps/action:1.4")]


def test_message_id_and_key_header_are_derived_from_the_digest(smtp_server: SmtpServer) -> None:
    digests = digests_for_plan()
    first, again = render_all(digests), render_all(digests_for_plan())
    assert [m["Message-ID"] for m in first] == [m["Message-ID"] for m in again]
    assert [m[KEY_HEADER] for m in first] == [d.key for d in digests]
    assert first[0]["Message-ID"] == f"<{digests[0].key}@example.gov.uk>"

    results = send(SmtpTransport(smtp_server.settings()), first)
    assert [r.key for r in results] == [d.key for d in digests]
    assert sorted(m[KEY_HEADER] for _, m in smtp_server.mailbox.received) == sorted(
        d.key for d in digests
    )


def test_a_digest_without_dated_items_has_no_calendar() -> None:
    from domain.reminders import PendingApproval

    approver = Person("Pat", "pat@police.uk")
    found = reminders_due(
        DAY, [], [PendingApproval("cyps", "tor", "Terms", 2, "Police", [approver],
                                  date(2009, 6, 22), "/gov/tor")], [], [], ReminderPolicy()
    )
    (msg,) = render_all(build_digests(found))
    text, html, cal = parts(msg)
    assert cal is None
    assert "Awaiting approval for Police since 22 Jun 2009 (7 days)" in text
    assert "version 2" in html


def test_the_same_digest_at_the_same_moment_renders_to_the_same_bytes() -> None:
    digests = digests_for_plan()
    first, again = render_all(digests), render_all(digests)
    assert [m.as_bytes() for m in first] == [m.as_bytes() for m in again]
    msg = first[0]
    assert msg.get_boundary() == f"==at-mix-{digests[0].key[:16]}=="
    assert msg.get_payload(0).get_boundary() == f"==at-alt-{digests[0].key[:16]}=="


def test_a_calendar_event_seen_before_carries_the_new_sending_time() -> None:
    (digest,) = [d for d in digests_for_plan() if d.recipient.email == "lead0@council.gov.uk"]
    times = [datetime(2009, 6, 29, 7, 0, tzinfo=UTC), datetime(2009, 6, 30, 9, 30, tzinfo=UTC)]
    calendars = []
    for now in times:
        msg = render_digest(digest, base_url=BASE_URL, sender=SENDER, now=now)
        _, _, cal = parts(msg)
        assert cal is not None
        calendars.append(cal)
    for cal, now in zip(calendars, times, strict=True):
        assert {e.decoded("DTSTAMP") for e in cal.walk("VEVENT")} == {now}
    summaries = [sorted(str(e["SUMMARY"]) for e in cal.walk("VEVENT")) for cal in calendars]
    assert summaries[0] == summaries[1] == ["1.4 Action 1.4", "2.1 Recruit & retain <qualified> "
                                            "social workers"]  # fmt: skip


def test_headers_read_back_as_written_whatever_the_name() -> None:
    person = Person("Zoë Ødegård, Lead (Interim)", "zoe@council.gov.uk")
    dl = Deadline("cyps", "Plan", "action", "1", "Café review", DAY, [person], None,
                  Status.IN_PROGRESS, Rag.GREEN, "/a/1")  # fmt: skip
    (msg,) = render_all(build_digests(reminders_due(DAY, [dl], [], [], [], ReminderPolicy())))
    received = email.message_from_bytes(msg.as_bytes(), policy=default_policy)
    (address,) = received["To"].addresses
    assert (address.display_name, address.addr_spec) == (person.name, person.email)
    headers = msg.as_bytes().split(b"\n\n", 1)[0]
    assert all(len(line) <= 78 for line in headers.split(b"\n"))


# --- refusals and outages -------------------------------------------------------------


def test_an_unknown_recipient_is_a_permanent_failure_and_the_rest_are_sent(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.mailbox.refuse["lead1@council.gov.uk"] = "550 5.1.1 unknown user"
    messages = render_all(digests_for_plan())
    results = send(SmtpTransport(smtp_server.settings(), pool_size=1), messages)

    by_recipient = {to(m): r for m, r in zip(messages, results, strict=True)}
    refused = by_recipient.pop("lead1@council.gov.uk")
    assert refused.outcome is Outcome.PERMANENT
    assert not refused.should_retry
    assert refused.code == 550 and "unknown user" in refused.detail
    assert {r.outcome for r in by_recipient.values()} == {Outcome.SENT}
    assert sorted(smtp_server.mailbox.recipients()) == sorted(by_recipient)


def test_a_4xx_refusal_is_temporary(smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.refuse["lead2@council.gov.uk"] = "450 4.2.1 mailbox busy, try later"
    messages = render_all(digests_for_plan())
    results = send(SmtpTransport(smtp_server.settings()), messages)
    outcome = {to(m): r for m, r in zip(messages, results, strict=True)}
    assert outcome["lead2@council.gov.uk"].outcome is Outcome.TEMPORARY
    assert outcome["lead2@council.gov.uk"].should_retry
    assert outcome["lead2@council.gov.uk"].code == 450
    assert len(smtp_server.mailbox.received) == 3


def test_nothing_is_lost_when_the_server_stops_mid_run_and_a_resend_succeeds(
    smtp_server: SmtpServer,
) -> None:
    messages = bulk_messages(10)
    with stopped_at_message(4, smtp_server.mailbox, smtp_server.stop):
        results = send(SmtpTransport(smtp_server.settings(), pool_size=1), messages)

    assert [r.outcome for r in results] == [Outcome.SENT] * 3 + [Outcome.TEMPORARY] * 7
    assert all(r.detail for r in results[3:])
    assert len(smtp_server.mailbox.received) == 3

    smtp_server.mailbox.hang_at = None
    smtp_server.start()
    retry = [m for m, r in zip(messages, results, strict=True) if r.should_retry]
    again = send(SmtpTransport(smtp_server.settings(), pool_size=1), retry)

    assert [r.outcome for r in again] == [Outcome.SENT] * 7
    assert sorted(smtp_server.mailbox.recipients()) == sorted(
        f"person{i}@council.gov.uk" for i in range(10)
    )


def test_an_unreachable_server_gives_temporary_failures_for_every_message() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=5)
    results = send(SmtpTransport(settings), bulk_messages(6))
    assert [r.outcome for r in results] == [Outcome.TEMPORARY] * 6
    assert all("not sent" in r.detail for r in results)


def test_a_server_that_stops_answering_is_given_up_after_one_timeout(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.mailbox.hang_at = 1
    results = send(SmtpTransport(smtp_server.settings(timeout=1, pool_size=1)), bulk_messages(3))
    assert [r.outcome for r in results] == [Outcome.TEMPORARY] * 3
    assert all("Timed out" in r.detail for r in results)
    assert smtp_server.total_connections() == 1
    assert smtp_server.mailbox.received == []


# --- connections ----------------------------------------------------------------------


def test_a_batch_reuses_at_most_the_pool_size_of_connections(smtp_server: SmtpServer) -> None:
    results = send(SmtpTransport(smtp_server.settings()), bulk_messages(50))
    assert [r.outcome for r in results] == [Outcome.SENT] * 50
    assert len(smtp_server.mailbox.received) == 50
    assert 1 <= smtp_server.total_connections() <= 4


def test_a_pool_of_one_sends_everything_over_one_connection(smtp_server: SmtpServer) -> None:
    results = send(SmtpTransport(smtp_server.settings(pool_size=1)), bulk_messages(20))
    assert {r.outcome for r in results} == {Outcome.SENT}
    assert smtp_server.total_connections() == 1


def test_a_dropped_connection_is_reopened_for_the_remaining_messages(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.mailbox.drop_after = 5  # every connection dies at its fifth message
    results = send(SmtpTransport(smtp_server.settings()), bulk_messages(30))

    assert [r.outcome for r in results] == [Outcome.SENT] * 30
    recipients = smtp_server.mailbox.recipients()
    assert sorted(recipients) == sorted(f"person{i}@council.gov.uk" for i in range(30))
    assert smtp_server.total_connections() > 4


# --- credentials -------------------------------------------------------------------


def _only_alice(server: Any, session: Any, envelope: Any, mechanism: str,
                auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"alice",
        b"s3cret/pass",
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port(), authenticator=_only_alice, auth_require_tls=False,
                        auth_required=True)
    server.start()
    yield server
    server.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_credentials_from_the_url_are_used(auth_server: SmtpServer) -> None:
    settings = SmtpSettings.from_url(f"smtp://alice:s3cret%2Fpass@127.0.0.1:{auth_server.port}", {})
    results = send(SmtpTransport(settings), bulk_messages(2))
    assert [r.outcome for r in results] == [Outcome.SENT] * 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_login_is_temporary_not_permanent(auth_server: SmtpServer) -> None:
    env = {"ACTIONTRAIL_SMTP_USER": "alice", "ACTIONTRAIL_SMTP_PASSWORD": "wrong"}
    settings = SmtpSettings.from_url(f"smtp://127.0.0.1:{auth_server.port}", env)
    results = send(SmtpTransport(settings), bulk_messages(2))
    assert [r.outcome for r in results] == [Outcome.TEMPORARY] * 2
    assert "Authentication" in results[0].detail
    assert auth_server.mailbox.received == []


# --- TLS ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for the loopback address, as a relay of one's own has."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "relay.pem", folder / "relay.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


def tls_server(certificate: Certificate, scheme: str) -> SmtpServer:
    if scheme == "smtps":
        return SmtpServer(free_port(), ssl_context=certificate.server_context())
    # STARTTLS required, and a login only once the connection is encrypted.
    return SmtpServer(
        free_port(), tls_context=certificate.server_context(), require_starttls=True,
        authenticator=_only_alice, auth_required=True,
    )  # fmt: skip


def tls_url(scheme: str, port: int) -> str:
    login = "alice:s3cret%2Fpass@" if scheme == "smtp+starttls" else ""
    return f"{scheme}://{login}127.0.0.1:{port}"


@pytest.mark.parametrize("trust", ["url", "environment"])
@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_tls_to_a_server_whose_certificate_is_trusted_by_cafile(
    certificate: Certificate, scheme: str, trust: str
) -> None:
    server = tls_server(certificate, scheme)
    server.start()
    try:
        url, env = tls_url(scheme, server.port), {}
        if trust == "url":
            url += f"?cafile={certificate.cert}"
        else:
            env["ACTIONTRAIL_SMTP_CAFILE"] = str(certificate.cert)
        settings = SmtpSettings.from_url(url, env)
        assert settings.cafile == str(certificate.cert)
        results = send(SmtpTransport(settings), bulk_messages(3))
    finally:
        server.stop()
    assert [r.outcome for r in results] == [Outcome.SENT] * 3
    assert server.mailbox.over_tls == [True] * 3
    assert f"trusting {certificate.cert}" in settings.describe()


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_a_certificate_nobody_trusts_is_refused_and_nothing_is_sent(
    certificate: Certificate, scheme: str
) -> None:
    server = tls_server(certificate, scheme)
    server.start()
    try:
        settings = SmtpSettings.from_url(tls_url(scheme, server.port) + "?timeout=10", {})
        results = send(SmtpTransport(settings), bulk_messages(2))
    finally:
        server.stop()
    assert [r.outcome for r in results] == [Outcome.TEMPORARY] * 2
    assert "CERTIFICATE_VERIFY_FAILED" in results[0].detail
    assert server.mailbox.received == []


def test_a_cafile_that_cannot_be_used_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SmtpConfigError, match="does not exist"):
        SmtpSettings.from_url(f"smtps://relay?cafile={tmp_path / 'missing.pem'}", {})
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(SmtpConfigError, match="no usable PEM certificate"):
        SmtpSettings.from_url(f"smtps://relay?cafile={junk}", {})
    with pytest.raises(SmtpConfigError, match="plain smtp:// never uses TLS"):
        SmtpSettings.from_url("smtp://relay", {"ACTIONTRAIL_SMTP_CAFILE": str(junk)})


# --- settings from a URL --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "security", "port"),
    [
        ("smtp://mail.example.gov.uk", "none", 25),
        ("smtp://mail.example.gov.uk:2525", "none", 2525),
        ("smtp+starttls://mail.example.gov.uk", "starttls", 587),
        ("smtps://mail.example.gov.uk", "tls", 465),
        ("SMTPS://mail.example.gov.uk:8465", "tls", 8465),
    ],
)
def test_settings_from_url(url: str, security: str, port: int) -> None:
    settings = SmtpSettings.from_url(url, {})
    assert (settings.host, settings.port, settings.security) == ("mail.example.gov.uk", port,
                                                                 security)
    assert settings.username is None and settings.password is None


def test_credentials_in_the_url_win_over_the_environment() -> None:
    env = {"ACTIONTRAIL_SMTP_USER": "env-user", "ACTIONTRAIL_SMTP_PASSWORD": "env-pass"}
    settings = SmtpSettings.from_url("smtp+starttls://u%40council:p%3Ass@relay:587", env)
    assert (settings.username, settings.password) == ("u@council", "p:ss")
    from_env = SmtpSettings.from_url("smtp+starttls://relay:587", env)
    assert (from_env.username, from_env.password) == ("env-user", "env-pass")
    assert "env-pass" not in repr(from_env)


def test_options_in_the_url() -> None:
    settings = SmtpSettings.from_url("smtp://relay?timeout=5&pool_size=2", {})
    assert (settings.timeout, settings.pool_size) == (5.0, 2)
    with pytest.raises(SmtpConfigError, match="pool_size"):
        SmtpSettings.from_url("smtp://relay?pool_size=many", {})
    with pytest.raises(SmtpConfigError, match="'retries'.*cafile"):
        SmtpSettings.from_url("smtp://relay?retries=3", {})


def test_a_bad_scheme_is_a_clear_error_naming_the_url() -> None:
    with pytest.raises(SmtpConfigError) as raised:
        SmtpSettings.from_url("http://bob:hunter2@mail.example.gov.uk", {})
    message = str(raised.value)
    assert "http://bob:***@mail.example.gov.uk" in message
    assert "smtp+starttls://" in message
    assert "hunter2" not in message


def test_a_url_without_a_host_is_an_error() -> None:
    with pytest.raises(SmtpConfigError, match="no host"):
        SmtpSettings.from_url("smtp://", {})


# --- the folder outbox ------------------------------------------------------------------


def test_directory_transport_writes_one_eml_per_key(tmp_path: Path) -> None:
    messages = render_all(digests_for_plan())
    outbox = DirectoryTransport(tmp_path / "outbox")
    first = send(outbox, messages)
    second = send(outbox, messages + messages)

    assert {r.outcome for r in first + second} == {Outcome.SENT}
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert [f.stem for f in files] == sorted(m[KEY_HEADER] for m in messages)
    assert [r.key for r in first] == [m[KEY_HEADER] for m in messages]
    stored = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert stored[KEY_HEADER] == files[0].stem
    assert isinstance(stored, EmailMessage)
    _, _, cal = parts(stored)
    assert cal is not None


def test_directory_transport_reports_an_unwritable_folder_as_temporary(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    results = send(DirectoryTransport(blocker / "outbox"), bulk_messages(2))
    assert [r.outcome for r in results] == [Outcome.TEMPORARY] * 2
