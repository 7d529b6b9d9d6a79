"""An identity provider's access tokens, checked against the keys of a JWKS served on
127.0.0.1 by the test: RS256 and ES256 accepted, rotation picked up, and every kind of
forgery (unknown kid, wrong issuer or audience, alg confusion, alg none) refused."""

import base64
import dataclasses
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.identity_provider import (
    AUDIENCE,
    ISSUER,
    IdentityProvider,
    SigningKey,
    access_claims,
    serving_jwks,
)
from tests.unit.test_tokens import ALICE, CONFIG
from tickets.api.auth.jwks import JwksConfig, JwksVerifier, NoKnownRole, roles_in, user_id_for
from tickets.api.auth.tokens import InvalidToken, issue_token
from tickets.api.auth.verified_tokens import VerifiedTokens
from tickets.application.errors import ServiceUnavailable
from tickets.domain.users import Role, User

RSA_KEY = SigningKey.rsa("rsa-1")
EC_KEY = SigningKey.ec("ec-1")


@pytest.fixture
def provider() -> Iterator[IdentityProvider]:
    with serving_jwks(RSA_KEY, EC_KEY) as running:
        yield running


def verifier_for(provider: IdentityProvider, **changes: Any) -> JwksVerifier:
    config = JwksConfig(
        url=provider.url,
        issuer=ISSUER,
        audience=AUDIENCE,
        roles_claim="realm_access.roles",
        refetch_cooldown_seconds=0,
    )
    return JwksVerifier(dataclasses.replace(config, **changes))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hand_signed(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A JWT built by hand, as an attacker would: PyJWT refuses to make these."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    if secret is None:
        return f"{signing_input}."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


async def refused(verifier: JwksVerifier, token: str, code: str = "auth.invalid_token") -> None:
    with pytest.raises(InvalidToken) as raised:
        await verifier.verify(token)
    assert raised.value.code == code
    assert str(raised.value) in ("invalid token", "token expired")


# --- accepted ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [RSA_KEY, EC_KEY], ids=["RS256", "ES256"])
async def test_a_valid_token_is_accepted(provider: IdentityProvider, key: SigningKey) -> None:
    user, expires = await verifier_for(provider).verify(key.sign(access_claims("kc-42")))
    assert user == User(user_id_for(ISSUER, "kc-42"), "user-kc-42", frozenset({Role.APPROVER}))
    assert expires > 0


async def test_without_preferred_username_the_subject_names_the_user(
    provider: IdentityProvider,
) -> None:
    claims = access_claims("auth0|abc")
    del claims["preferred_username"]
    user, _ = await verifier_for(provider).verify(RSA_KEY.sign(claims))
    assert user.name == "auth0|abc"


@pytest.mark.parametrize(
    ("claimed", "stored"),
    [
        ("ali\x00ce", "alice"),
        ("\x00bob\ud800\n", "bob"),
        ("caf\u00e9\x7f", "caf\u00e9"),
    ],
    ids=["nul", "nul-surrogate-newline", "delete"],
)
async def test_a_names_unstorable_characters_are_removed(
    provider: IdentityProvider, claimed: str, stored: str
) -> None:
    token = RSA_KEY.sign(access_claims("kc-7", preferred_username=claimed))
    user, _ = await verifier_for(provider).verify(token)
    assert user.name == stored


async def test_a_name_of_nothing_but_unstorable_characters_falls_back_to_the_subject(
    provider: IdentityProvider,
) -> None:
    token = RSA_KEY.sign(access_claims("kc-8", preferred_username="\x00\x00"))
    user, _ = await verifier_for(provider).verify(token)
    assert user.name == "kc-8"


@pytest.mark.parametrize("subject", ["kc\x00-9", "kc-\udc00"], ids=["nul", "surrogate"])
async def test_a_subject_with_unstorable_characters_is_refused(
    provider: IdentityProvider, subject: str
) -> None:
    with pytest.raises(InvalidToken) as raised:
        await verifier_for(provider).verify(RSA_KEY.sign(access_claims(subject)))
    assert "sub claim" in str(raised.value)


async def test_a_rotated_in_key_is_accepted_after_a_refetch(provider: IdentityProvider) -> None:
    verifier = verifier_for(provider)
    await verifier.verify(RSA_KEY.sign(access_claims()))
    fetched = provider.fetches
    rotated = SigningKey.ec("ec-2")
    provider.keys = [rotated]  # the provider publishes a new key and drops the old ones
    user, _ = await verifier.verify(rotated.sign(access_claims()))
    assert user.roles == {Role.APPROVER}
    assert provider.fetches == fetched + 1


async def test_keys_are_cached_between_tokens(provider: IdentityProvider) -> None:
    verifier = verifier_for(provider)
    for subject in ("a", "b", "c"):
        await verifier.verify(EC_KEY.sign(access_claims(subject)))
    assert provider.fetches == 1


# --- refused -------------------------------------------------------------------------------


async def test_an_unknown_kid_is_refused(provider: IdentityProvider) -> None:
    stranger = SigningKey.rsa("not-published")
    await refused(verifier_for(provider), stranger.sign(access_claims()))


async def test_a_kid_naming_another_key_is_refused(provider: IdentityProvider) -> None:
    impostor = dataclasses.replace(SigningKey.rsa("x"), kid=RSA_KEY.kid)
    await refused(verifier_for(provider), impostor.sign(access_claims()))


@pytest.mark.parametrize(
    "changes",
    [{"iss": "https://evil.example"}, {"aud": "another-api"}, {"aud": ["another-api"]}],
    ids=["issuer", "audience", "audience-list"],
)
async def test_wrong_issuer_or_audience_is_refused(
    provider: IdentityProvider, changes: dict[str, Any]
) -> None:
    await refused(verifier_for(provider), RSA_KEY.sign(access_claims(**changes)))


@pytest.mark.parametrize("claim", ["sub", "exp", "iss", "aud"])
async def test_required_claims(provider: IdentityProvider, claim: str) -> None:
    claims = access_claims()
    del claims[claim]
    await refused(verifier_for(provider), RSA_KEY.sign(claims))


async def test_an_expired_token_is_refused_as_expired(provider: IdentityProvider) -> None:
    token = RSA_KEY.sign(access_claims(exp=1_700_000_000, iat=1_699_999_000))
    await refused(verifier_for(provider), token, "auth.token_expired")


async def test_alg_confusion_hs256_signed_with_the_public_key_is_refused(
    provider: IdentityProvider,
) -> None:
    public_pem = RSA_KEY.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (public_pem, json.dumps(RSA_KEY.jwk()).encode()):
        header = {"alg": "HS256", "typ": "JWT", "kid": RSA_KEY.kid}
        await refused(verifier_for(provider), hand_signed(header, access_claims(), secret))


async def test_a_token_whose_alg_is_not_its_keys_is_refused(provider: IdentityProvider) -> None:
    ec_signed_naming_rsa = jwt.encode(
        access_claims(), EC_KEY.private, algorithm="ES256", headers={"kid": RSA_KEY.kid}
    )
    await refused(verifier_for(provider), ec_signed_naming_rsa)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_is_refused(provider: IdentityProvider, alg: str) -> None:
    token = hand_signed({"alg": alg, "kid": RSA_KEY.kid}, access_claims(), None)
    await refused(verifier_for(provider), token)


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.."])
async def test_garbage_is_refused(provider: IdentityProvider, token: str) -> None:
    await refused(verifier_for(provider), token)


async def test_a_token_without_a_role_of_ours_is_forbidden(provider: IdentityProvider) -> None:
    token = RSA_KEY.sign(access_claims(realm_access={"roles": ["offline_access", "uma"]}))
    with pytest.raises(NoKnownRole) as raised:
        await verifier_for(provider).verify(token)
    assert raised.value.code == "auth.no_role"


async def test_an_unreachable_provider_is_unavailable_not_unauthorized() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    config = JwksConfig(f"http://127.0.0.1:{port}/certs", ISSUER, AUDIENCE)
    with pytest.raises(ServiceUnavailable):
        await JwksVerifier(config).verify(RSA_KEY.sign(access_claims()))


# --- where the roles are -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "path", "roles"),
    [
        ({"realm_access": {"roles": ["approver", "x"]}}, "realm_access.roles", {Role.APPROVER}),
        ({"roles": ["Admin", "requester"]}, "roles", {Role.ADMIN, Role.REQUESTER}),
        ({"https://tickets.example/roles": ["admin"]}, "https://tickets.example/roles", {"admin"}),
        ({"roles": "approver"}, "roles", {Role.APPROVER}),
        ({"roles": ["superuser", 7, None]}, "roles", set()),
        ({"realm_access": ["approver"]}, "realm_access.roles", set()),
        ({}, "roles", set()),
    ],
    ids=["keycloak", "entra-case", "auth0-namespaced", "one-string", "unknown", "shape", "none"],
)
def test_roles_are_mapped_and_unknown_ones_ignored(
    claims: dict[str, Any], path: str, roles: set[str]
) -> None:
    assert roles_in(claims, path) == roles


