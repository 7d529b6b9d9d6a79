"""In-memory fakes of the application's ports, for fast handler tests."""

import copy
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self
from uuid import UUID, uuid4

from tickets.application.errors import ConcurrencyConflict, IdempotencyRace
from tickets.application.messagebus import MessageBus
from tickets.application.ports import (
    ClockAndIds,
    IdempotencyRequest,
    MessageContext,
    StoredResponse,
)
from tickets.application.results import Result
from tickets.domain.events import DomainEvent
from tickets.domain.ticket import Ticket
from tickets.domain.users import User


class FakeClock:
    def __init__(self) -> None:
        self.current = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


class FakeIds:
    def new_id(self) -> UUID:
        return uuid4()


class FakeStore:
    """What a database would hold: tickets, users, stored responses and the outbox."""

    def __init__(self) -> None:
        self.tickets: dict[UUID, Ticket] = {}
        self.users: dict[str, User] = {}
        self.responses: dict[tuple[str, str], StoredResponse] = {}
        self.outbox: list[tuple[DomainEvent, MessageContext]] = []
        self.commits = 0


class FakeTicketRepository:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._tracked: dict[UUID, tuple[Ticket, int | None]] = {}

    def add(self, ticket: Ticket) -> None:
        self._tracked[ticket.id] = (ticket, None)

    async def get(self, ticket_id: UUID) -> Ticket | None:
        """A copy, as a database would give: uncommitted changes never leak into the store."""
        if ticket_id in self._tracked:
            return self._tracked[ticket_id][0]
        stored = self._store.tickets.get(ticket_id)
        if stored is None:
            return None
        ticket = copy.deepcopy(stored)
        self._tracked[ticket_id] = (ticket, ticket.version)
        return ticket

    def pull_changes(self) -> list[tuple[Ticket, int | None]]:
        """Each changed ticket with the version it was loaded at (None: new)."""
        changes = [(t, loaded) for t, loaded in self._tracked.values() if t.version != loaded]
        self._tracked = {t.id: (t, t.version) for t, _ in self._tracked.values()}
        return changes


class FakeUserRepository:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def get(self, user_id: UUID) -> User | None:
        return next((u for u in self._store.users.values() if u.id == user_id), None)

    async def get_by_name(self, name: str) -> User | None:
        return self._store.users.get(name)

    async def insert(self, user: User) -> bool:
        if user.name in self._store.users or await self.get(user.id) is not None:
            return False
        self._store.users[user.name] = user
        return True

    async def save(self, user: User) -> User:
        self._store.users[user.name] = user
        return user


class FakeIdempotencyStore:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.pending: tuple[tuple[str, str], StoredResponse] | None = None

    async def get(self, scope: str, key: str) -> StoredResponse | None:
        return self._store.responses.get((scope, key))

    def remember(self, scope: str, request: IdempotencyRequest, result: Result) -> None:
        self.pending = ((scope, request.key), StoredResponse(request.fingerprint, result))


class FakeUnitOfWork:
    """Like the SQL unit of work (tests/integration/test_unit_of_work_contract.py runs
    the same tests on both): all or nothing at commit, version-guarded, one record per
    idempotency key."""

    def __init__(self, store: FakeStore, context: MessageContext) -> None:
        self.store = store
        self.context = context
        self.tickets = FakeTicketRepository(store)
        self.users = FakeUserRepository(store)
        self.idempotency = FakeIdempotencyStore(store)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        changes = self.tickets.pull_changes()
        pending, self.idempotency.pending = self.idempotency.pending, None
        for ticket, loaded in changes:  # every check before any write: all or nothing
            stored = self.store.tickets.get(ticket.id)
            if (None if stored is None else stored.version) != loaded:
                if pending is not None and pending[0] in self.store.responses:
                    raise IdempotencyRace()  # a retry beaten by its first attempt
                raise ConcurrencyConflict()
        if pending is not None and pending[0] in self.store.responses:
            raise IdempotencyRace()
        for ticket, _ in changes:
            events = ticket.pull_events()
            self.store.tickets[ticket.id] = copy.deepcopy(ticket)
            self.store.outbox.extend((e, self.context) for e in events)
        if pending is not None:
            key, response = pending
            self.store.responses[key] = response
        self.store.commits += 1


def fake_bus(store: FakeStore | None = None) -> tuple[MessageBus, FakeStore]:
    store = store or FakeStore()
    bus = MessageBus(lambda ctx: FakeUnitOfWork(store, ctx), ClockAndIds(FakeClock(), FakeIds()))
    return bus, store
