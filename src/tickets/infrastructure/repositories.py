"""The user repository, on the unit of work's connection; tickets are in
ticket_repository.py."""

from uuid import UUID

from asyncpg.pool import PoolConnectionProxy

from tickets.domain.users import Role, User

_GET = "SELECT id, name, roles FROM tickets.users WHERE name = $1"
# Two first logins with one name race here: ON CONFLICT keeps the first id. One
# statement, so it needs no transaction and is written at once, not at commit.
_UPSERT = """
INSERT INTO tickets.users (id, name, roles) VALUES ($1, $2, $3)
    ON CONFLICT (name) DO UPDATE SET roles = excluded.roles
RETURNING id, name, roles
"""


class SqlUserRepository:
    def __init__(self, connection: PoolConnectionProxy) -> None:
        self._connection = connection

    async def get_by_name(self, name: str) -> User | None:
        row = await self._connection.fetchrow(_GET, name)
        return None if row is None else _user(row["id"], row["name"], row["roles"])

    async def save(self, user: User) -> User:
        row = await self._connection.fetchrow(_UPSERT, user.id, user.name, sorted(user.roles))
        assert row is not None  # RETURNING after an insert or an update: always one row
        return _user(row["id"], row["name"], row["roles"])


def _user(user_id: UUID, name: str, roles: list[str]) -> User:
    return User(user_id, name, frozenset(Role(r) for r in roles))
