"""Every page of the web application, for every role and every state that shows
something different, passes axe-core's WCAG 2.2 A and AA rules with no violation.

One `actiontrail serve` (the demo plan, an owner and an empty plan) and one browser serve
the whole module; each role signs in once and its page is reused from case to case.
The page routes are read from the application's routing table, so a new page without a
case here fails `test_every_page_route_is_checked`. What automated rules cannot judge
(keyboard use, focus, error handling) is tested in tests/test_web_keyboard.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from engine.runtime import Runtime
from engine.service.accounts import Accounts
from tests.test_web_browser import route_table
from tests.test_web_helpers import (
    PASSWORD,
    PEOPLE,
    SLUG,
    Server,
    browser,  # noqa: F401  (fixture)
    csrf_of,
    seed_demo,
    seeded_server,
    sign_in,
)

pytestmark = pytest.mark.slow

# WCAG 2.0, 2.1 and 2.2, levels A and AA: what the 2018 Regulations require.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

OWNER = "olive.owner@leeds.example"
EMPTY = "empty-plan"
LOCKED = "locked.out@leeds.example"

# Who plays each role: the demo plan's people, and an owner added here.
ROLES = {
    "lead": PEOPLE["rg"],
    "accountable": PEOPLE["cor"],
    "approver": PEOPLE["nhs"],
    "secretary": PEOPLE["secretary"],
    "auditor": PEOPLE["auditor"],
    "admin": PEOPLE["admin"],
    "owner": OWNER,
}
# The action each role opens: one the lead leads, one with evidence awaiting the
# accountable officer's decision, any other for the rest.
ACTION = {"lead": "2.1", "accountable": "3.3"}

# GET routes that are not pages, each with why it needs no check of its own.
NOT_PAGES = {
    "/healthz": "plain text for load balancers",
    "/readyz": "plain text for load balancers",
    "/metrics": "Prometheus text",
    "/calendar/{secret}.ics": "a calendar feed",
    "/link/{token}": "redirects to the action page (checked as 'reminder-link')",
    "/sign-in/sso": "redirects to the identity provider, or an error page (checked)",
    "/sign-in/sso/callback": "redirects home, or an error page (checked)",
    "/plans/{slug}/actions/{ref}/evidence/{evidence_id}": "a file download",
    "/plans/{slug}/audit/export": "a JSON lines download",
    "/plans/{slug}/governance/{key}/document/{version}": "a file download",
    "/plans/{slug}/reports/{kind}.{fmt}": "a report download",
}


@dataclass(frozen=True)
class Case:
    role: str  # a key of ROLES, or "visitor" (signed out)
    name: str
    route: str | None  # the GET route the page comes from (None: a POST's answer)
    url: str
    status: int = 200
    # Drives the page from `url` to the state to check (a refused form, a conflict).
    then: Callable[[Any, Server], None] | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        return f"{self.role}-{self.name}"


def plan(suffix: str = "", slug: str = SLUG) -> str:
    return f"/plans/{slug}{suffix}"


def common_pages(role: str) -> list[Case]:
    """What every signed-in role sees."""
    ref = ACTION.get(role, "2.1")
    return [
        Case(role, "my-actions", "/", "/"),
        Case(role, "plans", "/plans", "/plans"),
        Case(role, "dashboard", "/plans/{slug}", plan()),
        Case(role, "action", "/plans/{slug}/actions/{ref}", plan(f"/actions/{ref}")),
        Case(role, "governance", "/plans/{slug}/governance", plan("/governance")),
        Case(role, "audit", "/plans/{slug}/audit", plan("/audit")),
        Case(role, "audit-verify", "/plans/{slug}/audit/verify", plan("/audit/verify")),
        Case(role, "reports", "/plans/{slug}/reports", plan("/reports")),
        Case(role, "account", "/account", "/account"),
        Case(role, "accessibility", "/accessibility", "/accessibility"),
        Case(role, "not-found", None, plan("/actions/9.9"), status=404),
    ]


def manager_pages(role: str, slug: str) -> list[Case]:
    return [
        Case(role, "manage", "/manage", "/manage"),
        Case(role, "plan-manage", "/plans/{slug}/manage", plan("/manage", slug)),
        Case(role, "setup", "/plans/{slug}/setup", plan("/setup", slug)),
    ]


# States that show something different, each reached as a person would reach it.


def submit(button: Any) -> None:
    """Clicks and waits for the answer's page to load: the rules must not run on the
    page being left (a check half-way through a navigation finds what is not there)."""
    with button.page.expect_navigation():
        button.click()


def refuse_update(page: Any, server: Server) -> None:
    form = page.locator("form.update")
    form.get_by_label("Status", exact=True).select_option("deferred")
    submit(form.get_by_role("button", name="Save update"))


def conflicting_update(page: Any, server: Server) -> None:
    version = page.locator("form.update input[name=version]").get_attribute("value")
    # Another save of the same action in between, from the same person elsewhere.
    response = page.request.post(
        f"{server.url}{plan('/actions/2.4/update')}",
        multipart={"csrf_token": csrf_of(page), "version": version or "",
                   "progress": "Audits done in nine teams."},
        max_redirects=0,
    )  # fmt: skip
    assert response.status == 303, response.text()[:300]
    page.locator("form.update").get_by_label("Progress this period").fill("My own words.")
    submit(page.locator("form.update").get_by_role("button", name="Save update"))


def refuse_decision(page: Any, server: Server) -> None:
    form = page.locator("form.decide").first
    form.get_by_label("Governing body").fill("NHS Leeds Board")
    submit(form.get_by_role("button", name="Reject"))


def refuse_password_change(page: Any, server: Server) -> None:
    page.get_by_label("Current password").fill("not my password")
    page.locator("#pw-new").fill("a brand new password")
    page.get_by_label("New password again").fill("a brand new password")
    submit(page.get_by_role("button", name="Change password"))


def refuse_sign_in(page: Any, server: Server) -> None:
    page.get_by_label("Email address").fill(PEOPLE["sc"])
    page.get_by_label("Password").fill("not the password")
    submit(page.get_by_role("button", name="Sign in"))


def lock_sign_in(page: Any, server: Server) -> None:
    for _ in range(6):
        page.get_by_label("Email address").fill(LOCKED)
        page.get_by_label("Password").fill("guessing")
        submit(page.get_by_role("button", name="Sign in"))
    assert "Too many failed attempts" in page.content()


def refuse_invitation(page: Any, server: Server) -> None:
    page.get_by_label("Password (at least 10 characters)").fill("a long new password")
    page.get_by_label("Password again").fill("a different password")
    submit(page.get_by_role("button", name="Set password and sign in"))


def import_refused(page: Any, server: Server) -> None:
    bad = server.files.parent / "bad-plan.csv"
    bad.write_text("ref,title,lead,finish\n1.1,,Nobody,not a date\n")
    page.get_by_label("Plan file", exact=True).set_input_files(str(bad))
    submit(page.get_by_role("button", name="Check the file"))


def invitation_url(server: Server) -> str:
    rt = server.runtime()
    try:
        token = Accounts(rt.engine).create_invitation(PEOPLE["gs"], PEOPLE["admin"])
    finally:
        rt.close()
    return f"/invitation/{token}"


def reminder_link(server: Server) -> str:
    from engine.web import make_action_link

    return make_action_link(server.settings(), PEOPLE["hp"], SLUG, "7.2").removeprefix(server.url)


def cases() -> list[Case]:
    found: list[Case] = []
    for role in ROLES:
        found += common_pages(role)
    found += manager_pages("admin", SLUG)
    found += manager_pages("owner", EMPTY)
    found += [
        Case("admin", "users", "/manage/users", "/manage/users"),
        Case("lead", "manage-refused", "/manage", "/manage", status=403),
        Case("lead", "update-refused", None, plan("/actions/2.1"), then=refuse_update),
        Case("lead", "update-conflict", None, plan("/actions/2.4"), then=conflicting_update),
        Case("lead", "dashboard-filtered", "/plans/{slug}", plan("?rag=red")),
        Case("lead", "account-refused", None, "/account", then=refuse_password_change),
        Case("approver", "decision-refused", None, plan("/governance"), then=refuse_decision),
        Case("auditor", "audit-as-of", "/plans/{slug}/audit", plan("/audit?at=2009-07-31T18:00")),
        Case("auditor", "audit-on", "/plans/{slug}/audit", plan("/audit?on=2009-04-20")),
        Case("auditor", "audit-compare", "/plans/{slug}/audit",
             plan("/audit?from=2009-07-31T18:00&to=2009-08-31T23:00")),
        Case("owner", "empty-dashboard", "/plans/{slug}", plan(slug=EMPTY)),
        Case("owner", "empty-governance", "/plans/{slug}/governance", plan("/governance", EMPTY)),
        Case("owner", "empty-reports", "/plans/{slug}/reports", plan("/reports", EMPTY)),
        Case("owner", "empty-audit", "/plans/{slug}/audit", plan("/audit", EMPTY)),
        Case("owner", "import-refused", None, plan("/manage", EMPTY), then=import_refused),
        Case("visitor", "sign-in", "/sign-in", "/sign-in"),
        Case("visitor", "sign-in-refused", None, "/sign-in", then=refuse_sign_in),
        Case("visitor", "sign-in-locked", None, "/sign-in", then=lock_sign_in),
        Case("visitor", "accessibility", "/accessibility", "/accessibility"),
        Case("visitor", "not-found", None, "/no-such-page", status=404),
        Case("visitor", "invitation", "/invitation/{token}", "invitation"),
        Case("visitor", "invitation-refused", None, "invitation", then=refuse_invitation),
        Case("visitor", "invitation-used", "/invitation/{token}", "/invitation/x", status=403),
        Case("visitor", "reminder-link", None, "reminder-link"),
        Case("visitor", "reminder-link-elsewhere", None, "reminder-link-elsewhere", status=403),
        Case("visitor", "sso-refused", None, "/sign-in/sso", status=404),
    ]  # fmt: skip
    return found


CASES = cases()


def seed(db_url: str, files: Path) -> None:
    """The demo plan; an owner running an empty plan; evidence awaiting a decision."""
    from engine.web.updates import UpdateForm, Upload, apply_update

    seed_demo(db_url, files)
    rt = Runtime.open(Settings(database_url=db_url, files_dir=str(files)))
    try:
        app = rt.app
        admin = PEOPLE["admin"]
        app.add_user(admin, OWNER, "Olive Owner", ["lead"], agency="Leeds City Council")
        app.create_plan(admin, EMPTY, "An empty plan", agencies=["Leeds City Council"])
        app.add_plan_owner(admin, EMPTY, OWNER, reason="runs the new plan")
        Accounts(rt.engine).set_password(OWNER, PASSWORD)
        version = app.action(SLUG, "3.3").version
        note = Upload("campaign-note.txt", b"Campaign materials printed.\n", "text/plain")
        form = UpdateForm(version=version, progress="Materials printed.", upload=note)
        apply_update(rt, PEOPLE["ms"], SLUG, "3.3", form, "2009-08")
    finally:
        rt.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from seeded_server(tmp_path_factory, seed, "a11y")


@pytest.fixture(scope="module")
def pages(browser: Any, site: Server) -> Iterator[dict[str, Any]]:  # noqa: F811
    """One signed-in page per role, made when first asked for and reused."""
    opened: dict[str, Any] = {}
    yield opened
    for page in opened.values():
        page.context.close()


def page_for(pages: dict[str, Any], chrome: Any, server: Server, role: str) -> Any:
    """A page whose every load brings axe-core with it (see `with_axe`)."""
    if role == "visitor":
        # Signed out, with cookies of its own each time (a sign-in state, a link's session).
        context = chrome.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(script=axe_script())
        return context.new_page()
    if role not in pages:
        pages[role] = sign_in(chrome, server, ROLES[role])
        pages[role].context.add_init_script(script=axe_script())
    return pages[role]


def address(case: Case, server: Server) -> str:
    if case.url == "invitation":
        return invitation_url(server)
    if case.url.startswith("reminder-link"):
        return reminder_link(server)
    return case.url


def axe_script() -> str:
    """axe-core as axe-playwright-python ships it."""
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG rules on the page as it is now. The pages of `page_for` have axe
    from the start of each load (a script added to their context once, not sent again
    for each check); any other page is given it here."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_script())
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results: dict[str, Any] = page.evaluate("options => axe.run(options)", options)
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:8]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['failureSummary']}")
    return "\n".join(lines)


def check_page(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n{describe(violations)}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_page_passes_axe(
    case: Case,
    pages: dict[str, Any],
    browser: Any,  # noqa: F811
    site: Server,
) -> None:
    page = page_for(pages, browser, site, case.role)
    try:
        response = page.goto(site.url + address(case, site))
        if case.url == "reminder-link-elsewhere":
            response = page.goto(site.url + plan())
        assert response is not None
        if case.then is not None:
            case.then(page, site)
        else:
            assert response.status == case.status, page.content()[:500]
        check_page(page)
        # Status and RAG never rely on colour alone: each tag says its word.
        for tag in page.locator(".rag, .status").all():
            assert re.search("[A-Za-z]", tag.inner_text()), tag.evaluate("e => e.outerHTML")
        # Every page offers the accessibility statement in its footer.
        footer = page.locator("footer")
        assert footer.get_by_role("link", name="Accessibility statement").count() == 1
    finally:
        if case.role == "visitor":
            page.context.close()


def test_every_page_route_is_checked() -> None:
    """A GET route that answers with a page has a case above, for some role; the rest
    are listed in NOT_PAGES with why."""
    from engine.web.app import create_app

    rt = Runtime.open(Settings(database_url="memory:"))
    try:
        routes = {
            path
            for path, methods in route_table(create_app(rt).routes)
            if "GET" in methods and not path.startswith(("/api/", "/static"))
        }
    finally:
        rt.close()
    checked = {c.route for c in CASES if c.route}
    unchecked = routes - checked - set(NOT_PAGES)
    assert not unchecked, f"page routes with no accessibility check: {sorted(unchecked)}"
    assert not set(NOT_PAGES) - routes, "NOT_PAGES names routes the application lacks"
    assert not checked - routes, "cases name routes the application lacks"
    assert {c.role for c in CASES} >= set(ROLES) | {"visitor"}


def test_the_checks_find_a_violation(
    pages: dict[str, Any],
    browser: Any,  # noqa: F811
    site: Server,
) -> None:
    """The rules run and would fail a page: an unlabelled field and text too faint."""
    page = page_for(pages, browser, site, "visitor")
    try:
        page.goto(f"{site.url}/sign-in")
        page.evaluate(
            """() => {
              document.querySelector('label[for=email]').remove();
              document.querySelector('h1').style.color = '#bbbbbb';
            }"""
        )
        found = {v["id"] for v in axe_violations(page)}
        assert {"label", "color-contrast"} <= found, found
    finally:
        page.context.close()


def test_no_tag_relies_on_colour_alone() -> None:
    """Every RAG and status tag the templates can write carries its word: the colour
    classes are never written without text."""
    templates = Path(__file__).resolve().parents[1] / "engine" / "web" / "templates"
    # A tag with no letters in it (empty, or a dash) would say its RAG by colour alone.
    empty = re.compile(r'<span class="(rag|status)[^"]*"[^>]*>[^A-Za-z{<]*</span>')
    for path in templates.glob("*.html"):
        assert not empty.search(path.read_text()), path.name


def test_every_rag_and_status_tag_is_readable_where_it_is_shown(
    pages: dict[str, Any],
    browser: Any,  # noqa: F811
    site: Server,
) -> None:
    """Every RAG rating and status (not only those the demo has today), as the
    templates' macros write them, on the backgrounds they sit on: a card, a table row,
    an exception row and the page. Their contrast passes and each carries its word."""
    from domain.values import Rag, Status
    from engine.web.templating import templates

    macros = templates().env.get_template("macros.html").module
    tags = [str(macros.rag(r.value)) for r in Rag]  # type: ignore[attr-defined]
    tags += [str(macros.rag(None)), str(macros.rag("setup", "set-up"))]  # type: ignore[attr-defined]
    tags += [str(macros.status(s.value)) for s in Status]  # type: ignore[attr-defined]
    sample = " ".join(tags)
    page = page_for(pages, browser, site, "lead")
    page.goto(f"{site.url}{plan()}")
    page.evaluate(
        """html => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('beforeend',
            '<div class="card" id="on-card">' + html + '</div><p id="on-page">' + html + '</p>' +
            '<table><tbody><tr><td>' + html + '</td></tr><tr><td>' + html + '</td></tr>' +
            '<tr class="is-exception"><td>' + html + '</td></tr></tbody></table>');
        }""",
        sample,
    )
    check_page(page)
    words = page.locator("#on-card").inner_text()
    for r in Rag:
        assert r.value.upper() in words
    assert "NOT RATED" in words and "SET-UP" in words
    for s in Status:
        assert s.value.replace("_", " ") in words.lower()


# Keyboard only: Tab, Shift+Tab, Enter and Space move and act; text is typed into the
# field that has the focus (and a closed list picks the option its letters begin).

FOCUSED = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  return {
    tag: e.tagName.toLowerCase(), id: e.id, cls: e.className,
    name: (e.getAttribute('aria-label') || e.innerText || e.value || '').trim().slice(0, 60),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    shadow: s.boxShadow !== 'none',
    body: e === document.body || e === document.documentElement,
  };
}"""


