"""The web application in a real browser against a real `actiontrail serve` (SQLite).

The server runs the demo plan (shown as of its last day, 31 August 2009), with every
demo person given a password.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from engine.web import make_action_link
from projections import queries
from tests.test_web_helpers import (
    PASSWORD,
    PEOPLE,
    SLUG,
    Server,
    browser,  # noqa: F401  (fixture)
    csrf_of,
    demo_server,  # noqa: F401  (fixture)
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.slow


def route_table(routes: list[Any]) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route, including those of included routers."""
    found = []
    for r in routes:
        if hasattr(r, "original_router"):
            found.extend(route_table(r.original_router.routes))
        elif hasattr(r, "methods") and r.methods:
            found.append((r.path, set(r.methods)))
    return found


def history_of(server: Server, ref: str) -> list[dict[str, Any]]:
    rt = server.runtime()
    try:
        rt.runner.catch_up()
        plan = queries.plan(rt.engine, SLUG)
        return queries.history_rows(rt.engine, plan, queries.HistoryFilter(subject=ref))
    finally:
        rt.close()


def dashboard_row(page: Any, ref: str) -> Any:
    return page.locator(
        "section.group table.actions tr", has=page.locator(f"td.ref >> text='{ref}'")
    )


def test_lead_rates_amber_with_evidence_and_the_dashboard_shows_it(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    page = sign_in(browser, demo_server, "rg")
    assert page.get_by_role("heading", name="My actions").is_visible()
    screenshot(page, "my-actions")
    card = page.locator("article.card", has_text="Establish practice standards")
    card.get_by_text("Update 2.1").click()
    card.get_by_label("RAG rating").select_option("amber")
    card.get_by_label("Reason for the rating").fill("Stakeholder workshops slipped to October")
    card.get_by_label("Progress this period").fill("Draft standards out for consultation.")
    evidence = tmp_path / "consultation-plan.txt"
    evidence.write_text("Consultation plan for the practice standards.\n")
    card.get_by_label("Evidence file").set_input_files(str(evidence))
    card.get_by_role("button", name="Save update").click()
    page.wait_for_load_state()
    assert "Your update was saved." in page.content()

    page.goto(f"{demo_server.url}/plans/{SLUG}/actions/2.1")
    summary = page.locator("section.summary")
    assert "AMBER" in summary.inner_text()
    assert "Stakeholder workshops slipped to October" in summary.inner_text()
    assert page.get_by_role("link", name="consultation-plan.txt").is_visible()
    timeline = page.locator("ol.timeline").inner_text()
    assert "Richard Graham" in timeline and "rated it AMBER" in timeline
    screenshot(page, "action")

    # The evidence was stored by content and downloads as it was uploaded.
    with page.expect_download() as download:
        page.get_by_role("link", name="consultation-plan.txt").click()
    assert Path(download.value.path()).read_text() == evidence.read_text()

    page.goto(f"{demo_server.url}/plans/{SLUG}")
    row = dashboard_row(page, "2.1")
    assert "AMBER" in row.inner_text()
    assert "Stakeholder workshops slipped to October" in row.inner_text()
    screenshot(page, "dashboard")
    page.goto(f"{demo_server.url}/plans/{SLUG}?rag=amber")
    refs = page.locator("section.group td.ref").all_inner_texts()
    assert refs == ["2.1"]
    screenshot(page, "dashboard-amber-filter")

    events = history_of(demo_server, "2.1")
    mine = [e for e in events if e["kind"] in ("Action.RagAssessed", "Action.EvidenceSubmitted")]
    assert {e["actor"] for e in mine[-2:]} == {PEOPLE["rg"]}
    page.context.close()


def test_amber_without_a_reason_and_a_program_file_are_refused(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    page = sign_in(browser, demo_server, "ms")
    page.goto(f"{demo_server.url}/plans/{SLUG}/actions/3.3")
    before = len(history_of(demo_server, "3.3"))
    version = page.locator("input[name=version]").first.get_attribute("value")
    # Posted as the form would be without the page's script, which asks for the reason.
    response = page.request.post(
        f"{demo_server.url}/plans/{SLUG}/actions/3.3/update",
        multipart={"csrf_token": csrf_of(page), "version": version or "", "rag": "amber"},
    )
    assert response.status == 400
    assert "needs a reason" in response.text()

    program = tmp_path / "tool.exe"
    program.write_bytes(b"MZ not evidence")
    form = page.locator("form.update")
    form.get_by_label("Progress this period").fill("Campaign materials printed.")
    form.get_by_label("Evidence file").set_input_files(str(program))
    form.get_by_role("button", name="Save update").click()
    page.wait_for_load_state()
    assert "which evidence may not be" in page.content()
    # What was typed is kept for another try.
    assert form.get_by_label("Progress this period").input_value() == "Campaign materials printed."
    screenshot(page, "action-refused-file")
    assert len(history_of(demo_server, "3.3")) == before
    page.context.close()


def test_an_update_the_engine_refuses_in_part_records_nothing_of_it(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = sign_in(browser, demo_server, "hp")
    page.goto(f"{demo_server.url}/plans/{SLUG}/actions/3.4")
    before = history_of(demo_server, "3.4")
    version = page.locator("input[name=version]").first.get_attribute("value")
    # A valid rating and narrative with a status the action cannot move to (it is in
    # progress already), posted as a form that offered it would post it.
    response = page.request.post(
        f"{demo_server.url}/plans/{SLUG}/actions/3.4/update",
        multipart={
            "csrf_token": csrf_of(page),
            "version": version or "",
            "rag": "amber",
            "rag_reason": "Consultation events postponed",
            "progress": "Events rescheduled for the autumn.",
            "status": "in_progress",
        },
    )
    assert response.status == 400
    text = response.text()
    assert "cannot become in_progress from in_progress" in text
    assert "Nothing of it was recorded" in text
    # What was typed is offered again.
    assert "Consultation events postponed" in text and "Events rescheduled" in text
    assert history_of(demo_server, "3.4") == before
    page.goto(f"{demo_server.url}/plans/{SLUG}/actions/3.4")
    assert "AMBER" not in page.locator("section.summary").inner_text()
    page.context.close()


def test_someone_elses_update_in_between_is_a_conflict_that_keeps_what_was_typed(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    first = sign_in(browser, demo_server, "rg")
    second = sign_in(browser, demo_server, "rg")
    for page in (first, second):
        page.goto(f"{demo_server.url}/plans/{SLUG}/actions/2.4")
    first.locator("form.update").get_by_label("Progress this period").fill(
        "Audits done in 9 teams."
    )
    first.locator("form.update").get_by_role("button", name="Save update").click()
    first.wait_for_load_state()

    form = second.locator("form.update")
    form.get_by_label("Progress this period").fill("My own words about the audits.")
    form.get_by_role("button", name="Save update").click()
    second.wait_for_load_state()
    text = second.content()
    assert "Someone else updated this action a moment ago" in text
    assert "Audits done in 9 teams." in second.locator("ol.timeline").inner_text()
    assert (
        form.get_by_label("Progress this period").input_value() == "My own words about the audits."
    )
    screenshot(second, "action-conflict")
    # Saving again from the refreshed form goes through.
    form.get_by_role("button", name="Save update").click()
    second.wait_for_load_state()
    assert "Your update was saved." in second.content()
    first.context.close()
    second.context.close()


def test_agency_approvals_then_board_sign_off(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    governance = f"{demo_server.url}/plans/{SLUG}/governance"
    secretary = sign_in(browser, demo_server, "secretary")
    secretary.goto(governance)
    assert secretary.locator("form[aria-label='Board sign-off']").count() == 0
    assert "once NHS Leeds, Leeds Teaching Hospitals NHS Trust have approved" in secretary.content()
    # The engine refuses a sign-off posted anyway.
    refused = secretary.request.post(
        f"{governance}/safeguarding-procedures/sign-off",
        form={
            "csrf_token": csrf_of(secretary),
            "board": "Leeds Safeguarding Adults Partnership Board",
            "decided_on": "2009-08-31",
        },
    )
    assert refused.status == 400
    assert "has not approved" in refused.text() or "have not approved" in refused.text()

    nhs = sign_in(browser, demo_server, "nhs")
    nhs.goto(governance)
    form = nhs.locator("form[aria-label='Decision for NHS Leeds']")
    # The demo plan is shown as of its own today, and so are the forms' dates.
    assert form.get_by_label("Date decided").input_value() == "2009-08-31"
    form.get_by_label("Governing body").fill("NHS Leeds Board")
    form.get_by_label("Minute reference").fill("NHSL 09/88")
    form.get_by_label("Date decided").fill("2009-08-20")
    form.get_by_role("button", name="Approve version 2").click()
    nhs.wait_for_load_state()
    assert "The decision was recorded." in nhs.content()
    matrix = nhs.locator("table.matrix").inner_text()
    assert "NHS Leeds Board" in matrix
    screenshot(nhs, "governance-approved")

    # An approver of one agency cannot decide for another, even by posting the form.
    forged = nhs.request.post(
        f"{governance}/safeguarding-procedures/decision",
        form={
            "csrf_token": csrf_of(nhs),
            "agency": "Leeds Teaching Hospitals NHS Trust",
            "decision": "approve",
            "body": "Trust Board",
            "decided_on": "2009-08-21",
            "version": "2",
        },
    )
    assert forged.status == 403
    assert "may not record a decision for Leeds Teaching Hospitals NHS Trust" in forged.text()

    secretary.goto(governance)
    assert secretary.locator("form[aria-label='Board sign-off']").count() == 0

    ltht = sign_in(browser, demo_server, "ltht")
    ltht.goto(governance)
    form = ltht.locator("form[aria-label='Decision for Leeds Teaching Hospitals NHS Trust']")
    form.get_by_label("Governing body").fill("Trust Board")
    form.get_by_label("Date decided").fill("2009-08-25")
    form.get_by_role("button", name="Approve version 2").click()
    ltht.wait_for_load_state()

    secretary.goto(governance)
    sign_off = secretary.locator("form[aria-label='Board sign-off']")
    sign_off.get_by_label("Minute reference").fill("LSAPB 09/12")
    assert sign_off.get_by_label("Date signed off").input_value() == "2009-08-31"
    sign_off.get_by_role("button", name="Sign off version 2").click()
    secretary.wait_for_load_state()
    assert "The sign-off was recorded." in secretary.content()
    assert "Signed off" in secretary.locator("table.matrix").inner_text()
    screenshot(secretary, "governance-signed-off")
    for page in (secretary, nhs, ltht):
        page.context.close()


def test_a_reminder_link_opens_its_action_and_nothing_else(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    link = make_action_link(demo_server.settings(), PEOPLE["hp"], SLUG, "7.2")
    assert link.startswith(demo_server.url + "/link/")
    context = browser.new_context()
    page = context.new_page()
    page.goto(link)
    assert page.url.endswith(f"/plans/{SLUG}/actions/7.2")
    assert "Safeguarding Partnership Board conducts serious case reviews" in page.content()
    form = page.locator("form.update")
    form.get_by_label("Progress this period").fill("Two pilot reviews under way.")
    form.get_by_role("button", name="Save update").click()
    page.wait_for_load_state()
    assert "Your update was saved." in page.content()
    assert history_of(demo_server, "7.2")[-1]["actor"] == PEOPLE["hp"]

    for elsewhere in (
        f"/plans/{SLUG}",
        f"/plans/{SLUG}/actions/3.4",
        f"/plans/{SLUG}/governance",
        "/",
        "/account",
    ):
        response = page.goto(demo_server.url + elsewhere)
        assert response is not None and response.status == 403, elsewhere
        assert "This link opens one action only" in page.content()
    screenshot(page, "link-scope-refused")

    # The link works again (within its seven days), and only for its own action.
    page.goto(link)
    assert page.url.endswith("/actions/7.2")
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    response = page.goto(tampered)
    assert response is not None and response.status == 403
    context.close()


def test_forged_and_tokenless_posts_are_refused(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    from engine.web.app import create_app

    page = sign_in(browser, demo_server, "rg")
    page.goto(f"{demo_server.url}/plans/{SLUG}/actions/2.1")
    token = csrf_of(page)
    before = len(history_of(demo_server, "2.1"))

    # Every form route refuses a post without this session's token.
    rt = demo_server.runtime()
    try:
        routes = [
            path
            for path, methods in route_table(create_app(rt).routes)
            if "POST" in methods and not path.startswith("/api/")
        ]
    finally:
        rt.close()
    values = {"slug": SLUG, "ref": "2.1", "key": "safeguarding-procedures",
              "evidence_id": "E1", "digest": "x", "email": PEOPLE["rg"], "change": "roles",
              "token": "x"}  # fmt: skip
    assert len(routes) >= 9
    for path in routes:
        url = demo_server.url + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        for sent in ({}, {"csrf_token": "forged"}):
            response = page.request.post(url, form={"version": "1", "rag": "green", **sent})
            assert response.status == 403, (path, sent)
            assert "This form has expired" in response.text()
    assert len(history_of(demo_server, "2.1")) == before

    # With the token, the role checks still hold: a lead cannot update another's action.
    response = page.request.post(
        f"{demo_server.url}/plans/{SLUG}/actions/7.2/update",
        multipart={"csrf_token": token, "version": "1", "progress": "Not mine to report."},
    )
    assert response.status == 403
    assert "only its leads and accountable officer may" in response.text()

    # An auditor sees everything and can change nothing.
    auditor = sign_in(browser, demo_server, "auditor")
    auditor.goto(f"{demo_server.url}/plans/{SLUG}/actions/2.1")
    assert auditor.locator("form.update").count() == 0
    response = auditor.request.post(
        f"{demo_server.url}/plans/{SLUG}/actions/2.1/update",
        multipart={"csrf_token": csrf_of(auditor), "version": "1", "progress": "Audited."},
    )
    assert response.status == 403
    response = auditor.request.post(
        f"{demo_server.url}/plans/{SLUG}/governance/safeguarding-procedures/decision",
        form={"csrf_token": csrf_of(auditor), "agency": "NHS Leeds", "decision": "approve",
              "body": "Audit", "decided_on": "2009-08-31"},
    )  # fmt: skip
    assert response.status == 403
    assert len(history_of(demo_server, "2.1")) == before
    page.context.close()
    auditor.context.close()


def test_pages_send_security_headers_and_errors_are_pages(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = sign_in(browser, demo_server, "auditor")
    response = page.goto(f"{demo_server.url}/plans/{SLUG}")
    assert response is not None
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    cookie = next(c for c in page.context.cookies() if c["name"] == "actiontrail_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    response = page.goto(f"{demo_server.url}/plans/{SLUG}/actions/9.9")
    assert response is not None and response.status == 404
    assert "has no action 9.9" in page.content() and "Traceback" not in page.content()
    screenshot(page, "not-found")
    response = page.goto(f"{demo_server.url}/plans/no-such-plan")
    assert response is not None and response.status == 404
    page.goto(f"{demo_server.url}/plans/{SLUG}/audit")
    assert page.get_by_role("heading", name="History").is_visible()
    screenshot(page, "audit")
    page.context.close()


def test_sign_in_refuses_a_wrong_password_and_sign_out_ends_the_session(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{demo_server.url}/plans/{SLUG}")
    assert "/sign-in" in page.url
    screenshot(page, "sign-in")
    page.get_by_label("Email address").fill(PEOPLE["sc"])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert "do not match an account" in page.content()
    context.close()

    page = sign_in(browser, demo_server, "sc")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto(f"{demo_server.url}/")
    assert "/sign-in" in page.url
    page.context.close()


def test_calendar_feed_by_secret_address(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = sign_in(browser, demo_server, "ms")
    page.goto(f"{demo_server.url}/account")
    address = page.get_by_label("Calendar address").input_value()
    screenshot(page, "account")
    feed = page.request.get(address)
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    body = feed.text()
    assert "BEGIN:VCALENDAR" in body and "Due: 3.3" in body
    assert "DTSTART;VALUE=DATE:20100131" in body

    page.get_by_role("button", name="Replace the address").click()
    page.wait_for_load_state()
    assert page.get_by_label("Calendar address").input_value() != address
    assert page.request.get(address).status == 404
    page.context.close()


def test_reports_download_for_a_closed_period(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = sign_in(browser, demo_server, "secretary")
    page.goto(f"{demo_server.url}/plans/{SLUG}/reports")
    screenshot(page, "reports")
    with page.expect_download() as download:
        page.get_by_label("Summary Report August 2009 as HTML").click()
    text = Path(download.value.path()).read_text()
    assert "August 2009" in text and "<html" in text.lower()
    sheet = page.request.get(
        f"{demo_server.url}/plans/{SLUG}/reports/exception.xlsx?period=2009-07"
    )
    assert sheet.status == 200 and sheet.body()[:2] == b"PK"
    with page.expect_download() as download:
        page.get_by_label("Summary Report August 2009 as Word").click()
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"
    paper = page.request.get(
        f"{demo_server.url}/plans/{SLUG}/reports/governance.pdf?period=2009-08"
    )
    assert paper.status == 200 and paper.body()[:5] == b"%PDF-"
    wrong = page.request.get(f"{demo_server.url}/plans/{SLUG}/reports/exception.odt")
    assert wrong.status == 400
    page.context.close()


def test_auditor_sees_the_plan_as_of_an_earlier_month(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = sign_in(browser, demo_server, "auditor")
    page.goto(f"{demo_server.url}/plans/{SLUG}")
    assert "COMPLETE" in dashboard_row(page, "2.3").inner_text()

    page.goto(f"{demo_server.url}/plans/{SLUG}/audit")
    form = page.locator("form[aria-label='Plan as of a moment']")
    form.get_by_label("Show the plan as of").fill("2009-07-31T18:00")
    form.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    section = page.locator("section.asof")
    assert "The plan as of 31 Jul 2009" in section.locator("h2").inner_text()
    then = page.locator("table.asof-actions tr", has=page.locator("td.ref >> text='2.3'"))
    assert "RED" in then.inner_text() and "amber" in then.inner_text()
    assert "In progress" in then.inner_text()
    # The sign-off matrix and the evidence as they stood then, as `show --as-of` has them.
    matrix = section.locator("table.matrix")
    item = matrix.locator("tr", has_text="Multi-agency safeguarding procedures")
    cells = item.locator("td").all_inner_texts()
    assert "Approved" in cells[0] and "Executive Board" in cells[0]  # Leeds City Council
    assert "Pending" in cells[1]  # NHS Leeds: its approval came later, if at all
    assert "Awaiting approvals" in cells[-1]
    evidence = section.locator("table.asof-evidence").inner_text()
    assert "3.1 completion note.txt" in evidence and "accepted" in evidence
    assert "consultation-plan.txt" not in evidence  # submitted after that moment
    assert "2009-07" in section.inner_text()  # the closed periods then
    screenshot(page, "audit-as-of")

    # On a date, as far as the record knows now: Leeds City Council's approval of
    # 20 April was recorded the next day, so only the effective view has it that day.
    page.goto(f"{demo_server.url}/plans/{SLUG}/audit?at=2009-04-20T23:00")
    recorded = page.locator("section.asof table.matrix td").first.inner_text()
    assert "Pending" in recorded
    effective = page.locator("form[aria-label='Plan as it was on a date']")
    effective.get_by_label("Show the plan as it was on").fill("2009-04-20")
    effective.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    section = page.locator("section.asof")
    assert "The plan as it was on 20 Apr 2009" in section.locator("h2").inner_text()
    cell = section.locator("table.matrix td").first.inner_text()
    assert "Approved" in cell and "Executive Board" in cell
    assert "1.4 completion note.txt" in section.locator("table.asof-evidence").inner_text()
    screenshot(page, "audit-effective")

    compare = page.locator("form[aria-label='Compare two moments']")
    compare.get_by_label("Compare from").fill("2009-07-31T18:00")
    compare.get_by_label("to").fill("2009-08-31T23:00")
    compare.get_by_role("button", name="Compare").click()
    page.wait_for_load_state()
    changes = page.locator("section.diff").inner_text()
    assert "2.3" in changes and "status" in changes

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the plan's export").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert len(lines) > 100 and all(line.startswith("{") for line in lines)
    assert '"end":true' in lines[-1]  # the whole export, trailer and all
    page.get_by_role("link", name="Verify the record").click()
    page.wait_for_load_state()
    assert "The record is intact" in page.content()
    assert "sha256:" in page.locator("code.token").inner_text()
    screenshot(page, "audit-verify")
    page.context.close()


def test_account_tokens_and_password_change(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = sign_in(browser, demo_server, "cor")
    page.goto(f"{demo_server.url}/account")
    page.get_by_label("Label").fill("board pack script")
    page.get_by_role("button", name="Create a token").click()
    page.wait_for_load_state()
    token = page.locator("code.token").inner_text()
    me = page.request.get(
        f"{demo_server.url}/api/v1/me", headers={"authorization": f"Bearer {token}"}
    )
    assert me.json()["email"] == PEOPLE["cor"]
    page.get_by_role("button", name="Withdraw").click()
    page.wait_for_load_state()
    gone = page.request.get(
        f"{demo_server.url}/api/v1/me", headers={"authorization": f"Bearer {token}"}
    )
    assert gone.status == 401

    other = sign_in(browser, demo_server, "cor")
    page.get_by_label("Current password").fill(PASSWORD)
    page.locator("#pw-new").fill("a brand new password")
    page.get_by_label("New password again").fill("a brand new password")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()
    assert "Your password was changed." in page.content()
    # This session goes on; every other one has ended.
    page.goto(f"{demo_server.url}/plans/{SLUG}")
    assert "/sign-in" not in page.url
    other.goto(f"{demo_server.url}/plans/{SLUG}")
    assert "/sign-in" in other.url
    page.context.close()
    other.context.close()


def test_repeated_wrong_passwords_lock_the_address_for_a_while(
    demo_server: Server,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{demo_server.url}/sign-in")
    statuses = []
    for password in ["wrong"] * 5 + [PASSWORD]:
        response = page.request.post(
            f"{demo_server.url}/sign-in",
            form={"csrf_token": csrf_of(page), "email": PEOPLE["aw"], "password": password},
            max_redirects=0,
        )
        statuses.append(response.status)
    assert statuses == [400] * 5 + [429]
    assert "Too many failed attempts" in response.text()
    context.close()
