"""The outbox table, and a message of it as the worker sees it."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

TABLE = "tickets.outbox_messages"
"""Every module that reads or updates the outbox names it by this."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: UUID
    position: int
    aggregate_id: UUID
    aggregate_version: int
    event_type: str
    payload: dict[str, Any]
    correlation_id: str | None
    """Of the command that raised the event (the only field of the metadata a handler
    reads: the whole JSON was decoded for every claimed message, to no use)."""
    attempts: int
    occurred_at: datetime
    traceparent: str | None = None
    tracestate: str | None = None
    """The W3C trace context of the command that raised the event, when it was traced."""

    @classmethod
    def of(cls, row: asyncpg.Record) -> "OutboxMessage":
        return cls(
            row["id"],
            row["position"],
            row["aggregate_id"],
            row["aggregate_version"],
            row["event_type"],
            row["payload"],
            row["correlation_id"],
            row["attempts"],
            row["occurred_at"],
            row["traceparent"],
            row["tracestate"],
        )
