"""Ports: what the application needs from the outside world, as protocols."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID, uuid4

from tickets.application.dead_letters import DeadLetter, DeadLetterDetail, OutboxStatus
from tickets.application.queries import ListTickets, TicketDetails, TicketPage, TicketStats
from tickets.application.results import Result
from tickets.domain.ticket import Ticket
from tickets.domain.users import User


@dataclass(frozen=True)
class IdempotencyRequest:
    """A client's Idempotency-Key and a fingerprint of the request it came with."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class MessageContext:
    """Who asked, under which correlation id; carried into every event's metadata."""

    correlation_id: str
    command_id: UUID = field(default_factory=uuid4)
    idempotency: IdempotencyRequest | None = None
    trace: Mapping[str, str] | None = None
    """The command's trace context (W3C ``traceparent``/``tracestate``) when it is
    traced: stored with its events, so their deliveries continue the same trace."""


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    result: Result


class TicketRepository(Protocol):
    def add(self, ticket: Ticket) -> None: ...

    async def get(self, ticket_id: UUID) -> Ticket | None: ...


class UserRepository(Protocol):
    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_name(self, name: str) -> User | None: ...

    async def insert(self, user: User) -> bool:
        """Add a new user; False (and nothing written) if the id or the name is taken."""

    async def save(self, user: User) -> User:
        """Insert, or update the roles of the user of that name; returns the stored user."""


class IdempotencyStore(Protocol):
    """Stored responses by (scope, key): the scope is the command's idempotency scope
    (the acting user's id, or "anonymous"), so two users' keys never collide."""

    async def get(self, scope: str, key: str) -> StoredResponse | None: ...

    def remember(self, scope: str, request: IdempotencyRequest, result: Result) -> None:
        """Store the result on commit, in the same transaction as the command's effects."""


class UnitOfWork(Protocol):
    """One transaction: the aggregate, its outbox rows and the idempotency record."""

    @property
    def tickets(self) -> TicketRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, context: MessageContext) -> UnitOfWork: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdSource(Protocol):
    def new_id(self) -> UUID: ...


@dataclass(frozen=True)
class ClockAndIds:
    """Where handlers get the time and new ids (the seeder brings a clock of its own)."""

    clock: Clock
    ids: IdSource


class Metrics(Protocol):
    def command_handled(self, command: str, outcome: str, seconds: float) -> None: ...


class TicketReadModel(Protocol):
    """The read side's tickets: lists, details, counts, and waiting for a version."""

    async def page(self, query: ListTickets) -> TicketPage:
        """InvalidQuery if the query's cursor is not one this read model issued."""

    async def details(self, ticket_id: UUID) -> TicketDetails | None: ...

    async def wait_for_version(self, ticket_id: UUID, version: int, within: float) -> int | None:
        """Wait until the ticket shows ``version`` or later, or ``within`` seconds pass;
        returns the last version seen (None if the ticket is not there)."""

    async def stats(self, viewer: User) -> TicketStats: ...


@dataclass(frozen=True)
class WrittenTicket:
    """A ticket as the write side has it now: what read-your-writes needs to know."""

    version: int
    author_id: UUID


class WrittenTickets(Protocol):
    """The write side's current head of a ticket (one indexed read, no lock)."""

    async def head(self, ticket_id: UUID) -> WrittenTicket | None:
        """None if no such ticket was ever written."""


class DeadLetterStore(Protocol):
    """The outbox's dead letters and queue figures."""

    async def list_dead(self, limit: int) -> list[DeadLetter]: ...

    async def get(
        self, message_id: UUID, subscription: str | None = None
    ) -> DeadLetterDetail | None: ...

    async def retry(self, message_id: UUID, actor: User, subscription: str | None = None) -> bool:
        """Make a dead letter pending again (audited); False if it is not a dead letter."""

    async def discard(self, message_id: UUID, actor: User, subscription: str | None = None) -> bool:
        """Give up on a dead letter (audited), releasing its ticket's later messages."""

    async def status(self) -> OutboxStatus: ...
