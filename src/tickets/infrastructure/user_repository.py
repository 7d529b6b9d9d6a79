"""The user repository, on the unit of work's connection, and the users' current roles
for the API's token checks; tickets are in ticket_repository.py."""

from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from tickets.application.errors import ServiceUnavailable
from tickets.domain.users import Role, User

_COLUMNS = "SELECT id, name, roles FROM tickets.users"
_GET = f"{_COLUMNS} WHERE id = $1"
_GET_BY_NAME = f"{_COLUMNS} WHERE name = $1"
# ON CONFLICT DO NOTHING (any unique constraint: id or name): of two first logins racing
# with one name, one inserts and the other is told False and reads the winner.
_INSERT = """
INSERT INTO tickets.users (id, name, roles) VALUES ($1, $2, $3)
    ON CONFLICT DO NOTHING
RETURNING id
"""
# One statement each, so they need no transaction and are written at once, not at commit.
_UPSERT = """
INSERT INTO tickets.users (id, name, roles) VALUES ($1, $2, $3)
    ON CONFLICT (name) DO UPDATE SET roles = excluded.roles
RETURNING id, name, roles
"""
_ROLES_OF = "SELECT roles FROM tickets.users WHERE id = $1"
_ROLES = {r.value for r in Role}


class SqlUserRepository:
    def __init__(self, connection: PoolConnectionProxy) -> None:
        self._connection = connection

    async def get(self, user_id: UUID) -> User | None:
        row = await self._connection.fetchrow(_GET, user_id)
        return None if row is None else _user(row["id"], row["name"], row["roles"])

    async def get_by_name(self, name: str) -> User | None:
        row = await self._connection.fetchrow(_GET_BY_NAME, name)
        return None if row is None else _user(row["id"], row["name"], row["roles"])

    async def insert(self, user: User) -> bool:
        inserted = await self._connection.fetchval(_INSERT, user.id, user.name, sorted(user.roles))
        return inserted is not None

    async def save(self, user: User) -> User:
        row = await self._connection.fetchrow(_UPSERT, user.id, user.name, sorted(user.roles))
        assert row is not None  # RETURNING after an insert or an update: always one row
        return _user(row["id"], row["name"], row["roles"])


class SqlUserRoles:
    """Reads a user's current roles for the token checks, on the write database's pool
    (the users table lives there); a lost database is ServiceUnavailable (503)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def roles_of(self, user_id: UUID) -> frozenset[Role] | None:
        try:
            roles = await self._pool.fetchval(_ROLES_OF, user_id)
        except (
            OSError,
            TimeoutError,
            asyncpg.InterfaceError,
            asyncpg.PostgresConnectionError,
            asyncpg.CannotConnectNowError,
        ) as error:
            raise ServiceUnavailable("the database is unavailable") from error
        return None if roles is None else frozenset(Role(r) for r in roles if r in _ROLES)


def _user(user_id: UUID, name: str, roles: list[str]) -> User:
    return User(user_id, name, frozenset(Role(r) for r in roles))
