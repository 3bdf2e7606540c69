"""A plan's owner runs an imported plan in a real browser, with no terminal: signs in,
uploads the Telford workbook, reads the dry run, records it, adds two agencies, invites
a lead (the email reaches a real SMTP server; its link sets a password once), assigns
leads to five actions from the set-up list, opens a governance item, and sees the set-up
list shrink; the invited lead then signs in and sees their action."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from engine.runtime import Runtime
from engine.service.accounts import Accounts
from tests.test_web_helpers import (
    PASSWORD,
    browser,  # noqa: F401  (fixture)
    screenshot,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "import" / "telford.xlsx"
ADMIN = "admin@telford.example"
OWNER = "performance@telford.example"
CARA = "cara@telford.example"
OSCAR = "oscar@telford.example"
NIA = "nia@nhs.example"
COUNCIL = "Telford and Wrekin Council"


def seed(db_url: str, files: Path) -> None:
    """What an admin did once: the people of the council, and the plan with its owner."""
    rt = Runtime.open(Settings(database_url=db_url, files_dir=str(files)))
    try:
        app = rt.app
        app.add_user(None, ADMIN, "Ada Admin", ["admin"])
        app.add_user(ADMIN, OWNER, "Pat Performance", ["lead"], agency=COUNCIL)
        app.add_user(ADMIN, CARA, "Cara Council", ["lead"], agency=COUNCIL)
        app.add_user(ADMIN, OSCAR, "Oscar Officer", ["accountable"], agency=COUNCIL)
        app.create_plan(ADMIN, "telford", "Telford improvement plan", agencies=[COUNCIL])
        app.add_plan_owner(ADMIN, "telford", OWNER, reason="the Performance team runs it")
        Accounts(rt.engine).set_password(OWNER, PASSWORD)
    finally:
        rt.close()


def setup_count(page: Any) -> int:
    return int(page.locator("#setup-count").inner_text())


def test_an_owner_runs_an_imported_plan_in_the_browser(
    browser: Any,  # noqa: F811
    server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'at.db'}"
    seed(db_url, tmp_path / "files")
    monkeypatch.setenv("ACTIONTRAIL_SMTP_URL", server.url)
    site = start_server(db_url, tmp_path)
    try:
        run_the_plan(browser, site.url, server, tmp_path)
    finally:
        stop_server(site)


def run_the_plan(chrome: Any, url: str, mail: Any, folder: Path) -> None:
    owner = chrome.new_context(viewport={"width": 1280, "height": 900}).new_page()
    owner.goto(f"{url}/sign-in")
    owner.get_by_label("Email address").fill(OWNER)
    owner.get_by_label("Password").fill(PASSWORD)
    owner.get_by_role("button", name="Sign in").click()
    owner.wait_for_load_state()

    # Upload the workbook; nothing is recorded until the dry run has been read.
    owner.get_by_role("link", name="Manage", exact=True).click()
    owner.locator("main").get_by_role("link", name="Telford improvement plan").click()
    owner.get_by_label("Plan file", exact=True).set_input_files(str(FIXTURE))
    owner.get_by_role("button", name="Check the file").click()
    report = owner.locator("pre.report").inner_text()
    assert "Dry run: nothing recorded" in report
    assert "actions added" in report
    screenshot(owner, "owner-import-dry-run")
    owner.get_by_role("button", name="Record this import").click()
    owner.wait_for_load_state()
    assert "The plan was recorded from the file." in owner.content()
    imported = setup_count(owner)
    assert imported > 5

    # Two partner agencies.
    owner.goto(f"{url}/plans/telford/manage")
    for agency in ("NHS Telford", "West Mercia Police"):
        owner.get_by_label("Agency to add").fill(agency)
        owner.get_by_label("Reason for adding it").fill("partner in the improvement board")
        owner.get_by_role("button", name="Add the agency").click()
        owner.wait_for_load_state()
    agencies = owner.locator("#agency-list").inner_text()
    assert "NHS Telford" in agencies and "West Mercia Police" in agencies

    # Invite a lead from the NHS: the email reaches the SMTP server with a one-time link.
    owner.get_by_label("Their name").fill("Nia Nurse")
    owner.get_by_label("Their email address").fill(NIA)
    owner.get_by_label("Their agency").select_option("NHS Telford")
    owner.get_by_role("button", name="Add the person").click()
    owner.wait_for_load_state()
    assert "The invitation was sent." in owner.content()
    [message] = mail.inbox.to(NIA)
    body = message.get_content()
    link = re.search(r"(http://\S+/invitation/\S+)", body)
    assert link, body
    invitation = link.group(1)

    # Leads for five actions, from the set-up list; the fifth is the invited lead's.
    owner.goto(f"{url}/plans/telford/setup")
    assigned = []
    for n in range(5):
        card = owner.locator("article.setup").first
        ref = card.get_attribute("id").removeprefix("setup-")  # type: ignore[union-attr]
        assigned.append(ref)
        card.locator("select[name=leads]").select_option(NIA if n == 4 else CARA)
        card.locator("select[name=accountable]").select_option(OSCAR)
        card.locator("input[name=finish]").fill("2030-06-30")
        card.get_by_role("button", name=f"Save {ref}").click()
        owner.wait_for_load_state()
        assert "The action was set up." in owner.content()
    assert setup_count(owner) == imported - 5
    screenshot(owner, "owner-setup-list")

    # A governance item for the partners to approve.
    owner.goto(f"{url}/plans/telford/manage")
    doc = folder / "telford-strategy.txt"
    doc.write_text("Improvement strategy for the partners' approval.\n")
    owner.get_by_label("Short name of the item").fill("strategy")
    owner.get_by_label("Title of the item").fill("Improvement strategy")
    owner.get_by_label("Document to approve").set_input_files(str(doc))
    owner.get_by_role("button", name="Open the item").click()
    owner.wait_for_load_state()
    assert "The governance item was opened." in owner.content()
    owner.goto(f"{url}/plans/telford/governance")
    assert "Improvement strategy" in owner.content()

    # The invited lead sets a password with the link; the link then works no more.
    lead = chrome.new_context(viewport={"width": 1280, "height": 900}).new_page()
    lead.goto(invitation)
    lead.get_by_label("Password (at least 10 characters)").fill("a long new password")
    lead.get_by_label("Password again").fill("a long new password")
    lead.get_by_role("button", name="Set password and sign in").click()
    lead.wait_for_load_state()
    assert lead.get_by_role("heading", name="My actions").is_visible()
    again = lead.context.browser.new_context().new_page()
    response = again.goto(invitation)
    assert response.status == 403
    assert "already been used" in again.content()

    # Signed out, the lead signs in with that password and sees the action they lead.
    lead.get_by_role("button", name="Sign out").click()
    lead.wait_for_load_state()
    lead.goto(f"{url}/sign-in")
    lead.get_by_label("Email address").fill(NIA)
    lead.get_by_label("Password").fill("a long new password")
    lead.get_by_role("button", name="Sign in").click()
    lead.wait_for_load_state()
    assert lead.get_by_role("heading", name="My actions").is_visible()
    assert assigned[4] in lead.locator("main").inner_text()
    screenshot(lead, "invited-lead-my-actions")
    for page in (owner, lead, again):
        page.context.close()
