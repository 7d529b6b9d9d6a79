"""Guarantee 3: a row whose transaction commits late, inserted before rows already
delivered, is still delivered: it gets its position only once committed, above every
position a reader has seen (trap 1: positions from a sequence commit out of order)."""

import uuid

import asyncpg

from tests.faults.conftest import dispatcher_for, effects
from tests.faults.recording_handlers import Recorder
from tickets.application.ports import MessageContext
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.outbox_rows import outbox_values
from tickets.testing.synthetic_events import insert_events, ticket_events


async def test_lower_position_committed_late_is_still_delivered(
    runtime: Runtime, fault_db: str
) -> None:
    slow_ticket, fast_ticket = uuid.uuid4(), uuid.uuid4()
    dispatcher = dispatcher_for(runtime, Recorder())
    [row] = outbox_values(ticket_events(slow_ticket, 1), MessageContext(correlation_id="gap"))

    slow = await asyncpg.connect(fault_db)
    try:
        transaction = slow.transaction()
        await transaction.start()
        low = await slow.fetchval(
            "INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version, "
            "event_type, payload, metadata, occurred_at) VALUES ($1, $2, $3, $4, $5::jsonb, "
            "$6::jsonb, $7) RETURNING seq",
            *row,
        )
        await insert_events(runtime.pools.write, ticket_events(fast_ticket, 1))
        high = await runtime.pools.write.fetchval(
            "SELECT seq FROM tickets.outbox_messages WHERE aggregate_id = $1", fast_ticket
        )
        assert low < high, "the slow row was inserted first"

        await drain(dispatcher)
        assert await effects(runtime.pools.write, "recorder") == [(fast_ticket, 1)]

        await transaction.commit()
    finally:
        await slow.close()

    await drain(dispatcher)
    assert await effects(runtime.pools.write, "recorder") == [(fast_ticket, 1), (slow_ticket, 1)]
    positions = await runtime.pools.write.fetch(
        "SELECT aggregate_id, position FROM tickets.outbox_messages ORDER BY position"
    )
    assert [r["aggregate_id"] for r in positions] == [fast_ticket, slow_ticket], (
        "the late commit got the higher position"
    )
