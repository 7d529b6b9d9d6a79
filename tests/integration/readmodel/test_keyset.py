"""Keyset pagination over equal timestamps: the ticket id breaks ties, so a page
boundary inside a group of equal times neither repeats nor skips a ticket."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.readmodel import someone, ticket_read_model
from tickets.application.queries import ListTickets, TicketSort, TicketSummary
from tickets.bootstrap import Runtime
from tickets.domain.events import CommentAdded, TicketCreated
from tickets.domain.users import Role, User
from tickets.readmodel.ticket_details import TicketDetailsProjection
from tickets.readmodel.ticket_list import TicketListProjection

SORTS = ["created_at", "-created_at", "updated_at", "-updated_at"]


@pytest.fixture(scope="module")
async def tied(scratch: Runtime) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Ten tickets of one author created at three distinct instants (4 + 3 + 3) and
    commented at two (5 + 5), applied straight through the projections."""
    author = uuid.uuid4()
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    ids = [uuid.uuid4() for _ in range(10)]
    projections = (TicketListProjection(), TicketDetailsProjection())
    async with scratch.pools.read.acquire() as connection:
        for n, ticket_id in enumerate(ids):
            common = {"ticket_id": ticket_id, "actor_id": author, "actor_name": "tie"}
            created_at = t0 + timedelta(seconds=0 if n < 4 else 1 if n < 7 else 2)
            commented_at = t0 + timedelta(minutes=1 if n % 2 else 2)
            events = [
                TicketCreated(
                    **common, version=1, occurred_at=created_at, title=f"tie {n}", description=""
                ),
                CommentAdded(
                    **common,
                    version=2,
                    occurred_at=commented_at,
                    comment_id=uuid.uuid4(),
                    body="same time",
                ),
            ]
            for event in events:
                for projection in projections:
                    await projection.apply_batch(connection, [event])
    return author, ids


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("limit", [1, 3, 4, 10])
async def test_every_ticket_once_across_pages_with_ties(
    scratch: Runtime, tied: tuple[uuid.UUID, list[uuid.UUID]], sort: str, limit: int
) -> None:
    author, ids = tied
    read_model = ticket_read_model(scratch)
    owner = User(author, "tie", frozenset({Role.REQUESTER}))
    viewers = [(owner, None), (someone(Role.APPROVER), str(author))]
    for viewer, author_filter in viewers:
        rows: list[TicketSummary] = []
        cursor = None
        for _ in range(20):
            query = ListTickets(
                viewer, author=author_filter, sort=TicketSort(sort), limit=limit, cursor=cursor
            )
            page = await read_model.page(query)
            assert len(page.items) <= limit
            rows += page.items
            if page.next_cursor is None:
                break
            assert len(page.items) == limit
            cursor = page.next_cursor

        assert sorted(r.id for r in rows) == sorted(ids)
        column = sort.lstrip("-")
        keys = [(getattr(r, column), r.id) for r in rows]
        assert keys == sorted(keys, reverse=sort.startswith("-"))
