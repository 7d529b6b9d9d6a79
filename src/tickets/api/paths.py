"""Path templates whose parameters must not swallow a sibling static segment."""

from typing import ClassVar

from starlette.convertors import Convertor, register_url_convertor


class TicketIdConvertor(Convertor[str]):
    """A ticket id segment: any segment but ``stats``, which is ``GET /tickets/stats``.

    With the plain ``{ticket_id}``, ``PATCH /tickets/stats`` would match the edit route
    and answer 422 for a malformed id, where 405 (only GET there) is the truth. The
    value stays a string; the route's ``UUID`` annotation still validates it (422).
    """

    regex: ClassVar[str] = r"(?!stats$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


# Starlette compiles a route's path when the route is declared, so the convertor must be
# registered before the routers are imported; importing TICKET_ID guarantees that.
register_url_convertor("ticket_id", TicketIdConvertor())
TICKET_ID = "/{ticket_id:ticket_id}"
