"""The projections of the read model, by name: live instances, rebuild recipes, and
the table of their tracking rows."""

from collections.abc import Callable
from dataclasses import dataclass

from tickets.readmodel.ticket_details import TicketDetailsProjection
from tickets.readmodel.ticket_list import TicketListProjection

Projection = TicketListProjection | TicketDetailsProjection

TRACKING = "read.processed_messages"
"""One row per (projection, message id) applied, written in the projection's transaction."""
TRACKING_NAME_COLUMN = "projection"


@dataclass(frozen=True)
class Rebuildable:
    """A projection as a rebuild sees it: its name, tables, and a factory of instances
    writing to the tables with a given suffix."""

    name: str
    tables: tuple[str, ...]
    build: Callable[[str], "Projection"]


REBUILDABLE: dict[str, Rebuildable] = {
    "ticket_list": Rebuildable(
        "ticket_list", ("read.ticket_list", "read.status_counts"), TicketListProjection
    ),
    "ticket_details": Rebuildable(
        "ticket_details",
        ("read.ticket_details",),
        lambda suffix: TicketDetailsProjection(suffix, notify=False),
    ),
}


def live_projections() -> list[Projection]:
    return [TicketListProjection(), TicketDetailsProjection()]
