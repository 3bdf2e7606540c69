"""The ASGI application: pages, the JSON API, static files, security and background jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from domain.action import MAX_EVIDENCE_BYTES
from engine.runtime import Runtime
from engine.web import api, errors
from engine.web.accounts import Accounts
from engine.web.background import Jobs, ProjectionLoop, SchedulerHook
from engine.web.cache import ReadCache
from engine.web.context import WebState
from engine.web.routes import account, actions, audit, auth, manage, plans, reports, setup, users
from engine.web.security import BodyLimit, SecurityHeaders, Signer

STATIC = Path(__file__).parent / "static"
FORM_LIMIT = 1024 * 1024  # what any request but an upload may carry
UPLOAD_OVERHEAD = 1024 * 1024  # the other fields and multipart framing beside a file


def create_app(rt: Runtime, jobs: Jobs | None = None) -> FastAPI:
    """The web application over an open runtime. Background jobs run while it is
    served (the lifespan), none when jobs is None."""
    accounts = Accounts(rt.engine)
    state = WebState(
        rt=rt,
        accounts=accounts,
        signer=Signer(accounts.secret_key(rt.settings.secret_key)),
        cache=ReadCache(rt.engine),
        secure_cookies=rt.settings.base_url.startswith("https://"),
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
    app.state.web = state
    errors.install(app)
    for module in (auth, actions, plans, audit, reports, account, manage, setup, users):
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
    return app