def focused(page: Any) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(FOCUSED)
    assert not found["body"], "the focus was lost to the page"
    assert found["outline"] or found["shadow"], f"no visible focus on {found}"
    return found


def press(page: Any, key: str) -> dict[str, Any]:
    page.keyboard.press(key)
    return focused(page)


def press_to_load(page: Any, key: str) -> None:
    """A key that sends a form: waits for the answer's page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def tab_to(page: Any, wanted: Callable[[dict[str, Any]], bool], limit: int = 250) -> None:
    """Tab until the focus is on what is wanted, the focus visible at every step."""
    for _ in range(limit):
        if wanted(press(page, "Tab")):
            return
    raise AssertionError("never reached by Tab")


def keyboard_sign_in(chrome: Any, server: Server, email: str) -> Any:
    page = chrome.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{server.url}/sign-in")
    first = press(page, "Tab")
    assert "skip" in first["cls"] and first["name"] == "Skip to content", first
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    tab_to(page, lambda f: f["id"] == "email")
    page.keyboard.type(email)
    assert press(page, "Tab")["id"] == "password"
    page.keyboard.type(PASSWORD)
    press_to_load(page, "Enter")
    assert "/sign-in" not in page.url
    return page


def test_keyboard_only_a_leads_quick_update(
    browser: Any,  # noqa: F811
    site: Server,
) -> None:
    page = keyboard_sign_in(browser, site, ROLES["lead"])
    try:
        # From My actions: open the action's update, rate it amber and report progress.
        tab_to(page, lambda f: f["tag"] == "summary" and f["name"] == "Update 2.1")
        assert press(page, "Enter")["tag"] == "summary"
        assert press(page, "Tab")["id"].endswith("-status")
        assert press(page, "Tab")["id"].endswith("-status-reason")
        rag = press(page, "Tab")
        assert rag["id"].endswith("-rag"), rag
        page.keyboard.type("Amber")
        assert page.evaluate("document.activeElement.value") == "amber"
        assert press(page, "Tab")["id"].endswith("-rag-reason")
        progress = press(page, "Tab")
        assert progress["id"].endswith("-progress"), progress
        page.keyboard.type("Workshops held with four teams.")
        tab_to(page, lambda f: f["tag"] == "button" and f["name"] == "Save update")
        # Amber needs a reason: refused, and the focus lands on the list of problems.
        press_to_load(page, "Enter")
        summary = focused(page)
        assert "error-summary" in summary["cls"], summary
        assert "needs a reason" in page.locator(".error-summary").inner_text()
        link = press(page, "Tab")
        assert link["tag"] == "a" and "needs a reason" in link["name"], link
        page.keyboard.press("Enter")
        field = focused(page)
        assert field["id"] == "u-rag-reason", field
        assert page.get_by_label("Progress this period").input_value() == (
            "Workshops held with four teams."
        )
        page.keyboard.type("Two teams postponed to October")
        assert press(page, "Shift+Tab")["id"] == "u-rag"
        assert press(page, "Tab")["id"] == "u-rag-reason"
        tab_to(page, lambda f: f["tag"] == "button" and f["name"] == "Save update")
        press_to_load(page, "Space")
        assert "Your update was saved." in page.content()
        summary_text = page.locator("section.summary").inner_text()
        assert "AMBER" in summary_text and "Two teams postponed to October" in summary_text
    finally:
        page.context.close()


def test_keyboard_only_an_approvers_decision(
    browser: Any,  # noqa: F811
    site: Server,
) -> None:
    page = keyboard_sign_in(browser, site, PEOPLE["ltht"])
    try:
        page.goto(f"{site.url}{plan('/governance')}")
        form = page.locator("form[aria-label='Decision for Leeds Teaching Hospitals NHS Trust']")
        body_id = form.get_by_label("Governing body").get_attribute("id")
        tab_to(page, lambda f: f["id"] == body_id)
        page.keyboard.type("Trust Board")
        assert press(page, "Tab")["id"].startswith("minute-")
        page.keyboard.type("TB 09/31")
        assert press(page, "Tab")["id"].startswith("date-")
        # A date field takes a Tab for each of its day, month, year and calendar button.
        tab_to(page, lambda f: f["id"].startswith("reason-"), limit=5)
        assert press(page, "Tab")["name"].startswith("Approve")
        assert press(page, "Tab")["name"] == "Reject"
        # A rejection needs a reason: refused, the focus on the problem, what was typed kept.
        press_to_load(page, "Space")
        summary = focused(page)
        assert "error-summary" in summary["cls"], summary
        assert press(page, "Tab")["tag"] == "a"
        page.keyboard.press("Enter")
        reason = focused(page)
        assert reason["id"].startswith("reason-"), reason
        assert form.get_by_label("Governing body").input_value() == "Trust Board"
        # Approve instead: back past the date to check it, then on to the button.
        assert press(page, "Shift+Tab")["id"].startswith("date-")
        assert press(page, "Tab")["id"].startswith("reason-")
        approve = press(page, "Tab")
        assert approve["name"].startswith("Approve"), approve
        press_to_load(page, "Enter")
        assert "The decision was recorded." in page.content()
        assert "Trust Board" in page.locator("table.matrix").inner_text()
    finally:
        page.context.close()
