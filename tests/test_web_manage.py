"""The Manage pages over HTTP (the application in process, on SQLite and PostgreSQL):
403 and nothing recorded for a lead, an approver or an auditor; invitations that work
once and expire; a deactivated person's password, session and token stop working."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from domain.errors import InvalidInput
from engine.runtime import Runtime
from engine.service.accounts import Accounts, invitations
from engine.web.pages import form_date, picked_date
from tests.conftest import ADMIN, AUDITOR, LEAD, LEAD2, NHS, OFFICER, World, action_spec

PASSWORD = "correct horse battery"
OWNER = LEAD2
FIXTURE = Path(__file__).parent / "fixtures" / "import" / "telford.xlsx"


@pytest.fixture
def site(world: World, tmp_path: Path) -> Iterator[Any]:
    from starlette.testclient import TestClient

    from engine.web.app import create_app

    world.rt.app.add_plan_owner(ADMIN, "plan", OWNER)
    world.rt.app.add_action(
        ADMIN,
        "plan",
        action_spec("1.3", leads=[], accountable=None, plan_finish=None, success_criteria=[]),
    )
    accounts = Accounts(world.rt.engine)
    for email in (ADMIN, OWNER, LEAD, NHS, AUDITOR, OFFICER):
        accounts.set_password(email, PASSWORD)
    app = create_app(world.rt)

    def client(email: str | None) -> Any:
        c = TestClient(app, base_url=world.rt.settings.base_url)
        page = c.get("/sign-in")
        c.csrf = csrf(page.text)
        if email:
            r = c.post(
                "/sign-in",
                data={"csrf_token": c.csrf, "email": email, "password": PASSWORD, "next": "/"},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            c.csrf = csrf(c.get("/account").text)
        return c

    yield client


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def recorded(rt: Runtime) -> int:
    return rt.app.recorder.max_notification_id() or 0


PAGES = ["/manage", "/manage/users", "/plans/plan/manage", "/plans/plan/setup"]
POSTS: list[tuple[str, dict[str, Any]]] = [
    ("/manage/plans", {"slug": "new", "title": "New"}),
    ("/manage/users", {"email": "x@y.example", "name": "X", "roles": "lead"}),
    (f"/manage/users/{OFFICER}/deactivate", {"reason": "left"}),
    (f"/manage/users/{OFFICER}/roles", {"roles": "admin"}),
    (f"/manage/users/{OFFICER}/invite", {}),
    ("/plans/plan/manage/owners", {"email": LEAD, "op": "add"}),
    ("/plans/plan/manage/agencies", {"name": "Fire", "reason": "x", "op": "add"}),
    ("/plans/plan/manage/amend", {"field": "title", "value": "T", "reason": "x"}),
    ("/plans/plan/manage/people", {"email": "p@y.example", "name": "P", "agency": "Council"}),
    ("/plans/plan/manage/invite", {"email": OFFICER}),
    ("/plans/plan/manage/rebaseline", {"shift": "1m", "refs": "1.1", "reason": "x"}),
    ("/plans/plan/setup/1.3", {"leads": LEAD, "reason": "x"}),
    ("/plans/plan/manage/policies", {"amber_days_before_finish": "21", "reason": "x"}),
    ("/plans/plan/manage/assign", {"ref": "1.2", "leads": LEAD, "reason": "x"}),
]


@pytest.mark.parametrize("who", [LEAD, NHS, AUDITOR])
def test_pages_and_forms_refuse_a_person_without_the_right(
    site: Any, world: World, who: str
) -> None:
    c = site(who)
    for path in PAGES:
        assert c.get(path).status_code == 403, path
    before = recorded(world.rt)
    for path, data in POSTS:
        r = c.post(path, data={"csrf_token": c.csrf, **data}, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code, r.text[:300])
    r = c.post(
        "/plans/plan/manage/import",
        data={"csrf_token": c.csrf},
        files={"file": ("telford.xlsx", FIXTURE.read_bytes())},
    )
    assert r.status_code == 403
    r = c.post(
        "/plans/plan/manage/governance",
        data={"csrf_token": c.csrf, "key": "k", "title": "T", "agencies": "Council"},
        files={"document": ("s.txt", b"strategy", "text/plain")},
    )
    assert r.status_code == 403
    assert recorded(world.rt) == before


def test_an_owner_imports_after_a_dry_run_and_sets_up_an_action(site: Any, world: World) -> None:
    c = site(OWNER)
    before = recorded(world.rt)
    r = c.post(
        "/plans/plan/manage/import",
        data={"csrf_token": c.csrf},
        files={"file": ("telford.xlsx", FIXTURE.read_bytes())},
    )
    assert r.status_code == 200 and "Dry run: nothing recorded" in r.text
    assert recorded(world.rt) == before  # the dry run records nothing
    token = re.search(r'name="token" value="([^"]+)"', r.text)
    assert token
    r = c.post(
        "/plans/plan/manage/import/record",
        data={"csrf_token": c.csrf, "token": token.group(1), "file": "telford.xlsx"},
    )
    assert r.status_code == 200 and "/setup" in str(r.url)
    count = int(re.search(r'id="setup-count">(\d+)', r.text).group(1))  # type: ignore[union-attr]
    assert count > 5
    r = c.post(
        "/plans/plan/setup/1.3",
        data={
            "csrf_token": c.csrf,
            "leads": LEAD,
            "accountable": OFFICER,
            "finish": "2010-03-31",
            "reason": "assigned at the board",
        },
    )
    assert r.status_code == 200
    assert int(re.search(r'id="setup-count">(\d+)', r.text).group(1)) == count - 1  # type: ignore[union-attr]
    action = world.rt.app.action("plan", "1.3")
    assert action.is_lead(LEAD) and action.is_accountable(OFFICER)
    # The same file again: nothing new waits to be recorded.
    r = c.post(
        "/plans/plan/manage/import/record",
        data={"csrf_token": c.csrf, "token": token.group(1), "file": "telford.xlsx"},
    )
    assert r.status_code == 400 and "upload it again" in r.text


def test_a_date_from_the_picker_is_a_date_or_a_message_naming_the_field() -> None:
    assert picked_date(" 2009-08-31 ", "The decision date") == date(2009, 8, 31)
    with pytest.raises(InvalidInput, match=r"^The decision date '' is not a date"):
        picked_date("", "The decision date")
    assert form_date("2010-03-31", "The finish date") == date(2010, 3, 31)
    assert form_date("  ", "The finish date") is None
    with pytest.raises(
        InvalidInput, match=r"^The finish date 'soon' is not a date \(use the date picker\)$"
    ):
        form_date(" soon ", "The finish date")


def test_a_bad_upload_is_one_clear_message(site: Any) -> None:
    c = site(OWNER)
    r = c.post(
        "/plans/plan/manage/import",
        data={"csrf_token": c.csrf},
        files={"file": ("plan.pdf", b"%PDF-1.4")},
    )
    message = "file 'plan.pdf' is not a .csv, .tsv, .xlsx or .docx"
    assert r.status_code == 400 and message in html.unescape(r.text)
    assert "Traceback" not in r.text


def test_an_invitation_works_once_and_expires(site: Any, world: World) -> None:
    accounts = Accounts(world.rt.engine)
    token = accounts.create_invitation(OFFICER, ADMIN)
    anon = site(None)
    page = anon.get(f"/invitation/{token}")
    assert page.status_code == 200 and OFFICER in page.text
    data = {"csrf_token": csrf(page.text), "password": "a new password", "again": "a new password"}
    r = anon.post(f"/invitation/{token}", data=data, follow_redirects=False)
    assert r.status_code == 303
    assert accounts.check_password(OFFICER, "a new password")
    again = site(None)
    assert again.get(f"/invitation/{token}").status_code == 403
    r = again.post(f"/invitation/{token}", data={**data, "csrf_token": again.csrf})
    assert r.status_code == 403 and "already been used" in r.text
    late = accounts.create_invitation(OFFICER, ADMIN)
    with world.rt.engine.begin() as conn:
        conn.execute(update(invitations).values(expires_at="2000-01-01T00:00:00+00:00"))
    r = site(None).get(f"/invitation/{late}")
    assert r.status_code == 403 and "expired" in r.text


def test_a_deactivated_person_cannot_sign_in_and_their_session_and_token_stop(
    site: Any, world: World
) -> None:
    lead = site(LEAD)
    assert lead.get("/").status_code == 200
    token = Accounts(world.rt.engine).create_token(LEAD)
    api = {"authorization": f"Bearer {token}"}
    assert lead.get("/api/v1/me", headers=api).status_code == 200
    admin = site(ADMIN)
    r = admin.post(
        f"/manage/users/{LEAD}/deactivate", data={"csrf_token": admin.csrf, "reason": "left"}
    )
    assert r.status_code == 200 and "deactivated" in r.text
    assert "/sign-in" in str(lead.get("/").url)  # the old session no longer works
    assert lead.get("/api/v1/me", headers=api).status_code == 401
    with pytest.raises(AssertionError):
        site(LEAD)  # nor does the password
    admin.post(f"/manage/users/{LEAD}/reactivate", data={"csrf_token": admin.csrf})
    # Reactivation lets them sign in again, but the session from before stays ended.
    assert "/sign-in" in str(lead.get("/").url)
    assert site(LEAD).get("/").status_code == 200


def test_an_owner_changes_the_plans_policies_with_a_reason(site: Any, world: World) -> None:
    c = site(OWNER)
    form = {"csrf_token": c.csrf, "amber_days_before_finish": "21", "display": "worse"}
    r = c.post(
        "/plans/plan/manage/policies",
        data={**form, "lead_times_working_days": "10,0", "reason": "the board wants more warning"},
    )
    assert r.status_code == 200 and "policies were changed" in r.text
    plan = world.rt.app.plan("plan")
    assert plan.rag_policy.amber_days_before_finish == 21
    assert plan.reminder_policy.lead_times_working_days == [10, 0]
    r = c.post(
        "/plans/plan/manage/policies", data={**form, "overdue_every_days": "x", "reason": "why"}
    )
    assert r.status_code == 400
    assert "policy setting overdue_every_days 'x' is not a number" in html.unescape(r.text)


def test_an_owner_replaces_the_lead_of_an_action_that_needs_no_set_up(
    site: Any, world: World
) -> None:
    c = site(OWNER)
    r = c.post(
        "/plans/plan/manage/assign",
        data={"csrf_token": c.csrf, "ref": "1.1", "leads": OFFICER, "reason": "handed over"},
    )
    assert r.status_code == 200 and "The action's people were changed." in html.unescape(r.text)
    action = world.rt.app.action("plan", "1.1")
    assert action.is_lead(OFFICER) and not action.is_lead(LEAD)


def test_the_action_page_and_dashboard_show_set_up(site: Any) -> None:
    c = site(OWNER)
    page = html.unescape(c.get("/plans/plan/actions/1.3").text)
    assert "SET-UP" in page and "needs set-up: no lead, no accountable officer" in page
    board = html.unescape(c.get("/plans/plan").text)
    assert "1</span> need set-up" in board and "Needs set-up: no lead" in board


# A people file uploaded beside the plan file

PLAN_CSV = (
    b"Ref,Action,Lead,Chief Officer,Plan Finish\n"
    b"7.1,Audit cases,Mona Moss,Olu Officer,Sep-10\n"
    b"7.2,Train staff,Mona Moss,Nobody Known,Oct-10\n"
)
PEOPLE_CSV = b"Name,Email,Agency,Role\nMona Moss,mona.moss@nhs.example,NHS,\n"


def _import(c: Any, people: bytes, name: str = "people.csv") -> Any:
    return c.post(
        "/plans/plan/manage/import",
        data={"csrf_token": c.csrf},
        files={"file": ("plan.csv", PLAN_CSV), "people": (name, people)},
    )


def _emails(world: World) -> list[str]:
    from projections import queries

    world.rt.runner.catch_up()
    return [u["email"] for u in queries.users(world.rt.engine)]


def test_an_admin_imports_a_plan_with_a_people_file(site: Any, world: World) -> None:
    c = site(ADMIN)
    assert 'name="people" type="file"' in c.get("/plans/plan/manage").text
    before = recorded(world.rt)
    r = _import(c, PEOPLE_CSV)
    assert r.status_code == 200, r.text
    added = re.search(r'<ul id="people-added">(.*?)</ul>', r.text, re.S)
    assert added and "mona.moss@nhs.example" in added.group(1)
    unlinked = re.search(r'<ul id="people-unlinked">(.*?)</ul>', r.text, re.S)
    assert unlinked and "Nobody Known" in unlinked.group(1) and "Mona" not in unlinked.group(1)
    assert recorded(world.rt) == before and "mona.moss@nhs.example" not in _emails(world)
    token = re.search(r'name="token" value="([^"]+)"', r.text)
    assert token and 'name="people" value="people.csv"' in r.text
    r = c.post(
        "/plans/plan/manage/import/record",
        data={
            "csrf_token": c.csrf,
            "token": token.group(1),
            "file": "plan.csv",
            "people": "people.csv",
        },
    )
    assert r.status_code == 200 and "/setup" in str(r.url)
    assert "mona.moss@nhs.example" in _emails(world)
    action = world.rt.app.action("plan", "7.1")
    assert action.is_lead("mona.moss@nhs.example") and action.is_accountable(OFFICER)


def test_an_owner_who_is_not_an_admin_cannot_add_people(site: Any, world: World) -> None:
    c = site(OWNER)
    before = recorded(world.rt)
    r = _import(c, PEOPLE_CSV)
    text = html.unescape(r.text)
    assert r.status_code == 403 and "Traceback" not in text
    assert "only an admin may add people with an import" in text
    assert "'people.csv' would add mona.moss@nhs.example" in text
    assert 'name="token"' not in r.text
    assert recorded(world.rt) == before and "mona.moss@nhs.example" not in _emails(world)
    # Without the people file the owner's import goes ahead to its dry run.
    r = c.post(
        "/plans/plan/manage/import",
        data={"csrf_token": c.csrf},
        files={"file": ("plan.csv", PLAN_CSV)},
    )
    assert r.status_code == 200 and "Dry run: nothing recorded" in r.text


def test_a_malformed_people_file_is_one_line_naming_file_row_and_column(
    site: Any, world: World
) -> None:
    c = site(ADMIN)
    before = recorded(world.rt)
    r = _import(c, b"Name,Email\nMona Moss,mona@@nhs.example\n", "staff.csv")
    text = html.unescape(r.text)
    assert r.status_code == 400 and "Traceback" not in text
    assert "staff.csv: row 2, column email: 'mona@@nhs.example' is not an email address" in text
    assert 'name="token"' not in r.text
    r = _import(c, PEOPLE_CSV, "people.xlsx")
    assert r.status_code == 400 and "file 'people.xlsx' is not a .csv file" in html.unescape(r.text)
    assert recorded(world.rt) == before
    assert not any((Path(world.rt.settings.files_dir) / "imports").glob("*/*"))
