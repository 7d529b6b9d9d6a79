"""Prometheus metrics of outbox delivery, per subscription."""

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from tickets.infrastructure.outbox.store import LAG_COUNT_CAP

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tickets.infrastructure.outbox.lag import SubscriptionLag


class OutboxMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.delivered = Counter(
            "tickets_outbox_delivered",
            "Events delivered, per subscription",
            ["subscription"],
            registry=registry,
        )
        self.retried = Counter(
            "tickets_outbox_retried",
            "Failed deliveries of a ticket, parked and scheduled for retry",
            ["subscription"],
            registry=registry,
        )
        self.postponed = Counter(
            "tickets_outbox_postponed",
            "Events postponed, uncharged, because a subscription's downstream was down",
            ["subscription"],
            registry=registry,
        )
        self.handler_seconds = Histogram(
            "tickets_outbox_handler_seconds",
            "Time of one delivery round of a subscription",
            ["handler"],
            registry=registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
        )
        self.lag_events = Gauge(
            "tickets_subscription_lag_events",
            f"Events a subscription has not reached yet (counted up to {LAG_COUNT_CAP} a lane)",
            ["subscription"],
            registry=registry,
        )
        self.lag_seconds = Gauge(
            "tickets_subscription_lag_seconds",
            "Age of the oldest event a subscription has not reached yet",
            ["subscription"],
            registry=registry,
        )
        self.dead_now = Gauge(
            "tickets_outbox_dead",
            "Tickets parked as dead letters, per subscription",
            ["subscription"],
            registry=registry,
        )
        self.parked_now = Gauge(
            "tickets_outbox_parked",
            "Tickets parked for retry, per subscription",
            ["subscription"],
            registry=registry,
        )
        self.unpositioned = Gauge(
            "tickets_outbox_unpositioned",
            "Committed events not yet given a position by the sequencer",
            registry=registry,
        )

    def handled(self, handler: str, seconds: float) -> None:
        self.handler_seconds.labels(handler).observe(seconds)

    def observe_lags(self, lags: "Sequence[SubscriptionLag]") -> None:
        for lag in lags:
            self.lag_events.labels(lag.subscription).set(lag.lag_events)
            self.lag_seconds.labels(lag.subscription).set(lag.lag_seconds)
            self.parked_now.labels(lag.subscription).set(lag.retrying)
            self.dead_now.labels(lag.subscription).set(lag.dead)
