"""Lag per subscription: the events after its lanes' positions, and how old the oldest
of them is; on /metrics as gauges labelled by subscription."""

import uuid

from prometheus_client import CollectorRegistry

from tests.faults.conftest import dispatcher_for
from tests.faults.recording_handlers import Failing, Recorder
from tickets.bootstrap import Runtime
from tickets.domain.events import TicketCreated
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.outbox.lag import subscription_lags
from tickets.infrastructure.outbox.metrics import OutboxMetrics
from tickets.testing.synthetic_events import insert_events, ticket_events


async def test_each_subscription_shows_its_own_backlog(runtime: Runtime) -> None:
    ticket = uuid.uuid4()
    await insert_events(runtime.pools.write, ticket_events(ticket, 3))  # created, then 2 comments
    created_only = Recorder("created-only")
    created_only.event_types = frozenset({TicketCreated.event_type})
    stuck = Failing("stuck", poisoned=lambda event: event.version == 2)
    dispatcher = dispatcher_for(runtime, Recorder("quick"), created_only, stuck)

    before = {
        lag.subscription: lag
        for lag in await subscription_lags(dispatcher.store, dispatcher.subscriptions)
    }
    # A lane is read whatever a subscription wants: every one is 3 events behind.
    assert {name: lag.lag_events for name, lag in before.items()} == {
        "quick": 3,
        "created-only": 3,
        "stuck": 3,
    }
    assert all(lag.lag_seconds >= 0 for lag in before.values())

    # "stuck" parks its ticket from version 2 as a dead letter; its lane moves on: the
    # ticket shows as dead for "stuck" only, and no subscription is behind the log.
    await drain(dispatcher)
    after = await subscription_lags(dispatcher.store, dispatcher.subscriptions)
    assert {lag.subscription: (lag.lag_events, lag.dead) for lag in after} == {
        "quick": (0, 0),
        "created-only": (0, 0),
        "stuck": (0, 1),
    }

    registry = CollectorRegistry()
    OutboxMetrics(registry).observe_lags(after)
    dead = registry.get_sample_value("tickets_outbox_dead", {"subscription": "stuck"})
    assert dead == 1
    seconds = registry.get_sample_value(
        "tickets_subscription_lag_seconds", {"subscription": "quick"}
    )
    assert seconds == 0
