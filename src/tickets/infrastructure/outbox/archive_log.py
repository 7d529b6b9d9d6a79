"""The event log with its archived months in front: a rebuild's source after archiving.

Every archive is read whole and checked (``read_archive``) before a rebuild starts,
and the archives and the live log together must hold every position from 1 up to the
highest, each once: a missing or repeated archive is refused before anything changes.
Archived events are replayed first, then the live log. That keeps each ticket's events
in version order: a ticket's later version has a later ``occurred_at``, so it is never
archived while an earlier one stays live. What a rebuild catches up after its replay
(``between``, ``of_ticket``) lies above the subscription's positions of the replay, so
above every archived month (archiving waits for every subscription to pass them).
"""

from collections.abc import AsyncGenerator, Mapping, Sequence
from pathlib import Path
from uuid import UUID

from tickets.infrastructure.outbox.archive_file import ArchiveFile, ArchiveRefused, read_archive
from tickets.infrastructure.outbox.event_log import EventLog, LoggedEvent, everything
from tickets.infrastructure.outbox.messages import TABLE
from tickets.infrastructure.serialization import event_from_payload

LIVE = f"SELECT count(position), coalesce(max(position), 0) FROM {TABLE}"


class ArchivedLog:
    """Archives then the live log, as ``readmodel.rebuild`` reads an event source."""

    def __init__(self, log: EventLog, archives: Sequence[ArchiveFile]) -> None:
        self.log = log
        self.archives = sorted(archives, key=lambda a: a.events[0]["position"] if a.events else 0)

    @classmethod
    async def open(cls, log: EventLog, paths: Sequence[Path]) -> "ArchivedLog":
        archives = [read_archive(path) for path in paths]
        source = cls(log, archives)
        await source.check_continuity()
        return source

    async def check_continuity(self) -> None:
        seen: set[int] = set()
        for archive in self.archives:
            for event in archive.events:
                if event["position"] in seen:
                    raise ArchiveRefused(
                        f"position {event['position']} is in more than one archive"
                        f" ({archive.path}): give each archive once"
                    )
                seen.add(event["position"])
        row = await self.log.pool.fetchrow(LIVE)
        live, high = (row[0], row[1]) if row else (0, 0)
        top = max(high, max(seen, default=0))
        if len(seen) + live != top:
            raise ArchiveRefused(
                f"the archives and the live log leave a gap in positions ({len(seen)} archived"
                f" + {live} live events, positions up to {top}): an archive is missing"
            )

    def _archived(self, bounds: Mapping[int, int], held: Mapping[UUID, int]) -> list[LoggedEvent]:
        chosen = []
        for archive in self.archives:
            for e in archive.events:
                if e["position"] > bounds.get(e["lane"], 0):
                    continue
                if e["aggregate_version"] >= held.get(UUID(e["aggregate_id"]), 2**62):
                    continue
                event = event_from_payload(e["event_type"], e["payload"])
                cid = (e.get("metadata") or {}).get("correlation_id")
                chosen.append(LoggedEvent(UUID(e["event_id"]), e["position"], event, cid))
        return chosen

    async def count(self, bounds: Mapping[int, int] | None = None) -> int:
        limits = everything() if bounds is None else bounds
        return len(self._archived(limits, {})) + await self.log.count(bounds)

    async def replay(
        self,
        batch: int = 2000,
        bounds: Mapping[int, int] | None = None,
        parked: Mapping[UUID, int] | None = None,
    ) -> AsyncGenerator[list[LoggedEvent], None]:
        archived = self._archived(everything() if bounds is None else bounds, parked or {})
        for start in range(0, len(archived), batch):
            yield archived[start : start + batch]
        async for chunk in self.log.replay(batch, bounds, parked):
            yield chunk

    async def between(self, low: Mapping[int, int], high: Mapping[int, int]) -> list[LoggedEvent]:
        return await self.log.between(low, high)

    async def of_ticket(
        self, ticket: UUID, from_version: int, before_version: int, bounds: Mapping[int, int]
    ) -> list[LoggedEvent]:
        return await self.log.of_ticket(ticket, from_version, before_version, bounds)
