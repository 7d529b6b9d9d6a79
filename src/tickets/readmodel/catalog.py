"""The projections of the read model, by name: live instances, rebuild recipes, and
the subscription they are delivered as."""

from collections.abc import Callable
from dataclasses import dataclass

from tickets.readmodel.ticket_details import TicketDetailsProjection
from tickets.readmodel.ticket_list import TicketListProjection

Projection = TicketListProjection | TicketDetailsProjection

READ_MODEL = "read_model"
"""The subscription of both projections: one position per lane, in the read database."""
READ_SCHEMA = "read"
"""Where the read model's progress tables live (next to its effects)."""


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
