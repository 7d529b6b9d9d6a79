"""Settling a delivered batch in the outbox: each message processed, retried, parked,
postponed or released, from what its handlers reported."""

from dataclasses import dataclass, field
from uuid import UUID

from tickets.infrastructure.outbox.messages import OutboxMessage
from tickets.infrastructure.outbox.store import Failure, OutboxStore


@dataclass
class BatchReport:
    delivered: list[UUID] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    released: list[UUID] = field(default_factory=list)
    postponed: list[Failure] = field(default_factory=list)
    dead_ids: list[UUID] = field(default_factory=list)

    @property
    def dead(self) -> int:
        return len(self.dead_ids)


async def settle(
    store: OutboxStore, messages: list[OutboxMessage], failures: dict[UUID, Failure], worker: str
) -> BatchReport:
    """A ticket's messages after its first failure wait, uncharged; an outage postpones
    uncharged; a failure is charged (and parked when out of attempts)."""
    report = BatchReport()
    failed_at: dict[UUID, int] = {}
    for failure in failures.values():
        m = failure.message
        failed_at[m.aggregate_id] = min(
            failed_at.get(m.aggregate_id, m.aggregate_version), m.aggregate_version
        )
    for m in messages:
        first_failure = failed_at.get(m.aggregate_id)
        if first_failure is not None and m.aggregate_version > first_failure:
            report.released.append(m.id)  # waits, uncharged, behind its ticket's failure
        elif m.id in failures and failures[m.id].retry_after is not None:
            report.postponed.append(failures[m.id])
        elif m.id in failures:
            report.failed.append(failures[m.id])
        else:
            report.delivered.append(m.id)
    await store.mark_processed(report.delivered)
    await store.postpone(report.postponed)
    for failure in report.failed:
        if await store.record_failure(failure):
            report.dead_ids.append(failure.message.id)
    await store.release(report.released, worker)
    return report
