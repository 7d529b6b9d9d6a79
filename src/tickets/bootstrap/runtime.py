"""The Runtime: what a process of the service shares once the database is open (the
settings, the pools, the bus, the outbox store and its dispatcher), and the workers,
the retention task and the readiness built from it."""

import asyncio
import dataclasses
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from tickets.api.auth.tokens import AuthConfig
from tickets.application.messagebus import MessageBus
from tickets.bootstrap.outbox_wiring import retention_rules, subscriptions
from tickets.config import Settings
from tickets.infrastructure.broker.link import BrokerLink
from tickets.infrastructure.outbox.dead_letter_store import SqlDeadLetterStore
from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.lag import subscription_lags
from tickets.infrastructure.outbox.metrics import OutboxMetrics
from tickets.infrastructure.outbox.store import OutboxStore
from tickets.infrastructure.outbox.worker import OutboxWorker, WorkerConfig
from tickets.infrastructure.pools import ServicePools, Timeouts
from tickets.infrastructure.retention import Pruner, RetentionConfig, RetentionMetrics
from tickets.infrastructure.unit_of_work import SqlUnitOfWorkFactory


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    uow_factory: SqlUnitOfWorkFactory
    bus: MessageBus
    registry: CollectorRegistry
    auth: AuthConfig
    pools: ServicePools
    read_url: str
    timeouts: Timeouts
    worker_timeouts: Timeouts
    store: OutboxStore
    dispatcher: Dispatcher
    dead_letters: SqlDeadLetterStore
    outbox_metrics: OutboxMetrics
    retention_metrics: RetentionMetrics
    broker: BrokerLink | None = None

    def pruner(self) -> Pruner:
        """The retention task, on the worker's pool (its longer statement bound)."""
        return Pruner(
            self.pools.worker,
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
        store = OutboxStore(self.pools.worker, self.store.policy)
        handlers = subscriptions(self.pools.worker, self.pools.worker_read, self.broker)
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
