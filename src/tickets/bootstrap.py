"""Composition root: wires settings, the database and adapters to the ports."""

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from tickets.api.admission import AdmissionLimits
from tickets.api.app import create_app
from tickets.api.auth.jwks import JwksConfig, JwksVerifier
from tickets.api.auth.tokens import AuthConfig
from tickets.api.auth.verified_tokens import VerifiedTokens, provisioning
from tickets.api.services import ApiServices
from tickets.application.behaviours import default_behaviours
from tickets.application.dead_letter_admin import DeadLetterAdministration
from tickets.application.messagebus import Behaviour, MessageBus
from tickets.application.notifications import NotificationInbox
from tickets.application.ports import ClockAndIds
from tickets.application.ticket_queries import TicketQueries
from tickets.config import Settings
from tickets.infrastructure.backoff import Backoff
from tickets.infrastructure.broker.link import BrokerLink, BrokerMetrics
from tickets.infrastructure.broker.publisher import BrokerPublisher
from tickets.infrastructure.clock_and_ids import RandomIds, SystemClock
from tickets.infrastructure.embedded import check_data_dir, start_embedded, usable_data_dir
from tickets.infrastructure.metrics import PrometheusMetrics
from tickets.infrastructure.migrate import upgrade_to_head
from tickets.infrastructure.notification_store import SqlNotificationStore
from tickets.infrastructure.notifications import DecisionNotifier
from tickets.infrastructure.outbox.dead_letter_store import SqlDeadLetterStore
from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.lag import Home, Known, subscription_lags
from tickets.infrastructure.outbox.metrics import OutboxMetrics
from tickets.infrastructure.outbox.retry import RetryPolicy
from tickets.infrastructure.outbox.store import OutboxStore
from tickets.infrastructure.outbox.subscriptions import HandlerGroup, Subscription
from tickets.infrastructure.outbox.worker import OutboxWorker, WorkerConfig
from tickets.infrastructure.outbox_wake_ups import OutboxWakeUps
from tickets.infrastructure.pools import Connections, Timeouts, connect, service_pools
from tickets.infrastructure.reachability import check_reachable, describe
from tickets.infrastructure.retention import (
    Pruner,
    RetentionConfig,
    RetentionMetrics,
    Rule,
    Windows,
    rules,
)
from tickets.infrastructure.unit_of_work import SqlUnitOfWorkFactory
from tickets.infrastructure.user_repository import SqlUserRoles
from tickets.infrastructure.written_tickets import SqlWrittenTickets
from tickets.readmodel.catalog import READ_MODEL, READ_SCHEMA, live_projections
from tickets.readmodel.freshness import VersionWaiter
from tickets.readmodel.ticket_read_model import SqlTicketReadModel
from tickets.tracing.setup import check as check_tracing
from tickets.tracing.setup import configure as start_tracing
from tickets.tracing.setup import enabled as tracing_on

log = logging.getLogger("tickets")


