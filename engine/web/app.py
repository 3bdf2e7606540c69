"""The ASGI application: pages, the JSON API, static files, security and background jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from domain.action import MAX_EVIDENCE_BYTES
from engine.runtime import Runtime
from engine.service.accounts import SessionLimits
from engine.web import api, errors
from engine.web.background import Jobs, ProjectionLoop, SchedulerHook
from engine.web.cache import ReadCache
from engine.web.context import WebState
from engine.web.ops import Metrics, ProbesAnyHost, RequestContext
from engine.web.ops import router as ops_router
from engine.web.routes import (
    about,
    account,
    actions,
    audit,
    auth,
    manage,
    plans,
    reports,
    setup,
    sso,
    users,
)
from engine.web.security import BodyLimit, SecurityHeaders, Signer
from engine.web.sso import SsoConfig

STATIC = Path(__file__).parent / "static"
FORM_LIMIT = 1024 * 1024  # what any request but an upload may carry
UPLOAD_OVERHEAD = 1024 * 1024  # the other fields and multipart framing beside a file


def create_app(rt: Runtime, jobs: Jobs | None = None) -> FastAPI:
    """The web application over an open runtime. Background jobs run while it is
    served (the lifespan), none when jobs is None."""
    accounts = rt.accounts
    settings = rt.settings
    limits = SessionLimits(
        idle_seconds=settings.session_idle_minutes * 60,
        absolute_seconds=settings.session_max_hours * 60 * 60,
    )
    state = WebState(
        rt=rt,
        accounts=accounts,
        signer=Signer(
            accounts.secret_key(settings.secret_key),
            session_max_age=int(limits.absolute_seconds),
        ),
        cache=ReadCache(rt.engine),
        secure_cookies=settings.base_url.startswith("https://"),
        limits=limits,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loop = ProjectionLoop(rt) if jobs and jobs.projections else None
        scheduler = SchedulerHook(rt) if jobs and jobs.scheduler else None
        if loop:
            loop.start()
        if scheduler:
            state.extras["scheduler"] = scheduler.start()
        try:
            yield
        finally:
            if scheduler:
                await scheduler.stop()
            if loop:
                await loop.stop()

    app = FastAPI(
        title="actiontrail",
        summary="Multi-agency improvement plans: actions, RAG, evidence, approvals.",
        version="1",
        openapi_url="/api/openapi.json",
        # The interactive docs load scripts from elsewhere, which the policy forbids.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    state.extras["sso"] = SsoConfig.from_settings(settings)
    app.state.web = state
    metrics = Metrics(rt) if rt.settings.metrics_enabled else None
    if metrics is not None:
        state.extras["metrics"] = metrics
    # Checked now, so a bad value stops `serve` at start rather than every probe.
    rt.settings.ready_max_lag_seconds  # noqa: B018
    errors.install(app)
    app.include_router(ops_router)
    for module in (about, auth, sso, actions, plans, audit, reports, account, manage, setup, users):
        app.include_router(module.router)
    app.include_router(account.feed_router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(
        BodyLimit,
        upload_limit=MAX_EVIDENCE_BYTES + UPLOAD_OVERHEAD,
        other_limit=FORM_LIMIT,
    )
    app.add_middleware(SecurityHeaders)
    # A request naming a host this site is not is refused before anything reads its
    # Host to build a link; the probes answer a load balancer that asks by address.
    app.add_middleware(ProbesAnyHost, allowed_hosts=settings.host_names())
    # Outermost, so the id is on every response and the timing covers the whole answer.
    app.add_middleware(RequestContext, metrics=metrics)
    return app
