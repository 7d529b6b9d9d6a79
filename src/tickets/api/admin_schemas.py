"""Response bodies of the admin (outbox operations) endpoints."""

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from tickets.application.dead_letters import (
    DeadLetter,
    DeadLetterDetail,
    OutboxStatus,
    SubscriptionStatus,
)


class DeadLetterOut(BaseModel):
    id: UUID
    position: int
    ticket_id: UUID
    version: int
    event_type: str
    attempts: int
    last_error: str | None
    occurred_at: datetime
    held: int
    subscription: str

    @classmethod
    def of(cls, letter: DeadLetter) -> "DeadLetterOut":
        return cls(**asdict(letter))


class AttemptOut(BaseModel):
    attempt: int
    handler: str
    error: str
    failed_at: datetime


class AuditOut(BaseModel):
    action: str
    actor_id: UUID
    actor_name: str
    at: datetime


class DeadLetterDetailOut(DeadLetterOut):
    status: str
    payload: dict[str, Any]
    metadata: dict[str, Any]
    attempt_log: list[AttemptOut]
    audit: list[AuditOut]

    @classmethod
    def of_detail(cls, detail: DeadLetterDetail) -> "DeadLetterDetailOut":
        return cls(
            **asdict(detail.letter),
            status=detail.status,
            payload=detail.payload,
            metadata=detail.metadata,
            attempt_log=[AttemptOut(**asdict(a)) for a in detail.attempts],
            audit=[AuditOut(**asdict(a)) for a in detail.audit],
        )


class DeadLetterList(BaseModel):
    items: list[DeadLetterOut]


class SubscriptionStatusOut(BaseModel):
    subscription: str
    lag_events: int
    lag_seconds: float
    retrying: int
    dead: int

    @classmethod
    def of(cls, status: SubscriptionStatus) -> "SubscriptionStatusOut":
        return cls(**asdict(status))


class OutboxStatusOut(BaseModel):
    pending: int
    held: int
    dead: int
    oldest_pending_age_seconds: float
    parked_tickets: list[DeadLetterOut]
    subscriptions: list[SubscriptionStatusOut]

    @classmethod
    def of(cls, status: OutboxStatus) -> "OutboxStatusOut":
        return cls(
            pending=status.pending,
            held=status.held,
            dead=status.dead,
            oldest_pending_age_seconds=status.oldest_pending_age_seconds,
            parked_tickets=[DeadLetterOut.of(p) for p in status.parked],
            subscriptions=[SubscriptionStatusOut.of(s) for s in status.subscriptions],
        )