# --- with the verified-token memory ---------------------------------------------------------


async def test_with_a_provider_this_services_hs256_tokens_are_refused(
    provider: IdentityProvider,
) -> None:
    only_provider = dataclasses.replace(CONFIG, local_tokens=False)
    tokens = VerifiedTokens(only_provider, external=verifier_for(provider))
    with pytest.raises(InvalidToken):
        await tokens.user_for(issue_token(ALICE, CONFIG))
    assert (await tokens.user_for(EC_KEY.sign(access_claims()))).roles == {Role.APPROVER}


async def test_with_dev_login_on_both_kinds_are_accepted(provider: IdentityProvider) -> None:
    tokens = VerifiedTokens(CONFIG, external=verifier_for(provider))
    assert await tokens.user_for(issue_token(ALICE, CONFIG)) == ALICE
    assert (await tokens.user_for(RSA_KEY.sign(access_claims()))).name == "user-u-1"


async def test_a_provider_user_is_recorded_once_per_process(provider: IdentityProvider) -> None:
    recorded: list[User] = []

    async def provision(user: User) -> User:
        recorded.append(user)
        return dataclasses.replace(user, name=f"{user.name}#1")

    tokens = VerifiedTokens(CONFIG, external=verifier_for(provider), provision=provision)
    first = await tokens.user_for(RSA_KEY.sign(access_claims("s", iat=1)))
    second = await tokens.user_for(EC_KEY.sign(access_claims("s", iat=2)))
    assert [u.name for u in recorded] == ["user-s"]
    assert first == second
    assert first.name == "user-s#1"
