"""What the log's consumers are wired to: the subscriptions and where each keeps its
progress, the broker link the publisher uses, and the retention task's rules."""

import asyncpg
from prometheus_client import CollectorRegistry

from tickets.config import Settings
from tickets.infrastructure.broker.link import BrokerLink, BrokerMetrics
from tickets.infrastructure.broker.publisher import BrokerPublisher
from tickets.infrastructure.notifications import DecisionNotifier
from tickets.infrastructure.outbox.subscriptions import HandlerGroup, Subscription
from tickets.infrastructure.retention import Rule, Windows, rules
from tickets.readmodel.catalog import READ_MODEL, READ_SCHEMA, live_projections


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
        Subscription(HandlerGroup(DecisionNotifier.name, [DecisionNotifier()]), pool),
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
