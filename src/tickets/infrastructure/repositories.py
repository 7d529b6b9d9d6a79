"""The user repository (Core upsert on the unit of work's connection); tickets are in
ticket_repository.py."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tickets.domain.users import Role, User
from tickets.infrastructure import tables


class SqlUserRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get_by_name(self, name: str) -> User | None:
        users = tables.users
        row = (
            await self._connection.execute(
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
        row = (await self._connection.execute(upsert)).one()
        return _user(row.id, row.name, row.roles)


def _user(user_id: UUID, name: str, roles: list[str]) -> User:
    return User(user_id, name, frozenset(Role(r) for r in roles))
