"""Issuing and verifying HS256 JWTs: every claim required, anything off is InvalidToken."""

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import jwt
import pytest

from tickets.api.auth.tokens import AuthConfig, InvalidToken, issue_token, verify_token_until
from tickets.domain.users import Role, User

SECRET = "unit-test-secret-long-enough-for-hs256-and-hs512-" + "x" * 16
CONFIG = AuthConfig(
    secret=SECRET, issuer="tickets", audience="tickets-api", ttl_seconds=900, dev_login=True
)
ALICE = User(uuid4(), "alice", frozenset({Role.REQUESTER}))


def verify_token(token: str, config: AuthConfig) -> User:
    return verify_token_until(token, config)[0]


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    values: dict[str, Any] = {
        "sub": str(ALICE.id),
        "name": "alice",
        "roles": ["requester"],
        "iat": now,
        "exp": now + 600,
        "iss": CONFIG.issuer,
        "aud": CONFIG.audience,
    }
    values.update(overrides)
    return values


def sign(values: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(values, secret, algorithm="HS256")


def refused(token: str, code: str = "auth.invalid_token") -> InvalidToken:
    with pytest.raises(InvalidToken) as raised:
        verify_token(token, CONFIG)
    assert raised.value.code == code
    return raised.value


# --- the round trip -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "roles",
    [{Role.REQUESTER}, {Role.APPROVER}, {Role.ADMIN}, {Role.ADMIN, Role.APPROVER}],
    ids=["requester", "approver", "admin", "admin+approver"],
)
def test_issue_then_verify_gives_the_same_user(roles: set[Role]) -> None:
    user = User(uuid4(), "alice@example.com", frozenset(roles))
    assert verify_token(issue_token(user, CONFIG), CONFIG) == user


def test_issued_token_carries_every_required_claim() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    token = issue_token(ALICE, CONFIG, now=now)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    payload = jwt.decode(token, SECRET, algorithms=["HS256"], audience=CONFIG.audience)
    assert payload == {
        "sub": str(ALICE.id),
        "name": "alice",
        "roles": ["requester"],
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + CONFIG.ttl_seconds,
        "iss": "tickets",
        "aud": "tickets-api",
    }


def test_a_hand_built_valid_token_is_accepted() -> None:
    assert verify_token(sign(claims()), CONFIG) == ALICE


# --- refusals -----------------------------------------------------------------------------


def test_expired_token() -> None:
    past = datetime.now(UTC) - timedelta(seconds=CONFIG.ttl_seconds + 60)
    error = refused(issue_token(ALICE, CONFIG, now=past), code="auth.token_expired")
    assert "expired" in str(error)


def test_wrong_audience() -> None:
    refused(sign(claims(aud="someone-else")))


def test_wrong_issuer() -> None:
    refused(sign(claims(iss="https://evil.example")))


def test_wrong_secret() -> None:
    refused(
        issue_token(
            ALICE,
            AuthConfig(
                "another-secret-that-is-32-bytes-long!", "tickets", "tickets-api", 900, True
            ),
        )
    )


def test_tampered_signature() -> None:
    header, payload, signature = issue_token(ALICE, CONFIG).split(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    refused(f"{header}.{payload}.{flipped}")


def test_tampered_claims_keep_the_old_signature() -> None:
    header, _, signature = issue_token(ALICE, CONFIG).split(".")
    forged = b64(claims(roles=["admin", "approver"]))
    refused(f"{header}.{forged}.{signature}")


def test_alg_none_is_refused() -> None:
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims())}."
    refused(token)


def test_other_algorithms_are_refused() -> None:
    refused(jwt.encode(claims(), SECRET, algorithm="HS512"))


@pytest.mark.parametrize("claim", ["sub", "name", "roles", "iat", "exp", "iss", "aud"])
def test_every_claim_is_required(claim: str) -> None:
    values = claims()
    del values[claim]
    refused(sign(values))


@pytest.mark.parametrize(
    "roles",
    [["superuser"], ["requester", "root"], [], "admin", None],
    ids=["unknown", "one-unknown", "empty", "string", "null"],
)
def test_roles_must_be_known(roles: Any) -> None:
    refused(sign(claims(roles=roles)))


@pytest.mark.parametrize("sub", ["alice", "", "1234", "not-a-uuid-at-all"])
def test_sub_must_be_a_uuid(sub: str) -> None:
    refused(sign(claims(sub=sub)))


@pytest.mark.parametrize("name", ["", None, 42, ["alice"]], ids=["empty", "null", "int", "list"])
def test_name_must_be_a_non_empty_string(name: Any) -> None:
    refused(sign(claims(name=name)))


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "a.b", "Bearer x.y.z"])
def test_malformed_tokens(token: str) -> None:
    refused(token)


# --- what a refusal says ------------------------------------------------------------------


# Tokens are made when the test runs, not when it is collected: a signed one expires
# (claims() gives it 10 minutes), and a long suite may run this file later than that.
@pytest.mark.parametrize(
    "make",
    [
        lambda: "garbage",
        lambda: "a.b.c",
        lambda: "eyJhbGciOiJIUzI1NiJ9..",
        lambda: sign(claims(aud="someone-else")),
        lambda: sign(claims(sub="not-a-uuid")),
        lambda: sign(claims(roles=["superuser"])),
        lambda: sign(claims(iat="yesterday")),
        lambda: sign(claims(), secret="another-secret-that-is-long-enough-for-hs256!"),
    ],
    ids=["word", "three-parts", "header-only", "audience", "sub", "role", "iat", "secret"],
)
def test_a_refusal_says_invalid_token_and_nothing_of_the_library(make: Callable[[], str]) -> None:
    """The library's reasons (codec errors, claim names, UUID parsing) stay inside."""
    assert str(refused(make())) == "invalid token"


def test_an_expired_token_says_token_expired() -> None:
    past = datetime.now(UTC) - timedelta(seconds=CONFIG.ttl_seconds + 60)
    assert str(refused(issue_token(ALICE, CONFIG, now=past), "auth.token_expired")) == (
        "token expired"
    )
