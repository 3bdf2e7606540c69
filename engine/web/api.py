"""The JSON API: the same engine commands and queries as the pages, for scripts.

Authenticated by per-user bearer tokens (`actiontrail users token EMAIL`), so the same
role checks apply and each change is recorded with the token's owner as its actor.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from domain.action import MAX_EVIDENCE_BYTES
from domain.errors import InvalidInput
from domain.values import Rag, Status
from engine.reports import ReportFormat, ReportKind
from engine.web import auditing, reads
from engine.web.context import ApiUser, web
from engine.web.describe import describe
from engine.web.times import local_input_to_utc
from engine.web.updates import Upload, clean_name, media_type_of
from projections import queries


class Problem(BaseModel):
    """Why a request was refused: one line for a person, one naming what to fix."""

    error: str
    message: str


# Every refusal the API can answer with, documented so clients (and the fuzz tests,
# which hold the API to this document) know each answer's shape.
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Refused: the request breaks a rule"},
    401: {"model": Problem, "description": "No valid bearer token"},
    403: {"model": Problem, "description": "The token's owner may not do this"},
    404: {"model": Problem, "description": "No such plan, action or item"},
    409: {"model": Problem, "description": "Changed by someone else meanwhile"},
    413: {"description": "The request is larger than allowed"},
    422: {"model": Problem, "description": "The request does not match this document"},
    429: {"model": Problem, "description": "Too many wrong tokens from this address"},
}

router = APIRouter(prefix="/api/v1", tags=["actiontrail"], responses=REFUSALS)


class Me(BaseModel):
    email: str
    name: str
    roles: list[str]
    agency: str | None


class Recorded(BaseModel):
    ok: bool = True
    version: int | None = Field(None, description="The action's version after the change")
    evidence_id: str | None = None


class StatusChange(BaseModel):
    status: Status
    reason: str | None = None
    effective_on: date | None = None
    expected_version: int | None = Field(
        None, description="Refuse with 409 if the action changed since this version"
    )


class RagAssessment(BaseModel):
    rag: Literal["red", "amber", "green"]
    reason: str | None = Field(None, description="Required for red and amber")
    effective_on: date | None = None
    expected_version: int | None = None


class ProgressReport(BaseModel):
    narrative: str
    risk: str | None = None
    period: str | None = Field(None, description="Default: the plan's current period")
    expected_version: int | None = None


class EvidenceLink(BaseModel):
    name: str
    url: str
    criterion: int | None = None
    note: str | None = None


class EvidenceDecision(BaseModel):
    accept: bool
    reason: str | None = Field(None, description="Required to reject")


class Milestone(BaseModel):
    number: int
    achieved_on: date


class Reading(BaseModel):
    name: str
    value: float
    measured_on: date


class AgencyDecision(BaseModel):
    agency: str
    approve: bool
    body: str = Field(description="The governing body that decided")
    decided_on: date
    minute_ref: str | None = None
    version: int | None = Field(None, description="The document version decided on")
    reason: str | None = Field(None, description="Required to reject")


class SignOff(BaseModel):
    board: str
    decided_on: date
    minute_ref: str | None = None
    version: int | None = None


def _version(request: Request, slug: str, ref: str) -> int:
    return int(web(request).rt.app.action(slug, ref).version)


@router.get("/me", response_model=Me)
def me(viewer: ApiUser) -> Me:
    return Me(
        email=viewer.email, name=viewer.name, roles=sorted(viewer.roles), agency=viewer.agency
    )


@router.get("/plans")
def list_plans(request: Request, viewer: ApiUser) -> list[dict[str, Any]]:
    return [
        {
            "slug": p["slug"],
            "title": p["title"],
            "organisation": p["organisation"],
            "demo": p["demo"],
        }
        for p in reads.plans(web(request).cache)
    ]


@router.get("/plans/{slug}")
def plan(request: Request, slug: str, viewer: ApiUser) -> dict[str, Any]:
    """The plan as the board reads it: per-action RAG with reasons, roll-ups, governance."""
    return reads.document(web(request).cache, slug)


@router.get("/my/actions")
def my_actions(request: Request, viewer: ApiUser) -> list[dict[str, Any]]:
    return [
        {
            "plan": m.slug,
            "ref": m.action["ref"],
            "title": m.action["title"],
            "status": m.action["status"],
            "rag": m.action["rag"],
            "plan_finish": m.action["plan_finish"],
            "overdue": m.action["overdue"],
            "due_soon": m.due_soon,
            "needs_update": m.needs_update,
            "version": m.action["version"],
        }
        for m in reads.my_actions(web(request).cache, viewer.email)
    ]


@router.get("/plans/{slug}/actions/{ref}")
def action(request: Request, slug: str, ref: str, viewer: ApiUser) -> dict[str, Any]:
    return reads.find_action(reads.document(web(request).cache, slug), ref)


def _bound(value: str | None, label: str, *, end: bool) -> str | None:
    try:
        return local_input_to_utc(value or "", end=end)
    except ValueError as e:
        raise InvalidInput(f"{label}: {e}") from None


@router.get("/plans/{slug}/history")
def history(
    request: Request,
    viewer: ApiUser,
    slug: str,
    subject: str | None = None,
    actor: str | None = None,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[dict[str, Any]]:
    """Every event of the plan in order. since/until are a date (its start, or for until
    its end) or an ISO time, London time unless it carries an offset, as elsewhere."""
    engine = web(request).rt.engine
    rows = queries.history_rows(
        engine,
        queries.plan(engine, slug),
        queries.HistoryFilter(
            subject=subject,
            actor=actor,
            kind=kind,
            since=_bound(since, "since", end=False),
            until=_bound(until, "until", end=True),
        ),
    )
    return [{**r, "description": describe(r)} for r in rows]


# The audit: read only, for everyone with a token, as the audit page is for everyone
# signed in. Moments are a date (its end) or a date and time, London time unless they
# carry an offset, as on the command line.

MomentText = Annotated[
    str,
    Query(
        description="YYYY-MM-DD (the end of that day) or YYYY-MM-DDTHH:MM[:SS], London time "
        "unless it carries an offset (Z, +01:00)",
        examples=["2009-07-31T18:00"],
    ),
]


@router.get("/plans/{slug}/as-of")
def plan_as_of(request: Request, slug: str, at: MomentText, viewer: ApiUser) -> dict[str, Any]:
    """The plan exactly as the system showed it at a moment (`show PLAN --as-of`): its
    actions, the sign-off matrix, evidence and closed periods then, and how it was
    replayed."""
    when = auditing.moment(at, "at")
    if when is None:
        raise InvalidInput("at: give the moment to show the plan as of")
    return auditing.plan_as_of(web(request).rt, slug, when)


@router.get("/plans/{slug}/effective")
def plan_effective(request: Request, slug: str, on: date, viewer: ApiUser) -> dict[str, Any]:
    """The plan as it was on a date, as far as everything recorded up to now tells
    (`show PLAN --effective`)."""
    return auditing.plan_effective(web(request).rt, slug, on)


@router.get("/plans/{slug}/diff")
def plan_diff(
    request: Request,
    slug: str,
    viewer: ApiUser,
    start: Annotated[str, Query(alias="from", description="The earlier moment")],
    end: Annotated[
        str | None, Query(alias="to", description="The later moment; default now")
    ] = None,
) -> dict[str, Any]:
    """What changed between two moments, subject by subject and field by field, with the
    events that changed each field (`diff PLAN --from --to`)."""
    t1 = auditing.moment(start, "from")
    if t1 is None:
        raise InvalidInput("from: give the earlier moment")
    return auditing.plan_diff(web(request).rt, slug, t1, auditing.moment(end, "to"))


@router.get(
    "/plans/{slug}/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {auditing.EXPORT_MEDIA_TYPE: {}},
            "description": "A header line, one line per event as stored, and a trailer "
            "with the count, the plan's digest and the file's SHA-256; `actiontrail "
            "restore` reads it",
        }
    },
)
async def export(request: Request, slug: str, viewer: ApiUser) -> StreamingResponse:
    """Every event of the plan, and of the users its events refer to, as JSON lines,
    streamed as they are read (`export PLAN`)."""
    chunks = await run_in_threadpool(auditing.export_stream, web(request).rt, slug)
    return StreamingResponse(
        chunks,
        media_type=auditing.EXPORT_MEDIA_TYPE,
        headers=auditing.attachment(auditing.download_name(slug, "export.jsonl")),
    )


@router.get("/plans/{slug}/verify")
def verify(
    request: Request,
    slug: str,
    viewer: ApiUser,
    checkpoint: Annotated[
        str | None,
        Query(description="A checkpoint statement as minuted: prove the history up to it"),
    ] = None,
) -> dict[str, Any]:
    """The hash chain recomputed over every stored event (`verify PLAN`): `intact` for
    the plan's events, `store_intact` for all. With a checkpoint, whether the plan's
    history up to it is unchanged (`verify --checkpoint`): `holds` and `intact`."""
    rt = web(request).rt
    if checkpoint is not None:
        return auditing.check_statement(rt, slug, checkpoint)
    return auditing.verification(rt, slug)


@router.get("/plans/{slug}/checkpoint")
def checkpoint(request: Request, slug: str, viewer: ApiUser) -> dict[str, Any]:
    """A short statement of the plan's record for the board to minute (`checkpoint
    PLAN`); refused while the record is not intact."""
    return auditing.checkpoint(web(request).rt, slug)


@router.get(
    "/plans/{slug}/reports/{kind}.{fmt}",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media, _ in auditing.REPORT_FORMATS.values()},
            "description": "The report as a download",
        }
    },
)
def report(
    request: Request,
    slug: str,
    kind: ReportKind,
    fmt: ReportFormat,
    viewer: ApiUser,
    period: Annotated[
        str | None,
        Query(description="e.g. 2009-08 or 2009-Q3; default the plan's current period"),
    ] = None,
) -> Response:
    """The progress, exception or governance report of one period (`report PLAN`): a
    closed period's as recorded when it closed, the open one's from the plan now."""
    state = web(request)
    key = period or reads.document(state.cache, slug)["period"]
    body = auditing.report(state.rt, slug, kind.value, fmt.value, key)
    return Response(
        body,
        media_type=auditing.REPORT_FORMATS[fmt][0],
        headers=auditing.attachment(auditing.download_name(slug, kind.value, f"{key}.{fmt}")),
    )


@router.post("/plans/{slug}/actions/{ref}/status", response_model=Recorded)
def change_status(
    request: Request, slug: str, ref: str, body: StatusChange, viewer: ApiUser
) -> Recorded:
    web(request).rt.app.change_status(
        viewer.email, slug, ref, body.status, reason=body.reason,
        effective_on=body.effective_on, expected_version=body.expected_version,
    )  # fmt: skip
    return Recorded(version=_version(request, slug, ref))


@router.post("/plans/{slug}/actions/{ref}/rag", response_model=Recorded)
def assess_rag(
    request: Request, slug: str, ref: str, body: RagAssessment, viewer: ApiUser
) -> Recorded:
    web(request).rt.app.assess_rag(
        viewer.email, slug, ref, Rag(body.rag), reason=body.reason,
        effective_on=body.effective_on, expected_version=body.expected_version,
    )  # fmt: skip
    return Recorded(version=_version(request, slug, ref))


@router.post("/plans/{slug}/actions/{ref}/progress", response_model=Recorded)
def report_progress(
    request: Request,
    viewer: ApiUser,
    slug: str,
    ref: str,
    body: ProgressReport,
) -> Recorded:
    state = web(request)
    period = body.period or reads.document(state.cache, slug)["period"]
    state.rt.app.report_progress(
        viewer.email, slug, ref, period, body.narrative, risk=body.risk,
        expected_version=body.expected_version,
    )  # fmt: skip
    return Recorded(version=_version(request, slug, ref))


@router.post("/plans/{slug}/actions/{ref}/evidence/links", response_model=Recorded)
def submit_link(
    request: Request, slug: str, ref: str, body: EvidenceLink, viewer: ApiUser
) -> Recorded:
    evidence_id = web(request).rt.app.submit_evidence(
        viewer.email, slug, ref, body.name, url=body.url, criterion=body.criterion, note=body.note
    )
    return Recorded(version=_version(request, slug, ref), evidence_id=evidence_id)


@router.post("/plans/{slug}/actions/{ref}/evidence/files", response_model=Recorded)
def submit_file(
    request: Request,
    viewer: ApiUser,
    slug: str,
    ref: str,
    file: Annotated[
        UploadFile, File(description="Up to 25 MB: documents, spreadsheets, images, text")
    ],
    note: Annotated[str | None, Form()] = None,
    criterion: Annotated[int | None, Form()] = None,
) -> Recorded:
    data = file.file.read(MAX_EVIDENCE_BYTES + 1)
    if len(data) > MAX_EVIDENCE_BYTES:
        raise InvalidInput(f"'{file.filename}' is over the evidence limit of 25 MB")
    upload = Upload(clean_name(file.filename or "evidence"), data, file.content_type)
    rt = web(request).rt
    with rt.files.storing_bytes(upload.name, upload.data, media_type_of(upload)) as stored:
        evidence_id = rt.app.submit_evidence(
            viewer.email, slug, ref, stored.name, sha256=stored.sha256, size=stored.size,
            media_type=stored.media_type, criterion=criterion, note=note,
        )  # fmt: skip
    return Recorded(version=_version(request, slug, ref), evidence_id=evidence_id)


@router.post("/plans/{slug}/actions/{ref}/evidence/{evidence_id}/decision", response_model=Recorded)
def decide_evidence(
    request: Request,
    viewer: ApiUser,
    slug: str,
    ref: str,
    evidence_id: str,
    body: EvidenceDecision,
) -> Recorded:
    web(request).rt.app.decide_evidence(
        viewer.email, slug, ref, evidence_id, body.accept, reason=body.reason
    )
    return Recorded(version=_version(request, slug, ref))


@router.post("/plans/{slug}/actions/{ref}/milestones", response_model=Recorded)
def achieve_milestone(
    request: Request, slug: str, ref: str, body: Milestone, viewer: ApiUser
) -> Recorded:
    web(request).rt.app.achieve_milestone(viewer.email, slug, ref, body.number, body.achieved_on)
    return Recorded(version=_version(request, slug, ref))


@router.post("/plans/{slug}/actions/{ref}/indicators", response_model=Recorded)
def measure_indicator(
    request: Request, slug: str, ref: str, body: Reading, viewer: ApiUser
) -> Recorded:
    web(request).rt.app.measure_indicator(
        viewer.email, slug, ref, body.name, body.value, body.measured_on
    )
    return Recorded(version=_version(request, slug, ref))


@router.get("/plans/{slug}/governance")
def governance(request: Request, slug: str, viewer: ApiUser) -> list[dict[str, Any]]:
    """The sign-off matrix: each item against each required agency, and the board."""
    governance_rows: list[dict[str, Any]] = reads.document(web(request).cache, slug)["governance"]
    return governance_rows


@router.post("/plans/{slug}/governance/{key}/decisions", response_model=Recorded)
def decide_item(
    request: Request,
    viewer: ApiUser,
    slug: str,
    key: str,
    body: AgencyDecision,
) -> Recorded:
    web(request).rt.app.decide_item(
        viewer.email, slug, key, body.agency, body.approve, body.body, body.decided_on,
        minute_ref=body.minute_ref, version=body.version, reason=body.reason,
    )  # fmt: skip
    return Recorded(version=None)


@router.post("/plans/{slug}/governance/{key}/sign-off", response_model=Recorded)
def sign_off(request: Request, slug: str, key: str, body: SignOff, viewer: ApiUser) -> Recorded:
    web(request).rt.app.sign_off(
        viewer.email, slug, key, body.board, body.decided_on,
        minute_ref=body.minute_ref, version=body.version,
    )  # fmt: skip
    return Recorded(version=None)
