"""What operations teams probe and scrape: liveness, readiness, Prometheus metrics and a
request id on every response and log line.

``/healthz`` answers while the process serves requests. ``/readyz`` answers 200 only when
the database answers and the read models are no more than ``ready_max_lag`` seconds behind
the event store, so a load balancer stops sending requests to a process whose pages would
be stale. ``/metrics`` is off unless ``ACTIONTRAIL_METRICS=1``: it tells more than a
stranger should know, so it is opened deliberately (and kept off the public network).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import text
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.runtime import Runtime

log = structlog.get_logger(__name__)

REQUEST_ID_HEADER = "x-request-id"
# An id a proxy passes on is kept when it is short and plain, so logs join up; any other
# value is replaced rather than copied into every log line.
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

router = APIRouter(include_in_schema=False)


class Metrics:
    """The process's Prometheus registry: request counts and latencies as they happen,
    the rest (read-model lag, outbox, reminders sent) read from the database at scrape."""

    def __init__(self, rt: Runtime) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "actiontrail_http_requests",
            "HTTP requests answered, by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "actiontrail_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route.",
            ["method", "route"],
            registry=self.registry,
        )
        self.sign_in_failures = Counter(
            "actiontrail_sign_in_failures",
            "Sign-in attempts refused (wrong password, unknown or locked address).",
            registry=self.registry,
        )
        self.registry.register(_StoreCollector(rt))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _StoreCollector(Collector):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Any]:
        lag = read_model_lag(self.rt)
        events = GaugeMetricFamily(
            "actiontrail_read_model_lag_events",
            "Events recorded but not yet applied to the read models.",
        )
        events.add_metric([], lag.events)
        yield events
        seconds = GaugeMetricFamily(
            "actiontrail_read_model_lag_seconds",
            "Age of the oldest event not yet applied to the read models (0 when none).",
        )
        seconds.add_metric([], lag.seconds)
        yield seconds
        # Imported here: the outbox module brings in the reminder machinery.
        from engine.reminders.outbox import Outbox

        counts = Outbox(self.rt.runner).counts()
        outbox = GaugeMetricFamily(
            "actiontrail_outbox_messages",
            "Reminder emails in the outbox, by state.",
            labels=["state"],
        )
        for state, count in sorted(counts.items()):
            outbox.add_metric([state], count)
        yield outbox
        sent = CounterMetricFamily(
            "actiontrail_reminders_sent", "Reminder emails delivered to the mail server."
        )
        sent.add_metric([], counts.get("sent", 0))
        yield sent


class Lag:
    def __init__(self, events: int, seconds: float) -> None:
        self.events = events
        self.seconds = seconds


def read_model_lag(rt: Runtime) -> Lag:
    """How far the slowest read model is behind the event store, in events and in the
    age of the oldest event it has not applied."""
    status = rt.runner.status()
    if not status:
        return Lag(0, 0.0)
    behind = min(s.position for s in status)
    events = max(s.lag for s in status)
    if events == 0:
        return Lag(0, 0.0)
    first = rt.app.recorder.select_notifications(start=behind, limit=1, inclusive_of_start=False)
    if not first:
        return Lag(events, 0.0)
    recorded: datetime = rt.app.mapper.to_domain_event(first[0]).timestamp  # type: ignore[attr-defined]
    age = (datetime.now(UTC) - recorded.astimezone(UTC)).total_seconds()
    return Lag(events, max(age, 0.0))


class RequestContext:
    """Gives every request an id (the caller's, when it is plain), binds it to every log
    line written while the request is answered, returns it as ``X-Request-ID``, and
    counts the request when metrics are on."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.encode(), b"")
        text_id = given.decode("latin-1")
        request_id = text_id if _GOOD_ID.match(text_id) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - started
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                if self.metrics is not None:
                    self.metrics.observe(scope["method"], route, status, seconds)
                log.info(
                    "request",
                    method=scope["method"],
                    route=route,
                    status=status,
                    ms=round(seconds * 1000, 1),
                )


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.web.rt
    return rt


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    rt = _rt(request)
    limit = rt.settings.ready_max_lag_seconds
    try:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        lag = read_model_lag(rt)
    except Exception as e:  # any failure to answer means not ready, whatever its kind
        log.warning("not_ready", reason="database", error=str(e))
        return JSONResponse({"status": "unavailable", "database": "not answering"}, status_code=503)
    body = {
        "status": "ready",
        "database": "ok",
        "read_model_lag_events": lag.events,
        "read_model_lag_seconds": round(lag.seconds, 1),
        "max_lag_seconds": limit,
    }
    if lag.seconds > limit:
        body["status"] = "behind"
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    found: Metrics | None = request.app.state.web.extras.get("metrics")
    if found is None:
        return PlainTextResponse("metrics are off (set ACTIONTRAIL_METRICS=1)", status_code=404)
    return Response(found.exposition(), media_type=CONTENT_TYPE_LATEST)


def count_sign_in_failure(request: Request) -> None:
    found: Metrics | None = request.app.state.web.extras.get("metrics")
    if found is not None:
        found.sign_in_failures.inc()


PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


class ProbesAnyHost:
    """Refuses requests for hosts this site is not (Starlette's TrustedHostMiddleware),
    except the probes: a load balancer or Prometheus asks by address, and nothing they
    answer is built from the Host header."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.checked = TrustedHostMiddleware(app, allowed_hosts=allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in PROBES:
            await self.app(scope, receive, send)
            return
        await self.checked(scope, receive, send)
