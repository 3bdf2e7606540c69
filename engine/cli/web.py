"""`serve` (the web application with its background jobs) and web credentials."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from domain.errors import DomainError, NotFound
from engine.cli import app, output
from engine.cli.admin import users_app
from engine.cli.context import state

DEMO_PASSWORD = "leeds-demo-2009"


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
        bool, typer.Option("--no-scheduler", help="Do not send reminders from this process.")
    ] = False,
    no_projections: Annotated[
        bool,
        typer.Option(
            "--no-projections", help="Do not catch up read models with other processes' events."
        ),
    ] = False,
    web_only: Annotated[
        bool,
        typer.Option(
            "--web-only",
            help="Only answer requests (both of the above), for extra web processes "
            "sharing one PostgreSQL database.",
        ),
    ] = False,
) -> None:
    """Run the web application, the read-model catch-up and the reminders scheduler."""
    import uvicorn

    from engine.web.app import create_app
    from engine.web.background import Jobs

    st = state(ctx)
    rt = st.runtime()
    rt.runner.catch_up()
    if demo:
        _demo(rt, host, port)
    jobs = Jobs(
        projections=not (no_projections or web_only), scheduler=not (no_scheduler or web_only)
    )
    application = create_app(rt, jobs)
    output.info(
        f"actiontrail serving on http://{host}:{port}/ "
        f"(read-model catch-up {'on' if jobs.projections else 'off'}, "
        f"scheduler {'on' if jobs.scheduler else 'off'})"
    )
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


def _demo(rt: object, host: str, port: int) -> None:
    """Loads the demo plan into an empty store and gives its people the demo password.
    Only the demo plan's own people get it, and only if they have no password yet."""
    from engine.demo import load_data, load_demo
    from engine.runtime import Runtime
    from engine.web.accounts import Accounts

    assert isinstance(rt, Runtime)
    accounts = Accounts(rt.engine)
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
    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"New password for {user.email}: ")
        if getpass.getpass("Again: ") != password:
            raise DomainError("the two passwords differ")
    from engine.web.accounts import Accounts

    Accounts(rt.engine).set_password(user.email, password)
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
    from engine.web.accounts import Accounts

    token = Accounts(rt.engine).create_token(user.email, label)
    sys.stdout.write(token + "\n")
