"""Lanes: the log split by ticket, so that workers can share a subscription's work.

A row's lane is a hash of its ticket id (a generated column of the log); every event of
a ticket is in the same lane, so a lane read in position order gives each ticket's
events in version order. Each subscription keeps one position per lane.
"""

from uuid import UUID

LANES = 16
"""Frozen in migration 0006 (the generated column); changing it needs a migration."""


def lane_of(aggregate_id: UUID) -> int:
    """The lane of a ticket, as the log's generated column computes it."""
    return aggregate_id.bytes[15] % LANES


def lanes_for(rank: int, workers: int) -> list[int]:
    """The lanes the ``rank``-th of ``workers`` live workers should hold."""
    return [lane for lane in range(LANES) if lane % max(workers, 1) == rank]
