"""Prometheus metrics of outbox delivery."""

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from tickets.infrastructure.outbox.store import PENDING_COUNT_CAP

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tickets.infrastructure.outbox.lag import SubscriptionLag
    from tickets.infrastructure.outbox.settlement import BatchReport
    from tickets.infrastructure.outbox.store import QueueStats


class OutboxMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.delivered = Counter(
            "tickets_outbox_delivered", "Messages delivered to all handlers", registry=registry
        )
        self.retried = Counter(
            "tickets_outbox_retried", "Failed deliveries scheduled for retry", registry=registry
        )
        self.postponed = Counter(
            "tickets_outbox_postponed",
            "Deliveries postponed, uncharged, because a handler's downstream was down",
            registry=registry,
        )
        self.dead = Counter(
            "tickets_outbox_dead_lettered", "Messages parked as dead letters", registry=registry
        )
        self.handler_seconds = Histogram(
            "tickets_outbox_handler_seconds",
            "Time of one handler transaction (a batch or a single message)",
            ["handler"],
            registry=registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
        )
        self.pending = Gauge(
            "tickets_outbox_pending",
            f"Messages not yet processed, counted up to {PENDING_COUNT_CAP}",
            registry=registry,
        )
        self.held = Gauge(
            "tickets_outbox_held", "Pending messages held behind a dead letter", registry=registry
        )
        self.dead_now = Gauge(
            "tickets_outbox_dead", "Dead letters currently parked", registry=registry
        )
        self.oldest_age = Gauge(
            "tickets_outbox_oldest_pending_age_seconds",
            "Age of the oldest deliverable pending message",
            registry=registry,
        )

        self.lag_events = Gauge(
            "tickets_subscription_lag_events",
            "Messages a subscription has not processed yet (among the oldest pending)",
            ["subscription"],
            registry=registry,
        )
        self.lag_seconds = Gauge(
            "tickets_subscription_lag_seconds",
            "Age of the oldest message a subscription has not processed yet",
            ["subscription"],
            registry=registry,
        )

    def handled(self, handler: str, seconds: float) -> None:
        self.handler_seconds.labels(handler).observe(seconds)

    def settled(self, report: "BatchReport") -> None:
        self.delivered.inc(len(report.delivered))
        self.retried.inc(len(report.failed) - report.dead)
        self.dead.inc(report.dead)
        self.postponed.inc(len(report.postponed))

    def observe_queue(self, stats: "QueueStats", age_seconds: float) -> None:
        self.pending.set(stats.pending)
        self.held.set(stats.held)
        self.dead_now.set(stats.dead)
        self.oldest_age.set(age_seconds)

    def observe_lags(self, lags: "Sequence[SubscriptionLag]") -> None:
        for lag in lags:
            self.lag_events.labels(lag.subscription).set(lag.events)
            self.lag_seconds.labels(lag.subscription).set(lag.seconds)
