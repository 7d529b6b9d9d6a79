"""Repositories over one SQLAlchemy session: tickets (ORM) and users (Core upsert)."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tickets.domain.ticket import Ticket
from tickets.domain.users import Role, User
from tickets.infrastructure import tables


class SqlTicketRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.seen: list[Ticket] = []
        self._by_id: dict[UUID, Ticket] = {}

    def add(self, ticket: Ticket) -> None:
        self._session.add(ticket)
        self._remember(ticket)

    async def get(self, ticket_id: UUID) -> Ticket | None:
        if ticket_id in self._by_id:  # already in this unit of work (batched commands)
            return self._by_id[ticket_id]
        stmt = select(Ticket).where(tables.tickets.c.id == ticket_id)
        stmt = stmt.options(selectinload(Ticket.comments))  # type: ignore[arg-type]
        ticket = (await self._session.execute(stmt)).scalar_one_or_none()
        if ticket is not None:
            self._remember(ticket)
        return ticket

    def _remember(self, ticket: Ticket) -> None:
        self.seen.append(ticket)
        self._by_id[ticket.id] = ticket


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_by_name(self, name: str) -> User | None:
        users = tables.users
        row = (
            await self._session.execute(
                select(users.c.id, users.c.name, users.c.roles).where(users.c.name == name)
            )
        ).one_or_none()
        return None if row is None else _user(row.id, row.name, row.roles)

    async def save(self, user: User) -> User:
        users = tables.users
        values = insert(users).values(id=user.id, name=user.name, roles=sorted(user.roles))
        # Two first logins with one name race here: ON CONFLICT keeps the first id.
        upsert = values.on_conflict_do_update(
            index_elements=[users.c.name], set_={"roles": values.excluded.roles}
        ).returning(users.c.id, users.c.name, users.c.roles)
        row = (await self._session.execute(upsert)).one()
        return _user(row.id, row.name, row.roles)


def _user(user_id: UUID, name: str, roles: list[str]) -> User:
    return User(user_id, name, frozenset(Role(r) for r in roles))
