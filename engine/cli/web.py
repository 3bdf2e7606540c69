"""`serve` (the web application with its background jobs) and web credentials."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from domain.errors import DomainError, NotFound
from engine.cli import app, output
from engine.cli.admin import users_app
from engine.cli.context import Format, state

if TYPE_CHECKING:
    from engine.runtime import Runtime
    from engine.web.background import Jobs

DEMO_PASSWORD = "leeds-demo-2009"


PART_NAMES = {
    "web": "web application",
    "projections": "read-model catch-up",
    "scheduler": "reminders scheduler",
}


@dataclass(frozen=True)
class Parts:
    """What one `serve` process runs."""

    web: bool
    jobs: Jobs

    def describe(self) -> str:
        return self.jobs.describe() + ("" if self.web else ", no web server")


def choose_parts(
    *,
    web_only: bool = False,
    projections_only: bool = False,
    scheduler_only: bool = False,
    no_web: bool = False,
    no_projections: bool = False,
    no_scheduler: bool = False,
) -> Parts:
    """Every part runs unless turned off; an --X-only flag runs that part alone. Turning
    off a part that is off anyway is allowed, so scripts can add flags freely."""
    only = [
        (flag, part)
        for flag, part, on in (
            ("--web-only", "web", web_only),
            ("--projections-only", "projections", projections_only),
            ("--scheduler-only", "scheduler", scheduler_only),
        )
        if on
    ]
    if len(only) > 1:
        raise typer.BadParameter(
            f"{only[0][0]} and {only[1][0]} each run one part alone: give one of them "
            "(--no-web runs the catch-up and the scheduler together)",
            param_hint=only[1][0],
        )
    off = {"web": no_web, "projections": no_projections, "scheduler": no_scheduler}
    if only and off[only[0][1]]:
        flag, part = only[0]
        raise typer.BadParameter(
            f"{flag} runs only the {PART_NAMES[part]}, which --no-{part} turns off",
            param_hint=flag,
        )
    on = {part: not off[part] for part in off}
    if only:
        on = {part: part == only[0][1] for part in off}
    if not any(on.values()):
        raise typer.BadParameter(
            "--no-web, --no-projections and --no-scheduler together leave nothing to run",
            param_hint="--no-web",
        )
    from engine.web.background import Jobs

    return Parts(web=on["web"], jobs=Jobs(projections=on["projections"], scheduler=on["scheduler"]))


def _flag(name: str, help_text: str) -> Any:
    return typer.Option(name, help=help_text)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Load the demo plan if the store is empty; print sign-ins."),
    ] = False,
    no_scheduler: Annotated[
        bool, _flag("--no-scheduler", "Do not send reminders from this process.")
    ] = False,
    no_projections: Annotated[
        bool,
        _flag("--no-projections", "Do not catch up read models with other processes' events."),
    ] = False,
    no_web: Annotated[
        bool,
        _flag("--no-web", "Do not answer requests: run the catch-up and the scheduler only."),
    ] = False,
    web_only: Annotated[
        bool,
        _flag(
            "--web-only",
            "Only answer requests (no catch-up, no scheduler), for web processes sharing "
            "one PostgreSQL database with the processes that run the jobs.",
        ),
    ] = False,
    projections_only: Annotated[
        bool,
        _flag(
            "--projections-only",
            "Only catch up the read models with every process's events, without the web "
            "server: one such process for a database of --web-only processes.",
        ),
    ] = False,
    scheduler_only: Annotated[
        bool,
        _flag(
            "--scheduler-only",
            "Only run the reminders scheduler, without the web server: one such process "
            "for a database.",
        ),
    ] = False,
) -> None:
    """Run the web application, the read-model catch-up and the reminders scheduler in
    one process, or (with the flags) any of them alone."""
    parts = choose_parts(
        web_only=web_only,
        projections_only=projections_only,
        scheduler_only=scheduler_only,
        no_web=no_web,
        no_projections=no_projections,
        no_scheduler=no_scheduler,
    )
    if demo and not parts.web:
        raise typer.BadParameter(
            "the demo is shown by the web application, which this process would not run",
            param_hint="--demo",
        )
    st = state(ctx)
    rt = st.runtime()
    rt.catch_up()
    if not parts.web:
        _run_jobs(rt, parts)
        return
    import uvicorn

    from engine.web.app import create_app

    if demo:
        _demo(rt, host, port)
    application = create_app(rt, parts.jobs)
    output.info(f"actiontrail serving on http://{host}:{port}/ ({parts.describe()})")
    sys.stdout.flush()
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level=st.settings.log_level,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )


def _run_jobs(rt: Runtime, parts: Parts) -> None:
    def started() -> None:
        output.info(f"actiontrail running ({parts.describe()}); SIGTERM or Ctrl-C stops it")
        sys.stdout.flush()

    import asyncio

    from engine.web.background import SchedulerUnavailable, run_jobs

    try:
        asyncio.run(run_jobs(rt, parts.jobs, started))
    except SchedulerUnavailable:
        raise DomainError(
            "this installation has no reminders scheduler: --scheduler-only has no work"
        ) from None
    output.info("actiontrail stopped")


def _demo(rt: object, host: str, port: int) -> None:
    """Loads the demo plan into an empty store and gives its people the demo password.
    Only the demo plan's own people get it, and only if they have no password yet."""
    from engine.demo import load_data, load_demo
    from engine.runtime import Runtime

    assert isinstance(rt, Runtime)
    accounts = rt.accounts
    people = [p for p in load_data()["people"].values()]
    if not rt.app.has_users():
        load_demo(rt)
        output.info("demo plan loaded")
    elif not _is_demo_store(rt):
        output.info("the store is not empty: the demo plan was not loaded")
        return
    rows = []
    for p in people:
        if not accounts.has_password(p["email"]):
            accounts.set_password(p["email"], DEMO_PASSWORD)
        rows.append([p["email"], ", ".join(p["roles"]), p.get("agency") or ""])
    output.info(
        f"Open http://{host}:{port}/ and sign in as one of these (password: {DEMO_PASSWORD}):"
    )
    output.table(None, ["Email", "Roles", "Agency"], rows)


def _is_demo_store(rt: object) -> bool:
    from engine.runtime import Runtime
    from projections import queries

    assert isinstance(rt, Runtime)
    plans = queries.plans(rt.engine)
    return bool(plans) and all(p["demo"] for p in plans)


@users_app.command("password")
def users_password(
    ctx: typer.Context,
    email: str,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a person's web password (it signs them out of every session)."""
    st = state(ctx)
    rt = st.runtime()
    user = rt.app.user(email)
    import getpass

    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"New password for {user.email}: ")
        if getpass.getpass("Again: ") != password:
            raise DomainError("the two passwords differ")
    rt.accounts.set_password(user.email, password)
    st.result.update(email=user.email, password_set=True)
    output.info(f"password set for {user.email}")


@users_app.command("token")
def users_token(
    ctx: typer.Context,
    email: str,
    label: Annotated[str | None, typer.Option("--label", help="What the token is for.")] = None,
) -> None:
    """Create an API bearer token for a person; it is printed once and not kept."""
    st = state(ctx)
    rt = st.runtime()
    try:
        user = rt.app.user(email)
    except NotFound:
        raise DomainError(f"no user '{email}': add them first (actiontrail users add)") from None
    token = rt.accounts.create_token(user.email, label)
    if st.format is Format.JSON:
        output.print_json({"email": user.email, "label": label, "token": token})
        return
    sys.stdout.write(token + "\n")
