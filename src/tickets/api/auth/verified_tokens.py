"""A bounded memory of tokens already verified, so a client's requests after its first
skip the signature and claim checks (work repeated on every request otherwise; see the
profiles in docs/benchmarks.md), and the users' current roles, re-read from the users
table every few seconds."""

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

import jwt

from tickets.api.auth.jwks import JwksVerifier
from tickets.api.auth.tokens import EXPIRED, AuthConfig, InvalidToken, verify_token_until
from tickets.application.messagebus import MessageBus
from tickets.application.ports import MessageContext
from tickets.application.users import ProvisionUser, UserRoles
from tickets.domain.users import User

K = TypeVar("K")
V = TypeVar("V")
ROLES_TTL_SECONDS = 5.0
Provision = Callable[[User], Awaitable[User]]
"""Records a user first seen in an identity provider's token; returns the stored user."""


class VerifiedTokens:
    """Caches token → (user, expiry, local) for valid tokens only.

    Why this is safe: a token's signature and its claims never change, so once it was
    accepted, it stays acceptable until ``exp`` — the one check that depends on time,
    and it is re-done on every hit. Invalid tokens are never stored, so each bad token
    is checked (and refused) in full. The key is the whole token string; the secret and
    the provider's keys for a kid are fixed for the life of the token.

    Roles: a token this service issued (``local``) proves who the user is, not what
    they may do; the roles in effect are the user's roles in the users table, where
    ``set-role`` changes them. They are remembered per user for ``roles_ttl`` seconds.
    Why this is correct with several API processes: the table is the one source, and
    each process re-reads a user's roles at most ``roles_ttl`` after it last read them,
    so a change made by any process is in effect in every process within ``roles_ttl``
    seconds (plus a request already past this check): an entry expires ``roles_ttl``
    after its read *began*, so whatever it read is never older than that. The process
    that made the change forgets its copy at once (``forget_user``; a read in flight
    may still put the old roles back, within the same bound). The hot path stays a
    dictionary lookup:
    one indexed query per active user per ``roles_ttl`` per process. Tokens of an
    identity provider carry the provider's roles, which the provider changes.
    """

    def __init__(
        self,
        config: AuthConfig,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.time,
        *,
        user_roles: UserRoles | None = None,
        roles_ttl: float = ROLES_TTL_SECONDS,
        external: JwksVerifier | None = None,
        provision: Provision | None = None,
    ) -> None:
        self._config = config
        self._capacity = capacity
        self._clock = clock
        self._user_roles = user_roles
        self._roles_ttl = roles_ttl
        self._external = external
        self._provision = provision
        self._users: dict[str, tuple[User, float, bool]] = {}
        self._current: dict[UUID, tuple[User, float]] = {}
        self._provisioned: dict[UUID, str] = {}

    async def user_for(self, token: str) -> User:
        """The token's user with their current roles; InvalidToken if it is not (or no
        longer) valid."""
        hit = self._users.get(token)
        if hit is None:
            hit = await self._verify(token)
            _remember(self._users, token, hit, self._capacity)
        user, expires, local = hit
        now = self._clock()
        if now >= expires:
            self._users.pop(token, None)
            raise InvalidToken(EXPIRED, "auth.token_expired")
        if local and self._user_roles is not None:
            known = self._current.get(user.id)
            if known is not None and now < known[1]:  # the hot path: no await, no query
                return known[0]
            return await self._with_current_roles(user, now)
        return user

    def forget_user(self, user_id: UUID) -> None:
        """Drop the remembered roles of a user whose role was just changed."""
        self._current.pop(user_id, None)

    async def _verify(self, token: str) -> tuple[User, float, bool]:
        if self._external is not None and not (self._config.local_tokens and _is_hs256(token)):
            user, expires = await self._external.verify(token)
            return await self._stored(user), expires, False
        if not self._config.local_tokens:
            raise InvalidToken()
        user, expires = verify_token_until(token, self._config)
        return user, expires, True

    async def _stored(self, user: User) -> User:
        """The provider's user as recorded here (created on first sight)."""
        name = self._provisioned.get(user.id)
        if name is None:
            stored = user if self._provision is None else await self._provision(user)
            name = stored.name
            _remember(self._provisioned, user.id, name, self._capacity)
        return user if name == user.name else User(user.id, name, user.roles)

    async def _with_current_roles(self, user: User, now: float) -> User:
        assert self._user_roles is not None
        # Concurrent first requests of one user may each read the roles: harmless, the
        # same row, and the last one remembered is as fresh as any.
        roles = await self._user_roles.roles_of(user.id)
        if roles is None:
            raise InvalidToken()  # a token of ours for a user who is not on record
        current = user if roles == user.roles else User(user.id, user.name, roles)
        _remember(self._current, user.id, (current, now + self._roles_ttl), self._capacity)
        return current


def provisioning(bus: MessageBus) -> Provision:
    """Record first-seen provider users through the bus (ProvisionUser)."""

    async def provision(user: User) -> User:
        command = ProvisionUser(user_id=user.id, name=user.name, roles=user.roles)
        return (await bus.handle(command, MessageContext(correlation_id="auth"))).result.user()

    return provision


def _is_hs256(token: str) -> bool:
    try:
        return jwt.get_unverified_header(token).get("alg") == "HS256"
    except jwt.PyJWTError:
        return False


def _remember(memory: dict[K, V], key: K, value: V, capacity: int) -> None:
    if key not in memory and len(memory) >= capacity:
        del memory[next(iter(memory))]  # the oldest entry
    memory[key] = value
