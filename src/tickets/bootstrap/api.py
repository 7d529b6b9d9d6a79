"""The API process's services and app: the runtime, the worker when the API runs it,
the identity provider's verifier, the read model with its freshness wait."""

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tickets.api.admission import AdmissionLimits
from tickets.api.app import create_app
from tickets.api.auth.jwks import JwksConfig, JwksVerifier
from tickets.api.auth.verified_tokens import VerifiedTokens, provisioning
from tickets.api.services import ApiServices
from tickets.application.dead_letter_admin import DeadLetterAdministration
from tickets.application.notifications import NotificationInbox
from tickets.application.ticket_queries import TicketQueries
from tickets.bootstrap.assembly import open_runtime
from tickets.bootstrap.settings_checks import check_settings
from tickets.bootstrap.workers import running_worker
from tickets.config import Settings
from tickets.infrastructure.backoff import Backoff
from tickets.infrastructure.notification_store import SqlNotificationStore
from tickets.infrastructure.pools import Connections, connect
from tickets.infrastructure.user_repository import SqlUserRoles
from tickets.infrastructure.written_tickets import SqlWrittenTickets
from tickets.readmodel.freshness import VersionWaiter
from tickets.readmodel.ticket_read_model import SqlTicketReadModel


def identity_provider(settings: Settings) -> JwksVerifier | None:
    """The verifier of an identity provider's tokens, when TICKETS_JWT_JWKS_URL is set."""
    if settings.jwt_jwks_url is None:
        return None
    check_settings(settings)
    return JwksVerifier(
        JwksConfig(
            url=settings.jwt_jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            roles_claim=settings.jwt_roles_claim,
        )
    )


@asynccontextmanager
async def api_services(settings: Settings) -> AsyncIterator[ApiServices]:
    external = identity_provider(settings)  # checked before anything starts
    async with open_runtime(settings, "api") as runtime, contextlib.AsyncExitStack() as stack:
        worker = None
        if settings.run_worker:
            worker = await stack.enter_async_context(running_worker(runtime))
        if external is not None:
            stack.push_async_callback(external.aclose)

        async def readiness() -> list[str]:
            return await runtime.readiness(worker)

        freshness = VersionWaiter(
            lambda: connect(runtime.read_url, runtime.timeouts), Backoff(first=0.25, cap=5.0)
        )
        await freshness.start()
        stack.push_async_callback(freshness.stop)
        read_model = SqlTicketReadModel(
            Connections(runtime.pools.read, runtime.timeouts), freshness
        )
        yield ApiServices(
            bus=runtime.bus,
            auth=runtime.auth,
            tokens=VerifiedTokens(
                runtime.auth,
                user_roles=SqlUserRoles(runtime.pools.write),
                external=external,
                provision=provisioning(runtime.bus),
            ),
            registry=runtime.registry,
            readiness=readiness,
            queries=TicketQueries(
                read_model,
                settings.read_wait_seconds,
                SqlWrittenTickets(Connections(runtime.pools.write, runtime.timeouts)),
            ),
            dead_letters=DeadLetterAdministration(runtime.dead_letters),
            notifications=NotificationInbox(
                SqlNotificationStore(Connections(runtime.pools.write, runtime.timeouts))
            ),
        )


def build_app(settings: Settings) -> FastAPI:
    limits = AdmissionLimits(
        commands=settings.max_commands_in_flight,
        reads=settings.max_reads_in_flight,
        max_wait=settings.max_queue_wait_seconds,
    )
    return create_app(lambda: api_services(settings), limits)