class ConfigurationError(RuntimeError):
    """The settings cannot work together; the message says what to change."""


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    uow_factory: SqlUnitOfWorkFactory
    bus: MessageBus
    registry: CollectorRegistry
    auth: AuthConfig
    pool: asyncpg.Pool
    read_url: str
    read_pool: asyncpg.Pool
    timeouts: Timeouts
    worker_timeouts: Timeouts
    worker_pool: asyncpg.Pool
    worker_read_pool: asyncpg.Pool
    store: OutboxStore
    dispatcher: Dispatcher
    dead_letters: SqlDeadLetterStore
    outbox_metrics: OutboxMetrics
    retention_metrics: RetentionMetrics
    broker: BrokerLink | None = None

    def pruner(self) -> Pruner:
        """The retention task, on the worker's pool (its longer statement bound)."""
        return Pruner(
            self.worker_pool,
            retention_rules(self.settings),
            RetentionConfig(
                interval_seconds=self.settings.retention_interval_seconds,
                batch_size=self.settings.retention_batch_size,
            ),
            self.retention_metrics,
        )

    def worker(self, concurrency: int | None = None) -> OutboxWorker:
        s = self.settings
        config = WorkerConfig(
            batch_size=s.outbox_batch_size,
            lease_seconds=s.outbox_lease_seconds,
            poll_seconds=s.outbox_poll_seconds,
            linger_seconds=s.outbox_linger_seconds,
        )
        if concurrency is not None:
            config = dataclasses.replace(config, concurrency=concurrency)
        # On the worker's own pools: nobody waits on a batch, so its statements have the
        # longer bound, and a slow one under load is not taken for a lost database.
        store = OutboxStore(self.worker_pool, self.store.policy)
        handlers = subscriptions(self.worker_pool, self.worker_read_pool, self.broker)
        dispatcher = Dispatcher(store, handlers, self.outbox_metrics)
        return OutboxWorker(
            self.database_url,
            store,
            dispatcher,
            config,
            self.outbox_metrics,
            listen_timeouts=self.worker_timeouts,
        )

    async def behind(self) -> int:
        """Events the furthest-behind subscription has not reached yet."""
        lags = await subscription_lags(self.store, self.dispatcher.subscriptions)
        return max((lag.lag_events for lag in lags), default=0)

    async def readiness(self, worker: OutboxWorker | None) -> list[str]:
        """Reasons the service is not ready (empty when it is)."""
        try:
            async with asyncio.timeout(2):
                lags = await subscription_lags(self.store, self.dispatcher.subscriptions)
        except Exception as error:
            return [f"database unreachable: {type(error).__name__}"]
        reasons = []
        if worker is not None and not worker.is_alive():
            reasons.append(f"outbox worker not running (state: {worker.state})")
        broker_problem = self.broker.problem() if self.broker is not None else None
        if broker_problem is not None:
            reasons.append(broker_problem)
        limit = self.settings.ready_max_outbox_age_seconds
        for lag in lags:
            if lag.lag_seconds > limit:
                reasons.append(
                    f"subscription {lag.subscription} is {lag.lag_seconds:.0f}s behind"
                    f" (limit {limit:.0f}s)"
                )
        return reasons


def subscriptions(
    pool: asyncpg.Pool, read_pool: asyncpg.Pool, broker: BrokerLink | None = None
) -> list[Subscription]:
    """Every subscription of the log, bound to where its effects and progress live: the
    read model (both projections, one position) in the read database, notifications in
    the write database, and (with a broker configured) the broker publisher, whose
    progress lives in the write database."""
    read_model = HandlerGroup(READ_MODEL, live_projections())
    subs = [
        Subscription(read_model, read_pool, READ_SCHEMA),
        Subscription(DecisionNotifier(), pool),
    ]
    if broker is not None:
        subs.append(Subscription(BrokerPublisher(broker), pool))
    return subs


def retention_rules(settings: Settings) -> list[Rule]:
    return rules(
        Windows(
            idempotency_keys=settings.idempotency_key_ttl_seconds,
            attempts=settings.attempt_retention_seconds,
            audit=settings.audit_retention_seconds,
            read_notifications=settings.read_notification_retention_seconds,
            unread_notifications=settings.unread_notification_retention_seconds,
        )
    )


def broker_link(settings: Settings, registry: CollectorRegistry | None) -> BrokerLink | None:
    """The publishing connection when TICKETS_BROKER_URL is set (it connects on first use)."""
    if settings.broker_url is None:
        return None
    return BrokerLink(
        settings.broker_url,
        settings.broker_exchange,
        BrokerMetrics(registry) if registry is not None else None,
        confirm_timeout=settings.broker_confirm_timeout_seconds,
        backoff_base=settings.broker_retry_base_seconds,
        backoff_cap=settings.broker_retry_cap_seconds,
    )


def check_settings(settings: Settings) -> None:
    """Refuse settings that cannot work together, before anything is started."""
    if settings.jwt_jwks_url is not None and "jwt_issuer" not in settings.model_fields_set:
        raise ConfigurationError(
            "TICKETS_JWT_JWKS_URL needs TICKETS_JWT_ISSUER: the provider's issuer "
            "(the iss claim of its tokens)"
        )
    if settings.jwt_secret is None and not settings.embedded and settings.local_tokens_enabled():
        raise ConfigurationError(
            "TICKETS_JWT_SECRET is required with an external database (TICKETS_DATABASE_URL): "
            "set it to 32+ random bytes, e.g. "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )


