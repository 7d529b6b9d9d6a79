"""Issue and verify HS256 JWTs; every claim is required and checked.

A refusal's message is one of a few fixed texts with a stable code: what exactly the
JWT library disliked (codec and claim details) stays out of the response."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

from tickets.domain.users import Role, User

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "name", "roles", "iat", "exp", "iss", "aud"]


@dataclass(frozen=True)
class AuthConfig:
    secret: str
    issuer: str
    audience: str
    ttl_seconds: int
    dev_login: bool
    local_tokens: bool = True
    """Accept this service's own HS256 tokens (off when only an identity provider's are)."""


INVALID = "invalid token"
EXPIRED = "token expired"


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired or not ours."""

    def __init__(self, message: str = INVALID, code: str = "auth.invalid_token") -> None:
        super().__init__(message)
        self.code = code


def issue_token(user: User, config: AuthConfig, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user.id),
        "name": user.name,
        "roles": sorted(user.roles),
        "iat": issued,
        "exp": issued + timedelta(seconds=config.ttl_seconds),
        "iss": config.issuer,
        "aud": config.audience,
    }
    return jwt.encode(claims, config.secret, algorithm=ALGORITHM)


def verify_token_until(token: str, config: AuthConfig) -> tuple[User, float]:
    """The user the token speaks for and when it expires (seconds since the epoch);
    InvalidToken for anything short of a valid token."""
    # The algorithm is pinned: "none" and every other alg are refused.
    claims = decode_claims(
        token, config.secret, ALGORITHM, config.audience, config.issuer, REQUIRED_CLAIMS
    )
    return _user_from(claims), float(claims["exp"])


def decode_claims(
    token: str,
    key: str | jwt.PyJWK,
    algorithm: str,
    audience: str,
    issuer: str,
    required: list[str],
) -> dict[str, Any]:
    """The claims of a token signed by ``key`` with ``algorithm`` for this audience and
    issuer, with every ``required`` claim present; InvalidToken otherwise, with its own
    code when the token only expired."""
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            options={"require": required},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken(EXPIRED, "auth.token_expired") from None
    except jwt.PyJWTError:
        raise InvalidToken() from None


def _user_from(claims: dict[str, Any]) -> User:
    if not isinstance(claims["roles"], list):
        raise InvalidToken()
    try:
        user_id = UUID(str(claims["sub"]))
        name = claims["name"]
        roles = frozenset(Role(r) for r in claims["roles"])
    except (ValueError, TypeError):
        raise InvalidToken() from None
    if not isinstance(name, str) or not name or not roles:
        raise InvalidToken()
    return User(user_id, name, roles)
