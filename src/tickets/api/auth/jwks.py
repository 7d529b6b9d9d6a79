"""Access tokens of an identity provider (Keycloak, Entra ID, Auth0, Okta), verified with
the public keys it publishes as a JWKS.

Only asymmetric algorithms are accepted, and a token's ``alg`` must be the one of the
key its ``kid`` names: an HS256 token "signed" with a public key, ``alg: none`` or a
key of another type are refused. Keys are cached by PyJWT's ``PyJWKClient``; a token
naming an unknown ``kid`` triggers one refetch (at most one per cooldown, so a flood of
made-up kids cannot flood the provider), which is how a rotated-in key is picked up.
The fetch is blocking I/O, so it runs in a worker thread, bounded by a timeout.
"""

import asyncio
import re
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import jwt

from tickets.api.auth.tokens import InvalidToken, decode_claims
from tickets.application.errors import ServiceUnavailable
from tickets.domain.errors import PermissionDenied
from tickets.domain.users import Role, User

ALGORITHMS = ("RS256", "ES256")
REQUIRED_CLAIMS = ["sub", "exp", "iss", "aud"]
_ROLES = {role.value: role for role in Role}
# What a display name taken from a claim may not keep: PostgreSQL's text refuses NUL,
# UTF-8 cannot encode a lone surrogate (JSON's "\ud800" decodes to one), and control
# characters have no business in a name shown to people.
_NOT_IN_A_NAME = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class NoKnownRole(PermissionDenied):
    """A valid token whose roles claim names none of the service's roles."""

    code = "auth.no_role"


@dataclass(frozen=True)
class JwksConfig:
    url: str
    issuer: str
    audience: str
    roles_claim: str = "roles"
    """Where the roles are: a claim name, or a dotted path such as realm_access.roles."""
    fetch_timeout_seconds: float = 5.0
    cache_seconds: float = 300.0
    refetch_cooldown_seconds: float = 5.0


class JwksVerifier:
    def __init__(self, config: JwksConfig) -> None:
        self._config = config
        self._client = jwt.PyJWKClient(
            config.url,
            cache_jwk_set=True,
            lifespan=config.cache_seconds,
            timeout=config.fetch_timeout_seconds,
            cooldown_duration=config.refetch_cooldown_seconds,
        )

    async def verify(self, token: str) -> tuple[User, float]:
        """The user the token speaks for and its expiry; InvalidToken if not valid,
        NoKnownRole if valid but without a role of ours, ServiceUnavailable if the
        provider's keys cannot be fetched."""
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            raise InvalidToken() from None
        if algorithm not in ALGORITHMS:
            raise InvalidToken()
        key = await self._signing_key(token)
        if key.algorithm_name != algorithm:
            raise InvalidToken()
        c = self._config
        claims = decode_claims(token, key, algorithm, c.audience, c.issuer, REQUIRED_CLAIMS)
        return self._user_from(claims), float(claims["exp"])

    async def _signing_key(self, token: str) -> jwt.PyJWK:
        timeout = self._config.fetch_timeout_seconds + 1  # the client's own timeout, plus
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.to_thread(self._client.get_signing_key_from_jwt, token)
        except (jwt.PyJWKClientConnectionError, TimeoutError):
            raise ServiceUnavailable("the identity provider's keys cannot be fetched") from None
        except jwt.PyJWTError:  # no such kid (after a refetch), or a malformed key set
            raise InvalidToken() from None

    def _user_from(self, claims: dict[str, Any]) -> User:
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise InvalidToken()
        if _NOT_IN_A_NAME.search(subject):
            # The subject names the user for good (their id derives from it): it is
            # refused, not changed, so two different subjects never become one user.
            raise InvalidToken("the token's sub claim holds characters that are not allowed")
        name = _display_name(claims.get("preferred_username")) or _display_name(subject)
        roles = roles_in(claims, self._config.roles_claim)
        if not roles:
            raise NoKnownRole(
                "the token carries none of the roles requester, approver, admin "
                f"in its {self._config.roles_claim!r} claim"
            )
        return User(user_id_for(self._config.issuer, subject), name[:200], roles)


def _display_name(claim: Any) -> str:
    """A claim made fit to store and show: unstorable characters removed, trimmed."""
    if not isinstance(claim, str):
        return ""
    return _NOT_IN_A_NAME.sub("", claim).strip()


def user_id_for(issuer: str, subject: str) -> UUID:
    """A stable id for a provider's subject: subjects are unique per issuer, not UUIDs."""
    return uuid5(NAMESPACE_URL, f"{issuer}#{subject}")


def roles_in(claims: dict[str, Any], path: str) -> frozenset[Role]:
    """The service's roles named by the claim at ``path``; other names are ignored.

    ``path`` is tried first as one claim name (Auth0's namespaced claims are URLs with
    dots in them), then as a dotted path into nested objects (Keycloak's
    ``realm_access.roles``). The claim may be a list of names or one name."""
    value: Any = claims.get(path)
    if value is None:
        value = claims
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list):
        return frozenset()
    return frozenset(_ROLES[n.lower()] for n in names if isinstance(n, str) and n.lower() in _ROLES)
