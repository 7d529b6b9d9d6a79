"""How far each projection is behind the event log, in events and in seconds."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tickets.readmodel.catalog import TRACKING


@dataclass(frozen=True)
class Lag:
    projection: str
    events: int
    seconds: float


async def projection_lag(
    connection: Any,
    name: str,
    event_types: frozenset[str],
    pending: Sequence[tuple[UUID, str, float]],
) -> Lag:
    """``pending`` lists unprocessed log messages as (id, event type, age in seconds);
    those of the projection's types without its tracking row are its backlog."""
    wanted = {mid: age for mid, event_type, age in pending if event_type in event_types}
    if not wanted:
        return Lag(name, 0, 0.0)
    done = await connection.fetch(
        f"SELECT message_id FROM {TRACKING} WHERE projection = $1 AND message_id = ANY($2)",
        name,
        list(wanted),
    )
    for row in done:
        wanted.pop(row["message_id"], None)
    return Lag(name, len(wanted), round(max(wanted.values(), default=0.0), 3))
