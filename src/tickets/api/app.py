"""The FastAPI app factory. Nothing is built at import time: services arrive through
the lifespan, from a context manager the composition root supplies."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from tickets.api.admission import AdmissionCollector, AdmissionLimits, AdmissionMiddleware, Budgets
from tickets.api.head_requests import HeadAsGetMiddleware
from tickets.api.middleware import (
    BodyLimitMiddleware,
    RequestContextMiddleware,
    RequestLatency,
    access_log,
)
from tickets.api.openapi import install_openapi
from tickets.api.problems import install_problem_handlers
from tickets.api.routers import (
    admin,
    auth,
    notifications,
    ops,
    ticket_queries,
    tickets,
    users,
)
from tickets.api.services import ApiServices
from tickets.version import version

DESCRIPTION = """
Ticket commands over a pure domain model, with a transactional outbox.

Get a token from `POST /auth/token`, press **Authorize**, then create and move tickets.
Every command answers with the ticket's new `version` (also as `ETag`), accepts
`If-Match`, and POST commands accept `Idempotency-Key`. Errors are RFC 9457 problem
details with a stable `code`.
"""

ServicesFactory = Callable[[], AbstractAsyncContextManager[ApiServices]]


def create_app(services: ServicesFactory, limits: AdmissionLimits = AdmissionLimits()) -> FastAPI:
    budgets = Budgets.of(limits)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with services() as running:
            app.state.services = running
            app.state.request_latency = RequestLatency(running.registry)
            app.state.access_log = access_log()
            running.registry.register(AdmissionCollector(budgets))
            yield

    app: FastAPI = FastAPIOffline(
        title="Tickets",
        version=version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
        # No OpenTelemetry here (metrics are Prometheus, logs structlog). Switched off,
        # FastAPI skips asking the OpenTelemetry globals on every request (its cost is
        # in the profiles of docs/benchmarks.md).
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # Relative: the origin the document was fetched from.
        servers=[{"url": "/", "description": "this server"}],
        license_info={"name": "MIT", "identifier": "MIT"},
    )
    install_problem_handlers(app)
    app.add_middleware(HeadAsGetMiddleware)  # added first: innermost
    app.add_middleware(BodyLimitMiddleware)
    # Inside the request context (a refusal has its request id, log line and latency),
    # before everything else: a refused request costs no token check and no body.
    app.add_middleware(AdmissionMiddleware, budgets=budgets)
    app.add_middleware(RequestContextMiddleware)  # added last: outermost
    documented = (
        auth.router,
        tickets.router,
        ticket_queries.router,
        notifications.router,
        admin.router,
        users.router,
        ops.router,
    )
    # FastAPI tries the routes one after the other, each try a cost on every request:
    # the hot paths, reads then commands, are tried first, before the documentation's
    # own routes. The order changes no answer: no two routes serve the same method and
    # path. Each router's routes are complete as it built them (prefix, tags,
    # responses), so they go on the app's route list itself: include_router would put
    # each router behind an inclusion resolved a second time on every request.
    matching = (ticket_queries.router, tickets.router, auth.router, *documented[3:])
    app.router.routes[:0] = [route for router in matching for route in router.routes]
    api_routes = [route for r in documented for route in r.routes if isinstance(route, APIRoute)]
    # What a 405's Allow header lists; see problems.allowed_methods.
    app.state.api_routes = api_routes
    install_openapi(app, api_routes)
    return app
