"""The outbox table (the event log), and a message of it as a subscription sees it."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

TABLE = "tickets.outbox_messages"
"""Every module that reads the log names it by this."""

COLUMNS = """m.id, m.position, m.lane, m.aggregate_id, m.aggregate_version, m.event_type,
             m.payload, m.metadata ->> 'correlation_id' AS correlation_id, m.occurred_at,
             m.metadata ->> 'traceparent' AS traceparent,
             m.metadata ->> 'tracestate' AS tracestate"""
"""What a subscription reads of a message (``m`` is the log)."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: UUID
    position: int
    lane: int
    aggregate_id: UUID
    aggregate_version: int
    event_type: str
    payload: dict[str, Any]
    correlation_id: str | None
    """Of the command that raised the event (the only field of the metadata a handler
    reads)."""
    occurred_at: datetime
    traceparent: str | None = None
    tracestate: str | None = None
    """The W3C trace context of the command that raised the event, when it was traced."""
    attempts: int = 0
    """Attempts before this delivery (delivery spans show the next one); a page is
    delivered first, a parked ticket's retries count in its parked row."""

    @classmethod
    def of(cls, row: asyncpg.Record) -> "OutboxMessage":
        return cls(
            row["id"],
            row["position"],
            row["lane"],
            row["aggregate_id"],
            row["aggregate_version"],
            row["event_type"],
            row["payload"],
            row["correlation_id"],
            row["occurred_at"],
            row["traceparent"],
            row["tracestate"],
        )
