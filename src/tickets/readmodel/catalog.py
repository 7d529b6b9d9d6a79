"""The projections of the read model, by name: live instances and rebuild recipes."""

from tickets.readmodel.rebuild import Rebuildable
from tickets.readmodel.ticket_details import TicketDetailsProjection
from tickets.readmodel.ticket_list import TicketListProjection

Projection = TicketListProjection | TicketDetailsProjection

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
