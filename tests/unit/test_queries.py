"""Ticket queries: parameters checked before any SQL, and who sees what, over a fake
read model."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tickets.application.errors import InvalidQuery, ReadModelBehind, TicketNotFound
from tickets.application.queries import (
    TEXT_FILTER_MAX,
    GetTicketDetails,
    ListTickets,
    Person,
    TicketDetails,
    TicketPage,
    TicketStats,
)
from tickets.application.ticket_queries import TicketQueries
from tickets.domain.status import TicketStatus
from tickets.domain.users import Role, User

AT = datetime(2026, 1, 1, tzinfo=UTC)


def user(role: Role) -> User:
    return User(uuid.uuid4(), f"{role}-user", frozenset({role}))


class FakeReadModel:
    """One ticket, shown at ``shown`` until a wait delivers ``delivered``."""

    def __init__(self, ticket: TicketDetails, delivered: int | None = None) -> None:
        self.ticket = ticket
        self.delivered = delivered
        self.waits: list[tuple[uuid.UUID, int]] = []

    async def page(self, query: ListTickets) -> TicketPage:
        return TicketPage([], None)

    async def details(self, ticket_id: uuid.UUID) -> TicketDetails | None:
        return self.ticket if ticket_id == self.ticket.id else None

    async def wait_for_version(
        self, ticket_id: uuid.UUID, version: int, within: float
    ) -> int | None:
        self.waits.append((ticket_id, version))
        if self.delivered is not None:
            self.ticket = replace(self.ticket, version=self.delivered)
        return self.ticket.version

    async def stats(self, viewer: User) -> TicketStats:
        return TicketStats(dict.fromkeys(TicketStatus, 0))


def ticket_of(author: User, version: int = 2) -> TicketDetails:
    return TicketDetails(
        id=uuid.uuid4(),
        title="T",
        description="",
        status=TicketStatus.SUBMITTED,
        author=Person(author.id, author.name),
        version=version,
        created_at=AT,
        updated_at=AT,
        decision=None,
        comments=[],
        history=[],
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("author", "\x00"),
        ("author", "a\x00b"),
        ("q", "x\x00"),
        ("cursor", "\x00"),
        ("author", "a" * (TEXT_FILTER_MAX + 1)),
        ("q", "q" * (TEXT_FILTER_MAX + 1)),
    ],
)
def test_a_text_filter_with_nul_or_too_long_is_an_invalid_query(field: str, value: str) -> None:
    with pytest.raises(InvalidQuery) as raised:
        ListTickets(user(Role.REQUESTER), **{field: value})  # type: ignore[arg-type]
    assert raised.value.field == field


def test_filters_at_the_limit_are_accepted() -> None:
    query = ListTickets(user(Role.REQUESTER), author="a" * TEXT_FILTER_MAX, q="ünïcode")
    assert query.author is not None


@pytest.mark.parametrize("limit", [0, 101])
def test_a_limit_out_of_range_is_an_invalid_query(limit: int) -> None:
    with pytest.raises(InvalidQuery):
        ListTickets(user(Role.APPROVER), limit=limit)


@pytest.mark.parametrize("wanted", [None, 2, 3, 99])
async def test_a_ticket_the_viewer_may_not_see_is_not_found_without_waiting(
    wanted: int | None,
) -> None:
    author = user(Role.REQUESTER)
    read = FakeReadModel(ticket_of(author), delivered=99)
    queries = TicketQueries(read, wait_seconds=5)

    for target in (read.ticket.id, uuid.uuid4()):
        with pytest.raises(TicketNotFound):
            await queries.details(GetTicketDetails(user(Role.REQUESTER), target, wanted))
    with pytest.raises(TicketNotFound):
        await queries.details(GetTicketDetails(author, uuid.uuid4(), wanted))
    assert read.waits == []


async def test_the_author_and_approvers_wait_for_a_version_not_yet_shown() -> None:
    author = user(Role.REQUESTER)
    for viewer in (author, user(Role.APPROVER), user(Role.ADMIN)):
        read = FakeReadModel(ticket_of(author, version=2), delivered=3)
        queries = TicketQueries(read, wait_seconds=5)

        shown = await queries.details(GetTicketDetails(viewer, read.ticket.id, 2))
        assert (shown.version, read.waits) == (2, [])
        fresh = await queries.details(GetTicketDetails(viewer, read.ticket.id, 3))
        assert (fresh.version, read.waits) == (3, [(read.ticket.id, 3)])


async def test_a_version_not_shown_in_time_is_read_model_behind() -> None:
    author = user(Role.REQUESTER)
    read = FakeReadModel(ticket_of(author, version=2))
    queries = TicketQueries(read, wait_seconds=5)

    with pytest.raises(ReadModelBehind) as raised:
        await queries.details(GetTicketDetails(author, read.ticket.id, 4))
    assert "version 2, not yet 4" in str(raised.value)