async def preflight(settings: Settings) -> None:
    """Everything that can be checked before starting: the settings (the OTEL_* ones of
    tracing too), then one connection to each configured external database (a clear
    message instead of a failed migration)."""
    check_settings(settings)
    check_tracing()
    if settings.database_url is not None:
        await check_reachable(settings.database_url, "TICKETS_DATABASE_URL")
    else:
        check_data_dir(usable_data_dir(settings.data_dir, settings.data_dir_is_explicit))
    if settings.read_database_url not in (None, settings.database_url):
        await check_reachable(settings.read_database_url, "TICKETS_READ_DATABASE_URL")


def embedded_data_dir(settings: Settings) -> Path | None:
    """The embedded server's data folder, or None with an external database: a process
    that does not use the folder must not look at it (nor warn about where it lies)."""
    if settings.database_url is not None:
        return None
    return usable_data_dir(settings.data_dir, settings.data_dir_is_explicit)


def describe_database(settings: Settings) -> str:
    """Which database a process opens, for its first line: a CLI run elsewhere must not
    silently use another one."""
    data_dir = embedded_data_dir(settings)
    if data_dir is not None:
        return f"embedded PostgreSQL, data in {data_dir}"
    return f"PostgreSQL at {describe(settings.database_url or '')}"


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """Check the settings, start (or join) the database, and give the write and read
    databases' URLs, unmigrated (`tickets migrate --to` chooses the revision itself)."""
    await preflight(settings)
    data_dir = embedded_data_dir(settings)
    if data_dir is None:
        assert settings.database_url is not None  # what "no data folder" means
        url = settings.database_url
        log.info("database: %s", describe_database(settings))
        yield url, settings.read_database_url or url
        return
    embedded = await asyncio.to_thread(start_embedded, data_dir)
    log.info("database: %s", describe_database(settings))
    try:
        yield embedded.url, settings.read_database_url or embedded.url
    finally:
        await asyncio.to_thread(embedded.stop)


def command_behaviours(metrics: PrometheusMetrics) -> list[Behaviour]:
    """The command pipeline; with tracing on, the command span outermost (it times the
    whole command and its context is what the events carry)."""
    behaviours = default_behaviours(metrics)
    if tracing_on():
        from tickets.tracing.commands import tracing_behaviour

        behaviours.insert(0, tracing_behaviour())
    return behaviours


