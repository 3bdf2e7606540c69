"""A plan's imports (the dry run first, then one button records it) and its set-up
list (every action that needs set-up, each with the form to fix it), for the plan's
owners and admins."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from domain.errors import DomainError, InvalidInput, PermissionDenied
from domain.users import Role
from domain.values import Person, Recurrence
from engine.web.context import SignedIn, Viewer, csrf_guard, web
from engine.web.pages import form_date, form_fields, page
from engine.web.routes.manage import back_to, managed_plan, notice_of, plan_context
from projections import queries
from projections.setup import plan_setup

router = APIRouter(dependencies=[Depends(csrf_guard)])

IMPORT_SUFFIXES = (".csv", ".tsv", ".xlsx", ".docx")
MAX_IMPORT_BYTES = 10 * 1024 * 1024
# The people file is kept beside the plan file, in a folder of its own so the two
# may share a name.
PEOPLE_FOLDER = "people"


# Imports: the dry run first, then one button records it


def _uploads(request: Request) -> Path:
    return Path(web(request).rt.settings.files_dir) / "imports"


@router.post("/plans/{slug}/manage/import", include_in_schema=False)
async def import_dry_run(request: Request, slug: str, viewer: SignedIn) -> Response:
    from engine.importing.record import import_plan

    state = web(request)
    await run_in_threadpool(managed_plan, request, viewer, slug)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("choose the plan file to import (.csv, .tsv, .xlsx or .docx)")
    listed = form.get("people")
    if not isinstance(listed, UploadFile) or not listed.filename:
        listed = None  # the people file is optional
    token = secrets.token_hex(16)
    folder = _uploads(request) / token
    try:
        path = await _keep(upload, folder, IMPORT_SUFFIXES, "a .csv, .tsv, .xlsx or .docx")
        people = None
        if listed is not None:
            people = await _keep(listed, folder / PEOPLE_FOLDER, (".csv",), "a .csv")
        result = await run_in_threadpool(
            lambda: import_plan(
                state.rt, viewer.email, path, slug=slug, dry_run=True, people=people
            )
        )
        if result.users_added and not viewer.has(Role.ADMIN) and people is not None:
            # The service refuses it when recording; say so before the owner reads a
            # report they could not record.
            raise PermissionDenied(
                f"only an admin may add people with an import: the people file "
                f"'{people.name}' would add {', '.join(result.users_added)}. Ask an admin "
                "to add them, or import the plan file without the people file"
            )
    except DomainError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if not result.ok:
        shutil.rmtree(folder, ignore_errors=True)
    return _report(request, viewer, slug, result, token, path.name, people)


async def _keep(upload: UploadFile, folder: Path, suffixes: tuple[str, ...], kinds: str) -> Path:
    """Keep an uploaded file in ``folder`` until the import is recorded (or refused)."""
    name = Path(upload.filename or "").name
    if Path(name).suffix.lower() not in suffixes:
        raise InvalidInput(f"file '{name}' is not {kinds} file")
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"file '{name}' is over the limit of {MAX_IMPORT_BYTES} bytes")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def _report(
    request: Request,
    viewer: Viewer,
    slug: str,
    result: Any,
    token: str,
    name: str,
    people: Path | None,
) -> Response:
    from engine.importing.merge import show as show_cell

    return page(
        request,
        viewer,
        "import_report.html",
        {
            "slug": slug,
            "result": result,
            "report": result.render_text(),
            "token": token,
            "file": name,
            "people": people.name if people is not None else "",
            "show_cell": show_cell,
            "active": "manage",
        },  # fmt: skip
        status_code=200 if result.ok else 400,
    )


@router.post("/plans/{slug}/manage/import/record", include_in_schema=False)
async def import_record(request: Request, slug: str, viewer: SignedIn) -> Response:
    from engine.importing.record import import_plan

    state = web(request)
    f = await form_fields(request)
    token, name = f.get("token", ""), Path(f.get("file", "")).name
    if not token.isalnum() or not name:
        raise InvalidInput("this import has no file: upload it again")
    folder = _uploads(request) / token
    path = folder / name
    if not path.is_file():
        raise InvalidInput(f"file '{name}' is no longer waiting to be recorded: upload it again")
    listed = Path(f.get("people", "")).name
    people = folder / PEOPLE_FOLDER / listed if listed else None
    if people is not None and not people.is_file():
        raise InvalidInput(f"file '{listed}' is no longer waiting to be recorded: upload it again")
    # The dry run's conflicts: keep the plan's values, or take the sheet's.
    prefer = f.get("prefer", "")
    if prefer not in ("", "plan", "sheet"):
        raise InvalidInput(f"'{prefer}' is not a choice for the conflicts: plan or sheet")
    result = await run_in_threadpool(
        lambda: import_plan(
            state.rt,
            viewer.email,
            path,
            slug=slug,
            people=people,
            prefer=[prefer] if prefer else [],
        )
    )
    if not result.ok:
        return _report(request, viewer, slug, result, "", name, people)
    shutil.rmtree(folder, ignore_errors=True)
    return back_to(slug, "imported", "/setup")


# The set-up list


@router.get("/plans/{slug}/setup", include_in_schema=False)
async def setup_list(request: Request, slug: str, viewer: SignedIn) -> Response:
    state = web(request)

    def context() -> dict[str, Any]:
        ctx = plan_context(request, viewer, slug)
        ctx["rows"] = plan_setup(state.rt.engine, ctx["plan"])
        return ctx

    ctx = await run_in_threadpool(context)
    return page(
        request,
        viewer,
        "setup.html",
        {
            **ctx,
            "active": "setup",
            "done": notice_of(request),
            "recurrences": [r.value for r in Recurrence],
        },  # fmt: skip
    )


@router.post("/plans/{slug}/manage/assign", include_in_schema=False)
async def assign(request: Request, slug: str, viewer: SignedIn) -> Response:
    """Give any action of the plan new leads or a new accountable officer."""
    form = await request.form()
    ref = str(form.get("ref") or "").strip()
    if not ref:
        raise InvalidInput("choose the action to assign people to")
    await _set_up(request, slug, ref, viewer, form)
    return back_to(slug, "assigned")


@router.post("/plans/{slug}/setup/{ref}", include_in_schema=False)
async def set_up(request: Request, slug: str, ref: str, viewer: SignedIn) -> Response:
    await _set_up(request, slug, ref, viewer, await request.form())
    return back_to(slug, "setup", "/setup")


async def _set_up(request: Request, slug: str, ref: str, viewer: Viewer, form: Any) -> None:
    state = web(request)
    people = {u["email"]: u for u in await run_in_threadpool(queries.users, state.rt.engine)}

    def person(email: str) -> Person:
        u = people.get(email.strip().lower())
        if u is None:
            raise InvalidInput(f"'{email}' is not a registered person")
        return Person(u["name"], u["email"], u["agency"])

    leads = [person(e) for e in form.getlist("leads") if isinstance(e, str) and e.strip()]
    acc = str(form.get("accountable") or "").strip()
    recurrence = str(form.get("recurrence") or "").strip()
    version = str(form.get("version") or "")
    await run_in_threadpool(
        lambda: state.rt.app.set_up_action(
            viewer.email,
            slug,
            ref,
            str(form.get("reason") or "") or "set up from the plan's set-up list",
            leads=leads or None,
            accountable=person(acc) if acc else None,
            plan_finish=form_date(str(form.get("finish") or ""), "The finish date"),
            recurrence=Recurrence(recurrence) if recurrence else None,
            expected_version=int(version) if version.isdigit() else None,
        )
    )
