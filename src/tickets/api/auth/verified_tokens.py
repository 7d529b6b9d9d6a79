"""A bounded memory of tokens already verified, so a client's requests after its first
skip the HMAC and claim checks, a measurable cost per request in the bench profile."""

import time
from collections.abc import Callable

from tickets.api.auth.tokens import AuthConfig, InvalidToken, verify_token_until
from tickets.domain.users import User


class VerifiedTokens:
    """Caches token → (user, expiry) for valid tokens only.

    Why this is safe: a token's signature and its claims never change, so once
    ``verify_token_until`` accepted it, it stays acceptable until ``exp`` — the one
    check that depends on time, and it is re-done on every hit. Invalid tokens are
    never stored, so each bad token is checked (and refused) in full. The key is the
    whole token string; the secret is fixed for the life of the process.
    """

    def __init__(
        self,
        config: AuthConfig,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._capacity = capacity
        self._clock = clock
        self._users: dict[str, tuple[User, float]] = {}

    def user_for(self, token: str) -> User:
        """The token's user; InvalidToken if it is not (or no longer) valid."""
        hit = self._users.get(token)
        if hit is not None:
            user, expires = hit
            if self._clock() < expires:
                return user
            del self._users[token]
            raise InvalidToken("the token has expired", "auth.token_expired")
        user, expires = verify_token_until(token, self._config)
        if len(self._users) >= self._capacity:
            del self._users[next(iter(self._users))]  # the oldest entry
        self._users[token] = (user, expires)
        return user