@asynccontextmanager
async def open_runtime(settings: Settings, role: str = "cli") -> AsyncIterator[Runtime]:
    """Check the settings, start (or join) the database, start tracing if the OTEL_*
    variables ask for it (``role`` names this process in the traces: api, worker, cli),
    migrate the database, and build the bus and its adapters."""
    async with open_database(settings) as (url, read_url), contextlib.AsyncExitStack() as stack:
        start_tracing(role)
        secret = jwt_secret(settings, embedded_data_dir(settings))
        await asyncio.to_thread(upgrade_to_head, url, read_url)
        timeouts = Timeouts(
            settings.db_connect_timeout_seconds, settings.db_command_timeout_seconds
        )
        # Nobody waits on the worker: it connects and runs a statement under one bound.
        worker_bound = settings.worker_command_timeout_seconds
        worker_timeouts = Timeouts(worker_bound, worker_bound)
        pools = await stack.enter_async_context(
            service_pools(
                url,
                read_url,
                size=settings.db_pool_size,
                timeouts=timeouts,
                worker_timeouts=worker_timeouts,
            )
        )
        command_pool, pool, read_pool = pools.command, pools.write, pools.read
        registry = CollectorRegistry()
        wake_ups = OutboxWakeUps(pool)
        stack.push_async_callback(wake_ups.aclose)  # before the pools close
        uow_factory = SqlUnitOfWorkFactory(command_pool, wake_ups)
        bus = MessageBus(
            uow_factory,
            ClockAndIds(clock=SystemClock(), ids=RandomIds()),
            command_behaviours(PrometheusMetrics(registry)),
        )
        auth = AuthConfig(
            secret=secret,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.token_ttl_seconds,
            dev_login=settings.dev_login_enabled(),
            local_tokens=settings.local_tokens_enabled(),
        )
        policy = RetryPolicy(
            settings.outbox_retry_base_seconds,
            settings.outbox_retry_cap_seconds,
            settings.outbox_max_attempts,
        )
        store = OutboxStore(pool, policy)
        outbox_metrics = OutboxMetrics(registry)
        broker = broker_link(settings, registry)
        if broker is not None:
            stack.push_async_callback(broker.close)
        dispatcher = Dispatcher(store, subscriptions(pool, read_pool, broker), outbox_metrics)
        yield Runtime(
            settings=settings,
            database_url=url,
            uow_factory=uow_factory,
            bus=bus,
            registry=registry,
            auth=auth,
            pool=pool,
            read_url=read_url,
            read_pool=read_pool,
            timeouts=timeouts,
            worker_timeouts=worker_timeouts,
            worker_pool=pools.worker,
            worker_read_pool=pools.worker_read,
            store=store,
            dispatcher=dispatcher,
            dead_letters=SqlDeadLetterStore(
                store,
                [Home(pool, "tickets"), Home(read_pool, READ_SCHEMA)],
                Connections(pool, timeouts),
                [Known(s.name, s.pool, s.schema) for s in dispatcher.subscriptions],
            ),
            outbox_metrics=outbox_metrics,
            retention_metrics=RetentionMetrics(registry),
            broker=broker,
        )


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


def jwt_secret(settings: Settings, data_dir: Path | None) -> str:
    """The configured secret or, in embedded mode only (``data_dir`` given), one
    generated and kept on disk."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if not settings.embedded and not settings.local_tokens_enabled():
        return secrets.token_urlsafe(48)  # signs and verifies nothing: no HS256 tokens
    check_settings(settings)
    # check_settings refused an external database without a secret: this is embedded
    assert data_dir is not None
    path = data_dir / "jwt_secret"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: of two processes starting together, exactly one writes the secret
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@asynccontextmanager
async def running_worker(
    runtime: Runtime, concurrency: int | None = None
) -> AsyncIterator[OutboxWorker]:
    """Run an outbox worker, and beside it the retention task, until the block exits;
    the worker finishes its batch before stopping."""
    worker = runtime.worker(concurrency)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="outbox-worker")
    pruning = asyncio.create_task(runtime.pruner().run(stop), name="retention")
    try:
        yield worker
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, runtime.settings.outbox_lease_seconds)
        except TimeoutError:
            log.warning("outbox worker did not stop in time; its leases will expire")
        try:  # a batch is one short transaction: cancelled, it rolls back
            await asyncio.wait_for(pruning, runtime.settings.worker_command_timeout_seconds)
        except TimeoutError:
            log.warning("retention task did not stop in time")


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
        read_model = SqlTicketReadModel(Connections(runtime.read_pool, runtime.timeouts), freshness)
        yield ApiServices(
            bus=runtime.bus,
            auth=runtime.auth,
            tokens=VerifiedTokens(
                runtime.auth,
                user_roles=SqlUserRoles(runtime.pool),
                external=external,
                provision=provisioning(runtime.bus),
            ),
            registry=runtime.registry,
            readiness=readiness,
            queries=TicketQueries(
                read_model,
                settings.read_wait_seconds,
                SqlWrittenTickets(Connections(runtime.pool, runtime.timeouts)),
            ),
            dead_letters=DeadLetterAdministration(runtime.dead_letters),
            notifications=NotificationInbox(
                SqlNotificationStore(Connections(runtime.pool, runtime.timeouts))
            ),
        )


def build_app(settings: Settings) -> FastAPI:
    limits = AdmissionLimits(
        commands=settings.max_commands_in_flight,
        reads=settings.max_reads_in_flight,
        max_wait=settings.max_queue_wait_seconds,
    )
    return create_app(lambda: api_services(settings), limits)
