"""Access tokens of an identity provider (Keycloak, Entra ID, Auth0, Okta), verified with
the public keys it publishes as a JWKS.

Only asymmetric algorithms are accepted, and a token's ``alg`` must be the one of the
key its ``kid`` names: an HS256 token "signed" with a public key, ``alg: none`` or a
key of another type are refused. Keys are kept by JwksKeys (jwks_keys): a token naming
an unknown ``kid`` triggers one refetch (at most one per cooldown, so a flood of
made-up kids cannot flood the provider), which is how a rotated-in key is picked up,
and no token whose key is known ever waits on a fetch.
"""

import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import jwt

from tickets.api.auth.jwks_keys import JwksKeys
from tickets.api.auth.tokens import InvalidToken, decode_claims
from tickets.domain.errors import PermissionDenied
from tickets.domain.users import Role, User, provider_user_id

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
    """The deadline of a whole JWKS fetch: connect, answer and body."""
    cache_seconds: float = 300.0
    refetch_cooldown_seconds: float = 5.0


class JwksVerifier:
    def __init__(self, config: JwksConfig, keys: JwksKeys | None = None) -> None:
        self._config = config
        self._keys = keys or JwksKeys(
            config.url,
            deadline_seconds=config.fetch_timeout_seconds,
            cache_seconds=config.cache_seconds,
            cooldown_seconds=config.refetch_cooldown_seconds,
        )

    async def aclose(self) -> None:
        await self._keys.aclose()

    async def verify(self, token: str) -> tuple[User, float]:
        """The user the token speaks for and its expiry; InvalidToken if not valid,
        NoKnownRole if valid but without a role of ours, ServiceUnavailable if the
        provider's keys cannot be fetched."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken() from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALGORITHMS or not isinstance(kid, str) or not kid:
            raise InvalidToken()
        key = await self._keys.key_for(kid)
        if key.algorithm_name != algorithm:
            raise InvalidToken()
        c = self._config
        claims = decode_claims(token, key, algorithm, c.audience, c.issuer, REQUIRED_CLAIMS)
        return self._user_from(claims), float(claims["exp"])

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
    """A stable id for a provider's subject (the domain's rule, provider_user_id)."""
    return provider_user_id(issuer, subject)


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
