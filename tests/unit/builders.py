"""Small builders of users and tickets shared by the unit tests."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from tickets.domain.ticket import Ticket
from tickets.domain.users import Role, User

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def user(name: str, *roles: Role, user_id: UUID | None = None) -> User:
    return User(user_id or uuid4(), name, frozenset(roles or (Role.REQUESTER,)))


def requester(name: str = "alice") -> User:
    return user(name, Role.REQUESTER)


def approver(name: str = "carol") -> User:
    return user(name, Role.APPROVER)


def admin(name: str = "dave") -> User:
    return user(name, Role.ADMIN)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def draft(author: User, title: str = "Laptop", description: str = "A new laptop") -> Ticket:
    """A fresh Draft whose creation event has already been pulled."""
    ticket = Ticket.create(uuid4(), author, title, description, T0)
    ticket.pull_events()
    return ticket


def submitted(author: User, title: str = "Laptop") -> Ticket:
    ticket = draft(author, title)
    ticket.submit(author, at(1))
    ticket.pull_events()
    return ticket


def rejected(author: User, decider: User) -> Ticket:
    ticket = submitted(author)
    ticket.reject(decider, "too expensive", at(2))
    ticket.pull_events()
    return ticket


def approved(author: User, decider: User) -> Ticket:
    ticket = submitted(author)
    ticket.approve(decider, at(2))
    ticket.pull_events()
    return ticket
