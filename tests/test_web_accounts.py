"""Credentials kept outside the event log, and the signing of sessions and links."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import Settings
from domain.errors import InvalidInput
from engine.runtime import Runtime
from engine.service.accounts import Accounts, api_tokens, credentials
from engine.web import make_action_link
from engine.web.security import LINK_MAX_AGE, LinkScope, Signer
from tests.conftest import LEAD, World


def test_passwords_are_hashed_checked_and_rotated(world: World) -> None:
    accounts = Accounts(world.rt.engine)
    assert not accounts.check_password(LEAD, "anything at all")
    with pytest.raises(InvalidInput, match="at least 10 characters"):
        accounts.set_password(LEAD, "short")
    accounts.set_password(LEAD, "first password")
    first_epoch = accounts.epoch(LEAD)
    assert accounts.check_password(LEAD, "first password")
    assert accounts.check_password(LEAD.upper(), "first password")
    assert not accounts.check_password(LEAD, "First password")
    with world.rt.engine.connect() as conn:
        stored = conn.execute(select(credentials.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2") and "first password" not in stored
    accounts.set_password(LEAD, "second password")
    assert not accounts.check_password(LEAD, "first password")
    assert accounts.epoch(LEAD) == first_epoch + 1


def test_api_tokens_are_kept_only_as_digests_and_can_be_withdrawn(world: World) -> None:
    accounts = Accounts(world.rt.engine)
    token = accounts.create_token(LEAD, "script")
    assert accounts.token_owner(token) == LEAD
    assert accounts.token_owner(token + "x") is None
    assert accounts.token_owner("no prefix") is None
    with world.rt.engine.connect() as conn:
        digests = conn.execute(select(api_tokens.c.digest)).scalars().all()
    assert token not in digests
    (listed,) = accounts.tokens(LEAD)
    assert listed.label == "script"
    assert accounts.revoke_token(LEAD, listed.digest)
    assert accounts.token_owner(token) is None


def test_calendar_secret_is_stable_until_replaced(world: World) -> None:
    accounts = Accounts(world.rt.engine)
    secret = accounts.calendar_secret(LEAD)
    assert accounts.calendar_secret(LEAD) == secret
    assert accounts.calendar_owner(secret) == LEAD
    fresh = accounts.calendar_secret(LEAD, rotate=True)
    assert fresh != secret
    assert accounts.calendar_owner(secret) is None
    assert accounts.calendar_owner("") is None


def test_generated_signing_key_is_kept_and_shared(world: World) -> None:
    first = Accounts(world.rt.engine).secret_key()
    assert len(first) >= 64
    assert Accounts(world.rt.engine).secret_key() == first
    assert Accounts(world.rt.engine).secret_key("configured") == "configured"


def test_sessions_and_links_are_signed_and_kept_apart() -> None:
    signer = Signer("key one")
    session = signer.new_session(LEAD, 3)
    cookie = signer.dump_session(session)
    assert signer.load_session(cookie) == session
    assert Signer("key two").load_session(cookie) is None
    assert signer.load_session(cookie[:-2] + "xx") is None
    link = signer.dump_link(LEAD, "plan", "1.1", 3)
    assert signer.load_link(link) == (LEAD, LinkScope("plan", "1.1"), 3)
    # A cookie is no link, and a link is no cookie.
    assert signer.load_link(cookie) is None
    assert signer.load_session(link) is None


def test_links_expire() -> None:
    signer = Signer("key")
    link = signer.dump_link(LEAD, "plan", "1.1", 0)
    assert signer.load_link(link) is not None
    # A link is older than any negative age: past it, it no longer signs anyone in.
    assert signer.load_link(link, max_age=-1) is None
    assert LINK_MAX_AGE == 7 * 24 * 60 * 60


@pytest.mark.persistence
def test_action_links_are_retired_by_a_password_change(world: World, tmp_path: Path) -> None:
    settings = Settings(
        database_url=world.rt.settings.database_url,
        base_url="https://actions.example",
        files_dir=str(tmp_path / "files"),
    )
    link = make_action_link(settings, LEAD, "plan", "1.1")
    assert link.startswith("https://actions.example/link/")
    rt: Runtime = world.rt
    accounts = Accounts(rt.engine)
    signer = Signer(accounts.secret_key())
    email, scope, epoch = signer.load_link(link.rsplit("/", 1)[1]) or ("", None, -1)
    assert (email, scope) == (LEAD, LinkScope("plan", "1.1"))
    assert epoch == accounts.epoch(LEAD)
    accounts.set_password(LEAD, "a new password")
    assert accounts.epoch(LEAD) != epoch


@pytest.mark.persistence
def test_accounts_opened_at_once_by_several_threads_all_open(rt: Runtime) -> None:
    # Senders rendering their first sign-in links together each open the credential
    # tables; none may fail because another made them a moment earlier.
    import threading

    from sqlalchemy import create_engine

    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_accounts() -> None:
        engine = create_engine(str(rt.engine.url))
        try:
            barrier.wait(30)
            Accounts(engine).secret_key()
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)
        finally:
            engine.dispose()

    for _ in range(5):
        from engine.service.accounts import web_metadata

        web_metadata.drop_all(rt.engine)
        threads = [threading.Thread(target=open_accounts) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []


def test_passwords_are_hashed_at_the_products_cost() -> None:
    """The tests hash at a low cost (tests/conftest.py); the product hashes with Argon2id
    at no less than argon2-cffi's defaults (RFC 9106's low-memory choice)."""
    from argon2 import PasswordHasher, Type, extract_parameters

    from engine.service import accounts

    product = extract_parameters(accounts._DUMMY_HASH)
    default = PasswordHasher()
    assert product.type is Type.ID
    assert product.time_cost >= default.time_cost
    assert product.memory_cost >= default.memory_cost
    assert product.parallelism >= default.parallelism
