"""Ticket queries: parameters checked before any SQL, and who sees what, over a fake
read model."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tickets.application.errors import (
    InvalidQuery,
    ReadModelBehind,
    TicketNotFound,
    VersionNotWritten,
)
from tickets.application.ports import WrittenTicket
from tickets.application.queries import (
    TEXT_FILTER_MAX,
    GetTicketDetails,
    GetTicketStats,
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
        self.withins: list[float] = []
        self.asked: list[object] = []

    async def page(self, query: ListTickets) -> TicketPage:
        self.asked.append(query)
        return TicketPage([], None)

    async def details(self, ticket_id: uuid.UUID) -> TicketDetails | None:
        return self.ticket if ticket_id == self.ticket.id else None

    async def wait_for_version(
        self, ticket_id: uuid.UUID, version: int, within: float
    ) -> int | None:
        self.waits.append((ticket_id, version))
        self.withins.append(within)
        if self.delivered is not None:
            self.ticket = replace(self.ticket, version=self.delivered)
        return self.ticket.version

    async def stats(self, viewer: User) -> TicketStats:
        self.asked.append(viewer)
        return TicketStats(dict.fromkeys(TicketStatus, 0))


class FakeWritten:
    """The write side: the read model's ticket, at ``version`` (default: as delivered)."""

    def __init__(self, read: FakeReadModel, version: int | None = None) -> None:
        self.read = read
        self.version = version
        self.asked: list[uuid.UUID] = []

    async def head(self, ticket_id: uuid.UUID) -> WrittenTicket | None:
        self.asked.append(ticket_id)
        if ticket_id != self.read.ticket.id:
            return None
        version = self.version or self.read.delivered or self.read.ticket.version
        return WrittenTicket(version, self.read.ticket.author.id)


def queries_over(read: FakeReadModel, written_version: int | None = None) -> TicketQueries:
    return TicketQueries(read, wait_seconds=5, written=FakeWritten(read, written_version))


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
    queries = queries_over(read)

    for target in (read.ticket.id, uuid.uuid4()):
        with pytest.raises(TicketNotFound) as raised:
            await queries.details(GetTicketDetails(user(Role.REQUESTER), target, wanted))
        assert str(raised.value) == f"ticket {target} not found"
    unknown = uuid.uuid4()
    with pytest.raises(TicketNotFound) as raised:
        await queries.details(GetTicketDetails(author, unknown, wanted))
    assert str(raised.value) == f"ticket {unknown} not found"
    assert read.waits == []


async def test_the_author_and_approvers_wait_for_a_version_not_yet_shown() -> None:
    author = user(Role.REQUESTER)
    for viewer in (author, user(Role.APPROVER), user(Role.ADMIN)):
        read = FakeReadModel(ticket_of(author, version=2), delivered=3)
        queries = queries_over(read)

        shown = await queries.details(GetTicketDetails(viewer, read.ticket.id, 2))
        assert (shown.version, read.waits) == (2, [])
        fresh = await queries.details(GetTicketDetails(viewer, read.ticket.id, 3))
        assert (fresh.version, read.waits) == (3, [(read.ticket.id, 3)])
        assert read.withins == [5]  # the bound the queries were built with


async def test_a_version_not_shown_in_time_is_read_model_behind() -> None:
    author = user(Role.REQUESTER)
    read = FakeReadModel(ticket_of(author, version=2))
    queries = queries_over(read, written_version=4)

    with pytest.raises(ReadModelBehind) as raised:
        await queries.details(GetTicketDetails(author, read.ticket.id, 4))
    assert "version 2, not yet 4" in str(raised.value)


@pytest.mark.parametrize("wanted", [4, 2**31 - 1])
async def test_a_version_never_written_is_refused_at_once(wanted: int) -> None:
    author = user(Role.REQUESTER)
    read = FakeReadModel(ticket_of(author, version=2))
    queries = queries_over(read, written_version=3)

    for viewer in (author, user(Role.APPROVER)):
        with pytest.raises(VersionNotWritten) as raised:
            await queries.details(GetTicketDetails(viewer, read.ticket.id, wanted))
        assert raised.value.code == "ticket.version_not_written"
        assert f"at version 3; version {wanted}" in str(raised.value)
    assert read.waits == []


class NotYetShown(FakeReadModel):
    """The read model does not show the ticket until a wait delivers it."""

    def __init__(self, ticket: TicketDetails) -> None:
        super().__init__(ticket)
        self.shown = False

    async def details(self, ticket_id: uuid.UUID) -> TicketDetails | None:
        return await super().details(ticket_id) if self.shown else None

    async def wait_for_version(
        self, ticket_id: uuid.UUID, version: int, within: float
    ) -> int | None:
        self.waits.append((ticket_id, version))
        self.shown = True
        return self.ticket.version


async def test_a_ticket_just_created_is_waited_for_by_those_who_may_see_it() -> None:
    author = user(Role.REQUESTER)
    for viewer in (author, user(Role.APPROVER)):
        read = NotYetShown(ticket_of(author, version=1))
        shown = await queries_over(read).details(GetTicketDetails(viewer, read.ticket.id, 1))
        assert (shown.id, read.waits) == (read.ticket.id, [(read.ticket.id, 1)])


async def test_a_ticket_just_created_is_404_at_once_for_others_and_without_min_version() -> None:
    author = user(Role.REQUESTER)
    read = NotYetShown(ticket_of(author, version=1))
    queries = queries_over(read)
    for viewer, wanted in ((user(Role.REQUESTER), 1), (author, None)):
        with pytest.raises(TicketNotFound):
            await queries.details(GetTicketDetails(viewer, read.ticket.id, wanted))
    assert read.waits == []


async def test_a_ticket_never_shown_in_time_is_read_model_behind() -> None:
    author = user(Role.REQUESTER)

    class NeverShown(NotYetShown):
        reads = 0

        async def details(self, ticket_id: uuid.UUID) -> TicketDetails | None:
            self.reads += 1
            return await super().details(ticket_id)

        async def wait_for_version(
            self, ticket_id: uuid.UUID, version: int, within: float
        ) -> int | None:
            return None

    read = NeverShown(ticket_of(author, version=1))
    with pytest.raises(ReadModelBehind) as raised:
        await queries_over(read).details(GetTicketDetails(author, read.ticket.id, 1))
    assert "does not show the ticket yet" in str(raised.value)
    assert read.reads == 1  # no second read after a wait that saw nothing


async def test_lists_and_counts_are_the_read_models_for_the_query() -> None:
    viewer = user(Role.REQUESTER)
    read = FakeReadModel(ticket_of(viewer))
    query = ListTickets(viewer, limit=3)
    assert await queries_over(read).list(query) == TicketPage([], None)
    counts = await queries_over(read).stats(GetTicketStats(viewer))
    assert counts == TicketStats(dict.fromkeys(TicketStatus, 0))
    assert read.asked == [query, viewer]
