"""Building the Runtime: start (or join) the database and tracing, migrate, open the
pools, and wire the bus, the outbox store, its dispatcher and the dead-letter store."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CollectorRegistry

from tickets.api.auth.tokens import AuthConfig
from tickets.application.behaviours import default_behaviours
from tickets.application.messagebus import Behaviour, MessageBus
from tickets.application.ports import ClockAndIds
from tickets.bootstrap.database import embedded_data_dir, jwt_secret, open_database
from tickets.bootstrap.outbox_wiring import broker_link, subscriptions
from tickets.bootstrap.runtime import Runtime
from tickets.config import Settings
from tickets.infrastructure.clock_and_ids import RandomIds, SystemClock
from tickets.infrastructure.metrics import PrometheusMetrics
from tickets.infrastructure.migrate import upgrade_to_head
from tickets.infrastructure.outbox.dead_letter_store import SqlDeadLetterStore
from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.lag import Home, Known
from tickets.infrastructure.outbox.metrics import OutboxMetrics
from tickets.infrastructure.outbox.retry import RetryPolicy
from tickets.infrastructure.outbox.store import OutboxStore
from tickets.infrastructure.outbox_wake_ups import OutboxWakeUps
from tickets.infrastructure.pools import Connections, Timeouts, service_pools
from tickets.infrastructure.retention import RetentionMetrics
from tickets.infrastructure.unit_of_work import SqlUnitOfWorkFactory
from tickets.readmodel.catalog import READ_SCHEMA
from tickets.tracing.setup import configure as start_tracing
from tickets.tracing.setup import enabled as tracing_on


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
            pools=pools,
            read_url=read_url,
            timeouts=timeouts,
            worker_timeouts=worker_timeouts,
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
